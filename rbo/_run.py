"""Run an optimizer for many steps and record its trajectory.

``rbo.run(objective, optimizer, theta0, steps)`` returns a :class:`Trajectory` of arrays in
the namespace of ``theta0``.  Row ``t`` of the per-step series describes ``θ_t``
(``t = 0 … n``): the loss and gradient norm there, the cumulative gradient-equivalent
evaluations spent to reach ``θ_t``, and the residual of the footpoint solve that produced
``θ_t`` (NaN for row 0 and for the baselines). The parameters and the ball's centres, of
size ``d`` each, are kept every ``record_every`` steps (and at the last step), so a long run
of a large model does not store ``d × steps`` numbers.

Stopping
--------
* NaN/inf loss or parameters, or ``|θ| > divergence``: the run stops, the trajectory keeps
  every finite step done, ``status`` is ``"nan"`` / ``"diverged"`` and ``message`` says why
  (a :class:`RuntimeWarning` is issued too).
* A step that leaves the declared ``domain`` of the objective's analytic function: the run
  stops before it, ``status = "domain"``.
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

from typing import NamedTuple

import numpy as np

from offsetgeo._deprecation import renamed_keywords
from offsetgeo._results import Result
from offsetgeo._validation import check_count, check_failure_policy
from offsetgeo.exceptions import ConvergenceError, NonConvergenceWarning

from ._compat import array_namespace, norm, to_numpy

from ._optimizer import BallStepInfo

__all__ = ["Trajectory", "run"]


@dataclass(frozen=True)
class Trajectory(Result):
    """The recorded run (``n`` = steps done).

    Attributes
    ----------
    theta : array (m, d)
        The parameters at the recorded steps ``theta_step`` (every ``record_every``-th and
        the last; all ``n + 1`` by default).
    theta_step : array of int (m,)
    centre : array (m, d+1)
        Ball centres ``c_t`` at the same steps (scaled units; NaN for baselines and for the
        last step of RBO, whose centre is computed only by a further step).
    loss, grad_norm : array (n+1,)
    evals : array (n+1,)
        Cumulative gradient-equivalent evaluations.
    residual : array (n+1,)
    converged : list of bool (n+1)
    certified : list of bool (n+1)
        The step's contact point is certified to be the nearest point (RBO; False for
        baselines and row 0).
    status : str
        ``"completed"``, ``"nan"``, ``"diverged"``, ``"domain"``, ``"unconverged"``,
        ``"callback"`` or ``"interrupted"``.
    message : str
    wall_time : float
        Seconds spent in ``update`` calls.
    state : NamedTuple
        The optimizer state after the last kept step (what ``run(..., resume=)`` needs).
    """

    theta: Any
    theta_step: Any
    centre: Any
    loss: Any
    grad_norm: Any
    evals: Any
    residual: Any
    converged: list
    certified: list
    status: str
    message: str
    wall_time: float
    state: Any = None

    @property
    def steps(self) -> int:
        return int(self.loss.shape[0]) - 1

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


def _check_start(theta0, xp):
    shape = getattr(theta0, "shape", None)
    if shape is None or len(shape) != 1 or shape[0] == 0:
        raise ValueError(f"theta0 must be a flat array of shape (d,) with d >= 1, got "
                         f"{'a ' + type(theta0).__name__ if shape is None else f'shape {shape}'}")
    if not xp.isdtype(theta0.dtype, "real floating"):
        raise TypeError(f"theta0 has dtype {theta0.dtype}; pass floating point numbers "
                        "(e.g. theta0.astype(float))")


def _domain_exit(objective, theta) -> str:
    """Why ``theta`` lies outside the declared domain of the objective's function ("" if not)."""
    fn = getattr(objective, "function", None)
    box = None if fn is None else fn.domain
    if box is None:
        return ""
    t = to_numpy(theta).reshape(-1)
    if t.shape[0] != box.shape[0] or np.all((t >= box[:, 0]) & (t <= box[:, 1])):
        return ""
    return f"theta = {np.round(t, 6).tolist()} left the domain {box.tolist()} of {fn}"


