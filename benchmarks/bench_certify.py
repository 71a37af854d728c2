"""Cost of certifying RBO's contact points as global footpoints (issue 9, item 1).

For analytic losses of one or two variables, every RBO step checks its local footpoint
against the sampled graph (``certify="auto"``) and moves to the global one where a nearer
basin exists. This prints the wall time per step with and without the check, interleaved in
one process (minimum over repeats), and the first step where the two runs part (the check
found a nearer footpoint than the local solve; '-' when they never part).

Run: ``python benchmarks/bench_certify.py``
"""

import time
import warnings

import numpy as np

import rbo

CASES = [("sine", rbo.losses.sine(), np.array([0.3]), 0.3),
         ("sine", rbo.losses.sine(), np.array([0.3]), 2.0),
         ("multiscale2d", rbo.losses.multiscale(), np.array([2.0, 1.5]), 0.3),
         ("multiscale2d", rbo.losses.multiscale(), np.array([2.0, 1.5]), 1.0)]
STEPS, REPEATS = 50, 5


def main():
    warnings.simplefilter("ignore")
    print(f"{'loss':>13s} {'rho':>5s} {'certified us/step':>18s} {'local us/step':>14s} "
          f"{'ratio':>6s} {'runs part at step':>18s}")
    for name, obj, x0, rho in CASES:
        opts = {c: rbo.rolling_ball(0.1, rho, certify=c) for c in ("auto", False)}
        best = {c: np.inf for c in opts}
        runs = {}
        for c, opt in opts.items():
            rbo.run(obj, opt, x0, STEPS, on_failure="ignore")       # warm the grid cache
        for _ in range(REPEATS):
            for c, opt in opts.items():
                t = time.perf_counter()
                tr = rbo.run(obj, opt, x0, STEPS, on_failure="ignore")
                best[c] = min(best[c], (time.perf_counter() - t) / STEPS)
                runs[c] = np.asarray(tr.theta)
        gap = np.abs(runs["auto"] - runs[False]).max(axis=1) > 1e-9
        part = str(int(np.argmax(gap))) if gap.any() else "-"
        print(f"{name:>13s} {rho:5.2g} {best['auto'] * 1e6:18.0f} {best[False] * 1e6:14.0f} "
              f"{best['auto'] / best[False]:6.2f} {part:>18s}")


if __name__ == "__main__":
    main()
