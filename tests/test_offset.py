"""Pointwise offsets h_ρ and the ironed function f̄_ρ against closed forms and grids."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

import offsetgeo
from offsetgeo import hemisphere_closing, hemisphere_dilation, ironed, offset_height
from offsetgeo._offset import offset_minimum
from conftest import functions_1d, periodic_functions_1d


@pytest.mark.parametrize("a, rho", [(0.0, 0.5), (0.7, 0.3), (-2.0, 1.5)])
def test_line_is_raised_by_rho_sqrt_one_plus_slope_squared(a, rho):
    f = offsetgeo.Function(f"{a}*x + 0.25")
    x = np.linspace(-2, 2, 9)
    assert np.allclose(offset_height(f, x, rho), a * x + 0.25 + rho * np.sqrt(1 + a * a),
                       atol=1e-12)


@pytest.mark.parametrize("rho", [0.3, 1.0, 1.7])
def test_lower_half_circle_offset_is_concentric_circle(rho):
    R = 2.0
    f = offsetgeo.Function(f"-sqrt({R}**2 - x**2)", domain=(-1.999, 1.999))
    x = np.linspace(-0.9, 0.9, 7) * (R - rho)
    assert np.allclose(offset_height(f, x, rho), -np.sqrt((R - rho) ** 2 - x**2), atol=1e-11)


def test_contact_point_is_a_footpoint_of_the_centre(wiggly):
    x = np.linspace(-2, 2, 11)
    h, phi = offset_height(wiggly, x, 0.7, contact=True)
    fp = offsetgeo.footpoint(wiggly, np.column_stack([x, h]))
    assert np.allclose(fp.distance, 0.7, atol=1e-12)
    assert np.allclose(fp.theta[~fp.ambiguous], phi[~fp.ambiguous], atol=1e-8)


@given(functions_1d(), st.floats(0.1, 3.0))
def test_offset_bounds_and_grid_agreement(expr, rho):
    f = offsetgeo.Function(expr)
    wide = np.linspace(-2 - rho, 2 + rho, 4001)
    x = wide[np.abs(wide) <= 2]
    h = offset_height(f, x, rho)
    # sup f over the window, from samples plus their worst-case gap (Lipschitz bound)
    sup = f.value(wide).max() + np.abs(f.grad(wide)).max() * (wide[1] - wide[0])
    assert np.all(h <= sup + rho)                             # h_ρ ≤ sup f + ρ
    assert np.all(h >= f.value(x) + rho - 1e-12)              # the ball above x clears p(x)
    # the grid dilation of the samples is a lower bound, within the sampling error
    grid = hemisphere_dilation(f.value(wide), wide[1] - wide[0], rho)[np.abs(wide) <= 2]
    assert np.all(grid <= h + 1e-12)
    assert np.max(h - grid) <= 1e-3


def test_ironed_parabola_closed_form(parabola):
    # the unit ball rests on x = ±sqrt(3)/2; its centre is at height 5/4
    assert ironed(parabola, 0.0, 1.0) == pytest.approx(0.25, abs=1e-10)
    assert ironed(parabola, 0.2, 1.0) == pytest.approx(1.25 - np.sqrt(1 - 0.04), abs=1e-10)
    assert ironed(parabola, 0.0, 0.4) == 0.0


@given(periodic_functions_1d(), st.floats(0.2, 0.9), st.integers(0, 2**31))
def test_ironed_equals_f_below_critical_radius(expr, fraction, seed):
    f = offsetgeo.Function(expr, period="2*pi")
    rho_c = offsetgeo.critical_radius(f, method="curvature")
    theta = np.random.default_rng(seed).uniform(0, 2 * np.pi, 12)
    assert np.array_equal(ironed(f, theta, fraction * rho_c), f.value(theta))


@given(functions_1d(), st.floats(0.3, 2.5), st.integers(0, 2**31))
def test_ironed_is_above_f_and_matches_grid_closing(expr, rho, seed):
    f = offsetgeo.Function(expr)
    theta = np.random.default_rng(seed).uniform(-1, 1, 6)
    fbar = ironed(f, theta, rho)
    assert np.all(fbar >= f.value(theta))
    grid = np.linspace(-1 - 3 * rho, 1 + 3 * rho, 12001)
    closing = hemisphere_closing(f.value(grid), grid[1] - grid[0], rho)
    interp = np.interp(theta, grid, closing)
    assert np.max(np.abs(interp - fbar)) <= 2e-3


def test_bad_radius(wiggly):
    for bad in (0, -1, np.nan, np.inf, "big"):
        with pytest.raises(ValueError, match="rho"):
            offset_height(wiggly, [0.0], bad)
    with pytest.raises(ValueError, match="NaN"):
        ironed(wiggly, [np.nan], 1.0)


def test_ironed_in_three_dimensions_closed_form():
    """A unit ball in the bowl |θ|²: it rests on the sphere |θ| = √3/2, centre height 5/4."""
    f = offsetgeo.Function("x**2 + y**2 + z**2")
    theta = np.array([[0.0, 0.0, 0.0], [0.1, 0.0, 0.0], [0.0, 0.2, 0.1]])
    r2 = (theta**2).sum(1)
    assert np.allclose(ironed(f, theta, 1.0), 1.25 - np.sqrt(1 - r2), atol=1e-9)
    assert offset_height(f, np.zeros((1, 3)), 0.3)[0] == pytest.approx(0.3, abs=1e-12)


def test_offset_minimum_takes_one_radius_per_start():
    """Several offsets' minima in one batch equal the minima found one radius at a time, and
    each is the exact h_ρ there and a minimum of it on the search window (offset_height at
    ±1e-4 around it). The first sits on the window's edge, where h_ρ still falls: it once
    came out 0.8821 from a contact outside the ball, h_ρ = 0.8623 there."""
    f = offsetgeo.Function("exp(-x**2)*cos(3*x)")
    starts = np.array([[0.3], [1.0], [0.3], [-0.5]])
    radii = np.array([0.3, 0.7, 0.7, 1.2])
    x, value = offset_minimum(f, radii, starts, 0.2)
    for i in range(4):
        xi, vi = offset_minimum(f, radii[i], starts[i:i + 1], 0.2)
        assert abs(vi[0] - value[i]) <= 1e-14 * (1 + abs(vi[0]))
        assert abs(xi[0, 0] - x[i, 0]) <= 1e-8
        assert offset_height(f, x[i, 0], radii[i]) == pytest.approx(value[i], abs=1e-14)
        near = x[i, 0] + np.array([-1e-4, 1e-4])
        near = near[np.abs(near - starts[i, 0]) <= 0.2]        # the search window only
        assert np.all(offset_height(f, near, radii[i]) >= value[i] - 1e-14)
