"""The benchmark workload: one training step of micrograd's demo, written once.

micrograd's demo notebook trains a 2-16-16-1 MLP on the two-moons data set
with an SVM max-margin loss. `DemoTraining` writes that step with scalar
operations only, exactly as micrograd does, and leaves everything that differs
between engines (how to make a scalar, zero the gradients, update a parameter)
to a small `Engine` adapter. So the *identical* training code runs on

* ``autodiff``: our `autodiff.Var`,
* ``micrograd``: `micrograd.engine.Value` 0.1.0 as shipped,
* ``torch``: PyTorch 0-d float64 tensors, one tensor per scalar,

each as a learner's loop runs it, with Python's cyclic garbage collector on,
and, to compare the computation alone,

* ``autodiff (gc off)`` and ``micrograd (gc off)``: the same two engines
  with the collector off for the whole of each timed block.

Every engine starts from the same weights, drawn from one seeded
`random.Random`, so all four compute the same numbers up to rounding;
`check_engines_agree` verifies that before anything is timed.
"""

from __future__ import annotations

import gc
import math
import random
from dataclasses import dataclass
from typing import Any, Callable, Sequence

__all__ = [
    "Engine", "DemoTraining", "moons", "initial_weights",
    "autodiff_engine", "micrograd_engine", "torch_engine", "all_engines",
    "check_engines_agree", "collections_per_call",
]

N_POINTS = 100                # micrograd's demo uses 100 points
NOISE = 0.1                   # standard deviation of the Gaussian noise
LAYER_SIZES = (2, 16, 16, 1)  # inputs, two ReLU hidden layers, linear output
ALPHA = 1e-4                  # L2 regularisation strength
LEARNING_RATE = 0.05          # small enough that the loss falls steadily
DATA_SEED = 0
WEIGHT_SEED = 1337

Scalar = Any  # one engine's scalar: a Var, a micrograd Value or a 0-d tensor
Neuron = tuple[list[Scalar], Scalar]  # (weights, bias)


# ----------------------------------------------------------------------
# Data and initial weights: plain floats, shared by every engine
# ----------------------------------------------------------------------
def moons() -> tuple[list[list[float]], list[int]]:
    """The data every engine and every nn.MLP trains on: `autodiff.data.make_moons`, labels ±1."""
    from autodiff.data import make_moons

    return make_moons(N_POINTS, noise=NOISE, seed=DATA_SEED, labels=(-1, 1))


def initial_weights(
    sizes: Sequence[int] = LAYER_SIZES, seed: int = WEIGHT_SEED
) -> list[list[tuple[list[float], float]]]:
    """Per layer, per neuron: (weights uniform in [-1, 1], bias 0), as micrograd does."""
    rng = random.Random(seed)
    return [
        [([rng.uniform(-1.0, 1.0) for _ in range(n_in)], 0.0) for _ in range(n_out)]
        for n_in, n_out in zip(sizes, sizes[1:])
    ]


# ----------------------------------------------------------------------
# Engines: what differs between autodiff, micrograd and torch
# ----------------------------------------------------------------------
@dataclass(frozen=True)
class Engine:
    """How the demo's few engine-specific actions are done on one engine.

    Everything else (the arithmetic, ``.relu()``, ``.backward()``) is
    spelled the same on every engine and needs no adapter.
    """

    name: str
    scalar: Callable[[float], Scalar]     # wrap an input value (no gradient wanted)
    parameter: Callable[[float], Scalar]  # a trainable leaf
    to_float: Callable[[Scalar], float]   # read a scalar's value
    zero_grad: Callable[[list[Scalar]], None]
    sgd_update: Callable[[list[Scalar], float], None]  # p ← p - lr·∂loss/∂p
    collector_off: bool = False  # time it with the cyclic garbage collector off (compute only)


def _zero_grad_attribute(params: list[Scalar]) -> None:
    """autodiff and micrograd: ``p.grad = 0``."""
    for p in params:
        p.grad = 0.0


def _sgd_on_data(params: list[Scalar], lr: float) -> None:
    """autodiff and micrograd: ``p.data -= lr * p.grad``."""
    for p in params:
        p.data -= lr * p.grad


def autodiff_engine(collector_off: bool = False) -> Engine:
    """Our `autodiff.Var` (timed with the garbage collector off if ``collector_off``)."""
    from autodiff import Var

    return Engine("autodiff (gc off)" if collector_off else "autodiff",
                  Var, Var, lambda v: v.data, _zero_grad_attribute, _sgd_on_data, collector_off)


def micrograd_engine(collector_off: bool = False) -> Engine:
    """micrograd's `Value`, as shipped (timed with the garbage collector off if ``collector_off``)."""
    from micrograd.engine import Value

    return Engine("micrograd (gc off)" if collector_off else "micrograd",
                  Value, Value, lambda v: v.data, _zero_grad_attribute, _sgd_on_data, collector_off)


