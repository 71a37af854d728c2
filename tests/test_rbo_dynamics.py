"""rbo.dynamics: each verifier on its claim, on random inputs within its assumptions
(hypothesis), against a deliberately wrong formula (it must fail then), and ``rbo verify``."""

import contextlib
import io
import json
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import offsetgeo
import rbo
from rbo import dynamics
from rbo.cli import main
from rbo.dynamics import _local, _stability
from rbo._rolling_ball import step_target
from rbo.dynamics._steps import derivatives, rate_margin, shape_operator
from rbo.figures import _stability as figures_stability

from conftest import functions_2d, periodic_functions_1d


def _kappa_max(f, theta):
    return float(offsetgeo.principal_curvatures(f, np.atleast_2d(theta))[0, 0])


# ------------------------------------------------------------------ the worked example


def test_worked_example_of_offset_descent():
    """docs/dynamics.md's worked example (also the statement's own check when it was derived):
    on cos x + ¼cos 3x at θ = 0.4, ρ = 0.2 the error is 4.6e-5 at η = 0.01, 4.6e-7 at 0.001."""
    rep = dynamics.offset_descent("cos(x) + 0.25*cos(3*x)", 0.2, thetas=[0.4],
                                  lrs=[1e-3, 1e-2])
    err = rep.arrays["error"][0]
    assert rep.holds and abs(err[1] - 4.6e-5) < 0.05e-5 and abs(err[0] - 4.6e-7) < 0.05e-7
    # |∇h_ρ(x) − g(θ)| (central differences of offset_height vs the gradient) within its bound
    assert rep.arrays["gradient_error"][0] <= rep.arrays["gradient_tolerance"][0] < 1e-8


def test_ironed_function_takes_the_same_steps_where_the_contact_is_reachable():
    rep = dynamics.offset_descent("sin(x) + 0.3*sin(5*x)", 0.5, thetas=[1.4], lrs=[1e-3, 1e-2],
                                  period=2 * math.pi, quick=True)
    err, defined = rep.arrays["ironed_error"], rep.arrays["ironed_defined"]
    assert rep.holds and defined.any() and (~defined).any()
    assert np.max(err[defined]) < 1e-10
    # steps into U_ρ (jumps across the medial axis) differ, by much more than round-off
    assert np.nanmax(rep.arrays["ironed_jump_error"]) > 1e-3


def test_the_arcs_of_the_ironed_graph_against_offsetgeo_ironed():
    """The graph of f̄_ρ built from the unreachable intervals (arcs of radius ρ) against the
    closing computed by offsetgeo.ironed, at points inside U_ρ."""
    f = offsetgeo.Function("sin(x) + 0.3*sin(5*x)", period="2*pi")
    U, arcs, _ = _local._ironed_graph(f, 0.5)
    for a, b, m in arcs[:2]:
        x = np.linspace(a, b, 7)[1:-1]
        arc = m[1] - np.sqrt(0.25 - (x - m[0]) ** 2)
        assert np.allclose(arc, offsetgeo.ironed(f, x, 0.5), atol=1e-8)


# ------------------------------------------------------------------ the verifiers fail when wrong


def test_first_order_verifier_fails_on_a_wrong_formula(monkeypatch):
    def wrong(f, thetas, lr, radius):          # (I + ρW)⁻¹ instead of (I − ρW)⁻¹
        _, g, H = derivatives(f, thetas)
        A = np.eye(g.shape[1])[None] + radius * shape_operator(g, H)
        return thetas - lr * np.linalg.solve(A, g[..., None])[..., 0]

    assert dynamics.first_order("cos(x) + 0.25*cos(3*x)", 0.2, thetas=[0.4], quick=True).holds
    monkeypatch.setattr(_local, "first_order_steps", wrong)
    rep = dynamics.first_order("cos(x) + 0.25*cos(3*x)", 0.2, thetas=[0.4], quick=True)
    assert rep.holds is False and abs(rep.measured[0] - 1.0) < 0.1


