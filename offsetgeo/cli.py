"""Command-line interface: ``offsetgeo demo | project | reach | verify``."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import warnings

import numpy as np

from . import __version__
from ._expression import parse_number
from ._function import Function
from ._projection import footpoint
from ._reach import reach
from ._reachability import unreachable_set
from ._results import to_dict
from .theorems import DEFAULT_CASES, STATEMENTS, format_table, reports_to_json, run_all

__all__ = ["main", "build_parser", "run_command", "add_verify_arguments", "run_verify",
           "Parser", "number", "read_points"]


class Parser(argparse.ArgumentParser):
    """An argument parser that reads ``-1e300``, ``-pi`` or ``-(x**2)`` as a value.

    argparse takes every token that starts with ``-`` and is not of the plain form ``-12`` or
    ``-1.5`` for an option, so ``--window -1e300 1e300`` and the expression ``-x**2`` fail.
    The toolkit's options are all long (``--name``) but ``-h``: here every other token with
    one leading dash is a value. Sub-parsers share the rule.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-(?!-)(?!h$)")


def number(text: str) -> float:
    """An option value: a finite number or a constant expression such as ``2*pi`` or ``-pi``."""
    return parse_number(text, "the value")


def read_points(text: str) -> np.ndarray:
    """Points for ``project``: a JSON list ``[[x..., y], ...]``, ``-`` (standard input) or
    ``@FILE`` (a file holding the JSON list, or whitespace-separated rows of numbers)."""
    source = "the points argument"
    if text == "-":
        text, source = sys.stdin.read(), "standard input"
    elif text.startswith("@"):
        path = text[1:]
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as err:
            raise ValueError(f"cannot read points from {path!r}: {err.strerror}") from None
        source = repr(path)
        if not text.lstrip().startswith("["):
            rows = [line.split() for line in text.splitlines()
                    if line.strip() and not line.lstrip().startswith("#")]
            try:
                return _point_array([[float(v) for v in row] for row in rows], source)
            except ValueError:
                raise ValueError(f"{source}: rows must hold numbers separated by spaces") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{source} is not valid JSON ({err.msg} at character {err.pos}): "
                         "give a list of points such as [[0.5, 1.0], [2, -1]]") from None
    return _point_array(data, source)


def _point_array(data, source) -> np.ndarray:
    if isinstance(data, list) and data and all(isinstance(v, (int, float)) for v in data):
        data = [data]                   # one point given without the outer list
    ok = isinstance(data, list) and all(
        isinstance(row, list) and row and all(isinstance(v, (int, float)) and
                                              not isinstance(v, bool) for v in row)
        for row in data)
    if not ok or len({len(row) for row in data}) > 1:
        raise ValueError(f"{source} must be a list of points of equal length, each a list of "
                         "numbers [x..., y], e.g. [[0.5, 1.0], [2, -1]]")
    return np.array(data, dtype=float).reshape(len(data), -1)


def _pairs(values, option):
    """``LO HI`` pairs of an option (one per variable: the caller checks the count)."""
    if not values:
        return None
    if len(values) % 2:
        raise ValueError(f"{option} takes LO HI pairs, one pair per variable; got "
                         f"{len(values)} number(s)")
    return [(values[i], values[i + 1]) for i in range(0, len(values), 2)]


def _function(args):
    variables = args.variables.split(",") if getattr(args, "variables", None) else None
    return Function(args.expr, variables, domain=_pairs(getattr(args, "domain", None), "--domain"),
                    period=getattr(args, "period", None))


def _cmd_demo(args) -> int:
    f = Function("sin(x) + 0.3*sin(5*x)", period="2*pi")
    print(f"offsetgeo demo: exact footpoints on the graph of f(x) = {f.expr} (period 2π)\n")
    pts = np.array([[0.0, 2.0], [1.0, -1.5], [2.5, 0.2], [-2.0, 1.0], [np.pi / 2, 3.0]])
    t = time.perf_counter()
    r = footpoint(f, pts)
    elapsed = time.perf_counter() - t
    print(f"{'point (x, y)':>22s} {'footpoint θ':>12s} {'f(θ)':>10s} {'distance':>10s} "
          f"{'medial?':>8s} {'residual':>9s}")
    for z, th, fv, d, amb, res in zip(pts, r.theta, r.height, r.distance, r.ambiguous, r.residual):
        print(f"({z[0]:9.4f}, {z[1]:8.4f}) {th:12.8f} {fv:10.6f} {d:10.6f} {str(bool(amb)):>8s} "
              f"{res:9.1e}")
    rng = np.random.default_rng(0)
    many = np.column_stack([rng.uniform(-5, 5, 100_000), rng.uniform(-2, 2, 100_000)])
    footpoint(f, many[:100])                    # load the parallel kernels before timing
    t = time.perf_counter()
    rm = footpoint(f, many)
    bulk = time.perf_counter() - t
    print(f"\n{len(pts)} points in {elapsed:.2f} s (the first run after installing compiles the "
          f"numba kernels once; later runs load them from the on-disk cache)")
    print(f"100 000 random points in {bulk:.2f} s, {int(rm.ambiguous.sum())} on the medial axis, "
          f"max stationarity residual {rm.residual.max():.1e}")

    res = reach(f)
    print(f"\ncritical radius (upper reach) of f: {res.value:.12f} at x = "
          f"{float(np.ravel(res.witness)[0]):.6f}  [curvature method; the free-ball bisection "
          f"gives {res.balls_value:.12f}]")
    for rho in (0.5 * res.value, 0.5, 2.0):
        U = unreachable_set(f, rho)
        spans = ", ".join(f"({a:.4f}, {b:.4f})" for a, b in U.intervals) or "empty"
        print(f"unreachable set for rho = {rho:.4f}: {spans}")
    return 0


