"""The Playground's two engines: how one mini-batch is trained, on Vars or on Tensors.

Both build the same network from the same seed (`autodiff.nn.MLP` and its
twin `autodiff.tensor.nn.MLP` draw the same first weights), with the same
loss, optimizer and learning-rate schedule. They differ in how a batch is
computed:

* `ScalarEngine`: every number is a `Var`, and a batch is a graph of one node
  per multiplication, tens of thousands of them. Teaching-sized, and slow.
* `TensorEngine`: every layer is one `Tensor`, and a batch is a handful of
  array operations (a matrix product per layer). The Playground's default.

Both take the same mini-batches in the same order, so one config trains
the same network on either engine, up to rounding (the sums are added in
another order).

`train_batch` is a generator: each ``next()`` does one piece of the batch
and yields None, and the last piece (the optimizer's step) yields the
batch's gradient-flow numbers. Between two pieces the Playground can stop
to draw a frame or answer a click, and go on later exactly where it was
(`widgets.training_session`). A tensor batch is one piece; a scalar batch
is split so that no piece takes long even for the widest network.

Pictures and measurements need the network's scores on thousands of points
and no gradient. Both engines compute them with a tensor network under
`autodiff.no_grad()`: the tensor engine with its own model, the scalar
engine with a tensor twin holding a copy of its weights (`scores`).
"""

from __future__ import annotations

from typing import Any, Iterator, Optional

import numpy as np

from autodiff import data as scalar_data
from autodiff import nn
from autodiff.grad_mode import no_grad
from autodiff.losses import binary_cross_entropy_with_logits, cross_entropy, hinge_loss, l2_penalty
from autodiff.lr_scheduler import CosineAnnealingLR, ExponentialLR, LRScheduler, StepLR
from autodiff.optim import SGD, Adam, Optimizer, RMSprop
from autodiff.tensor import Tensor
from autodiff.tensor import nn as tnn
from autodiff.train import collector_paused

from .playground_settings import Settings

__all__ = ["Engine", "ScalarEngine", "TensorEngine", "make_engine", "make_optimizer", "make_scheduler",
           "targets_for", "MOMENTUM", "STEP_LR", "EXPONENTIAL_LR", "COSINE_LR", "CHUNK_WORK", "SCORE_ROWS"]

MOMENTUM = 0.9
STEP_LR = {"step_size": 50, "gamma": 0.5}
EXPONENTIAL_LR = {"gamma": 0.99}
COSINE_LR = {"T_max": 200}
LOSS_FUNCTIONS = {"bce": binary_cross_entropy_with_logits, "hinge": hinge_loss, "ce": cross_entropy}
# A scalar batch is computed in chunks of at most this many (samples × parameters), about 10 ms
# of graph each; batches of the usual sizes (16 points on a 2-8-8-1 net: 1,680) are one chunk.
CHUNK_WORK = 8192

# Scores are computed in blocks of at most SCORE_ROWS points. With layers of at most 32 neurons,
# every matrix product is then below OpenBLAS's size for sharing a product among threads
# (m·n·k < 262,144). For products this small the threads cost more than they save, and on a busy
# 2-core machine their waiting slows all the rest: a frame of 1,000 points, 2-16-16-1, took 3×
# as long with the whole grid in one product.
SCORE_ROWS = 240
Batch = tuple[Any, Any]        # (inputs, targets), in the engine's own form
Pieces = Iterator[Optional[list[float]]]


def make_optimizer(s: Settings, params: list) -> Optimizer:
    """The optimizer ``s.optimizer`` names, at learning rate ``s.lr`` (other hyperparameters: PyTorch's defaults)."""
    if s.optimizer == "sgd":
        return SGD(params, lr=s.lr)
    if s.optimizer == "momentum":
        return SGD(params, lr=s.lr, momentum=MOMENTUM)
    if s.optimizer == "rmsprop":
        return RMSprop(params, lr=s.lr)
    return Adam(params, lr=s.lr)


