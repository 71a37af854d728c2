"""Compile sympy expressions into a register tape evaluated by one numba kernel.

A tape is a straight-line program: instruction ``k`` writes register ``k`` from
registers computed before it. A loss's value is lowered to a tape, each distinct
sub-expression once; its gradient and Hessian are then derived on the
tape itself, by forward-mode automatic differentiation to second order
(:func:`differentiate_tape`): every register gets instructions for its first and second
derivatives, so their cost grows linearly with the value's tape (symbolic differentiation
grows like the cube of a product's length: 2.6 s for the second derivative of a product of
20 sines). One numba interpreter, compiled once and cached on disk, evaluates every tape, so
a new loss costs no JIT compilation at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
import sympy

from ._numerics import in_chunks

__all__ = ["Tape", "compile_tape", "differentiate_tape", "evaluate_tape"]

# opcodes
CONST, VAR, ADD, SUB, MUL, DIV, NEG, POW, SQRT, EXP, LOG = range(11)
SIN, COS, TAN, SINH, COSH, TANH, ASIN, ACOS, ATAN, ASINH, ACOSH, ATANH, ERF = range(11, 24)
SQUARE, RECIP, RSQRT = range(24, 27)

_UNARY = {
    sympy.exp: EXP, sympy.log: LOG, sympy.sin: SIN, sympy.cos: COS, sympy.tan: TAN,
    sympy.sinh: SINH, sympy.cosh: COSH, sympy.tanh: TANH, sympy.asin: ASIN,
    sympy.acos: ACOS, sympy.atan: ATAN, sympy.asinh: ASINH, sympy.acosh: ACOSH,
    sympy.atanh: ATANH, sympy.erf: ERF,
}
# functions sympy keeps that have no opcode: rewrite in terms of ones that do
_REWRITE = {sympy.cot: lambda a: 1 / sympy.tan(a), sympy.sec: lambda a: 1 / sympy.cos(a),
            sympy.csc: lambda a: 1 / sympy.sin(a)}


@dataclass(frozen=True)
class Tape:
    """A straight-line program computing several outputs of ``len(n_vars)`` inputs.

    Attributes
    ----------
    code : ndarray of int64, shape (m, 3)
        ``(opcode, a, b)`` per instruction; instruction ``k`` writes register ``k``.
    consts : ndarray of float64
        Constants referenced by ``CONST`` instructions.
    outputs : ndarray of int64
        The registers holding the outputs, in order.
    """

    code: np.ndarray
    consts: np.ndarray
    outputs: np.ndarray

    @property
    def size(self) -> int:
        return int(self.code.shape[0])


class _Lowering:
    def __init__(self, symbols):
        self.code: list[tuple[int, int, int]] = []
        self.consts: list[float] = []
        self.memo: dict = {}
        for index, symbol in enumerate(symbols):
            self.memo[symbol] = self._push(VAR, index)

    def _push(self, op, a=0, b=0) -> int:
        self.code.append((op, a, b))
        return len(self.code) - 1

    def const(self, value: float) -> int:
        key = ("const", float(value))
        if key not in self.memo:
            self.consts.append(float(value))
            self.memo[key] = self._push(CONST, len(self.consts) - 1)
        return self.memo[key]

    def emit(self, node) -> int:
        """Lower ``node`` (iteratively: deep expressions do not exhaust Python's stack)."""
        stack = [node]
        while stack:
            top = stack[-1]
            if top in self.memo:
                stack.pop()
                continue
            pending = [arg for arg in _children(top) if arg not in self.memo]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            self.memo[top] = self._emit(top)
        return self.memo[node]

    def _emit(self, node) -> int:
        if node.is_Number or isinstance(node, sympy.NumberSymbol):
            return self.const(float(node))
        if isinstance(node, sympy.Symbol):
            raise ValueError(f"unknown symbol {node.name!r} while compiling the expression")
        if node.is_Add:
            terms = list(node.args)
            acc = None
            for term in terms:
                coeff, rest = term.as_coeff_Mul()
                negative = coeff.is_Number and coeff < 0
                reg = self.emit(-term) if negative else self.emit(term)
                if acc is None:
                    acc = self._push(NEG, reg) if negative else reg
                else:
                    acc = self._push(SUB if negative else ADD, acc, reg)
            return acc
        if node.is_Mul:
            coeff, factors = node.as_coeff_mul()
            numer, denom = [], []
            for factor in factors:
                if factor.is_Pow and factor.exp.is_Number and factor.exp < 0:
                    denom.append(factor.base ** (-factor.exp))
                else:
                    numer.append(factor)
            negate = coeff < 0
            if abs(coeff) != 1:
                numer.insert(0, abs(coeff))
            acc = None
            for factor in numer:
                reg = self.emit(factor)
                acc = reg if acc is None else self._push(MUL, acc, reg)
            den = None
            for factor in denom:
                reg = self.emit(factor)
                den = reg if den is None else self._push(MUL, den, reg)
            if den is not None:
                acc = self._push(RECIP, den) if acc is None else self._push(DIV, acc, den)
            if acc is None:
                acc = self.const(1.0)
            return self._push(NEG, acc) if negate else acc
        if node.is_Pow:
            base, exp = node.args
            if base is sympy.E:
                return self._push(EXP, self.emit(exp))
            if exp == 2:
                return self._push(SQUARE, self.emit(base))
            if exp == 1:
                return self.emit(base)
            if exp == -1:
                return self._push(RECIP, self.emit(base))
            if exp == sympy.Rational(1, 2):
                return self._push(SQRT, self.emit(base))
            if exp == sympy.Rational(-1, 2):
                return self._push(RSQRT, self.emit(base))
            return self._push(POW, self.emit(base), self.emit(exp))
        func = node.func
        if func in _REWRITE:
            return self.emit(_REWRITE[func](node.args[0]))
        if func in _UNARY:
            return self._push(_UNARY[func], self.emit(node.args[0]))
        raise ValueError(f"cannot compile sub-expression {node} ({func.__name__})")


def _children(node):
    """The sub-expressions :meth:`_Lowering._emit` lowers before ``node``."""
    if node.is_Number or isinstance(node, (sympy.NumberSymbol, sympy.Symbol)):
        return ()
    if node.is_Add:
        return tuple(-t if (t.as_coeff_Mul()[0].is_Number and t.as_coeff_Mul()[0] < 0) else t
                     for t in node.args)
    if node.is_Mul:
        coeff, factors = node.as_coeff_mul()
        out = [f.base ** (-f.exp) if (f.is_Pow and f.exp.is_Number and f.exp < 0) else f
               for f in factors]
        return tuple(out) + ((abs(coeff),) if abs(coeff) != 1 else ())
    if node.is_Pow:
        base, exp = node.args
        if base is sympy.E:
            return (exp,)
        if exp in (2, 1, -1, sympy.Rational(1, 2), sympy.Rational(-1, 2)):
            return (base,)
        return (base, exp)
    if node.func in _REWRITE:
        return (_REWRITE[node.func](node.args[0]),)
    return tuple(node.args)


def compile_tape(exprs, symbols) -> Tape:
    """Lower a list of sympy expressions in ``symbols`` to one shared tape.

    Examples
    --------
    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> tape = compile_tape([sympy.sin(x) ** 2, 2 * sympy.sin(x) * sympy.cos(x)], [x])
    >>> out = evaluate_tape(tape, np.array([[0.5]]))
    >>> bool(np.allclose(out[0], [np.sin(0.5) ** 2, np.sin(1.0)]))
    True
    """
    # identical sub-expressions are lowered once (the lowering memoises every node), which
    # shares what sympy.cse would, without its cost on long expressions
    lowering = _Lowering(symbols)
    outputs = [lowering.emit(sympy.sympify(e)) for e in exprs]
    code = np.array(lowering.code, dtype=np.int64).reshape(-1, 3)
    consts = np.array(lowering.consts if lowering.consts else [0.0], dtype=np.float64)
    return Tape(code, consts, np.array(outputs, dtype=np.int64))


class _Emitter:
    """Appends instructions to a tape, sharing repeated ones and folding constants; ``None``
    stands for an exact zero (a derivative that vanishes), which every rule propagates."""

    def __init__(self, tape: Tape):
        self.code = [tuple(int(v) for v in row) for row in tape.code]
        self.consts = [float(c) for c in tape.consts]
        self.memo = {row: k for k, row in enumerate(self.code) if row[0] != VAR}
        self.const_of = {k: self.consts[row[1]] for k, row in enumerate(self.code)
                         if row[0] == CONST}
        for k, value in self.const_of.items():
            self.memo.setdefault((CONST, -1, value), k)

    def const(self, value: float) -> int:
        row = (CONST, -1, float(value))
        if row in self.memo:
            return self.memo[row]
        self.consts.append(float(value))
        k = self._push((CONST, len(self.consts) - 1, 0))
        self.memo[row] = k
        self.const_of[k] = float(value)
        return k

    def _push(self, row) -> int:
        self.code.append(row)
        return len(self.code) - 1

    def op(self, code, a, b=0) -> int:
        ca, cb = self.const_of.get(a), self.const_of.get(b)
        if ca is not None and (cb is not None or code in _UNARY_OPS):
            return self.const(_fold(code, ca, cb))
        row = (code, a, b)
        if code in (ADD, MUL) and a > b:
            row = (code, b, a)
        if row not in self.memo:
            self.memo[row] = self._push(row)
        return self.memo[row]

    # arithmetic on registers that may be None (zero)
    def add(self, a, b):
        if a is None:
            return b
        if b is None:
            return a
        return self.op(ADD, a, b)

    def sub(self, a, b):
        if b is None:
            return a
        if a is None:
            return self.neg(b)
        return self.op(SUB, a, b)

    def neg(self, a):
        return None if a is None else self.op(NEG, a)

    def mul(self, a, b):
        if a is None or b is None:
            return None
        if self.const_of.get(a) == 1.0:
            return b
        if self.const_of.get(b) == 1.0:
            return a
        return self.op(MUL, a, b)

    def scale(self, c: float, a):
        return None if (a is None or c == 0.0) else self.mul(self.const(c), a)


_UNARY_OPS = {NEG, SQRT, EXP, LOG, SIN, COS, TAN, SINH, COSH, TANH, ASIN, ACOS, ATAN, ASINH,
              ACOSH, ATANH, ERF, SQUARE, RECIP, RSQRT}


def _fold(code, a, b):
    """The constant result of an instruction on constants (as the interpreter computes it)."""
    regs = np.zeros(3)
    # evaluate with the interpreter itself, on a two-constant tape, for identical rounding
    tape_code = np.array([[CONST, 0, 0], [CONST, 1, 0], [code, 0, 1]], dtype=np.int64)
    with np.errstate(all="ignore"):
        run_tape(tape_code, np.array([a, 0.0 if b is None else b]), np.zeros(1), regs)
    return float(regs[2])


def _unary_rules(e: _Emitter, code, a, u):
    """``(φ'(a), φ''(a))`` as registers (None for zero) for ``u = φ(a)``."""
    c = e.const
    if code == NEG:
        return c(-1.0), None
    if code == EXP:
        return u, u
    if code == LOG:
        inv = e.op(RECIP, a)
        return inv, e.neg(e.op(SQUARE, inv))
    if code == SIN:
        return e.op(COS, a), e.neg(u)
    if code == COS:
        return e.neg(e.op(SIN, a)), e.neg(u)
    if code == TAN:
        d1 = e.add(c(1.0), e.op(SQUARE, u))
        return d1, e.scale(2.0, e.mul(u, d1))
    if code == SINH:
        return e.op(COSH, a), u
    if code == COSH:
        return e.op(SINH, a), u
    if code == TANH:
        d1 = e.sub(c(1.0), e.op(SQUARE, u))
        return d1, e.scale(-2.0, e.mul(u, d1))
    if code == SQUARE:
        return e.scale(2.0, a), c(2.0)
    if code == RECIP:                         # 1/a: -1/a², 2/a³
        inv2 = e.op(SQUARE, u)
        return e.neg(inv2), e.scale(2.0, e.mul(inv2, u))
    if code == SQRT:                          # ½ a^{-1/2}, -¼ a^{-3/2}
        r = e.op(RECIP, u)
        return e.scale(0.5, r), e.scale(-0.25, e.mul(r, e.op(RECIP, a)))
    if code == RSQRT:                         # -½ a^{-3/2}, ¾ a^{-5/2}
        inv = e.op(RECIP, a)
        return e.scale(-0.5, e.mul(u, inv)), e.scale(0.75, e.mul(u, e.op(SQUARE, inv)))
    if code in (ASIN, ACOS):                  # ±(1-a²)^{-1/2}, ±a (1-a²)^{-3/2}
        q = e.op(RSQRT, e.sub(c(1.0), e.op(SQUARE, a)))
        d2 = e.mul(a, e.mul(q, e.op(SQUARE, q)))
        return (q, d2) if code == ASIN else (e.neg(q), e.neg(d2))
    if code == ATAN:                          # 1/(1+a²), -2a/(1+a²)²
        r = e.op(RECIP, e.add(c(1.0), e.op(SQUARE, a)))
        return r, e.scale(-2.0, e.mul(a, e.op(SQUARE, r)))
    if code == ASINH:                         # (1+a²)^{-1/2}, -a (1+a²)^{-3/2}
        q = e.op(RSQRT, e.add(c(1.0), e.op(SQUARE, a)))
        return q, e.neg(e.mul(a, e.mul(q, e.op(SQUARE, q))))
    if code == ACOSH:                         # (a²-1)^{-1/2}, -a (a²-1)^{-3/2}
        q = e.op(RSQRT, e.sub(e.op(SQUARE, a), c(1.0)))
        return q, e.neg(e.mul(a, e.mul(q, e.op(SQUARE, q))))
    if code == ATANH:                         # 1/(1-a²), 2a/(1-a²)²
        r = e.op(RECIP, e.sub(c(1.0), e.op(SQUARE, a)))
        return r, e.scale(2.0, e.mul(a, e.op(SQUARE, r)))
    if code == ERF:                           # 2/√π exp(-a²), -2a φ'
        d1 = e.scale(2.0 / math.sqrt(math.pi), e.op(EXP, e.neg(e.op(SQUARE, a))))
        return d1, e.scale(-2.0, e.mul(a, d1))
    raise ValueError(f"no derivative rule for opcode {code}")  # pragma: no cover


def differentiate_tape(tape: Tape, n_vars: int, order: int) -> Tape:
    """The tape extended with the derivatives of its first output up to ``order`` (≤ 2).

    Outputs: the value; with ``order ≥ 1`` the gradient (``n_vars`` registers); with
    ``order == 2`` the Hessian's upper triangle, row by row (``i ≤ j``). Forward mode to
    second order: for ``u = φ(a)``, ``∂u = φ'(a) ∂a`` and ``∂²u = φ''(a) ∂a ∂aᵀ + φ'(a) ∂²a``;
    products, quotients and powers by their rules (``a^b = exp(b log a)`` for a variable
    exponent). Zero derivatives emit nothing, repeated instructions are shared.

    Examples
    --------
    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> t = differentiate_tape(compile_tape([sympy.sin(x) ** 2], [x]), 1, 2)
    >>> out = evaluate_tape(t, np.array([[0.5]]))[0]
    >>> bool(np.allclose(out, [np.sin(0.5) ** 2, np.sin(1.0), 2 * np.cos(1.0)]))
    True
    """
    if order == 0:
        return Tape(tape.code, tape.consts, tape.outputs[:1])
    d = int(n_vars)
    pairs = [(i, j) for i in range(d) for j in range(i, d)] if order >= 2 else []
    e = _Emitter(tape)
    n0 = len(e.code)
    grad = [[None] * d for _ in range(n0)]
    hess = [dict() for _ in range(n0)]       # (i, j) -> register, i ≤ j
    for k in range(n0):
        code, a, b = e.code[k]
        if code == VAR:
            grad[k][a] = e.const(1.0)
            continue
        if code == CONST:
            continue
        if code in (ADD, SUB):
            combine = e.add if code == ADD else e.sub
            grad[k] = [combine(grad[a][i], grad[b][i]) for i in range(d)]
            hess[k] = {ij: combine(hess[a].get(ij), hess[b].get(ij)) for ij in pairs}
        elif code == MUL:
            grad[k] = [e.add(e.mul(a, grad[b][i]), e.mul(b, grad[a][i])) for i in range(d)]
            hess[k] = {(i, j): e.add(e.add(e.mul(a, hess[b].get((i, j))), e.mul(b, hess[a].get((i, j)))),
                                     e.add(e.mul(grad[a][i], grad[b][j]), e.mul(grad[a][j], grad[b][i])))
                       for i, j in pairs}
        elif code == DIV:                    # a / b = a · (1/b)
            r = e.op(RECIP, b)
            d1, d2 = _unary_rules(e, RECIP, b, r)
            gr = [e.mul(d1, grad[b][i]) for i in range(d)]
            hr = {(i, j): e.add(e.mul(d2, e.mul(grad[b][i], grad[b][j])), e.mul(d1, hess[b].get((i, j))))
                  for i, j in pairs}
            grad[k] = [e.add(e.mul(a, gr[i]), e.mul(r, grad[a][i])) for i in range(d)]
            hess[k] = {(i, j): e.add(e.add(e.mul(a, hr.get((i, j))), e.mul(r, hess[a].get((i, j)))),
                                     e.add(e.mul(grad[a][i], gr[j]), e.mul(grad[a][j], gr[i])))
                       for i, j in pairs}
        elif code == POW:
            if all(g is None for g in grad[b]):      # a ** constant
                p = e.const_of.get(b)
                if p is None:
                    p_reg = b
                    d1 = e.mul(p_reg, e.op(POW, a, e.op(SUB, b, e.const(1.0))))
                    d2 = e.mul(e.mul(p_reg, e.op(SUB, b, e.const(1.0))),
                               e.op(POW, a, e.op(SUB, b, e.const(2.0))))
                else:
                    d1 = e.scale(p, e.op(POW, a, e.const(p - 1.0)))
                    d2 = e.scale(p * (p - 1.0), e.op(POW, a, e.const(p - 2.0)))
                grad[k] = [e.mul(d1, grad[a][i]) for i in range(d)]
                hess[k] = {(i, j): e.add(e.mul(d2, e.mul(grad[a][i], grad[a][j])),
                                         e.mul(d1, hess[a].get((i, j)))) for i, j in pairs}
            else:                                    # a ** b = exp(b log a)
                L = e.op(LOG, a)
                inv = e.op(RECIP, a)
                gL = [e.mul(inv, grad[a][i]) for i in range(d)]
                hL = {(i, j): e.sub(e.mul(inv, hess[a].get((i, j))), e.mul(gL[i], gL[j]))
                      for i, j in pairs}
                gP = [e.add(e.mul(b, gL[i]), e.mul(L, grad[b][i])) for i in range(d)]
                hP = {(i, j): e.add(e.add(e.mul(b, hL.get((i, j))), e.mul(L, hess[b].get((i, j)))),
                                    e.add(e.mul(grad[b][i], gL[j]), e.mul(grad[b][j], gL[i])))
                      for i, j in pairs}
                grad[k] = [e.mul(k, gP[i]) for i in range(d)]
                hess[k] = {(i, j): e.mul(k, e.add(e.mul(gP[i], gP[j]), hP.get((i, j))))
                           for i, j in pairs}
        else:
            d1, d2 = _unary_rules(e, code, a, k)
            grad[k] = [e.mul(d1, grad[a][i]) for i in range(d)]
            if pairs:
                hess[k] = {(i, j): e.add(e.mul(d2, e.mul(grad[a][i], grad[a][j])),
                                         e.mul(d1, hess[a].get((i, j)))) for i, j in pairs}
    out = int(tape.outputs[0])
    zero = e.const(0.0)
    outputs = [out] + [zero if g is None else g for g in grad[out]]
    outputs += [zero if hess[out].get(ij) is None else hess[out][ij] for ij in pairs]
    code = np.array(e.code, dtype=np.int64).reshape(-1, 3)
    return Tape(code, np.array(e.consts, dtype=np.float64), np.array(outputs, dtype=np.int64))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def run_tape(code, consts, x, regs):
    """Execute ``code`` on the point ``x``, filling ``regs`` (numba kernel)."""
    for k in range(code.shape[0]):
        op = code[k, 0]
        a = code[k, 1]
        b = code[k, 2]
        if op == MUL:
            regs[k] = regs[a] * regs[b]
        elif op == ADD:
            regs[k] = regs[a] + regs[b]
        elif op == SUB:
            regs[k] = regs[a] - regs[b]
        elif op == CONST:
            regs[k] = consts[a]
        elif op == VAR:
            regs[k] = x[a]
        elif op == SQUARE:
            regs[k] = regs[a] * regs[a]
        elif op == SIN:
            regs[k] = np.sin(regs[a])
        elif op == COS:
            regs[k] = np.cos(regs[a])
        elif op == DIV:
            regs[k] = regs[a] / regs[b]
        elif op == NEG:
            regs[k] = -regs[a]
        elif op == RECIP:
            regs[k] = 1.0 / regs[a]
        elif op == EXP:
            regs[k] = np.exp(regs[a])
        elif op == POW:
            regs[k] = regs[a] ** regs[b]
        elif op == SQRT:
            regs[k] = np.sqrt(regs[a])
        elif op == RSQRT:
            regs[k] = 1.0 / np.sqrt(regs[a])
        elif op == LOG:
            regs[k] = np.log(regs[a])
        elif op == TAN:
            regs[k] = np.tan(regs[a])
        elif op == SINH:
            regs[k] = np.sinh(regs[a])
        elif op == COSH:
            regs[k] = np.cosh(regs[a])
        elif op == TANH:
            regs[k] = np.tanh(regs[a])
        elif op == ASIN:
            regs[k] = np.arcsin(regs[a])
        elif op == ACOS:
            regs[k] = np.arccos(regs[a])
        elif op == ATAN:
            regs[k] = np.arctan(regs[a])
        elif op == ASINH:
            regs[k] = np.arcsinh(regs[a])
        elif op == ACOSH:
            regs[k] = np.arccosh(regs[a])
        elif op == ATANH:
            regs[k] = np.arctanh(regs[a])
        elif op == ERF:
            regs[k] = math.erf(regs[a])
        else:
            regs[k] = np.nan


_CHUNK = 256


@numba.njit(cache=True, parallel=True, nogil=True, error_model="numpy")
def _evaluate_points(code, consts, outputs, points, result):
    n = points.shape[0]
    n_chunks = (n + _CHUNK - 1) // _CHUNK
    for chunk in numba.prange(n_chunks):
        regs = np.empty(code.shape[0])
        stop = min(n, (chunk + 1) * _CHUNK)
        for i in range(chunk * _CHUNK, stop):
            run_tape(code, consts, points[i], regs)
            for j in range(outputs.shape[0]):
                result[i, j] = regs[outputs[j]]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _evaluate_points_serial(code, consts, outputs, points, result):
    regs = np.empty(code.shape[0])
    for i in range(points.shape[0]):
        run_tape(code, consts, points[i], regs)
        for j in range(outputs.shape[0]):
            result[i, j] = regs[outputs[j]]


#: below this many points a parallel launch costs more than it saves
_PARALLEL_MIN = 2048


def evaluate_tape(tape: Tape, points: np.ndarray) -> np.ndarray:
    """Evaluate ``tape`` at each row of ``points`` (shape (n, d)); returns (n, n_outputs)."""
    points = np.ascontiguousarray(points, dtype=np.float64)
    n = points.shape[0]
    result = np.empty((n, tape.outputs.shape[0]))
    if n < _PARALLEL_MIN:
        _evaluate_points_serial(tape.code, tape.consts, tape.outputs, points, result)
        return result

    def chunk(a, b):
        _evaluate_points(tape.code, tape.consts, tape.outputs, points[a:b], result[a:b])

    # about 4e6 tape instructions first: ~10 ms; then chunks of ~0.1 s (Ctrl-C between them)
    in_chunks(chunk, n, first=max(_PARALLEL_MIN, 4_000_000 // max(1, tape.code.shape[0])))
    return result
