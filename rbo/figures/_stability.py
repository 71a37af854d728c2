"""Figures of RBO's dynamics: the linear-stability multipliers, and how far the first-order
(projection-free) step and the SAM limit are from exact RBO.

Every "exact" RBO run projects with the driver's Newton solver certified global
(``tol = 1e-13``); the verifiers behind the claims are in :mod:`rbo.dynamics`.
"""

from __future__ import annotations

import numpy as np

import offsetgeo
import offsetgeo.plot as gplot

from .. import losses, objective, rolling_ball, run, sam, sgd
from ..dynamics import multiplier, stability_threshold
from ..dynamics._steps import driver_steps, odd_part
from ._registry import FigureResult, figure, new_figure

__all__ = ["rbo_stability", "rbo_first_order", "STABILITY_PAIRS", "FIRST_ORDER_CASE"]

#: (η, ρ) of the stability figure: one η (gradient descent's, drawn for contrast) and three ρ
STABILITY_PAIRS = ((0.1, 0.3), (0.1, 0.1), (0.1, 0.03))

#: the loss, radius, start, horizon η·N and minimum of the first-order figure
FIRST_ORDER_CASE = {"f": "cos(x) + 0.25*cos(3*x)", "rho": 0.2, "theta0": 0.4, "horizon": 2.0,
                    "minimum": np.pi, "sam_lr": 0.05, "sam_start": 0.01, "sam_steps": 60}


def _measured_multipliers(lams, lr, rho, delta=1e-4):
    """The driver's multiplier on ``½ λ θ²`` for each λ: the odd part of one step at ±δ."""
    out = []
    for lam in lams:
        obj = losses.quadratic(np.array([[lam]]))
        part = odd_part(lambda ts: driver_steps(obj, ts, lr, rho).theta, np.zeros(1),
                        np.array([[delta]]))
        out.append(float(part[0, 0]) / delta)
    return np.array(out)


@figure("Linear stability of RBO at a minimum: the multiplier 1 − ηλ/(1 − ρλ) against the "
        "sharpness λ")
def rbo_stability(quick):
    fig, ax = new_figure(width=gplot.TEXT_WIDTH * 0.62, height=3.0)
    lo = -2.0
    data = {"pairs": []}
    ax.axhspan(-1.0, 1.0, color="0.93", zorder=0, lw=0)
    for k, (lr, rho) in enumerate(STABILITY_PAIRS):
        colour = gplot.PALETTE[k]
        hi = 0.985 / rho
        lam = np.linspace(lo, hi, 400)
        ax.plot(lam, multiplier(lam, lr, rho), color=colour, lw=1.2,
                label=f"η = {lr:g}, ρ = {rho:g}")
        thr = stability_threshold(lr, rho)
        top = 4.0 / (lr + 4.0 * rho)               # m = −3, the bottom of the axes
        pts = np.linspace(lo, top, 5 if quick else 9)
        pts = np.unique(np.concatenate([pts, [0.97 * thr, 1.03 * thr]]))
        meas = _measured_multipliers(pts, lr, rho)
        ax.plot(pts, meas, "o", ms=3.5, mfc="white", mec=colour, mew=1.0, zorder=5)
        ax.axvline(thr, color=colour, lw=0.8, ls=":")
        data["pairs"].append({"lr": lr, "rho": rho, "threshold": thr, "focal": 1 / rho,
                              "lambda": pts, "measured": meas,
                              "predicted": multiplier(pts, lr, rho),
                              "max_error": float(np.max(np.abs(meas - multiplier(pts, lr, rho))))})
    # the one-step map is linear up to O(δ²) with a constant that grows like 1/(1 − ρλ)^k:
    # measured points stop at m = −3 (the axes), where it is still below 1e-4
    lam = np.linspace(lo, 25.0, 50)
    ax.plot(lam, 1 - 0.1 * lam, color="0.45", lw=0.9, ls="--", label="GD, η = 0.1")
    ax.axvline(2 / 0.1, color="0.45", lw=0.8, ls=":")
    ax.plot([], [], color="0.3", lw=0.8, ls=":", label=r"threshold $2/(\eta + 2\rho)$")
    ax.plot([], [], "o", ms=3.5, mfc="white", mec="0.3", label="measured (exact RBO)")
    ax.axhline(-1.0, color="0.3", lw=0.7)
    ax.axhline(1.0, color="0.3", lw=0.7)
    ax.set_xlim(lo, 21.5)
    ax.set_ylim(-3.2, 1.6)
    ax.set_xlabel(r"Hessian eigenvalue $\lambda$ at the minimum")
    ax.set_ylabel(r"multiplier $m$ per step")
    gplot.outside_legend(ax, side="right")
    worst = max(p["max_error"] for p in data["pairs"])
    thresholds = ", ".join(f"{p['threshold']:.3g}" for p in data["pairs"])
    caption = ("Along an eigenvector of the Hessian at a minimum one RBO step multiplies the "
               "offset by m = 1 − ηλ/(1 − ρλ) (curves); circles: the exact driver's step on "
               "½λθ² (odd part of one step at ±1e-4), within "
               f"{worst:.1g} of the curve (λ up to m = −3), saddle directions (λ < 0) "
               "included. The run is stable where |m| < 1 (shaded): up to λ = 2/(η + 2ρ) (dotted: "
               f"{thresholds}), below the focal sharpness 1/ρ where m → −∞, and far below "
               "gradient descent's 2/η (dashed: GD with the same η = 0.1, stable up to 20).")
    return FigureResult(fig, data, caption)


