"""Safe parsing of loss expressions into sympy.

Strings are never handed to sympy's parser (which evaluates Python). They are
parsed by :mod:`ast` (which executes nothing), checked node by node against a
whitelist, and the sympy expression is built directly from the checked tree.
"""

from __future__ import annotations

import ast
import math
import warnings

import numpy as np
import sympy

__all__ = ["parse_expression", "parse_number", "check_expression", "ALLOWED_FUNCTIONS",
           "MAX_LENGTH", "MAX_DEPTH", "RESERVED"]

#: Longest accepted expression string (characters).
MAX_LENGTH = 20_000

#: Analytic elementary functions accepted in expressions, by name.
ALLOWED_FUNCTIONS = {
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "cot": sympy.cot,
    "sec": sympy.sec,
    "csc": sympy.csc,
    "exp": sympy.exp,
    "log": sympy.log,
    "ln": sympy.log,
    "sqrt": sympy.sqrt,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "tanh": sympy.tanh,
    "asin": sympy.asin,
    "acos": sympy.acos,
    "atan": sympy.atan,
    "asinh": sympy.asinh,
    "acosh": sympy.acosh,
    "atanh": sympy.atanh,
    "arcsin": sympy.asin,
    "arccos": sympy.acos,
    "arctan": sympy.atan,
    "erf": sympy.erf,
}

CONSTANTS = {"pi": sympy.pi, "E": sympy.E}

NON_SMOOTH = {"abs", "Abs", "sign", "floor", "ceil", "ceiling", "Max", "Min", "max", "min",
              "round", "Heaviside", "Piecewise", "frac", "mod", "Mod"}

# sympy classes allowed to appear in a validated expression tree
_SYMPY_OK = (
    sympy.Symbol, sympy.Number, sympy.NumberSymbol, sympy.Add, sympy.Mul, sympy.Pow,
    sympy.core.numbers.ImaginaryUnit,
) + tuple({fn for fn in ALLOWED_FUNCTIONS.values() if isinstance(fn, type)})

_MAX_CONST_EXPONENT = 1024

#: deepest nesting of an expression (operations inside operations)
MAX_DEPTH = 200

#: names that look like variables but mean something else: refused, with a hint
RESERVED = {
    "e": "Euler's number is E (or write exp(x))",
    "Pi": "the constant is pi", "PI": "the constant is pi",
    "I": "the imaginary unit: the loss must be real", "j": "the imaginary unit: the loss must be real",
    "nan": "constants must be finite numbers", "NaN": "constants must be finite numbers",
    "inf": "constants must be finite numbers", "Inf": "constants must be finite numbers",
    "infinity": "constants must be finite numbers", "oo": "constants must be finite numbers",
    "zoo": "constants must be finite numbers",
}


def _refuse(message: str) -> ValueError:
    return ValueError(message)


