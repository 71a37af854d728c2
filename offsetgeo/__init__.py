"""offsetgeo: offset manifolds of graphs of analytic functions.

Exact footpoint projections onto the graph of a loss, its offsets, the ironed
function, unreachable sets, medial axes and the reach (the critical radius).
The vocabulary shared by every function is in ``docs/conventions.md``; the mathematics in
``docs/math.md``.
"""

import os as _os

import numba as _numba

# The OpenMP threading layer costs ~8 ms per parallel launch on some machines (measured
# here: 8 ms vs 0.09 ms for workqueue); our kernels are launched many times on small
# batches. Users who pick a layer themselves (env var or config) keep their choice.
if "NUMBA_THREADING_LAYER" not in _os.environ and _numba.config.THREADING_LAYER == "default":
    _numba.config.THREADING_LAYER = "workqueue"

__version__ = "0.2.0"

from . import exceptions  # noqa: E402
from ._expression import parse_expression  # noqa: E402
from ._function import Function, as_function  # noqa: E402
from ._graph import (curvature_test, normal_lift, normal_point,  # noqa: E402
                     principal_curvatures)
from ._newton import FunctionOracle, NewtonResult, newton_footpoint  # noqa: E402
from ._projection import (FootpointCertificate, FootpointResult,  # noqa: E402
                          certify_footpoints, footpoint)
from ._morphology import (hemisphere_closing, hemisphere_dilation,  # noqa: E402
                          hemisphere_erosion, hemisphere_opening)
from ._reachability import (UnreachableSet, is_reachable, max_ball_radius,  # noqa: E402
                            unreachable_set)
from ._offset import ironed, offset_height  # noqa: E402
from ._curvature import CurvatureExtremum, max_curvature  # noqa: E402
from ._local_radius import LocalRadius, local_critical_radius  # noqa: E402
from ._reach import Reach, critical_radius, reach  # noqa: E402
from ._medial import MedialAxis, MedialBranch, medial_axis  # noqa: E402
from .exceptions import (ConvergenceError, NonConvergenceWarning,  # noqa: E402
                         ReachDisagreementWarning, ResolutionWarning)
from . import theorems  # noqa: E402
from ._deprecation import alias_modules as _alias_modules  # noqa: E402

__all__ = [
    "__version__",
    "Function", "as_function", "parse_expression",
    "footpoint", "FootpointResult", "certify_footpoints", "FootpointCertificate",
    "newton_footpoint", "NewtonResult", "FunctionOracle",
    "normal_lift", "normal_point", "principal_curvatures", "curvature_test",
    "hemisphere_dilation", "hemisphere_erosion", "hemisphere_closing", "hemisphere_opening",
    "offset_height", "ironed",
    "is_reachable", "unreachable_set", "max_ball_radius", "UnreachableSet",
    "medial_axis", "MedialAxis", "MedialBranch",
    "max_curvature", "CurvatureExtremum", "local_critical_radius", "LocalRadius",
    "reach", "critical_radius", "Reach",
    "ConvergenceError", "NonConvergenceWarning", "ResolutionWarning", "ReachDisagreementWarning",
    "exceptions", "theorems",
]

# old module paths, for one release (``offsetgeo.reach`` and ``offsetgeo.theorems`` keep
# their names: the first is the function, the second still the public package)
_alias_modules({
    "offsetgeo.expression": "offsetgeo._expression",
    "offsetgeo.tape": "offsetgeo._tape",
    "offsetgeo.function": "offsetgeo._function",
    "offsetgeo.projection": "offsetgeo._projection",
    "offsetgeo.morphology": "offsetgeo._morphology",
    "offsetgeo.offset": "offsetgeo._offset",
    "offsetgeo.reachability": "offsetgeo._reachability",
    "offsetgeo.curvature": "offsetgeo._curvature",
    "offsetgeo.medial": "offsetgeo._medial",
}, public="offsetgeo")
