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

The explanations keep two ideas apart (see `grad_name`): the gradient a node
accumulates, written ``grad(c)``, and an op's local derivative, written in
the op's own formula, ``∂(c + a)/∂c``. One line of a backward step reads::

    grad(c) += grad(d) · ∂(c + a)/∂c = −6 × 1 = −6; running sum grad(c) = −4 + −6 = −10

The numbers come from the same op rules, in the same order, as
`Var.backward()`; replaying the backward steps gives exactly its gradients.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from .backprop import backpropagate, topological_order
from .ops import fill
from .var import Var

__all__ = [
    "trace", "Trace", "TraceNode", "TraceEdge", "ForwardStep", "BackwardStep",
    "Contribution", "describe_nodes", "reevaluate", "format_number", "grad_name", "local_name",
    "seed_text", "running_sum_text", "GRAD_NOTATION",
]


def format_number(x: float) -> str:
    """A short, readable form of a number for explanations: 4 significant digits, a real minus sign."""
    text = f"{x:.4g}"
    if text == "-0":
        text = "0"
    return text.replace("-", "−")


GRAD_NOTATION = "grad({})"  # the accumulated gradient of a node, in every explanation (see grad_name)


def grad_name(name: str) -> str:
    """How every explanation writes the gradient that node ``name`` accumulates: ``grad(name)``.

    The backward pass keeps, for each node, a running total that ends as
    ∂L/∂name (the output L's derivative with respect to that node). Writing
    that total as ``∂L/∂c`` too would give one symbol two meanings, since
    each step also multiplies by an op's *local* derivative, ``∂(c + a)/∂c``:
    ``∂L/∂c += ∂L/∂d · ∂d/∂c`` reads like an identity, and halfway through
    the pass ``∂L/∂c`` is not yet ∂L/∂c at all. So the accumulated gradient
    gets its own name. ``grad(c)`` rather than the textbook adjoint c̄: it
    is plain text in any font and in a quiz box, it says what it is, and it
    is the name the code uses (``c.grad``). Once the pass is over,
    ``grad(c)`` holds ∂L/∂c. (It names one node's total, with one argument;
    the function ``autodiff.grad(output, inputs)`` takes two and returns new
    Vars.)

    >>> grad_name("c")
    'grad(c)'
    """
    return GRAD_NOTATION.format(name)


def local_name(expression: str, operand: str) -> str:
    """An op's local derivative in the op's own terms: ``∂(c + a)/∂c`` for ``expression`` "c + a".

    Written with the formula rather than the node's name (``∂d/∂c``), it
    cannot be mistaken for an accumulated gradient (`grad_name`), at the
    output too (``∂(d·c)/∂d``, not ``∂L/∂d``).
    """
    return f"∂({expression})/∂{operand}"


def seed_text(output: str) -> str:
    """The first backward step, ``grad(L) = 1``: the output changes one-for-one with itself (∂L/∂L = 1)."""
    return f"{grad_name(output)} = 1 (the seed)"


def running_sum_text(name: str, before: str, share: str, total: Optional[str] = None) -> str:
    """A second (third, ...) contribution reaching one node: ``running sum grad(c) = −4 + −6 = −10``.

    Without ``total`` the sum is only named: ``running sum grad(W) = the earlier ones + this one``.
    """
    text = f"running sum {grad_name(name)} = {before} + {share}"
    return text if total is None else f"{text} = {total}"


@dataclass(frozen=True)
class TraceNode:
    """One node of the graph."""

    id: str          # "n0", "n1", ...: stable, in topological order
    name: str        # the Var's label, or the id when it has none
    kind: str        # "leaf", "parameter", "op" or "output"
    op: str          # the op's symbol ("*", "tanh"), "" for a leaf
    data: float               # (a numpy array in a trace of Tensors)
    parents: tuple[str, ...]  # operand ids, in operand order
    shape: tuple[int, ...] = ()  # () for a number


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
    """What one op node passes to one operand: grad(operand) += grad(node) · ∂(node's formula)/∂operand."""

    parent: str
    operand: int     # 0 for a, 1 for b
    local: float     # ∂node/∂operand, the number
    formula: str     # the same, as the op table writes it: "∂(a·b)/∂a = b"
    value: float     # upstream × local
    before: float    # the operand's gradient before this step
    after: float     # ... and after it: before + value
    text: str        # e.g. "grad(a) += grad(c) · ∂(a·b)/∂a = −2 × 3 = −6"
    rule: str = ""   # the local derivative in this graph's names, in the op's own terms: "∂(a·b)/∂a = b"


@dataclass(frozen=True)
class BackwardStep:
    """One node passing its gradient to its operands (the first step seeds the output)."""

    node: str
    upstream: float  # grad(node), complete (so ∂L/∂node) when this step runs
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
                grads[c.parent] = grads[c.parent] + c.value  # (a new array: the trace's stay as they are)
        return grads


def describe_nodes(order: list, parameters: Iterable = (), output_name: str = "L") -> tuple[TraceNode, ...]:
    """The nodes of a topological ``order`` (root last) as `TraceNode`s.

    Node ``i`` gets the id ``n{i}`` and is called by its label, or by its id
    when it has none; the output is called by its label or ``output_name``.
    Its kind is "output" for the root, "op" for a computed value, and for a
    leaf "parameter" when it is one of ``parameters``, else "leaf". The
    nodes are Vars, or Tensors (then each TraceNode keeps a copy of the
    array and its shape).
    """
    index = {id(node): i for i, node in enumerate(order)}
    params = {id(p) for p in parameters}
    last = len(order) - 1

    def describe(i: int, v: Any) -> TraceNode:
        if i == last:
            name, kind = v.label or output_name, "output"
        else:
            name = v.label or f"n{i}"
            kind = "op" if v.op is not None else "parameter" if id(v) in params else "leaf"
        value, shape = (v.data.copy(), v.shape) if _is_tensor(v) else (v.data, ())
        return TraceNode(f"n{i}", name, kind, v.op.symbol if v.op else "", value,
                         tuple(f"n{index[id(p)]}" for p in v.parents), shape)

    return tuple(describe(i, v) for i, v in enumerate(order))


