"""The second workload: one training epoch with each library's own ``nn.MLP``.

`workloads.py` runs one hand-written step on every engine's scalars. This
one times what a user of each library writes instead: a 2-16-16-1
``nn.MLP`` trained for one full-batch epoch on two-moons (one step per
epoch), each in its own idiom, on the same data:

* ``autodiff nn.MLP``: `autodiff.nn.MLP` with `autodiff.losses.hinge_loss`
  plus `autodiff.losses.l2_penalty` and `autodiff.optim.SGD`;
* ``micrograd nn.MLP``: `micrograd.nn.MLP` 0.1.0 with the loss and update
  of micrograd's demo notebook, inputs wrapped in ``Value`` as the demo does.

Both train on `workloads.moons` (the demo's data) and start from
`workloads.initial_weights`, so they compute the same losses up to
rounding; `check_epochs_agree` verifies that before anything is timed.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

from .workloads import ALPHA, LAYER_SIZES, LEARNING_RATE, initial_weights, moons

__all__ = ["AutodiffEpoch", "MicrogradEpoch", "all_epochs", "check_epochs_agree"]


def load_initial_weights(neurons: Iterable[tuple[list[Any], Any]]) -> None:
    """Set each (weights, bias) neuron, layer by layer, to `workloads.initial_weights`."""
    start = [neuron for layer in initial_weights() for neuron in layer]
    for (weights, bias), (weight_values, bias_value) in zip(neurons, start, strict=True):
        for w, value in zip(weights, weight_values, strict=True):
            w.data = value
        bias.data = bias_value


class AutodiffEpoch:
    """`autodiff.nn.MLP` trained with the library's own loss, penalty and optimizer."""

    name = "autodiff nn.MLP"

    def __init__(self, X: list[list[float]], y: list[int]) -> None:
        from autodiff.nn import MLP, Linear
        from autodiff.optim import SGD

        self.X, self.y = X, y
        self.model = MLP(LAYER_SIZES[0], list(LAYER_SIZES[1:]))
        linears = [m for m in self.model.layers if isinstance(m, Linear)]
        load_initial_weights(
            neuron for linear in linears for neuron in zip(linear.weight, linear.bias))
        self.params = self.model.parameters()
        self.optimizer = SGD(self.params, lr=LEARNING_RATE)

    def step(self) -> float:
        """One epoch: zero_grad, forward, loss, backward, step. Returns the loss."""
        from autodiff.losses import hinge_loss, l2_penalty

        self.optimizer.zero_grad()
        scores = self.model(self.X)
        loss = hinge_loss(scores, self.y) + l2_penalty(self.params, ALPHA)
        loss.backward()
        self.optimizer.step()
        return loss.data


class MicrogradEpoch:
    """`micrograd.nn.MLP` 0.1.0 trained as in micrograd's demo notebook."""

    name = "micrograd nn.MLP"

    def __init__(self, X: list[list[float]], y: list[int]) -> None:
        from micrograd.nn import MLP

        self.X, self.y = X, y
        self.model = MLP(LAYER_SIZES[0], list(LAYER_SIZES[1:]))
        load_initial_weights(
            (neuron.w, neuron.b) for layer in self.model.layers for neuron in layer.neurons)

    def step(self) -> float:
        """One epoch as the demo writes it: loss, zero_grad, backward, update. Returns the loss."""
        from micrograd.engine import Value

        model = self.model
        inputs = [list(map(Value, row)) for row in self.X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(self.y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        model.zero_grad()
        total_loss.backward()
        for p in model.parameters():
            p.data -= LEARNING_RATE * p.grad
        return total_loss.data


def all_epochs() -> list[AutodiffEpoch | MicrogradEpoch]:
    """A fresh run of each library, ours first, both on the same X and y lists (`workloads.moons`)."""
    X, y = moons()
    return [AutodiffEpoch(X, y), MicrogradEpoch(X, y)]


def check_epochs_agree(epochs: int = 3, rel_tol: float = 1e-9) -> None:
    """Train both ``epochs`` epochs; raise AssertionError if their losses differ."""
    ours, theirs = all_epochs()
    for epoch in range(1, epochs + 1):
        a, b = ours.step(), theirs.step()
        if not math.isclose(a, b, rel_tol=rel_tol, abs_tol=0.0):
            raise AssertionError(
                f"{theirs.name} disagrees with {ours.name} at epoch {epoch}: "
                f"loss {b!r} vs {a!r} (relative tolerance {rel_tol})"
            )
