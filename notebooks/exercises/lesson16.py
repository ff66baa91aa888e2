"""The exercises of lesson 16 · What a gradient costs (16_what_a_gradient_costs.ipynb).

* `ex_columns`: ``jacobian_by_columns(f, x)``, the Jacobian from n `jvp` passes;
* `ex_rows`: ``jacobian_by_rows(f, x)``, the Jacobian from m reverse passes (`grad`);
* `ex_bytes`: ``activation_bytes(batch, sizes)``, the bytes a tanh MLP's graph keeps,
  counted by hand;
* `ex_checkpointed`: ``checkpointed(blocks, x)``, every block of a chain under its
  own `checkpoint`.

Where the expected values come from (never from running a solution):

* 16.1 and 16.2: each function's Jacobian worked out by hand and written
  with numpy next to it (`JacobianCase`): for y = tanh(A·x),
  J = diag(1 − y²)·A; for y = x·Σx, J = (Σx)·I + x·1ᵀ; and so on.
* 16.3: counted by hand in the comment next to each case: 8 bytes per
  float64, batch × width numbers per array, two arrays (the linear layer's
  output and the tanh's) per hidden layer and one for the last layer.
  (tests/test_lesson16_exercises.py also checks them against `saved_memory`.)
* 16.4: `reference`, the chain's loss and gradients with numpy and the
  backward pass derived by hand (∂tanh = 1 − tanh², ∂W = δᵀ·h); it reads only
  the seeded initial weights. The bytes kept: one array per block (each
  checkpoint keeps its output), one for ``out * out``, and 8 for the sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from autodiff.tensor import Tensor
from autodiff.tensor import nn as tnn
from autodiff.tensor.memory import saved_memory
from widgets.exercise import Exercise, Formula

from .common import DescribedExercise

__all__ = ["ex_columns", "ex_rows", "ex_bytes", "ex_checkpointed", "JacobianCase", "Chain", "reference"]


# ----------------------------------------------------------------------
# 16.1 and 16.2 · The Jacobian, by columns and by rows
# ----------------------------------------------------------------------
A = np.array([[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]])       # 3 × 2
C = np.array([2.0, -1.0, 0.5])


@dataclass(frozen=True)
class JacobianCase:
    """A function of a Tensor (shown as its formula), a point, and its Jacobian there, by hand."""

    f: Formula
    jacobian: Callable[[np.ndarray], np.ndarray]
    x: tuple[float, ...]

    def case(self) -> tuple:
        x = np.array(self.x)
        return (self.f, x), self.jacobian(x)


CASES = [
    # y = tanh(A·x), R² → R³:  J = diag(1 − y²)·A
    JacobianCase(Formula("x ↦ tanh(A·x), A = [[0.5, -1], [2, 0.25], [-0.75, 1.5]]",
                         lambda x: (Tensor(A, requires_grad=False) @ x).tanh()),
                 lambda x: (1.0 - np.tanh(A @ x) ** 2)[:, None] * A, (0.3, -0.6)),
    # y_i = x_i·Σx, R³ → R³:  ∂y_i/∂x_j = [i = j]·Σx + x_i
    JacobianCase(Formula("x ↦ x·Σx", lambda x: x * x.sum()),
                 lambda x: x.sum() * np.eye(x.size) + x[:, None] * np.ones(x.size), (1.0, 2.0, -0.5)),
    # y = Σx² as a vector of one, R³ → R¹:  J = 2xᵀ, one row
    JacobianCase(Formula("x ↦ [Σx²]", lambda x: (x * x).sum(keepdims=True)),
                 lambda x: 2.0 * x[None, :], (0.5, -1.5, 2.0)),
    # y = c·x with c = (2, −1, 0.5), R¹ → R³:  J = c, one column
    JacobianCase(Formula("x ↦ c·x, c = [2, -1, 0.5]", lambda x: x * C),
                 lambda x: C[:, None], (0.7,)),
    # y_i = exp(x_(n−1−i)) (reversed), R³ → R³: the diagonal matrix of exp(x), rows upside down
    JacobianCase(Formula("x ↦ exp(x) reversed", lambda x: x.exp()[::-1]),
                 lambda x: np.flipud(np.diag(np.exp(x))), (0.1, -0.2, 0.3)),
    # y = sin(x₀·x₁), R² → R¹:  J = cos(x₀x₁)·(x₁, x₀)
    JacobianCase(Formula("x ↦ [sin(x₀·x₁)]", lambda x: (x[0] * x[1]).sin().reshape(1)),
                 lambda x: np.cos(x[0] * x[1]) * np.array([[x[1], x[0]]]), (1.2, -0.4)),
]


def _as_matrix(fn: Callable, f: Formula, x: np.ndarray) -> Any:
    """What the learner's function returned, as a numpy array when it can be one."""
    got = fn(f, x.copy())
    if isinstance(got, Tensor):
        return got.data
    try:
        return np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return got


