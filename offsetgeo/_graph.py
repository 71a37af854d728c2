"""Basic geometry of the graph ``Γ = {(θ, f(θ))}``: normals, principal curvatures, and the
local reachability test.

Notation (``docs/math.md``): ``g = ∇f(θ)``, ``H = ∇²f(θ)``, ``s = sqrt(1 + |g|²)``; the upward
unit normal ``n = (−g, 1)/s``. The principal curvatures (positive where ``Γ`` bends *up*,
toward a ball resting on it from above) are the eigenvalues ``κ`` of
``H v = κ s (I + g gᵀ) v``. With ``A = (I + g gᵀ)^{-1/2} = I − g gᵀ / (s (s + 1))`` (exact, no
division by ``|g|``) they are the ordinary eigenvalues of ``A H A / s``; in one dimension
``κ = f'' / (1 + f'²)^{3/2}``.
"""

from __future__ import annotations

import math

import numpy as np

from ._function import Function, as_function
from ._numerics import array_namespace, row_dot
from ._validation import as_thetas, check_in_box, check_positive, check_side

__all__ = ["normal_point", "normal_lift", "principal_curvatures", "curvatures_from_derivatives",
           "face_curvature", "curvature_test"]

_CHUNK = 2**16


def normal_point(thetas, values, grads, t):
    """``p(θ) + t n(θ)`` from given values and gradients, any array namespace, batched.

    ``p(θ) = (θ, f(θ))``, ``n = (−g, 1)/sqrt(1 + |g|²)``: with ``t = ρ`` this is the centre of
    the ball of radius ρ resting on the graph at ``p(θ)``.

    Parameters
    ----------
    thetas : array (..., d)
    values : array (...)
    grads : array (..., d)
    t : float or array (...)

    Returns
    -------
    points : array (..., d + 1)

    See Also
    --------
    normal_lift : the same from a Function.

    Examples
    --------
    >>> normal_point(np.array([[0.0]]), np.array([1.0]), np.array([[0.0]]), 0.5).tolist()
    [[0.0, 1.5]]
    """
    xp = array_namespace(thetas, grads)
    with np.errstate(over="ignore"):               # an overflow takes the scaled path below
        gg = row_dot(grads, grads)
    if bool(xp.all(gg < math.inf)):
        s = xp.sqrt(1.0 + gg)
    else:                                          # |∇f|² overflows past 1e154: scale first
        a = xp.max(xp.abs(grads), axis=-1)
        m = xp.where(a > 1.0, a, xp.ones_like(a))
        u = grads / m[..., None]
        s = m * xp.sqrt((1.0 / m) * (1.0 / m) + row_dot(u, u))
    step = t / s
    horizontal = thetas - step[..., None] * grads
    return xp.concat([horizontal, (values + step)[..., None]], axis=-1)


def normal_lift(f, thetas, t) -> np.ndarray:
    """Points ``p(θ) + t n(θ)`` of ``R^(d+1)``, for θ of shape (n, d) and t scalar or (n,).

    Parameters
    ----------
    f : Function or str
    thetas : array_like (n, d), or (n,) for d = 1
    t : float or array_like (n,)

    Returns
    -------
    points : ndarray (n, d + 1)

    See Also
    --------
    normal_point : the same from given derivatives.

    Examples
    --------
    >>> normal_lift("x**2", [1.0], 0.0).tolist()
    [[1.0, 1.0]]
    """
    f = as_function(f)
    theta, _ = as_thetas(thetas, f.dim)
    value, grad = f.evaluate(theta, 1)
    t = np.broadcast_to(np.asarray(t, dtype=float), (theta.shape[0],))
    return normal_point(theta, value, grad, t)


def curvatures_from_derivatives(g: np.ndarray, H: np.ndarray) -> np.ndarray:
    """Principal curvatures (n, d), descending, from gradients (n, d) and Hessians (n, d, d).

    Examples
    --------
    >>> curvatures_from_derivatives(np.zeros((1, 2)), np.diag([2.0, -6.0])[None]).tolist()
    [[2.0, -6.0]]
    """
    n, d = g.shape
    g2 = np.einsum("ni,ni->n", g, g)
    s = np.sqrt(1.0 + g2)
    if d == 1:
        return (H[:, 0, 0] / (s * s * s))[:, None]
    c = 1.0 / (s * (s + 1.0))                   # A = I − c g gᵀ
    Hg = np.einsum("nij,nj->ni", H, g)
    gHg = np.einsum("ni,ni->n", g, Hg)
    # A H A = H − c (g (Hg)ᵀ + (Hg) gᵀ) + c² (gᵀHg) g gᵀ
    M = (H - c[:, None, None] * (g[:, :, None] * Hg[:, None, :] + Hg[:, :, None] * g[:, None, :])
         + (c * c * gHg)[:, None, None] * (g[:, :, None] * g[:, None, :]))
    M /= s[:, None, None]
    if d == 2:
        a, b, e = M[:, 0, 0], 0.5 * (M[:, 0, 1] + M[:, 1, 0]), M[:, 1, 1]
        m = 0.5 * (a + e)
        r = np.hypot(0.5 * (a - e), b)
        return np.column_stack([m + r, m - r])
    return np.linalg.eigvalsh(0.5 * (M + M.transpose(0, 2, 1)))[:, ::-1]


