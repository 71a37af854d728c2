"""Activations with their first and second derivatives, on the array API.

Each activation returns ``(φ(z), φ'(z), φ''(z))`` up to the order asked (``None`` beyond):
backpropagation needs ``φ'``, the R-operator (exact Hessian-vector products) ``φ''`` too.

``gelu`` is the **tanh approximation** of Hendrycks & Gimpel (the array API has no ``erf``),

    gelu(z) = z (1 + tanh(u)) / 2,   u = k (z + c z³),   k = sqrt(2/π),  c = 0.044715,

and its derivatives are those of exactly this function (not of ``z Φ(z)``).
"""
from __future__ import annotations

import math
from typing import Any

__all__ = ["ACTIVATIONS", "activate"]

#: the activations an MLP accepts
ACTIVATIONS = ("tanh", "relu", "gelu")

_GELU_K = math.sqrt(2.0 / math.pi)
_GELU_C = 0.044715


def _tanh(xp, z, order):
    t = xp.tanh(z)
    if order == 0:
        return t, None, None
    d1 = t * t
    d1 *= -1.0
    d1 += 1.0                                  # 1 − t², in place: bit for bit the same
    return t, d1, (_tanh_d2(t, d1) if order > 1 else None)


def _tanh_d2(t, d1):
    """``φ'' = −2 φ φ'`` of tanh from ``φ = t`` and ``φ' = d1``."""
    return -2.0 * t * d1


def _relu(xp, z, order):
    pos = z > 0.0
    a = xp.where(pos, z, xp.zeros_like(z))
    if order == 0:
        return a, None, None
    d1 = xp.astype(pos, z.dtype)
    return a, d1, (xp.zeros_like(z) if order > 1 else None)


def _gelu(xp, z, order):
    z2 = z * z
    t = xp.tanh(_GELU_K * (z + _GELU_C * z2 * z))
    a = 0.5 * z * (1.0 + t)
    if order == 0:
        return a, None, None
    sech2 = 1.0 - t * t
    du = _GELU_K * (1.0 + 3.0 * _GELU_C * z2)            # u'
    d1 = 0.5 * (1.0 + t) + 0.5 * z * sech2 * du
    if order == 1:
        return a, d1, None
    d2u = 6.0 * _GELU_K * _GELU_C * z                    # u''
    d2 = sech2 * (du + 0.5 * z * (d2u - 2.0 * t * du * du))
    return a, d1, d2


_TABLE = {"tanh": _tanh, "relu": _relu, "gelu": _gelu}


def activate(name: str, xp: Any, z: Any, order: int = 0):
    """``(φ(z), φ'(z), φ''(z))`` of the activation ``name``, derivatives up to ``order``.

    ``tanh``: ``φ' = 1 − φ²``, ``φ'' = −2 φ φ'``; ``relu``: ``φ' = [z > 0]``, ``φ'' = 0``
    (the kink at 0 has derivative 0); ``gelu``: the tanh approximation (module docstring).

    Parameters
    ----------
    name : {"tanh", "relu", "gelu"}
    xp : array namespace
    z : array
        Pre-activations.
    order : {0, 1, 2}
        Highest derivative wanted.

    Returns
    -------
    values : tuple ``(φ(z), φ'(z), φ''(z))``
        ``φ(z)``; ``φ'(z)`` when ``order ≥ 1``; ``φ''(z)`` when ``order = 2``.

    See Also
    --------
    rbo.nn.mlp : where the activations are used.

    Examples
    --------
    >>> import numpy as np
    >>> a, d1, d2 = activate("gelu", np, np.array([0.0, 1.0]), order=2)
    >>> a.round(6).tolist(), d1.round(6).tolist(), d2.round(6).tolist()
    ([0.0, 0.841192], [0.5, 1.082964], [0.797885, 0.242148])
    """
    if name not in _TABLE:
        raise ValueError(f"unknown activation {name!r}; choose one of {ACTIVATIONS}")
    return _TABLE[name](xp, z, int(order))


def second_derivative(name: str, xp: Any, z: Any, value: Any, d1: Any):
    """``φ''(z)`` given ``value = φ(z)`` and ``d1 = φ'(z)`` from :func:`activate`: the same
    numbers as ``activate(name, xp, z, 2)[2]``, for ``tanh`` without a second ``tanh`` of ``z``
    (``φ'' = −2 φ φ'``). Used by the R-operator of :mod:`rbo.nn._mlp`."""
    if name == "tanh":
        return _tanh_d2(value, d1)
    return activate(name, xp, z, 2)[2]
