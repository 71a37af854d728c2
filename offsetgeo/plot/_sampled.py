"""Offsets and ironed functions on dense samples, with their error bounds, for drawing.

The exact grey-scale morphology of :func:`offsetgeo.hemisphere_dilation` /
:func:`offsetgeo.hemisphere_closing` (O(n) in 1-D for any ρ) is applied to samples of f
dense enough that the curves are right to a given tolerance. With ``h`` the spacing,
``L = sup|f'|`` and ``K = sup|f''|`` on the samples (bounds from ``offsetgeo.theorems``):

* offset: ``h_s ≤ h_ρ ≤ h_s + ε_off``, ``ε_off = (K + (1 + L²)^{3/2}/ρ) h²/4``;
* ironed: ``|f̄_s − f̄_ρ| ≤ ε_iron = ε_off + L h`` (a minimum over grid centres).

The spacing is chosen so that ``ε_iron ≤ tol`` (default: 1/1000 of the range of f), with at
most :data:`MAX_SAMPLES` samples; the bounds reached are returned with the curves. In 1-D,
``L`` and ``K`` are the maxima over a pilot grid of 8193 points: the bounds hold when that
grid resolves f' and f'' (for rougher losses they are estimates).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import hemisphere_closing, hemisphere_dilation
from ._checks import check_function, check_radii, check_window, periodic_axes

__all__ = ["OffsetCurves", "offset_curves", "MAX_SAMPLES"]

#: most samples of f used for one window (1-D)
MAX_SAMPLES = 1 << 21
_MIN_SAMPLES = 2048
_PILOT = 8193


@dataclass(frozen=True)
class OffsetCurves:
    """Γ, the upper offsets ``h_ρ`` and the ironed functions ``f̄_ρ`` on dense samples.

    Attributes
    ----------
    x : ndarray (n,)
        Sample points in the window.
    value : ndarray (n,)
        ``f(x)``.
    rho : ndarray (k,)
    offset : ndarray (k, n)
        ``h_ρ(x)`` (the height of the centre of the ball resting above x).
    ironed : ndarray (k, n)
        ``f̄_ρ(x)``, ``≥ f(x)``, equal where ``p(x)`` is ρ-reachable.
    offset_error, ironed_error : ndarray (k,)
        Bounds on the sampling error of each curve (see the module docstring).
    periodic : bool
        The window is one period of f (the morphology wrapped around).
    """

    x: np.ndarray
    value: np.ndarray
    rho: np.ndarray
    offset: np.ndarray
    ironed: np.ndarray
    offset_error: np.ndarray
    ironed_error: np.ndarray
    periodic: bool


def _bounds(f, lo, hi):
    """Sampled ``sup|f'|``, ``sup|f''|`` and the range of f on [lo, hi]."""
    x = np.linspace(lo, hi, _PILOT)
    value, grad, hess = f.evaluate(x[:, None], 2)
    return (float(np.abs(grad).max()), float(np.abs(hess).max()),
            float(value.max() - value.min()))


def _errors(L, K, rho, h):
    offset = (K + (1.0 + L * L) ** 1.5 / rho) * h * h / 4.0
    return offset, offset + L * h


def _spacing(L, K, rho_min, tol):
    """Largest h with (K + (1+L²)^{3/2}/ρ) h²/4 + L h ≤ tol."""
    a = (K + (1.0 + L * L) ** 1.5 / rho_min) / 4.0
    return 2.0 * tol / (L + math.sqrt(L * L + 4.0 * a * tol))


