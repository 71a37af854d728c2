"""Pictures of the rolling ball optimizer, built on :mod:`offsetgeo.plot` (same style).

* :func:`rbo_step` — one RBO step: ball, normal, candidate centre, new contact point,
  next ball (the seeds' figure 1), optionally with the authors' inexact projection;
* :func:`trajectories` — contact-point and centre trajectories of several runs
  (:class:`rbo.Trajectory`) over the graph Γ or, in 2-D, over a contour map.

:func:`step_geometry` returns the points :func:`rbo_step` draws.

Examples
--------
>>> import numpy as np, offsetgeo, rbo, rbo.plot
>>> f = "sin(x) + 0.3*sin(5*x)"
>>> runs = {f"ρ = {r}": rbo.run(rbo.objective(offsetgeo.Function(f)),
...                            rbo.rolling_ball(0.1, r, solver="exact"), np.array([1.0]), 20)
...         for r in (0.1, 0.5)}
>>> ax = rbo.plot.trajectories(f, runs)
>>> [t.get_text() for t in ax.get_legend().get_texts()][:2]
['ρ = 0.1', 'ρ = 0.5']
"""

from ._step import StepGeometry, rbo_step, step_geometry
from ._trajectories import trajectories

__all__ = ["rbo_step", "trajectories", "step_geometry", "StepGeometry"]
