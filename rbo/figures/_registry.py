"""The registry of figures: a name, a title and one function that computes and draws.

A figure is one function ``build(quick: bool) -> FigureResult`` decorated with
:func:`figure`; importing its module registers it in :data:`FIGURES` (in import order,
which is the order of the report).
"""

from __future__ import annotations

import hashlib
import inspect
import sys
from dataclasses import dataclass
from typing import Callable

from matplotlib.figure import Figure

from offsetgeo.plot import COLUMN_WIDTH

__all__ = ["FigureResult", "FigureSpec", "FIGURES", "figure", "new_figure"]


@dataclass(frozen=True)
class FigureResult:
    """What a figure function returns.

    Attributes
    ----------
    figure : matplotlib.figure.Figure
        The drawn figure (saved in every requested format).
    data : dict
        The numbers behind it, written to ``NAME.json`` by the toolkit's one JSON rule
        (arrays as lists, NumPy scalars as numbers, non-finite numbers as ``null``).
    caption : str
        What the figure shows and what was measured (Markdown, one paragraph).
    """

    figure: Figure
    data: dict
    caption: str


@dataclass(frozen=True)
class FigureSpec:
    """A registered figure: ``build(quick)`` makes it; ``title`` heads its report section."""

    name: str
    title: str
    build: Callable[[bool], FigureResult]

    @property
    def source_digest(self) -> str:
        """Hash of the source of the module defining ``build``: a figure written by other
        code is not up to date."""
        module = sys.modules[self.build.__module__]
        return hashlib.sha256(inspect.getsource(module).encode()).hexdigest()[:16]


#: name -> FigureSpec, in the order of the report
FIGURES: dict = {}


def figure(title: str, *, name: str | None = None):
    """Register ``build(quick) -> FigureResult`` as a figure of ``rbo figures``.

    Parameters
    ----------
    title : str
        Heading of the figure in the report.
    name : str, optional
        File stem and ``--only`` name (default: the function's name).

    Returns
    -------
    register : callable
        The decorator: registers ``build`` and returns it unchanged.

    See Also
    --------
    FigureResult : what ``build`` returns; make : makes the registered figures.

    Examples
    --------
    >>> @figure("A demonstration")
    ... def demo_figure(quick):
    ...     fig, ax = new_figure()
    ...     ax.plot([0, 1], [0, 1])
    ...     return FigureResult(fig, {"points": [[0, 0], [1, 1]]}, "A line.")
    >>> FIGURES["demo_figure"].title
    'A demonstration'
    >>> del FIGURES["demo_figure"]
    """
    def register(build):
        key = name or build.__name__
        if not key.isidentifier():
            raise ValueError(f"figure name must be an identifier (it names files), got {key!r}")
        if key in FIGURES:
            raise ValueError(f"a figure named {key!r} is already registered "
                             f"(by {FIGURES[key].build.__module__})")
        FIGURES[key] = FigureSpec(key, title, build)
        return build

    return register


def new_figure(width=COLUMN_WIDTH, height=2.6, nrows=1, ncols=1, **subplots_kw):
    """A matplotlib Figure (no pyplot state, constrained layout) and its axes.

    Parameters
    ----------
    width, height : float
        Size in inches (default: one column of a two-column paper).
    nrows, ncols : int
    **subplots_kw
        Passed to ``Figure.subplots`` (``sharex=``, ...).

    Returns
    -------
    fig : matplotlib Figure
    axes : Axes or array of Axes

    See Also
    --------
    offsetgeo.plot.style : the style the figures are drawn in.

    Examples
    --------
    >>> fig, axes = new_figure(nrows=1, ncols=2)
    >>> axes.shape
    (2,)
    """
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(nrows, ncols, squeeze=True, **subplots_kw)
