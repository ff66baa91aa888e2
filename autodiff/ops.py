"""The op table: the one place where every operation is defined.

Each `Op` bundles everything the rest of the kit needs to know about an
operation:

* ``forward``: the rule on plain floats, with its domain checks,
* ``derivative``: the local derivatives of the output with respect to each
  input, written with ordinary arithmetic so that the *same* rule runs on
  floats (plain backward, forward mode) and on `Var`s (``create_graph=True``,
  which makes derivatives differentiable again),
* ``expr`` and ``partials``: how the op and its local derivatives are written
  for people, e.g. ``∂(a·b)/∂a = b`` for the graph and the step-through panel,
* ``torch_name``: the PyTorch function it must agree with, for the cross-check.

Reverse mode (`autodiff.backward`), forward mode (`autodiff.forward`), the
graph labels and the checks all read this table; none of them restates a rule.

A derivative rule receives the op's inputs followed by its output, so rules
such as ``exp`` can reuse the value already computed: d/da exp(a) = exp(a).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from typing import Any, Callable, Optional, Sequence

from .arguments import too_large, type_and_value

__all__ = [
    "Op", "OPS", "UNARY_OPS", "BINARY_OPS", "power", "to_float",
    "ADD", "SUB", "MUL", "DIV", "NEG", "POW", "EXP", "LOG", "SQRT",
    "SIN", "COS", "TAN", "TANH", "SIGMOID", "RELU", "ABS",
]

OPERAND_NAMES = ("a", "b")

# How an op is applied to a kind of number other than float (Var, Dual).
# `autodiff.var` and `autodiff.forward` register themselves here, so that
# ``EXP(x)`` works whatever ``x`` is without this module importing them.
APPLY_BY_TYPE: dict[type, Callable[..., Any]] = {}


def to_float(x: Any, opname: str, expected: str = "a real number") -> float:
    """Return ``x`` as a finite Python float, or raise a clear error naming ``opname``.

    Ints, floats, fractions and numpy scalars are accepted; bools, strings,
    complex numbers, containers and None are not (TypeError), and neither are
    nan and the infinities (ValueError).
    """
    if type(x) is float:
        if x - x == 0.0:  # false exactly for inf and nan
            return x
    elif isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{opname}: expected {expected}, got {type_and_value(x)}")
    try:
        value = float(x)
    except OverflowError:
        raise too_large(x, opname) from None
    if not math.isfinite(value):
        raise ValueError(f"{opname}: expected a finite number, got {value!r}")
    return value


@dataclass(frozen=True, slots=True, eq=False)
class Op:
    """One differentiable operation on scalars."""

    name: str                      # short identifier: "mul"
    symbol: str                    # what a graph node shows: "*"
    expr: str                      # the output written in its operands: "a·b"
    partials: tuple[str, ...]      # local derivative per operand, as text: ("b", "a")
    forward: Callable[..., float]  # floats in, float out; raises on a domain error
    derivative: Callable[..., tuple]  # (*inputs, out) -> one local derivative per input
    torch_name: str                # torch.<torch_name> computes the same thing
    constant: Optional[float] = None  # a fixed extra argument, like n in a^n

    @property
    def arity(self) -> int:
        """How many operands the op takes."""
        return len(self.partials)

    def formula(self, i: int) -> str:
        """The local derivative with respect to operand ``i``, e.g. ``∂(a·b)/∂a = b``."""
        return f"∂({self.expr})/∂{OPERAND_NAMES[i]} = {self.partials[i]}"

    def derivative_error(self, inputs: Sequence[float], error: Exception) -> Exception:
        """An error like ``error`` that says which local derivative failed, where, and its formula."""
        where = ", ".join(f"{name}={value!r}" for name, value in zip(OPERAND_NAMES, inputs))
        formulas = "; ".join(self.formula(i) for i in range(self.arity))
        return type(error)(
            f"the local derivative of {self.name} at {where} is not a finite number "
            f"({formulas}): {error}"
        )

    def __call__(self, *args: Any) -> Any:
        """Apply the op to floats, Vars or Duals: ``EXP(1.0)``, ``EXP(x)``."""
        if len(args) != self.arity:
            raise TypeError(f"{self.name}: takes {self.arity} operand(s), got {len(args)}")
        for arg in args:
            apply = APPLY_BY_TYPE.get(type(arg))
            if apply is not None:
                return apply(self, *args)
        return self.forward(*(to_float(arg, self.name) for arg in args))

    def __repr__(self) -> str:
        return f"Op({self.name}: {self.expr})"


# ----------------------------------------------------------------------------
# Forward rules on floats. Each checks its own domain so that a bad value is
# reported by the op that cannot take it, before any graph node is made.
# ----------------------------------------------------------------------------

def _div(a: float, b: float) -> float:
    if b == 0.0:
        raise ZeroDivisionError(f"div: division by zero ({a!r} / {b!r})")
    return a / b


def _pow(a: float, b: float) -> float:
    if a == 0.0 and b < 0.0:
        raise ZeroDivisionError(f"pow: 0.0 cannot be raised to a negative power ({b!r})")
    if a < 0.0 and not b.is_integer():
        raise ValueError(
            f"pow: a negative base ({a!r}) to a fractional power ({b!r}) is not a real number"
        )
    try:
        return a ** b
    except OverflowError:
        raise OverflowError(f"pow: {a!r} ** {b!r} is too large for a float") from None


def _exp(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:
        raise OverflowError(f"exp: exp({a!r}) is too large for a float (limit about 709.78)") from None


def _log(a: float) -> float:
    if a <= 0.0:
        raise ValueError(f"log: input must be positive, got {a!r}")
    return math.log(a)


def _sqrt(a: float) -> float:
    if a < 0.0:
        raise ValueError(f"sqrt: input must not be negative, got {a!r}")
    return math.sqrt(a)


def _sigmoid(a: float) -> float:
    # Two algebraically equal forms, each used where exp cannot overflow.
    if a >= 0.0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _step(a: Any) -> float:
    """1 for positive inputs, else 0: the slope of relu (taken as 0 at 0, as PyTorch does)."""
    return 1.0 if a > 0 else 0.0


def _is_zero(x: Any) -> bool:
    return not (x < 0 or x > 0)  # works for floats, Vars and Duals alike


def _base_slope(a: Any, b: Any) -> Any:
    """d/da a^b = b·a^(b-1); at a = b = 0 that reads 0·0^-1, and the slope of a^0 = 1 is 0."""
    if _is_zero(a) and _is_zero(b):
        return 0.0
    return b * a ** (b - 1.0)


def _exponent_slope(a: Any, out: Any) -> Any:
    """d/db a^b = a^b·log(a): 0 where a = 0, and no real number where a < 0."""
    if a > 0:
        return out * LOG(a)
    if a < 0:
        raise ValueError(
            f"pow: a negative base ({a!r}) has no real derivative with respect to its exponent"
        )
    return 0.0


def _sign(a: Any) -> float:
    """The slope of abs: -1, 0 or 1 (0 at 0, as PyTorch does)."""
    return 1.0 if a > 0 else (-1.0 if a < 0 else 0.0)


# ----------------------------------------------------------------------------
# The table. Derivative rules use ordinary operators and the ops themselves
# (``COS(a)``, ``LOG(a)``), so they run unchanged on floats and on Vars.
# ----------------------------------------------------------------------------

ADD = Op("add", "+", "a + b", ("1", "1"),
         lambda a, b: a + b,
         lambda a, b, out: (1.0, 1.0), "add")
SUB = Op("sub", "-", "a - b", ("1", "-1"),
         lambda a, b: a - b,
         lambda a, b, out: (1.0, -1.0), "sub")
MUL = Op("mul", "*", "a·b", ("b", "a"),
         lambda a, b: a * b,
         lambda a, b, out: (b, a), "mul")
DIV = Op("div", "/", "a / b", ("1 / b", "-a / b²"),
         _div,
         lambda a, b, out: (1.0 / b, -out / b), "div")
POW = Op("pow", "**", "a^b", ("b·a^(b-1)", "a^b·log(a)"),
         _pow,
         lambda a, b, out: (_base_slope(a, b), _exponent_slope(a, out)), "pow")
NEG = Op("neg", "neg", "-a", ("-1",),
         lambda a: -a,
         lambda a, out: (-1.0,), "neg")
EXP = Op("exp", "exp", "exp(a)", ("exp(a)",),
         _exp,
         lambda a, out: (out,), "exp")
LOG = Op("log", "log", "log(a)", ("1 / a",),
         _log,
         lambda a, out: (1.0 / a,), "log")
SQRT = Op("sqrt", "sqrt", "√a", ("1 / (2·√a)",),
          _sqrt,
          lambda a, out: (0.5 / out,), "sqrt")
SIN = Op("sin", "sin", "sin(a)", ("cos(a)",),
         math.sin,
         lambda a, out: (COS(a),), "sin")
COS = Op("cos", "cos", "cos(a)", ("-sin(a)",),
         math.cos,
         lambda a, out: (-SIN(a),), "cos")
TAN = Op("tan", "tan", "tan(a)", ("1 + tan(a)²",),
         math.tan,
         lambda a, out: (1.0 + out * out,), "tan")
TANH = Op("tanh", "tanh", "tanh(a)", ("1 - tanh(a)²",),
          math.tanh,
          lambda a, out: (1.0 - out * out,), "tanh")
SIGMOID = Op("sigmoid", "σ", "σ(a)", ("σ(a)·(1 - σ(a))",),
             _sigmoid,
             lambda a, out: (out * (1.0 - out),), "sigmoid")
RELU = Op("relu", "relu", "relu(a)", ("1 if a > 0 else 0",),
          lambda a: a if a > 0.0 else 0.0,
          lambda a, out: (_step(a),), "relu")
ABS = Op("abs", "abs", "|a|", ("sign(a)",),
         abs,
         lambda a, out: (_sign(a),), "abs")


def _number_text(n: float) -> str:
    return str(int(n)) if n.is_integer() else repr(n)


_POWERS: dict[float, Op] = {}


def power(n: float) -> Op:
    """The op ``a ** n`` for a constant exponent ``n`` (one cached Op per exponent).

    A constant exponent needs no derivative of its own, so ``x ** 2`` is a
    one-operand op, drawn as ``**2``, with d/da a^n = n·a^(n-1).
    """
    n = to_float(n, "pow")
    op = _POWERS.get(n)
    if op is None:
        text = _number_text(n)
        lower = _number_text(n - 1.0)
        if n == 0.0:
            partial, rule = "0", (lambda a, out: (0.0,))
        elif n == 1.0:
            partial, rule = "1", (lambda a, out: (1.0,))
        else:
            partial = f"{text}·a" if n == 2.0 else f"{text}·a^{lower}"
            rule = lambda a, out: (n * a ** (n - 1.0),)  # noqa: E731
        op = Op(f"pow{text}", f"**{text}", f"a^{text}", (partial,),
                lambda a: _pow(a, n), rule, "pow", constant=n)
        _POWERS[n] = op
    return op


UNARY_OPS: tuple[Op, ...] = (NEG, EXP, LOG, SQRT, SIN, COS, TAN, TANH, SIGMOID, RELU, ABS)
BINARY_OPS: tuple[Op, ...] = (ADD, SUB, MUL, DIV, POW)
OPS: dict[str, Op] = {op.name: op for op in BINARY_OPS + UNARY_OPS}