def torch_engine() -> Engine:
    """PyTorch, one 0-d float64 tensor per scalar.

    For timing, also call ``torch.set_num_threads(1)``: threads cannot help
    with 0-d tensors and only add overhead.
    """
    import torch

    def scalar(x: float) -> Scalar:
        return torch.tensor(x, dtype=torch.float64)

    def parameter(x: float) -> Scalar:
        return torch.tensor(x, dtype=torch.float64, requires_grad=True)

    def zero_grad(params: list[Scalar]) -> None:
        for p in params:
            p.grad = None

    def sgd_update(params: list[Scalar], lr: float) -> None:
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad

    return Engine("torch", scalar, parameter, lambda t: t.item(), zero_grad, sgd_update)


def all_engines() -> list[Engine]:
    """The engines compared, ours first: as a learner runs them, then compute only."""
    return [autodiff_engine(), micrograd_engine(), torch_engine(),
            autodiff_engine(collector_off=True), micrograd_engine(collector_off=True)]


# ----------------------------------------------------------------------
# The demo, written once with scalar operations only
# ----------------------------------------------------------------------
def neuron(weights: list[Scalar], bias: Scalar, x: list[Scalar], relu: bool) -> Scalar:
    """w·x + b, summed left to right as micrograd's `Neuron` does, then ReLU if asked."""
    act = sum((wi * xi for wi, xi in zip(weights, x)), bias)
    return act.relu() if relu else act


def mlp(layers: list[list[Neuron]], x: list[Scalar]) -> Scalar:
    """The network's score for one input: ReLU hidden layers, a linear output."""
    for i, layer in enumerate(layers):
        relu = i < len(layers) - 1
        x = [neuron(weights, bias, x, relu) for weights, bias in layer]
    return x[0]


def svm_loss(
    layers: list[list[Neuron]], params: list[Scalar],
    inputs: list[list[Scalar]], labels: Sequence[float],
) -> Scalar:
    """mean(relu(1 - y·score)) + α·Σ p², micrograd's demo loss, full batch."""
    scores = [mlp(layers, x) for x in inputs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(labels, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in params)
    return data_loss + reg_loss


class DemoTraining:
    """micrograd's demo on one engine: the data, the model and one training step."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.points, self.labels = moons()
        self.layers: list[list[Neuron]] = [
            [([engine.parameter(w) for w in weights], engine.parameter(bias))
             for weights, bias in layer]
            for layer in initial_weights()
        ]
        self.params = [p for layer in self.layers for ws, b in layer for p in (*ws, b)]

    def loss(self) -> Scalar:
        """The loss on the whole data set; inputs are wrapped anew, as in the demo."""
        inputs = [[self.engine.scalar(x) for x in row] for row in self.points]
        return svm_loss(self.layers, self.params, inputs, self.labels)

    def step(self, lr: float = LEARNING_RATE) -> float:
        """Forward, zero the grads, backward, SGD update. Returns the loss before the update."""
        engine = self.engine
        loss = self.loss()
        engine.zero_grad(self.params)
        loss.backward()
        engine.sgd_update(self.params, lr)
        return engine.to_float(loss)

    @property
    def collector_off(self) -> bool:
        """Whether to time this run with the garbage collector off (see `benchmarks.__main__`)."""
        return self.engine.collector_off


# ----------------------------------------------------------------------
# The engines must compute the same numbers, or the timings mean nothing
# ----------------------------------------------------------------------
def loss_history(engine: Engine, steps: int) -> list[float]:
    """The loss at each of ``steps`` training steps, then the loss after the last update."""
    run = DemoTraining(engine)
    history = [run.step() for _ in range(steps)]
    history.append(engine.to_float(run.loss()))
    return history


def check_engines_agree(steps: int = 3, rel_tol: float = 1e-9) -> None:
    """Train each engine ``steps`` steps from the same start; raise AssertionError if losses differ.

    The losses are compared with autodiff's at every step and after the last
    update, to ``rel_tol`` relative.
    """
    engines = all_engines()
    reference = loss_history(engines[0], steps)
    for engine in engines[1:]:
        history = loss_history(engine, steps)
        for i, (ours, theirs) in enumerate(zip(reference, history)):
            if not math.isclose(ours, theirs, rel_tol=rel_tol, abs_tol=0.0):
                when = f"at step {i + 1}" if i < steps else f"after {steps} updates"
                raise AssertionError(
                    f"{engine.name} disagrees with {engines[0].name} {when}: "
                    f"loss {theirs!r} vs {ours!r} (relative tolerance {rel_tol})"
                )


# ----------------------------------------------------------------------
# What the cyclic garbage collector does during a step
# ----------------------------------------------------------------------
def collections_per_call(call: Callable[[], Any], times: int) -> list[float]:
    """How many collections of each generation (0, 1, 2) the collector starts per ``call()``.

    One untimed call first, then `gc.collect()`, then ``times`` calls counted
    with `gc.callbacks`; the collector stays at its defaults throughout.
    """
    if times < 1:
        raise ValueError(f"collections_per_call: times must be at least 1, got {times!r}")
    counts = [0, 0, 0]

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            counts[info["generation"]] += 1

    call()
    gc.collect()
    gc.callbacks.append(count)
    try:
        for _ in range(times):
            call()
    finally:
        gc.callbacks.remove(count)
    return [n / times for n in counts]
