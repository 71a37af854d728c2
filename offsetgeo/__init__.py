"""offsetgeo: offset manifolds of graphs of analytic functions.

Exact footpoint projections onto the graph of a loss, its offsets, the ironed
function, unreachable sets, medial axes and the reach (the critical radius).
"""

import os as _os

import numba as _numba

# The OpenMP threading layer costs ~8 ms per parallel launch on some machines (measured
# here: 8 ms vs 0.09 ms for workqueue); our kernels are launched many times on small
# batches. Users who pick a layer themselves (env var or config) keep their choice.
if "NUMBA_THREADING_LAYER" not in _os.environ and _numba.config.THREADING_LAYER == "default":
    _numba.config.THREADING_LAYER = "workqueue"

from .function import Function
from .expression import parse_expression

__all__ = ["Function", "parse_expression"]
__version__ = "0.1.0"
from .projection import footpoint, FootpointResult, NonConvergenceWarning, ConvergenceError

__all__ += ["footpoint", "FootpointResult", "NonConvergenceWarning", "ConvergenceError"]
from .offset import offset_height, ironed
from .morphology import (hemisphere_dilation, hemisphere_erosion, hemisphere_closing,
                         hemisphere_opening)
from .reachability import is_reachable, unreachable_set, max_ball_radius, UnreachableSet
from .curvature import principal_curvatures, max_curvature, local_critical_radius
from .reach import reach, critical_radius, Reach, ReachDisagreementWarning

__all__ += ["offset_height", "ironed", "hemisphere_dilation", "hemisphere_erosion",
            "hemisphere_closing", "hemisphere_opening", "is_reachable", "unreachable_set",
            "max_ball_radius", "UnreachableSet", "principal_curvatures", "max_curvature",
            "local_critical_radius", "reach", "critical_radius", "Reach",
            "ReachDisagreementWarning"]
