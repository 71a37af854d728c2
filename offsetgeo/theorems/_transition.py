"""Statement 6: the phase transition of the offset's oscillation."""

from __future__ import annotations

import math

import numpy as np

from ._assumptions import bounds_of
from .._reachability import max_ball_radius
from ._reachability import critical_radius_of
from ._report import TheoremReport, case_label, make_report, verifier_inputs
from ._sampling import (exact_offset_minima, exactness_notes, extrema, farthest_distance,
                        fit_limit, sample_graph)

__all__ = ["phase_transition", "transition_radius"]


def transition_radius(f, minimisers):
    """``ρ_g = sup{ρ : some global minimiser is ρ-reachable} = max_m t*(m)``: the largest free
    ball resting on a global minimiser (:func:`offsetgeo.max_ball_radius`, bisection to
    ``1e-13`` relative; reachability of a point is monotone in ρ).

    Returns (ρ_g, uncertainty).
    """
    mins = np.atleast_2d(minimisers)
    t = np.asarray(max_ball_radius(f, mins if f.dim > 1 else mins[:, 0], t_max=1e3))
    rho = float(np.max(t))
    return rho, 1e-13 * rho if math.isfinite(rho) else 0.0


def phase_transition(f, radii=None, *, resolution=None, period=None, domain=None,
                     quick=False) -> TheoremReport:
    """Phase transition of the oscillation ``osc(ρ) = max h_ρ − min h_ρ``.

    Claims checked: ``osc(ρ) = max f − min f`` for ``ρ ≤ ρ_g`` (a global minimiser is
    ρ-reachable; ``ρ_g ≥ ρ_c``, equal for ``sin``) and ``osc(ρ) < max f − min f`` beyond;
    ``osc`` non-increasing; ``osc(ρ) ≤ ρ − sqrt(ρ² − D²)`` for ``ρ ≥ D`` (weak ironing).
    Reported (not claimed at finite ρ): the limit of ``ρ · osc(ρ)`` from a fit
    ``A + B/ρ + C/ρ²`` against ``D²/2`` (``π²/2`` for ``sin``, where ``ρ_c = 1``).
    ``bound = max f − min f`` and, for ``ρ ≥ D``, ``min(max f − min f, ρ − sqrt(ρ² − D²))``.

    Parameters
    ----------
    f : Function or str
        Bounded: periodic or with a domain.
    radii : array_like, optional
        Default: multiples 0.25…50 of ``ρ_g``, plus ``8D`` and ``16D``.
    resolution : float, optional
        Grid samples per unit length.
    period, domain : optional
        Applied to ``f`` when it is given as a string.
    quick : bool
        Fewer default radii and a coarser grid.

    Returns
    -------
    report : TheoremReport
        ``measured = osc(ρ)``; ``arrays``: ``rho_g`` (largest ρ with a reachable global
        minimiser), ``rho_c``, ``plateau_error``, ``rho_times_osc``, ``D``.

    See Also
    --------
    weak_ironing : the bound ``ρ − sqrt(ρ² − D²)`` used beyond ``D``.
    critical_radius : ``ρ_c``.

    Examples
    --------
    >>> rep = phase_transition("sin(x)", radii=[0.5, 2.0], period="2*pi", resolution=200)
    >>> rep.holds, round(rep.arrays["rho_g"], 3)
    (True, 1.0)
    """
    t0, (f,), radii = verifier_inputs("phase_transition", (1, 2), radii,
                                      (f, dict(period=period, domain=domain)))
    periods, psrc, bounded, box, bnote = bounds_of(f)
    assumptions = {"bounded": bounded}
    notes = [bnote] if bnote else []
    if bounded is not True:
        rr = radii if radii is not None else np.array([1.0])
        nan = np.full(len(rr), np.nan)
        return make_report("phase-transition", case_label(f), "theorem", None, rr, nan, nan, nan, nan,
                            "upper", None, assumptions, {}, notes,
                            "osc h_ρ = max f − min f up to ρ_g", "not verified", t0)
    M, argmax, _ = extrema(f, +1, periods=periods, box=box)
    m, argmin, _ = extrema(f, -1, periods=periods, box=box)
    D = farthest_distance(argmax, periods=periods, box=box)
    rho_g, rho_g_err = transition_radius(f, argmin)
    rho_c, wit, csrc = critical_radius_of(f, periods)
    if radii is None:
        mult = ([0.25, 0.75, 1.5, 3, 8, 20, 50] if quick else
                [0.25, 0.5, 0.75, 0.9, 1.1, 1.5, 2, 3, 5, 8, 12, 20, 30, 50])
        radii = rho_g * np.asarray(mult)
        if radii.max() < 8 * D:  # reach the asymptotic regime
            radii = np.concatenate([radii, D * np.array([8.0, 16.0])])
        radii = np.unique(radii)
    grid = sample_graph(f, periods=periods, box=box, resolution=resolution, quick=quick)
    n = len(radii)
    osc, tol = np.empty(n), np.empty(n)
    hmins, uncertified = [], []
    # max h_ρ = M + ρ (the ball above a global maximiser); min h_ρ exact
    offsets = [grid.dilate(grid.values, rho)[grid.core] for rho in radii]
    for k, (rho, low) in enumerate(zip(radii, exact_offset_minima(f, radii, grid, offsets))):
        osc[k] = M + rho - low.value
        tol[k] = low.precision + 1e-12 * (1 + abs(M) + abs(m))
        if not low.certified:
            uncertified.append(rho)
        hmins.append(low.value - rho)
    amp = M - m
    bound = np.full(n, amp)
    wi = radii >= D
    bound[wi] = np.minimum(amp, radii[wi] - np.sqrt(radii[wi] ** 2 - D * D))
    margin = bound - osc
    band = max(rho_g_err, 1e-6 * rho_g)
    below = radii <= rho_g - band
    above = radii > rho_g + band
    plateau_err = np.abs(osc - amp)
    plateau_ok = bool(np.all(plateau_err[below] <= tol[below]))
    upper_ok = bool(np.all(margin >= -tol))
    mono_ok = bool(np.all(np.diff(osc) <= tol[1:] + tol[:-1]))
    drop_claim = above & (radii >= 1.5 * rho_g)
    # the theorem says the oscillation drops past ρ_g, not how fast: just past ρ_g the drop
    # can stay below the sampling tolerance, so it must be seen at some radius of the sweep
    # beyond 1.5 ρ_g (with osc non-increasing, it then stays down)
    drop_ok = bool(np.any(osc[drop_claim] < amp - tol[drop_claim])) if drop_claim.any() else True
    holds = plateau_ok and upper_ok and mono_ok and drop_ok
    tail = radii >= max(3 * rho_g, 2 * D)
    lim = fit_limit(radii[tail], radii[tail] * osc[tail]) if tail.sum() >= 2 else float("nan")
    rate = {"limit_rho_times_osc": lim, "claimed_limit": D * D / 2.0,
            "relative_error": abs(lim - D * D / 2) / (D * D / 2) if D > 0 else float("nan"),
            "rho_times_osc_at_max_radius": float(radii[-1] * osc[-1])}
    notes.append(f"ρ_g = {rho_g:.12g} ± {rho_g_err:.1g} (largest free ball resting on a global "
                 f"minimiser); ρ_c = {rho_c:.12g} ({csrc})")
    notes += exactness_notes("osc = M + ρ − min h_ρ, the minimum", tol, uncertified)
    notes.append(f"plateau |osc − (max f − min f)| ≤ {plateau_err[below].max() if below.any() else float('nan'):.3g} "
                 f"below ρ_g; osc non-increasing: {mono_ok}; drop seen beyond 1.5ρ_g: {drop_ok}")
    notes.append(f"ρ·osc → {lim:.5g} (fit A + B/ρ + C/ρ² over ρ ≥ {max(3 * rho_g, 2 * D):.3g}); "
                 f"D²/2 = {D * D / 2:.5g}")
    arrays = {"osc": osc, "min_h_minus_rho": np.array(hmins), "amplitude": amp, "M": M, "m": m,
              "D": D, "rho_g": rho_g, "rho_g_error": rho_g_err, "rho_c": rho_c,
              "rho_c_witness": wit, "argmin": argmin, "argmax": argmax, "tolerance": tol,
              "plateau_error": plateau_err, "rho_times_osc": radii * osc}
    claim = f"osc = {amp:.4g} for ρ ≤ ρ_g={rho_g:.4g}, then drops; ρ·osc → D²/2={D * D / 2:.4g}"
    observed = (f"plateau err {plateau_err[below].max() if below.any() else float('nan'):.2g}; "
                f"ρ·osc → {lim:.4g}")
    return make_report("phase-transition", case_label(f), "theorem", holds, radii, bound, osc, margin,
                        tol, "upper", rate, assumptions, arrays, notes, claim, observed, t0)


