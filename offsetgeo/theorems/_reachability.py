"""Statements 4-5: sharp minima are unreachable; unreachable sets are open and grow."""

from __future__ import annotations

import math

import numpy as np

from .._graph import normal_lift
from .._numerics import mesh
from .._projection import footpoint
from .._reach import reach
from .._reachability import is_reachable
from ._assumptions import find_minima, minimum_check, periods_of
from ._report import TheoremReport, case_label, make_report, verifier_inputs
from ._sampling import lipschitz, sample_graph, store

__all__ = ["sharp_minima_unreachable", "unreachable_sets_grow", "penetration",
           "critical_radius_of"]


def penetration(f, thetas, rho):
    """ρ − d(c, Γ) for the ball centre c = p(θ) + ρ n(θ) of radius ρ touching Γ at p(θ)
    (``rho`` a scalar or one radius per point).

    ``> 0``: some point of Γ lies inside the ball, p(θ) is not reached by it (for a
    critical point it is then ρ-unreachable: the normal is vertical, so no other ball
    touches there). ``≤ 0`` up to rounding: reachable.
    """
    th = np.atleast_2d(np.asarray(thetas, dtype=float))
    if f.dim == 1 and th.shape[0] == 1 and th.shape[1] != 1:
        th = th.T
    r = footpoint(f, normal_lift(f, th, rho), on_failure="ignore")
    return rho - r.distance


def critical_radius_of(f, periods):
    """(ρ_c = 1 / sup κ⁺, witness, source) from offsetgeo.reach (curvature method)."""
    window = None if (periods is not None or f.domain is not None) else f.sample_box
    res = reach(f, "upper", window=window, method="curvature")
    return float(res.value), np.asarray(res.witness), "offsetgeo.reach (curvature)"



