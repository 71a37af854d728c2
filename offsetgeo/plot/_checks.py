"""Checks shared by the plotting functions: one clear message per kind of bad input."""

from __future__ import annotations

import numpy as np

from .. import Function
from ._style import PALETTE

_OTHER = {1: "graph_and_offset, unreachable or medial_axis", 2: "surface"}


def check_function(f, who: str, dims=(1,)) -> Function:
    """``f`` as a :class:`offsetgeo.Function` of one of the dimensions ``dims``.

    ``who`` names the caller in the messages: a string is parsed, any other type is a
    ``TypeError``, a function of another dimension a ``ValueError``.

    Examples
    --------
    >>> check_function("x**2", "demo").dim
    1
    >>> check_function("x*y", "demo")
    Traceback (most recent call last):
    ...
    ValueError: demo draws functions of 1 variable(s); this one has 2 (x, y): use surface instead
    """
    if isinstance(f, str):
        f = Function(f)
    elif not isinstance(f, Function):
        raise TypeError(f"{who}: f must be an offsetgeo.Function or an expression string, "
                        f"got {type(f).__name__}")
    if f.dim not in dims:
        want = " or ".join(str(d) for d in dims)
        hint = _OTHER.get(f.dim, "no picture of this toolkit")
        raise ValueError(f"{who} draws functions of {want} variable(s); this one has {f.dim} "
                         f"({', '.join(f.variables)}): use {hint} instead")
    return f


def check_radii(rhos, who: str, name: str = "rhos") -> np.ndarray:
    """Radii as a 1-D float array: non-empty, every one positive and finite.

    Examples
    --------
    >>> check_radii(0.5, "demo")
    array([0.5])
    >>> check_radii([], "demo")
    Traceback (most recent call last):
    ...
    ValueError: demo: rhos is empty (or not flat); give at least one radius ρ > 0
    """
    try:
        arr = np.atleast_1d(np.asarray(rhos, dtype=float))
    except (TypeError, ValueError):
        raise TypeError(f"{who}: {name} must be a number or a sequence of numbers, "
                        f"got {rhos!r}") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{who}: {name} is empty (or not flat); give at least one radius ρ > 0")
    bad = ~(np.isfinite(arr) & (arr > 0))
    if bad.any():
        raise ValueError(f"{who}: every radius ρ must be positive and finite, got {arr[bad][0]!r}")
    return arr


def check_window(f: Function, box, who: str) -> np.ndarray:
    """The (d, 2) box to draw: ``box`` checked, or the function's domain / one period /
    ``[-5, 5]`` per variable (:attr:`Function.sample_box`)."""
    if box is None:
        return np.array(f.sample_box, dtype=float)
    try:
        arr = np.asarray(box, dtype=float).reshape(-1, 2)
    except (TypeError, ValueError):
        raise ValueError(f"{who}: window must be (lo, hi) or [(lo, hi), ...], "
                         f"got {box!r}") from None
    if arr.shape[0] != f.dim:
        raise ValueError(f"{who}: window has {arr.shape[0]} interval(s) but f has {f.dim} "
                         "variable(s)")
    if not (np.all(np.isfinite(arr)) and np.all(arr[:, 1] > arr[:, 0])):
        raise ValueError(f"{who}: window intervals must be finite with lo < hi, got "
                         f"{arr.tolist()}")
    return arr


def periodic_axes(f: Function, box: np.ndarray) -> tuple:
    """Per variable: whether ``box`` spans exactly one period of ``f``."""
    period = f.period or (None,) * f.dim
    return tuple(p is not None and bool(np.isclose(hi - lo, p, rtol=1e-9, atol=0.0))
                 for p, (lo, hi) in zip(period, box))


def check_colors(colors, count: int, who: str) -> list:
    """One colour per curve: ``colors`` checked, or :data:`PALETTE` in order (repeating).

    Examples
    --------
    >>> check_colors(None, 2, "demo")
    ['#0072B2', '#D55E00']
    """
    if colors is None:
        return [PALETTE[i % len(PALETTE)] for i in range(count)]
    colors = list(colors)
    if len(colors) != count:
        raise ValueError(f"{who}: {count} curve(s) but {len(colors)} colours")
    return colors


def check_precomputed(results, keys, attribute: str, who: str):
    """Library results given to a picture instead of being computed again: one per key
    (radius or side), in order, each with ``result.<attribute> == key``; None passes."""
    if results is None:
        return None
    results = list(results)
    got = [getattr(r, attribute, None) for r in results]
    keys = list(keys)
    same = len(got) == len(keys) and all(
        g == k if isinstance(k, str) else (g is not None and np.isclose(g, k, rtol=1e-12, atol=0))
        for g, k in zip(got, keys))
    if not same:
        raise ValueError(f"{who}: precomputed results are for {attribute} {got}, not {keys}")
    return results
