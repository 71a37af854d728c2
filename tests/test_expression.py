"""The expression parser refuses everything but arithmetic on analytic functions."""

import pytest
import sympy

import offsetgeo
from offsetgeo import parse_expression
from offsetgeo._expression import MAX_LENGTH


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