def _cmd_project(args) -> int:
    f = _function(args)
    pts = read_points(args.points)
    if pts.shape[1] != f.dim + 1:
        raise ValueError(f"each point needs {f.dim + 1} numbers ({', '.join(f.variables)}, y) "
                         f"for f({', '.join(f.variables)}), got {pts.shape[1]}")
    r = footpoint(f, pts)
    if args.json:
        print(json.dumps(to_dict({"points": pts, "theta": r.theta, "distance": r.distance,
                                  "ambiguous": r.ambiguous, "second": r.second,
                                  "second_distance": r.second_distance,
                                  "converged": r.converged, "residual": r.residual})))
        return 0
    theta = np.asarray(r.theta).reshape(len(pts), -1)
    second = np.asarray(r.second).reshape(len(pts), -1)
    for i, z in enumerate(pts):
        line = f"{_fmt(z)} -> theta={_fmt(theta[i])} distance={r.distance[i]:.12g}"
        if r.ambiguous[i]:
            line += f" (medial axis: second footpoint theta={_fmt(second[i])})"
        if not r.converged[i]:
            line += f" (NOT converged, residual {r.residual[i]:.2g})"
        print(line)
    return 0


def _fmt(v) -> str:
    v = np.ravel(v)
    return repr(float(v[0])) if v.size == 1 else "[" + ", ".join(repr(float(t)) for t in v) + "]"


def _cmd_reach(args) -> int:
    f = _function(args)
    window = _pairs(args.window, "--window")
    sides = ["upper", "lower"] if args.side == "both" else [args.side]
    results = {side: reach(f, side=side, window=window, method=args.method) for side in sides}
    if args.json:
        print(json.dumps(to_dict({side: r for side, r in results.items()})))
        return 0
    for side, r in results.items():
        label = "critical radius" if side == "upper" else "lower reach"
        where = ", ".join(f"{name} = {v:.6f}" for name, v in zip(f.variables, np.ravel(r.witness)))
        value = "inf" if not np.isfinite(r.value) else repr(float(f"{r.value:.10g}"))
        print(f"{label} {value} at {where}" + (f"  (WARNING: {r.message})" if r.message else ""))
    return 0


def add_verify_arguments(parser):
    """Add the ``offsetgeo verify`` arguments to an argparse parser."""
    parser.add_argument("statement", nargs="?", default=None,
                        help="one of: " + ", ".join(STATEMENTS) + " (default: all)")
    parser.add_argument("expr", nargs="*", default=[],
                        help="your function(s): f (and φ for linear-ironing, g for "
                             "strong-ironing); default cases when omitted")
    parser.add_argument("--period", default=None, help="period of the function(s), e.g. 2*pi")
    parser.add_argument("--domain", nargs=2, type=number, default=None, metavar=("LO", "HI"),
                        help="domain interval (1-D)")
    parser.add_argument("--window", nargs=2, type=number, default=None, metavar=("LO", "HI"),
                        help="measurement window for non-periodic functions")
    parser.add_argument("--radii", nargs="+", type=number, default=None, metavar="R",
                        help="ball radii to test (default: the statement's own choice)")
    parser.add_argument("--minimum", nargs="+", type=number, default=None, metavar="X",
                        help="point to test for sharp-minima (d values)")
    parser.add_argument("--resolution", type=number, default=None,
                        help="grid samples per unit length")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--arrays", action="store_true", help="with --json: include arrays")
    parser.add_argument("--quick", action="store_true", help="coarser grids, fewer radii")
    return parser


def _user_report(name, exprs, args):
    fn = STATEMENTS[name]
    kw = {"quick": bool(getattr(args, "quick", False))}
    if args.radii is not None:
        kw["radii"] = args.radii
    period = args.period
    domain = args.domain
    if name in ("weak-ironing", "sharp-minima", "unreachable-growth", "phase-transition"):
        f = Function(exprs[0], period=period, domain=domain)
        if name == "sharp-minima" and args.minimum is not None:
            kw["minima"] = [args.minimum]
        if args.resolution is not None and name != "sharp-minima":
            kw["resolution"] = args.resolution
        if args.window is not None and name in ("weak-ironing", "unreachable-growth"):
            kw["window"] = args.window
        return fn(f, **kw)
    if args.resolution is not None:
        kw["resolution"] = args.resolution
    if name == "linear-ironing":
        return fn(Function(exprs[0]), Function(exprs[1], period=period), **kw)
    if args.window is not None:
        kw["window"] = args.window
    return fn(Function(exprs[0], period=period), Function(exprs[1], period=period), **kw)


