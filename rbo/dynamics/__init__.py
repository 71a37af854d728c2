"""Numerical verification of RBO's own propositions (``docs/math.md``, "RBO dynamics").

Each verifier measures what one statement claims about the optimizer's steps or runs (the
driver :func:`rbo.rolling_ball` with exact, certified projections) against an independent
computation, and returns the :class:`offsetgeo.theorems.TheoremReport` of the geometry
verifiers (holds / bound / measured / margin / rate / assumptions):

========================  ================================================================
``rbo-offset-descent``    the centre does gradient descent on the upper offset:
                          ``x' = x − η∇h_ρ(x) + O(η²)``, ``∇h_ρ(x) = g(θ)``; RBO on ``f̄_ρ``
                          takes the same steps
``rbo-first-order``       ``θ' = θ − η (I − ρW)⁻¹ g + O(η²)``
``rbo-linear-stability``  multipliers ``1 − ηλ/(1 − ρλ)``; stable iff ``λ_max < 2/(η + 2ρ)``
``rbo-sam-limit``         near a minimum RBO − unnormalised SAM = O(ρ²), RBO − GD = O(ρ)
``rbo-reachability``      contact points stay ρ-reachable up to O(η)
``rbo-ironing``           runs on ``f`` and ``f + φ`` approach as ρ grows (a conjecture)
========================  ================================================================

``rbo verify`` runs them on :data:`DEFAULT_CASES` and then the geometry statements of
``offsetgeo verify``. The measured tables are in ``docs/dynamics.md``.

Examples
--------
>>> from rbo import dynamics
>>> dynamics.stability_threshold(0.1, 0.3)
2.857142857142857
>>> rep = dynamics.first_order("cos(x) + 0.25*cos(3*x)", 0.2, thetas=[0.4], quick=True)
>>> rep.verdict
'holds'
"""

from ._cases import DEFAULT_CASES, STATEMENTS, cases, run_all
from ._local import first_order, offset_descent, sam_limit
from ._stability import linear_stability, multiplier, stability_threshold
from ._trajectories import trajectory_ironing, trajectory_reachability

__all__ = [
    "offset_descent", "first_order", "linear_stability", "sam_limit",
    "trajectory_reachability", "trajectory_ironing", "multiplier", "stability_threshold",
    "STATEMENTS", "DEFAULT_CASES", "cases", "run_all",
]
