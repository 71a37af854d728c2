"""The optimizers a task can name, as sweep parameters (shared by every training task).

``optimizer`` is ``rbo`` (:func:`rbo.rolling_ball`), ``sgd``, ``sam`` or ``entropy-sgd``;
its options are the keyword arguments of that function, under the same names.  Only the
options of the chosen optimizer belong to a cell's configuration (:func:`applicable`).
"""
from __future__ import annotations

from .. import entropy_sgd, rolling_ball, sam, sgd
from ._spec import REQUIRED, Param

__all__ = ["OPTIMIZERS", "OPTIMIZER_PARAMS", "TUNED", "COMPARISON", "applicable",
           "make_optimizer"]

#: optimizer name -> (factory, its options besides lr)
OPTIMIZERS = {
    "rbo": (rolling_ball, ("radius", "solver", "variant", "loss_scale", "tol", "rtol",
                           "max_iter", "max_evals")),
    "sgd": (sgd, ("momentum", "nesterov")),
    "sam": (sam, ("rho_sam",)),
    "entropy-sgd": (entropy_sgd, ("inner_lr", "gamma", "inner_steps", "noise", "alpha")),
}

#: the parameters: the optimizer, the learning rate and every optimizer's options
OPTIMIZER_PARAMS = {
    "optimizer": Param("str", "rbo", "the optimizer", choices=tuple(OPTIMIZERS)),
    "lr": Param("float", REQUIRED, "learning rate η"),
    "radius": Param("float", REQUIRED, "RBO: ball radius ρ"),
    "solver": Param("str", "newton", "RBO: footpoint solver"),
    "variant": Param("str", "footpoint", "RBO: 'footpoint' or 'distance'"),
    "loss_scale": Param("float", 1.0, "RBO: λ, the ball rolls on λ f"),
    "tol": Param("float", 1e-10, "RBO: footpoint tolerance (absolute |r|)"),
    "rtol": Param("float", 0.0, "RBO: footpoint tolerance relative to the residual of not "
                                "moving, |r| <= max(tol, rtol |r_0|)"),
    "max_iter": Param("int", None, "RBO: footpoint iteration cap"),
    "max_evals": Param("int", None, "RBO: footpoint evaluation cap a solve"),
    "momentum": Param("float", 0.0, "SGD: momentum μ"),
    "nesterov": Param("bool", False, "SGD: Nesterov momentum"),
    "rho_sam": Param("float", 0.05, "SAM: perturbation radius"),
    "inner_lr": Param("float", 0.1, "Entropy-SGD: inner step η'"),
    "gamma": Param("float", 0.03, "Entropy-SGD: coupling γ"),
    "inner_steps": Param("int", 20, "Entropy-SGD: inner Langevin steps L"),
    "noise": Param("float", 1e-4, "Entropy-SGD: Langevin noise ε"),
    "alpha": Param("float", 0.75, "Entropy-SGD: averaging α"),
}

#: the parameters tuned per optimizer (what the report searches for the best configuration)
TUNED = tuple(k for k in OPTIMIZER_PARAMS if k != "optimizer")

#: the :class:`~rbo.sweep.Task` fields of every task that compares optimizers: tuned
#: parameters, the method compared, the ρ × η heat map, the replicate seed
COMPARISON = {"hyper": TUNED, "group": "optimizer", "heatmap": ("radius", "lr"), "seed": "seed"}


def applicable(config: dict) -> set:
    """``optimizer``, ``lr`` and the options of the configuration's optimizer.

    >>> sorted(applicable({"optimizer": "sam"}))
    ['lr', 'optimizer', 'rho_sam']
    """
    _, options = OPTIMIZERS.get(config.get("optimizer"), (None, ()))
    return {"optimizer", "lr", *options}


def make_optimizer(config: dict, seed: int = 0):
    """The optimizer of a configuration (``seed``: Entropy-SGD's noise).

    >>> make_optimizer({"optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": False}).init
    <function sgd.<locals>.init at ...>
    """
    factory, options = OPTIMIZERS[config["optimizer"]]
    kw = {k: config[k] for k in options if config.get(k) is not None}
    if config["optimizer"] == "entropy-sgd":
        kw["seed"] = int(seed)
    return factory(config["lr"], **kw)
