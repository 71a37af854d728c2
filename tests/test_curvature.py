"""Curvature: principal curvatures, their supremum (the reach), the local critical radius.

Checks are independent of the implementation: closed forms, sympy fundamental forms,
three-point osculating circles, brute-force dense sampling, dense (generalised) eigensolvers.
"""

import math
import warnings

import numpy as np
import pytest
import scipy.linalg
import sympy
from hypothesis import given, settings, strategies as st

import offsetgeo
from offsetgeo import (NonConvergenceWarning, ResolutionWarning, curvature_test,
                       local_critical_radius, max_curvature, principal_curvatures)
from conftest import functions_1d, functions_2d, periodic_functions_1d


def rel(a, b):
    return abs(a - b) / abs(b)


def mod_dist(x, x0, period):
    """Distance between x and x0 on the circle of the given period."""
    r = (x - x0) % period
    return min(r, period - r)


# --------------------------------------------------------------------------------------
# closed forms for the supremum of curvature


@given(st.floats(0.1, 3.0), st.floats(0.3, 4.0))
@settings(max_examples=15)
def test_sine_closed_form(A, w):
    A, w = round(A, 4), round(w, 4)
    f = offsetgeo.Function(f"{A}*sin({w}*x)", period=2 * math.pi / w)
    period = 2 * math.pi / w
    up = max_curvature(f, "upper")
    assert rel(up.value, A * w * w) <= 1e-10
    assert mod_dist(up.witness, 3 * math.pi / (2 * w), period) <= 1e-6  # a trough
    assert not up.on_boundary and up.resolved
    assert rel(up.radius, 1 / (A * w * w)) <= 1e-10
    low = max_curvature(f, "lower")
    assert rel(low.value, A * w * w) <= 1e-10
    assert mod_dist(low.witness, math.pi / (2 * w), period) <= 1e-6   # a crest


@given(st.floats(0.05, 20.0))
@settings(max_examples=10)
def test_parabola_closed_form(a):
    a = round(a, 4)
    r = max_curvature(offsetgeo.Function(f"{a}*x**2"))
    assert rel(r.value, 2 * a) <= 1e-10 and abs(r.witness) <= 1e-6
    assert max_curvature(offsetgeo.Function(f"{a}*x**2"), "lower").value == 0.0


@given(st.floats(0.1, 3.0), st.floats(0.1, 3.0))
@settings(max_examples=6)
def test_elliptic_paraboloid_closed_form(a, b):
    a, b = round(a, 4), round(b, 4)
    r = max_curvature(offsetgeo.Function(f"{a}*x**2 + {b}*y**2"))
    assert rel(r.value, 2 * max(a, b)) <= 1e-10
    assert np.all(np.abs(r.witness) <= 1e-5)


@given(st.floats(0.3, 5.0), st.floats(0.2, 0.95))
@settings(max_examples=8)
def test_lower_half_circle_constant_curvature(R, frac):
    R, frac = round(R, 4), round(frac, 4)
    f = offsetgeo.Function(f"-sqrt({R}**2 - x**2)", domain=(-frac * R, frac * R))
    r = max_curvature(f)
    assert rel(r.value, 1 / R) <= 1e-10
    assert rel(r.radius, R) <= 1e-10
    x = np.linspace(-frac * R, frac * R, 101)
    assert np.allclose(principal_curvatures(f, x)[:, 0], 1 / R, rtol=1e-12)
    # the half circle bends away from a ball below it
    assert max_curvature(f, "lower").value == 0.0


@pytest.mark.parametrize("A, w", [(1.0, 1.0), (1.5, 2.0), (0.3, 3.0)])
def test_product_of_cosines_closed_form(A, w):
    # λ(H) = ∓A w² cos(w x ± w y) and κ ≤ λ_max(H) (A contracts, s ≥ 1); equality where g = 0
    f = offsetgeo.Function(f"{A}*cos({w}*x)*cos({w}*y)", period=2 * math.pi / w)
    for side in ("upper", "lower"):
        r = max_curvature(f, side)
        assert rel(r.value, A * w * w) <= 1e-10
        k = principal_curvatures(f, r.witness)[0]
        assert rel(k[0] if side == "upper" else -k[-1], A * w * w) <= 1e-10
        assert not r.on_boundary


