"""Benchmark: the supremum of curvature (the critical radius) and the local critical radius.

1. ``max_curvature`` on 1-D analytic losses: time per call after the first (which compiles
   the function's tape), the value, the witness, and the relative error against the
   closed form where there is one. For the Riemann partial sum the reference is a
   dense sample (4·10^6 points) of κ from its closed-form derivatives, polished by Brent and a fine scan.
2. ``local_critical_radius`` on a 10^5-parameter quadratic ``½ θᵀAθ`` whose Hessian ``A`` is
   sparse with a known spectrum (``A = Pᵀ R D Rᵀ P``: ``R`` block-diagonal 2x2 rotations,
   ``P`` a permutation, ``D`` planted: top 3.0, next 2.8, the rest uniform in [-1, 2]), at
   ``θ = 0`` (stationary, so κ_max = λ_max(A)): Lanczos / power / ARPACK on exact HVPs and on
   finite differences of gradients, side by side with ``scipy.sparse.linalg.eigsh`` on the
   explicit sparse matrix.

Run: ``python benchmarks/bench_curvature.py [--n 100000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import scipy.optimize
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import offsetgeo
from offsetgeo import local_critical_radius, max_curvature


def best_of(fn, repeat):
    out, best = None, math.inf
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return out, best


def riemann_reference(terms=30, samples=4_000_000, refine=20):
    """Independent reference: κ = f''/(1+f'^2)^{3/2} from the closed-form derivatives, sampled
    densely over one period, then the best `refine` samples polished by bounded Brent
    and a fine scan."""
    n2 = (np.arange(1, terms + 1) ** 2).astype(float)

    def kappa(x):
        x = np.atleast_1d(x)[None, :]
        return -(n2[:, None] * np.sin(n2[:, None] * x)).sum(0) / (1 + np.cos(n2[:, None] * x).sum(0) ** 2) ** 1.5

    h = 2 * np.pi / samples
    vals = np.concatenate([kappa(h * np.arange(k, min(k + 250_000, samples)))
                           for k in range(0, samples, 250_000)])
    best, where = -np.inf, None
    for i in np.argsort(-vals)[:refine]:
        r = scipy.optimize.minimize_scalar(lambda x: -kappa(x)[0], bounds=(h * (i - 1), h * (i + 1)),
                                           method="bounded", options={"xatol": 1e-14})
        # Brent stops ~1e-10 from the peak, where κ'' ~ κ³ still costs ~1e-12 relative:
        # finish with a fine scan around its answer
        xs = r.x + np.linspace(-1e-8, 1e-8, 4001)
        ks = kappa(xs)
        if ks.max() > best:
            best, where = float(ks.max()), float(xs[np.argmax(ks)])
    return best, where


def bench_max_curvature(repeat):
    riemann = " + ".join(f"sin({n * n}*x)/{n * n}" for n in range(1, 31))
    ref_riemann, _ = riemann_reference()
    cases = [
        ("sin(x)", "sin(x)", "2*pi", 1.0, "closed form A w^2"),
        ("2*sin(3*x)", "2*sin(3*x)", "2*pi/3", 18.0, "closed form A w^2"),
        ("sin(x)+0.3*sin(5*x)", "sin(x) + 0.3*sin(5*x)", "2*pi", 8.5,
         "closed form 1 + 7.5 at x = 3pi/2 (f' = 0)"),
        ("Riemann sum n<=30", riemann, "2*pi", ref_riemann, "numpy closed form: 4e6 samples + Brent + scan"),
    ]
    print("max_curvature, side='upper', one period (best of %d, after a first call)" % repeat)
    print(f"{'function':22s} {'first s':>8s} {'time s':>8s} {'grid':>8s} {'evals':>8s} "
          f"{'value':>20s} {'witness':>14s} {'rel err':>9s}  reference")
    for name, expr, period, ref, how in cases:
        f = offsetgeo.Function(expr, period=period)
        t = time.perf_counter()
        max_curvature(f)
        first = time.perf_counter() - t
        r, dt = best_of(lambda: max_curvature(f), repeat)
        err = abs(r.value - ref) / abs(ref)
        print(f"{name:22s} {first:8.3f} {dt:8.3f} {r.grid_points:8d} {r.evals:8d} "
              f"{r.value:20.13f} {r.witness:14.10f} {err:9.1e}  {how}")
    # the closed form for sin(x) + 0.3 sin(5x): at x = 3π/2, f' = cos x + 1.5 cos 5x = 0 and
    # f'' = -sin x - 7.5 sin 5x = 1 + 7.5 = 8.5; a global max of f'' with f' = 0 is a max of κ.


def sparse_hessian(n, seed=0):
    rng = np.random.default_rng(seed)
    D = rng.uniform(-1.0, 2.0, n)
    D[:2] = [3.0, 2.8]
    rng.shuffle(D)
    # R: block-diagonal 2x2 rotations; P: a permutation. A = Pᵀ R diag(D) Rᵀ P.
    m = n // 2
    phi = rng.uniform(0, 2 * np.pi, m)
    c, s = np.cos(phi), np.sin(phi)
    rows = np.concatenate([2 * np.arange(m), 2 * np.arange(m), 2 * np.arange(m) + 1, 2 * np.arange(m) + 1])
    cols = np.concatenate([2 * np.arange(m), 2 * np.arange(m) + 1, 2 * np.arange(m), 2 * np.arange(m) + 1])
    vals = np.concatenate([c, -s, s, c])
    R = sp.coo_matrix((vals, (rows, cols)), shape=(2 * m, 2 * m)).tocsr()
    if n % 2:
        R = sp.block_diag([R, sp.identity(1)], format="csr")
    P = sp.identity(n, format="csr")[rng.permutation(n)]
    A = (P.T @ R @ sp.diags(D) @ R.T @ P).tocsr()
    return A, float(D.max())


def bench_local_radius(n, repeat):
    A, top = sparse_hessian(n)
    print(f"\nlocal_critical_radius on a {n}-parameter quadratic, Hessian sparse "
          f"({A.nnz} nonzeros), lambda_max = {top}, theta = 0, tol = 1e-6 "
          f"(best of {repeat})")
    print(f"{'solver':44s} {'time s':>8s} {'iters':>6s} {'evals':>6s} {'lambda_max':>20s} "
          f"{'rel err':>9s} {'conv':>5s}")
    theta = np.zeros(n)
    grad = lambda t: A @ t           # noqa: E731
    hvp = lambda t, v: A @ v         # noqa: E731
    runs = [
        ("lanczos, exact hvp", dict(hvp=hvp)),
        ("lanczos, finite-difference gradients", dict()),
        ("power, exact hvp", dict(hvp=hvp, method="power", max_iter=2000)),
        ("power, finite-difference gradients", dict(method="power", max_iter=2000)),
        ("arpack (eigsh on LinearOperator), exact hvp", dict(hvp=hvp, method="arpack", max_iter=1000)),
    ]
    for name, kw in runs:
        r, dt = best_of(lambda: local_critical_radius(grad, theta, rtol=1e-6, rng=0, **kw), repeat)
        print(f"{name:44s} {dt:8.3f} {r.iterations:6d} {r.evals:6d} "
              f"{r.lambda_max:20.14f} {abs(r.lambda_max - top) / top:9.1e} {str(r.converged):>5s}")
    counter = [0]

    def solve():
        counter[0] = 0
        op = spla.LinearOperator(A.shape, matvec=lambda v: (counter.__setitem__(0, counter[0] + 1), A @ v)[1],
                                 dtype=float)
        return spla.eigsh(op, k=1, which="LA", tol=1e-6, v0=np.random.default_rng(0).standard_normal(n))[0][0]
    lam, dt = best_of(lambda: spla.eigsh(A, k=1, which="LA", tol=1e-6,
                                         v0=np.random.default_rng(0).standard_normal(n))[0][0], repeat)
    solve()
    print(f"{'scipy eigsh(A explicit sparse, which=LA)':44s} {dt:8.3f} {counter[0]:6d} {'-':>6s} "
          f"{lam:20.14f} {abs(lam - top) / top:9.1e} {'True':>5s}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bench_max_curvature(args.repeat)
    bench_local_radius(args.n, args.repeat)


if __name__ == "__main__":
    main()
