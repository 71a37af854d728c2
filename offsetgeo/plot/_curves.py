"""Pictures of a 1-D loss: its graph, offsets, ironed functions, unreachable sets, medial
axes, and quantities swept over the radius."""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Circle

from .. import medial_axis as _medial_axis
from .. import unreachable_set
from ._checks import (check_colors, check_function, check_precomputed, check_radii,
                      check_window)
from ._sampled import envelope, offset_curves
from ._style import GRAPH_COLOUR, PALETTE, SYMBOLS, ensure_axes, log_ticks, outside_legend

__all__ = ["graph", "graph_and_offset", "unreachable", "medial_axis", "radius_sweep"]

_GRAPH_SAMPLES = 1 << 16


def graph(f, *, ax=None, window=None, label=SYMBOLS["graph"], **line_kw):
    """Draw the graph Γ = {(θ, f(θ))} of a 1-D loss.

    Fine wiggles are kept: f is sampled densely and drawn as its min–max envelope per
    column of the picture.

    Parameters
    ----------
    f : Function or str
    ax : matplotlib Axes, optional
        Created when absent.
    window : (lo, hi), optional
        Default: the domain, one period, or ``[-5, 5]``.
    label : str
        Legend entry (None: none).
    **line_kw
        Passed to ``ax.plot``.

    Returns
    -------
    ax : matplotlib Axes

    See Also
    --------
    graph_and_offset : Γ with its offsets and ironed functions.

    Examples
    --------
    >>> ax = graph("sin(x)", window=(0, 6.3))
    >>> ax.get_xlabel()
    '$\\\\theta$'
    """
    f = check_function(f, "graph")
    lo, hi = check_window(f, window, "graph")[0]
    x = np.linspace(lo, hi, _GRAPH_SAMPLES)
    return _draw_graph(ensure_axes(ax), x, f.value(x), (lo, hi), label, line_kw)


def _draw_graph(ax, x, value, limits, label=SYMBOLS["graph"], line_kw=None):
    """Γ from samples (drawn as their min–max envelope), axes labelled, x limits set."""
    kw = {"color": GRAPH_COLOUR, "lw": 0.9, "label": label, "zorder": 3, **(line_kw or {})}
    ax.plot(*envelope(x, value), **kw)
    ax.set_xlim(*limits)
    ax.set_xlabel(SYMBOLS["theta"])
    ax.set_ylabel(SYMBOLS["height"])
    return ax


def graph_and_offset(f, rhos, *, ax=None, window=None, offset=True, ironed=True, tol=None,
                     colors=None, precomputed=None, legend=True):
    """Draw Γ, the upper offsets ``h_ρ`` (dashed) and the ironed functions ``f̄_ρ`` (solid).

    ``h_ρ(x) = max_{|φ−x|≤ρ} f(φ) + sqrt(ρ² − (x−φ)²)`` is the height of the centre of the
    ball of radius ρ resting on Γ above x; ``f̄_ρ`` is the lowest height above θ the ball
    reaches (``≥ f``, equal where ``p(θ)`` is ρ-reachable). Both come from the exact
    morphology of dense samples (:func:`offset_curves`, error ≤ 1/1000 of the range of f).

    Parameters
    ----------
    f : Function or str
        A loss of one variable.
    rhos : float or sequence of float
        Radii ρ > 0, one colour each.
    ax : matplotlib Axes, optional
    window : (lo, hi), optional
    offset, ironed : bool
        Draw ``h_ρ`` / ``f̄_ρ``.
    tol : float, optional
        Error target of the curves (see :func:`offset_curves`).
    colors : sequence of colours, optional
        One per radius (default: :data:`PALETTE` in order).
    precomputed : OffsetCurves, optional
        Curves already computed by :func:`offset_curves` on this window for (at least)
        these radii, drawn instead of computed again (one dense sampling for many pictures).
    legend : bool or {"top", "right"}
        Where to put the legend (True: above the axes; False: none).

    Returns
    -------
    ax : matplotlib Axes

    See Also
    --------
    offset_curves : the curves as arrays, with their error bounds.

    Examples
    --------
    >>> ax = graph_and_offset("sin(x) + 0.3*sin(5*x)", [0.3, 1.0], window=(0, 6.3))
    >>> [line.get_label() for line in ax.get_lines()][1:3]
    ['$h_\\\\rho$, $\\\\rho$ = 0.3', '$\\\\bar f_\\\\rho$, $\\\\rho$ = 0.3']
    """
    f = check_function(f, "graph_and_offset")
    rho = check_radii(rhos, "graph_and_offset")
    box = check_window(f, window, "graph_and_offset")
    if precomputed is None:
        curves, rows = offset_curves(f, rho, window=box, tol=tol), range(rho.size)
    else:
        curves = precomputed
        rows = [int(np.argmin(np.abs(curves.rho - r))) for r in rho]
        if not np.allclose(curves.rho[rows], rho, rtol=1e-12, atol=0.0):
            raise ValueError(f"graph_and_offset: precomputed curves are for radii "
                             f"{curves.rho.tolist()}, which lack some of {rho.tolist()}")
    colours = check_colors(colors, rho.size, "graph_and_offset")
    ax = _draw_graph(ensure_axes(ax), curves.x, curves.value, box[0])   # the same samples
    for r, colour, k in zip(rho, colours, rows):
        h, fbar = curves.offset[k], curves.ironed[k]
        if offset:
            ax.plot(*envelope(curves.x, h), color=colour, lw=1.0, ls="--",
                    label=rf"{SYMBOLS['offset']}, $\rho$ = {r:.3g}")
        if ironed:
            ax.plot(*envelope(curves.x, fbar), color=colour, lw=1.3,
                    label=rf"{SYMBOLS['ironed']}, $\rho$ = {r:.3g}", zorder=4)
    outside_legend(ax, side=legend)
    return ax


