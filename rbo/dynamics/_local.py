"""One-step statements: the centre descends the offset, the first-order step, the SAM limit.

Each measures one RBO step of the driver (:func:`rbo.rolling_ball`, exact projections)
against a closed form over a decade of the small parameter (η, or ρ for the SAM limit) and
fits the order of the error; a claimed order ``p`` holds when the fitted exponent is within
the band stated in each docstring.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize_scalar

from offsetgeo import (footpoint, is_reachable, normal_point, offset_height, principal_curvatures,
                       unreachable_set)
from offsetgeo.theorems._assumptions import find_minima, minimum_check, periods_of
from offsetgeo.theorems._report import TheoremReport, case_label, make_report, verifier_inputs

from .._objective import objective as as_objective
from ._steps import (DRIVER_TOL, SPREAD, asymptotic_sweep, centre_x, derivatives,
                     driver_steps, first_order_steps, odd_part, rate_margin, usam_steps)

__all__ = ["offset_descent", "first_order", "sam_limit", "sample_points", "ironed_steps"]

#: band of a fitted order over a decade of η where the next term is O(η^(p+1)) with
#: η_max |C_{p+1}/C_p| ≲ 0.1: the exponent is at least p − 0.25 (a wrong formula, whose error
#: has order p − 1, is off by ≥ 1). An error of higher order than claimed is consistent with
#: the claim (``+ O(η²)`` is an upper bound): it happens where the η² coefficient vanishes.
ORDER_BAND = 0.25
#: relative floor below which an error is round-off of the driver, not a measurement
FLOOR = 1e2 * DRIVER_TOL


def _span(values) -> str:
    """``min–max`` of the finite values, or "unresolved"."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return f"{v.min():.3g}–{v.max():.3g}" if v.size else "unresolved"


def _median(values) -> float:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else float("nan")


def _lrs(lrs, quick):
    if lrs is None:
        return np.geomspace(1e-3, 1e-2, 3 if quick else 5)
    lrs = np.sort(np.asarray(lrs, dtype=float).reshape(-1))
    if lrs.size < 2 or not np.all(np.isfinite(lrs)) or lrs[0] <= 0:
        raise ValueError("lrs must be at least two positive finite learning rates")
    return lrs


