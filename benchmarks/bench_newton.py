"""The footpoint Newton: one problem through the batched solver vs rbo's single-point solver.

The batched solver (:func:`offsetgeo.newton_footpoint`, masks over rows) serves the global
projection and :func:`rbo.run_batched`; rbo's single-point solver follows the same rules with
scalar control flow. This measures why there are two: the same projections (the candidate
centres of RBO trajectories, warm-started at the previous contact point, exact Hessians
re-used by the same chord/secant rules), solved one at a time by each, with their results
compared; and a batch of all of them at once through the batched solver.

Run: ``python benchmarks/bench_newton.py [--steps 200] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import offsetgeo
import rbo
from rbo._footpoint import BatchOracle


def problems(obj, theta0, lr, radius, steps):
    """(x, y, theta_prev, F, G) of every projection of an RBO run (scaled units, λ = 1)."""
    tr = rbo.run(obj, rbo.rolling_ball(lr, radius), theta0, steps, on_failure="ignore")
    thetas = np.asarray(tr.theta)[:-1]
    F, G = obj.batch_value_and_grad(thetas)
    _, x, y = rbo._rolling_ball.step_target(thetas, F, G, lr, radius)
    return x, y, thetas, F, G


def time_single(obj, x, y, th, F, G, repeat):
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        res = [rbo.solve_footpoint(obj, x[i], y[i], th[i], F[i], G[i], hessian="exact")
               for i in range(len(x))]
        best = min(best, time.perf_counter() - t)
        out = res
    theta = np.array([r.theta for r in out])
    evals = np.array([r.info.evals for r in out])
    return best / len(x), theta, evals


def time_batched_rows(obj, x, y, th, F, G, repeat):
    oracle = BatchOracle(obj, 1.0, th.shape[1])
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        res = [offsetgeo.newton_footpoint(oracle, x[i:i + 1], y[i:i + 1], th[i:i + 1], tol=1e-10,
                                          value0=F[i:i + 1], grad0=G[i:i + 1])
               for i in range(len(x))]
        best = min(best, time.perf_counter() - t)
        out = res
    theta = np.concatenate([r.theta for r in out])
    evals = np.concatenate([r.evals for r in out])
    return best / len(x), theta, evals


def time_batch(obj, x, y, th, F, G, repeat):
    oracle = BatchOracle(obj, 1.0, th.shape[1])
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        res = offsetgeo.newton_footpoint(oracle, x, y, th, tol=1e-10, value0=F, grad0=G)
        best = min(best, time.perf_counter() - t)
    return best / len(x), res.theta, res.evals


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    cases = [("sine, rho 0.3", rbo.losses.sine(), np.array([0.3]), 0.1, 0.3),
             ("sine, rho 1.5 (> rho_c)", rbo.losses.sine(), np.array([0.3]), 0.1, 1.5),
             ("multiscale2d, rho 0.3", rbo.losses.multiscale(), np.array([2.0, 1.5]), 0.1, 0.3),
             ("riemann, rho 0.01", rbo.losses.riemann(), np.array([1.0]), 0.01, 0.01)]
    print(f"{'projections of one RBO run':26s} {'n':>5s} {'single us':>10s} "
          f"{'batched 1-row us':>17s} {'ratio':>6s} {'batch of n us':>14s} "
          f"{'max |dtheta|':>13s} {'evals equal':>12s}")
    for name, obj, theta0, lr, radius in cases:
        x, y, th, F, G = problems(obj, theta0, lr, radius, args.steps)
        ts, th_s, ev_s = time_single(obj, x, y, th, F, G, args.repeat)
        tr, th_r, ev_r = time_batched_rows(obj, x, y, th, F, G, args.repeat)
        tb, th_b, ev_b = time_batch(obj, x, y, th, F, G, args.repeat)
        diff = max(np.abs(th_s - th_r).max(), np.abs(th_s - th_b).max())
        same = bool(np.array_equal(ev_s, ev_r) and np.array_equal(ev_s, ev_b))
        print(f"{name:26s} {len(x):5d} {ts * 1e6:10.1f} {tr * 1e6:17.1f} {tr / ts:6.2f} "
              f"{tb * 1e6:14.1f} {diff:13.1e} {str(same):>12s}")


if __name__ == "__main__":
    main()
