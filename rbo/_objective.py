"""Objectives: what the optimizers need from a loss.

An *objective* is any object with

* ``value_and_grad(theta) -> (f(theta), grad f(theta))`` on a flat array ``theta`` of
  shape ``(d,)`` (value: a 0-d array or a Python float; gradient: shape ``(d,)``, same
  array namespace as ``theta``);
* optionally ``hvp(theta, v) -> Hessian(theta) @ v``;
* optionally ``function``: an :class:`offsetgeo.Function` describing the same loss (used by
  the ``"exact"`` footpoint solver and by :mod:`rbo.batched`);
* optionally ``sample(step) -> objective``: a *stochastic* objective, whose ``sample``
  returns the minibatch objective used during step ``step`` (see :func:`minibatch`).

Cost accounting used everywhere in :mod:`rbo`: one ``value_and_grad`` call counts as one
*gradient-equivalent evaluation*, one ``hvp`` call counts as one.  When an objective has no
``hvp``, the Newton solver uses a forward difference of gradients, ``(g(θ + εv) − g(θ))/ε``,
which is one ``value_and_grad`` call, so it also counts as one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Protocol, runtime_checkable

import numpy as np

from offsetgeo import Function

from ._compat import like, to_numpy

__all__ = [
    "Objective",
    "ArrayObjective",
    "FunctionObjective",
    "MinibatchObjective",
    "objective",
    "minibatch",
    "has_hvp",
]


@runtime_checkable
class Objective(Protocol):
    """Protocol: ``value_and_grad(theta) -> (value, grad)`` on flat arrays."""

    def value_and_grad(self, theta: Any) -> tuple[Any, Any]:  # pragma: no cover - protocol
        ...


def has_hvp(obj: Any) -> bool:
    """True when ``obj`` provides an exact Hessian-vector product ``hvp(theta, v)``."""
    return getattr(obj, "hvp", None) is not None


@dataclass(frozen=True)
class ArrayObjective:
    """An objective from plain callables (any array namespace).

    Parameters
    ----------
    value_and_grad : callable
        ``theta -> (f(theta), grad f(theta))``.
    hvp : callable, optional
        ``(theta, v) -> Hessian(theta) @ v``.
    function : offsetgeo.Function, optional
        The same loss as an :class:`offsetgeo.Function` (enables ``solver="exact"``).
    name : str
        A label for tables.

    Examples
    --------
    >>> import numpy as np
    >>> obj = ArrayObjective(lambda t: (np.sum(t * t), 2 * t))
    >>> obj.value_and_grad(np.array([1.0, 2.0]))
    (np.float64(5.0), array([2., 4.]))
    """

    value_and_grad: Callable[[Any], tuple[Any, Any]]
    hvp: Optional[Callable[[Any, Any], Any]] = None
    function: Any = None
    name: str = "objective"


@dataclass(frozen=True)
class FunctionObjective:
    """Adapter: an :class:`offsetgeo.Function` as an objective on flat arrays.

    ``theta`` has shape ``(d,)`` (``(1,)`` in one dimension).  The function is evaluated on
    the host with NumPy; results are returned in the namespace/device of ``theta``.
    ``hvp(theta, v) = Function.hess(theta) @ v``.

    Batched (NumPy) forms for :mod:`rbo.batched`: ``batch_value_and_grad(X)`` and
    ``batch_hess(X)`` with ``X`` of shape ``(n, d)``.
    """

    function: Any
    name: str = "function"

    @property
    def dim(self) -> int:
        return int(self.function.dim)

    def _arg(self, theta_np: np.ndarray):
        return float(theta_np[0]) if self.dim == 1 else theta_np

    def value_and_grad(self, theta):
        t = to_numpy(theta).reshape(-1)
        if t.shape[0] != self.dim:
            raise ValueError(
                f"theta has {t.shape[0]} entries but the function has dimension {self.dim}; "
                "pass a flat array of shape (d,)"
            )
        v, g = self.function.value_and_grad(self._arg(t))
        v = np.asarray(v, dtype=float).reshape(())
        g = np.asarray(g, dtype=float).reshape(self.dim)
        return like(v, theta), like(g, theta)

    def hvp(self, theta, v):
        t = to_numpy(theta).reshape(-1)
        H = np.asarray(self.function.hess(self._arg(t)), dtype=float).reshape(self.dim, self.dim)
        return like(H @ to_numpy(v).reshape(self.dim), theta)

    def batch_value_and_grad(self, X: np.ndarray):
        X = np.asarray(X, dtype=float).reshape(-1, self.dim)
        arg = X[:, 0] if self.dim == 1 else X
        v, g = self.function.value_and_grad(arg)
        return np.asarray(v, dtype=float).reshape(-1), np.asarray(g, dtype=float).reshape(-1, self.dim)

    def batch_hess(self, X: np.ndarray):
        X = np.asarray(X, dtype=float).reshape(-1, self.dim)
        arg = X[:, 0] if self.dim == 1 else X
        return np.asarray(self.function.hess(arg), dtype=float).reshape(-1, self.dim, self.dim)


@dataclass(frozen=True)
class MinibatchObjective:
    """A stochastic objective: ``sample(step)`` returns the minibatch objective of a step.

    ``make(batch_indices) -> objective`` builds the objective of one minibatch; the indices are
    drawn without replacement from ``range(n_data)`` by a generator seeded with
    ``(seed, step)``, so a run is reproducible and a step always sees the same batch.
    """

    make: Callable[[np.ndarray], Any]
    n_data: int
    batch_size: int
    seed: int = 0

    def sample(self, step: int):
        rng = np.random.default_rng([int(self.seed), int(step)])
        idx = rng.choice(self.n_data, size=self.batch_size, replace=False)
        return self.make(np.sort(idx))


def minibatch(make: Callable[[np.ndarray], Any], n_data: int, batch_size: int, seed: int = 0):
    """Stochastic objective from a per-batch constructor (see :class:`MinibatchObjective`).

    Parameters
    ----------
    make : callable
        ``make(batch_indices) -> objective`` for one minibatch.
    n_data : int
        Size of the data set.
    batch_size : int
        Indices drawn per step, without replacement, by a generator seeded with
        ``(seed, step)``.
    seed : int

    Returns
    -------
    objective : MinibatchObjective

    See Also
    --------
    objective : deterministic objectives.
    run : draws a fresh batch every step.

    Examples
    --------
    >>> import numpy as np
    >>> data = np.arange(10.0)
    >>> def make(idx):  # mean squared distance to the batch
    ...     d = data[idx]
    ...     return ArrayObjective(lambda t: (np.mean((t[0] - d) ** 2), np.array([2 * np.mean(t[0] - d)])))
    >>> sto = minibatch(make, n_data=10, batch_size=4, seed=1)
    >>> b = sto.sample(0); b2 = sto.sample(0)
    >>> b.value_and_grad(np.zeros(1))[0] == b2.value_and_grad(np.zeros(1))[0]
    np.True_
    """
    if batch_size <= 0 or batch_size > n_data:
        raise ValueError(f"batch_size must be in 1..n_data={n_data}, got {batch_size}")
    return MinibatchObjective(make, int(n_data), int(batch_size), int(seed))


def objective(obj: Any, hvp: Optional[Callable] = None, *, name: Optional[str] = None):
    """Build an objective from an :class:`offsetgeo.Function`, a callable, or an objective.

    Parameters
    ----------
    obj
        An :class:`offsetgeo.Function` or an expression string (wrapped as
        :class:`FunctionObjective`), an object that
        already has ``value_and_grad`` (returned unchanged), or a callable
        ``theta -> (value, grad)`` (wrapped as :class:`ArrayObjective`).
    hvp : callable, optional
        Hessian-vector product for a callable ``obj``.
    name : str, optional
        Label.

    Returns
    -------
    objective : FunctionObjective, ArrayObjective or ``obj`` itself

    See Also
    --------
    minibatch : a stochastic objective.
    run : runs an optimizer on an objective.

    Examples
    --------
    >>> import numpy as np
    >>> o = objective(lambda t: (float(t @ t), 2 * t), hvp=lambda t, v: 2 * v, name="bowl")
    >>> o.hvp(np.ones(2), np.array([1.0, 0.0]))
    array([2., 0.])
    """
    if isinstance(obj, str):
        obj = Function(obj)
    if isinstance(obj, Function):
        if hvp is not None:
            raise ValueError("hvp= is only for callables; an offsetgeo.Function provides hess")
        return FunctionObjective(obj, name=name or "function")
    if hasattr(obj, "value_and_grad") or hasattr(obj, "sample"):
        if hvp is not None:
            raise ValueError("hvp= is only for callables; this object already is an objective")
        return obj
    if callable(obj):
        return ArrayObjective(obj, hvp=hvp, name=name or getattr(obj, "__name__", "objective"))
    raise ValueError(
        f"cannot build an objective from {type(obj).__name__}: pass an offsetgeo.Function, an "
        "expression string, a callable theta -> (value, grad), or an object with value_and_grad"
    )