def test_witness_on_window_edge_is_flagged():
    f = offsetgeo.Function("x**3", domain=(0, 0.1))           # κ increases on [0, 0.1]
    r = max_curvature(f)
    assert r.on_boundary and r.witness == pytest.approx(0.1, abs=1e-12)
    assert rel(r.value, 0.6 / (1 + 0.03**2) ** 1.5) <= 1e-12
    # κ = 6x / (1 + 9x⁴)^{3/2} peaks at x ≈ 0.386 and decreases after it
    r = max_curvature(offsetgeo.Function("x**3"), window=(0.6, 1.0))
    assert r.on_boundary and r.witness == pytest.approx(0.6, abs=1e-12)
    assert rel(r.value, 3.6 / (1 + 9 * 0.6**4) ** 1.5) <= 1e-12


def test_interior_maximum_in_small_window_not_flagged():
    # κ of exp(x) peaks at x = -log(2)/2 with value 2/(3 sqrt(3))
    r = max_curvature(offsetgeo.Function("exp(x)"), window=(-2.0, 1.0))
    assert not r.on_boundary
    assert r.witness == pytest.approx(-math.log(2) / 2, abs=1e-6)
    assert rel(r.value, 2 / (3 * math.sqrt(3))) <= 1e-10


def test_concave_has_zero_value_and_infinite_radius():
    r = max_curvature(offsetgeo.Function("-x**2 - y**2"))
    assert r.value == 0.0 and r.radius == math.inf and r.sup < 0
    assert max_curvature(offsetgeo.Function("-x**2 - y**2"), "lower").value == pytest.approx(2.0)


def test_periodic_window_wraps_and_unbounded_window():
    f = offsetgeo.Function("sin(x)", period="2*pi")
    a = max_curvature(f, window=(-math.inf, math.inf))
    b = max_curvature(f, window=(10.0, 10.0 + 6 * math.pi))   # three periods = one, wrapped
    assert a.value == pytest.approx(1.0, rel=1e-12) and b.value == pytest.approx(1.0, rel=1e-12)
    assert 10.0 <= b.witness < 10.0 + 2 * math.pi + 1e-12
    assert b.window[0, 1] - b.window[0, 0] == pytest.approx(2 * math.pi)
    assert mod_dist(b.witness, 1.5 * math.pi, 2 * math.pi) <= 1e-6


def test_riemann_sum_against_brute_force():
    expr = " + ".join(f"sin({n * n}*x)/{n * n}" for n in range(1, 13))
    f = offsetgeo.Function(expr, period="2*pi")
    r = max_curvature(f)
    n = np.arange(1, 13)[:, None].astype(float)
    best = -np.inf
    for k in range(8):
        x = np.linspace(2 * np.pi * k / 8, 2 * np.pi * (k + 1) / 8, 500_001)[None, :]
        kap = -(n * n * np.sin(n * n * x)).sum(0) / (1 + np.cos(n * n * x).sum(0) ** 2) ** 1.5
        best = max(best, kap.max())
    assert best <= r.value * (1 + 1e-12)
    assert rel(r.value, best) <= 1e-6


# --------------------------------------------------------------------------------------
# brute force: random functions of the grammar


def _dense_side(f, points, side):
    _, g, H = f.evaluate(points, 2)
    if f.dim == 1:
        return (1 if side == "upper" else -1) * H[:, 0, 0] / (1 + g[:, 0] ** 2) ** 1.5
    k = np.array([scipy.linalg.eigh(h, np.sqrt(1 + gi @ gi) * (np.eye(2) + np.outer(gi, gi)),
                                    eigvals_only=True) for gi, h in zip(g, H)])
    return k[:, -1] if side == "upper" else -k[:, 0]


