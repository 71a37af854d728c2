"""Principal curvatures of the graph of a loss, their supremum, and the local critical radius.

Notation of ``MATH.md``: ``g = ∇f(θ)``, ``H = ∇²f(θ)``, ``s = sqrt(1 + |g|²)``. The principal
curvatures of the graph ``Γ`` (positive where ``Γ`` bends *up*, toward a ball resting on it
from above) are the eigenvalues ``κ`` of the generalised symmetric problem

    H v = κ s (I + g gᵀ) v.

With ``A = (I + g gᵀ)^{-1/2} = I − g gᵀ / (s (s + 1))`` (``= I − (1 − 1/s) ĝ ĝᵀ``, exact,
no division by ``|g|``) they are the ordinary eigenvalues of ``A H A / s``; in one
dimension ``κ = f'' / (1 + f'²)^{3/2}``.

Three entry points:

* :func:`principal_curvatures` -- batched, vectorised, for a :class:`~offsetgeo.Function`.
* :func:`max_curvature` -- the global ``sup_θ κ_max(θ)`` over a window (``d ≤ 3``):
  grid sampling, then refinement of the best grid maxima by a shrinking-stencil pattern
  search. ``1 / value`` is the upper (or lower) reach, i.e. the critical radius.
* :func:`local_critical_radius` -- ``1 / κ_max`` at one point for objectives known only
  through gradients or Hessian-vector products (any ``d``; Lanczos or power iteration).
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import eigh_tridiagonal

from .function import Function, as_points
from .projection import NonConvergenceWarning, ResolutionWarning

__all__ = ["principal_curvatures", "max_curvature", "CurvatureExtremum", "curvature_test",
           "local_critical_radius", "LocalRadius", "ResolutionWarning", "DEFAULT_RESOLUTION"]

#: default grid samples per unit length, by dimension (``max_curvature``)
DEFAULT_RESOLUTION = {1: 2048.0, 2: 48.0, 3: 12.0}
_MIN_POINTS = {1: 2049, 2: 257, 3: 41}          # per axis, whatever the window
_MAX_SAMPLES = {1: 2**22, 2: 2**21, 3: 2**21}   # grid size cap
# a curvature peak of height κ has width ~ 1/κ (e.g. a parabola's): the grid is refined
# until its spacing h satisfies h κ_grid ≤ 1 / _PER_RADIUS
_PER_RADIUS = {1: 4.0, 2: 2.0, 3: 1.0}
_CHUNK = 2**16
_SIDES = ("upper", "lower")


# --------------------------------------------------------------------------------------
# principal curvatures


def _curvatures_from_derivatives(g: np.ndarray, H: np.ndarray) -> np.ndarray:
    """Principal curvatures (n, d), descending, from gradients (n, d) and Hessians (n, d, d)."""
    n, d = g.shape
    g2 = np.einsum("ni,ni->n", g, g)
    s = np.sqrt(1.0 + g2)
    if d == 1:
        return (H[:, 0, 0] / (s * s * s))[:, None]
    c = 1.0 / (s * (s + 1.0))                   # A = I − c g gᵀ
    Hg = np.einsum("nij,nj->ni", H, g)
    gHg = np.einsum("ni,ni->n", g, Hg)
    # A H A = H − c (g (Hg)ᵀ + (Hg) gᵀ) + c² (gᵀHg) g gᵀ
    M = (H - c[:, None, None] * (g[:, :, None] * Hg[:, None, :] + Hg[:, :, None] * g[:, None, :])
         + (c * c * gHg)[:, None, None] * (g[:, :, None] * g[:, None, :]))
    M /= s[:, None, None]
    if d == 2:
        a, b, e = M[:, 0, 0], 0.5 * (M[:, 0, 1] + M[:, 1, 0]), M[:, 1, 1]
        m = 0.5 * (a + e)
        r = np.hypot(0.5 * (a - e), b)
        return np.column_stack([m + r, m - r])
    return np.linalg.eigvalsh(0.5 * (M + M.transpose(0, 2, 1)))[:, ::-1]


def _raise_not_finite(f: Function, points: np.ndarray, bad: np.ndarray, what: str):
    i = int(np.flatnonzero(bad)[0])
    where = ", ".join(f"{name}={val:.6g}" for name, val in zip(f.variables, points[i]))
    raise ValueError(f"the curvature of {f} is not finite {what} at {where} (NaN/inf in the value, "
                     "gradient or Hessian); declare a domain= on which f is defined, or a window= "
                     "inside it")


def _curvatures(f: Function, points: np.ndarray, what: str) -> np.ndarray:
    out = np.empty(points.shape)
    for start in range(0, points.shape[0], _CHUNK):
        chunk = points[start:start + _CHUNK]
        with np.errstate(all="ignore"):
            _, g, H = f.evaluate(chunk, 2)
            k = _curvatures_from_derivatives(g, H)
        bad = ~np.all(np.isfinite(k), axis=1)
        if np.any(bad):
            _raise_not_finite(f, chunk, bad, what)
        out[start:start + _CHUNK] = k
    return out


def _check_function(f):
    if not isinstance(f, Function):
        raise TypeError(f"expected an offsetgeo.Function, got {type(f).__name__}; "
                        "for objectives known only by gradients use local_critical_radius")


def principal_curvatures(f: Function, thetas) -> np.ndarray:
    """Principal curvatures of the graph of ``f`` at each ``θ``, sorted descending.

    ``κ`` solves ``H v = κ sqrt(1 + |g|²) (I + g gᵀ) v``; positive where the graph bends up
    toward a ball resting on it from above. In 1-D ``κ = f'' / (1 + f'²)^{3/2}``.

    Parameters
    ----------
    f : Function
    thetas : array_like
        Points, shape (n, d), or (n,) for ``d = 1``, or one point.

    Returns
    -------
    ndarray (n, d)
        ``κ_1 ≥ … ≥ κ_d`` per point (``n = 1`` for a single point).

    Raises
    ------
    ValueError
        If ``f`` or its derivatives are not finite at a point (the message names it).

    Examples
    --------
    >>> from offsetgeo import Function
    >>> principal_curvatures(Function("x**2 - 3*y**2"), [0.0, 0.0]).tolist()
    [[2.0, -6.0]]
    >>> round(float(principal_curvatures(Function("x**2"), [1.0])[0, 0]), 12)  # 2 / 5**1.5
    0.1788854382
    """
    _check_function(f)
    points, _ = as_points(thetas, f.dim)
    return _curvatures(f, points, "at the given points")


def curvature_test(f: Function, thetas, rho, side: str = "upper") -> np.ndarray:
    """The local reachability test of MATH.md: every principal curvature bending toward the
    ball is ``≤ 1/ρ``.

    ``True`` where ``κ_max(θ) ≤ 1/ρ`` (side ``"upper"``; ``−κ_min ≤ 1/ρ`` for ``"lower"``).
    It is a *necessary* condition: ``False`` proves ``p(θ)`` is not ρ-reachable, ``True``
    does not prove it is (a distant part of the graph can still block the ball).

    Examples
    --------
    >>> from offsetgeo import Function
    >>> curvature_test(Function("sin(x)"), [0.0, -1.5707963], rho=1.5).tolist()
    [True, False]
    """
    _check_function(f)
    rho = _positive(rho, "rho", allow_inf=True)
    side = _check_side(side)
    k = principal_curvatures(f, thetas)
    toward = k[:, 0] if side == "upper" else -k[:, -1]
    return toward * rho <= 1.0 if np.isfinite(rho) else toward <= 0.0


def _positive(value, what, allow_inf=False) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a positive number, got {value!r}") from None
    if math.isnan(out) or out <= 0 or (math.isinf(out) and not allow_inf):
        raise ValueError(f"{what} must be a positive {'' if allow_inf else 'finite '}number, "
                         f"got {value!r}")
    return out


def _check_side(side):
    if side not in _SIDES:
        raise ValueError(f"side must be 'upper' or 'lower', got {side!r}")
    return side


# --------------------------------------------------------------------------------------
# the supremum of curvature over a window


@dataclass(frozen=True)
class CurvatureExtremum:
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
    evaluations : int
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
    evaluations: int = 0

    @property
    def radius(self) -> float:
        """``1 / value``: the upper (lower) reach over the window; ``inf`` if ``value == 0``."""
        return math.inf if self.value <= 0 else 1.0 / self.value


def _parse_window(f: Function, window):
    from .reachability import resolve_window

    d = f.dim
    period = f.period or (None,) * d
    box = resolve_window(f, window, require_bounded=False)
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
        k = _curvatures(self.f, points, what)
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
    is_max = np.ones(values.shape, dtype=bool)
    bonus = np.zeros(values.shape)
    for ax in range(d):
        if wrap[ax]:
            left, right = np.roll(values, 1, ax), np.roll(values, -1, ax)
        else:
            pad = [(0, 0)] * d
            pad[ax] = (1, 1)
            padded = np.pad(values, pad, constant_values=-np.inf)
            n = values.shape[ax]
            left = np.take(padded, np.arange(0, n), axis=ax)
            right = np.take(padded, np.arange(2, n + 2), axis=ax)
        is_max &= (values >= left) & (values >= right)
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


def max_curvature(f: Function, side: str = "upper", *, window=None, resolution=None,
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
    f : Function
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
    CurvatureExtremum

    Raises
    ------
    ValueError
        For a bad side, window or resolution, ``d > 3``, or where ``f`` is not finite.

    Warns
    -----
    ResolutionWarning
        If the grid needed to resolve the sharpest peak exceeds the sample cap.

    Examples
    --------
    >>> from offsetgeo import Function
    >>> r = max_curvature(Function("2*sin(3*x)", period="2*pi/3"))
    >>> round(r.value, 12), round(r.witness, 9)      # A ω² = 18 at a trough, x = π/2
    (18.0, 1.570796327)
    >>> max_curvature(Function("-x**2")).value          # concave: the upper reach is infinite
    0.0
    """
    _check_function(f)
    side = _check_side(side)
    d = f.dim
    if d > 3:
        raise ValueError(f"max_curvature searches a grid and is for d ≤ 3 (got d = {d}); for "
                         "high-dimensional losses use local_critical_radius at chosen points")
    explicit = resolution is not None
    res = _positive(resolution, "resolution") if explicit else DEFAULT_RESOLUTION[d]
    try:
        candidates = int(candidates)
    except (TypeError, ValueError):
        raise ValueError(f"candidates must be a positive integer, got {candidates!r}") from None
    if candidates < 1:
        raise ValueError(f"candidates must be >= 1, got {candidates}")
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
            res *= (_MAX_SAMPLES[d] / total) ** (1.0 / d) * 0.999
            counts = _grid_counts(box, res, d)
            total = math.prod(counts)
        axes = _grid_axes(box, wrap, counts)
        mesh = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, d)
        values = objective(mesh, "on the sampling grid").reshape(counts)
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
                      f"≤ {1 / (_PER_RADIUS[d] * kmax):.3g}, but the sample cap allows only "
                      f"{spacing.max():.3g} on this window; narrower peaks may be missed. "
                      "Shrink the window.", ResolutionWarning, stacklevel=2)

    picked = _grid_candidates(values, wrap, candidates)
    X = mesh[picked].copy()
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
                             resolved=resolved, grid_points=total, evaluations=objective.count)


