"""``rbo figures``: every figure of the seed papers, its data, and a report."""

from __future__ import annotations

import argparse

from ._make import FORMATS, make
from ._registry import FIGURES

__all__ = ["add_arguments", "run"]

HELP = "every figure of the seed papers, recomputed exactly, with its data and a report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``rbo figures``."""
    parser.add_argument("--out", default="figures", metavar="DIR",
                        help="output directory (default: figures)")
    parser.add_argument("--quick", action="store_true",
                        help="coarser sweeps, fewer radii and steps (the same figures)")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="make only these figures: " + ", ".join(FIGURES))
    parser.add_argument("--format", default="png", metavar="FMT[,FMT]",
                        help=f"image formats, comma-separated, from {', '.join(FORMATS)} "
                             "(PNG is always written: the report embeds it)")
    parser.add_argument("--force", action="store_true",
                        help="remake figures already written for the same settings (by "
                             "default they are skipped, so an interrupted run resumes)")
    parser.add_argument("--list", action="store_true", help="list the figures and exit")


def run(args) -> int:
    """Make the figures (``rbo figures``); returns the exit status."""
    if args.list:
        width = max(len(n) for n in FIGURES)
        for name, spec in FIGURES.items():
            print(f"{name:<{width}}  {spec.title}")
        return 0
    make(args.out, names=args.only, quick=args.quick, formats=args.format, force=args.force,
         progress=True)
    return 0
