"""Running a sweep: on Dask (an embedded ``LocalCluster`` or any scheduler) or serially.

The client keeps at most two cells per worker thread in flight, records each result in the
store as its future completes (``as_completed``), and submits the next.  A cell runs
:func:`execute_cell` on a worker, which catches the task's exceptions and returns a
:class:`CellResult` (done or failed, with the traceback), so a raising cell never stops the
others.  A worker process that dies mid-cell is Dask's business: the scheduler runs
the cell again elsewhere and the client records it once.

Time limits (``timeout``): the task gets a :class:`Deadline` that starts when the cell
starts on its worker (``rbo-analytic`` stops its run through ``rbo.run``'s callback); as a
backstop, each worker announces the start of a cell (a Dask event), and a watchdog thread
on the client, ``timeout + grace`` seconds after that start, cancels the cell's future,
records it as failed and ends that worker's process, which its nanny replaces (so a cell
that ignores its deadline cannot hang a worker).  Serially the backstop is a ``SIGALRM``
timer (main thread, POSIX).
"""
from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import signal
import socket
import sys
import threading
import time
import traceback as tb_module
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import dask
from distributed import Client, LocalCluster, WorkerPlugin, as_completed, get_worker
from tqdm.auto import tqdm

from .. import __version__
from offsetgeo._results import to_json

from ._spec import CellOutput, CellTimeout, Deadline
from ._store import CellResult, Store, read_study, write_study
from ._study import Study, differing_keys
from ._tasks import get_task

_HAS_BOKEH = importlib.util.find_spec("bokeh") is not None

__all__ = ["run", "run_study", "execute_cell", "SweepSummary", "status", "SweepStatus",
           "results", "load_curves"]


def _grace(timeout: float) -> float:
    """Extra seconds the backstop waits past ``timeout`` before it kills a cell."""
    return max(2.0, 0.25 * float(timeout))


def _where() -> str:
    try:
        return f"{get_worker().address} pid {os.getpid()}"
    except ValueError:
        return f"local:{socket.gethostname()}:{os.getpid()}"


def execute_cell(fn, key: str, config: dict, timeout: Optional[float],
                 topic: Optional[str] = None) -> CellResult:
    """Run one cell where it is called and describe the outcome (never raises, except
    ``KeyboardInterrupt``).

    ``fn(config, Deadline(timeout))`` must return a :class:`CellOutput` whose metrics the
    store can hold; an exception, a wrong return or an unstorable metric makes the cell
    ``failed`` with ``"Type: message"`` and the traceback.

    Parameters
    ----------
    fn : callable
        The task's function.
    key : str
        The cell's key.
    config : dict
        The cell's canonical configuration.
    timeout : float or None
        Seconds the task's :class:`Deadline` allows.
    topic : str, optional
        On a Dask worker: announce the start (``{"cell": key, "worker": address}``) as an
        event of this topic (the client's timeout watchdog listens to it).

    Returns
    -------
    result : CellResult

    See Also
    --------
    run, Task

    Examples
    --------
    >>> from rbo.sweep import get_task
    >>> cfg = get_task("rbo-analytic").config({"loss": "x**2", "steps": 3, "theta0": [1.0],
    ...                                         "lr": 0.1, "optimizer": "sgd"})
    >>> r = execute_cell(get_task("rbo-analytic").fn, "k", cfg, None)
    >>> r.status, r.metrics["final_theta"], r.metrics["evals"]       # 1 → 0.8³
    ('done', [0.512], 3)
    """
    if topic is not None:
        worker = get_worker()
        worker.log_event(topic, {"cell": key, "worker": worker.address})
    started, t0 = time.time(), time.perf_counter()
    metrics, curves, status, error, trace = {}, {}, "done", "", ""
    try:
        out = fn(config, Deadline(timeout))
        if not isinstance(out, CellOutput):
            raise TypeError(f"the task returned {type(out).__name__}; return "
                            "rbo.sweep.CellOutput(metrics, curves)")
        to_json(out.metrics)          # a metric the store cannot hold fails this cell only
        metrics, curves = dict(out.metrics), dict(out.curves)
    except Exception as err:  # the cell failed; the sweep goes on
        status, error, trace = "failed", f"{type(err).__name__}: {err}", tb_module.format_exc()
    return CellResult(key, status, metrics, curves, time.perf_counter() - t0, _where(),
                      error, trace, started, time.time())


