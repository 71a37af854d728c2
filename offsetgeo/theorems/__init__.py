"""Numerical verification of the seeds' statements about offsets, ironing and reachability.

Each verifier measures the quantity a statement bounds over a sweep of radii ``ρ`` and
reports it against the claimed bound, with the margin, the sampling tolerance behind the
verdict, the assumptions it checked and the arrays behind the figures (see ``docs/math.md``,
"The statements to verify numerically"):

====================  ===============================================================
``weak-ironing``      ``sup_x |h_ρ − ρ − sup f| ≤ ρ − sqrt(ρ² − D²)`` for ``ρ ≥ D``
``linear-ironing``    ``sup_x |h^{f+φ}_ρ − h^f_ρ − sup φ| → 0`` (f affine, φ periodic)
``strong-ironing``    ``min_c sup_x |h^g_ρ − h^f_ρ − c| → 0`` (conjecture: evidence only)
``sharp-minima``      ``λ_max(∇²f(θ*)) > 1/ρ ⇒ θ* ∈ U_ρ`` (d = 1, 2)
``unreachable-growth``  ``U_ρ`` is open and ``ρ < ρ' ⇒ U_ρ ⊂ U_ρ'``
``phase-transition``  ``osc h_ρ = max f − min f`` while a global minimiser is reachable,
                      then drops; ``ρ · osc(ρ) → D²/2`` (``π²/2`` for ``sin``)
====================  ===============================================================

Offsets are computed by the exact morphology of sampled graphs
(:mod:`offsetgeo.morphology`); reachability of single points by the global footpoint
projection (:func:`offsetgeo.footpoint`). Every verdict is taken with a tolerance derived
from the sampling error bounds below, and the tolerance is part of the report.

Sampling error bounds (``h`` the grid spacing, ``Σh² = h0² + h1²`` in 2-D, ``L = sup|∇f|``,
``K = sup‖∇²f‖`` on the sampled window):

* dilation of samples: ``h_s ≤ h_ρ ≤ h_s + ε_dil`` with
  ``ε_dil = 2 · (K + (1 + L²)^{3/2} / ρ) · Σh² / 8`` (the maximiser of
  ``f(φ) + sqrt(ρ² − |x − φ|²)`` is within ``sqrt(Σh²)/2`` of a sample, the objective is
  stationary there and its second derivative is at most ``K + (1 + L²)^{3/2}/ρ``; factor 2
  for safety);
* minimum over a grid of an ``ℓ``-Lipschitz function: ``ε_grid = ℓ · sqrt(Σh²) / 2`` with ``ℓ``
  the sampled Lipschitz constant of the function (offsets are at most ``L``-Lipschitz);
* closing (ironed function) at a sample: ``ε_close = ε_dil + L · sqrt(Σh²)`` (the closing is a
  minimum over centres of a ``2L``-Lipschitz function, taken over grid centres).

Examples
--------
>>> from offsetgeo import theorems
>>> rep = theorems.weak_ironing("sin(x)", radii=[4.0, 8.0], period="2*pi", resolution=200)
>>> rep.holds, round(rep.arrays["D"], 4)
(True, 3.1416)
"""

from ._cases import DEFAULT_CASES, STATEMENTS, format_table, reports_to_json, run_all
from ._ironing import linear_ironing, strong_ironing, weak_ironing
from ._reachability import sharp_minima_unreachable, unreachable_sets_grow
from ._report import TheoremReport
from ._transition import phase_transition

__all__ = [
    "TheoremReport",
    "weak_ironing",
    "linear_ironing",
    "strong_ironing",
    "sharp_minima_unreachable",
    "unreachable_sets_grow",
    "phase_transition",
    "run_all",
    "STATEMENTS",
    "DEFAULT_CASES",
    "format_table",
    "reports_to_json",
]
