"""A model of `autodiff.nn` evaluated on many points at once, with numpy and no graph.

Drawing what a network computes over the plane (a decision boundary, a
heatmap) takes thousands of evaluations and no gradient. `forward_array`
reads the model's parameters and computes the same function on a whole
array of points::

    scores = forward_array(model, grid)        # grid: (N, n_in) -> (N, n_out)

A `Linear` layer is ``x @ W.T + b``; an activation applies its op's own
scalar rule (from the op table) to every element, so the numbers are those
of the Var path.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff import nn

__all__ = ["forward_array"]


def forward_array(model: nn.Module, points: Any) -> np.ndarray:
    """``model`` on a numpy array of samples, shape (N, n_in) -> (N, n_out), with no graph."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"forward_array: expected an autodiff.nn module, got {type(model).__name__}")
    return _forward(model, np.asarray(points, dtype=float))


def _forward(module: nn.Module, x: np.ndarray) -> np.ndarray:
    if isinstance(module, nn.MLP):
        return _forward(module.layers, x)
    if isinstance(module, nn.Sequential):
        for layer in module:
            x = _forward(layer, x)
        return x
    if isinstance(module, nn.Linear):
        state = module.state_dict()
        out = x @ np.array(state["weight"]).T
        return out + np.array(state["bias"]) if module.bias is not None else out
    if isinstance(module, (nn.ReLU, nn.Tanh, nn.Sigmoid)):
        return np.vectorize(module.op.forward, otypes=[float])(x)
    if isinstance(module, nn.Identity):
        return x
    raise TypeError(f"forward_array: {type(module).__name__} has no array form "
                    "(Linear, ReLU, Tanh, Sigmoid, Identity, Sequential and MLP have)")
