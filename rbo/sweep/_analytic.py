"""The ``rbo-analytic`` task: one ``rbo.run`` of one optimizer on an analytic loss.

The loss is an :class:`offsetgeo.Function` expression (``period``/``domain`` allowed); the
optimizer is ``rbo`` (:func:`rbo.rolling_ball`), ``sgd``, ``sam`` or ``entropy-sgd`` with
the keyword options of those functions.  The seed drives everything random in a cell:
the start ``θ_0 + theta0_noise · ξ`` (``ξ`` standard normal from
``default_rng([seed, 1])``), additive gradient noise of standard deviation ``grad_noise``
(``default_rng([seed, 2, t])`` at step ``t``; the recorded loss stays exact) and
Entropy-SGD's Langevin noise (its ``seed``).  With neither noise nor Entropy-SGD the run is
deterministic and the seeds are exact replicates.
"""
from __future__ import annotations

import json
import warnings
from functools import lru_cache

import numpy as np
import offsetgeo

from .. import objective
from .. import run as run_optimizer
from ._optimizers import COMPARISON, OPTIMIZER_PARAMS, applicable, make_optimizer
from ._spec import REQUIRED, CellOutput, CellTimeout, Param, Task

__all__ = ["ANALYTIC"]

_OWN = {
    "loss": Param("str", REQUIRED, "offsetgeo expression of the loss, e.g. 'sin(x) + 0.3*sin(5*x)'"),
    "period": Param("json", None, "period(s) of the loss (number, '2*pi', or one per variable)"),
    "domain": Param("json", None, "domain box of the loss: [lo, hi] or [[lo, hi], ...]"),
    "steps": Param("int", REQUIRED, "optimizer steps"),
    "theta0": Param("floats", REQUIRED, "start θ_0 (one number per variable)"),
    "seed": Param("int", 0, "seed of the start noise, gradient noise and Entropy-SGD"),
    "theta0_noise": Param("float", 0.0, "standard deviation of the random start around theta0"),
    "grad_noise": Param("float", 0.0, "standard deviation of additive gradient noise"),
    "divergence": Param("float", 1e12, "stop when |θ| exceeds this (status 'diverged')"),
}

PARAMS = {**_OWN, **OPTIMIZER_PARAMS}

_METRICS = ("final_loss", "final_theta", "evals", "status", "message", "steps", "min_loss",
            "final_grad_norm", "unconverged", "run_seconds")


def _relevant(config: dict) -> set:
    return set(_OWN) | applicable(config)


@lru_cache(maxsize=64)
def _function(loss: str, period_json: str, domain_json: str) -> offsetgeo.Function:
    return offsetgeo.Function(loss, period=json.loads(period_json), domain=json.loads(domain_json))


def _loss_function(config: dict) -> offsetgeo.Function:
    """The loss of a configuration (parsed once per process and expression)."""
    return _function(config["loss"], json.dumps(config.get("period")), json.dumps(config.get("domain")))


def _check(config: dict) -> None:
    f = _loss_function(config)
    if len(config["theta0"]) != f.dim:
        raise ValueError(f"theta0 has {len(config['theta0'])} entries but the loss "
                         f"{config['loss']!r} has {f.dim} variable(s) {f.variables}")
    make_optimizer(config, config["seed"])


class _NoisyGradient:
    """Stochastic objective: the exact loss with ``N(0, σ²)`` noise added to its gradient."""

    def __init__(self, base, sigma: float, seed: int):
        self.base, self.sigma, self.seed = base, float(sigma), int(seed)

    def sample(self, step: int):
        xi = np.random.default_rng([self.seed, 2, int(step)]).standard_normal(self.base.dim)

        def value_and_grad(theta):
            v, g = self.base.value_and_grad(theta)
            return v, g + self.sigma * xi

        return objective(value_and_grad, hvp=self.base.hvp, name="noisy gradient")


def run_analytic(config: dict, deadline) -> CellOutput:
    """One cell of ``rbo-analytic``: build the loss and optimizer, run, summarise."""
    f = _loss_function(config)
    base = objective(f)
    theta0 = np.asarray(config["theta0"], dtype=float)
    if config["theta0_noise"] > 0:
        theta0 = theta0 + config["theta0_noise"] * np.random.default_rng(
            [config["seed"], 1]).standard_normal(theta0.shape[0])
    obj = _NoisyGradient(base, config["grad_noise"], config["seed"]) if config["grad_noise"] > 0 else base
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        traj = run_optimizer(obj, make_optimizer(config, config["seed"]), theta0, config["steps"],
                             callback=lambda t, state, info: deadline.expired(),
                             on_failure="ignore", divergence=config["divergence"])
    if traj.status == "callback":
        raise CellTimeout(f"timed out after {deadline.seconds:g} s (stopped at step {traj.steps} "
                          f"of {config['steps']})")
    if traj.status == "interrupted":
        raise KeyboardInterrupt(traj.message)
    loss = np.asarray(traj.loss, dtype=float)
    metrics = {
        "final_loss": traj.final_loss,
        "final_theta": np.asarray(traj.final_theta, dtype=float).tolist(),
        "evals": traj.total_evals,
        "status": traj.status,
        "message": traj.message,
        "steps": traj.steps,
        "min_loss": float(np.nanmin(loss)) if np.any(np.isfinite(loss)) else float("nan"),
        "final_grad_norm": float(traj.grad_norm[-1]),
        "unconverged": int(sum(not c for c in traj.converged)),
        "run_seconds": float(traj.wall_time),
    }
    curves = {"loss": loss, "evals": np.asarray(traj.evals, dtype=np.int64),
              "grad_norm": np.asarray(traj.grad_norm, dtype=float),
              "theta": np.asarray(traj.theta, dtype=float)}
    return CellOutput(metrics, curves)


ANALYTIC = Task(
    name="rbo-analytic",
    fn=run_analytic,
    params=PARAMS,
    metrics=_METRICS,
    doc="rbo.run of one optimizer (rbo | sgd | sam | entropy-sgd) on an analytic loss",
    relevant=_relevant,
    check=_check,
    primary=("final_loss", "min"),
    cost_curve=("evals", "loss"),
    **COMPARISON,
    show=("status",),
)
