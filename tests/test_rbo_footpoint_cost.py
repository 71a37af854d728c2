"""What a footpoint solve costs and what it returns on networks: the relative stopping rule,
the evaluation cap, Anderson-accelerated Gauss–Newton, the paper loop's count, and the RBO
step's geometry (checked against an independent least-squares solve, the exact projection onto
a quadratic's graph by its secular equation, and computed in R^{d+1})."""
import math

import numpy as np
import pytest
from scipy.optimize import brentq, least_squares

import rbo
from rbo import ArrayObjective, solve_footpoint

from conftest import Counting


def small_net(activation="tanh", seed=0):
    """A 3-5-3 MLP (d = 38) on 12 points: a network objective small enough for dense checks."""
    rng = np.random.default_rng(seed)
    model = rbo.nn.mlp([3, 5, 3], activation=activation)
    X = rng.standard_normal((12, 3))
    y = rng.integers(0, 3, 12)
    return model, model.objective(X, y), model.init(seed=seed)


def centre(theta, f, g, radius):
    """``c = (θ, f) + ρ (−g, 1)/s`` (docs/math.md)."""
    s = math.sqrt(1 + g @ g)
    return np.concatenate([theta - radius * g / s, [f + radius / s]])


def rbo_target(obj, theta, lr, radius):
    """``(f, g, x, y)``: the candidate centre ``c̃ = c − η (g, |g|²)`` of one RBO step."""
    f, g = obj.value_and_grad(theta)
    c = centre(theta, float(f), g, radius)
    return f, g, c[:-1] - lr * g, float(c[-1] - lr * (g @ g))


def stationarity(obj, phi, x, y):
    f, g = obj.value_and_grad(phi)
    return (phi - x) + (f - y) * g


def reference_footpoint(obj, x, y, theta0):
    """Local minimiser of D by SciPy's trust-region least squares on R(φ) = (φ − x, F(φ) − y)."""
    d = x.shape[0]

    def fun(phi):
        return np.concatenate([phi - x, [obj.value_and_grad(phi)[0] - y]])

    def jac(phi):
        return np.vstack([np.eye(d), obj.value_and_grad(phi)[1][None, :]])

    sol = least_squares(fun, theta0, jac=jac, xtol=1e-15, ftol=1e-15, gtol=1e-15, method="lm")
    return sol.x


# a large step (η|g| comparable to the curvature scale) and a small one
STEPS = [(2.0, 0.3), (0.1, 0.1)]


@pytest.mark.parametrize("lr, radius", STEPS)
@pytest.mark.parametrize("solver", ["newton", "anderson", "gauss-newton"])
def test_local_solvers_match_independent_least_squares(solver, lr, radius):
    _, obj, theta = small_net()
    f, g, x, y = rbo_target(obj, theta, lr, radius)
    ref = reference_footpoint(obj, x, y, theta)
    fp = solve_footpoint(obj, x, y, theta, f, g, solver=solver, tol=1e-12)
    assert fp.info.converged, fp.info.message
    # |φ − φ*| ≤ |r| / λ_min(∇²D/2) to first order; here λ_min ≥ 0.2 (checked below)
    assert np.linalg.norm(fp.theta - ref) <= 1e-9


def test_reference_problem_is_well_conditioned():
    # the bound used above: the Hessian of D/2 at the solution, by central differences of r
    _, obj, theta = small_net()
    for lr, radius in STEPS:
        f, g, x, y = rbo_target(obj, theta, lr, radius)
        ref = reference_footpoint(obj, x, y, theta)
        h, d = 1e-5, ref.shape[0]
        J = np.column_stack([(stationarity(obj, ref + h * e, x, y) - stationarity(obj, ref - h * e, x, y))
                             / (2 * h) for e in np.eye(d)])
        assert np.linalg.eigvalsh(0.5 * (J + J.T)).min() > 0.2


@pytest.mark.parametrize("solver", ["newton", "anderson", "gauss-newton"])
@pytest.mark.parametrize("rtol", [0.1, 1e-2, 1e-4])
def test_relative_stop_holds_and_is_not_overshot(solver, rtol):
    _, obj, theta = small_net()
    f, g, x, y = rbo_target(obj, theta, 2.0, 0.3)
    r0 = np.linalg.norm(stationarity(obj, theta, x, y))
    # the RBO step's initial residual is η (1 + |g|²) |g| (the module docstring's scale)
    assert math.isclose(r0, 2.0 * (1 + g @ g) * np.linalg.norm(g), rel_tol=1e-12)
    fp = solve_footpoint(obj, x, y, theta, f, g, solver=solver, tol=0.0, rtol=rtol)
    r = np.linalg.norm(stationarity(obj, fp.theta, x, y))    # recomputed, not the reported one
    assert fp.info.converged and r <= rtol * r0
    assert math.isclose(fp.info.residual, r, rel_tol=1e-12)
    # the stop is the first iterate that meets the rule: one iteration less does not
    if fp.info.iterations > 1:
        short = solve_footpoint(obj, x, y, theta, f, g, solver=solver, tol=0.0, rtol=rtol,
                                max_iter=fp.info.iterations - 1)
        assert short.info.residual > rtol * r0 and not short.info.converged


