"""Forward mode: dual numbers carry a derivative along with each value.

A dual number is a pair (value, tangent). Every op maps

    (a, ȧ), (b, ḃ)  ↦  (op(a, b),  ∂op/∂a · ȧ + ∂op/∂b · ḃ)

using the same local derivatives as reverse mode (from the op table). Running
``f`` once on duals gives f(x) and the directional derivative J·v in one sweep
forward: no graph is stored and nothing runs backwards.

Forward mode costs one sweep per *input direction*; reverse mode costs one
sweep per *output*. So for many inputs and one output (a loss), reverse mode
wins; for one input and many outputs, forward mode does.

**Tags: nested derivatives.** The tangent is the coefficient of an ε with
ε² = 0. A derivative taken inside another (``jvp`` inside a function given
to ``jvp``) needs an ε of its own: ε₁ for the outer, ε₂ for the inner, each
squaring to 0 but with ε₁ε₂ ≠ 0. With a single ε the inner derivative would
count the outer perturbation as its own ("perturbation confusion": d/dx [x ·
d/dy (x + y)] would come out 2, not 1). So every `jvp` call makes a fresh
*tag*, larger than every tag before it, and its inputs are Duals of that
tag. An op reads the parts of the largest tag among its operands, the
innermost derivative being taken; an operand of a smaller tag is a constant
to it, and its parts, the primal and the tangent, may themselves be Duals of
smaller tags. A Dual made by hand has tag 0.
"""

from __future__ import annotations

import math
from itertools import count
from typing import Any, Callable, Sequence

from .arguments import compared_with_number, is_real, no_modular_power, short_repr, to_float, type_and_value
from .ops import (ABS, ADD, COS, DIV, EXP, LOG, LOG1P, MUL, NEG, POW, RELU, SIGMOID, SIN, SQRT, SUB, TAN,
                  TANH, Op, power)

__all__ = ["Dual", "jvp", "push_forward"]


_new_tag = count(1).__next__  # a fresh tag for every jvp call: 1, 2, 3, ...


