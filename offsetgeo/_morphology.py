"""Exact grey-scale morphology of sampled graphs by a ball (a hemisphere).

The upper rho-offset of a sampled graph, the ironed function (closing) and their
duals, on uniform 1-D and 2-D grids, exact up to rounding (see ``docs/math.md``,
section "Offsets, ironing, reachability").

Conventions
-----------
Samples ``f_i`` sit at ``x_i = i * h`` (per axis in 2-D). A sample ``i`` is within reach of
``x_j`` when ``|x_j - x_i| <= rho``, evaluated as ``sum_axis ((j - i) * h)**2 <= rho**2``
(in 2-D: ``(dj*h_in)**2 <= rho**2 - (di*h_out)**2``, the outer axis being the one with the
larger spacing, axis 0 on ties). Samples exactly at distance ``rho`` take part with a zero
hemisphere term. Ball centres of the erosion lie on the grid too, so the closing equals
``values`` at a rho-reachable sample only up to O(h^2 / (rho (1 - rho kappa))), and it is
monotone in ``rho`` only up to such sampling errors (exactly so in the continuum).

Algorithms
----------
1-D dilation, O(n) for any ``rho``. The arcs ``a_i(x) = f_i + sqrt(rho^2 - (x - x_i)^2)``
(``-inf`` outside ``|x - x_i| <= rho``) have equal radii, so for ``i < k`` the difference
``a_k - a_i`` is strictly increasing on their common support: its derivative is
``g(x - x_k) - g(x - x_i)`` with ``g(u) = -u / sqrt(rho^2 - u^2)`` strictly decreasing.
Hence arc ``k`` beats arc ``i`` exactly on a half line ``[c(i, k), +inf)``, also after
the supports are taken into account (left of ``x_k - rho`` only ``i`` exists, right of
``x_i + rho`` only ``k``). This is the single-crossing property of the parabolas of the
Felzenszwalb--Huttenlocher distance transform, and the same stack algorithm builds the
upper envelope: push arcs left to right, pop the top while the new arc beats it on all of
its region. The finite support needs no separate deque: it is folded into ``c(i, k)``,
which is clamped to the integer overlap ``[k - w, i + w + 1]`` (``w`` = reach in samples),
so an arc that runs out of reach hands over to the next one at its last sample. Each arc is
pushed and popped at most once: O(n). ``c(i, k)`` is the x of the upper intersection point
of the two circles, which lies on both upper arcs iff ``|P_k - P_i|^2 <= 2 rho dx``;
otherwise the sign of ``f_k - f_i`` decides the whole overlap. At query time the two
neighbouring arcs of the stack are also evaluated at region boundaries, which absorbs a
crossing point rounded to the wrong side of a sample.

2-D dilation, O(N * rho / h). For a row offset ``di`` with ``|di| h0 <= rho`` write
``rho^2 - (di h0)^2 - (dj h1)^2 = r(di)^2 - (dj h1)^2``; the 2-D dilation is the maximum over
``di`` of the 1-D dilations, with radius ``r(di)``, of row ``a + di``. The 1-D row dilations
with radius ``r(di)`` serve both ``+di`` and ``-di``: each input row is dilated once per
offset (rows in parallel), then the output rows take their maxima (rows in parallel). The
outer loop runs over the axis with
the larger spacing (fewer offsets). Erosion is ``-dilation(-f)``; closing is
``erosion(dilation(f))``; opening is ``-closing(-f)``.

Periodic axes are handled by wrapping ``min(w, n // 2)`` samples on each side: for every
output sample the nearest copy of each sample (distance ``<= n // 2``) is then in the window,
and farther copies only give lower arcs, so the cost stays O(n) for any ``rho``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numba import njit, prange, get_num_threads

from ._numerics import in_chunks
from ._validation import check_radius

__all__ = [
    "hemisphere_dilation",
    "hemisphere_erosion",
    "hemisphere_closing",
    "hemisphere_opening",
]


# --------------------------------------------------------------------------- kernels


@njit(cache=True)
def _reach(h, r2, nmax):
    """Largest integer k >= 0 with (k*h)**2 <= r2, capped at nmax."""
    if r2 < 0.0:
        return -1
    w = int(math.sqrt(r2) / h)
    while w > 0 and (w * h) * (w * h) > r2:
        w -= 1
    while (w + 1) * h * ((w + 1) * h) <= r2 and w < nmax:
        w += 1
    if w > nmax:
        w = nmax
    return w


@njit(cache=True, inline="always")
def _crossing(fi, fk, i, k, h, inv_h, r, r2, w):
    """First sample index from which arc k (k > i) is >= arc i (integer half line)."""
    m = k - i
    lo = k - w
    if m > 2 * w:  # disjoint integer supports: k takes over at its first sample
        return lo
    hi = i + w + 1
    df = fk - fi
    if df > 2.0 * r:
        return lo
    if df < -2.0 * r:
        return hi
    dx = m * h
    d2 = dx * dx + df * df
    if d2 > 2.0 * r * dx:
        # the circles' upper intersection is not on both upper arcs: no crossing on the
        # overlap, and a_k - a_i has the sign of df there (its value at the midpoint)
        if df >= 0.0:
            return lo
        return hi
    # upper intersection of the circles: x_i + dx/2 - df * sqrt(r^2 - d^2/4) / d
    q = r2 / d2 - 0.25
    xs = 0.5 * dx - df * (math.sqrt(q) if q > 0.0 else 0.0)
    c = i + int(math.ceil(xs * inv_h))
    if c < lo:
        c = lo
    if c > hi:
        c = hi
    return c


@njit(cache=True, inline="always")
def _arc(f, i, j, tab, w):
    """Value of arc i at sample j (-inf if out of reach); tab[m] = sqrt(r^2 - (m h)^2)."""
    d = j - i
    if d > w or d < -w:
        return -np.inf
    return f[i] + tab[abs(d)]


@njit(cache=True)
def _dilate_1d_core(f, h, r2, out, stk, zs, vz, tab):
    """out[j] = max over ((j-i)h)^2 <= r2 of f[i] + sqrt(r2 - ((j-i)h)^2).

    stk, zs (int64), vz and tab (float64) are scratch arrays of length >= len(f).
    """
    n = f.shape[0]
    if n == 0:
        return
    w = _reach(h, r2, n - 1)
    if w < 0:
        for j in range(n):
            out[j] = -np.inf
        return
    r = math.sqrt(r2)
    if w == 0:
        for j in range(n):
            out[j] = f[j] + r
        return
    inv_h = 1.0 / h
    for m in range(w + 1):  # hemisphere profile, one sqrt per offset
        dd = m * h
        q = r2 - dd * dd
        tab[m] = math.sqrt(q) if q > 0.0 else 0.0
    # ---- upper envelope: stack of arcs; arc stk[t] owns samples zs[t] .. zs[t+1]-1,
    # vz[t] is its value at zs[t]
    top = 0
    stk[0] = 0
    zs[0] = -(1 << 62)
    vz[0] = -np.inf
    for k in range(1, n):
        fk = f[k]
        lo = k - w
        # pop arcs that arc k beats on the first sample of their region (hence on all of it)
        while top > 0:
            z = zs[top]
            if z < lo:  # arc k does not reach that sample
                break
            if fk + tab[k - z if k >= z else z - k] >= vz[top]:
                top -= 1
            else:
                break
        i = stk[top]
        c = _crossing(f[i], fk, i, k, h, inv_h, r, r2, w)
        if c <= zs[top]:  # only by rounding (the pop test said otherwise)
            c = zs[top] + 1
        if c < n:  # arcs winning only beyond the last sample never matter
            top += 1
            stk[top] = k
            zs[top] = c
            vz[top] = fk + tab[k - c if k >= c else c - k]
    # ---- evaluate at the samples; at region boundaries also try the neighbouring arc,
    # which absorbs a crossing rounded to the wrong side of a sample
    p = 0
    for j in range(n):
        while p < top and zs[p + 1] <= j:
            p += 1
        best = _arc(f, stk[p], j, tab, w)
        if p > 0 and zs[p] == j:
            v = _arc(f, stk[p - 1], j, tab, w)
            if v > best:
                best = v
        if p < top and zs[p + 1] == j + 1:
            v = _arc(f, stk[p + 1], j, tab, w)
            if v > best:
                best = v
        out[j] = best


@njit(cache=True)
def _dilate_1d(f, h, r2):
    n = f.shape[0]
    out = np.empty(n)
    m = max(n, 1)
    _dilate_1d_core(
        f, h, r2, out, np.empty(m, np.int64), np.empty(m, np.int64), np.empty(m), np.empty(m)
    )
    return out


@njit(cache=True, parallel=True)
def _dilate_2d_items(F, h0, h1, rho, i0, i1, nblock, G, out):
    """Items ``[i0, i1)`` of the 2-D hemisphere dilation, item ``i = d * n0 + b`` being the
    1-D dilation of input row ``b`` with radius ``r(d)``, stored in ``G[b]``.

    When the items complete an offset ``d``, every output row ``a`` takes the maximum with
    ``G[a - d]`` and ``G[a + d]`` (one row dilation serves both signs of ``d``). Items are
    processed offset by offset; within one offset the rows run in ``nblock`` parallel blocks,
    so each input row is dilated exactly once per offset and no two threads write one row.
    """
    n0, n1 = F.shape
    rho2 = rho * rho
    i = i0
    while i < i1:
        d = i // n0
        b0 = i - d * n0
        b1 = min(n0, b0 + (i1 - i))
        dd = d * h0
        r2 = rho2 - dd * dd
        rows = b1 - b0
        nb = max(1, min(rows, nblock))
        for c in prange(nb):
            m = max(n1, 1)
            stk = np.empty(m, np.int64)
            zs = np.empty(m, np.int64)
            vz = np.empty(m)
            tab = np.empty(m)
            for b in range(b0 + c * rows // nb, b0 + (c + 1) * rows // nb):
                _dilate_1d_core(F[b], h1, r2, G[b], stk, zs, vz, tab)
        if b1 == n0:                       # offset d complete: merge into the output
            for a in prange(n0):
                if a - d >= 0:
                    for t in range(n1):
                        if G[a - d, t] > out[a, t]:
                            out[a, t] = G[a - d, t]
                if d > 0 and a + d < n0:
                    for t in range(n1):
                        if G[a + d, t] > out[a, t]:
                            out[a, t] = G[a + d, t]
        i += rows


def _dilate_2d(F, h0, h1, rho):
    """2-D dilation over the items (offset, input row), in chunks of about 0.1 s (Ctrl-C
    between them); one row buffer ``G`` of the input's size."""
    n0 = F.shape[0]
    out = np.full(F.shape, -np.inf)
    G = np.empty_like(F)
    w0 = _reach_py(h0, rho, n0)
    threads = get_num_threads()
    in_chunks(lambda a, b: _dilate_2d_items(F, h0, h1, rho, a, b, threads, G, out),
              (w0 + 1) * n0, first=max(8 * threads, 1))
    return out