@renamed_keywords(on_unconverged="on_failure")
def run(objective, optimizer, theta0, steps: int, *, callback: Optional[Callable] = None,
        progress: bool = False, on_failure: str = "warn", divergence: float = 1e12,
        progress_every: int = 100, record_every: int = 1,
        resume: Optional[Trajectory] = None) -> Trajectory:
    """Run ``optimizer`` on ``objective`` from ``theta0`` for ``steps`` steps.

    Parameters
    ----------
    objective
        An objective (see :func:`objective`); a stochastic one (with ``sample(step)``) gets
        a fresh minibatch objective every step.
    optimizer : Optimizer
    theta0 : array (d,)
        Floating point, any array-API namespace (NumPy, CuPy, array_api_strict); the run
        stays in it.
    steps : int
    callback : callable, optional
        ``callback(t, state, info)``; return True to stop.
    progress : bool
        Print a line to stderr every ``progress_every`` steps.
    on_failure : {"warn", "raise", "stop", "ignore"}
    divergence : float
        Stop when ``|θ|`` exceeds this.
    record_every : int
        Keep the parameters and centres every this many steps (and the last).
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
    steps = check_count(steps, "steps", minimum=0)
    record_every = check_count(record_every, "record_every")
    on_failure = check_failure_policy(on_failure, allow_stop=True)
    stochastic = hasattr(objective, "sample")
    if resume is not None:
        if not isinstance(resume, Trajectory) or resume.state is None:
            raise ValueError("resume= needs a Trajectory returned by rbo.run (with its state)")
        theta0 = resume.theta[0, ...]
    xp = array_namespace(theta0) if hasattr(theta0, "shape") else np
    _check_start(theta0, xp)
    nan_centre = xp.full((theta0.shape[0] + 1,), float("nan"), dtype=theta0.dtype)
    if resume is None:
        state = optimizer.init(theta0)
        kept = [_Kept(None, None, 0, float("nan"), True, False, theta0, None, state, 0)]
        wall = 0.0
    else:
        state = resume.state
        fresh = optimizer.init(resume.final_theta)
        if type(fresh) is not type(state):
            raise ValueError(f"this trajectory was made by an optimizer with state "
                             f"{type(state).__name__}; resume it with the same optimizer (this "
                             f"one has {type(fresh).__name__})")
        kept, wall = _records(resume), resume.wall_time
    first = kept[-1].step
    status, message = "completed", ""
    warned = False
    try:
        for t in range(first, first + steps):
            obj_t = objective.sample(t) if stochastic else objective
            t0 = time.perf_counter()
            new_state, info = optimizer.update(state, obj_t, fresh=stochastic)
            wall += time.perf_counter() - t0
            theta_new = new_state.params
            ball = isinstance(info, BallStepInfo)
            if not (math.isfinite(info.loss) and _finite(xp, theta_new)):
                status = "nan"
                message = (f"step {t}: the loss or the parameters became NaN/inf (loss before the step "
                           f"{info.loss:.6g}); the trajectory keeps the {t} steps done. Lower lr or radius.")
                break
            if norm(theta_new) > divergence:
                status = "diverged"
                message = (f"step {t}: |theta| exceeded divergence={divergence:g}; the trajectory keeps "
                           f"the {t} steps done. Lower lr or raise divergence=.")
                break
            outside = _domain_exit(objective, theta_new)
            if outside:
                status, message = "domain", (f"step {t}: {outside}; the trajectory keeps the {t} "
                                             "steps done")
                break
            # one append keeps the step (an interrupt leaves the records consistent)
            kept.append(_Kept(info.loss, info.grad_norm, kept[-1].evals + int(info.evals),
                              float(info.residual) if ball else float("nan"),
                              bool(info.converged), bool(info.certified) if ball else False,
                              theta_new, None, new_state, t + 1))
            state = new_state
            # θ_t's own centre c_t is known now; vectors of rows not kept are dropped
            kept[-2] = (kept[-2]._replace(theta=None, centre=None) if kept[-2].step % record_every
                        else kept[-2]._replace(centre=info.centre if ball else None))
            if not info.converged:
                text = f"step {t}: footpoint solve did not converge (residual {info.residual:.3g}): {info.message}"
                if on_failure == "raise":
                    status, message = "unconverged", text
                    raise ConvergenceError(text, result=_build(kept, xp, nan_centre, status,
                                                               message, wall, optimizer,
                                                               objective, stochastic))
                if on_failure == "stop":
                    status, message = "unconverged", text
                    break
                if on_failure == "warn" and not warned:
                    warnings.warn(text + " (further ones are recorded in Trajectory.converged)",
                                  NonConvergenceWarning, stacklevel=3)
                    warned = True
            if progress and (t + 1) % max(1, int(progress_every)) == 0:
                print(f"[rbo.run] step {t + 1}/{first + steps} loss {info.loss:.6g} "
                      f"evals {kept[-1].evals}", file=sys.stderr)
            if callback is not None and callback(t, state, info):
                status, message = "callback", f"stopped by the callback after step {t}"
                break
    except KeyboardInterrupt:
        status, message = "interrupted", f"interrupted (KeyboardInterrupt) after {kept[-1].step} steps"
    if status in ("nan", "diverged"):
        warnings.warn(message, RuntimeWarning, stacklevel=3)
    return _build(kept, xp, nan_centre, status, message, wall, optimizer, objective, stochastic)


class _Kept(NamedTuple):
    """One kept step: what the update measured at θ_t, θ_{t+1} and the state after it, and
    (filled in by the next step) the ball's centre at θ_{t+1}."""

    loss: Any
    grad_norm: Any
    evals: int
    residual: float
    converged: bool
    certified: bool
    theta: Any
    centre: Any
    state: Any
    step: int


