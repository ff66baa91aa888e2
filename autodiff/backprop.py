"""Reverse mode: order the graph, then apply the chain rule from the output back.

For an output ``L`` and a node ``n`` made from operands ``a`` and ``b``, the
chain rule says

    grad(a)  +=  grad(n) · ∂n/∂a        (and the same for b)

where ``grad(a)`` is ``a.grad``, the running total that holds ∂L/∂a once the
pass is over, and ``∂n/∂a`` is the op's *local derivative*, from the op table. It is
``+=`` because ``a`` may be used by several nodes, or twice by one
(``a + a``): each use adds its share. A node must have received every share
before it passes its own on, so nodes are visited in reverse topological
order: the output first, the inputs last. That is the whole algorithm:

    order = topological_order(L)
    L.grad = 1
    for node in reversed(order):
        for parent, local in zip(node.parents, local derivatives of node.op):
            parent.grad += local * node.grad

`backpropagate` below is that loop. It differs in one way: it sums each
node's gradient in a slot of the node's own, ``node._pass_grad``, not in
``.grad``. Built on it:

* `backward` adds those sums to ``.grad`` all at once, after checking that
  every one is a finite number: an error midway changes nothing, and calling
  ``backward()`` twice adds exactly the same gradients twice;
* `grad` returns them without touching ``.grad`` at all, and with
  ``create_graph=True`` computes them as Vars with graphs of their own, to be
  differentiated again;
* `autodiff.trace` records every step of the loop for the lessons.

The walks use a stack of their own, never recursion, so a graph a million ops
deep is fine (micrograd's recursive walk stops near 1,000).

What the algorithm needs of a node is only its ``op``, its operands ``_a``
and ``_b``, its value ``_data``, its ``_grad``, and two slots of scratch
space: ``_pass_grad`` for the pass and ``_mark`` for the walk. (So two
passes over one graph must not run at the same time, in two threads.)
"""

from __future__ import annotations

import math
import operator
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, Union

from .arguments import type_and_value

if TYPE_CHECKING:  # (var.py imports this module: Var.backward calls backward below)
    from .var import Var

__all__ = ["topological_order", "backpropagate", "backward", "grad"]


def topological_order(root: "Var") -> list["Var"]:
    """Every node ``root`` depends on, each listed after all of its parents; root last.

    A depth-first walk: a node is listed once all of its parents are.
    Operand ``a`` is explored before ``b``, so the order is the same every
    time. The stack holds nothing but nodes, so even a walk a million nodes
    deep makes no objects for the garbage collector to track.

    The walk marks each node it meets with one of two marks of its own, made
    afresh for every walk, so marks left by earlier walks mean nothing and
    need no clearing. (Sets of the nodes seen would do the same job and cost
    5 ms more per step of micrograd's demo: 20 ms instead of 15 ms.)
    """
    _check_var(root, "topological_order")
    opened, listed = object(), object()  # this walk's marks
    order: list[Var] = []
    stack = [root]
    while stack:
        node = stack[-1]
        mark = node._mark
        if mark is opened:  # on top again: all its parents are listed
            stack.pop()
            node._mark = listed
            order.append(node)
        elif mark is listed:  # it was pushed twice, and is listed already
            stack.pop()
        else:  # first time on top: push its parents, b first so that a comes off first
            node._mark = opened
            a, b = node._a, node._b
            if b is not None and b._mark is not opened and b._mark is not listed:
                stack.append(b)
            if a is not None and a._mark is not opened and a._mark is not listed:
                stack.append(a)
    return order


Recorder = Callable[["Var", "Var", Any, Any, Any], None]


def backpropagate(
    order: list[Var],
    seed: Any = 1.0,
    create_graph: bool = False,
    record: Optional[Recorder] = None,
) -> None:
    """The chain rule over ``order``, a topological order with the output last.

    Leaves ∂output/∂node in ``node._pass_grad`` for every node of ``order``,
    the output's own being ``seed``. The local derivatives are floats, or,
    with ``create_graph``, Vars computed by the same rules from the operands
    themselves, which record a graph of their own. ``record(node, parent,
    local, contribution, total)``, if given, is called for every contribution
    as it is added: ``total`` is the parent's new sum.

    Every op has one or two operands, ``_a`` and ``_b``, and the loop takes
    them one after the other. A loop over ``zip(node.parents, local)`` reads
    more generally and costs 14 ms more per step of micrograd's demo (a 45 ms
    pass instead of 31 ms); calling a function for the local derivatives
    would cost another 4 ms.
    """
    add = _add_to_graph if create_graph else operator.add
    for node in order:
        node._pass_grad = 0.0  # nothing has reached it yet
    order[-1]._pass_grad = seed
    for node in reversed(order):
        op = node.op
        if op is None:  # a leaf: nothing to pass on
            continue
        upstream = node._pass_grad  # complete: every node that uses this one came before it
        a, b = node._a, node._b
        try:  # the local derivatives, from the op table
            if create_graph:
                local = op.local_derivatives(*node.parents, node)
            elif b is None:
                local = op.local_derivatives(a._data, node._data)
            else:
                local = op.local_derivatives(a._data, b._data, node._data)
        except (ArithmeticError, ValueError) as error:  # e.g. the slope of sqrt at 0
            raise op.derivative_error([p._data for p in node.parents], error) from None
        contribution = local[0] * upstream
        a._pass_grad = add(a._pass_grad, contribution)
        if record is not None:
            record(node, a, local[0], contribution, a._pass_grad)
        if b is not None:
            contribution = local[1] * upstream
            b._pass_grad = add(b._pass_grad, contribution)
            if record is not None:
                record(node, b, local[1], contribution, b._pass_grad)


