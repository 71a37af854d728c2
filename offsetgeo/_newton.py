"""The footpoint Newton: one safeguarded solver for ``min_φ D(φ) = |φ − x|² + (F(φ) − y)²``.

Written against the array API (NumPy, CuPy, array_api_strict) for a batch of problems
(rows), each rule below one method of :class:`_Rules`. It serves offsetgeo's global
projection (refining every candidate basin) and :func:`rbo.run_batched`. The single-point
solver of :func:`rbo.rolling_ball` (:mod:`rbo._footpoint`) follows the same rules with
scalar control flow and shares all the linear algebra (:mod:`offsetgeo._numerics`): running
one row through these masks costs an RBO step 1.5–2.2× its time (``benchmarks/bench_newton.py``),
beyond the 10 % allowed for sharing code. ``tests/test_rbo_batched.py`` checks that the two
give the same trajectories.

Per iteration, for every row still running:

1. **Stop** when the (projected) stationarity residual ``r = (φ − x) + (F − y) G`` has
   ``|r| ≤ tol`` — with ``flat_guard``, also a small last step (near a centre of curvature
   ``D`` is flat to fourth order: the residual is tiny while the location still moves);
   with ``escape_saddles``, not at a saddle of ``D`` (its Hessian has a negative eigenvalue):
   step off it along that eigenvector instead (on a face of the box: a feasible direction of
   negative curvature).
2. **Direction**: Newton, ``(I + G Gᵀ + (F − y) B) δ = −r`` with ``B`` the Hessian of ``F``
   (exact, a chord re-use after a fast contraction, or a Powell-symmetric-Broyden secant
   model), taken when that matrix is positive definite and ``δ`` descends; otherwise
   Gauss–Newton ``δ = −(I + G Gᵀ)⁻¹ r`` (Sherman–Morrison) or, with ``negative_curvature``,
   the Newton step of ``M + 2|λ_min(M)| I`` (beyond a centre of curvature ``D`` is nearly
   flat and Gauss–Newton steps creep; this step is long along the negative curvature). Large ``d``: conjugate gradients
   on Hessian-vector products, preconditioned by ``I + G Gᵀ``, with an inexact-Newton forcing
   term. Steps are capped at ``2 sqrt(D)`` (no minimiser is farther).
3. **Box constraints** (``lower``/``upper``): variables at a bound whose residual points out
   of the box are held (active set); the Newton system is solved on the free variables, trial
   points are projected onto the box, and the residual is the projected one (KKT).
4. **Line search** (backtracking): accept an Armijo decrease of ``D`` that ``D`` can resolve,
   or — where ``D`` is flat to round-off, ``|ΔD| ≤ 16 eps (D + sqrt(D)(|φ| + |x| + |F| + |y|))`` —
   a decrease of ``|r|``. At the round-off floor of the residual,
   ``8 eps (|φ| + |x| + (|F| + |y|) |G|)``, only the full step is tried.
5. A row whose line search fails stops: converged if its residual is within ``accept_tol``
   or (``accept_floor``) at the round-off floor, failed otherwise. After ``max_iter``: converged iff within
   ``accept_tol``.

Evaluations are counted per row: one per ``evaluate`` (value and gradient; a Hessian with it
when the oracle computes one eagerly is free), ``oracle.hessian_cost`` per assembled
Hessian, one per Hessian-vector product.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from array_api_compat import is_numpy_array

from ._numerics import (array_namespace, conjugate_gradients, positive_definite,
                        psb_update, row_dot, sherman_morrison, smallest_eigenvalue, solve_small)
from ._results import Result

__all__ = ["newton_footpoint", "NewtonResult", "FunctionOracle", "STATUS"]

#: status codes of :class:`NewtonResult`
RUNNING, CONVERGED, AT_FLOOR, STUCK, LINE_SEARCH_FAILED, MAX_ITER = range(6)
STATUS = {RUNNING: "running", CONVERGED: "", AT_FLOOR: "stopped at the round-off floor of the "
          "residual: a Newton step no longer decreases it", STUCK: "accepted: no further "
          "decrease possible, residual within accept_tol", LINE_SEARCH_FAILED: "line search "
          "failed (no decrease of D or, within its round-off, of |r|)",
          MAX_ITER: "not converged within max_iter iterations"}


@dataclass(frozen=True, eq=False)
class NewtonResult(Result):
    """Footpoint Newton for a batch of ``n`` problems (arrays in the namespace of ``phi0``).

    Attributes
    ----------
    theta : array (n, d)
        The solution φ of each row.
    value, grad : array (n,), (n, d)
        ``F`` and ``∇F`` there (the oracle's, i.e. scaled, units).
    converged : array of bool (n,)
    residual : array (n,)
        ``|r|`` at ``theta`` (projected on the active faces of the box, if any).
    evals : array of int (n,)
        Evaluations spent (see the module docstring).
    iterations, backtracks, cg_iterations : array of int (n,)
    status : array of int (n,)
        Codes of :data:`STATUS` (``message`` gives the texts).
    hessian : array (n, d, d) or None
        The Hessian model at ``theta`` (dense solves; to warm-start a next solve).
    """

    theta: Any
    value: Any
    grad: Any
    converged: Any
    residual: Any
    evals: Any
    iterations: Any
    backtracks: Any
    cg_iterations: Any
    status: Any
    hessian: Any = None

    @property
    def message(self) -> list:
        """Why each row stopped (``""`` for a plain convergence)."""
        return [STATUS[int(s)] for s in self.status]


class FunctionOracle:
    """Oracle for an :class:`~offsetgeo.Function` (NumPy): value, gradient and Hessian from
    one tape evaluation, so the Hessian comes free with every evaluation."""

    eager_hessian = True
    hessian_cost = 0

    def __init__(self, f):
        self.f = f

    def evaluate(self, phi):
        return self.f.evaluate(phi, 2)


def _finfo_eps(xp, dtype) -> float:
    try:
        return float(xp.finfo(dtype).eps)
    except (AttributeError, TypeError):  # pragma: no cover - namespaces without finfo
        return 2.220446049250313e-16


def _quiet():
    """Silence NumPy's floating-point warnings: non-finite trials are rejected explicitly."""
    return np.errstate(all="ignore")


class _Subset:
    """The rows of a batch selected by a boolean mask: ``take`` them from full arrays and
    ``put`` results back. NumPy writes in place; other namespaces (no item assignment in the
    array API) spread the rows with ``take`` and ``where``. All rows: both are no-ops."""

    def __init__(self, xp, mask):
        self.xp, self.mask = xp, mask
        self.all = bool(xp.all(mask))
        self.any = self.all or bool(xp.any(mask))
        if not self.all:
            self.idx = xp.nonzero(mask)[0]
            self.numpy = is_numpy_array(mask)
            if not self.numpy:
                pos = xp.cumulative_sum(xp.astype(mask, xp.int64)) - 1
                self.pos = xp.clip(pos, 0, max(int(self.idx.shape[0]) - 1, 0))

    def take(self, a):
        return a if self.all else self.xp.take(a, self.idx, axis=0)

    def put(self, full, part):
        if self.all:
            return part
        if self.numpy:
            full[self.idx] = part
            return full
        xp = self.xp
        shape = (full.shape[0],) + (1,) * (full.ndim - 1)
        return xp.where(xp.reshape(self.mask, shape), xp.take(part, self.pos, axis=0), full)


class _Rules:
    """Every rule of the solver (see the module docstring), applied to rows (m, d)."""

    def __init__(self, xp, oracle, d, dtype, *, method, hessian, dense, lower, upper,
                 reuse_ratio, accept_floor, flat_guard, escape_saddles,
                 negative_curvature=False):
        self.xp, self.oracle, self.d = xp, oracle, d
        self.eps = _finfo_eps(xp, dtype)
        self.eager = bool(getattr(oracle, "eager_hessian", False))
        self.hcost = int(getattr(oracle, "hessian_cost", d))
        self.newton = method == "newton"
        self.dense = dense
        self.modelled = self.newton and dense and not self.eager
        self.secant = hessian == "secant"
        self.reuse_ratio = reuse_ratio
        self.accept_floor = accept_floor
        self.flat_guard = flat_guard
        self.escape_saddles = escape_saddles and self.eager and self.newton and dense
        self.negative_curvature = negative_curvature and self.newton and dense
        self.bounded = lower is not None
        if self.bounded:
            self.lo, self.hi = xp.asarray(lower, dtype=dtype), xp.asarray(upper, dtype=dtype)
        self.eye = xp.eye(d, dtype=dtype)

    # -- residuals, round-off levels, stopping ------------------------------------------

    def norm(self, a):
        return self.xp.sqrt(row_dot(a, a))

    def raw_residual(self, p, x, y, F, G):
        return (p - x) + (F - y)[:, None] * G

    def residual(self, p, x, y, F, G):
        """``r`` projected on the box: components pushing out at an active face vanish."""
        r = self.raw_residual(p, x, y, F, G)
        if self.bounded:
            r = self.xp.where(self.blocked(p, r), 0.0, r)
        return r

    def blocked(self, p, r):
        return ((p <= self.lo) & (r > 0)) | ((p >= self.hi) & (r < 0))

    def distance2(self, p, x, y, F):
        dx = p - x
        return row_dot(dx, dx) + (F - y) ** 2

    def roundoff(self, D, pn, xn, F, y, G):
        """Round-off levels from ``|φ|``, ``|x|``: of ``|r|`` (its floor),
        ``8 eps (|φ| + |x| + (|F| + |y|) |G|)``, and of ``D``,
        ``16 eps (D + sqrt(D)(|φ| + |x| + |F| + |y|))``."""
        xp = self.xp
        fy = xp.abs(F) + xp.abs(y)
        floor = 8.0 * self.eps * (pn + xn + fy * self.norm(G))
        noise = 16.0 * self.eps * (D + xp.sqrt(D) * (pn + xn + fy))
        return floor, noise

    def stop(self, rn, tol, last, p):
        done = rn <= tol
        if self.flat_guard:
            # near a centre of curvature D is flat to fourth order: also a small last step
            small = last <= 1e-9 * (1.0 + self.xp.max(self.xp.abs(p), axis=-1))
            done = done & (small | (rn <= 1e-3 * tol))
        return done

    def saddle(self, p, x, y, F, G, B, stop):
        """Rows that passed the stopping test at a saddle of D, and the unit direction of
        D's most negative curvature to leave it by. In a box only feasible directions count:
        variables held at a bound (residual pointing out) stay; the eigenvector of D's
        Hessian on the others, signed to point into the box, or else on the variables at no
        bound."""
        xp = self.xp
        M = self.eye + G[:, :, None] * G[:, None, :] + (F - y)[:, None, None] * B
        big = xp.max(xp.abs(xp.reshape(B, (B.shape[0], -1))), axis=1)
        threshold = -1e-10 * (1.0 + xp.abs(F - y) * big)
        out = stop & (smallest_eigenvalue(M) < threshold)
        if not bool(xp.any(out)):
            return out, None
        sub = _Subset(xp, out)           # directions for those rows only
        M, p, thr = sub.take(M), sub.take(p), sub.take(threshold)
        if not self.bounded:
            lam, vecs = xp.linalg.eigh(M)
            curv, vec = lam[:, 0], vecs[:, :, 0]
        else:
            lo, hi = p <= self.lo, p >= self.hi
            held = self.blocked(p, self.raw_residual(p, sub.take(x), sub.take(y), sub.take(F),
                                                     sub.take(G)))
            curv, vec = self._restricted_eigen(M, ~held)
            vec = xp.where(xp.any((lo & (vec < 0)) | (hi & (vec > 0)), axis=1)[:, None], -vec,
                           vec)
            infeasible = xp.any((lo & (vec < 0)) | (hi & (vec > 0)), axis=1)
            if bool(xp.any(infeasible)):
                curv_i, vec_i = self._restricted_eigen(M, ~(lo | hi))
                curv = xp.where(infeasible, curv_i, curv)
                vec = xp.where(infeasible[:, None], vec_i, vec)
        escape = sub.put(xp.zeros_like(out), curv < thr)
        away = sub.put(xp.zeros((out.shape[0], self.d), dtype=G.dtype), vec)
        return escape, away

    def _restricted_eigen(self, M, free):
        """Smallest eigenvalue and its eigenvector of ``M`` restricted to the ``free``
        variables (the others get the identity, so the eigenvector vanishes on them when
        the eigenvalue is below 1)."""
        xp = self.xp
        P = xp.astype(free, M.dtype)
        lam, vecs = xp.linalg.eigh(P[:, :, None] * M * P[:, None, :]
                                   + (1.0 - P)[:, :, None] * self.eye)
        return lam[:, 0], vecs[:, :, 0]

    # -- direction ------------------------------------------------------------------------

    def hessian(self, p, G):
        H = self.oracle.hessian(p, G)
        return 0.5 * (H + self.xp.matrix_transpose(H))

    def direction(self, p, x, y, F, G, r, rn, B, tol, floor):
        """Newton (dense or CG) where it is defined and descends, else Gauss–Newton, on the
        free variables. Returns ``(delta, newton_dir, hvps)``."""
        xp = self.xp
        m = p.shape[0]
        alpha = F - y
        free = None
        Gf = G
        if self.bounded:
            free = ~self.blocked(p, self.raw_residual(p, x, y, F, G))
            Gf = xp.where(free, G, 0.0)
        hvps = xp.zeros((m,), dtype=xp.int64)
        if not self.newton:
            return -sherman_morrison(Gf, r), xp.zeros((m,), dtype=xp.bool), hvps
        if self.dense:
            M = self.eye + Gf[:, :, None] * Gf[:, None, :] + alpha[:, None, None] * B
            if free is not None:
                P = xp.astype(free, M.dtype)
                M = P[:, :, None] * M * P[:, None, :] + (1.0 - P)[:, :, None] * self.eye
            step = solve_small(M, -r)
            good = positive_definite(M) & xp.all(xp.isfinite(step), axis=1)
            if self.negative_curvature and not bool(xp.all(good)):
                step, good = self.shifted_step(M, r, step, good)
        else:   # CG row by row (large d: batches are rare, one CG serves both drivers)
            steps, counts = [], []
            for i in range(m):
                pi, Gi, Gfi, ai = p[i, ...], G[i:i + 1, ...], Gf[i, ...], alpha[i]

                def matvec(v, pi=pi, Gi=Gi, Gfi=Gfi, ai=ai):
                    return v + Gfi * row_dot(Gfi, v) + ai * self.oracle.hvp(pi[None, ...], Gi,
                                                                            v[None, ...])[0, ...]

                rni = float(rn[i])
                scale = 1.0 + float(self.norm(p[i:i + 1] - x[i:i + 1])[0]) + \
                    abs(float(ai)) * float(self.norm(Gi)[0])
                forcing = max(min(math.sqrt(rni / scale), 0.5),
                              0.5 * max(float(tol[i]), float(floor[i])) / rni) if rni > 0 else 0.5
                u, k = conjugate_gradients(matvec, -r[i, ...], min(forcing, 0.5), 2 * self.d,
                                           lambda v, Gfi=Gfi: sherman_morrison(Gfi, v))
                steps.append(u)
                counts.append(k)
            step = xp.stack(steps)
            hvps = xp.asarray(counts, dtype=xp.int64)
            good = xp.all(xp.isfinite(step), axis=1)
        newton_dir = good & (row_dot(r, xp.where(good[:, None], step, 0.0)) < 0)
        if bool(xp.all(newton_dir)):
            return step, newton_dir, hvps
        return xp.where(newton_dir[:, None], step, -sherman_morrison(Gf, r)), newton_dir, hvps

    def shifted_step(self, M, r, step, good):
        """Where ``M`` is not positive definite: the Newton step of ``M + μ I`` with
        ``μ = 2 |λ_min(M)|`` (plus a trace of ``‖M‖``), long along D's negative curvature
        where Gauss–Newton would creep (``D`` nearly flat beyond a centre of curvature)."""
        xp = self.xp
        lam = smallest_eigenvalue(M)
        size = xp.max(xp.abs(xp.reshape(M, (M.shape[0], -1))), axis=1)
        mu = xp.where(xp.isfinite(lam), -2.0 * xp.minimum(lam, 0.0) + 1e-12 * (1.0 + size), 0.0)
        alt = solve_small(M + mu[:, None, None] * self.eye, -r)
        use = ~good & xp.isfinite(lam) & xp.all(xp.isfinite(alt), axis=1)
        return xp.where(use[:, None], alt, step), good | use

    def escape_step(self, vec, p):
        """A step of length 1e-3 (1 + |φ|) along ``vec`` (unit; from :meth:`saddle`)."""
        xp = self.xp
        return (1e-3 * (1.0 + xp.max(xp.abs(p), axis=-1)))[:, None] * vec

    def cap(self, delta, r, D, escape):
        """Cap steps at ``2 sqrt(D)`` (no minimiser is farther); the slope ``r·δ`` (0 for an
        escape step)."""
        xp = self.xp
        cap = 2.0 * xp.sqrt(D)
        dn = self.norm(delta)
        shrink = xp.where((dn > cap) & (cap > 0), cap / xp.where(dn > 0, dn, 1.0), 1.0)
        slope = row_dot(r, delta) * shrink
        if escape is not None:
            slope = xp.where(escape, 0.0, slope)
        return delta * shrink[:, None], slope

    # -- line search and updates --------------------------------------------------------

    def trial(self, p, t, delta):
        out = p + t[:, None] * delta
        return self.xp.clip(out, self.lo, self.hi) if self.bounded else out

    def accept(self, trial, t, x, y, Ft, Gt, slope, D, noise, rn, escape):
        """Armijo decrease of D that D can resolve; or, where D is flat to round-off, a
        decrease of ``|r|`` (escape steps: no rise of D). Returns ``(ok, r_t, D_t)``."""
        xp = self.xp
        Dt = self.distance2(trial, x, y, Ft)
        fine = xp.isfinite(Dt)
        armijo = fine & (Dt <= D + 2e-4 * t * slope) & (-2.0 * t * slope > noise)
        rt = self.residual(trial, x, y, Ft, Gt)
        rn_t = self.norm(rt)
        better = rn_t <= (1.0 - 1e-4 * t) * rn
        if escape is not None:
            armijo, better = armijo & ~escape, better | escape
        return armijo | (fine & (Dt <= D + noise) & better), rt, rn_t, Dt

    def model(self, B, refresh, accepted, p_new, p, G_new, G, newton_dir, t, rn_new, rn):
        """Secant update of the Hessian model and whether to re-assemble it next time."""
        xp = self.xp
        if self.secant:
            B = xp.where(accepted[:, None, None], psb_update(B, p_new - p, G_new - G), B)
        fast = newton_dir & (t == 1.0) & (rn_new <= self.reuse_ratio * rn)
        return B, xp.where(accepted, ~fast, refresh)


def newton_footpoint(oracle, x, y, phi0, *, tol, value0=None, grad0=None, hess0=None,
                     method: str = "newton", hessian: str = "exact", dense: bool = True,
                     lower=None, upper=None, max_iter: int = 50, reuse_ratio: float = 1e-2,
                     accept_tol=None, accept_floor: bool = True, flat_guard: bool = False,
                     escape_saddles: bool = False,
                     negative_curvature: bool = False) -> NewtonResult:
    """Solve ``min_φ |φ − x|² + (F(φ) − y)²`` for each row, from ``phi0`` (see the module).

    Parameters
    ----------
    oracle : object
        ``evaluate(phi) -> (F, G)``, or ``(F, G, H)`` when ``oracle.eager_hessian`` is true,
        for ``phi`` (m, d); ``hessian(phi, G) -> H`` (m, d, d), costing ``oracle.hessian_cost``
        evaluations per row (dense Newton without an eager Hessian); ``hvp(phi, G, V) -> H V``
        (m, d) (CG).
    x : array (n, d)
    y : array (n,)
    phi0 : array (n, d)
        Starting points (their namespace is the solver's).
    tol : float or array (n,)
        Absolute tolerance on the residual ``|r|``.
    value0, grad0 : array (n,), (n, d), optional
        ``F``, ``G`` at ``phi0`` if known (not counted).
    hess0 : array (n, d, d), optional
        A Hessian model at ``phi0`` (``hessian="secant"``); rows of NaN are unknown (the
        Hessian is assembled for them).
    method : {"newton", "gauss-newton"}
    hessian : {"exact", "secant"}
        Without an eager oracle: ``"exact"`` assembles ``B`` after every iteration that did
        not contract ``|r|`` by ``reuse_ratio`` (else a chord step); ``"secant"`` starts from
        ``hess0`` and updates ``B`` by PSB, re-assembling it on the same rule.
    dense : bool
        Dense Newton solves (``d`` small) or CG on Hessian-vector products.
    lower, upper : array (d,), optional
        A box confining ``φ``.
    max_iter : int
    reuse_ratio : float
    accept_tol : float or array (n,), optional
        Residual accepted when no further progress is possible (default ``tol``).
    accept_floor : bool
        Also accept, when no further progress is possible, a residual at its round-off floor
        (a ``tol`` below what floating point can resolve; status ``AT_FLOOR``).
    flat_guard, escape_saddles : bool
        See the module docstring (``escape_saddles`` needs an eager oracle).
    negative_curvature : bool
        Where the Newton matrix is not positive definite, step with ``M + 2|λ_min| I``
        instead of Gauss–Newton (dense Newton only; see the module docstring).

    Returns
    -------
    result : NewtonResult

    See Also
    --------
    footpoint : the global projection (d ≤ 2), which refines its candidates with this.

    Examples
    --------
    >>> from offsetgeo import Function
    >>> f = Function("x**2")
    >>> r = newton_footpoint(FunctionOracle(f), np.array([[0.0]]), np.array([1.0]),
    ...                      np.array([[0.5]]), tol=1e-13)
    >>> round(float(r.theta[0, 0]), 12), bool(r.converged[0])   # √(1/2): (0, 1) is above 1/2
    (0.707106781187, True)
    """
    xp = array_namespace(phi0)
    n, d = phi0.shape
    dtype = phi0.dtype
    R = _Rules(xp, oracle, d, dtype, method=method, hessian=hessian, dense=dense, lower=lower,
               upper=upper, reuse_ratio=reuse_ratio, accept_floor=accept_floor,
               flat_guard=flat_guard, escape_saddles=escape_saddles,
               negative_curvature=negative_curvature)
    tol = _per_row(xp, tol, n, dtype)
    acc = tol if accept_tol is None else _per_row(xp, accept_tol, n, dtype)
    phi = xp.asarray(phi0, copy=True)
    evals = xp.zeros((n,), dtype=xp.int64)
    if value0 is None or grad0 is None:
        out = oracle.evaluate(phi)
        F, G = out[0], out[1]
        B = out[2] if R.eager else None
        evals = evals + 1
    else:
        F, G = xp.asarray(value0, dtype=dtype, copy=True), xp.asarray(grad0, copy=True)
        B = oracle.evaluate(phi)[2] if (R.eager and R.newton) else None
    refresh = xp.zeros((n,), dtype=xp.bool)
    if R.modelled:
        if hess0 is not None and R.secant:
            # rows of NaN are unknown models (e.g. a ball that moved to another basin)
            unknown = xp.any(xp.isnan(xp.reshape(hess0, (n, -1))), axis=1)
            B = xp.where(unknown[:, None, None], 0.0, hess0)
            refresh = unknown
        else:
            B = xp.zeros((n, d, d), dtype=dtype)
            refresh = xp.ones((n,), dtype=xp.bool)
    state = dict(phi=phi, F=F, G=G, B=B, refresh=refresh, evals=evals, tol=tol, acc=acc)
    with _quiet():   # non-finite trials are rejected explicitly
        parts = _solve_batch(R, x, y, state, max_iter)
    return NewtonResult(parts["phi"], parts["F"], parts["G"], parts["conv"], parts["rn"],
                        parts["evals"], parts["iters"], parts["backs"], parts["cg"],
                        parts["status"], parts["B"] if (R.newton and dense) else None)


def _per_row(xp, value, n, dtype):
    if isinstance(value, (int, float)):
        return xp.full((n,), float(value), dtype=dtype)
    return xp.broadcast_to(xp.asarray(value, dtype=dtype), (n,))


def _solve_batch(R, x, y, s, max_iter):
    """All rows at once, with masks (the running rows are gathered, solved, scattered back)."""
    xp = R.xp
    n = x.shape[0]
    phi, F, G, B, refresh = s["phi"], s["F"], s["G"], s["B"], s["refresh"]
    evals, tol_all, acc_all = s["evals"], s["tol"], s["acc"]
    r = R.residual(phi, x, y, F, G)
    rn = R.norm(r)
    D = R.distance2(phi, x, y, F)
    x_norm = R.norm(x)
    last = xp.full((n,), float("inf"), dtype=phi.dtype)
    done = xp.zeros((n,), dtype=xp.bool)
    conv = xp.zeros((n,), dtype=xp.bool)
    status, iters, backs, cgits = (xp.zeros((n,), dtype=xp.int64) for _ in range(4))
    for _ in range(max_iter):
        act = _Subset(xp, ~done)
        if not act.any:
            break
        p, xa, ya, Fa, Ga = (act.take(a) for a in (phi, x, y, F, G))
        ra, rna, Da, tola, acca = (act.take(a) for a in (r, rn, D, tol_all, acc_all))
        Ba = act.take(B) if B is not None else None
        m = p.shape[0]
        code = lambda k: xp.full((m,), k, dtype=xp.int64)  # noqa: E731
        stop = R.stop(rna, tola, act.take(last), p)
        escape = None
        # rows about to be accepted (stopping, or within accept_tol should the line search
        # fail) must not sit at a saddle of D
        near = (stop | (rna <= acca)) if R.escape_saddles else None
        if R.escape_saddles and bool(xp.any(near)):
            escape, away = R.saddle(p, xa, ya, Fa, Ga, Ba, near)
            if bool(xp.any(escape)):
                stop = stop & ~escape
            else:
                escape = None
        moving = ~stop
        floor, noise = R.roundoff(Da, R.norm(p), act.take(x_norm), Fa, ya, Ga)
        at_floor = rna <= floor
        spent = xp.zeros((m,), dtype=xp.int64)
        if R.modelled:
            need = act.take(refresh) & moving
            if bool(xp.any(need)):
                sub = _Subset(xp, need)
                Ba = sub.put(Ba, R.hessian(sub.take(p), sub.take(Ga)))
                spent = spent + xp.astype(need, xp.int64) * R.hcost
        delta, newton_dir, hvps = R.direction(p, xa, ya, Fa, Ga, ra, rna, Ba, tola, floor)
        spent = spent + hvps
        if escape is not None:
            delta = xp.where(escape[:, None], R.escape_step(away, p), delta)
        delta, slope = R.cap(delta, ra, Da, escape)
        # backtracking line search, all moving rows at once
        t = xp.ones((m,), dtype=p.dtype)
        accepted = xp.zeros((m,), dtype=xp.bool)
        n_back = xp.zeros((m,), dtype=xp.int64)
        pending = xp.asarray(moving, copy=True)
        new_p, new_F, new_G, new_r, new_rn, new_D = (xp.asarray(a, copy=True)
                                                     for a in (p, Fa, Ga, ra, rna, Da))
        new_B = xp.asarray(Ba, copy=True) if (R.eager and Ba is not None) else None
        while bool(xp.any(pending)):
            pend = _Subset(xp, pending)
            tt = pend.take(t)
            trial = R.trial(pend.take(p), tt, pend.take(delta))
            out = R.oracle.evaluate(trial)
            ok, rt, rn_t, Dt = R.accept(trial, tt, pend.take(xa), pend.take(ya), out[0], out[1],
                                        pend.take(slope), pend.take(Da), pend.take(noise),
                                        pend.take(rna),
                                        None if escape is None else pend.take(escape))
            keep = ok[:, None]
            new_p = pend.put(new_p, xp.where(keep, trial, pend.take(new_p)))
            new_F = pend.put(new_F, xp.where(ok, out[0], pend.take(new_F)))
            new_G = pend.put(new_G, xp.where(keep, out[1], pend.take(new_G)))
            new_r = pend.put(new_r, xp.where(keep, rt, pend.take(new_r)))
            new_rn = pend.put(new_rn, xp.where(ok, rn_t, pend.take(new_rn)))
            new_D = pend.put(new_D, xp.where(ok, Dt, pend.take(new_D)))
            if new_B is not None:
                new_B = pend.put(new_B, xp.where(ok[:, None, None], out[2], pend.take(new_B)))
            fail = ~ok & (pend.take(at_floor) | (0.5 * tt <= 1e-12))
            spent = spent + xp.astype(pending, xp.int64)
            accepted = pend.put(accepted, ok)
            n_back = pend.put(n_back, pend.take(n_back) + xp.astype(~ok, xp.int64))
            t = pend.put(t, xp.where(ok, tt, 0.5 * tt))
            pending = pend.put(pending, ~ok & ~fail)
        failed = moving & ~accepted
        if R.modelled:
            Ba, ref = R.model(Ba, act.take(refresh), accepted, new_p, p, new_G, Ga, newton_dir,
                              t, new_rn, rna)
            refresh = act.put(refresh, ref)
        elif new_B is not None:
            Ba = new_B
        finished = stop | failed
        if bool(xp.any(finished)):
            stuck_acc = failed & (rna <= acca)
            stuck_floor = failed & ~stuck_acc & at_floor & R.accept_floor
            st = xp.where(stop, code(CONVERGED), xp.zeros((m,), dtype=xp.int64))
            st = xp.where(stuck_acc, code(STUCK), st)
            st = xp.where(stuck_floor, code(AT_FLOOR), st)
            st = xp.where(failed & ~stuck_acc & ~stuck_floor, code(LINE_SEARCH_FAILED), st)
            conv = act.put(conv, stop | stuck_acc | stuck_floor)
            status = act.put(status, st)
            done = act.put(done, finished)
        phi = act.put(phi, new_p)
        F, G = act.put(F, new_F), act.put(G, new_G)
        if B is not None:
            B = act.put(B, Ba)
        r = act.put(r, new_r)
        rn = act.put(rn, new_rn)
        D = act.put(D, new_D)
        if R.flat_guard:
            last = act.put(last, xp.where(accepted, R.norm(new_p - p), act.take(last)))
        evals = act.put(evals, act.take(evals) + spent)
        iters = act.put(iters, act.take(iters) + xp.astype(moving, xp.int64))
        backs = act.put(backs, act.take(backs) + n_back)
        cgits = act.put(cgits, act.take(cgits) + hvps)
    running = ~done
    if bool(xp.any(running)):
        ok = rn <= acc_all
        conv = xp.where(running, ok, conv)
        status = xp.where(running, xp.where(ok, xp.full_like(status, CONVERGED),
                                            xp.full_like(status, MAX_ITER)), status)
    return dict(phi=phi, F=F, G=G, B=B, conv=conv, rn=rn, evals=evals, iters=iters,
                backs=backs, cg=cgits, status=status)
