"""Baselines as ``init``/``update`` pairs: SGD (momentum, Nesterov), SAM, Entropy-SGD.

Each ``update(state, objective)`` returns ``(state, StepInfo)``; ``info.loss`` is ``f`` at the
parameters before the step and ``info.evals`` the gradient evaluations spent.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ._compat import array_namespace, like, norm
from ._optimizer import Optimizer, StepInfo
from .schedules import as_schedule, check_value

__all__ = ["sgd", "sam", "entropy_sgd", "SGDState", "SAMState", "EntropySGDState"]


def _vg(objective, theta):
    xp = array_namespace(theta)
    f, g = objective.value_and_grad(theta)
    if g.shape != theta.shape:
        raise ValueError(f"objective gradient has shape {g.shape}, expected {theta.shape}")
    return xp.asarray(f, dtype=theta.dtype), g


def _check_params(theta0):
    if getattr(theta0, "ndim", None) != 1:
        raise ValueError(f"theta0 must be a flat array of shape (d,), got {getattr(theta0, 'shape', theta0)!r}")


class SGDState(NamedTuple):
    params: Any
    velocity: Any
    count: int


def sgd(lr, momentum: float = 0.0, nesterov: bool = False) -> Optimizer:
    """(Stochastic) gradient descent with heavy-ball or Nesterov momentum (PyTorch convention).

    ``v ← μ v + g``;  ``θ ← θ − η (g + μ v)`` (Nesterov) or ``θ ← θ − η v``.

    Parameters
    ----------
    lr : float or schedule
        Learning rate η.
    momentum : float
        μ in [0, 1).
    nesterov : bool

    Returns
    -------
    optimizer : Optimizer
        One gradient evaluation per step.

    See Also
    --------
    rolling_ball : RBO, which equals this on an affine loss.
    sam : the sharpness-aware rival.

    Examples
    --------
    >>> from rbo import ArrayObjective
    >>> q = ArrayObjective(lambda t: (t @ t, 2 * t))
    >>> opt = sgd(0.1, momentum=0.9)
    >>> s, _ = opt.update(opt.init(np.array([1.0])), q); s, _ = opt.update(s, q)
    >>> s.params                    # 1 - 0.2 = 0.8; v = 0.9*2 + 1.6 = 3.4; 0.8 - 0.34
    array([0.46])
    """
    lr_s = as_schedule("lr", lr)
    if not (0.0 <= momentum < 1.0):
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")
    if nesterov and momentum == 0.0:
        raise ValueError("nesterov=True needs momentum > 0")

    def init(theta0):
        _check_params(theta0)
        xp = array_namespace(theta0)
        return SGDState(theta0, xp.zeros_like(theta0), 0)

    def update(state, objective, *, fresh: bool = False):
        t = int(state.count)
        eta = check_value("lr", lr_s(t), t)
        f, g = _vg(objective, state.params)
        v = momentum * state.velocity + g
        step = g + momentum * v if nesterov else v
        new = SGDState(state.params - eta * step, v, t + 1)
        return new, StepInfo(float(f), norm(g), 1, lr=eta)

    return Optimizer(init, update)


class SAMState(NamedTuple):
    params: Any
    count: int


def sam(lr, rho_sam: float = 0.05, normalize: bool = True) -> Optimizer:
    """Sharpness-aware minimisation (Foret et al. 2021), two gradients per step.

    ``ε = ρ g/|g|``;  ``θ ← θ − η ∇f(θ + ε)``; unnormalised (``normalize=False``, "USAM",
    Andriushchenko & Flammarion 2022): ``ε = ρ g``.

    Parameters
    ----------
    lr : float or schedule
        Learning rate η.
    rho_sam : float
        Perturbation radius ``ρ ≥ 0``.
    normalize : bool
        Normalise the ascent step (SAM) or not (unnormalised SAM, the step RBO's approaches
        near critical points: ``docs/dynamics.md``).

    Returns
    -------
    optimizer : Optimizer
        Two gradient evaluations per step.

    See Also
    --------
    rolling_ball : near a critical point RBO's step is the unnormalised SAM step.
    sgd : plain gradient descent.

    Examples
    --------
    >>> from rbo import ArrayObjective
    >>> q = ArrayObjective(lambda t: (t @ t, 2 * t))
    >>> opt = sam(0.1, rho_sam=0.5)
    >>> s, info = opt.update(opt.init(np.array([2.0])), q)
    >>> s.params, info.evals        # 2 - 0.1 * 2 * (2 + 0.5)
    (array([1.5]), 2)
    >>> s, _ = sam(0.1, rho_sam=0.5, normalize=False).update(SAMState(np.array([2.0]), 0), q)
    >>> s.params                    # 2 - 0.1 * 2 * (2 + 0.5 * 4)
    array([1.2])
    """
    lr_s = as_schedule("lr", lr)
    if not (rho_sam >= 0 and math.isfinite(rho_sam)):
        raise ValueError(f"rho_sam must be >= 0, got {rho_sam}")

    def init(theta0):
        _check_params(theta0)
        return SAMState(theta0, 0)

    def update(state, objective, *, fresh: bool = False):
        xp = array_namespace(state.params)
        t = int(state.count)
        eta = check_value("lr", lr_s(t), t)
        f, g = _vg(objective, state.params)
        gn = norm(g)
        if not normalize:
            eps = rho_sam * g
        else:
            eps = g * (rho_sam / gn) if gn > 0 else xp.zeros_like(g)
        _, g2 = _vg(objective, state.params + eps)
        return SAMState(state.params - eta * g2, t + 1), StepInfo(float(f), gn, 2, lr=eta)

    return Optimizer(init, update)


class EntropySGDState(NamedTuple):
    params: Any
    count: int


def entropy_sgd(lr, inner_lr: float = 0.1, gamma: float = 0.03, inner_steps: int = 20,
                noise: float = 1e-4, alpha: float = 0.75, seed: int = 0) -> Optimizer:
    """Entropy-SGD (Chaudhari et al. 2017, Algorithm 1), Langevin inner loop, seeded noise.

    Inner loop, ``x' = μ = θ`` then ``L`` times::

        x' ← x' − η' (∇f(x') − γ (θ − x')) + sqrt(η') ε ξ_l,   μ ← (1 − α) μ + α x'

    and the outer step ``θ ← θ − η γ (θ − μ)``.  ``ξ_l`` is standard normal, drawn on the
    host from ``numpy.random.default_rng([seed, t])`` (so a run is reproducible in every
    array namespace) and moved to the device of ``θ``.  Costs ``L`` gradients per step.

    Parameters
    ----------
    lr : float or schedule
        Outer learning rate η.
    inner_lr : float
        Langevin step η'.
    gamma : float
        Coupling γ of the local entropy.
    inner_steps : int
        L, gradients per step.
    noise : float
        Langevin noise scale ε.
    alpha : float
        Averaging weight of μ, in (0, 1].
    seed : int
        Seeds the noise.

    Returns
    -------
    optimizer : Optimizer

    See Also
    --------
    sgd, sam, rolling_ball : the other optimizers.

    Examples
    --------
    >>> from rbo import ArrayObjective
    >>> q = ArrayObjective(lambda t: (t @ t, 2 * t))
    >>> opt = entropy_sgd(1.0, inner_lr=0.1, gamma=1.0, inner_steps=1, noise=0.0, alpha=1.0)
    >>> s, info = opt.update(opt.init(np.array([1.0])), q)
    >>> s.params, info.evals        # x' = 1 - 0.1*2 = 0.8 = μ; θ = 1 - 1*(1 - 0.8)
    (array([0.8]), 1)
    """
    lr_s = as_schedule("lr", lr)
    for name, v in (("inner_lr", inner_lr), ("gamma", gamma)):
        if not (v > 0 and math.isfinite(v)):
            raise ValueError(f"{name} must be > 0, got {v}")
    if int(inner_steps) < 1:
        raise ValueError(f"inner_steps must be >= 1, got {inner_steps}")
    if noise < 0 or not (0 < alpha <= 1):
        raise ValueError("noise must be >= 0 and alpha in (0, 1]")

    def init(theta0):
        _check_params(theta0)
        return EntropySGDState(theta0, 0)

    def update(state, objective, *, fresh: bool = False):
        theta = state.params
        t = int(state.count)
        eta = check_value("lr", lr_s(t), t)
        xi = np.random.default_rng([int(seed), t]).standard_normal((int(inner_steps), theta.shape[0]))
        xprime, mu = theta, theta
        f0 = g0 = None
        for l in range(int(inner_steps)):
            f, g = _vg(objective, xprime)
            if l == 0:
                f0, g0 = f, g
            xprime = xprime - inner_lr * (g - gamma * (theta - xprime))
            if noise > 0:
                xprime = xprime + (math.sqrt(inner_lr) * noise) * like(xi[l], theta)
            mu = (1 - alpha) * mu + alpha * xprime
        new = EntropySGDState(theta - (eta * gamma) * (theta - mu), t + 1)
        return new, StepInfo(float(f0), norm(g0), int(inner_steps), lr=eta)

    return Optimizer(init, update)
