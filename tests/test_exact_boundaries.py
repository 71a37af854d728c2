"""Exact at domain boundaries and thin slivers: 2-D footpoints on faces and corners of a
domain box, medial axes of restricted graphs, unreachable-set edges, the reach at a domain
end, and one rule for domains; each against a construction written here (bound-constrained
enumeration, mpmath bitangent balls, the ball on an end point).
"""

from __future__ import annotations

import math
import warnings

import mpmath as mp
import numpy as np
import pytest
from scipy.optimize import brentq as scipy_brentq
from hypothesis import given, settings, strategies as st

from offsetgeo import (Function, footpoint, is_reachable, max_ball_radius, medial_axis, reach,
                       unreachable_set)
from offsetgeo.exceptions import ReachDisagreementWarning
import reference as ref
from conftest import _num

BOX = settings(max_examples=8, deadline=None, derandomize=True)


@st.composite
def surfaces(draw):
    """Random sums of sines and Gaussian bumps in x and y, with a product term."""
    terms = []
    for v in ("x", "y"):
        a, w, c = draw(_num(0.1, 1.0)), draw(_num(0.5, 2.5)), draw(_num(0.0, 6.28))
        terms.append(f"{a}*sin({w}*{v} + {c})")
    a, mx, my = draw(_num(-1.0, 1.0)), draw(_num(-1.0, 1.0)), draw(_num(-1.0, 1.0))
    terms.append(f"{a}*exp(-((x - {mx})**2 + (y - {my})**2))")
    terms.append(f"{draw(_num(-0.5, 0.5))}*x*y")
    return " + ".join(terms)


# --------------------------------------------------------- item 3: footpoints on a domain box


def test_footpoint_on_a_face_of_the_reported_box():
    """(1.3, 0.31, 1) onto x² + y² on [−1, 1]²: the nearest point lies on the face x = 1,
    where (y − 0.31) + 2y (1 + y² − 1) = 0."""
    f = Function("x**2 + y**2", domain=[(-1, 1), (-1, 1)])
    mp.mp.dps = 30
    y = mp.findroot(lambda t: (t - mp.mpf("0.31")) + 2 * t * (t * t), mp.mpf("0.27"))
    dist = mp.sqrt(mp.mpf("0.3") ** 2 + (y - mp.mpf("0.31")) ** 2 + (y * y) ** 2)
    r = footpoint(f, [[1.3, 0.31, 1.0]], on_failure="raise")
    assert r.converged[0]
    np.testing.assert_allclose(r.theta[0], [1.0, float(y)], rtol=0, atol=1e-14)
    assert r.distance[0] == pytest.approx(float(dist), abs=1e-15)


@BOX
@given(surfaces(), st.integers(0, 2**31))
def test_box_footpoints_converge_and_match_a_bound_constrained_brute_force(expr, seed):
    box = np.array([[-1.0, 1.0], [-0.8, 1.2]])
    f = Function(expr, domain=box.tolist())
    rng = np.random.default_rng(seed)
    xy = rng.uniform(box[:, 0] - 0.7, box[:, 1] + 0.7, (24, 2))
    z = np.column_stack([xy, f.value(np.clip(xy, box[:, 0], box[:, 1])) + rng.uniform(-1, 1, 24)])
    r = footpoint(f, z, on_failure="raise")
    assert np.all(r.converged)
    fns = ref.gradient_hessian(expr)
    on_boundary = 0
    for k in range(len(z)):
        dist, theta, curvature = ref.box_footpoint(fns, z[k], box)
        assert r.distance[k] == pytest.approx(dist, abs=1e-12)
        # locations are well posed where D is not flat along the free directions
        if not r.ambiguous[k] and curvature > 1e-3:
            np.testing.assert_allclose(r.theta[k], theta, rtol=0, atol=1e-10)
        on_boundary += bool(np.any((theta == box[:, 0]) | (theta == box[:, 1])))
    # the answer of a point does not depend on the other points of the batch
    for part in (slice(0, 1), slice(3, 4), slice(5, 17)):
        alone = footpoint(f, z[part], on_failure="raise")
        np.testing.assert_array_equal(alone.theta, r.theta[part])
    assert on_boundary > 0


# ------------------------------------------------ item 4: medial axes of a restricted graph


