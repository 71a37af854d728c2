"""Checks and coercion of arguments, written once (see ``docs/conventions.md``).

Every public function validates its inputs with these, so the same mistake gets the same
one-line ``ValueError``/``TypeError`` everywhere. (Coercion of losses, ``as_function``,
lives beside :class:`~offsetgeo.Function`.)
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["as_thetas", "as_points", "check_radius", "check_radii", "check_positive",
           "check_count", "check_choice", "check_side", "check_failure_policy",
           "FAILURE_POLICIES", "SIDES"]

#: values of the ``on_failure`` keyword; ``"stop"`` only for runs (rbo)
FAILURE_POLICIES = ("warn", "raise", "ignore", "stop")
SIDES = ("upper", "lower")


def _float(value, name: str, kind: str = "a number") -> float:
    # like float() itself, a value that is not a number is a ValueError
    if isinstance(value, (bool, np.bool_, str)) or np.ndim(value) != 0:
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be {kind}, got {value!r}") from None


def check_positive(value, name: str, *, allow_inf: bool = False,
                   allow_zero: bool = False) -> float:
    """``value`` as a positive float (finite unless ``allow_inf``; ``≥ 0`` with
    ``allow_zero``), or a one-line error.

    Examples
    --------
    >>> check_positive(2, "resolution")
    2.0
    >>> check_positive(-1, "resolution")
    Traceback (most recent call last):
    ...
    ValueError: resolution must be a positive finite number, got -1
    """
    kind = f"a {'non-negative' if allow_zero else 'positive'} {'' if allow_inf else 'finite '}number"
    out = _float(value, name, kind)
    if math.isnan(out) or out < 0 or (out == 0 and not allow_zero) \
            or (math.isinf(out) and not allow_inf):
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return out


def check_radius(rho, name: str = "rho") -> float:
    """A ball radius: a positive finite float, or a one-line error.

    Examples
    --------
    >>> check_radius(0.5)
    0.5
    >>> check_radius(0)
    Traceback (most recent call last):
    ...
    ValueError: the radius rho must be positive and finite, got 0
    """
    r = _float(rho, f"the radius {name}", "a positive number")
    if not math.isfinite(r) or r <= 0.0:
        raise ValueError(f"the radius {name} must be positive and finite, got {rho!r}")
    return r


def check_radii(radii, name: str = "radii") -> np.ndarray:
    """A non-empty, sorted, deduplicated array of positive finite radii.

    Examples
    --------
    >>> check_radii([2, 1, 2]).tolist()
    [1.0, 2.0]
    """
    try:
        r = np.atleast_1d(np.asarray(radii, dtype=float)).ravel()
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of numbers, got {radii!r}") from None
    if r.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(r)) or np.any(r <= 0):
        raise ValueError(f"{name} must be positive and finite (ρ > 0), got {r.tolist()}")
    return np.unique(r)


def check_count(value, name: str, *, minimum: int = 1) -> int:
    """An integer ``≥ minimum`` (integral floats accepted), or a one-line error.

    Examples
    --------
    >>> check_count(3.0, "steps", minimum=0)
    3
    >>> check_count(2.5, "steps")
    Traceback (most recent call last):
    ...
    ValueError: steps must be an integer >= 1, got 2.5
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        out = int(value)
    else:
        v = _float(value, name)
        if not (math.isfinite(v) and v == int(v)):
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
        out = int(v)
    if out < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return out


def check_choice(value, name: str, choices) -> str:
    """``value`` if it is one of ``choices``, else a one-line error listing them.

    Examples
    --------
    >>> check_choice("both", "method", ("both", "curvature"))
    'both'
    >>> check_choice("x", "method", ("both", "curvature"))
    Traceback (most recent call last):
    ...
    ValueError: unknown method 'x': method must be one of 'both', 'curvature'
    """
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"unknown {name} {value!r}: {name} must be one of {options}")
    return value


def check_side(side, *, allow_both: bool = False) -> str:
    """``"upper"`` or ``"lower"`` (and ``"both"`` where a function reports both sides)."""
    return check_choice(side, "side", SIDES + (("both",) if allow_both else ()))


def check_failure_policy(value, *, allow_stop: bool = False) -> str:
    """A value of ``on_failure``: ``"warn"``, ``"raise"``, ``"ignore"`` (runs: ``"stop"``)."""
    if allow_stop or value != "stop":
        return check_choice(value, "on_failure", FAILURE_POLICIES if allow_stop
                            else FAILURE_POLICIES[:3])
    raise ValueError("on_failure='stop' applies to runs (rbo.run, rbo.run_batched); this "
                     "function returns every result: use 'warn', 'raise' or 'ignore'")


def as_thetas(thetas, dim: int):
    """Parameter points of ``R^dim`` as a float64 array (n, dim), and how to shape results.

    Accepts one point, shape (n, dim), or (n,) when ``dim == 1``. The tag is ``"scalar"``
    (one point), ``"flat"`` (d = 1 given as (n,)) or ``"rows"``.

    Examples
    --------
    >>> arr, tag = as_thetas([0.0, 1.0], 1)
    >>> arr.shape, tag
    ((2, 1), 'flat')
    """
    try:
        arr = np.asarray(thetas, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"thetas must be numbers of shape (n, {dim}), got {thetas!r}") from None
    if dim == 1:
        if arr.ndim == 0:
            return arr.reshape(1, 1), "scalar"
        if arr.ndim == 1:
            return arr.reshape(-1, 1), "flat"
        if arr.ndim == 2 and arr.shape[1] == 1:
            return arr, "rows"
    else:
        if arr.ndim == 1 and arr.shape[0] == dim:
            return arr.reshape(1, dim), "scalar"
        if arr.ndim == 2 and arr.shape[1] == dim:
            return arr, "rows"
    raise ValueError(f"points for a function of {dim} variable(s) must have shape "
                     f"{'(n,) or (n, 1)' if dim == 1 else f'(n, {dim}) or ({dim},)'}, got {arr.shape}")


def as_points(points, dim: int):
    """Points of ``R^(dim+1)`` (last coordinate: height) as a finite float64 array (n, dim+1).

    Returns the array and whether one point (shape (dim+1,)) was given.

    Examples
    --------
    >>> arr, single = as_points([0.0, 1.0], 1)
    >>> arr.tolist(), single
    ([[0.0, 1.0]], True)
    """
    try:
        pts = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"points must be numbers of shape (n, {dim + 1}) (last column = height), "
                        f"got {points!r}") from None
    single = pts.ndim == 1
    if single:
        pts = pts[None, :]
    if pts.ndim != 2 or pts.shape[1] != dim + 1:
        raise ValueError(f"points must have shape (n, {dim + 1}) for a function of {dim} "
                         f"variable(s) (last column = height), got {np.shape(points)}")
    if not np.all(np.isfinite(pts)):
        raise ValueError("points contain NaN or inf")
    return pts, single
