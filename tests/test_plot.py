"""offsetgeo.plot: every picture renders (Agg, PNG and PDF), draws the library's numbers, and
rejects bad input with one clear message; the dense-sample curves keep their error bounds."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

import offsetgeo  # noqa: E402
import offsetgeo.plot as gplot  # noqa: E402
from offsetgeo.plot._sampled import envelope  # noqa: E402

from conftest import periodic_functions_1d  # noqa: E402

WIGGLY = offsetgeo.Function("sin(x) + 0.3*sin(5*x)", period="2*pi")
SURF = offsetgeo.Function("sin(x)*cos(y) + 0.2*sin(3*x)", period="2*pi")
PERIOD = (0.0, 2 * math.pi)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _save_both(ax, tmp_path, name):
    """Render to PNG and PDF; the PDF keeps its text as text (embedded TrueType fonts)."""
    for fmt in ("png", "pdf"):
        ax.figure.savefig(tmp_path / f"{name}.{fmt}")
    assert (tmp_path / f"{name}.png").stat().st_size > 5_000
    pdf = (tmp_path / f"{name}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf


def _legend_outside(ax):
    """The legend's box and the axes' box do not overlap (it cannot hide data)."""
    ax.figure.canvas.draw()
    legend = ax.get_legend()
    assert legend is not None
    box = legend.get_window_extent()
    frame = ax.get_window_extent()
    assert box.y0 >= frame.y1 - 1 or box.x0 >= frame.x1 - 1


# ---------------------------------------------------------------------------- rendering

ONE_D = [
    ("graph", lambda ax: gplot.graph(WIGGLY, ax=ax)),
    ("graph_and_offset", lambda ax: gplot.graph_and_offset(WIGGLY, [0.3, 1.0], ax=ax)),
    ("unreachable", lambda ax: gplot.unreachable(WIGGLY, [0.1, 0.3, 1.0], ax=ax)),
    ("medial_axis", lambda ax: gplot.medial_axis(WIGGLY, "both", ax=ax)),
    ("radius_sweep", lambda ax: gplot.radius_sweep([1.0, 2.0, 5.0], [2.0, 1.5, 0.9], ax=ax,
                                                   reference=lambda r: 4.93 / r,
                                                   label="osc", reference_label="π²/2ρ")),
]


@pytest.mark.parametrize("name, draw", ONE_D, ids=[n for n, _ in ONE_D])
def test_one_d_pictures_render(tmp_path, name, draw):
    with gplot.style():
        fig, ax = plt.subplots()
        assert draw(ax) is ax
        _save_both(ax, tmp_path, name)


def test_surface_renders_with_sets_and_ironed(tmp_path):
    with gplot.style():
        ax = gplot.surface(SURF, rho=[0.5, 1.5], samples_per_axis=41)
        _save_both(ax, tmp_path, "surface")
        _legend_outside(ax)
        ax = gplot.surface(SURF, rho=1.0, ironed=True, unreachable=False, samples_per_axis=41)
        _save_both(ax, tmp_path, "surface_ironed")


def test_axes_created_when_absent_and_labelled():
    with gplot.style():
        ax = gplot.graph_and_offset("x**2", 0.4, window=(-1, 1))
    assert ax.get_xlabel() == gplot.SYMBOLS["theta"] and "height" in ax.get_ylabel()
    _legend_outside(ax)


def test_style_sets_paper_defaults_and_restores_them():
    before = matplotlib.rcParams["font.size"]
    with gplot.style():
        assert matplotlib.rcParams["figure.figsize"] == [gplot.COLUMN_WIDTH, 2.5]
        assert matplotlib.rcParams["pdf.fonttype"] == 42
        colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
        assert [c.upper() for c in colours] == list(gplot.PALETTE)
    assert matplotlib.rcParams["font.size"] == before
    with pytest.raises(ValueError, match="unknown matplotlib rcParams"):
        with gplot.style(figure_size=(1, 1)):
            pass


def test_palette_is_okabe_ito_without_black():
    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    assert set(gplot.PALETTE) == okabe_ito and gplot.GRAPH_COLOUR == "#000000"


def test_log_ticks_are_plain_numbers():
    with gplot.style():
        ax = gplot.radius_sweep([3.0, 6.0, 12.0, 50.0, 100.0], [1.0, 0.5, 0.25, 0.06, 0.03])
        ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert labels and all("\\times" not in t and "^" not in t for t in labels)
    assert {"5", "10", "20", "50", "100"} <= set(labels)


# ------------------------------------------------------------------ what is drawn is right


def test_unreachable_bands_are_the_library_intervals():
    rhos = [0.3, 1.2]
    with gplot.style():
        ax = gplot.unreachable(WIGGLY, rhos, window=PERIOD)
    for band, rho in zip(ax.collections, rhos):
        U = offsetgeo.unreachable_set(WIGGLY, rho, window=PERIOD)
        # one rectangle per piece of U_ρ in data coordinates (a wrapped one split in two)
        width = sum(np.ptp(p.vertices[:, 0]) for p in band.get_paths())
        assert width == pytest.approx(U.measure, abs=1e-9)


def test_graph_and_offset_draws_the_exact_offset():
    with gplot.style():
        ax = gplot.graph_and_offset(WIGGLY, [0.5], window=PERIOD)
    offset_line = ax.get_lines()[1]
    x, y = offset_line.get_data()
    pick = np.linspace(0, len(x) - 1, 15).astype(int)
    exact = offsetgeo.offset_height(WIGGLY, x[pick], 0.5)
    curves = gplot.offset_curves(WIGGLY, 0.5, window=PERIOD)
    assert np.all(exact - y[pick] >= -1e-12)
    assert np.all(exact - y[pick] <= curves.offset_error[0] + 1e-12)


def test_offset_curves_within_their_error_bounds():
    """Dense-sample morphology against the exact offset and ironed function at chosen points."""
    c = gplot.offset_curves(WIGGLY, [0.2, 0.8], window=PERIOD)
    pick = np.linspace(0, c.x.size - 1, 9).astype(int)
    for k, rho in enumerate(c.rho):
        exact_h = offsetgeo.offset_height(WIGGLY, c.x[pick], rho)
        # samples only lower the dilation: 0 <= exact - sampled <= bound
        assert np.all(exact_h - c.offset[k, pick] >= -1e-12)
        assert np.all(exact_h - c.offset[k, pick] <= c.offset_error[k] + 1e-12)
        exact_fbar = offsetgeo.ironed(WIGGLY, c.x[pick], rho)
        assert np.all(np.abs(exact_fbar - c.ironed[k, pick]) <= c.ironed_error[k] + 1e-12)
        assert np.all(c.ironed[k] >= c.value - 1e-15)
    assert c.periodic and c.ironed_error.max() <= 1e-3 * 2.6 * 1.0001


def test_offset_curves_closed_form_parabola():
    """x²: every point is reachable by balls of radius ρ ≤ 1/2 (f̄_ρ = f); the unit ball
    rests on x = ±√3/2 with its centre at (0, 5/4), so f̄_1(θ) = 5/4 − √(1 − θ²) there."""
    c = gplot.offset_curves("x**2", [0.4, 1.0], window=(-1, 1))
    inside = np.abs(c.x) < 0.8
    assert np.all(np.abs(c.ironed[0] - c.x**2) <= c.ironed_error[0])
    closed = 1.25 - np.sqrt(1 - c.x[inside] ** 2)
    assert np.all(np.abs(c.ironed[1, inside] - closed) <= c.ironed_error[1])
    i = int(np.argmin(np.abs(c.x)))
    assert c.offset[1, i] == pytest.approx(1.25, abs=c.offset_error[1] + 2 * abs(c.x[i]))


@settings(max_examples=10)
@given(periodic_functions_1d(), st.floats(0.05, 3.0))
def test_offset_curves_order(expr, rho):
    """f ≤ f̄_ρ ≤ h_ρ − ρ and h_ρ ≥ f + ρ (take φ = x, resp. the centre above θ), also for
    the morphology of samples, to round-off."""
    f = offsetgeo.Function(expr, period="2*pi")
    c = gplot.offset_curves(f, rho, window=PERIOD)
    scale = 1e-12 * (1 + rho + np.abs(c.value).max())
    assert np.all(c.ironed[0] >= c.value - scale)
    assert np.all(c.offset[0] >= c.value + rho - scale)
    assert np.all(c.ironed[0] <= c.offset[0] - rho + scale)


@settings(max_examples=25)
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=3000), st.integers(1, 50))
def test_envelope_keeps_every_extreme(values, bins):
    y = np.asarray(values)
    x = np.arange(y.size, dtype=float)
    xs, ys = envelope(x, y, bins)
    assert ys.max() == y.max() and ys.min() == y.min()
    assert np.all(np.diff(xs) >= 0) and len(xs) <= max(2 * bins + y.size % max(bins, 1), y.size)


def test_precomputed_results_are_drawn_and_checked():
    axes = [offsetgeo.medial_axis(WIGGLY, "upper")]
    with gplot.style():
        gplot.medial_axis(WIGGLY, "upper", precomputed=axes)
        with pytest.raises(ValueError, match="precomputed results are for side"):
            gplot.medial_axis(WIGGLY, "lower", precomputed=axes)
        sets = [offsetgeo.unreachable_set(WIGGLY, 0.5)]
        with pytest.raises(ValueError, match="precomputed results are for rho"):
            gplot.unreachable(WIGGLY, 0.7, precomputed=sets)
        curves = gplot.offset_curves(WIGGLY, [0.3], window=PERIOD)
        with pytest.raises(ValueError, match="lack some of"):
            gplot.graph_and_offset(WIGGLY, 0.4, window=PERIOD, precomputed=curves)


# --------------------------------------------------------------------------- bad input

BAD = [
    (lambda: gplot.graph_and_offset(WIGGLY, [0.5, -1.0]), ValueError, "positive and finite"),
    (lambda: gplot.graph_and_offset(WIGGLY, 0.0), ValueError, "positive and finite"),
    (lambda: gplot.graph_and_offset(WIGGLY, []), ValueError, "rhos is empty"),
    (lambda: gplot.graph_and_offset(SURF, 0.5), ValueError, "use surface instead"),
    (lambda: gplot.unreachable(SURF, 0.5), ValueError, r"has 2 \(x, y\)"),
    (lambda: gplot.unreachable(WIGGLY, []), ValueError, "rhos is empty"),
    (lambda: gplot.unreachable(WIGGLY, float("nan")), ValueError, "positive and finite"),
    (lambda: gplot.medial_axis(SURF), ValueError, "use surface instead"),
    (lambda: gplot.medial_axis(WIGGLY, side="left"), ValueError, "side must be"),
    (lambda: gplot.radius_sweep([], []), ValueError, "rhos is empty"),
    (lambda: gplot.radius_sweep([1.0, -2.0], [1, 2]), ValueError, "positive and finite"),
    (lambda: gplot.radius_sweep([1.0, 2.0], [1, 2, 3]), ValueError, "shape"),
    (lambda: gplot.surface(WIGGLY, 0.5), ValueError, "functions of 2 variable"),
    (lambda: gplot.surface(SURF, rho=-0.5), ValueError, "positive and finite"),
    (lambda: gplot.surface(SURF, rho=[], samples_per_axis=21), ValueError, "rho is empty"),
    (lambda: gplot.surface(SURF, rho=[0.5, 1.0], ironed=True), ValueError, "one radius"),
    (lambda: gplot.graph(42), TypeError, "offsetgeo.Function or an expression"),
    (lambda: gplot.graph("x**2", window=(1, 0)), ValueError, "lo < hi"),
    (lambda: gplot.graph_and_offset("x**2", "a"), TypeError, "sequence of numbers"),
    (lambda: gplot.graph_and_offset("x**2", 0.5, legend="left"), ValueError, "legend must be"),
]


@pytest.mark.parametrize("call, kind, fragment", BAD)
def test_bad_input_is_one_clear_error(call, kind, fragment):
    with pytest.raises(kind, match=fragment) as info:
        call()
    assert "\n" not in str(info.value)
