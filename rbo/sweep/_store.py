"""A sweep directory: ``study.json``, ``results.sqlite`` and ``curves/<key>.npz``.

Only the process that runs the sweep (the Dask client) writes here, one transaction per
finished cell, so a crash loses at most the cells still running.  Tables:

``cells``     one row per cell: key, task, config (JSON), status (done | failed), metrics
              (JSON), wall time, evals, worker, error, traceback, times, session, version
``log``       one row per result recorded (how many times each cell was computed)
``sessions``  one row per ``run``: host, pid, engine, the study, how it ended
``inflight``  cells submitted and not yet recorded (what ``status`` calls running)
"""
from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from offsetgeo._results import from_json, to_json


__all__ = ["Store", "CellResult", "CellRow", "read_study", "write_study", "DB_FILE",
           "STUDY_FILE"]

DB_FILE = "results.sqlite"
STUDY_FILE = "study.json"
CURVES_DIR = "curves"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cells (
    key TEXT PRIMARY KEY, task TEXT NOT NULL, config TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
    metrics TEXT, wall_time REAL, evals INTEGER, worker TEXT, error TEXT, traceback TEXT,
    started REAL, finished REAL, session INTEGER, version TEXT);
CREATE TABLE IF NOT EXISTS log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, session INTEGER NOT NULL,
    status TEXT NOT NULL, worker TEXT, finished REAL);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started REAL, ended REAL, host TEXT, pid INTEGER,
    engine TEXT, study TEXT, outcome TEXT);
CREATE TABLE IF NOT EXISTS inflight (
    key TEXT PRIMARY KEY, session INTEGER NOT NULL, submitted REAL);
