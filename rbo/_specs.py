"""Data and model specifications of the ``rbo train`` / ``rbo compare`` commands.

``--data``: ``digits``, ``mnist1d``, ``idx:IMAGES,LABELS[,TEST_IMAGES,TEST_LABELS]`` or
``cifar:DIRECTORY``.  ``--model``: ``mlp:W1,W2,…`` (hidden widths) or ``logistic``.
"""
from __future__ import annotations

import argparse

from threadpoolctl import threadpool_limits

from .data import cifar, digits, idx, mnist1d
from .nn import ACTIVATIONS, logistic, mlp

__all__ = ["load_data", "build_model", "add_common_arguments", "blas_threads", "DATA_HELP",
           "MODEL_HELP"]

DATA_HELP = ("digits, mnist1d, idx:IMAGES,LABELS[,TEST_IMAGES,TEST_LABELS] (MNIST files you "
             "have, gzip or not) or cifar:DIRECTORY (the CIFAR-10/100 binary version)")
MODEL_HELP = "mlp:W1,W2,... (hidden widths, e.g. mlp:128,128) or logistic"


def load_data(spec: str, seed: int = 0):
    """The :class:`rbo.data.Dataset` named by ``spec``.

    >>> load_data("digits").name
    'digits'
    >>> load_data("mnist")
    Traceback (most recent call last):
    ...
    ValueError: unknown data 'mnist': use digits, mnist1d, idx:IMAGES,LABELS[,TEST_IMAGES,TEST_LABELS] (MNIST files you have, gzip or not) or cifar:DIRECTORY (the CIFAR-10/100 binary version)
    """
    kind, _, rest = spec.partition(":")
    if kind == "digits" and not rest:
        return digits(seed=seed)
    if kind == "mnist1d" and not rest:
        return mnist1d()
    if kind == "idx" and rest:
        files = rest.split(",")
        if len(files) not in (2, 4):
            raise ValueError(f"idx: needs 2 or 4 comma-separated files (images, labels[, test "
                             f"images, test labels]), got {len(files)}")
        return idx(*files, seed=seed)
    if kind == "cifar" and rest:
        return cifar(rest)
    raise ValueError(f"unknown data {spec!r}: use {DATA_HELP}")


def build_model(spec: str, data, activation: str = "tanh", weight_decay: float = 0.0):
    """The :class:`rbo.nn.MLP` named by ``spec`` for ``data``'s inputs and classes.

    >>> build_model("mlp:16,8", load_data("digits")).sizes
    (64, 16, 8, 10)
    """
    kind, _, rest = spec.partition(":")
    if kind == "logistic" and not rest:
        return logistic(data.n_features, data.n_classes, weight_decay=weight_decay)
    if kind == "mlp" and rest:
        try:
            widths = [int(w) for w in rest.split(",")]
        except ValueError:
            raise ValueError(f"mlp: widths must be integers, got {rest!r}") from None
        return mlp([data.n_features, *widths, data.n_classes], activation=activation,
                       weight_decay=weight_decay)
    raise ValueError(f"unknown model {spec!r}: use {MODEL_HELP}")


def add_common_arguments(parser: argparse.ArgumentParser, *, model_default: str) -> None:
    """``--data --model --activation --weight-decay --batch-size --threads --no-progress``."""
    parser.add_argument("--data", default="mnist1d", help=f"data set: {DATA_HELP} (default mnist1d)")
    parser.add_argument("--model", default=model_default,
                        help=f"model: {MODEL_HELP} (default {model_default})")
    parser.add_argument("--activation", default="tanh", choices=ACTIVATIONS,
                        help="hidden activation (default tanh; gelu is its tanh approximation)")
    parser.add_argument("--weight-decay", type=float, default=0.0,
                        help="L2 penalty (wd/2)|W|^2 in the loss (default 0)")
    parser.add_argument("--batch-size", type=int, default=128, help="minibatch size (default 128)")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads (default 1: small matrix products on a shared "
                             "machine run fastest single-threaded)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def blas_threads(n: int):
    """A context limiting BLAS to ``n`` threads (``n >= 1``)."""
    if int(n) < 1:
        raise ValueError(f"--threads must be >= 1, got {n}")
    return threadpool_limits(limits=int(n), user_api="blas")
