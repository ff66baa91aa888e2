"""Math functions that take a Var, a Dual or a plain number.

``autodiff.exp(x)`` is the same op as ``x.exp()``. Given a plain number it
simply returns a float, so one formula can be used with or without a graph.
"""

from __future__ import annotations

from typing import Any

from . import ops

__all__ = ["exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu"]


def exp(x: Any) -> Any:
    """e to the power x."""
    return ops.EXP(x)


def log(x: Any) -> Any:
    """The natural logarithm; x must be positive."""
    return ops.LOG(x)


def sqrt(x: Any) -> Any:
    """The square root; x must not be negative."""
    return ops.SQRT(x)


def sin(x: Any) -> Any:
    """The sine of x (radians)."""
    return ops.SIN(x)


def cos(x: Any) -> Any:
    """The cosine of x (radians)."""
    return ops.COS(x)


def tan(x: Any) -> Any:
    """The tangent of x (radians)."""
    return ops.TAN(x)


def tanh(x: Any) -> Any:
    """The hyperbolic tangent, squashing x into (-1, 1)."""
    return ops.TANH(x)


def sigmoid(x: Any) -> Any:
    """The logistic function 1 / (1 + e^-x), squashing x into (0, 1)."""
    return ops.SIGMOID(x)


def relu(x: Any) -> Any:
    """max(x, 0): the rectified linear unit."""
    return ops.RELU(x)
