"""The exercises of lesson 03 · Computation graphs (notebooks/03_computation_graphs.ipynb).

* 3.1 ``count_nodes(root)``: how many distinct nodes (Vars) the graph has;
* 3.2 ``leaves(root)``: the labels of its leaves, the inputs;
* 3.3 ``forward_pass(root)``: after some leaves' values were changed,
  recompute every op node in topological order and return the new output.
  The check compares what it returns *and* which op nodes are left stale
  afterwards (a node whose ``.data`` is not its op applied to its operands'
  ``.data``): an evaluator that computes the right number without writing
  ``.data`` leaves every op node stale, and fails.

Each case hands the learner's function the output of a small graph, built
afresh for every check (``cases`` is a function) and copied for every call,
so a function that changes the graph spoils nothing. The output's label says
what the graph is, so that a counterexample reads
``count_nodes(Var(data=-8.0, grad=0.0, label='L = (a·b + c)·f'))``.

Expected values are worked out by hand, in the comments next to them (the
number of boxes in the drawing, the inputs' names, the arithmetic with the
new values), or for the tanh case with `math.tanh`; nothing runs a solution.
"""

from __future__ import annotations

import math

from typing import Any, Callable

from autodiff import Var, topological_order
from widgets.exercise import Exercise

from .common import named

__all__ = ["ex03_1", "ex03_2", "ex03_3"]


# ----------------------------------------------------------------------
# The graphs. Each returns its output and, by label, its leaves.
# ----------------------------------------------------------------------
def _single() -> tuple[Var, dict]:
    x = Var(3.0, label="x")
    return x, {"x": x}


def _product() -> tuple[Var, dict]:
    a, b = Var(2.0, label="a"), Var(-3.0, label="b")
    return named(a * b, "L = a·b"), {"a": a, "b": b}


def _twice() -> tuple[Var, dict]:
    a = Var(5.0, label="a")
    return named(a + a, "L = a + a"), {"a": a}


def _constant() -> tuple[Var, dict]:
    x = Var(4.0, label="x")
    return named(x * 2, "L = x·2"), {"x": x}


def _lecture() -> tuple[Var, dict]:
    a, b = Var(2.0, label="a"), Var(-3.0, label="b")
    c, f = Var(10.0, label="c"), Var(-2.0, label="f")
    e = named(a * b, "e")
    d = named(e + c, "d")
    return named(d * f, "L = (a·b + c)·f"), {"a": a, "b": b, "c": c, "f": f}


def _diamond() -> tuple[Var, dict]:
    a, b = Var(2.0, label="a"), Var(-3.0, label="b")
    c = named(a * b, "c")
    d = named(c + a, "d")
    return named(d * c, "L = d·c, d = c + a, c = a·b"), {"a": a, "b": b}


def _neuron() -> tuple[Var, dict]:
    x1, x2 = Var(2.0, label="x1"), Var(0.0, label="x2")
    w1, w2 = Var(-3.0, label="w1"), Var(1.0, label="w2")
    b = Var(6.8813735870195432, label="b")
    n = named(x1 * w1 + x2 * w2 + b, "n")
    return named(n.tanh(), "o = tanh(x1·w1 + x2·w2 + b)"), {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}


def _doubling() -> tuple[Var, dict]:
    x = Var(1.0, label="x")
    y = x
    for _ in range(10):
        y = y + y
    return named(y, "y = x, then y = y + y ten times"), {"x": x}


def _quotient() -> tuple[Var, dict]:
    a, b = Var(3.0, label="a"), Var(4.0, label="b")
    q = named(a / b, "q")
    p = named(a ** 2, "p")
    return named(q - p, "L = a / b − a**2"), {"a": a, "b": b}


def _softplus() -> tuple[Var, dict]:
    x = Var(2.0, label="x")
    return named((x.exp() + 1).log(), "L = log(exp(x) + 1)"), {"x": x}


def _changed(build, label: str, **values: float) -> Var:
    """Build a graph, then give some leaves new values: the op nodes still hold the old ones."""
    root, leaves = build()
    for name, value in values.items():
        leaves[name].data = value
    root.label += f", then {label}"
    return root


# ----------------------------------------------------------------------
# 3.1 · count_nodes
# ----------------------------------------------------------------------
def _count_cases() -> list:
    return [
        ((_single()[0],), 1),       # x alone: the output is a leaf
        ((_product()[0],), 3),      # a, b, a·b
        ((_twice()[0],), 2),        # a and a + a: a counts once
        ((_constant()[0],), 3),     # x, the constant 2 (a leaf too), x·2
        ((_lecture()[0],), 7),      # a, b, c, f, e, d, L
        ((_diamond()[0],), 5),      # a, b, c, d, L
        ((_neuron()[0],), 10),      # x1, w1, x2, w2, x1·w1, x2·w2, their sum, b, n, o
        ((_doubling()[0],), 11),    # x and ten sums
    ]


ex03_1 = Exercise(
    "3.1 · Count the nodes of a graph",
    cases=_count_cases,
    hints=(
        "Walk the graph from `root` through `.parents`, and remember every node you have met in a set: "
        "`seen = set()`. A Var can go in a set; two Vars are the same node only if they are the same "
        "object.",
        "Keep a list of nodes still to visit, starting with the root. Take one off the list; if it is "
        "already in `seen`, skip it; otherwise add it to `seen` and put its parents on the list. When "
        "the list is empty, `seen` holds every node the root depends on, and its size is the answer.",
        "Counting `1 + sum(count_nodes(p) for p in node.parents)` counts a shared node once per path "
        "to it: `a + a` gives 3 instead of 2, and ten doublings give 2047 instead of 11. The set is "
        "what makes each node count once.",
    ),
    solution=("def count_nodes(root):\n"
              "    seen, to_visit = set(), [root]\n"
              "    while to_visit:\n"
              "        node = to_visit.pop()\n"
              "        if node not in seen:\n"
              "            seen.add(node)\n"
              "            to_visit.extend(node.parents)\n"
              "    return len(seen)"),
)


