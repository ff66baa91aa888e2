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

from typing import Any, Callable, Sequence

from .arithmetic import install_arithmetic
from .ops import Op, to_float

__all__ = ["Dual", "jvp"]

class Dual:
    """A value and its tangent: the derivative along one chosen direction.

    Dual gets the same operators and methods as `Var` (from the op table, via
    `install_arithmetic`), so a function written for Vars runs on Duals too.
    """

    __slots__ = ("primal", "tangent")

    __array_ufunc__ = None  # numpy scalars defer to us

    def __init__(self, primal: float, tangent: float = 0.0) -> None:
        self.primal = to_float(primal, "Dual")
        self.tangent = to_float(tangent, "Dual tangent")

    def __repr__(self) -> str:
        return f"Dual(primal={self.primal!r}, tangent={self.tangent!r})"


def _lift(x: Any, op: Op) -> Dual:
    """A plain number met in an op is a constant: tangent 0."""
    return x if isinstance(x, Dual) else Dual(to_float(x, op.name, "a real number or a Dual"))


def _result(op: Op, value: float, tangent: float) -> Dual:
    if value - value != 0.0:
        raise OverflowError(f"{op.name}: the result is too large for a float")
    if tangent - tangent != 0.0:
        raise OverflowError(f"jvp: the tangent of {op.name} at value {value!r} is not a finite number")
    d = object.__new__(Dual)
    d.primal = value
    d.tangent = tangent
    return d


def _local_derivatives(op: Op, value: float, *inputs: float) -> tuple:
    try:
        return op.derivative(*inputs, value)
    except (ArithmeticError, ValueError) as error:
        raise op.derivative_error(inputs, error) from None


def _binary(op: Op, reflected: bool):
    def method(self: Dual, other: Any) -> Dual:
        a, b = (_lift(other, op), self) if reflected else (self, _lift(other, op))
        value = op.forward(a.primal, b.primal)
        da, db = _local_derivatives(op, value, a.primal, b.primal)
        return _result(op, value, da * a.tangent + db * b.tangent)

    return method


def _unary(op: Op):
    def method(self: Dual) -> Dual:
        value = op.forward(self.primal)
        (da,) = _local_derivatives(op, value, self.primal)
        return _result(op, value, da * self.tangent)

    return method


def _value(x: Any) -> float:
    return x.primal if isinstance(x, Dual) else to_float(x, "comparison", "a real number or a Dual")


install_arithmetic(Dual, _binary, _unary, _value)


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
    primals, tangents = list(primals), list(tangents)
    if len(primals) != len(tangents):
        raise ValueError(
            f"jvp: got {len(primals)} primal(s) but {len(tangents)} tangent(s); they must match"
        )
    inputs = [Dual(p, t) for p, t in zip(primals, tangents)]
    out = f(*inputs)
    if isinstance(out, Dual):
        return out.primal, out.tangent
    return to_float(out, "jvp (the value f returned)", "a Dual or a real number"), 0.0
