"""Studies: a task, its fixed arguments and the axes to sweep; the grid of cells they span.

A study file (TOML)::

    task = "rbo-analytic"
    [fixed]
    loss = "sin(x) + 0.3*sin(5*x)"
    steps = 50
    theta0 = [1.0]
    [axes]
    radius = {geomspace = [0.05, 0.5, 3]}   # or a list, {logspace = [-2, 0, 5]},
    lr = [0.01, 0.1]                        # {linspace = [a, b, n]}, {range = n}
    seed = [0, 1]

The cells are the product of the axes (in the order written), each completed by the fixed
arguments and the task's defaults; cells whose canonical configurations coincide (e.g. SGD
cells that differ only in RBO's radius) are one cell.
"""
from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .. import __version__
from ._spec import Task, cell_key
from ._tasks import get_task

__all__ = ["Study", "Cell", "load_study", "axis_values", "differing_keys"]

_RANGES = ("logspace", "geomspace", "linspace", "range")


@dataclass(frozen=True)
class Cell:
    """One cell of a grid: its key and canonical configuration."""

    key: str
    config: dict


def axis_values(name: str, spec: Any) -> list:
    """The values of an axis from a list or a range table.

    ``{logspace = [a, b, n]}`` is ``numpy.logspace(a, b, n)`` (exponents of 10),
    ``{geomspace = [lo, hi, n]}``, ``{linspace = [lo, hi, n]}``, ``{range = n}`` or
    ``{range = [start, stop]}`` (integers, stop excluded).

    Parameters
    ----------
    name : str
        The axis (for messages).
    spec : list or mapping
        The values, or a range table.

    Returns
    -------
    values : list
        Not empty.

    See Also
    --------
    Study, load_study

    Examples
    --------
    >>> axis_values("lr", {"logspace": [-2, 0, 3]})
    [0.01, 0.1, 1.0]
    >>> axis_values("seed", {"range": 3})
    [0, 1, 2]
    """
    if isinstance(spec, (list, tuple)):
        values = list(spec)
    elif isinstance(spec, Mapping):
        if len(spec) != 1 or next(iter(spec)) not in _RANGES:
            raise ValueError(f"axis {name!r}: a range table has one key of {', '.join(_RANGES)}, "
                             f"got {dict(spec)!r}")
        kind, args = next(iter(spec.items()))
        args = list(args) if isinstance(args, (list, tuple)) else [args]
        try:
            if kind == "range":
                values = [int(v) for v in range(*[int(a) for a in args])]
            else:
                lo, hi, n = args
                if int(n) != n or n < 1:
                    raise ValueError
                values = [float(v) for v in getattr(np, kind)(float(lo), float(hi), int(n))]
        except (TypeError, ValueError):
            raise ValueError(f"axis {name!r}: {kind} takes "
                             f"{'n or [start, stop]' if kind == 'range' else '[start, stop, count]'}"
                             f", got {args!r}") from None
    else:
        raise ValueError(f"axis {name!r} must be a list of values or a range table such as "
                         f"{{logspace = [-2, 0, 5]}}, got {spec!r}; put single values under [fixed]")
    if not values:
        raise ValueError(f"axis {name!r} is empty, so the grid has no cells: give it at least "
                         "one value")
    return values


