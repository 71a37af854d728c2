"""The report of a sweep directory: heat map, best configurations, performance profile.

* **Heat map** (the seeds' figure 5): the primary metric (final test accuracy when the
  cells report ``test_accuracy``, otherwise the task's, e.g. the final loss) over the
  task's two heat-map parameters (ρ rows × η columns), the mean over seeds of the cells
  that finished without diverging; cells with failed or diverged seeds are marked (× k,
  † k) and cells with none left are hatched and labelled, never left blank.  One panel per
  combination of the other parameters that vary (optimizer, loss, ...).
* **Best configuration per optimizer** (per problem): the configuration with the best mean
  over seeds among those whose every seed finished without diverging (others only when no
  such one exists, flagged), with mean ± std (sample standard deviation) over seeds.
* **Performance profile** (Dolan & Moré 2002) across problems (the combinations of the
  parameters that vary and are neither tuned, nor the optimizer, nor the seed): the cost
  of a cell is the evaluation count at which its curve first reaches the target
  ``v* + tol · (v_0 − v*)`` (``v*`` the best value any cell of the problem reached,
  ``v_0`` the cell's first value; Moré & Wild's convergence test) or a given absolute
  target; a configuration's cost is its mean over seeds (∞ if one seed misses), an
  optimizer's the cost of its best configuration; ``ρ_s(τ)`` is the fraction of problems on
  which optimizer ``s`` is within a factor ``τ`` of the best (costs below one evaluation
  count as one).

Everything goes to ``DIR/report/`` as PNG, CSV and a Markdown page.
"""
from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, NullLocator

from ._store import Store, read_study
from ._tasks import get_task

__all__ = ["report", "SweepReport", "HeatMap", "ReferenceRow", "BestRow", "Profile", "plot_heatmap",
           "plot_profile"]

_ACCURACY = ("test_accuracy", "max")


# ======================================================================================
# grouping cells over seeds


@dataclass(frozen=True)
class _Group:
    config: dict          # the configuration without the seed
    values: tuple         # primary metric of the valid seeds
    failed: int
    diverged: int
    evals: tuple          # evals of the valid seeds
    keys: tuple           # every cell key of the group
    shown: dict           # metric -> its distinct values over the group's done cells, as text
    notes: tuple = ()     # the task's note metric of the valid seeds
    flagged: int = 0      # valid seeds whose flag metric is above zero

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return float(np.mean(self.values)) if self.values else math.nan

    @property
    def std(self) -> float:
        return float(np.std(self.values, ddof=1)) if len(self.values) > 1 else math.nan

    @property
    def note(self) -> float:
        return float(np.mean(self.notes)) if self.notes else math.nan

    @property
    def clean(self) -> bool:
        return self.n > 0 and self.failed == 0 and self.diverged == 0


def _sortable(v):
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (0, float(v), "")
    return (1, 0.0, json.dumps(v, sort_keys=True))


def _order(config: dict) -> tuple:
    return tuple((k, _sortable(config[k])) for k in sorted(config))


def _label(config: dict, keys) -> str:
    return ", ".join(f"{k}={_fmt_value(config.get(k))}" for k in keys if k in config) or "all cells"


def _fmt_value(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list):
        return "[" + ", ".join(_fmt_value(x) for x in v) + "]"
    return str(v)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _cell_value(row, task, metric):
    """(kind, value): kind in valid | failed | diverged."""
    if row.status != "done":
        return "failed", math.nan
    v = row.metrics.get(metric)
    if row.metrics.get("status") in task.diverged or not isinstance(v, (int, float)) \
            or isinstance(v, bool) or not math.isfinite(v):
        return "diverged", math.nan
    return "valid", float(v)


def _groups(rows, task, metric) -> list:
    bucket: dict = {}
    for row in rows:
        config = {k: v for k, v in row.config.items() if k != task.seed}
        bucket.setdefault(json.dumps(config, sort_keys=True), (config, []))[1].append(row)
    out = []
    for config, members in bucket.values():
        kinds = [_cell_value(r, task, metric) for r in members]
        values = tuple(v for k, v in kinds if k == "valid")
        evals = tuple(float(r.evals) for r, (k, _) in zip(members, kinds)
                      if k == "valid" and r.evals is not None)
        shown = {m: " / ".join(sorted({_fmt_value(r.metrics.get(m)) for r in members
                                       if r.status == "done"})) for m in task.show}
        notes = tuple(float(r.metrics[task.note]) for r, (k, _) in zip(members, kinds)
                      if k == "valid" and _is_number(r.metrics.get(task.note)))
        flagged = sum(k == "valid" and _is_number(r.metrics.get(task.flag))
                      and r.metrics[task.flag] > 0 for r, (k, _) in zip(members, kinds))
        out.append(_Group(config, values, sum(k == "failed" for k, _ in kinds),
                          sum(k == "diverged" for k, _ in kinds), evals,
                          tuple(r.key for r in members), shown, notes, flagged))
    return sorted(out, key=lambda g: _order(g.config))


def _varying(groups, task=None) -> list:
    """The configuration keys that take more than one value (the method first, then the
    problem's keys, then the tuned ones, when ``task`` is given); a key that only some
    configurations have (RBO's radius) varies when those take more than one value."""
    keys = sorted({k for g in groups for k in g.config})
    keys = [k for k in keys if len({json.dumps(g.config[k], sort_keys=True)
                                    for g in groups if k in g.config}) > 1]
    if task is None:
        return keys
    rank = {k: i for i, k in enumerate(task.hyper)}
    return sorted(keys, key=lambda k: (k != task.group, k in rank, rank.get(k, 0), k))


