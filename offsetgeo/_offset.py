"""The upper ρ-offset ``h_ρ`` and the ironed function ``f̄_ρ`` at arbitrary points.

``h_ρ(x) = max_{|φ − x| ≤ ρ} f(φ) + sqrt(ρ² − |x − φ|²)`` (grey-scale dilation by a
hemisphere) and ``f̄_ρ(θ) = min_{|x − θ| ≤ ρ} h_ρ(x) − sqrt(ρ² − |x − θ|²)`` (the
closing). On grids, :func:`~offsetgeo.hemisphere_dilation` and
:func:`~offsetgeo.hemisphere_closing` compute both exactly for the samples; here they are
computed for the analytic function, to round-off:

* **dilation**: ``F_x(φ) = f(φ) + sqrt(ρ² − |x − φ|²)`` is sampled on a grid of the ball
  (intersected with the domain box, if any: ``φ`` never leaves it); every discrete local
  maximum whose sampled value is within the sampling error of the best one
  (``½ Σ_a |Δ²_a F|``, a second-order bound on how far a basin's maximum can exceed its
  best sample) is refined by a bound-constrained Newton ascent, and the largest refined
  value wins. Near a kink of ``h_ρ``, where two contact points tie, both are refined.
* **closing** (d = 1): for unreachable θ the minimising centre is the kink ``x*`` of
  ``h_ρ`` whose two contact points ``a ≤ θ ≤ b`` straddle θ — the ball resting on ``a``
  and ``b``; ``g(x) = h_ρ(x) − sqrt(ρ² − (x − θ)²)`` decreases while the contact point is
  left of θ and increases after, so a bounded Brent search brackets ``x*``, and Newton on
  the tie ``h_a(x) = h_b(x)`` of the two contact branches (``h_i' = (a_i − x)/sqrt(ρ² −
  (x − a_i)²)``) finds it; ``f̄_ρ(θ)`` is then the arc of that ball above θ. In d ≥ 2 the
  minimising centre is found by compass search on the exact ``h_ρ``.

Domains: the graph is ``f`` restricted to its closed domain box (``docs/conventions.md``):
``f`` is evaluated nowhere else; a ball beyond an end of the domain rests on the graph's
end point, and ``h_ρ = −inf`` farther than ρ from the domain.
"""

from __future__ import annotations

import numpy as np

from ._contact import KERNEL_DIMS, ascend_tapes, sample_branches
from ._deprecation import renamed_keywords
from ._function import Function, as_function
from ._numerics import (backtrack, compass_search, grid_local_extrema, mesh, minimize_bounded,
                        positive_definite, smallest_eigenvalue, solve_small)
from ._reachability import is_reachable
from ._validation import as_thetas, check_count, check_in_box, check_positive, check_radius

__all__ = ["offset_height", "ironed", "offset_minimum", "LocalOffset"]

_SAMPLES_PER_RADIUS = {1: 1024, 2: 48, 3: 12}
_CHUNK_EVALS = 2_000_000
#: at most this many contact branches are refined per point
_MAX_BRANCHES = 8
#: samples stay strictly inside the ball: F has an infinite slope on its rim
_RIM = 1.0 - 1e-9


def _grid_offsets(d: int, m: int):
    """The m^d grid of [−1, 1]^d shrunk by ``_RIM`` (shape (m^d, d)) and the mask of its
    points inside the unit ball."""
    u = mesh([np.linspace(-1.0, 1.0, m)] * d) * _RIM
    return u, (u**2).sum(1) <= 1.0


def _domain_box(f: Function):
    return (None, None) if f.domain is None else (f.domain[:, 0], f.domain[:, 1])


def _compiled(f: Function) -> bool:
    """Whether the contact kernels of :mod:`offsetgeo._contact` serve ``f`` (an expression in
    d ≤ 2); callables and d ≥ 3 run the array code."""
    return f.dim in KERNEL_DIMS and f.tape(0) is not None


def _radii(rho, n: int) -> np.ndarray:
    """``rho`` (a scalar, or one radius per row) as an array of ``n`` radii."""
    return np.broadcast_to(np.asarray(rho, dtype=float), (n,))


