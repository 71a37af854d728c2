"""RBO and baselines against hand-computed steps, closed forms and limits."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import rbo
from rbo import ArrayObjective


def quad(A):
    A = np.asarray(A, dtype=float)
    return ArrayObjective(lambda t: (0.5 * t @ A @ t, A @ t), hvp=lambda t, v: A @ v)


@settings(max_examples=30, deadline=None)
@given(rho=st.floats(1e-3, 1e3), eta=st.floats(1e-3, 1.0),
       a=st.lists(st.floats(-3, 3), min_size=1, max_size=4),
       variant=st.sampled_from(["footpoint", "distance"]),
       solver=st.sampled_from(["newton", "gauss-newton"]))
def test_affine_rbo_equals_gradient_descent(rho, eta, a, variant, solver):
    a = np.array(a)
    obj = rbo.losses.affine(a, 1.5)
    theta0 = np.linspace(-1, 1, a.size)
    tr = rbo.run(obj, rbo.rolling_ball(eta, rho, solver=solver, variant=variant), theta0, steps=3)
    expected = theta0[None, :] - eta * np.arange(4)[:, None] * a[None, :]
    assert np.max(np.abs(np.asarray(tr.theta) - expected)) <= 1e-12 * (1 + np.abs(expected).max())


def test_loss_scale_is_graph_of_scaled_function():
    # RBO on f with loss_scale lam == RBO on lam*f with loss_scale 1 (same contact points)
    A = np.diag([1.0, 3.0])
    t1 = rbo.run(quad(A), rbo.rolling_ball(0.05, 0.3, loss_scale=2.5), np.array([1.0, -0.5]), 10)
    t2 = rbo.run(quad(2.5 * A), rbo.rolling_ball(0.05, 0.3), np.array([1.0, -0.5]), 10)
    assert np.max(np.abs(np.asarray(t1.theta) - np.asarray(t2.theta))) < 1e-12
    assert np.allclose(np.asarray(t1.loss) * 2.5, np.asarray(t2.loss), rtol=1e-12)


def test_gradient_flow_limit():
    # f = sin(x): gradient flow x' = -cos x has x(t) = 2 atan(tanh(... )) — integrate it finely
    obj = rbo.losses.sines(1)
    x0, T = 0.3, 1.0
    ref = x0
    n = 200000
    for _ in range(n):
        ref -= (T / n) * math.cos(ref)
    errs = []
    for h in (0.1, 0.05, 0.025):
        steps = int(round(T / h))
        tr = rbo.run(obj, rbo.rolling_ball(h, h), np.array([x0]), steps)
        errs.append(abs(float(tr.theta[-1, 0]) - ref))
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < 0.02 and errs[1] / errs[2] > 1.7  # first order in (eta, rho)


def test_rbo_step_figure_one():
    # seed figure 1: f = (x-1)^2, rho = 0.2, eta = 0.3, theta0 = 1.8 -> exact footpoint
    obj = quad([[2.0]])  # f = x^2 shifted: use theta - 1
    sh = ArrayObjective(lambda t: ((t[0] - 1) ** 2, 2 * (t - 1)), hvp=lambda t, v: 2 * v)
    st_, info = rbo.rolling_ball(0.3, 0.2).update(rbo.rolling_ball(0.3, 0.2).init(np.array([1.8])), sh)
    g = 1.6; s = math.sqrt(1 + g * g)
    x = 1.8 - 0.2 * g / s - 0.3 * g; y = 0.64 + 0.2 / s - 0.3 * g * g
    grid = np.linspace(-1, 3, 400001)
    D = (grid - x) ** 2 + ((grid - 1) ** 2 - y) ** 2
    p = grid[np.argmin(D)]
    for _ in range(40):  # polish by Newton on the closed-form cubic
        r = (p - x) + ((p - 1) ** 2 - y) * 2 * (p - 1)
        p -= r / (1 + 4 * (p - 1) ** 2 + 2 * ((p - 1) ** 2 - y))
    assert abs(float(st_.params[0]) - p) < 1e-10
    assert np.allclose(info.centre, [1.8 - 0.2 * g / s, 0.64 + 0.2 / s])
    del obj


def test_distance_variant_first_step_hand_computed():
    sh = ArrayObjective(lambda t: (math.sin(t[0]), np.array([math.cos(t[0])])),
                        hvp=lambda t, v: -np.sin(t) * v)
    opt = rbo.rolling_ball(0.1, 0.4, variant="distance")
    s1, _ = opt.update(opt.init(np.array([0.7])), sh)
    g = math.cos(0.7); n = math.sqrt(1 + g * g)
    c = np.array([0.7 - 0.4 * g / n, math.sin(0.7) + 0.4 / n])
    u = np.array([-g, 1.0]) / n
    delta = -0.1 * np.array([g, g * g])
    c1 = c + delta - (delta @ u) * u
    assert np.allclose(s1.centre, c1, atol=1e-15)
    # the new contact point is the footpoint of c1: stationarity
    p = float(s1.params[0])
    assert abs((p - c1[0]) + (math.sin(p) - c1[1]) * math.cos(p)) < 1e-10


def test_sgd_momentum_and_nesterov_hand_computed():
    A = np.diag([1.0, 2.0]); obj = quad(A); th = np.array([1.0, 1.0])
    for nesterov in (False, True):
        opt = rbo.sgd(0.1, momentum=0.5, nesterov=nesterov)
        st_ = opt.init(th)
        x, v = th.copy(), np.zeros(2)
        for _ in range(3):
            st_, info = opt.update(st_, obj)
            g = A @ x; v = 0.5 * v + g
            x = x - 0.1 * ((g + 0.5 * v) if nesterov else v)
            assert info.evals == 1
        assert np.allclose(st_.params, x, atol=1e-15, rtol=0)


def test_sam_hand_computed():
    A = np.diag([1.0, 4.0]); obj = quad(A); x = np.array([1.0, -2.0])
    st_, info = rbo.sam(0.1, rho_sam=0.3).update(rbo.sam(0.1, 0.3).init(x), obj)
    g = A @ x; e = 0.3 * g / np.linalg.norm(g)
    assert np.allclose(st_.params, x - 0.1 * A @ (x + e), atol=1e-15) and info.evals == 2


def test_entropy_sgd_hand_computed_with_noise():
    A = np.diag([1.0, 4.0]); obj = quad(A); x = np.array([1.0, -2.0])
    opt = rbo.entropy_sgd(0.5, inner_lr=0.1, gamma=0.2, inner_steps=4, noise=0.01, alpha=0.75, seed=7)
    st_ = opt.init(x)
    for t in range(2):
        st_, info = opt.update(st_, obj)
        xi = np.random.default_rng([7, t]).standard_normal((4, 2))
        xp_, mu = x.copy(), x.copy()
        for l in range(4):
            xp_ = xp_ - 0.1 * (A @ xp_ - 0.2 * (x - xp_)) + math.sqrt(0.1) * 0.01 * xi[l]
            mu = 0.25 * mu + 0.75 * xp_
        x = x - 0.5 * 0.2 * (x - mu)
        assert np.allclose(st_.params, x, atol=1e-15) and info.evals == 4


def test_schedules_are_used():
    lrs, radii = [], []
    opt = rbo.rolling_ball(rbo.schedules.linear(0.2, 0.1, 4), rbo.schedules.step_decay(1.0, 0.5, 2))
    rbo.run(rbo.losses.sines(1), opt, np.array([0.3]), 5,
            callback=lambda t, s, i: lrs.append(i.lr) or radii.append(i.radius))
    assert np.allclose(lrs, [0.2, 0.175, 0.15, 0.125, 0.1]) and radii == [1.0, 1.0, 0.5, 0.5, 0.25]


@pytest.mark.parametrize("make, match", [
    (lambda: rbo.rolling_ball(0.0, 1.0), "lr must be a positive"),
    (lambda: rbo.rolling_ball(0.1, -1.0), "radius must be a positive"),
    (lambda: rbo.rolling_ball(0.1, 1.0, solver="cg"), "unknown solver"),
    (lambda: rbo.rolling_ball(0.1, 1.0, variant="x"), "unknown variant"),
    (lambda: rbo.rolling_ball(0.1, 1.0, loss_scale=-2), "loss_scale"),
    (lambda: rbo.rolling_ball(0.1, rbo.schedules.cosine(1.0, 10), variant="distance"), "constant radius"),
    (lambda: rbo.sgd(-0.1), "lr must be"),
    (lambda: rbo.sgd(0.1, momentum=1.5), "momentum"),
    (lambda: rbo.sgd(0.1, nesterov=True), "nesterov"),
    (lambda: rbo.sam(0.1, rho_sam=-1), "rho_sam"),
    (lambda: rbo.entropy_sgd(0.1, inner_steps=0), "inner_steps"),
])
def test_bad_hyperparameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_schedule_going_negative_is_caught():
    opt = rbo.rolling_ball(rbo.schedules.linear(0.1, -0.1, 2), 0.5)
    with pytest.raises(ValueError, match="lr schedule gave"):
        rbo.run(rbo.losses.sines(1), opt, np.array([0.3]), 5)


def test_params_shape_checked():
    with pytest.raises(ValueError, match="flat array"):
        rbo.rolling_ball(0.1, 0.5).init(np.zeros((2, 2)))
    bad = ArrayObjective(lambda t: (0.0, np.zeros(3)))
    with pytest.raises(ValueError, match="gradient has shape"):
        rbo.run(bad, rbo.rolling_ball(0.1, 0.5), np.zeros(2), 1)
