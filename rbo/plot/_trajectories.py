"""Trajectories of several runs over the graph of a loss (1-D) or its contour map (2-D)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.lines import Line2D

import offsetgeo.plot as gplot
from offsetgeo.plot import (GRAPH_COLOUR, SYMBOLS, check_colors, check_function, ensure_axes,
                            outside_legend)

__all__ = ["trajectories"]

_SHOW = ("contact", "centre", "both")


def _runs(runs, labels):
    """(label, theta (n+1, d), centre (n+1, d+1)) per run, as NumPy arrays."""
    if hasattr(runs, "theta"):
        runs = [runs]
    if isinstance(runs, Mapping):
        labels = list(runs) if labels is None else labels
        runs = list(runs.values())
    runs = list(runs)
    if not runs:
        raise ValueError("trajectories: runs is empty; pass one or more rbo.Trajectory objects")
    labels = [f"run {k + 1}" for k in range(len(runs))] if labels is None else list(labels)
    if len(labels) != len(runs):
        raise ValueError(f"trajectories: {len(runs)} runs but {len(labels)} labels")
    out = []
    for k, (label, run) in enumerate(zip(labels, runs)):
        if not hasattr(run, "theta"):
            raise TypeError(f"trajectories: run {k} is a {type(run).__name__}, not an "
                            "rbo.Trajectory")
        theta = np.asarray(run.theta, dtype=float)
        centre = np.asarray(run.centre, dtype=float) if getattr(run, "centre", None) is not None \
            else np.full((theta.shape[0], theta.shape[1] + 1), np.nan)
        out.append((str(label), theta, centre))
    return out


def _window(points, dim, pad):
    lo, hi = np.nanmin(points, axis=0), np.nanmax(points, axis=0)
    span = np.maximum(hi - lo, 1e-3)
    return [(lo[i] - pad * span[i], hi[i] + pad * span[i]) for i in range(dim)]


def trajectories(f, runs, *, ax=None, labels=None, show="both", graph=True, window=None,
                 colorbar=False, colors=None, legend=True):
    """Draw the contact points ``p(θ_t)`` and ball centres ``c_t`` of several runs.

    1-D: over the graph Γ (contact points as dots on Γ joined in time order, centres
    dashed above). 2-D: the paths of ``θ_t`` (solid) and of the centres' horizontal
    coordinates (dashed) over the contour map of f. Starts are open circles, ends squares.
    Runs without centres (the baselines) show their contact points only.

    Parameters
    ----------
    f : Function or str
        The loss the runs minimised (1 or 2 variables).
    runs : rbo.Trajectory, sequence of them, or mapping label -> Trajectory
    ax : matplotlib Axes, optional
    labels : sequence of str, optional
        Legend entries (default: the mapping's keys, or "run 1", ...).
    show : {"both", "contact", "centre"}
    graph : bool
        Draw Γ (1-D) or the contour map (2-D) first.
    window : box, optional
        Default: the runs' extent with a margin.
    colorbar : bool
        2-D: add a colour bar to the map.
    colors : sequence of colours, optional
        One per run (default: :data:`offsetgeo.plot.PALETTE` in order).
    legend : bool or {"top", "right"}
        Where to put the legend (True: above the axes; False: none).

    Returns
    -------
    ax : matplotlib Axes

    See Also
    --------
    rbo.run : the runs; rbo_step : one step in detail.

    Examples
    --------
    >>> import numpy as np, rbo
    >>> run = rbo.run(rbo.losses.quadratic(np.diag([1.0, 4.0])), rbo.sgd(0.1),
    ...               np.array([1.0, 1.0]), 10)
    >>> ax = trajectories("0.5*x**2 + 2*y**2", run, labels=["SGD"], window=[(-1.2, 1.2)] * 2)
    >>> ax.get_legend().get_texts()[0].get_text()
    'SGD'
    """
    f = check_function(f, "trajectories", dims=(1, 2))
    if show not in _SHOW:
        raise ValueError(f"trajectories: show must be one of {_SHOW}, got {show!r}")
    data = _runs(runs, labels)
    for label, theta, _ in data:
        if theta.ndim != 2 or theta.shape[1] != f.dim:
            raise ValueError(f"trajectories: run {label!r} has parameters of shape "
                             f"{theta.shape}, but f has {f.dim} variable(s)")
    ax = ensure_axes(ax)
    d = f.dim
    if window is None:
        pts = np.concatenate([t for _, t, _ in data] + [c[:, :d] for _, _, c in data])
        window = _window(pts, d, 0.05 if d == 1 else 0.12)
    if graph:
        if d == 1:
            gplot.graph(f, ax=ax, window=window)
        else:
            gplot.surface(f, ax=ax, window=window, colorbar=colorbar, legend=False)
    colours = check_colors(colors, len(data), "trajectories")
    handles = []
    for (label, theta, centre), colour in zip(data, colours):
        contact = np.column_stack([theta[:, 0], f.value(theta[:, 0])]) if d == 1 else theta
        path = centre[:, :2]
        if show in ("contact", "both"):  # on Γ in 1-D: dots (a segment would leave the graph)
            ax.plot(contact[:, 0], contact[:, 1], ls="-" if d == 2 else "none", color=colour,
                    lw=0.5, alpha=0.7, marker="o", ms=1.8 if d == 2 else 2.2, mew=0, zorder=5)
        if show in ("centre", "both") and np.isfinite(path).any():
            ax.plot(path[:, 0], path[:, 1], "--", color=colour, lw=0.9, zorder=5)
        ax.plot(*contact[0], "o", mfc="white", mec=colour, ms=5, mew=1.2, zorder=7)
        ax.plot(*contact[-1], "s", color=colour, ms=4.5, mec="white", mew=0.6, zorder=7)
        handles.append(Line2D([], [], color=colour, lw=1.5, label=label))
    grey = "0.35" if d == 2 else GRAPH_COLOUR
    if show in ("contact", "both"):
        handles.append(Line2D([], [], color=grey, lw=0.5, ls="-" if d == 2 else "none", marker="o",
                              ms=2, label=r"contact $p(\theta_t)$" if d == 1 else r"$\theta_t$"))
    if show in ("centre", "both"):
        handles.append(Line2D([], [], color=grey, ls="--", lw=0.9, label=r"centre $c_t$"))
    handles += [Line2D([], [], ls="", marker="o", mfc="white", mec=grey, ms=5, label="start"),
                Line2D([], [], ls="", marker="s", color=grey, ms=4.5, label="end")]
    if d == 1:
        ax.set_ylabel(SYMBOLS["height"])
    outside_legend(ax, handles=handles, side=legend)
    return ax
