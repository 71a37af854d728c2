"""The first-order RBO step: no projection, one linear solve with ``I − ρW``.

To first order in η one RBO step is (``docs/math.md``, "RBO dynamics"; ``docs/dynamics.md``)::

    θ' = θ − η (I − ρW)⁻¹ G,     W = (1/s) (I + G Gᵀ)⁻¹ ∇²F,   s = sqrt(1 + |G|²)

on the graph of ``F = λ f`` (``G = ∇F``). ``W`` is the shape operator of the graph in
parameter coordinates: its eigenvalues are the principal curvatures ``κ_i``. It is
self-adjoint for the inner product ``⟨u, v⟩_M = uᵀ M v`` with ``M = I + G Gᵀ``, so along any
vector ``v`` the Rayleigh quotient

    q(v) = ⟨v, ρWv⟩_M / ⟨v, v⟩_M = (ρ/s) vᵀ∇²F v / (|v|² + (Gᵀv)²)

lies in ``[ρκ_min, ρκ_max]``: ``q(v) ≥ 1`` proves ``ρκ_max ≥ 1`` (the ball is past the focal
distance of the graph, where the first-order formula has no meaning), and
``|ρWv|_M ≥ |v|_M`` proves that some ``|ρκ_i| ≥ 1`` (the Neumann series diverges).

Two ways to apply ``(I − ρW)⁻¹`` with Hessian-vector products only:

* **Neumann**, ``terms = k``: ``u = Σ_{j=0}^{k} (ρW)^j G`` — ``k`` HVPs (``k = 1``:
  ``u = G + ρWG``, one gradient and one HVP per step, SAM's cost);
* **conjugate gradients**, ``terms = None``: ``A u = M G`` with the symmetric
  ``A = M (I − ρW) = M − (ρ/s)∇²F`` (positive definite iff ``ρκ_max < 1``), preconditioned by
  ``M⁻¹`` (Sherman–Morrison), to ``|A u − M G| ≤ tol``; the curvature ``pᵀAp / pᵀMp = 1 − q(p)``
  of every search direction is watched.
"""
from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple, Optional

from offsetgeo._numerics import conjugate_gradients, sherman_morrison

from ._compat import array_namespace, norm

__all__ = ["FirstOrderSolve", "first_order_direction", "default_cg_iter"]


class FirstOrderSolve(NamedTuple):
    """``u ≈ (I − ρW)⁻¹ G`` and what finding it saw.

    ``valid`` is False where ``ρκ ≥ 1`` was seen along the series (``rho_kappa ≥ 1``) or the
    Neumann series did not contract (some ``|ρκ| ≥ 1``): ``direction`` must not be used then.
    ``rho_kappa``: the largest Rayleigh quotient ``q`` of ``ρW`` met (a lower bound of
    ``ρ κ_max``; NaN at ``G = 0``). ``residual``: Neumann, the M-norm of the last term added
    (the truncation error is about ``ρκ`` times it); CG, ``|A u − M G|``.
    """

    direction: Any
    hvps: int
    rho_kappa: float
    valid: bool
    converged: bool
    residual: float
    message: str


def default_cg_iter(d: int) -> int:
    """Conjugate-gradient iteration cap of the first-order step: ``min(2d, 100)``."""
    return min(2 * int(d), 100)


