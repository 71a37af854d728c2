"""rbo.nn: gradients and exact Hessian-vector products against independent computations.

Finite differences: central differences along a unit direction ``v`` with step
``h = ε^{1/3} ≈ 6e-6``, the step that balances the truncation error ``h² |f'''| / 6`` against the
round-off ``ε |f| / h`` (standard analysis): both are then ~1e-11 relative for the O(1)
losses and derivatives here, far below the 1e-6 relative tolerance asked for.  The HVP
check differences gradients the same way (``(∇f(θ+hv) − ∇f(θ−hv)) / 2h``).  ReLU nets are
piecewise smooth: a difference is only valid when no hidden unit changes sign over
``[θ − hv, θ + hv]``, which the tests check and otherwise discard the example.
"""
import math

import array_api_strict
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import rbo
from rbo import nn
from rbo.nn._activations import second_derivative

H = np.finfo(float).eps ** (1 / 3)
RTOL = 1e-6


def _problem(sizes, activation="tanh", loss="cross_entropy", wd=0.0, batch=5, seed=0):
    rng = np.random.default_rng(seed)
    model = nn.mlp(sizes, activation=activation, loss=loss, weight_decay=wd)
    X = rng.standard_normal((batch, sizes[0]))
    y = rng.integers(0, sizes[-1], batch)
    theta = model.init(seed=seed) + 0.3 * rng.standard_normal(model.n_params)
    return model, X, y, theta, rng


def _unit(rng, n):
    v = rng.standard_normal(n)
    return v / np.linalg.norm(v)


def _signs_stable(model, theta, X, v, h):
    """No hidden pre-activation changes sign over [θ − hv, θ + hv] (ReLU smooth piece)."""
    lo = model._forward(theta - h * v, X, 0)[2]
    hi = model._forward(theta + h * v, X, 0)[2]
    return all(np.array_equal(a > 0, b > 0) for a, b in zip(lo, hi))


def _smooth_direction(model, theta, X, rng):
    """A random unit direction along which central differences are valid (ReLU: no kink)."""
    for _ in range(50):
        v = _unit(rng, model.n_params)
        if model.activation != "relu" or _signs_stable(model, theta, X, v, H):
            return v
    raise AssertionError("no direction without a ReLU kink within h: unlikely, check the test")


def _check_derivatives(model, X, y, theta, rng, n_dirs=3):
    obj = model.objective(X, y)
    f, g = obj.value_and_grad(theta)
    for _ in range(n_dirs):
        v = _smooth_direction(model, theta, X, rng)
        fp, gp = model.objective(X, y).value_and_grad(theta + H * v)
        fm, gm = model.objective(X, y).value_and_grad(theta - H * v)
        fd = (fp - fm) / (2 * H)
        exact = float(g @ v)
        assert abs(fd - exact) <= RTOL * max(abs(exact), np.linalg.norm(g), 1e-3)
        hv = obj.hvp(theta, v)
        fdh = (gp - gm) / (2 * H)
        assert np.linalg.norm(fdh - hv) <= RTOL * max(np.linalg.norm(hv), 1e-3)


@pytest.mark.parametrize("activation", nn.ACTIVATIONS)
@pytest.mark.parametrize("loss", nn.LOSSES)
def test_gradient_and_hvp_match_central_differences(activation, loss):
    model, X, y, theta, rng = _problem([6, 5, 4, 3], activation, loss, wd=0.1, batch=7)
    _check_derivatives(model, X, y, theta, rng)


@settings(max_examples=40, deadline=None)
@given(widths=st.lists(st.integers(1, 6), min_size=0, max_size=3),
       n_in=st.integers(1, 5), n_out=st.integers(2, 4), batch=st.integers(1, 6),
       activation=st.sampled_from(nn.ACTIVATIONS), loss=st.sampled_from(nn.LOSSES),
       wd=st.sampled_from([0.0, 0.3]), seed=st.integers(0, 2**16))
