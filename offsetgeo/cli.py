"""Command-line interface: ``offsetgeo demo | project | reach | verify``."""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

__all__ = ["main"]


def _function(args):
    from .function import Function

    domain = None
    if getattr(args, "domain", None):
        vals = args.domain
        if len(vals) % 2:
            raise ValueError("--domain takes pairs LO HI, one pair per variable")
        domain = [(vals[i], vals[i + 1]) for i in range(0, len(vals), 2)]
    variables = args.variables.split(",") if getattr(args, "variables", None) else None
    return Function(args.expr, variables, domain=domain, period=getattr(args, "period", None))


def _cmd_demo(args) -> int:
    from .function import Function
    from .projection import footpoint

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

    from .reach import reach
    from .reachability import unreachable_set

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
    from .projection import footpoint

    f = _function(args)
    pts = np.array(json.loads(args.points), dtype=float)
    r = footpoint(f, pts)
    out = {"theta": np.asarray(r.theta).tolist(), "distance": r.distance.tolist(),
           "ambiguous": r.ambiguous.tolist(), "converged": r.converged.tolist()}
    print(json.dumps(out) if args.json else "\n".join(
        f"{z} -> theta={t} distance={d:.12g}{' (medial axis)' if a else ''}"
        for z, t, d, a in zip(pts.tolist(), out["theta"], out["distance"], out["ambiguous"])))
    return 0


def _cmd_reach(args) -> int:
    from .reach import reach

    f = _function(args)
    window = None
    if args.window:
        window = [(args.window[i], args.window[i + 1]) for i in range(0, len(args.window), 2)]
    sides = ["upper", "lower"] if args.side == "both" else [args.side]
    results = {side: reach(f, side=side, window=window) for side in sides}
    if args.json:
        print(json.dumps({side: r.to_dict() for side, r in results.items()}))
        return 0
    for side, r in results.items():
        label = "critical radius" if side == "upper" else "lower reach"
        where = ", ".join(f"{name} = {v:.6f}" for name, v in zip(f.variables, np.ravel(r.witness)))
        value = "inf" if not np.isfinite(r.value) else repr(float(f"{r.value:.10g}"))
        print(f"{label} {value} at {where}" + ("" if r.agree else "  (WARNING: methods disagree)"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="offsetgeo", description="Offset manifolds, footpoints "
                                     "and the critical radius of analytic losses.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="project points onto a wiggly loss and print a table")
    demo.set_defaults(func=_cmd_demo)

    def function_args(p):
        p.add_argument("expr", help='the loss, e.g. "sin(x) + 0.3*sin(5*x)"')
        p.add_argument("--variables", help="comma-separated variable order (default: sorted)")
        p.add_argument("--period", help='period of every variable, e.g. "2*pi"')
        p.add_argument("--domain", nargs="+", type=float, metavar="LO HI",
                       help="domain box: LO HI per variable")
        p.add_argument("--json", action="store_true", help="machine-readable output")

    project = sub.add_parser("project", help="footpoints of points given as JSON [[x, y], ...]")
    function_args(project)
    project.add_argument("points", help="JSON list of points (x..., y)")
    project.set_defaults(func=_cmd_project)

    reach = sub.add_parser("reach", help="the reach / critical radius of a loss")
    function_args(reach)
    reach.add_argument("--side", choices=["upper", "lower", "both"], default="upper")
    reach.add_argument("--window", nargs="+", type=float, metavar="LO HI",
                       help="window (LO HI per variable) for non-periodic losses")
    reach.set_defaults(func=_cmd_reach)

    try:
        from . import theorems
    except ImportError:
        theorems = None
    if theorems is not None and hasattr(theorems, "add_verify_arguments"):
        verify = sub.add_parser("verify", help="verify the seeds' theorems numerically")
        theorems.add_verify_arguments(verify)
        verify.set_defaults(func=theorems.run_verify)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ValueError as err:
        print(f"offsetgeo: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
