"""Footpoint solvers: the projection step of the rolling ball optimizer.

Given a point ``z = (x, y)`` of ``R^{d+1}``, find a minimiser ``φ`` of

    D(φ) = |φ − x|² + (F(φ) − y)²,     F = λ f  (λ = ``loss_scale``),

i.e. a zero of the stationarity residual ``r(φ) = (φ − x) + (F(φ) − y) ∇F(φ)``, starting
from ``theta0`` (the previous contact point).  Every solver returns a :class:`Footpoint`
whose :class:`SolveInfo` records the gradient-equivalent evaluations spent (one
``value_and_grad`` = 1, one ``hvp`` = 1, see :mod:`rbo._objective`) including the evaluation
at the returned point, and the final residual ``|r(φ)|`` (in the scaled units).  The local
solvers stop at ``|r| ≤ max(tol, rtol |r(θ_0)|)``; for an RBO step ``|r(θ_t)| = η s² |∇F(θ_t)|``
(``s = sqrt(1 + |∇F|²)``), the residual of not moving, so ``rtol`` is about the error of the
contact point relative to the step's length (``benchmarks/bench_netcost.py``).

Solvers
-------
``"paper"``
    The authors' loop: ``K`` fixed-step gradient steps on ``D/2`` from ``theta0``,
    ``φ ← φ − s r(φ)`` (defaults ``K = 100``, ``s = 1e-3``).  Costs ``K`` evaluations when
    ``f, ∇f`` at ``theta0`` are given (``K − 1`` in the loop, one at the returned point),
    ``K + 1`` otherwise: an RBO step on a fresh minibatch costs ``1 + K`` = 101, the count of
    the authors' code (which evaluates ``θ_t`` twice and the returned point never).
``"gauss-newton"``, ``"newton"``
    :func:`offsetgeo.newton_footpoint`, the one footpoint Newton of the toolkit (also behind
    :func:`offsetgeo.footpoint` and :func:`rbo.run_batched`): Gauss–Newton
    ``δ = −(I + G Gᵀ)⁻¹ r`` (Sherman–Morrison, O(d); linear convergence, slower as
    ``ρ·curvature → 1``), or Newton with ``J = I + G Gᵀ + (F − y) ∇²F`` — for
    ``d ≤ dense_max`` a dense ``∇²F`` from ``d`` Hessian-vector products, kept as a model,
    updated by Powell-symmetric-Broyden secant steps and handed to the next RBO step
    (``hessian="secant"``), or re-assembled after every slow iteration (``"exact"``); above
    ``dense_max`` conjugate gradients on hvps with an inexact-Newton forcing term.
    Safeguards: Gauss–Newton where Newton does not descend, steps capped at ``2 sqrt(D)``,
    backtracking on ``D`` (or on ``|r|`` where ``D`` is flat to round-off), a stop at the
    round-off floor of ``r`` reported as converged with a message.
``"anderson"``
    The same loop and safeguards with the Gauss–Newton direction replaced by its Anderson
    mixing over the last ``m = 5`` iterates (:class:`_Anderson`): a multisecant
    quasi-Newton step that spends one evaluation per iteration and no Hessian-vector
    product, restarted to plain Gauss–Newton where the mixed step does not descend. Far
    fewer evaluations than Newton–CG when the projection is far from linear (a network at
    η = 1, where Newton's model at ``θ_t`` leaves 30 % of the residual whatever its linear
    solve); single point only (not in :func:`rbo.run_batched`).  Where ``D`` is stiff
    (``(F − y) λ_max(∇²F) ≫ 1``) the mixing degrades to backtracked Gauss–Newton, so after
    the first iteration that backtracks, or the second in a row that leaves more than
    ``ANDERSON_STALL = 0.9`` of the residual, the solve goes on with Newton–CG: on a
    quadratic with ``η λ_max = 30`` at η = 1 it then spends 39 evaluations for
    ``rtol = 1e-2`` where Newton spends 37 (1 143 without the hand-over).  On the
    MNIST-1D network (``benchmarks/bench_netcost.py``) it happened in 3 of 3 562 steps.
``"exact"``
    :func:`offsetgeo.footpoint`, the global projection (``d ≤ 2``; needs an objective with a
    ``function`` attribute).  Its internal cost is not a gradient count; only the evaluation
    at the returned point is counted.

The ``newton`` and ``gauss-newton`` solvers are local: they find the stationary point of
``D`` reached from the warm start — the contact point reached by rolling continuously — which
above the critical radius need not be the nearest one. RBO is defined with the *nearest*
point, so where the objective has an analytic ``function`` of one or two variables the local
solution is certified (``certify="auto"``, the default): :func:`offsetgeo.certify_footpoints`
searches the sampled graph only for basins that could beat it, and the step moves to the
nearer footpoint when one exists. The certificate's own work (a bounded grid search and,
rarely, refinements on the analytic function) is not counted as gradient evaluations; its
wall time is in ``benchmarks/bench_rbo.py``. Elsewhere (array objectives, ``d > 2``) the
projection is local, and :class:`SolveInfo` says so (``certified=False``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
from ._compat import array_namespace

from offsetgeo import certify_footpoints
from offsetgeo import footpoint as global_footpoint
from offsetgeo._newton import AT_FLOOR, CONVERGED, LINE_SEARCH_FAILED, MAX_ITER, STATUS
from offsetgeo._numerics import (conjugate_gradients, positive_definite, psb_update, row_dot,
                                 sherman_morrison, solve_small)
from offsetgeo._results import Result
from offsetgeo._validation import check_choice, check_count, check_positive

from ._compat import finfo_eps, like, norm, to_numpy
from ._objective import has_hvp

__all__ = ["SolveInfo", "Footpoint", "SOLVERS", "HESSIANS", "solve_footpoint", "residual",
           "ObjectiveOracle", "BatchOracle", "paper_projection", "check_solver_options",
           "default_max_iter"]

SOLVERS = ("paper", "gauss-newton", "newton", "anderson", "exact")
#: ``"anderson"``: how many past iterates the mixing uses
ANDERSON_MEMORY = 5
#: ``"anderson"``: an iteration keeping more than this fraction of ``|r|`` has stalled (two in
#: a row, or one backtracked iteration, hand the solve to Newton–CG)
ANDERSON_STALL = 0.9
#: status of a local solve stopped by ``max_evals`` (after those of :data:`offsetgeo._newton.STATUS`)
EVAL_CAP = max(STATUS) + 1
_MESSAGES = {**STATUS, EVAL_CAP: "stopped at max_evals evaluations"}
HESSIANS = ("secant", "exact")


@dataclass(frozen=True)
class SolveInfo(Result):
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
        ``residual ≤ max(tol, rtol |r_0|)`` as measured (the ``"paper"`` solver has no
        tolerance and reports the same test).  The local solvers also report True when the
        residual reached its round-off floor, ``8 eps (|φ| + |x| + (|F| + |y|) |G|)``, and a
        full Newton step no longer decreases it; ``message`` then says so.  False when the
        solve stopped at ``max_evals``.
    message : str
        Why the solve stopped, when it did not simply meet its tolerance (e.g. ``"stopped at
        max_evals evaluations (|r| = …, goal = …)"``).
    linear_iterations : int
        Newton with CG (``d > dense_max``): conjugate-gradient iterations (= hvps) in all.
    backtracks : int
        Step halvings of the line search in all.
    certified : bool
        The returned point is certified to be a global nearest point (``"exact"``, or a local
        solution checked by :func:`offsetgeo.certify_footpoints`); False for a local solution
        that could not be checked (array objectives, d > 2, ``certify=False``).
    """

    solver: str
    evals: int
    iterations: int
    residual: float
    converged: bool
    message: str = ""
    linear_iterations: int = 0
    backtracks: int = 0
    certified: bool = False


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