def _split_wrapped(intervals, lo, hi):
    """Intervals of a periodic window that run past its end, split back into the window."""
    out = []
    for a, b in intervals:
        if b > hi:
            out += [(a, hi), (lo, lo + (b - hi))]
        else:
            out.append((a, b))
    return out


def unreachable(f, rhos, *, ax=None, window=None, precomputed=None):
    """Draw Γ with the unreachable sets ``U_ρ = {θ : f̄_ρ(θ) > f(θ)}`` as bands, one per ρ.

    Each band sits below the graph, labelled with its radius on the right, and covers
    ``U_ρ`` (from :func:`offsetgeo.unreachable_set`: edges refined to 1e-9; an empty set
    is labelled ∅).

    Parameters
    ----------
    f : Function or str
        A loss of one variable.
    rhos : float or sequence of float
        Radii ρ > 0 (drawn in increasing order).
    ax : matplotlib Axes, optional
    window : (lo, hi), optional
    precomputed : sequence of UnreachableSet, optional
        The sets, already computed by :func:`offsetgeo.unreachable_set` on this window, one
        per radius in increasing order (drawn instead of computed again).

    Returns
    -------
    ax : matplotlib Axes

    See Also
    --------
    offsetgeo.unreachable_set : the sets drawn; surface : the 2-D picture.

    Examples
    --------
    >>> ax = unreachable("sin(x)", [0.5, 2.0], window=(0, 6.283185307179586))
    >>> len(ax.collections)      # two bands: U_0.5 is empty, U_2 one interval
    2
    """
    f = check_function(f, "unreachable")
    rho = np.sort(check_radii(rhos, "unreachable"))
    box = check_window(f, window, "unreachable")
    sets = check_precomputed(precomputed, rho, "rho", "unreachable")
    if sets is None:
        sets = [unreachable_set(f, float(r), window=box) for r in rho]
    lo, hi = box[0]
    ax = graph(f, ax=ax, window=box)
    v = f.value(np.linspace(lo, hi, 2001))
    v_lo, v_hi = float(v.min()), float(v.max())
    spread = (v_hi - v_lo) or 1.0
    band = 0.12 * spread
    top = v_lo - 0.12 * spread
    for k, (r, U) in enumerate(zip(rho, sets)):
        colour = PALETTE[k % len(PALETTE)]
        parts = _split_wrapped(U.intervals, lo, hi)
        y0 = top - (k + 1) * band
        ax.broken_barh([(a, b - a) for a, b in parts], (y0, 0.75 * band), facecolors=colour,
                       edgecolors="none")
        ax.annotate(rf"$\rho$ = {r:.3g}" + ("" if parts else r": $\emptyset$"),
                    xy=(1.01, y0 + 0.375 * band), xycoords=("axes fraction", "data"),
                    ha="left", va="center", fontsize=6.5, color=colour, annotation_clip=False)
    ax.set_ylim(top - (len(rho) + 0.3) * band, v_hi + 0.08 * spread)
    ticks = [t for t in ax.get_yticks() if v_lo - 1e-9 * spread <= t <= v_hi + 1e-9 * spread]
    ax.set_yticks(ticks)
    ax.spines["left"].set_bounds(min(ticks + [v_lo]), max(ticks + [v_hi]))
    ax.set_ylabel(SYMBOLS["f"] + r";  bands: $U_\rho$")
    return ax


def _pick_balls(branches, count, y_lo, y_hi):
    """Up to ``count`` branch points spread along the branches, whose balls lie between
    the heights ``y_lo`` and ``y_hi``."""
    points = [(b.centre[i], b.radius[i], b.footpoints[i])
              for b in branches for i in range(len(b.radius))
              if b.centre[i, 1] - b.radius[i] >= y_lo and b.centre[i, 1] + b.radius[i] <= y_hi]
    if not points or count <= 0:
        return []
    idx = np.unique(np.linspace(0, len(points) - 1, count + 2).round().astype(int)[1:-1])
    return [points[i] for i in idx]


