"""Run an optimizer for many steps and record its trajectory.

``rbo.run(objective, optimizer, theta0, steps)`` returns a :class:`Trajectory` of arrays in
the namespace of ``theta0``.  Row ``t`` describes ``θ_t`` (``t = 0 … n``): the loss and
gradient norm there, the ball's centre ``c_t`` (NaN for the baselines), the cumulative
gradient-equivalent evaluations spent to reach ``θ_t``, and the residual of the footpoint
solve that produced ``θ_t`` (NaN for row 0 and for the baselines).

Stopping
--------
* NaN/inf loss or parameters, or ``|θ| > divergence``: the run stops, the trajectory keeps
  every finite step done, ``status`` is ``"nan"`` / ``"diverged"`` and ``message`` says why
  (a :class:`RuntimeWarning` is issued too).
* A footpoint solve that misses its tolerance: ``on_failure="warn"`` (default) warns once
  (:class:`offsetgeo.NonConvergenceWarning`) and goes on, ``"raise"`` raises
  :class:`offsetgeo.ConvergenceError` (the partial trajectory is its ``result``),
  ``"stop"`` stops with ``status = "unconverged"``, ``"ignore"`` only records it
  (``Trajectory.converged``).
* ``callback(t, state, info)`` returning True stops the run (``status = "callback"``).
* ``KeyboardInterrupt`` (Ctrl-C) stops the run and returns the steps done
  (``status = "interrupted"``).

Resuming
--------
A trajectory keeps the optimizer state after its last step (``Trajectory.state``):
``run(objective, optimizer, None, more_steps, resume=traj)`` continues exactly where
``traj`` stopped (interrupted or not) and returns the whole run, old rows included.

The final row's loss is read from the optimizer's cache when it has one
(``optimizer.cached(state)``, RBO), otherwise one monitoring evaluation is made that is not
charged to ``evals``.
"""
from __future__ import annotations

import math
import sys
import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Optional

from ._compat import array_namespace

from offsetgeo._deprecation import renamed_keywords
from offsetgeo._results import Result
from offsetgeo._validation import check_failure_policy
from offsetgeo.exceptions import ConvergenceError, NonConvergenceWarning

from ._optimizer import BallStepInfo

__all__ = ["Trajectory", "run"]


@dataclass(frozen=True)
class Trajectory(Result):
    """The recorded run (``n`` = steps done; all arrays have ``n + 1`` rows).

    Attributes
    ----------
    theta : array (n+1, d)
    centre : array (n+1, d+1)
        Ball centres ``c_t`` (scaled units; NaN for baselines and for the last row of RBO,
        whose centre is computed only by a further step).
    loss, grad_norm : array (n+1,)
    evals : array (n+1,)
        Cumulative gradient-equivalent evaluations.
    residual : array (n+1,)
    converged : list of bool (n+1)
    status : str
        ``"completed"``, ``"nan"``, ``"diverged"``, ``"unconverged"``, ``"callback"`` or
        ``"interrupted"``.
    message : str
    wall_time : float
        Seconds spent in ``update`` calls.
    state : NamedTuple
        The optimizer state after the last kept step (what ``run(..., resume=)`` needs).
    """

    theta: Any
    centre: Any
    loss: Any
    grad_norm: Any
    evals: Any
    residual: Any
    converged: list
    status: str
    message: str
    wall_time: float
    state: Any = None

    @property
    def steps(self) -> int:
        return int(self.theta.shape[0]) - 1

    @property
    def final_theta(self):
        return self.theta[-1, ...]

    @property
    def final_loss(self) -> float:
        return float(self.loss[-1])

    @property
    def total_evals(self) -> int:
        return int(self.evals[-1])

    @property
    def residual_max(self) -> float:
        """The largest footpoint residual of the run (NaN for baselines)."""
        finite = [float(v) for v in self.residual if math.isfinite(float(v))]
        return max(finite) if finite else float("nan")


def _finite(xp, a) -> bool:
    return bool(xp.all(xp.isfinite(a)))


