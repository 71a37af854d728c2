"""Benchmark of the sweep's ``train`` task: what one cell of the MNIST-1D map costs, where.

One cell of ``examples/sweep_mnist1d_map.toml`` (RBO, ρ = 0.01, η = 0.0316, seed 0, MLP
40-128-128-10 on MNIST-1D) with its budget cut to ``BUDGET`` evaluations, run three ways:

* in this process (``rbo.sweep.execute_cell``; BLAS pinned to one thread by the task);
* on a one-worker ``LocalCluster`` with Dask's default worker environment, which sets
  ``MALLOC_TRIM_THRESHOLD_=65536`` (this also freezes glibc's mmap threshold at 128 KiB, so
  every array of 128 KiB or more is mmap'ed and its pages are zeroed again);
* on a one-worker ``LocalCluster`` started as ``rbo sweep run`` starts its own (that
  variable unset).

Each worker runs the cell once to warm up (imports, data), then ``REPEAT`` times; the
table gives the median wall time and the user / system CPU seconds the worker process
spent per cell (``os.times``), and the metrics are checked equal across the three ways.

Run: ``python benchmarks/bench_sweep_train.py`` (about two minutes on 2 cores).
"""
from __future__ import annotations

import logging
import os
import statistics
import time
from pathlib import Path

import dask
from distributed import Client, LocalCluster

from rbo import sweep

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "examples" / "sweep_mnist1d_map.toml"
BUDGET = 1000
REPEAT = 3
TRIM = "MALLOC_TRIM_THRESHOLD_"


def timed_cell(fn, key, config):
    """(wall, user, system) seconds of one cell where it is called, and its metrics."""
    t, c = time.perf_counter(), os.times()
    result = sweep.execute_cell(fn, key, config, None)
    d = os.times()
    return (time.perf_counter() - t, d.user - c.user, d.system - c.system), result.metrics


def measure(run_one) -> tuple:
    run_one()                                   # warm-up: imports, data, first compilations
    samples = [run_one() for _ in range(REPEAT)]
    times = [s[0] for s in samples]
    return tuple(statistics.median(t[i] for t in times) for i in range(3)), samples[-1][1]


def on_cluster(fn, key, config, environ_trim: bool):
    settings = {"distributed.deploy.lost-worker-timeout": "1 hour"}
    if not environ_trim:
        settings[f"distributed.nanny.pre-spawn-environ.{TRIM}"] = None
    saved = os.environ.pop(TRIM, None)          # a nanny leaves it in this process's environment
    try:
        with dask.config.set(settings), \
                LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                             dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
                Client(cluster, set_as_default=False) as client:
            trim = client.run(os.environ.get, TRIM)
            stats = measure(lambda: client.submit(timed_cell, fn, key, config, pure=False).result())
            return stats, next(iter(trim.values()))
    finally:
        os.environ.pop(TRIM, None)
        if saved is not None:
            os.environ[TRIM] = saved


def main():
    study = sweep.load_study(STUDY)
    cell = study.cells()[0]
    config = {**cell.config, "budget": BUDGET}
    fn = study.task.fn
    rows, metrics = [], []
    stats, m = measure(lambda: timed_cell(fn, cell.key, config))
    rows.append(("this process", os.environ.get(TRIM, "unset"), *stats))
    metrics.append(m)
    for label, trim in (("LocalCluster, Dask defaults", True),
                        ("LocalCluster as rbo sweep starts it", False)):
        (stats, m), value = on_cluster(fn, cell.key, config, trim)
        rows.append((label, value or "unset", *stats))
        metrics.append(m)
    drop = {"train_seconds"}
    same = all({k: v for k, v in m.items() if k not in drop} ==
               {k: v for k, v in metrics[0].items() if k not in drop} for m in metrics)
    print(f"One cell of {STUDY.name}: rbo, radius {config['radius']:g}, lr {config['lr']:.4g}, "
          f"{config['model']} on {config['data']}, budget {BUDGET} evaluations "
          f"({metrics[0]['steps']} steps); median of {REPEAT} after a warm-up; load average "
          f"{os.getloadavg()[0]:.1f}")
    print()
    print("| where | MALLOC_TRIM_THRESHOLD_ | wall s | user CPU s | system CPU s |")
    print("|---|---|---|---|---|")
    for label, trim, wall, user, system in rows:
        print(f"| {label} | {trim} | {wall:.2f} | {user:.2f} | {system:.2f} |")
    print()
    print(f"metrics identical in the three: {same}")


if __name__ == "__main__":
    main()
