"""Benchmark: exact hemisphere morphology (offsetgeo.morphology) vs scikit-image rolling_ball.

Run:  python benchmarks/bench_morphology.py [--full] [--cold]

What scikit-image computes: ``rolling_ball(img, radius=R)`` is ONE pass,
``min_k [img(x+k) + R - sqrt(R^2 - |k|^2)]`` = erosion + R (the apex of the ball centred
under x), edges truncated (+inf padding). Hence, in pixel units,
``-rolling_ball(-f, R) = dilation(f) - R`` and the closing needs two passes,
``rolling_ball(-rolling_ball(-f, R), R) = closing(f)``. Both pairings are timed.

Without ``--full`` the 2-D scikit-image passes are timed on a horizontal strip of rows and
scaled linearly to the full image (its cost is exactly proportional to the number of
pixels: a fixed (2R+1)^2 box per pixel); the difference is then measured on the strip's
rows that are more than 2R away from the strip's cut edges.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def _now():
    return time.perf_counter()


def compile_times():
    """First-call minus second-call time of each public entry (numba compile or cache load)."""
    import offsetgeo._morphology as M

    kernels = [M._dilate_1d, M._dilate_2d_items, M._dilate_1d_core, M._reach]
    rows = []
    for name, args in [
        ("1-D closing (n=1000)", (np.random.default_rng(0).normal(size=1000), 0.01, 0.3)),
        ("2-D closing (64x64)", (np.random.default_rng(0).normal(size=(64, 64)), 1.0, 5.0)),
    ]:
        t = _now()
        M.hemisphere_closing(*args)
        t1 = _now() - t
        t = _now()
        M.hemisphere_closing(*args)
        t2 = _now() - t
        rows.append((name, t1, t2))
    hits = sum(k.stats.cache_hits.total() if hasattr(k.stats.cache_hits, "total")
               else sum(k.stats.cache_hits.values()) for k in kernels)
    misses = sum(k.stats.cache_misses.total() if hasattr(k.stats.cache_misses, "total")
                 else sum(k.stats.cache_misses.values()) for k in kernels)
    return rows, hits, misses


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true", help="time scikit-image on the full 2-D image")
    ap.add_argument("--strip", type=int, default=256, help="rows of the 2-D strip for skimage")
    ap.add_argument("--cold", action="store_true",
                    help="compile into a fresh NUMBA_CACHE_DIR (measures a true cache miss)")
    args = ap.parse_args()
    if args.cold:
        import tempfile

        os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="numba_cold_")

    import numba

    print(f"numba {numba.__version__}, threads {numba.get_num_threads()}, "
          f"cpus {os.cpu_count()}")
    rows, hits, misses = compile_times()
    print("\n== numba first-call overhead (first call - second call) ==")
    for name, t1, t2 in rows:
        print(f"  {name:24s} first {t1 * 1e3:9.1f} ms  second {t2 * 1e3:8.2f} ms  "
              f"overhead {(t1 - t2) * 1e3:9.1f} ms")
    print(f"  on-disk cache: {hits} kernel signature(s) loaded from cache, {misses} compiled "
          f"-> {'cache HIT' if hits and not misses else 'cache MISS (compiled now)' if misses and not hits else 'mixed'}")

    from skimage.restoration import rolling_ball

    from offsetgeo import hemisphere_closing, hemisphere_dilation

    table = []

    def best_of(fun, reps):
        ts = []
        for _ in range(reps):
            t = _now()
            out = fun()
            ts.append(_now() - t)
        return min(ts), out

    # ------------------------------------------------------------------ 1-D
    n, R = 200_000, 2400
    L = 40 * np.pi
    h = L / n
    rho = R * h
    x = np.arange(n) * h
    rng = np.random.default_rng(0)
    f = np.sin(x) + 0.3 * np.sin(7.3 * x) + 0.05 * np.cumsum(rng.normal(size=n)) * np.sqrt(h)
    g = f / h  # heights in pixel units for skimage

    t_ours, d = best_of(lambda: hemisphere_dilation(f, h, rho), 5)
    t_sk, sk = best_of(lambda: -rolling_ball(-g, radius=R), 1)
    table.append(("1-D n=2e5 R=2400", "dilation-R | -rb(-f)", t_ours, t_sk, 1.0,
                  np.max(np.abs((d / h - R) - sk))))
    t_ours, c = best_of(lambda: hemisphere_closing(f, h, rho), 5)
    t_sk, sk2 = best_of(lambda: rolling_ball(-rolling_ball(-g, radius=R), radius=R), 1)
    table.append(("1-D n=2e5 R=2400", "closing | rb(-rb(-f))", t_ours, t_sk, 1.0,
                  np.max(np.abs(c / h - sk2))))
    single_vs_closing_1d = np.max(np.abs(c / h - sk))

    # ------------------------------------------------------------------ 2-D
    N, R2 = 1024, 50
    h2 = 1.0 / N
    rho2 = R2 * h2
    yy, xx = np.meshgrid(np.arange(N) * h2, np.arange(N) * h2, indexing="ij")
    F = (0.05 * np.sin(2 * np.pi * 3 * xx) * np.cos(2 * np.pi * 2 * yy)
         + 0.01 * np.sin(2 * np.pi * 17 * (xx + 0.3 * yy))
         + 0.002 * rng.normal(size=(N, N)).cumsum(0).cumsum(1) / N)
    G = F / h2

    if args.full:
        sl, scale, cmp_rows = slice(0, N), 1.0, slice(0, N)
        note = "full image"
    else:
        s0 = N // 2 - args.strip // 2
        sl = slice(s0, s0 + args.strip)
        scale = N / args.strip
        m = 2 * R2 + 1
        cmp_rows = slice(s0 + m, s0 + args.strip - m)
        note = f"skimage timed on a {args.strip}-row strip x {scale:g} (linear scaling)"

    t_ours, D = best_of(lambda: hemisphere_dilation(F, h2, rho2), 3)
    t_sk, SK = best_of(lambda: -rolling_ball(-G[sl], radius=R2), 1)
    off = sl.start
    diff = np.max(np.abs((D / h2 - R2)[cmp_rows] -
                         SK[cmp_rows.start - off: cmp_rows.stop - off]))
    table.append((f"2-D {N}x{N} R={R2}", "dilation-R | -rb(-f)", t_ours, t_sk * scale, scale,
                  diff))
    t_ours, C = best_of(lambda: hemisphere_closing(F, h2, rho2), 3)
    t_sk, SK2 = best_of(lambda: rolling_ball(-rolling_ball(-G[sl], radius=R2), radius=R2), 1)
    diff = np.max(np.abs((C / h2)[cmp_rows] - SK2[cmp_rows.start - off: cmp_rows.stop - off]))
    table.append((f"2-D {N}x{N} R={R2}", "closing | rb(-rb(-f))", t_ours, t_sk * scale, scale,
                  diff))

    print("\n== offsetgeo.morphology vs skimage.restoration.rolling_ball "
          "(same data, heights in pixel units) ==")
    hdr = (f"{'case':20s} {'ours | skimage':24s} {'ours [s]':>9s} {'skimage [s]':>12s} "
           f"{'speed-up':>9s} {'max|diff| [px]':>15s}")
    print(hdr)
    print("-" * len(hdr))
    for case, what, to, ts, sc, df in table:
        star = "*" if sc != 1.0 else " "
        print(f"{case:20s} {what:24s} {to:9.4f} {ts:11.3f}{star} {ts / to:8.1f}x {df:15.2e}")
    if not args.full:
        print(f"* {note}; max|diff| measured on rows > 2R from the strip's cut edges")
    print(f"note: one skimage call is erosion + R (ball apex), not a closing; "
          f"max|closing - (-rb(-f))| in 1-D = {single_vs_closing_1d:.1f} px")
    print("targets: 1-D closing >= 50x, 2-D >= 10x; results equal to rounding")


if __name__ == "__main__":
    main()
