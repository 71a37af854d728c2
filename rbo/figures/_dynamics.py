"""Figures of the optimizer: one RBO step, trajectories on Riemann's function, ironing of a
2-D multi-scale loss, exploration against exploitation.

Every RBO run projects exactly (``solver="exact"``: the global footpoint of
:func:`offsetgeo.footpoint`), except the dashed step of ``rbo_step``, which shows where the
authors' projection loop leaves the contact point.
"""

from __future__ import annotations

import numpy as np
from matplotlib.contour import ContourSet
from matplotlib.lines import Line2D
from scipy.optimize import minimize_scalar

import offsetgeo
import offsetgeo.plot as gplot

from .. import losses, rolling_ball, run, sgd
from .. import plot as rplot
from ._registry import FigureResult, figure, new_figure

__all__ = ["rbo_step", "riemann_trajectories", "ironing", "exploration", "SEED_FIGURE_1"]

#: the seeds' figure 1: f, ρ, η, θ₀, and the contact point its Asymptote source hard-codes
#: (``real theta1 = 1.41;``, with ``1.34627684058781`` commented out)
SEED_FIGURE_1 = {"f": "(x - 1)**2", "rho": 0.2, "lr": 0.3, "theta0": 1.8,
                 "drawn_theta1": 1.41, "commented_theta1": 1.34627684058781}


def _run_data(label, rho, traj) -> dict:
    """The arrays of one run, for the JSON (with the footpoint solves' health)."""
    converged = np.asarray(traj.converged, dtype=bool)
    residual = np.asarray(traj.residual, dtype=float)
    centre = np.asarray(traj.centre)
    return {"label": label, "rho": rho, "theta": np.asarray(traj.theta),
            # gradient descent has no ball: no centres (rather than arrays of NaN)
            "centre": None if np.isnan(centre).all() else centre, "loss": np.asarray(traj.loss),
            "final_theta": np.asarray(traj.final_theta), "final_loss": traj.final_loss,
            "status": traj.status, "unconverged_steps": int((~converged).sum()),
            "max_residual": float(np.nanmax(residual)) if np.isfinite(residual).any() else None}


def _global_minimum(f, samples=1 << 17):
    """Global minimiser and minimum of a periodic 1-D loss: the best of ``samples`` points of
    one period, refined by a bounded scalar search within one spacing."""
    lo, hi = f.sample_box[0]
    x = np.linspace(lo, hi, samples, endpoint=False)
    i = int(np.argmin(f.value(x)))
    step = x[1] - x[0]
    res = minimize_scalar(f.value, bounds=(x[i] - step, x[i] + step), method="bounded",
                          options={"xatol": 1e-12})
    return float(res.x), float(res.fun)


def _rbo(objective, lr, rho, theta0, steps):
    """An exact-projection RBO run (a solve at its round-off floor is recorded, not warned)."""
    return run(objective, rolling_ball(lr, rho, solver="exact"), np.asarray(theta0, dtype=float),
               steps, on_failure="ignore")


