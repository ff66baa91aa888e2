"""The tensor engine's workload: one training epoch of a digits MLP, in three libraries.

An MLP 64-128-64-10 (ReLU hidden layers, logits out) is trained for one
epoch of the digits (1797 images of 8×8 pixels, 10 classes) with
cross-entropy and Adam (lr 1e-3, betas (0.9, 0.999), eps 1e-8), in
batches of 64 in one fixed shuffled order, all in float32. The epoch is
written once per library, as its user writes it:

* ``autodiff.tensor``: `autodiff.tensor.nn.MLP`, `autodiff.losses.cross_entropy`
  (the fused op) and `autodiff.optim.Adam`;
* ``torch``: ``torch.nn.Sequential`` of Linear and ReLU, ``F.cross_entropy``
  and ``torch.optim.Adam`` (CPU, one thread);
* ``numpy by hand``: the same net's forward pass, backward pass and Adam
  written out with numpy: what an engine on numpy could at best do.

All three start from the same weights (`initial_weights`, one seeded draw)
and see the same batches in the same order (`batches`; ours gets them from
`autodiff.tensor.data.batches`, as a learner would), so they compute the
same losses up to float32 rounding; `check_epochs_agree` verifies that over
the first epoch.

The data is `autodiff.data.load_digits()`, the pixels (0..16) divided by
16, as a learner would.

Also here: numpy's BLAS held to one thread (`one_blas_thread`), and the size
of a tensor graph: bytes per node (`bytes_per_node`) and a deep chain's
backward pass (`time_chain`).
"""

from __future__ import annotations

import ctypes
import gc
import math
import random
import statistics
import time
import tracemalloc
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from .workloads import collections_per_call

__all__ = [
    "Digits", "digits", "batches", "initial_weights",
    "OursEpoch", "TorchEpoch", "NumpyEpoch", "all_epochs", "check_epochs_agree", "phase_times",
    "collections_per_epoch",
    "one_blas_thread", "blas_description", "bytes_per_node", "ChainTiming", "time_chain",
]

LAYER_SIZES = (64, 128, 64, 10)
BATCH_SIZE = 64
LEARNING_RATE = 1e-3
BETAS = (0.9, 0.999)
EPS = 1e-8
DTYPE = np.float32
DATA_SEED = 0        # the batch order
WEIGHT_SEED = 1337
# The losses must agree to REL_TOL relative at every batch of the first epoch. float32 rounds
# to 6e-8 relative; the libraries sum their matrix products in different orders (OpenBLAS, MKL)
# and Adam carries the differences from step to step. Measured on the digits: at most 1.2e-7 in
# the first epoch, 4e-7 by the fifth; 1e-5 (about 80 float32 epsilons) leaves room for other
# BLAS builds, while a wrong gradient or update is off by far more from the first batches on.
REL_TOL = 1e-5


# ----------------------------------------------------------------------
# Data, batches and initial weights: the same for every library
# ----------------------------------------------------------------------
@dataclass(frozen=True)
class Digits:
    """Images as rows of 64 float32 pixels in [0, 1], labels 0..9, and where they came from."""

    X: np.ndarray
    y: np.ndarray
    source: str


def digits() -> Digits:
    """`autodiff.data.load_digits()` as float32, the pixels (0..16) divided by 16."""
    from autodiff.data import load_digits

    X, y = load_digits(dtype=DTYPE)
    return Digits(X / DTYPE(16), y, "autodiff.data.load_digits()")


Batches = list[tuple[np.ndarray, np.ndarray]]
Weights = list[tuple[np.ndarray, np.ndarray]]


def batches(data: Digits, size: int = BATCH_SIZE, seed: int = DATA_SEED) -> Batches:
    """The epoch's batches: one fixed shuffled order, ``size`` samples each (the last one smaller).

    The order is ``np.random.default_rng(seed).permutation``, as
    `autodiff.tensor.data.batches` draws it with ``shuffle=True``.
    """
    order = np.random.default_rng(seed).permutation(len(data.y))
    return [(np.ascontiguousarray(data.X[order[i:i + size]]), data.y[order[i:i + size]])
            for i in range(0, len(order), size)]


