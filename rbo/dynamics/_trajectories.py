"""Statements about whole RBO runs: reachability of the contact points, and ironing of the
trajectory by large balls."""

from __future__ import annotations

import numpy as np

from offsetgeo import footpoint, is_reachable, normal_point, reach, unreachable_set
from offsetgeo.theorems._report import TheoremReport, case_label, make_report, verifier_inputs

from .._objective import objective as as_objective
from .._rolling_ball import rolling_ball
from .._run import run
from ._steps import DRIVER_TOL, SPREAD, asymptotic_sweep, derivatives, rate_margin

__all__ = ["trajectory_reachability", "trajectory_ironing", "penetrations", "centres",
           "REACH_BAND"]

#: a quantity that is O(η) has fitted order ≥ 1 in the limit; over a decade of η the steps
#: that land nearest to ∂U_ρ vary with η, so 0.2 is allowed below 1
REACH_BAND = 0.2


def _window(f):
    """The window of :func:`offsetgeo.unreachable_set` for ``f`` (None: its period/domain)."""
    if f.domain is not None or (f.period is not None and all(p is not None for p in f.period)):
        return None
    return [tuple(b) for b in f.sample_box]


def centres(f, thetas, radius):
    """The balls' centres ``p(θ) + ρ n(θ)`` (n, d + 1) at the rows of ``thetas``."""
    v, g, _ = derivatives(f, thetas)
    return normal_point(np.atleast_2d(thetas), v, g, radius)


def penetrations(f, thetas, radius):
    """``ρ − d(c, Γ)`` for the ball of radius ρ resting on ``p(θ)`` (``c = p(θ) + ρ n(θ)``,
    global footpoint distance); ``> 0``: the ball cuts the graph, ``θ`` is not reached by it."""
    res = footpoint(f, centres(f, thetas, radius), on_failure="ignore")
    return radius - np.asarray(res.distance, dtype=float)


def _rbo_run(f, lr, radius, theta0, steps):
    opt = rolling_ball(lr=lr, radius=radius, solver="newton", tol=DRIVER_TOL)
    return run(as_objective(f), opt, np.asarray(theta0, dtype=float).reshape(f.dim), steps,
               on_failure="ignore")


