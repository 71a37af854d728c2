"""Exact (global) footpoint projection onto the graph of a loss.

For ``z = (x, y)`` the footpoints are the minimisers of
``D(φ) = |φ − x|² + (f(φ) − y)²``. The search is global:

1. the graph is sampled on a grid covering every point's search region
   (a footpoint lies within ``|f(x) − y|`` of ``x``; within half a period for
   periodic variables), with per-block bounds of ``f``;
2. for each point a numba kernel scans the blocks outward from ``x``, pruning
   every block whose distance bound exceeds the best sample found so far, and
   collects the discrete local minima of ``D`` that can still hold the global
   minimum (``sqrt(D_j) ≤ sqrt(D_best) + diam(cell_j)``);
3. each candidate is refined by safeguarded Newton on the stationarity
   equation ``(φ − x) + (f(φ) − y) ∇f(φ) = 0`` (Gauss–Newton direction and
   backtracking on ``D`` when the Newton direction does not descend);
4. the nearest refined candidate is the footpoint; a second distinct one at
   (nearly) the same distance puts the point on the medial axis.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numba
import numpy as np

from .function import Function

__all__ = ["footpoint", "FootpointResult", "NonConvergenceWarning", "ConvergenceError",
           "ResolutionWarning",
           "DEFAULT_RESOLUTION"]

#: default samples per unit length, by dimension
DEFAULT_RESOLUTION = {1: 4096.0, 2: 64.0}
_MAX_SAMPLES = 2**24
_MAX_CANDIDATES = 8
_ALIASING_LIMIT = 0.2
_BLOCK = {1: (64, 1), 2: (8, 8)}
_GROUP = {1: (8, 1), 2: (4, 4)}


class NonConvergenceWarning(RuntimeWarning):
    """A footpoint solve stopped before its stationarity residual reached tolerance."""


class ResolutionWarning(RuntimeWarning):
    """A sampling grid is too coarse for the features of the function."""


class ConvergenceError(RuntimeError):
    """A footpoint solve did not converge and ``on_failure="raise"`` was asked for."""


@dataclass(frozen=True)
class FootpointResult:
    """Nearest points of a graph to a batch of points ``z = (x, y)``.

    Attributes
    ----------
    theta : ndarray, (n,) for d = 1 else (n, d)
        The footpoint parameter: ``p(theta) = (theta, f(theta))`` is nearest to ``z``.
    distance : ndarray (n,)
        ``|z − p(theta)|``.
    ambiguous : ndarray of bool (n,)
        True where a second, distinct footpoint lies at the same distance
        (within ``ambiguity_tol``): the point is on the medial axis.
    second : ndarray like ``theta``
        The second footpoint where ``ambiguous``, NaN elsewhere.
    second_distance : ndarray (n,)
        Distance to the nearest distinct other local footpoint found (inf if none).
    converged : ndarray of bool (n,)
        Whether the refinement of ``theta`` met the residual tolerance.
    residual : ndarray (n,)
        Final stationarity residual ``|(θ − x) + (f(θ) − y)∇f(θ)|`` (projected on
        the domain's faces where the footpoint lies on the domain boundary).
    above : ndarray of bool (n,)
        True where ``z`` lies above the graph (``y ≥ f(theta)``).
    height : ndarray (n,)
        ``f(theta)``.
    """

    theta: np.ndarray
    distance: np.ndarray
    ambiguous: np.ndarray
    second: np.ndarray
    second_distance: np.ndarray
    converged: np.ndarray
    residual: np.ndarray
    above: np.ndarray
    height: np.ndarray

    @property
    def point(self) -> np.ndarray:
        """The footpoints as points of R^(d+1), shape (n, d+1)."""
        theta = self.theta.reshape(self.theta.shape[0], -1)
        return np.column_stack([theta, self.height])


# --------------------------------------------------------------------------------------
# sampling the graph on a grid


@dataclass(frozen=True)
class _Grid:
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


def _sample_grid(f: Function, lo: np.ndarray, hi: np.ndarray, resolution) -> _Grid:
    d = f.dim
    counts = np.maximum(np.ceil((hi - lo) * resolution).astype(np.int64), 2) + 1
    total = int(np.prod(counts))
    if total > _MAX_SAMPLES:
        raise ValueError(
            f"the footpoint search region {list(zip(lo.round(3), hi.round(3)))} needs {total} grid "
            f"samples at resolution {resolution} per unit (limit {_MAX_SAMPLES}): the points are far "
            "from the graph or spread widely. Pass fewer/closer points, a domain=, or a lower "
            "resolution=")
    spacing = (hi - lo) / (counts - 1)
    axes = [lo[i] + spacing[i] * np.arange(counts[i]) for i in range(d)]
    mesh = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, d)
    values, = f.evaluate(mesh, 0)
    if not np.all(np.isfinite(values)):
        i = int(np.flatnonzero(~np.isfinite(values))[0])
        raise ValueError(f"{f} is not finite at {mesh[i].tolist()} inside the footpoint search "
                         "region; declare a domain= on which it is defined")
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
    return _Grid(origin, spacing2, values, block, group, fmin, fmax, fmin2, fmax2,
                 float(cell.max()), plane, plane_err, slope2, bend,
                 _reduce_blocks(slope2, group, np.maximum, 0.0),
                 _reduce_blocks(bend, group, np.maximum, 0.0),
                 float(spacing2[0] ** 2 + (spacing2[1] ** 2 if d == 2 else 0.0)), aliasing)


def _aliasing(f, values, axes, spacing, stride=5):
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


def _cached_grid(f: Function, lo, hi, resolution) -> _Grid:
    """The sampled graph over a box containing [lo, hi], reused across calls on ``f``.

    Repeated projections onto one function (bisections, optimizer steps, sweeps)
    then pay for sampling once. The cache holds one grid per resolution.
    """
    cache = f.__dict__.setdefault("_footpoint_grids", {})
    key = tuple(resolution.tolist())
    grid = cache.get(key)
    if grid is not None:
        n1, n2 = grid.values.shape
        glo = grid.origin[: f.dim]
        ghi = glo + grid.spacing[: f.dim] * (np.array([n1, n2][: f.dim]) - 1)
        if np.all(glo <= lo) and np.all(ghi >= hi):
            return grid
        union_lo, union_hi = np.minimum(lo, glo), np.maximum(hi, ghi)
        if np.prod((union_hi - union_lo) * resolution) <= _MAX_SAMPLES / 4:
            lo, hi = union_lo, union_hi
            # grow by half the span where the box moved, within the domain: a moving
            # optimizer then resamples O(log(distance)) times instead of at every step
            pad = 0.5 * (hi - lo)
            grow_lo = np.where(lo < glo, lo - pad, lo)
            grow_hi = np.where(hi > ghi, hi + pad, hi)
            if f.domain is not None:
                grow_lo = np.maximum(grow_lo, f.domain[:, 0])
                grow_hi = np.minimum(grow_hi, f.domain[:, 1])
            if np.prod((grow_hi - grow_lo) * resolution) <= _MAX_SAMPLES / 4:
                lo, hi = grow_lo, grow_hi
    grid = _sample_grid(f, lo, hi, resolution)
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


# --------------------------------------------------------------------------------------
# candidate search (numba)


@numba.njit(cache=True, inline="always")
def _sample_distance2(values, o1, o2, h1, h2, i, j, x1, x2, y):
    a = o1 + i * h1 - x1
    b = o2 + j * h2 - x2
    c = values[i, j] - y
    return a * a + b * b + c * c


@numba.njit(cache=True)
def _is_local_min(values, o1, o2, h1, h2, i, j, x1, x2, y, dij):
    n1, n2 = values.shape
    if i > 0 and _sample_distance2(values, o1, o2, h1, h2, i - 1, j, x1, x2, y) < dij:
        return False
    if i < n1 - 1 and _sample_distance2(values, o1, o2, h1, h2, i + 1, j, x1, x2, y) < dij:
        return False
    if j > 0 and _sample_distance2(values, o1, o2, h1, h2, i, j - 1, x1, x2, y) < dij:
        return False
    if j < n2 - 1 and _sample_distance2(values, o1, o2, h1, h2, i, j + 1, x1, x2, y) < dij:
        return False
    return True


@numba.njit(cache=True)
def _scan_block(values, o1, o2, h1, h2, b1, b2, bi, bj, x1, x2, y, slope2, bend, hh,
                best, cand_i, cand_j, cand_d, count):
    n1, n2 = values.shape
    kmax = cand_d.shape[0]
    thresh = best + _margin(best, slope2, bend, hh)
    for i in range(bi * b1, min(n1, (bi + 1) * b1)):
        for j in range(bj * b2, min(n2, (bj + 1) * b2)):
            dij = _sample_distance2(values, o1, o2, h1, h2, i, j, x1, x2, y)
            if dij > thresh:
                continue
            if dij < best:
                best = dij
                thresh = best + _margin(best, slope2, bend, hh)
            if not _is_local_min(values, o1, o2, h1, h2, i, j, x1, x2, y, dij):
                continue
            # insert, keeping the kmax nearest
            if count < kmax:
                slot = count
                count += 1
            else:
                slot = 0
                for k in range(1, kmax):
                    if cand_d[k] > cand_d[slot]:
                        slot = k
                if cand_d[slot] <= dij:
                    continue
            cand_i[slot] = i
            cand_j[slot] = j
            cand_d[slot] = dij
    return best, count


@numba.njit(cache=True)
def _edge_min(a_fixed, u_fixed, a_free, g_fixed, g_free, r0, lo, hi):
    """min over u_free in [lo, hi] of (a_fixed+u_fixed)² + (a_free+u)² + (r0+g_fixed u_fixed+g_free u)²."""
    base = r0 + g_fixed * u_fixed
    u = -(a_free + base * g_free) / (1.0 + g_free * g_free)
    u = min(max(u, lo), hi)
    res = base + g_free * u
    return (a_fixed + u_fixed) ** 2 + (a_free + u) ** 2 + res * res


@numba.njit(cache=True)
def _plane_distance2(x1, x2, y, c1, c2, fc, g1, g2, lo1, hi1, lo2, hi2):
    """Squared distance from (x1, x2, y) to the planar patch y = fc + g·(φ − c), φ in a box."""
    a1 = c1 - x1
    a2 = c2 - x2
    r0 = fc - y
    w1 = a1 + r0 * g1
    w2 = a2 + r0 * g2
    coef = (g1 * w1 + g2 * w2) / (1.0 + g1 * g1 + g2 * g2)
    u1 = -(w1 - coef * g1)
    u2 = -(w2 - coef * g2)
    L1, H1, L2, H2 = lo1 - c1, hi1 - c1, lo2 - c2, hi2 - c2
    if L1 <= u1 <= H1 and L2 <= u2 <= H2:
        res = r0 + g1 * u1 + g2 * u2
        return (a1 + u1) ** 2 + (a2 + u2) ** 2 + res * res
    best = _edge_min(a1, L1, a2, g1, g2, r0, L2, H2)
    best = min(best, _edge_min(a1, H1, a2, g1, g2, r0, L2, H2))
    best = min(best, _edge_min(a2, L2, a1, g2, g1, r0, L1, H1))
    best = min(best, _edge_min(a2, H2, a1, g2, g1, r0, L1, H1))
    return best


@numba.njit(cache=True, inline="always")
def _margin(best, slope2, bend, hh):
    """Second-order bound on D(nearest sample) − D(true local minimum): the sampled minimum
    of a basin can exceed the true one by ½‖∇²D‖ (h/2)², ∇²D = 2(I + ggᵀ + (f − y)H);
    doubled for the finite-difference estimates of |∇f| and ‖∇²f‖."""
    return 0.5 * (1.0 + slope2 + (math.sqrt(best) + 1e-3) * bend) * hh + 1e-14 * (1.0 + best)


@numba.njit(cache=True, inline="always")
def _box_distance2(lo1, hi1, lo2, hi2, fmin, fmax, x1, x2, y):
    a = max(lo1 - x1, 0.0, x1 - hi1)
    b = max(lo2 - x2, 0.0, x2 - hi2)
    c = max(fmin - y, 0.0, y - fmax)
    return a * a + b * b + c * c


@numba.njit(cache=True)
def _visit_super(values, o1, o2, h1, h2, b1, b2, s1, s2, si, sj, x1, x2, y, fmin1, fmax1,
                 fmin2, fmax2, plane, plane_err, slope2, bend, slope2_2, bend2, hh, best,
                 cand_i, cand_j, cand_d, count):
    """Scan superblock (si, sj): prune it by its box, then its blocks by their planar models."""
    n1, n2 = values.shape
    nb1, nb2 = fmin1.shape
    w1 = b1 * s1
    w2 = b2 * s2
    lb = _box_distance2(o1 + si * w1 * h1, o1 + min(n1 - 1, (si + 1) * w1 - 1) * h1,
                        o2 + sj * w2 * h2, o2 + min(n2 - 1, (sj + 1) * w2 - 1) * h2,
                        fmin2[si, sj], fmax2[si, sj], x1, x2, y)
    if lb > best + _margin(best, slope2_2[si, sj], bend2[si, sj], hh):
        return best, count
    for bi in range(si * s1, min(nb1, (si + 1) * s1)):
        for bj in range(sj * s2, min(nb2, (sj + 1) * s2)):
            lo1 = o1 + bi * b1 * h1
            hi1 = o1 + min(n1 - 1, (bi + 1) * b1 - 1) * h1
            lo2 = o2 + bj * b2 * h2
            hi2 = o2 + min(n2 - 1, (bj + 1) * b2 - 1) * h2
            limit = best + _margin(best, slope2[bi, bj], bend[bi, bj], hh)
            lb = _box_distance2(lo1, hi1, lo2, hi2, fmin1[bi, bj], fmax1[bi, bj], x1, x2, y)
            if lb > limit:
                continue
            pd = math.sqrt(_plane_distance2(x1, x2, y, plane[bi, bj, 0], plane[bi, bj, 1],
                                            plane[bi, bj, 2], plane[bi, bj, 3], plane[bi, bj, 4],
                                            lo1, hi1, lo2, hi2)) - plane_err[bi, bj]
            if pd > 0 and pd * pd > limit:
                continue
            best, count = _scan_block(values, o1, o2, h1, h2, b1, b2, bi, bj, x1, x2, y,
                                      slope2[bi, bj], bend[bi, bj], hh, best, cand_i, cand_j,
                                      cand_d, count)
    return best, count


@numba.njit(cache=True)
def _super_centre_distance2(values, o1, o2, h1, h2, w1, w2, si, sj, x1, x2, y):
    n1, n2 = values.shape
    i = min(si * w1 + w1 // 2, n1 - 1)
    j = min(sj * w2 + w2 // 2, n2 - 1)
    return _sample_distance2(values, o1, o2, h1, h2, i, j, x1, x2, y)


@numba.njit(cache=True)
def _pattern_search(values, o1, o2, h1, h2, i, j, stride, x1, x2, y):
    """Discrete descent on the sampled D with strides halving to 1: an upper bound."""
    n1, n2 = values.shape
    best = _sample_distance2(values, o1, o2, h1, h2, i, j, x1, x2, y)
    while stride >= 1:
        moved = True
        while moved:
            moved = False
            bi, bj = i, j
            for di in range(-1, 2):
                for dj in range(-1, 2):
                    ii = i + di * stride
                    jj = j + dj * stride
                    if 0 <= ii < n1 and 0 <= jj < n2:
                        dij = _sample_distance2(values, o1, o2, h1, h2, ii, jj, x1, x2, y)
                        if dij < best:
                            best = dij
                            bi, bj = ii, jj
            if bi != i or bj != j:
                i, j = bi, bj
                moved = True
        stride //= 2
    return best


@numba.njit(cache=True)
def _search_point(p, values, origin, spacing, b1, b2, s1, s2, fmin1, fmax1, fmin2, fmax2,
                  plane, plane_err, slope2, bend, slope2_2, bend2, hh, cellmax, points,
                  cand_theta, cand_dist):
    """Candidates for point p: discrete local minima of the sampled D that can still hold
    the global minimum, found by a ring-ordered, bound-pruned scan (numba kernel)."""
    n1, n2 = values.shape
    ns1, ns2 = fmin2.shape
    o1, o2 = origin[0], origin[1]
    h1, h2 = spacing[0], spacing[1]
    w1 = b1 * s1
    w2 = b2 * s2
    ring_step = w1 * h1 if ns2 == 1 else min(w1 * h1, w2 * h2)
    kmax = cand_dist.shape[1]
    x1 = points[p, 0]
    x2 = points[p, 1]
    y = points[p, 2]
    cand_i = np.zeros(kmax, np.int64)
    cand_j = np.zeros(kmax, np.int64)
    cand_d = np.full(kmax, np.inf)
    i0 = min(max(int(round((x1 - o1) / h1)), 0), n1 - 1)
    j0 = min(max(int(round((x2 - o2) / h2)), 0), n2 - 1)
    best = _pattern_search(values, o1, o2, h1, h2, i0, j0, max(b1, b2), x1, x2, y)
    c1 = i0 // w1
    c2 = j0 // w2
    count = 0
    # pass 0 sets an upper bound from superblock centres; pass 1 scans what can beat it
    for sweep in range(2):
        ring = 0
        while True:
            if ring > 1 and (ring - 1) * ring_step > math.sqrt(best) + cellmax:
                break
            if c1 - ring < 0 and c1 + ring >= ns1 and c2 - ring < 0 and c2 + ring >= ns2:
                break
            for si in range(max(c1 - ring, 0), min(c1 + ring, ns1 - 1) + 1):
                full_row = abs(si - c1) == ring
                for sj in range(max(c2 - ring, 0), min(c2 + ring, ns2 - 1) + 1):
                    if not full_row and abs(sj - c2) != ring:
                        continue
                    if sweep == 0:
                        dc = _super_centre_distance2(values, o1, o2, h1, h2, w1, w2, si,
                                                     sj, x1, x2, y)
                        if dc < best:
                            best = dc
                    else:
                        best, count = _visit_super(
                            values, o1, o2, h1, h2, b1, b2, s1, s2, si, sj, x1, x2, y,
                            fmin1, fmax1, fmin2, fmax2, plane, plane_err, slope2, bend,
                            slope2_2, bend2, hh, best, cand_i, cand_j, cand_d, count)
            ring += 1
    for k in range(kmax):
        if k < count and cand_d[k] <= best + _margin(
                best, slope2[cand_i[k] // b1, cand_j[k] // b2],
                bend[cand_i[k] // b1, cand_j[k] // b2], hh):
            cand_theta[p, k, 0] = o1 + cand_i[k] * h1
            cand_theta[p, k, 1] = o2 + cand_j[k] * h2
            cand_dist[p, k] = cand_d[k]
        else:
            cand_theta[p, k, 0] = np.nan
            cand_theta[p, k, 1] = np.nan
            cand_dist[p, k] = np.inf


@numba.njit(cache=True, parallel=True)
def _search_candidates(values, origin, spacing, b1, b2, s1, s2, fmin1, fmax1, fmin2, fmax2,
                       plane, plane_err, slope2, bend, slope2_2, bend2, hh, cellmax, points,
                       cand_theta, cand_dist):
    for p in numba.prange(points.shape[0]):
        _search_point(p, values, origin, spacing, b1, b2, s1, s2, fmin1, fmax1, fmin2, fmax2,
                      plane, plane_err, slope2, bend, slope2_2, bend2, hh, cellmax, points,
                      cand_theta, cand_dist)


@numba.njit(cache=True)
def _search_candidates_serial(values, origin, spacing, b1, b2, s1, s2, fmin1, fmax1, fmin2,
                              fmax2, plane, plane_err, slope2, bend, slope2_2, bend2, hh,
                              cellmax, points, cand_theta, cand_dist):
    for p in range(points.shape[0]):
        _search_point(p, values, origin, spacing, b1, b2, s1, s2, fmin1, fmax1, fmin2, fmax2,
                      plane, plane_err, slope2, bend, slope2_2, bend2, hh, cellmax, points,
                      cand_theta, cand_dist)


# --------------------------------------------------------------------------------------
# Newton refinement (vectorised over candidates; works for any Function backend)


def _stationarity(phi, x, y, value, grad):
    return (phi - x) + (value - y)[:, None] * grad


def _project_residual(G, phi, lower, upper):
    """Zero the components of ∇(D/2) that point out of the box at active faces."""
    if lower is None:
        return G
    G = G.copy()
    at_lo = (phi <= lower) & (G > 0)
    at_hi = (phi >= upper) & (G < 0)
    G[at_lo | at_hi] = 0.0
    return G


def refine(f: Function, phi0, x, y, *, lower=None, upper=None, rtol=1e-13, max_iter=60):
    """Safeguarded Newton for ``min_φ D(φ)`` from each row of ``phi0`` (shape (m, d)).

    Returns ``phi, dist2, residual, converged, value`` for each row. ``lower``/``upper``
    (shape (d,)) confine ``φ`` to a box (projected steps, KKT residual).
    """
    phi = np.array(phi0, dtype=np.float64, copy=True)
    m, d = phi.shape
    scale = 1.0 + np.abs(x).max(axis=1) + np.abs(y)
    residual = np.full(m, np.inf)
    last_step = np.full(m, np.inf)
    converged = np.zeros(m, dtype=bool)
    active = np.arange(m)
    value, grad, hess = f.evaluate(phi, 2)
    for _ in range(max_iter):
        if active.size == 0:
            break
        p, xa, ya = phi[active], x[active], y[active]
        va, ga, Ha = value[active], grad[active], hess[active]
        r = va - ya
        G = _stationarity(p, xa, ya, va, ga)
        Gp = _project_residual(G, p, lower, upper)
        res = np.linalg.norm(Gp, axis=1)
        residual[active] = res
        # a small residual is not enough where D is nearly flat (close to a centre of
        # curvature): there the location is still moving, so also ask for a small last step
        # unless the residual is far below tolerance
        tiny_step = last_step[active] <= 1e-9 * (1.0 + np.abs(p).max(axis=1))
        done = (res <= rtol * scale[active]) & (tiny_step | (res <= 1e-3 * rtol * scale[active]))
        # Hessian of D/2: I + g gᵀ + (f − y) H
        M = np.eye(d)[None] + ga[:, :, None] * ga[:, None, :] + r[:, None, None] * Ha
        # a stationary point that is not a minimum (a saddle of D, e.g. just past a centre of
        # curvature, where the grid saw one symmetric basin): leave it downhill
        escape = np.zeros(active.size, dtype=bool)
        escape_dir = None
        if np.any(done):
            idx = np.flatnonzero(done)
            lam = _smallest_eigenvalue(M[idx])
            saddle = lam < -1e-10 * (1.0 + np.abs(r[idx]) * np.abs(Ha[idx]).max(axis=(1, 2)))
            if lower is not None:
                saddle &= np.all((p[idx] > lower) & (p[idx] < upper), axis=1)
            if np.any(saddle):
                escape[idx[saddle]] = True
                done[idx[saddle]] = False
                escape_dir = np.linalg.eigh(M[idx[saddle]])[1][:, :, 0]
        converged[active[done]] = True
        keep = ~done
        active, p, xa, ya, va, ga, Ha, r, G, M, escape = (
            a[keep] for a in (active, p, xa, ya, va, ga, Ha, r, G, M, escape))
        if active.size == 0:
            break
        step = _solve_spd_or_nan(M, -G)
        descent = np.einsum("ij,ij->i", step, G)
        bad = ~np.all(np.isfinite(step), axis=1) | (descent >= 0)
        bad &= ~escape
        if np.any(bad):
            gb, Gb = ga[bad], G[bad]
            # Gauss–Newton: (I + g gᵀ)⁻¹ by Sherman–Morrison, always a descent direction
            coef = np.einsum("ij,ij->i", gb, Gb) / (1.0 + np.einsum("ij,ij->i", gb, gb))
            step[bad] = -(Gb - coef[:, None] * gb)
            descent[bad] = np.einsum("ij,ij->i", step[bad], Gb)
        if np.any(escape):
            length = 1e-3 * (1.0 + np.abs(p[escape]).max(axis=1))
            step[escape] = length[:, None] * escape_dir
            descent[escape] = 0.0
        half_d = 0.5 * (np.einsum("ij,ij->i", p - xa, p - xa) + r * r)
        def sufficient_decrease(rows, cand, t):
            if lower is not None:
                cand = np.clip(cand, lower, upper)
            vc, = f.evaluate(cand, 0)
            diff = cand - xa[rows]
            half_c = 0.5 * (np.einsum("ij,ij->i", diff, diff) + (vc - ya[rows]) ** 2)
            ok = half_c <= half_d[rows] + 1e-4 * t * descent[rows] + \
                4 * np.finfo(float).eps * np.maximum(half_d[rows], 1.0)
            return ok, cand

        trial, accepted = backtrack(p, step, sufficient_decrease)
        stuck = ~accepted
        trial[stuck] = p[stuck]
        last_step[active] = np.linalg.norm(trial - p, axis=1)
        phi[active] = trial
        nv, ng, nh = f.evaluate(trial, 2)
        value[active], grad[active], hess[active] = nv, ng, nh
        # a step that can no longer decrease D: accept the point if the residual is at round-off
        if np.any(stuck):
            Gs = _project_residual(_stationarity(trial[stuck], xa[stuck], ya[stuck], nv[stuck],
                                                 ng[stuck]), trial[stuck], lower, upper)
            rs = np.linalg.norm(Gs, axis=1)
            roundoff = rs <= 1e2 * rtol * scale[active[stuck]]
            residual[active[stuck]] = rs
            converged[active[stuck][roundoff]] = True
            keep = np.ones(active.size, dtype=bool)
            keep[np.flatnonzero(stuck)] = False
            active = active[keep]
    if active.size:
        G = _project_residual(_stationarity(phi[active], x[active], y[active], value[active],
                                            grad[active]), phi[active], lower, upper)
        residual[active] = np.linalg.norm(G, axis=1)
        converged[active] = residual[active] <= 1e2 * rtol * scale[active]
    diff = phi - x
    dist2 = np.einsum("ij,ij->i", diff, diff) + (value - y) ** 2
    return phi, dist2, residual, converged, value


def backtrack(start, step, accept, *, done=None, halvings=40):
    """Vectorised backtracking: for each row the first ``t`` in 1, 1/2, 1/4, … for which
    ``accept(rows, start[rows] + t step[rows], t)`` holds.

    ``accept`` returns ``(ok, points)`` (it may project the trial points). Rows marked
    ``done``, or never accepted, keep ``start``. Returns the new points and the mask of rows
    that took a step.
    """
    out = start.copy()
    accepted = np.zeros(len(start), dtype=bool) if done is None else done.copy()
    t = np.ones(len(start))
    for _ in range(halvings):
        rows = np.flatnonzero(~accepted)
        if rows.size == 0:
            break
        ok, points = accept(rows, start[rows] + t[rows, None] * step[rows], t[rows])
        out[rows[ok]] = points[ok]
        accepted[rows[ok]] = True
        t[rows[~ok]] *= 0.5
    if done is not None:
        accepted &= ~done
    return out, accepted


def _smallest_eigenvalue(M):
    """Smallest eigenvalue of each symmetric matrix in M (closed form for d ≤ 2)."""
    d = M.shape[1]
    if d == 1:
        return M[:, 0, 0]
    if d == 2:
        a, b, c = M[:, 0, 0], M[:, 0, 1], M[:, 1, 1]
        return 0.5 * (a + c) - np.hypot(0.5 * (a - c), b)
    return np.linalg.eigvalsh(M)[:, 0]


def _solve_spd_or_nan(M, rhs):
    """Solve M s = rhs per row where M is positive definite; NaN rows elsewhere."""
    d = M.shape[1]
    if d == 1:
        a = M[:, 0, 0]
        with np.errstate(all="ignore"):
            out = np.where(a > 0, rhs[:, 0] / a, np.nan)
        return out[:, None]
    if d == 2:
        a, b, c = M[:, 0, 0], M[:, 0, 1], M[:, 1, 1]
        det = a * c - b * b
        ok = (a > 0) & (det > 1e-300)
        with np.errstate(all="ignore"):
            s0 = (c * rhs[:, 0] - b * rhs[:, 1]) / det
            s1 = (a * rhs[:, 1] - b * rhs[:, 0]) / det
        out = np.column_stack([s0, s1])
        out[~ok] = np.nan
        return out
    out = np.full_like(rhs, np.nan)
    eig_min = np.linalg.eigvalsh(M)[:, 0]
    ok = eig_min > 0
    if np.any(ok):
        out[ok] = np.linalg.solve(M[ok], rhs[ok][..., None])[..., 0]
    return out


# --------------------------------------------------------------------------------------
# public entry point


def _search_box(f: Function, x: np.ndarray, y: np.ndarray):
    """Box (lo, hi) per variable containing every footpoint of every point."""
    inside = x if f.domain is None else np.clip(x, f.domain[:, 0], f.domain[:, 1])
    value, = f.evaluate(inside, 0)
    if not np.all(np.isfinite(value)):
        i = int(np.flatnonzero(~np.isfinite(value))[0])
        raise ValueError(f"{f} is not finite at x = {inside[i].tolist()}; declare a domain= on "
                         "which it is defined")
    # p(inside) is a graph point: every footpoint is at most that far from z
    radius = np.linalg.norm(x - inside, axis=1) + np.abs(value - y)
    lo = (x - radius[:, None]).min(axis=0)
    hi = (x + radius[:, None]).max(axis=0)
    for i in range(f.dim):
        p = None if f.period is None else f.period[i]
        if p is not None:
            base = f.sample_box[i, 0]
            lo[i], hi[i] = base - 0.5 * p, base + 1.5 * p
    if f.domain is not None:
        lo = np.maximum(lo, f.domain[:, 0])
        hi = np.minimum(hi, f.domain[:, 1])
    span = hi - lo
    pad = np.maximum(span, 1.0) * 1e-3
    lo, hi = lo - pad, hi + pad
    if f.domain is not None:
        lo = np.maximum(lo, f.domain[:, 0])
        hi = np.minimum(hi, f.domain[:, 1])
    return lo, hi


def footpoint(f: Function, points, *, resolution=None, rtol=1e-13, ambiguity_tol=1e-9,
              on_failure="warn") -> FootpointResult:
    """Global nearest point(s) of the graph of ``f`` to each of ``points``.

    ``θ*(z) = argmin_φ |φ − x|² + (f(φ) − y)²`` for ``z = (x, y)``.

    Parameters
    ----------
    f : Function
        A loss of one or two variables.
    points : array_like, shape (n, d+1) or (d+1,)
        Points of R^(d+1); the last coordinate is the height.
    resolution : float or sequence of float, optional
        Samples per unit length of the search grid, per variable (default
        4096 in 1-D, 64 in 2-D). Basins of ``D`` narrower than a few grid
        steps can be missed: raise it for losses with finer features.
    rtol : float
        Stationarity residual tolerance, relative to ``1 + |x| + |y|``. A solve
        that can make no further progress is accepted at ``100 * rtol`` (the
        round-off floor of the residual); otherwise it is reported unconverged.
    ambiguity_tol : float
        Two distinct footpoints whose distances differ by at most
        ``ambiguity_tol * (1 + distance)`` mark the point as on the medial axis.
    on_failure : {"warn", "raise", "ignore"}
        What to do when a refinement does not converge (always reported in
        ``converged`` and ``residual``).

    Returns
    -------
    FootpointResult

    Examples
    --------
    >>> f = Function("x**2")
    >>> r = footpoint(f, [[0.0, 1.0], [1.0, 0.0]])
    >>> r.theta[1].round(6), bool(r.ambiguous[0])     # (0, 1) is on the medial axis
    (np.float64(0.589755), True)
    >>> sorted([r.theta[0].round(6), r.second[0].round(6)])
    [np.float64(-0.707107), np.float64(0.707107)]
    """
    if not isinstance(f, Function):
        raise TypeError(f"footpoint needs an offsetgeo.Function, got {type(f).__name__}")
    if f.dim > 2:
        raise ValueError(f"the global footpoint search supports functions of 1 or 2 variables; "
                         f"this one has {f.dim}. Use rbo's local 'newton' solver in high dimension")
    if on_failure not in ("warn", "raise", "ignore"):
        raise ValueError(f"on_failure must be 'warn', 'raise' or 'ignore', got {on_failure!r}")
    d = f.dim
    pts = np.asarray(points, dtype=np.float64)
    single = pts.ndim == 1
    if single:
        pts = pts[None, :]
    if pts.ndim != 2 or pts.shape[1] != d + 1:
        raise ValueError(f"points must have shape (n, {d + 1}) for a function of {d} variable(s) "
                         f"(last column = height), got {np.shape(points)}")
    if not np.all(np.isfinite(pts)):
        raise ValueError("points contain NaN or inf")
    n = pts.shape[0]
    x, y = pts[:, :d].copy(), pts[:, d].copy()
    shift = np.zeros_like(x)
    if f.period is not None:
        for i, p in enumerate(f.period):
            if p is not None:
                base = f.sample_box[i, 0]
                k = np.floor((x[:, i] - base) / p)
                shift[:, i] = k * p
                x[:, i] -= shift[:, i]
    default_resolution = resolution is None
    if resolution is None:
        resolution = DEFAULT_RESOLUTION[d]
    resolution = np.broadcast_to(np.asarray(resolution, dtype=float), (d,)).copy()
    if np.any(~np.isfinite(resolution)) or np.any(resolution <= 0):
        raise ValueError(f"resolution must be positive samples per unit, got {resolution}")

    lo, hi = _search_box(f, x, y)
    grid = _cached_grid(f, lo, hi, resolution)
    if grid.aliasing > _ALIASING_LIMIT:
        if default_resolution:
            # the loss has features finer than the default grid: refine it while we can
            for _ in range(3):
                finer = resolution * 4
                if np.prod((hi - lo) * finer) > _MAX_SAMPLES:
                    break
                resolution = finer
                grid = _cached_grid(f, lo, hi, resolution)
                if grid.aliasing <= _ALIASING_LIMIT:
                    break
        if grid.aliasing > _ALIASING_LIMIT:
            warnings.warn(
                f"the footpoint search grid ({resolution.tolist()} samples per unit) is too coarse "
                f"for {f}: its second differences miss f'' by {grid.aliasing:.0%}, so narrow "
                "basins may be missed; pass a larger resolution= or a smaller region",
                ResolutionWarning, stacklevel=2)
    x2 = np.zeros((n, 3))
    x2[:, :d] = x
    x2[:, 2] = y
    cand_theta = np.empty((n, _MAX_CANDIDATES, 2))
    cand_dist = np.empty((n, _MAX_CANDIDATES))
    search = _search_candidates if n >= 64 else _search_candidates_serial
    search(grid.values, grid.origin, grid.spacing, *grid.block, *grid.group, grid.fmin,
           grid.fmax, grid.fmin2, grid.fmax2, grid.plane, grid.plane_err, grid.slope2, grid.bend,
           grid.slope2_2, grid.bend2, grid.spacing2, grid.cellmax, x2, cand_theta, cand_dist)

    owner, slot = np.nonzero(np.isfinite(cand_dist))
    lower = upper = None
    if f.domain is not None:
        lower, upper = f.domain[:, 0].copy(), f.domain[:, 1].copy()
    phi, dist2, residual, converged, height = refine(
        f, cand_theta[owner, slot, :d], x[owner], y[owner], lower=lower, upper=upper, rtol=rtol)
    result = _select(n, d, owner, phi, np.sqrt(dist2), residual, converged, height,
                     ambiguity_tol)
    theta, dist, amb, second, second_dist, conv, res, fvals = result
    theta += shift
    second += shift
    above = y >= fvals
    bad = ~conv
    if np.any(bad) and on_failure != "ignore":
        idx = np.flatnonzero(bad)
        msg = (f"{idx.size} of {n} footpoint solves did not converge (first at point index "
               f"{idx[0]}, residual {res[idx[0]]:.3g}); see result.converged / result.residual")
        if on_failure == "raise":
            raise ConvergenceError(msg)
        warnings.warn(msg, NonConvergenceWarning, stacklevel=2)
    if d == 1:
        theta, second = theta[:, 0], second[:, 0]
    out = FootpointResult(theta, dist, amb, second, second_dist, conv, res, above, fvals)
    return out


def _select(n, d, owner, phi, dist, residual, converged, height, ambiguity_tol):
    """Per point: nearest refined candidate, and the nearest distinct other one."""
    theta = np.full((n, d), np.nan)
    second = np.full((n, d), np.nan)
    best = np.full(n, np.inf)
    second_dist = np.full(n, np.inf)
    conv = np.zeros(n, dtype=bool)
    res = np.full(n, np.inf)
    fvals = np.full(n, np.nan)
    order = np.lexsort((dist, owner))
    owner, phi, dist = owner[order], phi[order], dist[order]
    residual, converged, height = residual[order], converged[order], height[order]
    first = np.ones(owner.size, dtype=bool)
    first[1:] = owner[1:] != owner[:-1]
    head = np.flatnonzero(first)
    idx = owner[head]
    theta[idx], best[idx], conv[idx], res[idx], fvals[idx] = (
        phi[head], dist[head], converged[head], residual[head], height[head])
    # nearest candidate distinct from the best one
    lead = np.repeat(head, np.diff(np.append(head, owner.size)))
    sep = np.linalg.norm(phi - phi[lead], axis=1)
    distinct = (~first) & (sep > 1e-6 * (1.0 + np.abs(phi[lead]).max(axis=1)))
    if np.any(distinct):
        cand = np.flatnonzero(distinct)
        keep = np.ones(cand.size, dtype=bool)
        keep[1:] = owner[cand[1:]] != owner[cand[:-1]]
        cand = cand[keep]
        second_dist[owner[cand]] = dist[cand]
        second_pt = phi[cand]
    else:
        cand = np.zeros(0, dtype=np.int64)
        second_pt = np.zeros((0, d))
    amb = second_dist - best <= ambiguity_tol * (1.0 + best)
    sel = amb[owner[cand]]
    second[owner[cand][sel]] = second_pt[sel]
    return theta, best, amb, second, second_dist, conv, res, fvals
