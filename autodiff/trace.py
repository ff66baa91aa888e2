"""A trace of one computation: its graph, and every step of its forward and backward passes.

`trace(root)` turns the graph behind ``root`` into plain data (no Jupyter,
nothing drawn) that a lesson or a widget can show one step at a time:

* ``nodes`` and ``edges``: the graph in a stable order, one edge per use of
  an operand, so ``a + a`` has two edges from ``a``;
* ``forward``: in evaluation order, each op node with its inputs' values;
* ``backward``: from the output back, each op node passing its gradient on:
  the upstream gradient, each operand's local derivative (its value and its
  formula, from the op table), the contribution ``upstream × local``, and
  the operand's gradient before and after. When several contributions reach
  one node (fan-out in the forward pass), each step shows the running sum.

The numbers come from the same op rules, in the same order, as
`Var.backward()`; replaying the backward steps gives exactly its gradients.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional

from .backprop import topological_order
from .ops import OPERAND_NAMES
from .var import Var

__all__ = [
    "trace", "Trace", "TraceNode", "TraceEdge", "ForwardStep", "BackwardStep",
    "Contribution", "reevaluate", "format_number",
]


def format_number(x: float) -> str:
    """A short, readable form of a number for explanations: 4 significant digits, a real minus sign."""
    text = f"{x:.4g}"
    if text == "-0":
        text = "0"
    return text.replace("-", "−")


@dataclass(frozen=True)
class TraceNode:
    """One node of the graph."""

    id: str          # "n0", "n1", ...: stable, in topological order
    name: str        # the Var's label, or the id when it has none
    kind: str        # "leaf", "parameter", "op" or "output"
    op: str          # the op's symbol ("*", "tanh"), "" for a leaf
    data: float
    parents: tuple[str, ...]  # operand ids, in operand order


@dataclass(frozen=True)
class TraceEdge:
    """One use of ``source`` as operand number ``operand`` of ``target``."""

    source: str
    target: str
    operand: int


@dataclass(frozen=True)
class ForwardStep:
    """Computing one op node from its inputs."""

    node: str
    op: str
    inputs: tuple[tuple[str, float], ...]  # (id, value) per operand
    value: float
    text: str        # e.g. "c = a·b = 2·(−3) = −6"


@dataclass(frozen=True)
class Contribution:
    """What one op node passes to one operand: ∂L/∂operand += ∂L/∂node · ∂node/∂operand."""

    parent: str
    operand: int     # 0 for a, 1 for b
    local: float     # ∂node/∂operand, the number
    formula: str     # the same, as the op table writes it: "∂(a·b)/∂a = b"
    value: float     # upstream × local
    before: float    # the operand's gradient before this step
    after: float     # ... and after it: before + value
    text: str        # e.g. "∂L/∂a += ∂L/∂c · ∂c/∂a = −2 × 3 = −6"
    rule: str = ""   # the local derivative in this graph's names: "∂c/∂a = b"


@dataclass(frozen=True)
class BackwardStep:
    """One node passing its gradient to its operands (the first step seeds the output)."""

    node: str
    upstream: float  # ∂L/∂node, complete when this step runs
    contributions: tuple[Contribution, ...]
    text: str        # every line of the explanation, joined by newlines


@dataclass(frozen=True)
class Trace:
    """A computation as data: see the module docstring."""

    nodes: tuple[TraceNode, ...]
    edges: tuple[TraceEdge, ...]
    forward: tuple[ForwardStep, ...]
    backward: tuple[BackwardStep, ...]

    @property
    def root(self) -> TraceNode:
        return self.nodes[-1]

    def node(self, node_id: str) -> TraceNode:
        """The node with this id."""
        return self.nodes[int(node_id[1:])]

    def replay(self, upto: Optional[int] = None) -> dict[str, float]:
        """Every node's gradient after the first ``upto`` backward steps (all by default)."""
        grads = {n.id: 0.0 for n in self.nodes}
        for step in self.backward[:upto]:
            if not step.contributions:  # the seed
                grads[step.node] = step.upstream
            for c in step.contributions:
                grads[c.parent] += c.value
        return grads


def _names(order: list[Var]) -> list[str]:
    return [v.label or f"n{i}" for i, v in enumerate(order)]