def _branches(f: Function, x: np.ndarray, rho, samples, *, every: bool = False):
    """Refined local maximisers of ``F_x(φ) = f(φ) + sqrt(ρ² − |x − φ|²)`` over the ball
    ``|φ − x| ≤ ρ`` (and the domain box), for each row of ``x`` (n, d); ``rho`` a scalar or
    one radius per row (as for every private function here).

    Kept for refinement: the discrete local maxima of the sampled ``F_x`` whose value plus
    the sampling margin ``½ Σ_a |Δ²_a F|`` reaches the best sample (``every``: all of them),
    at most ``_MAX_BRANCHES`` per row, best first.

    Returns
    -------
    owner : ndarray of int (k,)
        The row of ``x`` each branch belongs to.
    phi : ndarray (k, d)
        Its contact point (the local maximiser).
    value : ndarray (k,)
        ``F_x(φ)``, the height of the centre of the ball resting there.
    """
    n, d = x.shape
    rho = _radii(rho, n)
    m = samples or _SAMPLES_PER_RADIUS.get(d, 8)
    m = max(int(m), 5) | 1
    u, inside = _grid_offsets(d, m)
    lo, hi = _domain_box(f)
    found = None
    if _compiled(f):
        found = sample_branches(f.tape(0), x, rho, u, inside, m, lo, hi, every, _MAX_BRANCHES)
    if found is None:   # callables, d ≥ 3, or f not finite in a ball (reported there)
        found = _sample_branches_arrays(f, x, rho, u, inside, m, every)
    owner, idx = found
    # the samples' points; _ascend clips them into the domain box, as the search did
    value, phi = _ascend(f, x[owner], x[owner] + rho[owner, None] * u[idx], rho[owner])
    return owner, phi, value


