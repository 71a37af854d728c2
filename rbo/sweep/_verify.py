"""The ``verify`` task: one of offsetgeo's theorem statements checked on a function.

A cell calls ``offsetgeo.theorems.STATEMENTS[statement](f, [g,] **options)`` with the
options that statement accepts (``radii``, ``window``, ``resolution``, ``period``,
``domain``, ``minima``, ``quick``) and stores the verdict, the worst margin and a summary
of the measured quantity; the arrays (radii, bound, measured, margin) go to the curves.
"""
from __future__ import annotations

import inspect

import numpy as np
from offsetgeo import theorems

from ._spec import REQUIRED, CellOutput, Param, Task

__all__ = ["VERIFY"]

_OPTIONS = ("radii", "window", "resolution", "period", "domain", "minima", "quick")

PARAMS = {
    "statement": Param("str", REQUIRED, "the statement", choices=tuple(theorems.STATEMENTS)),
    "f": Param("str", REQUIRED, "the function (an offsetgeo expression)"),
    "g": Param("str", None, "the second function: φ for linear-ironing, g for strong-ironing"),
    "radii": Param("floats", None, "the radii ρ of the sweep (default: the statement's)"),
    "window": Param("json", None, "measurement window for non-periodic functions"),
    "resolution": Param("float", None, "grid samples per unit length"),
    "period": Param("json", None, "period of the function(s)"),
    "domain": Param("json", None, "domain box of the function"),
    "minima": Param("json", None, "sharp-minima: the points to test"),
    "quick": Param("bool", False, "coarser grids, fewer radii"),
}


def _signature(statement: str):
    """(function-argument names, option names) the statement's verifier accepts."""
    params = inspect.signature(theorems.STATEMENTS[statement]).parameters.values()
    functions = [p.name for p in params if p.default is p.empty
                 and p.kind is p.POSITIONAL_OR_KEYWORD]
    options = [p.name for p in params if p.name in _OPTIONS]
    return functions, options


def _relevant(config: dict) -> set:
    statement = config.get("statement")
    if statement not in theorems.STATEMENTS:
        return set(PARAMS)
    functions, options = _signature(statement)
    return {"statement", "f", *options} | ({"g"} if len(functions) == 2 else set())


def _check(config: dict) -> None:
    functions, _ = _signature(config["statement"])
    if len(functions) == 2 and config.get("g") is None:
        raise ValueError(f"statement {config['statement']!r} takes two functions: give g "
                         "(the second expression)")


def _summary(a) -> tuple[float, float]:
    a = np.asarray(a, dtype=float)
    a = a[np.isfinite(a)]
    return (float(a.min()), float(a.max())) if a.size else (float("nan"), float("nan"))


def run_verify(config: dict, deadline) -> CellOutput:
    """One cell of ``verify``: run the statement's verifier, summarise its report."""
    deadline.check("before the verifier started")
    functions, options = _signature(config["statement"])
    args = [config["f"]] + ([config["g"]] if len(functions) == 2 else [])
    kw = {k: config[k] for k in options if config.get(k) is not None}
    rep = theorems.STATEMENTS[config["statement"]](*args, **kw)
    lo, hi = _summary(rep.measured)
    metrics = {
        "holds": rep.holds, "verdict": rep.verdict, "worst_margin": rep.worst_margin,
        "claim": rep.claim, "observed": rep.observed, "measured_min": lo, "measured_max": hi,
        "failed_assumptions": list(rep.failed_assumptions), "seconds": float(rep.seconds),
        "n_radii": int(np.size(rep.radii)),
    }
    curves = {"radii": rep.radii, "bound": rep.bound, "measured": rep.measured, "margin": rep.margin}
    return CellOutput(metrics, curves)


VERIFY = Task(
    name="verify",
    fn=run_verify,
    params=PARAMS,
    metrics=("holds", "verdict", "worst_margin", "claim", "observed", "measured_min",
             "measured_max", "failed_assumptions", "seconds", "n_radii"),
    doc="one offsetgeo theorem statement checked on a function (offsetgeo.theorems)",
    relevant=_relevant,
    check=_check,
    primary=("worst_margin", "max"),
    seed=None,
    show=("verdict",),
)