def _failure(key: str, error: str, trace: str = "", worker: str = "") -> CellResult:
    now = time.time()
    return CellResult(key, "failed", worker=worker, error=error, traceback=trace,
                      started=now, finished=now)


# ======================================================================================
# engines: an iterator of CellResults and how many cells are running


class _SerialEngine:
    """Cells one after the other in this process."""

    def __init__(self, fn, timeout):
        self.fn, self.timeout, self.running = fn, timeout, 0

    def _one(self, cell) -> CellResult:
        use_alarm = (self.timeout is not None and hasattr(signal, "setitimer")
                     and threading.current_thread() is threading.main_thread())
        if not use_alarm:
            return execute_cell(self.fn, cell.key, cell.config, self.timeout)
        limit = self.timeout + _grace(self.timeout)

        def alarm(signum, frame):
            raise CellTimeout(f"timed out after {self.timeout:g} s (stopped by the serial "
                              f"backstop at {limit:g} s: the task ignored its deadline)")

        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            return execute_cell(self.fn, cell.key, cell.config, self.timeout)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def results(self, cells):
        for i, cell in enumerate(cells):
            self.running = 1
            result = self._one(cell)
            self.running = int(i + 1 < len(cells))
            yield result


class _Watchdog(threading.Thread):
    """Client-side backstop for ``timeout``: cancels cells running past ``timeout + grace``
    and ends their workers' processes.

    A cell's clock starts when its worker announces that it starts the cell (a Dask event on
    ``topic``, see :func:`execute_cell`), so time spent queued does not count, and it starts
    again if Dask runs the cell again elsewhere.
    """

    def __init__(self, client, timeout: float, topic: str, poll: float = 0.2):
        super().__init__(daemon=True, name="rbo-sweep-watchdog")
        self.client, self.limit, self.topic, self.poll = client, timeout + _grace(timeout), topic, poll
        self.lock = threading.Lock()
        self.tracked: dict = {}     # cell key -> future
        self.started: dict = {}     # cell key -> (client clock at its start, worker)
        self.expired: dict = {}     # cell key -> worker
        self.stopped = threading.Event()
        client.subscribe_topic(topic, self._on_start)

    def _on_start(self, event):
        _, msg = event
        with self.lock:
            if msg["cell"] in self.tracked:
                self.started[msg["cell"]] = (time.monotonic(), msg["worker"])

    def track(self, future, key):
        with self.lock:
            self.tracked[key] = future

    def untrack(self, key):
        with self.lock:
            self.tracked.pop(key, None)
            self.started.pop(key, None)

    def stop(self):
        self.stopped.set()
        self.client.unsubscribe_topic(self.topic)

    def run(self):
        while not self.stopped.wait(self.poll):
            now, overdue = time.monotonic(), []
            with self.lock:
                for key, (t0, worker) in list(self.started.items()):
                    if now - t0 > self.limit:
                        overdue.append((self.tracked.pop(key), worker))
                        del self.started[key]
                        self.expired[key] = worker
            for future, _ in overdue:
                future.cancel()
            workers = sorted({worker for _, worker in overdue})
            if workers:
                self._restart(workers)

    def _restart(self, workers):
        """End the processes of ``workers``; their nannies start fresh ones.  (Exiting the
        process proved more reliable here than ``Client.restart_workers``, which under load
        sometimes lost the worker for good.)"""
        info = self.client.scheduler_info().get("workers", {})
        orphans = [w for w in workers if not info.get(w, {}).get("nanny")]
        if orphans:
            warnings.warn(f"worker(s) {', '.join(orphans)} have no nanny and are left running: "
                          "a timed-out cell may still occupy them", RuntimeWarning)
        doomed = [w for w in workers if w not in orphans]
        if doomed:
            self.client.run(os._exit, 70, workers=doomed, on_error="ignore")


