"""A trace of a Tensor computation: the scalar trace, with shapes.

`trace(root)` gives the same `autodiff.trace.Trace` as a Var does, so the
same widgets step through it. What changes is what a value is (an array,
and each node has a ``shape``) and what a backward step says. A scalar op
multiplies by a local derivative; a tensor op applies its VJP, written in
the tensor op table, which the trace fills in with the graph's names and
each term's shape (the table writes a gradient ∂L/∂{W}; the explanations
write the gradient being accumulated as ``grad(W)``, see
`autodiff.trace.grad_name`)::

    grad(W) (3×2) += xᵀ (3×1) · grad(y) (1×2)

For tensors of at most `SMALL` numbers the texts also show the numbers:
the terms of the VJP, then its result. Two more things are said when they
happen: an operand that broadcasting stretched gets its gradient *summed*
over the stretched axes, and an operand used twice gets a running sum.

The numbers come from `backpropagate` itself, with a recorder, so replaying
the steps (`Trace.replay`) gives exactly what ``backward()`` gives.

Nodes that need no gradient (data, constants) are in the trace as leaves,
so they are drawn, but no backward step reaches them.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Optional

import numpy as np

from ..trace import (BackwardStep, Contribution, ForwardStep, Trace, TraceEdge, TraceNode, describe_nodes,
                     format_number, grad_name, running_sum_text, seed_text)
from .backprop import backpropagate, topological_order
from .ops import TensorOp, all_finite, sum_to
from .tensor import Tensor, _refuse_overflow

__all__ = ["trace", "reevaluate", "graph_order", "shape_text", "array_text", "SMALL"]

SMALL = 12  # a tensor of at most this many numbers is written out in full


def shape_text(shape: tuple[int, ...]) -> str:
    """A shape as people write it: ``3×2``, ``3`` for a vector, ``scalar`` for a 0-d array."""
    return "×".join(str(n) for n in shape) if shape else "scalar"


def array_text(values: Any) -> str:
    """Every number of a small array, rows in brackets: ``[[1, −2], [0.5, 3]]``; a 0-d one is a number."""
    values = np.asarray(values)
    if values.ndim == 0:
        return format_number(float(values))
    return "[" + ", ".join(array_text(row) for row in values) + "]"


def _small(*arrays: Any) -> bool:
    return all(np.size(a) <= SMALL for a in arrays)


def graph_order(root: Tensor) -> list[Tensor]:
    """Every node of the graph behind ``root``, constants included, parents first, root last."""
    return topological_order(root, constants=True)


def trace(root: Tensor, parameters: Iterable[Tensor] = (), output_name: str = "L") -> Trace:
    """Trace the graph behind the one-number Tensor ``root`` (``parameters`` are drawn as parameters)."""
    if not isinstance(root, Tensor):
        raise TypeError(f"trace: expected a Tensor, got {type(root).__name__}")
    if root.size != 1:
        raise ValueError(f"trace: the output has shape {root.shape}; trace a loss, one number "
                         "(reduce it first, e.g. with .sum() or .mean())")
    parameters = tuple(parameters)
    for p in parameters:
        if not isinstance(p, Tensor):
            raise TypeError(f"trace: parameters must be Tensors, got {type(p).__name__}")
    order = graph_order(root)
    nodes = describe_nodes(order, parameters, output_name)
    edges = tuple(TraceEdge(parent, node.id, k) for node in nodes for k, parent in enumerate(node.parents))
    names = [n.name for n in nodes]
    forward = tuple(_forward_step(t, node, names) for t, node in zip(order, nodes) if t.op is not None)
    backward = _backward_steps(order, nodes) if root.requires_grad else ()
    return Trace(nodes, edges, forward, backward)


# ----------------------------------------------------------------------------
# Writing an op: its expression, its operands' names, its VJP with shapes
# ----------------------------------------------------------------------------

def _operand_names(op: TensorOp, count: int) -> tuple[str, ...]:
    """The placeholder of each operand in the op's texts; a variadic op calls every one {a}."""
    names = op.operand_names
    return names if op.arity is not None else ("a",) * count


def _params_text(op: TensorOp, params: Any) -> str:
    """The op's own arguments, as they read after its operands: ", axis=0"."""
    if op.name in ("sum", "mean", "max"):
        axes = params[0]
        return "" if axes is None else f", axis={axes[0] if len(axes) == 1 else axes}"
    if op.name == "logsumexp" or op.name in ("softmax", "log_softmax", "concat", "stack"):
        axis = params[0] if isinstance(params, tuple) else params
        return f", axis={axis}"
    if op.name in ("reshape", "broadcast_to"):
        return f", {shape_text(tuple(params))}"
    return ""