def test_medial_axis_of_a_restricted_graph_stays_on_it():
    """tanh(3x) on [−2, 2], lower side: balls blocked by the end of the graph touch it at
    the end point, the ball resting on θ and on (2, tanh 6)."""
    f = Function("tanh(3*x)", domain=(-2, 2))
    ax = medial_axis(f, side="lower", samples_per_axis=301)
    feet = ax.footpoints[:, :, 0]
    assert np.all((feet >= -2) & (feet <= 2))
    g = f.reflected()
    centre = ax.points.copy()
    centre[:, -1] *= -1
    at_end = np.abs(feet[:, 1] - 2.0) <= 1e-12
    assert at_end.sum() > 10
    # the construction: the centre is at distance t from p(θ) (on the normal) and from the end
    end = np.array([2.0, -math.tanh(6.0)])
    np.testing.assert_allclose(np.linalg.norm(centre[at_end] - end, axis=1), ax.radius[at_end],
                               rtol=1e-9)
    # and the footpoint of the centre agrees
    r = footpoint(g, centre, on_failure="ignore")
    second = np.where(np.isnan(r.second), r.theta, r.second)
    err = np.minimum(np.abs(feet[:, 1] - r.theta), np.abs(feet[:, 1] - second))
    assert err.max() <= 1e-9


# ------------------------------------------------------ item 5: edges of unreachable slivers


def test_unreachable_sliver_edges_are_the_bitangent_contacts():
    expr, rho = "0.3*sin(4*x) + 0.1*cos(11*x)", 0.10116060949039271
    a, b, cx, cy = ref.bitangent(expr, rho, 0.9065578, 0.95165927)
    U = unreachable_set(Function(expr, period="2*pi"), rho)
    row = U.intervals[np.argmin(np.abs(U.intervals[:, 0] - 0.9))]
    np.testing.assert_allclose(row, [float(a), float(b)], rtol=0, atol=1e-13)
    # at the returned edges the ball rests on the graph and no point enters it
    centre = np.column_stack([[float(cx)] * 2, [float(cy)] * 2])
    r = footpoint(Function(expr, period="2*pi"), centre)
    assert np.all(r.distance >= rho - 1e-15)


def test_unreachable_sliver_thinner_than_the_grid_is_found():
    """sin(4x + 0.3) at ρ = (1 + 1e-6)/16: the components of U are 1.7e-4 wide around the
    troughs, far narrower than the grid (3e-3): each is found at its vertex, its edges where
    the ball centred above the trough rests on two symmetric points. Near a centre of
    curvature those contacts are determined only to round-off / σ_min(J), J = [c'(a), −c'(b)]
    the Jacobian of c(a) = c(b) (c' = (1 − ρκ)(1, f'), nearly singular there)."""
    k, eps = 4, 1e-6
    rho = (1 + eps) / k**2
    expr = f"sin({k}*x + 0.3)"
    mp.mp.dps = 40
    trough = (1.5 * mp.pi - mp.mpf("0.3")) / k
    a = mp.findroot(lambda t: ref.ball_centre(expr, rho, t)[0] - trough,
                    (trough - mp.mpf("1e-4"), trough - mp.mpf("1e-6")), solver="anderson")
    f = ref.mp_function(expr)
    b = 2 * trough - a

    def dc(t):
        g = mp.diff(f, t)
        factor = 1 - rho * mp.diff(f, t, 2) / (1 + g * g) ** 1.5
        return [float(factor), float(factor * g)]

    J = np.column_stack([dc(a), -np.array(dc(b))])
    tol = 4e-16 * (1 + float(abs(ref.ball_centre(expr, rho, a)[0]))) / np.linalg.svd(J)[1][-1]
    U = unreachable_set(Function(expr, period="2*pi"), rho)
    assert len(U.intervals) == 4 and not U.mask.any()
    row = U.intervals[np.argmin(np.abs(U.intervals[:, 0] - float(trough)))]
    assert tol < 1e-6
    np.testing.assert_allclose(row, [float(a), float(b)], rtol=0, atol=tol)


