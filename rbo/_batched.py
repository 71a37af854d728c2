"""Many independent rolling balls at once on a low-dimensional loss (vectorised NumPy).

For (ρ, η, start) sweeps: ``n`` balls, each with its own radius, learning rate and start,
advance together. Each step computes every ball's candidate centre with the same function as
:func:`rbo.rolling_ball` (:func:`step_target`), projects all of them with the same solver
(:func:`offsetgeo.newton_footpoint` for ``newton``/``gauss-newton``, the authors' loop for
``paper``) and certifies the contact points global with the same check
(:func:`offsetgeo.certify_footpoints`), vectorised over the balls, with the same options and
the same per-ball Hessian models carried from step to step; so a ball of a batch follows the
trajectory of :func:`rbo.run` with the same settings, bit for bit.

The objective must offer ``batch_value_and_grad(X)`` and (for Newton) ``batch_hess(X)`` on
``X`` of shape ``(n, d)`` — :class:`rbo.FunctionObjective` does.  Evaluations are counted
per ball with the same rule as everywhere (``value_and_grad`` = 1, a Hessian = d
Hessian-vector products = d).
"""
from __future__ import annotations

import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple, Optional

import numpy as np

from offsetgeo import certify_footpoints, newton_footpoint
from offsetgeo._results import Result
from offsetgeo._validation import check_count, check_failure_policy
from offsetgeo.exceptions import ConvergenceError, NonConvergenceWarning

from ._footpoint import (BatchOracle, check_solver_options, default_max_iter, graph_function,
                         paper_projection)
from ._rolling_ball import step_target

__all__ = ["BatchTrajectory", "BatchState", "run_batched"]


class BatchState(NamedTuple):
    """The steps of a batch so far, one record per row (what ``run_batched(..., resume=)``
    needs): ``(theta, F, ∇F, Hessian models, evals, residual, converged, certified)``."""

    records: tuple

    @property
    def theta(self):
        return self.records[-1][0]

    @property
    def count(self) -> int:
        return len(self.records) - 1


@dataclass(frozen=True)
class BatchTrajectory(Result):
    """The recorded run of ``n`` balls (``T`` steps done).

    Attributes
    ----------
    theta : ndarray (T+1, n, d)
    loss, evals, residual : ndarray (T+1, n)
        ``evals`` cumulative; ``residual`` NaN in row 0.
    converged, certified : ndarray of bool (T+1, n)
        The footpoint solve met its tolerance; the contact point is certified global.
    lr, radius : ndarray (n,)
    status : str
        ``"completed"``, ``"unconverged"``, ``"callback"`` or ``"interrupted"``.
    message : str
    wall_time : float
    state : BatchState
    """

    theta: np.ndarray
    loss: np.ndarray
    evals: np.ndarray
    residual: np.ndarray
    converged: np.ndarray
    certified: np.ndarray
    lr: np.ndarray
    radius: np.ndarray
    status: str = "completed"
    message: str = ""
    wall_time: float = 0.0
    state: Any = field(default=None, repr=False)

    @property
    def steps(self) -> int:
        return int(self.theta.shape[0]) - 1


def _per_ball(name, v, n):
    try:
        a = np.broadcast_to(np.asarray(v, dtype=float), (n,)).copy()
    except ValueError:
        raise ValueError(f"{name} must be a number or an array of shape ({n},) (one per ball), "
                         f"got shape {np.shape(v)}") from None
    if not np.all(np.isfinite(a) & (a > 0)):
        raise ValueError(f"{name} must be positive (a number or an array of shape ({n},))")
    return a


def _certify(graph, oracle, x, y, X, F, G, hess, ev, rn, ok, tol):
    """Move every ball whose (converged) contact point is not the nearest to the nearest one;
    returns the certified mask too."""
    checked = ok.copy()
    cert = certify_footpoints(graph, np.column_stack([x, y])[checked], X[checked])
    moved = np.zeros_like(ok)
    moved[checked] = ~cert.certified
    if np.any(moved):
        theta = np.empty_like(X)
        theta[checked] = cert.theta
        converged = np.ones_like(ok)
        converged[checked] = cert.converged
    if np.any(moved):
        X, F, G = X.copy(), F.copy(), G.copy()
        X[moved] = theta[moved]
        F[moved], G[moved] = oracle.evaluate(X[moved])
        rn, ok, ev = rn.copy(), ok.copy(), ev + moved
        rn[moved] = np.linalg.norm((X[moved] - x[moved]) + (F[moved] - y[moved])[:, None] * G[moved],
                                   axis=1)
        ok[moved] = converged[moved] & (rn[moved] <= max(tol, 1e-8))
        if hess is not None:
            hess = hess.copy()
            hess[moved] = np.nan        # the model of the old basin: re-assembled next step
    return X, F, G, hess, ev, rn, ok, checked


