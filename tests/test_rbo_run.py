"""rbo.run: trajectory layout, stopping rules, callbacks, interruption, stochastic objectives."""
import math
import warnings

import numpy as np
import pytest

import offsetgeo
import rbo
from rbo import ArrayObjective


def test_trajectory_layout_and_costs():
    obj = rbo.losses.quadratic(np.diag([1.0, 2.0]))
    tr = rbo.run(obj, rbo.rolling_ball(0.1, 0.3), np.array([1.0, -1.0]), steps=7)
    assert tr.status == "completed" and tr.steps == 7
    assert tr.theta.shape == (8, 2) and tr.centre.shape == (8, 3)
    assert tr.loss.shape == tr.grad_norm.shape == tr.evals.shape == tr.residual.shape == (8,)
    # independent recomputation of the recorded losses, gradient norms and centres
    for t in range(8):
        th = np.asarray(tr.theta[t])
        f = 0.5 * (th[0] ** 2 + 2 * th[1] ** 2); g = np.array([th[0], 2 * th[1]])
        assert math.isclose(float(tr.loss[t]), f, rel_tol=1e-13, abs_tol=1e-15)
        assert math.isclose(float(tr.grad_norm[t]), np.linalg.norm(g), rel_tol=1e-13, abs_tol=1e-15)
        if t < 7:
            s = math.sqrt(1 + g @ g)
            assert np.allclose(tr.centre[t], np.r_[th - 0.3 * g / s, f + 0.3 / s], atol=1e-14)
    assert np.isnan(np.asarray(tr.centre[-1])).all() and math.isnan(float(tr.residual[0]))
    assert np.all(np.diff(np.asarray(tr.evals)) > 0) and np.nanmax(np.asarray(tr.residual)) <= 1e-10


def test_baseline_trajectory_counts():
    obj = rbo.losses.quadratic(np.diag([1.0, 2.0]))
    for opt, per in ((rbo.sgd(0.1), 1), (rbo.sam(0.1, 0.05), 2), (rbo.entropy_sgd(0.1, inner_steps=5), 5)):
        tr = rbo.run(obj, opt, np.array([1.0, -1.0]), steps=4)
        assert np.asarray(tr.evals).tolist() == [per * t for t in range(5)]
        assert np.isnan(np.asarray(tr.centre)).all()


def test_nan_stops_and_keeps_steps():
    def vg(t):
        x = float(t[0])
        return (x * x if x > -0.5 else float("nan")), np.array([2 * x if x > -0.5 else float("nan")])
    obj = ArrayObjective(vg)
    tr = rbo.run(obj, rbo.sgd(0.3), np.array([1.0]), steps=20)  # 1 -> 0.4 -> 0.16: no NaN
    assert tr.status == "completed"
    with pytest.warns(RuntimeWarning, match="NaN"):
        tr = rbo.run(obj, rbo.sgd(0.9), np.array([1.0]), steps=20)
    assert tr.status == "nan" and "NaN" in tr.message
    # 1 -> -0.8 (kept: its loss is NaN only when evaluated in the next step)
    assert tr.steps == 1 and float(tr.theta[1, 0]) == pytest.approx(-0.8)


def test_divergence_stops():
    obj = rbo.losses.quadratic(np.array([[1.0]]))
    with pytest.warns(RuntimeWarning, match="divergence"):
        tr = rbo.run(obj, rbo.sgd(3.0), np.array([1.0]), steps=100, divergence=1e3)
    assert tr.status == "diverged" and 0 < tr.steps < 100
    assert np.all(np.abs(np.asarray(tr.theta)) <= 1e3)
    assert np.allclose(np.asarray(tr.theta[:, 0]), (-2.0) ** np.arange(tr.steps + 1))


