"""Neural-network modules on Tensors: the twins of `autodiff.nn`'s, with the same names.

A layer here holds its weights as one Tensor and computes a whole batch with
a matrix product, where the scalar `autodiff.nn.Linear` holds a list of Vars
and sums neuron by neuron. Everything else is shared: `Module` (parameters,
``state_dict``, ``train``/``eval``), the activations and `Sequential` work on
Tensors as they are, and both Linears draw their first weights from
`autodiff.nn.initial_weights`. So the two engines' models, built with the same
seed, start from the same numbers and compute the same function::

    from autodiff import nn
    from autodiff.tensor import nn as tnn

    scalar = nn.MLP(2, [16, 16, 1], rng=0)
    tensor = tnn.MLP(2, [16, 16, 1], rng=0)
    scalar([[0.5, -1.0]])[0][0].data == tensor(Tensor([[0.5, -1.0]])).item()  # up to rounding
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from .. import nn
from ..nn import ACTIVATIONS, Identity, Module, ReLU, Sequential, Sigmoid, Tanh, initial_weights
from ..seed import Seed
from . import linear
from .tensor import Tensor

__all__ = ["Module", "Linear", "ReLU", "Tanh", "Sigmoid", "Identity", "Sequential", "MLP", "ACTIVATIONS"]


class Linear(Module):
    """y = x · Wᵀ + b for a batch x of shape (N, in_features), with W of shape (out, in).

    Initialised as `autodiff.nn.Linear` is (the same draws from ``rng``), as
    float64, or float32 with ``dtype=np.float32``.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, rng: Seed = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.in_features, self.out_features, weight, biases = initial_weights(in_features, out_features, bias, rng)
        self.weight = Tensor(weight, label="weight", dtype=dtype)
        self.bias: Optional[Tensor] = Tensor(biases, label="bias", dtype=dtype) if bias else None

    def forward(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):  # data: a constant, in the weights' dtype
            x = Tensor(x, dtype=self.weight.dtype, requires_grad=False)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"{self!r}: expected inputs with {self.in_features} features in the last "
                             f"axis, got shape {x.shape}")
        if self.bias is None:
            return x @ self.weight.T
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class MLP(nn.MLP):
    """`autodiff.nn.MLP` with Tensor layers: ``MLP(64, [128, 64, 10], dtype=np.float32)``."""

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu", bias: bool = True,
                 rng: Seed = None, dtype: Any = None) -> None:
        self._dtype = None if dtype is None else np.dtype(dtype)
        super().__init__(nin, nouts, activation=activation, bias=bias, rng=rng)

    def linear_layer(self, n_in: int, n_out: int, bias: bool, rng: Any) -> Linear:
        return Linear(n_in, n_out, bias=bias, rng=rng, dtype=self._dtype)