def run_batched(objective, theta0, *, lr, radius, steps: int, solver: str = "newton",
                loss_scale: float = 1.0, tol: float = 1e-10, max_iter=None,
                dense_max: int = 8, hessian: str = "secant", paper_steps: int = 100,
                paper_lr: float = 1e-3, certify="auto", callback: Optional[Callable] = None,
                progress: bool = False, progress_every: int = 100, on_failure: str = "warn",
                resume: Optional[BatchTrajectory] = None) -> BatchTrajectory:
    """Run ``n`` independent footpoint-variant RBOs at once.

    Parameters
    ----------
    objective
        With ``batch_value_and_grad`` / ``batch_hess`` (e.g. a loss from :mod:`rbo.losses`).
    theta0 : array (n, d) or (n,) when d = 1
        Ignored (may be None) with ``resume``.
    lr, radius : float or array (n,)
    steps : int
        Steps to take (more steps, with ``resume``).
    solver : {"newton", "gauss-newton", "paper"}
    loss_scale, tol, max_iter, dense_max, hessian, paper_steps, paper_lr, certify
        As for :func:`rolling_ball`.
    callback : callable, optional
        ``callback(t, state)`` after each step; return True to stop.
    progress : bool
        Print a line to stderr every ``progress_every`` steps.
    on_failure : {"warn", "raise", "stop", "ignore"}
        When a ball's footpoint solve misses its tolerance, as for :func:`run`.
    resume : BatchTrajectory, optional
        Continue a previous batch from its last state (the result holds the old rows too).

    Returns
    -------
    trajectory : BatchTrajectory
        Ctrl-C returns the steps done (``status="interrupted"``).

    See Also
    --------
    run : one ball, any optimizer.

    Examples
    --------
    >>> import rbo
    >>> bt = run_batched(rbo.losses.sine(), np.array([0.0, 1.0, 2.0]), lr=0.1,
    ...                  radius=np.array([0.1, 0.5, 2.0]), steps=20)
    >>> bt.theta.shape, bool(bt.converged[1:].all()), bool(bt.certified[1:].all())
    ((21, 3, 1), True, True)
    """
    opts = check_solver_options(solver=solver, loss_scale=loss_scale, tol=tol, max_iter=max_iter,
                                dense_max=dense_max, hessian=hessian, paper_steps=paper_steps,
                                paper_lr=paper_lr, certify=certify)
    on_failure = check_failure_policy(on_failure, allow_stop=True)
    if solver in ("exact", "anderson"):
        raise ValueError("run_batched supports solver 'newton', 'gauss-newton' or 'paper', "
                         f"got {solver!r}")
    if not hasattr(objective, "batch_value_and_grad"):
        raise ValueError("run_batched needs an objective with batch_value_and_grad(X) (and batch_hess "
                         "for Newton), e.g. rbo.objective(offsetgeo.Function(...))")
    steps = check_count(steps, "steps", minimum=0)
    d = int(getattr(objective, "dim", 1))
    lam = opts["loss_scale"]
    oracle = BatchOracle(objective, lam, d)
    if resume is None:
        X = np.asarray(theta0, dtype=float)
        X = X.reshape(-1, 1) if (X.ndim == 1 and d == 1) else X
        if X.ndim != 2 or X.shape[1] != d:
            raise ValueError(f"theta0 must have shape (n, {d}) (or (n,) in 1-D), got "
                             f"{np.shape(theta0)}")
        F, G = oracle.evaluate(X)
        n = X.shape[0]
        # one record per row: (theta, F, G, hessian model, evals, residual, converged, certified)
        records = [(X.copy(), F, G, None, np.zeros(n, np.int64), np.full(n, np.nan),
                    np.ones(n, bool), np.ones(n, bool))]
        wall = 0.0
    else:
        if not isinstance(resume, BatchTrajectory) or resume.state is None:
            raise ValueError("resume= needs a BatchTrajectory returned by run_batched")
        records, wall = list(resume.state.records), resume.wall_time
    X, F, G, hess = records[-1][:4]
    n = X.shape[0]
    eta, rho = _per_ball("lr", lr, n), _per_ball("radius", radius, n)
    if resume is not None and not (np.array_equal(eta, resume.lr) and
                                   np.array_equal(rho, resume.radius)):
        raise ValueError("resume= continues a batch with its own lr and radius; pass the same ones")
    graph = graph_function(objective, lam) if (certify and solver != "paper") else None
    if certify is True and graph is None:
        raise ValueError("certify=True needs an objective with an analytic `function` of one or "
                         "two variables")
    dense = d <= opts["dense_max"]
    iters = default_max_iter(solver) if opts["max_iter"] is None else opts["max_iter"]
    status, message, warned = "completed", "", False
    t0 = len(records) - 1
    try:
        for step in range(t0, t0 + steps):
            start = time.perf_counter()
            _, x, y = step_target(X, F, G, eta, rho)
            if solver == "paper":
                Xn, Fn, Gn = paper_projection(oracle.evaluate, x, y, X, steps=opts["paper_steps"],
                                              lr=opts["paper_lr"], F0=F, G0=G)
                rn = np.linalg.norm((Xn - x) + (Fn - y)[:, None] * Gn, axis=1)
                ok, ev = rn <= opts["tol"], np.full(n, opts["paper_steps"])
                hn, cert = hess, np.zeros(n, dtype=bool)
            else:
                res = newton_footpoint(oracle, x, y, X, tol=opts["tol"], value0=F, grad0=G,
                                       hess0=hess, method=solver, hessian=opts["hessian"],
                                       dense=dense, max_iter=iters)
                Xn, Fn, Gn, hn = res.theta, res.value, res.grad, res.hessian
                ev, rn, ok = res.evals, res.residual, res.converged
                cert = np.zeros(n, dtype=bool)
                if graph is not None:
                    Xn, Fn, Gn, hn, ev, rn, ok, cert = _certify(graph, oracle, x, y, Xn, Fn, Gn,
                                                                hn, ev, rn, ok, opts["tol"])
            wall += time.perf_counter() - start
            # the evaluation at theta0 is charged to the first step, as in rbo.run
            ev = records[-1][4] + ev + (1 if step == 0 else 0)
            records.append((Xn, Fn, Gn, hn, ev, rn, ok, cert))
            X, F, G, hess = Xn, Fn, Gn, hn
            if not np.all(ok):
                text = (f"step {step}: {int(np.sum(~ok))} of {n} footpoint solves did not "
                        f"converge (first: ball {int(np.flatnonzero(~ok)[0])})")
                if on_failure in ("raise", "stop"):
                    status, message = "unconverged", text
                    if on_failure == "raise":
                        raise ConvergenceError(text, result=_trajectory(
                            records, eta, rho, lam, status, message, wall))
                    break
                if on_failure == "warn" and not warned:
                    warnings.warn(text + " (further ones are recorded in converged)",
                                  NonConvergenceWarning, stacklevel=2)
                    warned = True
            if progress and (step + 1) % max(1, int(progress_every)) == 0:
                print(f"[rbo.run_batched] step {step + 1}/{t0 + steps} mean loss "
                      f"{float(np.mean(F / lam)):.6g}", file=sys.stderr)
            if callback is not None and callback(step, BatchState(records)):
                status, message = "callback", f"stopped by the callback after step {step}"
                break
    except KeyboardInterrupt:
        status = "interrupted"
        message = f"interrupted (KeyboardInterrupt) after {len(records) - 1} steps"
    return _trajectory(records, eta, rho, lam, status, message, wall)


def _trajectory(records, eta, rho, lam, status, message, wall):
    theta, F, _, _, evals, residual, converged, certified = zip(*records)
    return BatchTrajectory(np.stack(theta), np.stack(F) / lam, np.stack(evals),
                           np.stack(residual), np.stack(converged), np.stack(certified), eta, rho,
                           status, message, wall, BatchState(tuple(records)))
