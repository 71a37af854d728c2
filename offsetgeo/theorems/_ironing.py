"""Statements 1-3: weak, linear and strong ironing (offsets for large radii)."""

from __future__ import annotations

import math

import numpy as np
import sympy

from .._function import Function
from .._offset import LocalOffset, _dilation
from ._assumptions import affine_check, boundedness, bounds_of, common_period, periods_of
from ._report import TheoremReport, case_label, make_report, verifier_inputs
from ._sampling import (exact_minima_1d, exact_offset_minima, exactness_notes, extrema,
                        farthest_distance, fit_exponent, fit_limit, sample_graph, store)

__all__ = ["weak_ironing", "linear_ironing", "strong_ironing"]


def weak_ironing(f, radii=None, *, window=None, resolution=None, period=None, domain=None,
                 quick=False) -> TheoremReport:
    """Weak ironing: ``sup_x |h_ρ(x) − ρ − M| ≤ ρ − sqrt(ρ² − D²)`` for ``ρ ≥ D``.

    ``M = sup f``, ``D = sup_x dist(x, argmax f)``; so ``h_ρ − ρ → M`` uniformly at rate
    ``≤ D²/ρ``. Needs a bounded ``f``: periodic (declared or detected by sympy) or given on a
    ``domain`` box (then the statement is about the graph over that box).

    Parameters
    ----------
    f : Function or str
    radii : array_like, optional
        Sweep of ρ, sorted and deduplicated (default:
        ``D · [1, 1.25, 1.6, 2, 3, 4, 6, 8, 12, 16, 24, 32]``).
        Radii below ``D`` are measured but carry no claim.
    window : (lo, hi), optional
        Only used for the informative measurement when boundedness fails.
    resolution : float, optional
        Grid samples per unit length (default 1000 in 1-D, 24 in 2-D).
    period, domain : optional
        Applied to ``f`` when it is given as a string.
    quick : bool
        Coarser grid and fewer default radii.

    Returns
    -------
    report : TheoremReport
        ``measured[k] = sup_x |h_ρ − ρ − M|``, ``bound[k] = ρ − sqrt(ρ² − D²)``;
        ``arrays``: ``x`` (grid axes), ``h`` (offsets over the sweep), ``M``, ``D``,
        ``argmax``. ``rate``: log-log exponent of measured vs ρ (claimed ≤ −1) and the limit
        of ``ρ · measured`` (claimed ``D²/2``).

    See Also
    --------
    offset_height : ``h_ρ`` at any points, exactly.
    phase_transition : the oscillation of ``h_ρ`` against ρ.

    Examples
    --------
    >>> rep = weak_ironing("sin(x)", radii=[4.0, 8.0], period="2*pi", resolution=200)
    >>> rep.holds, rep.verdict
    (True, 'holds')
    """
    t0, (f,), radii = verifier_inputs("weak_ironing", (1, 2), radii,
                                      (f, dict(period=period, domain=domain)))
    periods, psrc, bounded, box, bnote = bounds_of(f)
    assumptions = {"bounded": bounded}
    notes = []
    if bnote:
        notes.append(bnote + (f" (period {psrc})" if periods is not None else ""))
    if bounded is not True:
        # informative measurement on a window, no claim
        win = np.asarray(window if window is not None else [[-5.0, 5.0]] * f.dim, dtype=float)
        if win.ndim == 1:
            win = win[None, :]
        rr = radii if radii is not None else np.array([1.0, 2.0, 4.0, 8.0])
        meas = np.full(len(rr), np.nan)
        try:
            grid = sample_graph(f, box=win, margin=float(rr.max()), resolution=resolution,
                              quick=True)
            core = grid.values[grid.core]
            M = float(core.max())
            for k, rho in enumerate(rr):
                h = grid.dilate(grid.values, rho)[grid.core]
                meas[k] = float(np.max(np.abs(h - rho - M)))
            notes.append("measured on the window with M = its max: no claim (assumption fails)")
        except ValueError as err:
            notes.append(f"not measured: {err}")
        nan = np.full(len(rr), np.nan)
        return make_report("weak-ironing", case_label(f), "theorem", None, rr, nan, meas, nan,
                            nan, "upper", None, assumptions, {"window": win}, notes,
                            "h_ρ−ρ → sup f, rate ≤ D²/ρ", "not verified", t0)

    M, argmax, enote = extrema(f, +1, periods=periods, box=box)
    if enote:
        notes.append(enote)
    D = farthest_distance(argmax, periods=periods, box=box)
    if radii is None:
        base = max(D, 0.25)
        mult = [1, 1.6, 3, 6, 12, 24] if quick else [1, 1.25, 1.6, 2, 3, 4, 6, 8, 12, 16, 24, 32]
        radii = base * np.asarray(mult, dtype=float)
    grid = sample_graph(f, periods=periods, box=box, margin=0.0, resolution=resolution, quick=quick)
    n = len(radii)
    meas, bound, tol = np.empty(n), np.full(n, np.nan), np.empty(n)
    uncertified = []
    curves = [grid.dilate(grid.values, rho)[grid.core] for rho in radii]
    # h_ρ ≤ M + ρ everywhere: sup|h_ρ − ρ − M| = M + ρ − min h_ρ, the minimum exact
    for k, (rho, low) in enumerate(zip(radii, exact_offset_minima(f, radii, grid, curves))):
        meas[k] = M + rho - low.value
        tol[k] = low.precision + 1e-12 * (1 + abs(M))
        if not low.certified:
            uncertified.append(rho)
        if rho >= D:
            bound[k] = rho - math.sqrt(max(rho * rho - D * D, 0.0))
    margin = bound - meas
    claimed = np.isfinite(bound)
    holds = bool(np.all(margin[claimed] >= -tol[claimed])) if claimed.any() else None
    if not claimed.any():
        notes.append(f"no radius of the sweep satisfies ρ ≥ D = {D:.6g}: no claim")
    tail = radii >= 2 * max(D, 1e-12)
    slope, _ = fit_exponent(radii[tail], meas[tail], tol=float(np.max(tol)))
    lim = fit_limit(radii[tail], radii[tail] * meas[tail]) if tail.sum() >= 2 else float("nan")
    rate = {"exponent": slope, "claimed_exponent": -1.0, "limit_rho_times_measured": lim,
            "claimed_limit_at_most": D * D / 2.0}
    notes += exactness_notes("min h_ρ", tol, uncertified)
    arrays = {"x": grid.core_axes if f.dim > 1 else grid.core_axes[0], "h": store(np.array(curves)),
              "M": M, "D": D, "argmax": argmax, "tolerance": tol}
    k = int(np.nanargmin(np.where(claimed, margin, np.nan))) if claimed.any() else n - 1
    claim = f"sup|h−ρ−M| ≤ ρ−√(ρ²−D²), D={D:.4g}"
    observed = f"{meas[k]:.4g} vs {bound[k]:.4g} at ρ={radii[k]:.3g}"
    return make_report("weak-ironing", case_label(f), "theorem", holds, radii, bound, meas, margin,
                        tol, "upper", rate, assumptions, arrays, notes, claim, observed, t0)



