"""The exercises of lesson 05 · Implementing backward (05_implementing_backward.ipynb).

* `ex_topo_sort`: ``topo_sort(root)``, a topological order without recursion;
* `ex_backward`: ``my_backward(root)``, reverse mode from the op table, with ``+=``;
* `ex_tangents` (optional): ``forward_tangents(root, tangents)``, forward mode
  over the same graph: each node's tangent from its parents', parents first.

The learner's functions work on a graph: they take a Var (or a list of Vars)
and return a list, or change ``.grad`` in place. So a case's argument is not a
Var but a `Graph` (or a `Seeded` graph): a description and a function that builds the
graph, every node labelled, the output always called ``L``. The exercise
(`common.DescribedExercise`) builds the graph afresh for every call, hands
the learner's function the Var(s) it expects, and turns what the function
did into a value to compare: a verdict on the order it returned, or the
gradient of every node. A wrong case shows the graph in words under the
inputs.

Every case is there for a misconception (tests/test_exercise_wrong_answers.py
lists them, each one rejected): `=` instead of ``+=`` fails ``a + a``; a
reversed breadth-first order fails SKIP, where x is both one and three steps
from L; a breadth-first backward that passes each node on when first reached
fails SWAPPED, the diamond with L = c·d, where c passes on before d's share
has reached it (∂L/∂a = 6 instead of 24); and passing gradients along every
path, which gets the numbers right with exponential work, fails DOUBLING, 30
doublings of x, stopped by a time limit (`common.time_limit`).

Expected values never come from running a solution (the solutions here are
text, shown as the last rung of the hint ladder). They come from the engine
on another fresh build of the same graph: the node count of
`autodiff.topological_order`, the gradients of ``L.backward()``; and for
``forward_tangents``, Σ ∂L/∂leaf · tangent(leaf) with those same gradients:
forward and reverse mode must agree, the duality lesson 06 builds on.
"""

from __future__ import annotations

import reprlib
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from autodiff import Var, topological_order

from .common import DescribedExercise, TimeLimitExceeded, named, time_limit

__all__ = ["ex_topo_sort", "ex_backward", "ex_tangents", "Graph", "Seeded", "order_verdict", "gradients"]


LIMIT = 3.0   # seconds a call of my_backward may take, where the right one takes milliseconds

# ----------------------------------------------------------------------
# The graphs. Each builder returns the output L, with every node labelled.
# ----------------------------------------------------------------------
def _product() -> Var:
    a, b = Var(2.0, label="a"), Var(-3.0, label="b")
    return named(a * b, "L")


def _twice() -> Var:
    a = Var(5.0, label="a")
    return named(a + a, "L")


def _leaf() -> Var:
    return Var(3.0, label="L")


def _lecture() -> Var:
    a, b = Var(2.0, label="a"), Var(-3.0, label="b")
    c, f = Var(10.0, label="c"), Var(-2.0, label="f")
    e = named(a * b, "e")
    d = named(e + c, "d")
    return named(d * f, "L")


def _diamond() -> Var:
    a, b = Var(2.0, label="a"), Var(-3.0, label="b")
    c = named(a * b, "c")
    d = named(c + a, "d")
    return named(d * c, "L")


def _swapped_diamond() -> Var:
    a, b = Var(2.0, label="a"), Var(-3.0, label="b")
    c = named(a * b, "c")
    d = named(c + a, "d")
    return named(c * d, "L")


def _skip() -> Var:
    x = Var(0.5, label="x")
    y = named(x.sin(), "y")
    z = named(y.sin(), "z")
    return named(z * x, "L")


def _doubling(times: int) -> Callable[[], Var]:
    """x, then y = y + y ``times`` times: a node per sum, two edges per sum, 2^times paths to x."""
    def build() -> Var:
        y = Var(1.0, label="x")
        for k in range(1, times):
            y = named(y + y, f"y{k}")
        return named(y + y, "L")
    return build


def _fan_out() -> Var:
    x = Var(0.5, label="x")
    u = named(x * x, "u")
    v = named(x.sin(), "v")
    w = named(x.exp(), "w")
    s = named(u + v, "s")
    return named(s * w, "L")


