"""The sweep's ``train`` task: real Dask LocalCluster (2 worker processes), real SQLite, real
data (scikit-learn's digits; the MNIST-1D study file is only parsed), no mocks.

Cells are tiny (logistic regression or an MLP with 8 hidden units, a few dozen evaluations)
so that the whole file runs in seconds besides the cluster's start.
"""
from __future__ import annotations

import contextlib
import csv
import json
import logging
import math
import os
import sqlite3
import time
from pathlib import Path

import dask
import numpy as np
import pytest
from distributed import Client, LocalCluster

import rbo
from rbo import sweep
from rbo._compare import RBO_TRAINING_MAX_EVALS, RBO_TRAINING_RTOL, RBO_TRAINING_TOL
from rbo._specs import build_model, load_data
from rbo.sweep import CellOutput, Param, Task

ROOT = Path(__file__).resolve().parent.parent
MAP_STUDY = ROOT / "examples" / "sweep_mnist1d_map.toml"
FIXED = {"data": "digits", "model": "mlp:8", "budget": 40, "batch_size": 64}
#: the footpoint stopping rule rbo compare trains with (main's bench_netcost)
TRAINING_PROJECTION = {"tol": RBO_TRAINING_TOL, "rtol": RBO_TRAINING_RTOL,
                       "max_evals": RBO_TRAINING_MAX_EVALS}
DIVERGING_LR = 1e9          # one step of this lr puts |θ| past the default divergence 1e8
GRID = {"optimizer": ["rbo", "sgd"], "radius": [0.05, 0.5], "lr": [0.3, 1.0, DIVERGING_LR],
        "seed": [0, 1]}


#: what Dask sets in its workers' environment unless told otherwise (see _runner._client;
#: the 2-worker cluster fixture ``client`` of conftest.py unsets it, as rbo sweep does)
TRIM = "MALLOC_TRIM_THRESHOLD_"


def environment_probe(config, deadline):
    """The worker's malloc trim setting and the parity of x (a trivially cheap task)."""
    return CellOutput({"trim": os.environ.get(TRIM, "unset"), "value": config["x"] % 2})


ENV_PROBE = sweep.register_task(Task("environment-probe", environment_probe,
                                     {"x": Param("int")}, metrics=("trim",), seed=None),
                                replace=True)


@pytest.fixture(scope="module")
def cluster_sweep(client, tmp_path_factory):
    """RBO on 2 radii × 3 learning rates × 2 seeds and SGD on the same learning rates and
    seeds (18 cells), run on the cluster."""
    out = tmp_path_factory.mktemp("train") / "grid"
    summary = sweep.run("train", GRID, fixed=FIXED, out=out, client=client, progress=False)
    return out, summary


def _stored(out):
    with contextlib.closing(sqlite3.connect(Path(out) / "results.sqlite")) as con:
        return [(json.loads(c), s, json.loads(m)) for c, s, m in
                con.execute("SELECT config, status, metrics FROM cells")]


def test_a_cell_is_the_rbo_train_run_of_its_configuration(tmp_path):
    out = tmp_path / "one"
    s = sweep.run("train", {"lr": [0.3]}, fixed={**FIXED, "radius": 0.05, "seed": 1}, out=out,
                  serial=True, progress=False)
    assert (s.cells, s.done) == (1, 1)
    (row,) = sweep.results(out)
    # independent computation: the same training made directly
    data = load_data("digits")
    model = build_model("mlp:8", data)
    res = rbo.train(model, data, rbo.rolling_ball(0.3, 0.05, **TRAINING_PROJECTION), budget=40,
                    batch_size=64, seed=1, progress=False)
    m = row.metrics
    assert m["status"] == res.status == "completed"
    assert m["final_test_accuracy"] == res.final_test_acc
    assert m["best_test_accuracy"] == res.best_test_acc
    assert m["final_train_loss"] == res.final_train_loss
    assert (m["evals"], m["steps"], row.evals) == (res.evals, res.steps, res.evals)
    assert res.evals >= 40 and m["unconverged"] == int(np.sum(~res.step_converged))
    curves = sweep.load_curves(out, row.key)
    assert np.array_equal(curves["test_accuracy"], res.points.test_acc)
    assert np.array_equal(curves["train_loss"], res.points.train_loss)
    assert np.array_equal(curves["evals"], res.points.evals)
    assert np.array_equal(curves["step_loss"], res.step_loss)
    assert curves["evals"][-1] == m["evals"]
    assert curves["test_accuracy"][-1] == m["final_test_accuracy"]
    # the footpoint stopping rule of training is rbo compare's, not the library's (rtol 0,
    # no evaluation cap)
    assert {k: row.config[k] for k in TRAINING_PROJECTION} == TRAINING_PROJECTION
    assert (TRAINING_PROJECTION["rtol"], TRAINING_PROJECTION["max_evals"]) != (0.0, None)