@figure("One RBO step (the seeds' figure 1): exact, and where the authors' loop leaves it")
def rbo_step(quick):
    s = SEED_FIGURE_1
    f = offsetgeo.Function(s["f"])
    exact = rplot.step_geometry(f, s["theta0"], s["lr"], s["rho"])
    paper = rplot.step_geometry(f, s["theta0"], s["lr"], s["rho"], solver="paper",
                                paper_steps=100, paper_lr=1e-3)
    # the seeds' drawing code moves the centre along (1, f'), not along τ = (f', f'²)
    slope = float(f.grad(s["theta0"]))
    seed_candidate = exact.centre - s["lr"] * np.array([1.0, slope])
    seed_theta1 = float(offsetgeo.footpoint(f, seed_candidate).theta[0])
    fig, ax = new_figure(width=0.75 * gplot.TEXT_WIDTH, height=3.3)
    rplot.rbo_step(f, s["theta0"], s["lr"], s["rho"], ax=ax, paper=True, legend="right")
    drawn = s["drawn_theta1"]
    ax.plot(drawn, float(f.value(drawn)), "v", color="0.45", ms=5, zorder=6)
    legend = ax.get_legend()
    handles = list(legend.legend_handles)
    for handle, text in zip(handles, legend.get_texts()):
        handle.set_label(text.get_text())
    handles.append(Line2D([], [], ls="", marker="v", color="0.45", ms=5,
                          label=f"seeds' drawing, θ₁ = {drawn}"))
    legend.remove()
    gplot.outside_legend(ax, handles=handles, side="right")
    moved = (s["theta0"] - paper.theta1) / (s["theta0"] - exact.theta1)
    side = "below" if exact.candidate[1] < float(f.value(exact.candidate[0])) else "above"
    caption = (f"f(x) = (x − 1)², ρ = {s['rho']}, η = {s['lr']}, θ₀ = {s['theta0']}. The centre "
               f"c₀ = ({exact.centre[0]:.4f}, {exact.centre[1]:.4f}) moves by −ητ(θ₀) to the "
               f"candidate c̃ = ({exact.candidate[0]:.4f}, {exact.candidate[1]:.4f}), which lies "
               f"{side} Γ; its exact footpoint (global projection) is θ₁ = {exact.theta1:.6f}. "
               f"The authors' loop (K = 100 gradient steps of size 1e-3 from θ₀) stops at "
               f"θ₁ = {paper.theta1:.6f} (dashed), having covered {100 * moved:.0f} % of the "
               f"way (residual {paper.residual:.2g}). The seeds' figure draws θ₁ = "
               f"{s['drawn_theta1']}, hard-coded in its source: the exact footpoint "
               f"({seed_theta1:.5f}) of the candidate c₀ − η(1, f'(θ₀)) its drawing code "
               f"uses, not of c₀ − ητ(θ₀) (τ = f'(θ₀)·(1, f'(θ₀)) is {slope:g}× longer).")
    data = {**s, "theta1": exact.theta1, "theta1_paper": paper.theta1,
            "centre": exact.centre, "candidate": exact.candidate,
            "contact1": exact.contact1, "centre1": exact.centre1,
            "contact1_paper": paper.contact1, "centre1_paper": paper.centre1,
            "residual": exact.residual, "residual_paper": paper.residual,
            "paper_steps": 100, "paper_lr": 1e-3,
            "seed_candidate": seed_candidate, "seed_candidate_footpoint": seed_theta1}
    return FigureResult(fig, data, caption)


#: Riemann figure: start, learning rate, radii (ρ = 0 is gradient descent; --quick leaves out
#: the largest, which moves little in few steps)
RIEMANN = {"terms": 100, "x0": 2.6, "lr": 0.003, "radii": (0.0, 0.01, 0.03, 0.1, 0.3, 1.0)}


