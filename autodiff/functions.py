"""Functions that take any of the engine's numbers: a Var, a Dual, a Tensor or a plain number.

``autodiff.exp(x)`` is the same op as ``x.exp()``. Given a plain number it
simply returns a float, so one formula can be used with or without a graph.
``grad`` and ``jvp`` work on the scalar engine and on the tensor engine
alike: they hand the work to the one the arguments belong to.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from . import backprop, forward, ops
from .arguments import type_and_value
from .tensor import Tensor
from .tensor import backprop as tensor_backprop

__all__ = ["exp", "log", "log1p", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "grad", "jvp"]


def grad(output: Any, inputs: Any, create_graph: bool = False) -> tuple:
    """The gradient of ``output`` with respect to each of ``inputs``; ``.grad`` is left untouched.

    For Vars see `autodiff.backprop.grad`, for Tensors `autodiff.tensor.backprop.grad`
    (which also takes ``grad_output`` for a non-scalar output).
    """
    if isinstance(output, Tensor):
        if not isinstance(inputs, Tensor):
            try:
                inputs = list(inputs)
            except TypeError:
                raise TypeError("grad: inputs must be a Tensor or a list of Tensors, "
                                f"got {type_and_value(inputs)}") from None
        return tensor_backprop.grad(output, inputs, create_graph=create_graph)
    return backprop.grad(output, inputs, create_graph=create_graph)


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple:
    """``(f(x), J·v)``: forward mode, on numbers (dual numbers) or on arrays (Tensors).

    With numbers, see `autodiff.forward.jvp`; with numpy arrays or Tensors
    as primals, `autodiff.tensor.backprop.jvp`.
    """
    try:
        as_list = list(primals)
    except TypeError:
        as_list = []
    if any(isinstance(p, (Tensor, np.ndarray)) for p in as_list):
        return tensor_backprop.jvp(f, as_list, tangents)
    return forward.jvp(f, primals, tangents)


def exp(x: Any) -> Any:
    """e to the power x."""
    return ops.EXP(x)


def log(x: Any) -> Any:
    """The natural logarithm; x must be positive."""
    return ops.LOG(x)


def log1p(x: Any) -> Any:
    """log(1 + x), keeping every digit for a tiny x (where log(1 + x) rounds to 0); x must be > -1."""
    return ops.LOG1P(x)


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
