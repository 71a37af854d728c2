"""rbo: the rolling ball optimizer, its footpoint solvers, and its rivals.

>>> import numpy as np, rbo
>>> obj = rbo.losses.quadratic(np.diag([1.0, 3.0]))
>>> opt = rbo.rolling_ball(lr=0.1, radius=0.2, solver="newton")
>>> traj = rbo.run(obj, opt, np.array([1.0, -1.0]), steps=100)
>>> traj.final_loss < 1e-9, bool(np.nanmax(traj.residual) <= 1e-10)
(True, True)
"""
from offsetgeo import __version__
from offsetgeo.exceptions import ConvergenceError, NonConvergenceWarning
from offsetgeo._deprecation import alias_modules as _alias_modules
from offsetgeo._deprecation import module_getattr as _module_getattr

from . import _batched, losses, schedules
from ._baselines import EntropySGDState, SAMState, SGDState, entropy_sgd, sam, sgd
from ._batched import BatchTrajectory, run_batched
from ._footpoint import SOLVERS, Footpoint, SolveInfo, solve_footpoint
from ._objective import (ArrayObjective, FunctionObjective, MinibatchObjective, minibatch,
                         objective)
from ._optimizer import BallStepInfo, Optimizer, StepInfo
from ._rolling_ball import VARIANTS, RollingBallState, rolling_ball
from ._run import Trajectory, run
from . import data, nn
from ._adamw import AdamWState, adamw
from ._train import TrainResult, load_result, train
from ._compare import CONTENDERS, Comparison, compare

__all__ = [
    "__version__",
    "objective", "minibatch", "ArrayObjective", "FunctionObjective", "MinibatchObjective",
    "rolling_ball", "RollingBallState", "sgd", "SGDState", "sam", "SAMState", "entropy_sgd",
    "EntropySGDState", "Optimizer", "StepInfo", "BallStepInfo",
    "solve_footpoint", "Footpoint", "SolveInfo", "SOLVERS", "VARIANTS",
    "run", "Trajectory", "run_batched", "BatchTrajectory",
    "ConvergenceError", "NonConvergenceWarning",
    "losses", "schedules",
    "adamw", "AdamWState", "nn", "data", "train", "TrainResult", "load_result",
    "compare", "Comparison", "CONTENDERS",
]

__getattr__ = _module_getattr("rbo", {
    "FootpointNotConverged": (ConvergenceError, "rbo.ConvergenceError"),
    "batched": (_batched, "rbo.run_batched and rbo.BatchTrajectory"),
})

# old module paths, for one release (the functions rbo.run, rbo.objective, rbo.rolling_ball
# keep their names; from-imports out of the old module paths still work)
_alias_modules({
    "rbo.objective": "rbo._objective",
    "rbo.optimizer": "rbo._optimizer",
    "rbo.footpoint": "rbo._footpoint",
    "rbo.rolling_ball": "rbo._rolling_ball",
    "rbo.baselines": "rbo._baselines",
    "rbo.run": "rbo._run",
    "rbo.batched": "rbo._batched",
}, public="rbo")