def offset_curves(f, rhos, *, window=None, tol=None) -> OffsetCurves:
    """``h_ρ`` and ``f̄_ρ`` of a 1-D loss on dense samples, each with a bound on its error.

    ``h_ρ(x) = max_{|φ−x|≤ρ} f(φ) + sqrt(ρ² − (x−φ)²)``, ``f̄_ρ(θ) = min_{|x−θ|≤ρ} h_ρ(x) −
    sqrt(ρ² − (x−θ)²)``, computed by the exact morphology of the samples.

    Parameters
    ----------
    f : Function or str
        A loss of one variable.
    rhos : float or sequence of float
        Radii ρ > 0.
    window : (lo, hi), optional
        Default: the domain, one period, or ``[-5, 5]``. Outside one period the samples are
        extended by ``2 max ρ`` on each side (clipped to the domain), so the curves inside
        the window are those of the whole graph.
    tol : float, optional
        Target bound on the error of ``f̄_ρ`` (default 1e-3 × the range of f on the window).

    Returns
    -------
    curves : OffsetCurves

    See Also
    --------
    offsetgeo.offset_height, offsetgeo.ironed : the same at given points, to round-off.

    Examples
    --------
    >>> c = offset_curves("x**2", 1.0, window=(-1, 1))
    >>> i = np.argmin(np.abs(c.x))          # the unit ball rests on x = ±√3/2: f̄(0) = 1/4
    >>> bool(abs(c.ironed[0, i] - 0.25) <= c.ironed_error[0])
    True
    """
    f = check_function(f, "offset_curves")
    rho = check_radii(rhos, "offset_curves")
    box = check_window(f, window, "offset_curves")[0]
    periodic = periodic_axes(f, box[None, :])[0]
    lo, hi = float(box[0]), float(box[1])
    if not periodic:
        lo, hi = lo - 2.0 * rho.max(), hi + 2.0 * rho.max()
        if f.domain is not None:
            lo, hi = max(lo, f.domain[0, 0]), min(hi, f.domain[0, 1])
    L, K, spread = _bounds(f, lo, hi)
    tol = 1e-3 * (spread if spread > 0 else 1.0) if tol is None else float(tol)
    if not tol > 0:
        raise ValueError(f"offset_curves: tol must be positive, got {tol}")
    h = _spacing(L, K, float(rho.min()), tol)
    n = int(min(max(math.ceil((hi - lo) / h) + 1, _MIN_SAMPLES), MAX_SAMPLES))
    x = np.linspace(lo, hi, n, endpoint=not periodic)
    spacing = float(x[1] - x[0])
    value = f.value(x)
    keep = (x >= box[0]) & (x <= box[1])
    offsets, ironed, e_off, e_iron = [], [], [], []
    for r in rho:
        offsets.append(hemisphere_dilation(value, spacing, r, periodic=periodic)[keep])
        ironed.append(hemisphere_closing(value, spacing, r, periodic=periodic)[keep])
        eo, ei = _errors(L, K, r, spacing)
        e_off.append(eo)
        e_iron.append(ei)
    return OffsetCurves(x[keep], value[keep], rho, np.array(offsets), np.array(ironed),
                        np.array(e_off), np.array(e_iron), periodic)


def ironed_grid(f, rho, box, samples_per_axis=241):
    """``f̄_ρ`` of a 2-D loss on a ``samples_per_axis²`` grid of ``box`` (exact closing of
    the samples, extended by ``2ρ`` where the box is not one period); returns the axes, the
    values of f and of ``f̄_ρ`` (indexed ``[i_x, i_y]``) and the error bound ``ε_iron``."""
    periodic = periodic_axes(f, box)
    domain = f.domain if f.domain is not None else np.array([[-np.inf, np.inf]] * 2)
    axes, keep = [], []
    for (lo, hi), per, (dlo, dhi) in zip(box, periodic, domain):
        step = (hi - lo) / (samples_per_axis - (0 if per else 1))
        if per:
            ax = lo + step * np.arange(samples_per_axis)
        else:
            extra = int(math.ceil(2.0 * rho / step))
            ax = lo + step * np.arange(-extra, samples_per_axis + extra)
            ax = ax[(ax >= dlo) & (ax <= dhi)]
        axes.append(ax)
        keep.append((ax >= lo - 1e-12 * step) & (ax <= hi + 1e-12 * step))
    mesh = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 2)
    value, grad, hess = f.evaluate(mesh, 2)
    shape = (len(axes[0]), len(axes[1]))
    spacing = tuple(float(a[1] - a[0]) for a in axes)
    closed = hemisphere_closing(value.reshape(shape), spacing, rho, periodic=periodic)
    L = float(np.linalg.norm(grad, axis=1).max())
    K = float(np.abs(np.linalg.eigvalsh(hess)).max())
    h = math.hypot(*spacing)
    _, error = _errors(L, K, rho, h)
    sel = np.ix_(keep[0], keep[1])
    return (axes[0][keep[0]], axes[1][keep[1]]), value.reshape(shape)[sel], closed[sel], error


def envelope(x, y, bins=4096):
    """At most ``2 bins`` points tracing the min–max envelope of ``y`` per bin of ``x``:
    a dense curve drawn without losing its fine wiggles (or megabytes of vector output)."""
    n = len(x)
    if n <= 2 * bins:
        return x, y
    per = n // bins
    m = per * bins
    yb = y[:m].reshape(bins, per)
    lo = np.argmin(yb, axis=1)
    hi = np.argmax(yb, axis=1)
    first = np.minimum(lo, hi) + per * np.arange(bins)
    second = np.maximum(lo, hi) + per * np.arange(bins)
    idx = np.stack([first, second], axis=1).reshape(-1)
    idx = np.concatenate([idx, np.arange(m, n)])
    return x[idx], y[idx]