class _IgnoreInterrupt(WorkerPlugin):
    """Workers of the embedded cluster ignore SIGINT: Ctrl-C in a terminal reaches every
    process of the group, and only the client should stop (it then closes the cluster)."""

    name = "rbo-sweep-ignore-sigint"

    def setup(self, worker):
        signal.signal(signal.SIGINT, signal.SIG_IGN)


class _DaskEngine:
    """Cells on a Dask cluster: at most two per worker thread in flight (one running, one
    waiting, so that a worker never idles for the client's round trip)."""

    def __init__(self, client, fn, timeout, on_submit):
        self.client, self.fn, self.timeout, self.on_submit = client, fn, timeout, on_submit
        self.inflight: dict = {}
        self._slots, self._slots_at = 1, -1.0

    @property
    def running(self) -> int:
        return min(len(self.inflight), self._slots)

    def _capacity(self) -> int:
        if time.monotonic() - self._slots_at > 1.0:
            self._slots = max(1, sum(self.client.nthreads().values()))
            self._slots_at = time.monotonic()
        return 2 * self._slots

    def results(self, cells):
        pending = iter(cells)
        done = as_completed(loop=self.client.loop)
        run_id = f"{os.getpid()}-{time.time_ns()}"
        topic = None if self.timeout is None else f"rbo-sweep-start-{run_id}"
        watchdog = None if topic is None else _Watchdog(self.client, self.timeout, topic)
        if watchdog is not None:
            watchdog.start()

        def fill():
            batch = []
            for _ in range(self._capacity() - len(self.inflight)):
                cell = next(pending, None)
                if cell is None:
                    break
                fut = self.client.submit(execute_cell, self.fn, cell.key, cell.config,
                                         self.timeout, topic, key=f"rbo-cell-{cell.key}-{run_id}",
                                         pure=False, retries=0)
                self.inflight[fut] = cell
                done.add(fut)
                batch.append(cell.key)
                if watchdog is not None:
                    watchdog.track(fut, cell.key)
            if batch:
                self.on_submit(batch)

        try:
            fill()
            for fut in done:
                cell = self.inflight.pop(fut)
                if watchdog is not None:
                    watchdog.untrack(cell.key)
                outcome = self._outcome(fut, cell, watchdog)
                fut.release()
                fill()
                yield outcome
        finally:
            if watchdog is not None:   # let a restart in progress finish before returning
                watchdog.stop()
                watchdog.join(timeout=30.0)
            if self.inflight:
                self.client.cancel(list(self.inflight))
                self.inflight.clear()

    def _outcome(self, fut, cell, watchdog) -> CellResult:
        if fut.status == "finished":
            return fut.result()
        if fut.status == "cancelled":
            worker = (watchdog.expired.get(cell.key) if watchdog is not None else None)
            if worker is not None:
                return _failure(cell.key, f"CellTimeout: timed out after {self.timeout:g} s "
                                f"(still running {_grace(self.timeout):g} s later: cancelled, "
                                f"worker restarted)", worker=worker)
            return _failure(cell.key, "CancelledError: the scheduler cancelled the cell")
        err = fut.exception()
        trace = "".join(tb_module.format_exception(type(err), err, fut.traceback()))
        return _failure(cell.key, f"{type(err).__name__}: {err}", trace)


# ======================================================================================
# run


