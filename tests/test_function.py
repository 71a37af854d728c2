"""Function: values and derivatives against sympy's own lambdified derivatives."""

import numpy as np
import pytest
import sympy
from hypothesis import given, strategies as st

import offsetgeo
from conftest import functions_1d, functions_2d


def _reference(f, points):
    syms = f.symbols
    value = sympy.lambdify(syms, f.expr, ["scipy", "numpy"])
    grads = [sympy.lambdify(syms, sympy.diff(f.expr, s), ["scipy", "numpy"]) for s in syms]
    hess = [[sympy.lambdify(syms, sympy.diff(f.expr, a, b), ["scipy", "numpy"]) for b in syms] for a in syms]
    cols = points.T
    n = points.shape[0]
    v = np.broadcast_to(value(*cols), (n,))
    g = np.stack([np.broadcast_to(gi(*cols), (n,)) for gi in grads], -1)
    H = np.stack([np.stack([np.broadcast_to(h(*cols), (n,)) for h in row], -1) for row in hess], -2)
    return v, g, H


@given(functions_1d(), st.integers(0, 2**31))
def test_tape_matches_lambdify_1d(expr, seed):
    f = offsetgeo.Function(expr)
    pts = np.random.default_rng(seed).uniform(-4, 4, (50, 1))
    v, g, H = f.evaluate(pts, 2)
    rv, rg, rH = _reference(f, pts)
    scale = 1 + np.abs(rv).max()
    assert np.allclose(v, rv, rtol=1e-12, atol=1e-12 * scale)
    assert np.allclose(g, rg, rtol=1e-11, atol=1e-11 * scale)
    assert np.allclose(H, rH, rtol=1e-10, atol=1e-10 * scale)


@given(functions_2d(), st.integers(0, 2**31))
def test_tape_matches_lambdify_2d(expr, seed):
    f = offsetgeo.Function(expr)
    pts = np.random.default_rng(seed).uniform(-3, 3, (40, 2))
    for mine, ref in zip(f.evaluate(pts, 2), _reference(f, pts)):
        assert np.allclose(mine, ref, rtol=1e-10, atol=1e-10)


def test_all_elementary_functions():
    expr = ("tan(x/3) + cot(x/3 + 2) + sec(x/4) + csc(x/4 + 1) + sinh(x) + cosh(x/2) + tanh(x)"
            " + asin(x/9) + acos(x/9) + atan(x) + asinh(x) + acosh(x**2 + 2) + atanh(x/9)"
            " + erf(x) + log(x**2 + 1) + sqrt(x**2 + 1) + 1/sqrt(x**2+2) + (x**2 + 1)**1.7"
            " + 2**x + x**5 - x**-2 * 0 + exp(-x**2)")
    f = offsetgeo.Function(expr, domain=(-3, 3))
    pts = np.linspace(-3, 3, 37)[:, None]
    for mine, ref in zip(f.evaluate(pts, 2), _reference(f, pts)):
        assert np.allclose(mine, ref, rtol=1e-11, atol=1e-11)


def test_shapes():
    f = offsetgeo.Function("x**3")
    assert isinstance(f.value(2.0), float) and f.value(2.0) == 8.0
    assert f.grad(2.0) == 12.0 and f.hess(2.0) == 12.0
    assert f.value(np.array([1.0, 2.0])).shape == (2,)
    assert f.grad(np.array([1.0, 2.0])).shape == (2,)
    assert f.grad(np.ones((3, 1))).shape == (3, 1)
    assert f.hess(np.ones((3, 1))).shape == (3, 1, 1)
    g = offsetgeo.Function("x*y**2")
    assert g.grad([1.0, 2.0]).tolist() == [4.0, 4.0]
    assert g.hess(np.ones((5, 2))).shape == (5, 2, 2)
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        g.value(np.ones((3, 3)))


def test_from_callables_matches_formula(wiggly):
    f = offsetgeo.Function.from_callables(
        lambda x: np.sin(x) + 0.3 * np.sin(5 * x), lambda x: np.cos(x) + 1.5 * np.cos(5 * x))
    pts = np.linspace(-3, 3, 41)
    assert np.allclose(f.value(pts), wiggly.value(pts), atol=1e-15)
    assert np.allclose(f.grad(pts), wiggly.grad(pts), atol=1e-14)
    assert np.allclose(f.hess(pts), wiggly.hess(pts), atol=1e-7)  # central differences


def test_from_callables_2d_with_hessian():
    f = offsetgeo.Function.from_callables(
        lambda X: (X**2).sum(1), lambda X: 2 * X,
        lambda X: np.broadcast_to(2 * np.eye(2), (X.shape[0], 2, 2)), dim=2)
    assert f.hess([1.0, 2.0]).tolist() == [[2.0, 0.0], [0.0, 2.0]]


def test_nan_on_domain_is_refused():
    with pytest.raises(ValueError, match="not finite.*declare a domain="):
        offsetgeo.Function("log(x)")
    with pytest.raises(ValueError, match="not finite"):
        offsetgeo.Function("sqrt(x)", domain=(-1, 1))
    with pytest.raises(ValueError, match="not finite"):
        offsetgeo.Function("(-8)**(1/3)*x")
    assert offsetgeo.Function("log(x)", domain=(0.1, 3)).value(1.0) == 0.0


