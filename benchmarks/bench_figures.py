"""Benchmark: ``rbo figures`` — every figure of the seeds, full and ``--quick``, with a warm
numba cache and from a fresh install (cold cache).

Run:  python benchmarks/bench_figures.py [--modes full,quick] [--caches warm,cold]

Each measurement is one fresh ``python -m rbo figures --out TMP [--quick] --force`` process,
timed from start to exit (imports, numba loading or compiling, every figure, the theorem
table and the report). "cold" points ``NUMBA_CACHE_DIR`` at an empty directory, so every
``cache=True`` kernel is compiled as on a fresh install; "warm" uses the cache a previous
run left (one unmeasured run fills it first). Targets on the 2-core machine: full ≤ 180 s
warm and ≤ 240 s cold; quick ≤ 45 s warm. The load average is printed with each row:
timings are only comparable at similar load.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {("full", "warm"): 180.0, ("full", "cold"): 240.0, ("quick", "warm"): 45.0}
_LINE = re.compile(r"\[\s*\d+/\d+\]\s+(\S+)\s+([\d.]+) s")


def _run(quick: bool, cache_dir: str | None):
    """(wall seconds, {figure: seconds}, load average at the start) of one fresh process."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "rbo", "figures", "--out", out, "--force"]
        cmd += ["--quick"] if quick else []
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    return wall, dict(_LINE.findall(done.stdout)), load


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--modes", default="full,quick", help="comma-separated: full, quick")
    p.add_argument("--caches", default="warm,cold", help="comma-separated: warm, cold")
    args = p.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    caches = [c.strip() for c in args.caches.split(",") if c.strip()]
    if not set(modes) <= {"full", "quick"} or not set(caches) <= {"warm", "cold"}:
        p.error("--modes takes full, quick; --caches takes warm, cold")

    rows, per_figure = [], {}
    if "warm" in caches:
        _run(True, None)                                  # fill the cache, unmeasured
    for mode in modes:
        for cache in caches:
            with tempfile.TemporaryDirectory() as empty:
                wall, figures, load = _run(mode == "quick", empty if cache == "cold" else None)
            rows.append((mode, cache, wall, load))
            per_figure[(mode, cache)] = figures
            print(f"measured {mode:<5} {cache:<4} {wall:7.1f} s (load {load:.2f})", flush=True)

    print()
    print(f"{'mode':<6} {'cache':<5} {'wall s':>8} {'target s':>9} {'load':>6}  verdict")
    for mode, cache, wall, load in rows:
        target = TARGETS.get((mode, cache))
        verdict = "—" if target is None else ("meets" if wall <= target else "MISSES")
        shown = f"{target:9.0f}" if target else f"{'—':>9}"
        print(f"{mode:<6} {cache:<5} {wall:8.1f} {shown} {load:6.2f}  {verdict}")
    print()
    names = list(next(iter(per_figure.values()), {}))
    keys = list(per_figure)
    print(f"{'figure (s)':<22}" + "".join(f"{m + '/' + c:>12}" for m, c in keys))
    for name in names:
        print(f"{name:<22}" + "".join(f"{float(per_figure[k].get(name, 'nan')):12.1f}"
                                      for k in keys))
    print(f"\nmachine: {os.cpu_count()} cores; python {sys.version.split()[0]}; "
          f"run from {Path.cwd()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
