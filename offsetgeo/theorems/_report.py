"""The report every verifier returns, and its helpers."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .._function import as_function
from .._results import to_dict as _json_dict
from .._validation import check_radii

__all__ = ["TheoremReport", "make_report", "check_dim", "case_label", "verifier_inputs"]


@dataclass(frozen=True, eq=False)
class TheoremReport:
    """Measured quantity against claimed bound over a sweep of radii.

    Attributes
    ----------
    statement : str
        CLI name of the statement (a key of :data:`STATEMENTS`).
    case : str
        The function(s) the statement was checked on.
    kind : {"theorem", "conjecture"}
    holds : bool or None
        True: every claimed bound holds within ``tolerance``. False: some bound is violated
        beyond it. None: an assumption fails or cannot be established (see
        ``assumptions``), no radius of the sweep is covered by the statement, or the
        statement is a conjecture (then the report is evidence; see ``notes``).
    radii : ndarray (n,)
        The sweep of ``ρ``.
    bound, measured, margin : ndarray
        Claimed bound, measured value and margin over the sweep (shape (n,), (n - 1,) for
        pairs of consecutive radii, or (k, n) for k minima). NaN where the statement makes
        no claim. ``margin = bound − measured`` for an upper bound (``sense == "upper"``),
        ``measured − bound`` for a lower bound (``sense == "lower"``): positive = holds.
    worst_margin : float
        Smallest finite margin (NaN if none).
    tolerance : ndarray or float
        Sampling tolerance of the verdict: a claim counts as holding when
        ``margin ≥ −tolerance`` (lower bounds: ``margin > tolerance``).
    sense : {"upper", "lower", "none"}
    rate : dict or None
        Fitted rates, e.g. ``{"exponent": −1.0, "claimed_exponent": −1}``.
    assumptions : dict
        Hypothesis name → True, False, or a string explaining why it could not be checked.
    arrays : dict
        Arrays behind the report (grids, offset curves, ...), for plotting.
    notes : tuple of str
    claim, observed : str
        One-line texts of the claimed bound and of the measured value (for the table).
    """

    statement: str
    case: str
    kind: str
    holds: object
    radii: np.ndarray
    bound: np.ndarray
    measured: np.ndarray
    margin: np.ndarray
    worst_margin: float
    tolerance: object
    sense: str
    rate: object
    assumptions: dict
    arrays: dict = field(default_factory=dict)
    notes: tuple = ()
    claim: str = ""
    observed: str = ""
    seconds: float = 0.0

    @property
    def failed_assumptions(self):
        """Names of the assumptions that fail or could not be established."""
        return [k for k, v in self.assumptions.items() if v is not True]

    @property
    def verdict(self) -> str:
        """Short verdict: holds / FAILS / assumption fails: ... / evidence: ..."""
        failed = self.failed_assumptions
        if self.kind == "conjecture":
            ev = self.arrays.get("evidence", "inconclusive")
            return f"evidence: {ev}" + (f" (unverified: {', '.join(failed)})" if failed else "")
        if failed and self.holds is None:
            return "assumption fails: " + ", ".join(failed)
        if self.holds is None:
            return "no claim in sweep"
        return "holds" if self.holds else "FAILS"

    @property
    def converged(self):
        """Alias of :attr:`holds` in the shared result vocabulary."""
        return self.holds

    @property
    def residual(self) -> float:
        """The worst margin (the shared vocabulary's residual of a verification)."""
        return self.worst_margin

    @property
    def message(self) -> str:
        """The verdict in words."""
        return self.verdict

    def to_dict(self, include_arrays=False) -> dict:
        """JSON-ready data by the one rule (non-finite numbers as ``null``, listed under
        ``"nonfinite"``); ``include_arrays`` adds the plotting arrays."""
        out = {
            "statement": self.statement, "case": self.case, "kind": self.kind,
            "holds": self.holds, "verdict": self.verdict, "claim": self.claim,
            "observed": self.observed, "worst_margin": self.worst_margin,
            "sense": self.sense, "radii": self.radii, "bound": self.bound,
            "measured": self.measured, "margin": self.margin,
            "tolerance": self.tolerance, "rate": self.rate,
            "assumptions": self.assumptions, "notes": list(self.notes),
            "seconds": round(float(self.seconds), 4),
        }
        if include_arrays:
            out["arrays"] = self.arrays
        return _json_dict(out)

def finite_min(a):
    a = np.asarray(a, dtype=float)
    a = a[np.isfinite(a)]
    return float(a.min()) if a.size else float("nan")


def make_report(statement, case, kind, holds, radii, bound, measured, margin, tol, sense,
                rate, assumptions, arrays, notes, claim, observed, t0):
    margin = np.asarray(margin, dtype=float)
    return TheoremReport(
        statement=statement, case=case, kind=kind,
        holds=None if holds is None else bool(holds),
        radii=np.asarray(radii, dtype=float), bound=np.asarray(bound, dtype=float),
        measured=np.asarray(measured, dtype=float), margin=margin,
        worst_margin=finite_min(margin), tolerance=tol, sense=sense, rate=rate,
        assumptions=dict(assumptions), arrays=dict(arrays), notes=tuple(notes),
        claim=claim, observed=observed, seconds=time.perf_counter() - t0)

def verifier_inputs(statement: str, dims, radii, *functions):
    """The inputs of a verifier, checked: ``(start time, [Function, ...], radii or None)``.

    ``functions`` are ``(f, keyword arguments of as_function)`` pairs; each must have a
    dimension in ``dims``.
    """
    t0 = time.perf_counter()
    fs = [as_function(f, **kw) for f, kw in functions]
    for f in fs:
        check_dim(f, dims, statement)
    return t0, fs, (None if radii is None else check_radii(radii))


def check_dim(f, dims, name):
    if f.dim not in dims:
        raise ValueError(f"{name} supports functions of {' or '.join(map(str, dims))} "
                         f"variable(s); this one has {f.dim}")


def case_label(*fs) -> str:
    parts = []
    for f in fs:
        s = str(f.expr) if f.expr is not None else repr(f)
        if f.period is not None:
            s += " (period " + ", ".join("-" if p is None else f"{p:.6g}" for p in f.period) + ")"
        if f.domain is not None:
            s += " on " + " x ".join(f"[{lo:.4g}, {hi:.4g}]" for lo, hi in f.domain)
        parts.append(s)
    return "; ".join(parts)


