"""The reach of a graph and the critical radius of a loss, by two independent methods.

(a) **curvature**: ``τ⁺ = 1 / sup_θ κ⁺_max(θ)`` (no bottleneck can occur for a graph),
    from :func:`offsetgeo.curvature.max_curvature`;
(b) **balls**: ``τ⁺ = sup{ρ : U_ρ = ∅} = inf_θ t*(θ)``, where ``t*(θ)`` is the radius of
    the largest free ball touching the graph at ``p(θ)``, found by bisection with global
    footpoint projections (:func:`offsetgeo.reachability.max_ball_radius`), minimised over
    a grid of θ and refined by Brent's bounded search (1-D) or compass (2-D) search.

Method (b) uses no curvature formula, so it checks (a) — and the argument that graphs
have no bottlenecks — numerically. A warning is raised when they disagree.
"""

from __future__ import annotations

import warnings
from typing import Optional
from dataclasses import dataclass

import numpy as np

from ._curvature import max_curvature
from ._deprecation import renamed_keywords
from ._function import as_function
from ._numerics import compass_search, grid_local_extrema, mesh, minimize_bounded
from ._reachability import max_ball_radius
from ._results import Result
from ._validation import check_choice, check_count, check_positive, check_side
from .exceptions import ReachDisagreementWarning

__all__ = ["reach", "critical_radius", "Reach"]


@dataclass(frozen=True)
class Reach(Result):
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
    agree : bool or None
        Whether the two agree to ``agreement_rtol``; ``None`` when only one method ran.
    relative_difference : float
        ``|a − b| / max(|a|, |b|)`` (NaN when only one method ran).
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
    agree: Optional[bool]
    relative_difference: float
    balls_witness: object
    window: np.ndarray

    @property
    def converged(self) -> bool:
        """The methods run do not disagree (True for a single method)."""
        return self.agree is not False

    @property
    def residual(self) -> float:
        """The relative difference of the two methods (NaN for a single method)."""
        return self.relative_difference

    @property
    def message(self) -> str:
        """Why the methods disagree, when they do (``""`` otherwise)."""
        if self.agree is not False:
            return ""
        return (f"curvature {self.curvature_value:.12g} and free-ball {self.balls_value:.12g} "
                f"differ by {self.relative_difference:.2e} (relative)")


def _balls_minimum(f, box, samples_per_axis, t_cap=np.inf, extra=None):
    """inf_θ t*(θ) over the box: grid, then Brent's bounded search (1-D) / compass search (2-D).

    ``t_cap``: a radius the infimum cannot exceed (1/κ at a point: the osculating ball is
    blocked past it); larger free balls are not resolved, which bounds the footpoint
    searches of the bisections on steep graphs over wide windows. ``extra``: points (k, d)
    examined besides the grid (the curvature method's witness: a grid coarser than the
    curvature peak then still sees a ball below the cap)."""
    d = f.dim
    m = samples_per_axis or (96 if d == 1 else 17)
    axes = [np.linspace(lo, hi, m) for lo, hi in box]
    points = mesh(axes)
    # balls much larger than the window are not resolved: their radius counts as infinite
    t_max = min(20.0 * float(np.max(box[:, 1] - box[:, 0])), 2.0 * t_cap)
    face_inset = None if f.domain is None else 1e-9 * (1.0 + np.abs(f.domain).max(axis=1))

    def free_radius(pts):        # t*; on a face the limit from inside (t* jumps at the end)
        if face_inset is not None:
            pts = np.clip(pts, f.domain[:, 0] + face_inset, f.domain[:, 1] - face_inset)
        return max_ball_radius(f, pts, t_max=t_max)

    def radius(pts, rows):       # for the searches: unresolved balls (inf) a plateau at t_max
        return np.minimum(free_radius(pts), t_max)

    n_grid = points.shape[0]
    if extra is not None:
        points = np.vstack([points, np.clip(np.reshape(extra, (-1, d)), box[:, 0], box[:, 1])])
    t_all = free_radius(points)
    if not np.any(np.isfinite(t_all)):
        return np.inf, points[0] if d > 1 else points[0, 0]
    t = t_all[:n_grid]
    step = (box[:, 1] - box[:, 0]) / (m - 1)
    periodic = [f.period is not None and f.period[i] is not None
                and np.isclose(box[i, 1] - box[i, 0], f.period[i]) for i in range(d)]
    # grid local minima of t*, best first (at most two are refined)
    local = grid_local_extrema(t.reshape((m,) * d), kind="min", wrap=periodic)
    candidates = np.concatenate([np.flatnonzero(local.reshape(-1)),
                                 np.arange(n_grid, points.shape[0])])
    candidates = candidates[np.isfinite(t_all[candidates])]
    candidates = candidates[np.argsort(t_all[candidates])][:2]
    if candidates.size == 0:
        candidates = np.array([int(np.argmin(t_all))])
    # a grid minimum far above the best one cannot hold the infimum (t* varies by O(step))
    candidates = candidates[t_all[candidates] <= 1.1 * t_all[candidates[0]]]
    centres = points[candidates]

    if d == 1:
        lo = np.maximum(centres[:, 0] - step[0], box[0, 0])
        hi = np.minimum(centres[:, 0] + step[0], box[0, 1])
        xatol = 1e-5 * np.maximum(1.0, np.abs(centres[:, 0])).min()
        at, vals, _ = minimize_bounded(lambda x, rows: radius(x[:, None], rows), lo, hi, xatol)
        at = at[:, None]
    else:
        clip = lambda pts, rows: np.clip(pts, box[:, 0], box[:, 1])  # noqa: E731
        at, vals = compass_search(radius, centres, t_all[candidates], step, 1e-5, project=clip)
        # t* has a kink at its minimum where the osculating and the bitangent balls meet:
        # polish the best point to 1e-9 (the value error is linear in the location error)
        k = int(np.argmin(vals))
        at[k:k + 1], vals[k:k + 1] = compass_search(radius, at[k:k + 1], vals[k:k + 1],
                                                    1e-4 * step, 1e-9, project=clip)
    if f.domain is not None:
        # Brent stops within xatol = 1e-5 max(1, |x|) of a face without reaching it: where the
        # search ends that close, the infimum may be the face's limit from inside (radius()
        # evaluates face points 1e-9 inside); other coordinates stay where they are
        lo, hi = f.domain[:, 0], f.domain[:, 1]
        snap_tol = 3e-5 * (1.0 + np.abs(f.domain).max(axis=1))
        snapped = np.where(np.abs(at - lo) <= snap_tol, lo,
                           np.where(np.abs(at - hi) <= snap_tol, hi, at))
        rows = np.flatnonzero(np.any(snapped != at, axis=1))
        if rows.size:
            limit = radius(snapped[rows], rows)
            better = limit < vals[rows]
            at[rows[better]], vals[rows[better]] = snapped[rows[better]], limit[better]
    k = int(np.argmin(vals))
    value = float(vals[k]) if vals[k] < t_max else np.inf
    return value, (at[k, 0] if d == 1 else at[k])


