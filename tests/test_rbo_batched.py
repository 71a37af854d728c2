"""rbo.run_batched: the same trajectories as rbo.run ball by ball, bit for bit (the batched
footpoint solver and rbo's single-point solver follow the same rules; the global certificates
sample one lattice whatever the batch), and its input checks."""

import numpy as np
import pytest

import rbo


@pytest.mark.parametrize("loss, starts, lr, radii", [
    (rbo.losses.sine(), [0.3, 2.0, -1.0], 0.1, [0.3, 1.5, 3.0]),
    (rbo.losses.riemann(), [1.0, 1.0, 1.0, 1.0], 0.01, [0.01, 0.05, 0.2, 1.0]),
    (rbo.losses.multiscale(), [[2.0, 1.5], [-1.0, 0.5]], 0.1, [0.2, 0.6]),
])
@pytest.mark.parametrize("solver", ["newton", "gauss-newton", "paper"])
def test_batched_equals_run(loss, starts, lr, radii, solver):
    starts = np.asarray(starts, dtype=float)
    steps = 25
    bt = rbo.run_batched(loss, starts, lr=lr, radius=np.asarray(radii), steps=steps, solver=solver)
    for i, radius in enumerate(radii):
        x0 = starts[i].reshape(-1)
        tr = rbo.run(loss, rbo.rolling_ball(lr, radius, solver=solver), x0, steps,
                     on_failure="ignore")
        assert np.array_equal(bt.theta[:, i].reshape(steps + 1, -1), np.asarray(tr.theta))
        assert np.array_equal(bt.evals[:, i], np.asarray(tr.evals))
        assert np.array_equal(bt.converged[1:, i], np.asarray(tr.converged[1:]))


def test_bad_input():
    obj = rbo.losses.sine()
    with pytest.raises(ValueError, match="one per ball"):
        rbo.run_batched(obj, np.zeros(3), lr=np.ones(2), radius=1.0, steps=1)
    with pytest.raises(ValueError, match="steps"):
        rbo.run_batched(obj, np.zeros(3), lr=0.1, radius=1.0, steps=2.5)
    with pytest.raises(ValueError, match="solver"):
        rbo.run_batched(obj, np.zeros(3), lr=0.1, radius=1.0, steps=1, solver="exact")