def _records(tr: Trajectory) -> list:
    """A trajectory back as records (to resume it)."""
    rows = {int(s): k for k, s in enumerate(tr.theta_step)}
    out = []
    for t in range(tr.steps + 1):
        k = rows.get(t)
        out.append(_Kept(None if t == 0 else float(tr.loss[t - 1]),
                         None if t == 0 else float(tr.grad_norm[t - 1]), int(tr.evals[t]),
                         float(tr.residual[t]), bool(tr.converged[t]), bool(tr.certified[t]),
                         None if k is None else tr.theta[k, ...],
                         None if k is None else tr.centre[k, ...],
                         tr.state if t == tr.steps else None, t))
    return out


def _build(kept, xp, nan_centre, status, message, wall, optimizer, objective, stochastic):
    state = kept[-1].state
    known = None if stochastic else optimizer.cached(state)
    if known is None:
        base = objective.sample(kept[-1].step) if stochastic else objective
        value, grad = base.value_and_grad(state.params)
    else:
        value, grad = known
    rows = [k for k in kept if k.theta is not None]
    dt = kept[0].theta.dtype
    return Trajectory(xp.stack([k.theta for k in rows]),
                      xp.asarray([k.step for k in rows], dtype=xp.int64),
                      xp.stack([nan_centre if k.centre is None else k.centre for k in rows]),
                      xp.asarray([k.loss for k in kept[1:]] + [float(value)], dtype=dt),
                      xp.asarray([k.grad_norm for k in kept[1:]]
                                 + [norm(grad)], dtype=dt),
                      xp.asarray([k.evals for k in kept], dtype=xp.int64),
                      xp.asarray([k.residual for k in kept], dtype=dt),
                      [k.converged for k in kept], [k.certified for k in kept],
                      status, message, wall, state)