def test_domain_and_period_validation():
    assert offsetgeo.Function("sin(x)", period="2*pi").period == (pytest.approx(2 * np.pi),)
    assert offsetgeo.Function("sin(x)*y", period=("2*pi", None)).period == \
        (pytest.approx(2 * np.pi), None)
    with pytest.raises(ValueError, match="lo < hi"):
        offsetgeo.Function("x", domain=(1, 0))
    with pytest.raises(ValueError, match="positive"):
        offsetgeo.Function("sin(x)", period=-1)
    with pytest.raises(ValueError, match="2 intervals"):
        offsetgeo.Function("x", domain=[(0, 1), (0, 1)])
    with pytest.raises(ValueError, match="no variables"):
        offsetgeo.Function("3")


def test_scaled():
    f = offsetgeo.Function("sin(x)").scaled(2.5)
    assert f.value(np.pi / 2) == pytest.approx(2.5)
    assert f.grad(0.0) == pytest.approx(2.5)
    with pytest.raises(ValueError, match="> 0"):
        offsetgeo.Function("x").scaled(0)


# ---------------------------------------------------------------- refusals at construction


@pytest.mark.parametrize("expr, kwargs, where", [
    ("tan(x)", {}, "pole of tan"),                          # poles inside the default box
    ("1/(x - 0.3)", {}, "x=0.2"),                           # the sign change brackets 0.3
    ("log(x - 1)", {"domain": (0.5, 3)}, "not finite"),
])
def test_functions_not_finite_where_checked_are_refused_naming_where(expr, kwargs, where):
    with pytest.raises(ValueError, match="not finite") as info:
        offsetgeo.Function(expr, **kwargs)
    assert where in str(info.value)


def test_tan_on_a_domain_without_poles_is_accepted():
    f = offsetgeo.Function("tan(x)", domain=(-1.5, 1.5))
    assert f.grad(0.0) == pytest.approx(1.0)


def test_a_wrong_period_is_refused_and_true_ones_accepted():
    with pytest.raises(ValueError, match="not a period") as info:
        offsetgeo.Function("sin(x)", period=1)
    assert "changes by" in str(info.value)
    with pytest.raises(ValueError, match="not a period"):
        offsetgeo.Function("sin(x)*cos(y)", period=("2*pi", "pi"))
    offsetgeo.Function("sin(x)", period="2*pi")
    offsetgeo.Function("sin(x)", period="4*pi")               # a multiple is a period too
    offsetgeo.Function("sin(x)*cos(y)", period=("2*pi", "2*pi"))


@pytest.mark.parametrize("expr, part", [("x**x", "gradient"), ("sqrt(x)", "gradient"),
                                        ("log(x)", "value")])
def test_the_failing_part_and_the_closed_domain_are_named(expr, part):
    """On (0, 2) x**x and sqrt(x) are finite but their derivatives are not at 0; domains are
    closed boxes, so the face x = 0 belongs to the domain and the message says so."""
    with pytest.raises(ValueError) as info:
        offsetgeo.Function(expr, domain=(0, 2))
    text = str(info.value)
    assert f"its {part} is NaN or infinite" in text and "x=0" in text
    assert "closed" in text
    offsetgeo.Function(expr, domain=(1e-9, 2))


def test_a_too_costly_expression_is_refused_stating_cost_and_bound(monkeypatch):
    from offsetgeo import _function
    monkeypatch.setattr(_function, "MAX_TAPE", 50)
    with pytest.raises(ValueError, match=r"too costly: .* need \d+ tape instructions \(the "
                                         r"bound is 50\)"):
        offsetgeo.Function("*".join(f"sin({k}*x)" for k in range(1, 10)))


def test_sampling_work_is_bounded_before_it_starts():
    """A 500-term sum of fast sines: a footpoint needs a fine grid of a long tape; refused at
    once with the cost and the bound (it once ran for minutes)."""
    f = offsetgeo.Function(" + ".join(f"{k}*sin({k}*x)" for k in range(1, 501)))
    with pytest.raises(ValueError, match=r"would cost .* tape instructions .* the bound is"):
        offsetgeo.footpoint(f, np.array([[0.5, 1.0]]))


def test_work_bound_is_for_chosen_resolutions_only(monkeypatch):
    """The bound guards the resolution the library picks; a resolution the caller passes is
    paid in full (and the footpoint is still the brute-force nearest point)."""
    monkeypatch.setattr(offsetgeo._grid, "MAX_WORK", 1e4)
    f = offsetgeo.Function("sin(x) + 0.3*sin(5*x)")
    z = np.array([[0.5, 1.5]])
    with pytest.raises(ValueError, match="pass resolution= explicitly to accept the cost"):
        offsetgeo.footpoint(f, z)
    fp = offsetgeo.footpoint(f, z, resolution=200.0)
    t = np.linspace(-3.0, 4.0, 700_001)
    brute = t[np.argmin((t - 0.5) ** 2 + (np.sin(t) + 0.3 * np.sin(5 * t) - 1.5) ** 2)]
    assert abs(fp.theta[0] - brute) <= 1e-5          # grid step of the brute force


def test_messages_shorten_long_expressions():
    f = offsetgeo.Function(" + ".join(f"sin({k}*x)" for k in range(1, 200)))
    assert len(str(f)) < 120 and "characters" in str(f)
    assert repr(f).count("sin(") == 199                       # the repr stays complete


def test_cost_counts_tape_instructions():
    f = offsetgeo.Function("sin(x)")
    assert 0 < f.cost(0) < f.cost(1) <= f.cost(2)
    g = offsetgeo.Function(" + ".join(f"sin({k}*x)" for k in range(1, 40)))
    assert g.cost(0) > 20 * f.cost(0)
    assert offsetgeo.Function.from_callables(np.sin, np.cos).cost(0) is None
