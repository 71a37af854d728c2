"""The compiled contact-point kernels (``offsetgeo._contact``): the sampled search keeps the
samples the array code keeps, and the ascent follows the array iteration for expressions in
d ≤ 2 and ends at a true local maximiser of ``F_x(φ) = f(φ) + sqrt(ρ² − |x − φ|²)``, checked
against scipy's bounded Brent search and a bounded brute force (independent of the library)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given, settings, strategies as st

from offsetgeo import Function, offset_height
from offsetgeo._contact import ascend_tapes, sample_branches
from offsetgeo._offset import (_MAX_BRANCHES, _ascend, _ascend_arrays, _domain_box,
                               _grid_offsets, _sample_branches_arrays)
from conftest import _num, functions_1d, functions_2d

ASCENT = settings(max_examples=15, deadline=None, derandomize=True)


def _contact_value(f, x, phi, rho):
    """F_x(φ) by the library's plain evaluation (no ascent)."""
    r2 = ((phi - x) ** 2).sum(-1)
    return f.evaluate(phi, 0)[0] + np.sqrt(np.clip(rho * rho - r2, 0.0, None))


def _starts(rng, f, n, rho):
    x = rng.uniform(-2.0, 2.0, (n, f.dim))
    phi = x + rho * rng.uniform(-0.6, 0.6, (n, f.dim)) / math.sqrt(f.dim)
    return x, phi


@ASCENT
@given(expr=functions_1d(), rho=_num(0.05, 2.0), seed=st.integers(0, 2**16))
def test_kernel_follows_the_array_iteration_1d(expr, rho, seed):
    """Same iteration, same arithmetic: the contact points agree to a few ulps of ρ, the
    heights to a few ulps of F (the two differ only in how a power or a norm rounds)."""
    f = Function(expr)
    x, phi = _starts(np.random.default_rng(seed), f, 40, rho)
    v1, p1 = _ascend(f, x, phi, rho)
    v2, p2 = _ascend_arrays(f, x, phi, np.full(40, rho))
    np.testing.assert_allclose(v1, v2, rtol=0, atol=1e-13 * (1 + np.abs(v2).max()))
    assert np.all(v1 >= _contact_value(f, x, phi, rho) - 1e-15 * (1 + np.abs(v1)))  # an ascent
    # where the iterations part (a near-flat F), both must still be maximisers of equal height
    np.testing.assert_allclose(p1, p2, rtol=0, atol=1e-6 * rho)


@ASCENT
@given(expr=functions_2d(), rho=_num(0.05, 1.5), seed=st.integers(0, 2**16))
def test_kernel_follows_the_array_iteration_2d(expr, rho, seed):
    f = Function(expr.replace("x", "x0").replace("y", "x1").replace("ex0p", "exp"))
    x, phi = _starts(np.random.default_rng(seed), f, 30, rho)
    v1, _ = _ascend(f, x, phi, rho)
    v2, _ = _ascend_arrays(f, x, phi, np.full(30, rho))
    np.testing.assert_allclose(v1, v2, rtol=0, atol=1e-13 * (1 + np.abs(v2).max()))


@ASCENT
@given(expr=functions_1d(), rho=_num(0.1, 2.0), seed=st.integers(0, 2**16))
def test_kernel_finds_a_local_maximum_1d(expr, rho, seed):
    """Against scipy's bounded Brent search for max F on a small interval about the
    kernel's answer (relative xatol 1e-12): F there is at most the kernel's F plus the
    curvature term of a located maximum, |F''| xatol²/2, i.e. round-off."""
    f = Function(expr)
    x, phi = _starts(np.random.default_rng(seed), f, 5, rho)
    value, contact = _ascend(f, x, phi, rho)
    for xi, vi, ci in zip(x[:, 0], value, contact[:, 0]):
        w = min(1e-3 * rho, 0.5 * (rho - abs(ci - xi)))   # stays strictly inside the ball
        if w <= 1e-9 * rho:
            continue   # at the rim the slope of F is infinite: nothing to compare
        res = scipy.optimize.minimize_scalar(
            lambda p: -(f.value(p) + math.sqrt(max(rho * rho - (p - xi) ** 2, 0.0))),
            bounds=(ci - w, ci + w), method="bounded", options={"xatol": 1e-12 * (1 + abs(ci))})
        assert -res.fun <= vi + 1e-13 * (1 + abs(vi))
        assert abs(res.x - ci) <= 1e-5 * rho   # the same maximiser, not a far edge of the window


