"""What a sweep task is: parameters, canonical configurations, cell keys, deadlines, JSON.

A *task* is a function of one configuration (a dict of parameter values) that returns
metrics and, optionally, curves (:class:`CellOutput`), together with a declaration of the
parameters it takes (:class:`Param`) and of what its report shows (:class:`Task`).  A
*cell* is one configuration of a sweep; its key is a hash of the task's name, the
configuration with every default filled in, and the package version, so that the same
cell always has the same key and a changed configuration never reuses a stored result.
"""
from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional

import numpy as np

__all__ = ["Param", "Task", "CellOutput", "Deadline", "CellTimeout", "REQUIRED", "cell_key"]

KINDS = ("float", "int", "str", "bool", "floats", "number", "json")


class _Required:
    def __repr__(self):
        return "REQUIRED"


#: default of a parameter that every configuration must give
REQUIRED = _Required()


class CellTimeout(TimeoutError):
    """A cell ran past its time limit (raised by :meth:`Deadline.check`)."""


@dataclass(frozen=True)
class Deadline:
    """A cell's time limit, measured on the process that runs it.

    ``expired()`` is True once ``seconds`` have passed since the deadline was made (never
    when ``seconds`` is None); ``check()`` raises :class:`CellTimeout` then.  Tasks pass
    ``expired`` to long loops (``rbo.run(..., callback=lambda *a: deadline.expired())``).

    Examples
    --------
    >>> d = Deadline(None)
    >>> d.expired(), d.remaining
    (False, inf)
    >>> Deadline(0.0).expired()
    True
    """

    seconds: Optional[float] = None
    start: float = field(default_factory=time.monotonic)

    @property
    def remaining(self) -> float:
        if self.seconds is None:
            return math.inf
        return self.seconds - (time.monotonic() - self.start)

    def expired(self) -> bool:
        return self.remaining <= 0.0

    def check(self, where: str = "") -> None:
        if self.expired():
            raise CellTimeout(f"timed out after {self.seconds:g} s" + (f" ({where})" if where else ""))


@dataclass(frozen=True)
class CellOutput:
    """What a task returns for one cell.

    Attributes
    ----------
    metrics : dict
        JSON-ready scalars and short lists (stored in the database).
    curves : dict of str -> array
        Per-step arrays (stored as ``curves/<key>.npz``), e.g. ``loss`` and ``evals``.
    """

    metrics: dict
    curves: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Param:
    """One parameter of a task.

    Parameters
    ----------
    kind : {"float", "int", "str", "bool", "floats", "number", "json"}
        ``floats``: a list of numbers (a single number becomes a list of one);
        ``number``: a number or an expression string such as ``"2*pi"``;
        ``json``: any JSON value (tuples become lists).
    default
        :data:`REQUIRED` when every configuration must give it; ``None`` is allowed as a
        value whenever the default is ``None``.
    doc : str
    choices : tuple
        The allowed values, when there is a fixed list.

    Examples
    --------
    >>> Param("float", 0.1).coerce("lr", 1)
    1.0
    >>> Param("floats", REQUIRED).coerce("theta0", 2)
    [2.0]
    """

    kind: str
    default: Any = REQUIRED
    doc: str = ""
    choices: tuple = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Param kind must be one of {KINDS}, got {self.kind!r}")

    def coerce(self, name: str, value: Any) -> Any:
        """``value`` in canonical form; TypeError/ValueError naming ``name`` when it does not fit."""
        if value is None and self.default is None:
            return None
        kind = self.kind
        if kind == "bool":
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{name} must be true or false, got {value!r}")
            out = bool(value)
        elif kind == "str":
            if not isinstance(value, str):
                raise TypeError(f"{name} must be a string, got {value!r}")
            out = value
        elif kind == "int":
            if _is_number(value) and float(value).is_integer():
                out = int(value)
            else:
                raise TypeError(f"{name} must be an integer, got {value!r}")
        elif kind == "float":
            out = _float(name, value)
        elif kind == "floats":
            items = value if isinstance(value, (list, tuple, np.ndarray)) else [value]
            out = [_float(name, v) for v in items]
            if not out:
                raise ValueError(f"{name} must have at least one number")
        elif kind == "number":
            out = value if isinstance(value, str) else _float(name, value)
        else:  # json
            try:
                out = json.loads(json.dumps(value))
            except (TypeError, ValueError):
                raise TypeError(f"{name} must be a JSON value (numbers, strings, lists), "
                                f"got {value!r}") from None
        if self.choices and out not in self.choices:
            raise ValueError(f"{name} must be one of {', '.join(map(str, self.choices))}; got {out!r}")
        return out


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _float(name, v) -> float:
    if not _is_number(v):
        raise TypeError(f"{name} must be a number, got {v!r}")
    return float(v)