@given(functions_1d(), st.sampled_from(["upper", "lower"]))
@settings(max_examples=12)
def test_max_curvature_1d_against_dense_sampling(expr, side):
    f = offsetgeo.Function(expr)
    r = max_curvature(f, side)
    x = np.linspace(-5, 5, 2_000_001)[:, None]
    dense = _dense_side(f, x, side).max()
    at_witness = _dense_side(f, np.array([[r.witness]]), side)[0]
    assert r.sup == pytest.approx(at_witness, rel=1e-12, abs=1e-14)
    assert r.sup >= dense - 1e-12 * max(1.0, abs(dense))         # nothing missed
    assert r.sup <= dense + 1e-8 * max(1.0, abs(dense))          # and nothing invented
    assert r.value == max(r.sup, 0.0)


@given(periodic_functions_1d(), st.sampled_from(["upper", "lower"]))
@settings(max_examples=8)
def test_max_curvature_periodic_against_dense_sampling(expr, side):
    f = offsetgeo.Function(expr, period="2*pi")
    r = max_curvature(f, side)
    x = np.linspace(0, 2 * np.pi, 1_000_001)[:, None]
    dense = _dense_side(f, x, side).max()
    assert r.sup >= dense - 1e-12 * max(1.0, abs(dense))
    assert r.sup <= dense + 1e-8 * max(1.0, abs(dense))
    assert not r.on_boundary


@given(functions_2d(max_terms=1))
@settings(max_examples=3)
def test_max_curvature_2d_against_dense_sampling(expr):
    f = offsetgeo.Function(expr)
    r = max_curvature(f, window=[(-2, 2), (-2, 2)])
    ax = np.linspace(-2, 2, 201)
    pts = np.stack(np.meshgrid(ax, ax, indexing="ij"), -1).reshape(-1, 2)
    dense = principal_curvatures(f, pts)[:, 0].max()
    assert r.sup >= dense - 1e-12 * max(1.0, abs(dense))
    # the witness is a local maximum: no nearby point is higher
    ring = r.witness + 1e-4 * np.array([[np.cos(t), np.sin(t)] for t in np.linspace(0, 2 * np.pi, 16)])
    ring = np.clip(ring, -2, 2)
    assert principal_curvatures(f, ring)[:, 0].max() <= r.sup * (1 + 1e-12) + 1e-14


# --------------------------------------------------------------------------------------
# principal curvatures against independent computations


@given(functions_1d(), st.integers(0, 2**31))
@settings(max_examples=15)
def test_principal_curvatures_1d_osculating_circle(expr, seed):
    """The circle through three nearby graph points has radius 1/|κ| (O(h²) error)."""
    f = offsetgeo.Function(expr)
    x = np.random.default_rng(seed).uniform(-4, 4, 20)
    k = principal_curvatures(f, x)[:, 0]
    h = 1e-3
    P = [np.column_stack([x + t, f.value(x + t)]) for t in (-h, 0.0, h)]
    a, b, c = (np.linalg.norm(P[1] - P[0], axis=1), np.linalg.norm(P[2] - P[1], axis=1),
               np.linalg.norm(P[2] - P[0], axis=1))
    u, v = P[1] - P[0], P[2] - P[0]
    cross = u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]             # > 0: the graph turns left (up)
    k3 = 2 * cross / (a * b * c)                              # signed Menger curvature
    assert np.allclose(k, k3, rtol=1e-4, atol=1e-6)


@given(functions_2d(), st.integers(0, 2**31))
@settings(max_examples=10)
def test_principal_curvatures_2d_fundamental_forms(expr, seed):
    """Eigenvalues of the shape operator I⁻¹ II, built from sympy derivatives."""
    f = offsetgeo.Function(expr)
    x, y = f.symbols
    e = f.expr
    fx, fy = sympy.diff(e, x), sympy.diff(e, y)
    W = sympy.sqrt(1 + fx**2 + fy**2)
    first = sympy.Matrix([[1 + fx**2, fx * fy], [fx * fy, 1 + fy**2]])
    second = sympy.Matrix([[sympy.diff(e, x, x), sympy.diff(e, x, y)],
                           [sympy.diff(e, x, y), sympy.diff(e, y, y)]]) / W   # p_ij · n, n up
    first_f = sympy.lambdify((x, y), first, "numpy")
    second_f = sympy.lambdify((x, y), second, "numpy")
    pts = np.random.default_rng(seed).uniform(-3, 3, (25, 2))
    mine = principal_curvatures(f, pts)
    for p, k in zip(pts, mine):
        shape_op = np.linalg.solve(np.array(first_f(*p), float), np.array(second_f(*p), float))
        ref = np.sort(np.linalg.eigvals(shape_op).real)[::-1]
        assert np.allclose(k, ref, rtol=1e-9, atol=1e-12)