# --------------------------------------------------------------------------------------
# local critical radius from Hessian-vector products


@dataclass(frozen=True)
class LocalRadius:
    """The local critical radius ``1 / κ_max`` at one point.

    Attributes
    ----------
    value : float
        ``1 / lambda_max``; ``inf`` if ``lambda_max ≤ 0``.
    lambda_max : float
        The largest eigenvalue of the operator solved: for ``metric="graph"`` the largest
        principal curvature ``κ_max`` (``H v = κ s (I + g gᵀ) v``), which equals
        ``λ_max(∇²f)`` when ``g = 0``; for ``metric="euclidean"``, ``λ_max(∇²f)``.
    iterations : int
        Lanczos steps / power iterations.
    hvp_evaluations : int
        Hessian-vector products used (each costs 2 gradient evaluations when built by
        finite differences).
    gradient_evaluations : int
        Gradient evaluations in all (finite-difference HVPs and the gradient at θ).
    converged : bool
        The relative residual met ``tol``.
    residual : float
        ``‖M y − λ y‖ / ‖M‖`` for the returned eigenpair (Lanczos: the standard estimate
        ``β_k |e_kᵀ s|``; ``‖M‖`` estimated by the largest Ritz value in magnitude).
    gradient_norm : float
        ``|∇f(θ)|`` (NaN if no gradient was available).
    method, metric : str
    direction : ndarray
        The unit eigenvector, in the shape of ``theta``.
    """

    value: float
    lambda_max: float
    iterations: int
    hvp_evaluations: int
    gradient_evaluations: int
    converged: bool
    residual: float
    gradient_norm: float
    method: str
    metric: str
    direction: np.ndarray = field(repr=False)


