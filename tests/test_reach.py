"""Reach and critical radius: closed forms, two methods, windows and the CLI."""

import json

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

import offsetgeo
from offsetgeo import critical_radius, reach
from offsetgeo.cli import main


@pytest.mark.parametrize("expr, kwargs, expected", [
    ("sin(x)", dict(period="2*pi"), 1.0),
    ("0.5*sin(2*x)", dict(period="pi"), 1 / (0.5 * 4)),
    ("0.3*x**2", dict(domain=(-1, 1)), 1 / 0.6),
    ("-sqrt(4 - x**2)", dict(domain=(-1.5, 1.5)), 2.0),
])
def test_closed_forms_both_methods(expr, kwargs, expected):
    r = reach(offsetgeo.Function(expr, **kwargs))
    assert r.value == pytest.approx(expected, rel=1e-8)
    assert r.agree and r.balls_value == pytest.approx(expected, rel=1e-6)


def test_two_variables():
    f = offsetgeo.Function("0.2*x**2 + 0.6*y**2")
    assert critical_radius(f, window=[(-1, 1), (-1, 1)], method="curvature") == \
        pytest.approx(1 / 1.2, rel=1e-8)


def test_window_of_an_entire_function_and_witness():
    f = offsetgeo.Function("sin(x)")
    r = reach(f, window=(0, 7))
    assert r.value == pytest.approx(1.0, rel=1e-8)
    assert float(r.witness) == pytest.approx(1.5 * np.pi, abs=1e-6)
    low = reach(f, side="lower", window=(0, 7), method="curvature")
    assert low.value == pytest.approx(1.0, rel=1e-8) and low.kind == "lower"
    assert float(low.witness) == pytest.approx(0.5 * np.pi, abs=1e-6)


def test_concave_function_has_infinite_upper_reach():
    r = reach(offsetgeo.Function("-x**2"), window=(-1, 1))
    assert np.isinf(r.value) and r.agree


def test_bad_input():
    with pytest.raises(ValueError, match="unbounded"):
        reach(offsetgeo.Function("x**2"))
    with pytest.raises(ValueError, match="side"):
        reach(offsetgeo.Function("sin(x)", period="2*pi"), side="middle")


def test_cli_reach(capsys):
    assert main(["reach", "sin(x)", "--period", "2*pi"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("critical radius 1.0 at x = 4.712")
    assert main(["reach", "x**2", "--window", "-1", "1", "--json", "--side", "both"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["upper"]["value"] == pytest.approx(0.5) and data["lower"]["value"] is None
    assert data["nonfinite"]["lower.value"] == "inf"      # one JSON rule: null plus a flag
    assert main(["reach", "x**2"]) == 2
    assert "unbounded" in capsys.readouterr().err
    assert main(["reach", "__import__('os')"]) == 2


def test_free_balls_on_a_steep_graph_over_a_wide_window():
    """x⁴ on [-100, 100] (f up to 1e8): the free-ball check stops resolving balls past twice
    the curvature bound (it searched balls up to 4000 wide for ten minutes) and still meets
    the closed form 1/max κ, κ = 12x²/(1 + 16x⁶)^(3/2)."""
    kappa = minimize_scalar(lambda x: -12 * x**2 / (1 + 16 * x**6) ** 1.5, bounds=(0.1, 2),
                            method="bounded", options={"xatol": 1e-12})
    r = offsetgeo.reach(offsetgeo.Function("x**4"), window=(-100, 100))
    assert r.agree is True
    assert r.value == pytest.approx(-1 / kappa.fun, rel=1e-8)