"""

_COLUMNS = ("key", "task", "config", "status", "metrics", "wall_time", "evals", "worker",
            "error", "traceback", "started", "finished", "session", "version")


@dataclass(frozen=True)
class CellResult:
    """What running one cell produced (made where it ran, recorded by the client).

    Attributes
    ----------
    key : str
    status : {"done", "failed"}
    metrics : dict
    curves : dict of str -> array
    wall_time : float
        Seconds the cell took where it ran.
    worker : str
        Where it ran (Dask worker address and pid, or ``local:<host>:<pid>``).
    error, traceback : str
        ``"Type: message"`` and the formatted traceback of a failed cell (``""`` otherwise).
    started, finished : float
        Unix times.
    """

    key: str
    status: str
    metrics: dict = field(default_factory=dict)
    curves: dict = field(default_factory=dict)
    wall_time: float = 0.0
    worker: str = ""
    error: str = ""
    traceback: str = ""
    started: float = 0.0
    finished: float = 0.0


@dataclass(frozen=True)
class CellRow:
    """One stored cell (a row of the ``cells`` table, JSON decoded)."""

    key: str
    task: str
    config: dict
    status: str
    metrics: dict
    wall_time: Optional[float]
    evals: Optional[int]
    worker: Optional[str]
    error: Optional[str]
    traceback: Optional[str]
    started: Optional[float]
    finished: Optional[float]
    session: Optional[int]
    version: Optional[str]


def read_study(directory) -> Optional[dict]:
    """The study saved in a sweep directory, or None when there is none."""
    path = Path(directory) / STUDY_FILE
    if not path.exists():
        return None
    return json.loads(path.read_text())


def write_study(directory, study: dict) -> None:
    """Save a study description (atomically: a reader never sees half a file)."""
    path = Path(directory) / STUDY_FILE
    tmp = path.with_name(f".{STUDY_FILE}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(study, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Store:
    """The results of one sweep directory.

    Parameters
    ----------
    directory : path
    create : bool
        Create the database (and the directory) when absent; otherwise a directory without
        ``results.sqlite`` is refused.

    Examples
    --------
    >>> import tempfile
    >>> s = Store(tempfile.mkdtemp(), create=True)
    >>> sid = s.begin({"task": "t"}, "serial")
    >>> s.record(CellResult("k1", "done", {"final_loss": float("nan")}, {"loss": [1.0, 0.5]}),
    ...          task="t", config={"lr": 0.1}, session=sid, version="0")
    >>> row = s.rows()[0]; row.status, row.metrics, s.curves("k1")["loss"].tolist()
    ('done', {'final_loss': nan}, [1.0, 0.5])
    >>> s.close()
    """

    def __init__(self, directory, *, create: bool = False):
        self.directory = Path(directory)
        path = self.directory / DB_FILE
        if not path.exists() and not create:
            raise ValueError(f"{str(self.directory)!r} is not a sweep directory (no {DB_FILE}); "
                             "make one with `rbo sweep run STUDY.toml --out DIR`")
        if create:
            (self.directory / CURVES_DIR).mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, timeout=60.0)
        if create:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.executescript(_SCHEMA)
        self._conn.execute("PRAGMA synchronous=NORMAL")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- reading ------------------------------------------------------------------------

    def statuses(self) -> dict:
        """``{key: "done" | "failed"}`` for every stored cell."""
        return dict(self._conn.execute("SELECT key, status FROM cells"))

    def rows(self, status: Optional[str] = None) -> list:
        """Every stored cell as a :class:`CellRow` (optionally only one status), by key."""
        sql = f"SELECT {', '.join(_COLUMNS)} FROM cells"
        args: tuple = ()
        if status is not None:
            sql, args = sql + " WHERE status = ?", (status,)
        out = []
        for r in self._conn.execute(sql + " ORDER BY key", args):
            d = dict(zip(_COLUMNS, r))
            d["config"] = json.loads(d["config"])
            d["metrics"] = from_json(d["metrics"]) if d["metrics"] else {}
            out.append(CellRow(**d))
        return out

    def log(self) -> list:
        """``[(key, session, status), ...]``: every result ever recorded, in order."""
        return list(self._conn.execute("SELECT key, session, status FROM log ORDER BY id"))

    def live_sessions(self) -> list:
        """``[(session, host, pid), ...]`` of runs that have not ended and whose process is
        alive (a run on another host counts as alive until it ends)."""
        rows = self._conn.execute("SELECT id, host, pid FROM sessions WHERE ended IS NULL")
        here = socket.gethostname()
        return [r for r in rows if r[1] != here or _pid_alive(r[2])]

    def running(self) -> list:
        """``[(key, session), ...]`` of cells submitted by a live session."""
        live = {r[0] for r in self.live_sessions()}
        return [r for r in self._conn.execute("SELECT key, session FROM inflight") if r[1] in live]

    def curves(self, key: str) -> dict:
        """The curves of a cell (``{}`` when it stored none)."""
        path = self.directory / CURVES_DIR / f"{key}.npz"
        if not path.exists():
            return {}
        with np.load(path) as data:
            return {k: data[k] for k in data.files}

    # -- writing (the client only) ------------------------------------------------------

    def begin(self, study: dict, engine: str) -> int:
        """Open a session; returns its id."""
        with self._conn:
            cur = self._conn.execute(
                "INSERT INTO sessions (started, host, pid, engine, study) VALUES (?, ?, ?, ?, ?)",
                (time.time(), socket.gethostname(), os.getpid(), engine, json.dumps(study)))
        return int(cur.lastrowid)

    def end(self, session: int, outcome: str) -> None:
        """Close a session (``outcome``: completed | interrupted | error) and forget its
        in-flight cells."""
        with self._conn:
            self._conn.execute("UPDATE sessions SET ended = ?, outcome = ? WHERE id = ?",
                               (time.time(), outcome, session))
            self._conn.execute("DELETE FROM inflight WHERE session = ?", (session,))

    def submitted(self, keys, session: int) -> None:
        """Mark cells as in flight (one transaction)."""
        now = time.time()
        with self._conn:
            self._conn.executemany("INSERT OR REPLACE INTO inflight VALUES (?, ?, ?)",
                                   [(k, session, now) for k in keys])

    def record(self, result: CellResult, *, task: str, config: dict, session: int,
               version: str) -> None:
        """Store one cell's result: its curves file first, then its row, log entry and the
        end of its in-flight mark in one transaction (a row never lacks its curves)."""
        if result.curves:
            folder = self.directory / CURVES_DIR
            tmp = folder / f".{result.key}.{os.getpid()}.tmp.npz"
            np.savez(tmp, **{k: np.asarray(v) for k, v in result.curves.items()})
            os.replace(tmp, folder / f"{result.key}.npz")
        evals = result.metrics.get("evals")
        evals = int(evals) if isinstance(evals, (int, np.integer)) else None
        row = (result.key, task, json.dumps(config, sort_keys=True), result.status,
               to_json(result.metrics), result.wall_time, evals, result.worker,
               result.error, result.traceback, result.started, result.finished, session, version)
        with self._conn:
            self._conn.execute(f"INSERT OR REPLACE INTO cells ({', '.join(_COLUMNS)}) "
                               f"VALUES ({', '.join('?' * len(_COLUMNS))})", row)
            self._conn.execute("INSERT INTO log (key, session, status, worker, finished) "
                               "VALUES (?, ?, ?, ?, ?)",
                               (result.key, session, result.status, result.worker, result.finished))
            self._conn.execute("DELETE FROM inflight WHERE key = ?", (result.key,))