def _sample_branches_arrays(f: Function, x: np.ndarray, rho: np.ndarray, u, inside, m: int,
                            every: bool):
    """The sampled part of :func:`_branches` on arrays, for any ``f`` and dimension
    (:func:`offsetgeo._contact.sample_branches` is its compiled form): ``(rows, idx)``, the
    row of ``x`` and the index into ``u`` of each kept sample, best first per row."""
    n, d = x.shape
    k = u.shape[0]
    lo, hi = _domain_box(f)
    shape = (m,) * d
    owners, kept = [], []
    chunk = max(1, _CHUNK_EVALS // k)
    for start in range(0, n, chunk):
        xs = x[start:start + chunk]
        rr = np.broadcast_to((rho[start:start + chunk] ** 2)[:, None], (xs.shape[0], k))
        c = xs.shape[0]
        phi = xs[:, None, :] + rho[start:start + chunk, None, None] * u[None]
        if lo is not None:
            phi = np.clip(phi, lo, hi)
        r2 = ((phi - xs[:, None, :]) ** 2).sum(-1)
        valid = inside[None] & (r2 < rr)
        F = np.full((c, k), -np.inf)
        if np.any(valid):
            with np.errstate(all="ignore"):
                value, = f.evaluate(phi[valid], 0)
            if not np.all(np.isfinite(value)):
                bad = ~np.isfinite(value)
                raise f.not_finite_error(phi[valid], bad,
                                         f"within radius {rho.max():.6g} of the points",
                                         value=value)
            F[valid] = value + np.sqrt(rr[valid] - r2[valid])
        grid = F.reshape((c,) + shape)
        keep = grid_local_extrema(grid, axes=range(1, d + 1)) & np.isfinite(grid)
        if not every:
            best = F.max(axis=1).reshape((c,) + (1,) * d)
            margin = np.zeros_like(grid)
            for ax in range(1, d + 1):
                pad = [(0, 0)] * (d + 1)
                pad[ax] = (1, 1)
                padded = np.pad(grid, pad, constant_values=-np.inf)
                n_ax = grid.shape[ax]
                with np.errstate(invalid="ignore"):
                    second = (np.take(padded, np.arange(2, n_ax + 2), axis=ax) - 2 * grid
                              + np.take(padded, np.arange(0, n_ax), axis=ax))
                # a missing neighbour (rim, domain) leaves the margin unbounded: refine it
                margin += np.where(np.isnan(second), np.inf, 0.5 * np.abs(second))
            margin += 1e-13 * (1.0 + np.abs(grid))
            with np.errstate(invalid="ignore"):
                keep &= grid + margin >= best
        rows, idx = np.nonzero(keep.reshape(c, k))
        if lo is not None and rows.size:   # samples clipped onto one boundary point: one branch
            _, unique = np.unique(np.column_stack([rows, phi[rows, idx]]), axis=0,
                                  return_index=True)
            rows, idx = rows[unique], idx[unique]
        # best first per row, at most _MAX_BRANCHES of them
        order = np.lexsort((-F[rows, idx], rows))
        rows, idx = rows[order], idx[order]
        first = np.searchsorted(rows, rows, side="left")
        rank = np.arange(rows.size) - first
        rows, idx = rows[rank < _MAX_BRANCHES], idx[rank < _MAX_BRANCHES]
        owners.append(start + rows)
        kept.append(idx)
    if not owners:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(owners), np.concatenate(kept)


def _ascend(f: Function, x: np.ndarray, phi: np.ndarray, rho, iters: int = 60):
    """Bound-constrained Newton ascent of ``F(φ) = f(φ) + sqrt(ρ² − |x − φ|²)`` from ``phi``
    inside the ball (and the domain box): variables at a bound whose gradient points out of
    the box are held; Newton on the others where their Hessian is negative definite, else a
    scaled gradient step; trial points are projected onto the box. Returns ``(F, φ)``.

    A start outside the ball (a contact carried over from another centre) is first pulled
    radially onto the ball's inner rim, then into the box: ``F`` is only defined inside.

    Expressions in d ≤ 2 run the compiled form of this iteration
    (:func:`offsetgeo._contact.ascend_tapes`); callables and d ≥ 3 the arrays below."""
    n, d = x.shape
    rho = _radii(rho, n)
    off = phi - x
    norm = np.sqrt((off**2).sum(1))
    scale = np.where(norm > rho * _RIM, rho * _RIM / np.maximum(norm, 1e-300), 1.0)
    phi = x + off * scale[:, None]
    lo, hi = _domain_box(f)
    if lo is not None:
        phi = np.clip(phi, lo, hi)
    if _compiled(f):
        return ascend_tapes(f.tape(0), f.tape(2), x, phi, rho, lo, hi, iters)
    return _ascend_arrays(f, x, phi, rho, iters)


def _ascend_arrays(f: Function, x: np.ndarray, phi: np.ndarray, rho: np.ndarray, iters: int = 60):
    """:func:`_ascend` on arrays, for any ``f`` and dimension (``rho`` one radius per row)."""
    n, d = x.shape
    phi = phi.copy()
    lo, hi = _domain_box(f)
    eye = np.eye(d)

    def objective(p, xa, ra):
        r2 = ((p - xa) ** 2).sum(1)
        v, = f.evaluate(p, 0)
        return np.where(r2 < ra * ra, v + np.sqrt(np.clip(ra * ra - r2, 0, None)), -np.inf)

    active = np.arange(n)
    for _ in range(iters):
        if active.size == 0:
            break
        p, xa, ra = phi[active], x[active], rho[active]
        r = p - xa
        s = np.sqrt(np.clip(ra * ra - (r**2).sum(1), 1e-300, None))
        v, g, H = f.evaluate(p, 2)
        grad = g - r / s[:, None]
        hess = H - eye / s[:, None, None] - r[:, :, None] * r[:, None, :] / (s**3)[:, None, None]
        free = np.ones_like(p, dtype=bool)
        if lo is not None:
            free = ~(((p <= lo) & (grad < 0)) | ((p >= hi) & (grad > 0)))
            grad = np.where(free, grad, 0.0)
            P = free.astype(float)
            hess = P[:, :, None] * hess * P[:, None, :] - (1.0 - P)[:, :, None] * eye
        done = np.linalg.norm(grad, axis=1) * np.minimum(s, ra) <= 1e-14 * (1 + np.abs(v))
        finite = np.all(np.isfinite(hess.reshape(len(p), -1)), axis=1)
        hess[~finite] = -eye
        # Newton where −hess is positive definite, else a gradient step scaled by 1/|λ|max
        newton = positive_definite(-hess) & finite
        with np.errstate(all="ignore"):
            step = -solve_small(hess, grad)
        if not np.all(newton):
            big = np.maximum(np.abs(smallest_eigenvalue(hess)), np.abs(smallest_eigenvalue(-hess)))
            scale = 1.0 / (big + 1.0 / s)
            step = np.where(newton[:, None], step, scale[:, None] * grad)
        current = v + s

        def gain(rows, trial, t):
            if lo is not None:
                trial = np.clip(trial, lo, hi)
            val = objective(trial, xa[rows], ra[rows])
            return val >= current[rows] - 1e-15 * (1 + np.abs(current[rows])), trial

        new, _ = backtrack(p, step, gain, done=done)
        moved = np.linalg.norm(new - p, axis=1)
        phi[active] = new
        active = active[~done & (moved > 1e-15 * (1 + np.abs(p).max(axis=1)))]
    r = phi - x
    v, = f.evaluate(phi, 0) if n else (np.zeros(0),)
    return v + np.sqrt(np.clip(rho * rho - (r**2).sum(1), 0.0, None)), phi


def _best_branch(n: int, d: int, owner, phi, value):
    """Per row: the largest branch value (``-inf`` where a row has none) and its contact."""
    height = np.full(n, -np.inf)
    contact = np.full((n, d), np.nan)
    if owner.size:
        order = np.lexsort((-value, owner))
        head = order[np.r_[True, owner[order][1:] != owner[order][:-1]]]
        height[owner[head]] = value[head]
        contact[owner[head]] = phi[head]
    return height, contact


def _dilation(f: Function, x: np.ndarray, rho, samples=None):
    """``(h_ρ(x), contact)`` for rows of ``x`` (n, d)."""
    owner, phi, value = _branches(f, x, rho, samples)
    return _best_branch(x.shape[0], x.shape[1], owner, phi, value)


class LocalOffset:
    """``h_ρ`` near given centres, from their contact branches only.

    Every local maximiser of ``F_x`` at each centre (at most ``_MAX_BRANCHES``) is kept; at a
    nearby ``x`` each is re-maximised by Newton from its contact and the largest wins. No
    sampling: a search that moves by a few grid cells (Brent, compass) pays a few Newton
    steps per evaluation instead of a global search. A branch born away from the contacts
    is not seen: check the answer with the global dilation (:meth:`check`).

    Parameters
    ----------
    f : Function
    centres : ndarray (k, d)
    rho : float or ndarray (k,)
        One radius, or one per centre.
    samples : int, optional
        For the global searches at the centres and in :meth:`check`.
    """

    def __init__(self, f: Function, centres, rho, samples=None):
        centres = np.asarray(centres, dtype=float)
        self.f, self.rho, self.samples = f, _radii(rho, centres.shape[0]), samples
        self.owner, self.phi, _ = _branches(f, centres, self.rho, samples, every=True)

    def __call__(self, x, rows):
        """``h_ρ`` at points ``x`` (m, d), near the centres ``rows`` (m,)."""
        x = np.asarray(x, dtype=float)
        rows = np.asarray(rows)
        order = np.argsort(self.owner, kind="stable")
        lo = np.searchsorted(self.owner[order], rows, side="left")
        hi = np.searchsorted(self.owner[order], rows, side="right")
        query = np.repeat(np.arange(len(rows)), hi - lo)
        branch = order[np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)])] \
            if query.size else np.zeros(0, dtype=np.int64)
        value, _ = _ascend(self.f, x[query], self.phi[branch], self.rho[rows[query]])
        height = np.full(len(rows), -np.inf)
        np.maximum.at(height, query, value)
        return height

    def check(self, x, height, rtol=1e-12):
        """Whether the global dilation at ``x`` (k, d), one point per centre, agrees with
        ``height``."""
        h, _ = _dilation(self.f, np.asarray(x, dtype=float), self.rho, self.samples)
        return np.abs(h - height) <= rtol * (1.0 + np.abs(h))


