"""h_ρ and f̄_ρ exact where the geometry is hardest: at kinks of the offset (two contact
points tie) and on unreachable intervals (the ball rests on two points), against references
written here (dense sampling refined by Newton on sympy derivatives; mpmath bitangent balls).
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from offsetgeo import Function, ironed, offset_height
import reference as ref
from conftest import _num

KINK = settings(max_examples=8, deadline=None, derandomize=True)


@st.composite
def sines_and_bumps(draw):
    """Random sums of sines and Gaussian bumps in x."""
    terms = []
    for _ in range(draw(st.integers(1, 2))):
        a, w, c = draw(_num(0.1, 1.0)), draw(_num(0.5, 3.0)), draw(_num(0.0, 6.28))
        terms.append(f"{a}*sin({w}*x + {c})")
    for _ in range(draw(st.integers(0, 2))):
        a, m, s = draw(_num(-1.0, 1.0)), draw(_num(-1.5, 1.5)), draw(_num(0.3, 1.0))
        terms.append(f"{a}*exp(-(x - {m})**2/{2 * s * s:.4f})")
    return " + ".join(terms)


# ------------------------------------------------------------------ item 1: h_ρ at a kink


def test_offset_height_at_the_reported_kink():
    """The issue's point, 2e-6 from a kink: the true contact is the left one (0.40576)."""
    expr, x, rho = "exp(-x**2)*cos(3*x)", 1.0599206670815466, 0.7
    mp.mp.dps = 40
    f = ref.mp_function(expr)

    def F_prime(p):
        return mp.diff(f, p) + (x - p) / mp.sqrt(rho**2 - (x - p) ** 2)

    a = mp.findroot(F_prime, mp.mpf("0.40576"))
    exact = f(a) + mp.sqrt(rho**2 - (x - a) ** 2)
    h, contact = offset_height(Function(expr), [x], rho, contact=True)
    assert abs(h[0] - float(exact)) <= 1e-14
    assert abs(contact[0] - float(a)) <= 1e-9


@KINK
@given(sines_and_bumps(), _num(0.2, 1.5), st.integers(0, 2**31))
def test_offset_height_near_its_kinks_matches_dense_reference(expr, rho, seed):
    fs = ref.derivatives(expr)
    found = ref.kinks(fs, rho, -1.0, 1.0)
    rng = np.random.default_rng(seed)
    points = [xk + s * d for xk, _, _ in found[:3] for d in (0.0, 1e-9, 1e-7, 2e-6, 1e-4)
              for s in (-1, 1)]
    points += list(rng.uniform(-1, 1, 4))
    h, contact = offset_height(Function(expr), points, rho, contact=True)
    want = np.array([ref.dilation(fs, x, rho) for x in points])
    np.testing.assert_allclose(h, want[:, 0], rtol=0, atol=1e-10)


def test_offset_height_at_a_tie_picks_either_contact_at_the_same_height():
    """At the kink itself both contacts give the same height: the answer is the max to
    round-off and its contact is one of the two."""
    expr, rho = "exp(-x**2)*cos(3*x)", 0.7
    fs = ref.derivatives(expr)
    (xk, a, b), *_ = [k for k in ref.kinks(fs, rho, 0.9, 1.2)]
    h, c = offset_height(Function(expr), xk, rho, contact=True)
    assert h == pytest.approx(ref.dilation(fs, xk, rho)[0], abs=1e-13)
    assert min(abs(c - a), abs(c - b)) <= 1e-7


# --------------------------------------------------- item 2: f̄_ρ on an unreachable interval


def test_ironed_at_the_reported_point_is_the_bitangent_arc():
    expr, rho, theta = "exp(-x**2)*cos(3*x)", 0.6792213342367793, 0.4207425810716918
    a, b, cx, cy = ref.bitangent(expr, rho, 0.414683330559788, 1.38996172952455)
    exact = cy - mp.sqrt(mp.mpf(rho) ** 2 - (theta - cx) ** 2)
    assert a < theta < b
    assert ironed(Function(expr), theta, rho) == pytest.approx(float(exact), abs=1e-14)