def _expression(op: TensorOp, names: list[str], params: Any) -> str:
    """What the op computes, with the operands' names: ``x @ W``, ``sum(h, axis=0)``."""
    if op.arity is None:
        expr = f"{op.name}({', '.join(names)})"
    else:
        expr = op.text.format(**dict(zip(op.operand_names, names)))
    if op.name == "getitem":
        expr = expr.replace("[index]", f"[{_index_text(params)}]")
    suffix = _params_text(op, params)
    if suffix and expr.endswith(")"):
        expr = expr[:-1] + suffix + ")"
    return expr


def _index_text(index: Any) -> str:
    items = index if isinstance(index, tuple) else (index,)

    def one(item: Any) -> str:
        if isinstance(item, slice):
            return ":" if item == slice(None) else f"{'' if item.start is None else item.start}:" \
                f"{'' if item.stop is None else item.stop}" + ("" if item.step is None else f":{item.step}")
        if isinstance(item, np.ndarray):
            return array_text(item) if item.size <= SMALL else f"an array of {item.size} indices"
        return "…" if item is Ellipsis else "None" if item is None else str(item)

    return ", ".join(one(item) for item in items)


def _forward_step(t: Tensor, node: TraceNode, names: list[str]) -> ForwardStep:
    operand_names = [names[int(parent[1:])] for parent in node.parents]
    expr = _expression(t.op, operand_names, t.params).replace("-", "−")
    shapes = ", ".join(f"{n} ({shape_text(p.shape)})" for n, p in zip(operand_names, t.parents))
    text = f"{node.name} = {expr}\n    {shapes} → {node.name} ({shape_text(t.shape)})"
    if _small(t._data):
        text += f"\n    = {array_text(t._data)}"
    return ForwardStep(node.id, node.op, tuple(zip(node.parents, (p._data.copy() for p in t.parents))),
                       t._data.copy(), text)


_TABLE_GRAD = re.compile(r"∂L/∂(\{\w+\})")  # how the op table writes a gradient: ∂L/∂{out}


def grads_written(template: str) -> str:
    """An op-table text with each gradient ``∂L/∂{x}`` written as the explanations write it, ``grad({x})``.

    >>> grads_written("∂L/∂{b} = {a}ᵀ · ∂L/∂{out}")
    'grad({b}) = {a}ᵀ · grad({out})'
    """
    return _TABLE_GRAD.sub(lambda m: grad_name(m.group(1)), template)