def test_derivatives_property(widths, n_in, n_out, batch, activation, loss, wd, seed):
    model, X, y, theta, rng = _problem([n_in, *widths, n_out], activation, loss, wd, batch, seed)
    _check_derivatives(model, X, y, theta, rng, n_dirs=2)
    # the Hessian is symmetric: uᵀ(Hv) = vᵀ(Hu) to round-off
    obj = model.objective(X, y)
    u, v = _unit(rng, model.n_params), _unit(rng, model.n_params)
    hu, hv = obj.hvp(theta, u), obj.hvp(theta, v)
    assert abs(u @ hv - v @ hu) <= 1e-12 * (1 + np.linalg.norm(hu) + np.linalg.norm(hv))


def _hessian_by_columns(obj, theta):
    n = theta.shape[0]
    return np.stack([obj.hvp(theta, np.eye(n)[i]) for i in range(n)], axis=1)


def test_hessian_by_columns_symmetric_and_equal_to_differenced_gradients():
    model, X, y, theta, _ = _problem([3, 4, 2], "gelu", "cross_entropy", wd=0.05, batch=6)
    obj = model.objective(X, y)
    Hm = _hessian_by_columns(obj, theta)
    scale = np.abs(Hm).max()
    assert np.abs(Hm - Hm.T).max() <= 1e-14 * scale * Hm.shape[0]
    n = theta.shape[0]
    fd = np.stack([(model.objective(X, y).value_and_grad(theta + H * e)[1]
                    - model.objective(X, y).value_and_grad(theta - H * e)[1]) / (2 * H)
                   for e in np.eye(n)], axis=1)
    assert np.abs(fd - Hm).max() <= RTOL * scale
    # not positive definite in general: a tanh/gelu net has negative curvature somewhere
    assert np.linalg.eigvalsh(Hm).min() < 0 < np.linalg.eigvalsh(Hm).max()


def test_logistic_regression_closed_forms():
    """Softmax regression: ∇ = X̃ᵀ(P − T)/B and H = (1/B) Σ_i (diag p_i − p_i p_iᵀ) ⊗ x̃_i x̃_iᵀ."""
    rng = np.random.default_rng(3)
    B, d, K = 9, 4, 3
    model = nn.logistic(d, K, weight_decay=0.2)
    X, y = rng.standard_normal((B, d)), rng.integers(0, K, B)
    theta = rng.standard_normal(model.n_params)
    W, b = theta[:d * K].reshape(d, K), theta[d * K:]
    Z = X @ W + b
    P = np.exp(Z - Z.max(1, keepdims=True)); P /= P.sum(1, keepdims=True)
    T = np.eye(K)[y]
    value = np.mean(np.log(np.exp(Z).sum(1)) - Z[np.arange(B), y]) + 0.1 * np.sum(W * W)
    gW, gb = X.T @ (P - T) / B + 0.2 * W, (P - T).sum(0) / B
    # Hessian in the (W row-major, b) layout: index of W[j, k] is j*K + k, of b[k] is d*K + k
    Xt = np.hstack([X, np.ones((B, 1))])                    # x̃ = (x, 1)
    Hfull = sum(np.kron(np.outer(Xt[i], Xt[i]), np.diag(P[i]) - np.outer(P[i], P[i]))
                for i in range(B)) / B
    Hfull[:d * K, :d * K] += 0.2 * np.eye(d * K)
    obj = model.objective(X, y)
    f, g = obj.value_and_grad(theta)
    assert abs(float(f) - value) <= 1e-14 * abs(value) * 10
    assert np.allclose(g, np.concatenate([gW.ravel(), gb]), rtol=0, atol=1e-15 * 10)
    assert np.allclose(_hessian_by_columns(obj, theta), Hfull, rtol=0, atol=1e-15 * 10)