@pytest.mark.parametrize("shift", [-1e-5, 1e-5, 1.0, None])
def test_periodic_unreachable_intervals_lie_inside_one_period(shift):
    """sin at ρ = 2 on windows [lo, lo + 2π] that start just before, just inside and well
    inside the component ``(a, 3π − a)`` (a: the contact of the ball centred over the trough
    3π/2, from scipy's brentq): intervals never leave the window, a component crossing the
    period end is split at it (``wraps``), and measure and membership are those of U mod 2π."""
    a = scipy_brentq(lambda t: t - 2 * math.cos(t) / math.sqrt(1 + math.cos(t) ** 2)
                     - 1.5 * math.pi, 3.0, 4.7, xtol=1e-15)
    b = 3 * math.pi - a
    lo = 0.0 if shift is None else a + shift
    U = unreachable_set(Function("sin(x)", period="2*pi"), 2.0, window=(lo, lo + 2 * math.pi))
    assert np.all(U.intervals >= lo) and np.all(U.intervals <= lo + 2 * math.pi)
    assert U.wraps == (shift is not None and shift > 0)
    assert len(U.intervals) == 1 + U.wraps
    assert U.measure == pytest.approx(b - a, abs=1e-12)
    x = np.linspace(lo, lo + 2 * math.pi, 1001)[1:-1]
    x = x[np.minimum(np.abs(x - a), np.abs(x - b)) % (2 * math.pi) > 1e-9]
    inside = (x - a) % (2 * math.pi) < b - a
    np.testing.assert_array_equal(U.contains(x), inside)


# ------------------------------------------------ item 6: the reach at the end of a domain


def test_reach_at_a_domain_end_agrees_with_the_curvature():
    """exp(x) on [0, 1]: the curvature e^x/(1 + e^{2x})^{3/2} is largest at the end x = 0,
    where the largest free ball along the normal is larger (the graph is cut off): the
    infimum of the free-ball radius is the limit from inside, 2^{3/2}."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ReachDisagreementWarning)
        r = reach(Function("exp(x)", domain=(0, 1)), "upper")
    assert r.curvature_value == pytest.approx(2**1.5, rel=1e-14)
    assert r.balls_value == pytest.approx(2**1.5, rel=1e-8)
    assert r.agree


def test_free_ball_on_a_face_of_a_box_matches_a_brute_force():
    """A ball resting on a face point of the Rosenbrock graph (lower side): blocked once a
    graph point of the box enters it, judged by a bound-constrained brute force."""
    expr = "-((1-x)**2 + 5*(y-x**2)**2)"
    box = np.array([[-1.5, 1.5], [-0.5, 2.0]])
    f = Function(expr, domain=box.tolist())
    theta = np.array([-0.0527, 2.0])
    t = float(max_ball_radius(f, theta))
    fns = ref.gradient_hessian(expr)
    g = np.array([fns[1][0](*theta), fns[1][1](*theta)])
    normal = np.append(-g, 1.0) / math.sqrt(1 + g @ g)
    point = np.append(theta, fns[0](*theta))
    for s, free in ((1 - 1e-7, True), (1 + 1e-5, False)):
        dist, _, _ = ref.box_footpoint(fns, point + s * t * normal, box, per_axis=121)
        assert (dist >= s * t - 1e-13) == free


def test_reach_of_the_rosenbrock_box_upper_side_finishes_and_agrees():
    """The issue's reproducer, upper side (it ran past 20 minutes): the free-ball search stops
    at twice the curvature bound, takes face points as limits from inside and polishes the
    kink of t* at its minimum; the two methods then agree on the face y = 2."""
    f = Function("(1-x)**2 + 5*(y-x**2)**2", domain=[(-1.5, 1.5), (-0.5, 2.0)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ReachDisagreementWarning)
        r = reach(f, "upper")
    assert r.agree and r.balls_value == pytest.approx(r.curvature_value, rel=1e-7)
    assert r.witness[1] == 2.0 and abs(r.balls_witness[0] - r.witness[0]) < 1e-6


# ------------------------------------------------------------------- item 7: one domain rule


@pytest.mark.parametrize("call", [
    lambda f: unreachable_set(f, 0.5, window=(0.2, 1.5)),
    lambda f: medial_axis(f, window=(0.6, 2.5)),
    lambda f: reach(f, window=(0.0, 1.0)),
    lambda f: is_reachable(f, [1.0, 2.5], 0.5),
    lambda f: max_ball_radius(f, [0.4]),
])
def test_nothing_outside_the_domain(call):
    with pytest.raises(ValueError, match="domain"):
        call(Function("log(x)", domain=(0.5, 2)))
