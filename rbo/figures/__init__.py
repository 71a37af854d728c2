"""Every figure of the seed papers, recomputed exactly, with its data and a report.

``make(out)`` (the ``rbo figures`` command) writes, for each figure ``NAME`` of
:data:`FIGURES`, ``out/NAME.png`` (and PDF/SVG when asked), ``out/NAME.json`` (caption,
settings and the numbers behind the figure; strict JSON, non-finite numbers as ``null``),
then ``out/report.md`` and a self-contained ``out/report.html`` with every figure, its
caption and the theorem table of ``offsetgeo verify``.

Adding a figure is adding one function to a family module (or a new module imported
below)::

    @figure("What the figure shows")
    def my_figure(quick: bool) -> FigureResult:
        fig, ax = new_figure()
        ...                          # compute exactly, draw with rbo.plot / offsetgeo.plot
        return FigureResult(fig, {"rho": radii, ...}, "Caption: what it shows and measured.")

Families: :mod:`._dynamics` (``rbo_step``, ``riemann_trajectories``, ``ironing``,
``exploration``), :mod:`._geometry` (``height_decay``, ``unreachable_sets``,
``medial_axis``, ``surface_2d``), :mod:`._theorems` (``weak_ironing``, ``linear_ironing``,
``strong_ironing``, ``phase_transition``, ``sharp_minima``), :mod:`._stability`
(``rbo_stability``, ``rbo_first_order``: RBO's own dynamics, :mod:`rbo.dynamics`).

Examples
--------
>>> from rbo import figures
>>> list(figures.FIGURES)[:3]
['rbo_step', 'riemann_trajectories', 'ironing']
"""

from ._registry import FIGURES, FigureResult, FigureSpec, figure, new_figure
from . import _dynamics, _geometry, _theorems, _stability
from ._make import FORMATS, Made, Summary, make

__all__ = ["FIGURES", "figure", "FigureResult", "FigureSpec", "new_figure", "make", "Made",
           "Summary", "FORMATS"]

_REGISTERED = (_dynamics, _geometry, _theorems, _stability)   # importing them registers, in order