def test_mse_linear_model_hessian_is_the_normal_matrix():
    rng = np.random.default_rng(5)
    B, d, K = 8, 3, 2
    model = nn.mlp([d, K], loss="mse")
    X, Y = rng.standard_normal((B, d)), rng.standard_normal((B, K))
    theta = rng.standard_normal(model.n_params)
    Xt = np.hstack([X, np.ones((B, 1))])
    expected = np.kron(Xt.T @ Xt / B, np.eye(K))
    assert np.allclose(_hessian_by_columns(model.objective(X, Y), theta), expected, atol=1e-14)


def test_hvp_cache_never_serves_a_stale_pass():
    model, X, y, theta, rng = _problem([4, 5, 3], "tanh")
    obj = model.objective(X, y)
    v = _unit(rng, model.n_params)
    other = theta + 0.1 * v
    obj.value_and_grad(theta)
    assert np.array_equal(obj.hvp(other, v), model.objective(X, y).hvp(other, v))
    t = theta.copy()
    obj.value_and_grad(t)
    t += 0.1 * v                          # mutated in place after the evaluation
    assert np.array_equal(obj.hvp(t, v), model.objective(X, y).hvp(t, v))
    assert np.array_equal(obj.value_and_grad(t)[1], model.objective(X, y).value_and_grad(t)[1])


@pytest.mark.parametrize("activation", nn.ACTIVATIONS)
def test_second_derivative_from_known_values(activation):
    # the same numbers as activate(..., order=2), and the derivative of φ' by central
    # differences (error ~ h² |φ⁽⁴⁾| / 6 + ε |φ'| / h ≈ 4e-11 for |z| ≤ 3; relu: off its kink)
    z = np.random.default_rng(0).uniform(-3.0, 3.0, 200)
    z = z[np.abs(z) > 2 * H]
    a, d1, d2 = nn.activate(activation, np, z, order=2)
    assert np.array_equal(second_derivative(activation, np, z, a, d1), d2)
    up, down = nn.activate(activation, np, z + H, 1)[1], nn.activate(activation, np, z - H, 1)[1]
    assert np.allclose(d2, (up - down) / (2 * H), rtol=0, atol=1e-8)


@pytest.mark.parametrize("activation", nn.ACTIVATIONS)
def test_numpy_and_array_api_strict_bit_identical(activation):
    xs = array_api_strict
    model, X, y, _, rng = _problem([5, 6, 4, 3], activation, "cross_entropy", wd=0.01, batch=8)
    t_np, t_xs = model.init(seed=4), model.init(seed=4, xp=xs)
    v = rng.standard_normal(model.n_params)
    o_np, o_xs = model.objective(X, y), model.objective(xs.asarray(X), xs.asarray(y))
    f1, g1 = o_np.value_and_grad(t_np)
    f2, g2 = o_xs.value_and_grad(t_xs)
    assert float(f1) == float(f2) and np.array_equal(g1, np.asarray(g2))
    assert np.array_equal(o_np.hvp(t_np, v), np.asarray(o_xs.hvp(t_xs, xs.asarray(v))))
    assert np.array_equal(model.predict(t_np, X), np.asarray(model.predict(t_xs, xs.asarray(X))))
    assert model.evaluate(t_np, X, y) == model.evaluate(t_xs, xs.asarray(X), xs.asarray(y))


def test_cupy_matches_numpy():
    cupy = pytest.importorskip("cupy")
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            pytest.skip("cupy is installed but there is no GPU")
    except cupy.cuda.runtime.CUDARuntimeError:
        pytest.skip("cupy is installed but there is no usable GPU")
    model, X, y, _, rng = _problem([5, 6, 3], "gelu", batch=8)
    t_np, t_cp = model.init(seed=1), model.init(seed=1, xp=cupy)
    v = rng.standard_normal(model.n_params)
    o_np, o_cp = model.objective(X, y), model.objective(cupy.asarray(X), cupy.asarray(y))
    f1, g1 = o_np.value_and_grad(t_np)
    f2, g2 = o_cp.value_and_grad(t_cp)
    assert abs(float(f1) - float(f2)) <= 1e-13 * abs(float(f1))
    assert np.allclose(g1, g2.get(), rtol=1e-12, atol=1e-15)
    assert np.allclose(o_np.hvp(t_np, v), o_cp.hvp(t_cp, cupy.asarray(v)).get(), rtol=1e-12, atol=1e-15)


