"""The losses of `autodiff.losses` on Tensors: the same formulas, on a whole batch at once.

`autodiff.losses` hands a Tensor input to these. Each computes the
per-sample terms as one Tensor and reduces them (``"mean"``, ``"sum"`` or
``"none"``), with the same safeguards as the scalar versions: clamped logs,
softplus written so that exp never overflows, a fused cross-entropy.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..arguments import one_of
from . import ops, where
from .tensor import Tensor, apply, as_array

__all__ = ["mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "hinge_loss",
           "cross_entropy"]

REDUCTIONS = ("mean", "sum", "none")
LOG_FLOOR = -100.0  # PyTorch's binary_cross_entropy clamps log at -100 as well


def _reduce(terms: Tensor, reduction: str) -> Tensor:
    return terms.mean() if reduction == "mean" else terms.sum() if reduction == "sum" else terms


def _target(input: Tensor, target: Any, caller: str) -> np.ndarray:
    """The target as an array of the input's shape and dtype (a (B,) target fits a (B, 1) input)."""
    values = as_array(target, f"{caller}: target", input.dtype)
    if values.shape != input.shape:
        if values.size != input.size or input.size == 0:
            raise ValueError(f"{caller}: input has shape {input.shape} but target has shape {values.shape}")
        values = values.reshape(input.shape)
    return values


def _check(caller: str, input: Tensor, reduction: str) -> None:
    if input.size == 0:
        raise ValueError(f"{caller}: input is empty")
    one_of(reduction, f"{caller}: reduction", REDUCTIONS)


def _first(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    _check("mse_loss", input, reduction)
    return _reduce((input - _target(input, target, "mse_loss")) ** 2, reduction)


def _clamped_log(p: Tensor) -> Tensor:
    """log(p), but never below -100: where p is that small, -100 (with no gradient)."""
    large = p.data > math.exp(LOG_FLOOR)
    return where(large, where(large, p, 1.0).log(), LOG_FLOOR)


def binary_cross_entropy(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    caller = "binary_cross_entropy"
    _check(caller, input, reduction)
    y = _target(input, target, caller)
    outside = (input.data < 0) | (input.data > 1)
    if outside.any():
        index = _first(outside)
        raise ValueError(f"{caller}: input{list(index)} = {float(input.data[index])!r} is not a probability in [0, 1]")
    if ((y < 0) | (y > 1)).any():
        index = _first((y < 0) | (y > 1))
        raise ValueError(f"{caller}: target{list(index)} = {float(y[index])!r} is not in [0, 1]")
    return _reduce(-(y * _clamped_log(input) + (1.0 - y) * _clamped_log(1.0 - input)), reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    caller = "binary_cross_entropy_with_logits"
    _check(caller, input, reduction)
    y = _target(input, target, caller)
    if ((y < 0) | (y > 1)).any():
        index = _first((y < 0) | (y > 1))
        raise ValueError(f"{caller}: target{list(index)} = {float(y[index])!r} is not in [0, 1]")
    # y·softplus(-x) + (1 - y)·softplus(x), not softplus(x) - x·y: at x = 40, y = 1 that would
    # be 40 + 4.2e-18 - 40 = 0.0, where the loss is 4.2e-18 (see autodiff.losses)
    return _reduce(y * _softplus(-input) + (1.0 - y) * _softplus(input), reduction)


def _softplus(x: Tensor) -> Tensor:
    """log(1 + e^x) = relu(x) + log1p(e^-|x|): e^-|x| <= 1 never overflows, log1p keeps tiny values."""
    return x.relu() + (-abs(x)).exp().log1p()


def hinge_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    _check("hinge_loss", input, reduction)
    y = _target(input, target, "hinge_loss")
    if not np.isin(y, (-1.0, 1.0)).all():
        index = _first(~np.isin(y, (-1.0, 1.0)))
        raise ValueError(f"hinge_loss: target{list(index)} = {float(y[index])!r}; labels must be -1 or +1")
    return _reduce((1.0 - y * input).relu(), reduction)


def _class_indices(target: Any, caller: str) -> np.ndarray:
    """The targets as an int64 array: ints, or floats that are whole numbers."""
    classes = np.asarray(target.data if isinstance(target, Tensor) else target)
    if classes.dtype.kind in "iu":
        return classes.astype(np.int64, copy=False)
    if classes.dtype.kind == "f" and np.all(classes == np.round(classes)):
        return classes.astype(np.int64)
    raise TypeError(f"{caller}: target must be class indices (ints), got an array of {classes.dtype}")


def cross_entropy(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """-log softmax(logits)[class] for logits (B, C) (or (C,)) and integer class indices."""
    caller = "cross_entropy"
    _check(caller, input, reduction)
    single = input.ndim == 1
    logits = input.reshape(1, -1) if single else input
    if logits.ndim != 2:
        raise ValueError(f"{caller}: input must be logits of shape (B, C) or (C,), got {input.shape}")
    classes = _class_indices(target, caller)
    if single:
        classes = classes.reshape(1)
    if classes.shape != (logits.shape[0],):
        raise ValueError(f"{caller}: input has {logits.shape[0]} samples but target has shape {classes.shape}")
    out_of_range = (classes < 0) | (classes >= logits.shape[1])
    if out_of_range.any():
        i = int(np.argmax(out_of_range))
        raise IndexError(f"{caller}: target[{i}] = {int(classes[i])} is out of range for {logits.shape[1]} classes")
    if reduction == "mean":
        return apply(ops.CROSS_ENTROPY, logits, params=classes)
    terms = -apply(ops.LOG_SOFTMAX, logits, params=1)[np.arange(len(classes)), classes]
    return _reduce(terms.reshape(()) if single else terms, reduction)
