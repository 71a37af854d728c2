"""The optimizer interface shared by RBO and the baselines (optax-like).

An :class:`Optimizer` is a pair of pure functions::

    state = opt.init(theta0)
    state, info = opt.update(state, objective)       # one step; info: StepInfo

``state.params`` is the current parameter vector. ``info`` describes the step just taken:
the loss and gradient norm at the parameters *before* the step and the gradient-equivalent
evaluations it spent (``evals``); RBO's steps carry more (:class:`BallStepInfo`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Optional

from offsetgeo._results import Result

__all__ = ["Optimizer", "StepInfo", "BallStepInfo"]


def _nothing_cached(state):
    return None


class Optimizer(NamedTuple):
    """``init(params) -> state``, ``update(state, objective, *, fresh=False) -> (state, info)``
    and ``cached(state) -> (value, grad) | None``.

    ``fresh=True`` tells an optimizer that caches ``f`` and ``∇f`` at its parameters (RBO)
    that the objective changed (a new minibatch), so the cache must not be used.
    ``cached(state)`` returns ``f`` and ``∇f`` at ``state.params`` when the optimizer already
    knows them (RBO evaluates them at every new contact point), else None.
    """

    init: Callable[[Any], Any]
    update: Callable[..., tuple[Any, "StepInfo"]]
    cached: Callable[[Any], Optional[tuple]] = _nothing_cached


@dataclass(frozen=True)
class StepInfo(Result):
    """One step of any optimizer.

    Attributes
    ----------
    loss : float
        ``f`` at the parameters before the step.
    grad_norm : float
        ``|∇f|`` there.
    evals : int
        Gradient-equivalent evaluations spent by the step.
    lr : float
        The scheduled learning rate used.
    converged : bool
        Whether an inner solve of the step met its tolerance (True when there is none).
    message : str
    """

    loss: float
    grad_norm: float
    evals: int
    lr: float = float("nan")
    converged: bool = True
    message: str = ""


@dataclass(frozen=True)
class BallStepInfo(StepInfo):
    """One step of the rolling ball optimizer.

    Attributes
    ----------
    residual : float
        Final stationarity residual of the footpoint solve (scaled units).
    centre : array (d+1,)
        The ball's centre ``c_t`` before the step.
    radius : float
        The scheduled radius used.
    certified : bool
        The new contact point is certified to be the global nearest point of the graph to
        the candidate centre (analytic losses of dimension ≤ 2); False where only a local
        projection is possible, and for first-order steps (no projection).
    rho_kappa : float
        ``solver="first-order"``: the largest ``ρκ`` seen along the series (a Rayleigh
        quotient of ``ρW``, so a lower bound of ``ρ κ_max``); NaN for projected steps.
    fallback : bool
        ``solver="first-order"``: ``ρκ ≥ 1`` (or a Neumann series that does not contract)
        was seen, so the step was the projected one of the fallback solver (``message``
        says why).
    """

    residual: float = float("nan")
    centre: Any = None
    radius: float = float("nan")
    certified: bool = False
    rho_kappa: float = float("nan")
    fallback: bool = False