def test_callback_stops_and_sees_every_step():
    seen = []
    tr = rbo.run(rbo.losses.sines(1), rbo.rolling_ball(0.1, 0.5), np.array([0.3]), 50,
                 callback=lambda t, s, i: seen.append(t) or t == 9)
    assert tr.status == "callback" and tr.steps == 10 and seen == list(range(10))


def test_keyboard_interrupt_keeps_steps():
    class Interrupting:
        def __init__(self):
            self.n = 0
        def value_and_grad(self, t):
            self.n += 1
            if self.n == 6:
                raise KeyboardInterrupt
            return float(t @ t), 2 * t
    tr = rbo.run(Interrupting(), rbo.sgd(0.1), np.array([1.0]), steps=100)
    assert tr.status == "interrupted" and tr.steps == 5
    assert np.allclose(np.asarray(tr.theta[:, 0]), 0.8 ** np.arange(6))


def test_unconverged_solve_modes():
    obj = rbo.losses.sines(1)
    opt = rbo.rolling_ball(0.3, 0.5, solver="gauss-newton", max_iter=1)
    with pytest.warns(RuntimeWarning, match="did not converge"):
        tr = rbo.run(obj, opt, np.array([0.3]), 5)
    assert tr.status == "completed" and not all(tr.converged[1:])
    with pytest.raises(rbo.ConvergenceError) as e:
        rbo.run(obj, opt, np.array([0.3]), 5, on_failure="raise")
    assert e.value.result.steps >= 1 and e.value.result.status == "unconverged"
    tr = rbo.run(obj, opt, np.array([0.3]), 5, on_failure="stop")
    assert tr.status == "unconverged" and tr.steps == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rbo.run(obj, opt, np.array([0.3]), 5, on_failure="ignore")
    with pytest.raises(ValueError, match="on_failure"):
        rbo.run(obj, opt, np.array([0.3]), 5, on_failure="maybe")


def test_progress_prints(capsys):
    rbo.run(rbo.losses.sines(1), rbo.sgd(0.1), np.array([0.3]), 4, progress=True, progress_every=2)
    assert capsys.readouterr().err.count("[rbo.run]") == 2


def test_stochastic_minibatch_objective():
    data = np.linspace(-1, 3, 40)

    def make(idx):
        d = data[idx]
        return ArrayObjective(lambda t: (float(np.mean((t[0] - d) ** 2)), np.array([2 * np.mean(t[0] - d)])),
                              hvp=lambda t, v: 2 * v)
    sto = rbo.minibatch(make, 40, 8, seed=3)
    tr = rbo.run(sto, rbo.rolling_ball(0.1, 0.2), np.array([5.0]), 60)
    assert tr.status == "completed"
    assert abs(float(tr.theta[-1, 0]) - data.mean()) < 0.5
    # each RBO step re-evaluates at theta_t on its new batch: at least 2 evaluations per step
    assert np.all(np.diff(np.asarray(tr.evals)) >= 2)
    tr2 = rbo.run(sto, rbo.rolling_ball(0.1, 0.2), np.array([5.0]), 60)
    assert np.array_equal(np.asarray(tr.theta), np.asarray(tr2.theta))  # reproducible
    with pytest.raises(ValueError, match="batch_size"):
        rbo.minibatch(make, 40, 0)


def test_objective_adapter_errors():
    with pytest.raises(ValueError, match="cannot build an objective"):
        rbo.objective(3.0)
    o = rbo.objective(lambda t: (float(t @ t), 2 * t), hvp=lambda t, v: 2 * v)
    assert np.allclose(o.hvp(np.ones(2), np.ones(2)), 2)


