"""Footpoint solvers: the projection step of the rolling ball optimizer.

Given a point ``z = (x, y)`` of ``R^{d+1}``, find a minimiser ``φ`` of

    D(φ) = |φ − x|² + (F(φ) − y)²,     F = λ f  (λ = ``loss_scale``),

i.e. a zero of the stationarity residual ``r(φ) = (φ − x) + (F(φ) − y) ∇F(φ)``, starting
from ``theta0`` (the previous contact point).  Every solver returns a :class:`Footpoint`
whose :class:`SolveInfo` records the gradient-equivalent evaluations spent (one
``value_and_grad`` = 1, one ``hvp`` = 1, see :mod:`rbo.objective`) including the evaluation
at the returned point, and the final residual ``|r(φ)|`` (in the scaled units).

Solvers
-------
``"paper"``
    The authors' loop: ``K`` fixed-step gradient steps on ``D/2`` from ``theta0``,
    ``φ ← φ − s r(φ)`` (defaults ``K = 100``, ``s = 1e-3``).  Costs ``K + 1``
    evaluations (the authors' loop evaluates the gradient at ``φ_0`` again, and the
    returned point is evaluated once).
``"gauss-newton"``
    ``δ = −(I + G Gᵀ)⁻¹ r`` by Sherman–Morrison (O(d)), backtracking on ``D``.  Linear
    convergence, slower as ``ρ·curvature → 1``.
``"newton"``
    Newton on ``r = 0`` with Jacobian ``J = I + G Gᵀ + (F − y) ∇²F``.  For ``d ≤ dense_max``
    the Hessian is assembled from ``d`` Hessian-vector products; with the default
    ``hessian="secant"`` that matrix is then kept as a model, updated by
    Powell-symmetric-Broyden secant steps from the gradients the solve evaluates anyway, and
    handed to the next RBO step (``Footpoint.hessian`` → ``hess0``); it is re-assembled
    exactly only after an iteration that contracts the residual by less than
    ``reuse_ratio``.  ``hessian="exact"`` re-assembles it at every iteration except after a
    fast contraction (a chord step).  Above ``dense_max``: conjugate gradients on ``J`` with
    hvps, preconditioned by the Gauss–Newton matrix ``I + G Gᵀ`` (Sherman–Morrison), with
    the inexact-Newton forcing term ``η = min(1/2, sqrt(|r| / (1 + |φ − x| + |F − y||G|)))``
    (no tighter than ``tol`` needs); on negative curvature CG returns its last iterate, or
    the Gauss–Newton direction at its first iteration.  Safeguards: when the
    Newton direction is not a descent direction of ``D`` the Gauss–Newton direction is
    used; steps are capped at ``2 sqrt(D(φ))`` (no minimiser is further away) and
    backtracked until ``D`` decreases (Armijo) — or, once that decrease falls below the
    round-off of ``D`` itself (``~eps (|F| + |y|) |F − y|``: near a minimum of a large sum,
    where ``D`` cannot tell a Newton step from noise), until ``D`` does not rise above its
    round-off and ``|r|`` decreases.  Stops when ``|r| ≤ tol``, or, when ``tol`` is below
    the round-off floor of ``r`` (``8 eps (|φ| + |x| + (|F| + |y|) |G|)``) and the full step
    no longer decreases ``|r|``, with ``converged = True`` and a message saying so.
``"exact"``
    :func:`offsetgeo.footpoint`, the global projection (low ``d``; needs an objective with a
    ``function`` attribute).  Its internal cost is not a gradient count; only the evaluation
    at the returned point is counted.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

from array_api_compat import array_namespace

from .objective import _like, _to_numpy, has_hvp

__all__ = ["SolveInfo", "Footpoint", "SOLVERS", "solve_footpoint", "residual"]

SOLVERS = ("paper", "gauss-newton", "newton", "exact")


@dataclass(frozen=True)
class SolveInfo:
    """What one footpoint solve did.

    Attributes
    ----------
    solver : str
    evals : int
        Gradient-equivalent evaluations (``value_and_grad`` and ``hvp`` calls), including the
        one at the returned point.
    iterations : int
    residual : float
        ``|(φ − x) + (F(φ) − y) ∇F(φ)|`` at the returned point (scaled units).
    converged : bool
        ``residual ≤ tol`` as measured (the ``"paper"`` solver has no tolerance and reports
        ``converged = residual ≤ tol`` too).  The local solvers also report
        True when ``tol`` lies below the round-off floor of the residual (``floor =
        8 eps (|φ| + |x| + (|F| + |y|) |G|)``, what evaluating ``r`` in floating point cannot
        resolve), ``residual ≤ floor`` and a full Newton step no longer decreases it;
        ``message`` then says so.
    message : str
        Why the solve stopped, when it did not simply meet ``tol``.
    linear_iterations : int
        Newton with CG (``d > dense_max``): conjugate-gradient iterations (= hvps) in all.
    backtracks : int
        Step halvings of the line search in all.
    """

    solver: str
    evals: int
    iterations: int
    residual: float
    converged: bool
    message: str = ""
    linear_iterations: int = 0
    backtracks: int = 0


@dataclass(frozen=True)
class Footpoint:
    """Result of a solve: the contact point, ``f`` and ``∇f`` there (unscaled), and info.

    ``hessian``: the Newton solver's dense model of ``λ∇²f`` near ``theta`` (``d ≤ dense_max``),
    to pass as ``hess0`` to the next solve (None otherwise)."""

    theta: Any
    value: Any
    grad: Any
    info: SolveInfo
    hessian: Any = None


class _Eval:
    """Counts evaluations of the scaled objective ``F = λ f``."""

    def __init__(self, obj, lam: float):
        self.obj, self.lam, self.n = obj, float(lam), 0

    def vg(self, phi):
        self.n += 1
        f, g = self.obj.value_and_grad(phi)
        xp = array_namespace(phi)
        return xp.asarray(f, dtype=phi.dtype), g

    def hvp(self, phi, v, g_phi):
        """λ ∇²f(φ) v; exact when available, else a forward difference of gradients."""
        self.n += 1
        if has_hvp(self.obj):
            return self.lam * self.obj.hvp(phi, v)
        xp = array_namespace(phi)
        vn = float(xp.linalg.vector_norm(v))
        if vn == 0.0:
            return v
        eps = math.sqrt(2.2e-16) * (1.0 + float(xp.linalg.vector_norm(phi))) / vn
        _, g2 = self.obj.value_and_grad(phi + eps * v)
        return self.lam * (g2 - g_phi) / eps


def residual(phi, x, y, F, G):
    """Stationarity residual ``r = (φ − x) + (F − y) G`` (all in scaled units).

    Examples
    --------
    >>> import numpy as np
    >>> residual(np.array([1.0]), np.array([0.0]), 0.0, 1.0, np.array([2.0]))
    array([3.])
    """
    return (phi - x) + (F - y) * G


def _norm(xp, v) -> float:
    return float(xp.linalg.vector_norm(v))


def _dot(xp, a, b):
    return xp.sum(a * b)


def _gn_direction(xp, r, G):
    """−(I + G Gᵀ)⁻¹ r by Sherman–Morrison."""
    return -(r - G * (_dot(xp, G, r) / (1.0 + _dot(xp, G, G))))


def _dense_hessian(xp, ev, phi, g_phi):
    """λ ∇²f(φ) from d Hessian-vector products (symmetrised)."""
    d = phi.shape[0]
    eye = xp.eye(d, dtype=phi.dtype)
    H = xp.stack([ev.hvp(phi, eye[i, :], g_phi) for i in range(d)], axis=1)
    return 0.5 * (H + xp.matrix_transpose(H))


def _psb_update(xp, B, s, yv):
    """Powell-symmetric-Broyden update of a Hessian model: B s = yv afterwards (1-D: secant)."""
    d = s.shape[0]
    ss = float(_dot(xp, s, s))
    if ss == 0.0:
        return B
    w = yv - xp.reshape(xp.matmul(B, xp.reshape(s, (d, 1))), (d,))
    ws = _dot(xp, w, s)
    W = xp.reshape(w, (d, 1)) * xp.reshape(s, (1, d))
    S = xp.reshape(s, (d, 1)) * xp.reshape(s, (1, d))
    return B + (W + xp.matrix_transpose(W)) / ss - (ws / ss ** 2) * S


def _cg(xp, matvec, b, rtol, maxiter, precond=None):
    """Preconditioned conjugate gradients for ``J u = b`` (``J`` symmetric).

    Returns ``(u, ok, k)``: ``k`` matrix-vector products were spent; ``ok`` is False when
    CG met non-positive curvature, and ``u`` is then the last iterate (a descent direction
    of the quadratic model, ``bᵀu > 0``) or, at the first iteration, the preconditioned
    right-hand side ``M⁻¹ b`` (the Gauss–Newton direction here)."""
    u = xp.zeros_like(b)
    res = b
    z = precond(res) if precond is not None else res
    p = z
    rr = _dot(xp, res, z)
    bn = _norm(xp, b)
    k = 0
    for k in range(1, maxiter + 1):
        Jp = matvec(p)
        pJp = float(_dot(xp, p, Jp))
        if not pJp > 0.0:
            return (z if k == 1 else u), False, k
        a = rr / pJp
        u = u + a * p
        res = res - a * Jp
        if _norm(xp, res) <= rtol * bn:
            break
        z = precond(res) if precond is not None else res
        rr_new = _dot(xp, res, z)
        p = z + (rr_new / rr) * p
        rr = rr_new
    return u, True, k


def _finfo_eps(xp, dtype) -> float:
    try:
        return float(xp.finfo(dtype).eps)
    except Exception:  # pragma: no cover - namespaces without finfo
        return 2.220446049250313e-16


def _local_solve(obj, x, y, theta0, value0, grad0, *, method, loss_scale, tol, max_iter,
                 dense_max, reuse_ratio, name, hess0=None, hessian="secant"):
    xp = array_namespace(theta0)
    lam = float(loss_scale)
    eps = _finfo_eps(xp, theta0.dtype)
    yf = abs(float(y))
    xn = _norm(xp, x)
    ev = _Eval(obj, lam)
    phi = theta0
    if value0 is None or grad0 is None:
        f, g = ev.vg(phi)
    else:
        f, g = xp.asarray(value0, dtype=phi.dtype), grad0
    F, G = lam * f, lam * g
    r = residual(phi, x, y, F, G)
    rn = _norm(xp, r)
    Dv = float(_dot(xp, phi - x, phi - x) + (F - y) ** 2)
    d = phi.shape[0]

    def floors(phi_, F_, G_, Dv_):
        """Round-off levels at φ: of the residual r, and of D (absolute).

        ``r = (φ − x) + (F − y) G`` is evaluated from ``F``, known to ``~eps (|F| + |y|)``
        only, and from ``φ − x``; ``D`` carries ``2 |F − y| · eps (|F| + |y|)``.  Near a
        minimum of a large sum (``|F| ≈ 10³`` on ``sines(1000)``) the decrease of ``D`` that a
        Newton step buys, ``~|r|²``, falls far below that: ``D`` can no longer tell a good
        step from a bad one, while ``r`` (made of gradients) still can."""
        aF = abs(float(F_)) + yf
        gn = _norm(xp, G_)
        r_floor = 8.0 * eps * (_norm(xp, phi_) + xn + aF * gn)
        D_noise = 16.0 * eps * (Dv_ + math.sqrt(Dv_) * (_norm(xp, phi_) + xn + aF))
        return r_floor, D_noise

    r_floor, D_noise = floors(phi, F, G, Dv)
    B = hess0 if (hess0 is not None and d <= dense_max) else None  # model of λ∇²f
    refresh = B is None
    msg = ""
    it = 0
    n_cg = 0
    n_back = 0
    at_floor_stop = False
    for it in range(1, max_iter + 1):
        if rn <= tol:
            it -= 1
            break
        at_floor = rn <= r_floor
        newton_dir = False
        if method == "newton":
            if d <= dense_max:
                if refresh:
                    B = _dense_hessian(xp, ev, phi, g)
                J = (xp.eye(d, dtype=phi.dtype) + xp.reshape(G, (d, 1)) * xp.reshape(G, (1, d))
                     + (F - y) * B)
                delta = -xp.reshape(xp.linalg.solve(J, xp.reshape(r, (d, 1))), (d,))
            else:
                alpha = F - y
                phi_c, G_c, g_c = phi, G, g

                def matvec(v):
                    return v + G_c * _dot(xp, G_c, v) + alpha * ev.hvp(phi_c, v, g_c)

                def gn_inverse(v):  # (I + G Gᵀ)⁻¹ v, Sherman–Morrison
                    return v - G_c * (_dot(xp, G_c, v) / (1.0 + _dot(xp, G_c, G_c)))

                # inexact Newton: |J δ + r| ≤ η |r|, η = min(1/2, sqrt(relative |r|)) (superlinear),
                # but never tighter than what the tolerance needs (η |r| ≤ tol / 2)
                scale = 1.0 + _norm(xp, phi - x) + abs(float(alpha)) * _norm(xp, G)
                eta_k = max(min(0.5, math.sqrt(rn / scale)), 0.5 * max(tol, r_floor) / rn)
                u, _, k = _cg(xp, matvec, -r, min(eta_k, 0.5), 2 * d, gn_inverse)
                n_cg += k
                delta = u
            newton_dir = True
            slope = float(_dot(xp, r, delta))
            if not (slope < 0.0) or not math.isfinite(slope):
                delta = _gn_direction(xp, r, G)
                newton_dir = False
        else:
            delta = _gn_direction(xp, r, G)
        slope = float(_dot(xp, r, delta))
        cap = 2.0 * math.sqrt(Dv)
        dn = _norm(xp, delta)
        if dn > cap > 0.0:
            delta = delta * (cap / dn)
            slope *= cap / dn
        # Backtracking.  Accept on Armijo decrease of D (∇D = 2 r); or, where D is flat to
        # round-off (no increase beyond its noise level), on a sufficient decrease of |r|.
        # At the round-off floor of r only the full step is tried: shorter ones are noise.
        t = 1.0
        accepted = False
        while t > 1e-12:
            trial = phi + t * delta
            f_t, g_t = ev.vg(trial)
            F_t, G_t = lam * f_t, lam * g_t
            D_t = float(_dot(xp, trial - x, trial - x) + (F_t - y) ** 2)
            if math.isfinite(D_t):
                if D_t <= Dv + 2e-4 * t * slope and -2.0 * t * slope > D_noise:
                    accepted = True  # a decrease of D that D can resolve
                elif D_t <= Dv + D_noise:
                    r_t = residual(trial, x, y, F_t, G_t)
                    accepted = _norm(xp, r_t) <= (1.0 - 1e-4 * t) * rn
                if accepted or at_floor:
                    break
            t *= 0.5
            n_back += 1
        if not accepted:
            if at_floor:
                at_floor_stop = True
                msg = (f"stopped at the round-off floor of the residual: |r| = {rn:.3g} > "
                       f"tol = {tol:.3g} but <= floor {r_floor:.3g}, and a Newton step no "
                       f"longer decreases it")
            else:
                msg = (f"line search failed (no decrease of D or, within its round-off, "
                       f"of |r|) at |r| = {rn:.3g}")
            break
        r_t = residual(trial, x, y, F_t, G_t)
        rn_t = _norm(xp, r_t)
        if B is not None:
            if hessian == "secant":
                # keep the model while it converges fast, updated by the secant condition
                B = _psb_update(xp, B, trial - phi, G_t - G)
                refresh = not (newton_dir and t == 1.0 and rn_t <= reuse_ratio * rn)
            else:  # "exact": chord step (no new Hessian) only after a fast contraction
                refresh = not (newton_dir and t == 1.0 and rn_t <= reuse_ratio * rn)
        phi, f, g, F, G, r, rn, Dv = trial, f_t, g_t, F_t, G_t, r_t, rn_t, D_t
        r_floor, D_noise = floors(phi, F, G, Dv)
    converged = rn <= tol or at_floor_stop
    if not converged and not msg:
        msg = f"not converged after {max_iter} iterations (|r| = {rn:.3g} > tol = {tol:.3g})"
    info = SolveInfo(name, ev.n, it, rn, converged, msg, n_cg, n_back)
    return Footpoint(phi, f, g, info, B)


def _paper(obj, x, y, theta0, *, loss_scale, steps, lr, tol):
    xp = array_namespace(theta0)
    lam = float(loss_scale)
    ev = _Eval(obj, lam)
    phi = theta0
    for _ in range(steps):
        f, g = ev.vg(phi)
        phi = phi - lr * ((phi - x) + (lam * f - y) * (lam * g))
    f, g = ev.vg(phi)
    rn = _norm(xp, residual(phi, x, y, lam * f, lam * g))
    return Footpoint(phi, f, g, SolveInfo("paper", ev.n, steps, rn, rn <= tol,
                                          "" if rn <= tol else "fixed K steps (authors' loop)"))


def _exact(obj, x, y, theta0, *, loss_scale, tol, resolution=None):
    fn = getattr(obj, "function", None)
    if fn is None:
        raise ValueError(
            "solver='exact' needs an objective with a `function` attribute (an offsetgeo.Function),"
            " e.g. rbo.objective(offsetgeo.Function('sin(x)')) or a loss from rbo.losses"
        )
    import numpy as np
    from offsetgeo import footpoint as _global_footpoint

    xp = array_namespace(theta0)
    lam = float(loss_scale)
    d = theta0.shape[0]
    if lam != 1.0:
        raise ValueError("solver='exact' supports loss_scale=1.0 only (the global projection "
                         "is computed on the graph of f itself)")
    z = np.concatenate([_to_numpy(x).reshape(d), np.asarray(_to_numpy(y), dtype=float).reshape(1)])
    res = _global_footpoint(fn, z.reshape(1, d + 1), resolution=resolution, on_failure="ignore")
    phi = _like(np.asarray(res.theta, dtype=float).reshape(d), theta0)
    ev = _Eval(obj, lam)
    f, g = ev.vg(phi)
    rn = _norm(xp, residual(phi, x, y, lam * f, lam * g))
    ok = bool(np.all(np.asarray(res.converged)))
    amb = bool(np.any(np.asarray(getattr(res, "ambiguous", False))))
    msg = "ambiguous: the point lies on the medial axis" if amb else ""
    return Footpoint(phi, f, g, SolveInfo("exact", ev.n, 1, rn, ok and rn <= max(tol, 1e-8), msg))


def solve_footpoint(objective, x, y, theta0, value0=None, grad0=None, *, solver: str = "newton",
                    loss_scale: float = 1.0, tol: float = 1e-10, max_iter: Optional[int] = None,
                    dense_max: int = 8, reuse_ratio: float = 1e-2, paper_steps: int = 100,
                    paper_lr: float = 1e-3, resolution=None, hess0=None,
                    hessian: str = "secant") -> Footpoint:
    """Project ``(x, y)`` onto the graph of ``λ f``, starting from ``theta0``.

    Minimises ``D(φ) = |φ − x|² + (λ f(φ) − y)²``; see the module docstring for the solvers.

    Parameters
    ----------
    objective : objective
        ``value_and_grad`` (and optionally ``hvp`` / ``function``).
    x : array, shape (d,)
        Horizontal part of the point to project.
    y : float or 0-d array
        Height of the point (in the scaled units of ``λ f``).
    theta0 : array, shape (d,)
        Warm start.
    value0, grad0 : optional
        ``f(theta0)``, ``∇f(theta0)`` if already known (not counted again).
    solver : {"newton", "gauss-newton", "paper", "exact"}
    loss_scale : float
        λ > 0.
    tol : float
        Stop when ``|r| ≤ tol``.
    max_iter : int, optional
        Default 50 (newton) or 500 (gauss-newton).
    dense_max : int
        Newton assembles the Hessian densely for ``d ≤ dense_max``; CG above.
    reuse_ratio : float
        Newton keeps its matrix for the next iteration when the residual shrank by this factor.
    paper_steps, paper_lr : int, float
        ``K`` and ``s`` of the authors' loop.
    hess0 : array (d, d), optional
        Newton: a model of ``λ∇²f`` near ``theta0`` (the previous solve's ``Footpoint.hessian``).
    hessian : {"secant", "exact"}
        Newton, ``d ≤ dense_max``: ``"exact"`` assembles ``λ∇²f`` from ``d`` hvps at the first
        iteration and again after every iteration that did not contract the residual by
        ``reuse_ratio`` (else a chord step); ``"secant"`` (default) also starts from
        ``hess0`` when given and updates the model by Powell-symmetric-Broyden secant steps
        (exact in 1-D: the secant of ``f'``), re-assembling it exactly only after an
        iteration that did not contract by ``reuse_ratio``.  Either way the solve stops on
        the true residual.
    resolution : optional
        Grid resolution of the global search (``"exact"``), see :func:`offsetgeo.footpoint`.

    Returns
    -------
    Footpoint

    Examples
    --------
    >>> import numpy as np
    >>> from rbo.objective import ArrayObjective
    >>> bowl = ArrayObjective(lambda t: (np.sum(t**2), 2 * t), hvp=lambda t, v: 2 * v)
    >>> fp = solve_footpoint(bowl, np.array([0.0]), 0.4, np.array([0.3]))
    >>> float(fp.theta[0]), fp.info.converged    # below the focal point 1/2: (0, 0) is nearest
    (0.0, True)
    >>> fp = solve_footpoint(bowl, np.array([0.0]), 1.0, np.array([0.3]))
    >>> round(float(fp.theta[0]), 9)             # above it: two footpoints ±sqrt(1/2)
    0.707106781
    """
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; choose one of {SOLVERS}")
    if not loss_scale > 0:
        raise ValueError(f"loss_scale must be > 0, got {loss_scale}")
    xp = array_namespace(theta0)
    if theta0.ndim != 1:
        raise ValueError(f"theta0 must be a flat array of shape (d,), got shape {theta0.shape}")
    if x.shape != theta0.shape:
        raise ValueError(f"x has shape {x.shape} but theta0 has shape {theta0.shape}")
    y = xp.asarray(y, dtype=theta0.dtype)
    if solver == "paper":
        if paper_steps < 1 or not paper_lr > 0:
            raise ValueError("paper_steps must be >= 1 and paper_lr > 0")
        return _paper(objective, x, y, theta0, loss_scale=loss_scale, steps=int(paper_steps),
                      lr=float(paper_lr), tol=tol)
    if solver == "exact":
        return _exact(objective, x, y, theta0, loss_scale=loss_scale, tol=tol, resolution=resolution)
    if hessian not in ("secant", "exact"):
        raise ValueError(f"hessian must be 'secant' or 'exact', got {hessian!r}")
    if max_iter is None:
        max_iter = 50 if solver == "newton" else 500
    return _local_solve(objective, x, y, theta0, value0, grad0, method=solver,
                        loss_scale=loss_scale, tol=tol, max_iter=int(max_iter),
                        dense_max=int(dense_max), reuse_ratio=float(reuse_ratio), name=solver,
                        hess0=hess0 if hessian == "secant" else None, hessian=hessian)