def run_verify(args) -> int:
    """Run ``offsetgeo verify`` from parsed arguments; print; return the exit code.

    Exit codes: 0 no claimed bound violated (assumption failures and conjectures included),
    1 some claimed bound violated, 2 bad input.
    """
    try:
        if args.arrays and not args.json:
            raise ValueError("--arrays adds the sampled arrays to the JSON output: use it "
                             "with --json")
        name = args.statement
        exprs = list(args.expr or [])
        if name is None:
            if exprs:
                raise ValueError("give a statement name before the expression")
            reports = run_all(quick=bool(args.quick))
        else:
            if name not in STATEMENTS:
                raise ValueError(f"unknown statement {name!r}; choose from "
                                 f"{', '.join(STATEMENTS)}")
            if not exprs:
                if args.radii is not None:
                    reports = [STATEMENTS[name](*a, quick=bool(args.quick),
                                                **{**kw, "radii": args.radii})
                               for a, kw in DEFAULT_CASES[name]]
                else:
                    reports = run_all(quick=bool(args.quick), statements=[name])
            else:
                need = len(DEFAULT_CASES[name][0][0])
                if len(exprs) != need:
                    raise ValueError(f"{name} takes {need} expression(s), got {len(exprs)}")
                reports = [_user_report(name, exprs, args)]
    except (ValueError, TypeError) as err:
        print(f"offsetgeo verify: error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(reports_to_json(reports, include_arrays=bool(getattr(args, "arrays", False))))
    else:
        print(format_table(reports))
        for r in reports:
            if r.holds is None and r.kind == "theorem" and r.failed_assumptions:
                for k in r.failed_assumptions:
                    print(f"  [{r.statement}] assumption {k!r}: {r.assumptions[k]}")
                for note in r.notes:
                    print(f"  [{r.statement}] {note}")
    return 1 if any(r.holds is False for r in reports) else 0


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="offsetgeo", description="Offset manifolds, footpoints "
                                     "and the critical radius of analytic losses.")
    parser.add_argument("--version", action="version", version=f"offsetgeo {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="project points onto a wiggly loss and print a table")
    demo.set_defaults(func=_cmd_demo)

    def function_args(p):
        p.add_argument("expr", help='the loss, e.g. "sin(x) + 0.3*sin(5*x)"')
        p.add_argument("--variables", help="comma-separated variable order (default: sorted)")
        p.add_argument("--period", help='period of every variable, e.g. "2*pi"')
        p.add_argument("--domain", nargs="+", type=number, metavar="LO HI",
                       help="closed domain box: LO HI per variable")
        p.add_argument("--json", action="store_true", help="machine-readable output")

    project = sub.add_parser("project", help="footpoints of points given as JSON [[x, y], ...]")
    function_args(project)
    project.add_argument("points", help="the points: a JSON list [[x..., y], ...], '-' to "
                         "read it from standard input, or @FILE (JSON, or one point per line)")
    project.set_defaults(func=_cmd_project)

    reach = sub.add_parser("reach", help="the reach / critical radius of a loss")
    function_args(reach)
    reach.add_argument("--side", choices=["upper", "lower", "both"], default="upper",
                       help="upper reach (the critical radius of RBO, default), lower, or both")
    reach.add_argument("--method", choices=["both", "curvature", "balls"], default="both",
                       help="curvature formula, largest free balls, or both compared (default)")
    reach.add_argument("--window", nargs="+", type=number, metavar="LO HI",
                       help="window (LO HI per variable) for non-periodic losses")
    reach.set_defaults(func=_cmd_reach)

    verify = sub.add_parser("verify", help="verify the seeds' theorems numerically")
    add_verify_arguments(verify)
    verify.set_defaults(func=run_verify)
    return parser


def run_command(parser: argparse.ArgumentParser, argv=None) -> int:
    """Parse ``argv`` and run the chosen sub-command: bad input (``ValueError``/``TypeError``
    from the toolkit) prints one line and gives exit code 2, Ctrl-C gives 130, a closed
    output pipe (``… | head``) ends quietly, and warnings print as one line each."""
    args = parser.parse_args(argv)
    prog = f"{parser.prog} {getattr(args, 'command', '')}".strip()

    def one_line(message, category, *rest, **kw):
        print(f"{prog}: warning: {message}", file=sys.stderr)

    try:
        with warnings.catch_warnings():
            warnings.showwarning = one_line
            return int(args.func(args) or 0)
    except (ValueError, TypeError) as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away: point stdout at devnull so that the exit flush is silent
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def main(argv=None) -> int:
    """The ``offsetgeo`` command."""
    return run_command(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