def _offset_arguments(f, thetas, rho, samples_per_axis):
    """Checked ``(f, rho, thetas as (n, d), tag, samples_per_axis)`` of the offset family."""
    f = as_function(f)
    rho = check_radius(rho)
    points, tag = as_thetas(thetas, f.dim)
    if not np.all(np.isfinite(points)):
        raise ValueError("thetas contain NaN or inf: pass finite parameter points")
    if samples_per_axis is not None:
        samples_per_axis = check_count(samples_per_axis, "samples_per_axis", minimum=5)
    return f, rho, points, tag, samples_per_axis


@renamed_keywords(xs="thetas", samples="samples_per_axis")
def offset_height(f, thetas, rho, *, samples_per_axis=None, contact=False):
    """Height ``h_ρ(x)`` of the centre of the ball of radius ρ resting on the graph above x.

    ``h_ρ(x) = max_{|φ − x| ≤ ρ} f(φ) + sqrt(ρ² − |x − φ|²)``; the upper ρ-offset
    of the graph is the graph of ``h_ρ``.

    Exact to round-off at every x, kinks included: every sampled maximiser that could still
    be the global one is refined (see the module docstring). With a ``domain``, φ ranges over
    the domain box only: beyond an end the ball rests on the graph's end point, and farther
    than ρ from the domain ``h_ρ = -inf`` (no ball above x touches the graph).

    Parameters
    ----------
    f : Function or str
    thetas : array_like
        Horizontal positions x of the ball's centre, shape (n,) for one variable or (n, d).
    rho : float
        Ball radius, > 0.
    samples_per_axis : int, optional
        Samples per axis across the ball's diameter for the global search
        (default 1024 in 1-D, 48 in 2-D); the candidate maximisers are then refined by
        Newton to round-off.
    contact : bool
        Also return the contact points φ (where the ball touches the graph).

    Returns
    -------
    height : float or ndarray (n,)
        ``h_ρ`` at each point.
    contact : ndarray, only with ``contact=True``
        The maximisers φ, shaped like ``thetas`` (NaN where ``height = -inf``).

    See Also
    --------
    hemisphere_dilation : the same operator on samples of a grid (exact for the samples).
    ironed : the closing, ``f̄_ρ``.

    Examples
    --------
    >>> f = Function("0.5*x + 1")
    >>> h = offset_height(f, [0.0, 2.0], 0.3)
    >>> bool(np.allclose(h, f.value([0.0, 2.0]) + 0.3 * np.sqrt(1 + 0.25)))
    True
    >>> g = Function("x", domain=(0, 1))      # beyond x = 1 the ball rests on the end (1, 1)
    >>> float(offset_height(g, 1.6, 1.0))
    1.8
    """
    f, rho, points, tag, samples_per_axis = _offset_arguments(f, thetas, rho, samples_per_axis)
    if points.shape[0] == 0:
        empty = np.zeros(0)
        return (empty, np.zeros((0,) if f.dim == 1 else (0, f.dim))) if contact else empty
    height, phi = _dilation(f, points, rho, samples_per_axis)
    if tag == "scalar":
        height, phi = float(height[0]), (phi[0, 0] if f.dim == 1 else phi[0])
    elif tag == "flat":
        phi = phi[:, 0]
    return (height, phi) if contact else height


