"""Reachability, unreachable sets and their monotonicity."""

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given, strategies as st

import offsetgeo
from offsetgeo import is_reachable, max_ball_radius, unreachable_set
from conftest import periodic_functions_1d


def test_parabola_bottom(parabola):
    assert is_reachable(parabola, 0.0, 0.49) is True
    assert is_reachable(parabola, 0.0, 0.51) is False
    # the osculating ball at the bottom is free: t* is the curvature radius 1/2, exactly
    assert abs(max_ball_radius(parabola, 0.0) - 0.5) <= 1e-16


def test_sine_empty_below_and_nonempty_above_critical_radius(sine_periodic):
    assert unreachable_set(sine_periodic, 0.99).empty
    U = unreachable_set(sine_periodic, 1.01)
    assert not U.empty and U.contains(np.array([3 * np.pi / 2])).all()


def _bitangent_edge(rho):
    """The ball of radius rho in a trough of sin rests on two points symmetric about 3π/2:
    solve for the left one independently (scipy fsolve on the contact conditions)."""
    def equations(v):
        theta, c = v
        return [(theta - 1.5 * np.pi) + (np.sin(theta) - c) * np.cos(theta),
                (theta - 1.5 * np.pi) ** 2 + (np.sin(theta) - c) ** 2 - rho**2]
    theta, c = scipy.optimize.fsolve(equations, [1.5 * np.pi - 0.8 * rho, 0.0], xtol=1e-14)
    return theta


@pytest.mark.parametrize("rho", [1.5, 2.0, 3.0])
def test_sine_interval_edges_are_bitangent_contacts(sine_periodic, rho):
    U = unreachable_set(sine_periodic, rho)
    # one component; at ρ = 3 it crosses the period end and is reported split there
    assert U.intervals.shape == (1 + U.wraps, 2) and U.wraps == (rho == 3.0)
    lo, hi = U.intervals[-1, 0], U.intervals[0, 1] + (2 * np.pi if U.wraps else 0.0)
    left = _bitangent_edge(rho)
    assert lo == pytest.approx(left, abs=1e-8)
    assert hi == pytest.approx(3 * np.pi - left, abs=1e-8)


@given(periodic_functions_1d(), st.floats(0.3, 3.0), st.floats(1.05, 2.0))
def test_unreachable_sets_grow_with_rho(expr, rho, factor):
    f = offsetgeo.Function(expr, period="2*pi")
    small = unreachable_set(f, rho, samples_per_axis=512)
    big = unreachable_set(f, rho * factor, samples_per_axis=512)
    assert np.all(big.mask[small.mask])
    for lo, hi in small.intervals:
        mid = np.array([0.5 * (lo + hi)]) % (2 * np.pi)
        assert big.contains(mid).all() or big.contains(mid + 2 * np.pi).all()


@given(periodic_functions_1d(), st.floats(0.3, 3.0))
def test_interval_edges_separate_reachable_from_unreachable(expr, rho):
    f = offsetgeo.Function(expr, period="2*pi")
    U = unreachable_set(f, rho, samples_per_axis=512)
    if U.intervals.size == 0:
        return
    eps = 1e-7
    edges = U.intervals.reshape(-1)
    inside = np.concatenate([U.intervals[:, 0] + eps, U.intervals[:, 1] - eps])
    outside = np.concatenate([U.intervals[:, 0] - eps, U.intervals[:, 1] + eps])
    wide = (U.intervals[:, 1] - U.intervals[:, 0]) > 4 * eps
    keep = np.concatenate([wide, wide])
    if U.wraps:   # split at the period end: the window's ends are not edges
        keep[0] = keep[-1] = False
    assert not is_reachable(f, inside[keep], rho).any()
    assert is_reachable(f, outside[keep], rho).all()
    assert edges.size % 2 == 0


def test_two_dimensional_mask():
    f = offsetgeo.Function("0.5*x**2 + 2*y**2")  # curvatures 1 and 4 at the origin
    U = unreachable_set(f, 0.3, window=[(-1, 1), (-1, 1)], samples_per_axis=33)
    assert U.mask[16, 16] and U.measure > 0
    assert unreachable_set(f, 0.2, window=[(-1, 1), (-1, 1)], samples_per_axis=33).empty
    # refined edges lie on the boundary: reachable just outside, not just inside
    e = U.edges
    assert e.shape[0] > 0


def test_bad_input():
    f = offsetgeo.Function("x**2")
    with pytest.raises(ValueError, match="unbounded"):
        unreachable_set(f, 1.0)
    with pytest.raises(ValueError, match="unbounded"):
        unreachable_set(f, 1.0, window=(-np.inf, np.inf))
    with pytest.raises(ValueError, match="rho"):
        unreachable_set(f, 0.0, window=(-1, 1))
    with pytest.raises(ValueError, match="3-D grids"):
        unreachable_set(offsetgeo.Function("x*y*z"), 1.0, window=[(0, 1)] * 3)


def test_max_ball_radius_resolves_every_radius_below_t_max():
    """A radius between t_max/4 and t_max is found, not reported as unbounded: the bracket
    stops growing at t_max itself (it once jumped 1 → 4 past t_max = 2)."""
    f = offsetgeo.Function("sin(x)", period="2*pi")
    thetas = np.array([3 * np.pi / 2, 4.0, 1.0])
    wide = offsetgeo.max_ball_radius(f, thetas, t_max=200.0)
    capped = offsetgeo.max_ball_radius(f, thetas, t_max=2.0)
    assert abs(wide[0] - 1.0) <= 2e-16                        # 1/κ at the trough, exactly
    assert np.all(wide[:2] < 2.0) and wide[2] > 2.0
    np.testing.assert_allclose(capped[:2], wide[:2], rtol=1e-12)
    assert capped[2] == np.inf
