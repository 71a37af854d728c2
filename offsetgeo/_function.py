"""Analytic loss functions with exact derivatives, evaluated by numba kernels."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import sympy

from ._expression import check_expression, parse_expression, parse_number
from ._numerics import mesh
from ._tape import compile_tape, differentiate_tape, evaluate_tape
from ._validation import as_thetas

__all__ = ["Function", "as_function", "MAX_TAPE"]

_CHECK_BOX = 5.0  # half-width of the box sampled for NaN checks when no domain is given
_PARTS = ("value", "gradient", "Hessian")

#: the most tape instructions a function's value, gradient and Hessian may need together
MAX_TAPE = 1_000_000


def _guards(expr) -> list:
    """``(guard, reason)`` pairs: sub-expressions whose sign change means f is not finite
    (or not differentiable) in between."""
    out = {}
    for sub in sympy.preorder_traversal(expr):
        if isinstance(sub, sympy.Pow) and sub.exp.is_Number and not sub.exp.is_nonnegative \
                or isinstance(sub, sympy.Pow) and sub.exp.is_Number and not sub.exp.is_integer:
            out.setdefault(sub.base, f"a singular point of {sub}")
        elif isinstance(sub, sympy.Pow) and not sub.exp.is_Number:
            out.setdefault(sub.base, f"the base of {sub} crosses zero")
        elif isinstance(sub, sympy.log):
            out.setdefault(sub.args[0], f"the argument of {sub} crosses zero")
        elif isinstance(sub, (sympy.tan, sympy.sec)):
            out.setdefault(sympy.cos(sub.args[0]), f"a pole of {sub}")
        elif isinstance(sub, (sympy.cot, sympy.csc)):
            out.setdefault(sympy.sin(sub.args[0]), f"a pole of {sub}")
        elif isinstance(sub, (sympy.asin, sympy.acos, sympy.atanh)):
            out.setdefault(1 - sub.args[0] ** 2, f"the argument of {sub} leaves (-1, 1)")
        elif isinstance(sub, sympy.acosh):
            out.setdefault(sub.args[0] - 1, f"the argument of {sub} leaves (1, inf)")
    return [(g, why) for g, why in out.items() if g.free_symbols]



def _parse_domain(domain, dim: int):
    if domain is None:
        return None
    if isinstance(domain, str):
        raise ValueError("domain must be a box: (lo, hi) for d = 1 or [(lo, hi), ...] per variable")
    items = list(domain)
    if dim == 1 and len(items) == 2 and not np.ndim(items[0]):
        items = [items]
    if len(items) != dim:
        raise ValueError(f"domain has {len(items)} intervals but the function has {dim} variables")
    box = np.array([[parse_number(lo, "domain bound"), parse_number(hi, "domain bound")] for lo, hi in items])
    if np.any(box[:, 1] <= box[:, 0]):
        raise ValueError(f"domain intervals must have lo < hi, got {box.tolist()}")
    return box


def _parse_period(period, dim: int):
    if period is None:
        return None
    items = list(period) if isinstance(period, (list, tuple)) else [period] * dim
    if len(items) != dim:
        raise ValueError(f"period has {len(items)} entries but the function has {dim} variables")
    out = tuple(None if p is None else parse_number(p, "period") for p in items)
    if any(p is not None and p <= 0 for p in out):
        raise ValueError(f"periods must be positive, got {out}")
    return None if all(p is None for p in out) else out


class Function:
    """A real-analytic loss ``f : R^d -> R`` with exact gradient and Hessian.

    Parameters
    ----------
    expr : str or sympy.Expr
        The loss. Strings are parsed safely (nothing is executed): numbers,
        variables, ``+ - * / **`` and elementary analytic functions only.
    variables : sequence of str, optional
        Variable order. Inferred (sorted by name) when omitted.
    domain : box, optional
        ``(lo, hi)`` for one variable or ``[(lo, hi), ...]``; the function must be
        finite there. Without a domain it is checked on ``[-5, 5]^d``.
    period : float or sequence of (float or None), optional
        Period per variable, for periodic losses (strings like ``"2*pi"`` accepted).

    Examples
    --------
    >>> f = Function("sin(x) + 0.3*sin(5*x)")
    >>> round(float(f.value(0.5)), 6), round(float(f.grad(0.0)), 6)
    (0.658967, 2.5)
    >>> g = Function("x**2 + 3*y**2")
    >>> g.hess([1.0, 2.0]).tolist()
    [[2.0, 0.0], [0.0, 6.0]]
    """

    def __init__(self, expr, variables=None, *, domain=None, period=None):
        if isinstance(expr, str):
            expr, symbols = parse_expression(expr, variables)
        else:
            expr, symbols = self._from_sympy(expr, variables)
        self.expr = expr
        self.symbols = symbols
        self.variables = tuple(s.name for s in symbols)
        self.dim = len(symbols)
        if self.dim == 0:
            raise ValueError(f"expression {expr} has no variables; a loss needs at least one")
        self.domain = _parse_domain(domain, self.dim)
        self.period = _parse_period(period, self.dim)
        self._callables = None
        self._tapes = {}
        self._cache = {}
        self._check_finite()

    @staticmethod
    def _from_sympy(expr, variables):
        try:
            expr = sympy.sympify(expr, strict=True)
        except (sympy.SympifyError, TypeError) as err:
            raise TypeError(f"expression must be a string or a sympy expression: {err}") from None
        if not isinstance(expr, sympy.Expr):
            raise TypeError(f"expected a sympy expression, got {type(expr).__name__}")
        free = sorted(expr.free_symbols, key=lambda s: s.name)
        if variables is None:
            symbols = tuple(free)
        else:
            names = variables.replace(",", " ").split() if isinstance(variables, str) else list(variables)
            by_name = {s.name: s for s in free}
            symbols = tuple(by_name.get(str(n), sympy.Symbol(str(n), real=True)) for n in names)
        check_expression(expr, symbols)
        return expr, symbols

    @classmethod
    def from_callables(cls, value, grad, hess=None, *, dim=1, domain=None, period=None, name=None):
        """A loss given by vectorised Python callables instead of a formula.

        ``value(X)``, ``grad(X)`` and ``hess(X)`` take ``X`` of shape (n,) when
        ``dim == 1`` and (n, dim) otherwise, and return arrays of shape (n,),
        (n,) / (n, dim) and (n,) / (n, dim, dim). Without ``hess`` the Hessian
        is a central difference of ``grad``.

        Examples
        --------
        >>> f = Function.from_callables(lambda x: x**4, lambda x: 4 * x**3)
        >>> round(float(f.hess(1.0)), 5)
        12.0
        """
        if not callable(value) or not callable(grad) or (hess is not None and not callable(hess)):
            raise TypeError("value, grad and hess must be callables")
        if int(dim) < 1:
            raise ValueError(f"dim must be >= 1, got {dim}")
        self = cls.__new__(cls)
        self.expr = None
        self.dim = int(dim)
        self.variables = ("x",) if dim == 1 else tuple(f"x{i}" for i in range(self.dim))
        self.symbols = None
        self.domain = _parse_domain(domain, self.dim)
        self.period = _parse_period(period, self.dim)
        self._callables = (value, grad, hess, name or getattr(value, "__name__", "callable"))
        self._tapes = {}
        self._cache = {}
        self._check_finite()
        return self

    # -- evaluation -----------------------------------------------------------------

    def _tape(self, order: int):
        """The tape of the value and, to ``order``, its derivatives (computed once)."""
        if order not in self._tapes:
            if 0 not in self._tapes:
                self._tapes[0] = compile_tape([self.expr], self.symbols)
            if order:
                self._tapes[order] = differentiate_tape(self._tapes[0], self.dim, order)
        return self._tapes[order]

    def tape(self, order: int):
        """The compiled tape of ``f`` and its derivatives to ``order`` (outputs: value,
        gradient, the Hessian's upper triangle row by row), for kernels that evaluate ``f``
        themselves; ``None`` for a function built from callables.

        Examples
        --------
        >>> Function("x**2").tape(2).outputs.shape
        (3,)
        """
        return None if self._callables is not None else self._tape(order)

    def evaluate(self, points: np.ndarray, order: int = 0):
        """Value (and gradient, Hessian) at points of shape (n, d), as 2-D arrays.

        Returns ``(value,)``, ``(value, grad)`` or ``(value, grad, hess)`` with
        shapes (n,), (n, d), (n, d, d). This is the array-in, array-out form the
        geometry kernels use; :meth:`value`, :meth:`grad`, :meth:`hess` accept
        friendlier shapes.
        """
        points = np.ascontiguousarray(points, dtype=np.float64)
        n, d = points.shape
        if self._callables is not None:
            return self._evaluate_callables(points, order)
        out = evaluate_tape(self._tape(order), points)
        result = [out[:, 0]]
        if order >= 1:
            result.append(out[:, 1:1 + d])
        if order >= 2:
            hess = np.empty((n, d, d))
            k = 1 + d
            for i in range(d):
                for j in range(i, d):
                    hess[:, i, j] = hess[:, j, i] = out[:, k]
                    k += 1
            result.append(hess)
        return tuple(result)

    def _evaluate_callables(self, points, order):
        value, grad, hess, _ = self._callables
        d = self.dim
        arg = points[:, 0] if d == 1 else points
        n = points.shape[0]
        result = [np.asarray(value(arg), dtype=np.float64).reshape(n)]
        if order >= 1:
            result.append(np.asarray(grad(arg), dtype=np.float64).reshape(n, d))
        if order >= 2:
            if hess is not None:
                result.append(np.asarray(hess(arg), dtype=np.float64).reshape(n, d, d))
            else:
                result.append(self._fd_hessian(points))
        return tuple(result)

    def _fd_hessian(self, points):
        grad = self._callables[1]
        n, d = points.shape
        step = np.cbrt(np.finfo(float).eps) * (1.0 + np.abs(points))
        hess = np.empty((n, d, d))
        for i in range(d):
            plus, minus = points.copy(), points.copy()
            plus[:, i] += step[:, i]
            minus[:, i] -= step[:, i]
            gp = np.asarray(grad(plus[:, 0] if d == 1 else plus)).reshape(n, d)
            gm = np.asarray(grad(minus[:, 0] if d == 1 else minus)).reshape(n, d)
            hess[:, :, i] = (gp - gm) / (2 * step[:, i:i + 1])
        return 0.5 * (hess + hess.transpose(0, 2, 1))

    def _shaped(self, X, order):
        points, tag = as_thetas(X, self.dim)
        parts = self.evaluate(points, order)
        out = []
        for k, part in enumerate(parts):
            if tag == "scalar":
                part = part[0]
                out.append(float(part.reshape(-1)[0]) if k == 0 or self.dim == 1 else part)
            elif tag == "flat":
                out.append(part.reshape(part.shape[0]))
            else:
                out.append(part)
        return out

    def value(self, X):
        """``f(X)``: a float for one point, shape (n,) for n points."""
        return self._shaped(X, 0)[0]

    def grad(self, X):
        """``∇f(X)``: float / (d,) for one point, (n,) for d = 1 flat input, else (n, d)."""
        return self._shaped(X, 1)[1]

    def hess(self, X):
        """``∇²f(X)``: float / (d, d) for one point, (n,) for d = 1 flat input, else (n, d, d)."""
        return self._shaped(X, 2)[2]

    def value_and_grad(self, X):
        """``(f(X), ∇f(X))`` in the shapes of :meth:`value` and :meth:`grad`."""
        value, grad = self._shaped(X, 1)
        return value, grad

    def value_grad_hess(self, X):
        """``(f, ∇f, ∇²f)`` at ``X`` in the shapes of the single methods."""
        return tuple(self._shaped(X, 2))

    __call__ = value

    # -- derived functions and checks --------------------------------------------------

    def scaled(self, factor) -> "Function":
        """The loss ``λ f`` (the loss-scale of docs/math.md): its graph is the one the geometry sees.

        Examples
        --------
        >>> Function("x**2").scaled(3).value(2.0)
        12.0
        """
        lam = parse_number(factor, "loss scale")
        if lam <= 0:
            raise ValueError(f"loss scale must be > 0, got {lam}")
        if self._callables is not None:
            value, grad, hess, name = self._callables
            return Function.from_callables(
                lambda X: lam * np.asarray(value(X)), lambda X: lam * np.asarray(grad(X)),
                None if hess is None else (lambda X: lam * np.asarray(hess(X))),
                dim=self.dim, domain=self.domain, period=self.period, name=f"{lam}*{name}")
        return self._replace(sympy.Float(lam) * self.expr if lam != 1 else self.expr)

    def reflected(self) -> "Function":
        """``−f``: the lower side of the graph of ``f`` is the upper side of the graph of ``−f``.

        Examples
        --------
        >>> Function("x**2").reflected().value(2.0)
        -4.0
        """
        if self._callables is not None:
            value, grad, hess, name = self._callables
            return Function.from_callables(
                lambda X: -np.asarray(value(X)), lambda X: -np.asarray(grad(X)),
                None if hess is None else (lambda X: -np.asarray(hess(X))),
                dim=self.dim, domain=self.domain, period=self.period, name=f"-{name}")
        return self._replace(-self.expr)

    def _replace(self, expr) -> "Function":
        new = Function.__new__(Function)
        new.__dict__.update(self.__dict__)
        new.expr = expr
        new._tapes = {}
        new._cache = {}
        return new

    def cost(self, order: int = 0):
        """Tape instructions per point for the value (and derivatives to ``order``).

        The work of evaluating ``f`` at ``n`` points is about ``n * cost(order)``
        instructions; callers that sample many points bound it with this. ``None`` for a
        function built from callables (its cost is unknown).

        Examples
        --------
        >>> Function("sin(x) + x**2").cost(0) > 0
        True
        """
        if self._callables is not None:
            return None
        return int(self._tape(order).size)

    def cache(self, namespace: str) -> dict:
        """A dictionary private to this function and ``namespace``, for reusable work.

        Computations that depend only on ``f`` (a sampled grid of the graph, say) keep
        their results here, so repeated calls on one function pay for them once. Derived
        functions (:meth:`scaled`, :meth:`reflected`) start with empty caches.

        Examples
        --------
        >>> f = Function("x**2")
        >>> f.cache("demo")["answer"] = 42
        >>> f.cache("demo")
        {'answer': 42}
        """
        return self._cache.setdefault(namespace, {})

    def window(self, window=None, *, require_bounded: bool = True) -> np.ndarray:
        """The (d, 2) box of θ to examine: ``window`` checked, or the default one.

        Given: each ``(lo, hi)`` checked, and an infinite interval of a periodic variable
        becomes one period; with a domain, the window must lie inside it (the graph is f on
        its domain box). Omitted: the domain, or one period, per variable; a variable
        that is neither is an error (``require_bounded``) or gets ``[-5, 5]``.

        Parameters
        ----------
        window : (lo, hi) or sequence of (lo, hi), optional
        require_bounded : bool

        Returns
        -------
        box : ndarray (d, 2)

        Examples
        --------
        >>> Function("sin(x)", period="2*pi").window().round(6).tolist()
        [[0.0, 6.283185]]
        >>> Function("x**2").window((-1, 2)).tolist()
        [[-1.0, 2.0]]
        """
        d = self.dim
        base = self.sample_box
        period = self.period or (None,) * d
        if window is None:
            for i in range(d):
                if require_bounded and self.domain is None and period[i] is None:
                    raise ValueError(f"variable {self.variables[i]!r} is neither periodic nor "
                                     "bounded by a domain: the window would be unbounded; give "
                                     "window=(lo, hi)")
            return base.copy()
        if isinstance(window, str):
            raise ValueError("window must be a box: (lo, hi) for d = 1 or [(lo, hi), ...] per "
                             "variable")
        try:
            items = list(window)
            if d == 1 and len(items) == 2 and not np.ndim(items[0]):
                items = [items]
            rows = [(float(lo), float(hi)) for lo, hi in items]
        except (TypeError, ValueError):
            raise ValueError(f"window must be (lo, hi) for d = 1 or [(lo, hi), ...] with {d} "
                             f"pairs of numbers, got {window!r}") from None
        if len(rows) != d:
            raise ValueError(f"window has {len(rows)} intervals but the function has {d} "
                             "variables")
        box = np.empty((d, 2))
        for i, (lo, hi) in enumerate(rows):
            if np.isnan(lo) or np.isnan(hi):
                raise ValueError(f"window bounds must be numbers, got {rows[i]} for "
                                 f"{self.variables[i]}")
            if not lo < hi:
                raise ValueError(f"window intervals must have lo < hi, got {rows[i]} for "
                                 f"{self.variables[i]}")
            if np.isinf(lo) or np.isinf(hi):
                if period[i] is None:
                    raise ValueError("an unbounded window needs a periodic function; give "
                                     f"window=(lo, hi) (variable {self.variables[i]} is not "
                                     "periodic)")
                box[i] = base[i]
            else:
                box[i] = [lo, hi]
        if self.domain is not None:   # the graph is f on its domain: nothing else to examine
            lo, hi = self.domain[:, 0], self.domain[:, 1]
            tol = 1e-12 * np.maximum(1.0, np.maximum(np.abs(lo), np.abs(hi)))
            leaves = (box[:, 0] < lo - tol) | (box[:, 1] > hi + tol)
            if np.any(leaves):
                i = int(np.flatnonzero(leaves)[0])
                raise ValueError(f"window {box[i].tolist()} for {self.variables[i]} leaves the "
                                 f"domain {self.domain[i].tolist()}: the graph is f on its "
                                 "domain; give a window inside it")
            box = np.clip(box, lo[:, None], hi[:, None])
        return box

    @cached_property
    def sample_box(self) -> np.ndarray:
        """A box (d, 2) on which the function is known to be defined: the domain, one
        period for periodic variables, else ``[-5, 5]``."""
        box = np.tile([-_CHECK_BOX, _CHECK_BOX], (self.dim, 1)).astype(float)
        if self.domain is not None:
            box = self.domain.copy()
        if self.period is not None:
            for i, p in enumerate(self.period):
                if p is not None and (self.domain is None or self.domain[i, 1] - self.domain[i, 0] > p):
                    box[i] = [0.0, p] if self.domain is None else [self.domain[i, 0], self.domain[i, 0] + p]
        return box

    def _check_finite(self):
        """Refuse, at once and naming where, a function that is not finite (value, gradient,
        Hessian) on its domain or sample box, that has a pole or a branch point between the
        samples, whose declared period is not one, or whose derivative tapes are too costly."""
        box = self.sample_box
        per_axis = {1: 513, 2: 41, 3: 13}.get(self.dim, 0)
        where = ("on its domain" if self.domain is not None else
                 "on [-5, 5] per variable (checked there when no domain= is declared)")
        if per_axis:
            axes = [np.linspace(lo, hi, per_axis) for lo, hi in box]
            points = mesh(axes)
        else:
            rng = np.random.default_rng(0)
            points = box[:, 0] + (box[:, 1] - box[:, 0]) * rng.random((4000, self.dim))
        if self._callables is None:
            self._check_cost()
        self.check_points(points, what=where, order=2 if self._callables is None else 1)
        if per_axis and self._callables is None:
            self._check_singularities(points, per_axis, where)
        if self.period is not None:
            self._check_period(points)

    def _check_cost(self):
        size = self._tape(2).size
        if size > MAX_TAPE:
            raise ValueError(f"{self} is too costly: its value, gradient and Hessian need {size} "
                             f"tape instructions (the bound is {MAX_TAPE}); simplify the "
                             "expression or build it from fewer, larger terms")

    def _check_singularities(self, points, per_axis, where):
        """A pole or branch point of f between two neighbouring samples shows as a sign change
        of a guard (a denominator, the argument of a log or root, cos under tan, …)."""
        guards = _guards(self.expr)
        if not guards:
            return
        values = evaluate_tape(compile_tape([g for g, _ in guards], self.symbols), points)
        shape = (per_axis,) * self.dim
        for k, (guard, why) in enumerate(guards):
            v = values[:, k].reshape(shape)
            for axis in range(self.dim):
                a = np.take(v, np.arange(per_axis - 1), axis=axis)
                b = np.take(v, np.arange(1, per_axis), axis=axis)
                crossing = (np.sign(a) * np.sign(b) < 0).reshape(-1)
                if np.any(crossing):
                    i = np.unravel_index(int(np.flatnonzero(crossing)[0]), a.shape)
                    lo = points[np.ravel_multi_index(i, shape)]
                    j = list(i)
                    j[axis] += 1
                    hi = points[np.ravel_multi_index(tuple(j), shape)]
                    span = " and ".join(
                        ", ".join(f"{n}={c:.6g}" for n, c in zip(self.variables, pt))
                        for pt in (lo, hi))
                    raise ValueError(f"{self} is not finite {where}: {guard} changes sign "
                                     f"between {span} ({why}); declare a domain= on which f "
                                     "is finite")

    def _check_period(self, points):
        value, = self.evaluate(points, 0)
        scale = 1.0 + float(np.max(np.abs(value)))
        for i, p in enumerate(self.period):
            if p is None:
                continue
            moved = points.copy()
            moved[:, i] += p
            with np.errstate(all="ignore"):
                shifted, = self.evaluate(moved, 0)
            gap = np.abs(shifted - value)
            k = int(np.nanargmax(np.where(np.isfinite(gap), gap, np.inf)))
            if not gap[k] <= 1e-8 * scale:
                at = ", ".join(f"{n}={c:.6g}" for n, c in zip(self.variables, points[k]))
                raise ValueError(f"period {p:.10g} of {self.variables[i]!r} is not a period of "
                                 f"{self}: f changes by {gap[k]:.3g} at {at}; give the true "
                                 "period, or none")

    def check_points(self, points, what="at the given points", order=1):
        """Raise ValueError if the value (or gradient, Hessian up to ``order``) is NaN/inf at
        any of ``points`` (n, d); the message names the part and the first such point."""
        with np.errstate(all="ignore"):
            parts = self.evaluate(points, order)
        for k, part in enumerate(parts):
            bad = ~np.all(np.isfinite(part.reshape(part.shape[0], -1)), axis=1)
            if np.any(bad):
                raise self.not_finite_error(points, bad, what, part=_PARTS[k],
                                            value=parts[0])

    def not_finite_error(self, points, bad, what, *, part="value", value=None) -> ValueError:
        """The one error for "f is not finite": names ``part`` and the first bad point.

        ``points`` (n, d), ``bad`` a boolean mask (n,); ``value`` (n,) optionally adds the
        offending value to the message.
        """
        i = int(np.flatnonzero(bad)[0])
        where = ", ".join(f"{name}={val:.6g}" for name, val in zip(self.variables, points[i]))
        got = f" (value {float(value[i])!r})" if value is not None and part == "value" else ""
        hint = "declare a domain= on which f and its derivatives are defined"
        if self.domain is not None:
            on_face = np.isclose(points[i], self.domain[:, 0]) | np.isclose(points[i], self.domain[:, 1])
            if np.any(on_face):
                hint = ("domain boxes are closed (their faces belong to them) and this point is on "
                        "a face: shrink the domain to where f is defined, e.g. move the bound by "
                        "1e-9")
        return ValueError(f"{self} is not finite {what} at {where}: its {part} is NaN or "
                          f"infinite there{got}; {hint}")

    def __repr__(self):
        if self._callables is not None:
            return f"Function.from_callables({self._callables[3]}, dim={self.dim})"
        extra = ""
        if self.domain is not None:
            extra += f", domain={self.domain.tolist()}"
        if self.period is not None:
            extra += f", period={self.period}"
        return f"Function({str(self.expr)!r}{extra})"

    def __str__(self):
        """The repr, with a long expression shortened (for messages)."""
        text = repr(self)
        if self._callables is None and len(text) > 120:
            expr = str(self.expr)
            text = text.replace(repr(expr), repr(expr[:60]) + f" … ({len(expr)} characters)", 1)
        return text


def as_function(f, *, period=None, domain=None, what: str = "f") -> Function:
    """A :class:`Function` from a Function or an expression string.

    ``period``/``domain`` apply to a string, and replace those of a formula Function.

    Parameters
    ----------
    f : Function or str
    period, domain : optional
        As for :class:`Function`.
    what : str
        The argument's name, for the error message.

    Returns
    -------
    f : Function

    See Also
    --------
    Function : the loss itself.

    Examples
    --------
    >>> as_function("sin(x)", period="2*pi").period[0] == 2 * np.pi
    True
    >>> as_function(3)
    Traceback (most recent call last):
    ...
    TypeError: f must be an offsetgeo.Function or an expression string, got int
    """
    if isinstance(f, Function):
        if (period is not None or domain is not None) and f.expr is not None:
            return Function(f.expr, f.variables, period=period if period is not None else f.period,
                            domain=domain if domain is not None else
                            (None if f.domain is None else f.domain.tolist()))
        return f
    if isinstance(f, str):
        return Function(f, period=period, domain=domain)
    raise TypeError(f"{what} must be an offsetgeo.Function or an expression string, "
                    f"got {type(f).__name__}")