@renamed_keywords(samples="samples_per_axis")
def ironed(f, thetas, rho, *, samples_per_axis=None, xatol=1e-12):
    """The ironed function ``f̄_ρ(θ)``: the lowest point above θ that a ball of radius ρ,
    resting on the graph from above, covers.

    ``f̄_ρ(θ) = min_{|x − θ| ≤ ρ} h_ρ(x) − sqrt(ρ² − |x − θ|²)`` (grey-scale closing);
    ``f̄_ρ ≥ f``, with equality exactly where ``p(θ)`` is ρ-reachable.

    Reachable points return ``f(θ)`` exactly (d ≤ 2; in higher dimension every point
    is searched, and reachable ones come out equal to ``f(θ)`` to the search tolerance).
    Unreachable points, d = 1: the arc of the ball resting on the two contact points that
    straddle θ, found by a bounded Brent search for its centre and Newton on the tie of
    the two contact branches: exact to round-off. d ≥ 2: the minimum over ball centres is
    found on a grid and refined by compass search to ``xatol``, on the exact ``h_ρ``.
    With a ``domain``, θ must lie in it (the graph is f on the domain box).

    Parameters
    ----------
    f : Function or str
    thetas : array_like
        Points, shape (n,) for one variable or (n, d).
    rho : float
        Ball radius, > 0.
    samples_per_axis : int, optional
        Passed to :func:`offset_height`.
    xatol : float
        Absolute tolerance on the location of the minimising centre (search phase).

    Returns
    -------
    value : float or ndarray (n,)
        ``f̄_ρ`` at each point (``≥ f``).

    See Also
    --------
    hemisphere_closing : the same operator on samples of a grid.
    is_reachable : where ``f̄_ρ = f``.

    Examples
    --------
    >>> f = Function("x**2")           # curvature radius 1/2 at the bottom
    >>> float(ironed(f, 0.0, 0.25)) == 0.0
    True
    >>> float(ironed(f, 0.0, 1.0))   # the unit ball rests on x = ±sqrt(3)/2, centre height 5/4
    0.25
    """
    f, rho, points, tag, samples_per_axis = _offset_arguments(f, thetas, rho, samples_per_axis)
    xatol = check_positive(xatol, "xatol")
    if points.shape[0] == 0:
        return np.zeros(0)
    check_in_box(points, f.domain, hint=": the graph is f on its domain, and f̄_ρ is defined "
                 "there only")
    value, = f.evaluate(points, 0)
    out = value.copy()
    if f.dim <= 2:
        reach = is_reachable(f, points if f.dim > 1 else points[:, 0], rho)
        todo = np.flatnonzero(~np.asarray(reach).reshape(-1))
    else:  # no global projection in d >= 3: search the closing everywhere
        todo = np.arange(points.shape[0])
    if todo.size:
        out[todo] = _closing_search(f, points[todo], rho, samples_per_axis, xatol)
        out[todo] = np.maximum(out[todo], value[todo])
    if tag == "scalar":
        return float(out[0])
    return out


def _cap(x, theta, rho):
    """Depth of the lower sphere of the ball centred above x, at θ: sqrt(ρ² − |x − θ|²)."""
    return np.sqrt(np.clip(rho * rho - ((x - theta) ** 2).sum(-1), 0.0, None))