def _lanczos(op, n, v0, tol, max_iter):
    """Largest eigenpair of a symmetric operator by Lanczos with full reorthogonalisation."""
    k_max = min(max_iter, n)
    V = np.empty((k_max, n))
    alpha, beta = [], []
    q = v0 / np.linalg.norm(v0)
    theta, svec, res, scale, converged = 0.0, np.ones(1), np.inf, 0.0, False
    j = 0
    for j in range(k_max):
        V[j] = q
        w = op(q, j)
        a = float(q @ w)
        w -= a * q
        if j > 0:
            w -= beta[-1] * V[j - 1]
        for _ in range(2):                      # full reorthogonalisation, twice is enough
            w -= V[:j + 1].T @ (V[:j + 1] @ w)
        b = float(np.linalg.norm(w))
        alpha.append(a)
        if j == 0:
            ritz, S = np.array([a]), np.ones((1, 1))
        else:
            ritz, S = eigh_tridiagonal(np.array(alpha), np.array(beta))
        theta, svec = float(ritz[-1]), S[:, -1]
        scale = max(abs(ritz[0]), abs(ritz[-1]), np.finfo(float).tiny)
        res = b * abs(svec[-1]) / scale
        if res <= tol or b <= 1e3 * np.finfo(float).eps * scale:
            converged = True
            break
        beta.append(b)
        q = w / b
    y = V[:j + 1].T @ svec
    return theta, y / np.linalg.norm(y), j + 1, converged, float(res)


