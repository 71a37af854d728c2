"""Benchmark: the same calls on two source trees, interleaved, for before/after ratios.

Run:  python benchmarks/bench_revisions.py --base /path/to/old/checkout [--rounds 3]
      (e.g. ``git worktree add /tmp/old <commit>`` first)

Each round runs every case once per tree in a fresh process (``PYTHONPATH`` set to the
tree), alternating the trees, and each case keeps its best time over ``--repeat`` warm calls
(more for calls under 0.1 s, up to 50; compilation and caches are paid by a first, untimed
call). The table gives per case the
best over rounds for each tree and their ratio (new / old). On a machine shared with other
jobs, only ratios from the same run mean anything.

The cases are a few core calls through the public API common to both trees, 50 RBO steps on
the toy losses of ``bench_rbo.py``, and the default cases of every theorem verifier
(``offsetgeo verify``).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import offsetgeo as og   # in a worker: the tree on its PYTHONPATH
import rbo
from offsetgeo import theorems

HERE = Path(__file__).resolve().parent


def _core_cases():
    f1 = og.Function("0.3*sin(4*x) + 0.1*cos(11*x)", period="2*pi")
    g = og.Function("exp(-x**2)*cos(3*x)")
    x1 = np.linspace(-2, 2, 64)
    return {
        "offset_height 64 pts": lambda: og.offset_height(g, x1, 0.7),
        "ironed 64 pts": lambda: og.ironed(g, x1, 0.7),
        "is_reachable 64 pts": lambda: og.is_reachable(f1, x1, 0.1),
        "unreachable_set sliver": lambda: og.unreachable_set(f1, 0.10116060949039271),
    }


def _rbo_cases():
    """50 RBO steps (η = 0.1, ρ = 0.3) on the toy losses of ``bench_rbo.py``."""
    quiet = ({"on_failure": "ignore"} if "on_failure" in inspect.signature(rbo.run).parameters
             else {"on_unconverged": "ignore"})
    out = {}
    for name, obj, x0 in [("multiscale2d", rbo.losses.multiscale(), np.array([2.0, 1.5])),
                          ("sine", rbo.losses.sine(), np.array([0.3])),
                          ("sines d=1000", rbo.losses.sines(1000), np.linspace(0, 1, 1000))]:
        for solver in ("newton", "gauss-newton"):
            opt = rbo.rolling_ball(0.1, 0.3, solver=solver)
            out[f"rbo 50 steps {name} {solver}"] = (
                lambda obj=obj, opt=opt, x0=x0: rbo.run(obj, opt, x0, 50, **quiet))
    return out


def _verifier_cases():
    out = {}
    for name, cases in theorems.DEFAULT_CASES.items():
        for i, (args, kw) in enumerate(cases):
            out[f"{name}[{i}]"] = (lambda name=name, args=args, kw=kw:
                                   theorems.STATEMENTS[name](*args, **kw))
    return out


def worker(repeat: int) -> None:
    """Time every case in this process (the tree on ``PYTHONPATH``); print JSON."""
    cases = {**_core_cases(), **_rbo_cases(), **_verifier_cases()}
    out = {}
    for name, call in cases.items():
        try:
            t0 = time.perf_counter()
            call()
            first = time.perf_counter() - t0
        except Exception as err:  # noqa: BLE001 - a case the old tree lacks is reported
            out[name] = f"error: {type(err).__name__}"
            continue
        best = np.inf
        for _ in range(max(repeat, min(50, int(0.1 / max(first, 1e-6))))):   # ≥ 0.1 s a case
            t0 = time.perf_counter()
            call()
            best = min(best, time.perf_counter() - t0)
        out[name] = best
    print(json.dumps(out))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True, help="the old source tree (a checkout)")
    p.add_argument("--new", default=str(HERE.parent), help="the new tree (default: this one)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--threads", type=int, default=None,
                   help="NUMBA_NUM_THREADS for both trees (1 is steadier on a shared machine)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(args.repeat)
        return 0
    trees = {"old": str(Path(args.base).resolve()), "new": str(Path(args.new).resolve())}
    runs = {"old": [], "new": []}
    for r in range(args.rounds):
        for tag in (("old", "new") if r % 2 == 0 else ("new", "old")):
            env = dict(os.environ, PYTHONPATH=trees[tag])
            if args.threads:
                env["NUMBA_NUM_THREADS"] = str(args.threads)
            res = subprocess.run([sys.executable, __file__, "--base", args.base, "--worker",
                                  "--repeat", str(args.repeat)], env=env, cwd="/",
                                 capture_output=True, text=True, check=True)
            runs[tag].append(json.loads(res.stdout.strip().splitlines()[-1]))
            print(f"round {r + 1}/{args.rounds}: {tag} done", file=sys.stderr)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}; best of {args.rounds} rounds x "
          f"{args.repeat} calls; numba threads: {args.threads or 'default'}\n")
    print("| case | old s | new s | new/old |")
    print("|---|---|---|---|")
    worst = 0.0
    for name in runs["new"][0]:
        def best(tag, name=name):
            vals = [run.get(name) for run in runs[tag]]
            nums = [v for v in vals if isinstance(v, float)]
            return min(nums) if nums else (vals[0] if vals else None)
        old, new = best("old"), best("new")
        if isinstance(old, float) and isinstance(new, float):
            worst = max(worst, new / old)
            print(f"| {name} | {old:.4f} | {new:.4f} | {new / old:.2f} |")
        else:
            print(f"| {name} | {old} | {new} | — |")
    print(f"\nlargest ratio: {worst:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