def tilted_deficit(rho, a, D, osc):
    """Largest possible M + h^f − h^{f+φ} for slope a when every x has an argmax of φ within D.

    With s = sqrt(1 + a²) the ball on the line touches at x + ρa/s; the nearest argmax of φ,
    at offset t (|t| ≤ D), lifts h^{f+φ} to at least h^f + M − (g(0) − g(t)),
    g(t) = a t + sqrt(ρ² − (ρa/s + t)²) concave with g'(0) = 0. Always ≤ osc φ.
    """
    s = math.sqrt(1.0 + a * a)
    u0 = rho * a / s
    vals = []
    for t in (-D, D):
        q = rho * rho - (u0 + t) ** 2
        if q < 0:
            return osc
        vals.append(a * t + math.sqrt(q))
    return min(rho / s - min(vals), osc)


def linear_ironing(f, phi, radii=None, *, resolution=None, period=None,
                   quick=False) -> TheoremReport:
    """Linear ironing: f affine, φ bounded continuous recurrent ⇒ offsets of f and f + φ agree
    up to the translation ``sup φ`` as ρ → ∞.

    Measured: ``δ(ρ) = sup_x |h^{f+φ}_ρ(x) − h^f_ρ(x) − sup φ|`` (h^f is exact:
    ``a x + b + ρ sqrt(1 + a²)``). Claimed bound (weak ironing along the tilted line):
    ``δ(ρ) ≤ ρ/s − min_{t=±D} [a t + sqrt(ρ² − (ρ a/s + t)²)] ≈ s³ D²/(2ρ)``, ``s = sqrt(1+a²)``,
    ``D`` the farthest distance to argmax φ; so δ → 0 at rate 1/ρ. Only periodic φ
    (declared, or detected by sympy) is accepted as recurrent. d = 1.

    Parameters
    ----------
    f : Function or str
        The affine base ``a x + b`` (checked symbolically).
    phi : Function or str
        The bounded perturbation.
    radii : array_like, optional
        Default ``D · [1, 1.6, 2.5, 4, 6, 10, 16, 25, 40]``.
    resolution : float, optional
        Grid samples per unit length.
    period : optional
        Period of ``φ`` when given as a string.
    quick : bool
        Coarser grid and fewer default radii.

    Returns
    -------
    report : TheoremReport
        ``measured[k] = δ(ρ_k)`` against the tilted-deficit bound; ``arrays``: ``x``,
        ``difference`` (the curves), ``slope``, ``sup_phi``, ``D``.

    See Also
    --------
    weak_ironing : the case of slope 0.
    strong_ironing : the conjecture for any bounded difference.

    Examples
    --------
    >>> rep = linear_ironing("0.5*x", "sin(3*x)", radii=[2.0, 4.0], resolution=200)
    >>> rep.holds, rep.assumptions["f affine"]
    (True, True)
    """
    t0, (f, phi), radii = verifier_inputs("linear_ironing", (1,), radii, (f, {}),
                                          (phi, dict(period=period, what="phi")))
    aff, a, b = affine_check(f)
    periods, psrc, bounded, box, bnote = bounds_of(phi)
    assumptions = {"f affine": aff, "phi bounded": bounded,
                   "phi recurrent": True if periods is not None else
                   f"periodicity of φ could not be established ({psrc})"}
    notes = [bnote] if bnote else []
    case = f"f = {case_label(f)}; φ = {case_label(phi)}"
    if not all(v is True for v in assumptions.values()):
        rr = radii if radii is not None else np.array([1.0, 2.0, 4.0])
        nan = np.full(len(rr), np.nan)
        notes.append("not measured: an assumption fails")
        return make_report("linear-ironing", case, "theorem", None, rr, nan, nan, nan, nan,
                            "upper", None, assumptions, {}, notes,
                            "sup|h^{f+φ}−h^f−sup φ| → 0", "not verified", t0)
    P = periods[0]
    M, argmax, _ = extrema(phi, +1, periods=periods)
    m, _, _ = extrema(phi, -1, periods=periods)
    D = farthest_distance(argmax, periods=periods)
    if radii is None:
        base = max(D, 0.25)
        mult = [1, 2.5, 6, 16, 40] if quick else [1, 1.6, 2.5, 4, 6, 10, 16, 25, 40]
        radii = base * np.asarray(mult, dtype=float)
    # f + φ on [−ρmax, P + ρmax]: the offset minus the line is P-periodic, measure one period
    g = Function(f.expr + phi.expr.subs(phi.symbols[0], f.symbols[0]), f.variables)
    grid = sample_graph(g, box=[[0.0, P]], margin=float(radii.max()), resolution=resolution,
                      quick=quick)
    x = grid.core_axes[0]
    n = len(radii)
    meas, bound, tol = np.empty(n), np.empty(n), np.empty(n)
    curves, uncertified = [], []
    offsets = [grid.dilate(grid.values, rho)[grid.core] for rho in radii]
    # h^{f+φ} ≤ h^f + sup φ: the sup of |diff| is at the exact minimum of h^{f+φ} − a x
    lows = exact_offset_minima(g, radii, grid, offsets, tilt=a)
    for k, (rho, h, low) in enumerate(zip(radii, offsets, lows)):
        lift = b + rho * math.sqrt(1 + a * a)
        diff = h - a * x - lift - M
        meas[k] = M + lift - low.value
        bound[k] = tilted_deficit(rho, a, D, M - m)
        tol[k] = low.precision + 1e-12 * (1 + abs(M))
        if not low.certified:
            uncertified.append(rho)
        curves.append(diff)
    margin = bound - meas
    holds = bool(np.all(margin >= -tol))
    slope, _ = fit_exponent(radii, meas, tol=float(np.max(tol)))
    rate = {"exponent": slope, "claimed_exponent": -1.0,
            "limit_rho_times_measured": fit_limit(radii[radii >= 2 * D], (radii * meas)[radii >= 2 * D]),
            "claimed_limit_at_most": (1 + a * a) ** 1.5 * D * D / 2.0}
    decreasing = bool(np.all(np.diff(meas) <= tol[1:]))
    notes.append(f"measured {'decreases' if decreasing else 'does not decrease monotonically'} "
                 f"over the sweep; fitted exponent {slope:.3f}")
    notes += exactness_notes("min (h^(f+φ) − a x)", tol, uncertified)
    arrays = {"x": x, "difference": store(np.array(curves)), "slope": a, "intercept": b,
              "sup_phi": M, "D": D, "tolerance": tol, "decreasing": decreasing}
    k = int(np.argmin(margin))
    return make_report("linear-ironing", case, "theorem", holds, radii, bound, meas, margin, tol,
                        "upper", rate, assumptions, arrays, notes,
                        f"sup|h^(f+φ)−h^f−sup φ| ≤ tilted deficit ≈ s³D²/2ρ → 0, D={D:.4g}",
                        f"{meas[k]:.4g} vs {bound[k]:.4g} at ρ={radii[k]:.3g}; ρ^{slope:.2f}", t0)



