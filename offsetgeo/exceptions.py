"""Every warning and error class of offsetgeo and rbo.

The failure policy (``docs/conventions.md``): bad input raises ``ValueError`` or
``TypeError`` with one line saying what is wrong and what to do; a solver that does not
converge reports it in its result (``converged``, ``residual``, ``message``) and then, by the
``on_failure`` keyword, warns (:class:`NonConvergenceWarning`), raises
(:class:`ConvergenceError`) or stays silent.
"""

from __future__ import annotations

import warnings

__all__ = ["ConvergenceError", "NonConvergenceWarning", "ResolutionWarning",
           "ReachDisagreementWarning"]


class NonConvergenceWarning(RuntimeWarning):
    """A solver stopped before its residual met the tolerance (``on_failure="warn"``)."""


class ResolutionWarning(RuntimeWarning):
    """A sampling grid is too coarse for the features of the function."""


class ReachDisagreementWarning(RuntimeWarning):
    """The curvature method and the free-ball method gave different reaches."""


class ConvergenceError(RuntimeError):
    """A solver did not converge and ``on_failure="raise"`` was asked for.

    Parameters
    ----------
    message : str
    result : object, optional
        What was computed before the failure (e.g. the partial :class:`rbo.Trajectory`).

    Examples
    --------
    >>> err = ConvergenceError("step 3: residual 1e-3 > tol", result=[1, 2, 3])
    >>> str(err), err.result
    ('step 3: residual 1e-3 > tol', [1, 2, 3])
    """

    def __init__(self, message: str, result=None):
        super().__init__(message)
        self.result = result

    @property
    def trajectory(self):
        """Deprecated alias of :attr:`result` (``rbo.FootpointNotConverged.trajectory``)."""
        warnings.warn("ConvergenceError.trajectory is deprecated; use ConvergenceError.result",
                      DeprecationWarning, stacklevel=2)
        return self.result