def test_an_epochs_cell_is_the_step_matched_rbo_train_run(tmp_path):
    out = tmp_path / "epochs"
    fixed = {k: v for k, v in FIXED.items() if k != "budget"}
    sweep.run("train", {"epochs": [1.5]}, fixed={**fixed, "radius": 0.5, "lr": 0.3, "seed": 0},
              out=out, serial=True, progress=False)
    (row,) = sweep.results(out)
    assert row.config["epochs"] == 1.5 and "budget" not in row.config
    data = load_data("digits")
    res = rbo.train(build_model("mlp:8", data), data,
                    rbo.rolling_ball(0.3, 0.5, **TRAINING_PROJECTION),
                    epochs=1.5, batch_size=64, seed=0, progress=False)
    # 1.5 passes of 1347 // 64 = 21 batches: ceil(31.5) = 32 steps, whatever each one costs
    assert row.metrics["steps"] == res.steps == 32
    assert row.metrics["evals"] == res.evals > 32
    assert row.metrics["final_test_accuracy"] == res.final_test_acc
    assert row.metrics["final_train_loss"] == res.final_train_loss


def test_cluster_and_serial_give_identical_metrics(cluster_sweep, tmp_path):
    out, summary = cluster_sweep
    assert (summary.cells, summary.done, summary.failed) == (18, 18, 0)
    serial = tmp_path / "serial"
    sweep.run("train", GRID, fixed=FIXED, out=serial, serial=True, progress=False)
    a = {r.key: r for r in sweep.results(out)}
    b = {r.key: r for r in sweep.results(serial)}
    assert a.keys() == b.keys() and len(a) == 18
    assert all(r.worker.startswith("tcp://") for r in a.values())
    assert all(r.worker.startswith("local:") for r in b.values())
    for k in a:
        assert {n: v for n, v in a[k].metrics.items() if n != "train_seconds"} == \
               {n: v for n, v in b[k].metrics.items() if n != "train_seconds"}
        ca, cb = sweep.load_curves(out, k), sweep.load_curves(serial, k)
        assert ca.keys() == cb.keys()
        assert all(np.array_equal(ca[n], cb[n], equal_nan=True) for n in ca if n != "wall_time")
    # the comparison has teeth: the seeds are not replicates of each other
    by_seed = {}
    for r in a.values():
        if r.metrics["status"] == "completed":
            by_seed.setdefault((r.config.get("radius"), r.config["lr"]), {})[r.config["seed"]] = \
                r.metrics["final_train_loss"]
    assert len(by_seed) == 6 and all(v[0] != v[1] for v in by_seed.values())


