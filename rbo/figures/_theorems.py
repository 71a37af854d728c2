"""Figures of the theorem verifiers: each measured quantity against its claimed bound over ρ.

The reports come from :func:`offsetgeo.theorems.run_all` on its default cases (those of
``offsetgeo verify``), computed once per process and shared with the report's table.
"""

from __future__ import annotations

import functools
import re

import numpy as np

import offsetgeo.plot as gplot
from offsetgeo import theorems

from ._registry import FigureResult, figure, new_figure

__all__ = ["theorem_reports", "weak_ironing", "linear_ironing", "strong_ironing",
           "phase_transition", "sharp_minima"]


@functools.lru_cache(maxsize=None)
def _statement_reports(statement: str, quick: bool) -> tuple:
    return tuple(theorems.run_all(quick=quick, statements=[statement]))


def theorem_reports(quick: bool) -> list:
    """Every report of ``offsetgeo verify [--quick]``, in its order."""
    return [r for name in theorems.STATEMENTS for r in _statement_reports(name, bool(quick))]


def _short(case: str) -> str:
    return re.sub(r" \(period[^)]*\)", "", case)


def _case_data(report, *extra) -> dict:
    out = {"case": report.case, "statement": report.statement, "radii": report.radii,
           "measured": report.measured, "bound": report.bound, "margin": report.margin,
           "tolerance": report.tolerance, "verdict": report.verdict, "claim": report.claim,
           "observed": report.observed, "rate": report.rate}
    out.update({key: report.arrays[key] for key in extra if key in report.arrays})
    return out


def _summary(reports) -> str:
    return " ".join(f"{_short(r.case)}: {r.observed} ({r.verdict})." for r in reports)


_MARKERS = "osD^v"


def _sweep(statement, quick, ylabel, extra=(), reference=True):
    """One panel: the measured quantity of every case (solid) and its bound (dashed)."""
    reports = _statement_reports(statement, quick)
    fig, ax = new_figure(height=2.9)
    gplot.radius_sweep([r.radii for r in reports], [r.measured for r in reports], ax=ax,
                       label=[_short(r.case) for r in reports],
                       marker=[_MARKERS[k % len(_MARKERS)] for k in range(len(reports))],
                       reference=[r.bound for r in reports] if reference else None,
                       reference_label="claimed bound (dashed)", ylabel=ylabel)
    return fig, ax, reports, {"cases": [_case_data(r, *extra) for r in reports]}


@figure("Weak ironing: sup |h_ρ − ρ − sup f| against its bound ρ − √(ρ² − D²)")
def weak_ironing(quick):
    fig, _, reports, data = _sweep("weak-ironing", quick, r"$\sup_x |h_\rho - \rho - \sup f|$",
                                   extra=("M", "D"))
    caption = ("The offset h_ρ of a bounded loss flattens to sup f + ρ at rate D²/(2ρ) "
               "(solid: measured on the exact morphology of dense samples; dashed: the bound "
               "ρ − √(ρ² − D²), claimed for ρ ≥ D). " + _summary(reports))
    return FigureResult(fig, data, caption)


@figure("Linear ironing: offsets of f and f + φ (f affine) agree up to sup φ")
def linear_ironing(quick):
    fig, _, reports, data = _sweep("linear-ironing", quick,
                                   r"$\sup_x |h^{f+\varphi}_\rho - h^f_\rho - \sup\varphi|$",
                                   extra=("slope", "sup_phi", "D"))
    caption = ("An affine loss plus a bounded periodic φ: the offsets of the two graphs agree "
               "up to the translation sup φ as ρ grows (solid: measured; dashed: the tilted "
               "weak-ironing bound ≈ s³D²/(2ρ)). " + _summary(reports))
    return FigureResult(fig, data, caption)


@figure("Strong ironing (a conjecture): min_c sup |h^g_ρ − h^f_ρ − c| over ρ")
def strong_ironing(quick):
    fig, _, reports, data = _sweep("strong-ironing", quick,
                                   r"$\min_c \sup_x |h^g_\rho - h^f_\rho - c|$",
                                   extra=("c", "evidence"), reference=False)
    against = [_short(r.case) for r in reports if r.arrays.get("evidence") == "against"]
    caption = ("Evidence, not proof, for the seeds' conjecture that the offsets of two losses "
               "at bounded distance approach each other up to a vertical shift. "
               + _summary(reports)
               + (f" Against it: {'; '.join(against)}: where the contact slopes grow with ρ "
                  "(a parabola), the tilted-ball deficit ~ s³D²/(2ρ) need not vanish."
                  if against else ""))
    return FigureResult(fig, data, caption)


@figure("Phase transition: the oscillation of h_ρ stays max f − min f up to ρ_g, then drops")
def phase_transition(quick):
    fig, ax, reports, data = _sweep("phase-transition", quick,
                                    r"oscillation $\max h_\rho - \min h_\rho$",
                                    extra=("rho_g", "rho_c", "D", "rho_times_osc"))
    for k, r in enumerate(reports):
        ax.axvline(r.arrays["rho_g"], color=gplot.PALETTE[k], lw=0.7, ls=":")
    caption = ("The oscillation of the offset equals that of f while a global minimiser is "
               "reachable (ρ ≤ ρ_g, dotted) and then decays like D²/(2ρ) (dashed: the claimed "
               "bound, the plateau then the weak-ironing bound). " + _summary(reports))
    return FigureResult(fig, data, caption)


@figure("Unreachable sharp minima: penetration of the ball resting on a minimum")
def sharp_minima(quick):
    reports = _statement_reports("sharp-minima", quick)
    fig, axes = new_figure(width=gplot.TEXT_WIDTH, height=2.7, ncols=len(reports))
    for ax, r in zip(np.atleast_1d(axes), reports):
        lam = np.atleast_1d(r.arrays["lambda_max"])
        labels = [f"θ* = {', '.join(f'{t:.3f}' for t in np.ravel(m))}, λ = {v:.3g}"
                  for m, v in zip(r.arrays["minima"], lam)]
        # below the footpoint tolerance the ball does not cut Γ: reachable, nothing to draw
        shown = np.where(r.measured > r.tolerance, r.measured, np.nan)
        model = np.where(r.arrays["claimed"], r.arrays["model_penetration"], np.nan)
        gplot.radius_sweep(r.radii, shown, ax=ax, label=labels, reference=model,
                           marker=list(_MARKERS[:len(lam)]),
                           reference_label="quadratic model (dashed)", legend=False,
                           ylabel=r"penetration $\rho - d(c, \Gamma)$")
        for k, v in enumerate(lam):
            ax.axvline(1.0 / v, color=gplot.PALETTE[k % len(gplot.PALETTE)], lw=0.7, ls=":")
        gplot.outside_legend(ax, title=_short(r.case))
    caption = ("A minimum whose Hessian has λ_max > 1/ρ is ρ-unreachable: the ball of radius "
               "ρ resting on it (centre (θ*, f(θ*) + ρ)) cuts the graph. Measured: the "
               "penetration ρ − d(c, Γ) by global footpoint projection (penetrations below the "
               "footpoint tolerance, i.e. reachable minima, are not drawn on the log axis); "
               "dotted: ρ = 1/λ_max, where the claim starts; dashed: the quadratic model "
               "ρ − √(2ρ/λ − 1/λ²). " + _summary(reports))
    data = {"cases": [_case_data(r, "minima", "lambda_max", "model_penetration")
                      for r in reports]}
    return FigureResult(fig, data, caption)
