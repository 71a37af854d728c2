"""Does a projection-free RBO keep RBO's behaviour, and at what cost? (issue 13)

    PYTHONPATH=. python benchmarks/bench_dynamics.py [--quick]

Runs of 200 steps from the same start, side by side with exact RBO (Newton footpoint, the
global projection certified on analytic losses): the first-order step
``θ − η (I − ρW)⁻¹ g`` by conjugate gradients (``terms=None``) and by 1 and 3 Neumann terms,
SAM and unnormalised SAM with perturbation radius ρ (two gradients a step, the cost of one
Neumann term), and gradient descent. Columns: the distance to the exact RBO trajectory
(largest over the run, and at the end), the final loss, evaluations per step (a gradient and
an HVP count one each), the steps that fell back to the projection (``ρκ ≥ 1`` seen), and the
time per step.

1. Analytic losses (one and two variables; one with unreachable points at the radius used).
2. MNIST-1D, MLP 40-32-32-10 (tanh), full batch on 512 training sequences (the same
   objective for every optimizer, so trajectories are comparable), test accuracy on the
   1 000 test sequences. Exact RBO there: Newton to ``tol = 1e-8`` (no global certificate in
   22 000 dimensions).

BLAS is limited to one thread. MNIST-1D is read from the cache of ``rbo.data.mnist1d``.
"""
from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

import offsetgeo
import rbo

#: (loss, start, η, ρ) of table 1
ANALYTIC = (
    ("cos(x) + 0.25*cos(3*x)", (0.4,), 0.05, 0.2),
    ("sin(x) + 0.3*sin(5*x)", (0.3,), 0.02, 0.5),
    ("sin(x)*cos(y) + 0.2*x", (0.5, 0.3), 0.05, 0.2),
    ("0.5*x**2 + 2*y**2 + 0.3*x**2*y", (1.0, -0.8), 0.05, 0.1),
)

#: (η, ρ) of table 2: the compare default, and a radius where the curvature matters
NETWORK = ((1.0, 0.05), (0.1, 0.25))


def contenders(lr, rho, exact_tol):
    return {
        "RBO exact (newton)": rbo.rolling_ball(lr, rho, tol=exact_tol),
        "first-order, CG": rbo.rolling_ball(lr, rho, solver="first-order", terms=None,
                                            tol=1e-10),
        "first-order, 1 term": rbo.rolling_ball(lr, rho, solver="first-order", terms=1),
        "first-order, 3 terms": rbo.rolling_ball(lr, rho, solver="first-order", terms=3),
        "SAM (ρ_SAM = ρ)": rbo.sam(lr, rho),
        "unnormalised SAM (ρ)": rbo.sam(lr, rho, normalize=False),
        "gradient descent": rbo.sgd(lr),
    }


def one_run(obj, opt, theta0, steps):
    fallbacks = [0]

    def count(t, state, info):
        fallbacks[0] += bool(getattr(info, "fallback", False))

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tr = rbo.run(obj, opt, np.asarray(theta0, dtype=float), steps, callback=count,
                     on_failure="ignore")
    wall = time.perf_counter() - t0
    return tr, fallbacks[0], wall


def table(rows, header):
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(r) + " |")


def compare(obj, theta0, lr, rho, steps, exact_tol, final_metrics):
    """Rows of the side-by-side table; ``final_metrics(theta) -> list of str``."""
    rows, ref = [], None
    for name, opt in contenders(lr, rho, exact_tol).items():
        tr, fb, wall = one_run(obj, opt, theta0, steps)
        th = np.asarray(tr.theta, dtype=float)
        if ref is None:
            ref = th
            path = float(np.max(np.linalg.norm(th - th[0], axis=1)))
        n = min(th.shape[0], ref.shape[0])
        dist = np.linalg.norm(th[:n] - ref[:n], axis=1)
        rows.append([name, f"{dist.max():.2e}", f"{dist[-1]:.2e}", f"{dist.max() / path:.2g}",
                     *final_metrics(th[-1]), f"{tr.total_evals / tr.steps:.2f}", str(fb),
                     f"{1e3 * wall / tr.steps:.2f}"])
    return rows, path


def analytic(quick):
    steps = 60 if quick else 200
    print(f"\n## 1. Analytic losses: {steps} steps from the same start; exact RBO = Newton "
          "footpoint (tol 1e-13), global projection certified\n")
    for expr, theta0, lr, rho in ANALYTIC:
        f = offsetgeo.Function(expr)
        obj = rbo.objective(f)
        window = [(t - 3.0, t + 3.0) for t in theta0]        # the run stays in it
        rho_c = float(offsetgeo.reach(f, window=window, method="curvature").value)
        rows, path = compare(obj, theta0, lr, rho, steps, 1e-13,
                             lambda th: [f"{float(f.value(th if f.dim > 1 else th[0])):.6f}"])
        print(f"### f = {expr}, θ₀ = {theta0}, η = {lr:g}, ρ = {rho:g} (ρ·sup κ⁺ = "
              f"{rho / rho_c:.2f} on θ₀ ± 3; exact RBO travels {path:.3g})\n")
        table(rows, ["optimizer", "max_t dist to RBO", "final dist", "max dist / path",
                     "final loss", "evals/step", "fallbacks", "ms/step"])
        print()


def network(quick):
    steps = 60 if quick else 200
    d = rbo.data.mnist1d()
    model = rbo.nn.mlp([40, 32, 32, 10], activation="tanh")
    X, y = d.x_train[:512], d.y_train[:512]
    obj = model.objective(X, y)
    theta0 = model.init(seed=0)

    def metrics(theta):
        loss, _ = model.evaluate(theta, X, y)
        _, acc = model.evaluate(theta, d.x_test, d.y_test)
        return [f"{loss:.4f}", f"{acc:.3f}"]

    print(f"\n## 2. MNIST-1D, MLP 40-32-32-10 tanh ({model.n_params} parameters), full batch "
          f"of 512, {steps} steps; exact RBO = Newton footpoint to tol 1e-8\n")
    for lr, rho in NETWORK:
        rows, path = compare(obj, theta0, lr, rho, steps, 1e-8, metrics)
        print(f"### η = {lr:g}, ρ = {rho:g} (exact RBO travels {path:.3g} in parameter "
              "space)\n")
        table(rows, ["optimizer", "max_t dist to RBO", "final dist", "max dist / path",
                     "final train loss", "test acc", "evals/step", "fallbacks", "ms/step"])
        print()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 steps instead of 200")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    with threadpool_limits(1, user_api="blas"):
        t0 = time.perf_counter()
        analytic(args.quick)
        network(args.quick)
        print(f"(total {time.perf_counter() - t0:.0f} s; load average at end "
              f"{os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
