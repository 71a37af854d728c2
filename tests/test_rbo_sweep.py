"""rbo.sweep: real Dask LocalCluster (processes, 2 workers), real SQLite files, no mocks.

The cluster is shared by the module (its start-up dominates); tests that kill or restart
its workers leave it with two live workers again (the nanny restarts them).
"""
from __future__ import annotations

import _thread
import contextlib
import inspect
import json
import math
import os
import re
import signal
import socket
import sqlite3
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, strategies as st

import offsetgeo
import rbo
from offsetgeo import theorems
from rbo import sweep
from rbo.cli import main as rbo_main
from rbo.sweep import CellOutput, Param, Task
from rbo.sweep._runner import _Interrupts
from offsetgeo._results import from_json, to_json

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "sweep_study.toml"
LOSS = "sin(x) + 0.3*sin(5*x)"
ISSUE_GRID = {"radius": [0.05, 0.2, 0.5], "lr": [0.01, 0.1], "seed": [0, 1]}
ISSUE_FIXED = {"loss": LOSS, "optimizer": "rbo", "steps": 50, "theta0": [1.0]}


# --------------------------------------------------------------------------------------
# test tasks (module-level: the workers import them by reference)

#: x values at which the probe raises KeyboardInterrupt (serial runs only; emptied to resume)
INTERRUPT_AT: set = set()


def probe(config, deadline):
    """ok: value x² + seed; raise: RuntimeError; sleep: ignores its deadline; spin: honours it."""
    mode, x = config["mode"], config["x"]
    if mode == "raise":
        raise RuntimeError(f"probe asked to fail at x={x}")
    if mode == "sleep":
        time.sleep(config["seconds"])
    if mode == "spin":
        end = time.monotonic() + config["seconds"]
        while time.monotonic() < end:
            deadline.check("spinning")
            time.sleep(0.01)
    if x in INTERRUPT_AT:
        raise KeyboardInterrupt
    return CellOutput({"value": x * x + config["seed"], "evals": 1})


PROBE = sweep.register_task(Task(
    "probe", probe, {"x": Param("float"), "mode": Param("str", "ok", choices=("ok", "raise", "sleep", "spin")),
                     "seconds": Param("float", 0.0), "seed": Param("int", 0)},
    metrics=("value", "evals"), primary=("value", "min")), replace=True)

def bad_output(config, deadline):
    """Returns what the store cannot hold: a dict instead of CellOutput, or an object metric."""
    return {"value": 1.0} if config["x"] == 1.0 else CellOutput({"value": object()})


BAD_OUTPUT = sweep.register_task(Task("bad-output", bad_output, {"x": Param("float")}, seed=None),
                                 replace=True)

ACC_MAX = 0.9


def fake_train(config, deadline):
    """A classification-like task: accuracy ``0.9 (1 − (1 − r)^t)`` at evals 10 t, t ≤ 10,
    ``r = lr · (2 for rbo, 1 for sgd) · (1 on dataset a, ½ on b)``; lr > 0.5 diverges and
    radius 13 raises."""
    if config.get("radius") == 13.0:
        raise ValueError("radius 13 is unlucky")
    if config["lr"] > 0.5:
        return CellOutput({"test_accuracy": float("nan"), "status": "diverged", "evals": 10})
    rate = config["lr"] * (2.0 if config["optimizer"] == "rbo" else 1.0) * \
        (1.0 if config["dataset"] == "a" else 0.5) * (1.0 + 0.01 * config["seed"])
    t = np.arange(11)
    acc = ACC_MAX * (1.0 - (1.0 - rate) ** t)
    return CellOutput({"test_accuracy": float(acc[-1]), "status": "completed", "evals": 100},
                      {"evals": 10 * t, "test_accuracy": acc})


FAKE_TRAIN = sweep.register_task(Task(
    "fake-train", fake_train,
    {"dataset": Param("str", "a"), "optimizer": Param("str", "rbo"), "lr": Param("float"),
     "radius": Param("float", 1.0), "seed": Param("int", 0)},
    metrics=("test_accuracy", "status", "evals"),
    relevant=lambda c: {"dataset", "optimizer", "lr", "seed"} | ({"radius"} if c.get("optimizer") == "rbo" else set()),
    primary=("test_accuracy", "max"), cost_curve=("evals", "test_accuracy"), hyper=("lr", "radius"),
    group="optimizer", heatmap=("radius", "lr")), replace=True)


