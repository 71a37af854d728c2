"""The ``rbo`` command: the toolkit's top-level entry point.

Each sub-command lives in its own module, which provides ``add_arguments(parser)`` and
``run(args) -> int``; this module only assembles them (see :data:`COMMANDS`). Errors of
input (``ValueError``/``TypeError`` raised by the toolkit) print one line and exit with 2 (:func:`offsetgeo.cli.run_command`).
"""

from __future__ import annotations

import argparse
import sys

from offsetgeo.cli import Parser, run_command

from . import __version__, _cmd_compare, _cmd_train
from .dynamics import _cli as _verify_cli
from .figures import _cli as _figures_cli
from .sweep import _cli as _sweep_cli

__all__ = ["main", "build_parser", "COMMANDS"]

#: sub-command name -> (module providing ``add_arguments(parser)`` and ``run(args)``, help)
COMMANDS = {
    "figures": (_figures_cli, _figures_cli.HELP),
    "sweep": (_sweep_cli, "run, inspect and report parameter sweeps on Dask"),
    "train": (_cmd_train, _cmd_train.HELP),
    "compare": (_cmd_compare, _cmd_compare.HELP),
    "verify": (_verify_cli, _verify_cli.HELP),
}


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="rbo", description="The rolling ball optimizer: figures, training, comparisons, "
        "sweeps and verification of its propositions.")
    parser.add_argument("--version", action="version", version=f"rbo {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (mod, text) in COMMANDS.items():
        p = sub.add_parser(name, help=text, description=text)
        mod.add_arguments(p)
        p.set_defaults(func=mod.run)
    return parser


def main(argv=None) -> int:
    """The ``rbo`` command."""
    return run_command(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