# ======================================================================================
# heat map


@dataclass(frozen=True)
class ReferenceRow:
    """A method without the heat map's row parameter (SGD has no radius) over its columns.

    Attributes
    ----------
    label : str
        The method (``optimizer=sgd``) and its other varying parameters.
    mean, std : ndarray (len(cols),)
        Mean and sample std over the valid seeds, per column of the panel.
    n, failed, diverged : ndarray of int
        Valid, failed and diverged seeds per column.
    note : ndarray (len(cols),)
        Mean of the task's note metric over the valid seeds (NaN: none).
    flagged : ndarray of int (len(cols),)
        Valid seeds whose flag metric is above zero.
    """

    label: str
    mean: np.ndarray
    std: np.ndarray
    n: np.ndarray
    failed: np.ndarray
    diverged: np.ndarray
    note: np.ndarray
    flagged: np.ndarray


@dataclass(frozen=True)
class HeatMap:
    """One panel of the heat map.

    Attributes
    ----------
    label : str
        The values of the other varying parameters (``optimizer=rbo, loss=...``).
    row_param, col_param : str
        Usually ``radius`` (rows) and ``lr`` (columns).
    rows, cols : tuple of float
    mean, std : ndarray (len(rows), len(cols))
        Mean and sample std over the valid seeds (NaN where there is none / one).
    n, failed, diverged : ndarray of int
        Valid, failed and diverged seeds per cell.
    metric : str
    sense : {"min", "max"}
    references : tuple of ReferenceRow
        Methods of the sweep that lack ``row_param`` (SGD beside RBO) at the same columns
        and other parameters: drawn under the map for comparison.
    note : ndarray or None
        Mean over the valid seeds of the task's note metric per cell (``steps``), printed
        under the value; None: no note.
    note_name : str
        That metric's name.
    flagged : ndarray of int or None
        Valid seeds per cell whose task's flag metric is above zero (``‡ k``); None: no flag.
    flag_name : str
        That metric's name.
    caption : str
        What is fixed across the panel (the study's fixed parameters), for the figure.
    """

    label: str
    row_param: str
    col_param: str
    rows: tuple
    cols: tuple
    mean: np.ndarray
    std: np.ndarray
    n: np.ndarray
    failed: np.ndarray
    diverged: np.ndarray
    metric: str
    sense: str
    references: tuple = ()
    note: Optional[np.ndarray] = None
    note_name: str = ""
    flagged: Optional[np.ndarray] = None
    flag_name: str = ""
    caption: str = ""

    @property
    def best(self) -> Optional[tuple]:
        """(row, col) index of the best mean among cells with no failed or diverged seed."""
        ok = (self.n > 0) & (self.failed == 0) & (self.diverged == 0)
        if not ok.any():
            return None
        score = np.where(ok, self.mean if self.sense == "max" else -self.mean, -np.inf)
        return tuple(int(i) for i in np.unravel_index(np.argmax(score), score.shape))


def _fill(gs, place, shape) -> tuple:
    """(mean, std, n, failed, diverged, note, flagged) arrays of ``shape`` from groups at
    ``place(g)`` (an index, or None to leave a group out)."""
    mean, std, note = (np.full(shape, np.nan) for _ in range(3))
    n, failed, diverged, flagged = (np.zeros(shape, dtype=int) for _ in range(4))
    for g in gs:
        at = place(g)
        if at is not None:
            mean[at], std[at], note[at] = g.mean, g.std, g.note
            n[at], failed[at], diverged[at], flagged[at] = g.n, g.failed, g.diverged, g.flagged
    return mean, std, n, failed, diverged, note, flagged


def _references(groups, task, panel: dict, cols: list) -> tuple:
    """The reference rows of a panel: groups with the column parameter but not the row
    parameter whose other varying parameters match ``panel`` (where they have them)."""
    rp, cp = task.heatmap
    refs = [g for g in groups if cp in g.config and rp not in g.config
            and all(g.config[k] == v for k, v in panel.items() if k in g.config)]
    keys = ([task.group] if task.group else []) + [
        k for k in _varying(refs) if k not in (cp, task.group) and k not in panel]
    rows: dict = {}
    for g in refs:
        rows.setdefault(_label(g.config, keys), []).append(g)
    out = []
    for label, gs in sorted(rows.items()):
        arrays = _fill(gs, lambda g: cols.index(float(g.config[cp]))
                       if float(g.config[cp]) in cols else None, (len(cols),))
        out.append(ReferenceRow(label, *arrays))
    return tuple(out)


def _heatmaps(groups, task, metric, sense, caption="") -> list:
    if task.heatmap is None:
        return []
    rp, cp = task.heatmap
    members = [g for g in groups if rp in g.config and cp in g.config]
    varying = [k for k in _varying(members) if k not in (rp, cp)]
    panels: dict = {}
    for g in members:
        key = json.dumps({k: g.config.get(k) for k in varying}, sort_keys=True)
        panels.setdefault(key, []).append(g)
    shown = ([task.group] if task.group is not None and task.group not in varying else []) + varying
    out = []
    for key, gs in panels.items():
        rows = sorted({float(g.config[rp]) for g in gs})
        cols = sorted({float(g.config[cp]) for g in gs})
        arrays = _fill(gs, lambda g: (rows.index(float(g.config[rp])),
                                      cols.index(float(g.config[cp]))), (len(rows), len(cols)))
        panel = {k: v for k, v in json.loads(key).items() if k != task.group}
        *stats, note, flagged = arrays
        out.append(HeatMap(_label(gs[0].config, shown), rp, cp, tuple(rows), tuple(cols),
                           *stats, metric, sense, _references(groups, task, panel, cols),
                           note if task.note else None, task.note or "",
                           flagged if task.flag else None, task.flag or "", caption))
    return out