def test_interrupted_run_resumes_to_the_same_trajectory():
    """Ctrl-C after 7 steps, then resume: identical to one uninterrupted run."""
    import numpy as np
    import rbo

    obj = rbo.losses.quadratic(np.diag([1.0, 3.0]))
    opt = rbo.rolling_ball(lr=0.1, radius=0.3, solver="newton")
    theta0 = np.array([1.0, -1.0])
    whole = rbo.run(obj, opt, theta0, steps=20)

    def interrupt(t, state, info):
        if t == 6:
            raise KeyboardInterrupt
        return False

    part = rbo.run(obj, opt, theta0, steps=20, callback=interrupt)
    assert part.status == "interrupted" and part.steps == 7
    rest = rbo.run(obj, opt, None, steps=13, resume=part)
    assert rest.steps == 20 and rest.status == "completed"
    assert np.array_equal(rest.theta, whole.theta)
    assert np.array_equal(rest.evals, whole.evals)
    assert np.allclose(rest.loss, whole.loss, rtol=0, atol=0)


def test_record_every_keeps_vectors_sparsely_and_scalars_fully():
    obj, x0 = rbo.losses.quadratic(np.diag([1.0, 3.0])), np.array([1.0, -1.0])
    full = rbo.run(obj, rbo.rolling_ball(0.1, 0.2), x0, 23)
    thin = rbo.run(obj, rbo.rolling_ball(0.1, 0.2), x0, 23, record_every=5)
    assert np.asarray(thin.theta_step).tolist() == [0, 5, 10, 15, 20, 23]
    assert np.array_equal(np.asarray(thin.theta), np.asarray(full.theta)[[0, 5, 10, 15, 20, 23]])
    assert np.array_equal(np.asarray(thin.centre)[:-1], np.asarray(full.centre)[[0, 5, 10, 15, 20]])
    assert np.array_equal(np.asarray(thin.loss), np.asarray(full.loss)) and thin.steps == 23
    more = rbo.run(obj, rbo.rolling_ball(0.1, 0.2), None, 7, record_every=5, resume=thin)
    ref = rbo.run(obj, rbo.rolling_ball(0.1, 0.2), x0, 30)
    assert np.array_equal(np.asarray(more.final_theta), np.asarray(ref.final_theta))
    assert np.array_equal(np.asarray(more.loss), np.asarray(ref.loss))
    with pytest.raises(ValueError, match="record_every"):
        rbo.run(obj, rbo.sgd(0.1), x0, 3, record_every=0)


def test_leaving_the_domain_stops_the_run():
    obj = rbo.objective(offsetgeo.Function("-log(x)", domain=(0.01, 10)))
    tr = rbo.run(obj, rbo.rolling_ball(0.5, 0.3), np.array([1.0]), 200)
    assert tr.status == "domain" and "left the domain" in tr.message
    assert float(np.asarray(tr.final_theta)[0]) <= 10.0


@pytest.mark.parametrize("theta0, match", [(np.array([1]), "dtype"), (np.array(0.0), "flat"),
                                           (np.zeros((2, 2)), "flat"), (np.zeros(0), "flat")])
def test_bad_starts(theta0, match):
    with pytest.raises((ValueError, TypeError), match=match):
        rbo.run(rbo.losses.sines(1), rbo.sgd(0.1), theta0, 5)


def test_steps_must_be_a_count():
    with pytest.raises(ValueError, match="steps"):
        rbo.run(rbo.losses.sines(1), rbo.sgd(0.1), np.zeros(1), 2.5)


def test_resume_refuses_another_optimizer():
    obj, x0 = rbo.losses.sines(1), np.array([0.3])
    sam = rbo.run(obj, rbo.sam(0.1), x0, 3)
    with pytest.raises(ValueError, match="SAMState"):
        rbo.run(obj, rbo.rolling_ball(0.1, 0.2), None, 3, resume=sam)
    ball = rbo.run(obj, rbo.rolling_ball(0.1, 0.2), x0, 3)
    with pytest.raises(ValueError, match="RollingBallState"):
        rbo.run(obj, rbo.sam(0.1), None, 3, resume=ball)


@pytest.mark.parametrize("make, match", [(lambda: rbo.losses.sine(omega=0), "omega"),
                                         (lambda: rbo.losses.riemann(0), "n_terms")])
def test_bad_loss_parameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()