def test_principal_curvatures_3d_generalised_eigenproblem():
    f = offsetgeo.Function("sin(x)*cos(2*y) + 0.3*z**2*x + exp(-y**2)")
    pts = np.random.default_rng(1).uniform(-2, 2, (30, 3))
    _, g, H = f.evaluate(pts, 2)
    for p, gi, Hi, k in zip(pts, g, H, principal_curvatures(f, pts)):
        ref = scipy.linalg.eigh(Hi, np.sqrt(1 + gi @ gi) * (np.eye(3) + np.outer(gi, gi)),
                                eigvals_only=True)[::-1]
        assert np.allclose(k, ref, rtol=1e-10, atol=1e-13)


def test_principal_curvature_shapes_and_sign():
    assert principal_curvatures(offsetgeo.Function("x**2"), 0.0).tolist() == [[2.0]]
    assert principal_curvatures(offsetgeo.Function("x**2"), [0.0, 1.0]).shape == (2, 1)
    k = principal_curvatures(offsetgeo.Function("x**2 - 3*y**2"), [[0.0, 0.0], [1.0, 1.0]])
    assert k.shape == (2, 2) and k[0].tolist() == [2.0, -6.0]
    assert np.all(k[:, 0] >= k[:, 1])


def test_curvature_test():
    f = offsetgeo.Function("sin(x)")
    assert curvature_test(f, [-math.pi / 2], rho=0.99).tolist() == [True]
    assert curvature_test(f, [-math.pi / 2], rho=1.01).tolist() == [False]
    assert curvature_test(f, [math.pi / 2], rho=1.01, side="lower").tolist() == [False]
    assert curvature_test(f, [math.pi / 2], rho=math.inf).tolist() == [True]
    for bad in (0, -1, float("nan"), "a"):
        with pytest.raises(ValueError, match="rho must be a positive"):
            curvature_test(f, [0.0], rho=bad)


# --------------------------------------------------------------------------------------
# errors


def test_max_curvature_errors():
    f = offsetgeo.Function("x**2")
    with pytest.raises(ValueError, match="side must be"):
        max_curvature(f, "up")
    with pytest.raises(ValueError, match="unbounded window needs a periodic function"):
        max_curvature(f, window=(-math.inf, math.inf))
    with pytest.raises(ValueError, match="lo < hi"):
        max_curvature(f, window=(1.0, 1.0))
    with pytest.raises(ValueError, match="2 intervals"):
        max_curvature(f, window=[(0, 1), (0, 1)])
    with pytest.raises(ValueError, match="window must be"):
        max_curvature(f, window="0 1")
    with pytest.raises(ValueError, match="leaves the domain"):
        max_curvature(offsetgeo.Function("log(x)", domain=(0.5, 2)), window=(0.1, 1))
    with pytest.raises(ValueError, match="d ≤ 3.*local_critical_radius"):
        max_curvature(offsetgeo.Function("a**2 + b**2 + c**2 + d**2"))
    with pytest.raises(ValueError, match="resolution"):
        max_curvature(f, resolution=-1)
    with pytest.raises(ValueError, match="grid samples"):
        max_curvature(f, resolution=1e9)
    with pytest.raises(ValueError, match="candidates"):
        max_curvature(f, candidates=0)
    with pytest.raises(TypeError, match="offsetgeo.Function"):
        max_curvature(lambda x: x)


def test_nan_is_located():
    # finite value and gradient on the sample box, but a NaN Hessian beyond x = 1
    g = offsetgeo.Function.from_callables(
        lambda x: x**2, lambda x: 2 * x, lambda x: np.where(x > 1, np.nan, 2.0 + 0 * x))
    with pytest.raises(ValueError, match=r"not finite on the sampling grid at x=1\.00"):
        max_curvature(g)
    with pytest.raises(ValueError, match=r"not finite at the given points at x=3"):
        principal_curvatures(g, [0.0, 3.0])