@pytest.mark.parametrize("solver", ["newton", "anderson", "gauss-newton", "paper"])
@pytest.mark.parametrize("known", [True, False])
def test_reported_evals_equal_oracle_calls(solver, known):
    _, obj, theta = small_net()
    f, g, x, y = rbo_target(obj, theta, 2.0, 0.3)
    c = Counting(obj)
    fp = solve_footpoint(c, x, y, theta, *((f, g) if known else ()), solver=solver,
                         rtol=1e-3, dense_max=0)
    assert fp.info.evals == c.n


def test_paper_loop_costs_k_evaluations_and_101_on_a_fresh_minibatch():
    _, obj, theta = small_net()
    f, g, x, y = rbo_target(obj, theta, 0.5, 0.3)
    for K in (1, 7):
        assert solve_footpoint(obj, x, y, theta, f, g, solver="paper", paper_steps=K).info.evals == K
        assert solve_footpoint(obj, x, y, theta, solver="paper", paper_steps=K).info.evals == K + 1
    # one RBO step on a new minibatch: ∇f at θ_t, K − 1 more in the loop, one at the new point
    opt = rbo.rolling_ball(0.5, 0.3, solver="paper")
    state = opt.init(theta)
    for _ in range(2):
        c = Counting(obj)
        state, info = opt.update(state, c, fresh=True)
        assert info.evals == c.n == 101


def test_paper_loop_reusing_the_gradient_is_the_same_loop():
    _, obj, theta = small_net()
    f, g, x, y = rbo_target(obj, theta, 0.5, 0.3)
    a = solve_footpoint(obj, x, y, theta, f, g, solver="paper", paper_steps=5)
    b = solve_footpoint(obj, x, y, theta, solver="paper", paper_steps=5)
    phi = theta.copy()                       # the loop written out
    for _ in range(5):
        phi = phi - 1e-3 * stationarity(obj, phi, x, y)
    assert np.array_equal(a.theta, b.theta) and np.allclose(a.theta, phi, rtol=0, atol=1e-15)


@pytest.mark.parametrize("solver", ["newton", "anderson"])
@pytest.mark.parametrize("cap", [1, 2, 3, 5])
def test_eval_cap_bounds_the_solve_and_says_so(solver, cap):
    _, obj, theta = small_net()
    f, g, x, y = rbo_target(obj, theta, 2.0, 0.3)
    c = Counting(obj)
    fp = solve_footpoint(c, x, y, theta, f, g, solver=solver, tol=1e-14, max_evals=cap,
                         dense_max=0)
    assert fp.info.evals == c.n <= cap
    assert not fp.info.converged and "max_evals" in fp.info.message
    # the cap stops the solve; it does not change the iterates before it
    free = solve_footpoint(obj, x, y, theta, f, g, solver=solver, tol=1e-14,
                           max_iter=fp.info.iterations, dense_max=0)
    if free.info.evals <= cap:
        assert np.array_equal(free.theta, fp.theta)


def test_eval_cap_bounds_a_relu_network_solve():
    # ReLU: D is only piecewise smooth (the R-operator gives the a.e. Hessian), the solve may
    # not reach a tight tolerance; the cap bounds what it spends and the result says so
    _, obj, theta = small_net("relu", seed=3)
    f, g, x, y = rbo_target(obj, theta, 2.0, 0.3)
    for solver in ("newton", "anderson", "gauss-newton"):
        c = Counting(obj)
        fp = solve_footpoint(c, x, y, theta, f, g, solver=solver, tol=1e-15, max_evals=25,
                             dense_max=0)
        assert fp.info.evals == c.n <= 25
        assert fp.info.converged == (fp.info.residual <= 1e-15)


def test_anderson_on_an_affine_loss_is_one_gradient_step():
    # affine F: the residual is affine in φ, Gauss–Newton is exact, the step is θ − η g
    a = np.array([0.5, -1.0, 2.0])
    affine = Counting(ArrayObjective(lambda t: (a @ t + 2.0, a), hvp=lambda t, v: 0 * v))
    opt = rbo.rolling_ball(lr=0.1, radius=3.0, solver="anderson", rtol=1e-12)
    state, info = opt.update(opt.init(np.zeros(3)), affine)
    assert np.allclose(state.params, -0.1 * a, rtol=0, atol=1e-14)
    assert info.evals == affine.n == 2                  # f, g at θ_t; f, g at the new point


