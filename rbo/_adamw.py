"""AdamW (Loshchilov & Hutter 2019) as an ``init``/``update`` pair, on the array API."""
from __future__ import annotations

import math
from typing import Any, NamedTuple

from ._compat import array_namespace, norm
from ._optimizer import Optimizer, StepInfo
from .schedules import as_schedule

__all__ = ["adamw", "AdamWState"]


class AdamWState(NamedTuple):
    """``params``; first and second moment estimates ``mu``, ``nu``; ``count`` = steps done."""

    params: Any
    mu: Any
    nu: Any
    count: int


def adamw(lr, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
          weight_decay: float = 1e-2) -> Optimizer:
    """Adam with decoupled weight decay (PyTorch's ``AdamW`` defaults), one gradient per step.

    ``m ← β₁ m + (1 − β₁) g``, ``v ← β₂ v + (1 − β₂) g²``, ``m̂ = m/(1 − β₁ᵗ)``,
    ``v̂ = v/(1 − β₂ᵗ)``; ``θ ← θ − η (m̂ / (sqrt(v̂) + ε) + λ θ)``.

    Parameters
    ----------
    lr : float or schedule
        Learning rate η.
    b1, b2 : float
        Moment decay rates in ``[0, 1)``.
    eps : float
        ``ε > 0``.
    weight_decay : float
        ``λ ≥ 0``, applied to every parameter, decoupled from the gradient.

    Returns
    -------
    optimizer : Optimizer
        ``init(theta0) -> AdamWState``; ``update(state, objective) -> (state, StepInfo)``.

    See Also
    --------
    rbo.sgd, rbo.sam, rbo.rolling_ball

    Examples
    --------
    The first step moves every coordinate by ``η`` against the sign of its gradient:

    >>> import numpy as np, rbo
    >>> q = rbo.objective(lambda t: (t @ t, 2 * t))
    >>> opt = adamw(0.1, weight_decay=0.0)
    >>> s, info = opt.update(opt.init(np.array([1.0, -2.0])), q)
    >>> s.params.round(9), info.evals
    (array([ 0.9, -1.9]), 1)
    """
    lr_s = as_schedule("lr", lr)
    for name, v in (("b1", b1), ("b2", b2)):
        if not (0.0 <= v < 1.0):
            raise ValueError(f"{name} must be in [0, 1), got {v}")
    if not (eps > 0 and math.isfinite(eps)):
        raise ValueError(f"eps must be > 0, got {eps}")
    if not (weight_decay >= 0 and math.isfinite(weight_decay)):
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")

    def init(theta0) -> AdamWState:
        if getattr(theta0, "ndim", None) != 1:
            raise ValueError(f"theta0 must be a flat array of shape (d,), got "
                             f"{getattr(theta0, 'shape', theta0)!r}")
        xp = array_namespace(theta0)
        return AdamWState(theta0, xp.zeros_like(theta0), xp.zeros_like(theta0), 0)

    def update(state: AdamWState, objective, *, fresh: bool = False):
        theta = state.params
        xp = array_namespace(theta)
        t = int(state.count)
        eta = float(lr_s(t))
        if not (eta > 0 and math.isfinite(eta)):
            raise ValueError(f"lr schedule gave {eta} at step {t}; it must stay positive")
        f, g = objective.value_and_grad(theta)
        if g.shape != theta.shape:
            raise ValueError(f"objective gradient has shape {g.shape}, expected {theta.shape}")
        mu = b1 * state.mu + (1.0 - b1) * g
        nu = b2 * state.nu + (1.0 - b2) * (g * g)
        mhat = mu / (1.0 - b1 ** (t + 1))
        vhat = nu / (1.0 - b2 ** (t + 1))
        new = theta - eta * (mhat / (xp.sqrt(vhat) + eps) + weight_decay * theta)
        info = StepInfo(loss=float(f), grad_norm=norm(g), evals=1, lr=eta)
        return AdamWState(new, mu, nu, t + 1), info

    return Optimizer(init, update)
