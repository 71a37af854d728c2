"""``rbo verify``: the dynamics statements, then the geometry statements of ``offsetgeo verify``."""

from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

from offsetgeo import theorems
from offsetgeo.cli import add_verify_arguments, run_verify

from ._cases import STATEMENTS, cases

__all__ = ["HELP", "add_arguments", "run"]

HELP = ("verify RBO's propositions (the dynamics of docs/math.md) and the seeds' theorems "
        "numerically")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``rbo verify`` (those of ``offsetgeo verify``; the dynamics statements
    run on their default cases)."""
    add_verify_arguments(parser)
    parser.epilog = ("statements: " + ", ".join(STATEMENTS) + " (dynamics, default cases), "
                     + ", ".join(theorems.STATEMENTS) + " (geometry; these also take your "
                     "function, as in offsetgeo verify). Without a statement: all of them.")


def _print(reports, args) -> None:
    if args.json:
        print(theorems.reports_to_json(reports, include_arrays=bool(args.arrays)))
        return
    print(theorems.format_table(reports))
    for r in reports:
        if r.holds is None and r.kind == "theorem" and r.failed_assumptions:
            for k in r.failed_assumptions:
                print(f"  [{r.statement}] assumption {k!r}: {r.assumptions[k]}")


def run(args) -> int:
    """Run ``rbo verify``; print the table (or JSON); exit code 0 (no claim violated), 1 (some
    claimed bound violated), 2 (bad input), 130 (interrupted: the finished cases are printed)."""
    name, exprs = args.statement, list(args.expr or [])
    if name in theorems.STATEMENTS and (exprs or args.radii is not None):
        return run_verify(args)
    if exprs:
        raise ValueError("the rbo-* statements run on their default cases; give a geometry "
                         "statement before an expression, or call rbo.dynamics from Python")
    todo = cases(None if name is None else [name])
    reports = []
    try:
        for case in tqdm(todo, desc="rbo verify", unit="case", file=sys.stderr, disable=None):
            _, fn, a, kw = case
            reports.append(fn(*a, quick=bool(args.quick), **kw))
    except KeyboardInterrupt:
        _print(reports, args)
        print(f"rbo verify: interrupted after {len(reports)} of {len(todo)} cases",
              file=sys.stderr)
        return 130
    _print(reports, args)
    return 1 if any(r.holds is False for r in reports) else 0