def _power(op, n, v0, tol, max_iter, rng):
    """Largest (algebraic) eigenpair by power iteration, shifting if the dominant one is < 0."""
    def run(shift, q, budget, start):
        q = q / np.linalg.norm(q)
        lam, res = 0.0, np.inf
        for it in range(budget):
            w = op(q, start + it) - shift * q
            lam = float(q @ w)
            r = w - lam * q
            res = float(np.linalg.norm(r)) / max(abs(lam), abs(shift), np.finfo(float).tiny)
            nw = float(np.linalg.norm(w))
            if res <= tol or nw == 0.0:
                return lam + shift, q, it + 1, True, res
            q = w / nw
        return lam + shift, q, budget, False, res

    lam, q, its, conv, res = run(0.0, v0, max_iter, 0)
    if lam < 0:  # the dominant eigenvalue is negative: λ_max − λ_dom is the top of M − λ_dom I
        lam2, q2, its2, conv, res = run(lam, rng.standard_normal(n), max_iter, its)
        return lam2, q2 / np.linalg.norm(q2), its + its2, conv, res
    return lam, q / np.linalg.norm(q), its, conv, res


def _arpack(op, n, v0, tol, max_iter):
    from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh
    counter = [0]

    def matvec(v):
        counter[0] += 1
        return op(np.asarray(v, dtype=float).reshape(n), counter[0])

    lin = LinearOperator((n, n), matvec=matvec, dtype=float)
    try:
        vals, vecs = eigsh(lin, k=1, which="LA", tol=tol, maxiter=max_iter, v0=v0,
                           ncv=min(n - 1, 20))
        converged = True
    except ArpackNoConvergence as err:
        vals, vecs = err.eigenvalues, err.eigenvectors
        converged = False
        if vals.size == 0:
            return math.nan, v0 / np.linalg.norm(v0), counter[0], False, math.inf
    lam, y = float(vals[-1]), vecs[:, -1] / np.linalg.norm(vecs[:, -1])
    res = float(np.linalg.norm(matvec(y) - lam * y)) / max(abs(lam), np.finfo(float).tiny)
    return lam, y, counter[0], converged, res


