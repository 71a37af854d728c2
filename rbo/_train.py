"""Train a network with any optimizer under a budget of gradient-equivalent evaluations.

``rbo.train(model, data, optimizer, budget=...)`` runs minibatch steps (one fresh batch per
step, :meth:`rbo.nn.MLP.minibatches`) until the evaluations spent reach ``budget`` (or
``epochs`` epochs are done), and records

* at every evaluation point (each time the cumulative evaluations cross a multiple of
  ``eval_every``, plus the first and the last step): full-batch train loss and accuracy, test
  loss and accuracy, cumulative evaluations, wall time spent in optimizer steps, and for RBO
  the largest footpoint residual and the share of converged solves since the previous point;
* every ``sharpness_every`` steps: the sharpness ``λ_max(∇²f)`` of the full-batch training
  loss by Lanczos on exact Hessian-vector products (:func:`offsetgeo.local_critical_radius`,
  ``metric="euclidean"``) and the local critical radius ``1/λ_max``;
* at every step: the minibatch loss, the step's evaluations, its residual and convergence.

Evaluations for metrics and sharpness are monitoring: they are not charged to the budget and
their time is not in ``wall_time``.

Checkpoints (``checkpoint=`` a file path) are written every ``checkpoint_every`` steps, on
Ctrl-C and at the end, atomically; ``resume=True`` continues from the file.  Minibatches and
initial parameters are pure functions of ``(seed, step)``, so an interrupted and resumed run
is bit-identical to an uninterrupted one (wall times aside).
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import threading
import time
import warnings
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Optional, Union

import numpy as np
from array_api_compat import array_namespace
from offsetgeo import NonConvergenceWarning, local_critical_radius
from offsetgeo._results import jsonable, to_dict
from tqdm import tqdm

from ._compat import like, norm, to_numpy

__all__ = ["train", "TrainResult", "EvalPoints", "SharpnessPoints", "load_result"]

_FORMAT = 1


def _arrays_dict(obj) -> dict:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


@dataclass(frozen=True)
class EvalPoints:
    """Metrics at the evaluation points (arrays of one length).

    Attributes
    ----------
    step, evals : ndarray of int
        Steps done and cumulative gradient-equivalent evaluations.
    wall_time : ndarray
        Seconds spent in optimizer steps so far.
    train_loss, train_acc, test_loss, test_acc : ndarray
        Full-batch mean data loss (without weight decay) and accuracy.
    residual : ndarray
        Largest footpoint residual of the steps since the previous point (NaN: no RBO steps).
    converged : ndarray
        Share of those steps whose footpoint solve converged (1 for the baselines).
    """

    step: np.ndarray
    evals: np.ndarray
    wall_time: np.ndarray
    train_loss: np.ndarray
    train_acc: np.ndarray
    test_loss: np.ndarray
    test_acc: np.ndarray
    residual: np.ndarray
    converged: np.ndarray


@dataclass(frozen=True)
class SharpnessPoints:
    """Sharpness of the full-batch training loss along the run.

    Attributes
    ----------
    step, evals : ndarray of int
    lambda_max : ndarray
        ``λ_max(∇²f(θ_t))`` by Lanczos (a lower bound when not converged).
    radius : ndarray
        The local critical radius ``1/λ_max`` (``inf`` when ``λ_max ≤ 0``).
    iterations : ndarray of int
        Lanczos steps (= Hessian-vector products on the full training set).
    converged : ndarray of bool
    """

    step: np.ndarray
    evals: np.ndarray
    lambda_max: np.ndarray
    radius: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray


_EVAL_KEYS = tuple(f.name for f in fields(EvalPoints))
_SHARP_KEYS = tuple(f.name for f in fields(SharpnessPoints))
_STEP_KEYS = ("loss", "evals", "residual", "converged")


@dataclass(frozen=True)
class TrainResult:
    """A training run.

    Attributes
    ----------
    label : str
    status : str
        ``"completed"``, ``"interrupted"`` (Ctrl-C), ``"nan"`` (loss or parameters not finite:
        the run keeps the last finite state) or ``"diverged"`` (``|θ|`` above ``divergence``).
    message : str
    steps, evals : int
        Steps done and gradient-equivalent evaluations spent.
    wall_time : float
        Seconds spent in optimizer steps (monitoring excluded).
    theta : ndarray
        Final parameters (NumPy).
    points : EvalPoints
    sharpness : SharpnessPoints
    step_loss, step_evals, step_residual, step_converged : ndarray
        Per step: minibatch loss before the step, evaluations, footpoint residual (NaN for the
        baselines), footpoint convergence.
    config : dict
        Model, data, optimizer label and hyper-parameters, batch size, seed, budget.
    """

    label: str
    status: str
    message: str
    steps: int
    evals: int
    wall_time: float
    theta: np.ndarray = field(repr=False)
    points: EvalPoints = field(repr=False)
    sharpness: SharpnessPoints = field(repr=False)
    step_loss: np.ndarray = field(repr=False)
    step_evals: np.ndarray = field(repr=False)
    step_residual: np.ndarray = field(repr=False)
    step_converged: np.ndarray = field(repr=False)
    config: dict = field(repr=False, default_factory=dict)

    @property
    def final_test_acc(self) -> float:
        return float(self.points.test_acc[-1])

    @property
    def best_test_acc(self) -> float:
        return float(np.max(self.points.test_acc))

    @property
    def final_train_loss(self) -> float:
        return float(self.points.train_loss[-1])

    @property
    def time_per_step(self) -> float:
        return self.wall_time / self.steps if self.steps else math.nan

    @property
    def evals_per_step(self) -> float:
        return self.evals / self.steps if self.steps else math.nan

    def summary(self) -> dict:
        """The headline numbers (what ``rbo compare`` tabulates)."""
        return {"label": self.label, "status": self.status, "final_test_acc": self.final_test_acc,
                "best_test_acc": self.best_test_acc, "final_train_loss": self.final_train_loss,
                "steps": self.steps, "evals": self.evals, "wall_time": self.wall_time,
                "time_per_step": self.time_per_step, "evals_per_step": self.evals_per_step}

    def to_dict(self, include_steps: bool = False) -> dict:
        """JSON-ready data by the project's rule (non-finite → ``null``, kinds in ``"nonfinite"``).

        ``include_steps`` adds the per-step arrays and the final parameters.
        """
        out = {**self.summary(), "message": self.message, "config": self.config,
               "points": _arrays_dict(self.points), "sharpness": _arrays_dict(self.sharpness)}
        if include_steps:
            out.update(step_loss=self.step_loss, step_evals=self.step_evals,
                       step_residual=self.step_residual, step_converged=self.step_converged,
                       theta=self.theta)
        return to_dict(out)


class _Log:
    """The growing records of a run: rows of the three tables (what a checkpoint stores)."""

    def __init__(self, points=(), sharp=(), steps=()):
        self.points, self.sharp, self.steps = list(points), list(sharp), list(steps)

    def arrays(self) -> dict:
        return {"points": np.asarray(self.points, dtype=np.float64).reshape(-1, len(_EVAL_KEYS)),
                "sharp": np.asarray(self.sharp, dtype=np.float64).reshape(-1, len(_SHARP_KEYS)),
                "steps": np.asarray(self.steps, dtype=np.float64).reshape(-1, len(_STEP_KEYS))}

    @classmethod
    def from_arrays(cls, arrays: dict) -> "_Log":
        return cls(*(map(tuple, arrays[k].tolist()) for k in ("points", "sharp", "steps")))

    def result(self, *, label, status, message, steps, evals, wall, theta, config) -> TrainResult:
        a = self.arrays()
        p, h, s = a["points"].T, a["sharp"].T, a["steps"].T
        return TrainResult(
            label=label, status=status, message=message, steps=int(steps), evals=int(evals),
            wall_time=float(wall), theta=np.asarray(theta),
            points=EvalPoints(p[0].astype(np.int64), p[1].astype(np.int64), *p[2:]),
            sharpness=SharpnessPoints(h[0].astype(np.int64), h[1].astype(np.int64), h[2], h[3],
                                      h[4].astype(np.int64), h[5].astype(bool)),
            step_loss=s[0], step_evals=s[1].astype(np.int64), step_residual=s[2],
            step_converged=s[3].astype(bool), config=config)


@contextlib.contextmanager
def _deferred_interrupt():
    """Hold Ctrl-C (SIGINT) back until the block ends, so a record is never half-written."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


