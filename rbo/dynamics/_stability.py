"""Linear stability of RBO at a minimum: multipliers ``1 − ηλ/(1 − ρλ)`` and the threshold
``2/(η + 2ρ)``, measured on quadratics with random spectra."""

from __future__ import annotations

import time

import numpy as np

from offsetgeo.theorems._report import TheoremReport, make_report

from .. import losses
from .._baselines import sgd
from .._rolling_ball import rolling_ball
from .._run import run
from ._steps import DRIVER_TOL, driver_steps, odd_part

__all__ = ["linear_stability", "multiplier", "stability_threshold", "random_quadratic"]


def multiplier(lam, lr, radius):
    """RBO's per-step multiplier along an eigenvector: ``m = 1 − ηλ/(1 − ρλ)`` (``ρλ < 1``).

    Parameters
    ----------
    lam : float or array
        Hessian eigenvalue(s) λ at the minimum (negative at a saddle).
    lr, radius : float
        η and ρ.

    Returns
    -------
    m : float or array

    See Also
    --------
    stability_threshold : where ``m = −1``.

    Examples
    --------
    >>> round(multiplier(2.0, 0.1, 0.2), 12), round(multiplier(-1.0, 0.1, 0.2), 12)
    (0.666666666667, 1.083333333333)

    (``1 − 0.2/0.6`` at a minimum, ``1 + 0.1/1.2`` along a saddle's negative direction.)
    """
    lam = np.asarray(lam, dtype=float)
    out = 1.0 - lr * lam / (1.0 - radius * lam)
    return float(out) if out.ndim == 0 else out


def stability_threshold(lr, radius):
    """Sharpness above which a minimum is linearly unstable for RBO: ``2/(η + 2ρ)``.

    Parameters
    ----------
    lr, radius : float
        η and ρ (``radius = 0``: gradient descent's ``2/η``).

    Returns
    -------
    lam : float

    See Also
    --------
    multiplier : the multiplier, ``−1`` at the threshold.

    Examples
    --------
    >>> stability_threshold(0.1, 0.2), multiplier(stability_threshold(0.1, 0.2), 0.1, 0.2)
    (4.0, -1.0)
    """
    return 2.0 / (lr + 2.0 * radius)


def _eigenvalue_at(m, lr, radius):
    """λ with ``1 − ηλ/(1 − ρλ) = m`` (``m < 1``)."""
    c = 1.0 - m
    return c / (lr + c * radius)


def random_quadratic(d, lr, radius, rng, *, top=None, saddle=True):
    """A random orthogonal basis ``Q`` and spectrum for ``½ θᵀ Q diag(λ) Qᵀ θ``: eigenvalues
    uniform in ``(0.05, 0.9) · 2/(η + 2ρ)``, one of them negative (a saddle direction) for
    ``d ≥ 2`` when ``saddle``, the largest replaced by ``top`` when given."""
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    lam = rng.uniform(0.05, 0.9, size=d) * stability_threshold(lr, radius)
    if saddle and d >= 2:
        lam[0] = -lam[0]
    if top is not None:
        lam[np.argmax(lam)] = top
    return Q, lam


