"""rbo.train, rbo.adamw and rbo.compare: budgets, records, sharpness against a dense
eigensolver, bit-identical resume after Ctrl-C and after a crash, namespaces."""
import dataclasses
import math

import array_api_strict
import numpy as np
import pytest

import rbo
from rbo import nn


@pytest.fixture(scope="module")
def digits():
    return rbo.data.digits(seed=0)


@pytest.fixture(scope="module")
def small():
    """A small 3-class problem where runs take milliseconds."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 5))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int) + (X[:, 2] > 1).astype(int)
    return rbo.data.Dataset(X[:90], y[:90], X[90:], y[90:], 3, "small")


def _same(a: rbo.TrainResult, b: rbo.TrainResult):
    """Everything equal bit for bit except wall-clock times."""
    assert (a.status, a.steps, a.evals) == (b.status, b.steps, b.evals)
    assert np.array_equal(a.theta, b.theta)
    for f in dataclasses.fields(a.points):
        if f.name != "wall_time":
            assert np.array_equal(getattr(a.points, f.name), getattr(b.points, f.name), equal_nan=True), f.name
    for f in dataclasses.fields(a.sharpness):
        assert np.array_equal(getattr(a.sharpness, f.name), getattr(b.sharpness, f.name), equal_nan=True), f.name
    for name in ("step_loss", "step_evals", "step_residual", "step_converged"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name


# -- AdamW ---------------------------------------------------------------------------------
def _adamw_reference(grad, theta, lr, steps, b1=0.9, b2=0.999, eps=1e-8, wd=1e-2):
    """PyTorch's AdamW as documented: decay θ by (1 − η λ) first, then the Adam step."""
    m = np.zeros_like(theta); v = np.zeros_like(theta)
    for t in range(1, steps + 1):
        g = grad(theta)
        theta = theta * (1 - lr * wd)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta = theta - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return theta


def test_adamw_matches_the_reference_algorithm():
    A = np.diag([1.0, 10.0, 0.1])
    q = rbo.objective(lambda t: (0.5 * t @ A @ t, A @ t))
    theta0 = np.array([1.0, -2.0, 3.0])
    tr = rbo.run(q, rbo.adamw(0.05, weight_decay=0.1), theta0, steps=40)
    ref = _adamw_reference(lambda t: A @ t, theta0, 0.05, 40, wd=0.1)
    assert np.allclose(tr.theta[-1], ref, rtol=1e-13, atol=1e-15)
    assert int(tr.evals[-1]) == 40


@pytest.mark.parametrize("kw, match", [(dict(b1=1.0), "b1"), (dict(b2=-0.1), "b2"),
                                       (dict(eps=0.0), "eps"), (dict(weight_decay=-1), "weight_decay")])
def test_adamw_rejects_bad_hyperparameters(kw, match):
    with pytest.raises(ValueError, match=match):
        rbo.adamw(0.1, **kw)


# -- budgets and records ---------------------------------------------------------------------
def test_budget_is_spent_exactly_by_sgd_and_at_most_one_step_over_by_rbo(small):
    model = nn.mlp([5, 8, 3])
    r = rbo.train(model, small, rbo.sgd(0.1), budget=57, batch_size=10, eval_every=10, progress=False)
    assert (r.status, r.steps, r.evals) == ("completed", 57, 57)
    assert r.points.step.tolist() == [0, 10, 20, 30, 40, 50, 57]
    q = rbo.train(model, small, rbo.rolling_ball(0.2, 0.1, tol=1e-8), budget=57, batch_size=10,
                  progress=False)
    assert q.evals >= 57 and q.evals - q.step_evals[-1] < 57
    assert q.evals == q.step_evals.sum() and q.points.evals[-1] == q.evals
    assert np.all(q.step_residual <= 1e-8) and q.step_converged.all()
    assert np.isnan(r.step_residual).all() and np.isnan(r.points.residual[1:]).all()
    # residual at a point: the largest of the steps since the previous point
    ends = q.points.step
    for k in range(1, len(ends)):
        assert q.points.residual[k] == q.step_residual[ends[k - 1]:ends[k]].max()