def trace(root: Var, parameters: Iterable[Var] = (), output_name: str = "L") -> Trace:
    """Trace the graph behind ``root`` (``parameters`` are drawn as parameters).

    In explanation texts the output is called by its label, or ``output_name``.
    A `Tensor` root is traced by `autodiff.tensor.trace`, with shapes.
    """
    if _is_tensor(root):
        from .tensor.trace import trace as trace_tensors
        return trace_tensors(root, parameters, output_name)
    if not isinstance(root, Var):
        raise TypeError(f"trace: expected a Var or a Tensor, got {type(root).__name__}")
    parameters = list(parameters)
    for p in parameters:
        if not isinstance(p, Var):
            raise TypeError(f"trace: the parameters of a Var graph must be Vars, got {type(p).__name__}")
    order = topological_order(root)
    nodes = describe_nodes(order, parameters, output_name)
    names = [n.name for n in nodes]
    edges = tuple(TraceEdge(parent, node.id, k) for node in nodes for k, parent in enumerate(node.parents))
    forward = tuple(_forward_step(v, node, names) for v, node in zip(order, nodes) if v.op is not None)
    return Trace(nodes, edges, forward, _backward_steps(order, nodes))


def _forward_step(v: Var, node: TraceNode, names: list[str]) -> ForwardStep:
    operands = [names[int(parent[1:])] for parent in node.parents]
    values = [p.data for p in v.parents]
    template = v.op.text.replace("-", "−")
    expr = fill(template, operands)
    numbers = fill(template, [_operand_number(x) for x in values])
    text = f"{node.name} = {expr} = {numbers} = {format_number(v.data)}"
    return ForwardStep(node.id, node.op, tuple(zip(node.parents, values)), v.data, text)


def _operand_number(x: float) -> str:
    """A number placed inside an expression: negative ones in parentheses, 2·(−3)."""
    return f"({format_number(x)})" if x < 0 else format_number(x)


def _backward_steps(order: list[Var], nodes: tuple[TraceNode, ...]) -> tuple[BackwardStep, ...]:
    """The chain rule, step by step: `backpropagate` itself, with a recorder.

    Each op node is one step, made of its contributions to its operands; the
    numbers are those of `backward()`, in its order.
    """
    index = {node: i for i, node in enumerate(order)}
    names = [n.name for n in nodes]
    out = names[-1]
    totals = [0.0] * len(order)  # each node's gradient as last recorded
    received = [0] * len(order)  # contributions so far, per node
    steps: list[tuple[int, list[Contribution]]] = []  # (node index, its contributions)

    def record(node: Var, parent: Var, local: float, contribution: float, total: float) -> None:
        i, j = index[node], index[parent]
        if not math.isfinite(total):  # as backward() does, refuse an infinite gradient
            raise OverflowError(f"trace: the gradient reaching {names[j]} is too large for a float")
        if not steps or steps[-1][0] != i:
            steps.append((i, []))
        contributions = steps[-1][1]
        k = len(contributions)  # the operand: 0 for a, 1 for b
        before, totals[j] = totals[j], total
        received[j] += 1
        upstream = node._pass_grad
        operand_names = [names[index[p]] for p in node.parents]
        # The local derivative, in the op's own terms (∂(c + a)/∂c), so that it never reads
        # like an accumulated gradient (grad(c)).
        local_text = local_name(node.op.write(*operand_names), names[j])
        text = (f"{grad_name(names[j])} += {grad_name(names[i])} · {local_text} = "
                f"{format_number(upstream)} × {format_number(local)} = {format_number(contribution)}")
        if received[j] > 1:  # fan-out: this operand was used more than once
            text += "; " + running_sum_text(names[j], format_number(before), format_number(contribution),
                                            format_number(total))
        rule = f"{local_text} = {node.op.write_derivative(k, *operand_names)}"
        contributions.append(Contribution(nodes[j].id, k, local, node.op.formula(k), contribution,
                                          before, total, text, rule))

    backpropagate(order, record=record)
    seed = BackwardStep(nodes[-1].id, 1.0, (), seed_text(out))
    return (seed,) + tuple(
        BackwardStep(nodes[i].id, order[i]._pass_grad, tuple(cs), "\n".join(c.text for c in cs))
        for i, cs in steps)


def _is_tensor(x: object) -> bool:
    """Whether ``x`` is a Tensor (without importing the tensor engine, which imports this module's types)."""
    return type(x).__name__ == "Tensor" and type(x).__module__ == "autodiff.tensor.tensor"


def reevaluate(root: Var) -> None:
    """Recompute every op node's value from its operands, after leaves' ``.data`` changed.

    The graph keeps its shape; only the numbers change. Gradients are left
    as they are (call ``backward()`` again for new ones). An op that cannot
    take its new inputs raises the same error as building the graph afresh
    would, and then no value has changed.
    """
    if _is_tensor(root):
        from .tensor.trace import reevaluate as reevaluate_tensors
        return reevaluate_tensors(root)
    order = topological_order(root)
    values = {v: v.data for v in order}
    for v in order:
        if v.op is not None:
            values[v] = v.op.evaluate(*(values[p] for p in v.parents))
    for v in order:
        v.data = values[v]
