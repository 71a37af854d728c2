"""One paper style for every picture: sizes, fonts, a colour-blind-safe palette, symbols.

The palette is Okabe & Ito's (2008), safe for the common colour-vision deficiencies; it is
ordered so that the first colours stay apart in grey scale too. Sizes follow a two-column
paper: :data:`COLUMN_WIDTH` (one column) and :data:`TEXT_WIDTH` (both), in inches.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import math

import matplotlib
import matplotlib.pyplot as plt
from cycler import cycler
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

__all__ = ["PALETTE", "GRAPH_COLOUR", "COLUMN_WIDTH", "TEXT_WIDTH", "SYMBOLS", "style",
           "ensure_axes", "outside_legend", "log_ticks"]

#: Okabe–Ito colours: blue, vermillion, bluish green, orange, reddish purple, sky blue,
#: yellow (black is :data:`GRAPH_COLOUR`, kept for the graph Γ itself).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#F0E442")
#: colour of the graph Γ of the loss
GRAPH_COLOUR = "#000000"
#: width of one column of a two-column paper (inches)
COLUMN_WIDTH = 3.4
#: width of the text block of a two-column paper (inches)
TEXT_WIDTH = 7.0

#: axis labels with the symbols of docs/math.md (matplotlib mathtext)
SYMBOLS = {
    "theta": r"$\theta$",
    "theta1": r"$\theta_1$",
    "theta2": r"$\theta_2$",
    "height": r"height $y$",
    "f": r"$f(\theta)$",
    "graph": r"$\Gamma$ (graph of $f$)",
    "offset": r"$h_\rho$",
    "ironed": r"$\bar f_\rho$",
    "unreachable": r"$U_\rho$",
    "rho": r"radius $\rho$",
    "step": r"step $t$",
}

_RC = {
    "figure.figsize": (COLUMN_WIDTH, 2.5),
    "figure.dpi": 100,
    "figure.constrained_layout.use": True,
    "savefig.dpi": 300,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.03,
    "font.family": "DejaVu Sans",
    "mathtext.fontset": "dejavusans",
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "legend.handlelength": 1.8,
    "legend.columnspacing": 1.2,
    "axes.prop_cycle": cycler(color=PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "lines.linewidth": 1.1,
    "lines.markersize": 3.0,
    "image.cmap": "cividis",
    "pdf.fonttype": 42,          # TrueType in PDF/PS: text stays text in vector output
    "ps.fonttype": 42,
    "svg.fonttype": "none",
}


@contextmanager
def style(**overrides):
    """The toolkit's paper style, as a context manager (matplotlib ``rc`` settings).

    Column-width figures (3.4 in), 7–8 pt fonts, the colour-blind-safe :data:`PALETTE` as
    colour cycle, ``cividis`` for maps, TrueType fonts in PDF (vector output keeps its text)
    and constrained layout, so labels and the legends above the axes never overlap.

    Parameters
    ----------
    **overrides
        Further ``matplotlib.rcParams`` entries (``figure_figsize=(7, 3)`` style names are not
        accepted: pass the real keys, e.g. ``**{"figure.figsize": (7, 3)}``).

    Returns
    -------
    context : context manager
        Entering it applies the style; leaving it restores the previous settings.

    See Also
    --------
    PALETTE : the colour cycle; COLUMN_WIDTH, TEXT_WIDTH : figure widths.

    Examples
    --------
    >>> import matplotlib
    >>> with style():
    ...     matplotlib.rcParams["font.size"], matplotlib.rcParams["pdf.fonttype"]
    (8.0, 42)
    >>> with style(**{"font.size": 10}):
    ...     matplotlib.rcParams["font.size"]
    10.0
    """
    unknown = [k for k in overrides if k not in matplotlib.rcParams]
    if unknown:
        raise ValueError(f"unknown matplotlib rcParams key(s) {unknown}; pass real keys such as "
                         "'figure.figsize' via **{...}")
    with matplotlib.rc_context({**_RC, **overrides}):
        yield


def _plain(label) -> str:
    """A label without its mathtext markup (to estimate its printed length)."""
    text = re.sub(r"\\bar\s*", "", str(label))
    text = re.sub(r"\\[A-Za-z]+", "x", text)
    return re.sub(r"[${}^_]", "", text)


def ensure_axes(ax, **subplot_kw):
    """``ax`` itself, or new axes on a new pyplot figure when ``ax`` is None.

    Parameters
    ----------
    ax : matplotlib Axes or None
    **subplot_kw
        Passed to ``plt.subplots`` for new axes.

    Returns
    -------
    ax : matplotlib Axes

    See Also
    --------
    style : the settings new figures get inside it.

    Examples
    --------
    >>> ax = ensure_axes(None)
    >>> ensure_axes(ax) is ax
    True
    """
    if ax is not None:
        return ax
    _, new = plt.subplots(subplot_kw=subplot_kw or None)
    return new


def outside_legend(ax, handles=None, side="top", ncol=None, **kwargs):
    """A legend outside the axes, where it cannot hide data (None if nothing to show).

    Parameters
    ----------
    ax : matplotlib Axes
    handles : list of artists, optional
        Proxy artists to list instead of the labelled artists of ``ax``.
    side : {"top", "right"} or bool
        In rows above the axes (as many columns as the longest entry allows, at most 3),
        or in one column to their right; True means "top", False no legend (so that
        plotting functions can pass their ``legend=`` argument straight through).
    ncol : int, optional
    **kwargs
        Passed to ``ax.legend``.

    Returns
    -------
    legend : matplotlib Legend or None

    See Also
    --------
    style : sizes and fonts the column count is estimated with.

    Examples
    --------
    >>> ax = ensure_axes(None)
    >>> _ = ax.plot([0, 1], [0, 1], label="a line")
    >>> outside_legend(ax, side="right").get_texts()[0].get_text()
    'a line'
    """
    if side is True:
        side = "top"
    if side is False:
        return None
    if side not in ("top", "right"):
        raise ValueError(f"legend must be True, False, 'top' or 'right', got {side!r}")
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    else:
        labels = [h.get_label() for h in handles]
    if not handles:
        return None
    if side == "right":
        return ax.legend(handles, labels, loc="center left", bbox_to_anchor=(1.02, 0.5),
                         ncol=ncol or 1, borderaxespad=0.0, **kwargs)
    if ncol is None:
        # as many columns (≤ 3) as the longest entry allows in the width of the axes
        width_pt = ax.get_position().width * ax.figure.get_figwidth() * 72.0
        size = matplotlib.rcParams["legend.fontsize"]
        size = size if isinstance(size, (int, float)) else 7.0
        entry_pt = (max(len(_plain(t)) for t in labels) * 0.55 + 4.0) * size
        ncol = int(max(1, min(len(handles), 3, width_pt // entry_pt)))
    return ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0.0, 1.01),
                     ncol=ncol, borderaxespad=0.0, **kwargs)


def log_ticks(axis):
    """Readable ticks on a log axis: 1-2-5 labels over a few decades (plain numbers such as
    ``0.2`` or ``50``), decades only over wider ranges, no labelled minor ticks.

    Parameters
    ----------
    axis : matplotlib Axis
        A log-scaled axis whose view interval is set (``ax.xaxis`` after plotting).

    Returns
    -------
    axis : matplotlib Axis

    See Also
    --------
    radius_sweep : uses it on both axes.

    Examples
    --------
    >>> ax = ensure_axes(None)
    >>> _ = ax.loglog([3, 100], [1, 2])
    >>> log_ticks(ax.xaxis).get_major_formatter()(50, 0)
    '50'
    """
    lo, hi = sorted(axis.get_view_interval())
    if not (lo > 0 and hi > lo):
        return axis
    decades = math.log10(hi / lo)
    subs = (1.0, 2.0, 5.0) if decades <= 2.5 else (1.0,)
    axis.set_major_locator(LogLocator(base=10.0, subs=subs))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())
    return axis
