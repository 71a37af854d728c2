"""Built-in losses.

From :class:`offsetgeo.Function` expressions (host NumPy/numba; usable with ``solver="exact"``
and :mod:`rbo.batched`):

* :func:`sine` — ``A sin(ω x)``, critical radius ``1/(A ω²)``;
* :func:`riemann` — ``R(x) = Σ_{n≤N} sin(n² x)/n²``;
* :func:`multiscale` — a 2-D bowl plus small ripples;
* :func:`exploration` — a shallow basin near the start, a deeper one further away, and seeded
  random small-scale terms.

Pure array-API (run on NumPy, CuPy, array_api_strict; exact ``hvp``; a ``function`` for the
exact projection when ``d ≤ 2``):

* :func:`quadratic` — ``½ θᵀAθ + bᵀθ + c``;
* :func:`affine` — ``aᵀθ + b``;
* :func:`sines` — ``Σ_i A sin(ω θ_i)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Optional

import numpy as np
from ._compat import array_namespace

from offsetgeo import Function
from offsetgeo._validation import check_count, check_positive

from ._compat import like
from ._objective import FunctionObjective

__all__ = ["sine", "riemann", "multiscale", "exploration", "quadratic", "affine", "sines",
           "riemann_expression", "ArrayLoss"]


def _function(expr: str, **kw):
    return Function(expr, **kw)


def sine(amplitude: float = 1.0, omega: float = 1.0) -> FunctionObjective:
    """``f(x) = A sin(ω x)`` (critical radius ``1/(A ω²)``).

    Parameters
    ----------
    amplitude, omega : float
        ``A`` and ``ω``.

    Returns
    -------
    objective : FunctionObjective

    See Also
    --------
    sines : the same in any dimension, on the array API.

    Examples
    --------
    >>> f = sine()
    >>> import numpy as np
    >>> v, g = f.value_and_grad(np.array([0.0])); float(v), g.tolist()
    (0.0, [1.0])
    """
    amplitude = check_positive(amplitude, "amplitude")
    omega = check_positive(omega, "omega (the frequency)")
    fn = _function(f"{amplitude!r}*sin({omega!r}*x)", period=2 * np.pi / omega)
    return FunctionObjective(fn, name="sine")


def riemann_expression(n_terms: int = 100) -> str:
    """``"sin(1*x)/1+sin(4*x)/4+…"``, the partial sum ``Σ_{n≤N} sin(n² x)/n²``.

    Parameters
    ----------
    n_terms : int
        ``N``.

    Returns
    -------
    expression : str

    See Also
    --------
    riemann : the loss.

    Examples
    --------
    >>> riemann_expression(2)
    'sin(1*x)/1+sin(4*x)/4'
    """
    n_terms = check_count(n_terms, "n_terms")
    return "+".join(f"sin({n**2}*x)/{n**2}" for n in range(1, n_terms + 1))


def riemann(n_terms: int = 100) -> FunctionObjective:
    """Riemann's function ``R(x) = Σ_{n=1}^{N} sin(n² x)/n²`` (period 2π).

    Parameters
    ----------
    n_terms : int
        ``N`` (default 100, as in the seeds).

    Returns
    -------
    objective : FunctionObjective

    See Also
    --------
    riemann_expression : its formula.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(riemann(3).value_and_grad(np.array([1.0]))[0]), 6)
    0.698061
    """
    return FunctionObjective(_function(riemann_expression(n_terms), period=2 * np.pi),
                             name=f"riemann{int(n_terms)}")


def multiscale(bowl: float = 0.1, ripple: float = 0.02, freq: float = 12.0) -> FunctionObjective:
    """2-D multi-scale loss ``bowl (x² + y²) + ripple sin(freq x) sin(freq y)``.

    The bowl alone has critical radius ``1/(2 bowl)`` (5 by default); the ripples bring it
    down to about ``1/(2 bowl + ripple freq²)`` (0.33 by default).

    Parameters
    ----------
    bowl, ripple, freq : float
        The bowl's coefficient, the ripples' amplitude and frequency.

    Returns
    -------
    objective : FunctionObjective

    See Also
    --------
    exploration : a 1-D landscape with two basins.

    Examples
    --------
    >>> import numpy as np
    >>> float(multiscale().value_and_grad(np.array([1.0, 0.0]))[0])
    0.1
    """
    bowl, ripple, freq = float(bowl), float(ripple), float(freq)
    expr = f"{bowl!r}*(x**2 + y**2) + {ripple!r}*sin({freq!r}*x)*sin({freq!r}*y)"
    return FunctionObjective(_function(expr, variables=["x", "y"], domain=[(-8, 8), (-8, 8)]),
                             name="multiscale2d")


def exploration(seed: int = 0, n_terms: int = 6, ripple: float = 0.02) -> FunctionObjective:
    """1-D exploration landscape: a narrow shallow well at 0, a broad deep basin at 4, ripples.

    ``f(x) = 0.01 (x − 4)² − 0.3 exp(−x²/(2·0.25²)) − exp(−(x − 4)²/(2·2²))
    + Σ_k a_k sin(ω_k x + φ_k)`` with ``a_k ~ U(0, ripple)``, ``ω_k ~ U(8, 25)``,
    ``φ_k ~ U(0, 2π)`` from ``default_rng(seed)``. Start near 0 (e.g. ``x0 = 0.3``): gradient
    descent and small balls stay in the narrow well; a ball much wider than the well
    (``ρ ≳ 2``) irons it away, sees the broad basin's slope and rolls to 4 (with exact,
    nearest-point projections; a well as wide as the basin would hold it too).

    Parameters
    ----------
    seed : int
        Seeds the ripples.
    n_terms : int
        Number of ripple terms.
    ripple : float
        Largest ripple amplitude.

    Returns
    -------
    objective : FunctionObjective

    See Also
    --------
    multiscale : a 2-D multi-scale bowl.

    Examples
    --------
    >>> import numpy as np
    >>> a = exploration(seed=0); b = exploration(seed=0)
    >>> bool(a.value_and_grad(np.array([0.3]))[0] == b.value_and_grad(np.array([0.3]))[0])
    True
    """
    rng = np.random.default_rng(seed)
    a = rng.uniform(0, ripple, n_terms)
    w = rng.uniform(8, 25, n_terms)
    p = rng.uniform(0, 2 * np.pi, n_terms)
    terms = "+".join(f"{float(a[k])!r}*sin({float(w[k])!r}*x+{float(p[k])!r})" for k in range(n_terms))
    expr = f"0.01*(x-4)**2 - 0.3*exp(-x**2/0.125) - exp(-(x-4)**2/8) + {terms}"
    return FunctionObjective(_function(expr, domain=(-10, 14)), name=f"exploration{seed}")


@dataclass(frozen=True, eq=False)
class ArrayLoss:
    """A loss written with array-API operations (any namespace), with an exact ``hvp``.

    ``kind`` selects the formula; ``params`` are NumPy arrays moved once per namespace/device.
    """

    kind: str
    params: dict
    expression: Optional[str] = None
    name: str = ""
    _cache: dict = field(default_factory=dict, repr=False)

    def _p(self, theta, key):
        xp = array_namespace(theta)
        k = (key, xp.__name__, str(getattr(theta, "device", "")))
        if k not in self._cache:
            self._cache[k] = like(self.params[key], theta)
        return self._cache[k]

    def value_and_grad(self, theta):
        xp = array_namespace(theta)
        if self.kind == "quadratic":
            A, b = self._p(theta, "A"), self._p(theta, "b")
            At = xp.matmul(A, theta)
            return 0.5 * xp.sum(theta * At) + xp.sum(b * theta) + self.params["c"], At + b
        if self.kind == "affine":
            a = self._p(theta, "a")
            return xp.sum(a * theta) + self.params["b"], a
        if self.kind == "sines":
            A, w = self.params["A"], self.params["w"]
            return xp.sum(A * xp.sin(w * theta)), (A * w) * xp.cos(w * theta)
        raise ValueError(f"unknown kind {self.kind!r}")  # pragma: no cover

    def hvp(self, theta, v):
        xp = array_namespace(theta)
        if self.kind == "quadratic":
            return xp.matmul(self._p(theta, "A"), v)
        if self.kind == "affine":
            return xp.zeros_like(v)
        A, w = self.params["A"], self.params["w"]
        return -(A * w * w) * xp.sin(w * theta) * v

    @cached_property
    def function(self):
        """The same loss as an :class:`offsetgeo.Function` (``d ≤ 2``), else None."""
        if self.expression is None:
            return None
        names = ["x"] if self.params["d"] == 1 else ["x", "y"]
        return _function(self.expression, variables=names)


def _expr_vars(d):
    return ["x"] if d == 1 else ["x", "y"] if d == 2 else None


def quadratic(A, b=None, c: float = 0.0) -> ArrayLoss:
    """``f(θ) = ½ θᵀAθ + bᵀθ + c`` (A symmetric; ``a x²`` has critical radius ``1/(2a)``).

    Parameters
    ----------
    A : array_like (d, d)
        Symmetric.
    b : array_like (d,), optional
    c : float

    Returns
    -------
    loss : ArrayLoss

    See Also
    --------
    affine, sines : the other array-API losses.

    Examples
    --------
    >>> import numpy as np
    >>> q = quadratic(np.diag([2.0, 4.0]), b=np.array([1.0, 0.0]))
    >>> v, g = q.value_and_grad(np.array([1.0, 1.0])); float(v), g.tolist()
    (4.0, [3.0, 4.0])
    """
    A = np.atleast_2d(np.asarray(A, dtype=float))
    d = A.shape[0]
    if A.shape != (d, d) or not np.allclose(A, A.T):
        raise ValueError(f"A must be a symmetric (d, d) matrix, got shape {A.shape}")
    b = np.zeros(d) if b is None else np.asarray(b, dtype=float).reshape(-1)
    if b.shape != (d,):
        raise ValueError(f"b must have shape ({d},), got {b.shape}")
    names = _expr_vars(d)
    expr = None
    if names:
        terms = [f"0.5*{float(A[i, j])!r}*{names[i]}*{names[j]}" for i in range(d) for j in range(d) if A[i, j] != 0]
        terms += [f"{float(b[i])!r}*{names[i]}" for i in range(d) if b[i] != 0]
        expr = "+".join(terms + [repr(float(c))])
    return ArrayLoss("quadratic", {"A": A, "b": b, "c": float(c), "d": d}, expr, "quadratic")


def affine(a, b: float = 0.0) -> ArrayLoss:
    """``f(θ) = aᵀθ + b``: RBO equals gradient descent on it exactly.

    Parameters
    ----------
    a : array_like (d,)
    b : float

    Returns
    -------
    loss : ArrayLoss

    See Also
    --------
    quadratic, sines : the other array-API losses.

    Examples
    --------
    >>> import numpy as np
    >>> float(affine(np.array([1.0, 2.0]), 3.0).value_and_grad(np.ones(2))[0])
    6.0
    """
    a = np.asarray(a, dtype=float).reshape(-1)
    d = a.shape[0]
    names = _expr_vars(d)
    expr = "+".join([f"{float(a[i])!r}*{names[i]}" for i in range(d)] + [repr(float(b))]) if names else None
    return ArrayLoss("affine", {"a": a, "b": float(b), "d": d}, expr, "affine")


def sines(d: int = 1, amplitude: float = 1.0, omega: float = 1.0) -> ArrayLoss:
    """``f(θ) = Σ_i A sin(ω θ_i)`` (critical radius ``1/(A ω²)``), pure array-API.

    Parameters
    ----------
    d : int
        Dimension.
    amplitude, omega : float
        ``A`` and ``ω``.

    Returns
    -------
    loss : ArrayLoss

    See Also
    --------
    sine : the 1-D analytic version.

    Examples
    --------
    >>> import numpy as np
    >>> float(sines(2).value_and_grad(np.array([np.pi / 2, 0.0]))[0])
    1.0
    """
    names = _expr_vars(d)
    expr = "+".join(f"{float(amplitude)!r}*sin({float(omega)!r}*{n})" for n in names) if names else None
    return ArrayLoss("sines", {"A": float(amplitude), "w": float(omega), "d": int(d)}, expr,
                     f"sines{d}")
