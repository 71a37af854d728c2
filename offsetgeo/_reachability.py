"""ρ-reachability, unreachable sets and the largest ball touching the graph at a point.

``p(θ)`` is ρ-reachable when some ball of radius ρ lying above the graph touches it.
For a smooth graph the only candidate is the ball centred at ``c = p(θ) + ρ n(θ)``,
so ``p(θ)`` is reachable exactly when ``p(θ)`` is a nearest graph point of ``c``:
the test is one global footpoint projection. ``U_ρ = {θ : p(θ) not reachable}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._deprecation import renamed_keywords
from ._function import Function, as_function
from ._graph import curvatures, face_curvature, normal_lift
from ._numerics import backtrack, find_root, grid_local_extrema, mesh, minimize_bounded, solve_small
from ._projection import _certify, footpoint, polish
from ._results import Result
from ._validation import as_thetas, check_count, check_in_box, check_positive, check_radius

__all__ = ["is_reachable", "unreachable_set", "UnreachableSet", "max_ball_radius"]

# Footpoint solves stop only once their last Newton step is ~1e-9 (see projection.refine),
# also where D is flat to fourth order near a centre of curvature; locations are compared
# a little above that. Past the critical radius, at t = (1 + ε)/κ, the footpoint moves by
# O(sqrt(ε)), so t* is resolved to ~1e-12 relative.
_THETA_TOL = 1e-7
#: distances below the radius by more than this (relative) put a graph point inside the ball
_ROUNDOFF = 1e-14


def _touches(f: Function, theta: np.ndarray, t, kappa=None) -> np.ndarray:
    """Whether p(θ) is a nearest graph point of c = p(θ) + t n(θ) (the ball of radius t is free);
    ``kappa``: :func:`_focal_curvature` at θ, if the caller has it.

    The ball is blocked when

    * the footpoint search of ``c``, bounded by the distance ``t`` of ``p(θ)``, finds in
      another basin of the distance a graph point strictly inside the ball (below ``t``
      beyond round-off: a certificate, converged or not; :func:`certify_footpoints`, which
      does not refine θ's own basin — ``p(θ)`` is a stationary point of the distance by
      construction); or
    * θ is not even a local minimum of the distance, ``t κ_max(θ) > 1`` (exact at a
      centre of curvature, where the distances tie to fourth order; on a face of a domain
      box, the curvature along the face; none at a corner or an end).
    """
    t = np.broadcast_to(np.asarray(t, dtype=float), theta.shape[:1])
    c = normal_lift(f, theta, t)
    # p(θ) is a stationary point of the distance from c, at distance t: only other basins
    # can be nearer, and only they are refined (θ's own, within two grid cells, is not)
    cert = _certify(f, c, theta, resolution=None, rtol=1e-13, ambiguity_tol=0.0, coarsen=False)
    scale = _ROUNDOFF * (1.0 + t + np.abs(c).max(axis=1))
    inside = ~cert.certified & (cert.distance < t - scale)
    kappa = _focal_curvature(f, theta) if kappa is None else kappa
    return ~(inside | (t * kappa > 1.0 + 4e-16))


def _focal_curvature(f: Function, theta: np.ndarray) -> np.ndarray:
    """The largest principal curvature of the graph at ``p(θ)`` (upward normal): a ball of
    radius ``t`` above ``p(θ)`` is blocked when ``t κ > 1``. On a face of the domain the
    curvature along the face; none (``-inf``) at a corner or an end."""
    if f.domain is None:
        return curvatures(f, theta, "at the tested points")[:, 0]
    _, g, H = f.evaluate(theta, 2)
    return face_curvature(g, H, (theta > f.domain[:, 0]) & (theta < f.domain[:, 1]))


def is_reachable(f, thetas, rho):
    """Whether ``p(θ)`` is ρ-reachable from above.

    ``θ`` is reachable iff ``p(θ)`` is a nearest point of the graph to
    ``p(θ) + ρ n(θ)`` (equivalently ``f̄_ρ(θ) = f(θ)``). With a ``domain``, θ must lie in it
    and the graph is f on the domain box (``docs/conventions.md``, "Domains").

    Parameters
    ----------
    f : Function or str
    thetas : array_like
        Points, shape (n, d), (n,) for d = 1, or one point.
    rho : float
        Ball radius, > 0.

    Returns
    -------
    reachable : bool or ndarray of bool (n,)

    See Also
    --------
    unreachable_set : the set of unreachable points on a window.
    curvature_test : the local (necessary) test.
    ironed : equals ``f`` exactly at the reachable points.

    Examples
    --------
    >>> f = Function("x**2")   # curvature 2 at the bottom: reachable iff rho <= 1/2
    >>> is_reachable(f, [0.0, 2.0], 0.4).tolist(), is_reachable(f, [0.0, 2.0], 0.6).tolist()
    ([True, True], [False, True])
    """
    f = as_function(f)
    rho = check_radius(rho)
    points, tag = as_thetas(thetas, f.dim)
    check_in_box(points, f.domain, hint=": the graph is f on its domain")
    if points.shape[0] == 0:
        return np.zeros(0, dtype=bool)
    out = _touches(f, points, rho)
    return bool(out[0]) if tag == "scalar" else out


def max_ball_radius(f, thetas, *, t_max=1e3, rtol=1e-13):
    """Radius ``t*(θ)`` of the largest ball above the graph touching it at ``p(θ)``.

    ``t*(θ) = sup{t : p(θ) is a nearest graph point of p(θ) + t n(θ)}``, at most the radius
    of curvature ``1/κ_max(θ)``: where the ball of that radius is free, ``t*`` is exactly
    it; elsewhere bisection on t (``inf`` where no ball up to ``t_max`` is blocked). Its centre
    ``p(θ) + t* n(θ)`` lies on the upper medial axis, and ``U_ρ = {θ : t*(θ) < ρ}``.

    Parameters
    ----------
    f : Function or str
    thetas : array_like
    t_max : float
        Balls up to this radius are tested; larger ones count as never blocked.
    rtol : float
        Relative tolerance of the returned radius (bisection bracket ``≤ rtol · t*``).

    Returns
    -------
    radius : float or ndarray (n,)

    See Also
    --------
    reach : ``inf_θ t*(θ)`` is the upper reach (method "balls").
    medial_axis : the centres ``p(θ) + t*(θ) n(θ)``.

    Examples
    --------
    >>> round(float(max_ball_radius("x**2", 0.0)), 9)    # the osculating circle, radius 1/2
    0.5
    """
    f = as_function(f)
    t_max = check_positive(t_max, "t_max")
    rtol = check_positive(rtol, "rtol")
    theta, tag = as_thetas(thetas, f.dim)
    check_in_box(theta, f.domain, hint=": the graph is f on its domain")
    if theta.shape[0] == 0:
        return np.zeros(0)
    n = theta.shape[0]
    lo = np.zeros(n)
    hi = np.full(n, min(1.0, t_max))
    unbounded = np.zeros(n, dtype=bool)
    kappa = _focal_curvature(f, theta)
    with np.errstate(divide="ignore"):
        cap = np.where(kappa > 0, 1.0 / kappa, np.inf)
    capped = np.flatnonzero(cap < t_max)
    exact = np.zeros(n, dtype=bool)
    if capped.size:                           # t* ≤ 1/κ_max: the radius of curvature first
        exact[capped] = _touches(f, theta[capped], cap[capped], kappa[capped])
        lo[capped], hi[capped] = np.where(exact[capped], cap[capped], 0.0), cap[capped]
    active = np.flatnonzero(cap >= t_max)
    while active.size:                       # grow the bracket geometrically, up to t_max
        ok = _touches(f, theta[active], hi[active], kappa[active])
        grow = active[ok]
        lo[grow] = hi[grow]
        unbounded[grow[hi[grow] >= t_max]] = True          # free up to t_max itself
        active = grow[hi[grow] < t_max]
        hi[active] = np.minimum(4.0 * hi[active], t_max)
    active = np.flatnonzero(~unbounded & ~exact)
    while active.size:
        mid = 0.5 * (lo[active] + hi[active])
        ok = _touches(f, theta[active], mid, kappa[active])
        lo[active[ok]] = mid[ok]
        hi[active[~ok]] = mid[~ok]
        active = active[(hi[active] - lo[active]) > rtol * hi[active]]
    out = np.where(unbounded, np.inf, np.where(exact, cap, 0.5 * (lo + hi)))
    return float(out[0]) if tag == "scalar" else out


@dataclass(frozen=True)
class UnreachableSet(Result):
    """The unreachable set ``U_ρ`` on a window.

    Attributes
    ----------
    rho : float
    window : ndarray (d, 2)
    intervals : ndarray (k, 2)
        1-D only: the components of ``U_ρ`` in the window, edges refined to ``edge_tol``
        (on a periodic window, all inside it: see ``wraps``).
    measure : float
        Total length (1-D) or area (2-D, from the grid) of ``U_ρ`` in the window.
    grid : tuple of ndarray
        The sample axes used.
    mask : ndarray of bool
        ``True`` where the grid point is unreachable.
    edges : ndarray (m, d)
        2-D only: boundary points of ``U_ρ`` refined along grid rows.
    edge_tol : float
    wraps : bool
        1-D, periodic window ``[a, a + P]``: every interval lies inside the window, and a
        component crossing the period end is split there into ``[l, a + P]`` (the last
        interval) and ``[a, r]`` (the first); ``wraps`` is True when that happened, so the
        first and last intervals are one component.
    """

    rho: float
    window: np.ndarray
    intervals: np.ndarray
    measure: float
    grid: tuple
    mask: np.ndarray
    edges: np.ndarray = field(default_factory=lambda: np.zeros((0, 1)))
    edge_tol: float = 1e-13
    wraps: bool = False

    @property
    def empty(self) -> bool:
        return not bool(self.mask.any()) and self.intervals.shape[0] == 0

    def contains(self, theta) -> np.ndarray:
        """Whether points lie in one of the intervals (1-D)."""
        theta = np.asarray(theta, dtype=float)
        if self.window.shape[0] != 1:
            raise ValueError("contains() is for 1-D sets; use mask and grid in 2-D")
        inside = np.zeros(theta.shape, dtype=bool)
        for lo, hi in self.intervals:
            inside |= (theta > lo) & (theta < hi)
        return inside


def _bisect_edges(f, rho, inside, outside, tol):
    """Shrink [inside, outside] pairs (unreachable, reachable) to width tol by bisection on
    the reachability test (the fallback of :func:`_refine_edges`)."""
    a, b = inside.copy(), outside.copy()
    while np.max(np.linalg.norm(b - a, axis=1), initial=0.0) > tol:
        mid = 0.5 * (a + b)
        ok = _touches(f, mid, rho)
        a[~ok] = mid[~ok]
        b[ok] = mid[ok]
    return 0.5 * (a + b)


def _blocking(f, theta, rho, start):
    """``ψ = ρ − |c − p(b)|`` at the centre ``c = p(θ) + ρ n(θ)``, with ``b`` the local
    footpoint of ``c`` reached from ``start`` (rows (m, d)): positive while that part of the
    graph enters the ball. Returns ``(ψ, b)``."""
    d = f.dim
    c = normal_lift(f, theta, rho)
    sol = polish(f, start, c[:, :d], c[:, d])
    gap = np.sqrt(((sol.theta - c[:, :d]) ** 2).sum(1) + (sol.value - c[:, d]) ** 2)
    return rho - gap, sol.theta


def _refine_edges(f, rho, inside, outside, tol):
    """Edges of ``U_ρ`` between unreachable ``inside`` and reachable ``outside`` points (m, d).

    An edge is where the graph stops entering the ball: the root, on the segment between the
    two points, of the penetration ``ψ`` of the *blocking branch* (the part of the graph
    nearest to the centre of the ball at the inside point, followed by Newton). ``ψ`` is
    smooth and its root simple (there the ball rests on θ and on the blocking point), so
    Brent's method finds it to ``tol``. Pairs where ``ψ`` keeps its sign, or where another
    part of the graph still enters the ball at the root, fall back to bisection on the test.
    """
    m, d = inside.shape
    edges = np.empty_like(inside)
    if m == 0:
        return edges
    res = footpoint(f, normal_lift(f, inside, rho), on_failure="ignore")
    branch = res.theta.reshape(inside.shape).copy()
    psi_in = rho - res.distance
    psi_out, branch_out = _blocking(f, outside, rho, branch)
    # the branch must still exist at the outside point (not merge into θ's own basin)
    distinct = np.linalg.norm(branch_out - outside, axis=1) > \
        _THETA_TOL * (1.0 + np.abs(outside).max(axis=1))
    good = np.flatnonzero((psi_in > 0) & (psi_out <= 0) & distinct)
    if good.size:
        span = outside[good] - inside[good]
        latest = branch[good]

        def psi(s, rows):
            value, latest[rows] = _blocking(f, inside[good[rows]] + s[:, None] * span[rows],
                                            rho, latest[rows])
            return value

        s, _ = find_root(psi, np.zeros(good.size), np.ones(good.size), psi_in[good],
                         psi_out[good], tol / np.linalg.norm(span, axis=1))
        edges[good] = inside[good] + s[:, None] * span
        # no other part of the graph may enter the ball at the edge
        c = normal_lift(f, edges[good], rho)
        check = footpoint(f, c, on_failure="ignore")
        other = check.distance < rho - 100 * _ROUNDOFF * (1.0 + rho + np.abs(c).max(axis=1))
        good = good[~other]
    bad = np.ones(m, dtype=bool)
    bad[good] = False
    if np.any(bad):
        edges[bad] = _bisect_edges(f, rho, inside[bad], outside[bad], tol)
    return edges


@renamed_keywords(resolution="samples_per_axis")
def unreachable_set(f, rho, *, window=None, samples_per_axis=None,
                    edge_tol=1e-13) -> UnreachableSet:
    """The ρ-unreachable set ``U_ρ = {θ : f̄_ρ(θ) > f(θ)}`` on a window.

    1-D: intervals; 2-D: a mask on a grid, with boundary points refined along rows. Points
    where the local test fails (a principal curvature above 1/ρ) are always included, and in
    1-D every curvature maximum (vertex) between samples is refined and tested, so
    components thinner than the grid are not lost. An edge is where the blocking part of
    the graph stops entering the ball resting at θ: the simple root of its penetration
    depth, found by Brent's method to ``edge_tol`` (there the ball rests on θ and on the
    blocking point).

    Parameters
    ----------
    f : Function or str
    rho : float
    window : (lo, hi) or [(lo, hi), ...], optional
        Default: the domain, or one period of a periodic function. A
        non-periodic function without a domain needs a window.
    samples_per_axis : int, optional
        Grid points per axis (default 2048 in 1-D, 96 in 2-D).
    edge_tol : float
        Absolute tolerance of the refined edges (default: round-off).

    Returns
    -------
    unreachable : UnreachableSet

    See Also
    --------
    is_reachable : the test at given points.
    ironed : ``f̄_ρ > f`` exactly on ``U_ρ``.

    Examples
    --------
    >>> f = Function("sin(x)", period="2*pi")   # critical radius 1 (curvature 1 at troughs)
    >>> unreachable_set(f, 0.9).empty
    True
    >>> U = unreachable_set(f, 2.0)
    >>> U.intervals.round(4).tolist()    # around the trough at 3π/2
    [[3.3081, 6.1167]]
    """
    f = as_function(f)
    rho = check_radius(rho)
    edge_tol = check_positive(edge_tol, "edge_tol")
    if f.dim > 2:
        raise ValueError(f"unreachable_set works on 1-D and 2-D grids; this function has "
                         f"{f.dim} variables (3-D grids are not supported). Use is_reachable "
                         "at the points you need")
    box = f.window(window)
    d = f.dim
    m = (2048 if d == 1 else 96) if samples_per_axis is None else \
        check_count(samples_per_axis, "samples_per_axis", minimum=8)
    periodic = [f.period is not None and f.period[i] is not None
                and np.isclose(box[i, 1] - box[i, 0], f.period[i]) for i in range(d)]
    axes = tuple(np.linspace(lo, hi, m, endpoint=not periodic[i])
                 for i, (lo, hi) in enumerate(box))
    points = mesh(axes)
    mask = ~_touches(f, points, rho)
    # the local test: a principal curvature above 1/rho makes a point unreachable
    kappa = curvatures(f, points, "on the window")[:, 0]
    mask |= kappa * rho > 1.0
    mask = mask.reshape((m,) * d)
    if d == 1:
        slivers = _vertex_slivers(f, rho, axes[0], kappa, mask, periodic[0])
        intervals, wraps = _intervals_1d(f, rho, axes[0], mask, periodic[0], box[0], edge_tol,
                                         slivers)
        measure = float(np.sum(intervals[:, 1] - intervals[:, 0])) if len(intervals) else 0.0
        return UnreachableSet(rho, box, intervals, measure, axes, mask, np.zeros((0, 1)), edge_tol,
                              wraps)
    edges = _edges_2d(f, rho, axes, mask, edge_tol)
    cell = np.prod([(ax[1] - ax[0]) for ax in axes])
    return UnreachableSet(rho, box, np.zeros((0, 2)), float(mask.sum() * cell), axes, mask, edges,
                          edge_tol)


def _vertex_slivers(f, rho, x, kappa, mask, periodic):
    """Components of ``U_ρ`` narrower than the grid (1-D): at each discrete local maximum of
    the curvature whose neighbours are all reachable, the vertex is refined (Brent); where
    ``ρ κ > 1`` there it is unreachable. Returns ``(vertex, left reachable sample, right
    reachable sample)`` per sliver."""
    step = x[1] - x[0]
    peak = grid_local_extrema(kappa, kind="max", wrap=periodic, faces=periodic)
    near = mask | np.roll(mask, 1) | np.roll(mask, -1)
    if not periodic:
        near[0] = near[-1] = True
    idx = np.flatnonzero(peak & ~near)
    if idx.size == 0:
        return np.zeros((0, 3))

    def minus_kappa(t, rows):
        return -curvatures(f, t[:, None], "on the window")[:, 0]

    vertex, value, _ = minimize_bounded(minus_kappa, x[idx] - step, x[idx] + step, 1e-13)
    hit = -value * rho > 1.0
    vertex, idx = vertex[hit], idx[hit]
    left = np.where(vertex < x[idx], x[idx] - step, x[idx])
    right = np.where(vertex < x[idx], x[idx], x[idx] + step)
    return np.column_stack([vertex, left, right])


def _intervals_1d(f, rho, x, mask, periodic, box, tol, slivers):
    n = len(x)
    if not mask.any() and slivers.shape[0] == 0:
        return np.zeros((0, 2)), False
    if mask.all():
        return np.array([[box[0], box[1]]]), False
    step = x[1] - x[0]
    # runs of True, as (first, last) indices
    padded = np.concatenate([[False], mask, [False]])
    starts = np.flatnonzero(padded[1:] & ~padded[:-1])
    ends = np.flatnonzero(~padded[1:] & padded[:-1]) - 1
    runs = list(zip(starts, ends))
    wrap = periodic and mask[0] and mask[-1] and len(runs) > 1
    lefts_in = [x[s] for s, _ in runs] + list(slivers[:, 0])
    lefts_out = [x[s] - step if (s > 0 or periodic) else np.nan for s, _ in runs] \
        + list(slivers[:, 1])
    rights_in = [x[e] for _, e in runs] + list(slivers[:, 0])
    rights_out = [x[e] + step if (e < n - 1 or periodic) else np.nan for _, e in runs] \
        + list(slivers[:, 2])
    lefts_in, lefts_out = np.array(lefts_in), np.array(lefts_out)
    rights_in, rights_out = np.array(rights_in), np.array(rights_out)
    if wrap:   # the component crossing the period end is split there: no edge to refine
        lefts_out[0] = rights_out[len(runs) - 1] = np.nan
    inner = np.concatenate([lefts_in, rights_in])
    outer = np.concatenate([lefts_out, rights_out])
    ok = np.isfinite(outer)
    edge = np.where(ok, inner, np.nan)
    edge[ok] = _refine_edges(f, rho, inner[ok, None], outer[ok, None], tol)[:, 0]
    left, right = edge[:len(lefts_in)], edge[len(lefts_in):]
    left[~np.isfinite(lefts_out)] = box[0]
    right[~np.isfinite(rights_out)] = box[1]
    intervals = np.column_stack([left, right])
    # both edges inside: they are the two contacts of one ball (the component's bitangent
    # ball); polishing them jointly on positions stays exact where the penetration depth,
    # second order in thin components, is lost in round-off
    both = np.flatnonzero(np.isfinite(lefts_out) & np.isfinite(rights_out))
    if both.size:
        intervals[both] = _bitangent_pair(f, rho, intervals[both], 2 * step)
    if periodic:   # an edge refined past an end of the period: split there, into the window
        intervals, split = _split_at_period(intervals, box[0], box[1])
        wrap = wrap or split
    return intervals[np.argsort(intervals[:, 0], kind="stable")], bool(wrap)


def _split_at_period(intervals, lo, hi):
    """Intervals of a periodic window ``[lo, hi]`` with an edge past one of its ends, split
    into the parts inside the window; returns them and whether any was split."""
    period = hi - lo
    out = []
    for a, b in intervals:
        if a < lo:
            out += [(lo, b), (a + period, hi)]
        elif b > hi:
            out += [(a, hi), (lo, b - period)]
        else:
            out.append((a, b))
    return np.array(out).reshape(-1, 2), len(out) > len(intervals)


def _bitangent_pair(f, rho, pairs, reach_):
    """Contacts ``a < b`` of the ball resting on the graph at two points (d = 1), polished from
    ``pairs`` (m, 2) by damped Newton on ``c(a) = c(b)``, ``c = p + ρ n`` (its derivative
    ``c' = (1 − ρκ)(1, f')``). Edges found where the curvature reaches 1/ρ (the penetration
    there is below round-off) are where ``c'`` vanishes: Newton also starts from the pair
    widened by its width. A pair is taken when the residual falls to round-off, within
    ``reach_`` of the start and still a pair; otherwise the start is kept."""
    width = pairs[:, 1] - pairs[:, 0]
    out = pairs.copy()
    done = np.zeros(len(pairs), dtype=bool)
    for start in (pairs, pairs + np.column_stack([-0.5 * width, 0.5 * width])):
        rows = np.flatnonzero(~done)
        if rows.size == 0:
            break
        ab, ok = _newton_pair(f, rho, start[rows])
        ok &= np.all(np.abs(ab - pairs[rows]) <= reach_, axis=1) \
            & (ab[:, 1] - ab[:, 0] > 0.25 * width[rows])
        out[rows[ok]] = ab[ok]
        done[rows[ok]] = True
    return out


def _newton_pair(f, rho, ab, iters=60):
    """Newton with backtracking on ``|G|`` for ``G(a, b) = c(a) − c(b) = 0``, rows ``ab``
    (m, 2); returns the pairs and whether each is a solution: residual at round-off and a
    last Newton step small against ``b − a`` (where ``c'`` vanishes the step is not)."""
    ab = ab.copy()

    def residual(ab):
        ca = normal_lift(f, ab[:, :1], rho)
        cb = normal_lift(f, ab[:, 1:], rho)
        return ca - cb, np.abs(ca).max(axis=1) + np.abs(cb).max(axis=1)

    def newton_step(ab, G):
        _, g, H = f.evaluate(ab.reshape(-1, 1), 2)
        fp, fpp = g[:, 0].reshape(-1, 2), H[:, 0, 0].reshape(-1, 2)
        factor = 1.0 - rho * fpp / (1.0 + fp * fp) ** 1.5
        J = np.empty((len(ab), 2, 2))
        J[:, 0, 0], J[:, 1, 0] = factor[:, 0], factor[:, 0] * fp[:, 0]
        J[:, 0, 1], J[:, 1, 1] = -factor[:, 1], -factor[:, 1] * fp[:, 1]
        with np.errstate(all="ignore"):
            step = -solve_small(J, G)
        return np.where(np.isfinite(step), step, 0.0)

    G, scale = residual(ab)
    norm = np.linalg.norm(G, axis=1)
    active = np.arange(len(ab))
    for _ in range(iters):
        if active.size == 0:
            break
        step = newton_step(ab[active], G[active])

        def accept(rows, trial, t):
            Gt, _ = residual(trial)
            return np.linalg.norm(Gt, axis=1) < norm[active[rows]], trial

        new, moved = backtrack(ab[active], step, accept, halvings=30)
        Gn, _ = residual(new)
        ab[active], G[active] = new, Gn
        norm[active] = np.linalg.norm(Gn, axis=1)
        active = active[moved]
    last = newton_step(ab, G)
    small = np.all(np.abs(last) <= 1e-2 * np.abs(ab[:, 1:] - ab[:, :1]), axis=1)
    return ab, (norm <= 1e-14 * scale) & small


def _edges_2d(f, rho, axes, mask, tol):
    xs, ys = axes
    flips = np.nonzero(mask[:-1, :] != mask[1:, :])
    if flips[0].size == 0:
        return np.zeros((0, 2))
    i, j = flips
    a = np.column_stack([xs[i], ys[j]])
    b = np.column_stack([xs[i + 1], ys[j]])
    inside = np.where(mask[i, j][:, None], a, b)
    outside = np.where(mask[i, j][:, None], b, a)
    return _refine_edges(f, rho, inside, outside, tol)
