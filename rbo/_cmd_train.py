"""``rbo train``: one optimizer, one network, a budget of gradient evaluations.

Writes ``OUT/results.json`` (the :class:`rbo.TrainResult`, per-step records included) and keeps
``OUT/checkpoint.npz``; running the same command again resumes an interrupted run (or, when
it finished, rewrites its results), ``--restart`` starts over.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ._compare import CONTENDERS
from ._specs import add_common_arguments, blas_threads, build_model, load_data
from ._train import train
from .data import with_label_noise

__all__ = ["add_arguments", "run", "optimizer_from_args"]

HELP = "train a network with one optimizer under a budget of gradient evaluations"
_ALIASES = {"rbo": "rbo-anderson"}   # the training default: docs/networks.md


def _value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = ("example: rbo train --data mnist1d --model mlp:128,128 --opt rbo --radius 0.05 "
                     "--lr 0.3 --budget 10000 --seed 0 --out runs/rbo-1")
    add_common_arguments(parser, model_default="mlp:128,128")
    parser.add_argument("--opt", default="rbo", choices=sorted([*CONTENDERS, *_ALIASES]),
                        help="optimizer (rbo = rbo-anderson, RBO with the footpoint solver of the "
                             "training default); defaults as in `rbo compare`")
    parser.add_argument("--lr", type=float, help="learning rate η")
    parser.add_argument("--radius", type=float, help="RBO: ball radius ρ")
    parser.add_argument("--solver", choices=("newton", "anderson", "gauss-newton", "paper"),
                        help="RBO: footpoint solver (overrides the one in --opt)")
    parser.add_argument("--tol", type=float, help="RBO: footpoint tolerance on |r|")
    parser.add_argument("--rtol", type=float,
                        help="RBO: footpoint tolerance relative to |r_0| = η s²|∇f| (default 0.01)")
    parser.add_argument("--opt-arg", action="append", default=[], metavar="KEY=VALUE",
                        help="any other keyword of the optimizer (repeatable), e.g. rho_sam=0.1")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--budget", type=int, help="gradient-equivalent evaluations (default 10000)")
    budget.add_argument("--epochs", type=float, help="passes over the training set instead")
    parser.add_argument("--eval-every", type=int, help="evaluations between metric points")
    parser.add_argument("--sharpness-every", type=int, help="steps between sharpness measurements")
    parser.add_argument("--label-noise", type=float, default=0.0,
                        help="fraction of wrong training labels (default 0)")
    parser.add_argument("--seed", type=int, default=0, help="initial parameters and batch order")
    parser.add_argument("--checkpoint-every", type=int, default=500, help="steps between checkpoints")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--restart", action="store_true", help="ignore an existing checkpoint")


def optimizer_from_args(args):
    """``(name, hyper, optimizer)`` from the parsed ``--opt --lr --radius --solver --tol --rtol
    --opt-arg``.

    >>> import argparse
    >>> ns = argparse.Namespace(opt="rbo", lr=0.5, radius=None, solver="paper", tol=None,
    ...                         rtol=None, opt_arg=["paper_steps=10"], seed=0)
    >>> name, hyper, _ = optimizer_from_args(ns); name, hyper["lr"], hyper["paper_steps"]
    ('rbo-paper', 0.5, 10)
    """
    name = _ALIASES.get(args.opt, args.opt)
    if args.solver is not None:
        if not name.startswith("rbo"):
            raise ValueError(f"--solver is for RBO, not {name}")
        name = f"rbo-{args.solver}"
    contender = CONTENDERS[name]
    hyper = dict(contender.defaults)
    for key, value in (("lr", args.lr), ("radius", args.radius), ("tol", args.tol),
                       ("rtol", args.rtol)):
        if value is None:
            continue
        if key not in hyper:
            raise ValueError(f"--{key} does not apply to {name} (its options: {', '.join(hyper)})")
        hyper[key] = value
    for item in args.opt_arg:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--opt-arg wants KEY=VALUE, got {item!r}")
        hyper[key] = _value(text)
    try:
        opt = contender.make(hyper, seed=args.seed)
    except TypeError as err:
        raise ValueError(f"bad option for {name}: {err}") from None
    return name, hyper, opt


def run(args) -> int:
    if args.budget is None and args.epochs is None:
        args.budget = 10000
    name, hyper, opt = optimizer_from_args(args)
    data = load_data(args.data, seed=args.seed)
    if args.label_noise:
        data = with_label_noise(data, args.label_noise, seed=0)
    model = build_model(args.model, data, args.activation, args.weight_decay)
    out = Path(args.out)
    ckpt = out / "checkpoint.npz"
    if args.restart and ckpt.exists():
        ckpt.unlink()
    with blas_threads(args.threads):
        result = train(model, data, opt, budget=args.budget, epochs=args.epochs,
                       batch_size=args.batch_size, eval_every=args.eval_every,
                       sharpness_every=args.sharpness_every, seed=args.seed, label=name,
                       hyper=hyper, checkpoint=ckpt, checkpoint_every=args.checkpoint_every,
                       resume=True, progress=not args.no_progress)
    payload = {"optimizer": name, "hyper": hyper, "data_spec": args.data,
               "model_spec": args.model, **result.to_dict(include_steps=True)}
    (out / "results.json").write_text(json.dumps(payload, indent=1))
    print(f"{name}: {result.status} after {result.steps} steps, {result.evals} evaluations, "
          f"{result.wall_time:.1f} s; test accuracy {result.final_test_acc:.4f} "
          f"(best {result.best_test_acc:.4f}), train loss {result.final_train_loss:.4g}; "
          f"wrote {out / 'results.json'}")
    if result.status == "interrupted":
        print("interrupted: run the same command again to resume", flush=True)
        return 130
    return 0
