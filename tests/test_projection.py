"""Global footpoint projection: against brute force, closed forms and geometric identities."""

import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import offsetgeo
from offsetgeo import footpoint
from conftest import dense_min_distance_1d, functions_1d, functions_2d


def _residual(f, points, theta):
    d = f.dim
    theta = np.asarray(theta).reshape(len(points), d)
    v, g = f.evaluate(theta, 1)
    return np.linalg.norm((theta - points[:, :d]) + (v - points[:, d])[:, None] * g, axis=1)


@given(functions_1d(), st.integers(0, 2**31))
def test_no_farther_than_dense_samples_1d(expr, seed):
    f = offsetgeo.Function(expr)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, 4)
    pts = np.column_stack([x, f.value(x) + rng.uniform(-2, 2, 4)])
    r = footpoint(f, pts)
    for k, (xk, yk) in enumerate(pts):
        brute = dense_min_distance_1d(f, xk, yk)
        assert r.distance[k] <= brute + 1e-12
        # and the brute force is within its sampling error of ours
        assert brute - r.distance[k] <= 1e-3
    assert np.all(r.converged)
    assert np.all(_residual(f, pts, r.theta) <= 1e-10 * (1 + np.abs(pts).max(axis=1)))


@given(functions_2d(), st.integers(0, 2**31))
def test_no_farther_than_dense_samples_2d(expr, seed):
    f = offsetgeo.Function(expr)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, (3, 2))
    pts = np.column_stack([x, f.value(x) + rng.uniform(-1, 1, 3)])
    r = footpoint(f, pts)
    for k, z in enumerate(pts):
        rad = abs(float(f.value(z[:2])) - z[2]) + 1e-9
        axes = [np.linspace(c - rad, c + rad, 317) for c in z[:2]]  # 100 489 samples
        mesh = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 2)
        brute = np.sqrt((((mesh - z[:2]) ** 2).sum(1) + (f.value(mesh) - z[2]) ** 2).min())
        assert r.distance[k] <= brute + 1e-12
    assert np.all(r.converged)
    assert np.all(_residual(f, pts, r.theta) <= 1e-10 * (1 + np.abs(pts).max(axis=1)))


@given(functions_1d(), st.integers(0, 2**31))
def test_offset_direction_is_normal(expr, seed):
    """z − p(θ) is parallel to the normal (−f', 1) at the footpoint."""
    f = offsetgeo.Function(expr)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, 6)
    pts = np.column_stack([x, f.value(x) + rng.uniform(-1.5, 1.5, 6)])
    r = footpoint(f, pts)
    g = f.grad(r.theta)
    u = pts - r.point
    normal = np.column_stack([-g, np.ones_like(g)]) / np.sqrt(1 + g**2)[:, None]
    cross = u[:, 0] * normal[:, 1] - u[:, 1] * normal[:, 0]
    assert np.all(np.abs(cross) <= 1e-10 * (1 + np.abs(pts).max(axis=1)))


@given(functions_1d(), st.integers(0, 2**31))
def test_graph_points_project_to_themselves(expr, seed):
    f = offsetgeo.Function(expr)
    x = np.random.default_rng(seed).uniform(-3, 3, 8)
    r = footpoint(f, np.column_stack([x, f.value(x)]))
    assert np.allclose(r.theta, x, atol=1e-12)
    assert np.all(r.distance <= 1e-12)


@given(functions_1d(), st.integers(0, 2**31))
def test_distance_is_one_lipschitz(expr, seed):
    f = offsetgeo.Function(expr)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, 10)
    a = np.column_stack([x, f.value(x) + rng.uniform(-1.5, 1.5, 10)])
    b = a + rng.normal(scale=0.05, size=a.shape)
    da, db = footpoint(f, a).distance, footpoint(f, b).distance
    assert np.all(np.abs(da - db) <= np.linalg.norm(a - b, axis=1) + 1e-12)


@pytest.mark.parametrize("height", [0.6, 1.0, 3.0])
def test_above_centre_of_curvature_of_parabola_is_ambiguous(parabola, height):
    """x**2 has curvature radius 1/2 at 0: above height 1/2 the axis is medial, with
    footpoints ±sqrt(height − 1/2)."""
    r = footpoint(parabola, [[0.0, height]])
    root = np.sqrt(height - 0.5)
    assert r.ambiguous[0]
    assert sorted([r.theta[0], r.second[0]]) == pytest.approx([-root, root], abs=1e-12)
    assert r.distance[0] == pytest.approx(np.sqrt(root**2 + (root**2 - height) ** 2), abs=1e-13)
    assert r.second_distance[0] == pytest.approx(r.distance[0], abs=1e-12)


def test_below_centre_of_curvature_is_unique(parabola):
    r = footpoint(parabola, [[0.0, 0.4], [0.0, -1.0]])
    assert not r.ambiguous.any()
    assert np.allclose(r.theta, 0.0, atol=1e-12)
    assert np.isnan(r.second).all()


def test_line_closed_form():
    f = offsetgeo.Function("0.7*x - 0.2")
    rng = np.random.default_rng(1)
    pts = rng.uniform(-3, 3, (50, 2))
    r = footpoint(f, pts)
    a, b = 0.7, -0.2
    theta = (pts[:, 0] + a * (pts[:, 1] - b)) / (1 + a * a)
    assert np.allclose(r.theta, theta, atol=1e-13)
    assert np.allclose(r.distance, np.abs(pts[:, 1] - a * pts[:, 0] - b) / np.sqrt(1 + a * a),
                       atol=1e-13)