def medial_axis(f, side="upper", *, ax=None, window=None, balls=3, max_radius=None,
                precomputed=None, legend=True):
    """Draw Γ with its upper and/or lower medial axis and a few maximal balls.

    A point of the upper medial axis is the centre of a maximal ball above Γ: it touches Γ
    twice (dotted segments to both footpoints) or osculates it at a branch's end.

    Parameters
    ----------
    f : Function or str
        A loss of one variable.
    side : {"upper", "lower", "both"}
    ax : matplotlib Axes, optional
    window : (lo, hi), optional
    balls : int
        Maximal balls drawn per side.
    max_radius : float, optional
        Passed to :func:`offsetgeo.medial_axis`.
    precomputed : sequence of MedialAxis, optional
        The axes already computed by :func:`offsetgeo.medial_axis` (one per side: upper
        first), drawn instead of computed again.
    legend : bool or {"top", "right"}
        Where to put the legend (True: above the axes; False: none).

    Returns
    -------
    ax : matplotlib Axes

    See Also
    --------
    offsetgeo.medial_axis : the axes drawn; offsetgeo.reach : their distance to Γ.

    Examples
    --------
    >>> ax = medial_axis("x**2", window=(-1, 1), balls=1)
    >>> ax.get_aspect()
    1.0
    """
    f = check_function(f, "medial_axis")
    if side not in ("upper", "lower", "both"):
        raise ValueError(f"medial_axis: side must be 'upper', 'lower' or 'both', got {side!r}")
    box = check_window(f, window, "medial_axis")
    ax = graph(f, ax=ax, window=box)
    x = np.linspace(*box[0], 2001)
    v = f.value(x)
    spread = float(v.max() - v.min()) or 1.0
    y_lo, y_hi = float(v.min()) - 0.6 * spread, float(v.max()) + 0.6 * spread
    sides = ("upper", "lower") if side == "both" else (side,)
    given = check_precomputed(precomputed, sides, "side", "medial_axis")
    for k, s in enumerate(sides):
        colour = PALETTE[k]
        axis = given[k] if given is not None else _medial_axis(f, s, window=box,
                                                              max_radius=max_radius)
        for i, branch in enumerate(axis.branches):
            ax.plot(branch.centre[:, 0], branch.centre[:, 1], color=colour, lw=1.2,
                    label=f"{s} medial axis" if i == 0 else None)
        for c, radius, feet in _pick_balls(axis.branches, balls, y_lo, y_hi):
            ax.add_patch(Circle(c, radius, fill=False, ec=colour, lw=0.7, alpha=0.8))
            for t in feet:
                ax.plot([c[0], t], [c[1], f.value(float(t))], ls=":", color=colour, lw=0.7)
            ax.plot(*c, "o", color=colour, ms=2.5)
    ax.set_ylim(y_lo, y_hi)
    ax.set_aspect("equal", adjustable="box")
    outside_legend(ax, side=legend)
    return ax


def _ragged(rhos) -> bool:
    """Whether ``rhos`` is a sequence of sweeps (one per curve) rather than one sweep."""
    return (isinstance(rhos, (list, tuple)) and len(rhos) > 0
            and all(np.ndim(r) == 1 for r in rhos))


def _sweeps(rhos, values, who, what="values"):
    """``[(ρ_k, y_k)]``: one sweep (n,) with values (n,) or (k, n), or k sweeps with k arrays."""
    if _ragged(rhos):
        radii = [check_radii(r, who) for r in rhos]
        ys = list(values) if isinstance(values, (list, tuple)) or np.ndim(values) == 2 else None
        if ys is None or len(ys) != len(radii):
            raise ValueError(f"{who}: {len(radii)} sweeps of ρ need {len(radii)} arrays of "
                             f"{what}")
    else:
        radii = [check_radii(rhos, who)]
        arr = np.asarray(values, dtype=float)
        ys = list(arr[None, :] if arr.ndim == 1 else arr)
        radii = radii * len(ys)
    out = []
    for r, y in zip(radii, ys):
        y = np.asarray(y, dtype=float)
        if y.shape != r.shape:
            raise ValueError(f"{who}: {what} must have one entry per radius ({r.size}), got "
                             f"shape {y.shape}")
        out.append((r, y))
    return out


