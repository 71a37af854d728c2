"""rbo figures: the quick run writes every file the issue names; each figure's data is checked
against an independent computation (closed forms, brute force written here); resuming skips
what is done; bad input is one line and exit code 2."""

import contextlib
import io
import json
import math
import re
import shutil

import numpy as np
import pytest
from scipy.optimize import minimize, minimize_scalar

import offsetgeo
import rbo
from rbo.cli import main
from rbo.figures import FIGURES, FigureResult, figure, make, new_figure

NAMES = ["rbo_step", "riemann_trajectories", "ironing", "exploration", "height_decay",
         "unreachable_sets", "medial_axis", "surface_2d", "weak_ironing", "linear_ironing",
         "strong_ironing", "phase_transition", "sharp_minima", "rbo_stability", "rbo_first_order"]
TWO_PI = 2 * math.pi


def _strict(text):
    def refuse(name):
        raise ValueError(f"non-strict JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("figures")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["figures", "--quick", "--out", str(out)])
    data = {name: _strict((out / f"{name}.json").read_text()) for name in NAMES}
    return out, code, buf.getvalue(), data


# ------------------------------------------------------------------------ brute force


def brute_argmin_1d(dist2, lo, hi, samples=200_001):
    """Global minimiser of a 1-D function by a dense grid, polished by golden section."""
    x = np.linspace(lo, hi, samples)
    i = int(np.argmin(dist2(x)))
    h = x[1] - x[0]
    return minimize_scalar(dist2, bounds=(x[i] - h, x[i] + h), method="bounded",
                           options={"xatol": 1e-13}).x


def riemann(x, terms=100):
    n2 = np.arange(1, terms + 1) ** 2
    arg = np.multiply.outer(np.asarray(x, dtype=float), n2)
    return (np.sin(arg) / n2).sum(-1), np.cos(arg).sum(-1)


def brute_offset_sin(x, rho, dphi=2e-4):
    """h_ρ(x) = max_φ sin φ + √(ρ² − (x − φ)²) on a dense φ grid (error ≤ dphi²/8 · F'')."""
    phi = x + np.arange(-rho, rho + dphi / 2, dphi)
    return float(np.max(np.sin(phi) + np.sqrt(np.clip(rho * rho - (phi - x) ** 2, 0, None))))


def brute_closing_periodic(v, h, rho):
    """Grey-scale closing of periodic samples by a ball of radius ρ, O(n ρ/h)."""
    w = int(rho / h)
    ks = np.arange(-w, w + 1)
    cap = np.sqrt(np.clip(rho * rho - (ks * h) ** 2, 0, None))
    dil = np.full(v.shape, -np.inf)
    for k, c in zip(ks, cap):
        dil = np.maximum(dil, np.roll(v, -k) + c)
    clo = np.full(v.shape, np.inf)
    for k, c in zip(ks, cap):
        clo = np.minimum(clo, np.roll(dil, -k) - c)
    return clo


# ------------------------------------------------------------------------ files, report


def test_every_file_progress_and_report(made):
    out, code, stdout, data = made
    assert code == 0
    for name in NAMES:
        assert (out / f"{name}.png").stat().st_size > 10_000
        record = data[name]
        assert record["name"] == name and record["caption"] and record["settings"]["quick"]
    lines = stdout.strip().splitlines()
    progress = [re.match(r"\[\s*(\d+)/(\d+)\]\s+(\S+)\s+[\d.]+ s ", ln) for ln in lines
                if ln.startswith("[")]
    assert [m.group(3) for m in progress] == NAMES
    assert all(m.group(2) == str(len(NAMES)) for m in progress)
    assert lines[-1].startswith(f"report: {out / 'report.html'}")
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == len(NAMES)
    assert "src=\"http" not in html and "phase-transition" in html
    md = (out / "report.md").read_text()
    assert all(f"![{name}]({name}.png)" in md for name in NAMES) and "sharp-minima" in md
    assert not list(out.glob("*.part"))


def test_json_holds_what_the_issue_names(made):
    data = {name: rec["data"] for name, rec in made[3].items()}
    assert {"theta0", "theta1", "theta1_paper", "centre", "candidate"} <= set(data["rbo_step"])
    rz = data["riemann_trajectories"]
    assert rz["rho"][0] == 0 and sum(r > 0 for r in rz["rho"]) >= 4
    assert len(rz["trajectories"]) == len(rz["rho"])
    assert {"rho", "oscillation"} <= set(data["height_decay"])
    assert all(len(run["theta"]) == data["ironing"]["steps"] + 1 for run in data["ironing"]["runs"])
    assert all({"start", "end", "final_loss", "basin"} <= set(run)
               for run in data["exploration"]["runs"])
    assert all("intervals" in s for s in data["unreachable_sets"]["sets"])
    assert data["medial_axis"]["upper"]["branches"] and data["medial_axis"]["lower"]["branches"]
    assert data["surface_2d"]["radii"] and all("measure" in m and "bounding_box" in m
                                               for m in data["surface_2d"]["masks"])
    for name in ("weak_ironing", "linear_ironing", "strong_ironing", "phase_transition",
                 "sharp_minima"):
        assert all({"radii", "measured", "bound"} <= set(c) for c in data[name]["cases"])


def test_nonfinite_numbers_are_null_and_recorded(made):
    """The last centre of an RBO run is not computed (NaN): null, with its kind recorded
    under its path (the toolkit's one JSON rule)."""
    record = made[3]["riemann_trajectories"]
    last = len(record["data"]["trajectories"][1]["centre"]) - 1
    assert record["data"]["trajectories"][1]["centre"][last] == [None, None]
    for axis in (0, 1):
        assert record["nonfinite"][f"data.trajectories.1.centre.{last}.{axis}"] == "nan"
    assert all(kind in ("nan", "inf", "-inf") for kind in record["nonfinite"].values())


# ------------------------------------------------------------- data against brute force


def test_rbo_step_against_brute_force_and_the_authors_loop(made):
    d = made[3]["rbo_step"]["data"]
    theta0, rho, lr = 1.8, 0.2, 0.3
    slope = 2 * (theta0 - 1)
    s = math.hypot(1, slope)
    centre = np.array([theta0 - rho * slope / s, (theta0 - 1) ** 2 + rho / s])
    candidate = centre - lr * np.array([slope, slope**2])
    assert np.allclose(d["centre"], centre, atol=1e-14)
    assert np.allclose(d["candidate"], candidate, atol=1e-14)
    x, y = candidate
    brute = brute_argmin_1d(lambda p: (p - x) ** 2 + ((p - 1) ** 2 - y) ** 2, -1.0, 3.0)
    assert d["theta1"] == pytest.approx(brute, abs=1e-9)
    phi = theta0
    for _ in range(100):                       # the authors' loop, written out
        phi -= 1e-3 * ((phi - x) + ((phi - 1) ** 2 - y) * 2 * (phi - 1))
    assert d["theta1_paper"] == pytest.approx(phi, abs=1e-12)
    # the seeds drew θ1 = 1.41: the footpoint of c0 − η(1, f'), their drawing code's candidate
    sx, sy = centre - lr * np.array([1.0, slope])
    seed = brute_argmin_1d(lambda p: (p - sx) ** 2 + ((p - 1) ** 2 - sy) ** 2, -1.0, 3.0)
    assert d["seed_candidate_footpoint"] == pytest.approx(seed, abs=1e-9)
    assert round(seed, 2) == d["drawn_theta1"] == 1.41


def test_height_decay_plateau_and_value_at_five(made):
    d = made[3]["height_decay"]["data"]
    rho, osc = np.array(d["rho"]), np.array(d["oscillation"])
    assert set([0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]) <= set(rho.tolist())
    # plateau: a ball of radius ≤ 1 = 1/κ(3π/2) reaches the trough, osc = 2 exactly
    assert np.all(np.abs(osc[rho <= 1.0] - 2.0) <= 1e-9)
    for r in (0.5, 1.0, 5.0):
        brute = brute_offset_sin(math.pi / 2, r) - brute_offset_sin(3 * math.pi / 2, r)
        assert osc[rho == r][0] == pytest.approx(brute, abs=2e-7)
    ratio = osc[rho == 5.0][0] / (math.pi**2 / 10)
    assert 0.875 < ratio < 0.885                         # docs/math.md: "about 0.88" at ρ = 5
    assert np.all(np.diff(osc[np.argsort(rho)]) <= 1e-12)


def test_unreachable_sets_against_a_brute_force_closing(made):
    d = made[3]["unreachable_sets"]["data"]
    n = 8192
    h = TWO_PI / n
    x = h * np.arange(n)
    v = np.sin(x) + 0.3 * np.sin(5 * x)
    L, K = 2.5, 8.5                                        # sup|f'|, sup|f''|
    for entry in d["sets"]:
        rho = entry["rho"]
        gap = brute_closing_periodic(v, h, rho) - v
        eps = (K + (1 + L * L) ** 1.5 / rho) * h * h / 4 + L * h   # sampling error bound
        inside = np.zeros(n, dtype=bool)
        for lo, hi in entry["intervals"]:
            inside |= ((x > lo) & (x < hi)) | ((x + TWO_PI > lo) & (x + TWO_PI < hi))
        assert not np.any(gap[~inside] > 2 * eps), rho   # outside U_ρ: reachable
        assert np.all(inside[gap > 2 * eps]), rho        # certified unreachable: inside U_ρ
        if rho < d["rho_c"]:
            assert entry["intervals"] == []
        if rho >= 2 * d["rho_c"]:               # the checks above are not vacuous here
            assert inside[gap > 2 * eps].sum() > 0.5 * inside.sum()


def test_surface_2d_mask_against_the_definition(made):
    """θ is ρ-unreachable iff the ball at p(θ) + ρ n(θ) contains graph points: brute force."""
    m = next(e for e in made[3]["surface_2d"]["data"]["masks"] if e["rho"] == 0.5)
    gx, gy = (np.array(a) for a in m["grid"])
    mask = np.array(m["mask"], dtype=bool)

    def f(x, y):
        return np.sin(x) * np.cos(y) + 0.2 * np.sin(3 * x)

    rho, step = 0.5, 0.01
    u = np.arange(-rho, rho + step / 2, step)
    du, dv = (a.ravel() for a in np.meshgrid(u, u, indexing="ij"))
    disk = du**2 + dv**2 <= rho * rho
    du, dv = du[disk], dv[disk]
    bad = 0
    for i, x in enumerate(gx):
        y = gy
        fx = np.cos(x) * np.cos(y) + 0.6 * np.cos(3 * x)
        fy = -np.sin(x) * np.sin(y)
        s = np.sqrt(1 + fx**2 + fy**2)
        cx, cy, cz = x - rho * fx / s, y - rho * fy / s, f(x, y) + rho / s
        px, py = cx[:, None] + du, cy[:, None] + dv
        dist = np.sqrt(du**2 + dv**2 + (f(px, py) - cz[:, None]) ** 2).min(axis=1)
        clear = np.abs(dist - rho) > 2e-3          # decided by the brute force
        bad += int(np.sum(mask[i][clear] != (dist[clear] < rho)))
    assert bad == 0


def test_medial_axis_points_are_centres_of_maximal_balls(made):
    d = made[3]["medial_axis"]["data"]
    phi = np.linspace(0, TWO_PI, 400_001)
    gphi = np.sin(phi) + 0.3 * np.sin(5 * phi)
    for side, sign in (("upper", 1.0), ("lower", -1.0)):
        for branch in d[side]["branches"]:
            centre, radius, feet = (np.array(branch[k]) for k in ("centre", "radius", "footpoints"))
            for k in range(0, len(radius), max(1, len(radius) // 4)):
                c, r = centre[k], radius[k]
                for t in feet[k]:
                    p = np.array([t, math.sin(t) + 0.3 * math.sin(5 * t)])
                    assert np.linalg.norm(c - p) == pytest.approx(r, abs=1e-7)
                if r < 3:
                    nearest = np.sqrt((phi - c[0]) ** 2 + (gphi - c[1]) ** 2).min()
                    assert nearest >= r - 1e-6 and nearest <= r + 1e-4
                assert sign * (c[1] - (math.sin(c[0]) + 0.3 * math.sin(5 * c[0]))) > 0
    assert d["upper"]["reach"] == pytest.approx(1 / 8.5, abs=1e-9)


def test_riemann_steps_are_exact_projections(made):
    d = made[3]["riemann_trajectories"]["data"]
    lr, x0 = d["lr"], d["x0"]
    checked = 0
    for traj in d["trajectories"]:
        rho = traj["rho"]
        theta = np.array(traj["theta"])[:, 0]
        if rho == 0:
            value, grad = riemann(theta[:-1])
            assert np.allclose(theta[1:], theta[:-1] - lr * grad, atol=1e-12)
            continue
        # the run starts with the ball resting on Γ above x0
        assert traj["centre"][0][0] == pytest.approx(x0, abs=1e-8)
        for t in range(len(theta) - 1):
            value, g = riemann(theta[t])
            s = math.hypot(1, g)
            cx, cy = theta[t] - rho * g / s - lr * g, value + rho / s - lr * g * g
            v1, _ = riemann(theta[t + 1])
            dist = math.hypot(theta[t + 1] - cx, v1 - cy)
            if dist > 0.05:
                continue                      # brute force only where the window is small
            brute = brute_argmin_1d(lambda p: (p - cx) ** 2 + (riemann(p)[0] - cy) ** 2,
                                    cx - dist - 1e-3, cx + dist + 1e-3, samples=100_001)
            assert theta[t + 1] == pytest.approx(brute, abs=1e-7)
            checked += 1
            if checked % 3 == 0:
                break
    assert checked >= 6


def test_ironing_step_is_an_exact_projection(made):
    run = next(r for r in made[3]["ironing"]["data"]["runs"] if r["rho"] == 1.0)
    lr, rho = made[3]["ironing"]["data"]["lr"], 1.0
    theta = np.array(run["theta"])

    def f(p):
        return 0.1 * (p[..., 0] ** 2 + p[..., 1] ** 2) + 0.02 * np.sin(12 * p[..., 0]) * \
            np.sin(12 * p[..., 1])

    def grad(p):
        return np.array([0.2 * p[0] + 0.24 * np.cos(12 * p[0]) * np.sin(12 * p[1]),
                         0.2 * p[1] + 0.24 * np.sin(12 * p[0]) * np.cos(12 * p[1])])

    for t in (0, 1, 2):
        g = grad(theta[t])
        s = math.sqrt(1 + g @ g)
        c = np.append(theta[t] - rho * g / s, f(theta[t]) + rho / s) - lr * np.append(g, g @ g)
        dist = math.sqrt(np.sum((theta[t + 1] - c[:2]) ** 2) + (f(theta[t + 1]) - c[2]) ** 2)
        axes = [np.arange(c[i] - dist - 0.01, c[i] + dist + 0.01, 2e-3) for i in (0, 1)]
        grid = np.stack(np.meshgrid(*axes, indexing="ij"), -1)
        d2 = np.sum((grid - c[:2]) ** 2, -1) + (f(grid) - c[2]) ** 2
        start = grid[np.unravel_index(np.argmin(d2), d2.shape)]
        res = minimize(lambda p: np.sum((p - c[:2]) ** 2) + (f(p) - c[2]) ** 2, start,
                       method="Nelder-Mead", options={"xatol": 1e-11, "fatol": 1e-15})
        assert np.allclose(theta[t + 1], res.x, atol=1e-6)


def test_exploration_runs_end_where_they_say(made):
    d = made[3]["exploration"]["data"]
    E = rbo.losses.exploration().function
    for run in d["runs"]:
        theta = np.array(run["theta"])[:, 0]
        assert run["start"] == theta[0] and run["end"] == theta[-1]
        assert run["final_loss"] == pytest.approx(float(E.value(run["end"])), abs=1e-12)
        assert run["basin"].startswith("deep" if run["end"] > d["barrier"] else "shallow")
    assert d["shallow_minimum"] < d["barrier"] < d["deep_minimum"]


def test_theorem_figures_against_closed_forms_and_exact_offsets(made):
    data = {name: made[3][name]["data"] for name in ("weak_ironing", "phase_transition",
                                                      "sharp_minima", "linear_ironing")}
    sin = offsetgeo.Function("sin(x)", period="2*pi")
    weak = data["weak_ironing"]["cases"][0]
    for rho, meas, tol in zip(weak["radii"], weak["measured"], weak["tolerance"]):
        # sup|h − ρ − 1| = 1 + ρ − h(3π/2) for sin: the exact offset in the trough
        exact = 1 + rho - offsetgeo.offset_height(sin, 3 * math.pi / 2, rho)
        assert meas == pytest.approx(exact, abs=tol)
    phase = data["phase_transition"]["cases"][0]
    for rho, osc, tol in zip(phase["radii"], phase["measured"], phase["tolerance"]):
        exact = 1 + rho - offsetgeo.offset_height(sin, 3 * math.pi / 2, rho)
        assert osc == pytest.approx(exact, abs=tol)
    # 0.5x² + 4.5y²: the ball on the minimum meets the sharp parabola 4.5y² at distance
    # √(2ρ/λ − 1/λ²) (λ = 9) once ρλ > 1: the penetration in closed form
    quad = data["sharp_minima"]["cases"][1]
    for rho, meas in zip(quad["radii"], quad["measured"][0]):
        closed = rho - math.sqrt(2 * rho / 9 - 1 / 81) if rho * 9 > 1 else 0.0
        assert meas == pytest.approx(closed, abs=1e-9)
    # linear ironing, f = x/2, φ = sin 3x: ρ·δ(ρ) → s³D²/2 with s = √(5/4), D = π/3
    lin = data["linear_ironing"]["cases"][0]
    limit = (1.25) ** 1.5 * (math.pi / 3) ** 2 / 2
    assert lin["radii"][-1] * lin["measured"][-1] == pytest.approx(limit, rel=0.05)


# ------------------------------------------------------------------ resume, errors, API


def test_rerun_skips_up_to_date_figures_and_force_remakes(made, tmp_path):
    for suffix in ("png", "json"):
        shutil.copy(made[0] / f"rbo_step.{suffix}", tmp_path / f"rbo_step.{suffix}")
    assert make(tmp_path, names=["rbo_step"], quick=True).made[0].skipped
    pdf = make(tmp_path, names=["rbo_step"], quick=True, formats="png,pdf")
    assert not pdf.made[0].skipped and (tmp_path / "rbo_step.pdf").is_file()
    assert make(tmp_path, names=["rbo_step"], quick=True, formats="pdf").made[0].skipped
    # made by other code (or other settings): not up to date
    record = json.loads((tmp_path / "rbo_step.json").read_text())
    record["settings"]["source"] = "older figure code"
    (tmp_path / "rbo_step.json").write_text(json.dumps(record))
    assert not make(tmp_path, names=["rbo_step"], quick=True).made[0].skipped
    assert not make(tmp_path, names=["rbo_step"], quick=True, force=True).made[0].skipped


def test_interrupt_keeps_finished_figures(tmp_path, capsys):
    @figure("finished first", name="zz_first")
    def zz_first(quick):
        fig, ax = new_figure()
        ax.plot([0, 1], [1, 0])
        return FigureResult(fig, {"x": [0, 1]}, "A line.")

    @figure("interrupted", name="zz_second")
    def zz_second(quick):
        raise KeyboardInterrupt

    try:
        with pytest.raises(KeyboardInterrupt):
            make(tmp_path, names=["zz_first", "zz_second"], progress=True)
    finally:
        del FIGURES["zz_first"], FIGURES["zz_second"]
    assert (tmp_path / "zz_first.png").is_file() and (tmp_path / "zz_first.json").is_file()
    assert not list(tmp_path.glob("*.part")) and not (tmp_path / "zz_second.json").exists()
    assert "rerun the same command" in capsys.readouterr().out


@pytest.mark.parametrize("argv, fragment", [
    (["--only", "no_such_figure"], "unknown figure"),
    (["--only", "rbo_step", "--format", "gif"], "unknown image format"),
])
def test_cli_errors_are_one_line_and_exit_2(tmp_path, capsys, argv, fragment):
    assert main(["figures", "--out", str(tmp_path)] + argv) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and "\n" not in err and err.startswith("rbo figures: error:")


def test_cli_out_must_be_a_directory(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["figures", "--out", str(target), "--only", "rbo_step"]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_cli_lists_the_figures(capsys):
    assert main(["figures", "--list"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == list(FIGURES) and names[:len(NAMES)] == NAMES


def test_registry_rejects_a_second_figure_of_the_same_name():
    with pytest.raises(ValueError, match="already registered"):
        figure("again", name="rbo_step")(lambda quick: None)
