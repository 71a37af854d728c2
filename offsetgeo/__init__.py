"""offsetgeo: offset manifolds of graphs of analytic functions.

Exact footpoint projections onto the graph of a loss, its offsets, the ironed
function, unreachable sets, medial axes and the reach (the critical radius).
"""

from .function import Function
from .expression import parse_expression

__all__ = ["Function", "parse_expression"]
__version__ = "0.1.0"
