"""Numerical verification of the seeds' statements about offsets, ironing and reachability.

Each verifier measures the quantity a statement bounds over a sweep of radii ``ρ`` and
reports it against the claimed bound, with the margin, the sampling tolerance behind the
verdict, the assumptions it checked and the arrays behind the figures (see ``MATH.md``,
"The statements to verify numerically"):

====================  ===============================================================
``weak-ironing``      ``sup_x |h_ρ − ρ − sup f| ≤ ρ − sqrt(ρ² − D²)`` for ``ρ ≥ D``
``linear-ironing``    ``sup_x |h^{f+φ}_ρ − h^f_ρ − sup φ| → 0`` (f affine, φ periodic)
``strong-ironing``    ``min_c sup_x |h^g_ρ − h^f_ρ − c| → 0`` (conjecture: evidence only)
``sharp-minima``      ``λ_max(∇²f(θ*)) > 1/ρ ⇒ θ* ∈ U_ρ`` (d = 1, 2)
``unreachable-growth``  ``U_ρ`` is open and ``ρ < ρ' ⇒ U_ρ ⊂ U_ρ'``
``phase-transition``  ``osc h_ρ = max f − min f`` while a global minimiser is reachable,
                      then drops; ``ρ · osc(ρ) → D²/2`` (``π²/2`` for ``sin``)
====================  ===============================================================

Offsets are computed by the exact morphology of sampled graphs
(:mod:`offsetgeo.morphology`); reachability of single points by the global footpoint
projection (:func:`offsetgeo.footpoint`). Every verdict is taken with a tolerance derived
from the sampling error bounds below, and the tolerance is part of the report.

Sampling error bounds (``h`` the grid spacing, ``Σh² = h0² + h1²`` in 2-D, ``L = sup|∇f|``,
``K = sup‖∇²f‖`` on the sampled window):

* dilation of samples: ``h_s ≤ h_ρ ≤ h_s + ε_dil`` with
  ``ε_dil = 2 · (K + (1 + L²)^{3/2} / ρ) · Σh² / 8`` (the maximiser of
  ``f(φ) + sqrt(ρ² − |x − φ|²)`` is within ``sqrt(Σh²)/2`` of a sample, the objective is
  stationary there and its second derivative is at most ``K + (1 + L²)^{3/2}/ρ``; factor 2
  for safety);
* minimum over a grid of an ``ℓ``-Lipschitz function: ``ε_grid = ℓ · sqrt(Σh²) / 2`` with ``ℓ``
  the sampled Lipschitz constant of the function (offsets are at most ``L``-Lipschitz);
* closing (ironed function) at a sample: ``ε_close = ε_dil + L · sqrt(Σh²)`` (the closing is a
  minimum over centres of a ``2L``-Lipschitz function, taken over grid centres).

Examples
--------
>>> from offsetgeo import theorems
>>> rep = theorems.weak_ironing("sin(x)", radii=[4.0, 8.0], period="2*pi", resolution=200)
>>> rep.holds, round(rep.arrays["D"], 4)
(True, 3.1416)
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field

import numpy as np
import sympy

from .function import Function
from .curvature import principal_curvatures
from .projection import footpoint
from .reach import reach
from .reachability import is_reachable, normal_lift
from . import morphology as _morph

__all__ = [
    "TheoremReport",
    "weak_ironing",
    "linear_ironing",
    "strong_ironing",
    "sharp_minima_unreachable",
    "unreachable_sets_grow",
    "phase_transition",
    "run_all",
    "STATEMENTS",
    "format_table",
    "reports_to_json",
    "add_verify_arguments",
    "run_verify",
]

_EPS = np.finfo(float).eps
_DEFAULT_RES = {1: 1000.0, 2: 24.0}     # grid samples per unit length
_QUICK_RES = {1: 400.0, 2: 14.0}
_MAX_GRID = {1: 4_000_000, 2: 1_500_000}
_STORE_LIMIT = 2_000_000                 # largest curve array kept in ``arrays``


# ======================================================================================
# the report


@dataclass(frozen=True, eq=False)
class TheoremReport:
    """Measured quantity against claimed bound over a sweep of radii.

    Attributes
    ----------
    statement : str
        CLI name of the statement (a key of :data:`STATEMENTS`).
    case : str
        The function(s) the statement was checked on.
    kind : {"theorem", "conjecture"}
    holds : bool or None
        True: every claimed bound holds within ``tolerance``. False: some bound is violated
        beyond it. None: an assumption fails or cannot be established (see
        ``assumptions``), no radius of the sweep is covered by the statement, or the
        statement is a conjecture (then the report is evidence; see ``notes``).
    radii : ndarray (n,)
        The sweep of ``ρ``.
    bound, measured, margin : ndarray
        Claimed bound, measured value and margin over the sweep (shape (n,), (n - 1,) for
        pairs of consecutive radii, or (k, n) for k minima). NaN where the statement makes
        no claim. ``margin = bound − measured`` for an upper bound (``sense == "upper"``),
        ``measured − bound`` for a lower bound (``sense == "lower"``): positive = holds.
    worst_margin : float
        Smallest finite margin (NaN if none).
    tolerance : ndarray or float
        Sampling tolerance of the verdict: a claim counts as holding when
        ``margin ≥ −tolerance`` (lower bounds: ``margin > tolerance``).
    sense : {"upper", "lower", "none"}
    rate : dict or None
        Fitted rates, e.g. ``{"exponent": −1.0, "claimed_exponent": −1}``.
    assumptions : dict
        Hypothesis name → True, False, or a string explaining why it could not be checked.
    arrays : dict
        Arrays behind the report (grids, offset curves, ...), for plotting.
    notes : tuple of str
    claim, observed : str
        One-line texts of the claimed bound and of the measured value (for the table).
    """

    statement: str
    case: str
    kind: str
    holds: object
    radii: np.ndarray
    bound: np.ndarray
    measured: np.ndarray
    margin: np.ndarray
    worst_margin: float
    tolerance: object
    sense: str
    rate: object
    assumptions: dict
    arrays: dict = field(default_factory=dict)
    notes: tuple = ()
    claim: str = ""
    observed: str = ""
    seconds: float = 0.0

    @property
    def failed_assumptions(self):
        """Names of the assumptions that fail or could not be established."""
        return [k for k, v in self.assumptions.items() if v is not True]

    @property
    def verdict(self) -> str:
        """Short verdict: holds / FAILS / assumption fails: ... / evidence: ..."""
        failed = self.failed_assumptions
        if self.kind == "conjecture":
            ev = self.arrays.get("evidence", "inconclusive")
            return f"evidence: {ev}" + (f" (unverified: {', '.join(failed)})" if failed else "")
        if failed and self.holds is None:
            return "assumption fails: " + ", ".join(failed)
        if self.holds is None:
            return "no claim in sweep"
        return "holds" if self.holds else "FAILS"

    def to_dict(self, include_arrays=False) -> dict:
        """A JSON-ready dict (arrays as lists, NaN as None)."""
        out = {
            "statement": self.statement, "case": self.case, "kind": self.kind,
            "holds": self.holds, "verdict": self.verdict, "claim": self.claim,
            "observed": self.observed, "worst_margin": _jsonable(self.worst_margin),
            "sense": self.sense, "radii": _jsonable(self.radii), "bound": _jsonable(self.bound),
            "measured": _jsonable(self.measured), "margin": _jsonable(self.margin),
            "tolerance": _jsonable(self.tolerance), "rate": _jsonable(self.rate),
            "assumptions": _jsonable(self.assumptions), "notes": list(self.notes),
            "seconds": round(float(self.seconds), 4),
        }
        if include_arrays:
            out["arrays"] = _jsonable(self.arrays)
        return out


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)


def _finite_min(a):
    a = np.asarray(a, dtype=float)
    a = a[np.isfinite(a)]
    return float(a.min()) if a.size else float("nan")


def _make_report(statement, case, kind, holds, radii, bound, measured, margin, tol, sense,
                 rate, assumptions, arrays, notes, claim, observed, t0):
    margin = np.asarray(margin, dtype=float)
    return TheoremReport(
        statement=statement, case=case, kind=kind,
        holds=None if holds is None else bool(holds),
        radii=np.asarray(radii, dtype=float), bound=np.asarray(bound, dtype=float),
        measured=np.asarray(measured, dtype=float), margin=margin,
        worst_margin=_finite_min(margin), tolerance=tol, sense=sense, rate=rate,
        assumptions=dict(assumptions), arrays=dict(arrays), notes=tuple(notes),
        claim=claim, observed=observed, seconds=time.perf_counter() - t0)


# ======================================================================================
# input handling


def _as_function(f, *, period=None, domain=None, what="f") -> Function:
    """A Function from a Function or an expression string (period/domain applied)."""
    if isinstance(f, Function):
        if (period is not None or domain is not None) and f.expr is not None:
            return Function(f.expr, f.variables, period=period if period is not None else f.period,
                            domain=domain if domain is not None else
                            (None if f.domain is None else f.domain.tolist()))
        return f
    if isinstance(f, str):
        return Function(f, period=period, domain=domain)
    raise TypeError(f"{what} must be an offsetgeo.Function or an expression string, "
                    f"got {type(f).__name__}")


def _check_radii(radii):
    if radii is None:
        return None
    r = np.atleast_1d(np.asarray(radii, dtype=float)).ravel()
    if r.size == 0:
        raise ValueError("radii must not be empty")
    if not np.all(np.isfinite(r)) or np.any(r <= 0):
        raise ValueError(f"radii must be positive and finite (ρ > 0), got {r.tolist()}")
    return np.unique(r)


def _check_dim(f, dims, name):
    if f.dim not in dims:
        raise ValueError(f"{name} supports functions of {' or '.join(map(str, dims))} "
                         f"variable(s); this one has {f.dim}")


def _case(*fs) -> str:
    parts = []
    for f in fs:
        s = str(f.expr) if f.expr is not None else repr(f)
        if f.period is not None:
            s += " (period " + ", ".join("-" if p is None else f"{p:.6g}" for p in f.period) + ")"
        if f.domain is not None:
            s += " on " + " x ".join(f"[{lo:.4g}, {hi:.4g}]" for lo, hi in f.domain)
        parts.append(s)
    return "; ".join(parts)


def _periods(f):
    """Period per variable (tuple) and how it was established, or (None, reason)."""
    if f.period is not None and all(p is not None for p in f.period):
        return tuple(f.period), "declared"
    if f.expr is None:
        return None, "no period declared (callable function)"
    out = []
    for i, s in enumerate(f.symbols):
        if f.period is not None and f.period[i] is not None:
            out.append(f.period[i])
            continue
        try:
            p = sympy.periodicity(f.expr, s)
        except Exception:  # noqa: BLE001 - sympy raises many things on hard input
            p = None
        if p is None or p == 0:
            return None, "no period declared and sympy found none"
        try:
            pv = float(p)
        except (TypeError, ValueError):
            return None, "no period declared and sympy found none"
        if not math.isfinite(pv) or pv <= 0:
            return None, "no period declared and sympy found none"
        out.append(pv)
    return tuple(out), "detected by sympy.periodicity"


def _polynomial_degree(f):
    if f.expr is None:
        return None
    try:
        if f.expr.is_polynomial(*f.symbols):
            return int(sympy.Poly(f.expr, *f.symbols).total_degree())
    except Exception:  # noqa: BLE001
        return None
    return None


def _boundedness(f, periods):
    """(True | False | str, bounded box or None, note)."""
    if periods is not None:
        return True, None, "periodic and continuous, hence bounded"
    if f.domain is not None:
        return True, f.domain.copy(), "continuous on the compact domain box, hence bounded"
    deg = _polynomial_degree(f)
    if deg is not None and deg >= 1:
        return False, None, f"f is a polynomial of degree {deg}: unbounded"
    # growth probe on wider and wider windows
    maxima = []
    for R in (5.0, 10.0, 20.0, 40.0):
        n = 801 if f.dim == 1 else 81
        ax = np.linspace(-R, R, n)
        pts = (ax[:, None] if f.dim == 1 else
               np.stack(np.meshgrid(*[ax] * f.dim, indexing="ij"), -1).reshape(-1, f.dim))
        with np.errstate(all="ignore"):
            v, = f.evaluate(pts, 0)
        if not np.all(np.isfinite(v)):
            return False, None, f"f is not finite on [-{R:g}, {R:g}]^d: unbounded or undefined"
        maxima.append(float(np.max(np.abs(v))))
    if maxima[-1] > 2.0 * maxima[0] + 1e-12 and maxima[-1] > maxima[-2] * 1.2:
        return False, None, (f"max|f| grows with the window ({maxima[0]:.3g} on [-5, 5]^d, "
                             f"{maxima[-1]:.3g} on [-40, 40]^d): unbounded")
    return ("boundedness cannot be established on an unbounded window (no period, no "
            "domain); declare --period or --domain"), None, ""


# ======================================================================================
# grids, extrema, tolerances


@dataclass
class _Grid:
    axes: list            # full sample axes
    spacing: tuple
    values: np.ndarray
    periodic: bool
    core: tuple           # slices of the measured region
    L: float              # sup |grad f| on the samples
    K: float              # sup ||hess f|| on the samples

    @property
    def h2(self):
        return float(sum(h * h for h in self.spacing))

    @property
    def core_axes(self):
        return [a[s] for a, s in zip(self.axes, self.core)]

    def dilate(self, values, rho):
        return _morph.hemisphere_dilation(values, self.spacing, rho, periodic=self.periodic)

    def close(self, values, rho):
        return _morph.hemisphere_closing(values, self.spacing, rho, periodic=self.periodic)

    def eps_dil(self, rho):
        """Bound on (exact − sampled) dilation, see the module docstring."""
        return (2.0 * (self.K + (1.0 + self.L ** 2) ** 1.5 / rho) * self.h2 / 8.0
                + 64 * _EPS * (1.0 + float(np.max(np.abs(self.values))) + rho))

    def eps_grid(self, core_values):
        """Grid-minimum error of a function sampled on the core: ℓ sqrt(Σh²)/2."""
        return _lipschitz(core_values, self.spacing) * math.sqrt(self.h2) / 2.0


def _lipschitz(v, spacing):
    v = np.asarray(v, dtype=float)
    lip = 0.0
    for ax, h in enumerate(spacing):
        if v.shape[ax] > 1:
            lip = max(lip, float(np.max(np.abs(np.diff(v, axis=ax)))) / h)
    return lip * 1.25  # safety for the slope between samples


def _derivative_bounds(f, pts):
    _, g, H = f.evaluate(pts, 2)
    L = float(np.max(np.linalg.norm(g, axis=1))) if len(g) else 0.0
    if f.dim == 1:
        K = float(np.max(np.abs(H[:, 0, 0])))
    else:
        K = float(np.max(np.abs(np.linalg.eigvalsh(H))))
    return L, K


def _mesh(axes):
    if len(axes) == 1:
        return axes[0][:, None]
    return np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, len(axes))


def _make_grid(f, *, periods=None, box=None, margin=0.0, resolution=None, quick=False):
    """Samples of f: one period (periodic) or ``box`` widened by ``margin`` on each side."""
    d = f.dim
    res = resolution if resolution is not None else (_QUICK_RES if quick else _DEFAULT_RES)[d]
    res = float(res)
    if not math.isfinite(res) or res <= 0:
        raise ValueError(f"resolution must be positive, got {resolution!r}")
    axes, core, spacing = [], [], []
    if periods is not None:
        for p in periods:
            n = max(int(math.ceil(p * res)), 16)
            h = p / n
            axes.append(h * np.arange(n))
            core.append(slice(0, n))
            spacing.append(h)
        periodic = True
    else:
        box = np.asarray(box, dtype=float)
        for lo, hi in box:
            n_core = max(int(math.ceil((hi - lo) * res)), 8)
            h = (hi - lo) / n_core
            k = int(math.ceil(margin / h)) + 1 if margin > 0 else 0
            axes.append(lo + h * np.arange(-k, n_core + k + 1))
            core.append(slice(k, k + n_core + 1))
            spacing.append(h)
        periodic = False
    total = int(np.prod([len(a) for a in axes]))
    if total > _MAX_GRID[d]:
        raise ValueError(f"the sampling grid would need {total} samples (limit {_MAX_GRID[d]}): "
                         "lower the largest radius, the window or the resolution")
    pts = _mesh(axes)
    with np.errstate(all="ignore"):
        v, = f.evaluate(pts, 0)
    if not np.all(np.isfinite(v)):
        i = int(np.flatnonzero(~np.isfinite(v))[0])
        raise ValueError(f"{f} is not finite at {pts[i].tolist()} on the sampling window; "
                         "declare a domain= where it is defined or narrow the window")
    L, K = _derivative_bounds(f, pts)
    shape = tuple(len(a) for a in axes)
    return _Grid(axes, tuple(spacing), v.reshape(shape), periodic, tuple(core), L, K)


def _refine(f, x0, sign, bounds):
    """Refine a local max (sign=+1) / min (sign=-1) of f from x0 (d,) by L-BFGS-B + Newton."""
    from scipy.optimize import minimize

    def obj(t):
        v, g = f.evaluate(t[None, :], 1)
        return -sign * float(v[0]), -sign * g[0]

    try:
        r = minimize(obj, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                     options={"ftol": 1e-15, "gtol": 1e-13, "maxiter": 200})
        x = np.asarray(r.x, dtype=float)
    except Exception:  # noqa: BLE001
        x = np.asarray(x0, dtype=float)
    # Newton polish where the Hessian is definite and the step stays in the bounds
    for _ in range(8):
        v, g, H = f.evaluate(x[None, :], 2)
        g, H = g[0], H[0]
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            break
        xn = x - step
        if bounds is not None:
            lo = np.array([b[0] if b[0] is not None else -np.inf for b in bounds])
            hi = np.array([b[1] if b[1] is not None else np.inf for b in bounds])
            if np.any(xn < lo) or np.any(xn > hi):
                break
        vn, = f.evaluate(xn[None, :], 0)
        if sign * vn[0] < sign * v[0] - 1e-15 * (1 + abs(v[0])) or np.linalg.norm(step) > 1e-2:
            break
        x = xn
        if np.linalg.norm(step) < 1e-15 * (1 + np.linalg.norm(x)):
            break
    return x


def _extrema(f, sign, *, periods=None, box=None, per_axis=None):
    """Global max (sign=+1) / min (sign=-1) of f over one period or a box, and its arg set.

    Returns (value, points (k, d), note). Near-ties within ``1e-9 (1 + |value|)`` are part
    of the arg set; a flat extremum (more than 64 candidate samples) is returned as all
    samples within the sampling slack of the extreme value.
    """
    d = f.dim
    if per_axis is None:
        per_axis = 4096 if d == 1 else 161
    axes, bounds = [], []
    if periods is not None:
        for p in periods:
            axes.append(p * np.arange(per_axis) / per_axis)
            bounds.append((None, None))
    else:
        for lo, hi in np.asarray(box, dtype=float):
            axes.append(np.linspace(lo, hi, per_axis))
            bounds.append((lo, hi))
    pts = _mesh(axes)
    v, _, H = f.evaluate(pts, 2)
    shape = tuple(len(a) for a in axes)
    s = sign * v.reshape(shape)
    K = float(np.max(np.abs(H))) * d
    h2 = sum((a[1] - a[0]) ** 2 for a in axes)
    smax = float(s.max())
    slack = 2.0 * K * h2 / 8.0 + 1e-12 * (1 + abs(smax))
    # discrete local maxima of s within the slack of the sampled maximum
    is_loc = s >= smax - slack
    for ax in range(d):
        for shift in (1, -1):
            nb = np.roll(s, shift, axis=ax)
            if periods is None:  # no wrap at the box faces
                idx = [slice(None)] * d
                idx[ax] = 0 if shift == 1 else -1
                nb[tuple(idx)] = -np.inf
            is_loc &= s >= nb
    cand = np.argwhere(is_loc)
    note = ""
    tie = 1e-9 * (1 + abs(smax))
    if len(cand) > 64:
        near = np.argwhere(s >= smax - slack)
        P = np.stack([axes[i][near[:, i]] for i in range(d)], -1)
        if len(P) > 4000:
            P = P[np.linspace(0, len(P) - 1, 4000).astype(int)]
        return sign * smax, P, "flat extremum: the arg set is the samples within the slack"
    refined, vals = [], []
    for c in cand:
        x0 = np.array([axes[i][c[i]] for i in range(d)])
        x = _refine(f, x0, sign, None if periods is not None else bounds)
        vv = float(f.evaluate(x[None, :], 0)[0][0])
        if sign * vv < sign * float(v.reshape(shape)[tuple(c)]):  # refinement went astray
            x, vv = x0, float(v.reshape(shape)[tuple(c)])
        if periods is not None:
            x = np.mod(x, np.asarray(periods))
        refined.append(x)
        vals.append(sign * vv)
    vals = np.asarray(vals)
    best = float(vals.max())
    keep = [refined[i] for i in np.flatnonzero(vals >= best - tie)]
    uniq = []
    for x in keep:
        if not any(_torus_dist(x, y, periods) < 1e-6 for y in uniq):
            uniq.append(x)
    return sign * best, np.asarray(uniq), note


def _torus_dist(x, y, periods):
    dx = np.abs(np.asarray(x) - np.asarray(y))
    if periods is not None:
        P = np.asarray(periods)
        dx = np.minimum(dx % P, P - dx % P)
    return float(np.linalg.norm(dx))


def _farthest_distance(points, *, periods=None, box=None):
    """D = sup_x dist(x, points) over the torus (periods) or the box.

    Exact in 1-D; in 2-D the supremum over a 241² grid (underestimate ≤ half a cell
    diagonal, which makes the bound built on D smaller, i.e. the check stricter).
    """
    P = np.asarray(points, dtype=float)
    d = P.shape[1]
    if d == 1:
        x = np.sort(P[:, 0])
        if periods is not None:
            per = periods[0]
            x = np.sort(np.mod(x, per))
            gaps = np.diff(np.concatenate([x, [x[0] + per]]))
            return float(gaps.max() / 2.0)
        lo, hi = np.asarray(box, dtype=float)[0]
        cand = [x[0] - lo, hi - x[-1]]
        if len(x) > 1:
            cand.append(float(np.diff(x).max()) / 2.0)
        return float(max(cand))
    n = 241
    if periods is not None:
        axes = [p * np.arange(n) / n for p in periods]
        shifts = [np.array([i * periods[0], j * periods[1]])
                  for i in (-1, 0, 1) for j in (-1, 0, 1)]
    else:
        axes = [np.linspace(lo, hi, n) for lo, hi in np.asarray(box, dtype=float)]
        shifts = [np.zeros(2)]
    G = _mesh(axes)
    best = np.full(len(G), np.inf)
    for sft in shifts:
        Q = P + sft
        for start in range(0, len(Q), 256):
            blk = Q[start:start + 256]
            dist = np.sqrt(((G[:, None, :] - blk[None, :, :]) ** 2).sum(-1)).min(1)
            best = np.minimum(best, dist)
    return float(best.max())


def _fit_exponent(radii, values, tol=0.0):
    """Least-squares slope of log(values) against log(radii) over entries above tol."""
    r = np.asarray(radii, dtype=float)
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v) & (v > max(tol, 1e-300))
    if ok.sum() < 2:
        return float("nan"), float("nan")
    A = np.column_stack([np.log(r[ok]), np.ones(ok.sum())])
    (slope, icpt), *_ = np.linalg.lstsq(A, np.log(v[ok]), rcond=None)
    return float(slope), float(math.exp(icpt))


def _fit_limit(radii, y):
    """Fit y = A + B/ρ (+ C/ρ²) and return A (the limit as ρ → ∞)."""
    r = np.asarray(radii, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(y)
    r, y = r[ok], y[ok]
    if len(r) < 2:
        return float("nan")
    cols = [np.ones_like(r), 1.0 / r] + ([1.0 / r ** 2] if len(r) >= 4 else [])
    coef, *_ = np.linalg.lstsq(np.column_stack(cols), y, rcond=None)
    return float(coef[0])


def _store(arr):
    arr = np.asarray(arr)
    if arr.size <= _STORE_LIMIT:
        return arr
    step = int(math.ceil(arr.size / _STORE_LIMIT))
    return arr[..., ::step]


# ======================================================================================
# reachability and the critical radius


def _penetration(f, thetas, rho):
    """ρ − d(c, Γ) for the ball centre c = p(θ) + ρ n(θ) of radius ρ touching Γ at p(θ).

    ``> 0``: some point of Γ lies inside the ball, p(θ) is not reached by it (for a
    critical point it is then ρ-unreachable: the normal is vertical, so no other ball
    touches there). ``≤ 0`` up to rounding: reachable.
    """
    th = np.atleast_2d(np.asarray(thetas, dtype=float))
    if f.dim == 1 and th.shape[0] == 1 and th.shape[1] != 1:
        th = th.T
    r = footpoint(f, normal_lift(f, th, rho), on_failure="ignore")
    return rho - r.distance


def _critical_radius(f, periods):
    """(ρ_c = 1 / sup κ⁺, witness, source) from offsetgeo.reach (curvature method)."""
    window = None if (periods is not None or f.domain is not None) else f.sample_box
    res = reach(f, "upper", window=window, method="curvature")
    return float(res.value), np.asarray(res.witness), "offsetgeo.reach (curvature)"


def _kappa_max(f, pts):
    """Largest principal curvature toward the ball (upward) at pts (n, d)."""
    return principal_curvatures(f, pts)[:, 0]


def _transition_radius(f, minimisers):
    """sup{ρ : some global minimiser is ρ-reachable}, by bisection on the footpoint test.

    Returns (ρ_g, uncertainty). Reachability of a minimiser is monotone in ρ (U_ρ grows).
    """
    mins = np.atleast_2d(minimisers)
    lam = np.array([np.linalg.eigvalsh(np.atleast_2d(f.evaluate(m[None, :], 2)[2][0])).max()
                    for m in mins])
    hi = float(np.max(1.0 / lam[lam > 0])) if np.any(lam > 0) else 1e3
    hi = min(hi * 1.0001 + 1e-12, 1e3)
    lo = 0.0
    thr = 1e-11

    def any_reachable(rho):
        pen = _penetration(f, mins, rho)
        return bool(np.any(pen <= thr * (1.0 + rho)))

    if any_reachable(hi):
        return hi, 0.0
    for _ in range(48):
        mid = 0.5 * (lo + hi)
        if mid <= 0:
            break
        if any_reachable(mid):
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-9 * hi:
            break
    rho = 0.5 * (lo + hi)
    # near the transition the penetration grows like (ρ − ρ_g)²/(2ρ): the test resolves ρ_g
    # only to about sqrt(2ρ · threshold)
    return rho, 0.5 * (hi - lo) + math.sqrt(2.0 * rho * thr * (1.0 + rho))


# ======================================================================================
# 1. weak ironing


def weak_ironing(f, radii=None, *, window=None, resolution=None, period=None, domain=None,
                 quick=False) -> TheoremReport:
    """Weak ironing: ``sup_x |h_ρ(x) − ρ − M| ≤ ρ − sqrt(ρ² − D²)`` for ``ρ ≥ D``.

    ``M = sup f``, ``D = sup_x dist(x, argmax f)``; so ``h_ρ − ρ → M`` uniformly at rate
    ``≤ D²/ρ``. Needs a bounded ``f``: periodic (declared or detected by sympy) or given on a
    ``domain`` box (then the statement is about the graph over that box).

    Parameters
    ----------
    f : Function or str
    radii : array_like, optional
        Sweep of ρ, sorted and deduplicated (default:
        ``D · [1, 1.25, 1.6, 2, 3, 4, 6, 8, 12, 16, 24, 32]``).
        Radii below ``D`` are measured but carry no claim.
    window : (lo, hi), optional
        Only used for the informative measurement when boundedness fails.
    resolution : float, optional
        Grid samples per unit length (default 1000 in 1-D, 24 in 2-D).
    period, domain : optional
        Applied to ``f`` when it is given as a string.
    quick : bool
        Coarser grid and fewer default radii.

    Returns
    -------
    TheoremReport
        ``measured[k] = sup_x |h_ρ − ρ − M|``, ``bound[k] = ρ − sqrt(ρ² − D²)``;
        ``arrays``: ``x`` (grid axes), ``h`` (offsets over the sweep), ``M``, ``D``,
        ``argmax``. ``rate``: log-log exponent of measured vs ρ (claimed ≤ −1) and the limit
        of ``ρ · measured`` (claimed ``D²/2``).

    Examples
    --------
    >>> rep = weak_ironing("sin(x)", radii=[4.0, 8.0], period="2*pi", resolution=200)
    >>> rep.holds, rep.verdict
    (True, 'holds')
    """
    t0 = time.perf_counter()
    f = _as_function(f, period=period, domain=domain)
    _check_dim(f, (1, 2), "weak_ironing")
    radii = _check_radii(radii)
    periods, psrc = _periods(f)
    bounded, box, bnote = _boundedness(f, periods)
    assumptions = {"bounded": bounded}
    notes = []
    if bnote:
        notes.append(bnote + (f" (period {psrc})" if periods is not None else ""))
    if bounded is not True:
        # informative measurement on a window, no claim
        win = np.asarray(window if window is not None else [[-5.0, 5.0]] * f.dim, dtype=float)
        if win.ndim == 1:
            win = win[None, :]
        rr = radii if radii is not None else np.array([1.0, 2.0, 4.0, 8.0])
        meas = np.full(len(rr), np.nan)
        try:
            grid = _make_grid(f, box=win, margin=float(rr.max()), resolution=resolution,
                              quick=True)
            core = grid.values[grid.core]
            M = float(core.max())
            for k, rho in enumerate(rr):
                h = grid.dilate(grid.values, rho)[grid.core]
                meas[k] = float(np.max(np.abs(h - rho - M)))
            notes.append("measured on the window with M = its max: no claim (assumption fails)")
        except ValueError as err:
            notes.append(f"not measured: {err}")
        nan = np.full(len(rr), np.nan)
        return _make_report("weak-ironing", _case(f), "theorem", None, rr, nan, meas, nan,
                            nan, "upper", None, assumptions, {"window": win}, notes,
                            "h_ρ−ρ → sup f, rate ≤ D²/ρ", "not verified", t0)

    M, argmax, enote = _extrema(f, +1, periods=periods, box=box)
    if enote:
        notes.append(enote)
    D = _farthest_distance(argmax, periods=periods, box=box)
    if radii is None:
        base = max(D, 0.25)
        mult = [1, 1.6, 3, 6, 12, 24] if quick else [1, 1.25, 1.6, 2, 3, 4, 6, 8, 12, 16, 24, 32]
        radii = base * np.asarray(mult, dtype=float)
    grid = _make_grid(f, periods=periods, box=box, margin=0.0, resolution=resolution, quick=quick)
    n = len(radii)
    meas, bound, tol = np.empty(n), np.full(n, np.nan), np.empty(n)
    curves = []
    for k, rho in enumerate(radii):
        h = grid.dilate(grid.values, rho)[grid.core]
        dev = np.abs(h - rho - M)
        meas[k] = float(dev.max())
        # exact sup ≤ sampled + eps_dil; the grid may miss the min of h by eps_grid
        tol[k] = grid.eps_dil(rho) + grid.eps_grid(h) + 1e-9 * (1 + abs(M))
        if rho >= D:
            bound[k] = rho - math.sqrt(max(rho * rho - D * D, 0.0))
        curves.append(h)
    margin = bound - meas
    claimed = np.isfinite(bound)
    holds = bool(np.all(margin[claimed] >= -tol[claimed])) if claimed.any() else None
    if not claimed.any():
        notes.append(f"no radius of the sweep satisfies ρ ≥ D = {D:.6g}: no claim")
    tail = radii >= 2 * max(D, 1e-12)
    slope, _ = _fit_exponent(radii[tail], meas[tail], tol=float(np.max(tol)))
    lim = _fit_limit(radii[tail], radii[tail] * meas[tail]) if tail.sum() >= 2 else float("nan")
    rate = {"exponent": slope, "claimed_exponent": -1.0, "limit_rho_times_measured": lim,
            "claimed_limit_at_most": D * D / 2.0}
    notes.append("tolerance = 2(K + (1+L²)^{3/2}/ρ)Σh²/8 (dilation of samples) + "
                 "ℓ·sqrt(Σh²)/2 (grid minimum of h) + 1e-9(1+|M|) (refined max)")
    arrays = {"x": grid.core_axes if f.dim > 1 else grid.core_axes[0], "h": _store(np.array(curves)),
              "M": M, "D": D, "argmax": argmax, "tolerance": tol}
    k = int(np.nanargmin(np.where(claimed, margin, np.nan))) if claimed.any() else n - 1
    claim = f"sup|h−ρ−M| ≤ ρ−√(ρ²−D²), D={D:.4g}"
    observed = f"{meas[k]:.4g} vs {bound[k]:.4g} at ρ={radii[k]:.3g}"
    return _make_report("weak-ironing", _case(f), "theorem", holds, radii, bound, meas, margin,
                        tol, "upper", rate, assumptions, arrays, notes, claim, observed, t0)


# ======================================================================================
# 2. linear ironing


def _affine(f):
    """(True | str, slope, intercept): is f affine? (symbolic second derivative == 0)."""
    if f.expr is not None:
        x = f.symbols[0]
        d2 = sympy.simplify(sympy.diff(f.expr, x, 2))
        if d2 != 0:
            return f"f'' = {d2} is not identically 0", float("nan"), float("nan")
        a = float(sympy.diff(f.expr, x))
        b = float(f.expr.subs(x, 0))
        return True, a, b
    xs = np.linspace(-5, 5, 101)
    H = f.hess(xs)
    if np.max(np.abs(H)) > 1e-8:
        return "f'' is not 0 on [-5, 5]", float("nan"), float("nan")
    return True, float(f.grad(0.0)), float(f.value(0.0))


def _tilted_deficit(rho, a, D, osc):
    """Largest possible M + h^f − h^{f+φ} for slope a when every x has an argmax of φ within D.

    With s = sqrt(1 + a²) the ball on the line touches at x + ρa/s; the nearest argmax of φ,
    at offset t (|t| ≤ D), lifts h^{f+φ} to at least h^f + M − (g(0) − g(t)),
    g(t) = a t + sqrt(ρ² − (ρa/s + t)²) concave with g'(0) = 0. Always ≤ osc φ.
    """
    s = math.sqrt(1.0 + a * a)
    u0 = rho * a / s
    vals = []
    for t in (-D, D):
        q = rho * rho - (u0 + t) ** 2
        if q < 0:
            return osc
        vals.append(a * t + math.sqrt(q))
    return min(rho / s - min(vals), osc)


def linear_ironing(f, phi, radii=None, *, resolution=None, period=None,
                   quick=False) -> TheoremReport:
    """Linear ironing: f affine, φ bounded continuous recurrent ⇒ offsets of f and f + φ agree
    up to the translation ``sup φ`` as ρ → ∞.

    Measured: ``δ(ρ) = sup_x |h^{f+φ}_ρ(x) − h^f_ρ(x) − sup φ|`` (h^f is exact:
    ``a x + b + ρ sqrt(1 + a²)``). Claimed bound (weak ironing along the tilted line):
    ``δ(ρ) ≤ ρ/s − min_{t=±D} [a t + sqrt(ρ² − (ρ a/s + t)²)] ≈ s³ D²/(2ρ)``, ``s = sqrt(1+a²)``,
    ``D`` the farthest distance to argmax φ; so δ → 0 at rate 1/ρ. Only periodic φ
    (declared, or detected by sympy) is accepted as recurrent. d = 1.

    Parameters
    ----------
    f : Function or str
        The affine base ``a x + b`` (checked symbolically).
    phi : Function or str
        The bounded perturbation.
    radii : array_like, optional
        Default ``D · [1, 1.6, 2.5, 4, 6, 10, 16, 25, 40]``.
    resolution : float, optional
    period : optional
        Period of ``φ`` when given as a string.

    Examples
    --------
    >>> rep = linear_ironing("0.5*x", "sin(3*x)", radii=[2.0, 4.0], resolution=200)
    >>> rep.holds, rep.assumptions["f affine"]
    (True, True)
    """
    t0 = time.perf_counter()
    f = _as_function(f)
    phi = _as_function(phi, period=period, what="phi")
    _check_dim(f, (1,), "linear_ironing")
    _check_dim(phi, (1,), "linear_ironing")
    radii = _check_radii(radii)
    aff, a, b = _affine(f)
    periods, psrc = _periods(phi)
    bounded, box, bnote = _boundedness(phi, periods)
    assumptions = {"f affine": aff, "phi bounded": bounded,
                   "phi recurrent": True if periods is not None else
                   f"periodicity of φ could not be established ({psrc})"}
    notes = [bnote] if bnote else []
    case = f"f = {_case(f)}; φ = {_case(phi)}"
    if not all(v is True for v in assumptions.values()):
        rr = radii if radii is not None else np.array([1.0, 2.0, 4.0])
        nan = np.full(len(rr), np.nan)
        notes.append("not measured: an assumption fails")
        return _make_report("linear-ironing", case, "theorem", None, rr, nan, nan, nan, nan,
                            "upper", None, assumptions, {}, notes,
                            "sup|h^{f+φ}−h^f−sup φ| → 0", "not verified", t0)
    P = periods[0]
    M, argmax, _ = _extrema(phi, +1, periods=periods)
    m, _, _ = _extrema(phi, -1, periods=periods)
    D = _farthest_distance(argmax, periods=periods)
    if radii is None:
        base = max(D, 0.25)
        mult = [1, 2.5, 6, 16, 40] if quick else [1, 1.6, 2.5, 4, 6, 10, 16, 25, 40]
        radii = base * np.asarray(mult, dtype=float)
    # f + φ on [−ρmax, P + ρmax]: the offset minus the line is P-periodic, measure one period
    g = Function(f.expr + phi.expr.subs(phi.symbols[0], f.symbols[0]), f.variables)
    grid = _make_grid(g, box=[[0.0, P]], margin=float(radii.max()), resolution=resolution,
                      quick=quick)
    x = grid.core_axes[0]
    n = len(radii)
    meas, bound, tol = np.empty(n), np.empty(n), np.empty(n)
    curves = []
    for k, rho in enumerate(radii):
        h = grid.dilate(grid.values, rho)[grid.core]
        hf = a * x + b + rho * math.sqrt(1 + a * a)
        diff = h - hf - M
        meas[k] = float(np.max(np.abs(diff)))
        bound[k] = _tilted_deficit(rho, a, D, M - m)
        tol[k] = grid.eps_dil(rho) + grid.eps_grid(diff) + 1e-9 * (1 + abs(M))
        curves.append(diff)
    margin = bound - meas
    holds = bool(np.all(margin >= -tol))
    slope, _ = _fit_exponent(radii, meas, tol=float(np.max(tol)))
    rate = {"exponent": slope, "claimed_exponent": -1.0,
            "limit_rho_times_measured": _fit_limit(radii[radii >= 2 * D], (radii * meas)[radii >= 2 * D]),
            "claimed_limit_at_most": (1 + a * a) ** 1.5 * D * D / 2.0}
    decreasing = bool(np.all(np.diff(meas) <= tol[1:]))
    notes.append(f"measured {'decreases' if decreasing else 'does not decrease monotonically'} "
                 f"over the sweep; fitted exponent {slope:.3f}")
    notes.append("tolerance: dilation of samples + grid minimum (see module docstring)")
    arrays = {"x": x, "difference": _store(np.array(curves)), "slope": a, "intercept": b,
              "sup_phi": M, "D": D, "tolerance": tol, "decreasing": decreasing}
    k = int(np.argmin(margin))
    return _make_report("linear-ironing", case, "theorem", holds, radii, bound, meas, margin, tol,
                        "upper", rate, assumptions, arrays, notes,
                        f"sup|h^(f+φ)−h^f−sup φ| ≤ tilted deficit ≈ s³D²/2ρ → 0, D={D:.4g}",
                        f"{meas[k]:.4g} vs {bound[k]:.4g} at ρ={radii[k]:.3g}; ρ^{slope:.2f}", t0)


# ======================================================================================
# 3. strong ironing (conjecture)


def _common_period(f, g):
    pf, _ = _periods(f)
    pg, _ = _periods(g)
    if pf is None or pg is None or f.dim != 1:
        return None
    a, b = max(pf[0], pg[0]), min(pf[0], pg[0])
    q = a / b
    for k in range(1, 9):
        if abs(q * k - round(q * k)) < 1e-9 * q * k:
            return (a * k,)
    return None


def strong_ironing(f, g, radii=None, *, window=None, resolution=None, period=None,
                   quick=False) -> TheoremReport:
    """Strong ironing (a conjecture): ``sup|f − g| < ∞ ⇒ min_c sup_x |h^g_ρ − h^f_ρ − c| → 0``.

    Measured on a window (one common period when f and g are periodic):
    ``δ(ρ) = (max Δ − min Δ)/2`` with ``Δ = h^g_ρ − h^f_ρ`` (the optimal ``c`` is the midrange,
    kept in ``arrays["c"]``). The report is evidence: ``holds`` is None, ``arrays["evidence"]``
    says whether δ decreases over the sweep ("supports"), not ("against") or is too small to
    tell ("inconclusive"). d = 1.

    Examples
    --------
    >>> rep = strong_ironing("sin(x)", "sin(x) + 0.5*sin(7*x)", radii=[2.0, 8.0],
    ...                      period="2*pi", resolution=200)
    >>> rep.kind, rep.holds, rep.arrays["evidence"]
    ('conjecture', None, 'supports')
    """
    t0 = time.perf_counter()
    f = _as_function(f, period=period)
    g = _as_function(g, period=period, what="g")
    _check_dim(f, (1,), "strong_ironing")
    _check_dim(g, (1,), "strong_ironing")
    radii = _check_radii(radii)
    if radii is None:
        radii = np.array([0.5, 2, 8, 32] if quick else [0.5, 1, 2, 4, 8, 16, 32, 64], dtype=float)
    if f.expr is not None and g.expr is not None:
        expr_d = sympy.simplify(g.expr.subs(g.symbols[0], f.symbols[0]) - f.expr)
        if not expr_d.free_symbols:
            bdd, bnote = True, "g − f is constant"
        else:
            diff = Function(expr_d, f.variables)
            pd, _ = _periods(diff)
            bdd, _, bnote = _boundedness(diff, pd)
    else:
        bdd, bnote = "cannot establish sup|f − g| < ∞ for callable functions", ""
    assumptions = {"sup|f-g| finite": bdd}
    notes = ["conjecture (stated in one seed): the report is evidence, not proof"]
    if bnote:
        notes.append("g − f: " + bnote)
    P = _common_period(f, g)
    if P is not None:
        gf = _make_grid(f, periods=P, resolution=resolution, quick=quick)
        gg = _make_grid(g, periods=P, resolution=resolution, quick=quick)
        wtxt = f"one common period {P[0]:.6g}"
    else:
        win = np.asarray(window if window is not None else
                         (f.domain if f.domain is not None else [[-5.0, 5.0]]), dtype=float)
        if win.ndim == 1:
            win = win[None, :]
        margin = 0.0 if f.domain is not None else float(radii.max())
        gf = _make_grid(f, box=win, margin=margin, resolution=resolution, quick=quick)
        gg = _make_grid(g, box=win, margin=margin, resolution=resolution, quick=quick)
        wtxt = f"window [{win[0, 0]:.4g}, {win[0, 1]:.4g}]"
    n = len(radii)
    meas, cs, tol = np.empty(n), np.empty(n), np.empty(n)
    curves = []
    for k, rho in enumerate(radii):
        hf = gf.dilate(gf.values, rho)[gf.core]
        hg = gg.dilate(gg.values, rho)[gg.core]
        dlt = hg - hf
        meas[k] = 0.5 * float(dlt.max() - dlt.min())
        cs[k] = 0.5 * float(dlt.max() + dlt.min())
        tol[k] = gf.eps_dil(rho) + gg.eps_dil(rho) + gf.eps_grid(dlt)
        curves.append(dlt)
    slope, _ = _fit_exponent(radii, meas, tol=float(np.max(tol)))
    if meas[0] <= tol[0] and meas[-1] <= tol[-1]:
        evidence = "inconclusive"
    elif meas[-1] < meas[0] - tol[0] and np.isfinite(slope) and slope < 0:
        evidence = "supports"
    else:
        evidence = "against"
    if evidence == "against":
        notes.append("δ does not decrease over the sweep: where the contact slopes s of the "
                     "offset grow with ρ (e.g. a parabola), the tilted-ball deficit "
                     "~ s³D²/(2ρ) of linear ironing need not vanish")
    notes.append(f"measured on {wtxt}: δ goes from {meas[0]:.3g} (ρ={radii[0]:.3g}) to "
                 f"{meas[-1]:.3g} (ρ={radii[-1]:.3g}), fitted exponent {slope:.3f}")
    nan = np.full(n, np.nan)
    arrays = {"x": gf.core_axes[0], "difference": _store(np.array(curves)), "c": cs,
              "tolerance": tol, "evidence": evidence}
    rate = {"exponent": slope, "claimed_exponent": None}
    return _make_report("strong-ironing", f"f = {_case(f)}; g = {_case(g)}", "conjecture", None,
                        radii, nan, meas, nan, tol, "none", rate, assumptions, arrays, notes,
                        "min_c sup|h^g−h^f−c| → 0 (conjecture)",
                        f"{meas[0]:.3g} → {meas[-1]:.3g}; ρ^{slope:.2f}", t0)


# ======================================================================================
# 4. unreachable sharp minima


def _find_minima(f, periods):
    """Local minima of f over one period or its sample box, refined (k, d)."""
    d = f.dim
    if periods is not None:
        axes = [p * np.arange(2048 if d == 1 else 96) / (2048 if d == 1 else 96) for p in periods]
        bounds = None
    else:
        axes = [np.linspace(lo, hi, 2049 if d == 1 else 97) for lo, hi in f.sample_box]
        bounds = [tuple(b) for b in f.sample_box]
    shape = tuple(len(a) for a in axes)
    v = f.evaluate(_mesh(axes), 0)[0].reshape(shape)
    loc = np.ones(shape, dtype=bool)
    for ax in range(d):
        for sft in (1, -1):
            nb = np.roll(v, sft, axis=ax)
            if periods is None:
                idx = [slice(None)] * d
                idx[ax] = 0 if sft == 1 else -1
                loc[tuple(idx)] = False  # no minima on the window faces
            loc &= v < nb
    out = []
    for c in np.argwhere(loc)[:32]:
        x0 = np.array([axes[i][c[i]] for i in range(d)])
        x = _refine(f, x0, -1, bounds)
        if periods is not None:
            x = np.mod(x, np.asarray(periods))
        if not any(_torus_dist(x, y, periods) < 1e-6 for y in out):
            out.append(x)
    return np.asarray(out).reshape(-1, d)


def _minimum_check(f, theta):
    """(True | str, λ_max, grad norm, eigenvalues) for the claim that θ is a local minimum."""
    v, g, H = f.evaluate(theta[None, :], 2)
    gn = float(np.linalg.norm(g[0]))
    lam = np.linalg.eigvalsh(H[0])
    scale = 1.0 + float(np.max(np.abs(lam)))
    where = ", ".join(f"{n}={t:.6g}" for n, t in zip(f.variables, theta))
    if gn > 1e-6 * (1.0 + abs(float(v[0]))):
        return f"not a critical point at ({where}): |∇f| = {gn:.3g}", float(lam.max()), gn, lam
    if lam.min() < -1e-8 * scale:
        return (f"not a local minimum at ({where}): Hessian eigenvalues "
                f"{np.round(lam, 6).tolist()} include a negative one (saddle or maximum)",
                float(lam.max()), gn, lam)
    if lam.min() <= 1e-8 * scale:  # degenerate: probe a small sphere
        rng = np.random.default_rng(0)
        dirs = rng.normal(size=(64, f.dim))
        dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
        for r in (1e-3, 1e-2):
            vals = f.evaluate(theta[None, :] + r * dirs, 0)[0]
            if np.any(vals < float(v[0]) - 1e-14 * (1 + abs(float(v[0])))):
                return (f"not a local minimum at ({where}): f decreases along a direction of "
                        f"the singular Hessian", float(lam.max()), gn, lam)
    return True, float(lam.max()), gn, lam


def sharp_minima_unreachable(f, radii=None, minima=None, *, period=None, domain=None,
                             quick=False) -> TheoremReport:
    """Unreachable sharp minima: ``λ_max(∇²f(θ*)) > 1/ρ ⇒ θ* ∈ U_ρ`` (d = 1, 2).

    Measured: the penetration ``ρ − d(c, Γ)`` of the graph into the ball of radius ρ resting
    on the minimum, ``c = (θ*, f(θ*) + ρ)`` (global footpoint distance); ``> 0`` means θ* is
    ρ-unreachable. Claimed: ``> 0`` wherever ``ρ λ_max > 1`` (bound 0, a lower bound). The
    quadratic model predicts ``ρ − sqrt(2ρ/λ − 1/λ²)``; claims whose predicted penetration is
    below 100× the footpoint tolerance are reported as unresolved, not counted.

    Parameters
    ----------
    f : Function or str
    radii : array_like, optional
        Default: 10 radii from ``0.3/λ`` to ``5/λ`` (λ over the minima).
    minima : array_like, optional
        Points to test, (k, d) or (k,) for d = 1. Each is checked to be a local minimum
        (gradient ≈ 0, Hessian PSD); a failing point makes the report ``holds=None`` with the
        failing assumption named. Default: all local minima found over one period / the
        sample box.

    Examples
    --------
    >>> rep = sharp_minima_unreachable("0.5*(x**2 + 9*y**2)", radii=[0.05, 0.5], minima=[[0, 0]])
    >>> rep.holds, rep.measured.shape
    (True, (1, 2))
    """
    t0 = time.perf_counter()
    f = _as_function(f, period=period, domain=domain)
    _check_dim(f, (1, 2), "sharp_minima_unreachable")
    radii = _check_radii(radii)
    periods, _ = _periods(f)
    if minima is None:
        mins = _find_minima(f, periods)
        src = "found"
        if len(mins) == 0:
            raise ValueError(f"no local minimum of {f} found on {f.sample_box.tolist()}; "
                             "pass minima= explicitly")
    else:
        mins = np.asarray(minima, dtype=float)
        if f.dim == 1:
            mins = mins.reshape(-1, 1)
        else:
            mins = np.atleast_2d(mins)
        if mins.ndim != 2 or mins.shape[1] != f.dim or len(mins) == 0:
            raise ValueError(f"minima must have shape (k, {f.dim}), got {np.shape(minima)}")
        src = "given"
    checks = [_minimum_check(f, m) for m in mins]
    lam = np.array([c[1] for c in checks])
    assumptions = {}
    for m, c in zip(mins, checks):
        name = "local minimum at (" + ", ".join(f"{t:.4g}" for t in m) + ")"
        assumptions[name] = c[0]
    if radii is None:
        pos = lam[lam > 0]
        if pos.size == 0:
            radii = np.array([0.5, 1.0, 2.0])
        else:
            radii = np.geomspace(0.3 / pos.max(), 5.0 / pos.min(), 6 if quick else 10)
    k, n = len(mins), len(radii)
    meas = np.empty((k, n))
    for j, rho in enumerate(radii):
        meas[:, j] = _penetration(f, mins, rho)
    tolfp = 1e-9 * (1.0 + radii[None, :] + np.abs(f.evaluate(mins, 0)[0])[:, None])
    claimed = lam[:, None] * radii[None, :] > 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        model = radii[None, :] - np.sqrt(np.maximum(2 * radii[None, :] / lam[:, None]
                                                    - 1 / lam[:, None] ** 2, 0.0))
    resolved = claimed & (model > 100 * tolfp)
    bound = np.where(resolved, 0.0, np.nan)
    margin = meas - bound
    ok_assume = all(c[0] is True for c in checks)
    notes = [f"{len(mins)} minim{'um' if len(mins) == 1 else 'a'} {src}; λ_max = "
             + ", ".join(f"{v:.4g}" for v in lam)]
    if (claimed & ~resolved).any():
        notes.append(f"{int((claimed & ~resolved).sum())} claim(s) too close to ρλ = 1 to "
                     "resolve (predicted penetration below 100× tolerance): not counted")
    if not ok_assume:
        holds = None
        notes.append("a tested point is not a local minimum: no verdict")
    elif resolved.any():
        holds = bool(np.all(meas[resolved] > tolfp[resolved]))
    else:
        holds = None
        notes.append("no (minimum, ρ) pair of the sweep has ρ λ_max > 1: no claim")
    arrays = {"minima": mins, "lambda_max": lam, "model_penetration": model,
              "claimed": claimed, "resolved": resolved, "tolerance": tolfp}
    # cross-check the penetration test with offsetgeo's reachability predicate
    lr = np.array([[bool(np.asarray(is_reachable(f, m if f.dim > 1 else m[0], rho)).ravel()[0])
                    for rho in radii] for m in mins])
    arrays["is_reachable"] = lr
    agree = ~(lr & resolved & (meas > tolfp))
    if not agree.all():
        notes.append("offsetgeo.is_reachable disagrees with the penetration test on "
                     f"{int((~agree).sum())} resolved pair(s)")
    i, j = np.unravel_index(np.nanargmin(np.where(resolved, margin, np.nan)), margin.shape) \
        if resolved.any() else (0, n - 1)
    observed = (f"penetration {meas[i, j]:.3g} at ρλ={radii[j] * lam[i]:.3g}"
                if resolved.any() else "no resolved claim")
    return _make_report("sharp-minima", _case(f), "theorem", holds, radii, bound, meas, margin,
                        tolfp, "lower", None, assumptions, arrays, notes,
                        "ρ λ_max > 1 ⇒ ρ − d(c,Γ) > 0 (unreachable)", observed, t0)


# ======================================================================================
# 5. unreachable sets: open, growing


def unreachable_sets_grow(f, radii=None, *, window=None, resolution=None, period=None,
                          domain=None, quick=False) -> TheoremReport:
    """Unreachable sets are open and grow: ``ρ < ρ' ⇒ U_ρ ⊂ U_ρ'``.

    With the ironing gap ``G_ρ = f̄_ρ − f ≥ 0`` (``U_ρ = {G_ρ > 0}``), the continuum statement
    is ``G_ρ ≤ G_ρ'`` pointwise (a ρ'-ball missing Γ is a union of ρ-balls missing Γ).
    Measured for consecutive radii: ``max (G_ρ − G_ρ')`` over the samples certified in
    ``U_ρ`` (``G_ρ > 2 ε_close``); claimed ``≤ 0`` within ``ε_close(ρ) + ε_close(ρ')``.
    Openness: ``f̄_ρ`` is L-Lipschitz, so ``G_ρ`` is continuous and ``U_ρ`` open; measured as
    the sampled Lipschitz constant of ``G_ρ`` against ``2L`` (+ ``4 ε_close / h``).

    Examples
    --------
    >>> rep = unreachable_sets_grow("sin(x) + 0.3*sin(5*x)", radii=[0.1, 0.5, 2.0],
    ...                             period="2*pi", resolution=200)
    >>> rep.holds, bool(rep.arrays["measure"][-1] > rep.arrays["measure"][0])
    (True, True)
    """
    t0 = time.perf_counter()
    f = _as_function(f, period=period, domain=domain)
    _check_dim(f, (1, 2), "unreachable_sets_grow")
    radii = _check_radii(radii)
    periods, _ = _periods(f)
    notes = []
    if radii is None:
        rc, _, src = _critical_radius(f, periods)
        rc = rc if math.isfinite(rc) else 1.0
        mult = [0.5, 1.25, 3, 8] if quick else [0.5, 0.8, 1.25, 2, 3, 5, 8, 12]
        radii = rc * np.asarray(mult)
        notes.append(f"default radii around ρ_c = {rc:.5g} ({src})")
    if len(radii) < 2:
        raise ValueError("unreachable_sets_grow needs at least two radii")
    if periods is not None:
        grid = _make_grid(f, periods=periods, resolution=resolution, quick=quick)
        where = "one period (periodic closing)"
    else:
        box = np.asarray(window if window is not None else f.sample_box, dtype=float)
        if box.ndim == 1:
            box = box[None, :]
        margin = 0.0 if f.domain is not None else 2.0 * float(radii.max())
        grid = _make_grid(f, box=box, margin=margin, resolution=resolution, quick=quick)
        where = "the window" + (" (graph truncated to the domain)" if f.domain is not None
                                else " widened by 2ρ_max on each side")
    fcore = grid.values[grid.core]
    hmin = min(grid.spacing)
    cell = float(np.prod(grid.spacing))
    n = len(radii)
    gaps, eps, lip, meas_U = [], np.empty(n), np.empty(n), np.empty(n)
    for k, rho in enumerate(radii):
        c = grid.close(grid.values, rho)[grid.core]
        gap = c - fcore
        eps[k] = grid.eps_dil(rho) + grid.L * math.sqrt(grid.h2)
        lip[k] = _lipschitz(gap, grid.spacing) / 1.25
        meas_U[k] = float(np.count_nonzero(gap > 2 * eps[k])) * cell
        gaps.append(gap)
    meas, bound, tol = np.full(n - 1, np.nan), np.zeros(n - 1), np.empty(n - 1)
    for k in range(n - 1):
        inU = gaps[k] > 2 * eps[k]
        tol[k] = eps[k] + eps[k + 1]
        if inU.any():
            meas[k] = float(np.max(gaps[k][inU] - gaps[k + 1][inU]))
    bound = np.where(np.isfinite(meas), 0.0, np.nan)
    margin = bound - meas
    mono_ok = bool(np.all(margin[np.isfinite(margin)] >= -tol[np.isfinite(margin)]))
    lip_bound = 2 * grid.L + 4 * eps / hmin
    open_ok = bool(np.all(lip <= lip_bound))
    if not np.isfinite(meas).any():
        notes.append("U_ρ is empty (to sampling accuracy) for every ρ but the last: inclusion "
                     "is vacuous")
    notes.append(f"computed on {where}; U_ρ = samples with G_ρ > 2ε_close, "
                 f"ε_close = ε_dil + L sqrt(Σh²), L = {grid.L:.4g}")
    notes.append(f"openness: sampled Lipschitz constant of G_ρ ≤ {lip.max():.4g} "
                 f"(certificate 2L = {2 * grid.L:.4g}): G_ρ continuous, U_ρ open")
    assumptions = {"f continuous": True}
    holds = mono_ok and open_ok
    arrays = {"x": grid.core_axes if f.dim > 1 else grid.core_axes[0],
              "gap": _store(np.array(gaps)), "measure": meas_U, "lipschitz_gap": lip,
              "lipschitz_bound": lip_bound, "epsilon": eps, "monotone": mono_ok, "open": open_ok}
    rate = None
    fin = np.isfinite(margin)
    k = int(np.nanargmin(np.where(fin, margin, np.nan))) if fin.any() else 0
    observed = (f"max(G_ρ−G_ρ') = {meas[k]:.3g} (tol {tol[k]:.2g}); |U| {meas_U[0]:.3g}→{meas_U[-1]:.3g}"
                if fin.any() else "U_ρ empty")
    return _make_report("unreachable-growth", _case(f), "theorem", holds, radii, bound, meas,
                        margin, tol, "upper", rate, assumptions, arrays, notes,
                        "G_ρ ≤ G_ρ' (U_ρ ⊂ U_ρ'), G_ρ continuous", observed, t0)


# ======================================================================================
# 6. phase transition


def phase_transition(f, radii=None, *, resolution=None, period=None, domain=None,
                     quick=False) -> TheoremReport:
    """Phase transition of the oscillation ``osc(ρ) = max h_ρ − min h_ρ``.

    Claims checked: ``osc(ρ) = max f − min f`` for ``ρ ≤ ρ_g`` (a global minimiser is
    ρ-reachable; ``ρ_g ≥ ρ_c``, equal for ``sin``) and ``osc(ρ) < max f − min f`` beyond;
    ``osc`` non-increasing; ``osc(ρ) ≤ ρ − sqrt(ρ² − D²)`` for ``ρ ≥ D`` (weak ironing).
    Reported (not claimed at finite ρ): the limit of ``ρ · osc(ρ)`` from a fit
    ``A + B/ρ + C/ρ²`` against ``D²/2`` (``π²/2`` for ``sin``, where ``ρ_c = 1``).
    ``bound = max f − min f`` and, for ``ρ ≥ D``, ``min(max f − min f, ρ − sqrt(ρ² − D²))``.

    Examples
    --------
    >>> rep = phase_transition("sin(x)", radii=[0.5, 2.0], period="2*pi", resolution=200)
    >>> rep.holds, round(rep.arrays["rho_g"], 3)
    (True, 1.0)
    """
    t0 = time.perf_counter()
    f = _as_function(f, period=period, domain=domain)
    _check_dim(f, (1, 2), "phase_transition")
    radii = _check_radii(radii)
    periods, psrc = _periods(f)
    bounded, box, bnote = _boundedness(f, periods)
    assumptions = {"bounded": bounded}
    notes = [bnote] if bnote else []
    if bounded is not True:
        rr = radii if radii is not None else np.array([1.0])
        nan = np.full(len(rr), np.nan)
        return _make_report("phase-transition", _case(f), "theorem", None, rr, nan, nan, nan, nan,
                            "upper", None, assumptions, {}, notes,
                            "osc h_ρ = max f − min f up to ρ_g", "not verified", t0)
    M, argmax, _ = _extrema(f, +1, periods=periods, box=box)
    m, argmin, _ = _extrema(f, -1, periods=periods, box=box)
    D = _farthest_distance(argmax, periods=periods, box=box)
    rho_g, rho_g_err = _transition_radius(f, argmin)
    rho_c, wit, csrc = _critical_radius(f, periods)
    if radii is None:
        mult = ([0.25, 0.75, 1.5, 3, 8, 20, 50] if quick else
                [0.25, 0.5, 0.75, 0.9, 1.1, 1.5, 2, 3, 5, 8, 12, 20, 30, 50])
        radii = rho_g * np.asarray(mult)
        if radii.max() < 8 * D:  # reach the asymptotic regime
            radii = np.concatenate([radii, D * np.array([8.0, 16.0])])
        radii = np.unique(radii)
    grid = _make_grid(f, periods=periods, box=box, resolution=resolution, quick=quick)
    n = len(radii)
    osc, tol = np.empty(n), np.empty(n)
    hmins = []
    for k, rho in enumerate(radii):
        h = grid.dilate(grid.values, rho)[grid.core]
        osc[k] = float(h.max() - h.min())
        tol[k] = 2 * grid.eps_dil(rho) + grid.eps_grid(h) + 2e-9 * (1 + abs(M) + abs(m))
        hmins.append(float(h.min()) - rho)
    amp = M - m
    bound = np.full(n, amp)
    wi = radii >= D
    bound[wi] = np.minimum(amp, radii[wi] - np.sqrt(radii[wi] ** 2 - D * D))
    margin = bound - osc
    band = max(rho_g_err, 1e-6 * rho_g)
    below = radii <= rho_g - band
    above = radii > rho_g + band
    plateau_err = np.abs(osc - amp)
    plateau_ok = bool(np.all(plateau_err[below] <= tol[below]))
    upper_ok = bool(np.all(margin >= -tol))
    mono_ok = bool(np.all(np.diff(osc) <= tol[1:] + tol[:-1]))
    drop_claim = above & (radii >= 1.5 * rho_g)
    # the theorem says the oscillation drops past ρ_g, not how fast: just past ρ_g the drop
    # can stay below the sampling tolerance, so it must be seen at some radius of the sweep
    # beyond 1.5 ρ_g (with osc non-increasing, it then stays down)
    drop_ok = bool(np.any(osc[drop_claim] < amp - tol[drop_claim])) if drop_claim.any() else True
    holds = plateau_ok and upper_ok and mono_ok and drop_ok
    tail = radii >= max(3 * rho_g, 2 * D)
    lim = _fit_limit(radii[tail], radii[tail] * osc[tail]) if tail.sum() >= 2 else float("nan")
    rate = {"limit_rho_times_osc": lim, "claimed_limit": D * D / 2.0,
            "relative_error": abs(lim - D * D / 2) / (D * D / 2) if D > 0 else float("nan"),
            "rho_times_osc_at_max_radius": float(radii[-1] * osc[-1])}
    notes.append(f"ρ_g = {rho_g:.6g} ± {rho_g_err:.1g} (footpoint bisection: largest ρ with a "
                 f"reachable global minimiser); ρ_c = {rho_c:.6g} ({csrc})")
    notes.append(f"plateau |osc − (max f − min f)| ≤ {plateau_err[below].max() if below.any() else float('nan'):.3g} "
                 f"below ρ_g; osc non-increasing: {mono_ok}; drop seen beyond 1.5ρ_g: {drop_ok}")
    notes.append(f"ρ·osc → {lim:.5g} (fit A + B/ρ + C/ρ² over ρ ≥ {max(3 * rho_g, 2 * D):.3g}); "
                 f"D²/2 = {D * D / 2:.5g}")
    arrays = {"osc": osc, "min_h_minus_rho": np.array(hmins), "amplitude": amp, "M": M, "m": m,
              "D": D, "rho_g": rho_g, "rho_g_error": rho_g_err, "rho_c": rho_c,
              "rho_c_witness": wit, "argmin": argmin, "argmax": argmax, "tolerance": tol,
              "plateau_error": plateau_err, "rho_times_osc": radii * osc}
    claim = f"osc = {amp:.4g} for ρ ≤ ρ_g={rho_g:.4g}, then drops; ρ·osc → D²/2={D * D / 2:.4g}"
    observed = (f"plateau err {plateau_err[below].max() if below.any() else float('nan'):.2g}; "
                f"ρ·osc → {lim:.4g}")
    return _make_report("phase-transition", _case(f), "theorem", holds, radii, bound, osc, margin,
                        tol, "upper", rate, assumptions, arrays, notes, claim, observed, t0)


# ======================================================================================
# defaults, table, JSON, CLI


STATEMENTS = {
    "weak-ironing": weak_ironing,
    "linear-ironing": linear_ironing,
    "strong-ironing": strong_ironing,
    "sharp-minima": sharp_minima_unreachable,
    "unreachable-growth": unreachable_sets_grow,
    "phase-transition": phase_transition,
}

#: number of expressions each statement takes on the command line
_N_EXPR = {"weak-ironing": 1, "linear-ironing": 2, "strong-ironing": 2, "sharp-minima": 1,
           "unreachable-growth": 1, "phase-transition": 1}

_TWO_PI = 2 * math.pi

#: default cases: statement -> list of (args, kwargs)
DEFAULT_CASES = {
    "weak-ironing": [
        (("sin(x)",), {"period": _TWO_PI}),
        (("sin(x) + 0.3*sin(5*x)",), {"period": _TWO_PI}),
        (("sin(x)*cos(y)",), {"period": _TWO_PI}),
    ],
    "linear-ironing": [
        (("0.5*x", "sin(3*x)"), {}),
    ],
    "strong-ironing": [
        (("sin(x)", "sin(x) + 0.5*sin(7*x)"), {"period": _TWO_PI}),
        (("0.5*x + sin(x)", "0.5*x + sin(x) + 0.5*sin(7*x)"), {"window": [-3.0, 3.0]}),
        (("0.1*x**2", "0.1*x**2 + 0.5*sin(7*x)"), {"window": [-3.0, 3.0]}),
    ],
    "sharp-minima": [
        (("sin(x) + 0.3*sin(5*x)",), {"period": _TWO_PI}),
        (("0.5*(x**2 + 9*y**2)",), {"minima": [[0.0, 0.0]]}),
    ],
    "unreachable-growth": [
        (("sin(x) + 0.3*sin(5*x)",), {"period": _TWO_PI}),
        (("sin(x)*cos(y) + 0.2*sin(3*x)",), {"period": _TWO_PI}),
    ],
    "phase-transition": [
        (("sin(x)",), {"period": _TWO_PI}),
        (("sin(x) + 0.3*sin(5*x)",), {"period": _TWO_PI}),
    ],
}


def run_all(quick=False, statements=None) -> list:
    """Every statement on its default cases (:data:`DEFAULT_CASES`)."""
    out = []
    names = list(STATEMENTS) if statements is None else list(statements)
    for name in names:
        if name not in STATEMENTS:
            raise ValueError(f"unknown statement {name!r}; choose from {', '.join(STATEMENTS)}")
        for args, kw in DEFAULT_CASES[name]:
            out.append(STATEMENTS[name](*args, quick=quick, **kw))
    return out


def _fmt(v, nd=4):
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if not math.isfinite(x):
        return "—"
    return f"{x:.{nd}g}"


def format_table(reports) -> str:
    """Plain-text table: statement, case, claimed bound, measured, margin, verdict."""
    head = ["statement", "case", "claimed bound", "measured", "margin", "verdict"]
    rows = []
    for r in reports:
        case = r.case if len(r.case) <= 46 else r.case[:45] + "…"
        rows.append([r.statement, case, r.claim, r.observed, _fmt(r.worst_margin, 3), r.verdict])
    widths = [max(len(head[i]), *(len(row[i]) for row in rows)) if rows else len(head[i])
              for i in range(len(head))]
    widths = [min(w, 70) for w in widths]

    def line(cells):
        return "  ".join(str(c)[:w].ljust(w) for c, w in zip(cells, widths)).rstrip()

    out = [line(head), line(["-" * w for w in widths])]
    out += [line(row) for row in rows]
    return "\n".join(out)


def reports_to_json(reports, include_arrays=False) -> str:
    """JSON list of the reports (``include_arrays`` adds the plotting arrays)."""
    return json.dumps([r.to_dict(include_arrays) for r in reports], indent=1, ensure_ascii=False)


def add_verify_arguments(parser):
    """Add the ``offsetgeo verify`` arguments to an argparse parser."""
    parser.add_argument("statement", nargs="?", default=None,
                        help="one of: " + ", ".join(STATEMENTS) + " (default: all)")
    parser.add_argument("expr", nargs="*", default=[],
                        help="your function(s): f (and φ for linear-ironing, g for "
                             "strong-ironing); default cases when omitted")
    parser.add_argument("--period", default=None, help="period of the function(s), e.g. 2*pi")
    parser.add_argument("--domain", nargs=2, default=None, metavar=("LO", "HI"),
                        help="domain interval (1-D)")
    parser.add_argument("--window", nargs=2, type=float, default=None, metavar=("LO", "HI"),
                        help="measurement window for non-periodic functions")
    parser.add_argument("--radii", nargs="+", type=float, default=None, metavar="R")
    parser.add_argument("--minimum", nargs="+", type=float, default=None, metavar="X",
                        help="point to test for sharp-minima (d values)")
    parser.add_argument("--resolution", type=float, default=None,
                        help="grid samples per unit length")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--arrays", action="store_true", help="with --json: include arrays")
    parser.add_argument("--quick", action="store_true", help="coarser grids, fewer radii")
    return parser


def _user_report(name, exprs, args):
    fn = STATEMENTS[name]
    kw = {"quick": bool(getattr(args, "quick", False))}
    if args.radii is not None:
        kw["radii"] = args.radii
    period = args.period
    domain = None if args.domain is None else [_parse_num(v) for v in args.domain]
    if name in ("weak-ironing", "sharp-minima", "unreachable-growth", "phase-transition"):
        f = Function(exprs[0], period=period, domain=domain)
        if name == "sharp-minima" and args.minimum is not None:
            kw["minima"] = [args.minimum]
        if args.resolution is not None and name != "sharp-minima":
            kw["resolution"] = args.resolution
        if args.window is not None and name in ("weak-ironing", "unreachable-growth"):
            kw["window"] = args.window
        return fn(f, **kw)
    if args.resolution is not None:
        kw["resolution"] = args.resolution
    if name == "linear-ironing":
        return fn(Function(exprs[0]), Function(exprs[1], period=period), **kw)
    if args.window is not None:
        kw["window"] = args.window
    return fn(Function(exprs[0], period=period), Function(exprs[1], period=period), **kw)


def _parse_num(v):
    from .function import _number
    return _number(v, "domain bound")


def run_verify(args) -> int:
    """Run ``offsetgeo verify`` from parsed arguments; print; return the exit code.

    Exit codes: 0 no claimed bound violated (assumption failures and conjectures included),
    1 some claimed bound violated, 2 bad input.
    """
    import sys
    try:
        name = args.statement
        exprs = list(args.expr or [])
        if name is None:
            if exprs:
                raise ValueError("give a statement name before the expression")
            reports = run_all(quick=bool(args.quick))
        else:
            if name not in STATEMENTS:
                raise ValueError(f"unknown statement {name!r}; choose from "
                                 f"{', '.join(STATEMENTS)}")
            if not exprs:
                if args.radii is not None:
                    reports = [STATEMENTS[name](*a, quick=bool(args.quick),
                                                **{**kw, "radii": args.radii})
                               for a, kw in DEFAULT_CASES[name]]
                else:
                    reports = run_all(quick=bool(args.quick), statements=[name])
            else:
                need = _N_EXPR[name]
                if len(exprs) != need:
                    raise ValueError(f"{name} takes {need} expression(s), got {len(exprs)}")
                reports = [_user_report(name, exprs, args)]
    except (ValueError, TypeError) as err:
        print(f"offsetgeo verify: error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(reports_to_json(reports, include_arrays=bool(getattr(args, "arrays", False))))
    else:
        print(format_table(reports))
        for r in reports:
            if r.holds is None and r.kind == "theorem" and r.failed_assumptions:
                for k in r.failed_assumptions:
                    print(f"  [{r.statement}] assumption {k!r}: {r.assumptions[k]}")
                for note in r.notes:
                    print(f"  [{r.statement}] {note}")
    return 1 if any(r.holds is False for r in reports) else 0
