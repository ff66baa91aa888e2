"""Loss functions: how wrong a model's outputs are, as one differentiable Var.

Each function takes the model's outputs (``input``, as in PyTorch) and the
targets, and returns a Var (or a plain float when no input is a Var). It
reduces the per-sample losses with ``reduction="mean"`` (the
default), ``"sum"``, or ``"none"`` (the list of per-sample losses). Outputs of
shape (B, 1), as a one-output model gives for a batch, count as (B,).

Every loss is written with the engine's ops, so its gradient comes from the
same backward pass as the model's. Where the textbook formula overflows or
takes log(0), the code uses an equal formula that does not.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Sequence

import numpy as np

from . import ops
from .arguments import non_negative, one_of, to_float
from .nn import Module
from .tensor import Tensor
from .tensor import losses as tensor_losses
from .var import Var

__all__ = [
    "mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "hinge_loss",
    "cross_entropy", "l2_penalty",
    "MSELoss", "BCELoss", "BCEWithLogitsLoss", "HingeLoss", "CrossEntropyLoss",
]

REDUCTIONS = ("mean", "sum", "none")


def _value(x: Any) -> float:
    return x.data if isinstance(x, Var) else x


def _flat(values: Any, caller: str, what: str) -> list:
    """A list of scalars from a scalar, a list, a (B, 1) batch or a numpy array."""
    if hasattr(values, "tolist") and not isinstance(values, Var):
        values = values.tolist()
    if not isinstance(values, (list, tuple)):
        values = [values]
    flat = []
    for i, v in enumerate(values):
        if isinstance(v, (list, tuple)):
            if len(v) != 1:
                raise ValueError(f"{caller}: {what}[{i}] has {len(v)} values; expected one per sample")
            v = v[0]
        if not isinstance(v, Var):
            v = to_float(v, f"{caller}: {what}[{i}]", "a real number or a Var")
        flat.append(v)
    if not flat:
        raise ValueError(f"{caller}: {what} is empty")
    return flat


def _pairs(input: Any, target: Any, caller: str) -> list[tuple[Any, float]]:
    xs = _flat(input, caller, "input")
    ys = [_value(y) for y in _flat(target, caller, "target")]
    if len(xs) != len(ys):
        raise ValueError(f"{caller}: input has {len(xs)} samples but target has {len(ys)}")
    return list(zip(xs, ys))


def _total(terms: Sequence[Any]) -> Any:
    """t_1 + t_2 + ... (starting from the first term, not from a constant 0)."""
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _reduce(terms: list, reduction: str, caller: str) -> Any:
    one_of(reduction, f"{caller}: reduction", REDUCTIONS)
    if reduction == "mean":
        return _total(terms) / len(terms)
    if reduction == "sum":
        return _total(terms)
    return terms


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """Mean squared error: mean of (x_i - y_i)²."""
    if isinstance(input, Tensor):  # a batch at once: autodiff.tensor.losses
        return tensor_losses.mse_loss(input, target, reduction)
    terms = [(x - y) ** 2 for x, y in _pairs(input, target, "mse_loss")]
    return _reduce(terms, reduction, "mse_loss")


_LOG_FLOOR = -100.0  # PyTorch's binary_cross_entropy clamps log at -100 as well


def _clamped_log(p: Any) -> Any:
    """log(p), but never below -100, so that p = 0 gives a large finite loss."""
    if _value(p) <= math.exp(_LOG_FLOOR):
        return _LOG_FLOOR
    return ops.LOG(p)


def binary_cross_entropy(input: Any, target: Any, reduction: str = "mean") -> Any:
    """-[y·log(p) + (1 - y)·log(1 - p)] for probabilities p in [0, 1] and targets y in [0, 1].

    Safe at p = 0 and p = 1: each log is clamped at -100, as in PyTorch. For
    a model that outputs scores rather than probabilities, use
    `binary_cross_entropy_with_logits`, which is exact everywhere.
    """
    if isinstance(input, Tensor):  # a batch at once: autodiff.tensor.losses
        return tensor_losses.binary_cross_entropy(input, target, reduction)
    terms = []
    for i, (p, y) in enumerate(_pairs(input, target, "binary_cross_entropy")):
        if not 0.0 <= _value(p) <= 1.0:
            raise ValueError(f"binary_cross_entropy: input[{i}] = {_value(p)!r} is not a probability in [0, 1]")
        if not 0.0 <= y <= 1.0:
            raise ValueError(f"binary_cross_entropy: target[{i}] = {y!r} is not in [0, 1]")
        terms.append(-(y * _clamped_log(p) + (1.0 - y) * _clamped_log(1.0 - p)))
    return _reduce(terms, reduction, "binary_cross_entropy")


def _softplus(x: Any) -> Any:
    """softplus(x) = log(1 + e^x), to the last digit for every x.

    Written as max(x, 0) + log1p(e^-|x|): e^-|x| is at most 1, so exp never
    overflows, and log1p keeps the tiny values that log(1 + ...) rounds to 0
    (softplus(-40) = 4.25e-18, not 0.0).
    """
    if _value(x) > 0.0:
        return x + ops.LOG1P(ops.EXP(-x))
    return ops.LOG1P(ops.EXP(x))


def _weighted(weight: float, value: Any) -> Any:
    """weight·value, without a multiplication node when the weight is 1."""
    return value if weight == 1.0 else weight * value


def binary_cross_entropy_with_logits(input: Any, target: Any, reduction: str = "mean") -> Any:
    """Binary cross-entropy of sigmoid(x), from the score x itself.

    Equal to ``binary_cross_entropy(sigmoid(x), y)`` but stable for any x.
    Since -log σ(x) = softplus(-x) and -log(1 - σ(x)) = softplus(x), the loss
    is y·softplus(-x) + (1 - y)·softplus(x) (= softplus(x) - x·y), and its
    gradient is exactly sigmoid(x) - y. A term whose weight is 0 is left out,
    so for a hard label the loss is one softplus, correct to the last digit
    even when it is tiny: 4.25e-18 at x = 40, y = 1 (PyTorch gives the same),
    and at x = -40, y = 0 (where PyTorch gives 0.0).
    """
    if isinstance(input, Tensor):  # a batch at once: autodiff.tensor.losses
        return tensor_losses.binary_cross_entropy_with_logits(input, target, reduction)
    terms = []
    for i, (x, y) in enumerate(_pairs(input, target, "binary_cross_entropy_with_logits")):
        if not 0.0 <= y <= 1.0:
            raise ValueError(f"binary_cross_entropy_with_logits: target[{i}] = {y!r} is not in [0, 1]")
        parts = []
        if y != 0.0:
            parts.append(_weighted(y, _softplus(-x)))    # -y·log σ(x)
        if y != 1.0:
            parts.append(_weighted(1.0 - y, _softplus(x)))  # -(1 - y)·log(1 - σ(x))
        terms.append(_total(parts))
    return _reduce(terms, reduction, "binary_cross_entropy_with_logits")


def hinge_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """The max-margin (SVM) loss max(0, 1 - y·s) for scores s and labels y = ±1.

    Zero once a sample is on the right side with a margin of at least 1.
    PyTorch: ``torch.clamp(1 - y * s, min=0).mean()``; at a margin of exactly
    1 this takes the slope as 0 (relu's), where torch.clamp takes -y.
    """
    if isinstance(input, Tensor):  # a batch at once: autodiff.tensor.losses
        return tensor_losses.hinge_loss(input, target, reduction)
    terms = []
    for i, (s, y) in enumerate(_pairs(input, target, "hinge_loss")):
        if y not in (-1.0, 1.0):
            raise ValueError(f"hinge_loss: target[{i}] = {y!r}; labels must be -1 or +1")
        terms.append(ops.RELU(1.0 - y * s))
    return _reduce(terms, reduction, "hinge_loss")


def _class_index(t: Any, n_classes: int, i: int) -> int:
    if isinstance(t, float) and t.is_integer():
        t = int(t)
    if hasattr(t, "item") and not isinstance(t, Var):
        t = t.item()
    if isinstance(t, bool) or not isinstance(t, int):
        raise TypeError(f"cross_entropy: target[{i}] must be a class index (int), got {t!r}")
    if not 0 <= t < n_classes:
        raise IndexError(f"cross_entropy: target[{i}] = {t} is out of range for {n_classes} classes")
    return t


def _log_softmax_at(logits: list, t: int) -> Any:
    """log(softmax(logits)[t]) = logits[t] - m - log Σ_j exp(logits[j] - m).

    Subtracting the largest logit m keeps exp from overflowing; m cancels
    out, so it is used as a plain number and the gradient stays exact.
    """
    m = max(_value(z) for z in logits)
    sum_exp = _total([ops.EXP(z - m) for z in logits])
    return logits[t] - m - ops.LOG(sum_exp)


def cross_entropy(input: Any, target: Any, reduction: str = "mean") -> Any:
    """-log softmax(logits)[class], for logits of shape (B, C) (or (C,)) and class indices.

    Computed through a stable log-softmax, as ``torch.nn.functional.cross_entropy``.

    A target must be an int class index from 0 to C - 1. One out of range
    raises an IndexError naming the sample, the value and the number of
    classes (``cross_entropy: target[1] = 3 is out of range for 3 classes``),
    as PyTorch raises an IndexError; a target that is not an int is a
    TypeError.
    """
    if isinstance(input, Tensor):  # a batch at once: autodiff.tensor.losses
        return tensor_losses.cross_entropy(input, target, reduction)
    if hasattr(input, "tolist") and not isinstance(input, Var):
        input = input.tolist()
    if not isinstance(input, (list, tuple)) or not input:
        raise ValueError("cross_entropy: input must be a non-empty list of logits (or of rows of logits)")
    single = not isinstance(input[0], (list, tuple))
    rows = [input] if single else list(input)
    targets = [target] if single else list(target.tolist() if hasattr(target, "tolist") else target)
    if len(rows) != len(targets):
        raise ValueError(f"cross_entropy: input has {len(rows)} samples but target has {len(targets)}")
    n_classes = len(rows[0])
    terms = []
    for i, (row, t) in enumerate(zip(rows, targets)):
        if len(row) != n_classes or n_classes == 0:
            raise ValueError(f"cross_entropy: input[{i}] has {len(row)} logits, expected {n_classes} (> 0)")
        terms.append(-_log_softmax_at(list(row), _class_index(t, n_classes, i)))
    return _reduce(terms, reduction, "cross_entropy")


def l2_penalty(params: Iterable[Var], lam: float) -> Var:
    """lam · Σ p², the L2 (weight decay) penalty to add to a loss.

    Its gradient is 2·lam·p, so ``weight_decay=wd`` in an optimizer matches
    ``l2_penalty(params, wd / 2)``.
    """
    lam = non_negative(lam, "l2_penalty: lam")
    params = list(params)
    for i, p in enumerate(params):
        if not isinstance(p, (Var, Tensor)):
            raise TypeError(f"l2_penalty: params[{i}] must be a Var or a Tensor, got {type(p).__name__}")
    if not params:
        raise ValueError("l2_penalty: got an empty parameter list")
    return lam * _total([(p * p).sum() if isinstance(p, Tensor) else p * p for p in params])


class _Loss(Module):
    """A loss as a module: ``MSELoss()(input, target)``."""

    function: Any

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = one_of(reduction, f"{type(self).__name__}: reduction", REDUCTIONS)

    def __call__(self, input: Any, target: Any) -> Any:  # type: ignore[override]
        return self.forward(input, target)

    def forward(self, input: Any, target: Any) -> Any:  # type: ignore[override]
        return type(self).function(input, target, self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """`mse_loss` as a module."""

    function = mse_loss


class BCELoss(_Loss):
    """`binary_cross_entropy` as a module."""

    function = binary_cross_entropy


class BCEWithLogitsLoss(_Loss):
    """`binary_cross_entropy_with_logits` as a module."""

    function = binary_cross_entropy_with_logits


class HingeLoss(_Loss):
    """`hinge_loss` as a module."""

    function = hinge_loss


class CrossEntropyLoss(_Loss):
    """`cross_entropy` as a module."""

    function = cross_entropy
