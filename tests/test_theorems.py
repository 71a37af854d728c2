"""Numerical verification of the seeds' statements (offsetgeo.theorems)."""

from __future__ import annotations

import argparse
import json
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import offsetgeo
from offsetgeo import theorems as T
from offsetgeo.theorems._reachability import penetration
from offsetgeo.cli import add_verify_arguments, run_verify
from conftest import periodic_functions_1d

TWO_PI = 2 * math.pi
FAST = settings(max_examples=10, deadline=None)


def _report_is_coherent(rep):
    n = len(rep.radii)
    assert rep.statement in T.STATEMENTS
    assert rep.kind in ("theorem", "conjecture")
    assert rep.holds in (True, False, None)
    assert np.all(np.diff(rep.radii) > 0)
    assert rep.bound.shape == rep.measured.shape == rep.margin.shape
    assert rep.measured.shape[-1] in (n, n - 1)
    assert isinstance(rep.assumptions, dict) and rep.assumptions
    assert isinstance(rep.verdict, str) and rep.verdict
    json.loads(T.reports_to_json([rep], include_arrays=True))


# ------------------------------------------------------------------ weak ironing


def test_weak_ironing_sin_closed_form():
    rep = T.weak_ironing("sin(x)", period=TWO_PI, resolution=400)
    _report_is_coherent(rep)
    assert rep.holds is True and rep.verdict == "holds"
    assert rep.arrays["D"] == pytest.approx(math.pi, abs=1e-9)      # argmax at π/2 only
    assert rep.arrays["M"] == pytest.approx(1.0, abs=1e-12)
    r = rep.radii
    np.testing.assert_allclose(rep.bound, r - np.sqrt(r ** 2 - math.pi ** 2))
    np.testing.assert_allclose(rep.margin, rep.bound - rep.measured)
    # the bound is nearly attained at the point farthest from the argmax: rate exactly 1/ρ
    assert rep.rate["exponent"] == pytest.approx(-1.0, abs=0.06)
    assert rep.rate["limit_rho_times_measured"] == pytest.approx(math.pi ** 2 / 2, rel=0.01)
    assert rep.arrays["h"].shape == (len(r), len(rep.arrays["x"]))


def test_weak_ironing_two_maxima_halves_D():
    rep = T.weak_ironing("sin(2*x)", period=TWO_PI, radii=[2.0, 5.0], resolution=300)
    assert rep.arrays["D"] == pytest.approx(math.pi / 2, abs=1e-9)
    assert len(rep.arrays["argmax"]) == 2
    assert rep.holds is True


def test_weak_ironing_detects_period_with_sympy():
    rep = T.weak_ironing("sin(x) + 0.3*sin(5*x)", radii=[4.0, 16.0], resolution=300)
    assert rep.assumptions["bounded"] is True
    assert "sympy" in rep.notes[0]
    assert rep.holds is True


def test_weak_ironing_on_a_domain():
    rep = T.weak_ironing("exp(-x**2)", domain=(-3, 3), radii=[3.0, 10.0], resolution=300)
    assert rep.holds is True
    assert rep.arrays["D"] == pytest.approx(3.0, abs=1e-6)   # farthest point: the box edge


def test_weak_ironing_radii_below_D_carry_no_claim():
    rep = T.weak_ironing("sin(x)", period=TWO_PI, radii=[1.0, 2.0], resolution=300)
    assert rep.holds is None and np.all(np.isnan(rep.bound))
    assert rep.verdict == "no claim in sweep"


@pytest.mark.parametrize("expr, expected", [
    ("x**2", False),            # polynomial: unbounded
    ("x*sin(x)", False),        # grows with the window
    ("exp(-x**2)", str),        # bounded, but not provable without period or domain
])
def test_weak_ironing_unbounded_is_reported_not_verified(expr, expected):
    rep = T.weak_ironing(expr, radii=[1.0, 2.0])
    assert rep.holds is None
    b = rep.assumptions["bounded"]
    assert (b is False) if expected is False else isinstance(b, str)
    assert rep.verdict.startswith("assumption fails: bounded")


@FAST
@given(periodic_functions_1d())
def test_weak_ironing_holds_on_random_periodic_functions(expr):
    rep = T.weak_ironing(expr, period=TWO_PI, resolution=300, quick=True)
    _report_is_coherent(rep)
    assert rep.holds is True, (expr, rep.margin, rep.tolerance)
    claimed = np.isfinite(rep.bound)
    assert np.all(rep.measured[claimed] <= rep.bound[claimed] + rep.tolerance[claimed])