def initial_weights(sizes: tuple[int, ...] = LAYER_SIZES, seed: int = WEIGHT_SEED) -> Weights:
    """Per layer (W of shape (out, in), b): `autodiff.nn.initial_weights` from one `random.Random(seed)`.

    Uniform on ±1/√in (PyTorch's default), drawn layer after layer from one
    generator as `autodiff.tensor.nn.MLP` draws them, then made float32.
    """
    from autodiff.nn import initial_weights as draw

    gen = random.Random(seed)
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        _, _, weight, bias = draw(n_in, n_out, True, gen)
        layers.append((np.array(weight, dtype=DTYPE), np.array(bias, dtype=DTYPE)))
    return layers


# ----------------------------------------------------------------------
# The epoch in each library
# ----------------------------------------------------------------------
class _Loop:
    """The training loop of ours and of torch: the same lines, as autodiff's API is PyTorch's.

    A subclass sets ``model``, ``optimizer``, ``cross_entropy`` and ``batches``.
    """

    name = ""
    model: Any
    optimizer: Any
    cross_entropy: Any
    batches: list[tuple[Any, Any]]

    def epoch(self) -> list[float]:
        """One epoch: per batch zero_grad, forward and loss, backward, step. Returns the losses."""
        model, optimizer, cross_entropy, losses = self.model, self.optimizer, self.cross_entropy, []
        for x, y in self.batches:
            optimizer.zero_grad()
            loss = cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses

    def phases(self, clock: Any) -> list[float]:
        """The epoch again, the clock read between its parts: forward, backward, optimizer."""
        model, optimizer, cross_entropy, totals = self.model, self.optimizer, self.cross_entropy, [0.0] * 3
        for x, y in self.batches:
            t0 = clock()
            loss = cross_entropy(model(x), y)
            t1 = clock()
            loss.backward()
            t2 = clock()
            optimizer.step()
            optimizer.zero_grad()
            loss.item()
            t3 = clock()
            totals[0] += t1 - t0; totals[1] += t2 - t1; totals[2] += t3 - t2  # noqa: E702
        return totals

    def step(self) -> float:
        """An epoch, for `benchmarks.__main__.time_blocks`: the sum of its losses."""
        return sum(self.epoch())


class OursEpoch(_Loop):
    """`autodiff.tensor`: MLP, cross_entropy, Adam, the batches of `autodiff.tensor.data.batches`."""

    name = "autodiff.tensor"

    def __init__(self, data: Digits, weights: Weights) -> None:
        from autodiff.losses import cross_entropy
        from autodiff.optim import Adam
        from autodiff.tensor.data import batches as tensor_batches
        from autodiff.tensor.nn import MLP, Linear

        self.model = MLP(LAYER_SIZES[0], list(LAYER_SIZES[1:]), rng=WEIGHT_SEED, dtype=DTYPE)
        linears = [m for m in self.model.layers if isinstance(m, Linear)]
        for layer, (W, b) in zip(linears, weights, strict=True):
            layer.weight.data, layer.bias.data = W, b
        self.optimizer = Adam(self.model.parameters(), lr=LEARNING_RATE, betas=BETAS, eps=EPS)
        self.cross_entropy = cross_entropy
        self.batches = list(tensor_batches(data.X, data.y, BATCH_SIZE, shuffle=True, seed=DATA_SEED))


class TorchEpoch(_Loop):
    """PyTorch CPU: nn.Sequential, F.cross_entropy, optim.Adam (call torch.set_num_threads(1) first)."""

    name = "torch"

    def __init__(self, data: Digits, weights: Weights) -> None:
        import torch
        import torch.nn.functional as F
        from torch import nn

        sizes = LAYER_SIZES
        layers: list[nn.Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
            layers.append(nn.Linear(n_in, n_out))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
        self.model = nn.Sequential(*layers)
        linears = [m for m in self.model if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for layer, (W, b) in zip(linears, weights, strict=True):
                layer.weight.copy_(torch.from_numpy(W))
                layer.bias.copy_(torch.from_numpy(b))
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=LEARNING_RATE, betas=BETAS, eps=EPS)
        self.cross_entropy = F.cross_entropy
        self.batches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches(data)]