@figure("RBO on Riemann's function R(x) = Σ sin(n²x)/n² for several radii (seeds' figure 2)")
def riemann_trajectories(quick):
    cfg = RIEMANN
    R = losses.riemann(cfg["terms"])
    f = R.function
    steps = 60 if quick else 300
    radii = cfg["radii"][:-1] if quick else cfg["radii"]
    runs = []
    for rho in radii:
        if rho == 0.0:
            traj = run(R, sgd(cfg["lr"]), np.array([cfg["x0"]]), steps)
            runs.append(("gradient descent", rho, cfg["x0"], traj))
            continue
        # the ball starts resting on Γ above x0: its contact point is its first θ
        _, theta0 = offsetgeo.offset_height(f, cfg["x0"], rho, contact=True)
        runs.append((f"ρ = {rho:g}", rho, float(theta0), _rbo(R, cfg["lr"], rho, [theta0], steps)))
    xs = np.concatenate([np.asarray(t.theta)[:, 0] for *_, t in runs]
                        + [np.asarray(t.centre)[:, 0] for *_, t in runs])
    xs = xs[np.isfinite(xs)]
    window = (max(0.0, xs.min() - 0.15), min(2 * np.pi, xs.max() + 0.15))
    curves = gplot.offset_curves(f, [r for r in radii if r > 0], window=window)
    fig, axes = new_figure(width=gplot.TEXT_WIDTH, height=6.4, nrows=3, ncols=2,
                           sharex=True, sharey=True)
    blue, orange = gplot.PALETTE[0], gplot.PALETTE[3]
    for k, (ax, (label, rho, _, traj)) in enumerate(zip(axes.flat, runs)):
        if rho == 0.0:
            gplot.graph(f, ax=ax, window=window)
        else:
            gplot.graph_and_offset(f, rho, ax=ax, window=window, offset=False, colors=[orange],
                                   precomputed=curves, legend=False)
        rplot.trajectories(f, traj, ax=ax, graph=False, colors=[blue], legend=False)
        ax.set_title(f"({'abcdef'[k]}) {label}", loc="left")
        if k % 2:
            ax.set_ylabel("")
        if k + 2 < len(runs):            # x label only on the lowest panel of each column
            ax.set_xlabel("")
        else:
            ax.tick_params(labelbottom=True)
    for ax in axes.flat[len(runs):]:
        ax.set_visible(False)
    handles = [Line2D([], [], color=gplot.GRAPH_COLOUR, lw=0.9, label=r"$\Gamma$: $R$"),
               Line2D([], [], color=orange, lw=1.3, label=gplot.SYMBOLS["ironed"]),
               Line2D([], [], color=blue, ls="none", marker="o", ms=2,
                      label=r"contact $p(\theta_t)$"),
               Line2D([], [], color=blue, ls="--", lw=0.9, label=r"centre $c_t$"),
               Line2D([], [], ls="", marker="o", mfc="white", mec=blue, ms=5, label="start"),
               Line2D([], [], ls="", marker="s", color=blue, ms=4.5, label="end")]
    fig.legend(handles=handles, loc="outside upper center", ncol=6)
    x_star, r_star = _global_minimum(f)
    finals = [float(np.asarray(t.final_theta)[0]) for *_, t in runs]
    ends = "; ".join(f"{label}: θ_T = {x:.4f}, R = {t.final_loss:.4f}"
                     for (label, _, _, t), x in zip(runs, finals))
    reached = [label for (label, *_), x in zip(runs, finals)
               if abs((x - x_star + np.pi) % (2 * np.pi) - np.pi) < 0.01]
    flagged = [int((~np.asarray(t.converged)).sum()) for *_, t in runs]
    worst = max((np.nanmax(np.asarray(t.residual)) for *_, t in runs[1:]), default=np.nan)
    caption = (f"R = Σ_(n≤{cfg['terms']}) sin(n²x)/n², {steps} steps of η = {cfg['lr']} from "
               f"x₀ = {cfg['x0']} (an RBO run starts with the ball resting on Γ above x₀); "
               "axes not to scale. Orange: the ironed f̄_ρ from the exact closing of "
               f"{curves.x.size} samples of the window (error bound "
               f"{curves.ironed_error.max():.1g}). R's curvature reaches ~10⁵, so every "
               f"radius shown irons part of it. Global minimum of R: θ* = {x_star:.5f}, "
               f"R = {r_star:.4f}; runs ending there (within 0.01): "
               f"{', '.join(reached) if reached else 'none'}. {ends}. Footpoint solves flagged "
               f"unconverged: {sum(flagged)} of {len(runs[1:]) * steps} (largest residual "
               f"{worst:.1g}" + ("; R's gradient has a round-off floor near 1e-7, its "
                                 "arguments n²x reaching 4·10⁴)." if sum(flagged) else ")."))
    data = {"function": "riemann", "terms": cfg["terms"], "x0": cfg["x0"], "lr": cfg["lr"],
            "steps": steps, "rho": list(radii),
            "trajectories": [{**_run_data(label, rho, t), "theta0": th0}
                             for label, rho, th0, t in runs]}
    return FigureResult(fig, data, caption)


#: ironing figure: the built-in 2-D multi-scale loss, start, step, radii, window
IRONING = {"start": (2.5, 2.0), "lr": 0.5, "radii": (0.2, 0.5, 1.0, 2.0),
           "window": ((-1.2, 3.0), (-1.2, 2.6))}


