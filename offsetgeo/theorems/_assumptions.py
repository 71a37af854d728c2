"""The assumptions of the statements, checked: periodicity, boundedness, affinity,
local minima."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import sympy

from .._numerics import grid_local_extrema, mesh
from ._sampling import refine_extremum, torus_distance

__all__ = ["periods_of", "polynomial_degree", "boundedness", "bounds_of", "Bounds",
           "affine_check", "common_period", "find_minima", "minimum_check"]


def periods_of(f):
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


class Bounds(NamedTuple):
    """Whether a function is bounded, and why: its periods (and where they come from), or a
    compact domain box."""

    periods: object
    period_source: str
    bounded: object
    box: object
    note: str


def bounds_of(f) -> Bounds:
    """Periods and boundedness of ``f`` (see :func:`periods_of`, :func:`boundedness`)."""
    periods, source = periods_of(f)
    return Bounds(periods, source, *boundedness(f, periods))


def polynomial_degree(f):
    if f.expr is None:
        return None
    try:
        if f.expr.is_polynomial(*f.symbols):
            return int(sympy.Poly(f.expr, *f.symbols).total_degree())
    except Exception:  # noqa: BLE001
        return None
    return None


def boundedness(f, periods):
    """(True | False | str, bounded box or None, note)."""
    if periods is not None:
        return True, None, "periodic and continuous, hence bounded"
    if f.domain is not None:
        return True, f.domain.copy(), "continuous on the compact domain box, hence bounded"
    deg = polynomial_degree(f)
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



def affine_check(f):
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



def common_period(f, g):
    pf, _ = periods_of(f)
    pg, _ = periods_of(g)
    if pf is None or pg is None or f.dim != 1:
        return None
    a, b = max(pf[0], pg[0]), min(pf[0], pg[0])
    q = a / b
    for k in range(1, 9):
        if abs(q * k - round(q * k)) < 1e-9 * q * k:
            return (a * k,)
    return None



def find_minima(f, periods):
    """Local minima of f over one period or its sample box, refined (k, d)."""
    d = f.dim
    if periods is not None:
        axes = [p * np.arange(2048 if d == 1 else 96) / (2048 if d == 1 else 96) for p in periods]
        bounds = None
    else:
        axes = [np.linspace(lo, hi, 2049 if d == 1 else 97) for lo, hi in f.sample_box]
        bounds = [tuple(b) for b in f.sample_box]
    shape = tuple(len(a) for a in axes)
    v = f.evaluate(mesh(axes), 0)[0].reshape(shape)
    # strict minima; none on the faces of a (non-periodic) window
    loc = grid_local_extrema(v, kind="min", strict=True, wrap=periods is not None, faces=False)
    out = []
    for c in np.argwhere(loc)[:32]:
        x0 = np.array([axes[i][c[i]] for i in range(d)])
        x = refine_extremum(f, x0, -1, bounds)
        if periods is not None:
            x = np.mod(x, np.asarray(periods))
        if not any(torus_distance(x, y, periods) < 1e-6 for y in out):
            out.append(x)
    return np.asarray(out).reshape(-1, d)


def minimum_check(f, theta):
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