def _scaled(lam, f, g):
    """``(λ f, λ g)``, without copies when λ = 1."""
    return (f, g) if lam == 1.0 else (lam * f, lam * g)


def residual(phi, x, y, F, G):
    """Stationarity residual ``r = (φ − x) + (F − y) G`` (all in scaled units).

    Examples
    --------
    >>> residual(np.array([1.0]), np.array([0.0]), 0.0, 1.0, np.array([2.0]))
    array([3.])
    """
    return (phi - x) + (F - y) * G


# --------------------------------------------------------------------------------------
# the loss seen by the solvers: F = λ f, with evaluations counted


class ObjectiveOracle:
    """``F = λ f`` of an objective known at single points (any array namespace), counting
    gradient-equivalent evaluations in ``n``: one per ``value_and_grad``, one per
    Hessian-vector product — exact, or a forward difference of gradients
    ``(g(φ + εv) − g(φ))/ε`` when the objective has no ``hvp``."""

    def __init__(self, obj, lam: float):
        self.obj, self.lam, self.n = obj, float(lam), 0
        self.exact_hvp = has_hvp(obj)

    def point(self, phi):
        """``(F(φ), ∇F(φ))`` for φ of shape (d,)."""
        self.n += 1
        xp = array_namespace(phi)
        f, g = self.obj.value_and_grad(phi)
        return _scaled(self.lam, xp.asarray(f, dtype=phi.dtype), g)

    def hvp(self, phi, G, v):
        """``∇²F(φ) v`` (``G = ∇F(φ)``, for the forward difference)."""
        self.n += 1
        if self.exact_hvp:
            hv = self.obj.hvp(phi, v)
            return hv if self.lam == 1.0 else self.lam * hv
        vn = norm(v)
        if vn == 0.0:
            return v
        eps = math.sqrt(2.2e-16) * (1.0 + norm(phi)) / vn
        _, g2 = self.obj.value_and_grad(phi + eps * v)
        return (self.lam * g2 - G) / eps

    def hessian(self, phi, G):
        """``∇²F(φ)`` from ``d`` Hessian-vector products, symmetrised."""
        xp = array_namespace(phi)
        eye = xp.eye(phi.shape[0], dtype=phi.dtype)
        H = xp.stack([self.hvp(phi, G, eye[j, :]) for j in range(phi.shape[0])], axis=1)
        return 0.5 * (H + xp.matrix_transpose(H))