def test_initialisation_schemes():
    glorot = nn.mlp([200, 300, 10], activation="tanh")
    layers = glorot.unflatten(glorot.init(seed=0))
    lim = math.sqrt(6 / 500)
    W = layers[0][0]
    assert np.abs(W).max() <= lim and np.abs(W).max() > 0.99 * lim
    assert all(np.all(b == 0) for _, b in layers)
    he = nn.mlp([256, 256, 10], activation="relu")
    W = he.unflatten(he.init(seed=0))[0][0]
    # sample std of 65 536 normals: relative standard error 1/sqrt(2n) ≈ 0.3 %; allow 5 sigma
    assert abs(W.std() / math.sqrt(2 / 256) - 1) < 5 / math.sqrt(2 * W.size)
    assert not np.array_equal(he.init(seed=0), he.init(seed=1))


def test_minibatches_plug_into_run_and_match_direct_objectives():
    model, X, y, theta, _ = _problem([4, 5, 3], "gelu", batch=20)
    mb = model.minibatches(X, y, batch_size=6, seed=2)
    idx = rbo.data.batch_indices(20, 6, 4, seed=2)
    assert np.array_equal(mb.sample(4).value_and_grad(theta)[1],
                          model.objective(X[idx], y[idx]).value_and_grad(theta)[1])
    tr = rbo.run(mb, rbo.rolling_ball(0.1, 0.2), theta, steps=5)
    assert tr.status == "completed" and tr.steps == 5 and all(tr.converged)


def test_predict_and_evaluate():
    model, X, y, theta, _ = _problem([4, 5, 3], "tanh", batch=10)
    P = model.predict(theta, X)
    assert np.allclose(P.sum(1), 1.0, atol=1e-15 * 10)
    loss, acc = model.evaluate(theta, X, y, chunk=3)
    assert loss == pytest.approx(-np.mean(np.log(P[np.arange(10), y])), rel=1e-13)
    assert acc == np.mean(P.argmax(1) == y)


@pytest.mark.parametrize("call, match", [
    (lambda: nn.mlp([3]), "two or more"),
    (lambda: nn.mlp([3, 0, 2]), "positive integers"),
    (lambda: nn.mlp([3, 2], activation="sigmoid"), "unknown activation"),
    (lambda: nn.mlp([3, 2], loss="hinge"), "unknown loss"),
    (lambda: nn.mlp([3, 2], weight_decay=-1), "weight_decay"),
    (lambda: nn.mlp([3, 2]).objective(np.zeros((2, 4)), np.zeros(2, int)), r"shape \(batch, 3\)"),
    (lambda: nn.mlp([3, 2]).objective(np.zeros((2, 3)), np.array([0, 2])), "labels must lie"),
    (lambda: nn.mlp([3, 2]).objective(np.zeros((2, 3)), np.zeros(3, int)), "one label per row"),
    (lambda: nn.mlp([3, 2]).objective(np.zeros((2, 3)), np.zeros(2)), "integer labels"),
    (lambda: nn.mlp([3, 2]).objective(np.zeros((2, 3), int), np.zeros(2, int)), "real floating"),
    (lambda: nn.mlp([3, 2]).objective(np.zeros((2, 3)), np.zeros(2, int)).value_and_grad(np.zeros(5)),
     "flat array of 8"),
    (lambda: nn.mlp([3, 2]).minibatches(np.zeros((2, 3)), np.zeros(2, int), 3), "batch_size"),
])
def test_bad_input_is_reported(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
