"""The default cases of the dynamics statements, and running them (then the geometry ones)."""

from __future__ import annotations

import math

from offsetgeo import theorems

from ._local import first_order, offset_descent, sam_limit
from ._stability import linear_stability
from ._trajectories import trajectory_ironing, trajectory_reachability

__all__ = ["STATEMENTS", "DEFAULT_CASES", "cases", "run_all"]

TWO_PI = 2 * math.pi

#: CLI name -> verifier
STATEMENTS = {
    "rbo-offset-descent": offset_descent,
    "rbo-first-order": first_order,
    "rbo-linear-stability": linear_stability,
    "rbo-sam-limit": sam_limit,
    "rbo-reachability": trajectory_reachability,
    "rbo-ironing": trajectory_ironing,
}

#: statement -> list of (args, kwargs); the worked example of docs/dynamics.md first
DEFAULT_CASES = {
    "rbo-offset-descent": [
        (("cos(x) + 0.25*cos(3*x)", 0.2), {}),
        (("sin(x) + 0.3*sin(5*x)", 0.5), {"period": TWO_PI}),
        (("sin(x)*cos(y) + 0.2*x", 0.2), {}),
    ],
    "rbo-first-order": [
        (("cos(x) + 0.25*cos(3*x)", 0.2), {}),
        (("sin(x)*cos(y) + 0.2*x", 0.2), {}),
    ],
    "rbo-linear-stability": [
        ((), {"lr": 0.1, "radius": 0.3}),
        ((), {"lr": 0.5, "radius": 0.05, "seed": 1}),
    ],
    "rbo-sam-limit": [
        (("cos(x) + 0.25*cos(3*x)", [math.pi]), {}),
        (("0.5*x**2 + 1.5*y**2 + 0.3*x**2*y + 0.2*x*y", [0.0, 0.0]), {}),
    ],
    "rbo-reachability": [
        (("sin(x) + 0.3*sin(5*x)", 0.5, [0.3]), {"period": TWO_PI}),
        (("sin(x) + 0.3*sin(5*x) + 0.5*cos(y)", 0.5, [0.3, 0.5]), {"period": TWO_PI}),
    ],
    "rbo-ironing": [
        (("sqrt(1 + x**2)", "0.05*sin(12*x)", 3.0), {}),
        (("1 - cos(x)", "0.05*sin(12*x)", 2.5), {}),
    ],
}


def cases(statements=None, *, geometry=True) -> list:
    """``(name, verifier, args, kwargs)`` for every default case: the dynamics statements
    (all, or those named), then, with ``geometry``, those of :mod:`offsetgeo.theorems`.

    Parameters
    ----------
    statements : sequence of str, optional
        Names of :data:`STATEMENTS` or of :data:`offsetgeo.theorems.STATEMENTS`.
    geometry : bool
        With ``statements=None``: also the geometry statements.

    Returns
    -------
    cases : list of tuple

    See Also
    --------
    run_all : runs them.

    Examples
    --------
    >>> [c[0] for c in cases(["rbo-sam-limit", "weak-ironing"])][:3]
    ['rbo-sam-limit', 'rbo-sam-limit', 'weak-ironing']
    """
    names = (list(STATEMENTS) + (list(theorems.STATEMENTS) if geometry else [])
             if statements is None else list(statements))
    out = []
    for name in names:
        if name in STATEMENTS:
            table, fn = DEFAULT_CASES, STATEMENTS[name]
        elif name in theorems.STATEMENTS:
            table, fn = theorems.DEFAULT_CASES, theorems.STATEMENTS[name]
        else:
            raise ValueError(f"unknown statement {name!r}; choose from "
                             f"{', '.join(list(STATEMENTS) + list(theorems.STATEMENTS))}")
        out += [(name, fn, args, kw) for args, kw in table[name]]
    return out


def run_all(quick=False, statements=None, *, geometry=True) -> list:
    """Every default case (:func:`cases`): the dynamics statements, then the geometry ones.

    Parameters
    ----------
    quick : bool
        Coarser sweeps (each verifier's ``quick``).
    statements : sequence of str, optional
        Statement names (default: all).
    geometry : bool
        With ``statements=None``: also :func:`offsetgeo.theorems.run_all`'s statements.

    Returns
    -------
    reports : list of TheoremReport

    See Also
    --------
    offsetgeo.theorems.format_table, offsetgeo.theorems.reports_to_json : print them.

    Examples
    --------
    >>> [r.verdict for r in run_all(quick=True, statements=["rbo-sam-limit"])]
    ['holds', 'holds']
    """
    return [fn(*args, quick=quick, **kw) for _, fn, args, kw in
            cases(statements, geometry=geometry)]
