"""rolling_ball(solver="first-order"): the step θ − η (I − ρW)⁻¹ g against dense linear algebra,
its cost, its fallback to the projection where ρκ ≥ 1 is seen; unnormalised SAM."""

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import offsetgeo
import rbo
from rbo._first_order import first_order_direction


def dense_shape_operator(g, H):
    """W = (1/s)(I + g gᵀ)⁻¹ H, written out (independent of the library)."""
    s = math.sqrt(1.0 + g @ g)
    return np.linalg.inv(np.eye(g.size) + np.outer(g, g)) @ H / s


def random_problem(seed, d, scale):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    H = Q @ np.diag(rng.uniform(-scale, scale, d)) @ Q.T
    g = rng.normal(size=d) * rng.uniform(0.05, 2.0)
    return g, H


def one_step(opt, obj, theta):
    return opt.update(opt.init(np.asarray(theta, dtype=float)), obj)


# ---------------------------------------------------------------- the direction itself


@given(st.integers(0, 10_000), st.integers(1, 12), st.floats(0.05, 0.9))
def test_conjugate_gradients_solve_the_dense_system(seed, d, rho_kappa):
    g, H = random_problem(seed, d, 1.0)
    W = dense_shape_operator(g, H)
    rho = rho_kappa / np.max(np.abs(np.linalg.eigvals(W).real))
    exact = np.linalg.solve(np.eye(d) - rho * W, g)
    sol = first_order_direction(g, lambda v: H @ v, rho, terms=None, tol=1e-12, max_iter=4 * d)
    assert sol.valid and sol.converged
    # CG stops on |r| = |A u − M g| ≤ tol, A = M(I − ρW); u − exact = (I − ρW)⁻¹ M⁻¹ r, and in
    # the M-norm (≥ the Euclidean one) |(I − ρW)⁻¹|_M = 1/(1 − ρκ_max), |M⁻¹ r|_M ≤ |r|
    bound = 1e-12 / (1 - rho_kappa) + 1e-13 * np.linalg.norm(exact)
    assert np.linalg.norm(sol.direction - exact) <= bound
    assert sol.rho_kappa <= rho_kappa + 1e-12     # a Rayleigh quotient: never above ρ κ_max


@given(st.integers(0, 10_000), st.integers(1, 8), st.integers(0, 6), st.floats(0.05, 0.9))
def test_neumann_terms_are_the_truncated_series(seed, d, k, rho_kappa):
    g, H = random_problem(seed, d, 1.0)
    W = dense_shape_operator(g, H)
    rho = rho_kappa / np.max(np.abs(np.linalg.eigvals(W).real))
    series = sum(np.linalg.matrix_power(rho * W, j) @ g for j in range(k + 1))
    sol = first_order_direction(g, lambda v: H @ v, rho, terms=k)
    assert sol.valid and sol.hvps == k
    assert np.allclose(sol.direction, series, rtol=1e-11, atol=1e-13)
    # the truncation error of k terms: |Σ_{j>k} (ρW)^j g| ≤ q^{k+1}/(1 − q) |g| in the metric
    exact = np.linalg.solve(np.eye(d) - rho * W, g)
    M = np.eye(d) + np.outer(g, g)
    err = sol.direction - exact
    bound = rho_kappa ** (k + 1) / (1 - rho_kappa) * math.sqrt(g @ M @ g)
    assert math.sqrt(err @ M @ err) <= bound * (1 + 1e-9) + 1e-13


def test_the_focal_distance_and_a_diverging_series_are_detected():
    bowl = lambda v: 2.0 * v                           # noqa: E731  (f = x², κ = 2 at 0)
    g = np.array([1e-3])
    assert not first_order_direction(g, bowl, 0.6, terms=1).valid          # ρκ = 1.2
    assert "focal" in first_order_direction(g, bowl, 0.6, terms=None).message
    crest = lambda v: -2.0 * v                         # noqa: E731  (f = −x², κ = −2)
    sol = first_order_direction(g, crest, 0.6, terms=2)
    assert not sol.valid and "does not contract" in sol.message
    assert first_order_direction(g, crest, 0.6, terms=None).valid  # I − ρW is fine there
    assert first_order_direction(np.zeros(2), bowl, 0.6).direction.tolist() == [0.0, 0.0]


# ---------------------------------------------------------------- the optimizer


