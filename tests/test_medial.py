"""Medial axes against closed forms."""

import numpy as np
import pytest

import offsetgeo
from offsetgeo import medial_axis


def test_parabola_axis_is_the_ray_above_the_focal_point(parabola):
    ax = medial_axis(parabola, window=(-1, 1), samples_per_axis=65)
    assert len(ax.branches) == 1
    branch = ax.branches[0]
    assert np.allclose(branch.centre[:, 0], 0.0, atol=1e-7)
    theta = branch.footpoints[:, 0]
    # from footpoint θ the normal meets the axis at height θ² + 1/2, radius sqrt(θ² + 1/4)
    assert np.allclose(branch.centre[:, 1], theta**2 + 0.5, atol=1e-7)
    assert np.allclose(branch.radius, np.sqrt(theta**2 + 0.25), atol=1e-7)
    # near the focal point the distance is flat to fourth order: the second footpoint's
    # location is ill-conditioned there (error ~ residual^(1/3)), its distance is not
    assert np.allclose(branch.footpoints[:, 1], -branch.footpoints[:, 0], atol=2e-5)
    other = branch.footpoints[:, 1]
    assert np.allclose(np.hypot(branch.centre[:, 0] - other, branch.centre[:, 1] - other**2),
                       branch.radius, atol=1e-9)
    assert np.all(np.diff(branch.arclength) >= 0)


def test_sine_axes_are_vertical_lines(sine_periodic):
    up = medial_axis(sine_periodic, samples_per_axis=128)
    assert np.allclose(up.points[:, 0] % (2 * np.pi), 1.5 * np.pi, atol=1e-6)
    assert up.points[:, 1].min() == pytest.approx(0.0, abs=1e-3)   # the focal point (3π/2, 0)
    low = medial_axis(sine_periodic, side="lower", samples_per_axis=128)
    assert np.allclose(low.points[:, 0] % (2 * np.pi), 0.5 * np.pi, atol=1e-6)
    assert low.points[:, 1].max() == pytest.approx(0.0, abs=1e-3)


def test_points_are_equidistant_from_both_footpoints(wiggly):
    ax = medial_axis(offsetgeo.Function("sin(x) + 0.3*sin(5*x)", period="2*pi"), samples_per_axis=256)
    for k in range(0, len(ax.radius), 7):
        for theta in ax.footpoints[k, :, 0]:
            p = np.array([theta, float(wiggly.value(theta))])
            assert np.linalg.norm(ax.points[k] - p) == pytest.approx(ax.radius[k], rel=1e-6)


def test_paraboloid_axis_in_two_dimensions():
    """x² + y² is rotationally symmetric: its upper medial axis is the vertical ray above the
    focal point (0, 0, 1/2); from footpoint θ the normal meets it at height |θ|² + 1/2."""
    ax = medial_axis(offsetgeo.Function("x**2 + y**2"), window=[(-1, 1), (-1, 1)], samples_per_axis=9)
    theta = ax.footpoints[:, 0, :]
    far = np.linalg.norm(theta, axis=1) > 0.2
    assert far.sum() >= 40
    # every axis point has a whole circle of footpoints, all at one distance: the test
    # "is p(θ) the nearest point" is decided there among ties, so t* is found to ~1e-6 only
    assert np.allclose(ax.points[far, :2], 0.0, atol=1e-5)
    assert np.allclose(ax.points[far, 2], (theta[far] ** 2).sum(1) + 0.5, atol=1e-5)
    assert np.allclose(ax.radius[far], np.sqrt((theta[far] ** 2).sum(1) + 0.25), atol=1e-5)
