"""Figures of the offset geometry: height decay, unreachable sets, medial axes, a 2-D surface."""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage
from scipy.optimize import minimize_scalar

import offsetgeo
import offsetgeo.plot as gplot

from ._registry import FigureResult, figure, new_figure

__all__ = ["height_decay", "unreachable_sets", "medial_axis", "surface_2d",
           "HEIGHT_DECAY_RADII", "oscillation"]

#: radii every height-decay sweep contains (also with --quick)
HEIGHT_DECAY_RADII = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
#: the multi-scale 1-D loss of the geometry figures (critical radius 1/8.5)
WIGGLY = "sin(x) + 0.3*sin(5*x)"
#: the 2-D loss of surface_2d (the default case of ``offsetgeo verify unreachable-growth``)
SURFACE = "sin(x)*cos(y) + 0.2*sin(3*x)"


def _periodic(expr):
    return offsetgeo.Function(expr, period="2*pi")


def oscillation(f, rho, samples=512):
    """``max h_ρ − min h_ρ`` over one period of a periodic 1-D loss, and where they are.

    ``h_ρ`` is exact (:func:`offsetgeo.offset_height`) on ``samples`` points of the period;
    the best sample of each extreme is refined by a bounded scalar search on the exact
    ``h_ρ`` within one sample spacing (golden section copes with the kinks of ``h_ρ``).

    Returns
    -------
    osc : float
    argmax, argmin : float
    """
    lo, hi = f.sample_box[0]
    x = np.linspace(lo, hi, samples, endpoint=False)
    step = x[1] - x[0]
    h = offsetgeo.offset_height(f, x, rho)
    best = []
    for sign in (1.0, -1.0):
        i = int(np.argmax(sign * h))

        def objective(t, sign=sign):
            return -sign * offsetgeo.offset_height(f, t, rho)

        res = minimize_scalar(objective, bounds=(x[i] - step, x[i] + step), method="bounded",
                              options={"xatol": 1e-10})
        value = -sign * float(res.fun)
        best.append((float(res.x), value) if sign * value > sign * h[i] else (x[i], h[i]))
    (xmax, hmax), (xmin, hmin) = best
    return float(hmax - hmin), float(xmax), float(xmin)


@figure("Height decay: the oscillation of the offset of sin against ρ")
def height_decay(quick):
    f = _periodic("sin(x)")
    sweep = np.geomspace(0.1, 100.0, 7 if quick else 31)
    rho = np.unique(np.concatenate([sweep, HEIGHT_DECAY_RADII]))
    results = np.array([oscillation(f, r, 256 if quick else 512) for r in rho])
    osc = results[:, 0]
    reference = math.pi ** 2 / (2 * rho)
    fig, ax = new_figure(height=2.8)
    rx = np.geomspace(1.0, rho.max(), 200)
    gplot.radius_sweep(rho, osc, ax=ax, label=r"$\max h_\rho - \min h_\rho$ (exact)",
                       reference=(rx, math.pi ** 2 / (2 * rx)), reference_label=r"$\pi^2/(2\rho)$",
                       ylabel=r"oscillation of $h_\rho$", legend=False)
    ax.axhline(2.0, color="0.5", lw=0.7, ls=":", label=r"$\max f - \min f = 2$")
    ax.axvline(1.0, color="0.5", lw=0.7, ls="-.", label=r"$\rho_c = 1$")
    gplot.outside_legend(ax)
    below = rho <= 1.0
    i5 = int(np.flatnonzero(rho == 5.0)[0])
    plateau = float(np.max(np.abs(osc[below] - 2.0)))
    caption = (f"Oscillation max h_ρ − min h_ρ of the upper offset of sin over one period, at "
               f"{rho.size} radii, from exact offsets (global search + Newton) with the extremes "
               f"refined. Plateau: |osc − 2| ≤ {plateau:.1e} for ρ ≤ ρ_c = 1 (the seeds' "
               f"'every radius below ρ_c behaves like 0'). Beyond, the decay approaches π²/(2ρ) "
               f"only slowly: osc(5) = {osc[i5]:.6f}, {osc[i5] / reference[i5]:.4f} × π²/(2ρ); "
               f"osc(100) = {osc[-1]:.6f}, {osc[-1] / reference[-1]:.4f} × π²/(2ρ).")
    data = {"rho": rho, "oscillation": osc, "reference": reference, "ratio": osc / reference,
            "argmax": results[:, 1], "argmin": results[:, 2], "rho_c": 1.0,
            "function": "sin(x)", "period": 2 * math.pi}
    return FigureResult(fig, data, caption)