def sharp_minima_unreachable(f, radii=None, minima=None, *, period=None, domain=None,
                             quick=False) -> TheoremReport:
    """Unreachable sharp minima: ``λ_max(∇²f(θ*)) > 1/ρ ⇒ θ* ∈ U_ρ`` (d = 1, 2).

    Measured: the penetration ``ρ − d(c, Γ)`` of the graph into the ball of radius ρ resting
    on the minimum, ``c = (θ*, f(θ*) + ρ)`` (global footpoint distance); ``> 0`` means θ* is
    ρ-unreachable. Claimed: ``> 0`` wherever ``ρ λ_max > 1`` (bound 0, a lower bound). The
    quadratic model predicts ``ρ − sqrt(2ρ/λ − 1/λ²)``; claims whose predicted penetration is
    below 100× the footpoint tolerance are reported as unresolved, not counted.

    Parameters
    ----------
    f : Function or str
    radii : array_like, optional
        Default: 10 radii from ``0.3/λ`` to ``5/λ`` (λ over the minima).
    minima : array_like, optional
        Points to test, (k, d) or (k,) for d = 1. Each is checked to be a local minimum
        (gradient ≈ 0, Hessian PSD); a failing point makes the report ``holds=None`` with the
        failing assumption named. Default: all local minima found over one period / the
        sample box.
    period, domain : optional
        Applied to ``f`` when it is given as a string.
    quick : bool
        Fewer default radii.

    Returns
    -------
    report : TheoremReport
        ``measured`` (k, n): the penetration per minimum and radius; ``arrays``: ``minima``,
        ``lambda_max``, ``model_penetration``, ``claimed``, ``resolved``, ``is_reachable``.

    See Also
    --------
    is_reachable : the reachability test behind the cross-check.
    local_critical_radius : ``1/λ_max`` at a minimum of a high-dimensional loss.

    Examples
    --------
    >>> rep = sharp_minima_unreachable("0.5*(x**2 + 9*y**2)", radii=[0.05, 0.5], minima=[[0, 0]])
    >>> rep.holds, rep.measured.shape
    (True, (1, 2))
    """
    t0, (f,), radii = verifier_inputs("sharp_minima_unreachable", (1, 2), radii,
                                      (f, dict(period=period, domain=domain)))
    periods, _ = periods_of(f)
    if minima is None:
        mins = find_minima(f, periods)
        src = "found"
        if len(mins) == 0:
            raise ValueError(f"no local minimum of {f} found on {f.sample_box.tolist()}; "
                             "pass minima= explicitly")
    else:
        mins = np.asarray(minima, dtype=float)
        if f.dim == 1:
            mins = mins.reshape(-1, 1)
        else:
            mins = np.atleast_2d(mins)
        if mins.ndim != 2 or mins.shape[1] != f.dim or len(mins) == 0:
            raise ValueError(f"minima must have shape (k, {f.dim}), got {np.shape(minima)}")
        src = "given"
    checks = [minimum_check(f, m) for m in mins]
    lam = np.array([c[1] for c in checks])
    assumptions = {}
    for m, c in zip(mins, checks):
        name = "local minimum at (" + ", ".join(f"{t:.4g}" for t in m) + ")"
        assumptions[name] = c[0]
    if radii is None:
        pos = lam[lam > 0]
        if pos.size == 0:
            radii = np.array([0.5, 1.0, 2.0])
        else:
            radii = np.geomspace(0.3 / pos.max(), 5.0 / pos.min(), 6 if quick else 10)
    k, n = len(mins), len(radii)
    # every (minimum, radius) pair in one projection
    meas = penetration(f, np.repeat(mins, n, axis=0), np.tile(radii, k)).reshape(k, n)
    tolfp = 1e-9 * (1.0 + radii[None, :] + np.abs(f.evaluate(mins, 0)[0])[:, None])
    claimed = lam[:, None] * radii[None, :] > 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        model = radii[None, :] - np.sqrt(np.maximum(2 * radii[None, :] / lam[:, None]
                                                    - 1 / lam[:, None] ** 2, 0.0))
    resolved = claimed & (model > 100 * tolfp)
    bound = np.where(resolved, 0.0, np.nan)
    margin = meas - bound
    ok_assume = all(c[0] is True for c in checks)
    notes = [f"{len(mins)} minim{'um' if len(mins) == 1 else 'a'} {src}; λ_max = "
             + ", ".join(f"{v:.4g}" for v in lam)]
    if (claimed & ~resolved).any():
        notes.append(f"{int((claimed & ~resolved).sum())} claim(s) too close to ρλ = 1 to "
                     "resolve (predicted penetration below 100× tolerance): not counted")
    if not ok_assume:
        holds = None
        notes.append("a tested point is not a local minimum: no verdict")
    elif resolved.any():
        holds = bool(np.all(meas[resolved] > tolfp[resolved]))
    else:
        holds = None
        notes.append("no (minimum, ρ) pair of the sweep has ρ λ_max > 1: no claim")
    arrays = {"minima": mins, "lambda_max": lam, "model_penetration": model,
              "claimed": claimed, "resolved": resolved, "tolerance": tolfp}
    # cross-check the penetration test with offsetgeo's reachability predicate
    lr = np.array([is_reachable(f, mins if f.dim > 1 else mins[:, 0], rho) for rho in radii]).T
    arrays["is_reachable"] = lr
    agree = ~(lr & resolved & (meas > tolfp))
    if not agree.all():
        notes.append("offsetgeo.is_reachable disagrees with the penetration test on "
                     f"{int((~agree).sum())} resolved pair(s)")
    i, j = np.unravel_index(np.nanargmin(np.where(resolved, margin, np.nan)), margin.shape) \
        if resolved.any() else (0, n - 1)
    observed = (f"penetration {meas[i, j]:.3g} at ρλ={radii[j] * lam[i]:.3g}"
                if resolved.any() else "no resolved claim")
    return make_report("sharp-minima", case_label(f), "theorem", holds, radii, bound, meas, margin,
                        tolfp, "lower", None, assumptions, arrays, notes,
                        "ρ λ_max > 1 ⇒ ρ − d(c,Γ) > 0 (unreachable)", observed, t0)


# ======================================================================================
# 5. unreachable sets: open, growing