def _add_to_graph(total: Any, contribution: Any) -> Any:
    """``total + contribution``, but no ``0 + contribution`` node while the total is still 0.

    With ``create_graph`` the contributions are Vars, and each addition
    records a node; the first one needs none.
    """
    if type(total) is float and total == 0.0:
        return contribution
    return total + contribution


# ----------------------------------------------------------------------------
# backward(): the pass, then an all-or-nothing update of .grad
# ----------------------------------------------------------------------------

def backward(root: Var) -> None:
    """Add d(root)/d(node) to ``node.grad`` for every node in root's graph.

    Either every ``.grad`` changes or, when a gradient is not a finite number,
    none does and the error says where.
    """
    _check_var(root, "backward")
    order = topological_order(root)
    backpropagate(order)
    totals = [node._grad + node._pass_grad for node in order]
    if not all(map(math.isfinite, totals)):
        _refuse_overflow(order, totals)
    for node, total in zip(order, totals):
        node._grad = total  # (no need for the .grad setter's check: every total is finite)


def _refuse_overflow(order: list[Var], totals: Sequence[float] = ()) -> None:
    """Raise OverflowError for the first gradient that is not a finite number, if there is one."""
    for node in reversed(order):  # the first one the pass reached is where it overflowed
        if not math.isfinite(node._pass_grad):
            made_by = node.op.symbol if node.op is not None else "leaf"
            raise OverflowError(
                f"backward: the gradient reaching {node!r} (op {made_by!r}) is too large for a float"
            )
    for node, total in zip(order, totals):
        if not math.isfinite(total):
            raise OverflowError(
                f"backward: adding this pass's gradient to {node!r} gives {total}; "
                "reset .grad (zero_grad) between steps"
            )


# ----------------------------------------------------------------------------
# grad(): gradients as values, and derivatives of derivatives
# ----------------------------------------------------------------------------

def grad(
    output: Var,
    inputs: Union[Var, Sequence[Var]],
    create_graph: bool = False,
) -> tuple[Var, ...]:
    """The gradient of ``output`` with respect to each of ``inputs``, as Vars.

    Unlike ``backward()`` this leaves every ``.grad`` untouched. An input that
    ``output`` does not depend on gets a zero. With ``create_graph=True`` the
    results carry their own graph, so they can be differentiated again::

        x = Var(3.0)
        (dy,) = grad(x ** 3, [x], create_graph=True)   # 3x² = 27
        (d2y,) = grad(dy, [x])                         # 6x  = 18
    """
    _check_var(output, "grad")
    if _is_var(inputs):
        inputs = (inputs,)
    else:
        try:
            inputs = tuple(inputs)
        except TypeError:
            raise TypeError(f"grad: inputs must be a Var or a list of Vars, got {type_and_value(inputs)}") from None
    for i, x in enumerate(inputs):
        if not _is_var(x):
            raise TypeError(f"grad: inputs[{i}] must be a Var, got {type(x).__name__}")
    order = topological_order(output)
    try:
        backpropagate(order, create_graph=create_graph)
        if not create_graph:  # (with a graph, each op on Vars refuses an overflow itself)
            _refuse_overflow(order)
        reached = set(order)
        results = [x._pass_grad if x in reached else 0.0 for x in inputs]
    finally:
        for node in order:  # keep no derivative's graph alive from here
            node._pass_grad = 0.0
    leaf = type(output)  # a plain number becomes a new leaf: Var(g)
    return tuple(g if isinstance(g, leaf) else leaf(g) for g in results)


def _is_var(x: Any) -> bool:
    return hasattr(type(x), "_pass_grad")  # a node this module can walk


def _check_var(x: Any, caller: str) -> None:
    if not _is_var(x):
        raise TypeError(f"{caller}: expected a Var, got {type(x).__name__}")