def _caption(task, fixed: dict) -> str:
    """``task: k = v, …`` over a study's fixed parameters (what every cell shares).

    >>> _caption(get_task("train"), {"data": "mnist1d", "budget": 4000})
    'train: data = mnist1d, budget = 4000'
    """
    return f"{task.name}: " + ", ".join(f"{k} = {_fmt_value(v)}" for k, v in fixed.items()) \
        if fixed else task.name


def _edges(values) -> tuple:
    """(cell edges, cell centres, logarithmic?) of an axis through sorted ``values``.

    Geometrically spaced positive values (a ``logspace``/``geomspace`` axis, or a lone
    positive value) sit at their values on a logarithmic axis, each cell half a step wide
    on either side; other values get equal cells at positions 0, 1, … (labelled by value).
    """
    v = np.asarray(values, dtype=float)
    t = np.log10(v) if bool(np.all(v > 0)) else None
    step = np.diff(t) if t is not None else None
    if t is not None and (t.size == 1 or np.allclose(step, step[0], rtol=1e-6, atol=0.0)):
        half = step[0] / 2 if t.size > 1 else 0.5
        return 10.0 ** np.concatenate([t - half, [t[-1] + half]]), v, True
    return np.arange(v.size + 1) - 0.5, np.arange(v.size, dtype=float), False


_NAMES = {"lr": "learning rate η", "radius": "radius ρ"}


def _axis_label(param: str, log: bool) -> str:
    return f"{_NAMES.get(param, param)}{' (log scale)' if log else ''}"


def _marks(failed, diverged, flagged=0) -> str:
    """`` ×k †k ‡k``: failed, diverged and flagged seeds (nothing for zeros)."""
    return "".join(f" {sign}{k}" for sign, k in (("×", failed), ("†", diverged), ("‡", flagged))
                   if k)


def _annotate(ax, box, centre, mean, n, failed, diverged, shade, note="", flagged=0):
    """Text (and, with no valid seed, a hatched patch) of one cell ``box = (x0, x1, y0, y1)``;
    ``note`` is printed small under the value."""
    x0, x1, y0, y1 = box
    xc, yc = centre
    marks = _marks(failed, diverged, flagged)
    if n == 0:
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor="0.85", edgecolor="0.5",
                               hatch="//" if failed else "\\\\", linewidth=0))
        word = ("failed" if failed else "diverged") if (failed or diverged) else "not run"
        ax.text(xc, yc, word + ("\n" + marks.strip() if marks else ""), ha="center",
                va="center", fontsize=7, color="0.1")
        return
    colour = "white" if shade else "black"
    ax.text(xc, yc, f"{mean:#.3g}{marks}", ha="center", va="bottom" if note else "center",
            fontsize=7, color=colour)
    if note:
        ax.text(xc, yc, note, ha="center", va="top", fontsize=5.5, color=colour)


def _note(hm, value) -> str:
    """The note text of a cell: the mean of the note metric (``283 steps``), or nothing."""
    return f"{value:.0f} {hm.note_name}" if hm.note is not None and math.isfinite(value) else ""


