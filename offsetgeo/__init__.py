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

from .expression import parse_expression
from .function import Function
from .projection import (ConvergenceError, FootpointResult, NonConvergenceWarning,
                         ResolutionWarning, footpoint)
from .morphology import (hemisphere_closing, hemisphere_dilation, hemisphere_erosion,
                         hemisphere_opening)
from .offset import ironed, offset_height
from .reachability import UnreachableSet, is_reachable, max_ball_radius, unreachable_set
from .medial import MedialAxis, MedialBranch, medial_axis
from .curvature import local_critical_radius, max_curvature, principal_curvatures
from .reach import Reach, ReachDisagreementWarning, critical_radius, reach
from . import theorems

__version__ = "0.1.0"
__all__ = [
    "Function", "parse_expression",
    "footpoint", "FootpointResult", "NonConvergenceWarning", "ConvergenceError",
    "ResolutionWarning",
    "hemisphere_dilation", "hemisphere_erosion", "hemisphere_closing", "hemisphere_opening",
    "offset_height", "ironed",
    "is_reachable", "unreachable_set", "max_ball_radius", "UnreachableSet",
    "medial_axis", "MedialAxis", "MedialBranch",
    "principal_curvatures", "max_curvature", "local_critical_radius",
    "reach", "critical_radius", "Reach", "ReachDisagreementWarning",
    "theorems",
]