ex_columns = Exercise(
    "16.1 · The Jacobian, column by column (forward mode)",
    cases=[c.case() for c in CASES],
    run=_as_matrix,
    hints=(
        "Column j of J is J·e_j, where e_j is the j-th unit vector: `jvp(f, [x], [e_j])` returns the "
        "pair (f(x), J·e_j). One jvp per input: n of them.",
        "`e_j = np.zeros(x.size); e_j[j] = 1.0`, then `jvp(f, [x], [e_j])[1]` is column j. Collect the "
        "columns and put them side by side: `np.stack(columns, axis=1)` (axis=0 would give Jᵀ).",
    ),
    solution=("def jacobian_by_columns(f, x):\n"
              "    columns = []\n"
              "    for j in range(x.size):\n"
              "        e_j = np.zeros(x.size)\n"
              "        e_j[j] = 1.0\n"
              "        columns.append(jvp(f, [x], [e_j])[1])\n"
              "    return np.stack(columns, axis=1)"),
)

ex_rows = Exercise(
    "16.2 · The Jacobian, row by row (reverse mode)",
    cases=[c.case() for c in CASES],
    run=_as_matrix,
    hints=(
        "Row i of J is the gradient of the i-th output, y_i: record y = f(t) once, with "
        "`t = Tensor(x)`, then `grad(y[i], [t])` is one reverse pass. One per output: m of them.",
        "`grad` returns a tuple with one Tensor per input: take `grad(y[i], [t])[0].data`. Stack "
        "the rows on top of each other: `np.stack(rows)`.",
    ),
    solution=("def jacobian_by_rows(f, x):\n"
              "    t = Tensor(x)\n"
              "    y = f(t)\n"
              "    return np.stack([grad(y[i], [t])[0].data for i in range(y.size)])"),
)


# ----------------------------------------------------------------------
# 16.3 · Bytes by hand
# ----------------------------------------------------------------------
ex_bytes = Exercise(
    "16.3 · The bytes an MLP's graph keeps",
    cases=[
        ((1, [2, 3, 1]), 56),                  # 1·3·8 = 24, twice (linear, tanh); 1·1·8 = 8
        ((5, [3, 7]), 280),                    # one layer, no tanh: 5·7·8
        ((10, [4, 4, 4, 4]), 1600),            # five arrays of 10·4·8 = 320
        ((32, [64, 128, 10]), 68096),          # 32·128·8 = 32,768 twice; 32·10·8 = 2,560
        ((64, [64, 128, 64, 10]), 201728),     # 65,536 twice; 32,768 twice; 5,120
    ],
    hints=(
        "Each Linear layer's output is an array of batch × out_features float64 numbers, 8 bytes "
        "each; each tanh's output is another array of the same size. The last layer has no tanh "
        "after it. The input and the weights are leaves, not activations: leave them out.",
        "Go over the layers, `for i, out in enumerate(sizes[1:])`: add `8 * batch * out` for the "
        "linear layer, and the same again unless it is the last layer (`i < len(sizes) - 2`).",
    ),
    solution=("def activation_bytes(batch, sizes):\n"
              "    total = 0\n"
              "    for i, out in enumerate(sizes[1:]):\n"
              "        arrays = 2 if i < len(sizes) - 2 else 1   # linear and tanh; the last: linear\n"
              "        total += arrays * 8 * batch * out\n"
              "    return total"),
)


