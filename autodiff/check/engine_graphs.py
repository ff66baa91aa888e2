"""The graphs `check_engine` runs: each one a small description that any engine can build.

A graph is a `GraphSpec`: a list of `Step`s, each a leaf (``a = 0.8``) or
one op on earlier steps and plain numbers (``h2 = h1 * a``, ``h3 = h2 + 2.5``,
``L = h3.tanh()``). The last step is the output. `build` turns the same
description into nodes of *any* micrograd-style class: ours (`autodiff.Var`)
and the learner's, so the two graphs match node for node.

The kinds of graph, each made to show one thing:

* ``op``: one op on fresh leaves, ``L = a * b``: a wrong gradient here can
  only be that op's local derivative;
* ``large``: tanh and exp alone at ±400, where a formula that goes through
  ``exp(2x)`` overflows although the op's value (and ours) is finite;
* ``reuse``: one op using the same leaf twice, ``L = x * x``: both uses send
  a gradient back, and they must add up;
* ``order``: a node used at two depths, ``L = h + f(f(f(h)))``: ``h`` must
  not pass its gradient on before the long path has brought its share;
* ``random``: seeded random graphs with reused nodes, diamonds and numbers;
* ``chain``: one long chain (5,000 ops), deeper than Python lets a function
  call itself.

Values stay where every op is smooth and well defined (`in_domain`): log of
a positive number, division by a number not near 0, relu away from its kink.
Our engine computes them while a graph is made, so the checks are on real
values, not guesses.
"""

from __future__ import annotations

import operator
import random
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping, Optional, Sequence, Union

from ..var import Var

__all__ = ["OPS", "METHODS", "REVERSED", "Constant", "Step", "GraphSpec", "build", "build_ours", "expression",
           "in_domain", "op_graphs", "constant_graphs", "large_graphs", "reuse_graphs", "order_graphs", "random_graph",
           "chain_graph"]

OPS = ("+", "-", "*", "/", "**", "tanh", "exp", "relu", "log")   # every op the checker knows, in this order

# The method a class must define for each op (on the class itself: `x + y` looks there).
METHODS = {"+": "__add__", "-": "__sub__", "*": "__mul__", "/": "__truediv__", "**": "__pow__",
           "tanh": "tanh", "exp": "exp", "relu": "relu", "log": "log"}
# A number on the left, ``2 * x``, needs the reversed method.
REVERSED = {"+": "__radd__", "-": "__rsub__", "*": "__rmul__", "/": "__rtruediv__"}

_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}

LIMIT = 100.0   # a value larger than this is not made (keeps every graph well conditioned)


@dataclass(frozen=True)
class Constant:
    """A plain number in an op: the 2 in ``x * 2``."""

    value: float


Operand = Union[int, Constant]   # an earlier step, by its index, or a number


@dataclass(frozen=True)
class Step:
    """One node: a leaf (``op == ""``, its value in ``value``) or an op on ``operands``.

    For ``**`` the exponent, a plain number, is in ``value``.
    """

    name: str
    op: str = ""
    operands: tuple[Operand, ...] = ()
    value: float = 0.0


@dataclass(frozen=True)
class GraphSpec:
    """A graph to build on both engines: ``title`` says what it is, ``kind`` what it tests."""

    title: str
    kind: str                  # "op", "large", "reuse", "order", "random" or "chain"
    steps: tuple[Step, ...]
    op: str = ""               # for "op" and "reuse": the op it is about

    @property
    def ops_used(self) -> frozenset[str]:
        return frozenset(s.op for s in self.steps if s.op)

    @property
    def numbers(self) -> bool:
        """True when a step takes a plain number as an operand (``a * 2.5``)."""
        return any(isinstance(o, Constant) for s in self.steps for o in s.operands)

    def leaves(self) -> list[int]:
        """The indices of the leaves (not of the plain numbers, which have no step)."""
        return [i for i, s in enumerate(self.steps) if not s.op]

    def describe(self, limit: int = 12) -> str:
        """The graph in words: its leaves, then each op as code, e.g. ``a = 0.8, b = −1.3; L = a * b``."""
        leaves = [f"{s.name} = {_number(s.value)}" for s in self.steps if not s.op]
        ops = [f"{s.name} = {expression(s, self.steps)}" for s in self.steps if s.op]
        if len(leaves) > limit:
            leaves = leaves[:3] + [f"... ({len(leaves):,} leaves in all)"]
        if len(ops) > limit:
            ops = ops[:3] + [f"... ({len(ops) - 4:,} more)", ops[-1]]
        return f"{self.title}. Leaves: {', '.join(leaves)}. Then: {'; '.join(ops)}."


