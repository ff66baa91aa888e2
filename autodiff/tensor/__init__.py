"""autodiff.tensor: the engine on numpy arrays, built on the same ideas as `Var`.

>>> from autodiff.tensor import Tensor
>>> W = Tensor([[1.0, 2.0], [3.0, 4.0]], label="W")
>>> x = Tensor([1.0, -1.0], label="x")
>>> loss = (W @ x).relu().sum()
>>> loss.backward()

* `Tensor`: a numpy array that records the graph (`autodiff.tensor.tensor`)
* the tensor op table, each op's forward rule and VJP (`autodiff.tensor.ops`)
* reverse mode, ``grad`` and forward mode on Tensors (`autodiff.tensor.backprop`)
* `checkpoint`, `checkpoint_sequential`: store less, recompute in the backward
  pass (`autodiff.tensor.checkpoint`); `saved_memory`: the bytes a graph keeps
  for its backward pass, node by node (`autodiff.tensor.memory`)
* functions: `concat`, `stack`, `where`, `softmax`, `log_softmax`,
  `logsumexp`, `linear`, `cross_entropy`
"""

from typing import Any

import numpy as np

from . import ops
from .backprop import grad, jvp
from .checkpoint import checkpoint, checkpoint_sequential
from .memory import saved_memory
from .tensor import DTYPES, Tensor, apply, concat, stack

__all__ = ["Tensor", "DTYPES", "concat", "stack", "where", "softmax", "log_softmax", "logsumexp",
           "linear", "grad", "jvp", "ops", "checkpoint", "checkpoint_sequential", "saved_memory"]


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """``x`` where ``condition`` holds, else ``y``, element by element (``torch.where``).

    The condition is a boolean array (``t > 0`` gives one); it has no gradient.
    """
    condition = np.asarray(condition.data if isinstance(condition, Tensor) else condition)
    if condition.dtype != bool:
        raise TypeError(f"where: the condition must be booleans, got an array of {condition.dtype}")
    return apply(ops.WHERE, x, y, params=condition)


def _axis(x: Tensor, axis: int, name: str) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{name}: axis must be an int, got {type(axis).__name__}")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{name}: axis {axis} is out of range for a Tensor of shape {x.shape}")
    return int(axis) % x.ndim


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / Σ exp(x) along ``axis``, computed without overflow for large logits."""
    return apply(ops.SOFTMAX, x, params=_axis(_tensor(x, "softmax"), axis, "softmax"))


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log(softmax(x)) along ``axis``, computed without overflow or log(0)."""
    return apply(ops.LOG_SOFTMAX, x, params=_axis(_tensor(x, "log_softmax"), axis, "log_softmax"))


def logsumexp(x: Tensor, axis: int = -1, keepdims: bool = False) -> Tensor:
    """log(Σ exp(x)) along ``axis``, computed without overflow."""
    if not isinstance(keepdims, bool):
        raise TypeError(f"logsumexp: keepdims must be True or False, got {type(keepdims).__name__}")
    return apply(ops.LOGSUMEXP, x, params=(_axis(_tensor(x, "logsumexp"), axis, "logsumexp"), keepdims))


def linear(x: Any, weight: Tensor, bias: Tensor) -> Tensor:
    """``x @ weight.T + bias`` as one op, as PyTorch's ``nn.functional.linear``."""
    return apply(ops.LINEAR, x, weight, bias)


def _tensor(x: Any, name: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
    return x
