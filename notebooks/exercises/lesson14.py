"""The exercises of lesson 14 · From scalars to tensors (14_from_scalars_to_tensors.ipynb).

* `ex14_1`: ``unbroadcast(grad, shape)``, a gradient summed back to the
  shape of the operand that numpy broadcast;
* `ex14_2`: ``matmul_vjp(x, W, grad_y)``, both gradients of ``y = x @ W``;
* `ex14_3`: ``linear_vjp(x, W, b, grad_y)``, the three gradients of a batched
  layer ``y = x @ Wᵀ + b``.

Every expected value comes from the definitions, never from a learner's
solution nor from a matrix formula the learner is asked to find:

* `uses_summed` (14.1) walks every entry of the broadcast gradient, finds
  the one entry of the operand it was a copy of, and adds it there: "every
  use of a value adds its share", entry by entry, with no axis arithmetic;
* `matmul_by_entries` (14.2, 14.3) differentiates L = Σₙⱼ gₙⱼ·yₙⱼ with
  yₙⱼ = Σᵢ xₙᵢ·Wᵢⱼ one entry at a time: ∂L/∂Wᵢⱼ = Σₙ xₙᵢ·gₙⱼ and
  ∂L/∂xₙᵢ = Σⱼ gₙⱼ·Wᵢⱼ, in plain Python loops.

Two cases of each exercise are also worked by hand in the comments, and
tests/test_lesson14_exercises.py checks the references against PyTorch.
"""

from __future__ import annotations

import itertools

import numpy as np

from widgets.exercise import Exercise, computed_cases

__all__ = ["ex14_1", "ex14_2", "ex14_3", "uses_summed", "matmul_by_entries", "linear_by_entries"]


def _array(rows: list) -> np.ndarray:
    return np.array(rows, dtype=float)


