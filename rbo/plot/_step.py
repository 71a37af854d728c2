"""One step of the rolling ball optimizer, computed and drawn (the seeds' figure 1)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch

from offsetgeo.plot import (GRAPH_COLOUR, PALETTE, check_function, check_radii,
                            ensure_axes, graph, outside_legend)

from .. import objective, rolling_ball

__all__ = ["StepGeometry", "step_geometry", "rbo_step"]


@dataclass(frozen=True)
class StepGeometry:
    """The points of one RBO step on a 1-D loss (all in the plane of the graph).

    Attributes
    ----------
    theta0, theta1 : float
        Contact point before and after the step.
    contact0, contact1 : ndarray (2,)
        ``p(θ) = (θ, f(θ))`` at both.
    centre, centre1 : ndarray (2,)
        Ball centres ``c = p(θ) + ρ n(θ)`` before and after the step.
    candidate : ndarray (2,)
        ``c̃ = c − η τ(θ0)``, ``τ = (f', f'²)``.
    lr, rho : float
    solver : str
        The footpoint solver that projected ``c̃`` (``"exact"``: the global projection).
    residual : float
        Stationarity residual of that projection.
    """

    theta0: float
    theta1: float
    contact0: np.ndarray
    contact1: np.ndarray
    centre: np.ndarray
    centre1: np.ndarray
    candidate: np.ndarray
    lr: float
    rho: float
    solver: str
    residual: float


def _lift(f, theta, rho):
    """``p(θ)`` and ``p(θ) + ρ n(θ)`` on a 1-D graph."""
    value, slope = float(f.value(theta)), float(f.grad(theta))
    s = math.hypot(1.0, slope)
    p = np.array([theta, value])
    return p, p + rho * np.array([-slope, 1.0]) / s


def step_geometry(f, theta, lr, rho, *, solver="exact", paper_steps=100, paper_lr=1e-3):
    """One RBO step from the contact point ``θ``: ``c = p(θ) + ρ n(θ)``, ``c̃ = c − η τ(θ)``,
    ``θ' = π_Γ(c̃)``, computed by :func:`rbo.rolling_ball` itself.

    Parameters
    ----------
    f : Function or str
        A loss of one variable.
    theta : float
        Contact point θ.
    lr, rho : float
        Learning rate η and radius ρ (> 0).
    solver : {"exact", "newton", "gauss-newton", "paper"}
        Footpoint solver of the step; ``"paper"`` is the authors' loop of ``paper_steps``
        fixed steps of size ``paper_lr`` from θ.

    Returns
    -------
    geometry : StepGeometry

    See Also
    --------
    rbo_step : draws it; rbo.rolling_ball : the optimizer that takes the step.

    Examples
    --------
    The seeds' figure 1: f = (x − 1)², ρ = 0.2, η = 0.3, θ₀ = 1.8.

    >>> g = step_geometry("(x - 1)**2", 1.8, 0.3, 0.2)
    >>> round(g.theta1, 6), g.candidate.round(4).tolist()
    (1.138925, [1.1504, -0.022])
    >>> round(step_geometry("(x - 1)**2", 1.8, 0.3, 0.2, solver="paper").theta1, 6)
    1.661729
    """
    f = check_function(f, "step_geometry")
    rho = float(check_radii(rho, "step_geometry", "rho")[0])
    if not (isinstance(theta, (int, float, np.floating, np.integer)) and math.isfinite(theta)):
        raise ValueError(f"step_geometry: theta must be a finite number, got {theta!r}")
    opt = rolling_ball(lr, rho, solver=solver, paper_steps=paper_steps, paper_lr=paper_lr)
    state, info = opt.update(opt.init(np.array([float(theta)])), objective(f))
    centre = np.asarray(info.centre, dtype=float)
    slope = float(f.grad(float(theta)))
    candidate = centre - float(lr) * np.array([slope, slope * slope])
    theta1 = float(np.asarray(state.params)[0])
    contact0, _ = _lift(f, float(theta), rho)
    contact1, centre1 = _lift(f, theta1, rho)
    return StepGeometry(float(theta), theta1, contact0, contact1, centre, centre1, candidate,
                        float(lr), rho, solver, float(info.residual))


def _arrow(ax, start, end, colour):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=7, lw=1.1,
                                 color=colour, shrinkA=0, shrinkB=0, zorder=5))


def rbo_step(f, theta, lr, rho, *, ax=None, paper=False, paper_steps=100, paper_lr=1e-3,
             window=None, legend=True):
    """Draw one RBO step (the seeds' figure 1): the ball resting at ``p(θ)``, its normal,
    the candidate centre ``c̃ = c − η τ``, the new contact point ``π_Γ(c̃)`` and the next ball.

    The step is exact (global projection, :func:`offsetgeo.footpoint`). With ``paper=True``
    the contact point and ball the authors' projection loop leaves (``paper_steps`` fixed
    gradient steps of size ``paper_lr`` from θ) are drawn dashed.

    Parameters
    ----------
    f : Function or str
        A loss of one variable.
    theta : float
        Contact point θ₀.
    lr, rho : float
        Learning rate η and radius ρ.
    ax : matplotlib Axes, optional
    paper : bool
    paper_steps, paper_lr : int, float
        K and s of the authors' loop.
    window : (lo, hi), optional
        θ range (default: the step's points with a margin of 1.5ρ).
    legend : bool or {"top", "right"}
        Where to put the legend (True: above the axes; False: none).

    Returns
    -------
    ax : matplotlib Axes

    See Also
    --------
    step_geometry : the points drawn.

    Examples
    --------
    >>> ax = rbo_step("(x - 1)**2", 1.8, 0.3, 0.2, paper=True)
    >>> ax.get_aspect()
    1.0
    """
    f = check_function(f, "rbo_step")
    exact = step_geometry(f, theta, lr, rho)
    steps = [exact]
    if paper:
        steps.append(step_geometry(f, theta, lr, rho, solver="paper", paper_steps=paper_steps,
                                   paper_lr=paper_lr))
    points = np.array([p for g in steps for p in (g.contact0, g.contact1, g.centre, g.centre1,
                                                  g.candidate)])
    margin = 1.5 * exact.rho
    if window is None:
        window = (points[:, 0].min() - margin, points[:, 0].max() + margin)
    ax = graph(f, ax=ensure_axes(ax), window=window)
    blue, red, green, orange, purple = PALETTE[:5]
    for centre in (exact.centre, exact.centre1):
        ax.add_patch(Circle(centre, exact.rho, fill=False, ec=blue, lw=1.1, zorder=4))
    ax.add_patch(Circle(exact.candidate, exact.rho, fill=False, ec=orange, lw=1.0, ls="--",
                        zorder=4))
    _arrow(ax, exact.contact0, exact.centre, red)
    _arrow(ax, exact.contact1, exact.centre1, red)
    _arrow(ax, exact.centre, exact.candidate, green)
    handles = [Line2D([], [], color=GRAPH_COLOUR, lw=0.9, label=r"$\Gamma$"),
               Line2D([], [], color=blue, lw=1.1, label="ball before, after"),
               Line2D([], [], color=red, marker=">", ms=3, lw=1.1, label=r"normal $\rho\,n$"),
               Line2D([], [], color=green, marker=">", ms=3, lw=1.1,
                      label=r"descent $-\eta\,\tau$"),
               Line2D([], [], color=orange, ls="--", lw=1.0, label=r"ball at $\tilde c$")]
    bottom = min(points[:, 1].min() - margin, float(np.min(f.value(np.linspace(*window, 200)))))
    marks = [(exact.theta0, r"$\theta_0$", GRAPH_COLOUR), (exact.theta1, r"$\theta_1$", blue)]
    if paper:
        authors = steps[1]
        ax.add_patch(Circle(authors.centre1, authors.rho, fill=False, ec=purple, lw=1.0,
                            ls=(0, (2, 1.5)), zorder=4))
        ax.plot(*authors.contact1, "x", color=purple, ms=5, mew=1.2, zorder=6)
        handles.append(Line2D([], [], color=purple, ls=(0, (2, 1.5)), marker="x", ms=4,
                              label=f"authors' loop, K={paper_steps}"))
        marks.append((authors.theta1, r"$\theta_1^{\mathrm{paper}}$", purple))
    for g_point in (exact.contact0, exact.contact1):
        ax.plot(*g_point, "o", color=GRAPH_COLOUR, ms=3.5, zorder=6)
    ax.plot(*exact.candidate, "o", color=orange, ms=3, zorder=6)
    ax.annotate(r"$\tilde c$", exact.candidate, xytext=(4, -8), textcoords="offset points",
                color=orange, fontsize=7)
    ax.annotate(r"$c_0$", exact.centre, xytext=(4, 2), textcoords="offset points", color=blue,
                fontsize=7)
    for k, (x, text, colour) in enumerate(marks):
        ax.plot([x, x], [bottom, float(f.value(x))], ls=":", lw=0.7, color=colour, zorder=2)
        left = k == 2 or x < exact.theta0  # labels beside their line, away from θ0's
        ax.annotate(text, (x, bottom), xytext=(-2 if left else 2, 2), textcoords="offset points",
                    ha="right" if left else "left", va="bottom", color=colour, fontsize=7)
    ax.set_ylim(bottom, points[:, 1].max() + margin)
    ax.set_aspect("equal", adjustable="box")
    outside_legend(ax, handles=handles, side=legend)
    return ax
