"""The ``train`` task: one :func:`rbo.train` run of one optimizer on a network and data set.

A cell trains ``model`` (``mlp:W1,W2,…`` or ``logistic``, :func:`rbo._specs.build_model`)
on ``data`` (``mnist1d``, ``digits``, ``idx:…``, ``cifar:…``) with ``optimizer`` (``rbo``,
``sgd``, ``sam``, ``entropy-sgd`` and their options) under ``budget`` gradient-equivalent
evaluations (compute-matched cells) or for ``epochs`` passes over the training set
(step-matched cells, as the seeds' ρ × η map ran), and stores the final and best test accuracy, the final train loss and the
evaluation points (``evals``, ``test_accuracy``, ``train_loss``, …) as its curves.

Determinism: initial parameters and minibatches are pure functions of ``seed``
(:func:`rbo.train`), the data of ``(data, data_seed)``, and BLAS runs on ``threads``
threads (default 1) inside the cell whatever the process, so a cell gives the same bits
serially and on any worker.  Its ``status`` metric is :func:`rbo.train`'s: ``completed``,
``diverged`` (``|θ|`` above ``divergence``) or ``nan``; the report marks the last two.
A cell past its deadline stops between two steps and is failed (``CellTimeout``).
"""
from __future__ import annotations

import math
import warnings
from functools import lru_cache

import numpy as np

from .._compare import RBO_TRAINING_MAX_EVALS, RBO_TRAINING_RTOL, RBO_TRAINING_TOL
from .._specs import blas_threads, build_model, load_data
from .._train import train
from ..nn import ACTIVATIONS
from ._optimizers import COMPARISON, OPTIMIZER_PARAMS, applicable, make_optimizer
from ._spec import REQUIRED, CellOutput, CellTimeout, Param, Task

__all__ = ["TRAIN"]

_OWN = {
    "data": Param("str", "mnist1d", "data: mnist1d, digits, idx:IMAGES,LABELS[,…], cifar:DIR"),
    "data_seed": Param("int", 0, "seed of the data set's train/test split (digits, idx)"),
    "model": Param("str", "mlp:128,128", "model: mlp:W1,W2,… (hidden widths) or logistic"),
    "activation": Param("str", "tanh", "hidden activation", choices=ACTIVATIONS),
    "weight_decay": Param("float", 0.0, "L2 penalty (wd/2)|W|² in the loss"),
    "batch_size": Param("int", 128, "minibatch size"),
    "budget": Param("int", REQUIRED, "gradient-equivalent evaluations (value_and_grad = hvp = 1)"),
    "epochs": Param("float", None, "instead of budget: passes over the training set "
                                   "(ceil(epochs · (n_train // batch_size)) steps)"),
    "eval_every": Param("int", None, "evaluations between evaluation points (default budget/40)"),
    "seed": Param("int", 0, "initial parameters, minibatch order, Entropy-SGD's noise"),
    "divergence": Param("float", 1e8, "stop when |θ| exceeds this (status 'diverged')"),
    "threads": Param("int", 1, "BLAS threads inside the cell"),
}

#: RBO's footpoint stopping rule defaults to the one ``rbo compare`` trains with
PARAMS = {**_OWN, **OPTIMIZER_PARAMS,
          "tol": Param("float", RBO_TRAINING_TOL, OPTIMIZER_PARAMS["tol"].doc),
          "rtol": Param("float", RBO_TRAINING_RTOL, OPTIMIZER_PARAMS["rtol"].doc),
          "max_evals": Param("int", RBO_TRAINING_MAX_EVALS, OPTIMIZER_PARAMS["max_evals"].doc)}

_METRICS = ("final_test_accuracy", "best_test_accuracy", "final_train_accuracy",
            "final_train_loss", "final_test_loss", "evals", "steps", "status", "message",
            "unconverged", "train_seconds")

#: evaluation-point fields of :class:`rbo.EvalPoints` -> curve names
_CURVES = {"step": "step", "evals": "evals", "wall_time": "wall_time",
           "train_loss": "train_loss", "train_acc": "train_accuracy", "test_loss": "test_loss",
           "test_acc": "test_accuracy", "residual": "residual", "converged": "converged"}