def test_unresolved_grid_warns():
    f = offsetgeo.Function("60*x**2 + 60*y**2")   # κ = 120 needs h ≤ 1/240 on [-5, 5]^2
    with pytest.warns(ResolutionWarning, match="sample cap"):
        r = max_curvature(f)
    assert not r.resolved
    assert rel(r.value, 120.0) <= 1e-10   # the peak sits on a grid node anyway


# --------------------------------------------------------------------------------------
# local critical radius


def _planted(n, top, seed):
    rng = np.random.default_rng(seed)
    D = rng.uniform(-1.0, 1.0, n)
    D[rng.integers(n)] = top
    return D


@pytest.mark.parametrize("n", [1000, 100_000])
def test_lanczos_planted_top_eigenvalue_exact_hvp(n):
    D = _planted(n, 3.0, n)
    r = local_critical_radius(lambda t: D * t, np.zeros(n), hvp=lambda t, v: D * v, rng=0)
    assert r.converged and rel(r.lambda_max, 3.0) <= 1e-10 and rel(r.value, 1 / 3) <= 1e-10
    assert r.gradient_norm == 0.0 and r.residual <= 1e-6
    assert r.evals == r.iterations + 1 and r.iterations <= 40   # the HVPs and the gradient at θ
    assert abs(r.direction[np.argmax(D)]) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("method", ["lanczos", "arpack", "power"])
def test_planted_top_eigenvalue_finite_differences(method):
    n = 100_000
    D = _planted(n, 3.0, 7)
    r = local_critical_radius(lambda t: D * t, np.zeros(n), method=method, max_iter=300, rng=1)
    assert r.converged and rel(r.lambda_max, 3.0) <= 1e-9
    assert r.evals == 2 * r.iterations + 1   # two gradients per finite-difference HVP


@given(st.integers(2, 60), st.integers(0, 2**31))
@settings(max_examples=15)
def test_lanczos_random_symmetric_matrices(n, seed):
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((n, n))
    A = 0.5 * (B + B.T)
    lam = np.linalg.eigvalsh(A)[-1]
    r = local_critical_radius(lambda t: A @ t, np.zeros(n), hvp=lambda t, v: A @ v,
                              rtol=1e-10, rng=seed)
    assert r.converged
    assert abs(r.lambda_max - lam) <= 1e-8 * np.abs(np.linalg.eigvalsh(A)).max()
    r2 = local_critical_radius(lambda t: A @ t, rng.standard_normal(n), metric="euclidean",
                               rtol=1e-9, rng=seed)
    assert abs(r2.lambda_max - lam) <= 1e-6 * np.abs(np.linalg.eigvalsh(A)).max()


@given(st.integers(1, 30), st.integers(0, 2**31), st.sampled_from(["lanczos", "power", "arpack"]))
@settings(max_examples=15)
def test_nonstationary_generalised_eigenproblem(n, seed, method):
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((n, n))
    A = 0.5 * (B + B.T) + 2.5 * np.eye(n) * rng.uniform(0, 2)
    b = rng.standard_normal(n)
    theta = rng.standard_normal(n)
    g = A @ theta + b
    ref = scipy.linalg.eigh(A, np.sqrt(1 + g @ g) * (np.eye(n) + np.outer(g, g)),
                            eigvals_only=True)[-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonConvergenceWarning)
        r = local_critical_radius(lambda t: A @ t + b, theta, hvp=lambda t, v: A @ v,
                                  method=method, rtol=1e-10, max_iter=5000, rng=seed)
    if method != "power" or r.converged:   # power may stall on near-equal |λ|
        assert r.converged
        scale = np.abs(np.linalg.eigvalsh(A)).max() / np.sqrt(1 + g @ g)
        assert abs(r.lambda_max - ref) <= 1e-7 * scale
        assert r.gradient_norm == pytest.approx(np.linalg.norm(g))
        assert r.value == (1 / ref if ref > 0 else math.inf) or rel(r.value, 1 / ref) < 1e-6