# ----------------------------------------------------------------------
# 16.4 · Every block under its own checkpoint
# ----------------------------------------------------------------------
@dataclass(frozen=True)
class Chain:
    """A case of 16.4: ``depth`` blocks h ↦ tanh(Linear(h)) of ``width``, on a seeded batch."""

    batch: int
    width: int
    depth: int
    seed: int

    @property
    def text(self) -> str:
        return (f"{self.depth} blocks h ↦ tanh(Linear({self.width}, {self.width})(h)), seeds "
                f"{self.seed}…{self.seed + self.depth - 1}, x of shape ({self.batch}, {self.width}); "
                "loss = (out * out).sum()")

    def build(self) -> tuple[list, list, Tensor]:
        layers = [tnn.Linear(self.width, self.width, rng=self.seed + k) for k in range(self.depth)]
        blocks = [(lambda h, layer=layer: layer(h).tanh()) for layer in layers]
        x = Tensor(np.random.default_rng(self.seed).normal(size=(self.batch, self.width)), requires_grad=False)
        return layers, blocks, x

    def __repr__(self) -> str:
        return "blocks, x"


def _run_checkpointed(fn: Callable, chain: Chain) -> Any:
    layers, blocks, x = chain.build()
    out = fn(blocks, x)
    if not isinstance(out, Tensor):
        return f"returned {type(out).__name__}, not the chain's output Tensor"
    loss = (out * out).sum()
    kept = saved_memory(loss).activations
    loss.backward()
    return {"loss": loss.item(), "weight gradients": [layer.weight.grad for layer in layers],
            "bias gradients": [layer.bias.grad for layer in layers], "bytes kept": kept}


def reference(chain: Chain) -> dict:
    """The loss and gradients of the chain with numpy, the backward pass written out by hand."""
    layers, _, x = chain.build()
    hs = [x.data]
    for layer in layers:                                   # forward: h_k = tanh(h_(k−1)·Wᵀ + b)
        hs.append(np.tanh(hs[-1] @ layer.weight.data.T + layer.bias.data))
    dh = 2.0 * hs[-1]                                      # ∂(Σ h²)/∂h
    weights, biases = [], []
    for layer, h_in, h_out in zip(reversed(layers), reversed(hs[:-1]), reversed(hs[1:])):
        dz = dh * (1.0 - h_out ** 2)                       # through tanh
        weights.append(dz.T @ h_in)                        # ∂L/∂W = δᵀ·h_in
        biases.append(dz.sum(axis=0))                      # ∂L/∂b = Σ over the rows of δ
        dh = dz @ layer.weight.data                        # ∂L/∂h_in = δ·W
    one = 8 * chain.batch * chain.width                    # bytes of one (batch, width) array
    return {"loss": float((hs[-1] ** 2).sum()), "weight gradients": weights[::-1],
            "bias gradients": biases[::-1], "bytes kept": (chain.depth + 1) * one + 8}


ex_checkpointed = DescribedExercise(
    "16.4 · Every block under its own checkpoint",
    inputs=[Chain(batch=4, width=3, depth=2, seed=0),
            Chain(batch=8, width=5, depth=4, seed=10),
            Chain(batch=2, width=6, depth=6, seed=20)],
    run=_run_checkpointed,
    expected=reference,
    row="chain",
    hints=(
        "`checkpoint(block, h)` computes `block(h)` but keeps only its output for the backward "
        "pass. Run the blocks one after another, each through `checkpoint`, starting from `x`.",
        "`h = x`, then `for block in blocks: h = checkpoint(block, h)`, and return `h`. Calling "
        "`block(h)` yourself records its graph (two arrays); `checkpoint_sequential` leaves its "
        "last piece unchecked (one array too many here).",
    ),
    solution=("def checkpointed(blocks, x):\n"
              "    h = x\n"
              "    for block in blocks:\n"
              "        h = checkpoint(block, h)\n"
              "    return h"),
)
