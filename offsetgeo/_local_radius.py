"""The local critical radius ``1/κ_max`` at one point, from Hessian-vector products.

For objectives known only through gradients or Hessian-vector products (any dimension, e.g.
a network's loss): Lanczos with full reorthogonalisation, power iteration, or ARPACK on the
operator ``A H A / s`` (the principal curvatures, ``docs/math.md``) or on ``H`` itself.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import eigh_tridiagonal
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh

from ._deprecation import renamed_keywords
from ._function import Function
from ._results import Result
from ._validation import check_choice, check_count
from .exceptions import NonConvergenceWarning

__all__ = ["local_critical_radius", "LocalRadius"]


@dataclass(frozen=True)
class LocalRadius(Result):
    """The local critical radius ``1 / κ_max`` at one point.

    Attributes
    ----------
    value : float
        ``1 / lambda_max``; ``inf`` if ``lambda_max ≤ 0``.
    lambda_max : float
        The largest eigenvalue of the operator solved: for ``metric="graph"`` the largest
        principal curvature ``κ_max`` (``H v = κ s (I + g gᵀ) v``), which equals
        ``λ_max(∇²f)`` when ``g = 0``; for ``metric="euclidean"``, ``λ_max(∇²f)``.
    iterations : int
        Lanczos steps / power iterations.
    evals : int
        Gradient-equivalent evaluations: gradient calls (the gradient at θ, and two per
        finite-difference HVP) plus exact Hessian-vector products.
    converged : bool
        The relative residual met ``rtol``.
    residual : float
        ``‖M y − λ y‖ / ‖M‖`` for the returned eigenpair (Lanczos: the standard estimate
        ``β_k |e_kᵀ s|``; ``‖M‖`` estimated by the largest Ritz value in magnitude).
    gradient_norm : float
        ``|∇f(θ)|`` (NaN if no gradient was available).
    method, metric : str
    direction : ndarray
        The unit eigenvector, in the shape of ``theta``.
    """

    value: float
    lambda_max: float
    iterations: int
    evals: int
    converged: bool
    residual: float
    gradient_norm: float
    method: str
    metric: str
    direction: np.ndarray = field(repr=False)
    n_hvp: int = field(default=0, repr=False)
    n_grad: int = field(default=0, repr=False)

    @property
    def message(self) -> str:
        """Why it stopped when it did not converge (``""`` otherwise)."""
        return "" if self.converged else (f"not converged in {self.iterations} iterations: "
                                          f"relative residual {self.residual:.3g}")

    @property
    def hvp_evaluations(self) -> int:
        """Deprecated: Hessian-vector products used (see :attr:`evals`)."""
        return _deprecated_count(self, "hvp_evaluations", self.n_hvp)

    @property
    def gradient_evaluations(self) -> int:
        """Deprecated: gradient evaluations used (see :attr:`evals`)."""
        return _deprecated_count(self, "gradient_evaluations", self.n_grad)


def _deprecated_count(result, name, value):
    warnings.warn(f"LocalRadius.{name} is deprecated; use LocalRadius.evals (gradient-equivalent "
                  "evaluations)", DeprecationWarning, stacklevel=3)
    return value


def _lanczos(op, n, v0, tol, max_iter):
    """Largest eigenpair of a symmetric operator by Lanczos with full reorthogonalisation."""
    k_max = min(max_iter, n)
    V = np.empty((k_max, n))
    alpha, beta = [], []
    q = v0 / np.linalg.norm(v0)
    theta, svec, res, scale, converged = 0.0, np.ones(1), np.inf, 0.0, False
    j = 0
    for j in range(k_max):
        V[j] = q
        w = op(q, j)
        a = float(q @ w)
        w -= a * q
        if j > 0:
            w -= beta[-1] * V[j - 1]
        for _ in range(2):                      # full reorthogonalisation, twice is enough
            w -= V[:j + 1].T @ (V[:j + 1] @ w)
        b = float(np.linalg.norm(w))
        alpha.append(a)
        if j == 0:
            ritz, S = np.array([a]), np.ones((1, 1))
        else:
            ritz, S = eigh_tridiagonal(np.array(alpha), np.array(beta))
        theta, svec = float(ritz[-1]), S[:, -1]
        scale = max(abs(ritz[0]), abs(ritz[-1]), np.finfo(float).tiny)
        res = b * abs(svec[-1]) / scale
        if res <= tol or b <= 1e3 * np.finfo(float).eps * scale:
            converged = True
            break
        beta.append(b)
        q = w / b
    y = V[:j + 1].T @ svec
    return theta, y / np.linalg.norm(y), j + 1, converged, float(res)


def _power(op, n, v0, tol, max_iter, rng):
    """Largest (algebraic) eigenpair by power iteration, shifting if the dominant one is < 0."""
    def run(shift, q, budget, start):
        q = q / np.linalg.norm(q)
        lam, res = 0.0, np.inf
        for it in range(budget):
            w = op(q, start + it) - shift * q
            lam = float(q @ w)
            r = w - lam * q
            res = float(np.linalg.norm(r)) / max(abs(lam), abs(shift), np.finfo(float).tiny)
            nw = float(np.linalg.norm(w))
            if res <= tol or nw == 0.0:
                return lam + shift, q, it + 1, True, res
            q = w / nw
        return lam + shift, q, budget, False, res

    lam, q, its, conv, res = run(0.0, v0, max_iter, 0)
    if lam < 0:  # the dominant eigenvalue is negative: λ_max − λ_dom is the top of M − λ_dom I
        lam2, q2, its2, conv, res = run(lam, rng.standard_normal(n), max_iter, its)
        return lam2, q2 / np.linalg.norm(q2), its + its2, conv, res
    return lam, q / np.linalg.norm(q), its, conv, res


def _arpack(op, n, v0, tol, max_iter):
    counter = [0]

    def matvec(v):
        counter[0] += 1
        return op(np.asarray(v, dtype=float).reshape(n), counter[0])

    lin = LinearOperator((n, n), matvec=matvec, dtype=float)
    try:
        vals, vecs = eigsh(lin, k=1, which="LA", tol=tol, maxiter=max_iter, v0=v0,
                           ncv=min(n - 1, 20))
        converged = True
    except ArpackNoConvergence as err:
        vals, vecs = err.eigenvalues, err.eigenvectors
        converged = False
        if vals.size == 0:
            return math.nan, v0 / np.linalg.norm(v0), counter[0], False, math.inf
    lam, y = float(vals[-1]), vecs[:, -1] / np.linalg.norm(vecs[:, -1])
    res = float(np.linalg.norm(matvec(y) - lam * y)) / max(abs(lam), np.finfo(float).tiny)
    return lam, y, counter[0], converged, res


@renamed_keywords(tol="rtol")
def local_critical_radius(grad=None, theta=None, *, hvp=None, value_and_grad=None,
                          gradient=None, metric: str = "graph", method: str = "lanczos",
                          rtol: float = 1e-6, max_iter: int = 100, fd_step=None,
                          rng=None) -> LocalRadius:
    """The local critical radius ``1 / κ_max`` at ``θ`` from Hessian-vector products.

    ``κ_max`` is the largest eigenvalue of ``M = A H A / s`` with ``s = sqrt(1 + |g|²)``,
    ``A = I − g gᵀ / (s (s + 1))`` (``= (I + g gᵀ)^{-1/2}``, a rank-one update): the largest
    principal curvature of the graph at ``θ`` (docs/math.md). ``M v`` needs one HVP, so any
    ``d`` works. At a stationary point ``g = 0`` and ``κ_max = λ_max(∇²f)``, the sharpness.

    Parameters
    ----------
    grad : callable or Function, optional
        ``grad(theta) -> array`` like ``theta``. Without ``hvp``, HVPs are central
        differences ``(∇f(θ + h v) − ∇f(θ − h v)) / (2h)`` with
        ``h = fd_step / max|v|``, ``fd_step = eps^{1/3} max(1, max|θ|)`` by default (two
        gradient evaluations each). A :class:`~offsetgeo.Function` uses its exact Hessian.
    theta : array_like
        The point (any shape; flattened internally, float64).
    hvp : callable, optional
        ``hvp(theta, v) -> H v`` (exact products).
    value_and_grad : callable, optional
        ``(f(θ), ∇f(θ))``; used as ``grad`` when ``grad`` is not given.
    gradient : array_like, optional
        ``∇f(θ)`` if already known (saves one evaluation).
    metric : {"graph", "euclidean"}
        ``"graph"``: principal curvature (needs ``g``); ``"euclidean"``: ``λ_max(∇²f)``.
    method : {"lanczos", "power", "arpack"}
        Lanczos with full reorthogonalisation (memory ``max_iter·d`` floats), power
        iteration (shifted by the dominant eigenvalue if that is negative), or
        ``scipy.sparse.linalg.eigsh(which="LA")`` on a LinearOperator.
    rtol : float
        Relative residual ``‖M y − λ y‖ / ‖M‖`` to stop at; the eigenvalue error is
        ``≲ rtol·‖M‖`` and usually ``≈ (rtol ‖M‖)² / gap``.
    max_iter : int
        Lanczos steps / power iterations per phase / ARPACK restarts.
    fd_step : float, optional
        Largest component of the finite-difference perturbation.
    rng : None, int or Generator
        Seeds the random start vector.

    Returns
    -------
    radius : LocalRadius
        Not converging is reported (``converged=False``) with a
        :class:`~offsetgeo.NonConvergenceWarning`, not raised.

    Raises
    ------
    ValueError
        Bad arguments, or a gradient / HVP that is not finite (the message says where).

    See Also
    --------
    max_curvature : the supremum of the principal curvatures over a window (d ≤ 3).
    principal_curvatures : all of them at given points of an analytic function.

    Examples
    --------
    >>> import numpy as np
    >>> D = np.array([3.0, 1.0, -5.0])
    >>> r = local_critical_radius(lambda t: D * t, np.zeros(3), rng=0)
    >>> round(r.lambda_max, 8), round(r.value, 8), r.converged
    (3.0, 0.33333333, True)
    """
    if theta is None:
        raise ValueError("theta (the point) is required")
    check_choice(metric, "metric", ("graph", "euclidean"))
    check_choice(method, "method", ("lanczos", "power", "arpack"))
    tol = float(rtol)
    if not (0.0 < tol < 1.0):
        raise ValueError(f"rtol must be in (0, 1), got {rtol}")
    max_iter = check_count(max_iter, "max_iter")

    if isinstance(grad, Function):
        f = grad
        shape0 = np.shape(theta)
        point = np.asarray(theta, dtype=np.float64).reshape(1, f.dim)
        _, g_f, H_f = f.evaluate(point, 2)
        if not (np.all(np.isfinite(g_f)) and np.all(np.isfinite(H_f))):
            raise ValueError(f"the gradient or Hessian of {f} is not finite at theta={point[0].tolist()}")
        H_f = H_f[0]
        grad = lambda t: f.evaluate(np.asarray(t, float).reshape(1, f.dim), 1)[1].reshape(shape0)  # noqa: E731
        if hvp is None:
            hvp = lambda t, v: (H_f @ np.asarray(v).reshape(-1)).reshape(shape0)  # noqa: E731
        if gradient is None:
            gradient = g_f[0].reshape(shape0)
    for name, fn in (("grad", grad), ("hvp", hvp), ("value_and_grad", value_and_grad)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be callable, got {type(fn).__name__}")
    if grad is None and value_and_grad is not None:
        grad = lambda t: value_and_grad(t)[1]  # noqa: E731
    if hvp is None and grad is None:
        raise ValueError("give hvp=(theta, v) -> H v, or grad (or value_and_grad) to build "
                         "Hessian-vector products by finite differences")

    theta_arr = np.array(theta, dtype=np.float64)
    shape = theta_arr.shape
    n = theta_arr.size
    if n == 0:
        raise ValueError("theta is empty")
    if not np.all(np.isfinite(theta_arr)):
        i = int(np.flatnonzero(~np.isfinite(theta_arr.reshape(-1)))[0])
        raise ValueError(f"theta is not finite at index {i}")
    flat = theta_arr.reshape(-1)
    counts = {"grad": 0, "hvp": 0}

    def call_grad(t, what):
        counts["grad"] += 1
        out = np.asarray(grad(t.reshape(shape)), dtype=np.float64).reshape(-1)
        if out.size != n:
            raise ValueError(f"grad returned {out.size} numbers for a theta of {n}")
        if not np.all(np.isfinite(out)):
            i = int(np.flatnonzero(~np.isfinite(out))[0])
            raise ValueError(f"the gradient is not finite {what} (component {i})")
        return out

    g = None
    if gradient is not None:
        g = np.asarray(gradient, dtype=np.float64).reshape(-1)
        if g.size != n or not np.all(np.isfinite(g)):
            raise ValueError(f"gradient must be {n} finite numbers like theta")
    elif grad is not None:
        g = call_grad(flat, "at theta")
    if metric == "graph" and g is None:
        raise ValueError("metric='graph' needs the gradient at theta: pass grad=, value_and_grad= "
                         "or gradient=, or use metric='euclidean' for λ_max(∇²f) alone")
    gnorm = float(np.linalg.norm(g)) if g is not None else math.nan

    if hvp is not None:
        def hess_vec(v, it):
            counts["hvp"] += 1
            out = np.asarray(hvp(flat.reshape(shape).copy(), v.reshape(shape)),
                             dtype=np.float64).reshape(-1)
            if out.size != n:
                raise ValueError(f"hvp returned {out.size} numbers for a theta of {n}")
            if not np.all(np.isfinite(out)):
                raise ValueError(f"the Hessian-vector product is not finite at iteration {it}")
            return out
    else:
        base = float(fd_step) if fd_step is not None else \
            np.cbrt(np.finfo(float).eps) * max(1.0, float(np.abs(flat).max()))
        if not (base > 0 and np.isfinite(base)):
            raise ValueError(f"fd_step must be a positive number, got {fd_step!r}")

        def hess_vec(v, it):
            counts["hvp"] += 1
            vmax = float(np.abs(v).max())
            if vmax == 0.0:
                return np.zeros(n)
            h = base / vmax
            gp = call_grad(flat + h * v, f"at the finite-difference point θ + h v, iteration {it}")
            gm = call_grad(flat - h * v, f"at the finite-difference point θ − h v, iteration {it}")
            return (gp - gm) / (2.0 * h)

    if metric == "graph" and gnorm > 0.0:
        s = math.sqrt(1.0 + gnorm * gnorm)
        c = 1.0 / (s * (s + 1.0))

        def op(v, it):
            av = v - (c * (g @ v)) * g
            hav = hess_vec(av, it)
            return (hav - (c * (g @ hav)) * g) / s
    else:
        op = hess_vec

    gen = np.random.default_rng(rng)
    v0 = gen.standard_normal(n)
    if method == "lanczos":
        lam, y, its, conv, res = _lanczos(op, n, v0, tol, max_iter)
    elif method == "power":
        lam, y, its, conv, res = _power(op, n, v0, tol, max_iter, gen)
    else:
        if n < 3:
            lam, y, its, conv, res = _lanczos(op, n, v0, tol, max_iter)
        else:
            lam, y, its, conv, res = _arpack(op, n, v0, tol, max_iter)
    if not conv:
        warnings.warn(f"local_critical_radius ({method}) did not converge in {its} iterations: "
                      f"relative residual {res:.3g} > tol {tol:g}; lambda_max = {lam:.6g} is an "
                      "estimate (Lanczos/ARPACK: a lower bound). Raise max_iter.",
                      NonConvergenceWarning, stacklevel=3)
    return LocalRadius(value=math.inf if not lam > 0 else 1.0 / lam, lambda_max=float(lam),
                       iterations=int(its), evals=counts["hvp"] * (hvp is not None)
                       + counts["grad"], converged=bool(conv),
                       residual=float(res), gradient_norm=gnorm, method=method, metric=metric,
                       direction=y.reshape(shape), n_hvp=counts["hvp"],
                       n_grad=counts["grad"])
