"""Benchmark: ``offsetgeo verify`` — every statement on its default cases.

Run:  python benchmarks/bench_theorems.py [--quick] [--repeat N]

The first ``run_all`` call pays numba compilation (cached to disk after the first process)
and the compilation of the expression tapes; it is timed separately ("cold"). The warm
timings are the number the issue asks for (< 60 s after compilation on 2 cores).
"""

from __future__ import annotations

import argparse
import time

from offsetgeo import theorems


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="coarser grids, fewer radii")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)

    t0 = time.perf_counter()
    theorems.run_all(quick=args.quick)
    cold = time.perf_counter() - t0
    times, reports = [], None
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        reports = theorems.run_all(quick=args.quick)
        times.append(time.perf_counter() - t0)
    print(theorems.format_table(reports))
    print()
    print(f"run_all(quick={args.quick}): cold {cold:.2f} s (compilation included); "
          f"warm best {min(times):.2f} s, median {sorted(times)[len(times) // 2]:.2f} s "
          f"over {len(times)} runs")
    print("per report (warm, last run):")
    for r in reports:
        print(f"  {r.statement:<19} {r.seconds:6.2f} s  {r.case[:60]}")
    bad = [r for r in reports if r.holds is False]
    if bad:
        print(f"{len(bad)} statement(s) FAIL")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