def _closing_search(f: Function, theta: np.ndarray, rho: float, samples, xatol: float):
    """min over centres x with |x − θ| ≤ ρ of h_ρ(x) − sqrt(ρ² − |x − θ|²): a grid of centres,
    then Brent's bounded search and the tie of the contact branches (1-D) or compass search
    (d ≥ 2) around the best one."""
    n, d = theta.shape

    def cover(centres, owners):
        h, _ = _dilation(f, centres, rho, samples)
        return h - _cap(centres, theta[owners], rho)

    m = 33 if d == 1 else 9
    u, inside = _grid_offsets(d, m)
    u = u[inside]
    owners = np.repeat(np.arange(n), len(u))
    centres = (theta[:, None, :] + rho * u[None]).reshape(-1, d)
    vals = cover(centres, owners).reshape(n, len(u))
    best = np.argmin(vals, axis=1)
    centre = theta + rho * u[best]
    step = rho * 2.0 / (m - 1)
    if d == 1:
        reach = rho * _RIM
        lo = np.maximum(centre[:, 0] - step, theta[:, 0] - reach)
        hi = np.minimum(centre[:, 0] + step, theta[:, 0] + reach)
        at, value, _ = minimize_bounded(lambda x, rows: cover(x[:, None], rows), lo, hi, xatol)
        return np.minimum(value, _bitangent_arc(f, theta, rho, at[:, None], samples, value))

    def inside_ball(points, rows):
        """Centres outside the ball of radius ρ about θ are pulled back onto its sphere."""
        off = points - theta[rows]
        norm = np.linalg.norm(off, axis=1)
        scale = np.where(norm > rho * _RIM, rho * _RIM / np.maximum(norm, 1e-300), 1.0)
        return theta[rows] + off * scale[:, None]

    _, value = compass_search(cover, centre, vals[np.arange(n), best], step, xatol,
                              project=inside_ball)
    return value


def _bitangent_arc(f: Function, theta: np.ndarray, rho: float, x0: np.ndarray, samples,
                   fallback: np.ndarray):
    """f̄_ρ(θ) (d = 1) from a centre ``x0`` near the kink ``x*`` of ``h_ρ`` whose contact
    points ``a ≤ θ ≤ b`` straddle θ: the tie of the two contact branches (:func:`_tie`),
    then the arc ``h_ρ(x*) − sqrt(ρ² − (x* − θ)²)`` of the ball resting on ``a`` and ``b``.
    Rows where no such pair is found, or where the global dilation at ``x*`` disagrees with
    the branches, keep ``fallback``."""
    n = theta.shape[0]
    out = fallback.copy()
    owner, phi, value = _branches(f, x0, rho, samples, every=True)
    side = phi[:, 0] <= theta[owner, 0]
    a_val, a = _best_branch(n, 1, owner[side], phi[side], value[side])
    b_val, b = _best_branch(n, 1, owner[~side], phi[~side], value[~side])
    rows = np.flatnonzero(np.isfinite(a_val) & np.isfinite(b_val))
    if rows.size == 0:
        return out
    x, top, a, b, ok = _tie(f, x0[rows], a[rows], b[rows], rho, samples)
    th = theta[rows, 0]
    ok &= (a[:, 0] <= th) & (b[:, 0] >= th)
    out[rows[ok]] = (top - _cap(x, theta[rows], rho))[ok]
    return out


def _tie(f: Function, x0: np.ndarray, a: np.ndarray, b: np.ndarray, rho, samples,
         iters: int = 12, width=None):
    """The kink of ``h_ρ`` near ``x0`` (rows (n, 1)) where the contact branches through
    ``a`` and ``b`` tie: Newton on ``h_a(x) = h_b(x)``, ``h_i' = (a_i − x)/sqrt(ρ² −
    (x − a_i)²)`` (envelope theorem), each branch re-maximised from its last contact; ``x``
    stays within ``width`` (default ``1e-4 ρ``) of ``x0``.

    Returns
    -------
    x : ndarray (n, 1)
    height : ndarray (n,)
        ``h_ρ(x)``, the common height of the two branches.
    a, b : ndarray (n, 1)
        The two contact points.
    ok : ndarray of bool (n,)
        The branches tie to round-off and no other part of the graph is higher (checked by
        the global dilation at ``x``).
    """
    x = x0.copy()
    width = 1e-4 * np.reshape(rho, (-1, 1)) if width is None else width
    for _ in range(iters):
        ha, a = _ascend(f, x, a, rho)
        hb, b = _ascend(f, x, b, rho)
        slope = _branch_slope(a, x, rho) - _branch_slope(b, x, rho)
        with np.errstate(all="ignore"):
            dx = np.where(slope != 0, -(ha - hb) / slope, 0.0)
        dx = np.where(np.isfinite(dx), dx, 0.0)
        x = np.clip(x + dx[:, None], x0 - width, x0 + width)
        if np.all(np.abs(dx) <= 4e-16 * (1.0 + np.abs(x[:, 0]))):
            break
    ha, a = _ascend(f, x, a, rho)
    hb, b = _ascend(f, x, b, rho)
    top = np.maximum(ha, hb)
    h, _ = _dilation(f, x, rho, samples)
    scale = 1e-12 * (1.0 + np.abs(top))
    ok = (np.abs(ha - hb) <= scale) & (h <= top + scale) & (np.abs(a - b)[:, 0] > 0)
    return x, top, a, b, ok


