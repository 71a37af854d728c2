"""Candidate footpoints by a bound-pruned scan of a sampled graph (numba kernels).

For each point ``z = (x, y)`` the blocks of the grid (:mod:`offsetgeo._grid`) are scanned in
rings outward from ``x``; a superblock or block is skipped when a lower bound of ``D`` over it
(its box of ``f`` values, then its planar model) exceeds the best sample found so far plus a
second-order margin, and the discrete local minima of the sampled ``D`` that can still hold
the global minimum are kept (at most ``MAX_CANDIDATES`` per point, nearest first).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ._grid import Grid
from ._numerics import in_chunks

__all__ = ["search_candidates", "MAX_CANDIDATES"]

MAX_CANDIDATES = 8


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
    # an upper bound of the squared distance: the best sample found by a pattern search, or
    # the caller's bound (the distance of a known stationary point) when smaller
    best = min(_pattern_search(values, o1, o2, h1, h2, i0, j0, max(b1, b2), x1, x2, y),
               points[p, 3])
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




def search_candidates(grid: Grid, x: np.ndarray, y: np.ndarray, bound=None):
    """Candidate footpoints of the points ``(x, y)`` (x (n, d), y (n,)) on ``grid``.

    ``bound`` (n,), optional: a squared distance already attained (by a known stationary
    point); only basins that can beat it are searched for.

    Returns
    -------
    theta : ndarray (n, MAX_CANDIDATES, 2)
        Sample locations of the candidates (NaN in unused slots; second column 0 in 1-D).
    dist2 : ndarray (n, MAX_CANDIDATES)
        Sampled squared distances (inf in unused slots).
    """
    n, d = x.shape
    x2 = np.zeros((n, 4))
    x2[:, :d] = x
    x2[:, 2] = y
    x2[:, 3] = np.inf if bound is None else bound
    cand_theta = np.empty((n, MAX_CANDIDATES, 2))
    cand_dist = np.empty((n, MAX_CANDIDATES))

    def chunk(a, b):
        search = _search_candidates if b - a >= 64 else _search_candidates_serial
        search(grid.values, grid.origin, grid.spacing, *grid.block, *grid.group, grid.fmin,
               grid.fmax, grid.fmin2, grid.fmax2, grid.plane, grid.plane_err, grid.slope2,
               grid.bend, grid.slope2_2, grid.bend2, grid.spacing2, grid.cellmax, x2[a:b],
               cand_theta[a:b], cand_dist[a:b])

    in_chunks(chunk, n, first=256)      # Ctrl-C is seen between chunks
    # candidates as lattice points k h, computed one way: independent of the grid's origin
    h = grid.spacing[:d]
    cand_theta[:, :, :d] = np.round(cand_theta[:, :, :d] / h) * h
    return cand_theta, cand_dist
