"""The op table: every operation the engine knows, each defined once.

An op is a few rules about one operation, such as multiplication:

* ``forward``: how to compute it, on floats: ``a * b``;
* ``local_derivatives``: how its output changes with each input, as
  numbers: for ``a * b`` that is ``(b, a)``;
* ``text`` and ``derivative_texts``: the same two rules written for people,
  ``{a}·{b}`` and ``({b}, {a})``, which `formula` turns into
  ``∂(a·b)/∂a = b`` for the graph drawings and the step-through panels;
* ``numpy``: the op on whole numpy arrays, element by element, which the
  tensor engine (`autodiff.tensor`) uses.

Everything else reads this table: `Var` (reverse mode) records which op made
each value, `backward` multiplies by the op's local derivatives, `Dual`
(forward mode) does the same going forwards, and the drawings, the
explanations and the PyTorch cross-check show and test the same rules.

A local-derivative rule receives the op's inputs followed by its output, so a
rule can reuse the value already computed: d/da exp(a) = exp(a) is just
``out``. The rules use ordinary arithmetic and the ops themselves
(``COS(a)``), so the *same* rule runs on floats, on Vars (a derivative with
a graph of its own, for derivatives of derivatives), on Duals, and element
by element on numpy arrays and Tensors.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

import numpy as np

from .arguments import to_float

__all__ = [
    "Op", "OPS", "UNARY_OPS", "BINARY_OPS", "OPERAND_NAMES", "power", "fill",
    "ADD", "SUB", "MUL", "DIV", "NEG", "POW", "EXP", "LOG", "LOG1P", "SQRT",
    "SIN", "COS", "TAN", "TANH", "SIGMOID", "RELU", "ABS",
]

OPERAND_NAMES = ("a", "b")  # what the texts call the first and second operand


def fill(template: str, operands: Sequence[str] = OPERAND_NAMES) -> str:
    """Write a text of the table with these operands: ``fill("{a}·{b}", ["x", "3"]) == "x·3"``."""
    return template.format(**dict(zip(OPERAND_NAMES, operands)))


@dataclass(frozen=True, slots=True, eq=False)
class Op:
    """One differentiable operation on scalars (see the module docstring)."""

    name: str                                # "mul"
    symbol: str                              # what a graph node shows: "*"
    forward: Callable[..., float]            # floats in, a float out; refuses a bad input
    local_derivatives: Callable[..., tuple]  # (*inputs, out) -> one number per input
    text: str                                # the output, written: "{a}·{b}"
    derivative_texts: tuple[str, ...]        # each local derivative, written: ("{b}", "{a}")
    numpy: Optional[Callable[..., np.ndarray]] = None  # the op on arrays, element by element
    torch_name: str = ""                     # torch.<torch_name> computes it, when not torch.<name>
    constant: Optional[float] = None         # a fixed extra argument, like the n of a^n

    def __post_init__(self) -> None:
        if not self.torch_name:
            object.__setattr__(self, "torch_name", self.name)

    @property
    def arity(self) -> int:
        """How many operands the op takes."""
        return len(self.derivative_texts)

    def write(self, *operands: str) -> str:
        """The output written with these operands (``a`` and ``b`` by default): ``a·b``."""
        return fill(self.text, operands or OPERAND_NAMES)

    def write_derivative(self, i: int, *operands: str) -> str:
        """The local derivative with respect to operand ``i``, written: ``b`` for ``a·b`` and i = 0."""
        return fill(self.derivative_texts[i], operands or OPERAND_NAMES)

    def formula(self, i: int) -> str:
        """The local derivative with respect to operand ``i`` as a formula: ``∂(a·b)/∂a = b``."""
        return f"∂({self.write()})/∂{OPERAND_NAMES[i]} = {self.write_derivative(i)}"

    def evaluate(self, *values: float) -> float:
        """The forward rule on floats, refusing a result too large for a float (never inf).

        This is the one forward pass of an op: Vars, Duals, plain floats and
        a trace's re-evaluation all come through here.
        """
        out = self.forward(*values)
        if not math.isfinite(out):
            raise self.too_large(*values)
        return out

    def too_large(self, *values: float) -> OverflowError:
        """The error for a result too large for a float: ``mul(1e+308, 10.0) is too large ...``."""
        shown = ", ".join(repr(v) for v in values)
        return OverflowError(f"{self.name}({shown}) is too large for a float")

    def derivative_error(self, inputs: Sequence[float], error: Exception) -> Exception:
        """An error like ``error`` that says which local derivative failed, where, and its formula."""
        where = ", ".join(f"{name}={value!r}" for name, value in zip(OPERAND_NAMES, inputs))
        formulas = "; ".join(self.formula(i) for i in range(self.arity))
        return type(error)(
            f"the local derivative of {self.name} at {where} is not a finite number "
            f"({formulas}): {error}"
        )

    def __call__(self, *operands: Any) -> Any:
        """Apply the op to floats, Vars, Duals, Tensors or numpy arrays.

        ``EXP(1.0)`` is a float, ``EXP(x)`` a Var (or a Dual, or a Tensor:
        each says how an op applies to it, with its ``apply_op``), and
        ``EXP(array)`` an array, element by element.
        """
        if len(operands) != self.arity:
            raise TypeError(f"{self.name}: takes {self.arity} operand(s), got {len(operands)}")
        for operand in operands:
            apply_op = getattr(operand, "apply_op", None)
            if apply_op is not None:
                return apply_op(self, *operands)
        if any(isinstance(x, np.ndarray) for x in operands):
            return self.numpy(*operands)
        return self.evaluate(*[to_float(x, self.name) for x in operands])

    def __repr__(self) -> str:
        return f"Op({self.name}: {self.write()})"


# ----------------------------------------------------------------------------
# The table. Each op's forward rule comes right before its entry; each forward
# rule checks its own domain, so a bad value is reported by the op that cannot
# take it, before any graph node is made.
# ----------------------------------------------------------------------------

# The forward rules of +, - and * are Python's own operators, as functions: operator.add(a, b) is
# a + b. (A lambda a, b: a + b is the same rule; calling it took 1.1 ms more per step of
# micrograd's demo, 35.5 ms forward, not 34.4.)
ADD = Op(name="add", symbol="+",
         forward=operator.add, numpy=np.add,
         local_derivatives=lambda a, b, out: (1.0, 1.0),
         text="{a} + {b}", derivative_texts=("1", "1"))

SUB = Op(name="sub", symbol="-",
         forward=operator.sub, numpy=np.subtract,
         local_derivatives=lambda a, b, out: (1.0, -1.0),
         text="{a} - {b}", derivative_texts=("1", "-1"))

MUL = Op(name="mul", symbol="*",
         forward=operator.mul, numpy=np.multiply,
         local_derivatives=lambda a, b, out: (b, a),
         text="{a}·{b}", derivative_texts=("{b}", "{a}"))


def _div(a: float, b: float) -> float:
    if b == 0.0:
        raise ZeroDivisionError(f"div: division by zero ({a!r} / {b!r})")
    return a / b


DIV = Op(name="div", symbol="/",
         forward=_div, numpy=np.divide,
         local_derivatives=lambda a, b, out: (1.0 / b, -out / b),  # -a/b² is -(a/b)/b
         text="{a} / {b}", derivative_texts=("1 / {b}", "-{a} / {b}²"))


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


POW = Op(name="pow", symbol="**",
         forward=_pow, numpy=np.power,
         local_derivatives=lambda a, b, out: (_base_slope(a, b), _exponent_slope(a, out)),
         text="{a}^{b}",
         derivative_texts=("0 if {b} = 0 else {b}·{a}^({b}-1)", "0 if {a} = 0 else {a}^{b}·log({a})"))

NEG = Op(name="neg", symbol="neg",
         forward=operator.neg, numpy=np.negative,
         local_derivatives=lambda a, out: (-1.0,),
         text="-{a}", derivative_texts=("-1",))


def _exp(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:
        raise OverflowError(f"exp: exp({a!r}) is too large for a float (limit about 709.78)") from None


EXP = Op(name="exp", symbol="exp",
         forward=_exp, numpy=np.exp,
         local_derivatives=lambda a, out: (out,),
         text="exp({a})", derivative_texts=("exp({a})",))


def _log(a: float) -> float:
    if a <= 0.0:
        raise ValueError(f"log: input must be positive, got {a!r}")
    return math.log(a)


LOG = Op(name="log", symbol="log",
         forward=_log, numpy=np.log,
         local_derivatives=lambda a, out: (1.0 / a,),
         text="log({a})", derivative_texts=("1 / {a}",))


def _log1p(a: float) -> float:
    if a <= -1.0:
        raise ValueError(f"log1p: input must be greater than -1, got {a!r}")
    return math.log1p(a)


# log(1 + u) for a small u: 1 + u rounds u away when u < 1.1e-16 (1 + 4.2e-18 is
# exactly 1.0), so LOG of it gives 0.0; math.log1p(u) never forms 1 + u and keeps
# every digit: log1p(4.2e-18) = 4.2e-18. The losses' softplus needs it.
LOG1P = Op(name="log1p", symbol="log1p",
           forward=_log1p, numpy=np.log1p,
           local_derivatives=lambda a, out: (1.0 / (1.0 + a),),
           text="log(1 + {a})", derivative_texts=("1 / (1 + {a})",))


def _sqrt(a: float) -> float:
    if a < 0.0:
        raise ValueError(f"sqrt: input must not be negative, got {a!r}")
    return math.sqrt(a)


SQRT = Op(name="sqrt", symbol="sqrt",
          forward=_sqrt, numpy=np.sqrt,
          local_derivatives=lambda a, out: (0.5 / out,),
          text="√{a}", derivative_texts=("1 / (2·√{a})",))

SIN = Op(name="sin", symbol="sin",
         forward=math.sin, numpy=np.sin,
         local_derivatives=lambda a, out: (COS(a),),
         text="sin({a})", derivative_texts=("cos({a})",))

COS = Op(name="cos", symbol="cos",
         forward=math.cos, numpy=np.cos,
         local_derivatives=lambda a, out: (-SIN(a),),
         text="cos({a})", derivative_texts=("-sin({a})",))

TAN = Op(name="tan", symbol="tan",
         forward=math.tan, numpy=np.tan,
         local_derivatives=lambda a, out: (1.0 + out * out,),
         text="tan({a})", derivative_texts=("1 + tan({a})²",))

TANH = Op(name="tanh", symbol="tanh",
          forward=math.tanh, numpy=np.tanh,
          local_derivatives=lambda a, out: (1.0 - out * out,),
          text="tanh({a})", derivative_texts=("1 - tanh({a})²",))


def _sigmoid(a: float) -> float:
    # Two algebraically equal forms, each used where exp cannot overflow.
    if a >= 0.0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _sigmoid_array(a: np.ndarray) -> np.ndarray:
    """`_sigmoid` on every element: the same two forms, each where it cannot overflow."""
    e = np.exp(-np.abs(a))  # exp(-a) where a >= 0, exp(a) where a < 0: never above 1
    return np.where(a >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


SIGMOID = Op(name="sigmoid", symbol="σ",
             forward=_sigmoid, numpy=_sigmoid_array,
             local_derivatives=lambda a, out: (out * (1.0 - out),),
             text="σ({a})", derivative_texts=("σ({a})·(1 - σ({a}))",))


def _step(a: Any) -> Any:
    """1 for positive inputs, else 0: the slope of relu (taken as 0 at 0, as PyTorch does).

    Written as ``(a > 0) * 1.0`` so that it also works element by element on
    arrays (and on Tensors, whose comparisons give arrays).
    """
    return (a > 0) * 1.0


RELU = Op(name="relu", symbol="relu",
          forward=lambda a: a if a > 0.0 else 0.0, numpy=lambda a: np.maximum(a, 0.0),
          local_derivatives=lambda a, out: (_step(a),),
          text="relu({a})", derivative_texts=("1 if {a} > 0 else 0",))


def _sign(a: Any) -> Any:
    """The slope of abs: -1, 0 or 1 (0 at 0, as PyTorch does), element by element on arrays too."""
    return (a > 0) * 1.0 - (a < 0) * 1.0


ABS = Op(name="abs", symbol="abs",
         forward=abs, numpy=np.abs,
         local_derivatives=lambda a, out: (_sign(a),),
         text="|{a}|", derivative_texts=("sign({a})",))


# ----------------------------------------------------------------------------
# Powers with a constant exponent: x ** 2 is an op with one operand.
# ----------------------------------------------------------------------------

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
        exponent, lower = _number_text(n), _number_text(n - 1.0)
        if n == 0.0:
            slope, rule = "0", (lambda a, out: (0.0,))
        elif n == 1.0:
            slope, rule = "1", (lambda a, out: (1.0,))
        else:
            slope = f"{exponent}·{{a}}" if n == 2.0 else f"{exponent}·{{a}}^{lower}"
            rule = lambda a, out: (n * a ** (n - 1.0),)  # noqa: E731
        op = Op(name=f"pow{exponent}", symbol=f"**{exponent}",
                forward=lambda a: _pow(a, n), numpy=lambda a: np.power(a, n),
                local_derivatives=rule,
                text=f"{{a}}^{exponent}", derivative_texts=(slope,),
                torch_name="pow", constant=n)
        _POWERS[n] = op
    return op


UNARY_OPS: tuple[Op, ...] = (NEG, EXP, LOG, LOG1P, SQRT, SIN, COS, TAN, TANH, SIGMOID, RELU, ABS)
BINARY_OPS: tuple[Op, ...] = (ADD, SUB, MUL, DIV, POW)
OPS: dict[str, Op] = {op.name: op for op in BINARY_OPS + UNARY_OPS}
