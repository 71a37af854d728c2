"""Benchmark of the RBO footpoint solvers and of the optimizers' cost.

Table 1 — per RBO step, on the same sequence of candidate centres (the trajectory driven by
the exact global projection :func:`offsetgeo.footpoint`): gradient-equivalent evaluations
(``value_and_grad`` = 1, ``hvp`` = 1, both including the evaluation at the new contact point
that the next step re-uses) and footpoint error ``|θ_solver − θ_exact|`` of

* ``paper``        — the authors' loop, K = 100 steps of size 1e-3 (101 evaluations),
* ``gauss-newton`` — Sherman–Morrison Gauss–Newton, tol 1e-10 (at most 200 iterations),
* ``newton``       — safeguarded Newton, tol 1e-10, default ``hessian="secant"``: the Hessian
  model (from d hvps, then PSB secant updates) is carried from step to step as in
  :func:`rbo.rolling_ball`,

all warm-started at θ_t, on sine, the Riemann partial sum (N = 100) and the 2-D multi-scale
loss, for radii below and above the critical radius ρ_c (computed here on a fine grid as
1 / max κ⁺).  "jumps" counts steps where the newton solver's footpoint differs from the
global one by more than 1e-6 while converged (the global footpoint left the warm start's
basin, which a local solver cannot follow); "err med" / "err max" are the median / maximum
footpoint error over the other steps.

Table 2 — wall time per step of RBO (newton), SAM, Entropy-SGD (L = 20) relative to GD, and
gradient evaluations per step.

Table 3 — the newton solver in high dimension (conjugate gradients on hvps, d > dense_max):
gradient-equivalent evaluations per RBO step along a 200-step run, per quarter of the run and
at most, Newton and CG iterations, and how many solves met the tolerance.

Run: ``python benchmarks/bench_rbo.py`` (about a minute on 2 cores).
"""
from __future__ import annotations

import time

import numpy as np
from scipy.linalg import eigh

import rbo
from rbo import ArrayObjective, solve_footpoint


def critical_radius(obj, box, n=4001):
    """1 / max κ⁺ on a grid (κ⁺: largest principal curvature bending up)."""
    fn = obj.function
    if fn.dim == 1:
        x = np.linspace(box[0], box[1], 200001)
        _, g = fn.value_and_grad(x)
        h = fn.hess(x).reshape(-1)
        g = np.asarray(g).reshape(-1)
        kappa = h / (1 + g * g) ** 1.5
        return 1.0 / kappa.max()
    t = np.linspace(box[0], box[1], 301)
    X = np.array(np.meshgrid(t, t)).reshape(2, -1).T
    _, G = fn.value_and_grad(X)
    H = fn.hess(X)
    kmax = 0.0
    for g, h in zip(G, H):
        s = np.sqrt(1 + g @ g)
        kmax = max(kmax, eigh(h, s * (np.eye(2) + np.outer(g, g)), eigvals_only=True).max())
    return 1.0 / kmax


def candidate(obj, theta, rho, eta):
    f, g = obj.value_and_grad(theta)
    s = np.sqrt(1 + g @ g)
    return theta - (rho / s) * g - eta * g, f + rho / s - eta * (g @ g)


def solver_table(cases, steps):
    rows = []
    for name, obj, theta0, eta, radii, res, box in cases:
        rc = critical_radius(obj, box)
        for rho in radii:
            theta = np.array(theta0, dtype=float)
            stats = {s: ([], []) for s in ("paper", "gauss-newton", "newton")}
            jumps = []
            model = None  # the newton solver's Hessian model, carried as rbo.rolling_ball does
            for _ in range(steps):
                x, y = candidate(obj, theta, rho, eta)
                ex = solve_footpoint(obj, x, y, theta, solver="exact", resolution=res).theta
                f, g = obj.value_and_grad(theta)
                for s, (ev, er) in stats.items():
                    fp = solve_footpoint(obj, x, y, theta, f, g, solver=s, tol=1e-10,
                                         max_iter=50 if s == "newton" else 200,
                                         hess0=model if s == "newton" else None)
                    if s == "newton":
                        model = fp.hessian
                        jumps.append(fp.info.converged and float(np.linalg.norm(fp.theta - ex)) > 1e-6)
                    ev.append(fp.info.evals)
                    er.append(float(np.linalg.norm(fp.theta - ex)))
                if jumps[-1]:
                    model = None
                theta = ex
            jumps = np.array(jumps)
            row = [name, f"{rho:g}", "<" if rho < rc else ">", f"{rc:.3g}", f"{jumps.sum()}"]
            for s in ("paper", "gauss-newton", "newton"):
                ev, er = stats[s]
                er = np.array(er)[~jumps]
                row += [f"{np.mean(ev):.1f}",
                        f"{np.median(er):.1e}" if er.size else "-", f"{er.max():.1e}" if er.size else "-"]
            rows.append(row)
    head = ["loss", "rho", "", "rho_c", "jumps"]
    for s in ("paper", "gauss-newton", "newton"):
        head += [f"{s} ev", "err med", "err max"]
    return head, rows