# --------------------------------------------------------------------------- validation


def _check_values(values):
    arr = np.asarray(values)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"values must be a real numeric array, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if arr.ndim == 0 or arr.ndim > 2:
        if arr.ndim > 2:
            raise ValueError(
                f"3-D grids are not supported; values must be 1-D or 2-D, got ndim={arr.ndim}"
            )
        raise ValueError("values must be a 1-D or 2-D array, got a scalar")
    if arr.size and not np.all(np.isfinite(arr)):
        if np.isnan(arr).any():
            raise ValueError("values contain NaN; the morphology of a graph needs finite samples")
        raise ValueError("values contain inf; the morphology of a graph needs finite samples")
    return arr


def _check_spacing(spacing, ndim):
    if isinstance(spacing, numbers.Real) or np.ndim(spacing) == 0:
        items = [spacing] * ndim
    else:
        items = list(spacing)
        if len(items) != ndim:
            raise ValueError(
                f"spacing must be a number or a sequence of {ndim} numbers, got {spacing!r}"
            )
    out = []
    for s in items:
        try:
            v = float(s)
        except (TypeError, ValueError):
            raise ValueError(f"spacing must be numeric, got {spacing!r}") from None
        if not math.isfinite(v) or v <= 0.0:
            raise ValueError(f"spacing must be positive and finite, got {spacing!r}")
        out.append(v)
    return tuple(out)


