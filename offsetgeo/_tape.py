"""Compile sympy expressions into a register tape evaluated by one numba kernel.

A tape is a straight-line program: instruction ``k`` writes register ``k`` from
registers computed before it. Value, gradient and Hessian of a loss are derived
symbolically, common sub-expressions are shared (``sympy.cse``), and the result
is lowered to a tape. One numba interpreter, compiled once and cached on disk,
evaluates every tape, so a new loss costs no JIT compilation at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
import sympy

__all__ = ["Tape", "compile_tape", "evaluate_tape"]

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
        if node in self.memo:
            return self.memo[node]
        reg = self._emit(node)
        self.memo[node] = reg
        return reg

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
    replacements, reduced = sympy.cse(list(exprs), order="none")
    lowering = _Lowering(symbols)
    for temp, sub in replacements:
        lowering.memo[temp] = lowering.emit(sub)
    outputs = [lowering.emit(sympy.sympify(e)) for e in reduced]
    code = np.array(lowering.code, dtype=np.int64).reshape(-1, 3)
    consts = np.array(lowering.consts if lowering.consts else [0.0], dtype=np.float64)
    return Tape(code, consts, np.array(outputs, dtype=np.int64))


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
    result = np.empty((points.shape[0], tape.outputs.shape[0]))
    kernel = _evaluate_points if points.shape[0] >= _PARALLEL_MIN else _evaluate_points_serial
    kernel(tape.code, tape.consts, tape.outputs, points, result)
    return result