# ----------------------------------------------------------------------
# 14.1 · Summing a gradient back to its operand's shape
# ----------------------------------------------------------------------
def uses_summed(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """∂L/∂operand when the operand of ``shape`` was broadcast to ``grad.shape``.

    Entry by entry: the entry at ``index`` of the broadcast array was a copy
    of the operand's entry found by dropping the leading axes numpy added and
    reading 0 on every axis of size 1; its gradient is added there.
    """
    total = np.zeros(shape)
    extra = grad.ndim - len(shape)
    for index in itertools.product(*(range(n) for n in grad.shape)):
        source = tuple(0 if size == 1 else i for i, size in zip(index[extra:], shape))
        total[source] += grad[index]
    return total


G23 = _array([[1, 2, 3], [4, 5, 6]])

ex14_1 = Exercise(
    "14.1 · Summing a gradient back to its operand's shape",
    cases=[
        ((G23, (3,)), _array([5, 7, 9])),          # a bias added to 2 rows: each column summed
        ((G23, (2, 1)), _array([[6], [15]])),      # a column stretched across 3 columns: rows summed
    ] + computed_cases(uses_summed, [
        (G23, (1, 3)),                             # the size-1 axis stays, as a 1
        (G23, ()),                                 # a scalar used 6 times: everything summed
        (G23, (1, 1)),
        (G23, (2, 3)),                             # no broadcasting: the gradient as it is
        (np.arange(24.0).reshape(2, 3, 4), (3, 4)),
        (np.arange(24.0).reshape(2, 3, 4), (3, 1)),
        (np.arange(24.0).reshape(2, 3, 4), (2, 1, 4)),
    ]),
    hints=(
        "Two kinds of axes were stretched. Axes numpy added in front (the operand has fewer "
        "dimensions than `grad`) are summed away: `grad.sum(axis=0)` as many times as needed. Then "
        "every axis where `shape` has a 1 but `grad` does not is summed with `keepdims=True`, so "
        "it stays as a 1.",
        "In code: `while grad.ndim > len(shape): grad = grad.sum(axis=0)`, then "
        "`for axis, size in enumerate(shape): if size == 1 and grad.shape[axis] != 1: "
        "grad = grad.sum(axis=axis, keepdims=True)`.",
        "Return an array of exactly `shape`: for `shape == ()` that is a 0-d array (or a number), "
        "and for `(1, 3)` the 1 must still be there: compare `grad.shape` with `shape` to see.",
    ),
    solution=("def unbroadcast(grad, shape):\n"
              "    while grad.ndim > len(shape):\n"
              "        grad = grad.sum(axis=0)\n"
              "    for axis, size in enumerate(shape):\n"
              "        if size == 1 and grad.shape[axis] != 1:\n"
              "            grad = grad.sum(axis=axis, keepdims=True)\n"
              "    return grad"),
)


# ----------------------------------------------------------------------
# 14.2 · The VJP of a matrix product
# ----------------------------------------------------------------------
def matmul_by_entries(x: np.ndarray, W: np.ndarray, grad_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(∂L/∂x, ∂L/∂W) for y = x @ W and L = Σ grad_y ⊙ y, one entry at a time."""
    n_rows, n_in = x.shape
    n_out = W.shape[1]
    grad_x, grad_W = np.zeros(x.shape), np.zeros(W.shape)
    for n, i, j in itertools.product(range(n_rows), range(n_in), range(n_out)):
        # yₙⱼ contains the term xₙᵢ·Wᵢⱼ; L contains gₙⱼ·yₙⱼ
        grad_x[n, i] += grad_y[n, j] * W[i, j]
        grad_W[i, j] += x[n, i] * grad_y[n, j]
    return grad_x, grad_W


X13 = _array([[1, 2, 3]])
W32 = _array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
G12 = _array([[1, -1]])
RNG = np.random.default_rng(14)

ex14_2 = Exercise(
    "14.2 · The VJP of a matrix product",
    cases=[
        # one row: ∂L/∂Wᵢⱼ = xᵢ·gⱼ and ∂L/∂xᵢ = Σⱼ gⱼ·Wᵢⱼ = Wᵢ₀ − Wᵢ₁
        ((X13, W32, G12), (_array([[-0.1, -0.1, -0.1]]), _array([[1, -1], [2, -2], [3, -3]]))),
    ] + computed_cases(matmul_by_entries, [
        (_array([[1, 2, 3], [4, 5, 6]]), W32, _array([[1, 0], [0, 1]])),
        (_array([[1, 0], [0, 1]]), _array([[2, 3, 4], [5, 6, 7]]), _array([[1, 1, 1], [2, 2, 2]])),
        (RNG.normal(size=(4, 3)), RNG.normal(size=(3, 5)), RNG.normal(size=(4, 5))),
        (RNG.normal(size=(1, 1)), RNG.normal(size=(1, 4)), RNG.normal(size=(1, 4))),
    ]),
    hints=(
        "Unroll it as the graph above did: yₙⱼ = Σᵢ xₙᵢ·Wᵢⱼ, so Wᵢⱼ is used once in every row n, "
        "with xₙᵢ as its multiplier, and each use passes back gₙⱼ·xₙᵢ. Summed over the rows, "
        "∂L/∂Wᵢⱼ = Σₙ xₙᵢ·gₙⱼ: row i of xᵀ times column j of g.",
        "So `grad_W = x.T @ grad_y`, of W's shape (in, out). The same reasoning for x: xₙᵢ meets "
        "Wᵢⱼ in every output j, so ∂L/∂xₙᵢ = Σⱼ gₙⱼ·Wᵢⱼ, which is `grad_y @ W.T`, of x's shape.",
        "Return the pair in the order asked: `(grad_x, grad_W)`. Check the shapes: grad_x must be "
        "x.shape and grad_W must be W.shape; if one comes out transposed, the factors are in the "
        "wrong order.",
    ),
    solution=("def matmul_vjp(x, W, grad_y):\n"
              "    return grad_y @ W.T, x.T @ grad_y"),
)


# ----------------------------------------------------------------------
# 14.3 · A whole layer's backward pass
# ----------------------------------------------------------------------
def linear_by_entries(x: np.ndarray, W: np.ndarray, b: np.ndarray,
                      grad_y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(∂L/∂x, ∂L/∂W, ∂L/∂b) for y = x @ Wᵀ + b (W of shape (out, in)), entry by entry.

    The layer is the matrix product with Wᵀ, so W's gradient is the product's
    transposed; the bias is used once per row, so its uses are summed.
    """
    grad_x, grad_W_transposed = matmul_by_entries(x, W.T, grad_y)
    return grad_x, grad_W_transposed.T, uses_summed(grad_y, b.shape)


ex14_3 = Exercise(
    "14.3 · A whole layer's backward pass",
    cases=[
        # one row, W = [[1, 2], [3, 4]], g = [1, 1]: ∂L/∂x = g·W = [4, 6]; ∂L/∂W = gᵀ·x; ∂L/∂b = g
        ((_array([[1, -1]]), _array([[1, 2], [3, 4]]), _array([0.5, 0.5]), _array([[1, 1]])),
         (_array([[4, 6]]), _array([[1, -1], [1, -1]]), _array([1, 1]))),
    ] + computed_cases(linear_by_entries, [
        (_array([[1, 2, 3], [4, 5, 6]]), _array([[1, 0, -1], [2, 1, 0]]), _array([0.1, 0.2]),
         _array([[1, 2], [3, 4]])),
        (RNG.normal(size=(5, 3)), RNG.normal(size=(4, 3)), RNG.normal(size=(4,)), RNG.normal(size=(5, 4))),
        (RNG.normal(size=(1, 2)), RNG.normal(size=(1, 2)), RNG.normal(size=(1,)), RNG.normal(size=(1, 1))),
    ]),
    hints=(
        "y = x @ Wᵀ + b is two ops: a matrix product with Wᵀ, then a broadcast add of b. Your "
        "answers to 14.2 and 14.1 do each half: `matmul_vjp(x, W.T, grad_y)` gives ∂L/∂x and "
        "∂L/∂(Wᵀ), and `unbroadcast(grad_y, b.shape)` gives ∂L/∂b.",
        "∂L/∂(Wᵀ) has the shape of Wᵀ, (in, out); transpose it back to W's (out, in): "
        "`grad_W = grad_y.T @ x`. The bias is added to every row, so its gradient sums the rows: "
        "`grad_y.sum(axis=0)`.",
        "Return `(grad_x, grad_W, grad_b)`, shaped like x, W and b.",
    ),
    solution=("def linear_vjp(x, W, b, grad_y):\n"
              "    return grad_y @ W, grad_y.T @ x, grad_y.sum(axis=0)"),
)
