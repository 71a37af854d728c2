"""Principal curvatures of the graph of a loss, their supremum, and the local critical radius.

Notation of ``docs/math.md``: ``g = ∇f(θ)``, ``H = ∇²f(θ)``, ``s = sqrt(1 + |g|²)``. The principal
curvatures of the graph ``Γ`` (positive where ``Γ`` bends *up*, toward a ball resting on it
from above) are the eigenvalues ``κ`` of the generalised symmetric problem

    H v = κ s (I + g gᵀ) v.

With ``A = (I + g gᵀ)^{-1/2} = I − g gᵀ / (s (s + 1))`` (``= I − (1 − 1/s) ĝ ĝᵀ``, exact,
no division by ``|g|``) they are the ordinary eigenvalues of ``A H A / s``; in one
dimension ``κ = f'' / (1 + f'²)^{3/2}``.

:func:`max_curvature` is the global ``sup_θ κ_max(θ)`` over a window (``d ≤ 3``): grid
sampling, then refinement of the best grid maxima by a shrinking-stencil pattern search.
``1 / value`` is the upper (or lower) reach, i.e. the critical radius. Principal curvatures
at points are :func:`offsetgeo.principal_curvatures`; at one point of a high-dimensional
objective, :func:`offsetgeo.local_critical_radius`.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass

import numpy as np

from ._deprecation import deprecated_property
from ._function import Function, as_function
from ._graph import curvatures
from ._numerics import grid_local_extrema, mesh
from ._results import Result
from ._validation import check_count, check_positive, check_side
from .exceptions import ResolutionWarning

__all__ = ["max_curvature", "CurvatureExtremum", "DEFAULT_RESOLUTION"]

#: default grid samples per unit length, by dimension (``max_curvature``)
DEFAULT_RESOLUTION = {1: 2048.0, 2: 48.0, 3: 12.0}
_MIN_POINTS = {1: 2049, 2: 257, 3: 41}          # per axis, whatever the window
_MAX_SAMPLES = {1: 2**22, 2: 2**21, 3: 2**21}   # grid size cap
# a curvature peak of height κ has width ~ 1/κ (e.g. a parabola's): the grid is refined
# until its spacing h satisfies h κ_grid ≤ 1 / _PER_RADIUS
_PER_RADIUS = {1: 4.0, 2: 2.0, 3: 1.0}


@dataclass(frozen=True)
class CurvatureExtremum(Result):
    """The supremum over a window of the curvature bending toward a ball on one side.

    Attributes
    ----------
    value : float
        ``max(0, sup_θ κ_max(θ))`` for side ``"upper"``; ``max(0, sup_θ (−κ_min(θ)))`` for
        ``"lower"``. ``1 / value`` is the upper / lower reach (``inf`` when ``value == 0``).
    witness : float (d = 1) or ndarray (d,)
        Where the supremum is attained (wrapped into the window for periodic variables).
    side : str
    window : ndarray (d, 2)
        The window searched (one period for periodic variables).
    on_boundary : bool
        The supremum is attained on the edge of a non-periodic window: the true supremum
        over the whole function may lie outside it.
    sup : float
        The unclipped supremum (negative e.g. for a strictly concave ``f`` and side upper).
    resolved : bool
        False if the grid could not be refined to resolve the sharpest peak found
        (a :class:`ResolutionWarning` was issued): a narrower peak may have been missed.
    grid_points : int
        Samples of the final global grid.
    evals : int
        Points at which the curvature was evaluated in all.
    """

    value: float
    witness: float | np.ndarray
    side: str
    window: np.ndarray
    on_boundary: bool
    sup: float
    resolved: bool = True
    grid_points: int = 0
    evals: int = 0

    evaluations = deprecated_property("evals", "evaluations")

    @property
    def radius(self) -> float:
        """``1 / value``: the upper (lower) reach over the window; ``inf`` if ``value == 0``."""
        return math.inf if self.value <= 0 else 1.0 / self.value


def _parse_window(f: Function, window):
    d = f.dim
    period = f.period or (None,) * d
    box = f.window(window, require_bounded=False)
    wrap = np.zeros(d, dtype=bool)
    for i, p in enumerate(period):
        if p is not None and box[i, 1] - box[i, 0] >= p * (1 - 1e-12):
            wrap[i] = True
            box[i, 1] = box[i, 0] + p
    if f.domain is not None:
        for i in range(d):
            lo, hi = f.domain[i]
            tol = 1e-12 * max(1.0, abs(lo), abs(hi))
            if not wrap[i] and (box[i, 0] < lo - tol or box[i, 1] > hi + tol):
                raise ValueError(f"window {box[i].tolist()} for {f.variables[i]} leaves the domain "
                                 f"{f.domain[i].tolist()} of {f}")
    return box, wrap


class _Objective:
    """κ bending toward the ball (side-adjusted largest principal curvature) at points."""

    def __init__(self, f, side, box, wrap):
        self.f, self.side, self.box, self.wrap = f, side, box, wrap
        self.period = box[:, 1] - box[:, 0]
        self.count = 0

    def canonical(self, points):
        """Wrap periodic coordinates into the window, clip the others to it."""
        out = np.array(points, dtype=np.float64, copy=True)
        lo, hi = self.box[:, 0], self.box[:, 1]
        for i in range(out.shape[1]):
            if self.wrap[i]:
                out[:, i] = lo[i] + np.mod(out[:, i] - lo[i], self.period[i])
            else:
                np.clip(out[:, i], lo[i], hi[i], out=out[:, i])
        return out

    def __call__(self, points, what="inside the window"):
        points = self.canonical(points)
        self.count += points.shape[0]
        k = curvatures(self.f, points, what)
        return k[:, 0] if self.side == "upper" else -k[:, -1]


def _grid_counts(box, resolution, dim):
    return [max(_MIN_POINTS[dim], int(min(math.ceil((hi - lo) * resolution), 2**62)) + 1)
            for lo, hi in box]


def _grid_axes(box, wrap, counts):
    return [lo + (hi - lo) * np.arange(n) / n if w else np.linspace(lo, hi, n)
            for (lo, hi), w, n in zip(box, wrap, counts)]


def _grid_candidates(values, wrap, how_many):
    """Flat indices of the discrete local maxima with the best parabola-interpolated peaks."""
    d = values.ndim
    is_max = grid_local_extrema(values, kind="max", wrap=wrap)
    bonus = np.zeros(values.shape)
    for ax in range(d):
        if wrap[ax]:
            left, right = np.roll(values, 1, ax), np.roll(values, -1, ax)
        else:   # no neighbour beyond a face: no parabola there (the bonus comes out 0)
            pad = [(0, 0)] * d
            pad[ax] = (1, 1)
            padded = np.pad(values, pad, constant_values=-np.inf)
            n = values.shape[ax]
            left = np.take(padded, np.arange(0, n), axis=ax)
            right = np.take(padded, np.arange(2, n + 2), axis=ax)
        with np.errstate(all="ignore"):
            curv = 2 * values - left - right
            inc = (left - right) ** 2 / (8 * curv)
        bonus += np.where(np.isfinite(inc) & (curv > 0), inc, 0.0)
    flat = np.flatnonzero(is_max)
    if flat.size == 0:
        flat = np.array([int(np.argmax(values))])
    estimate = (values + bonus).reshape(-1)[flat]
    order = np.argsort(-estimate, kind="stable")[:how_many]
    picked = flat[order]
    best = int(np.argmax(values))
    if best not in picked:
        picked = np.append(picked, best)
    return picked


def _refine(objective: _Objective, X, values, step, xtol, max_rounds=400):
    """Shrinking-stencil pattern search from every row of X at once (maximisation).

    Each round samples a (5^d)-point stencil ``X + h k`` (``k ∈ {-2..2}^d``) per candidate;
    a candidate moves to its best stencil point if that beats it by more than rounding,
    and halves ``h`` when the best point is within one step (a local maximum is then
    bracketed in 1-D). It stops when ``h ≤ xtol``. Robust to the kinks of ``κ_max`` where
    two principal curvatures cross, and vectorised over candidates.
    """
    m, d = X.shape
    offsets = np.array(list(itertools.product(range(-2, 3), repeat=d)), dtype=float)
    h = np.tile(step, (m, 1)).astype(float)
    active = np.ones(m, dtype=bool)
    for _ in range(max_rounds):
        active &= np.any(h > xtol, axis=1)
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        P = X[idx, None, :] + offsets[None, :, :] * h[idx, None, :]
        P = objective.canonical(P.reshape(-1, d)).reshape(idx.size, offsets.shape[0], d)
        vals = objective(P.reshape(-1, d), "while refining a maximum").reshape(idx.size, -1)
        j = np.argmax(vals, axis=1)
        best = vals[np.arange(idx.size), j]
        move = best > values[idx] + 4 * np.finfo(float).eps * np.abs(values[idx])
        far = np.any(np.abs(offsets[j]) > 1, axis=1)
        X[idx[move]] = P[np.arange(idx.size)[move], j[move]]
        values[idx[move]] = best[move]
        shrink = ~(move & far)
        h[idx[shrink]] *= 0.5
    return X, values


def max_curvature(f, side: str = "upper", *, window=None, resolution=None,
                  candidates: int = 16) -> CurvatureExtremum:
    """Global supremum of the curvature of the graph bending toward a ball on one side.

    ``value = max(0, sup_{θ ∈ window} κ_max(θ))`` (side ``"upper"``) or
    ``max(0, sup (−κ_min))`` (``"lower"``); the upper reach (critical radius) is ``1/value``.

    Method: the side-adjusted curvature is sampled on a grid over the window, refined
    globally until the spacing ``h`` satisfies ``h·κ ≤ 1/4`` in 1-D (a curvature peak of
    height ``κ`` is ~``1/κ`` wide; ``1/2`` in 2-D, ``1`` in 3-D, within a sample cap);
    the ``candidates`` discrete local maxima with the best parabola-interpolated peaks are
    then refined together by a shrinking-stencil pattern search to a step of ``1e-12``
    relative to the window, which locates a smooth maximum to ~1e-8 and so its value to
    ~1e-15 relative (also at kinks where principal curvatures cross).

    Parameters
    ----------
    f : Function or str
        ``d ≤ 3`` (for larger ``d``, use :func:`local_critical_radius` at chosen points).
    side : {"upper", "lower"}
    window : box, optional
        ``(lo, hi)`` or ``[(lo, hi), ...]``. Default ``f.sample_box``: the domain, one
        period for periodic variables, and otherwise ``[-5, 5]`` -- so for a non-periodic
        ``f`` without a domain, the default result is the supremum over ``[-5, 5]^d`` only.
        Periodic variables may be given ``(-inf, inf)`` (meaning one period); a window of a
        period or more is searched as one period, wrapping around.
    resolution : float, optional
        Initial grid samples per unit length (default :data:`DEFAULT_RESOLUTION`). Raise it
        for features narrower than the default grid resolves (high frequencies in ``f''``).
    candidates : int
        How many grid maxima to refine.

    Returns
    -------
    extremum : CurvatureExtremum

    Raises
    ------
    ValueError
        For a bad side, window or resolution, ``d > 3``, or where ``f`` is not finite.

    Warns
    -----
    ResolutionWarning
        If the grid needed to resolve the sharpest peak exceeds the sample cap.

    See Also
    --------
    reach : ``1 / value``, checked by an independent method.
    principal_curvatures : the curvatures at given points.

    Examples
    --------
    >>> r = max_curvature(Function("2*sin(3*x)", period="2*pi/3"))
    >>> round(r.value, 12), round(r.witness, 9)      # A ω² = 18 at a trough, x = π/2
    (18.0, 1.570796327)
    >>> max_curvature(Function("-x**2")).value          # concave: the upper reach is infinite
    0.0
    """
    f = as_function(f)
    side = check_side(side)
    d = f.dim
    if d > 3:
        raise ValueError(f"max_curvature searches a grid and is for d ≤ 3 (got d = {d}); for "
                         "high-dimensional losses use local_critical_radius at chosen points")
    explicit = resolution is not None
    res = check_positive(resolution, "resolution") if explicit else DEFAULT_RESOLUTION[d]
    candidates = check_count(candidates, "candidates")
    box, wrap = _parse_window(f, window)
    objective = _Objective(f, side, box, wrap)
    widths = box[:, 1] - box[:, 0]

    resolved, capped = True, False
    while True:
        counts = _grid_counts(box, res, d)
        total = math.prod(counts)
        if total > _MAX_SAMPLES[d]:
            if explicit:
                raise ValueError(f"resolution {res} needs {total} grid samples on the window "
                                 f"{box.tolist()} (limit {_MAX_SAMPLES[d]}); lower it or shrink "
                                 "the window")
            capped = True
            # from the widths, not from total (the counts are capped at 2**62 per axis)
            res = 0.9 * (_MAX_SAMPLES[d] / float(np.prod(widths))) ** (1.0 / d)
            counts = _grid_counts(box, res, d)
            total = math.prod(counts)
        axes = _grid_axes(box, wrap, counts)
        points = mesh(axes)
        values = objective(points, "on the sampling grid").reshape(counts)
        spacing = np.array([ax[1] - ax[0] for ax in axes])
        kmax = float(values.max())
        if kmax <= 0 or spacing.max() * kmax <= 1.0 / _PER_RADIUS[d]:
            break
        if capped:
            resolved = False
            break
        explicit = False  # the refinement is ours: cap it instead of raising
        res = max(1.5 * res, 1.05 * _PER_RADIUS[d] * kmax)
    if not resolved:
        warnings.warn(f"max_curvature: a curvature peak of {kmax:.6g} needs a grid spacing "
                      f"≤ {1 / (_PER_RADIUS[d] * kmax):.3g}, but the sample cap gives a spacing of "
                      f"{spacing.max():.3g} on this window; narrower peaks may be missed. "
                      "Shrink the window.", ResolutionWarning, stacklevel=2)

    picked = _grid_candidates(values, wrap, candidates)
    X = points[picked].copy()
    vals = values.reshape(-1)[picked].copy()
    xtol = 1e-12 * np.maximum(1.0, np.abs(box).max(axis=1))
    X, vals = _refine(objective, X, vals, spacing, xtol)
    best = int(np.argmax(vals))
    witness = objective.canonical(X[best:best + 1])[0]
    sup = float(vals[best])
    edge_tol = 1e-9 * widths
    on_boundary = bool(np.any(~wrap & ((np.abs(witness - box[:, 0]) <= edge_tol)
                                       | (np.abs(witness - box[:, 1]) <= edge_tol))))
    return CurvatureExtremum(value=max(sup, 0.0), witness=float(witness[0]) if d == 1 else witness,
                             side=side, window=box, on_boundary=on_boundary, sup=sup,
                             resolved=resolved, grid_points=total, evals=objective.count)