def plot_heatmap(hm: HeatMap, ax=None, colorbar: bool = True):
    """Draw one heat-map panel on ``ax`` (created when absent); returns ``ax``.

    Rows and columns spaced geometrically (``logspace`` axes) sit at their values on
    logarithmic axes; other axes get equal cells labelled by value. Cells show the mean (``× k``: k
    seeds failed, ``† k``: k diverged); a cell with no valid seed is hatched grey and
    labelled ``failed`` or ``diverged``; the best cell is outlined in red; the task's note
    metric (``hm.note``: steps taken) is printed small under each value.  Reference rows
    (methods without the row parameter, e.g. SGD) are drawn in a strip under the map with
    the same colours.

    Parameters
    ----------
    hm : HeatMap
    ax : matplotlib Axes, optional
    colorbar : bool

    Returns
    -------
    ax : matplotlib Axes
        The map's axes (the reference strip is an inset of it).

    See Also
    --------
    report, plot_profile

    Examples
    --------
    >>> import numpy as np
    >>> hm = HeatMap("demo", "radius", "lr", (0.1, 1.0), (0.01, 0.1), np.array([[1.0, 0.5],
    ...              [0.2, np.nan]]), np.full((2, 2), np.nan), np.array([[2, 2], [2, 0]]),
    ...              np.array([[0, 0], [0, 2]]), np.zeros((2, 2), int), "final_loss", "min")
    >>> ax = plot_heatmap(hm); ax.get_xlabel(), ax.get_yscale()
    ('learning rate η (log scale)', 'log')
    """
    if ax is None:
        ax = Figure(figsize=(4.6, 3.8), layout="constrained").add_subplot()
    values = [hm.mean] + [r.mean for r in hm.references]
    finite = np.concatenate([v[np.isfinite(v)].ravel() for v in values])
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if hi == lo:
        lo, hi = lo - 0.5, hi + 0.5
    norm = Normalize(lo, hi)
    cmap = colormaps["viridis" if hm.sense == "max" else "viridis_r"].with_extremes(bad="white")

    def dark(v):
        shade = (v - lo) / (hi - lo)
        return shade > 0.6 if hm.sense == "min" else shade < 0.4

    xe, xc, xlog = _edges(hm.cols)
    ye, yc, ylog = _edges(hm.rows)
    image = ax.pcolormesh(xe, ye, np.ma.masked_invalid(hm.mean), cmap=cmap, norm=norm)
    ax.set_xscale("log" if xlog else "linear")
    ax.set_yscale("log" if ylog else "linear")
    ax.set_xlim(xe[0], xe[-1])
    ax.set_ylim(ye[0], ye[-1])
    for i in range(len(hm.rows)):
        for j in range(len(hm.cols)):
            _annotate(ax, (xe[j], xe[j + 1], ye[i], ye[i + 1]), (xc[j], yc[i]), hm.mean[i, j],
                      hm.n[i, j], hm.failed[i, j], hm.diverged[i, j], dark(hm.mean[i, j]),
                      _note(hm, hm.note[i, j]) if hm.note is not None else "",
                      hm.flagged[i, j] if hm.flagged is not None else 0)
    best = hm.best
    if best is not None:
        i, j = best
        ax.add_patch(Rectangle((xe[j], ye[i]), xe[j + 1] - xe[j], ye[i + 1] - ye[i],
                               fill=False, edgecolor="red", linewidth=2))
    for axis, at, vals in ((ax.xaxis, xc, hm.cols), (ax.yaxis, yc, hm.rows)):
        axis.set_ticks(at, [f"{v:.3g}" for v in vals])
        axis.set_minor_locator(NullLocator())
    ax.set_ylabel(_axis_label(hm.row_param, ylog))
    ax.set_xlabel(_axis_label(hm.col_param, xlog))
    ax.set_title(hm.label, fontsize=9)
    if hm.references:
        k = len(hm.references)
        strip = ax.inset_axes([0.0, -0.1 - 0.11 * k, 1.0, 0.11 * k], sharex=ax)
        strip.pcolormesh(xe, np.arange(k + 1), np.ma.masked_invalid(
            np.array([r.mean for r in hm.references])), cmap=cmap, norm=norm)
        for i, r in enumerate(hm.references):
            for j in range(len(hm.cols)):
                _annotate(strip, (xe[j], xe[j + 1], i, i + 1), (xc[j], i + 0.5), r.mean[j],
                          r.n[j], r.failed[j], r.diverged[j], dark(r.mean[j]),
                          _note(hm, r.note[j]), r.flagged[j] if hm.flagged is not None else 0)
        strip.set_ylim(0, k)
        strip.set_yticks(np.arange(k) + 0.5,
                         [r.label.replace("optimizer=", "") for r in hm.references])
        strip.yaxis.set_minor_locator(NullLocator())
        strip.set_xlabel(ax.get_xlabel())
        ax.set_xlabel("")
        ax.tick_params(axis="x", labelbottom=False)
    if colorbar:
        seeds = int(np.max(hm.n + hm.failed + hm.diverged)) if hm.n.size else 0
        better = "↓ better" if hm.sense == "min" else "↑ better"
        ax.figure.colorbar(image, ax=ax, label=f"{hm.metric.replace('_', ' ')} ({better})\n"
                           f"mean over {seeds} seed(s)")
    return ax


# ======================================================================================
# best configuration per optimizer


@dataclass(frozen=True)
class BestRow:
    """The best configuration of one optimizer on one problem.

    Attributes
    ----------
    problem : str
    method : str
        The value of the task's group parameter (the optimizer).
    config : dict
        The configuration without the seed.
    tuned : str
        Its tuned parameters that vary in the sweep, as text.
    mean, std : float
        Primary metric over the valid seeds (std: sample standard deviation; NaN for one).
    n, failed, diverged : int
    evals : float
        Mean evaluation count of the valid seeds (NaN when not reported).
    clean : bool
        Every seed finished without diverging.
    """

    problem: str
    method: str
    config: dict
    tuned: str
    mean: float
    std: float
    n: int
    failed: int
    diverged: int
    evals: float
    clean: bool


def _problem_keys(groups, task) -> list:
    skip = set(task.hyper) | {task.group, task.seed}
    return [k for k in _varying(groups) if k not in skip]


def _best(groups, task, sense) -> list:
    if task.group is None:
        return []
    pkeys = _problem_keys(groups, task)
    varying = _varying(groups)
    bucket: dict = {}
    for g in groups:
        key = (_label(g.config, pkeys), str(g.config.get(task.group)))
        bucket.setdefault(key, []).append(g)
    out = []
    for (problem, method), gs in bucket.items():
        pick = min((g for g in gs if g.n > 0), default=gs[0],
                   key=lambda g: (not g.clean, g.mean if sense == "min" else -g.mean))
        tuned = [k for k in task.hyper if k in varying and k in pick.config]
        out.append(BestRow(problem, method, pick.config, _label(pick.config, tuned), pick.mean,
                           pick.std, pick.n, pick.failed, pick.diverged,
                           float(np.mean(pick.evals)) if pick.evals else math.nan, pick.clean))
    return out