class BatchOracle:
    """``F = λ f`` of an objective with ``batch_value_and_grad(X)`` / ``batch_hess(X)``, for
    :func:`offsetgeo.newton_footpoint` on a batch; a Hessian costs ``d`` evaluations."""

    eager_hessian = False

    def __init__(self, obj, lam: float, d: int):
        self.obj, self.lam, self.hessian_cost = obj, float(lam), int(d)

    def evaluate(self, phi):
        f, g = self.obj.batch_value_and_grad(phi)
        return self.lam * f, self.lam * g

    def hessian(self, phi, G):
        return self.lam * self.obj.batch_hess(phi)

    def hvp(self, phi, G, V):
        return np.einsum("nij,nj->ni", self.hessian(phi, G), V)


def paper_projection(evaluate, x, y, phi0, *, steps: int, lr: float, F0=None, G0=None):
    """The authors' loop: ``K`` fixed steps ``φ ← φ − s r(φ)`` from ``phi0`` (one point (d,)
    or a batch (n, d); ``evaluate(φ) -> (F, ∇F)`` in the same shape).

    ``F0, G0``: ``F``, ``∇F`` at ``phi0`` when already known (the RBO step has them).

    Returns ``(phi, F, G)`` with ``F``, ``G`` at the returned points: ``K + 1`` evaluations,
    ``K`` when ``F0, G0`` are given (one RBO step on a fresh minibatch: ``1 + K``, the count
    of the authors' code, which evaluates ``φ_0 = θ_t`` twice but never the returned point).
    """
    phi, F, G = phi0, F0, G0
    for _ in range(steps):
        if F is None or G is None:
            F, G = evaluate(phi)
        phi = phi - lr * ((phi - x) + (F - y)[..., None] * G)
        F = G = None
    F, G = evaluate(phi)
    return phi, F, G


