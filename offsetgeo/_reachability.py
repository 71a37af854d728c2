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
from ._graph import normal_lift, principal_curvatures
from ._numerics import mesh
from ._projection import footpoint
from ._results import Result
from ._validation import as_thetas, check_count, check_positive, check_radius

__all__ = ["is_reachable", "unreachable_set", "UnreachableSet", "max_ball_radius"]

# Footpoint solves stop only once their last Newton step is ~1e-9 (see projection.refine),
# also where D is flat to fourth order near a centre of curvature; locations are compared
# a little above that. Past the critical radius, at t = (1 + ε)/κ, the footpoint moves by
# O(sqrt(ε)), so t* is resolved to ~1e-12 relative.
_THETA_TOL = 1e-7


def _touches(f: Function, theta: np.ndarray, t) -> np.ndarray:
    """Whether p(θ) is a nearest graph point of p(θ) + t n(θ) (the ball of radius t is free)."""
    res = footpoint(f, normal_lift(f, theta, t), on_failure="ignore")
    fp = res.theta.reshape(theta.shape)
    tol = _THETA_TOL * (1.0 + np.abs(theta).max(axis=1))
    near = np.linalg.norm(fp - theta, axis=1) <= tol
    second = np.asarray(res.second).reshape(theta.shape)
    near_second = res.ambiguous & (np.linalg.norm(np.nan_to_num(second - theta, nan=np.inf),
                                                  axis=1) <= tol)
    return near | near_second