@dataclass(frozen=True)
class Study:
    """A task, its fixed arguments and its axes (validated and in canonical form).

    Parameters
    ----------
    task : str or Task
    axes : mapping of str -> list or range table
        The parameters swept (see :func:`axis_values`).
    fixed : mapping, optional
        The parameters held fixed.

    Examples
    --------
    >>> s = Study("rbo-analytic", {"lr": [0.1, 0.2], "seed": [0, 1]},
    ...           fixed={"loss": "x**2", "steps": 5, "theta0": [1], "radius": 0.5})
    >>> len(s.cells()), s.fixed["theta0"]
    (4, [1.0])
    """

    task: Any
    axes: Mapping = field(default_factory=dict)
    fixed: Mapping = field(default_factory=dict)

    def __post_init__(self):
        task = get_task(self.task)
        if not isinstance(self.axes, Mapping) or not isinstance(self.fixed, Mapping):
            raise TypeError("axes and fixed must be mappings of parameter names to values")
        both = sorted(set(self.axes) & set(self.fixed))
        if both:
            raise ValueError(f"{', '.join(map(repr, both))} both fixed and an axis: keep one")
        task.check_names(self.axes)
        axes = {k: [task.params[k].coerce(k, v) for v in axis_values(k, spec)]
                for k, spec in self.axes.items()}
        object.__setattr__(self, "task", task)
        object.__setattr__(self, "axes", axes)
        object.__setattr__(self, "fixed", task.coerce(self.fixed))

    def cells(self, version: str = __version__, check: bool = True) -> list:
        """The distinct cells of the grid, in axis order (``task.check`` run on each)."""
        task: Task = self.task
        names = list(self.axes)
        out: dict = {}
        for combo in itertools.product(*(self.axes[k] for k in names)):
            point = dict(zip(names, combo))
            try:
                config = task.config({**self.fixed, **point})
                key = cell_key(task.name, config, version)
                if check and task.check is not None and key not in out:
                    task.check(config)
            except (ValueError, TypeError) as err:
                where = ", ".join(f"{k}={v!r}" for k, v in point.items())
                raise type(err)(f"cell {where}: {err}" if where else str(err)) from None
            out.setdefault(key, Cell(key, config))
        return list(out.values())

    def to_dict(self, version: str = __version__) -> dict:
        """JSON-ready description (what ``study.json`` in a sweep directory holds)."""
        return {"task": self.task.name, "fixed": dict(self.fixed), "axes": dict(self.axes),
                "version": version}


def load_study(path) -> Study:
    """Read a study TOML file (``task``, ``[fixed]``, ``[axes]``).

    Parameters
    ----------
    path : path
        The TOML file.

    Returns
    -------
    study : Study
        Validated: the task exists, every name is one of its parameters, no axis is empty.

    See Also
    --------
    run_study, Study, axis_values

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.toml"
    >>> _ = p.write_text('task = "rbo-analytic"\\n[fixed]\\nloss = "x**2"\\nsteps = 3\\n'
    ...                  'theta0 = [1.0]\\nradius = 0.5\\n[axes]\\nlr = [0.1, 0.2]\\n')
    >>> [c.config["lr"] for c in load_study(p).cells()]
    [0.1, 0.2]
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"no study file {str(path)!r}") from None
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{path}: not valid TOML: {err}") from None
    unknown = sorted(set(data) - {"task", "fixed", "axes"})
    if unknown:
        raise ValueError(f"{path}: unknown key(s) {', '.join(map(repr, unknown))}; a study has "
                         "task = ..., [fixed] and [axes]")
    if "task" not in data:
        raise ValueError(f"{path}: no task = \"...\" line")
    return Study(data["task"], data.get("axes", {}), fixed=data.get("fixed", {}))


def differing_keys(saved: Mapping, study: Study) -> list:
    """What a saved study (``study.json``) and ``study`` disagree on, as readable strings.

    The task, the package version and every fixed argument must agree; an axis may change
    freely (its new values only add cells), and so may a parameter that is an axis in
    either of them.
    """
    out = []
    if saved.get("task") != study.task.name:
        out.append(f"task (saved {saved.get('task')!r}, now {study.task.name!r})")
    if saved.get("version") != __version__:
        out.append(f"version (saved {saved.get('version')!r}, now {__version__!r})")
    swept = set(saved.get("axes", {})) | set(study.axes)
    old, new = saved.get("fixed", {}), study.fixed
    for k in sorted((set(old) | set(new)) - swept):
        if old.get(k, "<default>") != new.get(k, "<default>"):
            out.append(f"{k} (saved {old.get(k, '<default>')!r}, now {new.get(k, '<default>')!r})")
    return out