class NumpyEpoch:
    """The same net, its backward pass and Adam written out in numpy: no graph, no checks.

    Adam is PyTorch's single-tensor formula (as `autodiff.optim.Adam`), in
    place on preallocated arrays.
    """

    name = "numpy by hand"

    def __init__(self, data: Digits, weights: Weights) -> None:
        self.params = [p.copy() for W, b in weights for p in (W, b)]
        self.exp_avg = [np.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [np.zeros_like(p) for p in self.params]
        self.t = 0
        self.batches = batches(data)

    def forward(self, x: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        """The loss, and what backward needs: both hidden layers' outputs and the softmax."""
        W1, b1, W2, b2, W3, b3 = self.params
        h1 = np.maximum(x @ W1.T + b1, 0.0)
        h2 = np.maximum(h1 @ W2.T + b2, 0.0)
        logits = h2 @ W3.T + b3
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        rows = np.arange(len(y))
        loss = float(np.log(total[:, 0]).mean() - shifted[rows, y].mean())
        return loss, [h1, h2, exp / total]

    def backward(self, x: np.ndarray, y: np.ndarray, saved: list[np.ndarray]) -> list[np.ndarray]:
        """The gradient of every parameter: dW1, db1, dW2, db2, dW3, db3."""
        h1, h2, d3 = saved
        W1, b1, W2, b2, W3, b3 = self.params
        d3[np.arange(len(y)), y] -= 1.0   # softmax − one-hot, then / n
        d3 *= 1.0 / len(y)
        d2 = d3 @ W3
        d2 *= h2 > 0
        d1 = d2 @ W2
        d1 *= h1 > 0
        return [d1.T @ x, d1.sum(axis=0), d2.T @ h1, d2.sum(axis=0), d3.T @ h2, d3.sum(axis=0)]

    def update(self, grads: list[np.ndarray]) -> None:
        beta1, beta2 = BETAS
        self.t += 1
        step_size = LEARNING_RATE / (1 - beta1 ** self.t)
        root_correction = math.sqrt(1 - beta2 ** self.t)
        for p, g, m, v in zip(self.params, grads, self.exp_avg, self.exp_avg_sq):
            m += (1 - beta1) * (g - m)
            v *= beta2
            v += (1 - beta2) * g * g
            denom = np.sqrt(v)
            denom /= root_correction
            denom += EPS
            p -= step_size * m / denom

    def epoch(self) -> list[float]:
        losses = []
        for x, y in self.batches:
            loss, saved = self.forward(x, y)
            self.update(self.backward(x, y, saved))
            losses.append(loss)
        return losses

    def phases(self, clock: Any) -> list[float]:
        totals = [0.0, 0.0, 0.0]
        for x, y in self.batches:
            t0 = clock()
            loss, saved = self.forward(x, y)
            t1 = clock()
            grads = self.backward(x, y, saved)
            t2 = clock()
            self.update(grads)
            t3 = clock()
            totals[0] += t1 - t0; totals[1] += t2 - t1; totals[2] += t3 - t2  # noqa: E702
        return totals

    def step(self) -> float:
        return sum(self.epoch())


Run = OursEpoch | TorchEpoch | NumpyEpoch


def all_epochs(data: Digits | None = None) -> list[Run]:
    """A fresh run of each library, ours first, on the same batches from the same weights."""
    data = digits() if data is None else data
    weights = initial_weights()
    return [OursEpoch(data, weights), TorchEpoch(data, weights), NumpyEpoch(data, weights)]


def check_epochs_agree(runs: list[Run] | None = None, n_batches: int | None = None,
                       rel_tol: float = REL_TOL) -> float:
    """Train fresh runs one epoch (or ``n_batches``); raise AssertionError if a loss differs.

    Every batch's loss is compared with ours to ``rel_tol`` relative. Returns
    the largest relative difference seen.
    """
    runs = all_epochs() if runs is None else runs
    if n_batches is not None:
        for run in runs:
            run.batches = run.batches[:n_batches]
    reference, worst = runs[0].epoch(), 0.0
    for run in runs[1:]:
        for i, (ours, theirs) in enumerate(zip(reference, run.epoch(), strict=True)):
            difference = abs(theirs - ours) / abs(ours)
            worst = max(worst, difference)
            if difference > rel_tol:
                raise AssertionError(f"{run.name} disagrees with {runs[0].name} at batch {i + 1}: "
                                     f"loss {theirs!r} vs {ours!r} (relative tolerance {rel_tol})")
    return worst


def phase_times(run: Run, epochs: int) -> list[float]:
    """Seconds per epoch in forward (with the loss), backward and the optimizer (with zero_grad).

    The median of each over ``epochs`` epochs, after one untimed warm-up epoch.
    """
    run.epoch()
    per_epoch = [run.phases(time.perf_counter) for _ in range(epochs)]
    return [statistics.median(phase) for phase in zip(*per_epoch)]


def collections_per_epoch(run: Run, epochs: int) -> list[float]:
    """How many collections of each generation (0, 1, 2) the cyclic collector starts per epoch."""
    return collections_per_call(run.epoch, epochs)


# ----------------------------------------------------------------------
# One BLAS thread for numpy
# ----------------------------------------------------------------------
def _numpy_openblas() -> tuple[Any, Any] | None:
    """(get, set) for the thread count of the OpenBLAS loaded in this process (numpy's), by its C API."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    paths = {line.split(maxsplit=5)[-1] for line in maps.splitlines()
             if "openblas" in line.lower() and ".so" in line}
    for path in sorted(paths):
        library = ctypes.CDLL(path)  # already loaded by numpy: the same copy
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                getter = getattr(library, f"{prefix}_get_num_threads{suffix}", None)
                setter = getattr(library, f"{prefix}_set_num_threads{suffix}", None)
                if getter is not None and setter is not None:
                    getter.restype, setter.argtypes = ctypes.c_int, [ctypes.c_int]
                    return getter, setter
    return None


def blas_description() -> str:
    """numpy's BLAS, as `numpy.show_config` gives it."""
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    return f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()


@contextmanager
def one_blas_thread() -> Iterator[str]:
    """numpy's BLAS held to one thread inside the block; yields how it was done.

    threadpoolctl when it is installed (it knows every BLAS numpy may be
    built with); else the OpenBLAS numpy loaded (numpy's wheels ship
    scipy-openblas) through its own C API. Either way the count is read
    back, and RuntimeError raised when it is not 1: the comparison would
    then not be one thread against one.
    """
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        threadpool_limits = None
    if threadpool_limits is not None:
        with threadpool_limits(limits=1, user_api="blas"):
            counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
            if not counts or set(counts) != {1}:
                raise RuntimeError(f"threadpoolctl left numpy's BLAS pools at {counts} threads")
            yield f"{blas_description()}, 1 thread by threadpoolctl"
        return
    found = _numpy_openblas()
    if found is None:
        raise RuntimeError(f"cannot hold numpy's BLAS ({blas_description()}) to one thread: install "
                           "threadpoolctl, or set OPENBLAS_NUM_THREADS=1 and OMP_NUM_THREADS=1")
    get, set_ = found
    before = get()
    set_(1)
    try:
        if get() != 1:
            raise RuntimeError(f"numpy's OpenBLAS still uses {get()} threads after asking for 1")
        yield f"{blas_description()}, 1 thread (was {before}) through OpenBLAS's set_num_threads"
    finally:
        set_(before)


# ----------------------------------------------------------------------
# Graph size: bytes per node, a deep chain
# ----------------------------------------------------------------------
SMALL_SHAPE = (4,)  # the tensors of the memory and chain measurements: 4 float32 each


def bytes_per_node(n: int = 10_000) -> float:
    """Traced memory kept alive per node of a chain of ``n`` products ``y = y * w``, of shape (4,) float32.

    Everything a node keeps alive is counted: the Tensor object, its tuple of
    parents, its ndarray (object, shape and strides) and the array's 16 bytes
    of numbers. The measurement is the scalar engine's (`graphs.bytes_per_node`),
    with Tensors for leaves.
    """
    from autodiff.tensor import Tensor

    from .graphs import bytes_per_node as chain_bytes_per_node

    return chain_bytes_per_node(lambda value: Tensor(np.full(SMALL_SHAPE, value), dtype=DTYPE), n)


@dataclass(frozen=True)
class ChainTiming:
    """Seconds to build a chain of ``depth`` tensor ops and to backpropagate through it."""

    depth: int
    forward_s: float
    backward_s: float


def time_chain(depth: int = 10_000) -> ChainTiming:
    """A chain ``y = tanh(y * w)`` of ``depth`` ops on shape-(4,) float32 Tensors, timed both ways."""
    from autodiff.tensor import Tensor

    x = Tensor(np.full(SMALL_SHAPE, 0.5), dtype=DTYPE)
    w = Tensor(np.full(SMALL_SHAPE, 1.5), dtype=DTYPE)  # tanh(1.5·y) settles near 0.86
    gc.collect()
    start = time.perf_counter()
    y = x
    for _ in range(depth // 2):
        y = (y * w).tanh()
    loss = y.sum()
    built = time.perf_counter()
    loss.backward()
    done = time.perf_counter()
    if not (np.isfinite(w.grad).all() and np.isfinite(x.grad).all()):
        raise AssertionError("tensor chain: non-finite gradients")
    del y, loss
    gc.collect()
    return ChainTiming(depth, built - start, done - built)
