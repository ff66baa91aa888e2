"""The exercises of lesson 15 · A digit classifier (notebooks/15_a_digit_classifier.ipynb).

* `ex_batch_cross_entropy`: ``batch_cross_entropy(logits, targets)``, the mean
  softmax cross-entropy of a batch and its gradient with respect to the
  logits, in numpy, for logits as large as 1000;
* `ex_train_step`: ``train_step(model, X_batch, y_batch, optimizer)``, one
  step of training a Tensor MLP with cross-entropy, returning the loss as a
  number;
* `ex_confusion`: ``my_confusion_matrix(targets, predictions, num_classes)``,
  the counts of (true class, predicted class) pairs.

Where the expected values come from (never from running a solution):

* 15.1, the loss: `reference_loss`, written here in plain Python, one row at
  a time with `math` and `math.fsum`: for each row, log Σ_j e^(z_j) as
  m + log Σ_j e^(z_j − m) with m the row's largest logit, minus the target's
  logit, then the mean over the rows. No numpy, no engine.
  The gradient: central differences of that same plain-Python loss,
  (L(z + ε·e_ij) − L(z − ε·e_ij)) / 2ε with ε = 10⁻⁶ for every entry (i, j):
  it uses nothing but the definition of the loss, not the formula
  (softmax − onehot)/B the lesson derives. Its error is at most
  ε²/6·|L'''| (about 10⁻¹³ here) plus round-off of about
  2.2·10⁻¹⁶·|L|/ε (at most 10⁻⁷, in the case with logits of ±1000, where
  L = 500), well inside the exercise's absolute tolerance of 10⁻⁶. Two cases
  can also be checked by hand, in the comments next to them.
* 15.2: `reference_losses`, the network, its backward pass and Adam written
  out in numpy: forward h = relu(x·W1ᵀ + b1), z = h·W2ᵀ + b2; the loss as in
  15.1; the backward pass derived by hand (∂L/∂z = (softmax(z) − onehot)/B,
  then through the second layer, the ReLU and the first layer); and Adam in
  the paper's form (Kingma and Ba, Algorithm 1: m̂ = m/(1 − β₁ᵗ),
  v̂ = v/(1 − β₂ᵗ), p ← p − γ·m̂/(√v̂ + ε)), which is not how
  `autodiff.optim.Adam` arranges the arithmetic. It uses neither the
  engine's backward pass nor its optimizer; it reads only the initial weights
  of the seeded model, so both sides start from the same point.
* 15.3: counted by hand, in the comment next to each case.

A case of 15.2 is a `Setup`: the first images of the digits, a seeded
MLP(64, [hidden, 10]) and Adam, built afresh for every call of the check. The
check calls the learner's ``train_step`` on three batches in a row and
compares the three losses with the reference's: a forgotten
``optimizer.step()`` shows as the same model on every batch, a forgotten
``zero_grad()`` from the third loss on (the first step starts from zero
gradients, and the second loss is measured before the second update).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Optional

import numpy as np

from autodiff.arguments import is_real
from autodiff.data import load_digits
from autodiff.optim import Adam
from autodiff.tensor import Tensor
from autodiff.tensor import nn as tnn
from widgets.exercise import Exercise, computed_cases

from .common import DescribedExercise, kind

__all__ = ["ex_batch_cross_entropy", "ex_confusion", "ex_train_step", "reference_loss",
           "numeric_gradient", "reference_losses", "Setup", "STEPS"]

STEPS = 3        # calls of the learner's train_step per case of 15.2
EPS = 1e-6       # the step of the central differences of 15.1


def _number(value: Any) -> Optional[float]:
    """``value`` as a float if it is a real number (numpy's and 0-d arrays too), else None."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    return float(value) if is_real(value) else None


# The messages below stand in for what a learner's function returned, in the row "got" of a
# counterexample, which shortens strings past 80 characters: each message is shorter than that.


# ----------------------------------------------------------------------
# 15.1 · The cross-entropy of a batch, and its gradient
# ----------------------------------------------------------------------
def reference_loss(logits: list[list[float]], targets: list[int]) -> float:
    """The mean over rows of log Σ_j e^(z_j) − z_target, in plain Python (max subtracted first)."""
    terms = []
    for row, target in zip(logits, targets):
        m = max(row)
        log_sum = m + math.log(math.fsum(math.exp(z - m) for z in row))
        terms.append(log_sum - row[target])
    return math.fsum(terms) / len(terms)


def numeric_gradient(logits: list[list[float]], targets: list[int], eps: float = EPS) -> list[list[float]]:
    """∂L/∂z for every logit, by central differences of `reference_loss`."""
    grad = []
    for i, row in enumerate(logits):
        grad_row = []
        for j in range(len(row)):
            up = [list(r) for r in logits]
            down = [list(r) for r in logits]
            up[i][j] += eps
            down[i][j] -= eps
            grad_row.append((reference_loss(up, targets) - reference_loss(down, targets)) / (2 * eps))
        grad.append(grad_row)
    return grad


def _expected_cross_entropy(logits: np.ndarray, targets: np.ndarray) -> dict:
    rows, classes = logits.tolist(), targets.tolist()
    return {"loss": reference_loss(rows, classes), "grad": np.array(numeric_gradient(rows, classes))}


def _run_cross_entropy(fn: Callable, logits: np.ndarray, targets: np.ndarray) -> Any:
    returned = fn(logits, targets)
    if not isinstance(returned, (tuple, list)) or len(returned) != 2:
        return f"{kind(returned)}: return the pair (loss, grad)"
    loss, grad = returned
    number = _number(loss)
    if isinstance(loss, Tensor):
        loss = "the loss is a Tensor: this is numpy, return a number"
    elif number is None:
        loss = f"the loss is {kind(loss)}, not a number"
    else:
        loss = number
    if isinstance(grad, Tensor):
        grad = "grad is a Tensor: this is numpy, return an array"
    else:
        try:
            array = np.asarray(grad, dtype=float)
        except (TypeError, ValueError):
            grad = f"grad is {kind(grad)}, not an array of numbers"
        else:
            grad = (array if array.shape == logits.shape
                    else f"grad has shape {array.shape}, not the logits' shape {logits.shape}")
    return {"loss": loss, "grad": grad}


def _describe_batch(logits: np.ndarray, targets: np.ndarray) -> str:
    return f"logits {logits.tolist()}, targets {targets.tolist()}"


_CROSS_ENTROPY_CASES = [
    (np.array([[2.0, 1.0, 0.1]]), np.array([0])),
    (np.zeros((4, 5)), np.array([0, 1, 2, 3])),              # by hand: loss log 5, grad (1/5 − onehot)/4
    (np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]), np.array([2, 0])),
    (np.array([[1000.0, 0.0, -1000.0], [-500.0, 500.0, 0.0]]), np.array([1, 1])),
    # by hand: row 1 costs 1000 − 0, row 2 costs 500 − 500 = 0 (up to e^−500): the mean is 500
    (np.array([[0.5, -1.25, 2.0, 0.0], [3.0, 3.0, -2.0, 1.5], [-0.75, 0.25, 1.0, -3.0]]), np.array([3, 0, 2])),
]

