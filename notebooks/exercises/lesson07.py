"""The exercises of lesson 07 · A neuron (07_a_neuron.ipynb).

* `ex_sigmoid_derivative`: ``sigmoid_derivative(x)``, a number in, a number out;
* `ex_neuron_grads`: ``neuron_grads(x, w, b)``, the gradients of
  o = tanh(w·x + b) with ``backward()``, as a dict of numbers;
* `ex_tanh_via_exp`: ``tanh_via_exp(x)``, tanh built from ``exp`` and
  arithmetic on Vars, whose gradient must be that of ``.tanh()``.

Every expected value comes from the maths, written out here with the
``math`` module, never from the engine or from a solution:

* 7.1: σ'(x) = e⁻ˣ / (1 + e⁻ˣ)², the quotient rule on σ = 1 / (1 + e⁻ˣ)
  (a different form from the σ·(1 − σ) that the lesson derives);
* 7.2: with t = tanh(w·x + b): ∂o/∂wᵢ = (1 − t²)·xᵢ, ∂o/∂xᵢ = (1 − t²)·wᵢ and
  ∂o/∂b = 1 − t²;
* 7.3: the value tanh x and the slope 1 − tanh² x.

For 7.3 the learner's function takes a Var and returns a Var, so the check
calls it through `_run_tanh` (its ``run``): it makes a fresh ``Var(x)``,
calls the function, and turns what came back into the pair (value, d/dx)
with ``backward()``, or into a sentence saying what is wrong (not a Var, or the tanh op was used).
A counterexample therefore compares (value, gradient) pairs.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from autodiff import Var, topological_order
from widgets.exercise import Exercise, computed_cases

__all__ = ["ex_sigmoid_derivative", "ex_neuron_grads", "ex_tanh_via_exp"]


# ----------------------------------------------------------------------
# 7.1 · The derivative of the sigmoid
# ----------------------------------------------------------------------
def _sigmoid_slope(x: float) -> float:
    """σ'(x) by the quotient rule: e⁻ˣ / (1 + e⁻ˣ)²."""
    e = math.exp(-x)
    return e / (1.0 + e) ** 2


ex_sigmoid_derivative = Exercise(
    "7.1 · The derivative of the sigmoid",
    cases=computed_cases(_sigmoid_slope, (0.0, 2.0, -3.0, 0.5, 10.0, -10.0)),
    hints=(
        "First compute s = σ(x) = 1 / (1 + e⁻ˣ), with `math.exp(-x)` (or `autodiff.sigmoid(x)`, which "
        "gives a float for a float).",
        "The derivative is written in terms of the output: σ'(x) = σ(x)·(1 − σ(x)). Compute σ(x) once "
        "and use it twice.",
    ),
    solution=("def sigmoid_derivative(x):\n"
              "    s = 1 / (1 + math.exp(-x))\n"
              "    return s * (1 - s)"),
)


# ----------------------------------------------------------------------
# 7.2 · The gradients of a neuron
# ----------------------------------------------------------------------
def _neuron_case(x: list, w: list, b: float) -> tuple:
    t = math.tanh(sum(wi * xi for wi, xi in zip(w, x)) + b)
    slope = 1.0 - t * t                                  # d tanh(n)/dn
    expected = {"w": [slope * xi for xi in x], "b": slope, "x": [slope * wi for wi in w]}
    return (list(x), list(w), b), expected


ex_neuron_grads = Exercise(
    "7.2 · The gradients of a neuron",
    cases=[
        _neuron_case([2.0, 0.0], [-3.0, 1.0], 6.8813735870195432),   # the lecture's neuron
        _neuron_case([1.0], [0.5], 0.0),                            # one input
        _neuron_case([0.5, -1.0, 2.0], [0.1, 0.2, -0.3], 0.25),     # three inputs
        _neuron_case([1.0, 2.0], [2.0, 1.0], 1.0),                  # saturated: n = 5
        _neuron_case([0.0, 0.0], [1.5, -2.0], 0.0),                 # inputs 0: no weight gradient
    ],
    hints=(
        "Turn every number into a Var: the inputs, the weights and the bias. Build n = w·x + b with "
        "Var arithmetic (start from the bias and add each weight times its input, `zip` pairs them), "
        "then take the Var's tanh.",
        "Call `backward()` on the output, then read the `.grad` of each Var: a list for the weights, a "
        "number for the bias, a list for the inputs.",
        "Return a dict of numbers (`.grad` is a float), with exactly the keys \"w\", \"b\" and \"x\".",
    ),
    solution=("def neuron_grads(x, w, b):\n"
              "    xs = [Var(v) for v in x]\n"
              "    ws = [Var(v) for v in w]\n"
              "    bv = Var(b)\n"
              "    n = bv\n"
              "    for wi, xi in zip(ws, xs):\n"
              "        n = n + wi * xi\n"
              "    o = n.tanh()\n"
              "    o.backward()\n"
              "    return {\"w\": [v.grad for v in ws], \"b\": bv.grad, \"x\": [v.grad for v in xs]}"),
)


# ----------------------------------------------------------------------
# 7.3 · tanh from exp
# ----------------------------------------------------------------------
def _run_tanh(fn: Callable, x: "_Input") -> Any:
    """The learner's ``fn`` as the check calls it: a number x in, (value, d/dx) out."""
    v = Var(x.value, label="x")
    out = fn(v)
    if not isinstance(out, Var):
        return f"a {type(out).__name__}, not a Var: build the result from x with Var ops"
    if any(getattr(node.op, "name", None) == "tanh" for node in topological_order(out)):
        return "a graph with the tanh op in it: build tanh from exp, +, − and /"
    out.backward()
    return (out.data, v.grad)


class _Input:
    """The argument of a case: shown as the Var the learner's function receives."""

    def __init__(self, value: float) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Var({self.value!r})"


def _tanh_case(x: float) -> tuple:
    t = math.tanh(x)
    return ((_Input(x),), (t, 1.0 - t * t))


ex_tanh_via_exp = Exercise(
    "7.3 · tanh from exp",
    cases=[_tanh_case(x) for x in (0.0, 0.5, -1.2, 0.8813735870195432, 3.0, -5.0)],
    run=_run_tanh,
    hints=(
        "Use the formula tanh x = (e²ˣ − 1) / (e²ˣ + 1). Compute e²ˣ once, with Var operations: double "
        "x, then call the Var's `exp` method.",
        "Then combine it with `-`, `+` and `/`, as in the formula. Every piece is an op of the engine, "
        "so backward() can go through it; the check compares the value and the gradient with tanh's.",
    ),
    solution=("def tanh_via_exp(x):\n"
              "    e = (2 * x).exp()\n"
              "    return (e - 1) / (e + 1)"),
)