def test_linear_stability_verifier_fails_on_a_wrong_multiplier(monkeypatch):
    monkeypatch.setattr(_stability, "multiplier",
                        lambda lam, lr, radius: 1.0 - lr * lam / (1.0 + radius * lam))
    assert dynamics.linear_stability(dims=(2,), steps=40).holds is False


def test_sam_limit_verifier_fails_when_the_sam_step_is_normalised(monkeypatch):
    def normalised(grad, thetas, lr, radius):
        g = grad(thetas)
        return thetas - lr * grad(thetas + radius * g / np.linalg.norm(g, axis=1, keepdims=True))

    monkeypatch.setattr(_local, "usam_steps", normalised)
    assert dynamics.sam_limit("cos(x) + 0.25*cos(3*x)", [math.pi], quick=True).holds is False


# ------------------------------------------------------------------ properties


@given(periodic_functions_1d(), st.floats(0.0, 2 * math.pi), st.floats(0.05, 0.6))
def test_offset_descent_on_random_sums_of_sines(expr, theta, rho):
    f = offsetgeo.Function(expr)
    assume(abs(float(f.grad(theta))) >= 0.05 and rho * _kappa_max(f, theta) <= 0.8)
    assume(bool(offsetgeo.is_reachable(f, theta, rho)))
    rep = dynamics.offset_descent(f, rho, thetas=[theta], lrs=[1e-3, 2e-3, 4e-3], ironed=False)
    assert rep.holds is not False, rep.notes


@given(functions_2d(), st.floats(-2.0, 2.0), st.floats(-2.0, 2.0), st.floats(0.05, 0.5))
def test_first_order_step_on_random_surfaces(expr, x, y, rho):
    f = offsetgeo.Function(expr)
    theta = np.array([x, y])
    assume(np.linalg.norm(f.grad(theta)) >= 0.05 and rho * _kappa_max(f, theta) <= 0.8)
    assume(bool(offsetgeo.is_reachable(f, theta, rho)))
    rep = dynamics.first_order(f, rho, thetas=[theta], lrs=[1e-3, 2e-3, 4e-3])
    assert rep.holds is not False, (rep.measured, rep.arrays["error"])


@settings(max_examples=10)
@given(st.integers(1, 4), st.floats(0.02, 0.5), st.floats(0.01, 1.0), st.integers(0, 1000))
def test_linear_stability_on_random_quadratics(d, lr, rho, seed):
    rep = dynamics.linear_stability(dims=(d,), lr=lr, radius=rho, seed=seed, steps=60)
    assert rep.holds, rep.notes


@given(st.floats(-0.9, 0.95), st.floats(0.02, 0.5), st.floats(0.01, 1.0))
def test_one_step_multiplier_of_a_one_dimensional_quadratic(fraction, lr, rho):
    lam = fraction / rho                    # any eigenvalue below the focal sharpness 1/ρ
    obj = rbo.losses.quadratic(np.array([[lam]]))
    opt = rbo.rolling_ball(lr, rho, tol=1e-14)

    def m(delta):                           # the odd part of one step at ±δ, over δ
        ends = [float(opt.update(opt.init(np.array([s * delta])), obj)[0].params[0])
                for s in (1.0, -1.0)]
        return (ends[0] - ends[1]) / (2 * delta)

    # the step is odd in θ (f is even): m(δ) = m + cδ² + …, so |m(δ) − m| ≈ |m(2δ) − m(δ)|/3;
    # allowed: three times that estimate, plus the footpoint tolerance over δ
    m1, m2 = m(1e-5), m(2e-5)
    assert abs(m1 - dynamics.multiplier(lam, lr, rho)) <= abs(m2 - m1) + 1e3 * 1e-14 / 1e-5


@st.composite
def minima_1d(draw):
    """A random sum of sines and one of its minima with λ ≥ 0.05."""
    expr = draw(periodic_functions_1d())
    f = offsetgeo.Function(expr, period="2*pi")
    found = offsetgeo.theorems._assumptions.find_minima(f, (2 * math.pi,))
    assume(found.shape[0] > 0)
    theta = found[draw(st.integers(0, found.shape[0] - 1))]
    assume(float(f.hess(theta[0])) >= 0.05)
    return expr, theta