# ------------------------------------------------------------------ linear ironing


def test_linear_ironing_default_case():
    rep = T.linear_ironing("0.5*x", "sin(3*x)", resolution=400)
    _report_is_coherent(rep)
    assert rep.holds is True
    assert rep.arrays["slope"] == 0.5 and rep.arrays["sup_phi"] == pytest.approx(1.0)
    assert rep.arrays["D"] == pytest.approx(math.pi / 3, abs=1e-9)
    assert rep.measured[-1] < rep.measured[0] / 10          # decreasing to 0
    assert rep.rate["exponent"] == pytest.approx(-1.0, abs=0.1)


def test_linear_ironing_with_zero_slope_is_weak_ironing():
    lin = T.linear_ironing("0*x + 2", "sin(x)", radii=[4.0, 8.0], period=TWO_PI, resolution=400)
    weak = T.weak_ironing("sin(x)", radii=[4.0, 8.0], period=TWO_PI, resolution=400)
    np.testing.assert_allclose(lin.bound, weak.bound, rtol=1e-12)
    np.testing.assert_allclose(lin.measured, weak.measured, atol=2e-3)


@FAST
@given(periodic_functions_1d(max_terms=2),
       st.floats(-2.0, 2.0, allow_nan=False).map(lambda v: round(v, 3)))
def test_linear_ironing_holds_on_random_bounded_phi(phi, a):
    rep = T.linear_ironing(f"{a}*x + 1", phi, period=TWO_PI, resolution=250, quick=True)
    _report_is_coherent(rep)
    assert rep.holds is True, (phi, a, rep.margin, rep.tolerance)
    assert np.all(rep.measured >= -rep.tolerance)


def test_linear_ironing_non_affine_base():
    rep = T.linear_ironing("x**2", "sin(x)", period=TWO_PI)
    assert rep.holds is None
    assert "not identically 0" in rep.assumptions["f affine"]
    assert rep.verdict.startswith("assumption fails: f affine")


def test_linear_ironing_non_recurrent_phi():
    rep = T.linear_ironing("x", "exp(-x**2)")
    assert rep.holds is None
    assert isinstance(rep.assumptions["phi recurrent"], str)


def test_linear_ironing_only_1d():
    with pytest.raises(ValueError, match="1 variable"):
        T.linear_ironing("x + y", "sin(x)")


# ------------------------------------------------------------------ strong ironing (conjecture)


def test_strong_ironing_is_evidence():
    rep = T.strong_ironing("sin(x)", "sin(x) + 0.5*sin(7*x)", period=TWO_PI, resolution=300,
                           quick=True)
    _report_is_coherent(rep)
    assert rep.kind == "conjecture" and rep.holds is None
    assert rep.arrays["evidence"] == "supports"
    assert rep.verdict.startswith("evidence: supports")
    assert np.all(np.isnan(rep.bound))


@FAST
@given(periodic_functions_1d(max_terms=2), periodic_functions_1d(max_terms=1))
def test_strong_ironing_report_is_consistent(f, psi):
    rep = T.strong_ironing(f, f"{f} + {psi}", period=TWO_PI, radii=[0.5, 4.0, 32.0],
                           resolution=200)
    _report_is_coherent(rep)
    assert rep.holds is None and rep.kind == "conjecture"
    assert rep.assumptions["sup|f-g| finite"] is True
    assert rep.arrays["evidence"] in ("supports", "against", "inconclusive")
    assert np.all(np.isfinite(rep.measured)) and np.all(rep.measured >= 0)
    # h^{f + inf ψ} ≤ h^g ≤ h^{f + sup ψ}: the half-range of Δ is at most osc(ψ)/2 ≤ Σ|a_k|
    amp = sum(abs(float(a)) for a in re.findall(r"([0-9.]+)\*sin", psi))
    assert np.all(rep.measured <= amp + rep.tolerance)
    # weak ironing of f and g (2π-periodic, so D ≤ π) bounds the half-range by ρ − √(ρ² − π²)
    rho = rep.radii[-1]
    assert rep.measured[-1] <= rho - math.sqrt(rho ** 2 - math.pi ** 2) + rep.tolerance[-1]