def _branch_slope(a, x, rho):
    """``h_a'(x) = (a − x)/sqrt(ρ² − (x − a)²)``: the slope of the contact branch through
    ``a`` (envelope theorem), 1-D rows."""
    t = (a - x)[:, 0]
    return t / np.sqrt(np.clip(rho * rho - t * t, 1e-300, None))


def _top_two(n: int, owner, phi, value):
    """Per row the contacts of the best and the second best branch (NaN where absent)."""
    order = np.lexsort((-value, owner))
    owner, phi = owner[order], phi[order]
    head = np.r_[True, owner[1:] != owner[:-1]] if owner.size else np.zeros(0, dtype=bool)
    second = np.r_[False, ~head[1:] & head[:-1]] if owner.size else head
    first_phi = np.full((n,) + phi.shape[1:], np.nan)
    second_phi = first_phi.copy()
    first_phi[owner[head]] = phi[head]
    second_phi[owner[second]] = phi[second]
    return first_phi, second_phi


def _branch_minimum(f: Function, x, a, rho, tilt: float, lo, hi, iters: int = 40):
    """Newton on one contact branch, ``q_a(x) = h_a(x) − tilt x`` (d = 1 rows): ``h_a' =
    (a − x)/s`` and ``h_a'' = ρ² f''(a)/(ρ² − s³ f''(a))``, ``s = sqrt(ρ² − (x − a)²)``
    (implicit differentiation of the contact), steps kept in ``[lo, hi]``; where ``h_a'' ≤ 0``
    a quarter of the interval downhill. Returns ``(x, h_a(x), a)``."""
    x = x.copy()
    h = np.zeros(x.shape[0])
    for _ in range(iters):
        h, a = _ascend(f, x, a, rho)
        u = (a - x)[:, 0]
        s = np.sqrt(np.clip(rho * rho - u * u, 1e-300, None))
        f2 = f.evaluate(a, 2)[2][:, 0, 0]
        with np.errstate(all="ignore"):
            curv = rho * rho * f2 / (rho * rho - s**3 * f2)
            slope = u / s - tilt
            step = np.where(curv > 0, -slope / curv, -np.sign(slope) * 0.25 * (hi - lo))
        step = np.where(np.isfinite(step), step, 0.0)
        new = np.clip(x[:, 0] + step, lo, hi)
        moved = np.abs(new - x[:, 0])
        x[:, 0] = new
        if np.all(moved <= 4e-16 * (1.0 + np.abs(new))):
            break
    h, a = _ascend(f, x, a, rho)
    return x, h, a


def _offset_minimum_1d(f: Function, rho: np.ndarray, starts, lo, hi, tilt: float, samples):
    """``min q``, ``q = h_ρ − tilt x``, on ``[lo, hi]`` about each start (d = 1): ``h_ρ`` is
    there the upper envelope of the contact branches of the start, and the minimum of the
    envelope of the best two is a smooth minimum of one of them (where it is on top) or
    their tie (a kink). Rows whose answer the global dilation contradicts get NaN."""
    k = starts.shape[0]
    owner, phi, val = _branches(f, starts, rho, samples, every=True)
    a_top, a_next = _top_two(k, owner, phi, val)
    best_x = np.full((k, 1), np.nan)
    best = np.full(k, np.inf)

    def offer(rows, x, value, ok):
        take = ok & (value < best[rows])
        best[rows[take]] = value[take]
        best_x[rows[take]] = x[take]

    rows = np.flatnonzero(np.isfinite(a_top[:, 0]))
    pair = rows[np.isfinite(a_next[rows, 0])]
    x, h, _ = _branch_minimum(f, starts[rows], a_top[rows], rho[rows], tilt, lo[rows], hi[rows])
    ok = np.ones(rows.size, dtype=bool)
    if pair.size:   # the other branch must lie below there
        at = np.searchsorted(rows, pair)
        other, _ = _ascend(f, x[at], a_next[pair], rho[pair])
        ok[at] = other <= h[at] + 1e-12 * (1.0 + np.abs(h[at]))
    offer(rows, x, h - tilt * x[:, 0], ok)
    # where the best branch's own minimum has the other below it, that is the envelope's
    # minimum (the envelope is ≥ that branch everywhere); elsewhere: the other one, the tie
    pair = pair[~ok[np.searchsorted(rows, pair)]] if pair.size else pair
    if pair.size:
        x, h, _ = _branch_minimum(f, starts[pair], a_next[pair], rho[pair], tilt, lo[pair],
                                  hi[pair])
        other, _ = _ascend(f, x, a_top[pair], rho[pair])
        offer(pair, x, h - tilt * x[:, 0], other <= h + 1e-12 * (1.0 + np.abs(h)))
        xt, top, _, _, ok = _tie(f, starts[pair], a_top[pair], a_next[pair], rho[pair], samples,
                                 width=(hi - lo)[pair, None])
        offer(pair, xt, top - tilt * xt[:, 0], ok & (xt[:, 0] >= lo[pair]) & (xt[:, 0] <= hi[pair]))
    # the global dilation at the answer: nothing higher than the branches, and the branch
    # value is h_ρ there
    found = np.flatnonzero(np.isfinite(best))
    h, _ = _dilation(f, best_x[found], rho[found], samples)
    q = h - tilt * best_x[found, 0]
    wrong = found[np.abs(q - best[found]) > 1e-12 * (1.0 + np.abs(best[found]))]
    best[wrong] = np.nan
    best[~np.isfinite(best)] = np.nan
    return best_x, best