def strong_ironing(f, g, radii=None, *, window=None, resolution=None, period=None,
                   quick=False) -> TheoremReport:
    """Strong ironing (a conjecture): ``sup|f − g| < ∞ ⇒ min_c sup_x |h^g_ρ − h^f_ρ − c| → 0``.

    Measured on a window (one common period when f and g are periodic):
    ``δ(ρ) = (max Δ − min Δ)/2`` with ``Δ = h^g_ρ − h^f_ρ`` (the optimal ``c`` is the midrange,
    kept in ``arrays["c"]``). The report is evidence: ``holds`` is None, ``arrays["evidence"]``
    says whether δ decreases over the sweep ("supports"), not ("against") or is too small to
    tell ("inconclusive"). d = 1.

    Parameters
    ----------
    f, g : Function or str
        The two functions (``sup|f − g| < ∞`` is checked where possible).
    radii : array_like, optional
        Default ``[0.5, 1, 2, …, 64]``.
    window : (lo, hi), optional
        The measured window when f and g have no common period (default ``[-5, 5]``).
    resolution : float, optional
        Grid samples per unit length.
    period : optional
        Period of both functions when given as strings.
    quick : bool
        Fewer default radii and a coarser grid.

    Returns
    -------
    report : TheoremReport
        ``kind = "conjecture"``, ``holds = None``; ``measured = δ(ρ)``; ``arrays``: ``x``,
        ``difference``, ``c``, ``evidence``.

    See Also
    --------
    linear_ironing : the proven case of an affine ``f`` and periodic ``g − f``.

    Examples
    --------
    >>> rep = strong_ironing("sin(x)", "sin(x) + 0.5*sin(7*x)", radii=[2.0, 8.0],
    ...                      period="2*pi", resolution=200)
    >>> rep.kind, rep.holds, rep.arrays["evidence"]
    ('conjecture', None, 'supports')
    """
    t0, (f, g), radii = verifier_inputs("strong_ironing", (1,), radii,
                                        (f, dict(period=period)),
                                        (g, dict(period=period, what="g")))
    if radii is None:
        radii = np.array([0.5, 2, 8, 32] if quick else [0.5, 1, 2, 4, 8, 16, 32, 64], dtype=float)
    if f.expr is not None and g.expr is not None:
        expr_d = sympy.simplify(g.expr.subs(g.symbols[0], f.symbols[0]) - f.expr)
        if not expr_d.free_symbols:
            bdd, bnote = True, "g − f is constant"
        else:
            diff = Function(expr_d, f.variables)
            pd, _ = periods_of(diff)
            bdd, _, bnote = boundedness(diff, pd)
    else:
        bdd, bnote = "cannot establish sup|f − g| < ∞ for callable functions", ""
    assumptions = {"sup|f-g| finite": bdd}
    notes = ["conjecture (stated in one seed): the report is evidence, not proof"]
    if bnote:
        notes.append("g − f: " + bnote)
    P = common_period(f, g)
    if P is not None:
        gf = sample_graph(f, periods=P, resolution=resolution, quick=quick)
        gg = sample_graph(g, periods=P, resolution=resolution, quick=quick)
        wtxt = f"one common period {P[0]:.6g}"
    else:
        win = np.asarray(window if window is not None else
                         (f.domain if f.domain is not None else [[-5.0, 5.0]]), dtype=float)
        if win.ndim == 1:
            win = win[None, :]
        margin = 0.0 if f.domain is not None else float(radii.max())
        gf = sample_graph(f, box=win, margin=margin, resolution=resolution, quick=quick)
        gg = sample_graph(g, box=win, margin=margin, resolution=resolution, quick=quick)
        wtxt = f"window [{win[0, 0]:.4g}, {win[0, 1]:.4g}]"
    n = len(radii)
    meas, cs, tol = np.empty(n), np.empty(n), np.empty(n)
    x = gf.core_axes[0]
    hf = [gf.dilate(gf.values, rho)[gf.core] for rho in radii]
    curves = np.array([gg.dilate(gg.values, rho)[gg.core] for rho in radii]) - np.array(hf)
    # the extremes of Δ = h^g − h^f (minima of Δ and of −Δ, every radius at once), refined
    # on the exact offsets from the samples'
    slack = np.array([gf.eps_dil(rho) + gg.eps_dil(rho) + gf.eps_grid(dlt)
                      for rho, dlt in zip(radii, curves)])
    rho2, sign = np.concatenate([radii, radii]), np.repeat([1.0, -1.0], n)

    def delta(t, which):
        r = rho2[which]
        return sign[which] * (_dilation(g, t[:, None], r)[0] - _dilation(f, t[:, None], r)[0])

    def near(starts, which):   # the offsets from the starts' contact branches
        hf, hg = LocalOffset(f, starts[:, None], rho2[which]), LocalOffset(g, starts[:, None],
                                                                           rho2[which])
        return lambda t, rows: sign[which[rows]] * (hg(t[:, None], rows) - hf(t[:, None], rows))

    ends = exact_minima_1d(delta, x, np.concatenate([curves, -curves]),
                           np.concatenate([slack, slack]), gf.spacing[0], periodic=gf.periodic,
                           local=near)
    for k, (low, high) in enumerate(zip(ends[:n], ends[n:])):
        meas[k] = 0.5 * (-high.value - low.value)
        cs[k] = 0.5 * (-high.value + low.value)
        tol[k] = 0.5 * (low.precision + high.precision)
    slope, _ = fit_exponent(radii, meas, tol=float(np.max(tol)))
    if meas[0] <= tol[0] and meas[-1] <= tol[-1]:
        evidence = "inconclusive"
    elif meas[-1] < meas[0] - tol[0] and np.isfinite(slope) and slope < 0:
        evidence = "supports"
    else:
        evidence = "against"
    if evidence == "against":
        notes.append("δ does not decrease over the sweep: where the contact slopes s of the "
                     "offset grow with ρ (e.g. a parabola), the tilted-ball deficit "
                     "~ s³D²/(2ρ) of linear ironing need not vanish")
    notes.append(f"measured on {wtxt}: δ goes from {meas[0]:.3g} (ρ={radii[0]:.3g}) to "
                 f"{meas[-1]:.3g} (ρ={radii[-1]:.3g}), fitted exponent {slope:.3f}")
    nan = np.full(n, np.nan)
    arrays = {"x": gf.core_axes[0], "difference": store(curves), "c": cs,
              "tolerance": tol, "evidence": evidence}
    rate = {"exponent": slope, "claimed_exponent": None}
    return make_report("strong-ironing", f"f = {case_label(f)}; g = {case_label(g)}", "conjecture", None,
                        radii, nan, meas, nan, tol, "none", rate, assumptions, arrays, notes,
                        "min_c sup|h^g−h^f−c| → 0 (conjecture)",
                        f"{meas[0]:.3g} → {meas[-1]:.3g}; ρ^{slope:.2f}", t0)