class _Anderson:
    """Anderson mixing (type II, Walker & Ni 2011) of the Gauss–Newton map ``φ ↦ φ + q(φ)``,
    ``q = −(I + G Gᵀ)⁻¹ r``: from the differences ``Δφ_i``, ``Δq_i`` of the last ``m + 1``
    iterates, the step ``q − Σ_i γ_i (Δφ_i + Δq_i)`` with ``γ = argmin |q − Σ_i γ_i Δq_i|``
    (a multisecant quasi-Newton step: each past evaluation serves as a difference quotient of
    ``r``, so no Hessian-vector product is spent). The Gram matrix of the ``Δq_i`` gains one
    row per iterate: ``2k`` inner products and ``k`` vector updates with ``k ≤ m`` differences
    (most RBO steps need one or two), and a ``k × k`` solve (ridge ``1e-10`` of its largest
    diagonal) on the host."""

    def __init__(self, memory: int):
        self.memory = memory
        self.reset()

    def reset(self):
        self.last, self.dq, self.ds, self.gram = None, [], [], np.zeros((0, 0))

    def step(self, phi, q):
        if self.last is not None:
            dq = q - self.last[1]
            if len(self.dq) == self.memory:
                self.dq, self.ds, self.gram = self.dq[1:], self.ds[1:], self.gram[1:, 1:]
            row = [float(v @ dq) for v in self.dq] + [float(dq @ dq)]
            k = len(row)
            gram = np.empty((k, k))
            gram[:-1, :-1], gram[-1, :], gram[:, -1] = self.gram, row, row
            self.gram = gram
            self.dq.append(dq)
            self.ds.append((phi - self.last[0]) + dq)
        self.last = (phi, q)
        top = float(np.max(np.diag(self.gram))) if self.dq else 0.0
        if not top > 0.0:
            return q
        rhs = np.array([float(v @ q) for v in self.dq])
        gamma = np.linalg.solve(self.gram + 1e-10 * top * np.eye(len(rhs)), rhs)
        for c, s in zip(gamma.tolist(), self.ds):
            q = q - c * s
        return q