class Dual:
    """A value and its tangent: the derivative along one chosen direction.

    ``primal + tangent·ε`` with ε² = 0, where ε belongs to ``tag`` (see the
    module docstring: 0 for a Dual made by hand, a fresh one for each `jvp`).
    The primal and the tangent are numbers, or, inside a nested `jvp`, Duals
    of smaller tags. Dual has the same operators and methods as `Var`, so a
    function written for Vars runs on Duals too.
    """

    __slots__ = ("primal", "tangent", "tag")

    __array_ufunc__ = None  # numpy scalars defer to us

    def __init__(self, primal: Any, tangent: Any = 0.0, tag: int = 0) -> None:
        if not isinstance(tag, int) or isinstance(tag, bool) or tag < 0:
            raise TypeError(f"Dual: tag must be a whole number >= 0, got {type_and_value(tag)}")
        self.primal = _checked_part(primal, tag, "Dual")
        self.tangent = _checked_part(tangent, tag, "Dual tangent")
        self.tag = tag

    def __repr__(self) -> str:
        tag = f", tag={self.tag}" if self.tag else ""
        return f"Dual(primal={self.primal!r}, tangent={self.tangent!r}{tag})"

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
    def log1p(self) -> Dual: return push_forward(LOG1P, self)
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
    def __bool__(self) -> bool: return bool(self.primal)

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

    The parts are those of the largest tag among the operands. A plain
    number, or a Dual of a smaller tag, is a constant: its tangent is 0.
    Parts that are Duals themselves (a nested `jvp`) go through this same
    function, one tag down: ``op(*primals)`` and the rules on them.
    """
    tag = max(x.tag for x in operands if isinstance(x, Dual))
    parts = [_parts_in(x, tag, op) for x in operands]
    primals = [primal for primal, _ in parts]
    value = op(*primals)  # floats: op.evaluate; Duals of smaller tags: push_forward
    try:
        local = op.local_derivatives(*primals, value)
    except (ArithmeticError, ValueError) as error:
        raise op.derivative_error(primals, error) from None
    terms = [slope * tangent for slope, (_, tangent) in zip(local, parts)]
    tangent = sum(terms[1:], terms[0])
    if isinstance(tangent, float) and not math.isfinite(tangent):
        raise OverflowError(f"jvp: the tangent of {op.name} at value {value!r} is not a finite number")
    return Dual(value, tangent, tag)


def _parts_in(x: Any, tag: int, op: Op) -> tuple[Any, Any]:
    """``x`` as (primal, tangent) in the ε of ``tag``: anything else is a constant, tangent 0."""
    if isinstance(x, Dual):
        return (x.primal, x.tangent) if x.tag == tag else (x, 0.0)
    return to_float(x, op.name, "a real number or a Dual"), 0.0


def _checked_part(x: Any, tag: int, what: str) -> Any:
    """A primal or tangent of a Dual of ``tag``: a number, or a Dual of a smaller tag."""
    if isinstance(x, Dual):
        if x.tag >= tag:
            raise ValueError(f"{what}: a Dual of tag {tag} cannot hold one of tag {x.tag}; "
                             "its parts must have smaller tags")
        return x
    return to_float(x, what)


def _numbers(values: Any, name: str, how_many: str) -> list:
    """``values`` as a list, or a TypeError saying that jvp takes lists (a lone number is the usual slip)."""
    try:
        return list(values)
    except TypeError:
        fix = f"; write [{short_repr(values)}]" if is_real(values) else ""
        raise TypeError(f"jvp: {name} must be a list of numbers, {how_many}, "
                        f"got {type_and_value(values)}{fix}") from None


def _value(x: Any) -> Any:
    return x.primal if isinstance(x, Dual) else to_float(x, "comparison", "a real number or a Dual")


def jvp(
    f: Callable[..., Any],
    primals: Sequence[Any],
    tangents: Sequence[Any],
) -> tuple[Any, Any]:
    """Evaluate ``f`` at ``primals`` and its derivative along ``tangents``.

    Returns ``(f(x), J·v)``: with ``tangents`` a unit vector e_i, the second
    number is ∂f/∂x_i. ``f`` takes one argument per primal and is written with
    the usual ops (``*``, ``autodiff.exp``, ``x.tanh()``, ...)::

        jvp(lambda x, y: x * y + x.sin(), [2.0, 3.0], [1.0, 0.0])
        # (6.909..., 3 + cos 2)

    Each call perturbs its inputs with an ε of its own (a fresh tag), so
    calls nest: inside a function given to an outer `jvp`, an inner call
    treats the outer Duals as constants, and returns Duals of the outer
    tag, which the outer call differentiates in turn::

        def inner(x):                         # d/dy (x·y·y) at y = 3: 6x
            return jvp(lambda y: x * y * y, [3.0], [1.0])[1]
        jvp(lambda x: x * inner(x), [5.0], [1.0])[1]   # d/dx 6x² = 12x: 60.0
    """
    if not callable(f):
        raise TypeError(f"jvp: f must be callable, got {type(f).__name__}")
    primals = _numbers(primals, "primals", "one per argument of f")
    tangents = _numbers(tangents, "tangents", "one per primal")
    if len(primals) != len(tangents):
        raise ValueError(
            f"jvp: got {len(primals)} primal(s) but {len(tangents)} tangent(s); they must match"
        )
    tag = _new_tag()
    inputs = [Dual(p, t, tag) for p, t in zip(primals, tangents)]
    out = f(*inputs)
    if isinstance(out, Dual):
        if out.tag == tag:
            return out.primal, out.tangent
        return out, 0.0  # it depends on an outer jvp's inputs only: a constant here
    return to_float(out, "jvp (the value f returned)", "a Dual or a real number"), 0.0