@settings(max_examples=15)
@given(minima_1d(), st.floats(0.01, 0.2))
def test_sam_limit_on_random_minima(case, lr):
    expr, theta = case
    rep = dynamics.sam_limit(expr, theta, lr=lr, period=2 * math.pi, quick=True)
    assert rep.holds, (rep.observed, rep.arrays["usam_error"], rep.arrays["gd_error"])


def test_reachability_along_a_run_and_a_run_that_does_not_project_exactly(monkeypatch):
    rep = dynamics.trajectory_reachability("sin(x) + 0.3*sin(5*x)", 0.5, [0.3], [0.02, 0.01],
                                           period=2 * math.pi)
    assert rep.holds and rep.measured[0] >= 0.8
    # the authors' loop (K = 100 fixed steps) does not project: its contact points keep
    # cutting the graph as η shrinks (order ≈ 0); the verifier measures that and, the
    # projections being uncertified, names the assumption instead of a verdict
    run_paper = lambda f, eta, rho, theta0, steps: rbo.run(  # noqa: E731
        rbo.objective(f), rbo.rolling_ball(eta, rho, solver="paper"), np.asarray(theta0,
                                                                                 float), steps,
        on_failure="ignore")
    monkeypatch.setattr(dynamics._trajectories, "_rbo_run", run_paper)
    rep = dynamics.trajectory_reachability("sin(x) + 0.3*sin(5*x)", 0.5, [0.3], [0.02, 0.01],
                                           period=2 * math.pi, horizon=1.0)
    assert rep.holds is None and rep.failed_assumptions == ["exact (certified) projections"]
    assert abs(rep.measured[0]) < 0.1 and rep.arrays["penetration"].min() > 0.1


@settings(max_examples=6)
@given(periodic_functions_1d(), st.floats(1.5, 4.0))
def test_one_step_from_a_reachable_point_penetrates_by_O_eta(expr, over):
    """The local statement behind rbo-reachability: one exact step (global projection) from
    every ρ-reachable point of a fine grid lands where the ball cuts the graph by O(η)."""
    f = offsetgeo.Function(expr, period="2*pi")
    rho = min(over * float(offsetgeo.reach(f, method="curvature").value), 3.0)
    grid = np.linspace(0, 2 * math.pi, 5000, endpoint=False)   # spacing 1.3e-3 < η |g|
    grid = grid[offsetgeo.is_reachable(f, grid, rho)]
    lrs, pen = np.array([0.005, 0.01, 0.02]), []
    v, g, _ = f.evaluate(grid[:, None], 2)
    for eta in lrs:
        _, x, y = step_target(grid[:, None], v, g, eta, rho)
        new = offsetgeo.footpoint(f, np.column_stack([x, y])).theta.reshape(-1, 1)
        pen.append(max(float(dynamics._trajectories.penetrations(f, new, rho).max()), 0.0))
    order, margin = rate_margin(lrs, np.array(pen), 1 - dynamics._trajectories.REACH_BAND,
                                np.inf, 1e-9)
    assume(np.sum(np.array(pen) > 1e-9) >= 2)     # the steps cross U_ρ at two η at least
    assert margin >= 0, (pen, order)


@settings(max_examples=4, deadline=None)
@given(st.floats(0.09, 0.12), st.floats(11.0, 14.0), st.floats(1.0, 2.5))
def test_ironing_of_runs_by_large_balls(amplitude, omega, x0):
    """Ripples steep enough to trap (Aω ≥ 1 > |f'|, so f + φ has a local minimum in every
    period): the ball of ρ_c/2 sees them all and stops in one near x0. A ball of ρ = 0.9 rests
    on crests one wavelength L = 2π/ω ≤ 0.57 apart: over each period the ironed f + φ is an
    arc of radius ρ whose slope differs from the tilt by at most (L/2)/sqrt(ρ² − L²/4) ≤ 0.33,
    less than |f'| = |x|/sqrt(1 + x²) for |x| > 0.35, so that ball is not trapped on the way
    down and follows f's run (f's own curvature is ≤ 1 < 1/ρ)."""
    phi = f"{amplitude:.4f}*sin({omega:.3f}*x)"
    rho_c = 1.0 / (amplitude * omega ** 2)        # critical radius of φ; f's is 1
    rep = dynamics.trajectory_ironing("sqrt(1 + x**2)", phi, x0, radii=[rho_c / 2, 0.9],
                                      steps=40)
    assert rep.measured[1] < rep.measured[0], rep.notes


