"""The report of ``rbo figures``: Markdown beside the images, and one self-contained HTML
file (images embedded as base64), each with every figure, its caption and the theorem
table of ``offsetgeo verify``."""

from __future__ import annotations

import base64
import html
import os
import time
from pathlib import Path

__all__ = ["write_reports"]

_TITLE = "The figures of the seed papers, recomputed exactly"

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em;
       line-height: 1.45; color: #222; }
figure { margin: 1.5em 0 2.5em; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.95em; }
pre { font-size: 0.72em; overflow-x: auto; background: #f7f7f7; padding: 0.8em; }
code { background: #f3f3f3; padding: 0 0.2em; }
"""


def _intro(quick: bool, version: str, count: int) -> str:
    mode = "quick (coarser sweeps, fewer radii and steps)" if quick else "full"
    return (f"Made by `rbo figures` (offsetgeo/rbo {version}, {mode} settings) on "
            f"{time.strftime('%Y-%m-%d %H:%M')}: {count} figure(s). Every RBO run uses exact "
            "global footpoint projections unless a figure is about the authors' solver. The "
            "numbers behind each figure are in `NAME.json` beside its image.")


def _inline(text: str) -> str:
    """Markdown's `code` spans as HTML (the only markup the captions use), the rest escaped."""
    parts = text.split("`")
    return "".join(html.escape(p) if k % 2 == 0 else f"<code>{html.escape(p)}</code>"
                   for k, p in enumerate(parts))


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_reports(out: Path, records, table: str, *, quick: bool, version: str):
    """Write ``out/report.md`` and ``out/report.html``; returns their paths (html, md).

    ``records``: ``(FigureSpec, json record)`` pairs of the figures to include.
    """
    intro = _intro(quick, version, len(records))
    md = [f"# {_TITLE}", "", intro, ""]
    body = [f"<h1>{html.escape(_TITLE)}</h1>", f"<p>{_inline(intro)}</p>"]
    for k, (spec, record) in enumerate(records, 1):
        heading = f"{k}. `{spec.name}`: {spec.title}"
        caption = record.get("caption", "")
        md += [f"## {heading}", "", f"![{spec.name}]({spec.name}.png)", "", caption, ""]
        png = (out / f"{spec.name}.png").read_bytes()
        data = base64.b64encode(png).decode("ascii")
        body += [f"<h2>{_inline(heading)}</h2>", "<figure>",
                 f'<img alt="{html.escape(spec.name)}" src="data:image/png;base64,{data}">',
                 f"<figcaption>{_inline(caption)}</figcaption>", "</figure>"]
    verify = ("The statements of the seeds, each measured against its claimed bound "
              "(`offsetgeo verify" + (" --quick" if quick else "") + "`).")
    md += ["## Theorem table", "", verify, "", "```text", table, "```", ""]
    body += ["<h2>Theorem table</h2>", f"<p>{_inline(verify)}</p>",
             f"<pre>{html.escape(table)}</pre>"]
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(_TITLE)}</title><style>{_CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
    md_path, html_path = out / "report.md", out / "report.html"
    _write(md_path, "\n".join(md))
    _write(html_path, page)
    return html_path, md_path