# ======================================================================================
# performance profile


@dataclass(frozen=True)
class Profile:
    """A performance profile across problems.

    Attributes
    ----------
    methods : tuple of str
    problems : tuple of str
    costs : ndarray (problems, methods)
        Evaluations to reach the target with the method's best configuration (inf: never).
    ratios : ndarray (problems, methods)
        ``cost / best cost`` on the problem (inf where the method never reaches it).
    taus : ndarray
        The factors τ at which the profile is tabulated (1 and every finite ratio).
    fractions : ndarray (methods, taus)
        ``ρ_s(τ)``: fraction of problems with ratio ≤ τ.
    target : str
        How the target was set.
    """

    methods: tuple
    problems: tuple
    costs: np.ndarray
    ratios: np.ndarray
    taus: np.ndarray
    fractions: np.ndarray
    target: str


def _reach_cost(curves, cost_name, value_name, target, sense) -> float:
    cost, value = curves.get(cost_name), curves.get(value_name)
    if cost is None or value is None or len(value) == 0:
        return math.inf
    value = np.asarray(value, dtype=float)
    hit = value <= target if sense == "min" else value >= target
    hit &= np.isfinite(value)
    return float(np.asarray(cost, dtype=float)[np.argmax(hit)]) if hit.any() else math.inf


