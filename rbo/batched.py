"""Many independent rolling balls at once on a low-dimensional loss (vectorised NumPy).

For (ρ, η, start) sweeps: ``n`` balls, each with its own radius, learning rate and start,
advance together; every footpoint solve is the same safeguarded Newton iteration as
:func:`rbo.footpoint.solve_footpoint` (dense Hessian, chord re-use, Gauss–Newton fallback,
step cap ``2 sqrt(D)``, Armijo backtracking), or the authors' fixed-step loop, or
Gauss–Newton, applied to all unconverged balls in one vectorised call per iteration.

The objective must offer ``batch_value_and_grad(X)`` and (for Newton) ``batch_hess(X)`` on
``X`` of shape ``(n, d)`` — :class:`rbo.objective.FunctionObjective` does.  Evaluations are
counted per ball with the same rule as everywhere (``value_and_grad`` = 1, a Hessian = d
Hessian-vector products = d).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .footpoint import SOLVERS

__all__ = ["BatchTrajectory", "run_batched"]


@dataclass(frozen=True)
class BatchTrajectory:
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
    a = np.broadcast_to(np.asarray(v, dtype=float), (n,)).copy()
    if not np.all(np.isfinite(a) & (a > 0)):
        raise ValueError(f"{name} must be positive (a number or an array of shape ({n},))")
    return a


def _solve_batch(obj, x, y, X0, F0, G0, g0, lam, *, solver, tol, max_iter, paper_steps, paper_lr):
    """Footpoints for all balls; returns phi, f, g (unscaled), evals, residual, converged."""
    n, d = X0.shape
    ev = np.zeros(n, dtype=np.int64)
    if solver == "paper":
        phi = X0.copy()
        for _ in range(paper_steps):
            f, g = obj.batch_value_and_grad(phi)
            phi = phi - paper_lr * ((phi - x) + (lam * f - y)[:, None] * (lam * g))
        f, g = obj.batch_value_and_grad(phi)
        ev += paper_steps + 1
        r = (phi - x) + (lam * f - y)[:, None] * (lam * g)
        rn = np.linalg.norm(r, axis=1)
        return phi, f, g, ev, rn, rn <= tol
    phi, f, g = X0.copy(), F0.copy(), g0.copy()
    F, G = lam * f, lam * g
    r = (phi - x) + (F - y)[:, None] * G
    rn = np.linalg.norm(r, axis=1)
    Dv = np.sum((phi - x) ** 2, axis=1) + (F - y) ** 2
    J = np.zeros((n, d, d))
    keep = np.zeros(n, dtype=bool)
    failed = np.zeros(n, dtype=bool)
    eye = np.eye(d)
    for _ in range(max_iter):
        act = (rn > tol) & ~failed
        if not act.any():
            break
        idx = np.nonzero(act)[0]
        ra, Ga = r[idx], G[idx]
        gn = ra - Ga * (np.sum(Ga * ra, axis=1) / (1 + np.sum(Ga * Ga, axis=1)))[:, None]
        if solver == "newton":
            need = idx[~keep[idx]]
            if need.size:
                H = lam * obj.batch_hess(phi[need])
                H = 0.5 * (H + np.swapaxes(H, 1, 2))
                J[need] = eye + G[need][:, :, None] * G[need][:, None, :] + (F[need] - y[need])[:, None, None] * H
                ev[need] += d
            with np.errstate(all="ignore"):
                delta = -np.linalg.solve(J[idx], ra[:, :, None])[:, :, 0]
            slope = np.sum(ra * delta, axis=1)
            bad = ~(slope < 0) | ~np.isfinite(slope)
            delta[bad] = -gn[bad]
            newton_dir = ~bad
        else:
            delta = -gn
            newton_dir = np.zeros(idx.size, dtype=bool)
        slope = np.sum(ra * delta, axis=1)
        cap = 2 * np.sqrt(Dv[idx])
        dn = np.linalg.norm(delta, axis=1)
        scale = np.where(dn > cap, cap / np.where(dn > 0, dn, 1), 1.0)
        delta *= scale[:, None]
        slope *= scale
        t = np.ones(idx.size)
        done = np.zeros(idx.size, dtype=bool)
        new_phi = phi[idx].copy()
        nf, ng = f[idx].copy(), g[idx].copy()
        nD = Dv[idx].copy()
        while not done.all() and t.max() > 1e-12:
            w = np.nonzero(~done)[0]
            trial = phi[idx[w]] + t[w, None] * delta[w]
            ft, gt = obj.batch_value_and_grad(trial)
            ev[idx[w]] += 1
            Dt = np.sum((trial - x[idx[w]]) ** 2, axis=1) + (lam * ft - y[idx[w]]) ** 2
            ok = np.isfinite(Dt) & (Dt <= Dv[idx[w]] + 2e-4 * t[w] * slope[w] + 1e-14 * np.maximum(1, Dv[idx[w]]))
            acc = w[ok]
            new_phi[acc], nf[acc], ng[acc], nD[acc] = trial[ok], ft[ok], gt[ok], Dt[ok]
            done[acc] = True
            t[w[~ok]] *= 0.5
        failed[idx[~done]] = True
        a = idx[done]
        phi[a], f[a], g[a], Dv[a] = new_phi[done], nf[done], ng[done], nD[done]
        F[a], G[a] = lam * f[a], lam * g[a]
        r[a] = (phi[a] - x[a]) + (F[a] - y[a])[:, None] * G[a]
        rn_new = np.linalg.norm(r[a], axis=1)
        keep[a] = newton_dir[done] & (t[done] == 1.0) & (rn_new <= 1e-2 * rn[a])
        rn[a] = rn_new
    return phi, f, g, ev, rn, rn <= tol


def run_batched(objective, theta0, *, lr, radius, steps: int, solver: str = "newton",
                loss_scale: float = 1.0, tol: float = 1e-10, max_iter: int = 50,
                paper_steps: int = 100, paper_lr: float = 1e-3) -> BatchTrajectory:
    """Run ``n`` independent footpoint-variant RBOs at once.

    Parameters
    ----------
    objective
        With ``batch_value_and_grad`` / ``batch_hess`` (e.g. a loss from :mod:`rbo.losses`).
    theta0 : array (n, d) or (n,) when d = 1
    lr, radius : float or array (n,)
    steps : int
    solver : {"newton", "gauss-newton", "paper"}

    Returns
    -------
    BatchTrajectory

    Examples
    --------
    >>> import numpy as np, rbo
    >>> bt = run_batched(rbo.losses.sine(), np.array([0.0, 1.0, 2.0]), lr=0.1,
    ...                  radius=np.array([0.1, 0.5, 2.0]), steps=20)
    >>> bt.theta.shape, bool(bt.converged[1:].all())
    ((21, 3, 1), True)
    """
    if solver not in SOLVERS or solver == "exact":
        raise ValueError(f"run_batched supports solver 'newton', 'gauss-newton' or 'paper', got {solver!r}")
    if not hasattr(objective, "batch_value_and_grad"):
        raise ValueError("run_batched needs an objective with batch_value_and_grad(X) (and batch_hess "
                         "for Newton), e.g. rbo.objective(offsetgeo.Function(...))")
    d = int(getattr(objective, "dim", 1))
    X = np.asarray(theta0, dtype=float)
    X = X.reshape(-1, 1) if (X.ndim == 1 and d == 1) else X
    if X.ndim != 2 or X.shape[1] != d:
        raise ValueError(f"theta0 must have shape (n, {d}) (or (n,) in 1-D), got {np.shape(theta0)}")
    n = X.shape[0]
    eta, rho = _per_ball("lr", lr, n), _per_ball("radius", radius, n)
    lam = float(loss_scale)
    if not lam > 0:
        raise ValueError(f"loss_scale must be > 0, got {loss_scale}")
    f, g = objective.batch_value_and_grad(X)
    thetas, losses, evals = [X.copy()], [f.copy()], [np.zeros(n, dtype=np.int64)]
    first = 1  # the evaluation at theta0 is charged to the first step, as in rbo.run
    resid, conv = [np.full(n, np.nan)], [np.ones(n, dtype=bool)]
    for _ in range(int(steps)):
        F, G = lam * f, lam * g
        gn2 = np.sum(G * G, axis=1)
        s = np.sqrt(1 + gn2)
        x = X - (rho / s)[:, None] * G - eta[:, None] * G
        y = F + rho / s - eta * gn2
        X, f, g, ev, rn, ok = _solve_batch(objective, x, y, X, F, G, g, lam, solver=solver, tol=tol,
                                           max_iter=max_iter, paper_steps=paper_steps, paper_lr=paper_lr)
        thetas.append(X.copy()); losses.append(f.copy()); evals.append(evals[-1] + ev + first)
        first = 0
        resid.append(rn); conv.append(ok)
    return BatchTrajectory(np.stack(thetas), np.stack(losses), np.stack(evals), np.stack(resid),
                           np.stack(conv), eta, rho)