def test_diverging_learning_rate_is_recorded_diverged_and_marked(cluster_sweep):
    out, _ = cluster_sweep
    rows = sweep.results(out)
    for r in rows:
        diverging = r.config["lr"] == DIVERGING_LR
        assert r.status == "done"                      # diverging is an outcome, not a failure
        assert (r.metrics["status"] == "diverged") == diverging
        if diverging:
            assert "exceeded 1e+08" in r.metrics["message"] and r.metrics["steps"] == 0
    rep = sweep.report(out)
    (hm,) = rep.heatmaps
    j = hm.cols.index(DIVERGING_LR)
    assert hm.diverged[:, j].tolist() == [2, 2] and hm.n[:, j].tolist() == [0, 0]
    assert np.isnan(hm.mean[:, j]).all()
    (sgd,) = hm.references                             # SGD's strip under the map
    assert sgd.label == "optimizer=sgd" and sgd.diverged[j] == 2 and sgd.n[j] == 0
    assert rep.counts == {"valid": 12, "failed": 0, "diverged": 6}
    with open(Path(out) / "report" / "heatmap.csv", newline="") as fh:
        lines = list(csv.DictReader(fh))
    marked = [line for line in lines if float(line["lr"]) == DIVERGING_LR]
    assert len(marked) == 3
    assert all(line["seeds_diverged"] == "2" and line["final_test_accuracy_mean"] == ""
               and line["steps_mean"] == "" for line in marked)
    assert [(line["reference"], line["radius"]) for line in marked] == \
        [("", "0.05"), ("", "0.5"), ("optimizer=sgd", "")]


def test_report_heat_map_is_the_mean_of_the_stored_rows(cluster_sweep):
    out, _ = cluster_sweep
    rep = sweep.report(out)
    assert rep.primary == "final_test_accuracy" and rep.sense == "max"
    (hm,) = rep.heatmaps
    assert hm.rows == (0.05, 0.5) and hm.cols == (0.3, 1.0, DIVERGING_LR)
    stored = _stored(out)
    for i, radius in enumerate(hm.rows):
        for j, lr in enumerate(hm.cols[:2]):
            values = [m["final_test_accuracy"] for c, s, m in stored
                      if c.get("radius") == radius and c["lr"] == lr and m["status"] == "completed"]
            assert len(values) == 2 and hm.n[i, j] == 2
            assert hm.mean[i, j] == pytest.approx(sum(values) / 2, rel=1e-15)
            spread = abs(values[0] - values[1]) / math.sqrt(2)       # sample std of two
            assert hm.std[i, j] == pytest.approx(spread, rel=1e-12)
            steps = [m["steps"] for c, s, m in stored
                     if c.get("radius") == radius and c["lr"] == lr]
            assert hm.note[i, j] == sum(steps) / 2 and 0 < min(steps)
    for j, lr in enumerate(hm.cols[:2]):
        sgd = [m["final_test_accuracy"] for c, s, m in stored
               if c["optimizer"] == "sgd" and c["lr"] == lr and m["status"] == "completed"]
        assert len(sgd) == 2 and hm.references[0].n[j] == 2
        assert hm.references[0].mean[j] == pytest.approx(sum(sgd) / 2, rel=1e-15)
        # SGD makes one gradient evaluation a step: its budget of 40 buys 40 steps
        assert hm.references[0].note[j] == 40
    assert hm.note_name == "steps" and hm.flag_name == "unconverged"
    unconverged = {(c.get("radius"), c["lr"]): 0 for c, s, m in stored}
    for c, s, m in stored:
        unconverged[(c.get("radius"), c["lr"])] += m["status"] == "completed" and m["unconverged"] > 0
    assert hm.flagged.tolist() == [[unconverged[(r, lr)] for lr in hm.cols] for r in hm.rows]
    best = {b.method: b for b in rep.best}
    assert best["rbo"].clean and best["rbo"].mean == np.nanmax(hm.mean)
    assert best["sgd"].clean and best["sgd"].mean == np.nanmax(hm.references[0].mean)
    assert {Path(f).name for f in rep.files} >= {"heatmap.png", "heatmap.csv", "report.md"}


def test_profile_figure_only_when_some_optimizer_reaches_the_target(cluster_sweep):
    out, _ = cluster_sweep
    folder = Path(out) / "report"
    # every test accuracy is at least 0 at the first evaluation point: both reach it at once
    rep = sweep.report(out, target=0.0)
    assert np.isfinite(rep.profile.costs).all() and (folder / "profile.png").exists()
    assert str(folder / "profile.png") in rep.files
    # no accuracy reaches 2: all costs infinite, no figure (and none left from before)
    rep = sweep.report(out, target=2.0)
    assert np.isinf(rep.profile.costs).all() and not (folder / "profile.png").exists()
    assert str(folder / "profile.png") not in rep.files
    text = (folder / "report.md").read_text()
    assert "No figure: no optimizer reached the target" in text and "profile.png" not in text
    with open(folder / "profile_costs.csv", newline="") as fh:
        (line,) = list(csv.DictReader(fh))
    assert line["rbo_evals"] == line["sgd_evals"] == ""


