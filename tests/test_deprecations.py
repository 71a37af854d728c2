"""Renamed public names keep a deprecated alias for one release, with a DeprecationWarning."""

import numpy as np
import pytest

import offsetgeo
import rbo


@pytest.mark.parametrize("old, name", [
    ("offsetgeo.projection", "footpoint"), ("offsetgeo.projection", "NonConvergenceWarning"),
    ("offsetgeo.curvature", "local_critical_radius"), ("offsetgeo.morphology", "hemisphere_closing"),
    ("offsetgeo.expression", "parse_expression"), ("offsetgeo.medial", "medial_axis"),
    ("offsetgeo.reachability", "unreachable_set"), ("offsetgeo.offset", "ironed"),
    ("offsetgeo.function", "Function"), ("rbo.footpoint", "solve_footpoint"),
    ("rbo.objective", "ArrayObjective"), ("rbo.run", "Trajectory"),
    ("rbo.rolling_ball", "RollingBallState"), ("rbo.batched", "run_batched"),
])
def test_old_module_paths(old, name):
    with pytest.warns(DeprecationWarning, match=name):
        obj = getattr(__import__(old, fromlist=[name]), name)
    assert obj is getattr(offsetgeo if old.startswith("offsetgeo") else rbo, name)


def test_old_paths_do_not_shadow_functions():
    __import__("offsetgeo.projection")
    assert callable(offsetgeo.reach) and callable(rbo.run) and callable(rbo.objective)


def test_renamed_attributes():
    with pytest.warns(DeprecationWarning, match="ConvergenceError"):
        assert rbo.FootpointNotConverged is offsetgeo.ConvergenceError
    err = offsetgeo.ConvergenceError("x", result=3)
    with pytest.warns(DeprecationWarning, match="result"):
        assert err.trajectory == 3
    r = offsetgeo.local_critical_radius(lambda t: 2 * t, np.zeros(3), rng=0)
    with pytest.warns(DeprecationWarning, match="evals"):
        assert r.hvp_evaluations == r.iterations
    with pytest.warns(DeprecationWarning, match="evals"):
        assert r.gradient_evaluations == 2 * r.iterations + 1
    ext = offsetgeo.max_curvature("sin(x)", window=(0, 1))
    with pytest.warns(DeprecationWarning, match="evals"):
        assert ext.evaluations == ext.evals


@pytest.mark.parametrize("call, old, new", [
    (lambda **k: offsetgeo.unreachable_set("sin(x)", 2.0, window=(0, 6.3), **k),
     {"resolution": 64}, {"samples_per_axis": 64}),
    (lambda **k: offsetgeo.medial_axis("x**2", window=(-1, 1), **k),
     {"resolution": 16}, {"samples_per_axis": 16}),
    (lambda **k: offsetgeo.reach("x**2", window=(-1, 1), method="curvature", **k),
     {"rtol": 1e-3}, {"agreement_rtol": 1e-3}),
    (lambda **k: offsetgeo.local_critical_radius(lambda t: 2 * t, np.zeros(2), rng=0, **k),
     {"tol": 1e-8}, {"rtol": 1e-8}),
    (lambda **k: offsetgeo.offset_height("x**2", rho=0.5, **k), {"xs": [0.0]}, {"thetas": [0.0]}),
    (lambda **k: offsetgeo.ironed("x**2", [0.0], 1.0, **k), {"samples": 65},
     {"samples_per_axis": 65}),
])
def test_renamed_keywords(call, old, new):
    with pytest.warns(DeprecationWarning, match=list(new)[0]):
        a = call(**old)
    b = call(**new)
    assert repr(a) == repr(b)
    with pytest.raises(TypeError, match="both"):
        call(**old, **new)


def test_run_on_unconverged():
    obj, opt = rbo.losses.sines(1), rbo.rolling_ball(0.3, 0.5, solver="gauss-newton", max_iter=1)
    with pytest.warns(DeprecationWarning, match="on_failure"):
        tr = rbo.run(obj, opt, np.array([0.3]), 3, on_unconverged="ignore")
    assert tr.steps == 3
