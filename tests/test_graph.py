"""Tests of offsetgeo._graph: the normal lift p(θ) + t n(θ) against an mpmath reference."""

import mpmath
import numpy as np
from hypothesis import given, strategies as st

from offsetgeo._graph import normal_point

_finite = st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False)


def _reference(theta, value, grad, t):
    """p + t n with n = (-∇f, 1) / sqrt(1 + |∇f|²), in 60-digit arithmetic."""
    mpmath.mp.dps = 60
    g = [mpmath.mpf(x) for x in grad]
    s = mpmath.sqrt(1 + sum(x * x for x in g))
    step = mpmath.mpf(t) / s
    return [float(mpmath.mpf(a) - step * b) for a, b in zip(theta, g)] + [
        float(mpmath.mpf(value) + step)]


@given(st.lists(_finite, min_size=1, max_size=3), st.floats(-10, 10), st.floats(-1e3, 1e3),
       st.lists(st.floats(-10, 10), min_size=3, max_size=3))
def test_normal_point_matches_extended_precision(grad, value, t, theta):
    """Relative error of a few ulps for every gradient up to 1e300 (|∇f|² overflows past
    1e154: the norm is taken scaled)."""
    d = len(grad)
    got = normal_point(np.array([theta[:d]]), np.array([value]), np.array([grad]), t)[0]
    ref = np.array(_reference(theta[:d], value, grad, t))
    scale = np.abs(np.array(theta[:d] + [value])) + abs(t)
    assert np.all(np.isfinite(got))
    assert np.all(np.abs(got - ref) <= 8 * np.finfo(float).eps * scale)