def make_scheduler(s: Settings, optimizer: Optimizer) -> Optional[LRScheduler]:
    """The learning-rate schedule ``s.schedule`` names (stepped once per epoch), or None for a constant lr."""
    if s.schedule == "step":
        return StepLR(optimizer, **STEP_LR)
    if s.schedule == "exponential":
        return ExponentialLR(optimizer, **EXPONENTIAL_LR)
    if s.schedule == "cosine":
        return CosineAnnealingLR(optimizer, **COSINE_LR)
    return None


def targets_for(loss: str, classes: np.ndarray) -> list[int]:
    """The labels a loss wants: ±1 for hinge, 0/1 for BCE, the class index for cross-entropy."""
    return [2 * int(c) - 1 for c in classes] if loss == "hinge" else [int(c) for c in classes]


class Engine:
    """What both engines share: the network, its optimizer and schedule, and scores without a graph."""

    name = ""

    def __init__(self, settings: Settings, model: nn.MLP) -> None:
        self.settings = settings
        self.model = model
        self.params = model.parameters()
        self.optimizer = make_optimizer(settings, self.params)
        self.scheduler = make_scheduler(settings, self.optimizer)
        self.loss_fn = LOSS_FUNCTIONS[settings.loss]

    @property
    def linear_layers(self) -> list[nn.Module]:
        """The network's Linear layers, input side first: the layers of the gradient-flow panel."""
        return [m for m in self.model.layers if isinstance(m, (nn.Linear, tnn.Linear))]

    def epoch_batches(self, X: np.ndarray, targets: list[int], seed: int) -> list[Batch]:
        """The mini-batches of one epoch, in the order ``seed`` shuffles them into."""
        raise NotImplementedError

    def train_batch(self, batch: Batch) -> Pieces:
        """One optimizer step on ``batch``, in pieces (see the module docstring)."""
        raise NotImplementedError

    def tensor_network(self) -> tnn.MLP:
        """A tensor network computing what the model computes now (the model itself, or a twin)."""
        raise NotImplementedError

    def scores(self, X: np.ndarray) -> np.ndarray:
        """The network's outputs on the points ``X`` (N, 2), as an (N, outputs) array, with no graph.

        A network whose outputs overflow (weights of 1e200) gives nan scores
        instead of an error: the picture and the numbers then show that.
        """
        network, X = self.tensor_network(), np.asarray(X, dtype=float)
        try:
            with no_grad():
                blocks = [network(X[i:i + SCORE_ROWS]).data for i in range(0, len(X), SCORE_ROWS)]
                return np.concatenate(blocks) if blocks else network(X).data
        except (ArithmeticError, ValueError):
            return np.full((len(X), self.settings.outputs), np.nan)

    def hidden_outputs(self, X: np.ndarray) -> list[np.ndarray]:
        """What each hidden layer's activation outputs for the points ``X``: one (N, width) array per layer."""
        outputs, x = [], np.asarray(X, dtype=float)
        with no_grad(), np.errstate(all="ignore"):
            for module in self.tensor_network().layers:
                x = module(x)
                if not isinstance(module, tnn.Linear):
                    outputs.append(x.data)
        return outputs

    def weight_arrays(self) -> list[np.ndarray]:
        """Every Linear layer's weights as an (out, in) array, input side first."""
        return [layer.weight.data for layer in self.tensor_network().layers if isinstance(layer, tnn.Linear)]