def _local_solve(oracle, x, y, theta0, F, G, B, *, method, tol, max_iter, dense, hessian,
                 reuse_ratio, rtol=0.0, max_evals=None):
    """The footpoint Newton for one point, by the rules of :func:`offsetgeo.newton_footpoint`
    (the same tests, constants and linear algebra), with scalar control flow: see the module
    docstring of :mod:`offsetgeo._newton` for the rules and why there are two drivers.
    ``method="anderson"`` mixes the Gauss–Newton directions (:class:`_Anderson`) and is
    otherwise the same loop; ``rtol`` and ``max_evals`` (single point only) add the stop
    ``|r| ≤ rtol |r(θ_0)|`` and a cap on the oracle's evaluations."""
    xp = array_namespace(theta0)
    eps = finfo_eps(xp, theta0.dtype)
    d = theta0.shape[0]
    newton = method == "newton"
    mix = _Anderson(ANDERSON_MEMORY) if method == "anderson" else None
    stalls = 0
    secant = hessian == "secant"
    refresh = B is None
    ay, xn = abs(float(y)), norm(x)
    phi = theta0
    if F is None:
        F, G = oracle.point(phi)
    dx = phi - x
    r = (F - y) * G
    r += dx                                      # residual(phi, x, y, F, G), in place
    rn = norm(r)
    goal = max(tol, rtol * rn)
    dxx = row_dot(dx, dx)                        # |φ − x|², kept for D and the CG scale
    D = float(dxx + (F - y) ** 2)
    iters = backs = cgits = 0
    status = MAX_ITER
    for _ in range(max_iter):
        if rn <= goal:
            status = CONVERGED
            break
        if max_evals is not None and oracle.n >= max_evals:
            status = EVAL_CAP
            break
        gg = row_dot(G, G)                       # |G|², for |G| and every (I + G Gᵀ)⁻¹
        pn, aF, Gn = norm(phi), abs(float(F)), float(xp.sqrt(gg))
        floor = 8.0 * eps * (pn + xn + (aF + ay) * Gn)
        noise = 16.0 * eps * (D + math.sqrt(D) * (pn + xn + aF + ay))
        at_floor = rn <= floor
        alpha = F - y
        delta = -sherman_morrison(G, r, gg)
        newton_dir, step = False, None
        # hvps the cap leaves, keeping one evaluation for the trial point
        room = 2 * d if max_evals is None else max_evals - oracle.n - 1
        if newton and room >= (d if (dense and refresh) else (0 if dense else 1)):
            if dense:
                if refresh:
                    B = oracle.hessian(phi, G)
                M = xp.eye(d, dtype=phi.dtype) + G[:, None] * G[None, :] + alpha * B
                with np.errstate(all="ignore"):
                    step = solve_small(M[None, ...], -r[None, ...])[0, ...]
                good = bool(positive_definite(M[None, ...])[0]) and bool(xp.all(xp.isfinite(step)))
                rd = float(row_dot(r, step)) if good else math.nan
            else:
                def matvec(v):                   # v + G (G·v) + α ∇²F v, summed in place
                    Jv = G * row_dot(G, v)
                    Jv += v
                    Jv += alpha * oracle.hvp(phi, G, v)
                    return Jv

                scale = 1.0 + math.sqrt(float(dxx)) + abs(float(alpha)) * Gn
                forcing = max(min(math.sqrt(rn / scale), 0.5), 0.5 * max(goal, floor) / rn)
                # CG on -r starts from the Gauss–Newton direction delta = M⁻¹(-r), |-r| = rn
                step, k = conjugate_gradients(matvec, -r, min(forcing, 0.5), min(2 * d, room),
                                              lambda v: sherman_morrison(G, v, gg), precond_b=delta,
                                              b_norm=rn)
                cgits += k
                rd = float(row_dot(r, step))     # finite only if the step is
                if not (math.isfinite(rd) or bool(xp.all(xp.isfinite(step)))):
                    rd = math.nan
            if rd < 0:
                delta, newton_dir = step, True
        elif mix is not None:
            step = mix.step(phi, delta)
            rd = float(row_dot(r, step))
            if math.isfinite(rd) and rd < 0:
                delta = step
            else:                                # not a descent direction: restart the mixing
                mix.reset()
                mix.step(phi, delta)
        if not newton_dir and delta is not step:
            rd = float(row_dot(r, delta))
        dn = norm(delta)
        cap = 2.0 * math.sqrt(D)
        shrink = cap / dn if (dn > cap and cap > 0) else 1.0
        slope = rd * shrink
        if shrink != 1.0:
            delta = delta * shrink
        t = 1.0
        iters += 1
        while True:
            trial = phi + delta if t == 1.0 else phi + t * delta
            F_t, G_t = oracle.point(trial)
            dx_t = trial - x
            dxx_t = row_dot(dx_t, dx_t)
            D_t = float(dxx_t + (F_t - y) ** 2)
            r_t = (F_t - y) * G_t
            r_t += dx_t
            rn_t = norm(r_t)
            fine = math.isfinite(D_t)
            armijo = fine and D_t <= D + 2e-4 * t * slope and -2.0 * t * slope > noise
            flat = fine and D_t <= D + noise and rn_t <= (1.0 - 1e-4 * t) * rn
            if armijo or flat:
                break
            backs += 1
            capped = max_evals is not None and oracle.n >= max_evals
            if at_floor or 0.5 * t <= 1e-12 or capped:
                break
            t *= 0.5
        if not (armijo or flat):
            status = AT_FLOOR if at_floor else (EVAL_CAP if capped else LINE_SEARCH_FAILED)
            break
        if mix is not None:
            stalls = stalls + 1 if rn_t > ANDERSON_STALL * rn else 0
            if t < 1.0 or stalls >= 2:           # D is stiff here: Newton for the rest
                mix, newton = None, True
        if newton and dense and B is not None:
            if secant:
                B = psb_update(B[None, ...], (trial - phi)[None, ...], (G_t - G)[None, ...])[0, ...]
            refresh = not (newton_dir and t == 1.0 and rn_t <= reuse_ratio * rn)
        phi, F, G, r, rn, D, dxx = trial, F_t, G_t, r_t, rn_t, D_t, dxx_t
    else:
        status = CONVERGED if rn <= goal else MAX_ITER
    return phi, F, G, B, rn, goal, status, iters, backs, cgits


