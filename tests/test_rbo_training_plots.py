"""rbo._training_plots: the figures of ``rbo compare`` draw on a given Axes and tell every
optimizer apart."""

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

import rbo
from rbo import CONTENDERS
from rbo._training_plots import _colors, plot_curves, plot_sharpness


@pytest.fixture(scope="module")
def comparison():
    return rbo.compare(rbo.data.digits(seed=0), rbo.nn.logistic(64, 10), optimizers=list(CONTENDERS),
                       budget=40, seeds=2, tune=False, sharpness_points=0, progress=False,
                       hyper={"rbo-paper": {**CONTENDERS["rbo-paper"].defaults, "paper_steps": 5}})


def test_every_contender_has_its_own_colour():
    # nine optimizers drawn on one Axes: a colour used twice makes two curves one
    colours = _colors()
    assert set(colours) == set(CONTENDERS)
    assert len({to_rgb(c) for c in colours.values()}) == len(CONTENDERS)


def test_curves_draw_one_line_per_optimizer_on_the_given_axes(comparison):
    ax = Figure().subplots()
    assert plot_curves(comparison, "evals", "test_acc", ax=ax) is ax
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == set(CONTENDERS)
    assert len({to_rgb(line.get_color()) for line in lines.values()}) == len(CONTENDERS)
    # the curve is the mean over the seeds at the evaluation points
    runs = comparison.runs[("sgd", 0.0)]
    xs, ys = lines["sgd"].get_data()
    assert np.allclose(ys, np.mean([r.points.test_acc for r in runs], axis=0))
    assert np.allclose(xs, np.mean([r.points.evals for r in runs], axis=0))


def test_bad_axes_names_are_refused(comparison):
    with pytest.raises(ValueError, match="x must be"):
        plot_curves(comparison, "steps", "test_acc")


def test_sharpness_panel_returns_its_axes(comparison):
    ax = Figure().subplots()
    assert plot_sharpness(comparison, "sgd", ax=ax) is ax