def _save_checkpoint(path: Path, meta: dict, state, log: _Log):
    arrays = log.arrays()
    kinds = {}
    for name in state._fields:
        v = getattr(state, name)
        if v is None:
            kinds[name] = ["none"]
        elif isinstance(v, (bool, int, float)):
            kinds[name] = ["scalar", v]
        else:
            kinds[name] = ["array"]
            arrays[f"state.{name}"] = np.asarray(to_numpy(v))
    meta = {**meta, "state_type": type(state).__name__, "state_fields": kinds, "format": _FORMAT}
    arrays["meta"] = np.asarray(json.dumps(meta))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
    os.replace(tmp, path)


def _load_checkpoint(path: Path):
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        meta = json.loads(str(arrays.pop("meta")))
    except (OSError, ValueError, KeyError) as err:
        raise ValueError(f"{path}: not a readable rbo.train checkpoint ({err}); delete it or "
                         "pass resume=False") from None
    if meta.get("format") != _FORMAT:
        raise ValueError(f"{path}: checkpoint format {meta.get('format')!r}, this version reads "
                         f"{_FORMAT}; delete it or pass resume=False")
    return meta, arrays


def _restore_state(path: Path, meta: dict, arrays: dict, template):
    if type(template).__name__ != meta["state_type"]:
        raise ValueError(f"{path}: the checkpoint holds a {meta['state_type']} but this optimizer "
                         f"makes a {type(template).__name__}; delete it or pass resume=False")
    values = {}
    for name in template._fields:
        kind = meta["state_fields"].get(name, ["missing"])
        if kind[0] == "none":
            values[name] = None
        elif kind[0] == "scalar":
            values[name] = kind[1]
        elif kind[0] == "array":
            values[name] = like(arrays[f"state.{name}"], template.params)
        else:
            raise ValueError(f"{path}: the checkpoint lacks the state field {name!r}")
    return template._replace(**values)