def _number(x: float) -> str:
    return repr(x) if isinstance(x, int) else f"{x:g}"


def expression(step: Step, steps: Sequence[Step]) -> str:
    """The step as the learner would write it: ``h1 * 2``, ``h2 ** -1``, ``h3.tanh()``; a leaf's value."""
    if not step.op:
        return _number(step.value)
    names = [steps[o].name if isinstance(o, int) else _number(o.value) for o in step.operands]
    if step.op in _BINARY:
        return f"{names[0]} {step.op} {names[1]}"
    if step.op == "**":
        return f"{names[0]} ** {_number(step.value)}"
    return f"{names[0]}.{step.op}()"


def apply_step(step: Step, nodes: Union[Sequence[Any], Mapping[int, Any]]) -> Any:
    """The node ``step`` makes from the nodes made so far (of any engine)."""
    args = [nodes[o] if isinstance(o, int) else o.value for o in step.operands]
    if step.op in _BINARY:
        return _BINARY[step.op](*args)
    if step.op == "**":
        return args[0] ** step.value
    return getattr(args[0], step.op)()


def build(spec: GraphSpec, leaf: Callable[[float], Any]) -> list[Any]:
    """Every node of ``spec``, made with ``leaf(value)`` for the leaves and the ops of their class."""
    nodes: list[Any] = []
    for step in spec.steps:
        nodes.append(leaf(step.value) if not step.op else apply_step(step, nodes))
    return nodes


def build_ours(spec: GraphSpec) -> list[Var]:
    """``spec`` as `Var`s, each labelled with its step's name (so a drawing names them as the report does)."""
    nodes = build(spec, Var)
    for node, step in zip(nodes, spec.steps):
        node.label = step.name
    return nodes


def in_domain(op: str, x: float, y: Optional[float] = None, exponent: float = 0.0) -> bool:
    """True where ``op`` is smooth and its result is moderate: safe to compare two engines there."""
    if op == "/":
        return abs(y) >= 0.5
    if op == "log":
        return x >= 0.1
    if op == "exp":
        return x <= 3.0
    if op == "relu":
        return abs(x) >= 0.01          # away from the kink at 0, where engines may differ
    if op == "tanh":
        return abs(x) <= 4.0           # tanh is flat beyond: its gradient would show little
    if op == "**":
        if exponent < 0:
            return abs(x) >= 0.5
        if exponent != int(exponent):
            return x >= 0.1
        return abs(x) <= 5.0
    return True


# ----------------------------------------------------------------------------
# Making graphs: a builder that computes every value with our engine as it goes
# ----------------------------------------------------------------------------

