"""``rbo compare``: every optimizer on equal budgets of gradient evaluations.

Writes to ``OUT``: ``results.json`` (configuration, tuning, tables, every run's curves),
``table.md`` (mean ± std over seeds, printed too), ``curves.png`` (test accuracy and train
loss against evaluations and against wall time), ``sharpness.png`` (with the bounds ``2/η`` and
``2/(η + 2ρ)``) and, with several ``--label-noise`` levels, ``noise.png``.  Checkpoints go to
``OUT/runs`` and ``OUT/tuning``: the same command resumes an interrupted comparison and reads
finished runs back; ``--restart`` starts over.
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from ._compare import CONTENDERS, compare
from ._specs import add_common_arguments, blas_threads, build_model, load_data
from ._training_plots import save_comparison_figures

__all__ = ["add_arguments", "run", "DEFAULT_BUDGET", "QUICK"]

HELP = "compare every optimizer on a network under equal budgets of gradient evaluations"
#: the default budget of gradient-equivalent evaluations per run
DEFAULT_BUDGET = 10000
#: what --quick sets (unless given explicitly)
QUICK = {"budget": 1000, "seeds": 1, "sharpness_points": 2}


def _fractions(text: str) -> list:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated fractions, got {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = ("example: rbo compare --data mnist1d --model mlp:128,128 --budget 10000 "
                     "--seeds 3 --out runs/cmp")
    add_common_arguments(parser, model_default="mlp:128,128")
    parser.add_argument("--budget", type=int, help=f"gradient-equivalent evaluations per run "
                        f"(default {DEFAULT_BUDGET})")
    parser.add_argument("--seeds", type=int, help="seeds per optimizer (default 3)")
    parser.add_argument("--optimizers", help="comma-separated subset of: " + ", ".join(CONTENDERS))
    parser.add_argument("--label-noise", type=_fractions, default=[0.0],
                        help="noise study: comma-separated fractions of wrong training labels, "
                             "e.g. 0,0.2,0.4 (default 0)")
    parser.add_argument("--no-tune", action="store_true",
                        help="use the default learning rates instead of the grids")
    parser.add_argument("--sharpness-points", type=int,
                        help="about this many sharpness measurements per run (default 8)")
    parser.add_argument("--quick", action="store_true",
                        help="a small check: budget 1000, one seed, 2 sharpness points")
    parser.add_argument("--out", default="runs/compare", help="output folder (default runs/compare)")
    parser.add_argument("--restart", action="store_true", help="delete OUT's checkpoints first")


def run(args) -> int:
    quick = QUICK if args.quick else {}
    budget = args.budget or quick.get("budget", DEFAULT_BUDGET)
    seeds = args.seeds or quick.get("seeds", 3)
    points = args.sharpness_points if args.sharpness_points is not None else quick.get("sharpness_points", 8)
    names = None if not args.optimizers else [n.strip() for n in args.optimizers.split(",")]
    data = load_data(args.data)
    model = build_model(args.model, data, args.activation, args.weight_decay)
    out = Path(args.out)
    if args.restart:
        for sub in ("runs", "tuning"):
            shutil.rmtree(out / sub, ignore_errors=True)
    with blas_threads(args.threads):
        result = compare(data, model, optimizers=names, budget=budget, seeds=seeds,
                         batch_size=args.batch_size, label_noise=args.label_noise,
                         tune=not args.no_tune, sharpness_points=points, out=out,
                         progress=not args.no_progress, model_spec=args.model)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result.to_dict(), indent=1))
    table = result.markdown()
    (out / "table.md").write_text(table + "\n")
    print(table)
    if result.status == "interrupted":
        print(f"interrupted: wrote what is done to {out}; run the same command again to resume",
              flush=True)
        return 130
    paths = save_comparison_figures(result, out)
    print("wrote " + ", ".join(str(p) for p in [out / "results.json", out / "table.md", *paths]))
    return 0
