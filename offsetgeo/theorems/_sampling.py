"""Sampling for the verifiers: graphs on grids with error bounds, extrema, distances, fits.

Sampling error bounds (``h`` the grid spacing, ``Σh² = h0² + h1²`` in 2-D, ``L = sup|∇f|``,
``K = sup‖∇²f‖`` on the sampled window):

* dilation of samples: ``h_s ≤ h_ρ ≤ h_s + ε_dil`` with
  ``ε_dil = 2 · (K + (1 + L²)^{3/2} / ρ) · Σh² / 8``;
* minimum over a grid of an ``ℓ``-Lipschitz function: ``ε_grid = ℓ · sqrt(Σh²) / 2``;
* closing at a sample: ``ε_close = ε_dil + L · sqrt(Σh²)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from .._grid import MAX_WORK
from .._morphology import hemisphere_closing, hemisphere_dilation
from .._numerics import grid_local_extrema, mesh, minimize_bounded
from .._offset import offset_minimum

__all__ = ["SampledGraph", "sample_graph", "lipschitz", "derivative_bounds", "refine_extremum",
           "extrema", "torus_distance", "farthest_distance", "fit_exponent", "fit_limit",
           "store", "candidate_minima", "ExactMinimum", "exact_offset_minima",
           "exact_minima_1d", "exactness_notes", "EPS", "DEFAULT_RES", "QUICK_RES"]

EPS = np.finfo(float).eps
DEFAULT_RES = {1: 1000.0, 2: 24.0}     # grid samples per unit length
QUICK_RES = {1: 400.0, 2: 14.0}
MAX_GRID = {1: 4_000_000, 2: 1_500_000}
STORE_LIMIT = 2_000_000                 # largest curve array kept in ``arrays``


@dataclass(frozen=True)
class SampledGraph:
    """Samples of a function on a grid (one period, or a box with a margin), with the bounds
    ``L ≥ |∇f|``, ``K ≥ ‖∇²f‖`` behind the error bounds of the module docstring."""

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
        return hemisphere_dilation(values, self.spacing, rho, periodic=self.periodic)

    def close(self, values, rho):
        return hemisphere_closing(values, self.spacing, rho, periodic=self.periodic)

    def eps_dil(self, rho):
        """Bound on (exact − sampled) dilation, see the module docstring."""
        return (2.0 * (self.K + (1.0 + self.L ** 2) ** 1.5 / rho) * self.h2 / 8.0
                + 64 * EPS * (1.0 + float(np.max(np.abs(self.values))) + rho))

    def eps_grid(self, core_values):
        """Grid-minimum error of a function sampled on the core: ℓ sqrt(Σh²)/2."""
        return lipschitz(core_values, self.spacing) * math.sqrt(self.h2) / 2.0


def lipschitz(v, spacing):
    v = np.asarray(v, dtype=float)
    lip = 0.0
    for ax, h in enumerate(spacing):
        if v.shape[ax] > 1:
            lip = max(lip, float(np.max(np.abs(np.diff(v, axis=ax)))) / h)
    return lip * 1.25  # safety for the slope between samples


def derivative_bounds(f, pts):
    _, g, H = f.evaluate(pts, 2)
    L = float(np.max(np.linalg.norm(g, axis=1))) if len(g) else 0.0
    if f.dim == 1:
        K = float(np.max(np.abs(H[:, 0, 0])))
    else:
        K = float(np.max(np.abs(np.linalg.eigvalsh(H))))
    return L, K



def _ceil(x: float) -> float:
    """``ceil(x)`` as an int, or ``inf`` past 2**62 (no overflow, no huge int)."""
    return math.ceil(x) if x < 2.0**62 else math.inf


def sample_graph(f, *, periods=None, box=None, margin=0.0, resolution=None, quick=False):
    """Samples of f: one period (periodic) or ``box`` widened by ``margin`` on each side."""
    d = f.dim
    res = resolution if resolution is not None else (QUICK_RES if quick else DEFAULT_RES)[d]
    res = float(res)
    if not math.isfinite(res) or res <= 0:
        raise ValueError(f"resolution must be positive, got {resolution!r}")
    # the grid's size first, in floats: a huge resolution must be refused before allocating
    periodic = periods is not None
    lengths = list(periods) if periodic else [hi - lo for lo, hi in np.asarray(box, float)]
    starts = [0.0] * d if periodic else [lo for lo, _ in np.asarray(box, float)]
    counts = [max(_ceil(length * res), 16 if periodic else 8) for length in lengths]
    spacing = [length / n for length, n in zip(lengths, counts)]
    pads = [0 if periodic or margin <= 0 else (_ceil(margin / h) + 1 if h > 0 else math.inf)
            for h in spacing]
    total = math.prod(n + (0 if periodic else 2 * k + 1) for n, k in zip(counts, pads))
    if total > MAX_GRID[d]:
        raise ValueError(f"the sampling grid would need {total:.3g} samples at resolution "
                         f"{res:.6g} per unit (limit {MAX_GRID[d]}): lower the resolution, the "
                         "largest radius or the window")
    cost = (f.cost(0) or 0) + (f.cost(2) or 0)
    if total * cost > MAX_WORK:
        raise ValueError(f"sampling {f} on the verifier's grid would cost {total * cost:.3g} "
                         f"tape instructions ({total:.3g} samples × {cost} for the value and its "
                         f"derivatives; the bound is {MAX_WORK:.3g}, about 5 s): lower the "
                         "resolution or the window, or simplify the expression")
    if periodic:
        axes = [h * np.arange(n) for h, n in zip(spacing, counts)]
        core = [slice(0, n) for n in counts]
    else:
        axes = [lo + h * np.arange(-k, n + k + 1) for lo, h, n, k in zip(starts, spacing, counts,
                                                                        pads)]
        core = [slice(k, k + n + 1) for n, k in zip(counts, pads)]
    pts = mesh(axes)
    with np.errstate(all="ignore"):
        v, = f.evaluate(pts, 0)
    if not np.all(np.isfinite(v)):
        raise f.not_finite_error(pts, ~np.isfinite(v), "on the sampling window", value=v)
    L, K = derivative_bounds(f, pts)
    shape = tuple(len(a) for a in axes)
    return SampledGraph(axes, tuple(spacing), v.reshape(shape), periodic, tuple(core), L, K)


def refine_extremum(f, x0, sign, bounds):
    """Refine a local max (sign=+1) / min (sign=-1) of f from x0 (d,) by L-BFGS-B + Newton."""

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


def extrema(f, sign, *, periods=None, box=None, per_axis=None):
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
    pts = mesh(axes)
    v, _, H = f.evaluate(pts, 2)
    shape = tuple(len(a) for a in axes)
    s = sign * v.reshape(shape)
    K = float(np.max(np.abs(H))) * d
    h2 = sum((a[1] - a[0]) ** 2 for a in axes)
    smax = float(s.max())
    slack = 2.0 * K * h2 / 8.0 + 1e-12 * (1 + abs(smax))
    # discrete local maxima of s within the slack of the sampled maximum
    is_loc = (s >= smax - slack) & grid_local_extrema(s, kind="max", wrap=periods is not None)
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
        x = refine_extremum(f, x0, sign, None if periods is not None else bounds)
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
        if not any(torus_distance(x, y, periods) < 1e-6 for y in uniq):
            uniq.append(x)
    return sign * best, np.asarray(uniq), note


def torus_distance(x, y, periods):
    dx = np.abs(np.asarray(x) - np.asarray(y))
    if periods is not None:
        P = np.asarray(periods)
        dx = np.minimum(dx % P, P - dx % P)
    return float(np.linalg.norm(dx))


def farthest_distance(points, *, periods=None, box=None):
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
    G = mesh(axes)
    best = np.full(len(G), np.inf)
    for sft in shifts:
        Q = P + sft
        for start in range(0, len(Q), 256):
            blk = Q[start:start + 256]
            dist = np.sqrt(((G[:, None, :] - blk[None, :, :]) ** 2).sum(-1)).min(1)
            best = np.minimum(best, dist)
    return float(best.max())


def candidate_minima(axes, values, slack, periodic, limit=32):
    """The discrete local minima of ``values`` (samples on the grid ``axes``) within ``slack``
    of the smallest sample, best first (at most ``limit``), as points (k, d)."""
    v = np.asarray(values, dtype=float)
    local = grid_local_extrema(v, kind="min", wrap=periodic) & (v <= v.min() + slack)
    idx = np.argwhere(local)
    idx = idx[np.argsort(v[tuple(idx.T)], kind="stable")][:limit]
    return np.stack([np.asarray(axes[i])[idx[:, i]] for i in range(v.ndim)], -1)


@dataclass(frozen=True)
class ExactMinimum:
    """A minimum over the measured region, refined from samples.

    ``value`` is exact to ``precision`` when ``certified`` (it lies in the interval the
    sampling error bounds allow); otherwise it is the sampled one, within the sampling
    tolerance."""

    value: float
    where: np.ndarray
    precision: float
    certified: bool


def exact_offset_minima(f, radii, grid, offsets, *, tilt=0.0) -> list:
    """``min_x h_ρ(x) − tilt·x`` over the measured region of ``grid``, exactly, for each radius
    of ``radii`` (``offsets``: the sampled ``h`` of each, on the grid's core).

    The sampled offset ``h`` (the dilation of the samples, ``h_s ≤ h_ρ ≤ h_s + ε_dil`` at the
    samples) places the exact minimum within ``[min q_s − ε_grid, min q_s + ε_dil]``; its
    discrete local minima within ``ε_dil + ε_grid`` of the sampled minimum are refined on the
    exact ``h_ρ`` (:func:`offsetgeo._offset.offset_minimum`: Newton on the contact branches
    and their tie at a kink in 1-D, compass search in 2-D), the candidates of every radius in
    one batch.

    Returns
    -------
    minima : list of ExactMinimum
        One per radius.
    """
    axes = grid.core_axes
    tilt = np.broadcast_to(np.asarray(tilt, dtype=float), (f.dim,))
    coords = np.meshgrid(*axes, indexing="ij")
    plane = sum(t * c for t, c in zip(tilt, coords))
    qs = [h - plane for h in offsets]
    eps = [(grid.eps_dil(rho), grid.eps_grid(q)) for rho, q in zip(radii, qs)]
    starts = [candidate_minima(axes, q, e_dil + e_grid, grid.periodic)
              for q, (e_dil, e_grid) in zip(qs, eps)]
    owner = np.repeat(np.arange(len(starts)), [len(s) for s in starts])
    xatol = 1e-13 if f.dim == 1 else 1e-10
    x, value = offset_minimum(f, np.asarray(radii, dtype=float)[owner], np.concatenate(starts),
                              np.asarray(grid.spacing), tilt=tilt, xatol=xatol)
    out = []
    for j, (rho, q, (eps_dil, eps_grid)) in enumerate(zip(radii, qs, eps)):
        mine = np.flatnonzero(owner == j)
        k = mine[int(np.argmin(value[mine]))]
        best = float(value[k])
        scale = 1.0 + abs(best) + rho
        precision = 1e-12 * scale if f.dim == 1 else 2.0 * (grid.L + float(np.abs(tilt).max())) \
            * xatol + 1e-12 * scale
        low = float(q.min())
        certified = bool(low - eps_grid - precision <= best <= low + eps_dil + precision)
        out.append(ExactMinimum(best, x[k], precision, True) if certified else
                   ExactMinimum(low, starts[j][0], eps_dil + eps_grid, False))
    return out


def exact_minima_1d(func, x, values, slack, half_width, *, periodic, local=None) -> list:
    """``min func_j`` over a 1-D region sampled at ``x``, for several functions at once:
    ``values`` (m, n) holds their samples, known to within ``slack`` (m,) of the exact ones.

    The discrete local minima of each within ``2 slack_j`` of its smallest sample are refined
    by Brent's bounded search, all in one batch. ``func(points, which) -> values`` evaluates
    function ``which[i]`` at ``points[i]``. With ``local(starts, which) -> g(points, rows)``, a
    cheap evaluation valid near the starts (``rows`` index the starts), the search runs on it
    and ``func`` checks the answer (rows it refutes are searched again on ``func``). A minimum
    may sit on a kink: ``precision`` is the sampled Lipschitz constant times twice Brent's
    location tolerance, ``sqrt(eps) |x| + xatol / 3``.

    Returns
    -------
    minima : list of ExactMinimum
        One per function.
    """
    values = np.atleast_2d(np.asarray(values, dtype=float))
    slack = np.broadcast_to(np.asarray(slack, dtype=float), values.shape[:1])
    per = [candidate_minima([x], v, 2 * s, periodic)[:, 0] for v, s in zip(values, slack)]
    which = np.repeat(np.arange(len(per)), [len(p) for p in per])
    starts = np.concatenate(per)
    xatol = 1e-10 * (1.0 + float(np.abs(x).max()))
    lo, hi = starts - half_width, starts + half_width
    search = (lambda t, rows: func(t, which[rows])) if local is None else local(starts, which)
    at, value, _ = minimize_bounded(search, lo, hi, xatol)
    if local is not None:
        exact = func(at, which)
        wrong = np.flatnonzero(np.abs(exact - value) > 1e-12 * (1.0 + np.abs(exact)))
        value = exact
        if wrong.size:
            at[wrong], value[wrong], _ = minimize_bounded(
                lambda t, rows: func(t, which[wrong[rows]]), lo[wrong], hi[wrong], xatol)
    out = []
    for j, (v, s) in enumerate(zip(values, slack)):
        mine = np.flatnonzero(which == j)
        k = mine[int(np.argmin(value[mine]))]
        lip = lipschitz(v, (float(x[1] - x[0]),))
        located = math.sqrt(EPS) * abs(float(at[k])) + xatol / 3.0
        precision = lip * 2 * located + 1e-12 * (1.0 + abs(float(value[k])))
        low = float(np.min(v))
        certified = bool(low - s - precision <= value[k] <= low + s + precision)
        out.append(ExactMinimum(float(value[k]), np.array([at[k]]), precision, True) if certified
                   else ExactMinimum(low, np.array([per[j][0]]), float(s), False))
    return out


def exactness_notes(what, tol, uncertified):
    """The notes of a report whose numbers are exact: what was computed and to what
    precision, and the radii where the exact refinement fell back to sampling."""
    notes = [f"{what} exact (offset_height refined from the sampled offset's minima); "
             f"measured to ±{float(np.max(tol)):.1g}"]
    if uncertified:
        notes.append("the exact refinement left the sampling bounds at ρ = "
                     + ", ".join(f"{r:.4g}" for r in uncertified)
                     + ": sampled value and tolerance used there")
    return notes


def fit_exponent(radii, values, tol=0.0):
    """Least-squares slope of log(values) against log(radii) over entries above tol."""
    r = np.asarray(radii, dtype=float)
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v) & (v > max(tol, 1e-300))
    if ok.sum() < 2:
        return float("nan"), float("nan")
    A = np.column_stack([np.log(r[ok]), np.ones(ok.sum())])
    (slope, icpt), *_ = np.linalg.lstsq(A, np.log(v[ok]), rcond=None)
    return float(slope), float(math.exp(icpt))


def fit_limit(radii, y):
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


def store(arr):
    arr = np.asarray(arr)
    if arr.size <= STORE_LIMIT:
        return arr
    step = int(math.ceil(arr.size / STORE_LIMIT))
    return arr[..., ::step]