@figure("Unreachable sets U_ρ of a multi-scale loss around its critical radius")
def unreachable_sets(quick):
    f = _periodic(WIGGLY)
    reach = offsetgeo.reach(f, method="curvature")
    rc = reach.value
    rho = rc * np.array([0.8, 1.25, 2.0, 4.0, 8.0])
    sets = [offsetgeo.unreachable_set(f, float(r)) for r in rho]
    fig, ax = new_figure(height=2.8)
    gplot.unreachable(f, rho, ax=ax, precomputed=sets)
    growing = bool(np.all(np.diff([U.measure for U in sets]) >= 0))
    counts = "; ".join(f"ρ = {U.rho:.4g}: {len(U.intervals) - int(U.wraps)} component(s), "
                       f"|U_ρ| = {U.measure:.4f}" for U in sets)
    caption = (f"f = {WIGGLY} over one period; critical radius ρ_c = 1/max κ = {rc:.10f} "
               f"(curvature {1 / rc:.6g} at θ = {float(np.ravel(reach.witness)[0]):.6f}). "
               f"Bands: U_ρ = {{θ : f̄_ρ(θ) > f(θ)}} at "
               f"ρ = (0.8, 1.25, 2, 4, 8) × ρ_c, from global footpoint tests on 2048 points "
               f"with edges where the ball's penetration depth vanishes (Brent's method, to "
               f"round-off; a component across the period end counted once). Below ρ_c: "
               f"{'empty' if all(U.empty for U in sets if U.rho < rc) else 'NOT empty'}; "
               f"measure {'growing' if growing else 'NOT monotone'} with ρ. {counts}.")
    data = {"function": WIGGLY, "period": 2 * math.pi, "rho_c": rc, "rho": rho,
            "sets": [{"rho": U.rho, "intervals": U.intervals, "measure": U.measure}
                     for U in sets]}
    return FigureResult(fig, data, caption)


@figure("Upper and lower medial axes of a multi-scale loss, with maximal balls")
def medial_axis(quick):
    f = _periodic(WIGGLY)
    axes = [offsetgeo.medial_axis(f, side) for side in ("upper", "lower")]
    fig, ax = new_figure(height=3.6)
    gplot.medial_axis(f, "both", ax=ax, balls=3, precomputed=axes)
    data, parts = {"function": WIGGLY, "period": 2 * math.pi}, []
    for axis in axes:
        r = offsetgeo.reach(f, axis.side, method="curvature")
        nearest = float(axis.radius.min())
        data[axis.side] = {"reach": r.value, "witness": r.witness, "nearest_sampled": nearest,
                           "branches": [{"centre": b.centre, "radius": b.radius,
                                         "footpoints": b.footpoints} for b in axis.branches]}
        parts.append(f"{axis.side}: {len(axis.branches)} branches; its nearest sampled point "
                     f"is {nearest:.6f} from Γ, the {axis.side} reach 1/max κ is {r.value:.6f} "
                     f"(above θ = {float(np.ravel(r.witness)[0]):.4f})")
    caption = (f"f = {WIGGLY}. Each point of a medial axis is the centre of a maximal ball "
               "that touches Γ twice (dotted: to its two footpoints) or osculates it at a "
               "branch's end; the distance from Γ to the axis is the reach. "
               + "; ".join(parts) + ". Rays above the troughs and below the crests leave the "
               "picture.")
    return FigureResult(fig, data, caption)


def _extent(U) -> dict:
    """Area, share, bounding box and connected components of a 2-D unreachable mask."""
    gx, gy = U.grid
    mask = U.mask
    labels, count = ndimage.label(mask)
    ii, jj = np.nonzero(mask)
    bbox = ([float(gx[ii].min()), float(gx[ii].max()), float(gy[jj].min()), float(gy[jj].max())]
            if ii.size else None)
    return {"rho": U.rho, "measure": U.measure, "fraction": float(mask.mean()),
            "bounding_box": bbox, "components": int(count), "grid": [gx, gy],
            "mask": mask.astype(np.int8)}


@figure("A 2-D loss with its unreachable sets at two radii")
def surface_2d(quick):
    g = _periodic(SURFACE)
    rc = offsetgeo.reach(g, method="curvature").value
    radii = (0.5, 1.5)
    fig, axes = new_figure(width=0.9 * gplot.TEXT_WIDTH, height=3.0, ncols=2)
    sets = [offsetgeo.unreachable_set(g, r) for r in radii]
    for k, (ax, r, U) in enumerate(zip(axes, radii, sets)):
        gplot.surface(g, rho=r, ax=ax, colorbar=k == 1, legend=False, precomputed=[U])
        ax.set_title(f"({'ab'[k]}) " + r"$U_\rho$, $\rho$ = " + f"{r:g}", loc="left")
    extents = [_extent(U) for U in sets]
    parts = "; ".join(f"ρ = {e['rho']:g}: {100 * e['fraction']:.1f} % of the torus, "
                      f"{e['components']} grid component(s)" for e in extents)
    caption = (f"f = {SURFACE} on one period in each variable (critical radius ρ_c = "
               f"{rc:.6f}). Hatched: U_ρ from a 96 × 96 grid of global footpoint tests; dots: "
               f"its boundary refined by bisection along θ₁. {parts} (components counted on "
               "the grid, without wrapping).")
    data = {"function": SURFACE, "period": 2 * math.pi, "rho_c": rc, "radii": list(radii),
            "masks": extents}
    return FigureResult(fig, data, caption)
