"""Networks: the measurements of issue 12, printed as tables.

    PYTHONPATH=. python benchmarks/bench_networks.py [--quick]

1. One exact Hessian-vector product against one gradient (MLP 40-256-256-10, batch 128).
2. Accuracy targets: tuned SGD / AdamW on MNIST-1D (MLP 40-128-128-10), digits (≥ 96 %).
3. Sharpness along training against the linear-stability bounds 2/η (SGD), 2/(η + 2ρ) (RBO).

What an RBO step costs (side by side with SGD and SAM, the projection tolerance, the solvers
iteration by iteration) is measured by ``benchmarks/bench_netcost.py``.

BLAS is limited to one thread (see ``rbo train --threads``).  The full comparison is the
command ``rbo compare`` (its own timing).  MNIST-1D is cached in ``$RBO_DATA_DIR``.
"""
from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

import rbo
from rbo import CONTENDERS

RBO = CONTENDERS["rbo-newton"]


def _best_times(fns, repeat=7, number=30):
    """Best time per call of each of ``fns``, timed in turn within every repeat.

    Interleaved so that all see the same allocator state: glibc's malloc returns freed
    memory to the system until a large enough block has been freed once, and while it does a
    gradient of the 256-wide MLP page-faults ~490 times (3.4 ms instead of 1.9 ms)."""
    best = [math.inf] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            best[i] = min(best[i], (time.perf_counter() - t0) / number)
    return best


def hvp_cost(quick: bool):
    rng = np.random.default_rng(0)
    model = rbo.nn.mlp([40, 256, 256, 10], activation="tanh")
    X, y = rng.standard_normal((128, 40)), rng.integers(0, 10, 128)
    obj = model.objective(X, y)
    thetas = [model.init(seed=s) for s in range(2)]
    v = rng.standard_normal(model.n_params)
    state = {"k": 0}

    def grad_new_point():           # alternate points: no pass can be reused
        state["k"] ^= 1
        obj.value_and_grad(thetas[state["k"]])

    def hvp_new_point():
        state["k"] ^= 1
        obj.hvp(thetas[state["k"]], v)

    def hvp_same_point():           # how Newton-CG and Lanczos call it (an even number of
        obj.hvp(thetas[state["k"]], v)   # calls of the others: the point of the last gradient)

    n = 10 if quick else 30         # even: each function leaves ``state["k"]`` as it found it
    tg, tw, tc = _best_times([grad_new_point, hvp_same_point, hvp_new_point], number=n)
    print("\n## 1. Hessian-vector product vs gradient: MLP 40-256-256-10 (tanh), batch 128, float64\n")
    print("| operation | ms | × gradient |\n|---|---|---|")
    print(f"| value_and_grad (new point) | {1e3 * tg:.3f} | 1.00 |")
    print(f"| hvp at the point of the last gradient (Newton-CG, Lanczos) | {1e3 * tw:.3f} | {tw / tg:.2f} |")
    print(f"| hvp at a new point (forward + backward + R-pass) | {1e3 * tc:.3f} | {tc / tg:.2f} |")


def accuracy(quick: bool):
    budget = 3000 if quick else 10000
    d1 = rbo.data.mnist1d()
    m1 = rbo.nn.mlp([40, 128, 128, 10], activation="tanh")
    d2 = rbo.data.digits(seed=0)
    rows = [("mnist1d", "mlp 40-128-128-10 tanh", d1, m1, "sgd", 0.3, budget),
            ("mnist1d", "mlp 40-128-128-10 tanh", d1, m1, "momentum", 0.1, budget),
            ("mnist1d", "mlp 40-128-128-10 tanh", d1, m1, "adamw", 1e-3, budget),
            ("digits", "logistic 64-10", d2, rbo.nn.logistic(64, 10), "sgd", 0.3, 3000),
            ("digits", "mlp 64-128-10 tanh", d2, rbo.nn.mlp([64, 128, 10]), "adamw", 1e-3, 3000)]
    print("\n## 2. Accuracy targets (seed 0, batch 128; learning rates from the grids of "
          "`rbo compare`)\n")
    print("| data | model | optimizer | lr | budget (evals) | final test acc | best test acc | "
          "wall s (steps) | wall s (total) |\n|---|---|---|---|---|---|---|---|---|")
    for name, desc, data, model, opt, lr, b in rows:
        c = CONTENDERS[opt]
        hyper = {**c.defaults, "lr": lr}
        t0 = time.perf_counter()
        r = rbo.train(model, data, c.make(hyper), budget=b, progress=False)
        total = time.perf_counter() - t0
        print(f"| {name} | {desc} | {opt} | {lr:g} | {b} | {r.final_test_acc:.3f} | "
              f"{r.best_test_acc:.3f} | {r.wall_time:.1f} | {total:.1f} |")


def sharpness_bound(quick: bool):
    d = rbo.data.mnist1d()
    model = rbo.nn.mlp([40, 128, 128, 10], activation="tanh")
    eta = 0.1
    epochs = 4 if quick else 20
    runs = [("sgd", rbo.sgd(eta), 2 / eta)]
    for rho in (0.25, 0.5):
        runs.append((f"rbo newton ρ={rho:g}", RBO.make({**RBO.defaults, "lr": eta, "radius": rho}),
                     2 / (eta + 2 * rho)))
    per_epoch = d.n_train // 128
    print(f"\n## 3. Sharpness against the linear-stability bound (η = {eta:g} for all, so the RBO "
          f"bound 2/(η+2ρ) is set by ρ; {epochs} epochs = {epochs * per_epoch} steps; λ_max of the "
          "full-batch training loss by Lanczos)\n")
    print("| optimizer | bound | λ_max at steps 0, 1/4, 1/2, 3/4, end | max λ_max over the last half | "
          "test acc | evals/step |\n|---|---|---|---|---|---|")
    every = max(1, epochs * per_epoch // 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, opt, bound in runs:
            r = rbo.train(model, d, opt, epochs=epochs, sharpness_every=every, progress=False)
            lam = r.sharpness.lambda_max
            late = lam[r.sharpness.step >= r.steps / 2]
            print(f"| {name} | {bound:.3g} | {', '.join(f'{v:.3g}' for v in lam)} | {late.max():.3g} | "
                  f"{r.final_test_acc:.3f} | {r.evals_per_step:.1f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller budgets (a smoke run)")
    args = parser.parse_args()
    with threadpool_limits(1, user_api="blas"):
        t0 = time.perf_counter()
        hvp_cost(args.quick)
        accuracy(args.quick)
        sharpness_bound(args.quick)
        print(f"\n(total {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
