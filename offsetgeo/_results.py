"""One JSON rule for every result of offsetgeo and rbo.

Arrays become lists, NumPy scalars Python scalars, tuples lists; a non-finite number becomes
``null`` and its kind (``"inf"``, ``"-inf"`` or ``"nan"``) is recorded under the same path
(keys joined by ``.``, list indices included) in a top-level ``"nonfinite"`` mapping, so a
reader can tell "infinite reach" from "not computed" without strings in numeric fields.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping

import numpy as np

__all__ = ["jsonable", "to_dict", "to_json", "from_json", "Result"]

_NONFINITE = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}


def _kind(value: float) -> str:
    if math.isnan(value):
        return "nan"
    return "inf" if value > 0 else "-inf"


def _convert(obj, path: str, nonfinite: dict, strict: bool):
    if isinstance(obj, Mapping):
        if strict and any("." in str(k) for k in obj):
            raise ValueError(f"stored names must not contain '.': "
                             f"{[k for k in obj if '.' in str(k)]}")
        return {str(k): _convert(v, f"{path}.{k}" if path else str(k), nonfinite, strict)
                for k, v in obj.items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type) and not strict:
        return _convert({f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)
                         if f.repr}, path, nonfinite, strict)
    if isinstance(obj, np.ndarray):
        obj = obj.tolist()
    if isinstance(obj, (list, tuple)):
        return [_convert(v, f"{path}.{i}", nonfinite, strict) for i, v in enumerate(obj)]
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
    if strict:
        raise TypeError(f"cannot store {type(obj).__name__} in JSON: use numbers, strings, "
                        "lists, dicts or arrays")
    return str(obj)


def jsonable(obj, *, strict: bool = False):
    """``(data, nonfinite)``: ``obj`` made JSON-ready, and the non-finite numbers it held.

    ``strict`` (for data that must round-trip, e.g. stored metrics): an object that is not
    data raises ``TypeError`` (else it is written as its ``str``), and names with ``.`` (the
    path separator) are refused.

    Examples
    --------
    >>> jsonable({"value": float("inf"), "x": np.array([1.0, np.nan])})
    ({'value': None, 'x': [1.0, None]}, {'value': 'inf', 'x.1': 'nan'})
    """
    nonfinite: dict = {}
    return _convert(obj, "", nonfinite, strict), nonfinite


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


def to_json(obj: Mapping) -> str:
    """Strict JSON text of a mapping by the rule (non-finite numbers as ``null``, listed under
    ``"nonfinite"``); :func:`from_json` inverts it exactly.

    Examples
    --------
    >>> to_json({"loss": float("nan"), "evals": 3})
    '{"loss": null, "evals": 3, "nonfinite": {"loss": "nan"}}'
    """
    if isinstance(obj, Mapping) and "nonfinite" in obj:
        raise ValueError("'nonfinite' is reserved in stored JSON; rename that entry")
    data, nonfinite = jsonable(obj, strict=True)
    if nonfinite:
        data = {**data, "nonfinite": nonfinite}
    return json.dumps(data, allow_nan=False)


def from_json(text: str):
    """Inverse of :func:`to_json`: the non-finite numbers put back in place.

    Examples
    --------
    >>> from_json(to_json({"theta": [1.0, float("-inf")]}))
    {'theta': [1.0, -inf]}
    """
    data = json.loads(text)
    if isinstance(data, dict) and "nonfinite" in data:
        for path, kind in data.pop("nonfinite").items():
            *parents, last = path.split(".")
            node = data
            for part in parents:
                node = node[int(part)] if isinstance(node, list) else node[part]
            node[int(last) if isinstance(node, list) else last] = _NONFINITE[kind]
    return data


class Result:
    """Mixin for the frozen result dataclasses: ``to_dict()`` by the one JSON rule.

    Fields declared with ``field(repr=False)`` (bulky arrays) are left out.
    """

    def to_dict(self) -> dict:
        """JSON-ready data: non-finite numbers as ``null``, listed under ``"nonfinite"``."""
        return to_dict(self)
