"""Independent references for the exactness tests: dense sampling refined by Newton on
derivatives that sympy writes (not offsetgeo's tape), mpmath constructions of balls.

Nothing here calls offsetgeo's geometry: a reference that shared the library's code path
could not catch its mistakes.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import sympy


def derivatives(expr, order=2):
    """``[f, f', f'']`` of a one-variable expression string in ``x``, as NumPy callables."""
    x = sympy.Symbol("x", real=True)
    e = sympy.sympify(expr, locals={"x": x})
    return [sympy.lambdify(x, sympy.diff(e, x, k), "numpy") for k in range(order + 1)]


def gradient_hessian(expr):
    """``f``, ``∇f``, ``∇²f`` of a two-variable expression string in ``x, y`` (NumPy)."""
    x, y = sympy.symbols("x y", real=True)
    e = sympy.sympify(expr, locals={"x": x, "y": y})
    f = sympy.lambdify((x, y), e, "numpy")
    g = [sympy.lambdify((x, y), sympy.diff(e, v), "numpy") for v in (x, y)]
    H = [[sympy.lambdify((x, y), sympy.diff(e, a, b), "numpy") for b in (x, y)] for a in (x, y)]
    return f, g, H


def _as_array(value, like):
    return np.broadcast_to(np.asarray(value, dtype=float), np.shape(like)).astype(float)


# ----------------------------------------------------------------------------------- 1-D offsets


def dilation(fs, x, rho, samples=20001, lo=-np.inf, hi=np.inf):
    """``h_ρ(x) = max_φ f(φ) + sqrt(ρ² − (x − φ)²)`` over ``φ ∈ [x − ρ, x + ρ] ∩ [lo, hi]``: every
    local maximum of a dense sampling refined by Newton on ``F'(φ) = 0``, and the end points.

    Returns (h, contact).
    """
    f0, f1, f2 = fs
    phi = x + rho * np.linspace(-1.0, 1.0, samples)[1:-1]
    phi = phi[(phi >= lo) & (phi <= hi)]
    F = _as_array(f0(phi), phi) + np.sqrt(rho * rho - (x - phi) ** 2)
    left = np.r_[-np.inf, F[:-1]]
    right = np.r_[F[1:], -np.inf]
    starts = phi[(F >= left) & (F >= right)]
    best, contact = -np.inf, np.nan
    for p in starts:
        for _ in range(60):
            s = math.sqrt(max(rho * rho - (x - p) ** 2, 1e-300))
            g = float(f1(p)) + (x - p) / s
            c = float(f2(p)) - rho * rho / s**3
            if c >= 0:
                break
            step = -g / c
            q = min(max(p + step, lo, x - rho * (1 - 1e-12)), hi, x + rho * (1 - 1e-12))
            if abs(q - p) <= 1e-16 * (1 + abs(p)):
                p = q
                break
            p = q
        value = float(f0(p)) + math.sqrt(max(rho * rho - (x - p) ** 2, 0.0))
        if value > best:
            best, contact = value, p
    for end in (lo, hi):   # a ball beyond the domain rests on its end point
        if np.isfinite(end) and abs(x - end) < rho:
            value = float(f0(end)) + math.sqrt(rho * rho - (x - end) ** 2)
            if value > best:
                best, contact = value, end
    return best, contact


def kinks(fs, rho, lo, hi, step=0.004, jump=0.05):
    """Kinks of ``h_ρ`` on ``[lo, hi]``: where the contact point jumps between grid points
    (by more than ``jump``), located by bisection on which side the contact is.

    Returns a list of ``(x, a, b)``: the kink and the two contact points ``a < b``.
    """
    xs = np.arange(lo, hi + step / 2, step)
    contact = np.array([dilation(fs, x, rho)[1] for x in xs])
    out = []
    for i in np.flatnonzero(np.diff(contact) > jump):
        left, right = xs[i], xs[i + 1]
        a, b = contact[i], contact[i + 1]
        for _ in range(80):
            mid = 0.5 * (left + right)
            c = dilation(fs, mid, rho)[1]
            if abs(c - a) <= abs(c - b):
                left, a = mid, c
            else:
                right, b = mid, c
            if right - left <= 4e-16 * (1 + abs(mid)):
                break
        out.append((0.5 * (left + right), a, b))
    return out


def ball_centre(expr, rho, a, dps=40):
    """``p(a) + ρ n(a)`` in mpmath: the centre of the ball of radius ρ resting at ``a``."""
    mp.mp.dps = dps
    f = _mp_function(expr)
    a = mp.mpf(a)
    g = mp.diff(f, a)
    s = mp.sqrt(1 + g * g)
    return a - rho * g / s, f(a) + rho / s


def bitangent(expr, rho, a0, b0, dps=40):
    """The ball of radius ρ resting on the graph at two points: ``c(a) = c(b)`` solved by
    mpmath from ``(a0, b0)``. Returns ``(a, b, cx, cy)`` as mpf."""
    mp.mp.dps = dps
    rho = mp.mpf(rho)

    def equations(a, b):
        ca, cb = ball_centre(expr, rho, a, dps), ball_centre(expr, rho, b, dps)
        return [ca[0] - cb[0], ca[1] - cb[1]]

    a, b = mp.findroot(equations, (mp.mpf(a0), mp.mpf(b0)))
    cx, cy = ball_centre(expr, rho, a, dps)
    return a, b, cx, cy


def _mp_function(expr):
    x = sympy.Symbol("x", real=True)
    return sympy.lambdify(x, sympy.sympify(expr, locals={"x": x}), "mpmath")


def mp_function(expr, dps=40):
    mp.mp.dps = dps
    return _mp_function(expr)


# ------------------------------------------------------------------------ 2-D box footpoints


def box_footpoint(fns, z, box, per_axis=161, edge_samples=4001):
    """Nearest point of the graph of ``f`` restricted to the closed ``box`` to ``z = (x, y, h)``,
    by enumerating the candidates of the bound-constrained problem: interior stationary
    points (dense grid, Newton on ∇D = 0), stationary points on each edge (dense sampling,
    Newton on the edge derivative) and the four corners.

    Returns (distance, theta, hessian_min_eig): ``hessian_min_eig`` is the smallest curvature
    of ``D/2`` along the free directions at the minimiser (small: the location is ill-posed).
    """
    f, g, H = fns
    x0, y0, h0 = z
    lo, hi = box[:, 0], box[:, 1]

    def D(p):
        return (p[0] - x0) ** 2 + (p[1] - y0) ** 2 + (f(p[0], p[1]) - h0) ** 2

    cands = []
    for cx in box[0]:
        for cy in box[1]:
            cands.append((np.array([cx, cy]), ()))
    # edges: one coordinate fixed
    for axis in (0, 1):
        other = 1 - axis
        for fixed in box[axis]:
            t = np.linspace(lo[other], hi[other], edge_samples)
            p = np.empty((t.size, 2))
            p[:, axis], p[:, other] = fixed, t
            vals = D(p.T)
            loc = np.flatnonzero((vals <= np.r_[np.inf, vals[:-1]]) & (vals <= np.r_[vals[1:], np.inf]))
            for i in loc:
                q = p[i].copy()
                for _ in range(60):
                    r = f(q[0], q[1]) - h0
                    grad = (q[other] - (x0, y0)[other]) + r * g[other](q[0], q[1])
                    curv = 1.0 + g[other](q[0], q[1]) ** 2 + r * H[other][other](q[0], q[1])
                    if curv <= 0:
                        break
                    new = min(max(q[other] - grad / curv, lo[other]), hi[other])
                    if abs(new - q[other]) <= 1e-16 * (1 + abs(new)):
                        q[other] = new
                        break
                    q[other] = new
                cands.append((q, (other,)))
    # interior
    axes = [np.linspace(lo[i], hi[i], per_axis) for i in (0, 1)]
    X, Y = np.meshgrid(*axes, indexing="ij")
    vals = D((X, Y))
    pad = np.pad(vals, 1, constant_values=np.inf)
    loc = np.ones_like(vals, dtype=bool)
    for di, dj in ((0, 1), (2, 1), (1, 0), (1, 2)):
        loc &= vals <= pad[di:di + per_axis, dj:dj + per_axis]
    for i, j in np.argwhere(loc):
        q = np.array([axes[0][i], axes[1][j]])
        for _ in range(60):
            r = f(q[0], q[1]) - h0
            gr = np.array([g[0](q[0], q[1]), g[1](q[0], q[1])])
            Hm = np.array([[H[a][b](q[0], q[1]) for b in (0, 1)] for a in (0, 1)])
            grad = q - np.array([x0, y0]) + r * gr
            M = np.eye(2) + np.outer(gr, gr) + r * Hm
            try:
                step = np.linalg.solve(M, grad)
            except np.linalg.LinAlgError:
                break
            new = np.clip(q - step, lo, hi)
            if np.max(np.abs(new - q)) <= 1e-16 * (1 + np.max(np.abs(q))):
                q = new
                break
            q = new
        free = tuple(k for k in (0, 1) if lo[k] < q[k] < hi[k])
        cands.append((q, free))
    best = min(cands, key=lambda c: D(c[0]))
    q, free = best
    r = f(q[0], q[1]) - h0
    gr = np.array([g[0](q[0], q[1]), g[1](q[0], q[1])])
    Hm = np.array([[H[a][b](q[0], q[1]) for b in (0, 1)] for a in (0, 1)])
    M = (np.eye(2) + np.outer(gr, gr) + r * Hm)[np.ix_(free, free)]
    eig = float(np.linalg.eigvalsh(M)[0]) if free else math.inf
    return math.sqrt(D(q)), q, eig
