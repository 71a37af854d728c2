"""What an RBO step costs on a network, and whether the cheap one is still RBO's step.

    PYTHONPATH=. python benchmarks/bench_netcost.py [--quick]

MNIST-1D, MLP 40-128-128-10 (tanh), batch 128, a fresh minibatch per step, BLAS on one thread.

1. Side by side in one run: SGD, SAM, RBO newton at the first training default
   (``tol=1e-3``), at ``rtol`` 1e-2 and at ``rtol`` 0.1, RBO anderson at ``rtol`` 1e-2 (the
   training default of ``rbo train --opt rbo``), the authors' loop (K = 100), each trained
   from the same start on the same batches with the same budget of evaluations, in
   round-robin chunks (so load falls on all alike): evaluations and wall time per step, test
   accuracy and train loss at the end; and where each step's time goes: every objective is
   wrapped in a clock (:class:`_Timed`) that times its ``value_and_grad`` and ``hvp`` calls,
   so a step's time splits into gradients, HVPs and the rest (solver, optimizer, dispatch).
2. The geometry of those RBO steps, on probe steps spread over each run: the relative residual
   ``|r|/|r_0|``, the error of the contact point against an exact projection of the same
   candidate centre (newton, ``tol=1e-10``, not timed, not charged), the normal condition
   (``c̃`` off the normal line at ``p`` by ``|P_T(c̃ − p)|``), the distance of ``c̃`` to ``p``
   against ρ, and ``| |c − p| − ρ |`` for the new centre.
3. Early training (300 SGD steps in), side by side, at the RBO default (η = 1, ρ = 0.05) and at a
   small step (η = 0.1, ρ = 0.1): how the cost depends on the step.
4. One projection, iteration by iteration: newton (CG on hvps) against anderson (no hvps).
5. The relative tolerance: anderson from 1e-1 to 1e-6, newton from 1e-1 to 1e-2 and at 1e-10
   (the reference), the same steps from
   the same start on the same batches: cost, test accuracy, step error, parameters' drift.
6. A ReLU network (D only piecewise smooth): the evaluation cap.
7. Stiff projections (a quadratic, η λ_max up to 100): Newton against Anderson, which hands
   its solve over to Newton–CG where the mixing backtracks or stalls.
"""
from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from bench_networks import _best_times       # benchmarks/ is on the path of a script

import rbo
from rbo import CONTENDERS

RBO = CONTENDERS["rbo-newton"].defaults          # η, ρ and the training tolerances
ETA, RHO = RBO["lr"], RBO["radius"]
NEW = {k: RBO[k] for k in ("tol", "rtol", "max_evals")}
OLD = {"tol": 1e-3}                                # the training default before this bench


def _problem(activation="tanh"):
    d = rbo.data.mnist1d()
    model = rbo.nn.mlp([40, 128, 128, 10], activation=activation)
    return d, model, model.minibatches(d.x_train, d.y_train, 128, seed=0)


class _Timed:
    """An objective whose ``value_and_grad`` and ``hvp`` calls are counted and timed into
    ``clock`` (``{"grad": [calls, seconds], "hvp": [calls, seconds]}``)."""

    def __init__(self, obj, clock):
        self.obj, self.clock = obj, clock

    def _add(self, kind, t0):
        c = self.clock[kind]
        c[0] += 1
        c[1] += time.perf_counter() - t0

    def value_and_grad(self, theta):
        t0 = time.perf_counter()
        out = self.obj.value_and_grad(theta)
        self._add("grad", t0)
        return out

    def hvp(self, theta, v):
        t0 = time.perf_counter()
        out = self.obj.hvp(theta, v)
        self._add("hvp", t0)
        return out


def _sgd_start(model, batches, steps=300):
    opt = rbo.sgd(0.3)
    state = opt.init(model.init(seed=0))
    for t in range(steps):
        state, _ = opt.update(state, batches.sample(t))
    return state.params


def _target(theta, f, g, eta, rho):
    """Candidate centre ``c̃ = (x, y)`` and ``|r_0| = η s² |g|`` of an RBO step from θ."""
    s = math.sqrt(1.0 + g @ g)
    return (theta - (rho / s + eta) * g, f + rho / s - eta * (g @ g),
            eta * s * s * math.sqrt(g @ g))


