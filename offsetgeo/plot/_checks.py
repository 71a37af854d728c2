"""Checks shared by the pictures: one clear message per kind of bad input.

They build on the toolkit's own coercion (:func:`offsetgeo.as_function`,
:meth:`offsetgeo.Function.window`, the radius check of ``offsetgeo._validation``) and add
what a picture needs: the dimension it can draw, radii kept in the caller's order (one
colour each), colours, and results computed beforehand.
"""

from __future__ import annotations

import numpy as np

from .._function import Function, as_function
from .._validation import check_radius
from ._style import PALETTE

__all__ = ["check_function", "check_radii", "check_window", "check_colors",
           "check_precomputed", "periodic_axes"]

_OTHER = {1: "graph_and_offset, unreachable or medial_axis", 2: "surface"}


def check_function(f, who: str, dims=(1,)) -> Function:
    """``f`` as a :class:`offsetgeo.Function` of one of the dimensions ``dims``.

    Parameters
    ----------
    f : Function or str
        A string is parsed; any other type is a ``TypeError``.
    who : str
        The picture, named in the messages.
    dims : tuple of int
        The dimensions the picture draws (another one is a ``ValueError``).

    Returns
    -------
    f : Function

    See Also
    --------
    offsetgeo.as_function : the coercion itself.

    Examples
    --------
    >>> check_function("x**2", "demo").dim
    1
    >>> check_function("x*y", "demo")
    Traceback (most recent call last):
    ...
    ValueError: demo draws functions of 1 variable(s); this one has 2 (x, y): use surface instead
    """
    f = as_function(f)
    if f.dim not in dims:
        want = " or ".join(str(d) for d in dims)
        hint = _OTHER.get(f.dim, "no picture of this toolkit")
        raise ValueError(f"{who} draws functions of {want} variable(s); this one has {f.dim} "
                         f"({', '.join(f.variables)}): use {hint} instead")
    return f


def check_radii(rhos, who: str, name: str = "rhos") -> np.ndarray:
    """Radii as a 1-D float array in the caller's order: non-empty, each positive, finite.

    Parameters
    ----------
    rhos : float or sequence of float
    who : str
        The picture, named in the messages.
    name : str
        The argument's name.

    Returns
    -------
    radii : ndarray (k,)

    See Also
    --------
    offsetgeo.theorems.run_all : sweeps of radii sorted and deduplicated instead.

    Examples
    --------
    >>> check_radii([1.0, 0.5], "demo")
    array([1. , 0.5])
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
    try:
        return np.array([check_radius(r, name) for r in arr])
    except ValueError as err:
        raise ValueError(f"{who}: {err}") from None


def check_window(f: Function, window, who: str) -> np.ndarray:
    """The (d, 2) box to draw: ``window`` checked, or the domain / one period / ``[-5, 5]``.

    Parameters
    ----------
    f : Function
    window : (lo, hi) or sequence of (lo, hi), optional
    who : str
        The picture, named in the messages.

    Returns
    -------
    box : ndarray (d, 2)

    See Also
    --------
    offsetgeo.Function.window : the check itself.

    Examples
    --------
    >>> check_window(Function("x**2"), None, "demo").tolist()
    [[-5.0, 5.0]]
    """
    try:
        return f.window(window, require_bounded=False)
    except ValueError as err:
        raise ValueError(f"{who}: {err}") from None


def check_colors(colors, count: int, who: str) -> list:
    """One colour per curve: ``colors`` checked, or :data:`PALETTE` in order (repeating).

    Parameters
    ----------
    colors : sequence of colours or None
    count : int
        The number of curves.
    who : str
        The picture, named in the messages.

    Returns
    -------
    colours : list

    See Also
    --------
    PALETTE : the default colours.

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
    """Library results given to a picture instead of being computed again.

    Parameters
    ----------
    results : sequence or None
        One result per key, in order (None passes through).
    keys : sequence
        The radii (compared to 1e-12) or sides the picture was asked for.
    attribute : str
        The attribute of a result that holds its key (``"rho"``, ``"side"``).
    who : str
        The picture, named in the messages.

    Returns
    -------
    results : list or None

    See Also
    --------
    offsetgeo.unreachable_set, offsetgeo.medial_axis : results pictures accept.

    Examples
    --------
    >>> class R:
    ...     rho = 0.5
    >>> len(check_precomputed([R()], [0.5], "rho", "demo"))
    1
    """
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


def periodic_axes(f: Function, box: np.ndarray) -> tuple:
    """Per variable: whether ``box`` spans exactly one period of ``f``."""
    period = f.period or (None,) * f.dim
    return tuple(p is not None and bool(np.isclose(hi - lo, p, rtol=1e-9, atol=0.0))
                 for p, (lo, hi) in zip(period, box))