@figure("Ironing: RBO on a 2-D multi-scale loss sees coarser landscapes as ρ grows")
def ironing(quick):
    cfg = IRONING
    M = losses.multiscale()
    f = M.function
    steps = 100 if quick else 200
    rc = offsetgeo.reach(f, method="curvature").value
    runs = [("GD", 0.0, run(M, sgd(cfg["lr"]), np.array(cfg["start"]), steps))]
    runs += [(f"RBO ρ = {r:g}", r, _rbo(M, cfg["lr"], r, cfg["start"], steps))
             for r in cfg["radii"]]
    box = np.array(cfg["window"])
    grid = np.stack(np.meshgrid(*(np.linspace(lo, hi, 101) for lo, hi in box), indexing="ij"), -1)
    # levels at quantiles of f over the window: the ripples of the flat bottom stay visible
    levels = np.quantile(f.value(grid.reshape(-1, 2)), np.linspace(0.0, 1.0, 17))
    levels[-1] += 0.5
    fig, axes = new_figure(width=gplot.TEXT_WIDTH, height=4.9, nrows=2, ncols=3)
    samples = 121 if quick else 241
    for k, (ax, (label, rho, traj)) in enumerate(zip(axes.flat, runs)):
        gplot.surface(f, rho=rho or None, ax=ax, window=box, ironed=rho > 0, unreachable=False,
                      levels=levels, colorbar=False, samples_per_axis=samples, legend=False)
        rplot.trajectories(f, traj, ax=ax, graph=False, colors=["white"], legend=False)
        ax.set_title(f"({'abcde'[k]}) {label} on " + (r"$f$" if rho == 0 else r"$\bar f_\rho$"),
                     loc="left")
    loss_ax = axes.flat[-1]
    for k, (label, _, traj) in enumerate(runs):
        loss_ax.plot(np.asarray(traj.loss), color=gplot.PALETTE[k], lw=1.0, label=label)
    loss_ax.set_xlabel(gplot.SYMBOLS["step"])
    loss_ax.set_ylabel(r"$f(\theta_t)$")
    loss_ax.set_yscale("log")
    loss_ax.set_title("(f) loss at the contact point", loc="left")
    # the losses settle low within 30 steps: the upper right of the panel stays empty
    loss_ax.legend(loc="upper right", fontsize=6.5, handlelength=1.2)
    mappable = next(c for c in axes.flat[0].collections if isinstance(c, ContourSet))
    ticks = [t for t in (0.0, 0.1, 0.25, 0.5, 1.0) if levels[0] <= t <= levels[-2]]
    fig.colorbar(mappable, ax=axes.ravel().tolist(), label=r"$f$ (a), $\bar f_\rho$ (b–e)",
                 location="bottom", shrink=0.5, aspect=40, ticks=ticks)
    radius = {label: float(np.linalg.norm(np.asarray(t.final_theta))) for label, _, t in runs}
    ends = "; ".join(f"{label}: |θ_T| = {radius[label]:.3f}, f = {t.final_loss:.4f}"
                     for label, _, t in runs)
    near = [label for label in radius if radius[label] < 0.3]
    caption = (f"f = 0.1(x² + y²) + 0.02 sin(12x) sin(12y) (critical radius ρ_c = {rc:.4f}), "
               f"{steps} steps of η = {cfg['lr']} from {cfg['start']}; white: θ_t (solid) and "
               "the centres (dashed). Panels (b)–(e) show the landscape the ball sees, the "
               f"ironed f̄_ρ (exact closing of {samples}² samples, error ≤ L·h), with the "
               "levels of (a): the ripples flatten as ρ grows past ρ_c. Runs ending within "
               f"0.3 of the bowl's centre: {', '.join(near) if near else 'none'}. {ends}.")
    data = {"function": str(f), "start": cfg["start"], "lr": cfg["lr"], "steps": steps,
            "rho_c": rc, "rho": [r for _, r, _ in runs],
            "runs": [_run_data(label, rho, t) for label, rho, t in runs]}
    return FigureResult(fig, data, caption)


#: exploration figure: starts, step, methods ((label, ρ); ρ = 0 is gradient descent)
EXPLORATION = {"starts": (-0.3, 0.0, 0.3), "lr": 0.3,
               "methods": (("GD", 0.0), ("RBO", 0.05), ("RBO", 1.0), ("RBO", 3.0))}


def _barrier(f):
    """The two basins of the exploration loss on the ironed f̄_0.15 (the ripples, critical
    radius ≈ 0.06, ironed away; the narrow well, curvature radius ≈ 0.2, kept): the local
    minimum nearest the start 0 and the global one, and the highest point between them."""
    curves = gplot.offset_curves(f, 0.15, window=(-4.0, 8.0))
    x, fbar = curves.x, curves.ironed[0]
    inner = np.flatnonzero((fbar[1:-1] < fbar[:-2]) & (fbar[1:-1] <= fbar[2:])) + 1
    m1 = x[inner[np.argmin(np.abs(x[inner]))]]
    m2 = x[np.argmin(fbar)]
    between = (x > min(m1, m2)) & (x < max(m1, m2))
    return float(m1), float(m2), float(x[between][np.argmax(fbar[between])])


def _offset_minima(f, rho, window):
    """Local minima of the upper offset h_ρ of a 1-D loss inside ``window``."""
    curves = gplot.offset_curves(f, rho, window=window)
    h = curves.offset[0]
    inner = np.flatnonzero((h[1:-1] < h[:-2]) & (h[1:-1] <= h[2:])) + 1
    return [float(curves.x[i]) for i in inner]