@dataclass(frozen=True)
class SweepSummary:
    """What one ``run`` did.

    Attributes
    ----------
    out : str
        The sweep directory.
    task : str
    cells : int
        Cells in the grid.
    skipped : int
        Cells already done (and failed ones, without ``retry_failed``) not run again.
    ran : int
        Cells computed and recorded by this run.
    done, failed : int
        Cells of the grid done / failed after this run.
    seconds : float
    engine : str
    """

    out: str
    task: str
    cells: int
    skipped: int
    ran: int
    done: int
    failed: int
    seconds: float
    engine: str


def _say(progress: bool, text: str) -> None:
    if progress:
        print(f"rbo sweep: {text}", file=sys.stderr, flush=True)


def _check_options(client, scheduler, workers, serial, timeout):
    given = [v for v in (client, scheduler, True if serial else None) if v is not None]
    if len(given) > 1:
        raise ValueError("give at most one of client=, scheduler= and serial=True")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if workers is not None and (client is not None or scheduler is not None or serial):
        raise ValueError("workers= sets the size of the embedded local cluster; it does not "
                         "apply with client=, scheduler= or serial=True")
    if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")


def _connect(scheduler: str, connect_timeout: float) -> Client:
    try:
        return Client(scheduler, timeout=connect_timeout, set_as_default=False)
    except Exception as err:  # any failure to connect is the user's address or network
        raise ValueError(f"cannot reach the Dask scheduler at {scheduler!r} within "
                         f"{connect_timeout:g} s ({type(err).__name__}: {err}); check the "
                         "address, or drop --scheduler to use a local cluster") from None


def _prepare_directory(out: Path, study: Study) -> dict:
    """Refuse a directory made by another configuration; ``{key: status}`` stored there."""
    saved = read_study(out)
    if saved is None:
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise ValueError(f"{str(out)!r} exists and is not a sweep directory: give a new or "
                             "empty --out")
        return {}
    diffs = differing_keys(saved, study)
    if diffs:
        raise ValueError(f"{str(out)!r} holds a sweep of another configuration: "
                         f"{'; '.join(diffs)}. Use another --out, or restore the configuration")
    if not (out / "results.sqlite").exists():
        return {}
    with Store(out) as store:
        here = socket.gethostname()
        for _, host, pid in store.live_sessions():
            if host == here and pid != os.getpid():
                raise ValueError(f"{str(out)!r} is being run by another process (pid {pid}); "
                                 "wait for it to finish or stop it first")
        return store.statuses()


def run(task, grid=None, *, out, fixed=None, client=None, scheduler=None, workers=None,
        serial: bool = False, retry_failed: bool = False, timeout=None, progress: bool = True,
        connect_timeout: float = 10.0) -> SweepSummary:
    """Run every cell of a grid not already done in ``out``, on Dask or serially.

    Cells = product of the axes, completed by ``fixed`` and the task's defaults; each result
    is stored in ``out/results.sqlite`` as its future completes.

    Parameters
    ----------
    task : str or Task
        ``"rbo-analytic"``, ``"verify"`` or a registered task (:data:`TASKS`).
    grid : mapping of str -> list or range table
        The axes (see :func:`axis_values`); ``{}`` is one cell.
    out : path
        The sweep directory (created; reused to resume).
    fixed : mapping, optional
        The fixed arguments.
    client : distributed.Client, optional
        Run on this client's cluster.
    scheduler : str, optional
        Address of a Dask scheduler to connect to (``tcp://host:8786``).
    workers : int, optional
        Size of the embedded ``LocalCluster`` (processes, one thread each; default: the
        number of CPU cores) used when none of ``client``, ``scheduler``, ``serial`` is given.
    serial : bool
        Run in this process, without Dask.
    retry_failed : bool
        Run failed cells again.
    timeout : float, optional
        Seconds a cell may run; past it the cell is recorded as failed.
    progress : bool
        Progress bar and messages on stderr.
    connect_timeout : float
        Seconds to wait for ``scheduler``.

    Returns
    -------
    summary : SweepSummary

    Raises
    ------
    KeyboardInterrupt
        After Ctrl-C, once the finished cells are stored and the rest cancelled.

    See Also
    --------
    run_study, status, report

    Examples
    --------
    >>> import tempfile
    >>> from rbo import sweep
    >>> s = sweep.run("rbo-analytic", {"lr": [0.1, 0.2], "seed": [0, 1]}, out=tempfile.mkdtemp(),
    ...               fixed={"loss": "x**2", "steps": 5, "theta0": [1.0], "radius": 0.5},
    ...               serial=True, progress=False)
    >>> s.cells, s.ran, s.done, s.failed
    (4, 4, 4, 0)
    """
    study = Study(task, {} if grid is None else grid, fixed={} if fixed is None else fixed)
    return run_study(study, out=out, client=client, scheduler=scheduler, workers=workers,
                     serial=serial, retry_failed=retry_failed, timeout=timeout,
                     progress=progress, connect_timeout=connect_timeout)


