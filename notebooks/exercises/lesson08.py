"""The exercises of lesson 08 · Modules and MLPs (notebooks/08_modules_and_mlps.ipynb).

* `ex_linear`: ``my_linear(x, W, b)``, a layer's outputs W·x + b as Vars;
* `ex_count`: ``count_parameters(sizes, bias=True)``, from layer sizes alone;
* `ex_build`: ``build_mlp(sizes, seed)``, Linear layers with tanh between them,
  initialised from one generator seeded with ``seed``.

Expected values never come from running a solution (the solutions here are
text, shown as the last rung of the hint ladder):

* 8.1: the outputs and gradients come from the formulas
  y_j = b_j + Σ_i W[j][i]·x_i, ∂L/∂W[j][i] = c_j·x_i and ∂L/∂b_j = c_j for
  L = Σ_j c_j·y_j with c_j = j + 1, evaluated on plain floats here;
* 8.2: the counts are worked out by hand from n_in·n_out + n_out per layer
  (the comment beside each case shows the sum);
* 8.3: `reference_mlp` below draws the initial weights itself, with
  `random.Random(seed)` in the order `autodiff.nn.Linear` documents (layer by
  layer; in a layer the weights row by row, then the biases, each uniform on
  ±1/√n_in), and evaluates the network with `math.tanh` on plain floats. It
  uses nothing from `autodiff.nn`.

The learner's function is called through a wrapper (the exercise's ``run``),
which turns the case's plain numbers into Vars where the function expects
Vars, calls it, and turns what it returned into plain numbers to compare
(values, gradients, parameter counts). A counterexample therefore shows the inputs as numbers and
what went wrong as numbers too.
"""

from __future__ import annotations

import math
import random
from typing import Any, Callable, Sequence

from autodiff import Var
from autodiff.nn import Module
from widgets.exercise import Exercise, computed_cases

from .common import kind

__all__ = ["ex_linear", "ex_count", "ex_build", "reference_mlp", "probe_batch"]


# ----------------------------------------------------------------------
# 8.1 · my_linear
# ----------------------------------------------------------------------
def _run_linear(fn: Callable, x: list, W: list, b: list) -> Any:
    """Call fn(x, W_vars, b_vars); backpropagate L = Σ_j (j+1)·y_j; report values and gradients."""
    W_vars = [[Var(w) for w in row] for row in W]
    b_vars = [Var(v) for v in b]
    y = fn(x, W_vars, b_vars)
    if not isinstance(y, (list, tuple)):
        return f"{kind(y)}, not a list of Vars"
    if not all(isinstance(v, Var) for v in y):
        bad = next(v for v in y if not isinstance(v, Var))
        return (f"a list holding {kind(bad)}, not only Vars: the graph is lost "
                "(did you use .data?)")
    if y:
        L = sum((v * (j + 1) for j, v in enumerate(y[1:], 1)), y[0] * 1)
        L.backward()
    return {"y": [v.data for v in y],
            "dL/dW": [[w.grad for w in row] for row in W_vars],
            "dL/db": [v.grad for v in b_vars]}


def _expected_linear(x: list, W: list, b: list) -> dict:
    """The formulas on plain floats: y_j = b_j + Σ_i W[j][i]·x_i, ∂L/∂W[j][i] = (j+1)·x_i, ∂L/∂b_j = j+1."""
    return {"y": [bj + sum(w * xi for w, xi in zip(row, x)) for row, bj in zip(W, b)],
            "dL/dW": [[(j + 1) * xi for xi in x] for j in range(len(W))],
            "dL/db": [float(j + 1) for j in range(len(W))]}


_LINEAR_CASES = [
    ([1.0, -2.0, 0.5], [[0.5, -1.0, 2.0], [0.0, 3.0, -0.5]], [0.1, -0.2]),   # y = [3.6, -6.45]
    ([2.0], [[3.0]], [1.0]),                                                 # y = [7]
    ([1.0, 2.0], [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, 0.0, 0.0]),     # 3 outputs from 2 inputs
    ([0.0, 0.0], [[1.5, -2.0]], [0.25]),                                     # x = 0: only the bias
    ([1.0, -1.0, 2.0, 0.5], [[0.2, 0.4, -0.6, 1.0], [-1.0, 0.0, 0.5, 2.0]], [0.0, 1.0]),
]

ex_linear = Exercise(
    "8.1 · A linear layer by hand: y = W·x + b",
    cases=computed_cases(_expected_linear, _LINEAR_CASES),
    run=_run_linear,
    hints=(
        "`W` has one row per output, as in PyTorch: `W[j]` holds the weights of output j (a list of "
        "`len(x)` Vars), and `b[j]` is its bias.",
        "Output j is a neuron: `b[j] + W[j][0]*x[0] + W[j][1]*x[1] + ...`. Build it with Var "
        "arithmetic (never `.data`), so that the checker's backward pass reaches W and b.",
        "Return a list with one Var per row of `W`: for row j, pair its weights with `x` (`zip`), add "
        "up the products, and add `b[j]`.",
    ),
    solution=(
        "def my_linear(x, W, b):\n"
        "    return [b_j + sum(w * xi for w, xi in zip(row, x))\n"
        "            for row, b_j in zip(W, b)]"
    ),
)


