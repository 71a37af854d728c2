"""Fuzzing the two doors user text comes through: ``Function`` and the command line.

Random token soup, random nesting and numeric edge cases must give either a function or a
``ValueError``/``TypeError`` (CLI: exit code 2 and one line on stderr) within a few seconds
(hypothesis' deadline), and must never run code: the soup contains calls that would create
a canary file, which must never appear.
"""

import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import offsetgeo
from offsetgeo.cli import main

CANARY = "offsetgeo_fuzz_canary"

NAMES = ["x", "y", "z", "sin", "cos", "exp", "log", "sqrt", "tanh", "erf", "atan", "pi", "E",
         "e", "nan", "inf", "I", "oo", "zoo", "Pi", "j", "lambda", "import", "os", "sys",
         "open", "eval", "exec", "getattr", "__import__", "__class__", "__builtins__",
         "Symbol", "Function", "sympify", "self", "print", "abs", "Max", "Heaviside"]
OPERATORS = ["+", "-", "*", "/", "**", "^", "%", "//", "(", ")", "[", "]", "{", "}", ",", ".",
             ":", "=", ";", "'", '"', "@", "!", "~", "<", ">", "==", "&", "|", "\\", "#", "$",
             "`", "\n", " ", "  ", "if", "else", "for", "in", "not", "and", "or", ":="]
NUMBERS = ["0", "1", "2", "0.5", "-1", "1e308", "1e309", "1e400", "1e-400", "10**400",
           "9**9**9", "2**1023", "2**1024", "0x10", "1_000", "1j", "0.0", "-0", "3.", ".5",
           "1e-320", "4.9e-324", "1.7976931348623157e308", "123456789012345678901234567890"]
CANARY_CALLS = [f"__import__('pathlib').Path('{CANARY}').touch()",
                f"open('{CANARY}', 'w')", f"exec(\"open('{CANARY}','w')\")",
                f"(lambda: open('{CANARY}', 'w'))()",
                "x.__class__.__mro__[1].__subclasses__()"]

token_soup = st.lists(st.sampled_from(NAMES + OPERATORS + NUMBERS + CANARY_CALLS),
                      min_size=1, max_size=40).map("".join)
spaced_soup = st.lists(st.sampled_from(NAMES + OPERATORS + NUMBERS),
                       min_size=1, max_size=40).map(" ".join)

UNARY = ["sin", "cos", "exp", "log", "sqrt", "tanh", "atan", "erf", "cosh", "asinh", "-", "abs"]


@st.composite
def nested(draw):
    """Deep chains of functions and operators: depth up to 260 (the bound is 200)."""
    depth = draw(st.integers(1, 260))
    text = draw(st.sampled_from(["x", "y", "x*y", "0.5", "x + 1"]))
    for f in draw(st.lists(st.sampled_from(UNARY + ["+", "*", "**"]), min_size=depth,
                           max_size=depth)):
        if f in ("+", "*", "**"):
            other = draw(st.sampled_from(["x", "2", "0.5", "y", "1e308"]))
            text = f"({text}){f}{other}"
        elif f == "-":
            text = f"-({text})"
        else:
            text = f"{f}({text})"
    return text


edge_floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 5e-324, 1e-308, 1e308, 1.7976931348623157e308, math.pi, 1e16]))


@st.composite
def numeric_edges(draw):
    a, b = draw(edge_floats), draw(edge_floats)
    form = draw(st.sampled_from(["{a}*x + {b}", "sin({a}*x)*{b}", "x**{a}", "{a}**x",
                                 "exp({a}*x)", "log({a} + x**2)", "({a})/(x - {b})",
                                 "{a}*x**2 + {b}*y**2"]))
    return form.format(a=repr(a), b=repr(b))


def _check_function(text):
    try:
        f = offsetgeo.Function(text)
    except (ValueError, TypeError) as err:
        assert str(err) and "\n" not in str(err).strip(), repr(str(err))
        return
    # accepted: it is a real function of named variables, finite where it was checked
    pts = np.zeros((1, f.dim)) + 0.25
    with np.errstate(all="ignore"):
        f.evaluate(pts, 2)


#: OFFSETGEO_FUZZ=10 runs ten times as many examples (a deeper search, off CI)
SCALE = int(os.environ.get("OFFSETGEO_FUZZ", "1"))
FUZZ = settings(max_examples=150 * SCALE, deadline=5000,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    assert not (tmp_path / CANARY).exists(), "an expression ran code"


@FUZZ
@given(text=st.one_of(token_soup, spaced_soup))
def test_token_soup(in_tmp, text):
    _check_function(text)


@FUZZ
@given(text=nested())
def test_random_nesting(in_tmp, text):
    _check_function(text)


@FUZZ
@given(text=numeric_edges())
def test_numeric_edge_cases(in_tmp, text):
    _check_function(text)


CLI_FUZZ = settings(max_examples=40 * SCALE, deadline=10000,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])
WINDOW = st.sampled_from(["-1", "1", "0", "-0", "1e300", "-1e300", "nan", "inf", "-inf", "pi",
                          "-pi", "2*pi", "x", "1e-320", "--", "[1]"])


@CLI_FUZZ
@given(text=st.one_of(token_soup, nested(), numeric_edges()),
       points=st.sampled_from(["[[0.5, 1]]", "[0.5, 1]", "[[0.5, 1, 2]]", "{}", "[]", "[[]]",
                               "null", "[[NaN, 1]]", "[[1e400, 1]]", '[["a", 1]]', "[[true, 1]]",
                               "x", "-", "@", "[[0.5, 1]", "[[1e308, -1e308]]"]))
def test_cli_project(in_tmp, capsys, monkeypatch, text, points):
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("[[0.5, 1.0]]"))
    try:
        code = main(["project", text, points])
    except SystemExit as exit_:           # argparse's own refusals (usage + one error line)
        code = exit_.code
    out, err = capsys.readouterr()
    if code == 0:
        assert out.strip()
    else:
        assert code == 2 and "Traceback" not in err, err
        last = err.strip().splitlines()[-1]
        assert last.startswith("offsetgeo") and ": error: " in last, err
        assert err.count("\n") == 1 or err.startswith("usage:"), err


@CLI_FUZZ
@given(text=st.one_of(token_soup, numeric_edges(), st.sampled_from(["sin(x)", "x**2", "x*y"])),
       window=st.lists(WINDOW, max_size=5))
def test_cli_reach(in_tmp, capsys, text, window):
    argv = ["reach", text, "--method", "curvature"] + (["--window", *window] if window else [])
    try:
        code = main(argv)
    except SystemExit as exit_:           # argparse's own refusals (usage + one error line)
        code = exit_.code
    out, err = capsys.readouterr()
    if code == 0:
        assert out.startswith("critical radius")
    else:
        assert code == 2 and "Traceback" not in err, err
        last = err.strip().splitlines()[-1]
        assert last.startswith("offsetgeo") and ": error: " in last, err
