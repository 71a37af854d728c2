"""The rolling ball optimizer (RBO), as an optax-like ``init``/``update`` pair.

Footpoint variant (the paper's Algorithm 1), on the graph of ``F = λ f``, ``G = ∇F``::

    c_t     = (θ_t, F(θ_t)) + ρ n(θ_t),     n = (−G, 1)/sqrt(1 + |G|²)
    c̃       = c_t − η τ(θ_t),               τ = (G, |G|²)
    θ_{t+1} = argmin_φ |φ − x̃|² + (F(φ) − ỹ)²   (warm start θ_t)

Distance variant (seed section 3.2): the centre ``c_t`` is the state; with
``p = (π(c_t), F(π(c_t)))``, ``u = (c_t − p)/|c_t − p|`` and ``Δ = −η τ(π(c_t))``::

    c_{t+1} = c_t + Δ − ⟨Δ, u⟩ u,           θ_{t+1} = π(c_{t+1})

which keeps ``d(c_t, Γ) = ρ`` only to first order.  The radius enters the distance variant
only through the initial centre, so it must be a constant there.

First-order step (``solver="first-order"``, no projection; :mod:`rbo._first_order`)::

    θ_{t+1} = θ_t − η (I − ρW)⁻¹ G,         W = (1/s)(I + G Gᵀ)⁻¹ ∇²F,  s = sqrt(1 + |G|²)

equal to the footpoint step up to O(η²) while ``ρ κ_max < 1``; where ``ρκ ≥ 1`` is seen
along the series the step falls back to the projection.
"""
from __future__ import annotations

from typing import Any, NamedTuple, Optional

from ._compat import array_namespace, norm

from offsetgeo import normal_point
from offsetgeo._numerics import row_dot
from offsetgeo._validation import check_choice, check_count

from ._first_order import first_order_direction
from ._footpoint import ObjectiveOracle, _scaled, _solve, check_solver_options
from ._optimizer import BallStepInfo, Optimizer
from .schedules import as_schedule, check_value, is_constant

__all__ = ["rolling_ball", "RollingBallState", "VARIANTS", "step_target"]

VARIANTS = ("footpoint", "distance")


def step_target(theta, F, G, lr, radius):
    """The ball's centre and the candidate centre of one RBO step (any namespace, batched).

    ``c = p(θ) + ρ n(θ)`` and ``c̃ = c − η τ(θ)`` with ``τ = (G, |G|²)``, on the graph of
    ``F`` (scaled units). ``theta`` (..., d), ``F`` (...), ``G`` (..., d); ``lr``, ``radius``
    numbers or arrays (...).

    Returns
    -------
    centre : array (..., d + 1)
    x, y : array (..., d), array (...)
        The candidate centre ``c̃ = (x, y)``, the point the next contact point projects.

    Examples
    --------
    >>> c, x, y = step_target(np.array([0.0]), np.array(0.0), np.array([1.0]), 0.1, 0.5)
    >>> np.round(c, 6).tolist(), np.round(x, 6).tolist(), round(float(y), 6)
    ([-0.353553, 0.353553], [-0.453553], 0.253553)
    """
    xp = array_namespace(theta, G)
    centre = normal_point(theta, F, G, radius)
    eta = xp.asarray(lr, dtype=theta.dtype)
    x = centre[..., :-1] - eta[..., None] * G
    y = centre[..., -1] - eta * row_dot(G, G)
    return centre, x, y


class RollingBallState(NamedTuple):
    """``params`` = contact point θ_t; ``value``/``grad`` = f, ∇f there (None until known);
    ``count`` = steps done; ``centre`` = c_t (distance variant only, scaled units);
    ``hessian`` = the Newton solver's model of λ∇²f near θ_t (``d ≤ dense_max``)."""

    params: Any
    value: Any
    grad: Any
    count: int
    centre: Any = None
    hessian: Any = None