@pytest.mark.parametrize("solver, rtol", [("newton", 1e-2), ("anderson", 1e-2), ("anderson", 0.1)])
def test_rbo_step_geometry(solver, rtol):
    """The step is RBO's: the new centre is ρ from the contact point along the normal, and the
    moved centre c̃ leaves the graph's normal line at p by at most |r| ≤ rtol |r_0|."""
    _, obj, theta = small_net()
    lr, radius = 2.0, 0.3
    opt = rbo.rolling_ball(lr, radius, solver=solver, rtol=rtol)
    state = opt.init(theta)
    for _ in range(3):
        f, g, x, y = rbo_target(obj, state.params, lr, radius)
        r0 = lr * (1 + g @ g) * np.linalg.norm(g)
        state, info = opt.update(state, obj, fresh=True)
        p = np.concatenate([state.params, [obj.value_and_grad(state.params)[0]]])
        gp = obj.value_and_grad(state.params)[1]
        n = np.concatenate([-gp, [1.0]]) / math.sqrt(1 + gp @ gp)
        w = np.concatenate([x, [y]]) - p
        offset = np.linalg.norm(w - (w @ n) * n)          # |P_T(c̃ − p)| in R^{d+1}
        # P_T w = −(r-part): |P_T w| = |(I + g gᵀ)^{-1/2} r| ∈ [|r| / s, |r|]
        assert offset <= info.residual * (1 + 1e-9) <= rtol * r0 * (1 + 1e-9)
        assert offset >= info.residual / math.sqrt(1 + gp @ gp) * (1 - 1e-9)
        # the next step's centre (reported by it) is ρ from p: |c − p| = ρ
        _, info = opt.update(state, obj)
        assert np.allclose(info.centre, centre(state.params, p[-1], gp, radius), rtol=0, atol=1e-14)
        assert math.isclose(np.linalg.norm(info.centre - p), radius, rel_tol=1e-12)


def test_bad_rtol_and_max_evals():
    _, obj, theta = small_net()
    with pytest.raises(ValueError, match="rtol"):
        solve_footpoint(obj, theta, 0.0, theta, rtol=-1.0)
    with pytest.raises(ValueError, match="max_evals"):
        rbo.rolling_ball(0.1, 0.1, max_evals=0)
    with pytest.raises(ValueError, match="solver"):
        rbo.run_batched(rbo.losses.sine(), np.zeros(2), lr=0.1, radius=0.5, steps=1,
                        solver="anderson")


# -- the exact projection onto the graph of a quadratic, by its secular equation -------------

A_DIAG = np.geomspace(0.1, 30.0, 40)                  # f(θ) = ½ θᵀAθ, A = diag, d = 40


def quadratic():
    return ArrayObjective(lambda t: (0.5 * t @ (A_DIAG * t), A_DIAG * t),
                          hvp=lambda t, v: A_DIAG * v)


def quadratic_projection(x, y):
    """Footpoint of ``(x, y)`` below the graph of ``½ θᵀAθ``: ``φ = (I + αA)⁻¹ x`` with ``α =
    F(φ) − y > 0`` the root of ``h(α) = ½ Σ a_i x_i²/(1 + α a_i)² − y − α`` (decreasing on
    α > 0 from ``h(0) = f(x) − y > 0``); unique because the epigraph is convex."""
    def h(a):
        return 0.5 * np.sum(A_DIAG * x * x / (1 + a * A_DIAG) ** 2) - y - a

    top = 0.5 * x @ (A_DIAG * x) - y
    alpha = brentq(h, 0.0, top, xtol=1e-15, rtol=1e-15)
    return x / (1 + alpha * A_DIAG)


@pytest.mark.parametrize("solver, dense_max", [("newton", 0), ("newton", 200), ("anderson", 0),
                                               ("gauss-newton", 0)])