def test_first_order_step_matches_the_formula_and_costs_one_hvp_per_term():
    f = offsetgeo.Function("sin(x)*cos(y) + 0.2*x")
    obj = rbo.objective(f)
    theta = np.array([0.7, -0.4])
    g, H = f.grad(theta), f.hess(theta)
    W = dense_shape_operator(g, H)
    eta, rho = 0.05, 0.2
    cg = rbo.rolling_ball(eta, rho, solver="first-order", terms=None, tol=1e-13)
    state, info = one_step(cg, obj, theta)
    assert np.allclose(state.params, theta - eta * np.linalg.solve(np.eye(2) - rho * W, g),
                       atol=1e-13)
    assert not info.fallback and not info.certified and info.converged
    for k in (0, 1, 3):
        opt = rbo.rolling_ball(eta, rho, solver="first-order", terms=k)
        state, info = one_step(opt, obj, theta)
        series = sum(np.linalg.matrix_power(rho * W, j) @ g for j in range(k + 1))
        assert np.allclose(state.params, theta - eta * series, atol=1e-14)
        assert info.evals == 1 + k
    tr = rbo.run(obj, rbo.rolling_ball(eta, rho, solver="first-order", terms=1), theta, 20)
    assert tr.total_evals == 40 and tr.status == "completed"


def test_on_an_affine_loss_the_first_order_step_is_gradient_descent():
    a = np.array([0.5, -1.0, 2.0])
    obj = rbo.losses.affine(a)
    state, info = one_step(rbo.rolling_ball(0.1, 5.0, solver="first-order", terms=3), obj,
                           np.zeros(3))
    assert np.allclose(state.params, -0.1 * a, atol=1e-15) and info.rho_kappa == 0.0


def test_past_the_focal_distance_the_step_falls_back_to_the_projection():
    bowl = rbo.losses.quadratic(np.diag([2.0, 0.5]))   # κ = 2 at the bottom: focal ρ = 1/2
    rho = 0.8                                          # ρκ = 1.6 and 0.4 near the bottom
    for theta, terms in (([0.05, 0.0], 1), ([0.05, 0.3], None), ([0.05, 0.3], 6)):
        theta = np.array(theta)
        cheap = rbo.rolling_ball(0.1, rho, solver="first-order", terms=terms)
        state, info = one_step(cheap, bowl, theta)
        ref, ref_info = one_step(rbo.rolling_ball(0.1, rho, solver="newton"), bowl, theta)
        assert info.fallback and "focal" in info.message and "newton" in info.message
        assert info.rho_kappa >= 1.0
        assert np.array_equal(state.params, ref.params) and info.certified
        assert info.evals > ref_info.evals                 # the refused HVPs are paid for
    # "along the series": one term sees only g's direction, where the Rayleigh quotient mixes
    # ρκ = 1.6 and 0.4 to 0.73 < 1 and |ρWg| < |g| — the documented blind spot of k = 1
    _, info = one_step(rbo.rolling_ball(0.1, rho, solver="first-order", terms=1), bowl,
                       np.array([0.05, 0.3]))
    assert not info.fallback and 0.7 < info.rho_kappa < 1
    # a ball below the focal distance: no fallback
    _, info = one_step(rbo.rolling_ball(0.1, 0.3, solver="first-order"), bowl,
                       np.array([0.05, 0.3]))
    assert not info.fallback and 0 < info.rho_kappa < 1


def test_without_hvp_forward_differences_are_used():
    f = offsetgeo.Function("sin(x) + 0.3*sin(5*x)")
    exact = rbo.objective(f)
    plain = rbo.ArrayObjective(exact.value_and_grad)
    opt = rbo.rolling_ball(0.05, 0.1, solver="first-order", terms=2)
    a, _ = one_step(opt, exact, [0.3])
    b, info = one_step(opt, plain, [0.3])
    assert abs(float(a.params[0] - b.params[0])) < 1e-7 and info.evals == 3


@pytest.mark.parametrize("kwargs, text", [
    ({"terms": -1}, "terms"),
    ({"terms": 1.5}, "terms"),
    ({"variant": "distance"}, "footpoint"),
    ({"fallback": "first-order"}, "fallback"),
    ({"fallback": "bogus"}, "solver"),
])
def test_bad_first_order_options_are_one_line_errors(kwargs, text):
    with pytest.raises(ValueError, match=text):
        rbo.rolling_ball(0.1, 0.2, solver="first-order", **kwargs)


def test_unnormalised_sam_takes_the_unnormalised_ascent_step():
    f = offsetgeo.Function("cos(x) + 0.25*cos(3*x)")
    obj = rbo.objective(f)
    theta = np.array([2.0])
    state, info = one_step(rbo.sam(0.1, 0.3, normalize=False), obj, theta)
    g = f.grad(theta)
    assert np.allclose(state.params, theta - 0.1 * f.grad(theta + 0.3 * g), atol=1e-15)
    assert info.evals == 2