# ----------------------------------------------------------------------
# 8.2 · count_parameters
# ----------------------------------------------------------------------
ex_count = Exercise(
    "8.2 · Counting parameters from the layer sizes",
    cases=[
        (([2, 16, 16, 1],), 337),             # (2·16 + 16) + (16·16 + 16) + (16·1 + 1) = 48 + 272 + 17
        (([3, 1],), 4),                       # one neuron: 3 weights and a bias
        (([1, 1],), 2),
        (([2, 8, 8, 8, 2],), 186),            # 24 + 72 + 72 + 18
        (([784, 128, 10],), 101_770),         # 100,352 + 128 + 1,280 + 10
        (([2, 16, 16, 1], False), 304),       # no biases: 32 + 256 + 16
        (([3, 5, 2], False), 25),             # 15 + 10
        (([4],), 0),                          # only an input size: no layer at all
    ],
    hints=(
        "The layers connect consecutive sizes: `zip(sizes[:-1], sizes[1:])` gives the pairs "
        "`(n_in, n_out)`, one per Linear layer.",
        "A Linear(n_in, n_out) has `n_in * n_out` weights, plus `n_out` biases when `bias` is True. "
        "Add that up over the pairs.",
    ),
    solution=(
        "def count_parameters(sizes, bias=True):\n"
        "    return sum(n_in * n_out + (n_out if bias else 0)\n"
        "               for n_in, n_out in zip(sizes[:-1], sizes[1:]))"
    ),
)


# ----------------------------------------------------------------------
# 8.3 · build_mlp
# ----------------------------------------------------------------------
def probe_batch(n_in: int) -> list[list[float]]:
    """Three fixed samples of ``n_in`` features, on which a built network is evaluated."""
    return [[round(math.sin(1.3 * i + 0.7 * j) * 2.0, 3) for j in range(n_in)] for i in range(3)]


def reference_mlp(sizes: Sequence[int], seed: int, batch: list[list[float]]) -> list[list[float]]:
    """The outputs of the seeded tanh network, drawn and evaluated on plain floats, without autodiff.nn."""
    gen = random.Random(seed)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / math.sqrt(n_in)
        weight = [[gen.uniform(-bound, bound) for _ in range(n_in)] for _ in range(n_out)]
        bias = [gen.uniform(-bound, bound) for _ in range(n_out)]
        layers.append((weight, bias))
    outputs = []
    for sample in batch:
        h = list(sample)
        for k, (weight, bias) in enumerate(layers):
            h = [b + sum(w * v for w, v in zip(row, h)) for row, b in zip(weight, bias)]
            if k < len(layers) - 1:
                h = [math.tanh(v) for v in h]
        outputs.append(h)
    return outputs


def _run_build(fn: Callable, sizes: list, seed: int) -> Any:
    model = fn(sizes, seed)
    if not isinstance(model, Module):
        return f"{kind(model)}, not a module (an nn.MLP or an nn.Sequential)"
    out = model(probe_batch(sizes[0]))
    return {"parameters": len(model.parameters()),
            "outputs": [[v.data if isinstance(v, Var) else v for v in row] for row in out]}


def _expected_build(sizes: list, seed: int) -> dict:
    count = sum(fan_in * fan_out + fan_out for fan_in, fan_out in zip(sizes, sizes[1:]))
    return {"parameters": count, "outputs": reference_mlp(sizes, seed, probe_batch(sizes[0]))}


_BUILD_CASES = [([2, 16, 16, 1], 0), ([2, 4, 1], 1), ([3, 2], 7), ([1, 8, 8, 8, 2], 3), ([2, 16, 16, 1], 42)]

ex_build = Exercise(
    "8.3 · A seeded MLP with tanh",
    cases=computed_cases(_expected_build, _BUILD_CASES),
    run=_run_build,
    hints=(
        "One Linear per pair of consecutive sizes, `zip(sizes[:-1], sizes[1:])`, and an `nn.Tanh()` "
        "after every Linear except the last: the last layer gives scores, not squashed values.",
        "Seed ONE generator, `random.Random(seed)`, and pass that same generator as `rng=` to every "
        "Linear, so that the layers draw one after another. `rng=seed` on each layer would make every "
        "layer start from the same numbers, which is not what `nn.MLP` does.",
        "Put the layers, in order, in an `nn.Sequential`. (Or in one line: `nn.MLP` takes the input "
        "size, the list of the other sizes, `activation=` and `rng=`.)",
    ),
    solution=(
        "def build_mlp(sizes, seed):\n"
        "    gen = random.Random(seed)\n"
        "    layers = []\n"
        "    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):\n"
        "        layers.append(nn.Linear(n_in, n_out, rng=gen))\n"
        "        if k < len(sizes) - 2:\n"
        "            layers.append(nn.Tanh())\n"
        "    return nn.Sequential(*layers)\n"
        "\n"
        "# or: return nn.MLP(sizes[0], sizes[1:], activation='tanh', rng=seed)"
    ),
)