def _relevant(config: dict) -> set:
    """The task's own parameters and the optimizer's; ``epochs`` only when given (so that
    budgeted cells keep the keys they had before it existed), ``budget`` unless ``epochs``
    alone is given."""
    out = set(_OWN) | applicable(config)
    if config.get("epochs") is None:
        out.discard("epochs")
    elif "budget" not in config:
        out.discard("budget")
    return out


@lru_cache(maxsize=8)
def _data(spec: str, data_seed: int):
    """The data set of a configuration (loaded once per process)."""
    return load_data(spec, seed=data_seed)


def _setup(config: dict):
    data = _data(config["data"], config["data_seed"])
    model = build_model(config["model"], data, activation=config["activation"],
                        weight_decay=config["weight_decay"])
    return data, model, make_optimizer(config, config["seed"])


def _check(config: dict) -> None:
    data, _, _ = _setup(config)
    if "budget" in config and "epochs" in config:
        raise ValueError("give budget (gradient evaluations) or epochs (passes over the "
                         "training set), not both")
    if "budget" in config and config["budget"] < 1:
        raise ValueError(f"budget must be a positive number of evaluations, got {config['budget']}")
    if "epochs" in config and not (config["epochs"] > 0 and math.isfinite(config["epochs"])):
        raise ValueError(f"epochs must be a positive number, got {config['epochs']}")
    if not 1 <= config["batch_size"] <= data.n_train:
        raise ValueError(f"batch_size must be in 1..{data.n_train} (the training examples of "
                         f"{config['data']}), got {config['batch_size']}")
    if config["threads"] < 1:
        raise ValueError(f"threads must be >= 1, got {config['threads']}")


def run_train(config: dict, deadline) -> CellOutput:
    """One cell of ``train``: build data, model and optimizer, train, summarise."""
    data, model, optimizer = _setup(config)

    asked = (f"{config['budget']} evaluations" if "budget" in config
             else f"{config['epochs']:g} epochs")

    def stop_at_deadline(step, state, info):
        if deadline.expired():
            raise CellTimeout(f"timed out after {deadline.seconds:g} s (stopped after step "
                              f"{step}, {asked} asked)")

    with blas_threads(config["threads"]), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = train(model, data, optimizer, budget=config.get("budget"),
                    epochs=config.get("epochs"), batch_size=config["batch_size"], eval_every=config["eval_every"],
                    seed=config["seed"], label=config["optimizer"], progress=False,
                    divergence=config["divergence"], callback=stop_at_deadline)
    if res.status == "interrupted":
        raise KeyboardInterrupt(res.message)
    p = res.points
    metrics = {
        "final_test_accuracy": res.final_test_acc,
        "best_test_accuracy": res.best_test_acc,
        "final_train_accuracy": float(p.train_acc[-1]),
        "final_train_loss": res.final_train_loss,
        "final_test_loss": float(p.test_loss[-1]),
        "evals": res.evals,
        "steps": res.steps,
        "status": res.status,
        "message": res.message,
        "unconverged": int(np.sum(~res.step_converged)),
        "train_seconds": res.wall_time,
    }
    curves = {name: np.asarray(getattr(p, field)) for field, name in _CURVES.items()}
    curves.update(step_loss=res.step_loss, step_evals=res.step_evals)
    return CellOutput(metrics, curves)


TRAIN = Task(
    name="train",
    fn=run_train,
    params=PARAMS,
    metrics=_METRICS,
    doc="rbo.train of one optimizer (rbo | sgd | sam | entropy-sgd) on a network under a "
        "budget of gradient evaluations or for a number of epochs",
    relevant=_relevant,
    check=_check,
    primary=("final_test_accuracy", "max"),
    cost_curve=("evals", "test_accuracy"),
    **COMPARISON,
    show=("status", "unconverged"),
    note="steps",
    flag="unconverged",
)