def is_reachable(f, thetas, rho):
    """Whether ``p(θ)`` is ρ-reachable from above.

    ``θ`` is reachable iff ``p(θ)`` is a nearest point of the graph to
    ``p(θ) + ρ n(θ)`` (equivalently ``f̄_ρ(θ) = f(θ)``).

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
    if points.shape[0] == 0:
        return np.zeros(0, dtype=bool)
    out = _touches(f, points, rho)
    return bool(out[0]) if tag == "scalar" else out


def max_ball_radius(f, thetas, *, t_max=1e3, rtol=1e-13):
    """Radius ``t*(θ)`` of the largest ball above the graph touching it at ``p(θ)``.

    ``t*(θ) = sup{t : p(θ) is a nearest graph point of p(θ) + t n(θ)}``, found by
    bisection on t (``inf`` where no ball up to ``t_max`` is blocked). Its centre
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
    if theta.shape[0] == 0:
        return np.zeros(0)
    n = theta.shape[0]
    lo = np.zeros(n)
    hi = np.full(n, 1.0)
    unbounded = np.zeros(n, dtype=bool)
    active = np.arange(n)
    while active.size:                       # grow the bracket geometrically
        ok = _touches(f, theta[active], hi[active])
        grow = active[ok]
        lo[grow] = hi[grow]
        hi[grow] *= 4.0
        over = grow[hi[grow] > t_max]
        unbounded[over] = True
        active = grow[hi[grow] <= t_max]
    active = np.flatnonzero(~unbounded)
    while active.size:
        mid = 0.5 * (lo[active] + hi[active])
        ok = _touches(f, theta[active], mid)
        lo[active[ok]] = mid[ok]
        hi[active[~ok]] = mid[~ok]
        active = active[(hi[active] - lo[active]) > rtol * hi[active]]
    out = np.where(unbounded, np.inf, 0.5 * (lo + hi))
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
        (a component touching a periodic window's ends wraps: ``hi > window end``).
    measure : float
        Total length (1-D) or area (2-D, from the grid) of ``U_ρ`` in the window.
    grid : tuple of ndarray
        The sample axes used.
    mask : ndarray of bool
        ``True`` where the grid point is unreachable.
    edges : ndarray (m, d)
        2-D only: boundary points of ``U_ρ`` refined along grid rows.
    edge_tol : float
    """

    rho: float
    window: np.ndarray
    intervals: np.ndarray
    measure: float
    grid: tuple
    mask: np.ndarray
    edges: np.ndarray = field(default_factory=lambda: np.zeros((0, 1)))
    edge_tol: float = 1e-9

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
    """Shrink [inside, outside] pairs (unreachable, reachable) to width tol."""
    a, b = inside.copy(), outside.copy()
    while np.max(np.linalg.norm(b - a, axis=1), initial=0.0) > tol:
        mid = 0.5 * (a + b)
        ok = _touches(f, mid, rho)
        a[~ok] = mid[~ok]
        b[ok] = mid[ok]
    return 0.5 * (a + b)


@renamed_keywords(resolution="samples_per_axis")
def unreachable_set(f, rho, *, window=None, samples_per_axis=None,
                    edge_tol=1e-9) -> UnreachableSet:
    """The ρ-unreachable set ``U_ρ = {θ : f̄_ρ(θ) > f(θ)}`` on a window.

    1-D: intervals with edges refined by bisection to ``edge_tol``. 2-D: a mask on
    a grid, with boundary points refined along rows. Points where the local test
    fails (a principal curvature above 1/ρ) are always included, so components
    thinner than the grid are not lost when they contain such points.

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
        Absolute tolerance of the refined edges.

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
    mask |= principal_curvatures(f, points)[:, 0] * rho > 1.0
    mask = mask.reshape((m,) * d)
    if d == 1:
        intervals = _intervals_1d(f, rho, axes[0], mask, periodic[0], box[0], edge_tol)
        measure = float(np.sum(intervals[:, 1] - intervals[:, 0])) if len(intervals) else 0.0
        return UnreachableSet(rho, box, intervals, measure, axes, mask, np.zeros((0, 1)), edge_tol)
    edges = _edges_2d(f, rho, axes, mask, edge_tol)
    cell = np.prod([(ax[1] - ax[0]) for ax in axes])
    return UnreachableSet(rho, box, np.zeros((0, 2)), float(mask.sum() * cell), axes, mask, edges,
                          edge_tol)


def _intervals_1d(f, rho, x, mask, periodic, box, tol):
    n = len(x)
    if not mask.any():
        return np.zeros((0, 2))
    if mask.all():
        return np.array([[box[0], box[1]]])
    step = x[1] - x[0]
    # runs of True, as (first, last) indices
    padded = np.concatenate([[False], mask, [False]])
    starts = np.flatnonzero(padded[1:] & ~padded[:-1])
    ends = np.flatnonzero(~padded[1:] & padded[:-1]) - 1
    runs = list(zip(starts, ends))
    wrap = periodic and mask[0] and mask[-1] and len(runs) > 1
    lefts_in, lefts_out, rights_in, rights_out = [], [], [], []
    for s, e in runs:
        lefts_in.append(x[s])
        lefts_out.append(x[s] - step if (s > 0 or periodic) else np.nan)
        rights_in.append(x[e])
        rights_out.append(x[e] + step if (e < n - 1 or periodic) else np.nan)
    lefts_in, lefts_out = np.array(lefts_in), np.array(lefts_out)
    rights_in, rights_out = np.array(rights_in), np.array(rights_out)
    left = lefts_in.copy()
    ok = np.isfinite(lefts_out)
    if ok.any():
        left[ok] = _bisect_edges(f, rho, lefts_in[ok, None], lefts_out[ok, None], tol)[:, 0]
    right = rights_in.copy()
    ok = np.isfinite(rights_out)
    if ok.any():
        right[ok] = _bisect_edges(f, rho, rights_in[ok, None], rights_out[ok, None], tol)[:, 0]
    left[~np.isfinite(lefts_out)] = box[0]
    right[~np.isfinite(rights_out)] = box[1]
    intervals = np.column_stack([left, right])
    if wrap:  # the last run continues into the first across the period
        period = box[1] - box[0]
        intervals[-1, 1] = intervals[0, 1] + period
        intervals = intervals[1:]
    return intervals


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
    return _bisect_edges(f, rho, inside, outside, tol)
