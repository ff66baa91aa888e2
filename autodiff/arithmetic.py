"""Python's operators and math methods, mapped onto the op table.

`Var` (reverse mode) and `Dual` (forward mode) get their operators from here,
so ``x * y + x.exp()`` means the same ops whichever of the two ``x`` is. Each
class supplies two small factories that say how to apply *one* op to its kind
of number, and `install_arithmetic` builds every method from them:

* ``binary(op, reflected)`` returns the method for ``x <op> other`` (or, when
  ``reflected``, for ``other <op> x`` with a plain number on the left),
* ``unary(op)`` returns the method for ``op(x)``.

The methods are made once per op when the class is defined: a closure that
already knows its op is the fastest thing Python can call per arithmetic
operation, and this is the engine's hot path.
"""

from __future__ import annotations

from typing import Any, Callable

from . import ops

# ``x + y`` calls ``x.__add__(y)``; ``2 + x`` calls ``x.__radd__(2)``.
BINARY_METHODS: dict[str, ops.Op] = {
    "add": ops.ADD, "sub": ops.SUB, "mul": ops.MUL, "truediv": ops.DIV,
}

UNARY_METHODS: dict[str, ops.Op] = {
    "__neg__": ops.NEG, "__abs__": ops.ABS,
    "exp": ops.EXP, "log": ops.LOG, "sqrt": ops.SQRT,
    "sin": ops.SIN, "cos": ops.COS, "tan": ops.TAN,
    "tanh": ops.TANH, "sigmoid": ops.SIGMOID, "relu": ops.RELU,
}


def install_arithmetic(
    cls: type,
    binary: Callable[[ops.Op, bool], Callable[[Any, Any], Any]],
    unary: Callable[[ops.Op], Callable[[Any], Any]],
    value: Callable[[Any], float],
) -> type:
    """Give ``cls`` the operators, math methods and comparisons of a real number.

    ``value(x)`` returns the plain float that comparisons look at (comparisons
    give a bool and record nothing). Also registers ``cls`` with the op table,
    so that ``ops.EXP(x)`` and ``autodiff.exp(x)`` work on it.
    """
    for name, op in BINARY_METHODS.items():
        _install(cls, f"__{name}__", binary(op, False), f"self {op.symbol} other: {op.expr}")
        _install(cls, f"__r{name}__", binary(op, True), f"other {op.symbol} self: {op.expr}")
    for name, op in UNARY_METHODS.items():
        _install(cls, name, unary(op), f"{op.expr}, where a is self")

    apply = _applier(cls, binary, unary)
    ops.APPLY_BY_TYPE[cls] = apply

    def __pow__(self: Any, exponent: Any) -> Any:
        """self ** exponent. A plain-number exponent is part of the op: ``x**2``."""
        if isinstance(exponent, cls):
            return apply(ops.POW, self, exponent)
        return apply(ops.power(exponent), self)

    cls.__pow__ = __pow__
    _install(cls, "__rpow__", binary(ops.POW, True), "number ** self: a^b with the number as a")

    cls.__lt__ = lambda self, other: value(self) < value(other)
    cls.__le__ = lambda self, other: value(self) <= value(other)
    cls.__gt__ = lambda self, other: value(self) > value(other)
    cls.__ge__ = lambda self, other: value(self) >= value(other)
    return cls


def _applier(cls: type, binary: Callable, unary: Callable) -> Callable[..., Any]:
    """``apply(op, *operands)`` for any op, reusing one method per op."""
    methods: dict[tuple[ops.Op, bool], Callable] = {}

    def apply(op: ops.Op, *operands: Any) -> Any:
        # A plain number on the left is handled by the reflected method.
        reflected = len(operands) == 2 and not isinstance(operands[0], cls)
        method = methods.get((op, reflected))
        if method is None:
            method = unary(op) if op.arity == 1 else binary(op, reflected)
            methods[op, reflected] = method
        return method(*operands[::-1]) if reflected else method(*operands)

    return apply


def _install(cls: type, name: str, method: Callable, doc: str) -> None:
    method.__name__ = method.__qualname__ = name
    method.__doc__ = doc
    setattr(cls, name, method)
