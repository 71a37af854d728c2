"""Benchmark: the eight reproducers of issue 10 ("exact everywhere"), each output next to
its exact value (mpmath, or a construction of the ball written here), with the time taken.

Run:  python benchmarks/bench_exact.py [--skip-rosenbrock]

``--skip-rosenbrock`` leaves out item 6's 2-D reach (minutes per side: method (b) is a
compass search of bisections of global projections).
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import mpmath as mp
import numpy as np

import offsetgeo
from offsetgeo import Function, theorems

mp.mp.dps = 40


def centre(f, fp, rho, a):
    """mpmath: p(a) + ρ n(a) for f with derivative fp."""
    g = fp(a)
    s = mp.sqrt(1 + g * g)
    return a - rho * g / s, f(a) + rho / s


def bitangent(f, fp, rho, a0, b0):
    def eq(a, b):
        ca, cb = centre(f, fp, rho, a), centre(f, fp, rho, b)
        return [ca[0] - cb[0], ca[1] - cb[1]]

    a, b = mp.findroot(eq, (mp.mpf(a0), mp.mpf(b0)))
    return a, b, centre(f, fp, rho, a)


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def row(item, what, got, exact, seconds):
    try:
        err = f"{abs(float(got) - float(exact)):9.1e}"
    except (TypeError, ValueError):
        err = ""
    print(f"{item:>2}  {what:<46} {str(got):>24} {str(exact):>24} {err:>9} {seconds:7.2f}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--skip-rosenbrock", action="store_true")
    args = p.parse_args(argv)
    print(f"{'#':>2}  {'reproducer':<46} {'new output':>24} {'exact':>24} {'|error|':>9} "
          f"{'time s':>7}")
    print("-" * 118)

    # 1. offset_height near a kink
    expr, x, rho = "exp(-x**2)*cos(3*x)", 1.0599206670815466, 0.7
    f = lambda t: mp.exp(-t * t) * mp.cos(3 * t)  # noqa: E731
    fp = lambda t: mp.diff(f, t)  # noqa: E731
    a = mp.findroot(lambda t: fp(t) + (x - t) / mp.sqrt(rho**2 - (x - t) ** 2), mp.mpf("0.40576"))
    exact = f(a) + mp.sqrt(rho**2 - (x - a) ** 2)
    F = Function(expr)
    offsetgeo.offset_height(F, [0.0], rho)
    h, s = timed(lambda: offsetgeo.offset_height(F, [x], rho, contact=True))
    row(1, "offset_height(exp(-x²)cos 3x, 1.05992…, 0.7)", f"{h[0][0]:.17g}",
        mp.nstr(exact, 17), s)
    row(1, "  its contact point", f"{h[1][0]:.12g}", mp.nstr(a, 12), 0.0)

    # 2. ironed on an unreachable interval
    rho, theta = 0.6792213342367793, 0.4207425810716918
    a, b, (cx, cy) = bitangent(f, fp, rho, 0.414683330559788, 1.38996172952455)
    exact = cy - mp.sqrt(rho**2 - (theta - cx) ** 2)
    got, s = timed(lambda: offsetgeo.ironed(F, theta, rho))
    row(2, "ironed(exp(-x²)cos 3x, 0.42074…, ρ=0.67922…)", f"{got:.17g}", mp.nstr(exact, 17), s)

    # 3. a 2-D footpoint on the face of a domain box
    G = Function("x**2 + y**2", domain=[(-1, 1), (-1, 1)])
    yq = mp.findroot(lambda t: (t - mp.mpf("0.31")) + 2 * t**3, mp.mpf("0.27"))
    dist = mp.sqrt(mp.mpf("0.09") + (yq - mp.mpf("0.31")) ** 2 + yq**4)
    offsetgeo.footpoint(G, [[0.0, 0.0, 1.0]])
    r, s = timed(lambda: offsetgeo.footpoint(G, [[1.3, 0.31, 1.0]]))
    row(3, "footpoint(x²+y² on [-1,1]², (1.3, .31, 1)): y", f"{r.theta[0, 1]:.17g}",
        mp.nstr(yq, 17), s)
    row(3, "  distance", f"{r.distance[0]:.17g}", mp.nstr(dist, 17), 0.0)
    row(3, "  converged (x = 1: on the face)", f"{bool(r.converged[0])}, x={r.theta[0, 0]:g}",
        "True, x=1", 0.0)

    # 4. medial axis of a restricted graph
    T = Function("tanh(3*x)", domain=(-2, 2))
    ax, s = timed(lambda: offsetgeo.medial_axis(T, side="lower"))
    feet = ax.footpoints[:, :, 0]
    outside = int(np.sum((feet < -2) | (feet > 2)))
    c = ax.points.copy()
    c[:, -1] *= -1
    res = offsetgeo.footpoint(T.reflected(), c, on_failure="ignore")
    second = np.where(np.isnan(res.second), res.theta, res.second)
    mismatch = np.minimum(np.abs(feet[:, 1] - res.theta), np.abs(feet[:, 1] - second)).max()
    row(4, f"medial_axis(tanh 3x on [-2,2], lower): of {len(feet)}", f"{outside} outside", "0", s)
    row(4, "  max |second footpoint − footpoint(centre)|", f"{mismatch:.1e}", "0", 0.0)

    # 5. edges of a thin unreachable sliver
    rho = 0.10116060949039271
    g = lambda t: mp.mpf("0.3") * mp.sin(4 * t) + mp.mpf("0.1") * mp.cos(11 * t)  # noqa: E731
    gp = lambda t: mp.diff(g, t)  # noqa: E731
    a, b, (cx, cy) = bitangent(g, gp, rho, 0.9065578, 0.95165927)
    K = Function("0.3*sin(4*x) + 0.1*cos(11*x)", period="2*pi")
    U, s = timed(lambda: offsetgeo.unreachable_set(K, rho))
    lo, hi = U.intervals[np.argmin(np.abs(U.intervals[:, 0] - 0.9))]
    row(5, "unreachable_set(0.3 sin 4x + 0.1 cos 11x): left", f"{lo:.17g}", mp.nstr(a, 17), s)
    row(5, "  right edge", f"{hi:.17g}", mp.nstr(b, 17), 0.0)
    pen = rho - offsetgeo.footpoint(K, [[float(cx), float(cy)]]).distance[0]
    row(5, "  penetration of the edge ball", f"{pen:.1e}", "0", 0.0)

    # 6. the reach at a domain boundary
    E = Function("exp(x)", domain=(0, 1))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r, s = timed(lambda: offsetgeo.reach(E, "upper"))
    row(6, "reach(exp(x) on [0,1]) free balls (1-D analogue)", f"{r.balls_value:.12g}",
        mp.nstr(2 * mp.sqrt(2), 12), s)
    row(6, "  curvature; warnings", f"{r.curvature_value:.12g}; {len(w)}", "2.82842712475; 0", 0.0)
    if not args.skip_rosenbrock:
        R = Function("(1-x)**2 + 5*(y-x**2)**2", domain=[(-1.5, 1.5), (-0.5, 2)])
        for side in ("lower", "upper"):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                r, s = timed(lambda: offsetgeo.reach(R, side))
            row(6, f"reach(Rosenbrock on box, {side}) free balls", f"{r.balls_value:.10g}",
                f"{r.curvature_value:.10g}", s)
            row(6, "  agree (rtol 1e-6); disagreement warnings", f"{r.agree}; {len(w)}",
                "True; 0", 0.0)

    # 7. one rule for domains: f is never evaluated outside
    seen = []

    def value(t):
        seen.append(np.asarray(t, dtype=float).copy())
        return np.log(t)

    L = Function.from_callables(value, lambda t: 1 / t, lambda t: -1 / t**2, domain=(0.5, 2))
    seen.clear()
    h, s = timed(lambda: offsetgeo.offset_height(L, [2.3], 1.0, contact=True))
    outside = sum(int(np.sum((v < 0.5) | (v > 2))) for v in seen)
    row(7, "offset_height(log on [.5,2], x=2.3, ρ=1)", f"{h[0][0]:.17g}",
        f"{math.log(2) + math.sqrt(0.91):.17g}", s)
    row(7, "  contact (end point); evaluations outside", f"{h[1][0]:g}; {outside}", "2; 0", 0.0)
    seen.clear()
    got, s = timed(lambda: offsetgeo.ironed(L, [0.6, 1.9], 1.0))
    outside = sum(int(np.sum((v < 0.5) | (v > 2))) for v in seen)
    row(7, "ironed(log on [.5,2], [.6, 1.9], 1): outside", f"{outside}", "0", s)

    # 8. verifiers at exact radii, exact numbers
    mp_trough = 1.5 * mp.pi
    sin = lambda t: mp.sin(t)  # noqa: E731
    cos = lambda t: mp.cos(t)  # noqa: E731

    def sin_min(rho):
        a = mp.findroot(lambda t: centre(sin, cos, rho, t)[0] - mp_trough,
                        (mp.pi / 2 + mp.mpf("1e-3"), mp_trough - mp.mpf("1e-9")), solver="anderson")
        return centre(sin, cos, rho, a)[1]

    rep, s = timed(lambda: theorems.weak_ironing("sin(x)", radii=[4.0], period=2 * math.pi))
    row(8, "weak_ironing(sin, ρ=4): sup|h−ρ−M|", f"{rep.measured[0]:.15g}",
        mp.nstr(1 + 4 - sin_min(4), 15), s)
    rep, s = timed(lambda: theorems.phase_transition("sin(x)", period=2 * math.pi, quick=True))
    row(8, "phase_transition(sin): ρ_g", f"{rep.arrays['rho_g']:.15g}", "1", s)
    row(8, "  largest radius of the sweep ('ρ = 50')", f"{rep.radii[-1]:.15g}", "50", 0.0)
    rep, s = timed(lambda: theorems.linear_ironing("0.5*x", "sin(3*x)", radii=[6.0]))
    row(8, "linear_ironing(x/2, sin 3x, ρ=6): tolerance", f"{rep.tolerance[0]:.1e}",
        "(exact to it)", s)
    print("-" * 118)
    print("exact: mpmath (40 digits) or the construction named; |error| = |new − exact|")


if __name__ == "__main__":
    main()