@figure("Exploration against exploitation: GD and RBO from nearby starts")
def exploration(quick):
    cfg = EXPLORATION
    E = losses.exploration()
    f = E.function
    steps = 150 if quick else 300
    starts = cfg["starts"][1:] if quick else cfg["starts"]
    m1, m2, barrier = _barrier(f)
    runs = []
    for method, rho in cfg["methods"]:
        for x0 in starts:
            traj = (run(E, sgd(cfg["lr"]), np.array([x0]), steps) if rho == 0.0
                    else _rbo(E, cfg["lr"], rho, [x0], steps))
            end = float(np.asarray(traj.final_theta)[0])
            runs.append({**_run_data(f"{method} ρ = {rho:g}" if rho else method, rho, traj),
                         "method": method, "start": x0, "end": end,
                         "basin": "deep (x ≈ 4)" if end > barrier else "shallow (x ≈ 0)"})
    fig, (ax, tax) = new_figure(width=gplot.TEXT_WIDTH, height=3.0, ncols=2)
    gplot.graph(f, ax=ax, window=(-8.5, 8.0))
    ax.axvline(barrier, color="0.5", lw=0.7, ls=":")
    markers = "o^v"
    labels = list(dict.fromkeys(r["label"] for r in runs))
    for r in runs:
        k = labels.index(r["label"])
        colour = gplot.PALETTE[k]
        j = list(starts).index(r["start"])
        ax.plot(r["end"], r["final_loss"], markers[j], color=colour, ms=5, mec="white",
                mew=0.5, zorder=6)
        path = r["theta"][:, 0] if r["centre"] is None else r["centre"][:, 0]
        tax.plot(path, color=colour, lw=0.8, alpha=0.9, ls=("-", "--", ":")[j])
    tax.axhline(barrier, color="0.5", lw=0.7, ls=":")
    tax.set_xlabel(gplot.SYMBOLS["step"])
    tax.set_ylabel(r"ball centre $x_t$ (RBO), $\theta_t$ (GD)")
    ax.set_title("(a) where each run ends (contact point)", loc="left")
    tax.set_title("(b) the runs; dotted: the barrier", loc="left")
    handles = [Line2D([], [], color=gplot.PALETTE[k], lw=1.5, label=lab)
               for k, lab in enumerate(labels)]
    handles += [Line2D([], [], color="0.3", ls=("-", "--", ":")[j], marker=markers[j], ms=4,
                       label=f"start {x0:g}") for j, x0 in enumerate(starts)]
    fig.legend(handles=handles, loc="outside upper center", ncol=len(handles))
    deep = [r["label"] for r in runs if r["end"] > barrier]
    summary = "; ".join(f"{lab}: θ_T = " + ", ".join(f"{r['end']:.2f}" for r in runs
                                                     if r["label"] == lab) for lab in labels)
    largest = max(rho for _, rho in cfg["methods"])
    traps = _offset_minima(f, largest, (m1 - 3.0, barrier))
    caption = (f"The built-in exploration loss (a narrow shallow well at {m1:.2f}, a broad deep "
               f"basin at {m2:.2f}, the barrier of the landscape ironed at ρ = 0.15 — ripples "
               f"gone, well kept — at {barrier:.2f}, dotted), "
               f"{steps} steps of η = {cfg['lr']} from θ₀ ∈ {list(starts)}; exact projections. "
               f"Runs ending in the deep basin: {', '.join(deep) if deep else 'none'} "
               f"({len(deep)} of {len(runs)}). {summary}. The centre of an RBO ball descends "
               f"the offset h_ρ; at the largest radius, ρ = {largest:g}, h_ρ still has "
               + (f"local minima left of the barrier, at x = "
                  f"{', '.join(f'{t:.2f}' for t in traps)}: the ball bridges the shallow basin "
                  "and its centre settles above it while the contact point jumps between the "
                  "basin's rims." if traps else "no local minimum left of the barrier."))
    data = {"function": str(f), "lr": cfg["lr"], "steps": steps, "starts": list(starts),
            "shallow_minimum": m1, "deep_minimum": m2, "barrier": barrier,
            "runs": [{key: r[key] for key in ("method", "rho", "label", "start", "end",
                                             "final_loss", "basin", "theta", "centre",
                                             "unconverged_steps", "max_residual")}
                     for r in runs]}
    return FigureResult(fig, data, caption)
