"""One JSON rule for every result of offsetgeo and rbo.

Arrays become lists, NumPy scalars Python scalars, tuples lists; a non-finite number becomes
``null`` and its kind (``"inf"``, ``"-inf"`` or ``"nan"``) is recorded under the same path
(keys joined by ``.``, list indices included) in a top-level ``"nonfinite"`` mapping, so a
reader can tell "infinite reach" from "not computed" without strings in numeric fields.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

__all__ = ["jsonable", "to_dict", "Result"]


def _kind(value: float) -> str:
    if math.isnan(value):
        return "nan"
    return "inf" if value > 0 else "-inf"


def _convert(obj, path: str, nonfinite: dict):
    if isinstance(obj, dict):
        return {str(k): _convert(v, f"{path}.{k}" if path else str(k), nonfinite)
                for k, v in obj.items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _convert({f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)
                         if f.repr}, path, nonfinite)
    if isinstance(obj, np.ndarray):
        obj = obj.tolist()
    if isinstance(obj, (list, tuple)):
        return [_convert(v, f"{path}.{i}", nonfinite) for i, v in enumerate(obj)]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        if math.isfinite(value):
            return value
        nonfinite[path] = _kind(value)
        return None
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)


def jsonable(obj):
    """``(data, nonfinite)``: ``obj`` made JSON-ready, and the non-finite numbers it held.

    Examples
    --------
    >>> jsonable({"value": float("inf"), "x": np.array([1.0, np.nan])})
    ({'value': None, 'x': [1.0, None]}, {'value': 'inf', 'x.1': 'nan'})
    """
    nonfinite: dict = {}
    return _convert(obj, "", nonfinite), nonfinite


def to_dict(obj) -> dict:
    """A JSON-ready dict of ``obj`` (a dataclass or a dict) by the rule of this module.

    Examples
    --------
    >>> to_dict({"value": float("inf"), "agree": True})
    {'value': None, 'agree': True, 'nonfinite': {'value': 'inf'}}
    """
    data, nonfinite = jsonable(obj)
    if nonfinite:
        data["nonfinite"] = nonfinite
    return data


class Result:
    """Mixin for the frozen result dataclasses: ``to_dict()`` by the one JSON rule.

    Fields declared with ``field(repr=False)`` (bulky arrays) are left out.
    """

    def to_dict(self) -> dict:
        """JSON-ready data: non-finite numbers as ``null``, listed under ``"nonfinite"``."""
        return to_dict(self)