def test_cell_past_its_timeout_is_failed_on_the_cluster_and_serially(client, tmp_path):
    fixed = {**FIXED, "budget": 10**7, "radius": 0.05, "lr": 0.3}
    for where, engine in (("cluster", {"client": client}), ("serial", {"serial": True})):
        t0 = time.perf_counter()
        s = sweep.run("train", {"seed": [0]}, fixed=fixed, out=tmp_path / where, timeout=1.0,
                      progress=False, **engine)
        assert time.perf_counter() - t0 < 30
        assert (s.done, s.failed) == (0, 1)
        (row,) = sweep.results(tmp_path / where)
        # stopped by its own deadline between two steps (not by a backstop)
        assert row.status == "failed"
        assert row.error.startswith("CellTimeout: timed out after 1 s (stopped after step ")
        assert "backstop" not in row.error and "restarted" not in row.error


def test_bad_training_configurations_are_refused_before_anything_is_written(tmp_path):
    out = tmp_path / "never"
    cases = [
        ({"model": "mlp:8,x"}, "mlp: widths must be integers"),
        ({"model": "cnn"}, "unknown model 'cnn'"),
        ({"data": "mnist"}, "unknown data 'mnist'"),
        ({"batch_size": 5000}, r"batch_size must be in 1\.\.1347"),
        ({"budget": 0}, "budget must be a positive number"),
        ({"activation": "sigmoid"}, "activation must be one of tanh, relu, gelu"),
        ({"lr": -1.0}, "lr must be a positive"),
    ]
    for change, message in cases:
        fixed = {**FIXED, "radius": 0.1, "lr": 0.3, **change}
        with pytest.raises(ValueError, match=message):
            sweep.run("train", {"seed": [0]}, fixed=fixed, out=out, serial=True, progress=False)
    with pytest.raises(ValueError, match="needs 'budget'"):
        sweep.run("train", {"lr": [0.1]}, fixed={"optimizer": "sgd"}, out=out, serial=True)
    for change, message in [({"epochs": 2.0}, "give budget .* or epochs .*, not both"),
                            ({"epochs": 0.0, "budget": None}, "epochs must be a positive")]:
        fixed = {k: v for k, v in {**FIXED, "lr": 0.3, **change}.items() if v is not None}
        with pytest.raises(ValueError, match=message):
            sweep.run("train", {"seed": [0]}, fixed={**fixed, "optimizer": "sgd"}, out=out,
                      serial=True, progress=False)
    assert not out.exists()


def test_mnist1d_map_study_is_the_issue_grid():
    study = sweep.load_study(MAP_STUDY)
    assert study.task.name == "train"
    cells = study.cells(check=False)
    rbo_cells = [c.config for c in cells if c.config["optimizer"] == "rbo"]
    radii = sorted({c["radius"] for c in rbo_cells})
    lrs = sorted({c["lr"] for c in rbo_cells})
    seeds = sorted({c["seed"] for c in rbo_cells})
    assert len(radii) >= 6 and len(lrs) >= 6 and len(seeds) >= 2
    assert len(rbo_cells) == len(radii) * len(lrs) * len(seeds)
    assert radii[0] <= 0.01 and radii[-1] >= 10.0       # ρ → 0 (≈ SGD) to the unstable end
    sgd_cells = [c.config for c in cells if c.config["optimizer"] == "sgd"]
    assert "radius" not in sgd_cells[0] and len(sgd_cells) == len(lrs) * len(seeds)
    assert {c["data"] for c in rbo_cells} == {"mnist1d"}
    assert {c["budget"] for c in rbo_cells} == {4000}
    # a budgeted cell has no epochs entry: its key is the one it had before epochs existed
    assert all("epochs" not in c.config for c in cells)