def linear_stability(dims=(1, 2, 5, 10, 20), lr=0.1, radius=0.3, *, seed=0, delta=1e-4,
                     steps=80, quick=False) -> TheoremReport:
    """RBO's multipliers at a minimum and its stability threshold ``2/(η + 2ρ)``.

    Two claims, on ``f = ½ θᵀAθ`` with random orthogonal eigenvectors (:func:`random_quadratic`)
    in each dimension of ``dims``:

    1. along each eigenvector ``v_i`` the driver's step multiplies the offset by
       ``m_i = 1 − ηλ_i/(1 − ρλ_i)`` (a saddle direction too): measured as the odd part
       ``(Φ(δv_i) − Φ(−δv_i)) / 2δ`` (a vector: its part off ``v_i`` counts as error), whose
       error is O(δ²); tolerance: ``|m(2δ) − m(δ)|`` (three times the Richardson estimate
       of that error) plus ``1e3 · tol/δ`` for the driver's tolerance;
    2. runs of ``steps`` steps from ``1e-3`` along ``v_max`` converge (the component along
       ``v_max`` shrinks below 1 %) when ``λ_max`` is just below ``2/(η + 2ρ)``
       (``m = −0.9``) and do not (it does not shrink) just above (``m = −1.1``); gradient
       descent converges on the second, its threshold ``2/η`` being larger.

    Parameters
    ----------
    dims : sequence of int
        Dimensions of the random quadratics.
    lr, radius : float
        η and ρ.
    seed : int
        Seeds the random spectra and bases.
    delta : float
        Offset δ of the multiplier measurement.
    steps : int
        Length of the threshold runs (``0.9^80 ≈ 2e-4``, ``1.1^80 ≈ 2e3``).
    quick : bool
        Dimensions (1, 2, 5) only, 60 steps.

    Returns
    -------
    report : TheoremReport
        ``measured`` (k,): the largest multiplier error per dimension; ``bound``: set so
        that ``margin = bound − measured`` is the smallest ``tolerance − error`` over the
        eigenvectors; ``arrays``: ``dims``, ``lambdas``, ``predicted``, ``measured_m``,
        ``below``/``above``/``gd_above`` (the ratio ``|⟨v_max, θ_N⟩| / |⟨v_max, θ_0⟩|``),
        ``threshold``.

    See Also
    --------
    multiplier, stability_threshold : the predictions.
    sam_limit : the same linear map against SAM's.

    Examples
    --------
    >>> rep = linear_stability(dims=(1, 3), steps=60)
    >>> rep.holds, bool(rep.arrays["above"][0] > 1 > 0.01 > rep.arrays["below"][0])
    (True, True)
    """
    if quick:
        dims, steps = tuple(d for d in dims if d <= 5) or (1,), min(steps, 60)
    dims = tuple(int(d) for d in dims)
    if not dims or min(dims) < 1:
        raise ValueError("dims must be a non-empty sequence of positive dimensions")
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    thr = stability_threshold(lr, radius)
    lam_below, lam_above = _eigenvalue_at(-0.9, lr, radius), _eigenvalue_at(-1.1, lr, radius)
    errors, tols, lambdas, predicted, measured_m = [], [], [], [], []
    below, above, gd_above = [], [], []
    for d in dims:
        Q, lam = random_quadratic(d, lr, radius, rng)
        obj = losses.quadratic(Q @ np.diag(lam) @ Q.T)

        def step(ts):
            return driver_steps(obj, ts, lr, radius).theta

        pred = multiplier(lam, lr, radius)
        m1 = odd_part(step, np.zeros(d), delta * Q.T) / delta          # rows: Φ_odd(δ v_i)/δ
        m2 = odd_part(step, np.zeros(d), 2 * delta * Q.T) / (2 * delta)
        err = np.linalg.norm(m1 - pred[:, None] * Q.T, axis=1)
        tol = np.linalg.norm(m2 - m1, axis=1) + 1e3 * DRIVER_TOL / delta
        errors.append(float(np.max(err)))
        tols.append(float(np.max(err) + np.min(tol - err)))   # bound − measured = worst margin
        lambdas.append(lam)
        predicted.append(pred)
        measured_m.append(np.sum(m1 * Q.T, axis=1))
        for lam_top, out, opt in ((lam_below, below, None), (lam_above, above, None),
                                  (lam_above, gd_above, sgd(lr))):
            Qt, spec = random_quadratic(d, lr, radius, rng, top=lam_top)
            v = Qt[:, np.argmax(spec)]
            ball = rolling_ball(lr, radius, tol=DRIVER_TOL) if opt is None else opt
            tr = run(losses.quadratic(Qt @ np.diag(spec) @ Qt.T), ball, 1e-3 * v, steps,
                     on_failure="ignore")
            out.append(abs(float(v @ np.asarray(tr.final_theta))) / 1e-3)
    errors, tols = np.array(errors), np.array(tols)
    below, above, gd_above = np.array(below), np.array(above), np.array(gd_above)
    margin = tols - errors
    mult_ok = bool(np.all(margin >= 0))
    thr_ok = bool(np.all(below < 1e-2) and np.all(above >= 1.0) and np.all(gd_above < 1e-2))
    notes = [f"η = {lr:g}, ρ = {radius:g}: threshold 2/(η+2ρ) = {thr:.4g} (GD: 2/η = {2 / lr:.4g}),"
             f" runs at λ_max = {lam_below:.4g} (m = −0.9) and {lam_above:.4g} (m = −1.1)",
             f"multipliers within tolerance: {mult_ok}; |⟨v_max, θ_N⟩|/|⟨v_max, θ_0⟩| after "
             f"{steps} steps: below {np.round(below, 6).tolist()}, above "
             f"{np.round(above, 3).tolist()}, GD above {np.round(gd_above, 6).tolist()}"]
    arrays = {"dims": np.array(dims), "lambdas": lambdas, "predicted": predicted,
              "measured_m": measured_m, "below": below, "above": above, "gd_above": gd_above,
              "threshold": thr, "lambda_below": lam_below, "lambda_above": lam_above,
              "lr": lr, "steps": steps}
    claim = f"m = 1 − ηλ/(1 − ρλ); stable iff λ_max < 2/(η+2ρ) = {thr:.3g}"
    observed = (f"max |m − pred| {np.max(errors):.1g}; below → {np.max(below):.1g}, above "
                f"→ {np.min(above):.3g}, GD above → {np.max(gd_above):.1g}")
    return make_report("rbo-linear-stability", f"random quadratics, d = {list(dims)}", "theorem",
                       mult_ok and thr_ok, np.full(len(dims), radius), tols, errors, margin,
                       0.0, "upper", {"threshold": thr, "gd_threshold": 2 / lr},
                       {"ρλ_i < 1 (λ_i < 2/(η+2ρ) < 1/ρ)": True}, arrays, notes, claim,
                       observed, t0)