def test_local_radius_of_function_matches_principal_curvatures():
    f = offsetgeo.Function("sin(x)*cos(2*y) + 0.3*z**2*x + exp(-y**2)")
    for p in np.random.default_rng(3).uniform(-2, 2, (5, 3)):
        k = principal_curvatures(f, p)[0, 0]
        r = local_critical_radius(f, p, rtol=1e-12, rng=0)
        assert r.lambda_max == pytest.approx(k, rel=1e-10, abs=1e-12)
        fd = local_critical_radius(f.grad, p, rtol=1e-10, rng=0)   # FD of exact gradients
        assert fd.lambda_max == pytest.approx(k, rel=1e-6, abs=1e-7)


def test_power_method_negative_dominant_eigenvalue():
    rng = np.random.default_rng(5)
    D = np.concatenate([[-5.0, 1.0], rng.uniform(-2.0, 0.5, 300)])
    r = local_critical_radius(lambda t: D * t, np.zeros(D.size), method="power", rtol=1e-9,
                              max_iter=2000, rng=2)
    assert r.converged and r.lambda_max == pytest.approx(1.0, rel=1e-8)


def test_negative_definite_has_infinite_radius():
    D = -np.linspace(1, 2, 50)
    for method in ("lanczos", "power", "arpack"):
        r = local_critical_radius(lambda t: D * t, np.zeros(50), method=method, rtol=1e-10,
                                  max_iter=3000, rng=0)
        assert r.value == math.inf and r.lambda_max == pytest.approx(-1.0, rel=1e-6)


def test_nonconvergence_is_reported_and_warned():
    D = np.linspace(0, 1, 5000)
    with pytest.warns(NonConvergenceWarning, match="did not converge"):
        r = local_critical_radius(lambda t: D * t, np.zeros(5000), max_iter=4, rng=0)
    assert not r.converged and r.iterations == 4 and r.residual > 1e-6
    assert r.lambda_max <= 1.0 + 1e-12   # a Ritz value: a lower bound


def test_local_radius_errors():
    D = np.ones(4)
    with pytest.raises(ValueError, match="theta"):
        local_critical_radius(lambda t: D * t)
    with pytest.raises(ValueError, match="give hvp"):
        local_critical_radius(theta=np.zeros(4))
    with pytest.raises(ValueError, match="metric='graph' needs the gradient"):
        local_critical_radius(theta=np.zeros(4), hvp=lambda t, v: v)
    r = local_critical_radius(theta=np.zeros(4), hvp=lambda t, v: 2 * v, metric="euclidean")
    assert r.lambda_max == pytest.approx(2.0) and math.isnan(r.gradient_norm)
    with pytest.raises(ValueError, match="method"):
        local_critical_radius(lambda t: t, np.zeros(4), method="qr")
    with pytest.raises(ValueError, match="tol"):
        local_critical_radius(lambda t: t, np.zeros(4), rtol=0)
    with pytest.raises(ValueError, match="max_iter"):
        local_critical_radius(lambda t: t, np.zeros(4), max_iter=0)
    with pytest.raises(ValueError, match="theta is not finite at index 2"):
        local_critical_radius(lambda t: t, np.array([0, 0, np.nan, 0]))
    with pytest.raises(ValueError, match="gradient is not finite at the finite-difference point"):
        local_critical_radius(lambda t: np.where(np.abs(t).sum() > 0, np.nan, 0.0) + t,
                              np.zeros(4))
    with pytest.raises(ValueError, match="Hessian-vector product is not finite"):
        local_critical_radius(lambda t: t, np.zeros(4), hvp=lambda t, v: v * np.nan)
    with pytest.raises(TypeError, match="hvp must be callable"):
        local_critical_radius(lambda t: t, np.zeros(4), hvp=3)


def test_value_and_grad_and_shapes():
    M = np.diag([4.0, 1.0, 0.5, -1.0]).reshape(4, 4)
    r = local_critical_radius(theta=np.zeros((2, 2)),
                              value_and_grad=lambda t: (0.0, (M @ t.reshape(4)).reshape(2, 2)),
                              rng=0)
    assert r.lambda_max == pytest.approx(4.0, rel=1e-10) and r.direction.shape == (2, 2)
