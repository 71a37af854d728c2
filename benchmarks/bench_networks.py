"""Networks: the measurements of issue 12, printed as tables.

    PYTHONPATH=. python benchmarks/bench_networks.py [--quick]

1. One exact Hessian-vector product against one gradient (MLP 40-256-256-10, batch 128).
2. Accuracy targets: tuned SGD / AdamW on MNIST-1D (MLP 40-128-128-10), digits (≥ 96 %).
3. Cost per step side by side in one run (round-robin chunks, so load hits all alike): SGD,
   SAM, RBO newton at the library's default tolerance and at the training tolerance,
   Gauss–Newton, the paper's loop.
4. Where the evaluations of one Newton footpoint solve go (residual after each iteration).
5. Projection tolerance: training quality and the distance invariant against the tolerance.
6. Sharpness along training against the linear-stability bounds 2/η (SGD), 2/(η + 2ρ) (RBO).

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

RBO_TRAINING_TOL = CONTENDERS["rbo-newton"].defaults["tol"]


def _best_time(fn, repeat=7, number=30):
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
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

    def hvp_same_point():           # how Newton-CG and Lanczos call it
        obj.hvp(thetas[0], v)

    n = 10 if quick else 30
    tg = _best_time(grad_new_point, number=n)
    tc = _best_time(hvp_new_point, number=n)
    obj.value_and_grad(thetas[0])
    tw = _best_time(hvp_same_point, number=n)
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


def _warm_start(model, batches, steps=300):
    opt = rbo.sgd(0.3)
    state = opt.init(model.init(seed=0))
    for t in range(steps):
        state, _ = opt.update(state, batches.sample(t))
    return state.params


def cost_side_by_side(quick: bool):
    d = rbo.data.mnist1d()
    model = rbo.nn.mlp([40, 128, 128, 10], activation="tanh")
    batches = model.minibatches(d.x_train, d.y_train, 128, seed=0)
    theta0 = _warm_start(model, batches)
    rb = CONTENDERS["rbo-newton"].defaults
    eta, rho = rb["lr"], rb["radius"]
    tt = RBO_TRAINING_TOL
    opts = {
        "sgd": rbo.sgd(0.3),
        "sam": rbo.sam(0.3, rho_sam=0.05),
        f"rbo newton η={eta:g} ρ={rho:g}, tol 1e-10 (library default)": rbo.rolling_ball(eta, rho, tol=1e-10),
        f"rbo newton η={eta:g} ρ={rho:g}, tol {tt:g} (training default)": rbo.rolling_ball(eta, rho, tol=tt),
        "rbo newton η=0.1 ρ=0.1, tol 1e-10": rbo.rolling_ball(0.1, 0.1, tol=1e-10),
        f"rbo newton η=0.1 ρ=0.1, tol {tt:g}": rbo.rolling_ball(0.1, 0.1, tol=tt),
        f"rbo gauss-newton η={eta:g} ρ={rho:g}, tol {tt:g}": rbo.rolling_ball(eta, rho, solver="gauss-newton", tol=tt),
        f"rbo gauss-newton η=0.1 ρ=0.1, tol {tt:g}": rbo.rolling_ball(0.1, 0.1, solver="gauss-newton", tol=tt),
        f"rbo paper (K=100, s=1e-3) η={eta:g} ρ={rho:g}": rbo.rolling_ball(eta, rho, solver="paper"),
    }
    states = {k: o.init(theta0) for k, o in opts.items()}
    evals = {k: 0 for k in opts}
    wall = {k: 0.0 for k in opts}
    steps = {k: 0 for k in opts}
    conv = {k: 0 for k in opts}
    n_chunks, chunk = (3, 5) if quick else (10, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for c in range(n_chunks):                    # round robin: the same load for all
            for k, opt in opts.items():
                if k.startswith("rbo paper") and c >= max(1, n_chunks // 4):
                    continue                         # 101 evals a step: fewer steps suffice
                for _ in range(chunk):
                    obj = batches.sample(1000 + steps[k])
                    t0 = time.perf_counter()
                    states[k], info = opt.update(states[k], obj, fresh=True)
                    wall[k] += time.perf_counter() - t0
                    evals[k] += info.evals
                    steps[k] += 1
                    conv[k] += bool(getattr(info, "converged", True))
    sam_ms = 1e3 * wall["sam"] / steps["sam"]
    print("\n## 3. Cost per step, side by side (MNIST-1D, MLP 40-128-128-10 tanh, batch 128, "
          "fresh batch each step, from 300 SGD steps; SGD and SAM lr 0.3)\n")
    print("| optimizer | steps | evals/step | ms/step | × SAM time | converged |\n|---|---|---|---|---|---|")
    for k in opts:
        ms = 1e3 * wall[k] / steps[k]
        print(f"| {k} | {steps[k]} | {evals[k] / steps[k]:.2f} | {ms:.2f} | {ms / sam_ms:.2f} | "
              f"{conv[k]}/{steps[k]} |")


def newton_trace():
    d = rbo.data.mnist1d()
    model = rbo.nn.mlp([40, 128, 128, 10], activation="tanh")
    batches = model.minibatches(d.x_train, d.y_train, 128, seed=0)
    theta = _warm_start(model, batches)
    obj = batches.sample(1000)
    f, g = obj.value_and_grad(theta)
    rb = CONTENDERS["rbo-newton"].defaults
    eta, rho = rb["lr"], rb["radius"]
    s = math.sqrt(1 + g @ g)
    x, y = theta - (rho / s + eta) * g, f + rho / s - eta * (g @ g)
    print(f"\n## 4. One footpoint solve, iteration by iteration (same network, η={eta:g}, ρ={rho:g}; "
          f"|r_0| = η s²|g| = {eta * s * s * np.linalg.norm(g):.3g}; evaluations exclude the one at θ_t)\n")
    print("| solver | iterations | evals | CG (hvps) | backtracks | residual |r| |\n|---|---|---|---|---|---|")
    for solver in ("newton", "gauss-newton"):
        for k in (1, 2, 3, 4, 5, 6, 8):
            fp = rbo.solve_footpoint(obj, x, y, theta, f, g, solver=solver, tol=1e-13, max_iter=k)
            i = fp.info
            print(f"| {solver} | {i.iterations} | {i.evals} | {i.linear_iterations} | {i.backtracks} | "
                  f"{i.residual:.2e} |")


def tolerance_study(quick: bool):
    d = rbo.data.mnist1d()
    model = rbo.nn.mlp([40, 128, 128, 10], activation="tanh")
    batches = model.minibatches(d.x_train, d.y_train, 128, seed=0)
    rb = CONTENDERS["rbo-newton"].defaults
    eta, rho = rb["lr"], rb["radius"]
    n_steps = 150 if quick else 600
    theta0 = model.init(seed=0)
    tols = (1e-10, 1e-6, 1e-4, 1e-3, 1e-2)
    print(f"\n## 5. Projection tolerance (RBO newton, η={eta:g}, ρ={rho:g}, {n_steps} steps from the "
          "same start on the same batches)\n")
    print("The new centre is c = p + ρ n(p), so |c − p| = ρ holds exactly at any tolerance; what the "
          "tolerance controls is offset = |P_T(c̃ − p)|, the distance of the moved centre c̃ from "
          "the normal line of Γ at the returned contact point p (0 for an exact footpoint): the "
          "ball's contact is that far (relative to ρ below) from where the exact step puts it.\n")
    print("| tol | evals/step | test acc | train loss | max |r| | max offset/ρ | "
          "|θ − θ_ref|/|θ_ref| |\n|---|---|---|---|---|---|---|")
    ref = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for tol in tols:
            opt = rbo.rolling_ball(eta, rho, tol=tol)
            state = opt.init(theta0)
            evals, max_r, max_off = 0, 0.0, 0.0
            for t in range(n_steps):
                obj = batches.sample(t)
                f, g = obj.value_and_grad(state.params)          # cached: the step reuses it
                s = math.sqrt(1 + g @ g)
                c_moved = np.concatenate([state.params - (rho / s + eta) * g, [f + rho / s - eta * (g @ g)]])
                state, info = opt.update(state, obj, fresh=True)
                evals += info.evals
                max_r = max(max_r, info.residual)
                fp, gp = state.value, state.grad                   # f, ∇f at the contact point
                p = np.concatenate([state.params, [fp]])
                n = np.concatenate([-gp, [1.0]]) / math.sqrt(1 + gp @ gp)
                w = c_moved - p
                off = float(np.linalg.norm(w - (w @ n) * n))
                max_off = max(max_off, off / rho)
            loss, acc = model.evaluate(state.params, d.x_test, d.y_test)
            train_loss, _ = model.evaluate(state.params, d.x_train, d.y_train)
            if ref is None:
                ref = state.params
            dev = np.linalg.norm(state.params - ref) / np.linalg.norm(ref)
            print(f"| {tol:g} | {evals / n_steps:.2f} | {acc:.3f} | {train_loss:.4f} | {max_r:.1e} | "
                  f"{max_off:.1e} | {dev:.1e} |")


def sharpness_bound(quick: bool):
    d = rbo.data.mnist1d()
    model = rbo.nn.mlp([40, 128, 128, 10], activation="tanh")
    eta = 0.1
    epochs = 4 if quick else 20
    runs = [("sgd", rbo.sgd(eta), 2 / eta)]
    for rho in (0.25, 0.5):
        runs.append((f"rbo newton ρ={rho:g}", rbo.rolling_ball(eta, rho, tol=RBO_TRAINING_TOL),
                     2 / (eta + 2 * rho)))
    per_epoch = d.n_train // 128
    print(f"\n## 6. Sharpness against the linear-stability bound (η = {eta:g} for all, so the RBO "
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
        cost_side_by_side(args.quick)
        newton_trace()
        tolerance_study(args.quick)
        sharpness_bound(args.quick)
        print(f"\n(total {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
