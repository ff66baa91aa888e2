"""Checking arguments: one definition of each rule, shared by the whole kit.

Each check returns the argument converted (an int, a float, a bool) or
raises an error that names the argument and shows the value it got:

* a TypeError for a value of the wrong kind. ``True`` is not taken for 1:
  bools are refused wherever a number is expected;
* a ValueError for a value of the right kind that is out of bounds.

``what`` says whose argument it is, ``"owner: name"``, so that

>>> positive(-0.5, "SGD: lr")
Traceback (most recent call last):
    ...
ValueError: SGD: lr must be > 0, got -0.5

Ints include numpy's integers, and reals numpy's floats and fractions:
whatever `numbers.Integral` and `numbers.Real` accept.

`to_float` is the engine's own check, which makes every Var and op operand
a float; it words its errors as the op errors are ("Var: expected a real
number, got str 'a'").
"""

from __future__ import annotations

import math
import reprlib
from numbers import Integral, Real
from typing import Any, Collection

__all__ = [
    "short_repr", "type_name", "type_and_value", "too_large", "is_int", "is_real", "to_float",
    "integer", "positive_int", "flag", "real", "non_negative", "positive", "in_range", "one_of",
    "no_modular_power", "compared_with_number",
]


def short_repr(value: Any) -> str:
    """``repr(value)``, cut short if long, for an error message."""
    return reprlib.repr(value)


def type_name(value: Any) -> str:
    """The name of ``value``'s type, with its package when it is not Python's own: ``torch.Tensor``."""
    kind = type(value)
    if kind.__module__ == "builtins":
        return kind.__name__
    return f"{kind.__module__.split('.')[0]}.{kind.__qualname__}"


def type_and_value(value: Any) -> str:
    """The value's type and short repr, as in ``got str '0.1'``."""
    return f"{type(value).__name__} {short_repr(value)}"


def too_large(value: Any, what: str) -> OverflowError:
    """The error to raise for a number too large for a float, such as ``10**400``."""
    return OverflowError(f"{what}: {short_repr(value)} is too large for a float")


def no_modular_power(x: Any, exponent: Any, modulo: Any) -> TypeError:
    """The error for ``pow(x, 3, 5)`` on a Var or a Dual, which have no modular power."""
    power = short_repr(exponent)
    return TypeError(f"pow(): a {type(x).__name__} has no modular power (pow(x, {power}, {short_repr(modulo)})); "
                     f"write x ** {power}, and take the remainder of its value if you need one")


def compared_with_number(x: Any, number: Any, value: str) -> TypeError:
    """The error for ``x == 1.0`` on a Var (or a Dual), whose == asks "the same node?": see `autodiff.var`."""
    kind, shown = type(x).__name__, short_repr(number)
    return TypeError(f"{kind} == {shown}: == compares {kind}s by identity (is it the same node?), not by "
                     f"value; to compare values, compare their .{value}: x.{value} == {shown}")


def is_int(value: Any) -> bool:
    """True for an int (numpy's too), False for a bool."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def is_real(value: Any) -> bool:
    """True for a real number (int, float, Fraction, numpy's), False for a bool."""
    return isinstance(value, Real) and not isinstance(value, bool)


def to_float(x: Any, opname: str, expected: str = "a real number") -> float:
    """``x`` as a finite Python float, or a clear error naming ``opname``.

    Ints, floats, fractions and numpy scalars are accepted; bools, strings,
    complex numbers, containers and None are not (TypeError), and neither are
    nan and the infinities (ValueError). The errors read as the op errors do:
    ``Var: expected a real number, got str 'a'``.
    """
    if type(x) is float and math.isfinite(x):  # the common case, first
        return x
    return _finite_float(x, opname, f"{opname}: expected {expected}", f"{opname}: expected a finite number")


def _finite_float(value: Any, what: str, wrong_kind: str, not_finite: str) -> float:
    """``value`` as a finite float; the errors start with ``wrong_kind`` or ``not_finite``."""
    if not is_real(value):
        raise TypeError(f"{wrong_kind}, got {type_and_value(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise too_large(value, what) from None
    if not math.isfinite(number):
        raise ValueError(f"{not_finite}, got {number!r}")
    return number


def integer(value: Any, what: str) -> int:
    """``value`` as a plain int."""
    if not is_int(value):
        raise TypeError(f"{what} must be an int, got {type_and_value(value)}")
    return int(value)


def positive_int(value: Any, what: str, *, type_error: type[Exception] = TypeError) -> int:
    """``value`` as a plain int >= 1: a count, a size, a number of steps.

    ``type_error=ValueError`` is for `nn.Linear` and `train.fit`, which have
    always reported a size or an epoch count of the wrong type as a ValueError.
    """
    if not is_int(value):
        raise type_error(f"{what} must be a positive int, got {type_and_value(value)}")
    number = int(value)
    if number <= 0:
        raise ValueError(f"{what} must be a positive int, got {number}")
    return number


def flag(value: Any, what: str) -> bool:
    """``value``, which must be True or False (not 0, 1 or "yes")."""
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be True or False, got {type_and_value(value)}")
    return value


def real(value: Any, what: str) -> float:
    """``value`` as a finite float."""
    return _finite_float(value, what, f"{what} must be a real number", f"{what} must be finite")


def non_negative(value: Any, what: str) -> float:
    """``value`` as a finite float >= 0."""
    number = real(value, what)
    if not number >= 0.0:
        raise ValueError(f"{what} must be >= 0, got {short_repr(value)}")
    return number


def positive(value: Any, what: str) -> float:
    """``value`` as a finite float > 0."""
    number = real(value, what)
    if not number > 0.0:
        raise ValueError(f"{what} must be > 0, got {short_repr(value)}")
    return number


def in_range(value: Any, what: str, low: float, high: float, *, low_included: bool = True) -> float:
    """``value`` as a finite float in [low, high), or in (low, high) with ``low_included=False``."""
    number = real(value, what)
    if not ((low <= number if low_included else low < number) and number < high):
        raise ValueError(f"{what} must be in {'[' if low_included else '('}{low}, {high}), got {short_repr(value)}")
    return number


def one_of(value: Any, what: str, choices: Collection[Any]) -> Any:
    """``value`` itself, which must be one of ``choices`` (a tuple, or a dict's keys)."""
    if value not in choices:
        raise ValueError(f"{what} must be one of {tuple(choices)}, got {short_repr(value)}")
    return value
