"""JSON for the figures' data: arrays as lists, non-finite numbers as ``null``.

The rule of ``docs/conventions.md``: a non-finite number becomes ``null`` and its kind
(``"nan"``, ``"inf"``, ``"-inf"``) is recorded under the same path (list indices as keys) in
a top-level ``"nonfinite"`` mapping, so the file is strict JSON and nothing is lost.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

__all__ = ["jsonable", "write_json"]


def _kind(value: float) -> str:
    if math.isnan(value):
        return "nan"
    return "inf" if value > 0 else "-inf"


def jsonable(obj):
    """``(clean, nonfinite)``: a JSON-ready copy of ``obj`` and the non-finite numbers' kinds.

    Examples
    --------
    >>> jsonable({"a": np.array([1.0, np.nan]), "b": (np.int64(2), np.inf)})
    ({'a': [1.0, None], 'b': [2, None]}, {'a': {'1': 'nan'}, 'b': {'1': 'inf'}})
    """
    nonfinite: dict = {}

    def record(path, kind):
        node = nonfinite
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = kind

    def walk(o, path):
        if isinstance(o, dict):
            return {str(k): walk(v, path + (str(k),)) for k, v in o.items()}
        if isinstance(o, np.ndarray):
            o = o.tolist()
        if isinstance(o, (list, tuple)):
            return [walk(v, path + (str(i),)) for i, v in enumerate(o)]
        if isinstance(o, (bool, np.bool_)):
            return bool(o)
        if isinstance(o, (int, np.integer)):
            return int(o)
        if isinstance(o, (float, np.floating)):
            value = float(o)
            if math.isfinite(value):
                return value
            record(path, _kind(value))
            return None
        if o is None or isinstance(o, str):
            return o
        raise TypeError(f"cannot write a {type(o).__name__} to JSON (at /{'/'.join(path)})")

    return walk(obj, ()), nonfinite


def write_json(path: Path, payload: dict) -> None:
    """Write ``payload`` (made JSON-ready, ``"nonfinite"`` added when needed) atomically."""
    clean, nonfinite = jsonable(payload)
    if nonfinite:
        clean["nonfinite"] = nonfinite
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(clean, indent=1, ensure_ascii=False, allow_nan=False) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)
