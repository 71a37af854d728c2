"""Medial axes of the graph: centres of maximal balls above (upper) or below (lower) it.

Every point of the upper medial axis is the centre of a maximal free ball
``p(θ) + t*(θ) n(θ)`` touching the graph at ``p(θ)`` and at a second point (or, at
a branch's end, osculating it). Sampling θ and computing ``t*`` by bisection
(:func:`offsetgeo.reachability.max_ball_radius`) therefore traces the whole axis
over the window, with both footpoints of every point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._deprecation import renamed_keywords
from ._function import as_function
from ._graph import normal_lift
from ._numerics import mesh
from ._projection import footpoint, polish
from ._reachability import max_ball_radius
from ._results import Result
from ._validation import check_count, check_positive, check_side

__all__ = ["medial_axis", "MedialAxis", "MedialBranch"]


@dataclass(frozen=True)
class MedialBranch(Result):
    """One connected branch of a 1-D medial axis, as a polyline.

    Attributes
    ----------
    centre : ndarray (k, 2)
        Points (x, y) of the axis, ordered along the branch.
    radius : ndarray (k,)
        Distance from each point to the graph (the maximal ball's radius).
    footpoints : ndarray (k, 2)
        The two footpoints θ₁ ≤ θ₂ of each point (equal at a branch's focal end).
    arclength : ndarray (k,)
        Distance along the branch from its first point.
    """

    centre: np.ndarray
    radius: np.ndarray
    footpoints: np.ndarray
    arclength: np.ndarray


@dataclass(frozen=True)
class MedialAxis(Result):
    """The sampled upper or lower medial axis over a window.

    Attributes
    ----------
    side : str
    points : ndarray (m, d+1)
        Axis points (centres of maximal balls).
    radius : ndarray (m,)
    footpoints : ndarray (m, 2, d)
        First (the sampled θ) and second footpoint of each point.
    branches : list of MedialBranch
        1-D only: the points linked into polylines.
    window : ndarray (d, 2)
    """

    side: str
    points: np.ndarray
    radius: np.ndarray
    footpoints: np.ndarray
    branches: list
    window: np.ndarray


@renamed_keywords(resolution="samples_per_axis")
def medial_axis(f, side="upper", *, window=None, samples_per_axis=None,
                max_radius=None) -> MedialAxis:
    """Sample the upper (or lower) medial axis of the graph of ``f`` over a window.

    ``M⁺ = {p(θ) + t*(θ) n(θ)}`` with ``t*(θ)`` the radius of the largest ball above
    the graph touching it at ``p(θ)``.

    Parameters
    ----------
    f : Function or str
    side : {"upper", "lower"}
    window : box, optional
        θ range to sample (default: the domain or one period).
    samples_per_axis : int, optional
        Samples per axis (default 1024 in 1-D, 48 in 2-D).
    max_radius : float, optional
        Balls larger than this are treated as never blocked (default: 20 × the
        window's width).

    Returns
    -------
    axis : MedialAxis

    See Also
    --------
    max_ball_radius : the radius of each maximal ball.
    reach : the distance from the graph to its medial axis.

    Examples
    --------
    >>> ax = medial_axis(Function("x**2"), window=(-1, 1), samples_per_axis=64)
    >>> bool(np.allclose(ax.points[:, 0], 0.0, atol=1e-7))     # the ray x = 0, y > 1/2
    True
    >>> bool(np.all(ax.points[:, 1] > 0.5 - 1e-9)), len(ax.branches)
    (True, 1)
    """
    f = as_function(f)
    side = check_side(side)
    d = f.dim
    if d > 2:
        raise ValueError("medial axes are sampled for functions of 1 or 2 variables")
    box = f.window(window)
    g = f if side == "upper" else f.reflected()
    m = (1024 if d == 1 else 48) if samples_per_axis is None else \
        check_count(samples_per_axis, "samples_per_axis", minimum=2)
    theta = mesh([np.linspace(lo, hi, m) for lo, hi in box])
    t_max = 20.0 * float(np.max(box[:, 1] - box[:, 0])) if max_radius is None else \
        check_positive(max_radius, "max_radius")
    t = max_ball_radius(g, theta, t_max=t_max)
    keep = np.isfinite(t)
    theta, t = theta[keep], t[keep]
    centre = normal_lift(g, theta, t)
    beyond = footpoint(g, normal_lift(g, theta, t * (1 + 1e-7) + 1e-12), on_failure="ignore")
    other = beyond.theta.reshape(theta.shape)
    # polish: the second footpoint of the centre itself, by Newton from the one just beyond
    other = polish(g, other, centre[:, :d], centre[:, d]).theta
    # a second footpoint within reach of the first one means an osculating (focal) ball
    focal = np.linalg.norm(other - theta, axis=1) < 1e-3 * (1 + np.abs(theta).max(axis=1))
    other[focal] = theta[focal]
    pairs = np.stack([theta, other], axis=1)
    if side == "lower":
        centre = centre.copy()
        centre[:, -1] = -centre[:, -1]
    branches = _branches_1d(centre, t, pairs) if d == 1 else []
    return MedialAxis(side, centre, t, pairs, branches, box)


def _branches_1d(centre, radius, pairs):
    """Keep each axis point once (from its left footpoint) and link neighbours into polylines."""
    first, second = pairs[:, 0, 0], pairs[:, 1, 0]
    once = first <= second + 1e-12
    centre, radius, feet = centre[once], radius[once], np.sort(pairs[once, :, 0], axis=1)
    if centre.shape[0] == 0:
        return []
    order = np.argsort(feet[:, 0], kind="stable")
    centre, radius, feet = centre[order], radius[order], feet[order]
    # along a branch both footpoints move continuously: a jump in either starts a new one
    step = np.median(np.diff(feet[:, 0])) if feet.shape[0] > 1 else 0.0
    jump1 = np.abs(np.diff(feet[:, 0]))
    jump2 = np.abs(np.diff(feet[:, 1]))
    typical = np.median(jump2) if jump2.size else 0.0
    breaks = np.flatnonzero((jump1 > 1.5 * step + 1e-12) | (jump2 > max(10 * typical, 5 * step)))
    branches = []
    for part in np.split(np.arange(centre.shape[0]), breaks + 1):
        c = centre[part]
        arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(c, axis=0), axis=1))])
        branches.append(MedialBranch(c, radius[part], feet[part], arc))
    return branches
