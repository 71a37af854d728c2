"""The upper ρ-offset ``h_ρ`` and the ironed function ``f̄_ρ`` at arbitrary points.

``h_ρ(x) = max_{|φ − x| ≤ ρ} f(φ) + sqrt(ρ² − |x − φ|²)`` (grey-scale dilation by a
hemisphere) and ``f̄_ρ(θ) = min_{|x − θ| ≤ ρ} h_ρ(x) − sqrt(ρ² − |x − θ|²)`` (the
closing). On grids, :func:`~offsetgeo.hemisphere_dilation` and :func:`~offsetgeo.hemisphere_closing` computes both exactly for the
samples; here they are computed for the analytic function, to round-off, by a
sampled global search refined with Newton (dilation) and a bracketed search
(closing).
"""

from __future__ import annotations

import numpy as np

from ._deprecation import renamed_keywords
from ._function import Function, as_function
from ._numerics import backtrack, compass_search, mesh, minimize_bounded
from ._reachability import is_reachable
from ._validation import as_thetas, check_count, check_positive, check_radius

__all__ = ["offset_height", "ironed"]

_SAMPLES_PER_RADIUS = {1: 1024, 2: 48, 3: 12}
_CHUNK_EVALS = 2_000_000


def _offsets(d: int, m: int) -> np.ndarray:
    """Grid of offsets u in the closed unit ball of R^d (m per axis), shape (k, d)."""
    u = mesh([np.linspace(-1.0, 1.0, m)] * d)
    return u[(u**2).sum(1) <= 1.0]


