"""Exact (global) footpoint projection onto the graph of a loss.

For ``z = (x, y)`` the footpoints are the minimisers of
``D(φ) = |φ − x|² + (f(φ) − y)²``. The search is global:

1. the graph is sampled on a grid covering every point's search region
   (a footpoint lies within ``|f(x) − y|`` of ``x``; within half a period for
   periodic variables), with per-block bounds of ``f`` (:mod:`offsetgeo._grid`);
2. for each point a numba kernel scans the blocks outward from ``x``, pruning
   every block whose distance bound exceeds the best sample found so far, and
   collects the discrete local minima of ``D`` that can still hold the global
   minimum (:mod:`offsetgeo._search`);
3. each candidate is refined by the footpoint Newton (:mod:`offsetgeo._newton`), on the
   domain box when the function has one (a bound-constrained problem: active set);
4. the nearest refined candidate is the footpoint; a second distinct one at
   (nearly) the same distance puts the point on the medial axis.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ._function import Function, as_function
from ._grid import ALIASING_LIMIT, MAX_SAMPLES, cached_grid
from ._newton import FunctionOracle, NewtonResult, newton_footpoint
from ._results import Result
from ._search import search_candidates
from ._validation import as_points, as_thetas, check_failure_policy, check_positive
from .exceptions import ConvergenceError, NonConvergenceWarning, ResolutionWarning

__all__ = ["footpoint", "FootpointResult", "certify_footpoints", "FootpointCertificate",
           "polish", "project", "DEFAULT_RESOLUTION"]

#: default samples per unit length, by dimension
DEFAULT_RESOLUTION = {1: 4096.0, 2: 64.0}


@dataclass(frozen=True)
class FootpointResult(Result):
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



def polish(f: Function, phi0, x, y, *, rtol: float = 1e-13, max_iter: int = 60) -> NewtonResult:
    """Refine footpoints of ``(x, y)`` from ``phi0`` (all (m, d) / (m,)) by the footpoint
    Newton on the graph of ``f`` (restricted to its domain), to the tolerance of
    :func:`footpoint`: residual ``≤ rtol (1 + |x| + |y|)``, and a small last step."""
    scale = 1.0 + np.abs(x).max(axis=1) + np.abs(y)
    lower = upper = None
    if f.domain is not None:
        lower, upper = f.domain[:, 0].copy(), f.domain[:, 1].copy()
    return newton_footpoint(FunctionOracle(f), x, y, np.array(phi0, dtype=float), tol=rtol * scale,
                            accept_tol=1e2 * rtol * scale, accept_floor=False,
                            lower=lower, upper=upper,
                            max_iter=max_iter, flat_guard=True, escape_saddles=True,
                            negative_curvature=True)


def _resolution(resolution, d):
    """Samples per unit length per variable (the default, or checked)."""
    if resolution is None:
        resolution = DEFAULT_RESOLUTION[d]
    resolution = np.broadcast_to(np.asarray(resolution, dtype=float), (d,)).copy()
    for value in resolution:
        check_positive(value, "resolution (samples per unit length)")
    return resolution


def _period_shift(f: Function, x: np.ndarray) -> np.ndarray:
    """Whole periods to subtract from ``x`` (n, d) to bring it into the base period."""
    shift = np.zeros_like(x)
    if f.period is not None:
        for i, p in enumerate(f.period):
            if p is not None:
                shift[:, i] = np.floor((x[:, i] - f.sample_box[i, 0]) / p) * p
    return shift


def _grid(f: Function, lo, hi, resolution, default_resolution: bool):
    """The sampled graph over [lo, hi], refined where the loss has features finer than the
    default grid (or a ResolutionWarning where a given resolution cannot resolve them)."""
    grid = cached_grid(f, lo, hi, resolution, bounded=default_resolution)
    if grid.aliasing > ALIASING_LIMIT:
        if default_resolution:
            for _ in range(3):
                finer = resolution * 4
                if np.prod((hi - lo) * finer) > MAX_SAMPLES:
                    break
                resolution = finer
                grid = cached_grid(f, lo, hi, resolution)
                if grid.aliasing <= ALIASING_LIMIT:
                    break
        if grid.aliasing > ALIASING_LIMIT:
            warnings.warn(
                f"the footpoint search grid ({resolution.tolist()} samples per unit) is too coarse "
                f"for {f}: its second differences miss f'' by {grid.aliasing:.0%}, so narrow "
                "basins may be missed; pass a larger resolution= or a smaller region",
                ResolutionWarning, stacklevel=3)
    return grid


#: farthest a point may be from the graph: squared distances stay finite
_FAR = 1e150


def _search_box(f: Function, x: np.ndarray, y: np.ndarray, radius=None):
    """Box (lo, hi) per variable containing every footpoint of every point."""
    inside = x if f.domain is None else np.clip(x, f.domain[:, 0], f.domain[:, 1])
    with np.errstate(all="ignore"):
        value, = f.evaluate(inside, 0)
    if not np.all(np.isfinite(value)):  # pragma: no cover - Function refuses such losses
        raise f.not_finite_error(inside, ~np.isfinite(value), "below the points to project",
                                 value=value)
    # p(inside) is a graph point: every footpoint is at most that far from z (or ``radius``,
    # the distance of a known graph point)
    with np.errstate(over="ignore"):
        bound = np.linalg.norm(x - inside, axis=1) + np.abs(value - y)
    if not np.all(bound <= _FAR):
        i = int(np.flatnonzero(~(bound <= _FAR))[0])
        raise ValueError(f"point {i} lies up to {bound[i]:.3g} from the graph of {f}; points "
                         f"and heights must stay within {_FAR:.0e} of it (squared distances "
                         "would overflow)")
    radius = bound if radius is None else np.minimum(bound, radius)
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


def footpoint(f, points, *, resolution=None, rtol=1e-13, ambiguity_tol=1e-9,
              on_failure="warn") -> FootpointResult:
    """Global nearest point(s) of the graph of ``f`` to each of ``points``.

    ``θ*(z) = argmin_φ |φ − x|² + (f(φ) − y)²`` for ``z = (x, y)`` (φ in the domain, if any).

    Parameters
    ----------
    f : Function or str
        A loss of one or two variables.
    points : array_like, shape (n, d+1) or (d+1,)
        Points of R^(d+1); the last coordinate is the height.
    resolution : float or sequence of float, optional
        Samples per unit length of the search grid, per variable (default
        4096 in 1-D, 64 in 2-D, refined automatically when the loss has finer features).
        Basins of ``D`` narrower than a few grid steps can be missed: raise it for
        losses with finer features.
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
    result : FootpointResult

    See Also
    --------
    newton_footpoint : the local solver behind the refinement (any dimension).
    is_reachable : reachability of a point, one projection.

    Examples
    --------
    >>> f = Function("x**2")
    >>> r = footpoint(f, [[0.0, 1.0], [1.0, 0.0]])
    >>> r.theta[1].round(6), bool(r.ambiguous[0])     # (0, 1) is on the medial axis
    (np.float64(0.589755), True)
    >>> sorted([r.theta[0].round(6), r.second[0].round(6)])
    [np.float64(-0.707107), np.float64(0.707107)]
    """
    return project(f, points, resolution=resolution, rtol=rtol, ambiguity_tol=ambiguity_tol,
                   on_failure=on_failure)


def project(f, points, *, resolution=None, rtol=1e-13, ambiguity_tol=1e-9, on_failure="warn",
            distance_bound=None) -> FootpointResult:
    """:func:`footpoint`, with ``distance_bound`` (n,): known upper bounds on the squared
    distances (a graph point at that distance, e.g. the contact point of a ball), which
    shrink the search box and prune the candidate scan from the start."""
    f = as_function(f)
    if f.dim > 2:
        raise ValueError(f"the global footpoint search supports functions of 1 or 2 variables; "
                         f"this one has {f.dim}. Use offsetgeo.newton_footpoint (local, any "
                         "dimension) or rbo's 'newton' solver")
    on_failure = check_failure_policy(on_failure)
    d = f.dim
    pts, _ = as_points(points, d)
    n = pts.shape[0]
    default_resolution = resolution is None
    resolution = _resolution(resolution, d)
    if n == 0:
        empty = np.zeros((0,) if d == 1 else (0, d))
        none = np.zeros(0)
        return FootpointResult(empty, none, none.astype(bool), empty.copy(), none.copy(),
                               none.astype(bool), none.copy(), none.astype(bool), none.copy())
    x, y = pts[:, :d].copy(), pts[:, d].copy()
    shift = _period_shift(f, x)
    x -= shift
    radius = None if distance_bound is None else np.sqrt(distance_bound)
    lo, hi = _search_box(f, x, y, radius)
    grid = _grid(f, lo, hi, resolution, default_resolution)
    cand_theta, cand_dist = search_candidates(grid, x, y, distance_bound)
    owner, slot = np.nonzero(np.isfinite(cand_dist))
    sol = polish(f, cand_theta[owner, slot, :d], x[owner], y[owner], rtol=rtol)
    phi, height = sol.theta, sol.value
    dist = np.sqrt(np.einsum("ij,ij->i", phi - x[owner], phi - x[owner]) + (height - y[owner]) ** 2)
    result = _select(n, d, owner, phi, dist, sol.residual, sol.converged, height, ambiguity_tol)
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
        warnings.warn(msg, NonConvergenceWarning, stacklevel=3)
    if d == 1:
        theta, second = theta[:, 0], second[:, 0]
    return FootpointResult(theta, dist, amb, second, second_dist, conv, res, above, fvals)


@dataclass(frozen=True)
class FootpointCertificate(Result):
    """Whether given stationary points of ``D`` are the nearest points of the graph.

    Attributes
    ----------
    theta : ndarray (n, d)
        The nearest point: the given one where ``certified``, else the nearer one found.
    certified : ndarray of bool (n,)
        The given point is a nearest point (no other basin of ``D`` is nearer, to
        ``ambiguity_tol``).
    distance : ndarray (n,)
        ``|z − p(theta)|``.
    converged : ndarray of bool (n,)
        The refinement of a replacement converged (True where certified).
    residual : ndarray (n,)
        Its stationarity residual (0 where certified: the given point is not re-solved).
    """

    theta: np.ndarray
    certified: np.ndarray
    distance: np.ndarray
    converged: np.ndarray
    residual: np.ndarray


def certify_footpoints(f, points, thetas, *, resolution=None, rtol=1e-13,
                       ambiguity_tol=1e-9) -> FootpointCertificate:
    """Certify that local footpoints are global: is ``p(θ_i)`` a nearest point of the graph to
    ``z_i``? Where not, the nearest one.

    ``θ_i`` is certified when no basin of ``D(φ) = |φ − x|² + (f(φ) − y)²`` can beat
    ``D(θ_i)``: the footpoint search of :func:`footpoint` is started with that distance as its
    bound, so it only visits blocks of the sampled graph that could hold a nearer point (for a
    ball rolling by small steps, the few around the contact point). Candidates away from
    ``θ_i`` are refined and compared.

    Parameters
    ----------
    f : Function or str
        One or two variables.
    points : array_like (n, d+1)
        The points ``z = (x, y)``.
    thetas : array_like (n, d) or (n,) for d = 1
        Stationary points of ``D`` for them (e.g. found by a local Newton solve).
    resolution, rtol, ambiguity_tol
        As for :func:`footpoint`.

    Returns
    -------
    certificate : FootpointCertificate

    See Also
    --------
    footpoint : the global projection from scratch.
    newton_footpoint : the local solver whose answers this certifies.

    Examples
    --------
    >>> f = Function("x**2")
    >>> c = certify_footpoints(f, [[0.0, 0.4], [0.0, 1.0]], [0.0, 0.0])
    >>> c.certified.tolist(), np.round(np.abs(c.theta[:, 0]), 6).tolist()   # 1 > 1/2: x=0 is not
    ([True, False], [0.0, 0.707107])
    """
    return _certify(f, points, thetas, resolution=resolution, rtol=rtol,
                    ambiguity_tol=ambiguity_tol, coarsen=True)


def _certify(f, points, thetas, *, resolution, rtol, ambiguity_tol, coarsen: bool):
    """:func:`certify_footpoints`; ``coarsen``: a search region too large for the default
    resolution is sampled coarser (a big ball; ``_grid`` refines where ``f`` needs it)
    instead of refused as :func:`footpoint` refuses it."""
    f = as_function(f)
    if f.dim > 2:
        raise ValueError(f"global certificates need the footpoint search, for 1 or 2 variables; "
                         f"this function has {f.dim}")
    d = f.dim
    pts, _ = as_points(points, d)
    theta, _ = as_thetas(thetas, d)
    if theta.shape[0] != pts.shape[0]:
        raise ValueError(f"got {pts.shape[0]} points but {theta.shape[0]} thetas")
    n = pts.shape[0]
    x, y = pts[:, :d].copy(), pts[:, d].copy()
    value, = f.evaluate(theta, 0)
    dist0 = np.sqrt(np.einsum("ij,ij->i", theta - x, theta - x) + (value - y) ** 2)
    out = FootpointCertificate(theta.copy(), np.ones(n, dtype=bool), dist0, np.ones(n, dtype=bool),
                               np.zeros(n))
    if n == 0:
        return out
    shift = _period_shift(f, x)
    xs, ts = x - shift, theta - shift
    lo, hi = _search_box(f, xs, y, radius=dist0)
    res = _resolution(resolution, d)
    need = float(np.prod((hi - lo) * res))
    if coarsen and resolution is None and need > MAX_SAMPLES / 4:
        # a large region (a big ball): start coarser; the grid is refined where f needs it
        res = res * (MAX_SAMPLES / 4 / need) ** (1.0 / d)
    grid = _grid(f, lo, hi, res, resolution is None)
    cand_theta, cand_dist = search_candidates(grid, xs, y, bound=dist0 ** 2)
    owner, slot = np.nonzero(np.isfinite(cand_dist))
    cand = cand_theta[owner, slot, :d]
    # a candidate within two cells of θ is θ's own basin
    gap = np.abs(cand - ts[owner])
    if f.period is not None:
        period = np.array([np.inf if p is None else p for p in f.period])
        gap = np.minimum(gap, np.abs(period - np.mod(gap, period)))
    own = np.all(gap <= 2.0 * grid.spacing[:d], axis=1)
    owner, cand = owner[~own], cand[~own]
    if owner.size == 0:
        return out
    sol = polish(f, cand, xs[owner], y[owner], rtol=rtol)
    dist = np.sqrt(np.einsum("ij,ij->i", sol.theta - xs[owner], sol.theta - xs[owner])
                   + (sol.value - y[owner]) ** 2)
    order = np.lexsort((dist, owner))
    first = np.ones(order.size, dtype=bool)
    first[1:] = owner[order][1:] != owner[order][:-1]
    best = order[first]
    rows = owner[best]
    nearer = dist[best] < dist0[rows] - ambiguity_tol * (1.0 + dist0[rows])
    rows, best = rows[nearer], best[nearer]
    theta_out, certified = out.theta, out.certified
    theta_out[rows] = sol.theta[best] + shift[rows]
    certified[rows] = False
    out.distance[rows] = dist[best]
    out.converged[rows] = sol.converged[best]
    out.residual[rows] = sol.residual[best]
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