def first_order_direction(G, hvp: Callable, rho: float, *, terms: Optional[int] = 1,
                          tol: float = 1e-10, max_iter: Optional[int] = None) -> FirstOrderSolve:
    """``(I − ρW)⁻¹ G`` by a truncated Neumann series or by conjugate gradients.

    ``W = (1/s)(I + G Gᵀ)⁻¹ ∇²F`` (see the module docstring); ``u = Σ_{j≤k} (ρW)^j G`` or the
    CG solution of ``(M − (ρ/s)∇²F) u = M G``, ``M = I + G Gᵀ``.

    Parameters
    ----------
    G : array (d,)
        ``∇F`` at the contact point (any array namespace).
    hvp : callable
        ``v -> ∇²F v`` at the same point; each call is one Hessian-vector product.
    rho : float
        Ball radius ρ.
    terms : int or None
        Neumann terms beyond ``G`` (= HVPs); None: conjugate gradients to ``tol``.
    tol : float
        CG: stop at ``|A u − M G| ≤ tol``.
    max_iter : int, optional
        CG iteration cap (default :func:`default_cg_iter`).

    Returns
    -------
    solve : FirstOrderSolve

    See Also
    --------
    rbo.rolling_ball : ``solver="first-order"`` takes the step ``θ − η u``.

    Examples
    --------
    One dimension: ``u = G / (1 − ρκ)``, ``κ = F''/s³``.

    >>> G, H, rho = np.array([0.5]), 2.0, 0.2
    >>> kappa = H / (1 + 0.25) ** 1.5
    >>> cg = first_order_direction(G, lambda v: H * v, rho, terms=None)
    >>> bool(np.isclose(cg.direction[0], 0.5 / (1 - rho * kappa))), cg.hvps   # 1 CG + 1 check
    (True, 2)
    >>> first_order_direction(G, lambda v: H * v, rho, terms=1).direction  # G (1 + ρκ)
    array([0.64310835])
    >>> first_order_direction(G, lambda v: H * v, 1.0, terms=1).valid      # ρκ = 1.43
    False
    """
    xp = array_namespace(G)
    s = math.sqrt(1.0 + float(xp.sum(G * G)))
    scale = rho / s

    def m_dot(u, v):
        return float(xp.sum(u * v)) + float(xp.sum(G * u)) * float(xp.sum(G * v))

    if norm(G) == 0.0:                       # at rest on a critical point
        return FirstOrderSolve(G, 0, float("nan"), True, True, 0.0, "")
    if terms is None:
        return _conjugate_gradients(G, hvp, scale, m_dot, tol, max_iter, xp)
    u, v, worst, count = G, G, -math.inf, 0
    vv = m_dot(v, v)
    for _ in range(int(terms)):
        Hv = hvp(v)
        count += 1
        q = scale * float(xp.sum(v * Hv)) / vv
        worst = max(worst, q)
        w = scale * sherman_morrison(G, Hv)          # ρ W v
        ww = m_dot(w, w)
        if q >= 1.0:
            return FirstOrderSolve(u, count, worst, False, False, math.sqrt(vv),
                                   f"ρκ ≥ 1 along the series (Rayleigh quotient {q:.3g}): the "
                                   "ball is past the focal distance")
        if ww >= vv:
            return FirstOrderSolve(u, count, worst, False, False, math.sqrt(vv),
                                   f"the Neumann series does not contract (|ρWv|/|v| = "
                                   f"{math.sqrt(ww / vv):.3g} in the metric I + ggᵀ): some "
                                   "|ρκ| ≥ 1")
        u, v, vv = u + w, w, ww
        if vv == 0.0:
            break
    return FirstOrderSolve(u, count, worst, True, True, math.sqrt(vv), "")


def _conjugate_gradients(G, hvp, scale, m_dot, tol, max_iter, xp) -> FirstOrderSolve:
    """CG on ``(M − (ρ/s)∇²F) u = M G``, preconditioned by ``M⁻¹``, watching ``q(p)``."""
    seen = {"q": -math.inf}

    def matvec(p):
        Hp = hvp(p)
        pp = m_dot(p, p)
        if pp > 0.0:
            seen["q"] = max(seen["q"], scale * float(xp.sum(p * Hp)) / pp)
        return p + G * xp.sum(G * p) - scale * Hp

    b = G + G * xp.sum(G * G)                        # M G
    cap = default_cg_iter(G.shape[0]) if max_iter is None else int(max_iter)
    u, count = conjugate_gradients(matvec, b, tol / norm(b), cap,
                                   lambda r: sherman_morrison(G, r))
    res = norm(b - matvec(u))                        # the true residual: one more HVP
    q = seen["q"]
    if q >= 1.0:
        return FirstOrderSolve(u, count + 1, q, False, False, res,
                               f"ρκ ≥ 1 along the conjugate gradients (Rayleigh quotient "
                               f"{q:.3g}): the ball is past the focal distance")
    ok = res <= tol
    msg = "" if ok else (f"conjugate gradients stopped after {count} iterations with "
                         f"|A u − M g| = {res:.3g} > tol = {tol:.3g}")
    return FirstOrderSolve(u, count + 1, q, True, ok, res, msg)