def test_strong_ironing_unbounded_difference_flagged():
    rep = T.strong_ironing("x", "x**2", radii=[1.0, 2.0], resolution=200)
    assert rep.holds is None and rep.assumptions["sup|f-g| finite"] is False
    assert "unverified" in rep.verdict


# ------------------------------------------------------------------ sharp minima


def test_sharp_minimum_2d_quadratic():
    rep = T.sharp_minima_unreachable("0.5*(x**2 + 9*y**2)", minima=[[0.0, 0.0]])
    _report_is_coherent(rep)
    assert rep.holds is True
    assert rep.arrays["lambda_max"][0] == pytest.approx(9.0)
    lam_rho = rep.radii * 9.0
    # unreachable exactly where ρλ > 1 (closed form ρ_c = 1/9): penetration > 0 there, ≤ 0 below
    assert np.all(rep.measured[0, lam_rho > 1.01] > 0)
    assert np.all(rep.measured[0, lam_rho < 0.99] <= 1e-9)


def test_penetration_of_the_parabola_bottom_per_radius():
    """One radius per point, in one projection: the ball of radius ρ resting on the bottom of
    x² reaches the graph at distance sqrt(ρ − 1/4) from its centre once ρ > 1/2 (t² = ρ − ½),
    so the penetration is ρ − sqrt(ρ − 1/4) there and 0 below."""
    f = offsetgeo.Function("x**2")
    radii = np.array([0.2, 0.45, 0.75, 1.0, 3.0])
    pen = penetration(f, np.zeros((5, 1)), radii)
    want = np.where(radii > 0.5, radii - np.sqrt(np.maximum(radii - 0.25, 0.0)), 0.0)
    np.testing.assert_allclose(pen, want, rtol=0, atol=1e-12)
    np.testing.assert_allclose(pen, [penetration(f, [[0.0]], r)[0] for r in radii], rtol=0,
                               atol=1e-15)


def test_sharp_minima_1d_found():
    rep = T.sharp_minima_unreachable("sin(x) + 0.3*sin(5*x)", period=TWO_PI, quick=True)
    assert rep.holds is True
    assert rep.measured.shape == (len(rep.arrays["minima"]), len(rep.radii))
    assert max(rep.arrays["lambda_max"]) == pytest.approx(8.5, rel=1e-6)   # at x = 3π/2


@pytest.mark.parametrize("point, words", [
    ([0.0, 0.0], "not a local minimum"),      # saddle of x² − y²
    ([1.0, 0.0], "not a critical point"),
])
def test_sharp_minima_rejects_non_minima(point, words):
    rep = T.sharp_minima_unreachable("x**2 - y**2", minima=[point], radii=[0.2, 2.0])
    assert rep.holds is None
    (msg,) = rep.assumptions.values()
    assert words in msg
    assert rep.verdict.startswith("assumption fails")


def test_sharp_minima_flat_minimum_has_no_claim():
    rep = T.sharp_minima_unreachable("x**4", minima=[0.0], radii=[0.5, 1.0])
    assert rep.holds is None and rep.verdict == "no claim in sweep"


# ------------------------------------------------------------------ unreachable sets


def test_unreachable_sets_grow_default():
    rep = T.unreachable_sets_grow("sin(x) + 0.3*sin(5*x)", period=TWO_PI, resolution=400)
    _report_is_coherent(rep)
    assert rep.holds is True
    meas = rep.arrays["measure"]
    assert meas[0] == 0.0 and meas[-1] > 0                      # empty below ρ_c = 1/8.5
    assert np.all(np.diff(meas) >= -2 * (TWO_PI / 2513))       # grows (to one sample)
    assert rep.arrays["open"] is True


@FAST
@given(periodic_functions_1d(max_terms=2))
def test_unreachable_sets_grow_random(expr):
    rep = T.unreachable_sets_grow(expr, period=TWO_PI, resolution=250, quick=True)
    assert rep.holds is True, (expr, rep.margin, rep.tolerance)


# ------------------------------------------------------------------ phase transition