CERTIFY = ("auto", True, False)


def graph_function(objective, loss_scale: float):
    """The analytic graph ``λ f`` of an objective for global certificates, or None (no
    ``function``, or more than two variables). Scaled functions are kept on ``f``'s cache,
    so their sampled grids are reused from step to step."""
    fn = getattr(objective, "function", None)
    if fn is None or fn.dim > 2:
        return None
    if loss_scale == 1.0:
        return fn
    scaled = fn.cache("scaled")
    if loss_scale not in scaled:
        scaled[loss_scale] = fn.scaled(loss_scale)
    return scaled[loss_scale]


def default_max_iter(solver: str) -> int:
    """Iteration cap of a local solver: 50 for Newton, 500 for Gauss–Newton (linear rate)."""
    return 50 if solver == "newton" else 500


def check_solver_options(*, solver, loss_scale, tol, max_iter, dense_max, hessian, paper_steps,
                         paper_lr, certify="auto", rtol=0.0, max_evals=None) -> dict:
    """The solver options of :func:`solve_footpoint`, validated once (one-line errors)."""
    check_choice(solver, "solver", SOLVERS)
    if certify not in CERTIFY:
        raise ValueError(f"certify must be 'auto', True or False; got {certify!r}")
    check_choice(hessian, "hessian", HESSIANS)
    lam = check_positive(loss_scale, "loss_scale")
    if solver == "exact" and lam != 1.0:
        raise ValueError("solver='exact' supports loss_scale=1.0 only (the global projection "
                         "is computed on the graph of f itself)")
    return dict(solver=solver, loss_scale=lam, tol=check_positive(tol, "tol", allow_zero=True),
                max_iter=None if max_iter is None else check_count(max_iter, "max_iter"),
                dense_max=check_count(dense_max, "dense_max", minimum=0), hessian=hessian,
                paper_steps=check_count(paper_steps, "paper_steps"),
                paper_lr=check_positive(paper_lr, "paper_lr"), certify=certify,
                rtol=check_positive(rtol, "rtol", allow_zero=True),
                max_evals=None if max_evals is None else check_count(max_evals, "max_evals"))