def run_study(study: Study, *, out, client=None, scheduler=None, workers=None,
              serial: bool = False, retry_failed: bool = False, timeout=None,
              progress: bool = True, connect_timeout: float = 10.0) -> SweepSummary:
    """:func:`run` for a :class:`Study` (e.g. from :func:`load_study`).

    Parameters
    ----------
    study : Study
    out, client, scheduler, workers, serial, retry_failed, timeout, progress, connect_timeout
        As for :func:`run`.

    Returns
    -------
    summary : SweepSummary

    See Also
    --------
    run, load_study

    Examples
    --------
    >>> import tempfile
    >>> from rbo import sweep
    >>> study = sweep.Study("rbo-analytic", {"lr": [0.1, 0.2]},
    ...                     fixed={"loss": "x**2", "steps": 5, "theta0": [1.0], "radius": 0.5})
    >>> sweep.run_study(study, out=tempfile.mkdtemp(), serial=True, progress=False).done
    2
    """
    t_start = time.perf_counter()
    _check_options(client, scheduler, workers, serial, timeout)
    cells = study.cells()
    out = Path(out)
    stored = _prepare_directory(out, study)
    done_before = sum(stored.get(c.key) == "done" for c in cells)
    failed_before = sum(stored.get(c.key) == "failed" for c in cells)
    todo = [c for c in cells if stored.get(c.key) is None
            or (retry_failed and stored[c.key] == "failed")]
    skipped = len(cells) - len(todo)
    note = f"{len(cells)} cells: {done_before} already done"
    if failed_before:
        note += (f", {failed_before} failed" + (" (retried)" if retry_failed
                                                else " (skipped; --retry-failed reruns them)"))
    _say(progress, f"{note}, {len(todo)} to run")
    if not todo:
        write_study(out, study.to_dict())
        return SweepSummary(str(out), study.task.name, len(cells), skipped, 0, done_before,
                            failed_before, time.perf_counter() - t_start, "none")

    with contextlib.ExitStack() as stack:
        if not serial:
            client = _client(stack, client, scheduler, workers, connect_timeout, progress)
        out.mkdir(parents=True, exist_ok=True)
        write_study(out, study.to_dict())
        store = stack.enter_context(Store(out, create=True))
        name = "serial" if serial else f"dask {client.scheduler.address}"
        session = store.begin(study.to_dict(), name)
        engine = (_SerialEngine(study.task.fn, timeout) if serial else
                  _DaskEngine(client, study.task.fn, timeout,
                              on_submit=lambda keys: store.submitted(keys, session)))
        counts = _drive(engine, todo, store, session, study.task.name, progress)
        final = store.statuses()
    n_done = sum(final.get(c.key) == "done" for c in cells)
    n_failed = sum(final.get(c.key) == "failed" for c in cells)
    ran = counts["done"] + counts["failed"]
    _say(progress, f"{ran} cells run in {time.perf_counter() - t_start:.1f} s: "
         f"{counts['done']} done, {counts['failed']} failed; {n_done} of {len(cells)} done in "
         f"all ({out})")
    return SweepSummary(str(out), study.task.name, len(cells), skipped, ran, n_done, n_failed,
                        time.perf_counter() - t_start, name)


