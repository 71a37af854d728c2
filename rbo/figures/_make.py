"""Make the figures: compute, draw, save every format and the data, skip what is up to date.

Each figure's files are written when the figure is done, image first and ``NAME.json``
last (each through a temporary file renamed into place), so an interruption keeps every
finished figure and leaves no half-written file. ``NAME.json`` records the settings it was
made with (``quick``, the package version, a hash of the figure's source); a later run
with the same settings finds it up to date and skips it unless ``force=True``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from offsetgeo._results import to_dict
from offsetgeo.plot import style
from offsetgeo.theorems import format_table

from .. import __version__
from ._registry import FIGURES, FigureResult, FigureSpec
from ._report import write_reports
from ._theorems import theorem_reports

__all__ = ["make", "Made", "Summary", "FORMATS"]

#: image formats ``make`` writes (PNG always: the report embeds it)
FORMATS = ("png", "pdf", "svg")
_TABLE = "theorems.json"


@dataclass(frozen=True)
class Made:
    """One figure of a :func:`make` run: its files, the seconds it took, whether it was
    skipped as up to date."""

    name: str
    seconds: float
    skipped: bool
    files: tuple


@dataclass(frozen=True)
class Summary:
    """The result of :func:`make`: the figures, the reports written, the total time."""

    made: tuple
    report: Path
    markdown: Path
    seconds: float


def _write_json(path: Path, payload: dict) -> None:
    """``payload`` as strict JSON by the toolkit's one rule (non-finite numbers ``null``,
    their kinds under ``"nonfinite"``), written through a temporary file."""
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(to_dict(payload), indent=1, ensure_ascii=False, allow_nan=False)
                   + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _formats(formats) -> tuple:
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    out = ["png"]
    for item in items:
        fmt = str(item).strip().lower().lstrip(".")
        if not fmt:
            continue
        if fmt not in FORMATS:
            raise ValueError(f"unknown image format {item!r}; choose from {', '.join(FORMATS)}")
        if fmt not in out:
            out.append(fmt)
    return tuple(out)


def _names(names) -> list:
    if names is None:
        return list(FIGURES)
    names = [names] if isinstance(names, str) else list(names)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figure(s) {', '.join(map(repr, unknown))}; choose from "
                         f"{', '.join(FIGURES)}")
    if not names:
        raise ValueError("no figure named; give at least one name (or none for all)")
    return list(dict.fromkeys(names))


def _settings(spec: FigureSpec, quick: bool) -> dict:
    return {"quick": bool(quick), "version": __version__, "source": spec.source_digest}


def _load(path: Path):
    """The JSON at ``path``, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _up_to_date(out: Path, spec: FigureSpec, quick: bool, formats) -> bool:
    record = _load(out / f"{spec.name}.json")
    return (record is not None and record.get("settings") == _settings(spec, quick)
            and all((out / f"{spec.name}.{fmt}").is_file() for fmt in formats))


def _build(spec: FigureSpec, quick: bool, out: Path, formats) -> tuple:
    """Compute, draw and save one figure; returns the files written."""
    t0 = time.perf_counter()
    with style():
        result = spec.build(quick)
        if not isinstance(result, FigureResult):
            raise TypeError(f"figure {spec.name!r} returned {type(result).__name__}, "
                            "not a FigureResult")
        files = []
        for fmt in formats:
            target = out / f"{spec.name}.{fmt}"
            tmp = target.with_name(target.name + ".part")
            result.figure.savefig(tmp, format=fmt)
            os.replace(tmp, target)
            files.append(target.name)
    _write_json(out / f"{spec.name}.json",
               {"name": spec.name, "title": spec.title, "caption": result.caption,
                "settings": _settings(spec, quick), "seconds": time.perf_counter() - t0,
                "files": files, "data": result.data})
    return tuple(files)


