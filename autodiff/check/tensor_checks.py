"""The tensor engine against PyTorch (float64): every tensor op, to second order, and the tensor modules.

For each op, at shapes chosen to exercise broadcasting, both libraries
compute the value, the gradient for a random upstream gradient, and a
Hessian-vector product (the gradient of ⟨gradient, v⟩, through
``create_graph=True``). One `Check` row per op gives the largest relative
difference among the three. PyTorch is imported only when the checks run.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import numpy as np

from .. import losses
from ..tensor import Tensor, concat, grad, linear, log_softmax, logsumexp, softmax, stack, where
from ..tensor import nn as tnn
from .report import Check, relative_error

__all__ = ["tensor_op_checks", "tensor_module_checks", "TENSOR_TOLERANCE"]

TENSOR_TOLERANCE = 1e-10
_RNG_SEED = 20261206


def _cases(rng: np.random.Generator) -> Iterator[tuple[str, Callable, Callable, list[np.ndarray]]]:
    """(name, ours, torch's, inputs): the same function written for each library."""
    import torch
    import torch.nn.functional as F

    A, B = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    row, col = rng.standard_normal(4), rng.standard_normal((3, 1))
    positive = rng.uniform(0.5, 2.0, (3, 4))
    mask = rng.uniform(size=(3, 4)) > 0.5
    targets = np.array([0, 3, 1])
    yield "add (broadcast)", lambda a, b: a + b, lambda a, b: a + b, [A, row]
    yield "sub (broadcast)", lambda a, b: a - b, lambda a, b: a - b, [A, col]
    yield "mul (broadcast)", lambda a, b: a * b, lambda a, b: a * b, [A, col]
    yield "div", lambda a, b: a / b, lambda a, b: a / b, [A, positive]
    yield "pow, a number exponent", lambda a: a ** 3, lambda a: a ** 3, [A]
    yield "pow, a Tensor exponent", lambda a, b: a ** b, lambda a, b: a ** b, [positive, A]
    yield "neg", lambda a: -a, lambda a: -a, [A]
    yield "exp", lambda a: a.exp(), torch.exp, [A]
    yield "log", lambda a: a.log(), torch.log, [positive]
    yield "log1p", lambda a: a.log1p(), torch.log1p, [positive]
    yield "sqrt", lambda a: a.sqrt(), torch.sqrt, [positive]
    yield "sin", lambda a: a.sin(), torch.sin, [A]
    yield "cos", lambda a: a.cos(), torch.cos, [A]
    yield "tanh", lambda a: a.tanh(), torch.tanh, [A]
    yield "sigmoid", lambda a: a.sigmoid(), torch.sigmoid, [A]
    yield "relu", lambda a: a.relu() * a, lambda a: torch.relu(a) * a, [A]
    yield "abs", lambda a: abs(a) * a, lambda a: torch.abs(a) * a, [A]
    yield "matmul", lambda a, b: a @ b, lambda a, b: a @ b, [A, B]
    yield "matmul, matrix · vector", lambda a, b: a @ b, lambda a, b: a @ b, [A, row]
    yield "matmul, batched", lambda a, b: a @ b, lambda a, b: a @ b, [rng.standard_normal((2, 3, 4)), B]
    yield ("linear", lambda x, w, b: linear(x, w, b), lambda x, w, b: F.linear(x, w, b),
           [A, rng.standard_normal((5, 4)), rng.standard_normal(5)])
    yield "sum over an axis", lambda a: a.sum(axis=1) ** 2, lambda a: a.sum(dim=1) ** 2, [A]
    yield ("mean, keepdims", lambda a: a.mean(axis=0, keepdims=True) ** 2,
           lambda a: a.mean(dim=0, keepdim=True) ** 2, [A])
    yield "max over an axis", lambda a: a.max(axis=1) ** 2, lambda a: a.amax(dim=1) ** 2, [A]
    yield "reshape", lambda a: a.reshape(2, 6) ** 2, lambda a: a.reshape(2, 6) ** 2, [A]
    yield ("transpose", lambda a: a.transpose(2, 0, 1) ** 2, lambda a: a.permute(2, 0, 1) ** 2,
           [rng.standard_normal((2, 3, 4))])
    yield ("indexing", lambda a: a[1:, [0, 2, 2]] ** 2, lambda a: a[1:, [0, 2, 2]] ** 2, [A])
    yield ("concat", lambda a, b: concat([a, b], axis=1) ** 2, lambda a, b: torch.cat([a, b], 1) ** 2,
           [A, rng.standard_normal((3, 2))])
    yield ("stack", lambda a, b: stack([a, b], axis=1) ** 2, lambda a, b: torch.stack([a, b], 1) ** 2,
           [A, rng.standard_normal((3, 4))])
    yield ("where", lambda a, b: where(mask, a, b) ** 2,
           lambda a, b: torch.where(torch.tensor(mask), a, b) ** 2, [A, rng.standard_normal((3, 4))])
    yield "softmax", lambda a: softmax(a, axis=1), lambda a: torch.softmax(a, 1), [A]
    yield "log_softmax", lambda a: log_softmax(a, axis=0), lambda a: torch.log_softmax(a, 0), [A]
    yield ("logsumexp, large logits", lambda a: logsumexp(a * 300.0, axis=1),
           lambda a: torch.logsumexp(a * 300.0, 1), [A])
    yield ("cross_entropy (mean)", lambda a: losses.cross_entropy(a, targets),
           lambda a: F.cross_entropy(a, torch.tensor(targets)), [A])


def _ours(f: Callable, arrays: list[np.ndarray], upstream: np.ndarray, v: list[np.ndarray]) -> list:
    xs = [Tensor(a) for a in arrays]
    out = f(*xs)
    gs = grad(out, xs, create_graph=True, grad_output=Tensor(upstream, requires_grad=False))
    pairs = [(g * Tensor(w, requires_grad=False)).sum() for g, w in zip(gs, v) if g.requires_grad]
    hvp = grad(sum(pairs[1:], pairs[0]), xs) if pairs else [Tensor(np.zeros_like(a)) for a in arrays]
    return [out.data.tolist(), [g.data.tolist() for g in gs], [h.data.tolist() for h in hvp]]


def _theirs(f: Callable, arrays: list[np.ndarray], upstream: np.ndarray, v: list[np.ndarray]) -> list:
    import torch

    xs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = f(*xs)
    gs = torch.autograd.grad(out, xs, grad_outputs=torch.tensor(upstream), create_graph=True, allow_unused=True)
    gs = [torch.zeros_like(x) if g is None else g for g, x in zip(gs, xs)]
    total = sum(((g * torch.tensor(w)).sum() for g, w in zip(gs, v) if g.requires_grad), torch.tensor(0.0))
    if total.requires_grad:
        hvp = torch.autograd.grad(total, xs, allow_unused=True)
        hvp = [torch.zeros_like(x) if h is None else h for h, x in zip(hvp, xs)]
    else:
        hvp = [torch.zeros_like(x) for x in xs]
    return [out.tolist(), [g.tolist() for g in gs], [h.tolist() for h in hvp]]


def tensor_op_checks() -> Iterator[Check]:
    """One row per tensor op: value, gradient and Hessian-vector product against PyTorch."""
    rng = np.random.default_rng(_RNG_SEED)
    for name, ours, theirs, arrays in _cases(rng):
        out_shape = np.shape(ours(*[Tensor(a) for a in arrays]).data)
        upstream = rng.standard_normal(out_shape)
        v = [rng.standard_normal(a.shape) for a in arrays]
        error = relative_error(_ours(ours, arrays, upstream, v), _theirs(theirs, arrays, upstream, v))
        yield Check(f"tensor op {name}: value, gradient, Hessian-vector product", error, TENSOR_TOLERANCE)


def tensor_module_checks() -> Iterator[Check]:
    """The tensor MLP against torch.nn, and against the scalar MLP with the same seed."""
    import torch

    from .. import nn
    from .crosscheck import _to_torch

    batch = np.array([[np.sin(1.3 * i + j) * 2.0 for j in range(3)] for i in range(5)])
    for activation in nn.ACTIVATIONS:
        model = tnn.MLP(3, [4, 2], activation=activation, rng=7)
        out = model(batch)
        loss = (out * out * 0.5 + out).sum()
        loss.backward()
        theirs = _to_torch(nn.MLP(3, [4, 2], activation=activation, rng=7))
        t_out = theirs(torch.tensor(batch))
        (t_out * t_out * 0.5 + t_out).sum().backward()
        error = max(relative_error(out.data.tolist(), t_out.tolist()),
                    relative_error([p.grad.tolist() for p in model.parameters()],
                                   [p.grad.tolist() for p in theirs.parameters()]))
        yield Check(f"tensor module MLP(3, [4, 2], activation={activation!r}): forward and gradients",
                    error, TENSOR_TOLERANCE)
