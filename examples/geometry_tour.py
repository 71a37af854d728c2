"""A tour of offsetgeo on one loss: footpoints, offsets, ironing, reach, unreachable sets,
medial axis — printed, and drawn to ``geometry_tour.png`` (seed-paper style).

Run: ``python examples/geometry_tour.py [output.png]``
"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import offsetgeo  # noqa: E402


def main(out="geometry_tour.png"):
    f = offsetgeo.Function("sin(x) + 0.3*sin(5*x)", period="2*pi")
    r = offsetgeo.reach(f)
    print(f"critical radius {r.value:.10f} at x = {float(r.witness):.6f} "
          f"(free-ball check {r.balls_value:.10f})")
    x = np.linspace(0, 2 * np.pi, 1201)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.plot(x, f.value(x), "k", lw=1.5, label="f")
    for rho, colour in [(0.3, "tab:blue"), (1.0, "tab:orange")]:
        fbar = offsetgeo.ironed(f, x[::6], rho)
        ax.plot(x[::6], fbar, color=colour, lw=1.2, label=f"ironed f̄, ρ = {rho}")
        U = offsetgeo.unreachable_set(f, rho)
        for lo, hi in U.intervals:
            ax.axvspan(lo, min(hi, 2 * np.pi), color=colour, alpha=0.08)
        print(f"rho = {rho}: unreachable intervals "
              + ", ".join(f"({lo:.4f}, {hi:.4f})" for lo, hi in U.intervals))
    axis = offsetgeo.medial_axis(f, samples_per_axis=512)
    for branch in axis.branches:
        c = branch.centre[branch.radius < 1.5]
        ax.plot(c[:, 0], c[:, 1], color="tab:green", lw=0.8)
    ax.plot([], [], color="tab:green", lw=0.8, label="upper medial axis (radius < 1.5)")
    z = np.array([[1.0, 2.2], [4.0, 1.5]])
    fp = offsetgeo.footpoint(f, z)
    for p, q in zip(z, fp.point):
        ax.plot([p[0], q[0]], [p[1], q[1]], "r:", lw=1)
    ax.plot(z[:, 0], z[:, 1], "r.", label="points and their footpoints")
    ax.set_xlim(0, 2 * np.pi)
    ax.set_ylim(-1.6, 2.5)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=7)
    ax.set_title("f(x) = sin x + 0.3 sin 5x: ironing by balls of radius ρ (shaded: U_ρ)")
    fig.tight_layout()
    fig.savefig(out, dpi=150)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
