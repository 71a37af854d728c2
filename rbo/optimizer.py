"""The optimizer interface shared by RBO and the baselines (optax-like).

An :class:`Optimizer` is a pair of pure functions::

    state = opt.init(theta0)
    state, info = opt.update(state, objective)       # one step; info: StepInfo

``state.params`` is the current parameter vector.  ``info`` describes the step just taken:
the loss and gradient norm at the parameters *before* the step, the gradient-equivalent
evaluations it spent, and (RBO) the footpoint solve's residual and the ball's centre.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

__all__ = ["Optimizer", "StepInfo"]


class Optimizer(NamedTuple):
    """``init(params) -> state`` and ``update(state, objective, *, fresh=False) -> (state, info)``.

    ``fresh=True`` tells an optimizer that caches ``f`` and ``∇f`` at its parameters (RBO)
    that the objective changed (a new minibatch), so the cache must not be used.
    """

    init: Callable[[Any], Any]
    update: Callable[..., tuple[Any, "StepInfo"]]


@dataclass(frozen=True)
class StepInfo:
    """One step.

    Attributes
    ----------
    loss : float
        ``f`` at the parameters before the step.
    grad_norm : float
        ``|∇f|`` there.
    evals : int
        Gradient-equivalent evaluations spent by the step.
    residual : float
        Final stationarity residual of the footpoint solve (NaN for the baselines).
    converged : bool
        The footpoint solve met its tolerance (True for the baselines).
    centre : Any
        The ball's centre ``c_t`` before the step, shape ``(d+1,)`` (None for the baselines).
    lr, radius : float
        The scheduled values used (radius NaN for the baselines).
    message : str
    """

    loss: float
    grad_norm: float
    evals: int
    residual: float = float("nan")
    converged: bool = True
    centre: Any = None
    lr: float = float("nan")
    radius: float = float("nan")
    message: str = ""