@dataclass(frozen=True)
class Task:
    """A sweepable task: a function of one configuration and a declaration of its parameters.

    Parameters
    ----------
    name : str
        What a study's ``task =`` names.
    fn : callable
        ``fn(config, deadline) -> CellOutput``; ``config`` is the canonical configuration
        (:meth:`config`), ``deadline`` a :class:`Deadline` to honour in long loops.  It must
        be a module-level function (it is sent to Dask workers by reference) and its result
        must depend on ``config`` only.
    params : mapping of str -> Param
        Every parameter the task takes; a study naming another one is refused.
    metrics : tuple of str
        Names of the metrics ``fn`` returns (documentation; the report reads them).
    doc : str
    relevant : callable, optional
        ``relevant(config) -> set of names``: the parameters that apply to a configuration
        (e.g. ``radius`` only for RBO); the others are dropped from it, so cells that differ
        only in a parameter that does not apply are one cell.  Default: all.
    check : callable, optional
        ``check(config)``, run on the client before anything starts: raises
        ValueError/TypeError for a configuration that cannot run.
    primary : (str, {"min", "max"})
        The metric the report maps and ranks by, and whether smaller or larger is better.
    cost_curve : (str, str) or None
        Names of the curves ``(cost, value)`` (e.g. ``("evals", "loss")``) from which the
        performance profile reads the cost to reach a target; None: no profile.
    hyper : tuple of str
        The parameters tuned per method (searched for the best configuration).
    group : str or None
        The parameter naming the method compared (``"optimizer"``); None: no comparison.
    heatmap : (str, str) or None
        The two parameters of the heat map's rows and columns (``("radius", "lr")``).
    seed : str or None
        The parameter whose values are replicates (averaged over in the report).
    diverged : tuple of str
        Values of the metric ``status`` that mark a run as diverged (marked in the report).
    show : tuple of str
        Further metrics the report's tables list (their distinct values over the seeds).
    note : str or None
        A numeric metric whose mean over the valid seeds the heat map prints under each
        cell's value (``"steps"``: how many steps the budget bought); None: nothing.
    flag : str or None
        A count metric (``"unconverged"``: footpoint solves that did not converge); the
        report marks ``‡ k`` on cells where k valid seeds have it above zero.
    """

    name: str
    fn: Callable[[dict, Deadline], CellOutput]
    params: Mapping[str, Param]
    metrics: tuple = ()
    doc: str = ""
    relevant: Optional[Callable[[dict], set]] = None
    check: Optional[Callable[[dict], None]] = None
    primary: tuple = ("final_loss", "min")
    cost_curve: Optional[tuple] = None
    hyper: tuple = ()
    group: Optional[str] = None
    heatmap: Optional[tuple] = None
    seed: Optional[str] = "seed"
    diverged: tuple = ("diverged", "nan")
    show: tuple = ()
    note: Optional[str] = None
    flag: Optional[str] = None

    def __post_init__(self):
        if self.primary[1] not in ("min", "max"):
            raise ValueError(f"primary sense must be 'min' or 'max', got {self.primary[1]!r}")

    def check_names(self, names) -> None:
        """ValueError naming any of ``names`` that is not a parameter of the task."""
        unknown = sorted(set(names) - set(self.params))
        if unknown:
            raise ValueError(f"unknown parameter(s) {', '.join(map(repr, unknown))} for task "
                             f"{self.name!r}; its parameters are: {', '.join(self.params)}")

    def coerce(self, values: Mapping[str, Any]) -> dict:
        """Canonical values of the given parameters (no defaults added)."""
        self.check_names(values)
        return {k: self.params[k].coerce(k, v) for k, v in values.items()}

    def config(self, values: Mapping[str, Any]) -> dict:
        """The canonical configuration of one cell: coerced values, defaults filled in,
        parameters that do not apply dropped (see ``relevant``).

        Examples
        --------
        >>> t = Task("demo", fn=None, params={"a": Param("float", 1.0), "b": Param("int")})
        >>> t.config({"b": 2.0})
        {'a': 1.0, 'b': 2}
        """
        out = self.coerce(values)
        missing = [k for k, p in self.params.items() if k not in out and p.default is REQUIRED]
        for k, p in self.params.items():
            if k not in out and p.default is not REQUIRED:
                out[k] = p.default
        keep = set(self.params) if self.relevant is None else set(self.relevant(out))
        missing = [k for k in missing if k in keep]
        if missing:
            raise ValueError(f"task {self.name!r} needs {', '.join(map(repr, missing))}: give it "
                             "under [fixed] or as an axis")
        return {k: out[k] for k in self.params if k in keep and k in out}


def cell_key(task: str, config: Mapping, version: str) -> str:
    """Stable key of a cell: the first 20 hex digits of the SHA-256 of its canonical JSON.

    ``sha256(json({"task", "config", "version"}, sorted keys))``; floats are written by
    ``repr``, which round-trips, so equal configurations give equal keys in every process.

    Parameters
    ----------
    task : str
        The task's name.
    config : mapping
        The canonical configuration (:meth:`Task.config`).
    version : str
        The package version.

    Returns
    -------
    key : str
        20 hexadecimal digits.

    See Also
    --------
    Study.cells

    Examples
    --------
    >>> cell_key("t", {"a": 1.0, "b": [2.0]}, "0.1") == cell_key("t", {"b": [2.0], "a": 1.0}, "0.1")
    True
    >>> cell_key("t", {"a": 1.0}, "0.1") == cell_key("t", {"a": 1.0}, "0.2")
    False
    """
    text = json.dumps({"task": task, "config": config, "version": version}, sort_keys=True,
                      separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