# ----------------------------------------------------------------------
# 3.2 · leaves
# ----------------------------------------------------------------------
def _leaves_cases() -> list:
    return [
        ((_single()[0],), {"x"}),                              # the output itself is the leaf
        ((_product()[0],), {"a", "b"}),
        ((_twice()[0],), {"a"}),                               # a once, though used twice
        ((_lecture()[0],), {"a", "b", "c", "f"}),
        ((_diamond()[0],), {"a", "b"}),
        ((_neuron()[0],), {"x1", "x2", "w1", "w2", "b"}),
        ((_doubling()[0],), {"x"}),
    ]


def _same_labels(got, expected: set) -> bool:
    """A set of labels; a list or tuple counts too if it names each leaf once."""
    if isinstance(got, (set, frozenset)):
        return set(got) == expected
    if isinstance(got, (list, tuple)):
        return len(got) == len(set(got)) and set(got) == expected
    return False


ex03_2 = Exercise(
    "3.2 · The leaves of a graph",
    cases=_leaves_cases,
    hints=(
        "A leaf is a node with no parents: `not node.parents` (its `.op` is None too). Visit every "
        "node as in 3.1, and collect the `.label` of each leaf.",
        "Collect the labels in a set rather than a list: a leaf reached along two paths (the `a` of `a "
        "+ a`) is then named once. Remember the nodes already visited too, or a shared part of the "
        "graph is walked again and again.",
        "Don't forget the graph that is a single leaf: its root has no parents, so the root is the "
        "leaf.",
    ),
    solution=("def leaves(root):\n"
              "    found, seen, to_visit = set(), set(), [root]\n"
              "    while to_visit:\n"
              "        node = to_visit.pop()\n"
              "        if node in seen:\n"
              "            continue\n"
              "        seen.add(node)\n"
              "        if not node.parents:\n"
              "            found.add(node.label)\n"
              "        to_visit.extend(node.parents)\n"
              "    return found"),
    compare=_same_labels,
)


# ----------------------------------------------------------------------
# 3.3 · forward_pass
# ----------------------------------------------------------------------
def _forward_cases() -> list:
    return [
        # (3·(−3) + 10)·(−2) = 1·(−2)
        ((_changed(_lecture, "a = 3", a=3.0),), -2.0),
        # (1·1 + 1)·5
        ((_changed(_lecture, "a = b = c = 1, f = 5", a=1.0, b=1.0, c=1.0, f=5.0),), 10.0),
        # 7 + 7
        ((_changed(_twice, "a = 7", a=7.0),), 14.0),
        # c = 1·2 = 2, d = 2 + 1 = 3, L = 3·2
        ((_changed(_diamond, "a = 1, b = 2", a=1.0, b=2.0),), 6.0),
        # 6/3 − 6² = 2 − 36
        ((_changed(_quotient, "a = 6, b = 3", a=6.0, b=3.0),), -34.0),
        # log(e⁰ + 1) = log 2
        ((_changed(_softplus, "x = 0", x=0.0),), math.log(2.0)),
        # n = 2·(−3) + 0.5·2 + b = b − 5
        ((_changed(_neuron, "x2 = 0.5, w2 = 2", x2=0.5, w2=2.0),), math.tanh(6.8813735870195432 - 5.0)),
        # a leaf has nothing to recompute: its new value is the answer
        ((_changed(_single, "x = −1", x=-1.0),), -1.0),
    ]


def _stale_nodes(root: Var) -> list[str]:
    """The op nodes whose .data is not their op applied to their operands' .data, parents first.

    Named by label ("the output" for root, whose label is long here). The
    expected value of every case is the empty list: after a forward pass,
    every op node holds the value its operands give.
    """
    stale = []
    for node in topological_order(root):
        if node.parents:
            fresh = node.op.forward(*[p.data for p in node.parents])
            if not math.isclose(node.data, fresh, rel_tol=1e-12, abs_tol=1e-12):
                stale.append("the output" if node is root else node.label or "an unlabelled node")
    return stale


def _run_forward_pass(fn: Callable, root: Var) -> dict[str, Any]:
    returned = fn(root)
    return {"returned": returned, "stale nodes": _stale_nodes(root)}


ex03_3 = Exercise(
    "3.3 · The forward pass, again",
    cases=lambda: [(args, {"returned": value, "stale nodes": []}) for args, value in _forward_cases()],
    run=_run_forward_pass,
    hints=(
        "Visit the nodes so that each comes after its operands: that is the order "
        "`topological_order(root)` gives.",
        "A leaf already holds its new value: skip it. An op node's new value is its op applied to its "
        "operands' values: `node.op.forward` takes the operands' `.data`, in the order of "
        "`node.parents`. Store the result in the node's own `.data`: the nodes after it read it from "
        "there, and the check looks at every op node, not only at what you return.",
        "After the loop, the output's `.data` holds the new value: return it. Reading it before the "
        "loop gives the old, stale value.",
    ),
    solution=("def forward_pass(root):\n"
              "    for node in topological_order(root):\n"
              "        if node.parents:\n"
              "            node.data = node.op.forward(*[p.data for p in node.parents])\n"
              "    return root.data"),
)
