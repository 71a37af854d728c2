"""Benchmark of rbo.sweep: throughput and the per-cell overhead of Dask + SQLite.

Table 1 — a 48-cell ``rbo-analytic`` sweep (RBO, newton solver, 200 steps on
``sin(x) + 0.3 sin(5x)``, radius 4 × lr 3 × seed 4 with a random start per seed) run
serially and on an embedded ``LocalCluster`` of 2 worker processes: wall time and cells
per second.  "cold" is the first sweep of a fresh cluster (each worker imports rbo and
parses the loss once), "warm" a second sweep of the same size (new directory, same cluster);
the cluster's start-up is listed on its own.  The serial sweep runs in an interpreter that
has already parsed the loss once (as warm as it gets).

Table 2 — overhead per cell, measured with near-empty cells (a registered task that
returns one number): wall time per cell of a 400-cell sweep, serially (the cost of the
store: one SQLite transaction, the progress bookkeeping) and on the 2-worker cluster (that
plus Dask's submit / schedule / gather round trip, at most one cell per worker thread in
flight), next to a bare ``client.map`` of the same function gathered with ``as_completed``
(Dask alone, all futures submitted at once).  "per cell" is wall / cells;
"worker-time per cell" multiplies by the workers (what a cell costs the cluster).

Run: ``python benchmarks/bench_sweep.py`` (about a minute on 2 cores).
"""
from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path

from distributed import Client, LocalCluster, as_completed

from rbo import sweep
from rbo.sweep import CellOutput, Param, Task

GRID = {"radius": [0.05, 0.1, 0.2, 0.5], "lr": [0.01, 0.05, 0.1], "seed": [0, 1, 2, 3]}
FIXED = {"loss": "sin(x) + 0.3*sin(5*x)", "optimizer": "rbo", "steps": 200, "theta0": [1.0],
         "theta0_noise": 0.3}
N_EMPTY = 400


def empty(config, deadline):
    return CellOutput({"value": config["x"]})


EMPTY = sweep.register_task(Task("bench-empty", empty, {"x": Param("float")}, metrics=("value",),
                                 primary=("value", "min"), seed=None), replace=True)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def table(title, header, rows):
    print(f"\n{title}")
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header)]
    print("  ".join(str(h).rjust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(str(c).rjust(w) for c, w in zip(r, widths)))


def main(workers: int = 2):
    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    # -- serial ------------------------------------------------------------------------
    sweep.run("rbo-analytic", {"seed": [99]}, fixed={**FIXED, "radius": 0.1, "lr": 0.1},
              out=tmp / "warmup", serial=True, progress=False)
    s_serial, t_serial = timed(lambda: sweep.run("rbo-analytic", GRID, fixed=FIXED,
                                                 out=tmp / "serial", serial=True, progress=False))
    cell_time = sum(r.wall_time for r in sweep.results(tmp / "serial"))
    # -- cluster -------------------------------------------------------------------------
    (cluster, client), t_start = timed(lambda: _cluster(workers))
    try:
        s_cold, t_cold = timed(lambda: sweep.run("rbo-analytic", GRID, fixed=FIXED,
                                                 out=tmp / "cold", client=client, progress=False))
        fixed_warm = {**FIXED, "steps": 201}      # other cells, same cost
        s_warm, t_warm = timed(lambda: sweep.run("rbo-analytic", GRID, fixed=fixed_warm,
                                                 out=tmp / "warm", client=client, progress=False))
        assert s_serial.done == s_cold.done == s_warm.done == 48
        rows = [
            ["serial", 48, f"{t_serial:.2f}", f"{48 / t_serial:.1f}", "—"],
            [f"LocalCluster {workers} workers, cold", 48, f"{t_cold:.2f}", f"{48 / t_cold:.1f}",
             f"{t_serial / t_cold:.2f}"],
            [f"LocalCluster {workers} workers, warm", 48, f"{t_warm:.2f}", f"{48 / t_warm:.1f}",
             f"{t_serial / t_warm:.2f}"],
            [f"cluster start-up ({workers} processes)", "—", f"{t_start:.2f}", "—", "—"],
        ]
        table(f"Table 1: 48-cell rbo-analytic sweep (sum of cell times, serial: {cell_time:.2f} s, "
              f"{1000 * cell_time / 48:.0f} ms per cell)",
              ["engine", "cells", "wall s", "cells/s", "speed-up vs serial"], rows)

        # -- overhead with empty cells ----------------------------------------------------
        xs = [float(i) for i in range(N_EMPTY)]
        sweep.run(EMPTY, {"x": [-1.0, -2.0]}, out=tmp / "e-warm", client=client, progress=False)
        _, t_es = timed(lambda: sweep.run(EMPTY, {"x": xs}, out=tmp / "e-serial", serial=True,
                                          progress=False))
        _, t_ed = timed(lambda: sweep.run(EMPTY, {"x": xs}, out=tmp / "e-dask", client=client,
                                          progress=False))
        _, t_bare = timed(lambda: _bare_dask(client, xs))
        ms = lambda t: f"{1000 * t / N_EMPTY:.2f}"        # noqa: E731
        rows = [
            ["sweep, serial (store only)", N_EMPTY, f"{t_es:.2f}", ms(t_es), ms(t_es)],
            [f"sweep, LocalCluster {workers} workers", N_EMPTY, f"{t_ed:.2f}", ms(t_ed),
             ms(t_ed * workers)],
            ["bare client.map + as_completed", N_EMPTY, f"{t_bare:.2f}", ms(t_bare),
             ms(t_bare * workers)],
        ]
        table("Table 2: overhead per near-empty cell (target <= 50 ms)",
              ["what", "cells", "wall s", "ms per cell", "worker-ms per cell"], rows)
    finally:
        client.close()
        cluster.close()
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


def _cluster(workers):
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.ERROR)
    client = Client(cluster, set_as_default=False)
    client.wait_for_workers(workers)
    return cluster, client


def _bare_dask(client, xs):
    futures = client.map(empty, [{"x": x} for x in xs], [None] * len(xs), pure=False)
    for fut in as_completed(futures, loop=client.loop):
        fut.result()


if __name__ == "__main__":
    main()