def _dilation_argmax(f: Function, x: np.ndarray, rho: float, samples: int | None):
    """Global maximiser φ of f(φ) + sqrt(ρ² − |x − φ|²) for each row of x (n, d)."""
    n, d = x.shape
    m = samples or _SAMPLES_PER_RADIUS.get(d, 8)
    m = max(int(m), 5) | 1
    u = _offsets(d, m)
    k = u.shape[0]
    cap = np.sqrt(np.clip(1.0 - (u**2).sum(1), 0.0, None)) * rho
    chunk = max(1, _CHUNK_EVALS // k)
    best = np.empty((n, d))
    for start in range(0, n, chunk):
        xs = x[start:start + chunk]
        phi = (xs[:, None, :] + rho * u[None, :, :]).reshape(-1, d)
        value, = f.evaluate(phi, 0)
        if f.domain is not None:
            outside = np.any((phi < f.domain[:, 0]) | (phi > f.domain[:, 1]), axis=1)
            value = np.where(outside, -np.inf, value)
        total = value.reshape(len(xs), k) + cap[None, :]
        if not np.all(np.isfinite(total.max(axis=1))):
            raise ValueError(f"{f} is not finite near x = {xs[0].tolist()} within radius {rho}")
        best[start:start + chunk] = xs + rho * u[np.argmax(total, axis=1)]
    return best


def _maximise_dilation(f: Function, x: np.ndarray, phi: np.ndarray, rho: float, iters: int = 50):
    """Safeguarded Newton ascent on F(φ) = f(φ) + sqrt(ρ² − |x − φ|²) inside the ball."""
    n, d = x.shape
    # the hemisphere has an infinite slope on its rim: start strictly inside the ball
    phi = x + (phi - x) * (1.0 - 1e-6)
    eye = np.eye(d)[None]

    def objective(p, xa):
        r = p - xa
        s2 = rho * rho - (r**2).sum(1)
        v, = f.evaluate(p, 0)
        return np.where(s2 > 0, v + np.sqrt(np.clip(s2, 0, None)), -np.inf)

    active = np.arange(n)
    for _ in range(iters):
        if active.size == 0:
            break
        p = phi[active]
        r = p - x[active]
        s = np.sqrt(np.clip(rho * rho - (r**2).sum(1), 1e-300, None))
        v, g, H = f.evaluate(p, 2)
        grad = g - r / s[:, None]
        hess = H - eye / s[:, None, None] - r[:, :, None] * r[:, None, :] / (s**3)[:, None, None]
        done = np.linalg.norm(grad, axis=1) * np.minimum(s, rho) <= 1e-14 * (1 + np.abs(v))
        # Newton step where the Hessian is negative definite, else a scaled gradient step
        step = np.empty_like(p)
        finite = np.all(np.isfinite(hess.reshape(len(p), -1)), axis=1)
        hess[~finite] = -eye[0]
        eig = np.linalg.eigvalsh(hess)
        ok = (eig[:, -1] < 0) & finite
        if np.any(ok):
            step[ok] = -np.linalg.solve(hess[ok], grad[ok][..., None])[..., 0]
        if np.any(~ok):
            scale = 1.0 / (np.abs(eig[~ok]).max(axis=1) + 1.0 / s[~ok])
            step[~ok] = scale[:, None] * grad[~ok]
        current = v + s

        def gain(rows, trial, t):
            val = objective(trial, x[active[rows]])
            return val >= current[rows] - 1e-15 * (1 + np.abs(current[rows])), trial

        new, _ = backtrack(p, step, gain, done=done)
        moved = np.linalg.norm(new - p, axis=1)
        phi[active] = new
        still = ~done & (moved > 1e-15 * (1 + np.abs(p).max(axis=1)))
        active = active[still]
    r = phi - x
    v, = f.evaluate(phi, 0)
    return v + np.sqrt(np.clip(rho * rho - (r**2).sum(1), 0.0, None)), phi


@renamed_keywords(xs="thetas", samples="samples_per_axis")
def offset_height(f, thetas, rho, *, samples_per_axis=None, contact=False):
    """Height ``h_ρ(x)`` of the centre of the ball of radius ρ resting on the graph above x.

    ``h_ρ(x) = max_{|φ − x| ≤ ρ} f(φ) + sqrt(ρ² − |x − φ|²)``; the upper ρ-offset
    of the graph is the graph of ``h_ρ``.

    Parameters
    ----------
    f : Function or str
    thetas : array_like
        Horizontal positions x of the ball's centre, shape (n,) for one variable or (n, d).
    rho : float
        Ball radius, > 0.
    samples_per_axis : int, optional
        Samples per axis across the ball's diameter for the global search
        (default 1024 in 1-D, 48 in 2-D); the maximiser is then refined by
        Newton to round-off.
    contact : bool
        Also return the contact points φ (where the ball touches the graph).

    Returns
    -------
    height : float or ndarray (n,)
        ``h_ρ`` at each point.
    contact : ndarray, only with ``contact=True``
        The maximisers φ, shaped like ``thetas``.

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
    """
    f = as_function(f)
    rho = check_radius(rho)
    points, tag = as_thetas(thetas, f.dim)
    if not np.all(np.isfinite(points)):
        raise ValueError("points contain NaN or inf")
    if samples_per_axis is not None:
        samples_per_axis = check_count(samples_per_axis, "samples_per_axis", minimum=5)
    if points.shape[0] == 0:
        empty = np.zeros(0)
        return (empty, np.zeros((0,) if f.dim == 1 else (0, f.dim))) if contact else empty
    start = _dilation_argmax(f, points, rho, samples_per_axis)
    height, phi = _maximise_dilation(f, points, start, rho)
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
    Elsewhere the minimum over ball
    centres x is found on a grid and refined by a bracketed Brent search
    (1-D) or a compass search (2-D) to ``xatol``; the value is then exact to the
    accuracy of ``h_ρ``.

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
        Absolute tolerance on the location of the minimising centre.

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
    f = as_function(f)
    rho = check_radius(rho)
    xatol = check_positive(xatol, "xatol")
    points, tag = as_thetas(thetas, f.dim)
    if not np.all(np.isfinite(points)):
        raise ValueError("points contain NaN or inf")
    if points.shape[0] == 0:
        return np.zeros(0)
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


def _closing_search(f: Function, theta: np.ndarray, rho: float, samples, xatol: float):
    """min over centres x with |x − θ| ≤ ρ of h_ρ(x) − sqrt(ρ² − |x − θ|²): a grid of centres,
    then Brent's bounded search (1-D) or compass search (d ≥ 2) around the best one."""
    n, d = theta.shape

    def cover(centres, owners):
        r2 = ((centres - theta[owners]) ** 2).sum(1)
        h = offset_height(f, centres, rho, samples_per_axis=samples)
        return h - np.sqrt(np.clip(rho * rho - r2, 0.0, None))

    m = 33 if d == 1 else 9
    u = _offsets(d, m) * (1 - 1e-12)
    owners = np.repeat(np.arange(n), len(u))
    centres = (theta[:, None, :] + rho * u[None]).reshape(-1, d)
    vals = cover(centres, owners).reshape(n, len(u))
    best = np.argmin(vals, axis=1)
    centre = theta + rho * u[best]
    step = rho * 2.0 / (m - 1)
    if d == 1:
        lo = np.maximum(centre[:, 0] - step, theta[:, 0] - rho)
        hi = np.minimum(centre[:, 0] + step, theta[:, 0] + rho)
        _, value, _ = minimize_bounded(lambda x, rows: cover(x[:, None], rows), lo, hi, xatol)
        return value

    def inside_ball(points, rows):
        """Centres outside the ball of radius ρ about θ are pulled back onto its sphere."""
        off = points - theta[rows]
        norm = np.linalg.norm(off, axis=1)
        scale = np.where(norm > rho, rho * (1 - 1e-12) / np.maximum(norm, 1e-300), 1.0)
        return theta[rows] + off * scale[:, None]

    _, value = compass_search(cover, centre, vals[np.arange(n), best], step, xatol,
                              project=inside_ball)
    return value