ex_batch_cross_entropy = Exercise(
    "15.1 · The cross-entropy of a batch, and its gradient",
    cases=computed_cases(_expected_cross_entropy, _CROSS_ENTROPY_CASES),
    run=_run_cross_entropy,
    detail=("batch", _describe_batch),
    abs_tol=1e-6,
    hints=(
        "Work on whole rows at once. `logits.max(axis=1, keepdims=True)` is the largest logit of each "
        "row as a (B, 1) column; subtract it, and `np.exp` cannot overflow. Then "
        "log_softmax = shifted − log Σ exp(shifted), with the sum along axis=1 (keepdims=True again).",
        "The loss picks one log-probability per row: `log_p[np.arange(B), targets]` (row i, column "
        "targets[i]), negated and averaged with `.mean()`. The gradient is softmax − onehot, divided "
        "by B because the loss is a mean: start from `np.exp(log_p)` and subtract 1 at "
        "`[np.arange(B), targets]`.",
        "Return a pair: the loss as a number (`float(...)`) and the gradient as an array of the "
        "logits' shape. Forgetting `/ B` makes the gradient B times too large.",
    ),
    solution=("def batch_cross_entropy(logits, targets):\n"
              "    B = len(targets)\n"
              "    rows = np.arange(B)\n"
              "    shifted = logits - logits.max(axis=1, keepdims=True)\n"
              "    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))\n"
              "    loss = -log_p[rows, targets].mean()\n"
              "    grad = np.exp(log_p)\n"
              "    grad[rows, targets] -= 1.0\n"
              "    return float(loss), grad / B"),
)