@pytest.mark.parametrize("rtol", [0.0, 1e-2, 0.1])
def test_quadratic_footpoint_against_the_secular_equation(solver, dense_max, rtol):
    # an RBO step of η = 1, ρ = 0.05 where η λ_max = 30: the projection is far from the
    # gradient step (as on the network, bench_netcost table 4) and D is stiff
    obj = quadratic()
    theta = np.random.default_rng(1).standard_normal(40) / np.sqrt(A_DIAG)
    f, g, x, y = rbo_target(obj, theta, 1.0, 0.05)
    exact = quadratic_projection(x, y)
    r0 = np.linalg.norm(stationarity(obj, theta, x, y))
    goal = max(1e-11, rtol * r0)
    c = Counting(obj)
    fp = solve_footpoint(c, x, y, theta, f, g, solver=solver, tol=1e-11, rtol=rtol,
                         dense_max=dense_max)
    r = np.linalg.norm(stationarity(obj, fp.theta, x, y))
    assert fp.info.evals == c.n and math.isclose(fp.info.residual, r, rel_tol=1e-9, abs_tol=1e-15)
    # D/2 has Hessian I + ggᵀ + (F − y)A ⪰ I where F ≥ y, so |φ − φ*| ≤ |r(φ)| on a segment
    # above the level y (checked): the a-posteriori error bound, converged or not
    seg = [fp.theta + s * (exact - fp.theta) for s in np.linspace(0, 1, 11)]
    assert min(obj.value_and_grad(p)[0] for p in seg) > y
    assert np.linalg.norm(fp.theta - exact) <= r * (1 + 1e-6) + 1e-13
    # a converged solve meets its goal (so the error is within it); Newton always converges
    # here, and so does Anderson (it hands over to Newton where D is stiff); Gauss–Newton may
    # stop (line search, max_iter) and must then say so
    assert fp.info.converged == (r <= goal * (1 + 1e-9))
    if solver in ("newton", "anderson"):
        assert fp.info.converged, fp.info.message


@pytest.mark.parametrize("top", [3.0, 30.0, 100.0])
@pytest.mark.parametrize("rtol", [0.0, 1e-2])
def test_anderson_hands_a_stiff_projection_to_newton(top, rtol):
    # plain Anderson mixing of Gauss–Newton spent 1 143 evaluations (rtol 1e-2) and failed to
    # converge in 5 616 (rtol 0) on this projection (η λ_max = 30) where Newton–CG spends 37
    # and 197: after its first backtracked (or second stalled) iteration Anderson's solve goes
    # on with Newton–CG, so it pays Newton's price plus the few mixed iterations before
    A = np.geomspace(0.1, top, 40)
    obj = ArrayObjective(lambda t: (0.5 * t @ (A * t), A * t), hvp=lambda t, v: A * v)
    theta = np.random.default_rng(1).standard_normal(40) / np.sqrt(A)
    f, g, x, y = rbo_target(obj, theta, 1.0, 0.05)
    fps = {s: solve_footpoint(obj, x, y, theta, f, g, solver=s, tol=1e-9, rtol=rtol, dense_max=0)
           for s in ("newton", "anderson")}
    assert fps["anderson"].info.converged and fps["newton"].info.converged
    assert fps["anderson"].info.evals <= 1.3 * fps["newton"].info.evals + 10
    if top >= 30:                       # Gauss–Newton overshoots at once: Newton takes over
        assert fps["anderson"].info.linear_iterations > 0


@pytest.mark.parametrize("solver", ["newton", "anderson", "gauss-newton"])
def test_rbo_step_count_is_every_oracle_call(solver):
    # at the step level: value_and_grad at θ_t on the new minibatch, every gradient and every
    # Hessian-vector product of the solve (CG path: dense_max = 0), the returned point's
    _, obj, theta = small_net()
    opt = rbo.rolling_ball(2.0, 0.3, solver=solver, rtol=1e-2, dense_max=0)
    state = opt.init(theta)
    for _ in range(3):
        c = Counting(obj)
        state, info = opt.update(state, c, fresh=True)
        assert info.evals == c.n >= 2 and info.converged


def test_every_hvp_of_an_rbo_step_reuses_the_pass_of_the_last_gradient(monkeypatch):
    # Newton–CG asks for hvps at the current contact point, which is always the point of the
    # objective's last value_and_grad (θ_t, or the last accepted trial point): each hvp must
    # cost the R-passes only, never a forward and backward pass of its own
    model, obj, theta = small_net()
    passes = []
    full_pass = rbo.nn.MLP._full_pass
    monkeypatch.setattr(rbo.nn.MLP, "_full_pass",
                        lambda self, *a: passes.append(1) or full_pass(self, *a))
    opt = rbo.rolling_ball(2.0, 0.3, rtol=1e-6, dense_max=0)     # CG path, several iterations
    state, hvps = opt.init(theta), 0
    for _ in range(3):
        c = Counting(rbo.nn.NetObjective(model, obj.x, obj.targets))   # nothing cached yet
        passes.clear()
        state, info = opt.update(state, c, fresh=True)
        assert len(passes) == c.n_grad and info.converged
        hvps += c.n - c.n_grad
    assert hvps >= 6