class TensorEngine(Engine):
    """A batch as a few array operations: forward, loss, backward and the step on whole Tensors."""

    name = "tensor"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, tnn.MLP(2, settings.sizes[1:], activation=settings.activation, rng=settings.seed))

    def epoch_batches(self, X: np.ndarray, targets: list[int], seed: int) -> list[Batch]:
        """The scalar engine's batches, in its order, as arrays: so a run is the same on both engines.

        `autodiff.data.batches` shuffles with ``random.Random(seed)``, and
        `autodiff.tensor.data.batches` with numpy's generator: their orders
        differ. The row numbers are shuffled here as the scalar engine
        shuffles its rows, then each batch is taken out of the arrays.
        """
        y = np.asarray(targets)
        numbered = scalar_data.batches(X.tolist(), list(range(len(X))), self.settings.batch_size,
                                       shuffle=True, seed=seed)
        return [(X[rows], y[rows]) for _, rows in numbered]

    def train_batch(self, batch: Batch) -> Pieces:
        """The whole step is one piece: it takes well under a millisecond for any network here."""
        X, y = batch
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(X), y)
        if self.settings.l2:
            loss = loss + l2_penalty(self.params, self.settings.l2)
        loss.backward()
        flow = [float(np.abs(layer.weight.grad).mean()) for layer in self.linear_layers]
        self.optimizer.step()
        yield flow

    def tensor_network(self) -> tnn.MLP:
        return self.model


class ScalarEngine(Engine):
    """A batch as a graph of Vars, built and walked back in chunks of samples.

    The loss of a batch is the mean over its B samples. A chunk's share,
    the sum of its samples' losses divided by B, is built and walked back on
    its own; the gradients add up in ``.grad`` until the last chunk, then the
    optimizer steps once. (A batch of one chunk is exactly
    ``loss_fn(model(X), y).backward()``.) Each layer of the forward pass,
    the loss, the backward pass and the step are separate pieces: the
    longest, the backward pass of one sample or a step of Adam over the
    7,521 parameters of eight hidden layers of 32, take 20 to 50 ms (more on
    a busy machine).
    """

    name = "scalar"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, nn.MLP(2, settings.sizes[1:], activation=settings.activation, rng=settings.seed))
        self._twin: Optional[tnn.MLP] = None
        self._layer_weights = [[w for row in layer.weight for w in row] for layer in self.linear_layers]
        n_params = sum(len(row) for layer in self.linear_layers for row in [*layer.weight, layer.bias or []])
        self.chunk = max(1, CHUNK_WORK // n_params)   # samples per chunk

    def epoch_batches(self, X: np.ndarray, targets: list[int], seed: int) -> list[Batch]:
        return list(scalar_data.batches(X.tolist(), targets, self.settings.batch_size, shuffle=True, seed=seed))

    def train_batch(self, batch: Batch) -> Pieces:
        X, y = batch
        self.optimizer.zero_grad()
        for start in range(0, len(X), self.chunk):
            outputs = X[start:start + self.chunk]
            for layer in self.model.layers:   # the forward pass a layer at a time, as MLP.forward runs it
                with collector_paused():      # (our graphs hold no cycles: the collector would only slow them)
                    outputs = layer(outputs)
                yield None
            with collector_paused():
                share = self.loss_fn(outputs, y[start:start + self.chunk], reduction="sum") / len(X)
                if start == 0 and self.settings.l2:
                    share = share + l2_penalty(self.params, self.settings.l2)
            del outputs
            yield None
            with collector_paused():
                share.backward()
            del share
            yield None
        flow = [sum(abs(w.grad) for w in weights) / len(weights) for weights in self._layer_weights]
        with collector_paused():
            self.optimizer.step()
        yield flow

    def tensor_network(self) -> tnn.MLP:
        """The tensor twin, with the scalar network's current weights copied in."""
        if self._twin is None:
            # (rng=0: its own first weights, overwritten below, must not draw from autodiff's default generator)
            self._twin = tnn.MLP(2, self.settings.sizes[1:], activation=self.settings.activation, rng=0)
        twins = [m for m in self._twin.layers if isinstance(m, tnn.Linear)]
        for layer, twin in zip(self.linear_layers, twins):
            twin.weight.data = [[w.data for w in row] for row in layer.weight]
            twin.bias.data = [b.data for b in layer.bias]
        return self._twin


def make_engine(settings: Settings) -> Engine:
    """The engine ``settings.engine`` names, with a fresh network built from ``settings.seed``."""
    return TensorEngine(settings) if settings.engine == "tensor" else ScalarEngine(settings)
