"""One RBO step at many points, taken by the driver, and the closed forms it is checked against.

The driver is :func:`rbo.rolling_ball` (Newton footpoint, ``tol = 1e-13``; certified global
for analytic losses of one or two variables). The closed forms use only ``f``, ``∇f`` and
``∇²f`` of an :class:`offsetgeo.Function` (or the matrix of a quadratic).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from offsetgeo import normal_point
from offsetgeo.theorems._sampling import fit_exponent

from .._rolling_ball import rolling_ball

__all__ = ["DriverSteps", "driver_steps", "derivatives", "shape_operator", "first_order_steps",
           "centre_x", "usam_steps", "rate_margin", "odd_part", "asymptotic_sweep",
           "DRIVER_TOL", "SPREAD", "SHIFTS"]

#: footpoint tolerance of the driver in the verifiers
DRIVER_TOL = 1e-13

#: the sweep is in the asymptotic regime when the next term shifts the local order (the slope
#: between consecutive η) by at most this at the top of the sweep — so the fitted order is
#: within ORDER_BAND of the limit; else the sweep moves down ×10. The shift is linear in η,
#: so it is estimated from the spread of the local orders: spread / (1 − η_lo/η_hi) over the
#: midpoints η_lo < η_hi of the first and last pairs.
SPREAD = 0.2
#: at most this many moves down
SHIFTS = 2


class DriverSteps(NamedTuple):
    """One RBO step from each row of ``start``: the new contact points, the ball's centre
    before and after, and whether each projection converged and was certified global."""

    start: np.ndarray
    theta: np.ndarray
    centre: np.ndarray
    new_centre: np.ndarray
    converged: np.ndarray
    certified: np.ndarray


def driver_steps(objective, thetas, lr: float, radius: float, *, solver: str = "newton",
                 tol: float = DRIVER_TOL) -> DriverSteps:
    """One step of :func:`rbo.rolling_ball` from each row of ``thetas`` (n, d)."""
    opt = rolling_ball(lr=lr, radius=radius, solver=solver, tol=tol)
    thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
    n, d = thetas.shape
    new, centre, after = np.empty((n, d)), np.empty((n, d + 1)), np.empty((n, d + 1))
    converged, certified = np.empty(n, bool), np.empty(n, bool)
    for k in range(n):
        state, info = opt.update(opt.init(thetas[k].copy()), objective)
        new[k] = state.params
        centre[k] = info.centre
        after[k] = normal_point(state.params, np.asarray(state.value, dtype=float),
                                state.grad, radius)
        converged[k], certified[k] = info.converged, info.certified
    return DriverSteps(thetas, new, centre, after, converged, certified)


def derivatives(f, thetas):
    """``(f, ∇f, ∇²f)`` of a Function at the rows of ``thetas`` (n, d): (n,), (n, d), (n, d, d)."""
    v, g, H = f.evaluate(np.atleast_2d(np.asarray(thetas, dtype=float)), 2)
    return v, g, H


def shape_operator(g, H):
    """``W = (1/s)(I + g gᵀ)⁻¹ H`` per row (its eigenvalues are the principal curvatures)."""
    n, d = g.shape
    s = np.sqrt(1.0 + np.sum(g * g, axis=1))
    M = np.eye(d)[None] + g[:, :, None] * g[:, None, :]
    return np.linalg.solve(M, H) / s[:, None, None]


def centre_x(thetas, g, radius):
    """Horizontal coordinate of the ball's centre, ``θ − ρ g / s``."""
    s = np.sqrt(1.0 + np.sum(g * g, axis=1))
    return thetas - radius * g / s[:, None]


def first_order_steps(f, thetas, lr, radius):
    """``θ − η (I − ρW)⁻¹ g`` at each row of ``thetas``, from the Hessian (dense)."""
    _, g, H = derivatives(f, thetas)
    d = g.shape[1]
    A = np.eye(d)[None] - radius * shape_operator(g, H)
    return thetas - lr * np.linalg.solve(A, g[..., None])[..., 0]


def usam_steps(grad, thetas, lr, radius):
    """Unnormalised SAM, ``θ − η ∇f(θ + ρ ∇f(θ))``; ``grad(θs) -> (n, d)``."""
    return thetas - lr * grad(thetas + radius * grad(thetas))


def odd_part(step, centre, offsets):
    """``(Φ(θ* + δ) − Φ(θ* − δ)) / 2`` for each row δ of ``offsets``: the linear part of a
    map ``Φ`` at ``θ*`` up to O(δ³) (the quadratic terms cancel)."""
    return 0.5 * (step(centre + offsets) - step(centre - offsets))


def _local_orders(lrs, errors, floor):
    """Slopes of log(error) between consecutive η, per row (NaN where unresolved)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        e = np.where(errors > floor, errors, np.nan)
        return np.diff(np.log(e), axis=1) / np.diff(np.log(lrs))


def asymptotic_sweep(measure, lrs, floor, order, *, factor=10.0, shifts=SHIFTS):
    """``errors = measure(lrs)`` (n, k) on a sweep moved down by ``factor`` (at most
    ``shifts`` times) until, at every row, the shift of the local order at the top of the
    sweep estimated from their spread is at most :data:`SPREAD` — or the errors expected
    after the next move (``÷ factor^order``) would reach ``floor``.

    Returns ``(lrs, errors, moves)``.
    """
    if lrs.size < 3:                     # one local order: no spread to judge by
        return lrs, measure(lrs), 0
    mids = np.sqrt(lrs[1:] * lrs[:-1])
    stretch = 1.0 / (1.0 - mids[0] / mids[-1])
    for shift in range(shifts + 1):
        errors = measure(lrs)
        local = _local_orders(lrs, errors, floor)
        with np.errstate(invalid="ignore"):
            spread = np.nanmax(local, axis=1, initial=-np.inf) - np.nanmin(local, axis=1,
                                                                             initial=np.inf)
        settled = not np.any(np.nan_to_num(spread, nan=0.0, neginf=0.0) * stretch > SPREAD)
        lowest = np.nanmin(np.where(errors > floor, errors, np.nan), initial=np.inf)
        if settled or shift == shifts or lowest / factor ** order <= floor:
            return lrs, errors, shift
        lrs = lrs / factor
    return lrs, errors, shift  # pragma: no cover - the loop always returns


def rate_margin(x, errors, lo, hi, floor=0.0):
    """Fitted exponent of ``errors`` against ``x`` (log–log least squares over the entries
    above ``floor``) and its margin ``min(exponent − lo, hi − exponent)`` in the band.

    Returns ``(exponent, margin)``; NaN when fewer than two entries are above ``floor``.
    """
    p, _ = fit_exponent(x, errors, tol=floor)
    return p, min(p - lo, hi - p)