def local_critical_radius(grad=None, theta=None, *, hvp=None, value_and_grad=None,
                          gradient=None, metric: str = "graph", method: str = "lanczos",
                          tol: float = 1e-6, max_iter: int = 100, fd_step=None,
                          rng=None) -> LocalRadius:
    """The local critical radius ``1 / κ_max`` at ``θ`` from Hessian-vector products.

    ``κ_max`` is the largest eigenvalue of ``M = A H A / s`` with ``s = sqrt(1 + |g|²)``,
    ``A = I − g gᵀ / (s (s + 1))`` (``= (I + g gᵀ)^{-1/2}``, a rank-one update): the largest
    principal curvature of the graph at ``θ`` (MATH.md). ``M v`` needs one HVP, so any
    ``d`` works. At a stationary point ``g = 0`` and ``κ_max = λ_max(∇²f)``, the sharpness.

    Parameters
    ----------
    grad : callable or Function, optional
        ``grad(theta) -> array`` like ``theta``. Without ``hvp``, HVPs are central
        differences ``(∇f(θ + h v) − ∇f(θ − h v)) / (2h)`` with
        ``h = fd_step / max|v|``, ``fd_step = eps^{1/3} max(1, max|θ|)`` by default (two
        gradient evaluations each). A :class:`~offsetgeo.Function` uses its exact Hessian.
    theta : array_like
        The point (any shape; flattened internally, float64).
    hvp : callable, optional
        ``hvp(theta, v) -> H v`` (exact products).
    value_and_grad : callable, optional
        ``(f(θ), ∇f(θ))``; used as ``grad`` when ``grad`` is not given.
    gradient : array_like, optional
        ``∇f(θ)`` if already known (saves one evaluation).
    metric : {"graph", "euclidean"}
        ``"graph"``: principal curvature (needs ``g``); ``"euclidean"``: ``λ_max(∇²f)``.
    method : {"lanczos", "power", "arpack"}
        Lanczos with full reorthogonalisation (memory ``max_iter·d`` floats), power
        iteration (shifted by the dominant eigenvalue if that is negative), or
        ``scipy.sparse.linalg.eigsh(which="LA")`` on a LinearOperator.
    tol : float
        Relative residual ``‖M y − λ y‖ / ‖M‖`` to stop at; the eigenvalue error is
        ``≲ tol·‖M‖`` and usually ``≈ (tol ‖M‖)² / gap``.
    max_iter : int
        Lanczos steps / power iterations per phase / ARPACK restarts.
    fd_step : float, optional
        Largest component of the finite-difference perturbation.
    rng : None, int or Generator
        Seeds the random start vector.

    Returns
    -------
    LocalRadius
        Not converging is reported (``converged=False``) with a
        :class:`~offsetgeo.NonConvergenceWarning`, not raised.

    Raises
    ------
    ValueError
        Bad arguments, or a gradient / HVP that is not finite (the message says where).

    Examples
    --------
    >>> import numpy as np
    >>> D = np.array([3.0, 1.0, -5.0])
    >>> r = local_critical_radius(lambda t: D * t, np.zeros(3), rng=0)
    >>> round(r.lambda_max, 8), round(r.value, 8), r.converged
    (3.0, 0.33333333, True)
    """
    if theta is None:
        raise ValueError("theta (the point) is required")
    if metric not in ("graph", "euclidean"):
        raise ValueError(f"metric must be 'graph' or 'euclidean', got {metric!r}")
    if method not in ("lanczos", "power", "arpack"):
        raise ValueError(f"method must be 'lanczos', 'power' or 'arpack', got {method!r}")
    tol = float(tol)
    if not (0.0 < tol < 1.0):
        raise ValueError(f"tol must be in (0, 1), got {tol}")
    if int(max_iter) != max_iter or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    max_iter = int(max_iter)

    if isinstance(grad, Function):
        f = grad
        shape0 = np.shape(theta)
        point = np.asarray(theta, dtype=np.float64).reshape(1, f.dim)
        _, g_f, H_f = f.evaluate(point, 2)
        if not (np.all(np.isfinite(g_f)) and np.all(np.isfinite(H_f))):
            raise ValueError(f"the gradient or Hessian of {f} is not finite at theta={point[0].tolist()}")
        H_f = H_f[0]
        grad = lambda t: f.evaluate(np.asarray(t, float).reshape(1, f.dim), 1)[1].reshape(shape0)  # noqa: E731
        if hvp is None:
            hvp = lambda t, v: (H_f @ np.asarray(v).reshape(-1)).reshape(shape0)  # noqa: E731
        if gradient is None:
            gradient = g_f[0].reshape(shape0)
    for name, fn in (("grad", grad), ("hvp", hvp), ("value_and_grad", value_and_grad)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be callable, got {type(fn).__name__}")
    if grad is None and value_and_grad is not None:
        grad = lambda t: value_and_grad(t)[1]  # noqa: E731
    if hvp is None and grad is None:
        raise ValueError("give hvp=(theta, v) -> H v, or grad (or value_and_grad) to build "
                         "Hessian-vector products by finite differences")

    theta_arr = np.array(theta, dtype=np.float64)
    shape = theta_arr.shape
    n = theta_arr.size
    if n == 0:
        raise ValueError("theta is empty")
    if not np.all(np.isfinite(theta_arr)):
        i = int(np.flatnonzero(~np.isfinite(theta_arr.reshape(-1)))[0])
        raise ValueError(f"theta is not finite at index {i}")
    flat = theta_arr.reshape(-1)
    counts = {"grad": 0, "hvp": 0}

    def call_grad(t, what):
        counts["grad"] += 1
        out = np.asarray(grad(t.reshape(shape)), dtype=np.float64).reshape(-1)
        if out.size != n:
            raise ValueError(f"grad returned {out.size} numbers for a theta of {n}")
        if not np.all(np.isfinite(out)):
            i = int(np.flatnonzero(~np.isfinite(out))[0])
            raise ValueError(f"the gradient is not finite {what} (component {i})")
        return out

    g = None
    if gradient is not None:
        g = np.asarray(gradient, dtype=np.float64).reshape(-1)
        if g.size != n or not np.all(np.isfinite(g)):
            raise ValueError(f"gradient must be {n} finite numbers like theta")
    elif grad is not None:
        g = call_grad(flat, "at theta")
    if metric == "graph" and g is None:
        raise ValueError("metric='graph' needs the gradient at theta: pass grad=, value_and_grad= "
                         "or gradient=, or use metric='euclidean' for λ_max(∇²f) alone")
    gnorm = float(np.linalg.norm(g)) if g is not None else math.nan

    if hvp is not None:
        def hess_vec(v, it):
            counts["hvp"] += 1
            out = np.asarray(hvp(flat.reshape(shape).copy(), v.reshape(shape)),
                             dtype=np.float64).reshape(-1)
            if out.size != n:
                raise ValueError(f"hvp returned {out.size} numbers for a theta of {n}")
            if not np.all(np.isfinite(out)):
                raise ValueError(f"the Hessian-vector product is not finite at iteration {it}")
            return out
    else:
        base = float(fd_step) if fd_step is not None else \
            np.cbrt(np.finfo(float).eps) * max(1.0, float(np.abs(flat).max()))
        if not (base > 0 and np.isfinite(base)):
            raise ValueError(f"fd_step must be a positive number, got {fd_step!r}")

        def hess_vec(v, it):
            counts["hvp"] += 1
            vmax = float(np.abs(v).max())
            if vmax == 0.0:
                return np.zeros(n)
            h = base / vmax
            gp = call_grad(flat + h * v, f"at the finite-difference point θ + h v, iteration {it}")
            gm = call_grad(flat - h * v, f"at the finite-difference point θ − h v, iteration {it}")
            return (gp - gm) / (2.0 * h)

    if metric == "graph" and gnorm > 0.0:
        s = math.sqrt(1.0 + gnorm * gnorm)
        c = 1.0 / (s * (s + 1.0))

        def op(v, it):
            av = v - (c * (g @ v)) * g
            hav = hess_vec(av, it)
            return (hav - (c * (g @ hav)) * g) / s
    else:
        op = hess_vec

    gen = np.random.default_rng(rng)
    v0 = gen.standard_normal(n)
    if method == "lanczos":
        lam, y, its, conv, res = _lanczos(op, n, v0, tol, max_iter)
    elif method == "power":
        lam, y, its, conv, res = _power(op, n, v0, tol, max_iter, gen)
    else:
        if n < 3:
            lam, y, its, conv, res = _lanczos(op, n, v0, tol, max_iter)
        else:
            lam, y, its, conv, res = _arpack(op, n, v0, tol, max_iter)
    if not conv:
        warnings.warn(f"local_critical_radius ({method}) did not converge in {its} iterations: "
                      f"relative residual {res:.3g} > tol {tol:g}; lambda_max = {lam:.6g} is an "
                      "estimate (Lanczos/ARPACK: a lower bound). Raise max_iter.",
                      NonConvergenceWarning, stacklevel=2)
    return LocalRadius(value=math.inf if not lam > 0 else 1.0 / lam, lambda_max=float(lam),
                       iterations=int(its), hvp_evaluations=counts["hvp"],
                       gradient_evaluations=counts["grad"], converged=bool(conv),
                       residual=float(res), gradient_norm=gnorm, method=method, metric=metric,
                       direction=y.reshape(shape))
