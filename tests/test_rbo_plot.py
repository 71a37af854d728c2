"""rbo.plot: one RBO step against brute force and the authors' loop written out; pictures of
steps and trajectories render (Agg, PNG and PDF) and reject bad input clearly."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.optimize import minimize_scalar  # noqa: E402

import offsetgeo  # noqa: E402
import offsetgeo.plot as gplot  # noqa: E402
import rbo  # noqa: E402
import rbo.plot as rplot  # noqa: E402

PARABOLA = "(x - 1)**2"
RHO, LR, THETA0 = 0.2, 0.3, 1.8          # the seeds' figure 1


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def brute_footpoint_1d(value, z, lo, hi, samples=400_001):
    """argmin_φ (φ − x)² + (f(φ) − y)² by a dense grid, polished by golden section."""
    x, y = z
    phi = np.linspace(lo, hi, samples)
    d2 = (phi - x) ** 2 + (value(phi) - y) ** 2
    i = int(np.argmin(d2))
    h = phi[1] - phi[0]
    res = minimize_scalar(lambda p: (p - x) ** 2 + (value(p) - y) ** 2,
                          bounds=(phi[i] - h, phi[i] + h), method="bounded",
                          options={"xatol": 1e-13})
    return float(res.x)


def authors_loop(value, grad, theta, x, y, steps=100, lr=1e-3):
    """The authors' projection: fixed-step gradient descent on D/2 from θ."""
    phi = theta
    for _ in range(steps):
        phi = phi - lr * ((phi - x) + (value(phi) - y) * grad(phi))
    return phi


def test_step_geometry_of_the_seeds_figure_1_against_brute_force():
    g = rplot.step_geometry(PARABOLA, THETA0, LR, RHO)
    slope = 2 * (THETA0 - 1)
    s = math.hypot(1, slope)
    centre = np.array([THETA0 - RHO * slope / s, (THETA0 - 1) ** 2 + RHO / s])
    candidate = centre - LR * np.array([slope, slope**2])
    assert np.allclose(g.centre, centre, atol=1e-14)
    assert np.allclose(g.candidate, candidate, atol=1e-14)
    brute = brute_footpoint_1d(lambda p: (p - 1) ** 2, candidate, -1.0, 3.0)
    assert g.theta1 == pytest.approx(brute, abs=1e-9)
    # the new ball is the one resting at the new contact point
    slope1 = 2 * (g.theta1 - 1)
    assert np.allclose(g.centre1 - g.contact1, RHO * np.array([-slope1, 1]) / math.hypot(1, slope1))


def test_step_geometry_paper_solver_is_the_authors_loop():
    g = rplot.step_geometry(PARABOLA, THETA0, LR, RHO, solver="paper")
    mine = authors_loop(lambda p: (p - 1) ** 2, lambda p: 2 * (p - 1), THETA0, *g.candidate)
    assert g.theta1 == pytest.approx(mine, abs=1e-13)
    assert abs(g.theta1 - rplot.step_geometry(PARABOLA, THETA0, LR, RHO).theta1) > 0.4


def test_rbo_step_draws_what_step_geometry_computes(tmp_path):
    with gplot.style():
        ax = rplot.rbo_step(PARABOLA, THETA0, LR, RHO, paper=True)
        for fmt in ("png", "pdf"):
            ax.figure.savefig(tmp_path / f"step.{fmt}")
    assert (tmp_path / "step.png").stat().st_size > 5_000
    assert b"/FontFile2" in (tmp_path / "step.pdf").read_bytes()
    exact = rplot.step_geometry(PARABOLA, THETA0, LR, RHO)
    centres = sorted(tuple(np.round(p.center, 12)) for p in ax.patches if hasattr(p, "center"))
    for c in (exact.centre, exact.centre1, exact.candidate):
        assert tuple(np.round(c, 12)) in centres
    assert ax.get_aspect() == 1.0


def test_trajectories_draw_the_runs_in_one_and_two_dimensions(tmp_path):
    f1 = offsetgeo.Function("sin(x) + 0.3*sin(5*x)", period="2*pi")
    runs = {"GD": rbo.run(rbo.objective(f1), rbo.sgd(0.1), np.array([1.0]), 15),
            "ρ = 0.5": rbo.run(rbo.objective(f1), rbo.rolling_ball(0.1, 0.5, solver="exact"),
                               np.array([1.0]), 15)}
    q = rbo.losses.quadratic(np.diag([1.0, 4.0]))
    run2 = rbo.run(q, rbo.rolling_ball(0.1, 0.3, solver="exact"), np.array([1.0, 1.0]), 10)
    with gplot.style():
        ax1 = rplot.trajectories(f1, runs)
        ax2 = rplot.trajectories(q.function, [run2], labels=["RBO"], colorbar=True)
        for name, ax in (("one", ax1), ("two", ax2)):
            for fmt in ("png", "pdf"):
                ax.figure.savefig(tmp_path / f"{name}.{fmt}")
    # the contact dots of the RBO run are its θ_t on Γ, its dashed path its centres
    dots = [ln for ln in ax1.get_lines() if ln.get_marker() == "o" and len(ln.get_xdata()) > 2]
    theta = np.asarray(runs["ρ = 0.5"].theta)[:, 0]
    assert any(np.array_equal(ln.get_xdata(), theta) for ln in dots)
    dashed = [ln for ln in ax1.get_lines() if ln.get_linestyle() == "--"]
    centre = np.asarray(runs["ρ = 0.5"].centre)
    assert any(np.array_equal(ln.get_xdata(), centre[:, 0], equal_nan=True) for ln in dashed)
    assert [t.get_text() for t in ax1.get_legend().get_texts()][:2] == ["GD", "ρ = 0.5"]


BAD = [
    (lambda: rplot.rbo_step("x*y", 1.0, 0.1, 0.2), ValueError, "functions of 1 variable"),
    (lambda: rplot.rbo_step(PARABOLA, 1.8, 0.3, 0.0), ValueError, "positive and finite"),
    (lambda: rplot.rbo_step(PARABOLA, 1.8, 0.3, -1.0), ValueError, "positive and finite"),
    (lambda: rplot.step_geometry(PARABOLA, float("nan"), 0.3, 0.2), ValueError, "finite number"),
    (lambda: rplot.trajectories(PARABOLA, []), ValueError, "runs is empty"),
    (lambda: rplot.trajectories(PARABOLA, [object()]), TypeError, "not an rbo.Trajectory"),
    (lambda: rplot.trajectories("x**2 + y**2 + z**2", [object()]), ValueError, "3 (x, y, z)"),
]


@pytest.mark.parametrize("call, kind, fragment", BAD)
def test_bad_input_is_one_clear_error(call, kind, fragment):
    with pytest.raises(kind, match=fragment.replace("(", r"\(").replace(")", r"\)")) as info:
        call()
    assert "\n" not in str(info.value)


def test_trajectories_rejects_a_run_of_the_wrong_dimension():
    q = rbo.losses.quadratic(np.diag([1.0, 4.0]))
    run2 = rbo.run(q, rbo.sgd(0.1), np.array([1.0, 1.0]), 3)
    with pytest.raises(ValueError, match="has parameters of shape"):
        rplot.trajectories(PARABOLA, [run2])