def _client(stack, client, scheduler, workers, connect_timeout, progress) -> Client:
    """The client to run on: the given one, one connected to ``scheduler``, or one of a new
    embedded ``LocalCluster``; what is made here is closed by ``stack``."""
    if client is None and scheduler is not None:
        client = _connect(scheduler, connect_timeout)
        stack.callback(client.close)
    elif client is None:
        # A LocalCluster closes for good a nanny whose worker is gone when a timer set at an
        # earlier removal of that worker fires (lost-worker-timeout, 15 s): two timed-out
        # cells on one worker within 15 s would cost the cluster that worker.
        # Dask's workers run with MALLOC_TRIM_THRESHOLD_=65536, which also freezes glibc's
        # mmap threshold at 128 KiB: every array of 128 KiB or more is then mmap'ed and its
        # pages zeroed anew, and a training cell spends 3x the CPU (mostly system time).
        stack.enter_context(dask.config.set(
            {"distributed.deploy.lost-worker-timeout": "1 hour",
             "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}))
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, dashboard_address=":0", silence_logs=logging.ERROR)
        stack.callback(cluster.close)
        client = Client(cluster, set_as_default=False)
        stack.callback(client.close)
        client.register_plugin(_IgnoreInterrupt())
    if "dashboard" in client.scheduler_info().get("services", {}):
        _say(progress, f"Dask dashboard: {client.dashboard_link}"
             + ("" if _HAS_BOKEH else " (its plots need bokeh: pip install bokeh)"))
    return client


class _Interrupts:
    """Ctrl-C during a sweep is never lost.

    Python raises ``KeyboardInterrupt`` at the next bytecode of the main thread, which may be
    inside a finalizer (``__del__`` of a Dask future, say): there it is printed as "ignored"
    and the run would go on. While this context is active, SIGINT (where Python's default
    handler has it) also sets a flag, and :meth:`check` raises for an interrupt that was
    swallowed."""

    def __enter__(self):
        self.seen, self.previous = False, None
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        self.seen = True
        raise KeyboardInterrupt

    def check(self):
        if self.seen:
            raise KeyboardInterrupt

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        return False


def _drive(engine, todo, store, session, task_name, progress) -> dict:
    """Record every result of ``engine`` as it arrives, with a progress bar; on Ctrl-C close
    the session as interrupted (what is recorded stays) and re-raise."""
    configs = {c.key: c.config for c in todo}
    counts = {"done": 0, "failed": 0}
    stream = engine.results(todo)
    outcome = "error"
    bar = tqdm(total=len(todo), unit="cell", desc="sweep", disable=not progress,
               file=sys.stderr, dynamic_ncols=True)
    try:
        with _Interrupts() as interrupts:
            for result in stream:
                store.record(result, task=task_name, config=configs[result.key],
                             session=session, version=__version__)
                counts[result.status] += 1
                bar.set_postfix_str(f"done {counts['done']}, failed {counts['failed']}, "
                                    f"running {engine.running}", refresh=False)
                bar.update(1)
                interrupts.check()        # after recording: what arrived is kept
            interrupts.check()
        outcome = "completed"
    except KeyboardInterrupt:
        outcome = "interrupted"
        raise
    finally:
        stream.close()
        bar.close()
        store.end(session, outcome)
        if outcome == "interrupted":
            done = sum(s == "done" for s in store.statuses().values())
            _say(progress, f"interrupted: {sum(counts.values())} cells recorded in this run, "
                 f"{done} done in this directory; run the same command again to resume")
    return counts


# ======================================================================================
# status


@dataclass(frozen=True)
class SweepStatus:
    """Where a sweep directory stands.

    Attributes
    ----------
    out, task, version : str
    cells : int
        Cells in the saved study's grid.
    done, failed, running, left : int
        Cells of the grid done, failed, in flight in a live run, not yet run.
    other : int
        Stored cells outside the saved grid (from an earlier set of axes).
    failures : tuple of (key, config, error)
    """

    out: str
    task: str
    version: str
    cells: int
    done: int
    failed: int
    running: int
    left: int
    other: int
    failures: tuple


def status(out) -> SweepStatus:
    """Count the done / failed / running / left cells of a sweep directory.

    ``left = cells − done − failed − running`` over the grid of the saved study; "running"
    counts cells submitted by a run whose process is alive.

    Parameters
    ----------
    out : path
        A sweep directory.

    Returns
    -------
    status : SweepStatus

    See Also
    --------
    run, results

    Examples
    --------
    >>> import tempfile
    >>> from rbo import sweep
    >>> d = tempfile.mkdtemp()
    >>> _ = sweep.run("rbo-analytic", {"lr": [0.1, 0.2]}, out=d, serial=True, progress=False,
    ...               fixed={"loss": "x**2", "steps": 5, "theta0": [1.0], "optimizer": "sgd"})
    >>> st = sweep.status(d); st.cells, st.done, st.failed, st.left
    (2, 2, 0, 0)
    """
    out = Path(out)
    saved = read_study(out)
    with Store(out) as store:
        stored = store.statuses()
        running = {r[0] for r in store.running()}
        rows = {r.key: r for r in store.rows(status="failed")}
    if saved is None:
        raise ValueError(f"{str(out)!r} has no study.json: it was not made by `rbo sweep run`")
    study = Study(get_task(saved["task"]), saved["axes"], fixed=saved["fixed"])
    keys = [c.key for c in study.cells(version=saved["version"], check=False)]
    done = sum(stored.get(k) == "done" for k in keys)
    failed = [k for k in keys if stored.get(k) == "failed"]
    run_now = sum(k in running and k not in stored for k in keys)
    failures = tuple((k, rows[k].config, rows[k].error) for k in failed)
    return SweepStatus(str(out), saved["task"], saved["version"], len(keys), done, len(failed),
                       run_now, len(keys) - done - len(failed) - run_now,
                       len(set(stored) - set(keys)), failures)


def results(out, status: Optional[str] = None) -> list:
    """Every stored cell of a sweep directory as :class:`CellRow`, by key.

    Parameters
    ----------
    out : path
        A sweep directory.
    status : {"done", "failed"}, optional
        Only the cells of this status.

    Returns
    -------
    rows : list of CellRow

    See Also
    --------
    load_curves, status

    Examples
    --------
    >>> import tempfile
    >>> from rbo import sweep
    >>> d = tempfile.mkdtemp()
    >>> _ = sweep.run("rbo-analytic", {"lr": [0.1]}, out=d, serial=True, progress=False,
    ...               fixed={"loss": "x**2", "steps": 2, "theta0": [1.0], "optimizer": "sgd"})
    >>> [(r.status, r.metrics["final_theta"]) for r in sweep.results(d)]     # 1 → 0.8²
    [('done', [0.64])]
    """
    with Store(out) as store:
        return store.rows(status)


def load_curves(out, key: str) -> dict:
    """The curves stored for one cell (``curves/<key>.npz``).

    Parameters
    ----------
    out : path
        A sweep directory.
    key : str
        The cell's key (``CellRow.key``).

    Returns
    -------
    curves : dict of str -> ndarray
        ``{}`` when the cell stored none.

    See Also
    --------
    results

    Examples
    --------
    >>> import tempfile
    >>> from rbo import sweep
    >>> d = tempfile.mkdtemp()
    >>> _ = sweep.run("rbo-analytic", {"lr": [0.1]}, out=d, serial=True, progress=False,
    ...               fixed={"loss": "x**2", "steps": 2, "theta0": [1.0], "optimizer": "sgd"})
    >>> sweep.load_curves(d, sweep.results(d)[0].key)["evals"].tolist()
    [0, 1, 2]
    """
    with Store(out) as store:
        return store.curves(key)