def _geometry(obj, theta_old, theta_new, eta, rho):
    """Probe of one RBO step (not timed): relative residual, step error against an exact
    projection, normal condition, distance of c̃, and the new centre's distance to p."""
    f, g = obj.value_and_grad(theta_old)
    x, y, r0 = _target(theta_old, float(f), g, eta, rho)
    ref = rbo.solve_footpoint(obj, x, y, theta_old, f, g, tol=1e-10, max_evals=400,
                              certify=False).theta
    fp, gp = obj.value_and_grad(theta_new)
    fp = float(fp)
    r = (theta_new - x) + (fp - y) * gp
    p = np.concatenate([theta_new, [fp]])
    sp = math.sqrt(1.0 + gp @ gp)
    n = np.concatenate([-gp, [1.0]]) / sp
    w = np.concatenate([x, [y]]) - p
    offset = float(np.linalg.norm(w - (w @ n) * n))
    centre = p + rho * n
    return {"rel": float(np.linalg.norm(r)) / r0,
            "err": float(np.linalg.norm(theta_new - ref) / np.linalg.norm(ref - theta_old)),
            "off": offset / rho, "sin": offset / float(np.linalg.norm(w)),
            "dist": float(np.linalg.norm(w)) / rho, "below": float(y < fp),
            "ball": abs(float(np.linalg.norm(centre - p)) - rho)}


