"""``rbo sweep run | status | report``: the command line of :mod:`rbo.sweep`.

Exit codes of ``run``: 0 every cell of the grid is done, 1 some cell failed (see
``rbo sweep status DIR``), 2 bad input, 130 interrupted (finished cells are kept).
"""
from __future__ import annotations

import json
import textwrap

from ._report import report
from ._runner import run_study, status
from ._study import load_study
from ._tasks import TASKS

__all__ = ["add_arguments", "run"]


def _tasks_help() -> str:
    return "tasks: " + "; ".join(f"{name} ({t.doc})" for name, t in TASKS.items())


def add_arguments(parser) -> None:
    """Add ``run``, ``status`` and ``report`` to the ``rbo sweep`` parser."""
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = sub.add_parser("run", help="run (or resume) the cells of a study",
                       description="Run every cell of STUDY.toml not yet done in --out, on an "
                       "embedded Dask LocalCluster (default), a Dask scheduler, or serially. "
                       + _tasks_help())
    p.add_argument("study", help="the study file (TOML: task, [fixed], [axes])")
    p.add_argument("--out", required=True, help="the sweep directory (created; rerun to resume)")
    engine = p.add_mutually_exclusive_group()
    engine.add_argument("--workers", type=int, default=None, metavar="N",
                        help="worker processes of the local cluster (default: CPU cores)")
    engine.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run on the Dask cluster of this scheduler (tcp://host:8786)")
    engine.add_argument("--serial", action="store_true", help="run in this process, no Dask")
    p.add_argument("--retry-failed", action="store_true", help="run failed cells again")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="a cell running longer is recorded as failed")
    p.add_argument("--connect-timeout", type=float, default=10.0, metavar="SECONDS",
                   help="how long to wait for --scheduler (default 10)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar or messages")
    p = sub.add_parser("status", help="done / failed / running / left cells of a sweep",
                       description="Count the cells of a sweep directory.")
    p.add_argument("out", metavar="DIR", help="the sweep directory")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("report", help="heat map, best configurations, performance profile",
                       description="Write DIR/report/: the rho x eta heat map, the best "
                       "configuration per optimizer and a performance profile (PNG, CSV, "
                       "Markdown).")
    p.add_argument("out", metavar="DIR", help="the sweep directory")
    p.add_argument("--target", type=float, default=None,
                   help="absolute target of the performance profile (default: relative)")
    p.add_argument("--target-tol", type=float, default=1e-2,
                   help="relative target: within this fraction of the gap to the best value")


def _run(args) -> int:
    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers must be at least 1, got {args.workers}")
    summary = run_study(load_study(args.study), out=args.out, workers=args.workers,
                        scheduler=args.scheduler, serial=args.serial,
                        retry_failed=args.retry_failed, timeout=args.timeout,
                        progress=not args.no_progress, connect_timeout=args.connect_timeout)
    return 0 if summary.done == summary.cells else 1


def _status(args) -> int:
    st = status(args.out)
    if args.json:
        print(json.dumps({"out": st.out, "task": st.task, "version": st.version,
                          "cells": st.cells, "done": st.done, "failed": st.failed,
                          "running": st.running, "left": st.left, "other": st.other,
                          "failures": [{"key": k, "config": c, "error": e}
                                       for k, c, e in st.failures]}, indent=1))
        return 0
    print(f"{st.out}: task {st.task} (rbo {st.version}), {st.cells} cells: {st.done} done, "
          f"{st.failed} failed, {st.running} running, {st.left} left"
          + (f"; {st.other} stored cells from earlier axes" if st.other else ""))
    for key, config, error in st.failures:
        print(f"  failed {key}: {textwrap.shorten(error or '', 120)}")
    return 0


def _report(args) -> int:
    rep = report(args.out, target=args.target, target_tol=args.target_tol)
    print(f"report of {rep.out} ({rep.task}, primary metric {rep.primary}):")
    for f in rep.files:
        print(f"  {f}")
    return 0


def run(args) -> int:
    """Dispatch ``rbo sweep ACTION``; returns the exit code."""
    return {"run": _run, "status": _status, "report": _report}[args.action](args)
