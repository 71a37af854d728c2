"""The expression parser refuses everything but arithmetic on analytic functions."""

import pytest
import sympy

import offsetgeo
from offsetgeo import parse_expression
from offsetgeo._expression import MAX_DEPTH, MAX_LENGTH

import numpy as np


@pytest.mark.parametrize("text, fragment", [
    ("__import__('os').system('echo pwned')", "'__'"),
    ("x.__class__", "'__'"),
    ("x.real", "attribute access"),
    ("(lambda: 1)()", "lambda"),
    ("[x][0]", "refused token"),
    ("x[0]", "subscripts"),
    ("'abc'", "only real numbers"),
    ("open('f')", "unknown function 'open'"),
    ("exec('1')", "unknown function 'exec'"),
    ("eval('x')", "unknown function 'eval'"),
    ("getattr(x, 'y')", "unknown function 'getattr'"),
    ("sin(x, y)", "exactly one argument"),
    ("sin(x=1)", "keyword"),
    ("1 if x else 2", "conditional"),
    ("x < 2", "comparisons"),
    ("x ^ 2", "use ** for powers"),
    ("x % 2", "only + - * / **"),
    ("abs(x)", "not smooth"),
    ("floor(x)", "not smooth"),
    ("Max(x, 1)", "not smooth"),
    ("sign(x)", "not smooth"),
    ("9**9**9", "exponent"),
    ("x + 1j", "only real numbers"),
    ("(x := 2)", "assignment"),
    ("{x}", "sets"),
    ("sin", "must be called"),
    ("1/0", "division by zero"),
])
def test_hostile_and_invalid_strings_are_refused(text, fragment):
    with pytest.raises(ValueError) as info:
        parse_expression(text)
    assert fragment in str(info.value)


def test_nothing_is_executed(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    monkeypatch.chdir(tmp_path)
    for text in [f"__import__('pathlib').Path('{marker}').touch()",
                 "open('pwned', 'w')", "exec(\"open('pwned','w')\")"]:
        with pytest.raises(ValueError):
            offsetgeo.Function(text)
    assert not marker.exists()


def test_over_long_input_is_refused():
    with pytest.raises(ValueError, match="characters long"):
        parse_expression("x+" * (MAX_LENGTH // 2) + "x")


def test_syntax_error_reports_position():
    with pytest.raises(ValueError, match=r"syntax error in expression at position \d+"):
        parse_expression("sin(x")


def test_unknown_symbol_with_declared_variables():
    with pytest.raises(ValueError, match="unknown symbol 'z'.*declared variables are x, y"):
        parse_expression("x + z", variables=["x", "y"])


def test_inferred_variables_sorted_and_constants():
    expr, symbols = parse_expression("y*pi + E*x + sin(x)")
    assert [s.name for s in symbols] == ["x", "y"]
    assert expr.equals(sympy.Symbol("y", real=True) * sympy.pi + sympy.E * symbols[0]
                       + sympy.sin(symbols[0]))


def test_declared_order_is_kept():
    _, symbols = parse_expression("a + b", variables="b a")
    assert [s.name for s in symbols] == ["b", "a"]


def test_sympy_input_is_checked():
    x = sympy.Symbol("x")
    with pytest.raises(ValueError, match="not smooth"):
        offsetgeo.Function(sympy.Abs(x))
    with pytest.raises(ValueError, match="unsupported"):
        offsetgeo.Function(sympy.gamma(x))
    with pytest.raises(ValueError, match="complex"):
        offsetgeo.Function(x + sympy.I)


# ---------------------------------------------------------------- names, numbers, sizes


@pytest.mark.parametrize("text, hint", [
    ("e**x", "E"), ("exp(1)*e", "E"),
    ("nan*x", "finite"), ("x + inf", "finite"), ("oo", "finite"), ("zoo*x", "finite"),
    ("I*x", "real"), ("x + j", "real"),
    ("Pi*x", "pi"), ("PI*x", "pi"),
])
def test_reserved_names_are_refused_with_a_hint(text, hint):
    """Names sympy would read as constants (or that look like them) never become variables."""
    with pytest.raises(ValueError, match="refused name") as info:
        parse_expression(text)
    assert hint in str(info.value)


def test_numbers_past_the_float_range_are_refused():
    with pytest.raises(ValueError, match="overflows"):
        parse_expression("10**400*x")
    with pytest.raises(ValueError, match="overflows"):
        parse_expression("1e400*x")
    expr, _ = parse_expression("10**300*x")           # large but representable
    (x,) = expr.free_symbols
    assert float(expr.subs(x, 1)) == 1e300


def _sum_of_terms(n):
    return " + ".join(f"{k}*sin({k}*x)/{k * k}" for k in range(1, n + 1))


def test_a_long_flat_sum_is_not_deep():
    """500 terms, over 5 000 characters: accepted, and its value is the sum of its terms."""
    text = _sum_of_terms(500)
    assert len(text) > 5000
    f = offsetgeo.Function(text)
    x = 0.7
    assert f.value(x) == pytest.approx(sum(np.sin(k * x) / k for k in range(1, 501)), rel=1e-12)


def _nested(depth):
    return "sin(" * depth + "x" + ")" * depth


def test_deep_nesting_within_the_bound_is_exact():
    f = offsetgeo.Function(_nested(150))              # once a RecursionError inside sympy
    x, value, slope = 0.3, 0.3, 1.0
    for _ in range(150):                               # chain rule by hand
        slope *= np.cos(value)
        value = np.sin(value)
    assert f.value(x) == pytest.approx(value, rel=1e-13)
    assert f.grad(x) == pytest.approx(slope, rel=1e-11)


def test_nesting_past_the_bound_is_refused_with_the_depth():
    with pytest.raises(ValueError, match="nested"):
        parse_expression(_nested(MAX_DEPTH + 5))


def test_long_products_are_cheap_and_exact():
    """A product of 79 sines once took minutes to differentiate; the tape's forward-mode
    derivatives must agree with the product rule written out."""
    ks = np.arange(1, 80)
    f = offsetgeo.Function("*".join(f"sin({k}*x/79 + 1)" for k in ks))
    x = 0.4
    s, c = np.sin(ks * x / 79 + 1), np.cos(ks * x / 79 + 1)
    value = np.prod(s)
    grad = value * np.sum(ks / 79 * c / s)
    hess = value * (np.sum(ks / 79 * c / s) ** 2 - np.sum((ks / 79) ** 2 / s ** 2))
    v, g, h = f.evaluate(np.array([[x]]), 2)
    assert v[0] == pytest.approx(value, rel=1e-12)
    assert g[0, 0] == pytest.approx(grad, rel=1e-10)
    assert h[0, 0, 0] == pytest.approx(hess, rel=1e-9)
