"""The exercises of lesson 12 · Training end to end (notebooks/12_training_end_to_end.ipynb).

* `ex_clip`: ``clip_grad_norm(params, max_norm)``, gradient clipping by the global norm;
* `ex_train_step`: ``train_step(model, X, y, optimizer)``, one step of the training loop
  (zero_grad, forward, hinge loss, backward, step), returning the loss as a number.

Where the expected values come from (never from running a solution):

* 12.1: worked out by hand, in the comment next to each case (norms of
  Pythagorean-like vectors, so that every number is exact). The cases catch
  clipping each gradient on its own, rescaling when below the limit too, and
  a norm other than the Euclidean one.
* 12.2: `reference_losses`, a training step written here with plain floats and
  the backward pass derived by hand for a one-hidden-layer ReLU network and the
  hinge loss, with SGD (and momentum) written out too. It uses neither the
  engine's backward pass nor its optimizers; it reads only the initial weights
  of the seeded model, so both sides start from the same point.

A case of 12.2 is a `Setup`: a description and what it takes to build a fresh
seeded model, data and optimizer. The check builds them, calls the learner's
``train_step`` three times in a row and compares the three losses returned
with the reference's. Three calls, because a forgotten ``optimizer.step()``
shows as a loss that never changes and a forgotten ``zero_grad()`` only on the
third loss (the first step starts from zero gradients anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from autodiff.arguments import is_real
from autodiff.data import make_moons
from autodiff.nn import MLP
from autodiff.optim import SGD
from autodiff.var import Var
from widgets.exercise import Exercise

from .common import DescribedExercise

__all__ = ["ex_clip", "ex_train_step", "Setup", "reference_losses", "STEPS", "Grads"]

STEPS = 3   # calls of the learner's train_step per case


# ----------------------------------------------------------------------
# 12.1 · Clipping the gradient by its norm
# ----------------------------------------------------------------------
class Grads(list):
    """The gradients of a case's parameters: the learner's function gets fresh Vars holding them."""

    def __repr__(self) -> str:
        return "params with .grad " + list.__repr__(self)


def _run_clip(fn: Callable, grads: Grads, max_norm: float) -> dict[str, Any]:
    params = [Var(0.5 * k) for k in range(len(grads))]
    for param, g in zip(params, grads):
        param.grad = g
    returned = fn(params, max_norm)
    return {"returned": returned, "grads after": [param.grad for param in params]}


def _clip_case(grads: list, max_norm: float, norm: float, after: list) -> tuple:
    return (Grads(grads), max_norm), {"returned": norm, "grads after": after}


ex_clip = Exercise(
    "12.1 · Clipping the gradient by its norm",
    cases=[
        _clip_case([3.0, 4.0], 10.0, 5.0, [3.0, 4.0]),                 # ‖g‖ = 5 ≤ 10: unchanged
        _clip_case([3.0, 4.0], 1.0, 5.0, [0.6, 0.8]),                  # scaled by 1/5
        _clip_case([30.0, -40.0], 5.0, 50.0, [3.0, -4.0]),             # by 1/10: the signs stay
        _clip_case([1.0, 2.0, 2.0], 1.5, 3.0, [0.5, 1.0, 1.0]),        # by 1/2, every entry, even those below 1.5
        _clip_case([0.0, 0.0, 0.0], 1.0, 0.0, [0.0, 0.0, 0.0]),        # nothing to scale, no 0/0
        _clip_case([6.0, 8.0], 10.0, 10.0, [6.0, 8.0]),                # exactly at the limit: unchanged
        _clip_case([-12.0], 3.0, 12.0, [-3.0]),                        # one parameter
        _clip_case([2.0, -1.0, 4.0, 2.0, 0.0], 2.5, 5.0, [1.0, -0.5, 2.0, 1.0, 0.0]),   # √25, by 1/2
    ],
    run=_run_clip,
    hints=(
        "Measure all the gradients together, as one long vector: the Euclidean norm is the square "
        "root of the sum of the squares of every parameter's `.grad`.",
        "Only when that norm is above `max_norm`, multiply every `.grad` by the same factor, max_norm "
        "divided by the norm: the direction stays, the length becomes max_norm. Clipping each gradient "
        "on its own to ±max_norm changes the direction, and is not this.",
        "Change `.grad` on the Vars themselves (a new list of numbers changes nothing), and return "
        "the norm measured before clipping, as PyTorch's `clip_grad_norm_` does.",
    ),
    solution=("import math\n\n"
              "def clip_grad_norm(params, max_norm):\n"
              "    norm = math.sqrt(sum(p.grad ** 2 for p in params))\n"
              "    if norm > max_norm:\n"
              "        scale = max_norm / norm\n"
              "        for p in params:\n"
              "            p.grad *= scale\n"
              "    return norm"),
)


# ----------------------------------------------------------------------
# 12.2 · One training step: the reference
# ----------------------------------------------------------------------
def _weights(model: MLP) -> tuple[list[list[float]], list[float], list[float], float]:
    """(W1, b1, w2, b2) as plain floats, from an MLP(2, [H, 1])."""
    first, last = model.layers[0], model.layers[-1]
    return ([[w.data for w in row] for row in first.weight], [b.data for b in first.bias],
            [w.data for w in last.weight[0]], last.bias[0].data)


def reference_losses(model: MLP, X: list, y: list, lr: float, momentum: float, steps: int) -> list[float]:
    """The loss of each of ``steps`` training steps, computed with plain floats.

    The network is s = w2·relu(W1·x + b1) + b2 and the loss the mean hinge
    loss (1/N)·Σ max(0, 1 − y·s). Backward by hand: ∂loss/∂s = −y/N where the
    margin 1 − y·s is positive (else 0); then ∂w2 = Σ ∂s·h, ∂b2 = Σ ∂s, and
    through the ReLU (slope 1 where its input is positive, else 0) to W1, b1.
    SGD: b ← μ·b + g (b ← g at first), p ← p − γ·b; with μ = 0, p ← p − γ·g.
    """
    W1, b1, w2, b2 = _weights(model)
    params = [w for row in W1 for w in row] + b1 + w2 + [b2]
    hidden, n = len(b1), len(X)
    buffers: list[float] | None = None
    losses = []
    for _ in range(steps):
        W1 = [params[2 * i: 2 * i + 2] for i in range(hidden)]
        b1 = params[2 * hidden: 3 * hidden]
        w2 = params[3 * hidden: 4 * hidden]
        b2 = params[4 * hidden]
        grads = [0.0] * len(params)
        total = 0.0
        for x, t in zip(X, y):
            z = [W1[i][0] * x[0] + W1[i][1] * x[1] + b1[i] for i in range(hidden)]
            h = [max(zi, 0.0) for zi in z]
            s = sum(w2[i] * h[i] for i in range(hidden)) + b2
            margin = 1.0 - t * s
            total += max(margin, 0.0)
            if margin <= 0.0:
                continue
            ds = -t / n
            for i in range(hidden):
                grads[3 * hidden + i] += ds * h[i]              # ∂w2_i
                if z[i] > 0.0:
                    dz = ds * w2[i]
                    grads[2 * i] += dz * x[0]                  # ∂W1_i0
                    grads[2 * i + 1] += dz * x[1]              # ∂W1_i1
                    grads[2 * hidden + i] += dz                # ∂b1_i
            grads[4 * hidden] += ds                            # ∂b2
        losses.append(total / n)
        if momentum:
            buffers = list(grads) if buffers is None else [momentum * b + g for b, g in zip(buffers, grads)]
            params = [p - lr * b for p, b in zip(params, buffers)]
        else:
            params = [p - lr * g for p, g in zip(params, grads)]
    return losses


@dataclass(frozen=True)
class Setup:
    """A case of 12.2: data, a seeded MLP(2, [hidden, 1]) (ReLU) and SGD, built afresh by `build`."""

    points: int
    hidden: int
    seed: int
    lr: float
    momentum: float = 0.0

    @property
    def text(self) -> str:
        opt = f"SGD(lr={self.lr}" + (f", momentum={self.momentum})" if self.momentum else ")")
        return (f"make_moons({self.points}, noise=0.1, seed={self.seed}, labels=(-1, 1)), "
                f"MLP(2, [{self.hidden}, 1], rng={self.seed}), {opt}; train_step called {STEPS} times")

    def build(self) -> tuple[MLP, list, list, SGD]:
        X, y = make_moons(self.points, noise=0.1, seed=self.seed, labels=(-1, 1))
        model = MLP(2, [self.hidden, 1], rng=self.seed)
        return model, X, y, SGD(model.parameters(), lr=self.lr, momentum=self.momentum)

    def __repr__(self) -> str:
        return "model, X, y, optimizer"


def _run_train_step(fn: Callable, setup: Setup) -> Any:
    model, X, y, optimizer = setup.build()
    losses = []
    for k in range(1, STEPS + 1):
        loss = fn(model, X, y, optimizer)
        if isinstance(loss, Var):
            return f"call {k} returned a Var, not a number: return loss.data"
        if not is_real(loss) or isinstance(loss, bool):
            return f"call {k} returned {loss!r}, not the loss as a number"
        losses.append(float(loss))
    return losses


def _expected_train_step(setup: Setup) -> list[float]:
    model, X, y, _ = setup.build()
    return reference_losses(model, X, y, setup.lr, setup.momentum, STEPS)


ex_train_step = DescribedExercise(
    "12.2 · One training step",
    inputs=[Setup(points=8, hidden=3, seed=0, lr=0.5),
            Setup(points=12, hidden=4, seed=3, lr=0.2),
            Setup(points=10, hidden=5, seed=7, lr=0.1, momentum=0.9)],
    run=_run_train_step,
    expected=_expected_train_step,
    row="setup",   # a wrong case shows the setup in words
    hints=(
        "Follow the loop above, in its order: clear the gradients through the optimizer, compute the "
        "hinge loss of the model's scores on X against y, backpropagate from that loss, and let the "
        "optimizer take its step.",
        "Return the loss as a number, its `.data`, not the Var. Clear the gradients *first*: they add "
        "up across calls otherwise, and the third loss comes out wrong.",
    ),
    solution=("def train_step(model, X, y, optimizer):\n"
              "    optimizer.zero_grad()\n"
              "    loss = hinge_loss(model(X), y)\n"
              "    loss.backward()\n"
              "    optimizer.step()\n"
              "    return loss.data"),
)