@renamed_keywords(on_unconverged="on_failure")
def run(objective, optimizer, theta0, steps: int, *, callback: Optional[Callable] = None,
        progress: bool = False, on_failure: str = "warn", divergence: float = 1e12,
        progress_every: int = 100, resume: Optional[Trajectory] = None) -> Trajectory:
    """Run ``optimizer`` on ``objective`` from ``theta0`` for ``steps`` steps.

    Parameters
    ----------
    objective
        An objective (see :mod:`rbo.objective`); a stochastic one (with ``sample(step)``) gets
        a fresh minibatch objective every step.
    optimizer : Optimizer
    theta0 : array (d,)
        Any array-API namespace (NumPy, CuPy, array_api_strict); the run stays in it.
    steps : int
    callback : callable, optional
        ``callback(t, state, info)``; return True to stop.
    progress : bool
        Print a line to stderr every ``progress_every`` steps.
    on_failure : {"warn", "raise", "stop", "ignore"}
    divergence : float
        Stop when ``|θ|`` exceeds this.
    resume : Trajectory, optional
        Continue a previous run of the same optimizer from its last state (``theta0`` is then
        ignored and may be None); the result holds the previous rows too.

    Returns
    -------
    trajectory : Trajectory

    See Also
    --------
    run_batched : many independent balls at once.
    rolling_ball, sgd, sam, entropy_sgd : the optimizers.

    Examples
    --------
    >>> import numpy as np, rbo
    >>> q = rbo.losses.quadratic(np.diag([1.0, 4.0]))
    >>> tr = rbo.run(q, rbo.rolling_ball(lr=0.1, radius=0.2), np.array([1.0, 1.0]), steps=50)
    >>> tr.status, tr.steps, tr.final_loss < 1e-4
    ('completed', 50, True)
    """
    if int(steps) < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    on_failure = check_failure_policy(on_failure, allow_stop=True)
    stochastic = hasattr(objective, "sample")
    if resume is not None:
        if resume.state is None:
            raise ValueError("this trajectory has no optimizer state to resume from")
        theta0 = resume.theta[0, ...]
    xp = array_namespace(theta0)
    d = theta0.shape[0]
    nan_centre = xp.full((d + 1,), float("nan"), dtype=theta0.dtype)
    if resume is None:
        state = optimizer.init(theta0)
        thetas, centres = [theta0], []
        losses, gnorms, evals, residuals, conv = [], [], [0], [float("nan")], [True]
        wall = 0.0
    else:
        state = resume.state
        n_old = resume.steps
        thetas = [resume.theta[k, ...] for k in range(n_old + 1)]
        centres = [resume.centre[k, ...] for k in range(n_old)]
        losses = [float(v) for v in resume.loss[:n_old]]
        gnorms = [float(v) for v in resume.grad_norm[:n_old]]
        evals = [int(v) for v in resume.evals]
        residuals = [float(v) for v in resume.residual]
        conv = list(resume.converged)
        wall = resume.wall_time
    first = len(thetas) - 1
    status, message = "completed", ""
    warned = False
    t = 0

    def build():
        return Trajectory(xp.stack(thetas), xp.stack(centres + [nan_centre] * (len(thetas) - len(centres))),
                          xp.asarray(losses, dtype=theta0.dtype), xp.asarray(gnorms, dtype=theta0.dtype),
                          xp.asarray(evals, dtype=xp.int64), xp.asarray(residuals, dtype=theta0.dtype),
                          list(conv), status, message, wall, state)

    try:
        for t in range(first, first + int(steps)):
            obj_t = objective.sample(t) if stochastic else objective
            t0 = time.perf_counter()
            new_state, info = optimizer.update(state, obj_t, fresh=stochastic)
            wall += time.perf_counter() - t0
            theta_new = new_state.params
            losses.append(info.loss)
            gnorms.append(info.grad_norm)
            ball = isinstance(info, BallStepInfo)
            centres.append(info.centre if ball and info.centre is not None else nan_centre)
            if not (math.isfinite(info.loss) and _finite(xp, theta_new)):
                status = "nan"
                message = (f"step {t}: the loss or the parameters became NaN/inf (loss before the step "
                           f"{info.loss:.6g}); the trajectory keeps the {t} steps done. Lower lr or radius.")
                break
            if float(xp.linalg.vector_norm(theta_new)) > divergence:
                status = "diverged"
                message = (f"step {t}: |theta| exceeded divergence={divergence:g}; the trajectory keeps "
                           f"the {t} steps done. Lower lr or raise divergence=.")
                break
            state = new_state
            thetas.append(theta_new)
            evals.append(evals[-1] + int(info.evals))
            residuals.append(float(info.residual) if ball else float("nan"))
            conv.append(bool(info.converged))
            if not info.converged:
                text = f"step {t}: footpoint solve did not converge (residual {info.residual:.3g}): {info.message}"
                if on_failure == "raise":
                    status, message = "unconverged", text
                    losses.append(float("nan")); gnorms.append(float("nan"))
                    raise ConvergenceError(text, result=build())
                if on_failure == "stop":
                    status, message = "unconverged", text
                    break
                if on_failure == "warn" and not warned:
                    warnings.warn(text + " (further ones are recorded in Trajectory.converged)",
                                  NonConvergenceWarning, stacklevel=3)
                    warned = True
            if progress and (t + 1) % max(1, int(progress_every)) == 0:
                print(f"[rbo.run] step {t + 1}/{first + steps} loss {info.loss:.6g} evals {evals[-1]}",
                      file=sys.stderr)
            if callback is not None and callback(t, state, info):
                status, message = "callback", f"stopped by the callback after step {t}"
                break
    except KeyboardInterrupt:
        status, message = "interrupted", f"interrupted (KeyboardInterrupt) after {len(thetas) - 1} steps"
    if status in ("nan", "diverged"):
        warnings.warn(message, RuntimeWarning, stacklevel=3)
    # align: losses/gnorms have one entry per kept row except the last
    del losses[len(thetas) - 1:], gnorms[len(thetas) - 1:], centres[len(thetas) - 1:]
    known = None if stochastic else optimizer.cached(state)
    if known is None:
        base = objective.sample(len(thetas) - 1) if stochastic else objective
        value, grad = base.value_and_grad(state.params)
    else:
        value, grad = known
    losses.append(float(value))
    gnorms.append(float(xp.linalg.vector_norm(grad)))
    return build()