def face_curvature(g: np.ndarray, H: np.ndarray, free: np.ndarray) -> np.ndarray:
    """Largest principal curvature of the graph restricted to the free coordinates (the face
    of a domain box through the point): the largest ``κ`` with
    ``H_FF v = κ s (I + g gᵀ)_FF v``; ``-inf`` where no coordinate is free (a corner).

    Examples
    --------
    >>> H = np.diag([2.0, -6.0])[None]
    >>> face_curvature(np.zeros((1, 2)), H, np.array([[False, True]])).tolist()
    [-6.0]
    """
    n, d = g.shape
    out = np.full(n, -np.inf)
    every = np.all(free, axis=1)
    if np.any(every):
        out[every] = curvatures_from_derivatives(g[every], H[every])[:, 0]
    s = np.sqrt(1.0 + np.einsum("ni,ni->n", g, g))
    for k in np.flatnonzero(~every & np.any(free, axis=1)):
        F = np.flatnonzero(free[k])
        A = np.eye(F.size) + np.outer(g[k, F], g[k, F])
        L = np.linalg.cholesky(A)
        Li = np.linalg.inv(L)
        out[k] = np.linalg.eigvalsh(Li @ H[k][np.ix_(F, F)] @ Li.T)[-1] / s[k]
    return out


def curvatures(f: Function, points: np.ndarray, what: str) -> np.ndarray:
    """Principal curvatures at points (n, d), in chunks; a non-finite one is an error naming
    the point (``what`` says where the points come from)."""
    out = np.empty(points.shape)
    for start in range(0, points.shape[0], _CHUNK):
        chunk = points[start:start + _CHUNK]
        with np.errstate(all="ignore"):
            _, g, H = f.evaluate(chunk, 2)
            k = curvatures_from_derivatives(g, H)
        bad = ~np.all(np.isfinite(k), axis=1)
        if np.any(bad):
            raise f.not_finite_error(chunk, bad, what, part="curvature")
        out[start:start + _CHUNK] = k
    return out


def principal_curvatures(f, thetas) -> np.ndarray:
    """Principal curvatures of the graph of ``f`` at each ``θ``, sorted descending.

    ``κ`` solves ``H v = κ sqrt(1 + |g|²) (I + g gᵀ) v``; positive where the graph bends up
    toward a ball resting on it from above. In 1-D ``κ = f'' / (1 + f'²)^{3/2}``.

    Parameters
    ----------
    f : Function or str
    thetas : array_like
        Points, shape (n, d), or (n,) for ``d = 1``, or one point.

    Returns
    -------
    kappa : ndarray (n, d)
        ``κ_1 ≥ … ≥ κ_d`` per point (``n = 1`` for a single point).

    Raises
    ------
    ValueError
        If ``f`` or its derivatives are not finite at a point (the message names it).

    See Also
    --------
    max_curvature : the supremum over a window; ``1/value`` is the reach.
    curvature_test : the local reachability test built on it.

    Examples
    --------
    >>> principal_curvatures(Function("x**2 - 3*y**2"), [0.0, 0.0]).tolist()
    [[2.0, -6.0]]
    >>> round(float(principal_curvatures("x**2", [1.0])[0, 0]), 12)  # 2 / 5**1.5
    0.1788854382
    """
    f = as_function(f)
    points, _ = as_thetas(thetas, f.dim)
    check_in_box(points, f.domain, hint=": the graph is f on its domain")
    return curvatures(f, points, "at the given points")


def curvature_test(f, thetas, rho, side: str = "upper") -> np.ndarray:
    """The local reachability test: every principal curvature bending toward the ball is
    ``≤ 1/ρ``.

    ``True`` where ``κ_max(θ) ≤ 1/ρ`` (side ``"upper"``; ``−κ_min ≤ 1/ρ`` for ``"lower"``).
    It is a *necessary* condition: ``False`` proves ``p(θ)`` is not ρ-reachable, ``True``
    does not prove it is (a distant part of the graph can still block the ball).

    Parameters
    ----------
    f : Function or str
    thetas : array_like
    rho : float
        Ball radius, ``> 0``; ``inf`` allowed (then: curvature ``≤ 0``).
    side : {"upper", "lower"}

    Returns
    -------
    passes : ndarray of bool (n,)

    See Also
    --------
    is_reachable : the exact (global) test.

    Examples
    --------
    >>> curvature_test(Function("sin(x)"), [0.0, -1.5707963], rho=1.5).tolist()
    [True, False]
    """
    f = as_function(f)
    rho = check_positive(rho, "rho", allow_inf=True)
    side = check_side(side)
    k = principal_curvatures(f, thetas)
    toward = k[:, 0] if side == "upper" else -k[:, -1]
    return toward * rho <= 1.0 if np.isfinite(rho) else toward <= 0.0