def _quotient_and_power() -> Var:
    a, b = Var(3.0, label="a"), Var(4.0, label="b")
    q = named(a / b, "q")
    p = named(a ** 2, "p")
    return named(q - p, "L")


def _chain(ops: int) -> Callable[[], Var]:
    """x0 = 0.5, x1 = sin(x0), ..., L = sin(x_{ops-1}): ``ops`` ops deep."""
    def build() -> Var:
        x = Var(0.5, label="x0")
        for k in range(1, ops):
            x = named(x.sin(), f"x{k}")
        return named(x.sin(), "L")
    return build


@dataclass(frozen=True)
class Graph:
    """A graph for a case: ``text`` describes it, ``build()`` makes it afresh and returns L.

    ``watch``: the labels whose gradients `gradients` reports (all when empty),
    so that a graph of thousands of nodes gives a short counterexample.
    """

    text: str
    build: Callable[[], Var]
    watch: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return "L"  # so a case reads topo_sort(L); the graph row says what L is


PRODUCT = Graph("L = a·b, with a = 2, b = -3", _product)
TWICE = Graph("L = a + a, with a = 5 (a is both operands)", _twice)
LEAF = Graph("L = Var(3.0), a leaf on its own: no op at all", _leaf)
LECTURE = Graph("e = a·b, d = e + c, L = d·f, with a = 2, b = -3, c = 10, f = -2", _lecture)
DIAMOND = Graph("c = a·b, d = c + a, L = d·c, with a = 2, b = -3 (a and c are used twice)", _diamond)
SWAPPED = Graph("c = a·b, d = c + a, L = c·d, with a = 2, b = -3: the diamond with L's operands "
                "swapped, so c comes before d among L's parents", _swapped_diamond)
SKIP = Graph("y = sin(x), z = sin(y), L = z·x, with x = 0.5 (x is one step from L and three steps "
             "from L)", _skip)
DOUBLING = Graph(f"x = 1, y1 = x + x, y2 = y1 + y1, ..., L = y29 + y29: 31 nodes and 60 edges, but "
                 f"2^30 paths from L to x (the check stops after {LIMIT:g} s; only x and L are shown)",
                 _doubling(30), watch=("x", "L"))
FAN_OUT = Graph("u = x·x, v = sin(x), w = exp(x), s = u + v, L = s·w, with x = 0.5 "
                "(x is used four times)", _fan_out)
QUOTIENT = Graph("q = a / b, p = a**2, L = q - p, with a = 3, b = 4", _quotient_and_power)
DEEP = Graph("a chain 20,000 ops deep: x1 = sin(x0), x2 = sin(x1), ..., L = sin(x19999), "
             "with x0 = 0.5", _chain(20_000))
CHAIN = Graph("a chain 3,000 ops deep: x1 = sin(x0), ..., L = sin(x2999), with x0 = 0.5 "
              "(only the gradients of x0 and L are shown)", _chain(3_000), watch=("x0", "L"))


# ----------------------------------------------------------------------
# What a learner's function did, as a value to compare
# ----------------------------------------------------------------------
_SHORT = reprlib.Repr()
_SHORT.maxstring, _SHORT.maxother = 30, 30


def _name(var: Var) -> str:
    return var.label or "an unlabelled Var"


def valid_order(n: int) -> str:
    """The verdict on a right answer for a graph of ``n`` nodes."""
    return f"all {n} nodes, each once, each after its parents"


def order_verdict(got: Any, root: Var) -> str:
    """What is wrong with ``got`` as a topological order of root's graph, or `valid_order`.

    The nodes of the graph are the engine's `topological_order(root)` (only
    which nodes there are, not their order); the rest is checked here: a list
    of Vars, each node once, every parent listed earlier than its child.
    """
    if got is None:
        return "None: did you forget to return the list?"
    if not isinstance(got, (list, tuple)):
        return f"a {type(got).__name__}, not a list of Vars"
    for i, item in enumerate(got):
        if not isinstance(item, Var):
            return f"a list whose item {i} is a {type(item).__name__} ({_SHORT.repr(item)}), not a Var"
    nodes = topological_order(root)
    members, listed = set(nodes), set(got)
    seen: set[Var] = set()
    for i, node in enumerate(got):
        if node not in members:
            return f"a list whose item {i} is not a node of L's graph"
        if node in seen:
            return f"a list with {_name(node)} twice"
        for parent in node.parents:
            if parent not in listed:
                return f"a list without {_name(parent)}, a parent of {_name(node)}"
            if parent not in seen:
                return f"a list with {_name(node)} before its parent {_name(parent)}"
        seen.add(node)
    if len(seen) < len(nodes):
        missing = next(node for node in nodes if node not in seen)
        return f"{len(seen)} of the {len(nodes)} nodes: {_name(missing)} is missing"
    return valid_order(len(nodes))


