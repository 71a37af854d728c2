"""Many independent rolling balls at once on a low-dimensional loss (vectorised NumPy).

For (ρ, η, start) sweeps: ``n`` balls, each with its own radius, learning rate and start,
advance together. Each step computes every ball's candidate centre with the same function as
:func:`rbo.rolling_ball` (:func:`step_target`) and projects all of them with the same solver
(:func:`offsetgeo.newton_footpoint` for ``newton``/``gauss-newton``, the authors' loop for
``paper``), vectorised over the balls, with the same options and the same per-ball Hessian
models carried from step to step; so a ball of a batch follows the trajectory of
:func:`rbo.run` with the same settings.

The objective must offer ``batch_value_and_grad(X)`` and (for Newton) ``batch_hess(X)`` on
``X`` of shape ``(n, d)`` — :class:`rbo.FunctionObjective` does.  Evaluations are counted
per ball with the same rule as everywhere (``value_and_grad`` = 1, a Hessian = d
Hessian-vector products = d).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from offsetgeo import newton_footpoint
from offsetgeo._results import Result
from offsetgeo._validation import check_count

from ._footpoint import BatchOracle, check_solver_options, default_max_iter, paper_projection
from ._rolling_ball import step_target

__all__ = ["BatchTrajectory", "run_batched"]


@dataclass(frozen=True)
class BatchTrajectory(Result):
    """``theta`` (T+1, n, d); ``loss``, ``evals`` (cumulative), ``residual`` (T+1, n);
    ``converged`` (T+1, n) bool; ``lr``, ``radius`` (n,)."""

    theta: np.ndarray
    loss: np.ndarray
    evals: np.ndarray
    residual: np.ndarray
    converged: np.ndarray
    lr: np.ndarray
    radius: np.ndarray


def _per_ball(name, v, n):
    try:
        a = np.broadcast_to(np.asarray(v, dtype=float), (n,)).copy()
    except ValueError:
        raise ValueError(f"{name} must be a number or an array of shape ({n},) (one per ball), "
                         f"got shape {np.shape(v)}") from None
    if not np.all(np.isfinite(a) & (a > 0)):
        raise ValueError(f"{name} must be positive (a number or an array of shape ({n},))")
    return a


def run_batched(objective, theta0, *, lr, radius, steps: int, solver: str = "newton",
                loss_scale: float = 1.0, tol: float = 1e-10, max_iter=None,
                dense_max: int = 8, hessian: str = "secant", paper_steps: int = 100,
                paper_lr: float = 1e-3) -> BatchTrajectory:
    """Run ``n`` independent footpoint-variant RBOs at once.

    Parameters
    ----------
    objective
        With ``batch_value_and_grad`` / ``batch_hess`` (e.g. a loss from :mod:`rbo.losses`).
    theta0 : array (n, d) or (n,) when d = 1
    lr, radius : float or array (n,)
    steps : int
    solver : {"newton", "gauss-newton", "paper"}
    loss_scale, tol, max_iter, dense_max, hessian, paper_steps, paper_lr
        As for :func:`rolling_ball`.

    Returns
    -------
    trajectory : BatchTrajectory

    See Also
    --------
    run : one ball, any optimizer.

    Examples
    --------
    >>> import rbo
    >>> bt = run_batched(rbo.losses.sine(), np.array([0.0, 1.0, 2.0]), lr=0.1,
    ...                  radius=np.array([0.1, 0.5, 2.0]), steps=20)
    >>> bt.theta.shape, bool(bt.converged[1:].all())
    ((21, 3, 1), True)
    """
    opts = check_solver_options(solver=solver, loss_scale=loss_scale, tol=tol, max_iter=max_iter,
                                dense_max=dense_max, hessian=hessian, paper_steps=paper_steps,
                                paper_lr=paper_lr)
    if solver == "exact":
        raise ValueError("run_batched supports solver 'newton', 'gauss-newton' or 'paper', "
                         "got 'exact'")
    if not hasattr(objective, "batch_value_and_grad"):
        raise ValueError("run_batched needs an objective with batch_value_and_grad(X) (and batch_hess "
                         "for Newton), e.g. rbo.objective(offsetgeo.Function(...))")
    steps = check_count(steps, "steps", minimum=0)
    d = int(getattr(objective, "dim", 1))
    X = np.asarray(theta0, dtype=float)
    X = X.reshape(-1, 1) if (X.ndim == 1 and d == 1) else X
    if X.ndim != 2 or X.shape[1] != d:
        raise ValueError(f"theta0 must have shape (n, {d}) (or (n,) in 1-D), got {np.shape(theta0)}")
    n = X.shape[0]
    eta, rho = _per_ball("lr", lr, n), _per_ball("radius", radius, n)
    lam = opts["loss_scale"]
    oracle = BatchOracle(objective, lam, d)
    F, G = oracle.evaluate(X)
    thetas, losses, evals = [X.copy()], [F / lam], [np.zeros(n, dtype=np.int64)]
    first = 1  # the evaluation at theta0 is charged to the first step, as in rbo.run
    resid, conv = [np.full(n, np.nan)], [np.ones(n, dtype=bool)]
    dense = d <= opts["dense_max"]
    max_iter = default_max_iter(solver) if opts["max_iter"] is None else opts["max_iter"]
    hess = None
    for _ in range(steps):
        _, x, y = step_target(X, F, G, eta, rho)
        if solver == "paper":
            X, F, G = paper_projection(oracle.evaluate, x, y, X, steps=opts["paper_steps"],
                                       lr=opts["paper_lr"])
            rn = np.linalg.norm((X - x) + (F - y)[:, None] * G, axis=1)
            ok, ev = rn <= opts["tol"], np.full(n, opts["paper_steps"] + 1)
        else:
            res = newton_footpoint(oracle, x, y, X, tol=opts["tol"], value0=F, grad0=G,
                                   hess0=hess, method=solver, hessian=opts["hessian"],
                                   dense=dense, max_iter=max_iter)
            X, F, G, hess = res.theta, res.value, res.grad, res.hessian
            ev, rn, ok = res.evals, res.residual, res.converged
        thetas.append(X.copy())
        losses.append(F / lam)
        evals.append(evals[-1] + ev + first)
        first = 0
        resid.append(rn)
        conv.append(ok)
    return BatchTrajectory(np.stack(thetas), np.stack(losses), np.stack(evals), np.stack(resid),
                           np.stack(conv), eta, rho)
