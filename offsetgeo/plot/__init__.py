"""Paper-style pictures of offset geometry (matplotlib).

Each function draws one kind of picture on a given ``ax=`` (new axes when absent) for any
:class:`offsetgeo.Function` (or expression string) and returns the axes:

* :func:`graph` — the graph Γ of a 1-D loss;
* :func:`graph_and_offset` — Γ, the upper offsets ``h_ρ`` and the ironed ``f̄_ρ``;
* :func:`unreachable` — Γ with the unreachable sets ``U_ρ`` as bands, one per ρ;
* :func:`medial_axis` — the upper/lower medial axis with a few maximal balls;
* :func:`radius_sweep` — a quantity against ρ on log axes with a reference curve;
* :func:`surface` — contour map of a 2-D loss with ``U_ρ`` and, optionally, ``f̄_ρ``.

:func:`style` is the paper style (a context manager); :data:`PALETTE` its colour-blind-safe
colours; :func:`offset_curves` the offsets and ironed functions behind the pictures, as
arrays with error bounds. :func:`ensure_axes`, :func:`outside_legend`, :func:`log_ticks`,
:func:`check_function`, :func:`check_radii`, :func:`check_colors` and
:func:`check_precomputed` help other pictures (``rbo.plot``) look and check the same.

Examples
--------
>>> import os, tempfile
>>> import offsetgeo.plot as gplot
>>> tmp = tempfile.mkdtemp()
>>> with gplot.style():
...     ax = gplot.graph_and_offset("sin(x) + 0.3*sin(5*x)", [0.3, 1.0], window=(0, 6.3))
...     ax.figure.savefig(os.path.join(tmp, "ironing.pdf"))      # vector output
>>> os.path.getsize(os.path.join(tmp, "ironing.pdf")) > 5000
True
"""

from ._style import (COLUMN_WIDTH, GRAPH_COLOUR, PALETTE, SYMBOLS, TEXT_WIDTH, ensure_axes,
                     log_ticks, outside_legend, style)
from ._checks import check_colors, check_function, check_precomputed, check_radii
from ._sampled import OffsetCurves, offset_curves
from ._curves import graph, graph_and_offset, medial_axis, radius_sweep, unreachable
from ._surface import surface

__all__ = [
    "style", "PALETTE", "GRAPH_COLOUR", "COLUMN_WIDTH", "TEXT_WIDTH", "SYMBOLS",
    "ensure_axes", "outside_legend", "log_ticks", "check_function", "check_radii",
    "check_colors", "check_precomputed",
    "graph", "graph_and_offset", "unreachable", "medial_axis", "radius_sweep", "surface",
    "offset_curves", "OffsetCurves",
]
