"""Neural networks as objectives, written once on the Python array API.

:func:`mlp` and :func:`logistic` build an :class:`MLP`; ``model.objective(X, y)`` is an
objective for every optimizer of :mod:`rbo` with ``value_and_grad`` (backpropagation) and an
exact ``hvp`` (Pearlmutter's R-operator), ``model.minibatches(X, y, batch_size, seed)`` a
stochastic one for :func:`rbo.run`.  NumPy, CuPy and array-api-strict give identical results.

>>> import numpy as np, rbo
>>> model = rbo.nn.mlp([4, 8, 3], activation="gelu")
>>> X = np.random.default_rng(0).standard_normal((6, 4)); y = np.array([0, 1, 2, 0, 1, 2])
>>> tr = rbo.run(model.objective(X, y), rbo.rolling_ball(0.5, 0.1), model.init(seed=0), steps=30)
>>> tr.final_loss < 0.5 * float(tr.loss[0])
True
"""
from ._activations import ACTIVATIONS, activate
from ._mlp import INITS, LOSSES, MLP, NetMinibatches, NetObjective, logistic, mlp

__all__ = ["mlp", "logistic", "MLP", "NetObjective", "NetMinibatches", "ACTIVATIONS", "LOSSES",
           "INITS", "activate"]