@KINK
@given(sines_and_bumps(), _num(0.3, 1.5), st.integers(0, 2**31))
def test_ironed_equals_the_bitangent_arc_on_unreachable_intervals(expr, rho, seed):
    """Each kink x* of h_ρ is the centre of a ball resting on two points a < b; on (a, b)
    the closing is that ball's lower arc."""
    fs = ref.derivatives(expr)
    found = ref.kinks(fs, rho, -1.0, 1.0)
    rng = np.random.default_rng(seed)
    f = Function(expr)
    for xk, a, b in found[:2]:
        hk = ref.dilation(fs, xk, rho)[0]
        theta = np.concatenate([a + (b - a) * rng.uniform(0.02, 0.98, 4), [a + 1e-6 * (b - a)]])
        arc = hk - np.sqrt(rho * rho - (xk - theta) ** 2)
        np.testing.assert_allclose(ironed(f, theta, rho), arc, rtol=0, atol=1e-10)


def test_ironed_domain_end_point_is_a_contact():
    """x² on (−1, 0.5), ρ = 1: the unit ball at the bottom would rest on ±√3/2, but the graph
    ends at 0.5: it rests on a point a < 0 and on the end point (0.5, 0.25)."""
    expr, rho, end = "x**2", mp.mpf(1), mp.mpf("0.5")
    mp.mp.dps = 40

    def off_end(a):
        cx, cy = ref.ball_centre(expr, rho, a)
        return (cx - end) ** 2 + (cy - end**2) ** 2 - rho**2

    a = mp.findroot(off_end, mp.mpf(-0.8))
    cx, cy = ref.ball_centre(expr, rho, a)
    theta = np.array([float(a) + 0.05, 0.0, 0.3, 0.49])
    arc = np.array([float(cy - mp.sqrt(rho**2 - (t - cx) ** 2)) for t in theta])
    got = ironed(Function(expr, domain=(-1, 0.5)), theta, 1.0)
    np.testing.assert_allclose(got, arc, rtol=0, atol=1e-13)
    # and the whole parabola: the ball rests on ±√3/2
    full = ironed(Function(expr), theta, 1.0)
    np.testing.assert_allclose(full, 1.25 - np.sqrt(1 - theta**2), rtol=0, atol=1e-13)
    assert np.all(got < full)


# ------------------------------------------------------------------- item 7: domain offsets


class _Guarded:
    """``log`` on [0.5, 2] as callables that fail the test when evaluated elsewhere."""

    lo, hi = 0.5, 2.0

    def _check(self, x):
        x = np.asarray(x, dtype=float)
        assert np.all((x >= self.lo) & (x <= self.hi)), f"f evaluated outside its domain: {x.min()}, {x.max()}"
        return x

    def value(self, x):
        return np.log(self._check(x))

    def grad(self, x):
        return 1.0 / self._check(x)

    def hess(self, x):
        return -1.0 / self._check(x) ** 2


def test_offsets_never_evaluate_f_outside_the_domain():
    g = _Guarded()
    f = Function.from_callables(g.value, g.grad, g.hess, domain=(g.lo, g.hi))
    x = np.array([0.0, 0.4, 0.5, 1.0, 2.0, 2.3, 2.9, 3.5])
    h, c = offset_height(f, x, 1.0, contact=True)
    # beyond the right end the ball rests on (2, log 2) while it reaches it; past ρ: −inf
    assert h[5] == pytest.approx(math.log(2.0) + math.sqrt(1 - 0.3**2), abs=1e-14) and c[5] == 2.0
    assert h[-1] == -np.inf and np.isnan(c[-1])
    want = [ref.dilation(ref.derivatives("log(x)"), xi, 1.0, lo=0.5, hi=2.0)[0] for xi in x[:-1]]
    np.testing.assert_allclose(h[:-1], want, rtol=0, atol=1e-12)
    theta = np.linspace(0.5, 2.0, 7)
    assert np.all(ironed(f, theta, 1.0) >= np.log(theta))


def test_ironed_refuses_points_outside_the_domain():
    with pytest.raises(ValueError, match="outside the domain"):
        ironed(Function("log(x)", domain=(0.5, 2)), [1.0, 2.5], 0.5)