def _one_step_inputs(name, f, radius, thetas, lrs, period, domain, points, quick):
    """The checked inputs of a one-step verifier: ``(t0, f, lrs, objective, contact points)``
    (the points given, or :func:`sample_points`)."""
    t0, (f,), _ = verifier_inputs(name, (1, 2), None, (f, dict(period=period, domain=domain)))
    pts = (sample_points(f, radius, max(points // (2 if quick else 1), 4)) if thetas is None
           else np.asarray(thetas, dtype=float).reshape(-1, f.dim))
    return t0, f, _lrs(lrs, quick), as_objective(f), pts


def _second_order_sweep(measure, lrs, floor, n):
    """:func:`asymptotic_sweep` of an O(η²) error at ``n`` points, and the fitted order and
    its margin above ``2 − ORDER_BAND`` per point: ``(lrs, errors, shifts, order, margin)``."""
    lrs, errors, shifts = asymptotic_sweep(measure, lrs, floor, 2)
    fits = [rate_margin(lrs, errors[k], 2.0 - ORDER_BAND, math.inf, floor) for k in range(n)]
    order = np.array([p for p, _ in fits], dtype=float).reshape(-1)
    margin = np.array([m for _, m in fits], dtype=float).reshape(-1)
    return lrs, errors, shifts, order, margin


def sample_points(f, radius, count, *, min_grad=1e-2, max_rho_kappa=0.8):
    """Contact points for one-step statements: a grid over ``f.sample_box`` (``count``
    points in 1-D, ``⌈√count⌉²`` in 2-D), kept where ``|∇f| ≥ min_grad`` (the step moves),
    ``ρ κ_max ≤ max_rho_kappa`` (away from the focal distance) and ``θ`` is ρ-reachable."""
    box = f.sample_box
    m = count if f.dim == 1 else int(math.ceil(math.sqrt(count)))
    axes = [lo + (hi - lo) * (np.arange(m) + 0.5) / m for lo, hi in box]
    pts = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, f.dim)
    _, g, _ = derivatives(f, pts)
    kmax = principal_curvatures(f, pts)[:, 0]
    keep = (np.linalg.norm(g, axis=1) >= min_grad) & (radius * kmax <= max_rho_kappa)
    pts = pts[keep]
    if pts.shape[0]:
        reach = np.asarray(is_reachable(f, pts if f.dim > 1 else pts[:, 0], radius)).reshape(-1)
        pts = pts[reach]
    return pts


def _offset_gradient(f, x, radius):
    """``∇h_ρ(x)`` per row of ``x`` (n, d) from central differences ``D(ε)`` of
    :func:`offsetgeo.offset_height`, Richardson-extrapolated: ``E(ε) = (4D(ε) − D(2ε))/3``
    (error O(ε⁴)); returned with an error bound: ``|E(ε) − E(2ε)|`` (15 times its estimate
    ``|E(ε) − E(2ε)|/15``) plus round-off."""
    n, d = x.shape
    eps = 1e-4 * (1.0 + np.abs(x).max(axis=1))
    grads, errs = np.empty((n, d)), np.zeros(n)
    h0 = np.asarray(offset_height(f, x if d > 1 else x[:, 0], radius)).reshape(n)
    for i in range(d):
        e = np.zeros((n, d))
        e[:, i] = eps
        diff = []
        for k in (1.0, 2.0, 4.0):
            hp = np.asarray(offset_height(f, x + k * e if d > 1 else (x + k * e)[:, 0], radius))
            hm = np.asarray(offset_height(f, x - k * e if d > 1 else (x - k * e)[:, 0], radius))
            diff.append((hp.reshape(n) - hm.reshape(n)) / (2 * k * eps))
        fine, coarse = (4.0 * diff[0] - diff[1]) / 3.0, (4.0 * diff[1] - diff[2]) / 3.0
        grads[:, i] = fine
        errs += np.abs(fine - coarse) + 1e2 * np.finfo(float).eps * (1 + np.abs(h0)) / eps
    return grads, errs


def _ironed_graph(f, radius):
    """The graph of ``f̄_ρ`` in 1-D: ``f`` outside the unreachable intervals, and over each
    interval ``(a, b)`` the lower arc of the circle of radius ρ through ``p(a)`` and ``p(b)``
    (centre ``m = p(a) + ρ n(a)``, the ball resting on both ends)."""
    period = None if f.period is None else f.period[0]
    window = None if period is not None or f.domain is not None else tuple(f.sample_box[0])
    U = unreachable_set(f, radius, window=window)
    arcs = []
    for a, b in U.intervals:
        m = normal_point(np.array([[a]]), f.value(np.array([a])),
                         np.atleast_2d(f.grad(np.array([a]))).reshape(1, 1), radius)[0]
        arcs.append((float(a), float(b), m))
    return U, arcs, period


def ironed_steps(f, radius, z, U, arcs, period):
    """Nearest point of the graph of ``f̄_ρ`` to each candidate centre ``z`` (n, 2) (1-D),
    and the centre of the ball of radius ρ resting there: ``p + ρ n`` on ``f`` outside
    ``U_ρ``, the arc's centre on an arc.

    Returns ``(theta (n,), centre_x (n,), on_arc (n,))``.
    """
    n = z.shape[0]
    shifts = [0.0] if period is None else [-period, 0.0, period]
    res = footpoint(f, z, on_failure="ignore")
    th = np.asarray(res.theta, dtype=float).reshape(n)
    best = np.where(_in_unreachable(U, th, period), np.inf, np.asarray(res.distance, float))
    out_th, out_x, on_arc = th.copy(), np.full(n, np.nan), np.zeros(n, bool)
    for a, b, m in arcs:
        for s in shifts:
            v = z - (m + np.array([s, 0.0]))
            nv = np.linalg.norm(v, axis=1)
            q = m[0] + s + radius * v[:, 0] / nv
            inside = (q >= a + s) & (q <= b + s) & (v[:, 1] < 0)
            dist = np.where(inside, np.abs(radius - nv), np.inf)
            better = dist < best
            best = np.where(better, dist, best)
            out_th = np.where(better, q, out_th)
            out_x = np.where(better, m[0] + s, out_x)
            on_arc |= better
    # the nearest graph point of f outside U_ρ when the global one lies inside it (rare):
    # dense samples outside U_ρ, polished
    for k in np.flatnonzero(~np.isfinite(best)):
        R = 2.0 * radius + abs(z[k, 1] - float(f.value(np.array([z[k, 0]]))))
        xs = np.linspace(z[k, 0] - R, z[k, 0] + R, 20001)
        d2 = (xs - z[k, 0]) ** 2 + (f.value(xs) - z[k, 1]) ** 2
        d2[_in_unreachable(U, xs, period)] = np.inf
        i = int(np.argmin(d2))
        h = xs[1] - xs[0]
        r = minimize_scalar(lambda t: (t - z[k, 0]) ** 2 + (float(f.value(np.array([t])))
                                                            - z[k, 1]) ** 2,
                            bounds=(xs[i] - h, xs[i] + h), method="bounded",
                            options={"xatol": 1e-14})
        out_th[k], best[k] = r.x, math.sqrt(r.fun)
    plain = ~on_arc
    if plain.any():
        _, g, _ = derivatives(f, out_th[plain][:, None])
        out_x[plain] = centre_x(out_th[plain][:, None], g, radius)[:, 0]
    return out_th, out_x, on_arc


def _in_unreachable(U, x, period):
    """``x ∈ U_ρ``, for intervals of a periodic ``U_ρ`` that may reach past one period."""
    if period is None:
        return U.contains(x)
    x = np.mod(x, period)
    return U.contains(x) | U.contains(x + period) | U.contains(x - period)


def offset_descent(f, radius=0.2, thetas=None, lrs=None, *, period=None, domain=None,
                   points=16, ironed=True, quick=False) -> TheoremReport:
    """The centre descends the upper offset: ``x' = x − η ∇h_ρ(x) + O(η²)``.

    Claims checked, at contact points ``θ`` (:func:`sample_points`) with centre
    ``x = θ − ρ g/s``:

    1. ``∇h_ρ(x) = ∇f(θ)``, with ``∇h_ρ`` by central differences of
       :func:`offsetgeo.offset_height` (tolerance: their Richardson error estimate plus
       round-off);
    2. the driver's new centre ``x'`` against ``x − η ∇h_ρ(x)`` over the decade ``lrs``
       (moved down into the asymptotic regime by :func:`asymptotic_sweep`): the fitted
       order of the error is ``≥ 2 − ORDER_BAND`` at every point where it is resolved;
    3. (1-D, ``U_ρ ≠ ∅``) RBO on the ironed function ``f̄_ρ`` from the same reachable contact
       points (the graph of ``f̄_ρ`` built from the unreachable intervals: ``f`` outside, arcs
       of radius ρ over them): where the driver's new contact point is ρ-reachable the two
       new centres agree to ``1e-8 (1 + ρ)`` (learning rates ``10 lrs``, large enough for
       steps across ``U_ρ``); the other steps (the contact lands in ``U_ρ``: a jump across
       the medial axis, where the contact point is not unique) are reported with their
       order in η, no claim.

    Parameters
    ----------
    f : Function or str
        One or two variables.
    radius : float
        ρ.
    thetas : array_like, optional
        Contact points (default: :func:`sample_points` with ``points`` samples).
    lrs : array_like, optional
        Learning rates, default ``geomspace(1e-3, 1e-2, 5)`` (3 with ``quick``).
    period, domain : optional
        Applied to ``f`` when it is given as a string.
    points : int
        Grid size of the default contact points.
    ironed : bool
        Run claim 3 (1-D).
    quick : bool
        Fewer learning rates and points.

    Returns
    -------
    report : TheoremReport
        ``radii``: ρ per learning rate; ``measured`` (k,): the fitted order at each point;
        ``bound``: ``2 − ORDER_BAND`` (a lower bound); ``margin = order − bound``.
        ``arrays``: ``lr``, ``thetas``, ``error`` (k, n), ``gradient_error`` and ``gradient_tolerance``, and for the ironed
        comparison ``ironed_error`` (n, m), ``ironed_defined`` (n, m).

    See Also
    --------
    first_order : the same step in the contact point's coordinates.
    offsetgeo.offset_height : ``h_ρ``.

    Examples
    --------
    >>> rep = offset_descent("cos(x) + 0.25*cos(3*x)", 0.2, thetas=[0.4], quick=True)
    >>> rep.holds, round(float(rep.measured[0]), 1)
    (True, 2.0)
    """
    t0, f, lrs, obj, pts = _one_step_inputs("offset_descent", f, radius, thetas, lrs, period,
                                            domain, points, quick)
    notes, arrays = [], {"thetas": pts}
    if pts.shape[0] == 0:
        nan = np.full(1, np.nan)
        return make_report("rbo-offset-descent", case_label(f), "theorem", None, [radius], nan,
                           nan, nan, 0.0, "upper", None, {"contact points": "none found"},
                           arrays, notes, "x' = x − η∇h_ρ(x) + O(η²)", "not verified", t0)
    _, g, _ = derivatives(f, pts)
    x = centre_x(pts, g, radius)
    dh, dh_tol = _offset_gradient(f, x, radius)
    grad_err = np.linalg.norm(dh - g, axis=1)
    grad_ok = bool(np.all(grad_err <= dh_tol))

    def measure(sweep):
        errors = np.empty((pts.shape[0], sweep.size))
        for j, eta in enumerate(sweep):
            st = driver_steps(obj, pts, eta, radius)
            errors[:, j] = np.linalg.norm(st.new_centre[:, :-1] - (x - eta * dh), axis=1)
        # below 10 η × the gradient's error bound an error is not resolved
        return np.where(errors > 10 * sweep[None, :] * dh_tol[:, None], errors, np.nan)

    floor = FLOOR * (1 + np.abs(x).max())
    given = lrs
    lrs, errors, shifts, order, margin = _second_order_sweep(measure, lrs, floor, pts.shape[0])
    seen = np.isfinite(order)
    holds = (grad_ok and bool(np.all(margin[seen] >= 0))) if seen.any() else None
    if not seen.all():
        notes.append(f"{int((~seen).sum())} point(s) unresolved (errors below 10 η × the "
                     "gradient's error bound, or the driver's round-off): no claim there")
    if shifts:
        notes.append(f"sweep moved down ×10^{shifts} into the asymptotic regime (local orders "
                     f"spread by > {SPREAD} over {np.round(given, 6).tolist()})")
    arrays.update(lr=lrs, error=errors, gradient_error=grad_err, gradient_tolerance=dh_tol,
                  centre=x, grad_h=dh)
    notes.append(f"∇h_ρ(x) = ∇f(θ): max |difference| {grad_err.max():.2g} (central differences "
                 f"of offset_height; tolerance ≥ {dh_tol.min():.2g}): {grad_ok}")
    ironed_text = ""
    if f.dim == 1 and ironed:
        ironed_ok, ironed_text = _ironed_comparison(f, obj, radius, given, quick, arrays, notes)
        holds = holds and ironed_ok is not False
    claim = f"x' − (x − η∇h_ρ(x)) = O(η²) (order ≥ {2 - ORDER_BAND}), ∇h_ρ(x) = g(θ)"
    observed = (f"order {_span(order)} at {len(order)} points; "
                f"|∇h−g| ≤ {grad_err.max():.1g}" + ironed_text)
    rate = {"exponent": _median(order), "claimed_exponent": 2, "band": ORDER_BAND}
    return make_report("rbo-offset-descent", case_label(f), "theorem", holds,
                       np.full(lrs.size, radius), np.full(order.shape, 2.0 - ORDER_BAND), order,
                       margin, 0.0, "lower", rate, {"contact points reachable, ρκ ≤ 0.8": True},
                       arrays, notes, claim, observed, t0)


def _ironed_comparison(f, obj, radius, lrs, quick, arrays, notes):
    """Claim 3 of :func:`offset_descent`; returns (holds or None, text for the table)."""
    U, arcs, period = _ironed_graph(f, radius)
    if U.empty:
        notes.append(f"U_ρ is empty at ρ = {radius:g}: f̄_ρ = f, RBO on both is the same run")
        return None, ""
    lo, hi = f.sample_box[0]
    m = 48 if quick else 128
    grid = lo + (hi - lo) * (np.arange(m) + 0.5) / m
    grid = grid[np.asarray(is_reachable(f, grid, radius))]
    err = np.empty((grid.size, lrs.size))
    defined = np.empty((grid.size, lrs.size), bool)
    lrs = 10 * lrs
    for j, eta in enumerate(lrs):
        st = driver_steps(obj, grid[:, None], eta, radius)
        z = st.centre - eta * _tau(f, grid[:, None])
        _, bar_x, _ = ironed_steps(f, radius, z, U, arcs, period)
        err[:, j] = np.abs(bar_x - st.new_centre[:, 0])
        defined[:, j] = np.asarray(is_reachable(f, st.theta[:, 0], radius))
    tol = 1e-8 * (1 + radius)
    same = err[defined]
    ok = bool(np.all(same <= tol))
    jumps = np.where(defined, np.nan, err)
    worst = np.array([np.nanmax(c) if np.isfinite(c).any() else np.nan for c in jumps.T])
    p = (rate_margin(lrs, worst, 0.0, 0.0)[0] if np.isfinite(worst).sum() >= 2
         else float("nan"))
    arrays.update(ironed_thetas=grid, ironed_lr=lrs, ironed_error=err, ironed_defined=defined,
                  ironed_jump_error=worst, unreachable_intervals=U.intervals)
    notes.append(f"RBO on f̄_ρ (U_ρ = {np.round(U.intervals, 4).tolist()}): {int(defined.sum())} "
                 f"steps with a reachable new contact point, max centre difference "
                 f"{same.max() if same.size else float('nan'):.2g} (claim ≤ {tol:.1g}): {ok}; "
                 f"{int((~defined).sum())} steps into U_ρ (jumps across the medial axis), max "
                 f"difference {np.nanmax(worst) if np.isfinite(worst).any() else float('nan'):.2g}"
                 f", order {p:.2g} in η (no claim)")
    return ok, f"; on f̄_ρ: same ≤ {same.max() if same.size else float('nan'):.0e}"


def _tau(f, thetas):
    """The lifted descent direction ``τ = (g, |g|²)`` per row."""
    _, g, _ = derivatives(f, thetas)
    return np.concatenate([g, np.sum(g * g, axis=1, keepdims=True)], axis=1)


def first_order(f, radius=0.2, thetas=None, lrs=None, *, period=None, domain=None, points=16,
                quick=False) -> TheoremReport:
    """One RBO step is ``θ − η (I − ρW)⁻¹ g + O(η²)`` while ``ρ κ_max < 1``.

    ``W = (1/s)(I + g gᵀ)⁻¹ ∇²f`` (from the Hessian, dense). Measured at contact points
    ``θ`` (:func:`sample_points`: reachable, ``ρκ_max ≤ 0.8``, ``|g| ≥ 0.01``): the distance
    between the driver's new contact point and the formula over the decade ``lrs`` (moved
    down into the asymptotic regime by :func:`asymptotic_sweep`); claimed: fitted order
    ``≥ 2 − ORDER_BAND`` at every point.

    Parameters
    ----------
    f : Function or str
        One or two variables.
    radius : float
        ρ.
    thetas : array_like, optional
        Contact points (default: :func:`sample_points`).
    lrs : array_like, optional
        Learning rates, default ``geomspace(1e-3, 1e-2, 5)``.
    period, domain : optional
        Applied to ``f`` when it is given as a string.
    points : int
        Grid size of the default contact points.
    quick : bool
        Fewer learning rates and points.

    Returns
    -------
    report : TheoremReport
        ``measured``: fitted order per point; ``bound``: ``2 − ORDER_BAND``; ``arrays``:
        ``lr``, ``thetas``, ``error`` (k, n), ``error_over_lr2`` (the constant of the O(η²)).

    See Also
    --------
    offset_descent : the same step seen from the centre.
    rbo.rolling_ball : ``solver="first-order"`` takes this step.

    Examples
    --------
    >>> rep = first_order("cos(x) + 0.25*cos(3*x)", 0.2, thetas=[0.4], quick=True)
    >>> rep.holds, round(float(rep.measured[0]), 1)
    (True, 2.0)
    """
    t0, f, lrs, obj, pts = _one_step_inputs("first_order", f, radius, thetas, lrs, period,
                                            domain, points, quick)

    def measure(sweep):
        errors = np.empty((pts.shape[0], sweep.size))
        for j, eta in enumerate(sweep):
            st = driver_steps(obj, pts, eta, radius)
            errors[:, j] = np.linalg.norm(st.theta - first_order_steps(f, pts, eta, radius),
                                          axis=1)
        return errors

    floor = FLOOR * (1 + np.abs(pts).max(initial=0.0))
    given = lrs
    lrs, errors, shifts, order, margin = _second_order_sweep(measure, lrs, floor, pts.shape[0])
    seen = np.isfinite(order)
    holds = bool(np.all(margin[seen] >= 0)) if seen.any() else None
    arrays = {"lr": lrs, "thetas": pts, "error": errors, "error_over_lr2": errors / lrs ** 2}
    notes = [] if not shifts else [
        f"sweep moved down ×10^{shifts} into the asymptotic regime (local orders spread by > "
        f"{SPREAD} over {np.round(given, 6).tolist()})"]
    notes += [f"{pts.shape[0]} contact points; error/η² in "
             f"[{np.min(errors / lrs ** 2, initial=np.inf):.3g}, "
             f"{np.max(errors / lrs ** 2, initial=0.0):.3g}]"]
    claim = f"θ' − (θ − η(I − ρW)⁻¹g) = O(η²) (order ≥ {2 - ORDER_BAND})"
    observed = (f"order {_span(order)} at {order.size} points" if order.size
                else "no contact points")
    rate = {"exponent": _median(order), "claimed_exponent": 2, "band": ORDER_BAND}
    return make_report("rbo-first-order", case_label(f), "theorem", holds,
                       np.full(lrs.size, radius), np.full(order.shape, 2.0 - ORDER_BAND), order,
                       margin, 0.0, "lower", rate, {"ρκ_max ≤ 0.8 at the contact points": True},
                       arrays, notes, claim, observed, t0)


#: slack of the SAM-limit orders beyond their exact linear-order band (O(δ²) remainders of
#: the odd parts and the driver's round-off)
SAM_SLACK = 0.1


def sam_limit(f, minimum=None, lr=0.05, radii=None, *, delta=1e-3, period=None, domain=None,
              quick=False) -> TheoremReport:
    """Near a critical point the RBO step is the unnormalised SAM step to O(ρ²); GD's is O(ρ).

    At a local minimum ``θ*`` (Hessian eigenvalues ``λ_i``, ``q = ρ λ_max < 1``) the linear
    parts of the three maps (odd parts ``(Φ(θ* + δv) − Φ(θ* − δv))/2`` over directions ``v``:
    eigenvectors, and their normalised sum) differ, along ``v_i``, by exactly
    ``ηλ_i (ρλ_i)²/(1 − ρλ_i)`` (RBO − uSAM) and ``ηλ_i ρλ_i/(1 − ρλ_i)`` (RBO − GD), so over
    ``ρ ≤ ρ_max`` their fitted orders lie in ``[2, 2 + q/(1 − q)]`` and ``[1, 1 + q/(1 − q)]``
    (``q = ρ_max λ_max``); claimed with a slack ``SAM_SLACK`` for the O(δ²) remainders.

    Parameters
    ----------
    f : Function or str
        One or two variables.
    minimum : array_like, optional
        ``θ*`` (checked to be a local minimum); default: the first local minimum found.
    lr : float
        η.
    radii : array_like, optional
        Default ``geomspace(0.02, 0.2, 5) / λ_max``.
    delta : float
        Size of the offsets ``δ``.
    period, domain : optional
        Applied to ``f`` when it is given as a string.
    quick : bool
        Three radii.

    Returns
    -------
    report : TheoremReport
        ``measured``: the two fitted orders (uSAM, GD); ``bound``: 2 and 1;
        ``margin``: the distance of each order inside its band (two-sided); ``arrays``:
        ``usam_error``, ``gd_error`` (relative to δ, max over directions), ``lambda``.

    See Also
    --------
    rbo.sam : ``normalize=False`` is the unnormalised SAM step.
    linear_stability : the multipliers of the same linear map.

    Examples
    --------
    >>> rep = sam_limit("cos(x) + 0.25*cos(3*x)", [math.pi], quick=True)
    >>> rep.holds, [round(float(p)) for p in rep.measured]
    (True, [2, 1])
    """
    t0, (f,), radii = verifier_inputs("sam_limit", (1, 2), radii,
                                      (f, dict(period=period, domain=domain)))
    assumptions = {}
    if minimum is None:
        found = find_minima(f, periods_of(f)[0])
        if found.shape[0] == 0:
            raise ValueError(f"no local minimum of {f} found on its sample box; pass minimum=")
        minimum = found[0]
    centre = np.asarray(minimum, dtype=float).reshape(f.dim)
    ok, lam_max, _, lam = minimum_check(f, centre)
    assumptions["local minimum"] = ok
    if radii is None:
        radii = np.geomspace(0.02, 0.2, 3 if quick else 5) / lam_max
    obj = as_objective(f)
    _, _, H = derivatives(f, centre[None])
    w, V = np.linalg.eigh(H[0])
    dirs = list(V.T)
    if f.dim > 1:
        dirs.append(V.sum(axis=1) / math.sqrt(f.dim))
    offsets = delta * np.array(dirs)

    def grad(ts):
        return derivatives(f, ts)[1]

    gd = odd_part(lambda ts: ts - lr * grad(ts), centre, offsets)
    e_sam, e_gd = np.empty(len(radii)), np.empty(len(radii))
    for k, rho in enumerate(radii):
        rbo_part = odd_part(lambda ts: driver_steps(obj, ts, lr, rho).theta, centre, offsets)
        sam_part = odd_part(lambda ts: usam_steps(grad, ts, lr, rho), centre, offsets)
        e_sam[k] = np.max(np.linalg.norm(rbo_part - sam_part, axis=1)) / delta
        e_gd[k] = np.max(np.linalg.norm(rbo_part - gd, axis=1)) / delta
    q = float(np.max(radii)) * lam_max
    extra = q / (1 - q) if q < 1 else float("inf")
    floor = FLOOR * (1 + np.abs(centre).max()) / delta
    p_sam, m_sam = rate_margin(radii, e_sam, 2 - SAM_SLACK, 2 + extra + SAM_SLACK, floor)
    p_gd, m_gd = rate_margin(radii, e_gd, 1 - SAM_SLACK, 1 + extra + SAM_SLACK, floor)
    margin = np.array([m_sam, m_gd])
    holds = None if ok is not True else bool(np.all(np.nan_to_num(margin, nan=-1) >= 0))
    where = ", ".join(f"{v:.4g}" for v in centre)
    arrays = {"usam_error": e_sam, "gd_error": e_gd, "lambda": lam, "minimum": centre,
              "lr": lr, "delta": delta,
              "usam_predicted": lr * lam_max * (radii * lam_max) ** 2 / (1 - radii * lam_max)}
    notes = [f"minimum ({where}), λ = {np.round(lam, 4).tolist()}, η = {lr:g}, δ = {delta:g}; "
             f"ρ from {radii[0]:.3g} to {radii[-1]:.3g} (ρλ_max ≤ {q:.3g})"]
    claim = (f"RBO−uSAM = O(ρ²), RBO−GD = O(ρ): orders in [2, {2 + extra:.2f}], "
             f"[1, {1 + extra:.2f}] ± {SAM_SLACK}")
    observed = f"orders {p_sam:.3g} (uSAM), {p_gd:.3g} (GD)"
    return make_report("rbo-sam-limit", case_label(f) + f" at ({where})", "theorem", holds,
                       radii, np.array([2.0, 1.0]), np.array([p_sam, p_gd]), margin, 0.0,
                       "upper", {"exponent_usam": p_sam, "exponent_gd": p_gd,
                                 "claimed": [2, 1], "band_width": extra + 2 * SAM_SLACK},
                       assumptions, arrays, notes, claim, observed, t0)