def offset_minimum(f, rho, starts, half_width, *, tilt=0.0, samples=None, xatol=1e-13):
    """Local minima of ``q(x) = h_ρ(x) − tilt · x`` near ``starts``, for the verifiers, which
    seed it with the minima of a sampled offset.

    d = 1: on ``[x − w, x + w]`` ``h_ρ`` is the upper envelope of the contact branches of the
    start; the minimum of the best two is a smooth minimum of one (Newton on the branch) or
    their tie (a kink of ``h_ρ``), checked against the global dilation: exact to round-off.
    Rows the check refuses fall back to Brent's bounded search (to ``xatol``) and the tie.
    d = 2: compass search to ``xatol``.

    Parameters
    ----------
    f : Function
    rho : float or ndarray (k,)
        One radius, or one per start (the minima of several offsets at once).
    starts : ndarray (k, d)
    half_width : float or ndarray (d,)
        The search box about each start.
    tilt : float or ndarray (d,)
    samples : int, optional
        Passed to the dilation.
    xatol : float
        Location tolerance of the searches.

    Returns
    -------
    x : ndarray (k, d)
    value : ndarray (k,)
        ``q(x)``.
    """
    starts = np.asarray(starts, dtype=float)
    k, d = starts.shape
    tilt = np.broadcast_to(np.asarray(tilt, dtype=float), (d,))
    width = np.broadcast_to(np.asarray(half_width, dtype=float), (d,))
    rho = _radii(rho, k)

    def q(points, rows):
        h, _ = _dilation(f, points, rho[rows], samples)
        return h - points @ tilt

    if k == 0:
        return starts.copy(), np.zeros(0)
    if d > 1:   # compass search on the branches of the starts, checked globally
        lo, hi = starts - width, starts + width
        if f.domain is not None:
            lo, hi = np.maximum(lo, f.domain[:, 0]), np.minimum(hi, f.domain[:, 1])
        local = LocalOffset(f, starts, rho, samples)

        def q_local(points, rows):
            return local(points, rows) - points @ tilt

        rows = np.arange(k)
        x, value = compass_search(q_local, starts, q_local(starts, rows), width / 2, xatol,
                                  project=lambda p, rows: np.clip(p, lo[rows], hi[rows]))
        wrong = np.flatnonzero(~local.check(x, value + x @ tilt))
        if wrong.size:
            sub = lambda p, r: np.clip(p, lo[wrong][r], hi[wrong][r])  # noqa: E731
            x[wrong], value[wrong] = compass_search(lambda p, r: q(p, wrong[r]), starts[wrong],
                                                    q(starts[wrong], wrong), width / 2, xatol,
                                                    project=sub)
        return x, value
    lo, hi = starts[:, 0] - width[0], starts[:, 0] + width[0]
    if f.domain is not None:
        lo, hi = np.maximum(lo, f.domain[0, 0]), np.minimum(hi, f.domain[0, 1])
    x, value = _offset_minimum_1d(f, rho, starts, lo, hi, float(tilt[0]), samples)
    rows = np.flatnonzero(~np.isfinite(value))
    if rows.size:   # Brent's search, then the tie at a kink
        at, val, _ = minimize_bounded(lambda t, sub: q(t[:, None], rows[sub]), lo[rows],
                                      hi[rows], xatol)
        x[rows, 0], value[rows] = at, val
        owner, phi, branch = _branches(f, x[rows], rho[rows], samples, every=True)
        a_top, a_next = _top_two(rows.size, owner, phi, branch)
        pair = np.flatnonzero(np.isfinite(a_next[:, 0]))
        if pair.size:
            xt, top, _, _, ok = _tie(f, x[rows[pair]], a_top[pair], a_next[pair],
                                     rho[rows[pair]], samples)
            better = ok & (top - xt[:, 0] * tilt[0] <= value[rows[pair]])
            x[rows[pair[better]]] = xt[better]
            value[rows[pair[better]]] = (top - xt[:, 0] * tilt[0])[better]
    return x, value
