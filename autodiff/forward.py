"""Forward mode: dual numbers carry a derivative along with each value.

A dual number is a pair (value, tangent). Every op maps

    (a, ȧ), (b, ḃ)  ↦  (op(a, b),  ∂op/∂a · ȧ + ∂op/∂b · ḃ)

using the same local derivatives as reverse mode (from the op table). Running
``f`` once on duals gives f(x) and the directional derivative J·v in one sweep
forward: no graph is stored and nothing runs backwards.

Forward mode costs one sweep per *input direction*; reverse mode costs one
sweep per *output*. So for many inputs and one output (a loss), reverse mode
wins; for one input and many outputs, forward mode does.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

from .arguments import compared_with_number, is_real, no_modular_power, short_repr, to_float, type_and_value
from .ops import (ABS, ADD, COS, DIV, EXP, LOG, MUL, NEG, POW, RELU, SIGMOID, SIN, SQRT, SUB, TAN,
                  TANH, Op, power)

__all__ = ["Dual", "jvp", "push_forward"]


class Dual:
    """A value and its tangent: the derivative along one chosen direction.

    Dual has the same operators and methods as `Var`, so a function written
    for Vars runs on Duals too.
    """

    __slots__ = ("primal", "tangent")

    __array_ufunc__ = None  # numpy scalars defer to us

    def __init__(self, primal: float, tangent: float = 0.0) -> None:
        self.primal = to_float(primal, "Dual")
        self.tangent = to_float(tangent, "Dual tangent")

    def __repr__(self) -> str:
        return f"Dual(primal={self.primal!r}, tangent={self.tangent!r})"

    # Operators and methods: each pushes one op of the table forward.
    def __add__(self, other: Any) -> Dual: return push_forward(ADD, self, other)
    def __radd__(self, other: Any) -> Dual: return push_forward(ADD, other, self)
    def __sub__(self, other: Any) -> Dual: return push_forward(SUB, self, other)
    def __rsub__(self, other: Any) -> Dual: return push_forward(SUB, other, self)
    def __mul__(self, other: Any) -> Dual: return push_forward(MUL, self, other)
    def __rmul__(self, other: Any) -> Dual: return push_forward(MUL, other, self)
    def __truediv__(self, other: Any) -> Dual: return push_forward(DIV, self, other)
    def __rtruediv__(self, other: Any) -> Dual: return push_forward(DIV, other, self)
    def __rpow__(self, other: Any) -> Dual: return push_forward(POW, other, self)
    def __neg__(self) -> Dual: return push_forward(NEG, self)
    def __abs__(self) -> Dual: return push_forward(ABS, self)

    def __pow__(self, exponent: Any, modulo: Any = None) -> Dual:
        """``self ** exponent``; a plain-number exponent is part of the op, as for `Var`."""
        if modulo is not None:
            raise no_modular_power(self, exponent, modulo)
        if isinstance(exponent, Dual):
            return push_forward(POW, self, exponent)
        return push_forward(power(exponent), self)

    def exp(self) -> Dual: return push_forward(EXP, self)
    def log(self) -> Dual: return push_forward(LOG, self)
    def sqrt(self) -> Dual: return push_forward(SQRT, self)
    def sin(self) -> Dual: return push_forward(SIN, self)
    def cos(self) -> Dual: return push_forward(COS, self)
    def tan(self) -> Dual: return push_forward(TAN, self)
    def tanh(self) -> Dual: return push_forward(TANH, self)
    def sigmoid(self) -> Dual: return push_forward(SIGMOID, self)
    def relu(self) -> Dual: return push_forward(RELU, self)

    @staticmethod
    def apply_op(op: Op, *operands: Any) -> Dual:
        """How ``op(...)`` applies to Duals: ``ops.EXP(d)`` is ``d.exp()``."""
        return push_forward(op, *operands)

    # Truth and equality as for Var (see autodiff.var): bool is the value's truth, == is identity.
    def __bool__(self) -> bool: return self.primal != 0.0

    def __eq__(self, other: Any) -> Any:
        if is_real(other):
            raise compared_with_number(self, other, "primal")
        return self is other if isinstance(other, Dual) else NotImplemented

    __hash__ = object.__hash__

    # Order comparisons look at the primal values.
    def __lt__(self, other: Any) -> bool: return self.primal < _value(other)
    def __le__(self, other: Any) -> bool: return self.primal <= _value(other)
    def __gt__(self, other: Any) -> bool: return self.primal > _value(other)
    def __ge__(self, other: Any) -> bool: return self.primal >= _value(other)


def push_forward(op: Op, *operands: Any) -> Dual:
    """One op on dual numbers: (a, ȧ), (b, ḃ) ↦ (op(a, b), ∂op/∂a · ȧ + ∂op/∂b · ḃ).

    A plain number among the operands is a constant: its tangent is 0.
    """
    duals = [x if isinstance(x, Dual) else Dual(to_float(x, op.name, "a real number or a Dual"))
             for x in operands]
    primals = [d.primal for d in duals]
    value = op.evaluate(*primals)
    try:
        local = op.local_derivatives(*primals, value)
    except (ArithmeticError, ValueError) as error:
        raise op.derivative_error(primals, error) from None
    terms = [slope * d.tangent for slope, d in zip(local, duals)]
    tangent = sum(terms[1:], terms[0])
    if not math.isfinite(tangent):
        raise OverflowError(f"jvp: the tangent of {op.name} at value {value!r} is not a finite number")
    return Dual(value, tangent)


def _numbers(values: Any, name: str, how_many: str) -> list:
    """``values`` as a list, or a TypeError saying that jvp takes lists (a lone number is the usual slip)."""
    try:
        return list(values)
    except TypeError:
        fix = f"; write [{short_repr(values)}]" if is_real(values) else ""
        raise TypeError(f"jvp: {name} must be a list of numbers, {how_many}, "
                        f"got {type_and_value(values)}{fix}") from None


def _value(x: Any) -> float:
    return x.primal if isinstance(x, Dual) else to_float(x, "comparison", "a real number or a Dual")


def jvp(
    f: Callable[..., Any],
    primals: Sequence[float],
    tangents: Sequence[float],
) -> tuple[float, float]:
    """Evaluate ``f`` at ``primals`` and its derivative along ``tangents``.

    Returns ``(f(x), J·v)``: with ``tangents`` a unit vector e_i, the second
    number is ∂f/∂x_i. ``f`` takes one argument per primal and is written with
    the usual ops (``*``, ``autodiff.exp``, ``x.tanh()``, ...)::

        jvp(lambda x, y: x * y + x.sin(), [2.0, 3.0], [1.0, 0.0])
        # (6.909..., 3 + cos 2)
    """
    if not callable(f):
        raise TypeError(f"jvp: f must be callable, got {type(f).__name__}")
    primals = _numbers(primals, "primals", "one per argument of f")
    tangents = _numbers(tangents, "tangents", "one per primal")
    if len(primals) != len(tangents):
        raise ValueError(
            f"jvp: got {len(primals)} primal(s) but {len(tangents)} tangent(s); they must match"
        )
    inputs = [Dual(p, t) for p, t in zip(primals, tangents)]
    out = f(*inputs)
    if isinstance(out, Dual):
        return out.primal, out.tangent
    return to_float(out, "jvp (the value f returned)", "a Dual or a real number"), 0.0