class _Builder(ast.NodeVisitor):
    """Build a sympy expression from a whitelisted Python AST."""

    def __init__(self, text: str, variables: dict[str, sympy.Symbol] | None):
        self.text = text
        self.variables = variables
        self.found: dict[str, sympy.Symbol] = {}

    def _where(self, node) -> str:
        col = getattr(node, "col_offset", None)
        return f" at position {col + 1}" if col is not None else ""

    def generic_visit(self, node):
        token = ast.get_source_segment(self.text, node) or type(node).__name__
        kind = type(node).__name__
        hints = {
            "Attribute": "attribute access is not allowed",
            "Subscript": "subscripts are not allowed",
            "Lambda": "lambdas are not allowed",
            "Compare": "comparisons are not allowed",
            "BoolOp": "boolean operators are not allowed",
            "IfExp": "conditional expressions are not allowed",
            "ListComp": "comprehensions are not allowed",
            "GeneratorExp": "comprehensions are not allowed",
            "List": "lists are not allowed", "Tuple": "tuples are not allowed",
            "Dict": "dicts are not allowed", "Set": "sets are not allowed",
            "JoinedStr": "strings are not allowed", "NamedExpr": "assignment is not allowed",
            "Starred": "starred arguments are not allowed",
        }
        why = hints.get(kind, f"{kind} nodes are not allowed")
        raise _refuse(f"refused token {token!r}{self._where(node)}: {why}; "
                      "use numbers, variables, + - * / ** and elementary functions")

    def visit_Expression(self, node):
        return self.visit(node.body)

    def visit_Constant(self, node):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _refuse(f"refused token {ast.get_source_segment(self.text, node)!r}"
                          f"{self._where(node)}: only real numbers are allowed as constants")
        if isinstance(value, float) and not math.isfinite(value):
            raise _refuse(f"{ast.get_source_segment(self.text, node)}{self._where(node)} "
                          "overflows: numbers must stay below 1e308")
        if isinstance(value, int):
            if abs(value) > 10**30:
                raise _refuse(f"refused integer constant{self._where(node)}: too large")
            return sympy.Integer(value)
        return sympy.Float(value)

    def visit_Name(self, node):
        name = node.id
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in RESERVED:
            raise _refuse(f"refused name {name!r}{self._where(node)}: {RESERVED[name]}")
        if name in ALLOWED_FUNCTIONS or name in NON_SMOOTH:
            raise _refuse(f"refused token {name!r}{self._where(node)}: a function name must be called")
        if self.variables is not None:
            if name not in self.variables:
                declared = ", ".join(self.variables) or "(none)"
                raise _refuse(f"unknown symbol {name!r}{self._where(node)}; declared variables are "
                              f"{declared}: add it to variables= or fix the spelling")
            return self.variables[name]
        if not name.isidentifier() or name.startswith("_"):
            raise _refuse(f"refused token {name!r}{self._where(node)}: variable names may not start with '_'")
        symbol = self.found.setdefault(name, sympy.Symbol(name, real=True))
        return symbol

    def visit_UnaryOp(self, node):
        operand = self.visit(node.operand)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        raise _refuse(f"refused operator {type(node.op).__name__}{self._where(node)}")

    def visit_BinOp(self, node):
        op = node.op
        if isinstance(op, ast.BitXor):
            raise _refuse(f"refused operator '^'{self._where(node)}: use ** for powers")
        if not isinstance(op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
            raise _refuse(f"refused operator {type(op).__name__}{self._where(node)}: "
                          "only + - * / ** are allowed")
        if isinstance(op, ast.Pow):
            return self._power(node, self.visit(node.left), self.visit(node.right))
        # a chain a ± b ± c … (or a * b / c …) is one level, however long: walk it in a loop
        additive = isinstance(op, (ast.Add, ast.Sub))
        kinds = (ast.Add, ast.Sub) if additive else (ast.Mult, ast.Div)
        items = []
        while isinstance(node, ast.BinOp) and isinstance(node.op, kinds):
            items.append((node.op, node.right))
            node = node.left
        items.reverse()
        terms = [self.visit(node)]
        for op, right in items:
            value = self.visit(right)
            if isinstance(op, ast.Sub):
                value = -value
            elif isinstance(op, ast.Div):
                if value == 0:
                    raise _refuse(f"division by zero{self._where(right)}")
                value = 1 / value
            terms.append(value)
        try:
            return sympy.Add(*terms) if additive else sympy.Mul(*terms)
        except OverflowError:
            raise _refuse(f"a constant overflows{self._where(node)}: numbers must stay below "
                          "1e308") from None

    def _power(self, node, left, right):
        if right.is_Number and abs(float(right)) > _MAX_CONST_EXPONENT:
            raise _refuse(f"refused exponent {right}{self._where(node)}: "
                          f"constant exponents are limited to ±{_MAX_CONST_EXPONENT}")
        if left.is_Number and right.is_Number:
            # keep the folding of number**number cheap and bounded
            try:
                return sympy.Float(float(left) ** float(right)) if left > 0 else left**right
            except OverflowError:
                raise _refuse(f"{left}**{right}{self._where(node)} overflows: numbers must "
                              "stay below 1e308") from None
        # unevaluated: sympy's power rules query assumptions recursively, which on nested
        # powers such as (exp(…)**x)**y took minutes; the tape needs no rewriting
        return sympy.Pow(left, right, evaluate=False)

    def visit_Call(self, node):
        if not isinstance(node.func, ast.Name):
            token = ast.get_source_segment(self.text, node.func)
            raise _refuse(f"refused token {token!r}{self._where(node)}: only plain function names may be called")
        name = node.func.id
        if node.keywords:
            raise _refuse(f"refused keyword arguments in call to {name!r}{self._where(node)}")
        if name in NON_SMOOTH:
            raise _refuse(f"refused function {name!r}{self._where(node)}: it is not smooth, and the "
                          "geometry needs derivatives; use a smooth surrogate (e.g. sqrt(x**2 + eps))")
        if name not in ALLOWED_FUNCTIONS:
            allowed = ", ".join(sorted(ALLOWED_FUNCTIONS))
            raise _refuse(f"unknown function {name!r}{self._where(node)}; allowed: {allowed}")
        if len(node.args) != 1:
            raise _refuse(f"function {name!r}{self._where(node)} takes exactly one argument")
        # unevaluated: sympy's automatic evaluation costs ~1 ms a call and buys the tape nothing
        return ALLOWED_FUNCTIONS[name](self.visit(node.args[0]), evaluate=False)


def parse_expression(text: str, variables=None):
    """Parse a loss expression string into a sympy expression, safely.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"sin(x) + 0.3*sin(5*x)"``.
    variables : sequence of str, optional
        Variable names in order. If omitted, the free names are inferred and
        sorted.

    Returns
    -------
    expr : sympy.Expr
    symbols : tuple of sympy.Symbol
        The variables, in order.

    See Also
    --------
    Function : parses its string this way.

    Examples
    --------
    >>> expr, symbols = parse_expression("x**2 + sin(y)")
    >>> symbols
    (x, y)
    >>> parse_expression("__import__('os')")
    Traceback (most recent call last):
    ...
    ValueError: refused token '__' at position 1: dunder names are not allowed
    """
    if not isinstance(text, str):
        raise TypeError(f"expression must be a string or sympy expression, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}. "
                         "Build long expressions with sympy and pass the sympy object instead")
    if "__" in text:
        pos = text.index("__") + 1
        raise ValueError(f"refused token '__' at position {pos}: dunder names are not allowed")
    try:
        with warnings.catch_warnings():     # "invalid decimal literal" and the like: the
            warnings.simplefilter("ignore")  # parse (or its SyntaxError) says it in one line
            tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ValueError(f"syntax error in expression at position {err.offset}: {err.msg}") from None
    except (RecursionError, MemoryError):
        raise ValueError(f"expression is nested too deeply (the limit is {MAX_DEPTH} levels)") from None
    depth = _depth(tree)
    if depth > MAX_DEPTH:
        raise ValueError(f"expression is nested {depth} levels deep; the limit is {MAX_DEPTH} "
                         "(a long sum or product counts as one level)")
    declared = None
    if variables is not None:
        names = _variable_names(variables)
        declared = {name: sympy.Symbol(name, real=True) for name in names}
    builder = _Builder(text.strip(), declared)
    try:
        expr = builder.visit(tree)
    except RecursionError:
        raise ValueError(f"expression is nested too deeply (the limit is {MAX_DEPTH} levels)") from None
    expr = sympy.sympify(expr)
    if declared is not None:
        symbols = tuple(declared.values())
    else:
        symbols = tuple(sorted(builder.found.values(), key=lambda s: s.name))
    check_expression(expr, symbols)
    return expr, symbols


def parse_number(value, what: str) -> float:
    """A finite float from a number, a sympy number or a constant expression such as ``"2*pi"``.

    Parameters
    ----------
    value : number, sympy number or str
    what : str
        What the number is, for the error message.

    Returns
    -------
    number : float

    Examples
    --------
    >>> round(parse_number("2*pi", "period"), 6)
    6.283185
    >>> parse_number("x", "period")
    Traceback (most recent call last):
    ...
    ValueError: period must be a number, got 'x'
    """
    if isinstance(value, str):
        try:
            value, _ = parse_expression(value, variables=())
        except ValueError:
            raise ValueError(f"{what} must be a number, got {value!r}") from None
    try:
        out = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not np.isfinite(out):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return out


def _depth(tree) -> int:
    """Nesting depth of an expression's AST, chains of + - (and of * /) counting as one level
    (iterative: a pathological input cannot exhaust the stack here)."""
    deepest = 0
    stack = [(tree, 0)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        chain = (ast.Add, ast.Sub) if isinstance(getattr(node, "op", None), (ast.Add, ast.Sub)) \
            else (ast.Mult, ast.Div)
        for child in ast.iter_child_nodes(node):
            same = (isinstance(node, ast.BinOp) and isinstance(child, ast.BinOp)
                    and isinstance(child.op, chain) and isinstance(node.op, chain))
            stack.append((child, level if same else level + 1))
    return deepest


def _variable_names(variables) -> list[str]:
    if isinstance(variables, str):
        variables = variables.replace(",", " ").split()
    names = [str(v) for v in variables]
    for name in names:
        if name in RESERVED:
            raise ValueError(f"invalid variable name {name!r}: {RESERVED[name]}")
        if not name.isidentifier() or name.startswith("_") or name in CONSTANTS \
                or name in ALLOWED_FUNCTIONS:
            raise ValueError(f"invalid variable name {name!r}: use a plain identifier that is not a "
                             "function or constant name")
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate variable names in {names}")
    return names


def check_expression(expr, symbols) -> None:
    """Check that a sympy expression is real-analytic-elementary in ``symbols``.

    Raises
    ------
    ValueError
        Naming the first offending sub-expression (a non-smooth or unknown
        function, an unknown symbol, or a complex constant).
    """
    names = {s.name for s in symbols}
    for sub in sympy.preorder_traversal(expr):
        if isinstance(sub, sympy.Symbol):
            if sub.name not in names:
                raise ValueError(f"unknown symbol {sub.name!r}; declared variables are "
                                 f"{', '.join(sorted(names)) or '(none)'}")
        elif sub is sympy.I or (sub.is_Number and not sub.is_real):
            raise ValueError(f"complex constant in {expr}: the loss must be real")
        elif sub.is_Number and (not sub.is_finite or not math.isfinite(float(sub))):
            raise ValueError(f"the constant {sub} is not a finite double (numbers must stay "
                             "below 1e308)")
        elif not isinstance(sub, _SYMPY_OK):
            name = getattr(sub.func, "__name__", type(sub).__name__)
            if name in NON_SMOOTH or isinstance(sub, (sympy.Abs, sympy.sign, sympy.floor,
                                                      sympy.ceiling, sympy.Max, sympy.Min,
                                                      sympy.Piecewise, sympy.Heaviside)):
                raise ValueError(f"refused function {name!r} in {sub}: it is not smooth, and the "
                                 "geometry needs derivatives")
            raise ValueError(f"unsupported sub-expression {sub} ({name}); allowed functions: "
                             f"{', '.join(sorted(ALLOWED_FUNCTIONS))}")