def _exact(obj, x, y, theta0, *, lam, tol, resolution=None):
    fn = getattr(obj, "function", None)
    if fn is None:
        raise ValueError(
            "solver='exact' needs an objective with a `function` attribute (an offsetgeo.Function),"
            " e.g. rbo.objective(offsetgeo.Function('sin(x)')) or a loss from rbo.losses"
        )
    d = theta0.shape[0]
    z = np.concatenate([to_numpy(x).reshape(d), np.asarray(to_numpy(y), dtype=float).reshape(1)])
    res = global_footpoint(fn, z.reshape(1, d + 1), resolution=resolution, on_failure="ignore")
    phi = like(np.asarray(res.theta, dtype=float).reshape(d), theta0)
    oracle = ObjectiveOracle(obj, lam)
    F, G = oracle.point(phi)
    rn = norm(residual(phi, x, y, F, G))
    ok = bool(np.all(np.asarray(res.converged)))
    msg = "ambiguous: the point lies on the medial axis" if bool(res.ambiguous[0]) else ""
    return Footpoint(phi, F / lam, G / lam,
                     SolveInfo("exact", oracle.n, 1, rn, ok and rn <= max(tol, 1e-8), msg,
                               certified=True))


def solve_footpoint(objective, x, y, theta0, value0=None, grad0=None, *, solver: str = "newton",
                    loss_scale: float = 1.0, tol: float = 1e-10, rtol: float = 0.0,
                    max_iter: Optional[int] = None, max_evals: Optional[int] = None,
                    dense_max: int = 8, reuse_ratio: float = 1e-2, paper_steps: int = 100,
                    paper_lr: float = 1e-3, resolution=None, hess0=None,
                    hessian: str = "secant", certify="auto") -> Footpoint:
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
    solver : {"newton", "gauss-newton", "anderson", "paper", "exact"}
    loss_scale : float
        λ > 0.
    tol : float
        Stop when ``|r| ≤ tol``.
    rtol : float
        Also stop when ``|r| ≤ rtol |r_0|``, ``r_0 = r(theta0)``: for an RBO step
        ``|r_0| = η s² |∇F(θ_t)|``, so ``rtol`` is about the error of the step relative to its
        length, whatever the gradient's size (default 0: ``tol`` alone).
    max_iter : int, optional
        Default 50 (newton) or 500 (gauss-newton, anderson).
    max_evals : int, optional
        Local solvers: stop, unconverged (``message`` says so), once the solve has spent this
        many evaluations (the one at the returned point included; checked before each
        iteration and each backtrack, and CG is cut to what is left).
    dense_max : int
        Newton assembles the Hessian densely for ``d ≤ dense_max``; CG above.
    reuse_ratio : float
        Newton keeps its matrix for the next iteration when the residual shrank by this factor.
    paper_steps, paper_lr : int, float
        ``K`` and ``s`` of the authors' loop.
    resolution : optional
        Grid resolution of the global search (``"exact"``), see :func:`offsetgeo.footpoint`.
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
    certify : {"auto", True, False}
        ``newton`` and ``gauss-newton``: check that the local solution is a global nearest
        point, and move to the nearer one if not ("auto": where the objective has an analytic
        ``function`` of dimension ≤ 2; True: required, an error elsewhere).

    Returns
    -------
    footpoint : Footpoint

    See Also
    --------
    offsetgeo.newton_footpoint : the solver behind ``"newton"`` and ``"gauss-newton"``.
    offsetgeo.footpoint : the global projection behind ``"exact"``.

    Examples
    --------
    >>> from rbo import ArrayObjective
    >>> bowl = ArrayObjective(lambda t: (np.sum(t**2), 2 * t), hvp=lambda t, v: 2 * v)
    >>> fp = solve_footpoint(bowl, np.array([0.0]), 0.4, np.array([0.3]))
    >>> float(fp.theta[0]), fp.info.converged    # below the focal point 1/2: (0, 0) is nearest
    (0.0, True)
    >>> fp = solve_footpoint(bowl, np.array([0.0]), 1.0, np.array([0.3]))
    >>> round(float(fp.theta[0]), 9)             # above it: two footpoints ±sqrt(1/2)
    0.707106781
    """
    opts = check_solver_options(solver=solver, loss_scale=loss_scale, tol=tol, max_iter=max_iter,
                                dense_max=dense_max, hessian=hessian, paper_steps=paper_steps,
                                paper_lr=paper_lr, certify=certify, rtol=rtol, max_evals=max_evals)
    return _solve(objective, x, y, theta0, value0, grad0, hess0=hess0, reuse_ratio=reuse_ratio,
                  resolution=resolution, **opts)


def _solve(objective, x, y, theta0, value0, grad0, *, solver, loss_scale, tol, max_iter,
           dense_max, hessian, paper_steps, paper_lr, certify="auto", rtol=0.0, max_evals=None,
           hess0=None, reuse_ratio=1e-2, resolution=None) -> Footpoint:
    """:func:`solve_footpoint` with validated options (the optimizer validates them once)."""
    xp = array_namespace(theta0)
    if theta0.ndim != 1:
        raise ValueError(f"theta0 must be a flat array of shape (d,), got shape {theta0.shape}")
    if x.shape != theta0.shape:
        raise ValueError(f"x has shape {x.shape} but theta0 has shape {theta0.shape}")
    y = xp.asarray(y, dtype=theta0.dtype)
    lam = loss_scale
    if solver == "exact":
        return _exact(objective, x, y, theta0, lam=lam, tol=tol, resolution=resolution)
    oracle = ObjectiveOracle(objective, lam)
    d = theta0.shape[0]
    F0 = G0 = None
    if value0 is not None and grad0 is not None:
        F0, G0 = _scaled(lam, xp.asarray(value0, dtype=theta0.dtype), grad0)
    if solver == "paper":
        if F0 is None:
            F0, G0 = oracle.point(theta0)
        goal = max(tol, rtol * norm(residual(theta0, x, y, F0, G0)))
        phi, F, G = paper_projection(oracle.point, x, y, theta0, steps=paper_steps, lr=paper_lr,
                                     F0=F0, G0=G0)
        rn = norm(residual(phi, x, y, F, G))
        msg = "" if rn <= goal else "fixed K steps (authors' loop)"
        return Footpoint(phi, F / lam, G / lam,
                         SolveInfo("paper", oracle.n, paper_steps, rn, rn <= goal, msg))
    dense = d <= dense_max
    B0 = hess0 if (hess0 is not None and hessian == "secant" and dense) else None
    if max_iter is None:
        max_iter = default_max_iter(solver)
    phi, F, G, B, rn, goal, status, iters, backs, cgits = _local_solve(
        oracle, x, y, theta0, F0, G0, B0, method=solver, tol=tol, max_iter=max_iter,
        dense=dense, hessian=hessian, reuse_ratio=reuse_ratio, rtol=rtol, max_evals=max_evals)
    converged = status in (CONVERGED, AT_FLOOR)
    msg = _MESSAGES[status]
    if msg:
        msg = f"{msg} (|r| = {rn:.3g}, goal = {goal:.3g})"
    graph = graph_function(objective, lam) if certify else None
    if certify is True and graph is None:
        raise ValueError("certify=True needs an objective with an analytic `function` of one or "
                         "two variables (e.g. rbo.objective(offsetgeo.Function(...)))")
    keep = B if (solver == "newton" and dense) else None
    certified = False
    if graph is not None and converged:      # certificates are for stationary points
        z = np.concatenate([to_numpy(x), np.reshape(to_numpy(y), 1)])[None, :]
        cert = certify_footpoints(graph, z, to_numpy(phi)[None, :])
        certified = True
        if not bool(cert.certified[0]):      # a nearer basin: the ball rolls there
            phi = like(cert.theta[0], theta0)
            F, G = oracle.point(phi)
            rn = norm(residual(phi, x, y, F, G))
            converged = bool(cert.converged[0]) and rn <= max(tol, 1e-8)
            keep = None
            msg = "moved to the nearest footpoint (the local solution was not nearest)"
    info = SolveInfo(solver, oracle.n, iters, rn, converged, msg, cgits, backs, certified)
    return Footpoint(phi, *((F, G) if lam == 1.0 else (F / lam, G / lam)), info, keep)