def _profile(groups, task, store, sense, target, target_tol) -> Optional[Profile]:
    if task.cost_curve is None or task.group is None or not groups:
        return None
    methods = sorted({str(g.config.get(task.group)) for g in groups})
    if len(methods) < 2:
        return None
    cost_name, value_name = task.cost_curve
    pkeys = _problem_keys(groups, task)
    by_problem: dict = {}
    for g in groups:
        by_problem.setdefault(_label(g.config, pkeys), []).append(g)
    problems = sorted(by_problem)
    costs = np.full((len(problems), len(methods)), math.inf)
    for p, problem in enumerate(problems):
        curves = {k: store.curves(k) for g in by_problem[problem] for k in g.keys}
        finals = [float(np.nanmin(c[value_name]) if sense == "min" else np.nanmax(c[value_name]))
                  for c in curves.values() if value_name in c and np.isfinite(c[value_name]).any()]
        if not finals:
            continue
        best_value = min(finals) if sense == "min" else max(finals)
        per_method: dict = {}
        for g in by_problem[problem]:
            seeds = []
            for k in g.keys:
                c = curves[k]
                if value_name not in c:
                    seeds.append(math.inf)
                    continue
                goal = target if target is not None else \
                    best_value + target_tol * (float(c[value_name][0]) - best_value)
                seeds.append(_reach_cost(c, cost_name, value_name, goal, sense))
            m = methods.index(str(g.config.get(task.group)))
            per_method[m] = min(max(float(np.mean(seeds)), 1.0), per_method.get(m, math.inf))
        for m, c in per_method.items():
            costs[p, m] = c
    best = costs.min(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = np.where(np.isfinite(costs), costs / best, math.inf)
    finite = ratios[np.isfinite(ratios)]
    taus = np.unique(np.concatenate([[1.0], finite]))
    fractions = np.array([[float(np.mean(ratios[:, m] <= t)) for t in taus]
                          for m in range(len(methods))])
    how = (f"{value_name} {'≤' if sense == 'min' else '≥'} {target:g}" if target is not None else
           f"{value_name} within {target_tol:g} of the gap between the cell's start and the best "
           f"value any cell reached on the problem")
    return Profile(tuple(methods), tuple(problems), costs, ratios, taus, fractions, how)


def plot_profile(profile: Profile, ax=None):
    """Draw a performance profile ``ρ_s(τ)`` on ``ax`` (created when absent); returns ``ax``.

    ``ρ_s(τ) = #{problems p : cost(p, s) ≤ τ · min_s' cost(p, s')} / #problems``, a step
    function of τ on a log₂ axis.

    Parameters
    ----------
    profile : Profile
    ax : matplotlib Axes, optional

    Returns
    -------
    ax : matplotlib Axes

    See Also
    --------
    report, plot_heatmap

    Examples
    --------
    >>> import numpy as np
    >>> r = np.array([[1.0, 2.0], [1.5, 1.0]])
    >>> pr = Profile(("rbo", "sgd"), ("p1", "p2"), r, r, np.array([1.0, 1.5, 2.0]),
    ...              np.array([[0.5, 1.0, 1.0], [0.5, 0.5, 1.0]]), "demo")
    >>> plot_profile(pr).get_ylabel()
    'fraction of problems within τ of the best'
    """
    if ax is None:
        ax = Figure(figsize=(6.8, 3.8), layout="constrained").add_subplot()
    top = float(profile.taus[-1]) * 1.25 if profile.taus.size else 2.0
    top = max(top, 2.0)
    styles = ["-", "--", "-.", ":"]
    for m, name in enumerate(profile.methods):
        x = np.concatenate([profile.taus, [top]])
        y = np.concatenate([profile.fractions[m], [profile.fractions[m][-1]]])
        ax.step(x, y, where="post", linestyle=styles[m % len(styles)], linewidth=1.8,
                label=f"{name} (solves {int(np.isfinite(profile.ratios[:, m]).sum())}/"
                      f"{len(profile.problems)})")
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlim(1.0, top)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("τ (factor of the fewest evaluations to reach the target)")
    ax.set_ylabel("fraction of problems within τ of the best")
    ax.set_title(_lines(f"performance profile over {len(profile.problems)} problem(s); cost: "
                        f"evaluations until {profile.target}".split(" "), 90, " "), fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    return ax


# ======================================================================================
# files


@dataclass(frozen=True)
class SweepReport:
    """What :func:`report` computed and wrote.

    Attributes
    ----------
    out : str
    task : str
    primary : str
        The metric mapped and ranked (``test_accuracy`` when present).
    sense : {"min", "max"}
    heatmaps : tuple of HeatMap
    best : tuple of BestRow
    profile : Profile or None
    files : tuple of str
        Paths written (PNG, CSV, Markdown).
    counts : dict
        Stored cells by kind: valid, failed, diverged.
    """

    out: str
    task: str
    primary: str
    sense: str
    heatmaps: tuple
    best: tuple
    profile: Optional[Profile]
    files: tuple
    counts: dict


def _write_csv(path: Path, header, rows) -> None:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def _num(v, digits: int = 6) -> str:
    return "" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.{digits}g}"


def _pm(mean, std, n) -> str:
    if not math.isfinite(mean):
        return "—"
    return f"{mean:.4g} ± {std:.2g}" if math.isfinite(std) else f"{mean:.4g} (n = {n})"


def _md_table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _lines(items, width: int, sep: str = "; ") -> str:
    """``items`` joined by ``sep`` into lines of at most ``width`` characters where possible
    (an item is never broken).

    >>> print(_lines(["alpha beta", "gamma", "delta epsilon"], 18))
    alpha beta; gamma
    delta epsilon
    """
    lines: list = []
    for item in items:
        if lines and len(lines[-1]) + len(sep) + len(item) <= width:
            lines[-1] += sep + item
        else:
            lines.append(item)
    return "\n".join(lines)


def _legend(heatmaps, width: int) -> str:
    """The figure's title: what is fixed (wrapped), then what the marks mean."""
    hm = heatmaps[0]
    items = ["mean over seeds", "red box: best cell with every seed clean"]
    if hm.note is not None:
        items.append(f"small print: mean {hm.note_name}")
    items += ["× k: k seeds failed", "† k: k diverged", "hatched: none left"]
    if hm.flagged is not None:
        items.append(f"‡ k: k seeds with {hm.flag_name} > 0")
    if any(h.references for h in heatmaps):
        items.append("strip: methods without this row parameter")
    caption = _lines(hm.caption.split(", "), width, ", ") + "\n" if hm.caption else ""
    return caption + _lines(items, width)


def _save_heatmaps(heatmaps, folder: Path) -> list:
    if not heatmaps:
        return []
    ncols = min(3, len(heatmaps))
    nrows = math.ceil(len(heatmaps) / ncols)
    strip = 0.5 * max(len(hm.references) for hm in heatmaps)    # inches for reference rows
    legend = _legend(heatmaps, width=int(14 * 4.8 * ncols))   # ~14 characters an inch at 8 pt
    top = 0.14 * (legend.count("\n") + 1)                  # inches for the title lines
    fig = Figure(figsize=(4.8 * ncols, (3.6 + strip + top) * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, hm in zip(axes.flat, heatmaps):
        plot_heatmap(hm, ax=ax)
    for ax in list(axes.flat)[len(heatmaps):]:
        ax.set_visible(False)
    fig.suptitle(legend, fontsize=8)
    png, table = folder / "heatmap.png", folder / "heatmap.csv"
    fig.savefig(png, dpi=130)
    rows = []
    for hm in heatmaps:
        rows += [[hm.label, "", r, c, *_csv_cell(hm, hm, (i, j))]
                 for i, r in enumerate(hm.rows) for j, c in enumerate(hm.cols)]
        rows += [[hm.label, ref.label, "", c, *_csv_cell(hm, ref, j)]
                 for ref in hm.references for j, c in enumerate(hm.cols)]
    hm = heatmaps[0]
    _write_csv(table, ["panel", "reference", hm.row_param, hm.col_param, f"{hm.metric}_mean",
                       f"{hm.metric}_std", "seeds_valid", "seeds_failed", "seeds_diverged"]
               + ([f"{hm.note_name}_mean"] if hm.note is not None else [])
               + ([f"seeds_{hm.flag_name}"] if hm.flagged is not None else []), rows)
    return [png, table]


def _csv_cell(hm: HeatMap, src, at) -> list:
    """The heat-map CSV columns of one cell of panel ``hm`` (``src``: the panel or one of its
    reference rows, ``at``: the index in its arrays)."""
    return ([_num(src.mean[at]), _num(src.std[at]), int(src.n[at]), int(src.failed[at]),
             int(src.diverged[at])]
            + ([_num(src.note[at])] if hm.note is not None else [])
            + ([int(src.flagged[at])] if hm.flagged is not None else []))


def report(out, *, target: Optional[float] = None, target_tol: float = 1e-2,
           write: bool = True) -> SweepReport:
    """Compute and write the report of a sweep directory into ``out/report/``.

    Parameters
    ----------
    out : path
        A sweep directory.
    target : float, optional
        Absolute target of the performance profile (a loss to get below, an accuracy to
        reach); default: relative to each problem's best value (see ``target_tol``).
    target_tol : float
        ``tol`` of the relative target ``v* + tol (v_0 − v*)``.
    write : bool
        Write the files (PNG, CSV, Markdown); False only computes.

    Returns
    -------
    report : SweepReport

    See Also
    --------
    run, plot_heatmap, plot_profile

    Examples
    --------
    >>> import tempfile
    >>> from rbo import sweep
    >>> d = tempfile.mkdtemp()
    >>> _ = sweep.run("rbo-analytic", {"radius": [0.1, 1.0], "lr": [0.1, 0.3]}, out=d,
    ...               fixed={"loss": "x**2", "steps": 5, "theta0": [1.0]}, serial=True,
    ...               progress=False)
    >>> rep = sweep.report(d, write=False)
    >>> rep.heatmaps[0].rows, rep.heatmaps[0].cols, rep.best[0].method
    ((0.1, 1.0), (0.1, 0.3), 'rbo')
    """
    if not (target_tol > 0 and math.isfinite(target_tol)):
        raise ValueError(f"target_tol must be a positive number, got {target_tol!r}")
    out = Path(out)
    saved = read_study(out)
    with Store(out) as store:
        if saved is None:
            raise ValueError(f"{str(out)!r} has no study.json: it was not made by `rbo sweep run`")
        task = get_task(saved["task"])
        rows = store.rows()
        if not rows:
            raise ValueError(f"{str(out)!r} has no finished cells yet: nothing to report")
        metric, sense = (_ACCURACY if any(_ACCURACY[0] in r.metrics for r in rows)
                         else task.primary)
        groups = _groups(rows, task, metric)
        heatmaps = _heatmaps(groups, task, metric, sense, _caption(task, saved["fixed"]))
        best = _best(groups, task, sense)
        profile = _profile(groups, task, store, sense, target, target_tol)
    counts = {"valid": sum(g.n for g in groups), "failed": sum(g.failed for g in groups),
              "diverged": sum(g.diverged for g in groups)}
    files: list = []
    if write:
        folder = out / "report"
        folder.mkdir(exist_ok=True)
        files += _save_heatmaps(heatmaps, folder)
        files += _write_tables(folder, groups, best, profile, metric, task)
        files.append(_write_markdown(folder, saved, task, metric, sense, groups, heatmaps, best,
                                     profile, counts, [Path(f).name for f in files]))
    return SweepReport(str(out), task.name, metric, sense, tuple(heatmaps), tuple(best), profile,
                       tuple(str(f) for f in files), counts)


def _write_tables(folder: Path, groups, best, profile, metric, task) -> list:
    files = []
    varying = _varying(groups, task) or sorted({k for g in groups for k in g.config})
    summary = folder / "summary.csv"
    _write_csv(summary, varying + [f"{metric}_mean", f"{metric}_std", "seeds_valid",
                                   "seeds_failed", "seeds_diverged", "evals_mean"]
               + list(task.show) + ["config"],
               [[_fmt_value(g.config.get(k)) for k in varying]
                + [_num(g.mean), _num(g.std), g.n, g.failed, g.diverged,
                   _num(float(np.mean(g.evals)) if g.evals else math.nan)]
                + [g.shown[m] for m in task.show] + [json.dumps(g.config, sort_keys=True)]
                for g in groups])
    files.append(summary)
    if best:
        path = folder / "best.csv"
        _write_csv(path, ["problem", task.group, "tuned", f"{metric}_mean", f"{metric}_std",
                          "seeds_valid", "seeds_failed", "seeds_diverged", "evals_mean",
                          "all_seeds_clean", "config"],
                   [[b.problem, b.method, b.tuned, _num(b.mean), _num(b.std), b.n, b.failed,
                     b.diverged, _num(b.evals), b.clean, json.dumps(b.config, sort_keys=True)]
                    for b in best])
        files.append(path)
    if profile is not None:
        if _reached(profile):              # all-zero curves say nothing: no figure
            fig = Figure(figsize=(6.8, 3.8), layout="constrained")
            plot_profile(profile, ax=fig.add_subplot())
            png = folder / "profile.png"
            fig.savefig(png, dpi=130)
            files.append(png)
        else:
            (folder / "profile.png").unlink(missing_ok=True)     # from an earlier report
        table = folder / "profile.csv"
        _write_csv(table, ["tau"] + list(profile.methods),
                   [[f"{t:.6g}"] + [f"{profile.fractions[m, i]:.6g}"
                                    for m in range(len(profile.methods))]
                    for i, t in enumerate(profile.taus)])
        costs = folder / "profile_costs.csv"
        _write_csv(costs, ["problem"] + [f"{m}_evals" for m in profile.methods]
                   + [f"{m}_ratio" for m in profile.methods],
                   [[p] + [_num(c) for c in profile.costs[i]] + [_num(r) for r in profile.ratios[i]]
                    for i, p in enumerate(profile.problems)])
        files += [table, costs]
    return files


def _reached(profile: Profile) -> bool:
    """Whether some optimizer reached the target on some problem."""
    return bool(np.isfinite(profile.costs).any())


def _cell_text(mean, std, n, failed, diverged, flagged=0) -> str:
    marks = _marks(failed, diverged, flagged)
    if n == 0:
        return ("failed" if failed else "diverged" if diverged else "not run") + marks
    return (f"{mean:.3f} ± {std:.3f}" if math.isfinite(std) else f"{mean:.3f}") + marks


def _cell_md(hm: HeatMap, src, at) -> str:
    """One cell of the Markdown matrix of panel ``hm``: ``src`` is the panel or one of its
    reference rows, ``at`` the index in its arrays; the note in parentheses."""
    text = _cell_text(src.mean[at], src.std[at], src.n[at], src.failed[at], src.diverged[at],
                      src.flagged[at] if hm.flagged is not None else 0)
    note = _note(hm, src.note[at]) if hm.note is not None else ""
    return text + (f" ({note})" if note else "")


def _heatmap_table(hm: HeatMap) -> str:
    """The panel as a Markdown matrix: mean ± sample std over the valid seeds per cell, the
    best cell in bold, the reference rows under it."""
    best = hm.best
    rows = []
    for i, r in enumerate(hm.rows):
        cells = [_cell_md(hm, hm, (i, j)) for j in range(len(hm.cols))]
        if best is not None and best[0] == i:
            cells[best[1]] = f"**{cells[best[1]]}**"
        rows.append([f"{r:.3g}"] + cells)
    rows += [[ref.label] + [_cell_md(hm, ref, j) for j in range(len(hm.cols))]
             for ref in hm.references]
    return _md_table([f"{hm.row_param} \\ {hm.col_param}"] + [f"{c:.3g}" for c in hm.cols], rows)


def _write_markdown(folder, saved, task, metric, sense, groups, heatmaps, best, profile, counts,
                    names) -> Path:
    total = sum(len(g.keys) for g in groups)
    lines = [f"# Sweep report: task `{task.name}`", "",
             f"rbo {saved.get('version')}; {total} stored cells: {counts['valid']} finished, "
             f"{counts['diverged']} diverged, {counts['failed']} failed. Primary metric: "
             f"`{metric}` ({'lower' if sense == 'min' else 'higher'} is better). Generated "
             "by `rbo sweep report`.", "",
             "Fixed: " + (", ".join(f"`{k} = {_fmt_value(v)}`" for k, v in saved["fixed"].items())
                          or "nothing") + ".",
             "Axes: " + (", ".join(f"`{k}` ({len(v)} values)" for k, v in saved["axes"].items())
                         or "none") + ".", ""]
    if heatmaps:
        hm = heatmaps[0]
        lines += [f"## {hm.row_param} × {hm.col_param} heat map", "",
                  f"Mean of `{metric}` over the seeds that finished without diverging; × k: k "
                  "seeds failed, † k: k seeds diverged; hatched: no seed left; red box: best "
                  "cell with every seed clean"
                  + (f"; in parentheses: mean `{hm.note_name}`" if hm.note is not None else "")
                  + (f"; ‡ k: k seeds with `{hm.flag_name}` > 0" if hm.flagged is not None
                     else "") + ". Data: `heatmap.csv`.", "",
                  "![heat map](heatmap.png)", ""]
        for hm in heatmaps:
            lines += [f"### {hm.label}", "", _heatmap_table(hm), ""]
    elif task.heatmap is not None:
        lines += [f"## {task.heatmap[0]} × {task.heatmap[1]} heat map", "",
                  f"Not drawn: no stored cell has both `{task.heatmap[0]}` and "
                  f"`{task.heatmap[1]}`.", ""]
    if best:
        lines += [f"## Best configuration per {task.group}", "",
                  f"Mean ± sample std of `{metric}` over seeds; configurations with a failed or "
                  "diverged seed only when nothing else ran (marked ✗). Data: `best.csv`.", "",
                  _md_table(["problem", task.group, "configuration", metric, "seeds", "evals",
                             "clean"],
                            [[b.problem, b.method, b.tuned or "—", _pm(b.mean, b.std, b.n),
                              f"{b.n}/{b.n + b.failed + b.diverged}", _num(b.evals, 4),
                              "✓" if b.clean else "✗"] for b in best]), ""]
    if profile is not None:
        lines += ["## Performance profile", "",
                  f"Cost: evaluations until `{profile.target}`; an optimizer's cost on a problem "
                  "is that of its best configuration (mean over seeds, ∞ if a seed never gets "
                  "there). Data: `profile.csv`, `profile_costs.csv`.", "",
                  "![performance profile](profile.png)" if _reached(profile) else
                  "No figure: no optimizer reached the target on any problem; give an absolute "
                  "one (`rbo sweep report DIR --target VALUE`).", "",
                  _md_table(["problem"] + [f"{m} evals (ratio)" for m in profile.methods],
                            [[p] + [f"{_num(profile.costs[i, m], 4) or '∞'} "
                                    f"({_num(profile.ratios[i, m], 3) or '∞'})"
                                    for m in range(len(profile.methods))]
                             for i, p in enumerate(profile.problems)]), ""]
    elif task.cost_curve is not None and task.group is not None:
        lines += ["## Performance profile", "",
                  f"Not drawn: a profile compares two or more values of `{task.group}`, and "
                  "this sweep has one.", ""]
    varying = _varying(groups, task)
    shown = groups[:60]
    lines += ["## All configurations", "",
              f"{len(groups)} configurations" + (f" (first {len(shown)} shown)" if len(shown) < len(groups) else "")
              + "; every one in `summary.csv`.", "",
              _md_table(varying + [metric, "cells ok / failed / diverged"] + list(task.show),
                        [[_fmt_value(g.config.get(k)) for k in varying]
                         + [_pm(g.mean, g.std, g.n), f"{g.n} / {g.failed} / {g.diverged}"]
                         + [g.shown[m] for m in task.show] for g in shown]), "",
              "Files: " + ", ".join(f"`{n}`" for n in names) + "."]
    path = folder / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path