def test_box_constraint_matches_a_bounded_brute_force():
    """f = -x0² - x1² on [-1, 1]², the ball centred beyond the corner: the contact point is
    the maximiser of F over ball ∩ box, compared with a dense search of that set refined by
    scipy's L-BFGS-B (bounds)."""
    f = Function("-x0**2 - x1**2", domain=[(-1, 1), (-1, 1)])
    x = np.array([[1.3, 0.2], [1.2, 1.25], [0.1, -1.4]])
    rho = 0.6
    lo, hi = _domain_box(f)
    phi0 = np.clip(x, lo, hi)
    value, contact = _ascend(f, x, phi0, rho)
    for xi, vi, ci in zip(x, value, contact):
        def neg(p, xi=xi):
            r2 = ((p - xi) ** 2).sum()
            return np.inf if r2 >= rho * rho else p @ p - math.sqrt(rho * rho - r2)
        g = np.linspace(-1, 1, 401)
        P = np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)
        vals = np.array([neg(p) for p in P])
        start = P[np.argmin(vals)]
        res = scipy.optimize.minimize(neg, start, method="L-BFGS-B", bounds=[(-1, 1)] * 2,
                                      options={"ftol": 1e-15, "gtol": 1e-12})
        assert vi == pytest.approx(-res.fun, abs=1e-9)
        assert vi >= -res.fun - 1e-13
        np.testing.assert_allclose(ci, res.x, atol=1e-5)
        assert np.all((ci >= -1) & (ci <= 1))


def test_callables_take_the_array_path_and_agree():
    """A function given by callables has no tape: the array iteration serves it, and gives
    the kernel's answer for the same function given as an expression."""
    expr = Function("sin(3*x) + 0.2*x**2")
    call = Function.from_callables(lambda t: np.sin(3 * t) + 0.2 * t * t,
                                   grad=lambda t: 3 * np.cos(3 * t) + 0.4 * t,
                                   hess=lambda t: -9 * np.sin(3 * t) + 0.4, dim=1)
    assert call.tape(2) is None and expr.tape(2) is not None
    x, phi = _starts(np.random.default_rng(3), expr, 50, 0.7)
    v1, p1 = _ascend(expr, x, phi, 0.7)
    v2, p2 = _ascend(call, x, phi, 0.7)
    np.testing.assert_allclose(v1, v2, rtol=0, atol=1e-13)
    np.testing.assert_allclose(p1, p2, rtol=0, atol=1e-9)


def test_parallel_rows_equal_serial_rows_and_radii_per_row():
    """The parallel driver (≥ 512 rows) gives the serial driver's bits, and one radius per
    row gives what separate calls with each radius give."""
    f = Function("0.3*sin(4*x) + 0.1*cos(11*x)")
    rng = np.random.default_rng(7)
    x, phi = _starts(rng, f, 1500, 0.4)
    rho = rng.uniform(0.3, 0.5, 1500)
    t0, t2 = f.tape(0), f.tape(2)
    v_all, p_all = ascend_tapes(t0, t2, x, phi, rho, None, None, 60)
    v_few, p_few = zip(*(ascend_tapes(t0, t2, x[i:i + 100], phi[i:i + 100], rho[i:i + 100],
                                      None, None, 60) for i in range(0, 1500, 100)))
    np.testing.assert_array_equal(v_all, np.concatenate(v_few))
    np.testing.assert_array_equal(p_all, np.concatenate(p_few))
    one = [ascend_tapes(t0, t2, x[i:i + 1], phi[i:i + 1], float(rho[i]), None, None, 60)[0][0]
           for i in range(0, 1500, 97)]
    np.testing.assert_array_equal(v_all[::97], one)