def side_by_side(quick: bool):
    data, model, batches = _problem()
    budget = 2000 if quick else 10000
    theta0 = model.init(seed=0)
    runs = {
        "sgd (lr 0.3)": rbo.sgd(0.3),
        "sam (lr 0.3, ρ_SAM 0.05)": rbo.sam(0.3, rho_sam=0.05),
        "rbo newton, tol 1e-3 (first default)": rbo.rolling_ball(ETA, RHO, **OLD),
        f"rbo newton, rtol {NEW['rtol']:g}": rbo.rolling_ball(ETA, RHO, **NEW),
        "rbo newton, rtol 0.1 (loose)": rbo.rolling_ball(ETA, RHO, **{**NEW, "rtol": 0.1}),
        f"rbo anderson, rtol {NEW['rtol']:g} (training default)": rbo.rolling_ball(
            ETA, RHO, solver="anderson", **NEW),
        "rbo paper (K = 100, s = 1e-3)": rbo.rolling_ball(ETA, RHO, solver="paper"),
    }
    state = {k: o.init(theta0) for k, o in runs.items()}
    acc = {k: dict(steps=0, evals=0, wall=0.0, worst=0, conv=0, probes=[],
                   clock={"grad": [0, 0.0], "hvp": [0, 0.0]}) for k in runs}
    chunk, n_probe = budget // 20, 25
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for c in range(20):                         # round robin: the same load for all
            for k, opt in runs.items():
                a = acc[k]
                while a["evals"] < (c + 1) * chunk:
                    obj = batches.sample(a["steps"])
                    before = state[k].params
                    timed = _Timed(obj, a["clock"])
                    t0 = time.perf_counter()
                    state[k], info = opt.update(state[k], timed, fresh=True)
                    a["wall"] += time.perf_counter() - t0
                    probe = (a["evals"] * n_probe) // budget != ((a["evals"] + info.evals) * n_probe) // budget
                    a["evals"] += info.evals
                    a["steps"] += 1
                    a["worst"] = max(a["worst"], info.evals)
                    a["conv"] += bool(info.converged)
                    if probe and k.startswith("rbo"):
                        a["probes"].append(_geometry(obj, before, state[k].params, ETA, RHO))
    sam = next(k for k in runs if k.startswith("sam"))
    sam_ms = acc[sam]["wall"] / acc[sam]["steps"]
    print(f"\n## 1. Side by side in one run: MNIST-1D, MLP 40-128-128-10 tanh, batch 128, budget "
          f"{budget} evaluations each, same start and batches; RBO η={ETA:g}, ρ={RHO:g}\n")
    print("| optimizer | steps | evals/step | max evals/step | ms/step | × SAM time | converged | "
          "test acc | train loss |\n|---|---|---|---|---|---|---|---|---|")
    for k, a in acc.items():
        ms = a["wall"] / a["steps"]
        loss, tacc = model.evaluate(state[k].params, data.x_test, data.y_test)
        tl, _ = model.evaluate(state[k].params, data.x_train, data.y_train)
        print(f"| {k} | {a['steps']} | {a['evals'] / a['steps']:.2f} | {a['worst']} | {1e3 * ms:.2f} | "
              f"{ms / sam_ms:.2f} | {a['conv']}/{a['steps']} | {tacc:.3f} | {tl:.4f} |")
    print("\nWhere the time goes (the same steps, timed inside the objective): gradients and "
          "HVPs per step and their mean cost in this run; `rest` = the step's time outside the "
          "objective (solver, optimizer update, array dispatch); `evals × SAM` = the step's "
          "gradient and HVP time alone against SAM's whole step.\n")
    print("| optimizer | gradients/step | ms/gradient | HVPs/step | ms/HVP | ms/step | of which "
          "evaluations | rest | evals × SAM |\n|---|---|---|---|---|---|---|---|---|")
    for k, a in acc.items():
        n = a["steps"]
        (ng, tg), (nh, th) = a["clock"]["grad"], a["clock"]["hvp"]
        ev = (tg + th) / n
        print(f"| {k} | {ng / n:.2f} | {1e3 * tg / max(ng, 1):.3f} | {nh / n:.2f} | "
              f"{1e3 * th / max(nh, 1):.3f} | {1e3 * a['wall'] / n:.2f} | {1e3 * ev:.2f} | "
              f"{1e3 * (a['wall'] / n - ev):.2f} | {ev / sam_ms:.2f} |")
    obj, v = batches.sample(0), np.ones_like(theta0)
    points, k = [theta0, state[sam].params], [0]

    def grad_new_point():                         # alternate points: no pass is reused
        k[0] ^= 1
        obj.value_and_grad(points[k[0]])

    # an even number of gradients per repeat: the hvp is at the last gradient's point (CG)
    t_grad, t_hvp = _best_times([grad_new_point, lambda: obj.hvp(points[k[0]], v)])
    print(f"\nIn the same run, alone (best of 7 × 30 calls, interleaved): one value_and_grad at a "
          f"new point {1e3 * t_grad:.2f} ms, one exact hvp at the last gradient's point (as in CG) "
          f"{1e3 * t_hvp:.2f} ms ({t_hvp / t_grad:.2f} gradients). SAM's step is 2 gradients: 2× "
          f"its time is 4 gradients, so an RBO step (a gradient at θ_t, one at the new point) fits "
          f"{2 * t_grad / t_hvp:.1f} hvps and no second iteration.")
    print(f"\n## 2. Geometry of those RBO steps ({n_probe} probes spread over each run; median / max)\n")
    print("`rel` = |r|/|r_0| (|r_0| = η s²|g|); `err` = |θ_{t+1} − θ*|/|θ* − θ_t| against the exact "
          "projection θ* of the same candidate centre c̃; `off` = |P_T(c̃ − p)|/ρ and `sin` = "
          "|P_T(c̃ − p)|/|c̃ − p| (0 for an exact footpoint: c̃ on the normal line at p); "
          "`|c̃ − p|/ρ` = the candidate centre's distance to the contact point in radii (1 when "
          "the ball rolls without sinking in); `below` = the fraction of probes where c̃ lies under "
          "the graph; `ball` = max | |c_{t+1} − p| − ρ | for the new centre.\n")
    print("| optimizer | probes | rel | err | off | sin | |c̃ − p|/ρ | below | ball |\n"
          "|---|---|---|---|---|---|---|---|---|")
    for k, a in acc.items():
        if not a["probes"]:
            continue
        col = {m: np.array([p[m] for p in a["probes"]]) for m in a["probes"][0]}
        cell = {m: f"{np.median(v):.1e} / {v.max():.1e}" for m, v in col.items()}
        dist = f"{np.median(col['dist']):.2f} / {col['dist'].max():.2f}"
        print(f"| {k} | {len(a['probes'])} | {cell['rel']} | {cell['err']} | {cell['off']} | "
              f"{cell['sin']} | {dist} | {col['below'].mean():.2f} | {col['ball'].max():.1e} |")