# ----------------------------------------------------------------------
# 15.2 · One training step on Tensors: the reference
# ----------------------------------------------------------------------
def reference_losses(model: tnn.MLP, batches: list[tuple[np.ndarray, np.ndarray]], lr: float,
                     betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> list[float]:
    """The loss of each batch, training an MLP(64, [H, 10]) with Adam, all in numpy by hand."""
    first, last = model.layers[0], model.layers[-1]
    params = [first.weight.data.copy(), first.bias.data.copy(), last.weight.data.copy(), last.bias.data.copy()]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    beta1, beta2 = betas
    losses = []
    for t, (x, y) in enumerate(batches, 1):
        W1, b1, W2, b2 = params
        pre = x @ W1.T + b1                               # (B, H)
        h = np.maximum(pre, 0.0)
        z = h @ W2.T + b2                                 # (B, 10)
        losses.append(reference_loss(z.tolist(), y.tolist()))
        shifted = z - z.max(axis=1, keepdims=True)
        softmax = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        dz = softmax.copy()
        dz[np.arange(len(y)), y] -= 1.0
        dz /= len(y)                                      # ∂L/∂z = (softmax − onehot)/B
        dpre = (dz @ W2) * (pre > 0)                      # back through the ReLU
        grads = [dpre.T @ x, dpre.sum(axis=0), dz.T @ h, dz.sum(axis=0)]
        for k, g in enumerate(grads):
            m[k] = beta1 * m[k] + (1 - beta1) * g
            v[k] = beta2 * v[k] + (1 - beta2) * g * g
            m_hat = m[k] / (1 - beta1 ** t)
            v_hat = v[k] / (1 - beta2 ** t)
            params[k] = params[k] - lr * m_hat / (np.sqrt(v_hat) + eps)
    return losses


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    """`load_digits()`, read once; read-only, so that no caller can change it for the next."""
    X, y = load_digits()
    X.flags.writeable = y.flags.writeable = False
    return X, y


@dataclass(frozen=True)
class Setup:
    """A case of 15.2: STEPS batches of ``batch`` digits, MLP(64, [hidden, 10], rng=seed), Adam(lr)."""

    batch: int
    hidden: int
    seed: int
    lr: float

    @property
    def text(self) -> str:
        return (f"the first {STEPS * self.batch} digits (pixels / 16) in {STEPS} batches of {self.batch}, "
                f"MLP(64, [{self.hidden}, 10], rng={self.seed}), Adam(lr={self.lr}); "
                f"train_step called once per batch")

    def data(self) -> list[tuple[np.ndarray, np.ndarray]]:
        X, y = _digits()
        n = self.batch
        return [(X[k * n:(k + 1) * n] / 16.0, y[k * n:(k + 1) * n]) for k in range(STEPS)]

    def model(self) -> tnn.MLP:
        return tnn.MLP(64, [self.hidden, 10], rng=self.seed)

    def __repr__(self) -> str:
        return "model, X_batch, y_batch, optimizer"


def _run_train_step(fn: Callable, setup: Setup) -> Any:
    model = setup.model()
    optimizer = Adam(model.parameters(), lr=setup.lr)
    losses = []
    for k, (x, y) in enumerate(setup.data(), 1):
        loss = fn(model, Tensor(x, requires_grad=False), y, optimizer)
        number = _number(loss)
        if number is None:
            return f"call {k} returned {kind(loss)}, not a number: return loss.item()"
        losses.append(number)
    return losses


def _expected_train_step(setup: Setup) -> list[float]:
    return reference_losses(setup.model(), setup.data(), setup.lr)


ex_train_step = DescribedExercise(
    "15.2 · One training step on Tensors",
    inputs=[Setup(batch=16, hidden=8, seed=0, lr=1e-2),
            Setup(batch=32, hidden=16, seed=3, lr=5e-2),
            Setup(batch=10, hidden=12, seed=7, lr=1e-3)],
    run=_run_train_step,
    expected=_expected_train_step,
    row="setup",
    hints=(
        "The same four lines as every training loop since lesson 12, on a whole batch at once: "
        "`optimizer.zero_grad()`, `loss = losses.cross_entropy(model(X_batch), y_batch)`, "
        "`loss.backward()`, `optimizer.step()`.",
        "Return the loss as a Python number: `loss.item()`, not the Tensor. Zero the gradients "
        "*first*: they add up across calls otherwise, and the third loss comes out wrong.",
    ),
    solution=("def train_step(model, X_batch, y_batch, optimizer):\n"
              "    optimizer.zero_grad()\n"
              "    loss = losses.cross_entropy(model(X_batch), y_batch)\n"
              "    loss.backward()\n"
              "    optimizer.step()\n"
              "    return loss.item()"),
)


# ----------------------------------------------------------------------
# 15.3 · A confusion matrix
# ----------------------------------------------------------------------
def _run_confusion(fn: Callable, targets: np.ndarray, predictions: np.ndarray, num_classes: int) -> Any:
    returned = fn(targets, predictions, num_classes)
    if isinstance(returned, Tensor):
        return "a Tensor: return a numpy array (or a list of rows) of counts"
    try:
        counts = np.asarray(returned, dtype=float)
    except (TypeError, ValueError):
        return f"{kind(returned)}, not a table of counts"
    if counts.shape != (num_classes, num_classes):
        return f"a table of shape {counts.shape}, not num_classes × num_classes = {(num_classes, num_classes)}"
    return counts


ex_confusion = Exercise(
    "15.3 · A confusion matrix",
    cases=[
        ((np.array([0, 1, 2]), np.array([0, 1, 2]), 3),
         np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]])),             # all right: the diagonal
        ((np.array([2, 0, 1, 2, 1]), np.array([2, 1, 1, 0, 1]), 3),
         np.array([[0, 1, 0], [0, 2, 0], [1, 0, 1]])),             # a 0 called 1, a 2 called 0
        ((np.array([1, 1, 1, 0]), np.array([2, 2, 2, 0]), 3),
         np.array([[1, 0, 0], [0, 0, 3], [0, 0, 0]])),             # the same mistake three times
        ((np.array([0, 0]), np.array([1, 1]), 4),
         np.array([[0, 2, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])),  # classes 2, 3 never seen
        ((np.array([3, 0, 3, 1, 2, 3]), np.array([0, 3, 3, 1, 2, 0]), 4),
         np.array([[0, 0, 0, 1], [0, 1, 0, 0], [0, 0, 1, 0], [2, 0, 0, 1]])),  # 3 called 0 twice
    ],
    run=_run_confusion,
    hints=(
        "Start from `np.zeros((num_classes, num_classes), dtype=int)`: every class gets a row and a "
        "column, even one that never appears. Then go through the samples: each one adds 1 to the "
        "entry at row = its true class, column = its predicted class.",
        "A plain loop is right: `for t, p in zip(targets, predictions): counts[t, p] += 1`. The "
        "one-liner `counts[targets, predictions] += 1` is *not*: when the same (t, p) pair occurs "
        "twice, numpy adds 1 only once. `np.add.at(counts, (targets, predictions), 1)` adds every one.",
    ),
    solution=("def my_confusion_matrix(targets, predictions, num_classes):\n"
              "    counts = np.zeros((num_classes, num_classes), dtype=int)\n"
              "    for t, p in zip(targets, predictions):\n"
              "        counts[t, p] += 1\n"
              "    return counts"),
)