def radius_sweep(rhos, values, *, ax=None, reference=None, label=None, reference_label=None,
                 ylabel=None, yscale="log", marker="o", colors=None, legend=True):
    """Draw a quantity against the radius ρ on log axes, with an optional reference curve.

    Parameters
    ----------
    rhos : sequence of float, or a list of k such sequences
        The radii (positive): one sweep shared by every curve, or one sweep per curve.
    values : array_like
        Shape (n,) or (k, n) for one shared sweep, or a list of k arrays matching the k
        sweeps. Non-finite entries (and, on a log axis, entries ≤ 0) leave gaps.
    ax : matplotlib Axes, optional
    reference : callable, array_like or (rhos, values), optional
        A bound or asymptote, drawn dashed: a function of ρ (on a fine grid over the sweep,
        black), its own pair of arrays (black), or values at the radii (shaped like
        ``values``: one per curve, in its colour; one curve: black).
    label : str or sequence of str, optional
        Legend entries of the curves.
    reference_label : str, optional
    ylabel : str, optional
    yscale : {"log", "linear", "symlog"}
    marker : str or sequence of str
        Marker of the measured points ("" for none), or one per curve.
    colors : sequence of colours, optional
        One per curve (default: :data:`PALETTE` in order).
    legend : bool or {"top", "right"}
        Where to put the legend (True: above the axes; False: none).

    Returns
    -------
    ax : matplotlib Axes

    See Also
    --------
    offsetgeo.theorems.run_all : reports whose measured values and bounds it draws.

    Examples
    --------
    >>> import numpy as np
    >>> r = np.array([1.0, 2.0, 4.0])
    >>> ax = radius_sweep(r, 1 / r, reference=lambda p: 1 / p, reference_label="1/ρ")
    >>> ax.get_xscale(), len(ax.get_lines())
    ('log', 2)
    >>> ax = radius_sweep([r, 2 * r[:2]], [1 / r, [0.3, 0.2]], label=["a", "b"])
    >>> len(ax.get_lines())
    2
    """
    curves = _sweeps(rhos, values, "radius_sweep")
    k = len(curves)
    if yscale not in ("log", "linear", "symlog"):
        raise ValueError(f"radius_sweep: yscale must be 'log', 'linear' or 'symlog', got "
                         f"{yscale!r}")
    labels = [label] * k if label is None or isinstance(label, str) else list(label)
    markers = [marker] * k if isinstance(marker, str) else list(marker)
    if len(labels) != k or len(markers) != k:
        raise ValueError(f"radius_sweep: {k} curve(s) but {len(labels)} labels and "
                         f"{len(markers)} markers")
    colours = check_colors(colors, k, "radius_sweep")
    ax = ensure_axes(ax)

    def drawable(y):
        y = np.asarray(y, dtype=float).copy()
        if yscale == "log":
            y[~(y > 0)] = np.nan
        return y

    for i, ((r, y), text, colour, mark) in enumerate(zip(curves, labels, colours, markers)):
        order = np.argsort(r)
        # later curves thinner and smaller, so that coinciding curves all stay visible
        ax.plot(r[order], drawable(y[order]), marker=mark, ms=max(4.5 - 1.0 * i, 2.0),
                lw=max(1.8 - 0.4 * i, 0.8), color=colour, label=text)
    if reference is not None:
        if callable(reference):
            lo = min(r.min() for r, _ in curves)
            hi = max(r.max() for r, _ in curves)
            rx = np.geomspace(lo, hi, 400)
            refs, ref_colours = [(rx, np.asarray(reference(rx), dtype=float))], [GRAPH_COLOUR]
        elif isinstance(reference, tuple) and len(reference) == 2 and not _ragged(rhos):
            refs = [tuple(np.asarray(a, dtype=float) for a in reference)]
            ref_colours = [GRAPH_COLOUR]
        else:
            given = _sweeps(rhos, reference, "radius_sweep", "reference values")
            if len(given) not in (1, k):
                raise ValueError(f"radius_sweep: reference has {len(given)} curves; give 1 "
                                 f"or {k}")
            refs = [(r[np.argsort(r)], y[np.argsort(r)]) for r, y in given]
            ref_colours = [GRAPH_COLOUR] if k == 1 else colours
        for (rx, ry), colour in zip(refs, ref_colours):
            ax.plot(rx, drawable(ry), ls="--", color=colour, lw=0.9, zorder=2.5,
                    label=reference_label if len(refs) == 1 else None)
        if len(refs) > 1 and reference_label:  # one neutral legend entry for coloured bounds
            ax.plot([], [], ls="--", color=GRAPH_COLOUR, lw=0.9, label=reference_label)
    ax.set_xscale("log")
    ax.set_yscale(yscale)
    ax.autoscale_view()
    log_ticks(ax.xaxis)
    if yscale == "log":
        log_ticks(ax.yaxis)
    ax.set_xlabel(SYMBOLS["rho"])
    if ylabel:
        ax.set_ylabel(ylabel)
    outside_legend(ax, side=legend)
    return ax
