"""The default cases of every statement, running them all, and the table and JSON."""

from __future__ import annotations

import json
import math

from ._ironing import linear_ironing, strong_ironing, weak_ironing
from ._reachability import sharp_minima_unreachable, unreachable_sets_grow
from ._transition import phase_transition

__all__ = ["STATEMENTS", "DEFAULT_CASES", "run_all", "format_table",
           "reports_to_json"]


STATEMENTS = {
    "weak-ironing": weak_ironing,
    "linear-ironing": linear_ironing,
    "strong-ironing": strong_ironing,
    "sharp-minima": sharp_minima_unreachable,
    "unreachable-growth": unreachable_sets_grow,
    "phase-transition": phase_transition,
}

TWO_PI = 2 * math.pi

#: default cases: statement -> list of (args, kwargs)
DEFAULT_CASES = {
    "weak-ironing": [
        (("sin(x)",), {"period": TWO_PI}),
        (("sin(x) + 0.3*sin(5*x)",), {"period": TWO_PI}),
        (("sin(x)*cos(y)",), {"period": TWO_PI}),
    ],
    "linear-ironing": [
        (("0.5*x", "sin(3*x)"), {}),
    ],
    "strong-ironing": [
        (("sin(x)", "sin(x) + 0.5*sin(7*x)"), {"period": TWO_PI}),
        (("0.5*x + sin(x)", "0.5*x + sin(x) + 0.5*sin(7*x)"), {"window": [-3.0, 3.0]}),
        (("0.1*x**2", "0.1*x**2 + 0.5*sin(7*x)"), {"window": [-3.0, 3.0]}),
    ],
    "sharp-minima": [
        (("sin(x) + 0.3*sin(5*x)",), {"period": TWO_PI}),
        (("0.5*(x**2 + 9*y**2)",), {"minima": [[0.0, 0.0]]}),
    ],
    "unreachable-growth": [
        (("sin(x) + 0.3*sin(5*x)",), {"period": TWO_PI}),
        (("sin(x)*cos(y) + 0.2*sin(3*x)",), {"period": TWO_PI}),
    ],
    "phase-transition": [
        (("sin(x)",), {"period": TWO_PI}),
        (("sin(x) + 0.3*sin(5*x)",), {"period": TWO_PI}),
    ],
}


def run_all(quick=False, statements=None) -> list:
    """Every statement on its default cases (:data:`DEFAULT_CASES`).

    Parameters
    ----------
    quick : bool
        Coarser grids and fewer radii.
    statements : sequence of str, optional
        Names of :data:`STATEMENTS` to run (default: all).

    Returns
    -------
    reports : list of TheoremReport

    See Also
    --------
    format_table, reports_to_json : the two ways to print them.

    Examples
    --------
    >>> reports = run_all(quick=True, statements=["phase-transition"])
    >>> [r.verdict for r in reports]
    ['holds', 'holds']
    """
    out = []
    names = list(STATEMENTS) if statements is None else list(statements)
    for name in names:
        if name not in STATEMENTS:
            raise ValueError(f"unknown statement {name!r}; choose from {', '.join(STATEMENTS)}")
        for args, kw in DEFAULT_CASES[name]:
            out.append(STATEMENTS[name](*args, quick=quick, **kw))
    return out


def fmt(v, nd=4):
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if not math.isfinite(x):
        return "—"
    return f"{x:.{nd}g}"


def format_table(reports) -> str:
    """Plain-text table: statement, case, claimed bound, measured, margin, verdict.

    Parameters
    ----------
    reports : sequence of TheoremReport

    Returns
    -------
    table : str

    See Also
    --------
    reports_to_json : the same as JSON.

    Examples
    --------
    >>> from offsetgeo.theorems import weak_ironing
    >>> table = format_table([weak_ironing("sin(x)", [4.0], period="2*pi", resolution=100)])
    >>> table.splitlines()[0].split()
    ['statement', 'case', 'claimed', 'bound', 'measured', 'margin', 'verdict']
    >>> table.splitlines()[2].split()[-1]
    'holds'
    """
    head = ["statement", "case", "claimed bound", "measured", "margin", "verdict"]
    rows = []
    for r in reports:
        case = r.case if len(r.case) <= 46 else r.case[:45] + "…"
        rows.append([r.statement, case, r.claim, r.observed, fmt(r.worst_margin, 3), r.verdict])
    widths = [max(len(head[i]), *(len(row[i]) for row in rows)) if rows else len(head[i])
              for i in range(len(head))]
    widths = [min(w, 70) for w in widths]

    def line(cells):
        return "  ".join(str(c)[:w].ljust(w) for c, w in zip(cells, widths)).rstrip()

    out = [line(head), line(["-" * w for w in widths])]
    out += [line(row) for row in rows]
    return "\n".join(out)


def reports_to_json(reports, include_arrays=False) -> str:
    """JSON list of the reports, by the one JSON rule of the toolkit.

    Parameters
    ----------
    reports : sequence of TheoremReport
    include_arrays : bool
        Add the arrays behind each report (for plotting).

    Returns
    -------
    text : str

    See Also
    --------
    TheoremReport.to_dict : one report.

    Examples
    --------
    >>> import json
    >>> from offsetgeo.theorems import weak_ironing
    >>> rep = weak_ironing("sin(x)", [4.0], period="2*pi", resolution=100)
    >>> json.loads(reports_to_json([rep]))[0]["verdict"]
    'holds'
    """
    return json.dumps([r.to_dict(include_arrays) for r in reports], indent=1, ensure_ascii=False)