def test_embedded_cluster_workers_do_not_trim_malloc(tmp_path, monkeypatch):
    """Dask's MALLOC_TRIM_THRESHOLD_=65536 makes a training cell spend 3x the CPU in page
    faults; the embedded LocalCluster starts its workers without it."""
    monkeypatch.delenv(TRIM, raising=False)
    s = sweep.run("environment-probe", {"x": [1, 2]}, out=tmp_path / "env", workers=1,
                  progress=False)
    assert s.done == 2
    rows = sweep.results(tmp_path / "env")
    assert all(r.worker.startswith("tcp://") for r in rows)
    assert [r.metrics["trim"] for r in rows] == ["unset", "unset"]
    # the probe can see the variable: a worker started with Dask's default has it (set here
    # explicitly: the client fixture of conftest.py has it unset while it lives)
    try:
        with dask.config.set({f"distributed.nanny.pre-spawn-environ.{TRIM}": 65536}), \
                LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                             dashboard_address=None, silence_logs=logging.CRITICAL) as cluster, \
                Client(cluster, set_as_default=False) as c:
            sweep.run("environment-probe", {"x": [3]}, out=tmp_path / "dask", client=c,
                      progress=False)
    finally:
        os.environ.pop(TRIM, None)      # the nanny leaves it in this process's environment
    assert [r.metrics["trim"] for r in sweep.results(tmp_path / "dask")] == ["65536"]


def counting_probe(config, deadline):
    """A map cell with known numbers: value 1/lr + radius, steps 10·seed + 7, and an
    ``unconverged`` count that is positive for seed 1 at the largest radius only."""
    return CellOutput({"value": 1.0 / config["lr"] + config["radius"],
                       "steps": 10 * config["seed"] + 7,
                       "unconverged": int(config["radius"] > 1 and config["seed"] == 1)})


COUNT_PROBE = sweep.register_task(
    Task("counting-probe", counting_probe, {"radius": Param("float"), "lr": Param("float"),
                                            "seed": Param("int", 0)},
         metrics=("value", "steps", "unconverged"), primary=("value", "min"),
         heatmap=("radius", "lr"), note="steps", flag="unconverged"), replace=True)


def test_heat_map_prints_the_mean_note_and_counts_flagged_seeds(tmp_path):
    out = tmp_path / "probe"
    sweep.run("counting-probe", {"radius": [0.5, 2.0], "lr": [0.1, 1.0], "seed": [0, 1, 2]},
              out=out, serial=True, progress=False)
    rep = sweep.report(out)
    (hm,) = rep.heatmaps
    # steps 7, 17, 27 over the three seeds: mean 17 everywhere; seed 1 flagged at radius 2
    assert hm.note.tolist() == [[17.0, 17.0], [17.0, 17.0]]
    assert hm.flagged.tolist() == [[0, 0], [1, 1]]
    assert hm.mean[0, 0] == pytest.approx(10.5, rel=1e-15)
    with open(out / "report" / "heatmap.csv", newline="") as fh:
        lines = list(csv.DictReader(fh))
    assert [(line["radius"], line["lr"], line["steps_mean"], line["seeds_unconverged"])
            for line in lines] == [("0.5", "0.1", "17", "0"), ("0.5", "1.0", "17", "0"),
                                   ("2.0", "0.1", "17", "1"), ("2.0", "1.0", "17", "1")]
    text = (out / "report" / "report.md").read_text()
    assert "| 2 | 12.000 ± 0.000 ‡1 (17 steps) | 3.000 ± 0.000 ‡1 (17 steps) |" in text
    assert "‡ k: k seeds with `unconverged` > 0" in text
    # a task without note or flag (rbo-analytic) has neither in its map or its CSV
    plain = tmp_path / "analytic"
    sweep.run("rbo-analytic", {"radius": [0.1, 1.0], "lr": [0.1]}, out=plain, serial=True,
              fixed={"loss": "x**2", "steps": 3, "theta0": [1.0]}, progress=False)
    (hm,) = sweep.report(plain).heatmaps
    assert hm.note is None and hm.flagged is None
    with open(plain / "report" / "heatmap.csv", newline="") as fh:
        header = next(csv.reader(fh))
    assert header[-1] == "seeds_diverged" and "steps_mean" not in header