# --------------------------------------------------------------------------------------
# fixtures and helpers


# (the 2-worker cluster fixture ``client`` is in conftest.py)


@pytest.fixture(scope="module")
def issue_sweep(client, tmp_path_factory):
    """The issue's 12-cell study, run once on the cluster from its TOML file."""
    out = tmp_path_factory.mktemp("issue") / "study"
    summary = sweep.run_study(sweep.load_study(EXAMPLE), out=out, client=client, progress=False)
    return out, summary


def _db(out):
    return contextlib.closing(sqlite3.connect(Path(out) / "results.sqlite"))


def _log_keys(out):
    with _db(out) as con:
        return [k for (k,) in con.execute("SELECT key FROM log ORDER BY id")]


def _count_rows(out) -> int:
    try:
        with _db(out) as con:
            return con.execute("SELECT count(*) FROM cells").fetchone()[0]
    except sqlite3.OperationalError:    # file or table not there yet
        return 0


def _wait_until(predicate, seconds=90.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _two_workers(client):
    assert _wait_until(lambda: len(client.nthreads()) == 2, 60), "cluster did not recover"


# --------------------------------------------------------------------------------------
# studies, keys, JSON


def test_axis_values_and_studies():
    assert sweep.axis_values("r", {"geomspace": [0.01, 1.0, 3]}) == pytest.approx([0.01, 0.1, 1.0], rel=1e-15)
    assert sweep.axis_values("r", {"linspace": [0, 1, 3]}) == [0.0, 0.5, 1.0]
    assert sweep.axis_values("s", {"range": [2, 5]}) == [2, 3, 4]
    with pytest.raises(ValueError, match="axis 'lr' is empty"):
        sweep.axis_values("lr", [])
    with pytest.raises(ValueError, match="put single values under"):
        sweep.axis_values("lr", 0.1)
    with pytest.raises(ValueError, match="one key of logspace"):
        sweep.axis_values("lr", {"logspace": [1, 2, 3], "range": 2})
    study = sweep.load_study(EXAMPLE)
    cells = study.cells()
    assert len(cells) == 12 and len({c.key for c in cells}) == 12
    # the canonical configuration: defaults filled in, only what applies to the optimizer
    c = cells[0].config
    assert c["solver"] == "newton" and "momentum" not in c and c["theta0"] == [1.0]
    # SGD cells that differ only in RBO's radius are one cell
    mixed = sweep.Study("rbo-analytic", {"optimizer": ["rbo", "sgd"], "radius": [0.1, 0.2]},
                        fixed={"loss": "x**2", "steps": 3, "theta0": [1.0], "lr": 0.1})
    assert sorted(c.config["optimizer"] for c in mixed.cells()) == ["rbo", "rbo", "sgd"]
    for path in (ROOT / "examples").glob("sweep_*.toml"):
        assert sweep.load_study(path).cells()


@given(st.lists(st.integers(1, 4), min_size=1, max_size=3))
def test_grid_has_one_cell_per_combination(sizes):
    names = ["lr", "radius", "seed"][:len(sizes)]
    axes = {n: ([k for k in range(m)] if n == "seed" else [0.1 * (k + 1) for k in range(m)])
            for n, m in zip(names, sizes)}
    fixed = {"loss": "x**2", "steps": 1, "theta0": [0.5], "lr": 0.1, "radius": 0.3}
    cells = sweep.Study("rbo-analytic", axes, fixed={k: v for k, v in fixed.items() if k not in axes}).cells()
    assert len(cells) == math.prod(sizes) == len({c.key for c in cells})
    combos = {tuple(c.config[n] for n in names) for c in cells}
    assert len(combos) == math.prod(sizes)


def test_cell_keys_are_stable_and_complete():
    cfg = {"loss": LOSS, "steps": 50, "theta0": [1.0], "lr": 0.1, "radius": 0.2}
    a = sweep.Study("rbo-analytic", {}, fixed=cfg).cells()[0]
    b = sweep.Study("rbo-analytic", {}, fixed={**cfg, "steps": 50.0, "theta0": 1, "solver": "newton"}).cells()[0]
    assert a.key == b.key              # the same configuration written differently
    c = sweep.Study("rbo-analytic", {}, fixed={**cfg, "tol": 1e-9}).cells()[0]
    assert c.key != a.key
    assert sweep.cell_key("rbo-analytic", a.config, rbo.__version__) == a.key
    assert sweep.cell_key("rbo-analytic", a.config, "0.0.0") != a.key


nested = st.recursive(
    st.floats() | st.integers(-10**6, 10**6) | st.text(max_size=5) | st.booleans() | st.none(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text("abc", min_size=1, max_size=3), inner, max_size=3),
    max_leaves=12)


@given(st.dictionaries(st.text("xyz", min_size=1, max_size=4), nested, max_size=4))
def test_json_rule_round_trips_nonfinite(obj):
    back = from_json(to_json(obj))

    def same(a, b):
        if isinstance(a, float) and math.isnan(a):
            return isinstance(b, float) and math.isnan(b)
        if isinstance(a, dict):
            return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        if isinstance(a, list):
            return isinstance(b, list) and len(a) == len(b) and all(map(same, a, b))
        return a == b and type(a) is type(b)

    assert same(obj, back)
    assert "NaN" not in to_json(obj) and "Infinity" not in to_json(obj)


def _sections(doc):
    return {m.group(1) for m in re.finditer(r"^\s*([A-Z][A-Za-z ]+)\n\s*-{3,}\s*$", doc, re.M)}


SWEEP_FUNCTIONS = [(n, getattr(sweep, n)) for n in sweep.__all__ if inspect.isfunction(getattr(sweep, n))]


@pytest.mark.parametrize("name, fn", SWEEP_FUNCTIONS, ids=[n for n, _ in SWEEP_FUNCTIONS])
def test_public_functions_have_numpydoc(name, fn):
    """The project's rule (tests/test_docstrings.py on main), applied to rbo.sweep."""
    doc = inspect.getdoc(fn) or ""
    sections = _sections(doc)
    assert "Parameters" in sections and "Returns" in sections and "See Also" in sections, name
    returns = doc.split("Returns\n", 1)[1].split("\n\n")[0]
    assert re.search(r"^\s*\w+ : \S", returns, re.M), f"{name}: Returns entries must be named"
    assert ">>>" in doc.split("Examples", 1)[-1], f"{name}: no example"


# --------------------------------------------------------------------------------------
# the cluster


def test_cluster_sweep_stores_every_cell_once(issue_sweep):
    out, summary = issue_sweep
    assert (summary.cells, summary.ran, summary.done, summary.failed) == (12, 12, 12, 0)
    rows = sweep.results(out)
    assert len(rows) == 12 and all(r.status == "done" for r in rows)
    assert all(r.worker.startswith("tcp://") for r in rows)
    assert sorted(_log_keys(out)) == sorted(r.key for r in rows)
    assert json.loads((out / "study.json").read_text())["version"] == rbo.__version__
    for r in rows:
        m = r.metrics
        assert {"final_loss", "final_theta", "evals", "status"} <= set(m)
        assert r.evals == m["evals"] and r.wall_time > 0
        curves = sweep.load_curves(out, r.key)
        assert curves["loss"].shape == (m["steps"] + 1,) and curves["evals"][-1] == m["evals"]
    # independent computation: the same run made directly with rbo
    r = next(r for r in rows if r.config["radius"] == 0.2 and r.config["lr"] == 0.1)
    f = rbo.objective(offsetgeo.Function(LOSS))
    traj = rbo.run(f, rbo.rolling_ball(0.1, 0.2), np.array([1.0]), 50, on_failure="ignore")
    assert r.metrics["final_theta"] == [float(traj.final_theta[0])]
    assert r.metrics["final_loss"] == traj.final_loss and r.metrics["evals"] == traj.total_evals


def test_serial_and_cluster_give_identical_metrics(issue_sweep, tmp_path):
    out, _ = issue_sweep
    serial = tmp_path / "serial"
    sweep.run_study(sweep.load_study(EXAMPLE), out=serial, serial=True, progress=False)
    a = {r.key: r for r in sweep.results(out)}
    b = {r.key: r for r in sweep.results(serial)}
    assert a.keys() == b.keys()
    for k in a:
        skip = {"run_seconds"}       # the run's own wall time
        assert {n: v for n, v in a[k].metrics.items() if n not in skip} == \
               {n: v for n, v in b[k].metrics.items() if n not in skip}
        ca, cb = sweep.load_curves(out, k), sweep.load_curves(serial, k)
        assert all(np.array_equal(ca[n], cb[n]) for n in ca)
    assert all(r.worker.startswith("local:") for r in b.values())


def test_seeds_drive_start_and_gradient_noise(tmp_path):
    fixed = {"loss": "x**2 + 0.5*sin(3*x)", "steps": 20, "theta0": [1.0], "lr": 0.05,
             "optimizer": "sgd", "theta0_noise": 0.5, "grad_noise": 0.1}
    sweep.run("rbo-analytic", {"seed": [0, 1]}, fixed=fixed, out=tmp_path / "a", serial=True,
              progress=False)
    rows = {r.config["seed"]: r for r in sweep.results(tmp_path / "a")}
    assert rows[0].metrics["final_theta"] != rows[1].metrics["final_theta"]
    # the documented streams, reproduced by hand: start from rng([seed, 1]), noise rng([seed, 2, t])
    f = offsetgeo.Function(fixed["loss"])
    theta = 1.0 + 0.5 * np.random.default_rng([1, 1]).standard_normal(1)[0]
    for t in range(20):
        g = float(f.grad(theta)) + 0.1 * np.random.default_rng([1, 2, t]).standard_normal(1)[0]
        theta -= 0.05 * g
    assert rows[1].metrics["final_theta"][0] == pytest.approx(theta, abs=1e-14)
    assert rows[1].metrics["final_loss"] == pytest.approx(float(f.value(theta)), abs=1e-14)


@pytest.fixture
def ctrl_c():
    """SIGINT handled by Python as in a terminal, even where this process was started with
    SIGINT ignored (a shell's background job: ``_thread.interrupt_main`` then does nothing)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_interrupted_client_then_rerun_computes_only_the_rest(client, tmp_path, capsys, ctrl_c):
    """Ctrl-C in `rbo sweep run --scheduler` after two cells (``interrupt_main`` raises
    KeyboardInterrupt in the main thread as SIGINT does), then the same command again."""
    study = tmp_path / "slow.toml"
    study.write_text(EXAMPLE.read_text().replace("steps = 50", "steps = 300"))
    out = tmp_path / "slow"
    argv = ["sweep", "run", str(study), "--out", str(out), "--scheduler",
            client.scheduler.address, "--no-progress"]

    fired, finished, start = [], threading.Event(), time.monotonic()

    def interrupt():
        # a generous deadline: on a clean clone the workers first compile the numba kernels
        if _wait_until(lambda: finished.is_set() or _count_rows(out) >= 2, seconds=600) \
                and not finished.is_set():
            fired.append((_count_rows(out), round(time.monotonic() - start, 1)))
            _thread.interrupt_main()

    watcher = threading.Thread(target=interrupt)
    watcher.start()
    code = rbo_main(argv)
    finished.set()
    elapsed = round(time.monotonic() - start, 1)
    try:
        watcher.join()
    except KeyboardInterrupt:          # fired as the run ended: the assertions below say so
        fired.append("after the run")
    err = capsys.readouterr().err
    assert fired, f"no two rows within the deadline (run ended with {code} after {elapsed} s)"
    assert code == 130 and "interrupted" in err and "Traceback" not in err, (code, fired, elapsed, err)
    first = _log_keys(out)
    assert 2 <= len(first) < 12
    st = sweep.status(out)
    assert (st.done, st.running, st.left) == (len(first), 0, 12 - len(first))
    assert rbo_main(argv[:-1]) == 0                     # with messages: it says what it skips
    assert f"12 cells: {len(first)} already done, {12 - len(first)} to run" in capsys.readouterr().err
    keys = _log_keys(out)
    assert len(keys) == 12 and len(set(keys)) == 12 and keys[:len(first)] == first
    with _db(out) as con:
        outcomes = [o for (o,) in con.execute("SELECT outcome FROM sessions ORDER BY id")]
    assert outcomes == ["interrupted", "completed"]


def test_killed_worker_mid_sweep_loses_and_duplicates_nothing(client, tmp_path):
    _two_workers(client)
    pids = client.run(os.getpid)
    out, killed = tmp_path / "kill", {}

    def killer():
        def busy_worker():
            if _count_rows(out) < 2:
                return False
            for addr, keys in client.processing().items():
                if keys and addr in pids:
                    killed.update(addr=addr, keys=list(keys), status=sweep.status(out))
                    os.kill(pids[addr], signal.SIGKILL)
                    return True
            return False
        _wait_until(busy_worker, 60)

    thread = threading.Thread(target=killer)
    thread.start()
    summary = sweep.run("rbo-analytic", {"lr": [0.01, 0.02, 0.05, 0.1], "radius": [0.1, 0.5]},
                        fixed={"loss": LOSS, "steps": 300, "theta0": [1.0]}, out=out,
                        client=client, progress=False)
    thread.join()
    assert killed, "no worker was killed mid-cell"
    st = killed["status"]                                # seen from outside while it ran
    assert st.cells == 8 and st.done >= 2 and st.running >= 1 and st.done + st.running + st.left == 8
    assert (summary.ran, summary.done, summary.failed) == (8, 8, 0)
    keys = _log_keys(out)
    assert len(keys) == 8 and len(set(keys)) == 8
    rows = {r.key: r for r in sweep.results(out)}
    victim = killed["keys"][0].split("-")[2]        # rbo-cell-<cell key>-<run id>
    assert rows[victim].status == "done" and not rows[victim].worker.startswith(killed["addr"] + " ")


def test_raising_and_timed_out_cells_are_failed_not_fatal(client, tmp_path):
    _two_workers(client)
    out = tmp_path / "faults"
    t0 = time.perf_counter()
    summary = sweep.run("probe", {"mode": ["ok", "raise", "sleep", "spin"], "x": [2.0]},
                        fixed={"seconds": 60.0}, out=out, client=client, timeout=1.0,
                        progress=False)
    seconds = time.perf_counter() - t0
    assert seconds < 30                                  # nothing waited for the 60 s sleep
    assert (summary.cells, summary.done, summary.failed) == (4, 1, 3)
    rows = sweep.results(out)
    by_mode = {}
    for r in rows:
        by_mode.setdefault(r.config["mode"], []).append(r)
    assert [r.metrics["value"] for r in by_mode["ok"]] == [4.0]
    for r in by_mode["raise"]:
        assert r.status == "failed" and r.error.startswith("RuntimeError: probe asked to fail")
        assert "Traceback" in r.traceback and "in probe" in r.traceback
    for r in by_mode["spin"]:                            # honoured its deadline on the worker
        assert r.error.startswith("CellTimeout: timed out after 1 s (spinning)")
    for r in by_mode["sleep"]:                           # killed by the client's watchdog
        assert r.error.startswith("CellTimeout: timed out after 1 s") and "worker restarted" in r.error
    st = sweep.status(out)
    assert (st.done, st.failed, st.left) == (1, 3, 0) and len(st.failures) == 3


def test_serial_retry_timeout_and_interrupt(tmp_path):
    out = tmp_path / "serial"
    s1 = sweep.run("probe", {"x": [1.0, 2.0, 3.0], "mode": ["ok", "raise"]}, out=out,
                   serial=True, progress=False)
    assert (s1.done, s1.failed) == (3, 3)
    s2 = sweep.run("probe", {"x": [1.0, 2.0, 3.0], "mode": ["ok", "raise"]}, out=out,
                   serial=True, progress=False)
    assert (s2.ran, s2.skipped) == (0, 6)
    s3 = sweep.run("probe", {"x": [1.0, 2.0, 3.0], "mode": ["ok", "raise"]}, out=out,
                   serial=True, progress=False, retry_failed=True)
    assert (s3.ran, s3.failed) == (3, 3)
    assert len(_log_keys(out)) == 9
    # a task that ignores its deadline: the serial backstop (SIGALRM) stops it
    t0 = time.perf_counter()
    s4 = sweep.run("probe", {"x": [5.0]}, fixed={"mode": "sleep", "seconds": 30.0},
                   out=tmp_path / "alarm", serial=True, timeout=0.2, progress=False)
    assert s4.failed == 1 and time.perf_counter() - t0 < 10
    assert "serial backstop" in sweep.results(tmp_path / "alarm")[0].error
    # Ctrl-C in the middle of a serial sweep keeps the finished cells; the rerun does the rest
    out = tmp_path / "ctrl-c"
    INTERRUPT_AT.add(3.0)
    try:
        with pytest.raises(KeyboardInterrupt):
            sweep.run("probe", {"x": [1.0, 2.0, 3.0, 4.0]}, out=out, serial=True, progress=False)
    finally:
        INTERRUPT_AT.clear()
    assert sweep.status(out).done == 2
    s5 = sweep.run("probe", {"x": [1.0, 2.0, 3.0, 4.0]}, out=out, serial=True, progress=False)
    assert (s5.skipped, s5.ran, s5.done) == (2, 2, 4)


def test_unstorable_task_output_fails_its_cell_only(tmp_path):
    s = sweep.run("bad-output", {"x": [1.0, 2.0]}, out=tmp_path / "bad", serial=True, progress=False)
    assert (s.done, s.failed) == (0, 2)
    errors = sorted(r.error for r in sweep.results(tmp_path / "bad"))
    assert errors[0].startswith("TypeError: cannot store object in JSON")
    assert errors[1].startswith("TypeError: the task returned dict; return rbo.sweep.CellOutput")


# --------------------------------------------------------------------------------------
# the report


def test_report_heat_map_is_the_mean_of_the_stored_rows(issue_sweep):
    out, _ = issue_sweep
    rep = sweep.report(out)
    assert rep.primary == "final_loss" and rep.sense == "min" and len(rep.heatmaps) == 1
    for f in rep.files:
        assert Path(f).stat().st_size > 100
    assert {Path(f).name for f in rep.files} >= {"heatmap.png", "heatmap.csv", "best.csv",
                                                 "summary.csv", "report.md"}
    hm = rep.heatmaps[0]
    with _db(out) as con:
        stored = [(json.loads(c), json.loads(m)) for c, m in con.execute("SELECT config, metrics FROM cells")]
    for i, radius in enumerate(hm.rows):
        for j, lr in enumerate(hm.cols):
            values = [m["final_loss"] for c, m in stored if c["radius"] == radius and c["lr"] == lr]
            assert len(values) == 2 and hm.n[i, j] == 2
            assert hm.mean[i, j] == pytest.approx(sum(values) / 2, rel=1e-15, abs=1e-15)
    with open(out / "report" / "heatmap.csv") as fh:
        lines = fh.read().splitlines()
    assert len(lines) == 1 + hm.mean.size
    best = rep.best[0]
    assert best.method == "rbo" and best.mean == pytest.approx(np.nanmin(hm.mean), rel=1e-15)
    text = (out / "report" / "report.md").read_text()
    assert "![heat map](heatmap.png)" in text and "| rbo |" in text


def test_report_with_accuracy_failures_divergence_and_profile(tmp_path):
    out = tmp_path / "train"
    grid = {"dataset": ["a", "b"], "optimizer": ["rbo", "sgd"], "radius": [1.0, 13.0],
            "lr": [0.05, 0.2, 0.8], "seed": [0, 1]}
    s = sweep.run("fake-train", grid, out=out, serial=True, progress=False)
    # rbo: 2 datasets x 2 radii x 3 lr x 2 seeds = 24; sgd: 2 x 3 x 2 = 12
    assert s.cells == 36 and s.failed == 12
    rep = sweep.report(out, target=0.5)
    assert rep.primary == "test_accuracy" and rep.sense == "max"
    assert rep.counts == {"valid": 16, "failed": 12, "diverged": 8}
    hm = next(h for h in rep.heatmaps if "dataset=a" in h.label)
    assert hm.rows == (1.0, 13.0) and hm.cols == (0.05, 0.2, 0.8)
    assert hm.failed[1].tolist() == [2, 2, 2] and hm.n[1].tolist() == [0, 0, 0]
    assert hm.diverged[0].tolist() == [0, 0, 2] and np.isnan(hm.mean[0, 2])
    expected = np.mean([ACC_MAX * (1 - (1 - 0.2 * 2 * (1 + 0.01 * s)) ** 10) for s in (0, 1)])
    assert hm.mean[0, 1] == pytest.approx(expected, rel=1e-14)
    assert hm.best == (0, 1)
    best = {(b.problem, b.method): b for b in rep.best}
    assert best[("dataset=a", "sgd")].config["lr"] == 0.2 and best[("dataset=a", "sgd")].clean

    # performance profile, by hand: first t with 0.9 (1 - (1 - r)^t) >= 0.5, cost 10 t
    def cost(rate):
        t = next((t for t in range(11) if ACC_MAX * (1 - (1 - rate) ** t) >= 0.5), None)
        return math.inf if t is None else 10.0 * t

    pr = rep.profile
    assert pr.methods == ("rbo", "sgd") and pr.problems == ("dataset=a", "dataset=b")
    for p, scale in enumerate((1.0, 0.5)):
        for m, factor in enumerate((2.0, 1.0)):
            per_config = [np.mean([cost(lr * factor * scale * (1 + 0.01 * s)) for s in (0, 1)])
                          for lr in (0.05, 0.2)]
            assert pr.costs[p, m] == min(per_config)
    assert np.all(pr.ratios[:, 0] == 1.0) and np.all(pr.ratios[:, 1] > 1.0)
    assert pr.fractions[0].tolist() == [1.0] * len(pr.taus)
    assert {Path(f).name for f in rep.files} >= {"profile.png", "profile.csv", "profile_costs.csv"}
    # a target nobody reaches on b, and SGD not on a (its best accuracy there is 0.80)
    hard = sweep.report(out, target=0.85, write=False).profile
    # rbo on a (lr 0.2, r = 0.4 and 0.404): 0.9 (1 - (1 - r)^t) >= 0.85 iff (1 - r)^t <= 1/18,
    # first at t = 6 for both seeds (0.6^5 = 0.078, 0.6^6 = 0.047, 0.596^5 = 0.075) -> 60 evals
    assert hard.costs.tolist() == [[60.0, math.inf], [math.inf, math.inf]]
    assert hard.fractions.tolist() == [[0.5] * len(hard.taus), [0.0] * len(hard.taus)]


def test_verify_task_matches_offsetgeo(tmp_path):
    out = tmp_path / "verify"
    s = sweep.run("verify", {"f": ["sin(x)", "0.5*sin(2*x)"]},
                  fixed={"statement": "phase-transition", "period": "2*pi", "quick": True},
                  out=out, serial=True, progress=False)
    assert s.done == 2
    for r in sweep.results(out):
        direct = theorems.phase_transition(r.config["f"], period="2*pi", quick=True)
        assert r.metrics["holds"] == direct.holds and r.metrics["verdict"] == direct.verdict
        assert r.metrics["worst_margin"] == direct.worst_margin
        assert np.array_equal(sweep.load_curves(out, r.key)["radii"], direct.radii)
    assert set(sweep.results(out)[0].config) == {"statement", "f", "period", "quick", "radii",
                                                 "resolution", "domain"}
    rep = sweep.report(out)
    assert rep.primary == "worst_margin" and rep.heatmaps == () and rep.best == ()


# --------------------------------------------------------------------------------------
# bad input


def test_bad_input_is_refused_before_anything_is_written(tmp_path):
    out = tmp_path / "never"
    fixed = dict(ISSUE_FIXED)
    with pytest.raises(ValueError, match="unknown task 'nope'; choose one of"):
        sweep.run("nope", {}, out=out)
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) 'radus'.*its parameters are"):
        sweep.run("rbo-analytic", {"radus": [1.0]}, fixed=fixed, out=out)
    with pytest.raises(ValueError, match="axis 'lr' is empty"):
        sweep.run("rbo-analytic", {"lr": [], "radius": [0.1]}, fixed=fixed, out=out)
    with pytest.raises(ValueError, match="theta0 has 1 entries but the loss"):
        sweep.run("rbo-analytic", {"lr": [0.1]}, fixed={**fixed, "radius": 0.1, "loss": "x**2 + y**2"}, out=out)
    with pytest.raises(ValueError, match="cell lr=-1.0: lr must be a positive"):
        sweep.run("rbo-analytic", {"lr": [0.1, -1.0]}, fixed={**fixed, "radius": 0.1}, out=out)
    with pytest.raises(ValueError, match="needs 'radius'"):
        sweep.run("rbo-analytic", {"lr": [0.1]}, fixed=fixed, out=out)
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'"):
        sweep.run("rbo-analytic", ISSUE_GRID, fixed=fixed, out=out, scheduler="tcp://127.0.0.1:9",
                  connect_timeout=1.0)
    assert time.perf_counter() - t0 < 10
    assert not out.exists()


def test_other_configuration_refused_and_new_axis_values_add_cells(tmp_path):
    out = tmp_path / "d"
    fixed = {"loss": "x**2", "steps": 5, "theta0": [1.0], "optimizer": "sgd"}
    sweep.run("rbo-analytic", {"lr": [0.1, 0.2]}, fixed=fixed, out=out, serial=True, progress=False)
    with pytest.raises(ValueError, match=r"another configuration: steps \(saved 5, now 6\)"):
        sweep.run("rbo-analytic", {"lr": [0.1]}, fixed={**fixed, "steps": 6}, out=out, serial=True)
    with pytest.raises(ValueError, match="task \\(saved 'rbo-analytic', now 'probe'\\)"):
        sweep.run("probe", {"x": [1.0]}, out=out, serial=True)
    s = sweep.run("rbo-analytic", {"lr": [0.1, 0.2, 0.4]}, fixed=fixed, out=out, serial=True,
                  progress=False)
    assert (s.skipped, s.ran, s.done) == (2, 1, 3)
    # a run of another live process (here: our parent's pid) holds the directory
    with _db(out) as con, con:
        con.execute("INSERT INTO sessions (started, host, pid, engine) VALUES (?, ?, ?, 'dask')",
                    (time.time(), socket.gethostname(), os.getppid()))
    with pytest.raises(ValueError, match=f"being run by another process \\(pid {os.getppid()}\\)"):
        sweep.run("rbo-analytic", {"lr": [0.1, 0.8]}, fixed=fixed, out=out, serial=True)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="exists and is not a sweep directory"):
        sweep.run("rbo-analytic", {"lr": [0.1]}, fixed=fixed, out=tmp_path / "busy", serial=True)


def test_command_line(tmp_path, capsys):
    out = tmp_path / "cli"
    assert rbo_main(["sweep", "run", str(EXAMPLE), "--out", str(out), "--serial",
                     "--no-progress"]) == 0
    assert rbo_main(["sweep", "status", str(out)]) == 0
    assert "12 cells: 12 done, 0 failed, 0 running, 0 left" in capsys.readouterr().out
    assert rbo_main(["sweep", "status", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["done"] == 12
    assert rbo_main(["sweep", "report", str(out)]) == 0
    assert "heatmap.png" in capsys.readouterr().out
    for argv, message in [
        (["sweep", "run", str(tmp_path / "none.toml"), "--out", str(out)], "no study file"),
        (["sweep", "run", str(EXAMPLE), "--out", str(tmp_path / "x"), "--scheduler",
          "tcp://127.0.0.1:9", "--connect-timeout", "1"], "cannot reach the Dask scheduler"),
        (["sweep", "status", str(tmp_path)], "is not a sweep directory"),
        (["sweep", "run", str(EXAMPLE), "--out", str(tmp_path / "y"), "--workers", "0"],
         "--workers must be at least 1"),
    ]:
        assert rbo_main(argv) == 2
        err = capsys.readouterr().err.strip()
        last = err.splitlines()[-1]
        assert last.startswith("rbo sweep: error: ") and message in last and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_an_interrupt_a_finalizer_swallowed_still_stops_the_sweep(ctrl_c):
    # Python raises KeyboardInterrupt at the next bytecode of the main thread; inside a
    # __del__ (a Dask future's, say) it is printed as "ignored" and a sweep would go on
    class Finalizer:
        def __del__(self):
            _thread.interrupt_main()
            for _ in range(100_000):      # the interrupt is raised, and ignored, in here
                pass

    swallowed, hook = [], sys.unraisablehook
    sys.unraisablehook = lambda u: swallowed.append(u.exc_type)
    try:
        with _Interrupts() as interrupts:
            Finalizer()
            assert swallowed == [KeyboardInterrupt]        # the finalizer ate it ...
            with pytest.raises(KeyboardInterrupt):         # ... and the sweep still stops
                interrupts.check()
    finally:
        sys.unraisablehook = hook
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