def gradients(root: Var, watch: Sequence[str] = ()) -> dict[str, float]:
    """{label: .grad} for the nodes of root's graph (those in ``watch``, if given), parents first."""
    return {v.label: v.grad for v in topological_order(root) if not watch or v.label in watch}


# ----------------------------------------------------------------------
# 5.1 · topo_sort
# ----------------------------------------------------------------------
def _run_topo_sort(fn: Callable, graph: Graph) -> str:
    root = graph.build()
    return order_verdict(fn(root), root)


def _expected_topo_sort(graph: Graph) -> str:
    return valid_order(len(topological_order(graph.build())))


ex_topo_sort = DescribedExercise(
    "5.1 · A topological order, without recursion",
    inputs=[PRODUCT, TWICE, LEAF, LECTURE, DIAMOND, SKIP, FAN_OUT, DEEP],
    run=_run_topo_sort,
    expected=_expected_topo_sort,
    row="graph",
    hints=(
        "Keep a list `order` and a set `done` of the nodes placed so far. A node may be appended to "
        "`order` only when every one of its parents is in `done`.",
        "Replace Python's call stack by a list of pairs (node, parents_done), starting with the root "
        "paired with False. Pop a pair. If the node's parents are not done yet, push the node back "
        "paired with True, then each parent not yet placed, paired with False: those are popped, and "
        "placed, before the node comes up again.",
        "When a node comes up paired with True, all its parents are placed: append it to `order` and "
        "add it to `done`. A node can be pushed more than once (in `a + a`, `a` is pushed twice), so "
        "skip any popped node that is already in `done`. Use a set for `done`: `node in order` on a "
        "list is slow with 20,000 nodes.",
    ),
    solution=(
        "def topo_sort(root):\n"
        "    order, done = [], set()\n"
        "    stack = [(root, False)]\n"
        "    while stack:\n"
        "        node, parents_done = stack.pop()\n"
        "        if node in done:\n"
        "            continue\n"
        "        if parents_done:\n"
        "            done.add(node)\n"
        "            order.append(node)\n"
        "        else:\n"
        "            stack.append((node, True))\n"
        "            for parent in node.parents:\n"
        "                if parent not in done:\n"
        "                    stack.append((parent, False))\n"
        "    return order"
    ),
)


# ----------------------------------------------------------------------
# 5.2 · my_backward
# ----------------------------------------------------------------------
TIMED_OUT = f"no answer: stopped after {LIMIT:g} s. Is the work per path (2^30 here), not per edge?"


def _call_limited(fn: Callable, *args: Any) -> Any:
    """``fn(*args)``, or `TIMED_OUT` if it runs longer than `LIMIT` seconds."""
    try:
        with time_limit(LIMIT):
            return fn(*args)
    except TimeLimitExceeded:
        return TIMED_OUT


def _run_backward(fn: Callable, graph: Graph) -> Any:
    root = graph.build()
    if _call_limited(fn, root) is TIMED_OUT:
        return TIMED_OUT
    return gradients(root, graph.watch)


def _expected_backward(graph: Graph) -> dict[str, float]:
    root = graph.build()
    root.backward()
    return gradients(root, graph.watch)