# ------------------------------------------------------------------ rbo verify


def _verify(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["verify", *argv])
    return code, out.getvalue(), err.getvalue()


def test_rbo_verify_runs_a_dynamics_statement_as_json():
    code, out, _ = _verify("rbo-sam-limit", "--quick", "--json")
    reports = json.loads(out)
    assert code == 0 and [r["statement"] for r in reports] == ["rbo-sam-limit"] * 2
    assert all(r["verdict"] == "holds" for r in reports)


def test_rbo_verify_delegates_geometry_statements():
    code, out, _ = _verify("weak-ironing", "sin(x)", "--period", "2*pi", "--radii", "4", "8",
                           "--resolution", "100")
    assert code == 0 and out.splitlines()[2].split()[-1] == "holds"


@pytest.mark.parametrize("argv, text", [
    (["rbo-nope"], "unknown statement"),
    (["rbo-first-order", "x**2"], "default cases"),
])
def test_rbo_verify_bad_input_is_one_line_and_exit_2(argv, text):
    code, out, err = _verify(*argv)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and text in err


def test_the_default_cases_cover_every_statement_dynamics_first():
    assert set(dynamics.DEFAULT_CASES) == set(dynamics.STATEMENTS)
    names = [c[0] for c in dynamics.cases()]
    first_geometry = names.index(next(iter(offsetgeo.theorems.STATEMENTS)))
    assert set(names[:first_geometry]) == set(dynamics.STATEMENTS)
    assert set(names[first_geometry:]) == set(offsetgeo.theorems.STATEMENTS)


# ------------------------------------------------------------------ the figures' data


def test_stability_figure_puts_the_measured_multipliers_on_the_curves():
    data = figures_stability.rbo_stability(True).data
    for pair in data["pairs"]:
        lr, rho = pair["lr"], pair["rho"]
        assert pair["threshold"] == pytest.approx(2 / (lr + 2 * rho), rel=1e-15)
        # the odd part at ±δ is m + c δ² + O(δ⁴): its error is a third of the change from δ
        # to 2δ (3cδ²); allowed: that change, plus the driver's tolerance over δ
        delta = 1e-4
        again = figures_stability._measured_multipliers(pair["lambda"], lr, rho, 2 * delta)
        allowed = np.abs(again - pair["measured"]) + 1e3 * 1e-13 / delta
        assert np.all(np.abs(pair["measured"] - pair["predicted"]) <= allowed)
        # points on both sides of the threshold: the figure shows the crossing of m = −1
        assert np.any(pair["measured"] > -1) and np.any(pair["measured"] < -1)


def test_first_order_figure_slopes_are_the_stated_orders():
    """Distance over a fixed horizon: O(η) for the first-order step (O(η²) per step, 1/η
    steps); near the minimum O(ρ²) for unnormalised SAM and O(ρ) for GD — each within the
    verifiers' band ORDER_BAND of its order."""
    data = figures_stability.rbo_first_order(True).data
    band = _local.ORDER_BAND
    assert abs(data["slope_first_order"] - 1) <= band
    assert abs(data["slope_usam"] - 2) <= band and abs(data["slope_gd"] - 1) <= band
    # the one-term truncation keeps a bias that does not shrink with η: it ends farther
    # from RBO than CG does, by more than the CG distance itself
    d = data["distance"]
    assert d["Neumann, 1 term"][0] > 2 * d["first-order (CG)"][0]