def early(quick: bool):
    _, model, batches = _problem()
    theta0 = _sgd_start(model, batches)
    runs = {"sgd (lr 0.3)": rbo.sgd(0.3), "sam (lr 0.3, ρ_SAM 0.05)": rbo.sam(0.3, rho_sam=0.05)}
    for eta, rho in ((ETA, RHO), (0.1, 0.1)):
        runs[f"rbo newton η={eta:g} ρ={rho:g}, tol 1e-3 (first default)"] = rbo.rolling_ball(eta, rho, **OLD)
        runs[f"rbo newton η={eta:g} ρ={rho:g}, rtol {NEW['rtol']:g}"] = rbo.rolling_ball(eta, rho, **NEW)
        runs[f"rbo anderson η={eta:g} ρ={rho:g}, rtol {NEW['rtol']:g}"] = rbo.rolling_ball(
            eta, rho, solver="anderson", **NEW)
    state = {k: o.init(theta0) for k, o in runs.items()}
    acc = {k: [0, 0, 0.0] for k in runs}
    n_chunks, chunk = (3, 5) if quick else (10, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(n_chunks):
            for k, opt in runs.items():
                for _ in range(chunk):
                    a = acc[k]
                    obj = batches.sample(1000 + a[0])
                    t0 = time.perf_counter()
                    state[k], info = opt.update(state[k], obj, fresh=True)
                    a[2] += time.perf_counter() - t0
                    a[0] += 1
                    a[1] += info.evals
    sam_ms = acc["sam (lr 0.3, ρ_SAM 0.05)"][2] / acc["sam (lr 0.3, ρ_SAM 0.05)"][0]
    print("\n## 3. Early training, side by side (300 SGD steps in, then each optimizer on the same "
          "batches)\n")
    print("| optimizer | steps | evals/step | ms/step | × SAM time |\n|---|---|---|---|---|")
    for k, (n, e, w) in acc.items():
        print(f"| {k} | {n} | {e / n:.2f} | {1e3 * w / n:.2f} | {w / n / sam_ms:.2f} |")


def trace():
    _, model, batches = _problem()
    theta = _sgd_start(model, batches)
    obj = batches.sample(1000)
    f, g = obj.value_and_grad(theta)
    x, y, r0 = _target(theta, float(f), g, ETA, RHO)
    print(f"\n## 4. One projection, iteration by iteration (η={ETA:g}, ρ={RHO:g}, 300 SGD steps in; "
          f"|r_0| = {r0:.3g}; evaluations exclude the one at θ_t)\n")
    print("| solver | iterations | evals | hvps | backtracks | |r|/|r_0| |\n|---|---|---|---|---|---|")
    for solver in ("newton", "anderson"):
        done = 0
        for k in (1, 2, 3, 4, 5, 6, 8, 10, 12):
            fp = rbo.solve_footpoint(obj, x, y, theta, f, g, solver=solver, tol=1e-13, max_iter=k,
                                     certify=False)
            i = fp.info
            if i.iterations == done:                 # converged before k
                break
            done = i.iterations
            print(f"| {solver} | {i.iterations} | {i.evals} | {i.linear_iterations} | {i.backtracks} | "
                  f"{i.residual / r0:.2e} |")


def tolerance(quick: bool):
    data, model, batches = _problem()
    n_steps = 150 if quick else 600
    theta0 = model.init(seed=0)
    runs = [("newton", dict(tol=1e-10))] + [
        ("anderson", dict(tol=1e-10, rtol=rt, max_evals=NEW["max_evals"]))
        for rt in (1e-6, 1e-3, 1e-2, 3e-2, 1e-1)] + [
        ("newton", dict(tol=1e-10, rtol=rt, max_evals=NEW["max_evals"])) for rt in (1e-2, 3e-2, 1e-1)] + [
        ("newton", OLD)]
    print(f"\n## 5. Relative tolerance (η={ETA:g}, ρ={RHO:g}, {n_steps} steps from the same start on "
          "the same batches; step error on every 10th step against the exact projection)\n")
    print("| solver | tolerance | evals/step | test acc | train loss | max |r|/|r_0| | median / max err | "
          "|θ − θ_ref|/|θ_ref| |\n|---|---|---|---|---|---|---|---|")
    ref = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for solver, kw in runs:
            opt = rbo.rolling_ball(ETA, RHO, solver=solver, **kw)
            state = opt.init(theta0)
            evals, rel, err = 0, [], []
            for t in range(n_steps):
                obj = batches.sample(t)
                before = state.params
                state, info = opt.update(state, obj, fresh=True)
                evals += info.evals
                r0 = ETA * (1 + info.grad_norm ** 2) * info.grad_norm
                rel.append(info.residual / r0)
                if t % 10 == 0:
                    err.append(_geometry(obj, before, state.params, ETA, RHO)["err"])
            _, acc = model.evaluate(state.params, data.x_test, data.y_test)
            train_loss, _ = model.evaluate(state.params, data.x_train, data.y_train)
            if ref is None:
                ref = state.params
            tol = ", ".join(f"{k} {v:g}" for k, v in kw.items() if k != "max_evals")
            print(f"| {solver} | {tol} | {evals / n_steps:.2f} | {acc:.3f} | {train_loss:.4f} | "
                  f"{max(rel):.1e} | {np.median(err):.1e} / {max(err):.1e} | "
                  f"{np.linalg.norm(state.params - ref) / np.linalg.norm(ref):.1e} |")


def relu(quick: bool):
    data, model, batches = _problem("relu")
    theta0 = model.init(seed=0)
    runs = [("newton", OLD, 5 if quick else 20), ("newton", NEW, 20 if quick else 100),
            ("anderson", NEW, 20 if quick else 100)]
    print("\n## 6. ReLU network (MLP 40-128-128-10 relu, η=1, ρ=0.05, from the He initialisation)\n")
    print("| solver | options | steps | evals/step | max evals/step | unconverged | ms/step |\n"
          "|---|---|---|---|---|---|---|")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for solver, kw, n in runs:
            opt = rbo.rolling_ball(ETA, RHO, solver=solver, **kw)
            state = opt.init(theta0)
            ev, bad, t0 = [], 0, time.perf_counter()
            for t in range(n):
                state, info = opt.update(state, batches.sample(t), fresh=True)
                ev.append(info.evals)
                bad += not info.converged
            ms = 1e3 * (time.perf_counter() - t0) / n
            opts = ", ".join(f"{k} {v:g}" for k, v in kw.items())
            print(f"| {solver} | {opts} | {n} | {np.mean(ev):.1f} | {max(ev)} | {bad}/{n} | {ms:.0f} |")


def stiff():
    """Evaluations of one projection where ``D`` is stiff: ``f = ½ θᵀAθ`` (d = 40, the
    spectrum of A geometric from 0.1 to λ_max), one RBO step at η = 1, ρ = 0.05."""
    print("\n## 7. Stiff projections: Newton against Anderson with its hand-over to Newton "
          "(f = ½ θᵀAθ, d = 40, spectrum 0.1…λ_max, η = 1, ρ = 0.05; evaluations of one "
          "projection, two starts; `!` = not converged)\n")
    print("| η λ_max | start | newton rtol 1e-2 | anderson rtol 1e-2 | newton tol 1e-9 | "
          "anderson tol 1e-9 |\n|---|---|---|---|---|---|")
    for top in (1.0, 3.0, 10.0, 30.0, 100.0):
        A = np.geomspace(0.1, top, 40)
        obj = rbo.ArrayObjective(lambda t, A=A: (0.5 * t @ (A * t), A * t),
                                 hvp=lambda t, v, A=A: A * v)
        for seed in (1, 2):
            theta = np.random.default_rng(seed).standard_normal(40) / np.sqrt(A)
            f, g = obj.value_and_grad(theta)
            x, y, _ = _target(theta, f, g, 1.0, 0.05)
            cells = []
            for rtol in (1e-2, 0.0):
                for solver in ("newton", "anderson"):
                    fp = rbo.solve_footpoint(obj, x, y, theta, f, g, solver=solver, tol=1e-9,
                                             rtol=rtol, dense_max=0)
                    cells.append(f"{fp.info.evals}{'' if fp.info.converged else '!'}")
            print(f"| {top:g} | {seed} | " + " | ".join(cells) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller budgets (a smoke run)")
    parser.add_argument("--only", type=int, action="append", choices=(1, 3, 4, 5, 6, 7),
                        help="run only this section (repeatable; 1 prints tables 1 and 2)")
    args = parser.parse_args()
    sections = {1: lambda: side_by_side(args.quick), 3: lambda: early(args.quick), 4: trace,
                5: lambda: tolerance(args.quick), 6: lambda: relu(args.quick), 7: stiff}   # 1 prints 1 and 2
    with threadpool_limits(1, user_api="blas"):
        t0 = time.perf_counter()
        for i, run in sections.items():
            if not args.only or i in args.only:
                run()
        print(f"\n(total {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