def _table(out: Path, quick: bool, force: bool) -> str:
    """The theorem table of ``offsetgeo verify`` (kept in theorems.json between runs)."""
    settings = {"quick": bool(quick), "version": __version__}
    record = _load(out / _TABLE)
    if not force and record is not None and record.get("settings") == settings:
        return record["table"]
    reports = theorem_reports(quick)
    table = format_table(reports)
    _write_json(out / _TABLE, {"settings": settings, "table": table,
                              "reports": [r.to_dict() for r in reports]})
    return table


def _remove_parts(out: Path) -> None:
    for part in out.glob("*.part"):
        part.unlink(missing_ok=True)


def make(out, names=None, quick=False, formats=("png",), *, force=False, progress=False):
    """Make the figures of the seed papers in ``out``, with their data and a report.

    For each figure ``NAME``: ``out/NAME.png`` (and the other ``formats``) and
    ``out/NAME.json`` (caption, settings, data; strict JSON). Then ``out/report.md`` and a
    self-contained ``out/report.html`` with every figure present in ``out`` for these
    settings, its caption, and the theorem table of ``offsetgeo verify``.

    Parameters
    ----------
    out : str or path
        Output directory (created).
    names : sequence of str, optional
        Figures to make (default: all of :data:`FIGURES`).
    quick : bool
        Coarser sweeps, fewer radii and steps (the same figures).
    formats : str or sequence of str
        Image formats besides PNG: ``"pdf"``, ``"svg"`` (``"png,pdf"`` accepted).
    force : bool
        Remake figures that are up to date (same settings, files present).
    progress : bool
        Print one line per figure with its time, and a final line naming the report.

    Returns
    -------
    summary : Summary

    See Also
    --------
    FIGURES : the figures; figure : registers one more.

    Examples
    --------
    >>> import tempfile
    >>> s = make(tempfile.mkdtemp(), names=["rbo_step"], quick=True)
    >>> s.made[0].name, sorted(s.made[0].files), s.report.name
    ('rbo_step', ['rbo_step.png'], 'report.html')
    """
    t_start = time.perf_counter()
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} exists and is not a directory")
    todo = _names(names)
    formats = _formats(formats)
    out.mkdir(parents=True, exist_ok=True)
    made = []
    width = max(len(n) for n in todo)
    for i, name in enumerate(todo, 1):
        spec = FIGURES[name]
        t0 = time.perf_counter()
        if not force and _up_to_date(out, spec, quick, formats):
            made.append(Made(name, 0.0, True, tuple(f"{name}.{fmt}" for fmt in formats)))
            note = "up to date, skipped (--force remakes it)"
        else:
            try:
                files = _build(spec, quick, out, formats)
            except KeyboardInterrupt:
                _remove_parts(out)
                if progress:
                    print(f"interrupted while making {name}; the {len(made)} finished "
                          f"figure(s) are kept in {out}: rerun the same command to make the "
                          "rest (finished figures are skipped)", flush=True)
                raise
            made.append(Made(name, time.perf_counter() - t0, False, files))
            note = " ".join(str(out / f) for f in files)
        if progress:
            print(f"[{i:>2}/{len(todo)}] {name:<{width}}  {made[-1].seconds:6.1f} s  {note}",
                  flush=True)
    t0 = time.perf_counter()
    table = _table(out, quick, force)
    if progress:
        print(f"        {'theorem table':<{width}}  {time.perf_counter() - t0:6.1f} s  "
              f"{out / _TABLE}", flush=True)
    records = [(FIGURES[name], _load(out / f"{name}.json")) for name in FIGURES]
    records = [(spec, rec) for spec, rec in records
               if rec is not None and rec.get("settings") == _settings(spec, quick)]
    html, md = write_reports(out, records, table, quick=quick, version=__version__)
    seconds = time.perf_counter() - t_start
    if progress:
        print(f"report: {html} (and {md.name}); {len(made)} figure(s) in {seconds:.1f} s",
              flush=True)
    return Summary(tuple(made), html, md, seconds)
