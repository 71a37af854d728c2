"""The optimizer code path is array-API only: identical runs on NumPy and array_api_strict."""
import numpy as np
import pytest

import rbo

xps = pytest.importorskip("array_api_strict")

CASES = [
    ("rbo newton", lambda: rbo.rolling_ball(0.1, 0.4, solver="newton")),
    ("rbo newton exact-hessian", lambda: rbo.rolling_ball(0.1, 0.4, hessian="exact")),
    ("rbo newton-cg", lambda: rbo.rolling_ball(0.1, 0.4, dense_max=1)),
    ("rbo gauss-newton", lambda: rbo.rolling_ball(0.1, 0.4, solver="gauss-newton")),
    ("rbo anderson", lambda: rbo.rolling_ball(0.1, 0.4, solver="anderson")),
    ("rbo newton-cg rtol cap", lambda: rbo.rolling_ball(0.1, 0.4, dense_max=1, rtol=1e-3, max_evals=6)),
    ("rbo paper", lambda: rbo.rolling_ball(0.1, 0.4, solver="paper", paper_steps=10)),
    ("rbo distance", lambda: rbo.rolling_ball(0.1, 0.4, variant="distance")),
    ("rbo schedules", lambda: rbo.rolling_ball(rbo.schedules.cosine(0.2, 5, 0.05), rbo.schedules.linear(0.5, 0.1, 5))),
    ("sgd nesterov", lambda: rbo.sgd(0.1, momentum=0.9, nesterov=True)),
    ("sam", lambda: rbo.sam(0.1, 0.05)),
    ("entropy-sgd", lambda: rbo.entropy_sgd(0.1, inner_steps=3, noise=1e-2, seed=3)),
]


@pytest.mark.parametrize("name, make", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("loss", ["quadratic", "sines"])
def test_numpy_and_strict_identical(name, make, loss):
    obj = (rbo.losses.quadratic(np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 3.0]]))
           if loss == "quadratic" else rbo.losses.sines(3))
    th = np.array([0.7, -0.4, 1.1])
    a = rbo.run(obj, make(), th, 6, on_failure="ignore")
    b = rbo.run(obj, make(), xps.asarray(th), 6, on_failure="ignore")
    assert b.theta.__class__.__module__.startswith("array_api_strict")
    for field in ("theta", "centre", "loss", "grad_norm", "evals", "residual"):
        np.testing.assert_array_equal(np.asarray(getattr(a, field)), np.from_dlpack(getattr(b, field)), err_msg=field)
    assert a.converged == b.converged


def test_cupy_matches_numpy():
    cp = pytest.importorskip("cupy")
    try:
        if cp.cuda.runtime.getDeviceCount() < 1:
            pytest.skip("no CUDA device")
    except Exception:  # noqa: BLE001 - any CUDA runtime failure means no usable device
        pytest.skip("no CUDA device")
    obj = rbo.losses.sines(3)
    th = np.array([0.7, -0.4, 1.1])
    for make in (lambda: rbo.rolling_ball(0.1, 0.4), lambda: rbo.sam(0.1, 0.05)):
        a = rbo.run(obj, make(), th, 6)
        b = rbo.run(obj, make(), cp.asarray(th), 6)
        assert isinstance(b.theta, cp.ndarray)
        np.testing.assert_allclose(np.asarray(a.theta), cp.asnumpy(b.theta), rtol=1e-12, atol=1e-14)
