"""Array-API helpers shared by rbo (NumPy, CuPy, array_api_strict)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from array_api_compat import is_cupy_array

from offsetgeo._numerics import array_namespace, row_dot

__all__ = ["array_namespace", "to_numpy", "like", "norm", "finfo_eps"]


def to_numpy(x: Any) -> np.ndarray:
    """Host NumPy copy (or view) of an array from any namespace.

    Examples
    --------
    >>> to_numpy([1.0, 2.0])
    array([1., 2.])
    """
    if is_cupy_array(x):
        return x.get()
    if isinstance(x, np.ndarray):
        return x
    try:
        return np.from_dlpack(x)
    except (TypeError, AttributeError, RuntimeError, BufferError):
        return np.asarray(x)


def like(a: Any, ref: Any) -> Any:
    """``a`` (NumPy or a Python number) as an array of the namespace, dtype and device of ``ref``.

    Examples
    --------
    >>> like(np.arange(2), np.zeros(3, dtype=np.float32)).dtype
    dtype('float32')
    """
    xp = array_namespace(ref)
    if is_cupy_array(ref):
        return xp.asarray(a, dtype=ref.dtype)
    return xp.asarray(np.asarray(a, dtype=to_numpy(ref).dtype))


def norm(v) -> float:
    """Euclidean norm of a vector of any namespace, as a Python float."""
    return math.sqrt(float(row_dot(v, v)))


def finfo_eps(xp, dtype) -> float:
    """Machine epsilon of ``dtype`` in namespace ``xp``."""
    try:
        return float(xp.finfo(dtype).eps)
    except (AttributeError, TypeError):  # pragma: no cover - namespaces without finfo
        return float(np.finfo(np.float64).eps)
