"""rbo: the rolling ball optimizer, its footpoint solvers, and baselines.

>>> import numpy as np, rbo
>>> obj = rbo.losses.quadratic(np.diag([1.0, 3.0]))
>>> opt = rbo.rolling_ball(lr=0.1, radius=0.2, solver="newton")
>>> traj = rbo.run(obj, opt, np.array([1.0, -1.0]), steps=100)
>>> traj.final_loss < 1e-9, bool(np.nanmax(traj.residual) <= 1e-10)
(True, True)
"""
from offsetgeo import __version__

from . import batched, losses, schedules
from .baselines import entropy_sgd, sam, sgd
from .batched import BatchTrajectory, run_batched
from .footpoint import SOLVERS, Footpoint, SolveInfo, solve_footpoint
from .objective import ArrayObjective, FunctionObjective, minibatch, objective
from .optimizer import Optimizer, StepInfo
from .rolling_ball import VARIANTS, RollingBallState, rolling_ball
from .run import FootpointNotConverged, Trajectory, run

__all__ = [
    "__version__",
    "objective", "minibatch", "ArrayObjective", "FunctionObjective",
    "rolling_ball", "RollingBallState", "sgd", "sam", "entropy_sgd", "Optimizer", "StepInfo",
    "solve_footpoint", "Footpoint", "SolveInfo", "SOLVERS", "VARIANTS",
    "run", "Trajectory", "FootpointNotConverged", "run_batched", "BatchTrajectory",
    "losses", "schedules", "batched",
]
