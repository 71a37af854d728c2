"""Figures of a :class:`rbo.Comparison`: learning curves, sharpness, label noise.

Each function draws on ``ax`` (a new figure's axes when None) and returns it;
:func:`save_comparison_figures` writes the three figures of ``rbo compare``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

import numpy as np
from matplotlib.figure import Figure

from ._compare import CONTENDERS, Comparison

__all__ = ["plot_curves", "plot_sharpness", "plot_noise", "save_comparison_figures"]

_LABELS = {"test_acc": "test accuracy", "train_loss": "train loss (full batch)",
           "train_acc": "train accuracy", "test_loss": "test loss",
           "evals": "gradient-equivalent evaluations", "wall_time": "wall time in optimizer steps (s)"}


#: one colour per contender (Dark2, then blue and red: as many as there are contenders)
_PALETTE = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
            "#666666", "#1f78b4", "#e31a1c")


def _colors() -> dict:
    return {name: _PALETTE[i % len(_PALETTE)] for i, name in enumerate(CONTENDERS)}


def _new_ax(ax, size=(5.0, 3.6)):
    if ax is not None:
        return ax
    return Figure(figsize=size, layout="constrained").subplots()


def plot_curves(comparison: Comparison, x: str = "evals", y: str = "test_acc",
                noise: float = 0.0, ax=None):
    """``y`` against ``x`` at the evaluation points, mean over seeds (band: ± one std).

    Parameters
    ----------
    comparison : Comparison
    x : {"evals", "wall_time"}
    y : {"test_acc", "train_loss", "train_acc", "test_loss"}
        ``train_loss`` is drawn on a log scale.
    noise : float
        Which label-noise level.
    ax : matplotlib Axes, optional

    Returns
    -------
    ax

    Examples
    --------
    >>> import rbo
    >>> c = rbo.compare(rbo.data.digits(), rbo.nn.logistic(64, 10), optimizers=["sgd"], budget=40,
    ...                 seeds=2, tune=False, sharpness_points=0, progress=False)
    >>> plot_curves(c, "wall_time", "train_loss").get_yscale()
    'log'
    """
    if x not in ("evals", "wall_time") or y not in ("test_acc", "train_loss", "train_acc", "test_loss"):
        raise ValueError(f"x must be 'evals' or 'wall_time' and y one of test_acc, train_loss, "
                         f"train_acc, test_loss; got x={x!r}, y={y!r}")
    ax = _new_ax(ax)
    colors = _colors()
    for (name, level), results in comparison.runs.items():
        if level != noise:
            continue
        n = min(len(r.points.step) for r in results)
        xs = np.mean([getattr(r.points, x)[:n] for r in results], axis=0)
        ys = np.array([getattr(r.points, y)[:n] for r in results])
        mean, std = ys.mean(axis=0), ys.std(axis=0)
        ax.plot(xs, mean, color=colors[name], lw=1.4, label=name)
        if len(results) > 1:
            ax.fill_between(xs, mean - std, mean + std, color=colors[name], alpha=0.18, lw=0)
    ax.set_xlabel(_LABELS[x])
    ax.set_ylabel(_LABELS[y])
    if y == "train_loss":
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    return ax


def plot_sharpness(comparison: Comparison, name: str, noise: float = 0.0, ax=None):
    """Sharpness ``λ_max(∇²f)`` of the full-batch training loss against steps, one optimizer.

    Each seed is one line (log scale); the dashed line is the linear-stability bound of docs/math.md:
    ``2/η`` for SGD, ``2/(η + 2ρ)`` for RBO (a run cannot settle in a minimum sharper than it).

    Returns
    -------
    ax

    Examples
    --------
    >>> import rbo
    >>> c = rbo.compare(rbo.data.digits(), rbo.nn.logistic(64, 10), optimizers=["sgd"], budget=40,
    ...                 seeds=1, tune=False, sharpness_points=2, progress=False)
    >>> len(plot_sharpness(c, "sgd").lines)      # one seed and the bound
    2
    """
    results = comparison.runs.get((name, noise))
    if not results:
        raise ValueError(f"no runs of {name!r} at label noise {noise:g} in this comparison")
    ax = _new_ax(ax)
    color = _colors()[name]
    for k, r in enumerate(results):
        ax.plot(r.sharpness.step, r.sharpness.lambda_max, "o-", ms=3, lw=1.2, color=color,
                alpha=1.0 if k == 0 else 0.5,
                label=(r"$\lambda_{\max}$" + (", each seed" if len(results) > 1 else "")) if k == 0 else None)
    hyper = comparison.hyper[name]
    bound = CONTENDERS[name].threshold(hyper)
    if bound is not None:
        text = (f"2/η = {bound:.3g}" if name == "sgd" else f"2/(η+2ρ) = {bound:.3g}")
        ax.axhline(bound, ls="--", color="k", lw=1.0, label=text)
    ax.set_xlabel("step")
    ax.set_ylabel(r"sharpness $\lambda_{\max}(\nabla^2 f)$")
    params = ", ".join(f"{k}={hyper[k]:g}" for k in ("lr", "radius") if k in hyper)
    ax.set_title(f"{name} ({params})", fontsize=10)
    ax.set_yscale("log")
    ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)
    return ax


def plot_noise(comparison: Comparison, ax=None):
    """Final test accuracy against the label-noise fraction, mean ± std over seeds.

    Returns
    -------
    ax

    Examples
    --------
    >>> import rbo
    >>> c = rbo.compare(rbo.data.digits(), rbo.nn.logistic(64, 10), optimizers=["sgd"], budget=20,
    ...                 seeds=1, tune=False, label_noise=(0, 0.4), sharpness_points=0, progress=False)
    >>> plot_noise(c).get_xlabel()
    'fraction of wrong training labels'
    """
    ax = _new_ax(ax)
    colors = _colors()
    levels = comparison.noise_levels
    for name in CONTENDERS:
        pts = [(f, comparison.runs[(name, f)]) for f in levels if (name, f) in comparison.runs]
        if not pts:
            continue
        acc = [[r.final_test_acc for r in rs] for _, rs in pts]
        ax.errorbar([f for f, _ in pts], [np.mean(a) for a in acc],
                    yerr=[np.std(a) for a in acc], marker="o", ms=4, capsize=3, lw=1.2,
                    color=colors[name], label=name)
    ax.set_xlabel("fraction of wrong training labels")
    ax.set_ylabel("final test accuracy")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def save_comparison_figures(comparison: Comparison, out: Union[str, Path],
                            noise: Optional[float] = None, dpi: int = 150) -> list:
    """Write ``curves.png``, ``sharpness.png`` and (several noise levels) ``noise.png`` to ``out``.

    ``noise``: the label-noise level of the curves and sharpness (default: the lowest run).

    Returns
    -------
    paths : list of Path
    """
    if noise is None:
        noise = comparison.noise_levels[0]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = comparison.config
    title = (f"{cfg['data']['name']}, {cfg['model_spec'] or 'model'}, budget {cfg['budget']} "
             f"evaluations, {cfg['seeds']} seed(s), label noise {noise:g}")
    fig = Figure(figsize=(10.5, 7.2), layout="constrained")
    axes = fig.subplots(2, 2)
    for i, y in enumerate(("test_acc", "train_loss")):
        for j, x in enumerate(("evals", "wall_time")):
            plot_curves(comparison, x, y, noise, ax=axes[i, j])
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right center", fontsize=9)
    fig.suptitle(title, fontsize=11)
    paths = [out / "curves.png"]
    fig.savefig(paths[-1], dpi=dpi)
    names = [n for n in CONTENDERS if (n, noise) in comparison.runs and CONTENDERS[n].sharpness
             and comparison.runs[(n, noise)][0].sharpness.step.size]
    if names:
        fig = Figure(figsize=(3.6 * len(names), 3.4), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(names)))
        for ax, name in zip(axes, names):
            plot_sharpness(comparison, name, noise, ax=ax)
        fig.suptitle(f"Sharpness of the training loss along training ({title})", fontsize=10)
        paths.append(out / "sharpness.png")
        fig.savefig(paths[-1], dpi=dpi)
    if len(comparison.noise_levels) > 1:
        fig = Figure(figsize=(5.5, 3.8), layout="constrained")
        plot_noise(comparison, ax=fig.subplots())
        fig.suptitle(f"Label noise: {cfg['data']['name']}, {cfg['model_spec'] or 'model'}, "
                     f"budget {cfg['budget']}, {cfg['seeds']} seed(s), mean ± std", fontsize=10)
        paths.append(out / "noise.png")
        fig.savefig(paths[-1], dpi=dpi)
    return paths