def test_a_start_outside_the_ball_is_pulled_in_first():
    """A contact carried over from another centre can lie outside the new ball, where F is
    not defined: the ascent must end inside the ball, at no more than the global maximum
    h_ρ (once it returned f at the outside point, above h_ρ: an offset minimum 0.8821 where
    h_ρ = 0.8623)."""
    f = Function("exp(-x**2)*cos(3*x)")
    x = np.array([[0.5], [0.5], [-0.2]])
    phi = np.array([[0.05], [1.4], [-0.2 + 0.3]])          # 0.45 and 0.9 away; ρ = 0.3
    value, contact = _ascend(f, x, phi, 0.3)
    assert np.all(np.abs(contact - x)[:, 0] < 0.3)
    np.testing.assert_allclose(value, _contact_value(f, x, contact, 0.3), rtol=0, atol=1e-15)
    assert np.all(value <= offset_height(f, x[:, 0], 0.3) + 1e-14)


def _same_samples(f, x, rho, m, every):
    """The kernel keeps the samples the array code keeps, in the same order."""
    u, inside = _grid_offsets(f.dim, m)
    lo, hi = _domain_box(f)
    got = sample_branches(f.tape(0), x, rho, u, inside, m, lo, hi, every, _MAX_BRANCHES)
    want = _sample_branches_arrays(f, x, rho, u, inside, m, every)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    return got


@ASCENT
@given(expr=functions_1d(), seed=st.integers(0, 2**16), every=st.booleans(),
       boxed=st.booleans())
def test_sampled_branches_are_the_array_codes_1d(expr, seed, every, boxed):
    """Same samples kept, same order (best first per row), radii per row, with and without a
    domain box (samples clipped onto its ends count once)."""
    f = Function(expr, domain=(-1.0, 1.5) if boxed else None)
    rng = np.random.default_rng(seed)
    _same_samples(f, rng.uniform(-1.5, 2.0, (30, 1)), rng.uniform(0.05, 2.0, 30), 257, every)


@ASCENT
@given(expr=functions_2d(), seed=st.integers(0, 2**16), every=st.booleans(),
       boxed=st.booleans())
def test_sampled_branches_are_the_array_codes_2d(expr, seed, every, boxed):
    f = Function(expr.replace("x", "x0").replace("y", "x1").replace("ex0p", "exp"),
                 domain=[(-1.0, 1.0), (-0.5, 1.5)] if boxed else None)
    rng = np.random.default_rng(seed)
    _same_samples(f, rng.uniform(-1.5, 1.5, (12, 2)), rng.uniform(0.1, 1.5, 12), 25, every)


def test_sampling_where_f_is_not_finite_is_reported_by_name():
    """log(10 + x) at x ≤ −10 inside a ball: the kernel hands over to the array code, whose
    error names the function and the radius."""
    with pytest.raises(ValueError, match=r"log\(x \+ 10\).*within radius 0\.5"):
        offset_height(Function("log(10 + x)"), [-9.8], 0.5)


def test_sampled_branches_keep_the_runner_up_within_the_margin():
    """Near a kink of h_ρ (issue 10's reproducer: contacts 0.406 and 1.401 tie at x ≈ 1.0599,
    ρ = 0.7) the second contact's best sample is below the first's by less than the sampling
    margin ½|Δ²F| on some rows: both are kept, by both codes, on the same rows."""
    f = Function("exp(-x**2)*cos(3*x)")
    x = (1.0599206670815466 + np.linspace(-2e-3, 2e-3, 81))[:, None]
    got = _same_samples(f, x, np.full(81, 0.7), 257, False)
    per_row = np.bincount(got[0], minlength=81)
    assert 0 < np.sum(per_row == 2) < 81      # the margin decides, differently across rows