def trajectory_reachability(f, radius, theta0, lrs=None, *, horizon=3.0, period=None,
                            domain=None, quick=False) -> TheoremReport:
    """With exact projections the contact points of a run stay ρ-reachable up to O(η).

    Runs RBO (the driver, certified global projections) from ``theta0`` for ``horizon/η``
    steps at each η of ``lrs`` and measures the largest penetration ``ρ − d(c_t, Γ)`` of the
    ball resting on the contact points ``θ_1 … θ_N`` into the graph. Claimed: the penetration
    vanishes as O(η): fitted order ``≥ 1 − REACH_BAND`` in the asymptotic regime (the sweep
    moves down ×4 once when its local orders spread, :func:`asymptotic_sweep`). Assumptions
    (checked): ``U_ρ ≠ ∅`` (else there is nothing to test) and ``θ_0`` is ρ-reachable — a
    start inside ``U_ρ`` hands its penetration to the first steps whatever η (measured: a run
    started in a valley narrower than the ball keeps ~0.03 of it as η → 0).

    Parameters
    ----------
    f : Function or str
        One or two variables, with unreachable points at ρ.
    radius : float
        ρ.
    theta0 : array_like
        Start.
    lrs : array_like, optional
        Default ``geomspace(0.03, 0.003, 4)`` (``(0.02, 0.01, 0.005)`` with ``quick``).
    horizon : float
        ``η × steps``, the same for every η.
    period, domain : optional
        Applied to ``f`` when it is given as a string.
    quick : bool
        Three learning rates.

    Returns
    -------
    report : TheoremReport
        ``measured``: the fitted order; ``bound``: ``1 − REACH_BAND``; ``arrays``: ``lr``,
        ``penetration`` (max per η), ``where`` (the contact point of the max), ``final``.

    See Also
    --------
    offsetgeo.unreachable_set : ``U_ρ``.
    offsetgeo.theorems.sharp_minima_unreachable : the penetration at minima.

    Examples
    --------
    >>> rep = trajectory_reachability("sin(x) + 0.3*sin(5*x)", 0.5, [0.3], [0.02, 0.01],
    ...                               period="2*pi")
    >>> rep.arrays["lr"].tolist()                  # sorted ascending
    [0.01, 0.02]
    >>> rep.holds, bool(rep.arrays["penetration"][0] < rep.arrays["penetration"][1])
    (True, True)
    """
    t0, (f,), _ = verifier_inputs("trajectory_reachability", (1, 2), None,
                                  (f, dict(period=period, domain=domain)))
    lrs = ((0.005, 0.01, 0.02) if quick else np.geomspace(0.003, 0.03, 4)) if lrs is None else lrs
    lrs = np.sort(np.asarray(lrs, dtype=float).reshape(-1))
    if lrs.size < 2 or np.any(lrs <= 0):
        raise ValueError("lrs must be at least two positive learning rates")
    U = unreachable_set(f, radius, window=_window(f))
    assumptions = {"U_ρ non-empty": True if not U.empty else
                   f"U_ρ is empty at ρ = {radius:g}: every point is reachable, nothing to test"}
    start = np.asarray(theta0, dtype=float).reshape(f.dim)
    assumptions["θ_0 ρ-reachable"] = (
        True if bool(is_reachable(f, start if f.dim > 1 else start[0], radius)) else
        f"θ_0 = {start.tolist()} lies in U_ρ: its penetration is the start's, not the run's")
    runs = {}

    def measure(sweep):
        pen = np.empty(sweep.size)
        for j, eta in enumerate(sweep):
            tr = _rbo_run(f, eta, radius, start, int(round(horizon / eta)))
            th = np.asarray(tr.theta, dtype=float)[1:]
            p = penetrations(f, th, radius)
            k = int(np.argmax(p))
            pen[j] = max(float(p[k]), 0.0)
            runs[float(eta)] = (th[k], th[-1], all(tr.certified[1:]))
        return pen[None, :]

    floor = 1e-9 * (1 + radius)
    given = lrs
    lrs, pen, moves = asymptotic_sweep(measure, lrs, floor, 1.0, factor=4.0, shifts=1)
    pen = pen[0]
    p, margin = rate_margin(lrs, pen, 1.0 - REACH_BAND, np.inf, floor)
    resolved = int(np.sum(pen > floor))
    if resolved == 0:
        p, margin = float("inf"), float("inf")      # reachable throughout: 0 = O(η)
    certified = all(runs[float(eta)][2] for eta in lrs)
    assumptions["exact (certified) projections"] = (
        True if certified else "some projection could not be certified global")
    ok = all(v is True for v in assumptions.values())
    holds = None if not ok or resolved == 1 else bool(margin >= 0)
    notes = [f"max penetration {np.round(pen, 8).tolist()} at η = {np.round(lrs, 5).tolist()} "
             f"(penetration/η ≤ {np.max(pen / lrs):.3g}); horizon η·N = {horizon:g} from "
             f"{start.tolist()}"]
    if moves:
        notes.append(f"sweep moved down ×4 into the asymptotic regime (local orders spread by "
                     f"> {SPREAD} over {np.round(given, 5).tolist()})")
    if resolved == 1:
        notes.append("one learning rate only shows a penetration: the order is unresolved")
    arrays = {"lr": lrs, "penetration": pen,
              "where": np.array([runs[float(e)][0] for e in lrs]),
              "final": np.array([runs[float(e)][1] for e in lrs]),
              "penetration_over_lr": pen / lrs, "unreachable_intervals": U.intervals}
    claim = f"max_t (ρ − d(c_t, Γ)) = O(η): order ≥ {1 - REACH_BAND}"
    observed = f"order {p:.3g}; max pen {pen[-1]:.2g} → {pen[0]:.2g}"
    return make_report("rbo-reachability", case_label(f), "theorem", holds,
                       np.full(lrs.size, radius), np.array([1.0 - REACH_BAND]), np.array([p]),
                       np.array([margin]), 0.0, "lower",
                       {"exponent": p, "claimed_min_exponent": 1.0 - REACH_BAND}, assumptions,
                       arrays, notes, claim, observed, t0)