def _check_periodic(periodic, ndim):
    if isinstance(periodic, (bool, np.bool_)):
        return (bool(periodic),) * ndim
    items = tuple(periodic)
    if len(items) != ndim or not all(isinstance(p, (bool, np.bool_)) for p in items):
        raise ValueError(
            f"periodic must be a bool or a tuple of {ndim} bools, got {periodic!r}"
        )
    return tuple(bool(p) for p in items)


def _reach_py(h, rho, n):
    return int(_reach(float(h), rho * rho, max(n - 1, 0)))


def _dilate(f, spacing, rho, periodic):
    """Validated input (float64, finite) -> dilation, same shape."""
    if f.size == 0:
        return f.copy()
    if f.ndim == 1:
        h = spacing[0]
        n = f.shape[0]
        if periodic[0]:
            p = min(_reach_py(h, rho, 10 * n + 10), n // 2)
            if p > 0:
                g = _dilate_1d(np.pad(f, p, mode="wrap"), h, rho * rho)
                return np.ascontiguousarray(g[p : p + n])
        return _dilate_1d(np.ascontiguousarray(f), h, rho * rho)
    # 2-D: wrap periodic axes, then put the axis with fewer offsets (larger spacing) first
    pads = []
    for ax in range(2):
        n = f.shape[ax]
        p = min(_reach_py(spacing[ax], rho, 10 * n + 10), n // 2) if periodic[ax] else 0
        pads.append((p, p))
    g = np.pad(f, pads, mode="wrap") if any(p for p, _ in pads) else f
    h0, h1 = spacing
    if rho / h0 > rho / h1:
        out = _dilate_2d(np.ascontiguousarray(g.T), h1, h0, rho).T
    else:
        out = _dilate_2d(np.ascontiguousarray(g), h0, h1, rho)
    (p0, _), (p1, _) = pads
    return np.ascontiguousarray(out[p0 : p0 + f.shape[0], p1 : p1 + f.shape[1]])


def _prepare(values, spacing, rho, periodic):
    f = _check_values(values)
    rho = check_radius(rho)
    spacing = _check_spacing(spacing, f.ndim)
    periodic = _check_periodic(periodic, f.ndim)
    return f, spacing, rho, periodic


def _out_of_reach(f, spacing, rho):
    """True when no other sample is within rho of any sample (every window is one point)."""
    return all(_reach_py(h, rho, n) == 0 for h, n in zip(spacing, f.shape))


# --------------------------------------------------------------------------- public API


def hemisphere_dilation(values, spacing, rho, *, periodic=False):
    """Grey-scale dilation of a sampled graph by a hemisphere: the upper rho-offset.

    ``h(x_j) = max_{|x_j - x_i| <= rho} [ f_i + sqrt(rho^2 - |x_j - x_i|^2) ]``.

    Parameters
    ----------
    values : array_like, 1-D or 2-D
        Samples ``f_i`` on a uniform grid (finite; NaN raises ``ValueError``).
    spacing : float or (float, float)
        Grid spacing; in 2-D a pair ``(h0, h1)`` for axes 0 and 1 is allowed.
    rho : float
        Ball radius, ``> 0``. A radius below the spacing is allowed: then no other sample is
        within reach and the result is ``values + rho``.
    periodic : bool or tuple of bool, optional
        ``True`` (per axis in 2-D) if the samples are one period of a periodic function
        (sample ``i + n`` equals sample ``i``; the endpoint is not repeated). Otherwise the
        window is truncated to the samples inside the array, so within ``rho`` of an edge
        the result is that of the truncated data.

    Returns
    -------
    dilation : ndarray of float64, same shape as ``values``

    See Also
    --------
    offset_height : the same operator on the analytic function, at any points.
    hemisphere_closing : dilation then erosion, the ironed function.

    Notes
    -----
    1-D: O(n) for any ``rho`` (upper envelope of equal-radius arcs, which cross at most
    once). 2-D: O(N * rho / h), a max over row offsets of 1-D dilations.

    Examples
    --------
    >>> hemisphere_dilation([0.0, 0.0, 0.0], 1.0, 1.0)
    array([1., 1., 1.])
    >>> hemisphere_dilation([0.0, 3.0, 0.0], 1.0, 2.0).round(4)
    array([4.7321, 5.    , 4.7321])
    """
    f, spacing, rho, periodic = _prepare(values, spacing, rho, periodic)
    return _dilate(f, spacing, rho, periodic)


def hemisphere_erosion(values, spacing, rho, *, periodic=False):
    """Grey-scale erosion of a sampled graph by a hemisphere (the dual of the dilation).

    ``e(x_j) = min_{|x_j - x_i| <= rho} [ f_i - sqrt(rho^2 - |x_j - x_i|^2) ]
    = -hemisphere_dilation(-f)(x_j)``.

    Parameters
    ----------
    values, spacing, rho, periodic
        As for :func:`hemisphere_dilation` (truncated window within ``rho`` of an edge unless
        ``periodic``).

    Returns
    -------
    erosion : ndarray of float64, same shape as ``values``

    See Also
    --------
    hemisphere_dilation : its dual.

    Examples
    --------
    >>> hemisphere_erosion([0.0, 0.0, 0.0], 1.0, 1.0)
    array([-1., -1., -1.])
    """
    f, spacing, rho, periodic = _prepare(values, spacing, rho, periodic)
    return -_dilate(-f, spacing, rho, periodic)


def hemisphere_closing(values, spacing, rho, *, periodic=False):
    """Closing by a ball rolled over the graph from above: the ironed function.

    ``fbar(x_j) = min_{|x_j - x_i| <= rho} [ h(x_i) - sqrt(rho^2 - |x_j - x_i|^2) ]``
    with ``h = hemisphere_dilation(f)``; ``fbar >= f`` on the samples, with equality at the
    rho-reachable samples.

    Without ``periodic``, within ``2 * rho`` of an edge the result is the closing of the
    truncated data (the ball may drop past the last sample). A radius below the spacing
    returns ``values`` unchanged. The result is clipped to ``>= values``, which only removes
    rounding (the exact closing of the samples is ``>= values``).

    Parameters
    ----------
    values, spacing, rho, periodic
        As for :func:`hemisphere_dilation`.

    Returns
    -------
    closing : ndarray of float64, same shape as ``values``

    See Also
    --------
    ironed : the same operator on the analytic function, at any points, exact.
    hemisphere_opening : the closing from below.

    Examples
    --------
    >>> hemisphere_closing([0.0, 0.0, -1.0, 0.0, 0.0], 1.0, 2.0).round(4)
    array([ 0.    ,  0.    , -0.2679,  0.    ,  0.    ])
    """
    f, spacing, rho, periodic = _prepare(values, spacing, rho, periodic)
    if f.size == 0 or _out_of_reach(f, spacing, rho):
        return f.copy()
    h = _dilate(f, spacing, rho, periodic)
    out = -_dilate(-h, spacing, rho, periodic)
    return np.maximum(out, f)


def hemisphere_opening(values, spacing, rho, *, periodic=False):
    """Opening by a ball rolled under the graph from below: ``-closing(-f)``.

    ``f_(x_j) = max_{|x_j - x_i| <= rho} [ e(x_i) + sqrt(rho^2 - |x_j - x_i|^2) ]`` with
    ``e = hemisphere_erosion(f)``; ``f_ <= f`` on the samples.

    Parameters
    ----------
    values, spacing, rho, periodic
        As for :func:`hemisphere_dilation`; edges are handled as in :func:`hemisphere_closing`.

    Returns
    -------
    opening : ndarray of float64, same shape as ``values``

    See Also
    --------
    hemisphere_closing : ``opening(f) = -closing(-f)``.

    Examples
    --------
    >>> hemisphere_opening([0.0, 0.0, 1.0, 0.0, 0.0], 1.0, 2.0).round(4)
    array([0.    , 0.    , 0.2679, 0.    , 0.    ])
    """
    f, spacing, rho, periodic = _prepare(values, spacing, rho, periodic)
    if f.size == 0 or _out_of_reach(f, spacing, rho):
        return f.copy()
    e = -_dilate(-f, spacing, rho, periodic)
    out = _dilate(e, spacing, rho, periodic)
    return np.minimum(out, f)