def test_epochs_budget_and_metrics_are_full_batch(small):
    model = nn.logistic(5, 3)
    r = rbo.train(model, small, rbo.sgd(0.5), epochs=2.5, batch_size=20, progress=False)
    assert r.steps == math.ceil(2.5 * (90 // 20))
    loss, acc = model.evaluate(r.theta, small.x_test, small.y_test)
    assert (r.points.test_loss[-1], r.points.test_acc[-1]) == (loss, acc)
    loss, acc = model.evaluate(r.theta, small.x_train, small.y_train)
    assert (r.points.train_loss[-1], r.points.train_acc[-1]) == (loss, acc)
    assert r.points.evals[0] == 0 and np.all(np.diff(r.points.wall_time) >= 0)


def test_sharpness_equals_the_largest_eigenvalue_of_the_dense_hessian(digits):
    model = nn.logistic(64, 10)
    r = rbo.train(model, digits, rbo.sgd(0.2), budget=40, sharpness_every=20, progress=False,
                  sharpness_rtol=1e-6, sharpness_max_iter=200)
    assert r.sharpness.step.tolist() == [0, 20, 40]
    theta = r.theta
    obj = model.objective(digits.x_train, digits.y_train)
    n = model.n_params
    Hm = np.stack([obj.hvp(theta, e) for e in np.eye(n)], axis=1)
    lam = np.linalg.eigvalsh(0.5 * (Hm + Hm.T)).max()
    assert r.sharpness.converged[-1]
    assert abs(r.sharpness.lambda_max[-1] - lam) <= 1e-6 * lam
    assert r.sharpness.radius[-1] == pytest.approx(1 / r.sharpness.lambda_max[-1], rel=1e-15)


def test_nan_run_is_stopped_and_reported(small):
    r = rbo.train(nn.mlp([5, 8, 3], loss="mse"), small, rbo.sgd(1e6), budget=50, batch_size=10,
                  progress=False)
    assert r.status in ("nan", "diverged") and r.steps < 50 and "Lower the learning rate" in r.message
    assert np.all(np.isfinite(r.theta))


@pytest.mark.parametrize("kw, match", [
    (dict(), "exactly one of budget"),
    (dict(budget=10, epochs=1), "exactly one of budget"),
    (dict(budget=0), "budget must be"),
    (dict(budget=10, batch_size=1000), "batch_size"),
    (dict(budget=10, eval_every=0), "eval_every"),
    (dict(budget=10, resume=True), "needs checkpoint"),
])
def test_bad_arguments(small, kw, match):
    with pytest.raises(ValueError, match=match):
        rbo.train(nn.logistic(5, 3), small, rbo.sgd(0.1), progress=False, **{"batch_size": 10, **kw})


def test_model_must_fit_the_data(small):
    with pytest.raises(ValueError, match="maps 4 inputs to 3 outputs"):
        rbo.train(nn.logistic(4, 3), small, rbo.sgd(0.1), budget=5, progress=False)


# -- checkpoints and resume ------------------------------------------------------------------
class _Tripwire:
    """A model whose objectives raise ``error`` at the ``at``-th value_and_grad/hvp call."""

    def __init__(self, model, at, error):
        self.model, self.at, self.error, self.calls = model, at, error, 0

    def __getattr__(self, name):
        return getattr(self.model, name)

    def minibatches(self, X, y, batch_size, seed=0):
        inner, outer = self.model.minibatches(X, y, batch_size, seed), self

        class Batches:
            def sample(self, step):
                obj = inner.sample(step)

                class Obj:
                    def value_and_grad(self, t):
                        outer._tick()
                        return obj.value_and_grad(t)

                    def hvp(self, t, v):
                        outer._tick()
                        return obj.hvp(t, v)
                return Obj()
        return Batches()

    def _tick(self):
        self.calls += 1
        if self.calls == self.at:
            raise self.error


KW = dict(budget=300, batch_size=10, eval_every=25, sharpness_every=9, progress=False,
          checkpoint_every=7, label="rbo", hyper={"lr": 0.2, "radius": 0.1})


def _rbo():
    return rbo.rolling_ball(0.2, 0.1, tol=1e-9)


@pytest.mark.parametrize("make_opt", [_rbo, lambda: rbo.entropy_sgd(2.0, inner_steps=3, seed=1),
                                      lambda: rbo.adamw(0.01)], ids=["rbo", "entropy-sgd", "adamw"])
def test_ctrl_c_mid_step_then_resume_is_bit_identical(tmp_path, small, make_opt):
    model = nn.mlp([5, 6, 3], activation="gelu")
    full = rbo.train(model, small, make_opt(), **KW)
    ckpt = tmp_path / "run.npz"
    stopped = rbo.train(_Tripwire(model, 61, KeyboardInterrupt()), small, make_opt(),
                        checkpoint=ckpt, **KW)
    assert stopped.status == "interrupted" and 0 < stopped.steps < full.steps
    assert ckpt.exists()
    resumed = rbo.train(model, small, make_opt(), checkpoint=ckpt, resume=True, **KW)
    _same(full, resumed)
    # a finished run resumes to itself, and its file holds the same result
    _same(full, rbo.train(model, small, make_opt(), checkpoint=ckpt, resume=True, **KW))
    _same(full, rbo.load_result(ckpt))


def test_crash_resumes_from_the_last_periodic_checkpoint_bit_identically(tmp_path, small):
    model = nn.mlp([5, 6, 3])
    full = rbo.train(model, small, _rbo(), **KW)
    ckpt = tmp_path / "run.npz"
    with pytest.raises(RuntimeError, match="power cut"):
        rbo.train(_Tripwire(model, 150, RuntimeError("power cut")), small, _rbo(),
                  checkpoint=ckpt, **KW)
    with pytest.raises(ValueError, match="has not finished"):
        rbo.load_result(ckpt)
    _same(full, rbo.train(model, small, _rbo(), checkpoint=ckpt, resume=True, **KW))


def test_resume_refuses_another_configuration(tmp_path, small):
    model = nn.mlp([5, 6, 3])
    ckpt = tmp_path / "run.npz"
    rbo.train(model, small, _rbo(), checkpoint=ckpt, **KW)
    with pytest.raises(ValueError, match=r"another configuration \(seed differ\)"):
        rbo.train(model, small, _rbo(), checkpoint=ckpt, resume=True, **{**KW, "seed": 1})
    with pytest.raises(ValueError, match="holds a RollingBallState"):
        rbo.train(model, small, rbo.sgd(0.1), checkpoint=ckpt, resume=True, **KW)
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(ValueError, match=r"junk\.npz: not a readable"):
        rbo.train(model, small, _rbo(), checkpoint=tmp_path / "junk.npz", resume=True, **KW)


def test_numpy_and_array_api_strict_runs_are_bit_identical(small):
    model = nn.mlp([5, 6, 3], activation="tanh")
    kw = dict(budget=60, batch_size=10, progress=False, sharpness_every=10)
    a = rbo.train(model, small, _rbo(), **kw)
    b = rbo.train(model, small, _rbo(), xp=array_api_strict, **kw)
    _same(a, b)


def test_result_json_follows_the_project_rule(small):
    r = rbo.train(nn.logistic(5, 3), small, rbo.sgd(0.1), budget=20, batch_size=10, progress=False)
    d = r.to_dict(include_steps=True)
    assert d["points"]["residual"][0] is None and d["nonfinite"]["points.residual.0"] == "nan"
    assert d["evals"] == 20 and len(d["theta"]) == 18


# -- compare ---------------------------------------------------------------------------------
def test_compare_tunes_on_validation_and_runs_every_optimizer_on_equal_budgets(tmp_path, small):
    model = nn.mlp([5, 6, 3])
    c = rbo.compare(small, model, budget=120, seeds=2, batch_size=10, label_noise=(0.0, 0.3),
                    sharpness_points=2, out=tmp_path, progress=False, model_spec="mlp:6")
    names = [row["optimizer"] for row in c.rows()]
    assert names == list(rbo.CONTENDERS)
    for (name, noise), results in c.runs.items():
        assert len(results) == 2
        for r in results:
            assert r.evals >= 120 and r.evals - r.step_evals[-1] < 120
    for name in ("sgd", "momentum", "adamw"):
        tried = [t for t in c.tuning if t["optimizer"] == name]
        assert [t["lr"] for t in tried] == list(rbo.CONTENDERS[name].lr_grid)
        best = max((t for t in tried if t["status"] == "completed"), key=lambda t: t["val_acc"])
        assert c.hyper[name]["lr"] == best["lr"]
    row = {r["optimizer"]: r for r in c.rows(0.3)}["sgd"]
    accs = [r.final_test_acc for r in c.runs[("sgd", 0.3)]]
    assert row["final_test_acc"] == (np.mean(accs), np.std(accs, ddof=1))
    assert row["threshold"] == 2 / c.hyper["sgd"]["lr"]
    text = c.markdown()
    assert "label noise 0.3" in text and "| rbo-newton |" in text and "✓" in text
    assert set(c.to_dict()["tables"]) == {"0", "0.3"}
    # a second call reads every finished run back from its checkpoint
    again = rbo.compare(small, model, budget=120, seeds=2, batch_size=10, label_noise=(0.0, 0.3),
                        sharpness_points=2, out=tmp_path, progress=False, model_spec="mlp:6")
    _same(c.runs[("rbo-newton", 0.0)][1], again.runs[("rbo-newton", 0.0)][1])


def test_compare_rejects_unknown_optimizers(small):
    with pytest.raises(ValueError, match="unknown optimizer"):
        rbo.compare(small, nn.logistic(5, 3), optimizers=["lbfgs"], progress=False)