def test_phase_transition_sin():
    rep = T.phase_transition("sin(x)", period=TWO_PI, resolution=600)
    _report_is_coherent(rep)
    assert rep.holds is True
    assert rep.arrays["rho_g"] == pytest.approx(1.0, abs=1e-4)
    assert rep.arrays["rho_c"] == pytest.approx(1.0, abs=1e-9)
    below = rep.radii < 1.0
    assert np.all(np.abs(rep.measured[below] - 2.0) <= rep.tolerance[below])  # plateau
    assert np.all(np.abs(rep.measured[below] - 2.0) < 1e-4)
    assert np.all(rep.measured[rep.radii > 1.2] < 2.0 - 1e-3)
    # ρ·osc → π²/2; at ρ = 5 still only ≈ 0.88 of it (docs/math.md)
    assert rep.rate["limit_rho_times_osc"] == pytest.approx(math.pi ** 2 / 2, rel=0.01)
    osc5 = T.phase_transition("sin(x)", period=TWO_PI, radii=[5.0], resolution=600).measured[0]
    assert osc5 / (math.pi ** 2 / 10) == pytest.approx(0.88, abs=0.02)


@FAST
@given(periodic_functions_1d())
def test_phase_transition_random(expr):
    rep = T.phase_transition(expr, period=TWO_PI, resolution=300, quick=True)
    _report_is_coherent(rep)
    assert rep.holds is True, (expr, rep.notes)
    assert np.all(np.diff(rep.measured) <= rep.tolerance[1:] + rep.tolerance[:-1])


def test_phase_transition_unbounded():
    rep = T.phase_transition("x**2")
    assert rep.holds is None and rep.assumptions["bounded"] is False


# ------------------------------------------------------------------ input validation


@pytest.mark.parametrize("radii", [[0.0, 1.0], [-1.0], [], [float("nan")]])
def test_bad_radii(radii):
    with pytest.raises(ValueError, match="radii"):
        T.weak_ironing("sin(x)", radii=radii, period=TWO_PI)


def test_bad_dimension_and_type():
    with pytest.raises(ValueError, match="variable"):
        T.weak_ironing("x + y + z")
    with pytest.raises(TypeError):
        T.weak_ironing(3.0)


def test_unknown_statement_in_run_all():
    with pytest.raises(ValueError, match="unknown statement"):
        T.run_all(statements=["nope"])


# ------------------------------------------------------------------ table, JSON, CLI


def _parser():
    p = argparse.ArgumentParser(prog="offsetgeo verify")
    add_verify_arguments(p)
    return p


def test_run_all_quick_table_and_json():
    reps = T.run_all(quick=True)
    names = {r.statement for r in reps}
    assert names == set(T.STATEMENTS)
    assert all(r.holds is not False for r in reps)
    table = T.format_table(reps)
    for col in ("statement", "case", "claimed bound", "measured", "margin", "verdict"):
        assert col in table.splitlines()[0]
    assert len(table.splitlines()) == len(reps) + 2
    data = json.loads(T.reports_to_json(reps))
    assert len(data) == len(reps) and "margin" in data[0] and "assumptions" in data[0]


def test_run_verify_user_function(capsys):
    args = _parser().parse_args(["weak-ironing", "sin(x)", "--period", "2*pi",
                                 "--radii", "4", "8", "--json", "--resolution", "300"])
    assert run_verify(args) == 0
    (rep,) = json.loads(capsys.readouterr().out)
    assert rep["holds"] is True and rep["statement"] == "weak-ironing"
    assert len(rep["measured"]) == 2


def test_run_verify_assumption_failure(capsys):
    args = _parser().parse_args(["weak-ironing", "x**2", "--radii", "1", "2"])
    assert run_verify(args) == 0
    out = capsys.readouterr().out
    assert "assumption fails: bounded" in out and "polynomial" in out


def test_run_verify_two_expressions(capsys):
    args = _parser().parse_args(["linear-ironing", "0.5*x", "sin(3*x)", "--radii", "2", "4",
                                 "--resolution", "300"])
    assert run_verify(args) == 0
    assert "holds" in capsys.readouterr().out


def test_run_verify_sharp_minimum_point(capsys):
    args = _parser().parse_args(["sharp-minima", "x**2 - y**2", "--minimum", "0", "0",
                                 "--radii", "1"])
    assert run_verify(args) == 0
    assert "not a local minimum" in capsys.readouterr().out


@pytest.mark.parametrize("argv, words", [
    (["no-such-statement"], "unknown statement"),
    (["linear-ironing", "0.5*x"], "takes 2 expression"),
    (["weak-ironing", "sin(x)", "--radii", "-1"], "radii"),
    (["weak-ironing", "import os"], ""),
])
def test_run_verify_bad_input(argv, words, capsys):
    assert run_verify(_parser().parse_args(argv)) == 2
    assert words in capsys.readouterr().err