def _fingerprint(model, data, label, hyper, batch_size, seed, budget, epochs, eval_every,
                 sharpness_every) -> dict:
    return jsonable({"label": label, "hyper": hyper or {}, "model": model.describe(),
                     "data": data.describe(), "batch_size": batch_size, "seed": seed,
                     "budget": budget, "epochs": epochs, "eval_every": eval_every,
                     "sharpness_every": sharpness_every})[0]


def train(model, data, optimizer, *, budget: Optional[int] = None, epochs: Optional[float] = None,
          batch_size: int = 128, eval_every: Optional[int] = None,
          sharpness_every: Optional[int] = None, seed: int = 0, xp: Any = None,
          label: str = "run", hyper: Optional[dict] = None,
          checkpoint: Union[str, Path, None] = None, checkpoint_every: int = 500,
          resume: bool = False, progress: bool = True, sharpness_rtol: float = 1e-3,
          sharpness_max_iter: int = 40, divergence: float = 1e8,
          callback: Optional[Callable] = None) -> TrainResult:
    """Train ``model`` on ``data`` with ``optimizer`` under a compute budget.

    Runs ``state, info = optimizer.update(state, batch_t, fresh=True)`` with ``batch_t`` the
    loss on minibatch ``t`` (:func:`rbo.data.batch_indices`) from ``θ_0 = model.init(seed)``
    while ``Σ info.evals < budget`` (or for ``ceil(epochs · n_train // batch_size)`` steps);
    see the module docstring for what is recorded.

    Parameters
    ----------
    model : rbo.nn.MLP
    data : rbo.data.Dataset
    optimizer : Optimizer
        Any ``init``/``update`` pair of :mod:`rbo` (SGD, AdamW, SAM, Entropy-SGD, RBO, …).
    budget : int, optional
        Gradient-equivalent evaluations (``value_and_grad`` = 1, ``hvp`` = 1); the last step
        may overshoot by less than its own cost.
    epochs : float, optional
        Instead of ``budget``: passes over the training set.
    batch_size : int
    eval_every : int, optional
        Evaluations between evaluation points; default ``budget / 40`` (or one epoch of
        single-gradient steps).
    sharpness_every : int, optional
        Steps between sharpness measurements (also at the first and last step); None: none.
    seed : int
        Initial parameters and minibatch order.
    xp : array namespace, optional
        Where to train (NumPy default; CuPy, array_api_strict).
    label, hyper : str, dict
        The optimizer's name and hyper-parameters, stored in the result and checked on resume.
    checkpoint : path, optional
        Checkpoint file (``.npz``).
    checkpoint_every : int
        Steps between checkpoints.
    resume : bool
        Continue from ``checkpoint`` if it exists (it must come from the same configuration).
    progress : bool
        A tqdm progress bar over the budget.
    sharpness_rtol, sharpness_max_iter
        Lanczos relative residual and step cap.
    divergence : float
        Stop when ``|θ|`` exceeds it.
    callback : callable, optional
        ``callback(step, state, info)`` after every step (e.g. to stop by raising).

    Returns
    -------
    result : TrainResult

    Raises
    ------
    ValueError
        Bad arguments, or a checkpoint from another configuration.

    See Also
    --------
    rbo.compare : every optimizer on equal budgets.
    rbo.run : the plain driver.

    Examples
    --------
    >>> import rbo
    >>> data = rbo.data.digits(seed=0)
    >>> model = rbo.nn.logistic(64, 10)
    >>> res = rbo.train(model, data, rbo.sgd(0.1), budget=200, batch_size=64, progress=False)
    >>> res.status, res.evals, res.final_test_acc > 0.85
    ('completed', 200, True)
    """
    if model.n_in != data.n_features or model.n_out != data.n_classes:
        raise ValueError(f"the model maps {model.n_in} inputs to {model.n_out} outputs but "
                         f"{data.name} has {data.n_features} features and {data.n_classes} classes")
    if (budget is None) == (epochs is None):
        raise ValueError("give exactly one of budget= (gradient evaluations) and epochs=")
    if budget is not None and not (int(budget) == budget and budget >= 1):
        raise ValueError(f"budget must be a positive integer number of evaluations, got {budget}")
    if epochs is not None and not (epochs > 0 and math.isfinite(epochs)):
        raise ValueError(f"epochs must be a positive number, got {epochs}")
    if not (1 <= int(batch_size) <= data.n_train):
        raise ValueError(f"batch_size must be in 1..{data.n_train} (the training examples), got {batch_size}")
    batch_size = int(batch_size)
    per_epoch = data.n_train // batch_size
    max_steps = math.ceil(epochs * per_epoch) if epochs is not None else None
    if eval_every is None:
        eval_every = max(1, int(budget) // 40) if budget is not None else per_epoch
    if int(eval_every) < 1:
        raise ValueError(f"eval_every must be >= 1, got {eval_every}")
    eval_every = int(eval_every)
    if sharpness_every is not None and int(sharpness_every) < 1:
        raise ValueError(f"sharpness_every must be >= 1 (or None), got {sharpness_every}")
    if int(checkpoint_every) < 1:
        raise ValueError(f"checkpoint_every must be >= 1, got {checkpoint_every}")
    if resume and checkpoint is None:
        raise ValueError("resume=True needs checkpoint= (the file to resume from)")

    xp_ = np if xp is None else xp
    theta = model.init(seed=seed, xp=xp_)
    xp = array_namespace(theta)
    x_train, y_train = like(data.x_train, theta), xp.asarray(data.y_train)
    x_test, y_test = like(data.x_test, theta), xp.asarray(data.y_test)
    batches = model.minibatches(x_train, y_train, batch_size, seed=seed)
    full = model.objective(x_train, y_train)
    ckpt = Path(checkpoint) if checkpoint is not None else None
    meta = {"fingerprint": _fingerprint(model, data, label, hyper, batch_size, seed, budget,
                                        epochs, eval_every, sharpness_every)}

    def hvp(t, v):
        return to_numpy(full.hvp(like(t, theta), like(v, theta)))

    def sharpness_row(th, step_, evals_):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NonConvergenceWarning)
            r = local_critical_radius(hvp=hvp, theta=np.asarray(to_numpy(th), dtype=np.float64),
                                      metric="euclidean", method="lanczos", rtol=sharpness_rtol,
                                      max_iter=sharpness_max_iter,
                                      rng=np.random.default_rng([seed, step_]))
        return (step_, evals_, r.lambda_max, r.value, r.iterations, r.converged)

    def point_row(th, step_, evals_, wall_, window_):
        trl, tra = model.evaluate(th, x_train, y_train)
        tel, tea = model.evaluate(th, x_test, y_test)
        res = [r for r, _ in window_ if not math.isnan(r)]
        conv = sum(c for _, c in window_) / len(window_) if window_ else 1.0
        return (step_, evals_, wall_, trl, tra, tel, tea, max(res) if res else math.nan, conv)

    def done(step_, evals_) -> bool:
        return ((budget is not None and evals_ >= budget)
                or (max_steps is not None and step_ >= max_steps))

    state = optimizer.init(theta)
    if resume and ckpt.exists():
        saved, arrays = _load_checkpoint(ckpt)
        if saved["fingerprint"] != meta["fingerprint"]:
            diff = sorted(k for k in meta["fingerprint"]
                          if saved["fingerprint"].get(k) != meta["fingerprint"][k])
            raise ValueError(f"{ckpt}: the checkpoint comes from another configuration "
                             f"({', '.join(diff)} differ); delete it (the rbo commands: "
                             "--restart) or pass resume=False")
        state = _restore_state(ckpt, saved, arrays, state)
        log = _Log.from_arrays(arrays)
        step, evals, wall = saved["step"], saved["evals"], saved["wall"]
        next_eval, window = saved["next_eval"], [tuple(w) for w in saved["window"]]
        status, message = saved["status"], saved["message"]
    else:
        log = _Log(points=[point_row(theta, 0, 0, 0.0, [])],
                   sharp=[sharpness_row(theta, 0, 0)] if sharpness_every else [])
        step, evals, wall, next_eval, window = 0, 0, 0.0, eval_every, []
        status, message = "running", ""

    def write(status_now):
        if ckpt is not None:
            _save_checkpoint(ckpt, {**meta, "step": step, "evals": evals, "wall": wall,
                                    "next_eval": next_eval, "window": window,
                                    "status": status_now, "message": message}, state, log)

    total = int(budget) if budget is not None else int(max_steps)
    bar = tqdm(total=total, initial=min(evals if budget is not None else step, total),
               desc=label, unit="eval" if budget is not None else "step", disable=not progress,
               leave=False, dynamic_ncols=True)
    try:
        while status == "running" and not done(step, evals):
            t0 = time.perf_counter()
            new, info = optimizer.update(state, batches.sample(step), fresh=True)
            dt = time.perf_counter() - t0
            res = float(getattr(info, "residual", math.nan))
            conv = bool(getattr(info, "converged", True))
            loss, cost = float(info.loss), int(info.evals)
            if not (math.isfinite(loss) and bool(xp.all(xp.isfinite(new.params)))):
                status = "nan"
                message = (f"step {step}: the loss or the parameters became NaN/inf (loss "
                           f"before the step {loss:.6g}); kept the {step} steps done. "
                           "Lower the learning rate or the radius.")
                break
            if norm(new.params) > divergence:
                status = "diverged"
                message = (f"step {step}: |theta| exceeded {divergence:g}; kept the {step} "
                           "steps done. Lower the learning rate or the radius.")
                break
            n_step, n_evals, n_wall = step + 1, evals + cost, wall + dt
            n_window, n_next = window + [(res, conv)], next_eval
            last = done(n_step, n_evals)
            point = sharp = None
            if n_evals >= next_eval or last:
                point = point_row(new.params, n_step, n_evals, n_wall, n_window)
                n_window, n_next = [], (n_evals // eval_every + 1) * eval_every
            if sharpness_every and (n_step % int(sharpness_every) == 0 or last):
                sharp = sharpness_row(new.params, n_step, n_evals)
            with _deferred_interrupt():  # commit the step and its records together
                log.steps.append((loss, cost, res, conv))
                if point is not None:
                    log.points.append(point)
                if sharp is not None:
                    log.sharp.append(sharp)
                state, step, evals, wall, window, next_eval = new, n_step, n_evals, n_wall, n_window, n_next
            bar.update(cost if budget is not None else 1)
            if point is not None:
                bar.set_postfix(test_acc=f"{point[6]:.3f}", refresh=False)
            if callback is not None:
                callback(step, state, info)
            if step % int(checkpoint_every) == 0 and not last:
                write("running")
        if status == "running":
            status = "completed"
    except KeyboardInterrupt:
        status, message = "interrupted", f"interrupted (KeyboardInterrupt) after {step} steps"
    finally:
        bar.close()
    if status in ("nan", "diverged") and log.points[-1][0] != step:
        log.points.append(point_row(state.params, step, evals, wall, window))
    write("running" if status == "interrupted" else status)
    return log.result(label=label, status=status, message=message, steps=step, evals=evals,
                      wall=wall, theta=to_numpy(state.params),
                      config=dict(meta["fingerprint"]))


def load_result(path: Union[str, Path]) -> TrainResult:
    """The :class:`TrainResult` stored in a finished run's checkpoint file.

    Parameters
    ----------
    path : str or Path
        A checkpoint written by :func:`train` (``checkpoint=``).

    Returns
    -------
    result : TrainResult
        Equal to what :func:`train` returned (wall times included).

    Raises
    ------
    ValueError
        The file is not a checkpoint, or its run has not finished.

    See Also
    --------
    train

    Examples
    --------
    >>> import tempfile, pathlib, rbo
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.npz"
    >>> res = rbo.train(rbo.nn.logistic(64, 10), rbo.data.digits(), rbo.sgd(0.1), budget=30,
    ...                 checkpoint=path, progress=False)
    >>> bool((load_result(path).theta == res.theta).all())
    True
    """
    path = Path(path)
    meta, arrays = _load_checkpoint(path)
    if meta["status"] == "running":
        raise ValueError(f"{path}: this run has not finished (resume it with rbo.train(..., resume=True))")
    return _Log.from_arrays(arrays).result(
        label=meta["fingerprint"]["label"], status=meta["status"], message=meta["message"],
        steps=meta["step"], evals=meta["evals"], wall=meta["wall"], theta=arrays["state.params"],
        config=dict(meta["fingerprint"]))