def fmt(head, rows):
    w = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
    line = lambda r: "| " + " | ".join(str(c).rjust(w[i]) for i, c in enumerate(r)) + " |"
    return "\n".join([line(head), "|" + "|".join("-" * (x + 2) for x in w) + "|"] + [line(r) for r in rows])


def timing_table(steps=200):
    rows = []
    for name, obj, theta0, lr, rho in [
        ("multiscale2d", rbo.losses.multiscale(), np.array([2.0, 1.5]), 0.1, 0.2),
        ("sines d=1000", rbo.losses.sines(1000), np.linspace(0.1, 3.0, 1000), 0.1, 0.5),
    ]:
        opts = {
            "GD": rbo.sgd(lr),
            "RBO newton": rbo.rolling_ball(lr, rho, solver="newton"),
            "RBO paper": rbo.rolling_ball(lr, rho, solver="paper"),
            "SAM": rbo.sam(lr, rho_sam=0.05),
            "Entropy-SGD": rbo.entropy_sgd(lr, inner_steps=20),
        }
        base = None
        for oname, opt in opts.items():
            n = steps if oname != "RBO paper" else max(20, steps // 10)
            rbo.run(obj, opt, theta0, 3, on_failure="ignore")  # warm-up (numba)
            t0 = time.perf_counter()
            tr = rbo.run(obj, opt, theta0, n, on_failure="ignore")
            dt = (time.perf_counter() - t0) / n
            base = dt if base is None else base
            rows.append([name, oname, f"{dt * 1e6:.0f}", f"{dt / base:.1f}",
                         f"{tr.total_evals / tr.steps:.1f}", f"{tr.final_loss:.4g}"])
    return ["loss", "optimizer", "us/step", "x GD", "evals/step", "loss after run"], rows


def highdim_table(steps=200):
    d = 10 ** 4
    a = np.linspace(0.01, 1.0, d)
    diag_quad = ArrayObjective(lambda t: (0.5 * np.sum(a * t * t), a * t), hvp=lambda t, v: a * v)
    rows = []
    for name, obj, theta0, lr, rho in [
        ("sines d=1000", rbo.losses.sines(1000), np.linspace(0.1, 3.0, 1000), 0.1, 0.5),
        ("sines d=10^4", rbo.losses.sines(d), np.linspace(0.1, 3.0, d), 0.1, 0.5),
        ("diag quad d=10^4", diag_quad, np.ones(d), 0.5, 0.5),
    ]:
        theta = np.asarray(theta0, dtype=float)
        f, g = obj.value_and_grad(theta)  # the RBO step of rbo.rolling_ball, written out
        ev, its, cg, conv, res = [], [], [], [], []
        for _ in range(steps):
            s = np.sqrt(1 + g @ g)
            x, y = theta - (rho / s + lr) * g, f + rho / s - lr * (g @ g)
            fp = solve_footpoint(obj, x, y, theta, f, g, solver="newton", tol=1e-10)
            theta, f, g = fp.theta, fp.value, fp.grad
            ev.append(fp.info.evals)
            its.append(fp.info.iterations)
            cg.append(fp.info.linear_iterations)
            conv.append(fp.info.converged)
            res.append(fp.info.residual)
        q = [f"{np.mean(c):.1f}" for c in np.array_split(np.array(ev), 4)]
        rows.append([name, f"{np.mean(ev):.2f}", *q, f"{max(ev)}", f"{np.mean(its):.1f}",
                     f"{np.mean(cg):.1f}", f"{sum(conv)}/{steps}", f"{max(res):.1e}",
                     f"{float(f):.6g}"])
    return ["loss", "ev/step", "q1", "q2", "q3", "q4", "max", "newton it", "cg it",
            "converged", "max |r|", "final loss"], rows


def main(steps=40):
    cases = [
        ("sine", rbo.losses.sine(), [0.3], 0.1, [0.1, 0.5, 0.9, 1.5, 3.0], None, (-4, 4)),
        ("riemann", rbo.losses.riemann(100), [0.7], 1e-4, [2e-6, 1e-3, 0.01, 0.1], 2 ** 17, (-4, 4)),
        ("multiscale2d", rbo.losses.multiscale(), [2.0, 1.5], 0.1, [0.1, 0.3, 0.6, 2.0], None, (-3, 3)),
    ]
    head, rows = solver_table(cases, steps)
    print(f"Footpoint solvers, {steps} RBO steps per row: mean evaluations per step (ev) and "
          f"median / max footpoint error |theta - theta_exact| over the steps without a jump\n")
    print(fmt(head, rows))
    ev = [float(r[-3]) for r in rows]
    print(f"\nnewton: mean {np.mean(ev):.2f} evaluations per step over all rows; paper: 101.")
    head, rows = timing_table()
    print("\nWall time per step relative to GD\n")
    print(fmt(head, rows))
    head, rows = highdim_table()
    print("\nNewton-CG in high dimension: evaluations per RBO step along the run\n")
    print(fmt(head, rows))


if __name__ == "__main__":
    main()
