"""The reach of a graph and the critical radius of a loss, by two independent methods.

(a) **curvature**: ``τ⁺ = 1 / sup_θ κ⁺_max(θ)`` (no bottleneck can occur for a graph),
    from :func:`offsetgeo.curvature.max_curvature`;
(b) **balls**: ``τ⁺ = sup{ρ : U_ρ = ∅} = inf_θ t*(θ)``, where ``t*(θ)`` is the radius of
    the largest free ball touching the graph at ``p(θ)``, found by bisection with global
    footpoint projections (:func:`offsetgeo.reachability.max_ball_radius`), minimised over
    a grid of θ and refined by golden-section (1-D) or compass (2-D) search.

Method (b) uses no curvature formula, so it checks (a) — and the argument that graphs
have no bottlenecks — numerically. A warning is raised when they disagree.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np
import scipy.optimize

from .curvature import max_curvature
from .offset import _coerce
from .reachability import max_ball_radius, reflected, resolve_window

__all__ = ["reach", "critical_radius", "Reach", "ReachDisagreementWarning"]


class ReachDisagreementWarning(RuntimeWarning):
    """The curvature method and the ball method gave different reaches."""


@dataclass(frozen=True)
class Reach:
    """The reach of the graph of a loss on a window.

    Attributes
    ----------
    value : float
        The reach (``inf`` when no finite radius is ever blocked).
    kind : str
        Which side attains it: ``"upper"`` (balls from above; this is the critical
        radius) or ``"lower"``.
    witness : float or ndarray
        Where it is attained: the θ with the largest curvature toward the ball.
    side : str
        What was asked for: ``"upper"``, ``"lower"`` or ``"both"``.
    curvature_value, balls_value : float
        Method (a) and method (b); ``nan`` for a method not run.
    agree : bool
        Whether the two agree to ``rtol``.
    relative_difference : float
    balls_witness : float or ndarray
        Where method (b) found its minimum.
    window : ndarray (d, 2)
    """

    value: float
    kind: str
    witness: object
    side: str
    curvature_value: float
    balls_value: float
    agree: bool
    relative_difference: float
    balls_witness: object
    window: np.ndarray

    def to_dict(self) -> dict:
        out = asdict(self)
        for key, val in out.items():
            if isinstance(val, np.ndarray):
                out[key] = val.tolist()
            elif isinstance(val, (np.floating, np.bool_)):
                out[key] = val.item()
        for key in ("value", "curvature_value", "balls_value", "relative_difference"):
            if not np.isfinite(out[key]):
                out[key] = str(out[key])
        return out


def _balls_minimum(f, box, resolution):
    """inf_θ t*(θ) over the box: grid, then golden-section / compass refinement."""
    d = f.dim
    m = int(resolution or (96 if d == 1 else 17))
    axes = [np.linspace(lo, hi, m) for lo, hi in box]
    mesh = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, d)
    # balls much larger than the window are not resolved: their radius counts as infinite
    t_max = 20.0 * float(np.max(box[:, 1] - box[:, 0]))
    t = max_ball_radius(f, mesh, t_max=t_max)
    if not np.any(np.isfinite(t)):
        return np.inf, mesh[0] if d > 1 else mesh[0, 0]
    step = (box[:, 1] - box[:, 0]) / (m - 1)
    grid_t = t.reshape((m,) * d)
    # grid local minima of t*, best first (at most two are refined)
    local = np.ones_like(grid_t, dtype=bool)
    for axis in range(d):
        for shift in (1, -1):
            neighbour = np.roll(grid_t, shift, axis=axis)
            local &= grid_t <= neighbour
    candidates = np.flatnonzero(local.reshape(-1))
    candidates = candidates[np.argsort(t[candidates])][:2]
    if candidates.size == 0:
        candidates = np.array([int(np.argmin(t))])
    # a grid minimum far above the best one cannot hold the infimum (t* varies by O(step))
    candidates = candidates[t[candidates] <= 1.1 * t[candidates[0]]]
    best_val, best_at = np.inf, None
    for k in candidates:
        centre = mesh[k].copy()
        if d == 1:
            lo = max(centre[0] - step[0], box[0, 0])
            hi = min(centre[0] + step[0], box[0, 1])
            sol = scipy.optimize.minimize_scalar(
                lambda x: max_ball_radius(f, np.array([[x]]), t_max=t_max)[0], bounds=(lo, hi),
                method="bounded", options={"xatol": 1e-5 * max(1.0, abs(centre[0]))})
            val, at = float(sol.fun), np.array([sol.x])
        else:
            val, at = _compass(lambda pts: max_ball_radius(f, pts, t_max=t_max), centre, t[k],
                               step.copy(), box, xtol=1e-5)
        if val < best_val:
            best_val, best_at = val, at
    return best_val, (best_at[0] if d == 1 else best_at)


def _compass(func, centre, value, step, box, xtol=1e-7):
    """Compass search for a minimum of ``func`` (evaluated on all 2d neighbours at once)."""
    d = centre.shape[0]
    directions = np.concatenate([np.eye(d), -np.eye(d)])
    while np.max(step) > xtol:
        trials = np.clip(centre + directions * step, box[:, 0], box[:, 1])
        vals = func(trials)
        k = int(np.argmin(vals))
        if vals[k] < value:
            centre, value = trials[k], float(vals[k])
        else:
            step = step * 0.5
    return value, centre


def _one_side(f, side, box, method, resolution):
    g = f if side == "upper" else reflected(f)
    curv_val, witness = np.nan, None
    if method in ("both", "curvature"):
        ext = max_curvature(f, side, window=box)
        curv_val = 1.0 / ext.value if ext.value > 0 else np.inf
        witness = ext.witness
    balls_val, balls_at = np.nan, None
    if method in ("both", "balls"):
        balls_val, balls_at = _balls_minimum(g, box, resolution)
        if witness is None:
            witness = balls_at
    return curv_val, witness, balls_val, balls_at


def reach(f, side="upper", *, window=None, method="both", rtol=1e-6, resolution=None) -> Reach:
    """The reach of the graph of ``f`` (upper, lower or both) on a window.

    ``τ⁺ = 1 / sup_θ κ⁺_max(θ) = sup{ρ : U_ρ = ∅}``; ``τ = min(τ⁺, τ⁻)``.

    Parameters
    ----------
    f : Function or str
    side : {"upper", "lower", "both"}
    window : box, optional
        Default: the domain, or one period; required for other functions. The
        window is a view of the entire function, not a boundary of the graph.
    method : {"both", "curvature", "balls"}
        Which methods to run; with ``"both"`` (default) they are compared and a
        :class:`ReachDisagreementWarning` is raised when they differ by more than
        ``rtol`` (relative).
    resolution : int, optional
        Grid points per axis for method (b).

    Examples
    --------
    >>> f = Function("sin(x)", period="2*pi")
    >>> r = reach(f)
    >>> round(r.value, 10), round(float(r.witness), 6), r.agree
    (1.0, 4.712389, True)
    """
    f = _coerce(f)
    if side not in ("upper", "lower", "both"):
        raise ValueError(f"side must be 'upper', 'lower' or 'both', got {side!r}")
    if method not in ("both", "curvature", "balls"):
        raise ValueError(f"method must be 'both', 'curvature' or 'balls', got {method!r}")
    box = resolve_window(f, window)
    sides = ["upper", "lower"] if side == "both" else [side]
    results = {s: _one_side(f, s, box, method, resolution) for s in sides}

    def primary(res):
        return res[0] if method != "balls" else res[2]

    kind = min(sides, key=lambda s: primary(results[s]))
    curv_val, witness, balls_val, balls_at = results[kind]
    value = primary(results[kind])
    if method == "both":
        if np.isinf(curv_val) and np.isinf(balls_val):
            diff = 0.0
        else:
            diff = abs(curv_val - balls_val) / max(abs(curv_val), abs(balls_val))
        agree = bool(diff <= rtol)
        if not agree:
            warnings.warn(f"reach methods disagree on {f} ({kind} side): curvature "
                          f"{curv_val:.12g}, largest-free-ball bisection {balls_val:.12g} "
                          f"(relative difference {diff:.2e}); refine the window or resolution",
                          ReachDisagreementWarning, stacklevel=2)
    else:
        diff, agree = np.nan, True
    return Reach(float(value), kind, witness, side, float(curv_val), float(balls_val), agree,
                 float(diff), balls_at, box)


def critical_radius(f, *, window=None, method="both", **kwargs) -> float:
    """The critical radius ``ρ_c = τ⁺`` of a loss: below it every point is reachable.

    Examples
    --------
    >>> round(critical_radius(Function("0.25*x**2"), window=(-2, 2)), 12)
    2.0
    """
    return reach(f, "upper", window=window, method=method, **kwargs).value