def trace(root: Var, parameters: Iterable[Var] = (), output_name: str = "L") -> Trace:
    """Trace the graph behind ``root`` (``parameters`` are drawn as parameters).

    In explanation texts the output is called by its label, or ``output_name``.
    """
    if not isinstance(root, Var):
        raise TypeError(f"trace: expected a Var, got {type(root).__name__}")
    order = topological_order(root)
    index = {id(v): i for i, v in enumerate(order)}
    ids = [f"n{i}" for i in range(len(order))]
    names = _names(order)
    names[-1] = root.label or output_name
    params = {id(p) for p in parameters}

    def kind(i: int, v: Var) -> str:
        if i == len(order) - 1:
            return "output"
        if v.op_def is not None:
            return "op"
        return "parameter" if id(v) in params else "leaf"

    nodes = tuple(
        TraceNode(ids[i], names[i], kind(i, v), v.op, v.data, tuple(ids[index[id(p)]] for p in v.parents))
        for i, v in enumerate(order)
    )
    edges = tuple(TraceEdge(parent, node.id, k) for node in nodes for k, parent in enumerate(node.parents))
    forward = tuple(_forward_step(v, nodes[i], names, index) for i, v in enumerate(order) if v.op_def)
    return Trace(nodes, edges, forward, _backward_steps(order, nodes, names, index))


def _forward_step(v: Var, node: TraceNode, names: list[str], index: dict[int, int]) -> ForwardStep:
    op = v.op_def
    operands = [names[index[id(p)]] for p in v.parents]
    values = [p.data for p in v.parents]
    template = op.expr.replace("-", "−")
    expr = _substitute(template, operands)
    numbers = _substitute(template, [_operand_number(x) for x in values])
    text = f"{node.name} = {expr} = {numbers} = {format_number(v.data)}"
    inputs = tuple((f"n{index[id(p)]}", p.data) for p in v.parents)
    return ForwardStep(node.id, node.op, inputs, v.data, text)


def _operand_number(x: float) -> str:
    """A number placed inside an expression: negative ones in parentheses, 2·(−3)."""
    return f"({format_number(x)})" if x < 0 else format_number(x)


_OPERAND = re.compile(r"(?<![A-Za-z])[ab](?![A-Za-z])")  # the a in "tan(a)", not in "tan"


def _substitute(expr: str, operands: list[str]) -> str:
    """Write an op's expression ("a·b") with the given operand names or numbers."""
    return _OPERAND.sub(lambda m: operands[OPERAND_NAMES.index(m.group())], expr)


def _backward_steps(order: list[Var], nodes: tuple[TraceNode, ...],
                    names: list[str], index: dict[int, int]) -> tuple[BackwardStep, ...]:
    """The chain rule, step by step, in the order and with the arithmetic of `backward()`."""
    grads = [0.0] * len(order)
    received = [0] * len(order)  # contributions so far, per node
    grads[-1] = 1.0
    out = names[-1]
    steps = [BackwardStep(nodes[-1].id, 1.0, (), f"∂{out}/∂{out} = 1 (the seed)")]
    for i in range(len(order) - 1, -1, -1):
        v = order[i]
        op = v.op_def
        if op is None:
            continue
        upstream = grads[i]
        parents = v.parents
        inputs = [p.data for p in parents]
        try:
            locals_ = op.derivative(*inputs, v.data)
        except (ArithmeticError, ValueError) as error:
            raise op.derivative_error(inputs, error) from None
        contributions = []
        for k, (p, local) in enumerate(zip(parents, locals_)):
            j = index[id(p)]
            value = local * upstream
            before = grads[j]
            grads[j] = before + value
            if grads[j] - grads[j] != 0.0:  # as backward() does, refuse an infinite gradient
                raise OverflowError(f"trace: the gradient reaching {names[j]} is too large for a float")
            received[j] += 1
            text = (f"∂{out}/∂{names[j]} += ∂{out}/∂{names[i]} · ∂{names[i]}/∂{names[j]} = "
                    f"{format_number(upstream)} × {format_number(local)} = {format_number(value)}")
            if received[j] > 1:  # fan-out: this operand was used more than once
                text += (f"; running sum ∂{out}/∂{names[j]} = {format_number(before)} + "
                         f"{format_number(value)} = {format_number(grads[j])}")
            operand_names = [names[index[id(q)]] for q in parents]
            rule = f"∂{names[i]}/∂{names[j]} = {_substitute(op.partials[k], operand_names)}"
            contributions.append(Contribution(nodes[j].id, k, local, op.formula(k), value, before,
                                              grads[j], text, rule))
        text = "\n".join(c.text for c in contributions)
        steps.append(BackwardStep(nodes[i].id, upstream, tuple(contributions), text))
    return tuple(steps)


def reevaluate(root: Var) -> None:
    """Recompute every op node's value from its operands, after leaves' ``.data`` changed.

    The graph keeps its shape; only the numbers change. Gradients are left
    as they are (call ``backward()`` again for new ones). An op that cannot
    take its new inputs raises the same error as building the graph afresh
    would, and then no value has changed.
    """
    order = topological_order(root)
    values = {id(v): v.data for v in order}
    for v in order:
        op = v.op_def
        if op is not None:
            out = op.forward(*(values[id(p)] for p in v.parents))
            if out - out != 0.0:  # inf
                operands = ", ".join(repr(values[id(p)]) for p in v.parents)
                raise OverflowError(f"{op.name}({operands}) is too large for a float")
            values[id(v)] = out
    for v in order:
        v.data = values[id(v)]