class _Builder:
    """Steps added one by one; an op outside its domain, or too large, is refused (returns None)."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.values: list[float] = []
        self.used: set[int] = set()

    def leaf(self, value: float, name: str = "") -> int:
        name = name or _leaf_name(sum(1 for s in self.steps if not s.op))
        self.steps.append(Step(name, value=value))
        self.values.append(value)
        return len(self.steps) - 1

    def op(self, op: str, *operands: Operand, exponent: float = 0.0) -> Optional[int]:
        numbers = [self.values[o] if isinstance(o, int) else o.value for o in operands]
        if not in_domain(op, *numbers, exponent=exponent):
            return None
        step = Step(f"h{sum(1 for s in self.steps if s.op) + 1}", op, tuple(operands), exponent)
        try:
            operand_vars = {o: Var(self.values[o]) for o in operands if isinstance(o, int)}
            value = apply_step(step, operand_vars).data
        except (ArithmeticError, ValueError):
            return None
        if abs(value) > LIMIT:
            return None
        self.steps.append(step)
        self.values.append(value)
        self.used.update(o for o in operands if isinstance(o, int))
        return len(self.steps) - 1

    def spec(self, title: str, kind: str, op: str = "") -> GraphSpec:
        """The graph, its last step renamed ``L`` (the output)."""
        steps = list(self.steps)
        steps[-1] = replace(steps[-1], name="L")
        return GraphSpec(title, kind, tuple(steps), op)


def _leaf_name(k: int) -> str:
    """The k-th leaf's name: a, b, c, ... (not h, the ops' letter; not i, j, l, o, t, easily misread)."""
    letters = "abcdefgkmnpqrsuvwxyz"
    return letters[k] if k < len(letters) else f"x{k}"


# ----------------------------------------------------------------------------
# The graphs of each kind
# ----------------------------------------------------------------------------

OP_POINTS = {   # where each op is tried alone: (x, y) for a binary op, x for the others
    "+": [(0.8, -1.3), (-1.7, 0.6)], "-": [(0.8, -1.3), (-1.7, 0.6)],
    "*": [(0.8, -1.3), (-1.7, 0.6)], "/": [(0.8, -1.3), (-1.7, 0.6)],
    "tanh": [0.5, -1.2], "exp": [0.7, -1.1], "relu": [1.4, -0.9], "log": [0.6, 2.5],
}
EXPONENTS = [(1.3, 2), (-0.7, 3), (1.6, -1), (2.5, 0.5)]   # (base, exponent) for **


def op_graphs(op: str) -> list[GraphSpec]:
    """``op`` alone on fresh leaves, at a few points: ``L = a * b``, ``L = a.tanh()``, ``L = a ** 3``."""
    graphs = []
    for point in (EXPONENTS if op == "**" else OP_POINTS[op]):
        b = _Builder()
        if op == "**":
            base, exponent = point
            b.op("**", b.leaf(base), exponent=exponent)
        elif op in _BINARY:
            b.op(op, b.leaf(point[0]), b.leaf(point[1]))
        else:
            b.op(op, b.leaf(point))
        spec = b.spec("", "op", op)
        at = ", ".join(f"{s.name} = {_number(s.value)}" for s in spec.steps if not s.op)
        graphs.append(replace(spec, title=f"one {op} alone: L = {expression(spec.steps[-1], spec.steps)} at {at}"))
    return graphs


def constant_graphs(op: str, left: bool) -> list[GraphSpec]:
    """``op`` with a plain number on the right (``L = a * 2.5``) or, with ``left``, on the left."""
    b = _Builder()
    a = b.leaf(-1.4)
    number = Constant(2.5)
    b.op(op, *((number, a) if left else (a, number)))
    spec = b.spec("", "op", op)
    return [replace(spec, title=f"one {op} with a number: L = {expression(spec.steps[-1], spec.steps)}")]


LARGE_POINTS = {"tanh": [400.0, -400.0], "exp": [400.0, -400.0]}   # far outside the other graphs' range


def large_graphs(op: str) -> list[GraphSpec]:
    """``op`` alone at a large input, ``L = a.tanh()`` at ``a = 400``: for tanh and exp, else none.

    tanh(±400) is ±1 and exp(400) about 5.2e173, finite in our engine; but
    tanh written as ``(exp(2x) - 1) / (exp(2x) + 1)`` needs exp(800), beyond
    the largest float (about 1.8e308), and overflows. A network's
    pre-activations do reach such values, so this is a real bug, which the
    graphs of every other kind (values at most `LIMIT`) never show.
    """
    graphs = []
    for x in LARGE_POINTS.get(op, []):
        steps = (Step("a", value=x), Step("L", op, (0,)))
        graphs.append(GraphSpec(f"one {op} at a large input: L = a.{op}() at a = {_number(x)}", "large", steps, op))
    return graphs


def reuse_graphs(op: str) -> list[GraphSpec]:
    """``L = x op x``: one leaf used twice by one op (for + and *)."""
    b = _Builder()
    x = b.leaf(1.5 if op == "+" else -1.2, "x")
    b.op(op, x, x)
    return [b.spec(f"one leaf used twice: L = x {op} x", "reuse", op)]


def _apply_to(b: _Builder, op: str, x: int) -> Optional[int]:
    """``op`` on node ``x``, with a fresh leaf (0.9) as the other operand where it needs one."""
    if op in _BINARY:
        return b.op(op, x, b.leaf(0.9))
    if op == "**":
        return b.op(op, x, exponent=2)
    return b.op(op, x)


_F_TEXT = {**{op: "x {} (a new leaf)" for op in _BINARY}, "**": "x ** 2"}   # f of order_graphs, in words


def order_graphs(ops: Sequence[str]) -> list[GraphSpec]:
    """``L = h ⊕ f(f(f(h)))`` and ``L = f(f(f(h))) ⊕ h``: ``h`` is used near the output and far from it.

    ``⊕`` is the first of + * - / the engine has; ``f`` is each op it has in
    turn. Nothing is made when it has no binary op.
    """
    joiners = [op for op in ("+", "*", "-", "/") if op in ops]
    if not joiners:
        return []
    join = joiners[0]
    graphs = []
    for f in ops:
        for h_first in (True, False):
            b = _Builder()
            h = b.op(join, b.leaf(0.7), b.leaf(0.4))       # h = a ⊕ b: an op, so it passes gradients on
            far = h
            for _ in range(3):
                far = _apply_to(b, f, far) if far is not None else None
            if far is None or b.op(join, *((h, far) if h_first else (far, h))) is None:
                continue
            shown = "h ⊕ f(f(f(h)))" if h_first else "f(f(f(h))) ⊕ h"
            graphs.append(b.spec(f"a node used near the output and far from it: L = {shown}, "
                                 f"with ⊕ = {join} and f(x) = {_F_TEXT.get(f, f'x.{f}()').format(f)}", "order"))
    return graphs


def random_graph(rng: random.Random, ops: Sequence[str], left_numbers: Sequence[str],
                 right_numbers: Sequence[str], number: int) -> Optional[GraphSpec]:
    """A random graph: 2-4 leaves, 3-7 ops on random earlier nodes (the same one twice now and
    then, numbers now and then), and the loose ends joined into the output.

    ``left_numbers`` / ``right_numbers``: the ops that take a plain number on
    that side. None when no op could be placed.
    """
    b = _Builder()
    for _ in range(rng.randint(2, 4)):
        value = 0.0
        while abs(value) < 0.2:
            value = round(rng.uniform(-2.0, 2.0), 3)
        b.leaf(value)
    for _ in range(rng.randint(3, 7)):
        for _attempt in range(20):
            op = rng.choice(list(ops))
            x = rng.randrange(len(b.steps))
            if op == "**":
                made = b.op(op, x, exponent=rng.choice([2, 3, -1, 0.5]))
            elif op in _BINARY:
                y: Operand = x if rng.random() < 0.25 else rng.randrange(len(b.steps))
                side = rng.random()
                if side < 0.15 and op in right_numbers:
                    y = Constant(round(rng.uniform(0.5, 3.0), 2))
                elif side < 0.3 and op in left_numbers:
                    x, y = Constant(round(rng.uniform(0.5, 3.0), 2)), x
                made = b.op(op, x, y)
            else:
                made = b.op(op, x)
            if made is not None:
                break
    loose = [i for i in range(len(b.steps)) if i not in b.used]
    joiners = [op for op in ("+", "*", "-") if op in ops]
    while len(loose) > 1 and joiners:   # join the loose ends: a node used twice makes a diamond
        joined = None
        for join in joiners:
            joined = b.op(join, loose[0], loose[1])
            if joined is not None:
                break
        if joined is None:
            break
        loose = [joined] + loose[2:]
    if not b.steps[-1].op:
        return None
    return b.spec(f"random graph {number}", "random")


CHAIN_OPS = ("+", "*", "-", "relu", "tanh", "/")   # the first the engine has makes the chain


def chain_graph(ops: Sequence[str], depth: int, rng: random.Random) -> Optional[GraphSpec]:
    """``h1 = a + c1, h2 = h1 + c2, ...``: ``depth`` ops deep, each with a fresh leaf (c1, c2, ...).

    With + the leaves are small random numbers; with * and / they are 1.0,
    with - they are 0.0, so the values stay put; relu and tanh take no leaf.
    """
    usable = [op for op in CHAIN_OPS if op in ops]
    if not usable:
        return None
    op = usable[0]
    steps = [Step("a", value=0.5)]
    for k in range(1, depth + 1):
        if op in _BINARY:
            value = {"+": round(rng.uniform(-0.01, 0.01), 4), "-": 0.0}.get(op, 1.0)
            steps.append(Step(f"c{k}", value=value))
            steps.append(Step(f"h{k}", op, (len(steps) - 2, len(steps) - 1)))   # (previous h, c_k)
        else:
            steps.append(Step(f"h{k}", op, (len(steps) - 1,)))
    steps[-1] = replace(steps[-1], name="L")
    return GraphSpec(f"a chain {depth:,} ops deep (h1 = a {op} c1, h2 = h1 {op} c2, ...)"
                     if op in _BINARY else f"a chain {depth:,} ops deep (h1 = a.{op}(), h2 = h1.{op}(), ...)",
                     "chain", tuple(steps), op)