def _one_side(f, side, box, method, samples_per_axis):
    g = f if side == "upper" else f.reflected()
    curv_val, witness = np.nan, None
    if method in ("both", "curvature"):
        ext = max_curvature(f, side, window=box)
        curv_val = 1.0 / ext.value if ext.value > 0 else np.inf
        witness = ext.witness
    balls_val, balls_at = np.nan, None
    if method in ("both", "balls"):
        try:
            cap = curv_val if np.isfinite(curv_val) and curv_val > 0 else np.inf
            balls_val, balls_at = _balls_minimum(g, box, samples_per_axis, cap, witness)
        except ValueError:
            raise ValueError(
                "the free-ball method of reach cannot run on the window "
                f"{' × '.join(f'[{a:.6g}, {b:.6g}]' for a, b in box)}: the graph over it is too "
                "steep or too wide for the sampled footpoint search of its largest free balls. "
                "Narrow the window, or pass method='curvature' for the curvature formula alone"
            ) from None
        if witness is None:
            witness = balls_at
    return curv_val, witness, balls_val, balls_at


@renamed_keywords(rtol="agreement_rtol", resolution="samples_per_axis")
def reach(f, side="upper", *, window=None, method="both", agreement_rtol=1e-6,
          samples_per_axis=None) -> Reach:
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
        ``agreement_rtol`` (relative).
    agreement_rtol : float
        Relative tolerance for the two methods to agree.
    samples_per_axis : int, optional
        Grid points per axis for method (b).

    Returns
    -------
    reach : Reach

    See Also
    --------
    max_curvature : method (a): ``value = 1 / max_curvature(f).value``.
    max_ball_radius : method (b), at given points.
    unreachable_set : empty exactly for ρ below the upper reach.

    Examples
    --------
    >>> f = Function("sin(x)", period="2*pi")
    >>> r = reach(f)
    >>> round(r.value, 10), round(float(r.witness), 6), r.agree
    (1.0, 4.712389, True)
    """
    f = as_function(f)
    side = check_side(side, allow_both=True)
    method = check_choice(method, "method", ("both", "curvature", "balls"))
    agreement_rtol = check_positive(agreement_rtol, "agreement_rtol")
    if samples_per_axis is not None:
        samples_per_axis = check_count(samples_per_axis, "samples_per_axis", minimum=3)
    if f.dim > 2 and method != "curvature":
        raise ValueError(f"reach's free-ball method (method={method!r}) needs the global "
                         f"footpoint search, which supports 1 or 2 variables; f has {f.dim}. "
                         "Pass method='curvature' (the curvature formula, any dimension)")
    box = f.window(window)
    sides = ["upper", "lower"] if side == "both" else [side]
    results = {s: _one_side(f, s, box, method, samples_per_axis) for s in sides}

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
        agree = bool(diff <= agreement_rtol)
        if not agree:
            warnings.warn(f"reach methods disagree on {f} ({kind} side): curvature "
                          f"{curv_val:.12g}, largest-free-ball bisection {balls_val:.12g} "
                          f"(relative difference {diff:.2e}); refine the window or resolution",
                          ReachDisagreementWarning, stacklevel=3)
    else:
        diff, agree = np.nan, None
    return Reach(float(value), kind, witness, side, float(curv_val), float(balls_val), agree,
                 float(diff), balls_at, box)


def critical_radius(f, *, window=None, method="both", **kwargs) -> float:
    """The critical radius ``ρ_c = τ⁺`` of a loss: below it every point is reachable.

    Parameters
    ----------
    f : Function or str
    window, method, **kwargs
        As for :func:`reach`.

    Returns
    -------
    radius : float
        ``reach(f, "upper", ...).value``.

    See Also
    --------
    reach : the same with both methods' values and the witness.

    Examples
    --------
    >>> round(critical_radius(Function("0.25*x**2"), window=(-2, 2)), 12)
    2.0
    """
    return reach(f, "upper", window=window, method=method, **kwargs).value
