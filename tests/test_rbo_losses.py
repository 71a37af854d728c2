"""Function-based losses, the exact solver, and batched runs (need offsetgeo.Function)."""
import math

import numpy as np
import pytest

import rbo

offsetgeo = pytest.importorskip("offsetgeo")
if not hasattr(offsetgeo, "Function") or not hasattr(offsetgeo, "footpoint"):
    pytest.skip("offsetgeo.Function / footpoint not available yet", allow_module_level=True)


def test_builtin_losses_against_formulas():
    x = np.array([0.37])
    v, g = rbo.losses.sine(2.0, 3.0).value_and_grad(x)
    assert math.isclose(float(v), 2 * math.sin(1.11), rel_tol=1e-14)
    assert math.isclose(float(g[0]), 6 * math.cos(1.11), rel_tol=1e-14)
    v, g = rbo.losses.riemann(100).value_and_grad(x)
    n = np.arange(1, 101)
    assert math.isclose(float(v), np.sum(np.sin(n ** 2 * 0.37) / n ** 2), rel_tol=1e-12)
    assert math.isclose(float(g[0]), np.sum(np.cos(n ** 2 * 0.37)), rel_tol=1e-10, abs_tol=1e-10)
    p = np.array([0.3, -0.8])
    v, g = rbo.losses.multiscale().value_and_grad(p)
    ref = 0.1 * (p @ p) + 0.02 * math.sin(3.6) * math.sin(-9.6)
    assert math.isclose(float(v), ref, rel_tol=1e-13)
    a, b, c = rbo.losses.exploration(1), rbo.losses.exploration(1), rbo.losses.exploration(2)
    assert float(a.value_and_grad(x)[0]) == float(b.value_and_grad(x)[0]) != float(c.value_and_grad(x)[0])


def test_function_adapter_hvp_against_finite_differences():
    obj = rbo.objective(offsetgeo.Function("sin(x)*cos(2*y) + x**2*y", variables=["x", "y"]))
    th, v = np.array([0.4, -0.3]), np.array([0.6, -1.1])
    h = 1e-6
    fd = (obj.value_and_grad(th + h * v)[1] - obj.value_and_grad(th - h * v)[1]) / (2 * h)
    assert np.allclose(obj.hvp(th, v), fd, atol=1e-8)
    with pytest.raises(ValueError, match="dimension 2"):
        obj.value_and_grad(np.zeros(3))


def test_array_losses_match_their_functions():
    for loss, th in ((rbo.losses.quadratic(np.array([[2.0, 0.5], [0.5, 1.0]]), b=np.array([1.0, -2.0]), c=0.5),
                      np.array([0.3, -0.7])),
                     (rbo.losses.sines(2, 0.5, 3.0), np.array([0.3, -0.7])),
                     (rbo.losses.affine(np.array([1.5]), 2.0), np.array([0.3]))):
        fo = rbo.objective(loss.function)
        v1, g1 = loss.value_and_grad(th); v2, g2 = fo.value_and_grad(th)
        assert math.isclose(float(v1), float(v2), rel_tol=1e-13) and np.allclose(g1, g2, rtol=1e-13)
        e = np.ones_like(th)
        assert np.allclose(loss.hvp(th, e), fo.hvp(th, e), rtol=1e-12, atol=1e-14)


def brute_distance(f, cx, cy, lo, hi, n=400001):
    grid = np.linspace(lo, hi, n)
    D = (grid - cx) ** 2 + (f(grid) - cy) ** 2
    p = grid[np.argmin(D)]
    for _ in range(60):
        r = lambda q: (q - cx) + (f(q) - cy) * np.cos(q)
        p = p - r(p) / ((r(p + 1e-6) - r(p - 1e-6)) / 2e-6)
    return p, math.hypot(p - cx, f(p) - cy)


@pytest.mark.parametrize("solver", ["newton", "exact"])
def test_centre_stays_at_distance_rho_below_critical_radius(solver):
    rho, eta = 0.6, 0.2  # sin: critical radius 1
    tr = rbo.run(rbo.losses.sine(), rbo.rolling_ball(eta, rho, solver=solver), np.array([2.5]), 12)
    th = np.asarray(tr.theta[:, 0])
    for t in range(12):
        cx, cy = np.asarray(tr.centre[t])
        _, dist = brute_distance(np.sin, cx, cy, cx - 4, cx + 4)
        assert abs(dist - rho) < 1e-8
        # and the new contact point is the global footpoint of the candidate centre
        g = math.cos(th[t])
        p, _ = brute_distance(np.sin, cx - eta * g, cy - eta * g * g, cx - 4, cx + 4)
        assert abs(th[t + 1] - p) < 1e-8


def test_newton_and_exact_trajectories_agree():
    a = rbo.run(rbo.losses.multiscale(), rbo.rolling_ball(0.1, 0.2, solver="newton"), np.array([2.0, 1.5]), 15)
    b = rbo.run(rbo.losses.multiscale(), rbo.rolling_ball(0.1, 0.2, solver="exact"), np.array([2.0, 1.5]), 15)
    assert np.max(np.abs(np.asarray(a.theta) - np.asarray(b.theta))) < 1e-8


def test_batched_equals_single_runs():
    obj = rbo.losses.sine()
    starts = np.array([0.3, 2.0, -1.0, 4.0])
    radii = np.array([0.1, 0.5, 0.9, 1.5])
    lrs = np.array([0.05, 0.1, 0.2, 0.1])
    for solver in ("newton", "gauss-newton", "paper"):
        bt = rbo.run_batched(obj, starts, lr=lrs, radius=radii, steps=8, solver=solver,
                             paper_steps=20, max_iter=200)
        for i in range(4):
            tr = rbo.run(obj, rbo.rolling_ball(lrs[i], radii[i], solver=solver, paper_steps=20, max_iter=200),
                         starts[i:i + 1], 8, on_failure="ignore")
            tol = 1e-13 if solver == "paper" else 1e-9
            assert np.max(np.abs(bt.theta[:, i, 0] - np.asarray(tr.theta[:, 0]))) < tol, (solver, i)
    bt2 = rbo.run_batched(rbo.losses.multiscale(), np.array([[2.0, 1.5], [-1.0, 0.5]]), lr=0.1, radius=0.2, steps=5)
    tr = rbo.run(rbo.losses.multiscale(), rbo.rolling_ball(0.1, 0.2), np.array([-1.0, 0.5]), 5)
    assert np.max(np.abs(bt2.theta[:, 1] - np.asarray(tr.theta))) < 1e-9
    with pytest.raises(ValueError, match="radius"):
        rbo.run_batched(obj, starts, lr=0.1, radius=-1.0, steps=1)
    with pytest.raises(ValueError, match="shape"):
        rbo.run_batched(obj, np.zeros((3, 2)), lr=0.1, radius=1.0, steps=1)


def test_exploration_large_radius_crosses():
    obj = rbo.losses.exploration(0)
    starts = np.full(3, 0.3)
    bt = rbo.run_batched(obj, starts, lr=0.3, radius=np.array([0.01, 0.05, 3.0]), steps=300)
    gd = rbo.run(obj, rbo.sgd(0.3), np.array([0.3]), 300)
    assert abs(float(gd.theta[-1, 0])) < 1.0                 # GD stays in the shallow basin
    assert abs(bt.theta[-1, 0, 0]) < 1.0                      # so does a small ball
    assert bt.theta[-1, 2, 0] > 2.0                           # a large ball crosses the barrier
    assert bt.loss[-1, 2] < float(gd.loss[-1]) - 0.05         # and ends lower than GD