def _terms(rule: str) -> list[tuple[int, int, str, bool]]:
    """The placeholders of a VJP's right-hand side outside any parentheses: (start, end, name, is ∂L/∂)."""
    found, depth, i = [], 0, 0
    while i < len(rule):
        ch = rule[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "{" and depth == 0:
            end = rule.index("}", i) + 1
            grad = rule[max(0, i - 4):i] == "∂L/∂"
            start = i - 4 if grad else i
            if end < len(rule) and rule[end] == "ᵀ":
                end += 1
            found.append((start, end, rule[i + 1:rule.index("}", i)], grad))
            i = end
            continue
        i += 1
    return found


def _vjp_text(op: TensorOp, k: int, g: np.ndarray, names: dict[str, str], values: dict[str, np.ndarray],
              local: Optional[np.ndarray]) -> tuple[str, str, list[str]]:
    """Operand ``k``'s VJP written three ways: the rule with names, with names and shapes, and its terms' values.

    ``names`` and ``values`` map each placeholder of the op's texts (and
    "out") to a node's name and value; ``local`` is an elementwise op's
    local derivative.
    """
    template = op.texts[min(k, len(op.texts) - 1)]
    lhs, rhs = template.split(" = ", 1)
    placeholder = op.operand_names[min(k, len(op.operand_names) - 1)]
    rule = grads_written(rhs).format(**names)
    terms = _terms(rhs)
    shown = []
    for start, end, name, is_grad in terms:
        transposed = rhs[end - 1] == "ᵀ"
        value = g if is_grad else values[name]
        if transposed:
            value = value.T
        shown.append(((grad_name(names[name]) if is_grad else names[name]) + ("ᵀ" if transposed else ""), value))
    if op.name == "matmul" and values[placeholder].ndim == 2 and all(np.ndim(v) == 1 for _, v in shown):
        # a 1-d operand of a 2-d gradient: an outer product, a column times a row
        (w1, v1), (w2, v2) = shown
        shown = [(w1, np.reshape(v1, (-1, 1))), (w2, np.reshape(v2, (1, -1)))]
    shaped, last = [], 0
    for (start, end, _, _), (written, value) in zip(terms, shown):
        shaped += [grads_written(rhs[last:start]).format(**names), f"{written} ({shape_text(np.shape(value))})"]
        last = end
    shaped.append(grads_written(rhs[last:]).format(**names))
    grad_of = grad_name(names[placeholder])
    values_text = [f"{w} = {array_text(v)}" for w, v in shown if _small(v)]
    if local is not None and " ⊙ " in rule and _small(local):  # an elementwise local derivative
        values_text.append(f"{rule.split(' ⊙ ', 1)[1]} = {array_text(local)}")
    lhs = f"{grad_of} ({shape_text(values[placeholder].shape)})"
    return (f"{grad_of} = {rule}".replace("-", "−"),
            (f"{lhs} += " + "".join(shaped)).replace("-", "−"),
            [t.replace("-", "−") for t in dict.fromkeys(values_text)])


def _broadcast_note(g_shape: tuple[int, ...], shape: tuple[int, ...], name: str) -> str:
    """What summing a gradient down to ``shape`` did, when broadcasting had stretched the operand."""
    extra = len(g_shape) - len(shape)
    axes = list(range(extra)) + [extra + i for i, n in enumerate(shape) if n == 1 and g_shape[extra + i] != 1]
    where = f"axis {axes[0]}" if len(axes) == 1 else f"axes {tuple(axes)}"
    return (f"summed over {where}: broadcasting used {name} once per slice there, "
            f"({shape_text(g_shape)}) → ({shape_text(shape)})")


def _backward_steps(order: list[Tensor], nodes: tuple[TraceNode, ...]) -> tuple[BackwardStep, ...]:
    """The backward pass, step by step: `backpropagate` itself, with a recorder."""
    index = {id(t): i for i, t in enumerate(order)}
    names = [n.name for n in nodes]
    out = names[-1]
    totals: dict[int, Any] = {}                    # each node's gradient as last recorded
    received = [0] * len(order)                    # contributions so far, per node
    steps: list[tuple[int, list[Contribution]]] = []
    last_operand: dict[int, int] = {}              # per step: the operand reached last

    def record(node: Tensor, parent: Tensor, share: np.ndarray, total: np.ndarray) -> None:
        i, j = index[id(node)], index[id(parent)]
        if not all_finite(total):
            raise OverflowError(f"trace: the gradient reaching {names[j]} is not finite")
        if not steps or steps[-1][0] != i:
            steps.append((i, []))
            last_operand[i] = -1
        k = next(m for m in range(last_operand[i] + 1, len(node.parents)) if node.parents[m] is parent)
        last_operand[i] = k
        before = totals.get(j, np.zeros_like(parent._data))
        totals[j] = np.array(total)
        received[j] += 1
        g = node._pass_grad
        placeholders = _operand_names(node.op, len(node.parents))
        op_names = {p: names[index[id(q)]] for p, q in zip(placeholders, node.parents)}
        op_values = {p: q._data for p, q in zip(placeholders, node.parents)}
        if node.op.arity is None:  # variadic: {a} is this operand
            op_names, op_values = {"a": names[j]}, {"a": parent._data}
        op_names["out"], op_values["out"] = names[i], node._data
        local = None
        if node.op.scalar is not None:  # elementwise: the scalar rule's local derivative, on every element
            local = node.op.scalar.local_derivatives(*(q._data for q in node.parents), node._data)[k]
            local = np.broadcast_to(np.asarray(local, dtype=parent._data.dtype), node.shape).copy()
        rule, shaped, values = _vjp_text(node.op, k, g, op_names, op_values, local)
        lines = [shaped] + [f"    {v}" for v in values]
        if node.op.scalar is not None and g.shape != parent.shape:
            lines.append("    " + _broadcast_note(g.shape, parent.shape, names[j]))
        lines.append(f"    = {array_text(share)}" if _small(share) else
                     f"    = a {shape_text(share.shape)} array")
        if received[j] > 1:  # fan-out: this operand was used more than once
            lines.append("    " + (
                running_sum_text(names[j], array_text(before), array_text(share), array_text(total))
                if _small(share) else running_sum_text(names[j], "the earlier contributions", "this one")))
        steps[-1][1].append(Contribution(nodes[j].id, k, local, node.op.texts[min(k, len(node.op.texts) - 1)],
                                         np.array(share), before, totals[j], "\n".join(lines), rule))

    seed = np.ones_like(order[-1]._data)
    try:  # (constants in the order are leaves that nothing passes a gradient to)
        with np.errstate(over="ignore", invalid="ignore"):
            backpropagate(order, seed, record=record)
        upstream = {i: np.array(order[i]._pass_grad) for i, _ in steps}
    finally:
        for t in order:
            t._pass_grad = 0.0
    first = BackwardStep(nodes[-1].id, seed, (), seed_text(out))
    return (first,) + tuple(BackwardStep(nodes[i].id, upstream[i], tuple(cs), "\n".join(c.text for c in cs))
                            for i, cs in steps)


def reevaluate(root: Tensor) -> None:
    """Recompute every op node from its operands, after leaves' ``.data`` changed.

    The graph keeps its shape. An op that cannot take its new inputs raises
    the error building the graph afresh would, and then nothing has changed.
    """
    order = graph_order(root)
    values = {id(t): t._data for t in order}
    for t in order:
        if t.op is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                out = t.op.forward(tuple(values[id(p)] for p in t.parents), t.params)
            if t.op.checks_result and not all_finite(out):
                _refuse_overflow(t.op, out)
            values[id(t)] = out
    for t in order:
        t._data = values[id(t)]