def unreachable_sets_grow(f, radii=None, *, window=None, resolution=None, period=None,
                          domain=None, quick=False) -> TheoremReport:
    """Unreachable sets are open and grow: ``ρ < ρ' ⇒ U_ρ ⊂ U_ρ'``.

    With the ironing gap ``G_ρ = f̄_ρ − f ≥ 0`` (``U_ρ = {G_ρ > 0}``), the continuum statement
    is ``G_ρ ≤ G_ρ'`` pointwise (a ρ'-ball missing Γ is a union of ρ-balls missing Γ).
    Measured for consecutive radii: ``max (G_ρ − G_ρ')`` over the samples certified in
    ``U_ρ`` (``G_ρ > 2 ε_close``); claimed ``≤ 0`` within ``ε_close(ρ) + ε_close(ρ')``; each
    of those samples must lie in ``U_ρ'`` (certified by ``G_ρ'`` or, where not, by the exact
    test :func:`is_reachable`). When no sample certifies ``U_ρ`` below the last radius the
    report has no verdict (``holds = None``) and says why: ``U_ρ`` empty (exact test), or
    non-empty but thinner than the sampling tolerance.
    Openness: ``f̄_ρ`` is L-Lipschitz, so ``G_ρ`` is continuous and ``U_ρ`` open; measured as
    the sampled Lipschitz constant of ``G_ρ`` against ``2L`` (+ ``4 ε_close / h``).

    Parameters
    ----------
    f : Function or str
    radii : array_like, optional
        At least two; default: multiples 0.5…12 of the critical radius.
    window : (lo, hi), optional
        Measured window for a non-periodic ``f`` (default: its domain or ``[-5, 5]``).
    resolution : float, optional
        Grid samples per unit length.
    period, domain : optional
        Applied to ``f`` when it is given as a string.
    quick : bool
        Fewer default radii and a coarser grid.

    Returns
    -------
    report : TheoremReport
        ``measured`` (n − 1,): ``max (G_ρ − G_ρ')`` per consecutive pair; ``arrays``: ``x``,
        ``gap``, ``measure`` (of ``U_ρ``), ``escapes`` (samples of ``U_ρ`` outside ``U_ρ'``),
        ``lipschitz_gap``, ``monotone``, ``open``.

    See Also
    --------
    unreachable_set : ``U_ρ`` of the analytic function, with refined edges.
    hemisphere_closing : the closing of samples used here.

    Examples
    --------
    >>> rep = unreachable_sets_grow("sin(x) + 0.3*sin(5*x)", radii=[0.1, 0.5, 2.0],
    ...                             period="2*pi", resolution=200)
    >>> rep.holds, bool(rep.arrays["measure"][-1] > rep.arrays["measure"][0])
    (True, True)
    """
    t0, (f,), radii = verifier_inputs("unreachable_sets_grow", (1, 2), radii,
                                      (f, dict(period=period, domain=domain)))
    periods, _ = periods_of(f)
    notes = []
    if radii is None:
        rc, _, src = critical_radius_of(f, periods)
        rc = rc if math.isfinite(rc) else 1.0
        mult = [0.5, 1.25, 3, 8] if quick else [0.5, 0.8, 1.25, 2, 3, 5, 8, 12]
        radii = rc * np.asarray(mult)
        notes.append(f"default radii around ρ_c = {rc:.5g} ({src})")
    if len(radii) < 2:
        raise ValueError("unreachable_sets_grow needs at least two radii")
    if periods is not None:
        grid = sample_graph(f, periods=periods, resolution=resolution, quick=quick)
        where = "one period (periodic closing)"
    else:
        box = f.window(window, require_bounded=False)
        margin = 0.0 if f.domain is not None else 2.0 * float(radii.max())
        grid = sample_graph(f, box=box, margin=margin, resolution=resolution, quick=quick)
        where = "the window" + (" (graph truncated to the domain)" if f.domain is not None
                                else " widened by 2ρ_max on each side")
    fcore = grid.values[grid.core]
    hmin = min(grid.spacing)
    cell = float(np.prod(grid.spacing))
    points = mesh(grid.core_axes)
    n = len(radii)
    gaps, eps, lip, meas_U = [], np.empty(n), np.empty(n), np.empty(n)
    for k, rho in enumerate(radii):
        c = grid.close(grid.values, rho)[grid.core]
        gap = c - fcore
        eps[k] = grid.eps_dil(rho) + grid.L * math.sqrt(grid.h2)
        lip[k] = lipschitz(gap, grid.spacing) / 1.25
        meas_U[k] = float(np.count_nonzero(gap > 2 * eps[k])) * cell
        gaps.append(gap)

    def unreachable(sel, rho):
        """Exact membership of U_ρ for the samples ``sel`` (one global projection each)."""
        pts = points[sel]
        return ~np.asarray(is_reachable(f, pts if f.dim > 1 else pts[:, 0], rho)) \
            if sel.size else np.zeros(0, dtype=bool)

    meas, bound, tol = np.full(n - 1, np.nan), np.zeros(n - 1), np.empty(n - 1)
    escapes = np.zeros(n - 1, dtype=np.int64)
    for k in range(n - 1):
        # U_ρ certified by the samples (G_ρ > 2ε_close), and U_ρ' there: certified, or exact
        inU = (gaps[k] > 2 * eps[k]).reshape(-1)
        tol[k] = eps[k] + eps[k + 1]
        if not inU.any():
            continue
        meas[k] = float(np.max((gaps[k] - gaps[k + 1]).reshape(-1)[inU]))
        doubt = np.flatnonzero(inU & (gaps[k + 1] <= 2 * eps[k + 1]).reshape(-1))
        escapes[k] = np.count_nonzero(~unreachable(doubt, radii[k + 1]))
    bound = np.where(np.isfinite(meas), 0.0, np.nan)
    margin = bound - meas
    fin = np.isfinite(margin)
    mono_ok = bool(np.all(margin[fin] >= -tol[fin])) and not escapes.any()
    lip_bound = 2 * grid.L + 4 * eps / hmin
    open_ok = bool(np.all(lip <= lip_bound))
    if not fin.any():
        # the samples see no U_ρ below the last radius: empty, or too thin to resolve? (an
        # exact test of at most 2000 evenly spread samples)
        pick = np.unique(np.linspace(0, points.shape[0] - 1, 2000).astype(np.int64))
        exact = unreachable(pick, radii[-2])
        share = float(np.mean(exact))
        if share > 0:
            notes.append(f"U_ρ is not empty (exact test: {share:.1%} of the samples at "
                         f"ρ = {radii[-2]:.4g}) but the closing of the samples cannot resolve "
                         f"it (G_ρ ≤ 2ε_close = {2 * eps[-2]:.2g} everywhere): no verdict at "
                         "this resolution; raise the resolution")
        else:
            notes.append(f"U_ρ is empty at {pick.size} samples (exact test) for every ρ but "
                         "the last: the inclusion is vacuous here, no verdict")
    notes.append(f"computed on {where}; U_ρ = samples with G_ρ > 2ε_close, "
                 f"ε_close = ε_dil + L sqrt(Σh²), L = {grid.L:.4g}; membership of U_ρ' "
                 f"tested exactly where the samples do not certify it: "
                 f"{int(escapes.sum())} sample(s) of U_ρ outside U_ρ'")
    notes.append(f"openness: sampled Lipschitz constant of G_ρ ≤ {lip.max():.4g} "
                 f"(certificate 2L = {2 * grid.L:.4g}): G_ρ continuous, U_ρ open")
    assumptions = {"f continuous": True}
    holds = (mono_ok and open_ok) if fin.any() else None
    arrays = {"x": grid.core_axes if f.dim > 1 else grid.core_axes[0],
              "gap": store(np.array(gaps)), "measure": meas_U, "lipschitz_gap": lip,
              "lipschitz_bound": lip_bound, "epsilon": eps, "escapes": escapes,
              "monotone": mono_ok, "open": open_ok}
    rate = None
    k = int(np.nanargmin(np.where(fin, margin, np.nan))) if fin.any() else 0
    observed = (f"max(G_ρ−G_ρ') = {meas[k]:.3g} (tol {tol[k]:.2g}); |U| {meas_U[0]:.3g}→{meas_U[-1]:.3g}"
                if fin.any() else "U_ρ unresolved by the samples")
    return make_report("unreachable-growth", case_label(f), "theorem", holds, radii, bound, meas,
                        margin, tol, "upper", rate, assumptions, arrays, notes,
                        "G_ρ ≤ G_ρ' (U_ρ ⊂ U_ρ'), G_ρ continuous", observed, t0)