ex_backward = DescribedExercise(
    "5.2 · Backward, by hand",
    inputs=[PRODUCT, TWICE, LEAF, LECTURE, DIAMOND, SWAPPED, FAN_OUT, QUOTIENT, CHAIN, DOUBLING],
    run=_run_backward,
    expected=_expected_backward,
    row="graph",
    hints=(
        "Order first: `topological_order(root)` (or your `topo_sort`) lists every node after its "
        "parents. Walk it backwards, the output first, so that every node has received all of its "
        "contributions before it passes its own on. A breadth-first walk does not ensure that.",
        "Seed the output with ∂L/∂L = 1, by adding 1 to its `.grad`. A leaf (no parents) has nothing "
        "to pass on: skip it.",
        "For an op node, `node.op.local_derivatives` takes the operands' values, then the node's own "
        "value, and gives one local derivative per parent. Each parent receives the node's gradient "
        "times its local derivative, added to its `.grad` with `+=`, never `=`: in `a + a` both edges "
        "lead to `a`, and each brings its own contribution.",
    ),
    solution=(
        "def my_backward(root):\n"
        "    root.grad += 1.0                      # ∂L/∂L = 1\n"
        "    for node in reversed(topological_order(root)):\n"
        "        if not node.parents:              # a leaf: nothing to pass on\n"
        "            continue\n"
        "        local = node.op.local_derivatives(*[p.data for p in node.parents], node.data)\n"
        "        for parent, d in zip(node.parents, local):\n"
        "            parent.grad += node.grad * d"
    ),
)


# ----------------------------------------------------------------------
# 5.3 · forward_tangents (optional): forward mode over the recorded graph
# ----------------------------------------------------------------------
@dataclass(frozen=True)
class Seeded:
    """A graph and the tangents of some of its leaves, by label: the arguments of forward_tangents.

    The leaves not named have tangent 0. The tangent of L is the derivative
    of L along the direction the seeds give: Σ over the leaves of
    ∂L/∂leaf · tangent(leaf).
    """

    graph: Graph
    tangents: tuple[tuple[str, float], ...]

    @property
    def text(self) -> str:
        return self.graph.text

    def __repr__(self) -> str:
        return "L, " + repr(dict(self.tangents))


def _run_tangents(fn: Callable, case: Seeded) -> Any:
    return _call_limited(fn, case.graph.build(), dict(case.tangents))


def _expected_tangents(case: Seeded) -> float:
    """Σ ∂L/∂leaf · tangent(leaf), with ∂L/∂leaf from the engine's reverse mode on a fresh build."""
    root = case.graph.build()
    root.backward()
    grads = gradients(root)
    return sum(grads[label] * tangent for label, tangent in case.tangents)


ex_tangents = DescribedExercise(
    "5.3 (optional) · Tangents forward, over the same graph",
    inputs=[Seeded(PRODUCT, (("a", 1.0), ("b", 0.0))), Seeded(PRODUCT, (("a", 0.5), ("b", 2.0))),
            Seeded(TWICE, (("a", 1.0),)), Seeded(LEAF, (("L", 1.0),)),
            Seeded(LECTURE, (("a", 1.0), ("b", -1.0), ("c", 0.5), ("f", 2.0))),
            Seeded(SWAPPED, (("a", 1.0),)), Seeded(SKIP, (("x", 1.0),)), Seeded(FAN_OUT, (("x", 1.0),)),
            Seeded(CHAIN, (("x0", 1.0),)), Seeded(DOUBLING, (("x", 1.0),))],
    run=_run_tangents,
    expected=_expected_tangents,
    row="graph",
    hints=(
        "This is 5.2 run the other way: visit the nodes in topological order, parents first, and "
        "give each node a tangent, kept in a dict from node to number. A leaf's tangent is its seed, "
        "`tangents.get(label, 0.0)`: the leaves not named have tangent 0.",
        "An op node's tangent is the sum, over its parents, of the parent's tangent times the local "
        "derivative for that parent: the same `node.op.local_derivatives` as in 5.2. Add up one term "
        "per edge: in `a + a` both edges bring a term.",
        "When the loop is done, the output's tangent is the answer. A recursive function of a node "
        "that calls itself on the parents, without remembering the tangents already found, redoes "
        "the work once per path: 2^30 times in the doubling graph.",
    ),
    solution=(
        "def forward_tangents(root, tangents):\n"
        "    tangent = {}\n"
        "    for node in topological_order(root):\n"
        "        if not node.parents:              # a leaf: its seed, or 0\n"
        "            tangent[node] = tangents.get(node.label, 0.0)\n"
        "            continue\n"
        "        local = node.op.local_derivatives(*[p.data for p in node.parents], node.data)\n"
        "        tangent[node] = sum(tangent[p] * d for p, d in zip(node.parents, local))\n"
        "    return tangent[root]"
    ),
)