def test_lower_half_circle_projects_radially():
    R = 2.0
    f = offsetgeo.Function(f"-sqrt({R}**2 - x**2)", domain=(-1.9, 1.9))
    rng = np.random.default_rng(2)
    ang = rng.uniform(-np.pi + 0.5, -0.5, 40)
    rad = rng.uniform(0.2, 1.8, 40)
    pts = np.column_stack([rad * np.cos(ang), rad * np.sin(ang)])
    r = footpoint(f, pts)
    assert np.allclose(r.theta, R * np.cos(ang), atol=1e-11)
    assert np.allclose(r.distance, R - rad, atol=1e-12)


def test_plane_and_paraboloid_2d():
    plane = offsetgeo.Function("0.3*x - 0.5*y + 1")
    rng = np.random.default_rng(3)
    pts = rng.uniform(-2, 2, (30, 3))
    r = footpoint(plane, pts)
    normal = np.array([0.3, -0.5, -1.0])
    signed = (pts @ normal + 1) / np.linalg.norm(normal)
    assert np.allclose(r.distance, np.abs(signed), atol=1e-12)
    assert np.allclose(r.point, pts - signed[:, None] * normal / np.linalg.norm(normal), atol=1e-12)
    bowl = offsetgeo.Function("x**2 + y**2")
    r = footpoint(bowl, [[0.0, 0.0, 2.0]])
    assert r.ambiguous[0]  # a whole circle of footpoints
    assert np.linalg.norm(r.theta[0]) == pytest.approx(np.sqrt(1.5), abs=1e-10)


def test_periodic_images(sine_periodic):
    pts = np.array([[0.3, 2.0], [0.3 + 2 * np.pi, 2.0], [0.3 - 4 * np.pi, 2.0]])
    r = footpoint(sine_periodic, pts)
    assert r.theta[1] - r.theta[0] == pytest.approx(2 * np.pi, abs=1e-12)
    assert r.theta[2] - r.theta[0] == pytest.approx(-4 * np.pi, abs=1e-12)
    assert np.ptp(r.distance) < 1e-13


def test_domain_boundary_footpoint():
    f = offsetgeo.Function("x", domain=(0, 1))
    r = footpoint(f, [[-1.0, -2.0], [0.5, 0.5 + 1e-3]])
    assert r.theta[0] == 0.0 and r.converged[0]
    assert r.distance[0] == pytest.approx(np.sqrt(5.0))
    r = footpoint(f, [[2.0, 0.0]])  # a point beside the domain projects onto its edge
    assert r.theta[0] == 1.0 and r.distance[0] == pytest.approx(np.sqrt(2.0))


def test_callable_function_matches_formula(wiggly):
    g = offsetgeo.Function.from_callables(
        lambda x: np.sin(x) + 0.3 * np.sin(5 * x), lambda x: np.cos(x) + 1.5 * np.cos(5 * x),
        lambda x: -np.sin(x) - 7.5 * np.sin(5 * x))
    pts = np.random.default_rng(4).uniform(-2, 2, (100, 2))
    a, b = footpoint(wiggly, pts), footpoint(g, pts)
    assert np.allclose(a.theta, b.theta, atol=1e-12)


def test_bad_input():
    f = offsetgeo.Function("x**2")
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        footpoint(f, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="NaN"):
        footpoint(f, [[np.nan, 0.0]])
    with pytest.raises(ValueError, match="1 or 2 variables"):
        footpoint(offsetgeo.Function("x*y*z"), np.zeros((1, 4)))
    with pytest.raises(ValueError, match="resolution"):
        footpoint(f, [[0.0, 1.0]], resolution=-1)
    with pytest.raises(ValueError, match="on_failure"):
        footpoint(f, [[0.0, 1.0]], on_failure="maybe")


def test_nonconvergence_is_reported(parabola):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        footpoint(parabola, [[0.2, 1.0]])  # converges: no warning
    with pytest.warns(offsetgeo.NonConvergenceWarning):
        r = footpoint(parabola, [[0.2, 1.0]], rtol=1e-30)
    assert not r.converged[0]
    with pytest.raises(offsetgeo.ConvergenceError):
        footpoint(parabola, [[0.2, 1.0]], rtol=1e-30, on_failure="raise")


def test_fine_features_refine_the_grid_or_warn():
    """The Riemann sum Σ_{n≤100} sin(n²x)/n² oscillates on a scale of 6e-4, finer than the
    default grid: the grid is refined automatically (footpoints match a dense brute force),
    and a resolution too coarse to resolve it, given by the user, is warned about."""
    riemann = "+".join(f"sin({n**2}*x)/{n**2}" for n in range(1, 101))
    f = offsetgeo.Function(riemann, period="2*pi")
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 6, 12)
    pts = np.column_stack([x, f.value(x) + rng.uniform(-0.05, 0.05, 12)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = footpoint(f, pts)
    for k, (xk, yk) in enumerate(pts):
        brute = dense_min_distance_1d(f, xk, yk, samples=400_001)
        assert r.distance[k] <= brute + 1e-12
    with pytest.warns(offsetgeo.ResolutionWarning, match="too coarse"):
        footpoint(f, pts[:2], resolution=512)


def test_grid_cache_grows_geometrically_along_a_moving_path():
    """A point moving step by step (an optimizer) resamples the graph O(log) times, and the
    grown grid stays inside the domain and gives the same footpoints."""
    f = offsetgeo.Function("0.02*x**2 + 0.02*sin(20*x)", domain=(-10, 14))
    grids = set()
    for x in np.linspace(-9.5, 13.5, 200):
        r = footpoint(f, [[x, float(f.value(x)) + 0.05]])
        grid = next(iter(f.cache("footpoint-grid").values()))
        grids.add(id(grid))
        end = grid.origin[0] + grid.spacing[0] * (grid.values.shape[0] - 1)
        assert grid.origin[0] >= -10 and end <= 14 + 1e-9
        assert abs(r.theta[0] - x) < 0.05
    assert len(grids) <= 12
