"""Sweeps at scale on Dask: ρ × η × seed × optimizer grids, resumable and fault tolerant.

A *study* names a task (``train``, ``rbo-analytic``, ``verify``, or one you register), its fixed
arguments and the axes to sweep; every cell of the grid runs once, on an embedded Dask
``LocalCluster``, on any Dask scheduler, or serially, and lands in one SQLite file
(``results.sqlite``) of the sweep directory with its curves as ``curves/<key>.npz``.
Rerunning skips the cells already done; the report draws the ρ × η heat map, the best
configuration per optimizer and a performance profile.

Command line: ``rbo sweep run STUDY.toml --out DIR``, ``rbo sweep status DIR``,
``rbo sweep report DIR``.

Examples
--------
>>> import tempfile
>>> from rbo import sweep
>>> d = tempfile.mkdtemp()
>>> s = sweep.run("rbo-analytic", {"radius": [0.1, 1.0], "lr": [0.05, 0.2], "seed": [0, 1]},
...               fixed={"loss": "sin(x) + 0.3*sin(5*x)", "steps": 20, "theta0": [1.0]},
...               out=d, serial=True, progress=False)
>>> s.cells, s.done
(8, 8)
>>> rep = sweep.report(d)
>>> rep.primary, rep.heatmaps[0].mean.shape
('final_loss', (2, 2))
"""
from ._spec import REQUIRED, CellOutput, CellTimeout, Deadline, Param, Task, cell_key
from ._tasks import TASKS, get_task, register_task
from ._study import Cell, Study, axis_values, load_study
from ._store import CellResult, CellRow
from ._runner import (SweepStatus, SweepSummary, execute_cell, load_curves, results, run,
                      run_study, status)
from ._report import (BestRow, HeatMap, Profile, ReferenceRow, SweepReport, plot_heatmap,
                      plot_profile, report)

__all__ = [
    "run", "run_study", "status", "report", "results", "load_curves",
    "Study", "Cell", "load_study", "axis_values",
    "Task", "Param", "CellOutput", "Deadline", "CellTimeout", "REQUIRED", "cell_key",
    "TASKS", "register_task", "get_task", "execute_cell",
    "SweepSummary", "SweepStatus", "CellResult", "CellRow",
    "SweepReport", "HeatMap", "ReferenceRow", "BestRow", "Profile", "plot_heatmap", "plot_profile",
]
