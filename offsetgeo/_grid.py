"""Sampling the graph of a loss on a grid, with per-block bounds, for the footpoint search.

The grid covers a box of θ at ``resolution`` samples per unit length. Per block of samples
it records the range of ``f``, a planar model of ``f`` with its largest deviation, and
finite-difference bounds on ``|∇f|²`` and ``‖∇²f‖`` (also per superblock of blocks): the
search (:mod:`offsetgeo._search`) prunes with them. Grids are cached on the function
(:meth:`Function.cache`), one per resolution, and grown to cover new points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from ._function import Function
from ._numerics import mesh

__all__ = ["Grid", "sample_grid", "cached_grid", "MAX_SAMPLES", "MAX_WORK", "ALIASING_LIMIT"]

MAX_SAMPLES = 2**24
#: tape instructions one grid may cost (samples × instructions per sample): about 5 s
MAX_WORK = 5e8
#: second differences missing f'' by more than this fraction mean an under-resolved grid
ALIASING_LIMIT = 0.2
_BLOCK = {1: (64, 1), 2: (8, 8)}
_GROUP = {1: (8, 1), 2: (4, 4)}


@dataclass(frozen=True)
class Grid:
    origin: np.ndarray      # (2,)
    spacing: np.ndarray     # (2,)
    values: np.ndarray      # (n1, n2)
    block: tuple            # samples per block side
    group: tuple            # blocks per superblock side
    fmin: np.ndarray        # (nb1, nb2) range of f over each block
    fmax: np.ndarray
    fmin2: np.ndarray       # the same for superblocks
    fmax2: np.ndarray
    cellmax: float          # largest sample cell diameter in R^(d+1): bounds how far rings go
    plane: np.ndarray       # (nb1, nb2, 5): centre (2), f at centre, gradient (2) per block
    plane_err: np.ndarray   # (nb1, nb2): max |f − plane| over the block's samples
    slope2: np.ndarray      # (nb1, nb2): bound on |∇f|² near the block
    bend: np.ndarray        # (nb1, nb2): bound on ‖∇²f‖ near the block
    slope2_2: np.ndarray    # the same two for superblocks
    bend2: np.ndarray
    spacing2: float         # h1² + h2² (0 for the dummy axis of 1-D grids)
    aliasing: float         # max |second difference − f''| / max |f''|: > 0.2 means under-resolved


def lattice(f: Function, lo, hi, resolution):
    """``(first index, count, spacing)`` per variable of the samples ``k h`` (``h = 1/resolution``)
    covering [lo, hi], within the domain. Every grid of a resolution lies on this one lattice,
    so a sample (and a candidate started from it) does not depend on the box asked for."""
    h = 1.0 / np.asarray(resolution, dtype=float)
    # far regions overflow to ±inf here: their counts are capped (the cast cannot overflow)
    # and then refused by the caller
    with np.errstate(over="ignore", invalid="ignore"):
        k_lo = np.floor(np.asarray(lo) / h)
        k_hi = np.ceil(np.asarray(hi) / h)
        if f.domain is not None:
            k_lo = np.maximum(k_lo, np.ceil(f.domain[:, 0] / h))
            k_hi = np.minimum(k_hi, np.floor(f.domain[:, 1] / h))
        k_hi = np.maximum(k_hi, k_lo + 2)
        counts = np.nan_to_num(np.minimum(k_hi - k_lo + 1, 2.0**62), nan=2.0**62)
    return k_lo, counts.astype(np.int64), h


def sample_grid(f: Function, lo: np.ndarray, hi: np.ndarray, resolution, *,
                bounded: bool = True) -> Grid:
    """The sampled graph over [lo, hi]. ``bounded``: refuse sampling that would cost more
    than :data:`MAX_WORK` tape instructions (for resolutions chosen by the library; a
    resolution the caller asked for is paid in full, in interruptible chunks)."""
    d = f.dim
    k_lo, counts, spacing = lattice(f, lo, hi, resolution)
    total = math.prod(int(c) for c in counts)
    if total > MAX_SAMPLES:
        raise ValueError(
            f"the footpoint search region "
            f"{' × '.join(f'[{a:.6g}, {b:.6g}]' for a, b in zip(lo, hi))} needs "
            f"{float(total):.3g} grid "
            f"samples at {' × '.join(f'{r:.6g}' for r in np.ravel(resolution))} per unit "
            f"(limit {MAX_SAMPLES}): the points are far "
            "from the graph or spread widely. Pass fewer/closer points, a domain=, or a lower "
            "resolution=")
    work = _sampling_work(f, total)
    if bounded and work > MAX_WORK:
        raise ValueError(
            f"sampling {f} for the footpoint search would cost {work:.3g} tape instructions "
            f"({total} samples × {f.cost(0)} instructions, and the aliasing check; the bound "
            f"is {MAX_WORK:.3g}, about 5 s): f oscillates too fast or is too long an expression "
            "for the region. Project points closer to the graph, pass a smaller domain=, "
            "simplify the expression, or pass resolution= explicitly to accept the cost")
    lo = k_lo * spacing
    axes = [(k_lo[i] + np.arange(counts[i])) * spacing[i] for i in range(d)]
    points = mesh(axes)
    with np.errstate(all="ignore"):
        values, = f.evaluate(points, 0)
    if not np.all(np.isfinite(values)):
        raise f.not_finite_error(points, ~np.isfinite(values), "inside the footpoint search "
                                 "region", value=values)
    aliasing = _aliasing(f, values.reshape(tuple(counts)), axes, spacing)
    if d == 1:
        values = values.reshape(-1, 1)
        origin = np.array([lo[0], 0.0])
        spacing2 = np.array([spacing[0], 1.0])
    else:
        values = values.reshape(counts[0], counts[1])
        origin, spacing2 = lo.copy(), spacing.copy()
    block, group = _BLOCK[d], _GROUP[d]
    fmin, fmax, cell = _block_bounds(values, block[0], block[1], spacing, d)
    fmin2 = _reduce_blocks(fmin, group, np.minimum, np.inf)
    fmax2 = _reduce_blocks(fmax, group, np.maximum, -np.inf)
    nb1, nb2 = fmin.shape
    plane = np.zeros((nb1, nb2, 5))
    plane_err = np.zeros((nb1, nb2))
    slope2 = np.zeros((nb1, nb2))
    bend = np.zeros((nb1, nb2))
    _block_models_kernel(values, block[0], block[1], float(spacing2[0]),
                         float(spacing2[1]) if d == 2 else 0.0, float(origin[0]),
                         float(origin[1]), plane, plane_err, slope2, bend)
    return Grid(origin, spacing2, values, block, group, fmin, fmax, fmin2, fmax2,
                 float(cell.max()), plane, plane_err, slope2, bend,
                 _reduce_blocks(slope2, group, np.maximum, 0.0),
                 _reduce_blocks(bend, group, np.maximum, 0.0),
                 float(spacing2[0] ** 2 + (spacing2[1] ** 2 if d == 2 else 0.0)), aliasing)


_ALIASING_STRIDE = 5


def _sampling_work(f, total) -> float:
    """Tape instructions of sampling ``total`` values and checking aliasing (0 if unknown)."""
    if f.cost(0) is None:
        return 0.0
    return total * f.cost(0) + total / _ALIASING_STRIDE ** f.dim * f.cost(2)


def _aliasing(f, values, axes, spacing, stride=_ALIASING_STRIDE):
    """How badly the grid under-resolves f: second differences of the samples against the
    exact second derivatives, max |Δ²f/h² − f''| / max |f''| over both axes, checked at
    every ``stride``-th interior sample. It is O(h²) for a resolved function and O(1) when
    f oscillates on the scale of the grid."""
    d = values.ndim
    if min(values.shape) < 3:
        return 0.0
    picks = [np.arange(1, n - 1, stride) for n in values.shape]
    index = np.meshgrid(*picks, indexing="ij")
    points = np.stack([ax[i] for ax, i in zip(axes, index)], -1).reshape(-1, d)
    hess = f.evaluate(points, 2)[2]
    worst = 0.0
    for axis in range(d):
        up = list(index)
        down = list(index)
        up[axis] = index[axis] + 1
        down[axis] = index[axis] - 1
        fd = (values[tuple(up)] - 2 * values[tuple(index)] + values[tuple(down)]).reshape(-1)
        fd /= spacing[axis] ** 2
        exact = hess[:, axis, axis]
        scale = np.abs(exact).max()
        if scale > 0:
            worst = max(worst, float(np.abs(fd - exact).max() / scale))
    return worst


def cached_grid(f: Function, lo, hi, resolution, *, bounded: bool = True) -> Grid:
    """The sampled graph over a box containing [lo, hi], reused across calls on ``f``.

    Repeated projections onto one function (bisections, optimizer steps, sweeps)
    then pay for sampling once. The cache holds one grid per resolution.
    """
    cache = f.cache("footpoint-grid")
    key = tuple(resolution.tolist())
    grid = cache.get(key)
    if grid is not None:
        n1, n2 = grid.values.shape
        glo = grid.origin[: f.dim]
        ghi = glo + grid.spacing[: f.dim] * (np.array([n1, n2][: f.dim]) - 1)
        k_lo, counts, h = lattice(f, lo, hi, resolution)
        if np.all(glo <= k_lo * h + 0.5 * h) and np.all(ghi >= (k_lo + counts - 1) * h - 0.5 * h):
            return grid
        union_lo, union_hi = np.minimum(lo, glo), np.maximum(hi, ghi)
        if np.prod((union_hi - union_lo) * resolution) <= MAX_SAMPLES / 4:
            lo, hi = union_lo, union_hi
            # grow by half the span where the box moved, within the domain: a moving
            # optimizer then resamples O(log(distance)) times instead of at every step
            pad = 0.5 * (hi - lo)
            grow_lo = np.where(lo < glo, lo - pad, lo)
            grow_hi = np.where(hi > ghi, hi + pad, hi)
            if f.domain is not None:
                grow_lo = np.maximum(grow_lo, f.domain[:, 0])
                grow_hi = np.minimum(grow_hi, f.domain[:, 1])
            if np.prod((grow_hi - grow_lo) * resolution) <= MAX_SAMPLES / 4:
                lo, hi = grow_lo, grow_hi
    grid = sample_grid(f, lo, hi, resolution, bounded=bounded)
    cache[key] = grid
    return grid


def _reduce_blocks(arr, group, op, fill):
    g1, g2 = group
    n1, n2 = arr.shape
    pad = np.full((-(-n1 // g1) * g1, -(-n2 // g2) * g2), fill)
    pad[:n1, :n2] = arr
    return op.reduce(op.reduce(pad.reshape(pad.shape[0] // g1, g1, pad.shape[1] // g2, g2),
                               axis=3), axis=1)


@numba.njit(cache=True)
def _block_bounds_kernel(values, b1, b2, h1, h2, fmin, fmax, cell):
    n1, n2 = values.shape
    for i in range(n1):
        for j in range(n2):
            v = values[i, j]
            bi, bj = i // b1, j // b2
            if v < fmin[bi, bj]:
                fmin[bi, bj] = v
            if v > fmax[bi, bj]:
                fmax[bi, bj] = v
            # diameter of the cell whose lower corner is (i, j)
            lo = v
            hi = v
            for di in range(2):
                for dj in range(2):
                    ii = min(i + di, n1 - 1)
                    jj = min(j + dj, n2 - 1)
                    w = values[ii, jj]
                    lo = min(lo, w)
                    hi = max(hi, w)
            diam = math.sqrt(h1 * h1 + h2 * h2 + (hi - lo) ** 2)
            # a cell touches the blocks of all its corners: credit the diameter to each
            for di in range(2):
                for dj in range(2):
                    ci = min(i + di, n1 - 1) // b1
                    cj = min(j + dj, n2 - 1) // b2
                    if diam > cell[ci, cj]:
                        cell[ci, cj] = diam


@numba.njit(cache=True)
def _block_models_kernel(values, b1, b2, h1, h2, o1, o2, plane, plane_err, slope2, bend):
    """Per block: a linear model of f at its centre with its largest sample deviation, and
    finite-difference bounds on |∇f|² and ‖∇²f‖ over the block and its ring of neighbours."""
    n1, n2 = values.shape
    nb1, nb2 = plane_err.shape
    for bi in range(nb1):
        for bj in range(nb2):
            i0, i1 = bi * b1, min(n1, (bi + 1) * b1)
            j0, j1 = bj * b2, min(n2, (bj + 1) * b2)
            ic = (i0 + i1 - 1) // 2
            jc = (j0 + j1 - 1) // 2
            fc = values[ic, jc]
            ia, ib = max(ic - 1, 0), min(ic + 1, n1 - 1)
            g1 = (values[ib, jc] - values[ia, jc]) / ((ib - ia) * h1) if ib > ia else 0.0
            g2 = 0.0
            if n2 > 1:
                ja, jb = max(jc - 1, 0), min(jc + 1, n2 - 1)
                g2 = (values[ic, jb] - values[ic, ja]) / ((jb - ja) * h2) if jb > ja else 0.0
            c1 = o1 + ic * h1
            c2 = o2 + jc * h2 if n2 > 1 else o2
            err = 0.0
            for i in range(i0, i1):
                for j in range(j0, j1):
                    model = fc + g1 * (o1 + i * h1 - c1)
                    if n2 > 1:
                        model += g2 * (o2 + j * h2 - c2)
                    err = max(err, abs(values[i, j] - model))
            s2 = 0.0
            hb = 0.0
            for i in range(max(i0 - 1, 0), min(i1 + 1, n1)):
                for j in range(max(j0 - 1, 0), min(j1 + 1, n2)):
                    d1 = (values[min(i + 1, n1 - 1), j] - values[i, j]) / h1
                    d2 = 0.0
                    if n2 > 1:
                        d2 = (values[i, min(j + 1, n2 - 1)] - values[i, j]) / h2
                    s2 = max(s2, d1 * d1 + d2 * d2)
                    if 0 < i < n1 - 1:
                        curv = abs(values[i + 1, j] - 2 * values[i, j] + values[i - 1, j]) / (h1 * h1)
                    else:
                        curv = 0.0
                    if n2 > 1 and 0 < j < n2 - 1:
                        curv += abs(values[i, j + 1] - 2 * values[i, j] + values[i, j - 1]) / (h2 * h2)
                        if 0 < i < n1 - 1:
                            curv += 2 * abs(values[i + 1, j + 1] - values[i + 1, j - 1]
                                            - values[i - 1, j + 1] + values[i - 1, j - 1]) / (4 * h1 * h2)
                    hb = max(hb, curv)
            plane[bi, bj, 0] = c1
            plane[bi, bj, 1] = c2
            plane[bi, bj, 2] = fc
            plane[bi, bj, 3] = g1
            plane[bi, bj, 4] = g2
            plane_err[bi, bj] = err
            slope2[bi, bj] = s2
            bend[bi, bj] = hb


def _block_bounds(values, b1, b2, spacing, d):
    nb1 = -(-values.shape[0] // b1)
    nb2 = -(-values.shape[1] // b2)
    fmin = np.full((nb1, nb2), np.inf)
    fmax = np.full((nb1, nb2), -np.inf)
    cell = np.zeros((nb1, nb2))
    h2 = spacing[1] if d == 2 else 0.0
    _block_bounds_kernel(values, b1, b2, float(spacing[0]), float(h2), fmin, fmax, cell)
    return fmin, fmax, cell


