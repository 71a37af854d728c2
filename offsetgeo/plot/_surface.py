"""Contour maps of a 2-D loss, with unreachable sets and the ironed function."""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Patch

from .. import unreachable_set
from ._checks import check_function, check_precomputed, check_radii, check_window
from ._sampled import ironed_grid
from ._style import PALETTE, SYMBOLS, ensure_axes, outside_legend

__all__ = ["surface"]

_HATCHES = ("////", "\\\\\\\\", "xxxx", "....")


def surface(f, rho=None, *, ax=None, window=None, ironed=False, unreachable=True, levels=14,
            colorbar=True, samples_per_axis=241, precomputed=None, legend=True):
    """Draw the contour map of a 2-D loss, with ``U_ρ`` hatched and, optionally, ``f̄_ρ``.

    The unreachable set ``U_ρ = {θ : f̄_ρ(θ) > f(θ)}`` comes from
    :func:`offsetgeo.unreachable_set` (a grid of global footpoint tests, hatched; its
    boundary points refined by bisection are dotted); the ironed
    function ``f̄_ρ`` (``ironed=True``: the map shows the landscape the ball sees) from the
    exact closing of ``samples_per_axis²`` samples.

    Parameters
    ----------
    f : Function or str
        A loss of two variables.
    rho : float or sequence of float, optional
        Radii whose unreachable sets are hatched (one colour each).
    ax : matplotlib Axes, optional
    window : [(lo, hi), (lo, hi)], optional
        Default: the domain, one period, or ``[-5, 5]²``.
    ironed : bool
        Fill the map with ``f̄_ρ`` instead of f (needs exactly one ρ).
    unreachable : bool
        Hatch ``U_ρ`` for every given ρ.
    levels : int or sequence of float
        Number of contour levels, or the levels.
    colorbar : bool
    samples_per_axis : int
        Grid of the map (and of the closing).
    precomputed : sequence of UnreachableSet, optional
        The sets already computed by :func:`offsetgeo.unreachable_set` on this window, one
        per radius of ``rho`` (drawn instead of computed again).
    legend : bool or {"top", "right"}
        Where to put the legend of the hatched sets (True: above the axes; False: none).

    Returns
    -------
    ax : matplotlib Axes

    See Also
    --------
    offsetgeo.unreachable_set : the hatched sets; unreachable : the 1-D picture.

    Examples
    --------
    >>> ax = surface("sin(x)*cos(y)", rho=1.5, window=[(0, 6.3), (0, 6.3)], colorbar=False,
    ...              samples_per_axis=61)
    >>> ax.get_xlabel(), ax.get_aspect()
    ('$\\\\theta_1$', 1.0)
    """
    f = check_function(f, "surface", dims=(2,))
    rhos = None if rho is None else check_radii(rho, "surface", "rho")
    if ironed and (rhos is None or rhos.size != 1):
        raise ValueError("surface: ironed=True draws f̄_ρ for one radius; pass rho=<one number>")
    if int(samples_per_axis) < 8:
        raise ValueError(f"surface: samples_per_axis must be at least 8, got {samples_per_axis}")
    box = check_window(f, window, "surface")
    ax = ensure_axes(ax)
    if ironed:
        (gx, gy), _, values, _ = ironed_grid(f, float(rhos[0]), box, int(samples_per_axis))
        name = SYMBOLS["ironed"] + rf", $\rho$ = {rhos[0]:.3g}"
    else:
        gx, gy = (np.linspace(lo, hi, int(samples_per_axis)) for lo, hi in box)
        mesh = np.stack(np.meshgrid(gx, gy, indexing="ij"), -1).reshape(-1, 2)
        values = f.value(mesh).reshape(len(gx), len(gy))
        name = r"$f$"
    filled = ax.contourf(gx, gy, values.T, levels=levels, cmap="cividis")
    ax.contour(gx, gy, values.T, levels=filled.levels, colors="white", linewidths=0.3,
               alpha=0.5, negative_linestyles="solid")
    handles = []
    radii = [] if rhos is None or not unreachable else list(rhos)
    sets = check_precomputed(precomputed, radii, "rho", "surface")
    if sets is None:
        sets = [unreachable_set(f, float(r), window=box) for r in radii]
    for k, (r, U) in enumerate(zip(radii, sets)):
        colour = PALETTE[(k + 1) % len(PALETTE)]
        hatch = _HATCHES[k % len(_HATCHES)]
        if U.mask.any():
            mask = U.mask.astype(float).T
            shade = ax.contourf(*U.grid, mask, levels=[0.5, 1.5], colors="none",
                                hatches=[hatch], hatchcolor=colour)
            shade.set_hatch_linewidth(0.5)
            ax.contour(*U.grid, mask, levels=[0.5], colors=[colour], linewidths=0.5)
        if len(U.edges):
            ax.plot(U.edges[:, 0], U.edges[:, 1], ".", ms=2.0, color=colour, mew=0)
        handles.append(Patch(facecolor="none", edgecolor=colour, hatch=hatch, hatchcolor=colour,
                             label=rf"{SYMBOLS['unreachable']}, $\rho$ = {r:.3g}"))
    outside_legend(ax, handles=handles or None, side=legend)
    if colorbar:
        ax.figure.colorbar(filled, ax=ax, label=name, shrink=0.9, pad=0.02)
    ax.set_xlabel(SYMBOLS["theta1"])
    ax.set_ylabel(SYMBOLS["theta2"])
    ax.set_aspect("equal", adjustable="box")
    return ax