def trajectory_ironing(f, phi, theta0, radii=None, *, lr=0.1, steps=100, window=None,
                       quick=False) -> TheoremReport:
    """The trajectory analogue of strong ironing (a conjecture: evidence only).

    RBO on ``f`` and on ``f + φ`` (φ bounded, small-scale) from the same start, for each ρ of
    ``radii``: the mean distance ``(1/N) Σ_t |x_t^f − x_t^{f+φ}|`` of the balls' centres
    (horizontal coordinates; contact points are not comparable once the ball rests on two
    points). Expected: small-ρ balls fall into φ's ripples, and the distance shrinks as ρ
    grows past the critical radius ``ρ_c`` of ``f + φ``. Evidence "supports" when the fitted
    order over ``ρ ≥ 2ρ_c`` is below ``−0.2`` and the largest radius ends closer than
    ``ρ = 2ρ_c``; "against" when the order is above ``0.2``; else "inconclusive".

    Parameters
    ----------
    f, phi : Function or str
        One variable.
    theta0 : float
        Start.
    radii : array_like, optional
        Default ``ρ_c · (0.5, 1, 2, 4, 8, 16)`` (``(0.5, 2, 8)`` with ``quick``).
    lr : float
        η.
    steps : int
        Steps per run.
    window : (lo, hi), optional
        Window for ``ρ_c`` (default ``theta0 ± 5``).
    quick : bool
        Three radii, half the steps.

    Returns
    -------
    report : TheoremReport
        ``measured``: the mean centre distance per ρ; ``arrays``: ``sup_distance``,
        ``rho_c``, ``evidence``, ``final_f``, ``final_g``.

    See Also
    --------
    offsetgeo.theorems.strong_ironing : the same statement about offsets.

    Examples
    --------
    >>> rep = trajectory_ironing("sqrt(1 + x**2)", "0.05*sin(12*x)", 3.0, radii=[0.1, 1.6],
    ...                          steps=60)
    >>> bool(rep.measured[1] < rep.measured[0])
    True
    """
    g_expr = f"({f}) + ({phi})" if isinstance(f, str) and isinstance(phi, str) else None
    if g_expr is None:
        raise TypeError("trajectory_ironing takes f and phi as expression strings")
    t0, (f, g), radii = verifier_inputs("trajectory_ironing", (1,), radii, (f, {}), (g_expr, {}))
    if quick:
        steps = max(steps // 2, 10)
    x0 = float(np.ravel(theta0)[0])
    win = window if window is not None else (x0 - 5.0, x0 + 5.0)
    rho_c = float(reach(g, window=[tuple(win)], method="curvature").value)
    if radii is None:
        radii = rho_c * np.asarray((0.5, 2, 8) if quick else (0.5, 1, 2, 4, 8, 16))
    mean, sup, final_f, final_g = [], [], [], []
    for rho in radii:
        a = _rbo_run(f, lr, rho, [x0], steps)
        b = _rbo_run(g, lr, rho, [x0], steps)
        n = min(a.steps, b.steps) + 1
        xa = centres(f, np.asarray(a.theta, float)[:n], rho)[:, 0]
        xb = centres(g, np.asarray(b.theta, float)[:n], rho)[:, 0]
        dist = np.abs(xa - xb)
        mean.append(float(dist.mean()))
        sup.append(float(dist.max()))
        final_f.append(float(xa[-1]))
        final_g.append(float(xb[-1]))
    mean = np.array(mean)
    tail = radii >= 2 * rho_c
    p = rate_margin(radii[tail], mean[tail], 0.0, 0.0)[0] if tail.sum() >= 2 else float("nan")
    if not np.isfinite(p):
        evidence = "inconclusive"
    elif p < -0.2 and mean[tail][-1] < mean[tail][0]:
        evidence = "supports"
    elif p > 0.2:
        evidence = "against"
    else:
        evidence = "inconclusive"
    arrays = {"sup_distance": np.array(sup), "rho_c": rho_c, "evidence": evidence,
              "final_f": np.array(final_f), "final_g": np.array(final_g), "lr": lr,
              "steps": steps}
    notes = [f"ρ_c(f + φ) = {rho_c:.4g}; mean centre distance {np.round(mean, 4).tolist()} at "
             f"ρ = {np.round(radii, 4).tolist()}; order over ρ ≥ 2ρ_c: {p:.3g}"]
    claim = "mean_t |x_t^f − x_t^{f+φ}| shrinks as ρ grows past ρ_c"
    observed = f"order {p:.3g} over ρ ≥ 2ρ_c; {mean[0]:.2g} → {mean[-1]:.2g}"
    return make_report("rbo-ironing", case_label(f, g), "conjecture", None, radii,
                       np.full(len(radii), np.nan), mean, np.full(len(radii), np.nan),
                       np.nan, "none", {"exponent": p}, {}, arrays, notes, claim, observed, t0)