def rolling_ball(lr, radius, solver: str = "newton", variant: str = "footpoint",
                 loss_scale: float = 1.0, *, tol: float = 1e-10, max_iter: Optional[int] = None,
                 dense_max: int = 8, paper_steps: int = 100, paper_lr: float = 1e-3,
                 hessian: str = "secant", certify="auto", rtol: float = 0.0,
                 max_evals: Optional[int] = None, terms: Optional[int] = 1,
                 fallback: str = "newton") -> Optimizer:
    """The rolling ball optimizer.

    Parameters
    ----------
    lr : float or schedule
        Learning rate η (> 0).
    radius : float or schedule
        Ball radius ρ (> 0).
    solver : {"newton", "gauss-newton", "paper", "exact", "first-order"}
        Footpoint solver, see :func:`rbo.solve_footpoint`; or ``"first-order"``: no
        projection, the step ``θ − η (I − ρW)⁻¹ G`` (module docstring), equal to the
        projected step up to O(η²). Needs Hessian-vector products (exact ``hvp``, else forward
        differences of gradients); costs one gradient plus ``terms`` HVPs per step.
    variant : {"footpoint", "distance"}
    loss_scale : float
        λ > 0: the ball rolls on the graph of ``λ f``.
    tol, max_iter, dense_max, paper_steps, paper_lr, hessian, rtol, max_evals
        Passed to :func:`rbo.solve_footpoint` (``paper_steps`` = K, ``paper_lr`` = s).
    terms : int or None
        ``solver="first-order"``: Neumann terms ``(ρW)^j G``, ``j = 1…terms`` (one HVP each;
        ``terms=1`` costs two evaluations a step, like SAM), or None for conjugate gradients
        to ``tol`` (at most ``max_iter`` iterations, default ``min(2d, 100)``, plus one HVP
        for the residual). Where ``ρκ ≥ 1`` is seen along the series (a Rayleigh quotient of
        ``ρW``), or the Neumann series does not contract, the step is the projected one of
        the ``fallback`` solver and :attr:`BallStepInfo.fallback` says so.
    fallback : {"newton", "gauss-newton", "paper", "exact"}
        ``solver="first-order"``: the projection used where the first-order step is refused.
    certify : {"auto", True, False}
        RBO is defined with the *nearest* point of the graph. The ``newton`` and
        ``gauss-newton`` solvers are local (they follow the contact point reached by rolling
        continuously from θ_t); with ``"auto"`` their answer is certified global, and replaced
        by the nearest footpoint when it is not, wherever the objective has an analytic
        ``function`` of one or two variables. For array objectives and ``d > 2`` no global
        check exists: the projection is local, and each step's
        :attr:`BallStepInfo.certified` is False.

    Returns
    -------
    optimizer : Optimizer
        ``init(theta0) -> RollingBallState``; ``update(state, objective, fresh=False) ->
        (state, BallStepInfo)``.

    See Also
    --------
    solve_footpoint : the projection of each step.
    run : runs it; run_batched : many balls at once.
    sam : the rival whose step RBO's approaches near critical points (``docs/math.md``).

    Examples
    --------
    On an affine loss one RBO step is one gradient step, whatever the radius:

    >>> from rbo import ArrayObjective
    >>> a = np.array([0.5, -1.0])
    >>> affine = ArrayObjective(lambda t: (a @ t + 2.0, a), hvp=lambda t, v: 0 * v)
    >>> opt = rolling_ball(lr=0.1, radius=3.0)
    >>> state, info = opt.update(opt.init(np.zeros(2)), affine)
    >>> np.allclose(state.params, -0.1 * a, atol=1e-14), info.evals   # f, g; 2 hvps; f, g
    (True, 4)

    The first-order step costs a gradient and one HVP; past the focal distance it falls back:

    >>> bowl = ArrayObjective(lambda t: (t @ t, 2 * t), hvp=lambda t, v: 2 * v)
    >>> cheap = rolling_ball(lr=0.1, radius=0.2, solver="first-order", terms=1)
    >>> _, info = cheap.update(cheap.init(np.zeros(2)), bowl)
    >>> info.evals, info.fallback, round(info.rho_kappa, 3)   # at rest at the bottom
    (1, False, nan)
    >>> _, info = cheap.update(cheap.init(np.array([0.1, 0.0])), bowl)
    >>> info.evals, info.fallback, round(info.rho_kappa, 3)   # ρκ = 0.2 · 2/s³
    (2, False, 0.377)
    >>> wide = rolling_ball(lr=0.1, radius=0.6, solver="first-order")
    >>> _, info = wide.update(wide.init(np.array([0.1, 0.0])), bowl)
    >>> info.fallback, round(info.rho_kappa, 2)               # past the focal distance
    (True, 1.13)
    """
    lr_s = as_schedule("lr", lr)
    radius_s = as_schedule("radius", radius)
    check_choice(variant, "variant", VARIANTS)
    first_order = solver == "first-order"
    if first_order:
        if variant != "footpoint":
            raise ValueError("solver='first-order' takes the footpoint variant's step; use "
                             "variant='footpoint'")
        if fallback == "first-order":
            raise ValueError("fallback must be a projection: 'newton', 'gauss-newton', "
                             "'paper' or 'exact'")
        terms = None if terms is None else check_count(terms, "terms", minimum=0)
        solver = fallback
    opts = check_solver_options(solver=solver, loss_scale=loss_scale, tol=tol,
                                max_iter=max_iter, dense_max=dense_max, hessian=hessian,
                                paper_steps=paper_steps, paper_lr=paper_lr, certify=certify,
                                rtol=rtol, max_evals=max_evals)
    if variant == "distance" and not is_constant(radius_s):
        raise ValueError("the distance variant uses the radius only for the initial centre; "
                         "pass a constant radius (or use variant='footpoint' for a schedule)")
    lam = opts["loss_scale"]

    def init(theta0) -> RollingBallState:
        if getattr(theta0, "ndim", None) != 1:
            raise ValueError(f"theta0 must be a flat array of shape (d,), got {getattr(theta0, 'shape', theta0)!r}")
        return RollingBallState(theta0, None, None, 0, None, None)

    def update(state: RollingBallState, objective, *, fresh: bool = False):
        theta = state.params
        xp = array_namespace(theta)
        t = int(state.count)
        eta = check_value("lr", lr_s(t), t)
        rho = check_value("radius", radius_s(t), t)
        evals = 0
        f, g = state.value, state.grad
        if f is None or g is None or fresh:
            f, g = objective.value_and_grad(theta)
            f = xp.asarray(f, dtype=theta.dtype)
            evals += 1
        if g.shape != theta.shape:
            raise ValueError(f"objective gradient has shape {g.shape}, expected {theta.shape}")
        F, G = _scaled(lam, f, g)
        d = theta.shape[0]
        centre, x_new, y_new = step_target(theta, F, G, eta, rho)
        if variant == "distance":
            gn2 = xp.sum(G * G)
            if state.centre is not None:
                centre = state.centre
            cx, cy = centre[:d], centre[d]
            ux, uy = cx - theta, cy - F
            un = xp.sqrt(xp.sum(ux * ux) + uy * uy)
            if float(un) == 0.0:  # centre on the graph: use the normal
                ux, uy, un = -G, xp.ones_like(cy), xp.sqrt(1.0 + gn2)
            ux, uy = ux / un, uy / un
            dx, dy = -eta * G, -eta * gn2
            dot = xp.sum(dx * ux) + dy * uy
            x_new, y_new = cx + dx - dot * ux, cy + dy - dot * uy
        if first_order:
            oracle = ObjectiveOracle(objective, lam)
            fo = first_order_direction(G, lambda v: oracle.hvp(theta, G, v), rho, terms=terms,
                                       tol=opts["tol"], max_iter=opts["max_iter"])
            if fo.valid:
                new = RollingBallState(theta - eta * fo.direction, None, None, t + 1)
                return new, BallStepInfo(
                    loss=float(f), grad_norm=norm(g),
                    evals=evals + oracle.n, lr=eta, converged=fo.converged,
                    message=fo.message, residual=fo.residual, centre=centre, radius=rho,
                    rho_kappa=fo.rho_kappa)
            evals += oracle.n
        fp = _solve(objective, x_new, y_new, theta, f, g, hess0=state.hessian, **opts)
        new_centre = None
        if variant == "distance":
            new_centre = xp.concat([x_new, xp.reshape(y_new, (1,))])
        new = RollingBallState(fp.theta, fp.value, fp.grad, t + 1, new_centre, fp.hessian)
        message = fp.info.message
        if first_order:
            message = "; ".join(m for m in (fo.message, f"projected by {solver}", message) if m)
        info = BallStepInfo(loss=float(f), grad_norm=norm(g),
                            evals=evals + fp.info.evals, lr=eta, converged=fp.info.converged,
                            message=message, residual=fp.info.residual,
                            centre=centre, radius=rho, certified=fp.info.certified,
                            rho_kappa=fo.rho_kappa if first_order else float("nan"),
                            fallback=first_order)
        return new, info

    def cached(state: RollingBallState):
        if state.value is None or state.grad is None:
            return None
        return state.value, state.grad

    return Optimizer(init, update, cached)