def _exact_run(obj, lr, rho, theta0, steps):
    return run(obj, rolling_ball(lr, rho, solver="newton", tol=1e-13), np.array([theta0]),
               steps, on_failure="ignore")


def _distance(a, b):
    n = min(a.theta.shape[0], b.theta.shape[0])
    return float(np.max(np.abs(np.asarray(a.theta)[:n] - np.asarray(b.theta)[:n])))


@figure("The cheap RBO: trajectory distance of the first-order step and of SAM from exact RBO")
def rbo_first_order(quick):
    c = FIRST_ORDER_CASE
    f = offsetgeo.Function(c["f"])
    obj = objective(f)
    lrs = np.geomspace(0.003, 0.1, 4 if quick else 7)
    rho = c["rho"]
    rows = {"first-order (CG)": None, "Neumann, 1 term": 1, "Neumann, 3 terms": 3}
    dist = {name: [] for name in rows}
    dist["unnormalised SAM"] = []
    for lr in lrs:
        steps = int(round(c["horizon"] / lr))
        exact = _exact_run(obj, lr, rho, c["theta0"], steps)
        for name, terms in rows.items():
            cheap = run(obj, rolling_ball(lr, rho, solver="first-order", terms=terms,
                                          tol=1e-13), np.array([c["theta0"]]), steps,
                        on_failure="ignore")
            dist[name].append(_distance(exact, cheap))
        usam = run(obj, sam(lr, rho, normalize=False), np.array([c["theta0"]]), steps)
        dist["unnormalised SAM"].append(_distance(exact, usam))
    # near the minimum: RBO against unnormalised SAM and GD over ρ
    lam = float(f.hess(c["minimum"]))
    radii = np.geomspace(0.02, 0.2, 3 if quick else 6) / lam
    start = c["minimum"] + c["sam_start"]
    near = {"unnormalised SAM": [], "gradient descent": []}
    for r in radii:
        exact = _exact_run(obj, c["sam_lr"], r, start, c["sam_steps"])
        for name, opt in (("unnormalised SAM", sam(c["sam_lr"], r, normalize=False)),
                          ("gradient descent", sgd(c["sam_lr"]))):
            tr = run(obj, opt, np.array([start]), c["sam_steps"])
            near[name].append(_distance(exact, tr))
    fig, (ax1, ax2) = new_figure(width=gplot.TEXT_WIDTH, height=3.0, ncols=2)
    markers = "osD^"
    for k, (name, d) in enumerate(dist.items()):
        ax1.loglog(lrs, d, marker=markers[k], ms=3.5, color=gplot.PALETTE[k], lw=1.0,
                   label=name)
    _slope(ax1, lrs, np.array(dist["first-order (CG)"]), 1, "slope 1")
    ax1.set_xlabel(r"learning rate $\eta$ (same horizon $\eta N$ = " + f"{c['horizon']:g})")
    ax1.set_ylabel(r"$\max_t |\theta_t - \theta_t^{\mathrm{RBO}}|$")
    ax1.set_title(f"(a) f = cos x + ¼ cos 3x, from θ₀ = {c['theta0']:g}, ρ = {rho:g}",
                  fontsize="medium")
    ax1.legend(loc="lower right", fontsize="small")
    for k, (name, d) in enumerate(near.items()):
        ax2.loglog(radii, d, marker=markers[k], ms=3.5, color=gplot.PALETTE[4 + k], lw=1.0,
                   label=f"RBO vs {name}")
        _slope(ax2, radii, np.array(d), 2 if k == 0 else 1, f"slope {2 if k == 0 else 1}")
    ax2.set_xlabel(r"radius $\rho$ (η = " + f"{c['sam_lr']:g}, {c['sam_steps']} steps)")
    ax2.set_ylabel(r"$\max_t |\theta_t - \theta_t^{\mathrm{RBO}}|$")
    ax2.set_title(f"(b) near the minimum θ* = π, from θ* + {c['sam_start']:g}",
                  fontsize="medium")
    ax2.legend(loc="lower right", fontsize="small")
    for ax in (ax1, ax2):
        gplot.log_ticks(ax.xaxis)
    fo = np.array(dist["first-order (CG)"])
    slope_fo = float(np.polyfit(np.log(lrs), np.log(fo), 1)[0])
    slope_sam = float(np.polyfit(np.log(radii), np.log(near["unnormalised SAM"]), 1)[0])
    slope_gd = float(np.polyfit(np.log(radii), np.log(near["gradient descent"]), 1)[0])
    data = {"case": c, "lr": lrs, "distance": dist, "radii": radii, "near_minimum": near,
            "lambda": lam, "slope_first_order": slope_fo, "slope_usam": slope_sam,
            "slope_gd": slope_gd}
    caption = (f"On f = {c['f']}. (a) Over a fixed horizon ηN, the first-order step "
               "θ − η(I − ρW)⁻¹g (conjugate gradients, no projection) stays within O(η) of exact RBO (fitted slope "
               f"{slope_fo:.2f}; its one-step error is O(η²), `rbo verify rbo-first-order`). "
               "Truncated Neumann series and unnormalised SAM follow other flows, so their "
               "distance stops shrinking with η (1 term: the omitted (ρW)²(I − ρW)⁻¹g, "
               "O((ρκ)²); unnormalised SAM: the missing metric factor (I + ggᵀ)⁻¹/s, O(ρ|g|²κ)): "
               f"{dist['Neumann, 1 term'][0]:.2g} and {dist['unnormalised SAM'][0]:.2g} at the "
               f"smallest η, against {dist['first-order (CG)'][0]:.2g} for CG. (b) Near a "
               f"minimum the roles reverse: over {c['sam_steps']} steps from θ* + "
               f"{c['sam_start']:g}, unnormalised SAM is O(ρ²) from RBO (slope "
               f"{slope_sam:.2f}) and gradient descent O(ρ) (slope {slope_gd:.2f}). Dashed: "
               "reference slopes.")
    return FigureResult(fig, data, caption)


def _slope(ax, x, y, order, label):
    """A dashed reference line of the given slope through the last point."""
    ref = y[-1] * (x / x[-1]) ** order
    ax.loglog(x, ref, color="0.5", lw=0.8, ls="--", label=label)
