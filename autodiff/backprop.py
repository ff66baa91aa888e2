"""Reverse mode: order the graph, then apply the chain rule from the output back.

For an output ``L`` and a node ``n`` made from operands ``a`` and ``b``, the
chain rule says

    ∂L/∂a  +=  ∂L/∂n · ∂n/∂a        (and the same for b)

where ``∂n/∂a`` is the op's *local derivative*, taken from the op table. A node
must have received every contribution before it passes its own on, so nodes
are visited in reverse topological order: the output first, the inputs last.

Three details make this safe on any graph:

* The walk uses an explicit stack, never recursion, so a graph a million ops
  deep is fine (micrograd's recursive walk stops near 1,000).
* A pass sums into a scratch slot, ``node._g``, and adds the totals to
  ``.grad`` only after every local derivative has been computed. An error
  midway therefore changes nothing, and a second ``backward()`` adds exactly
  the same gradients again instead of re-propagating the first call's totals.
* The pass allocates no Python object per node, only floats, so it gives the
  cyclic garbage collector nothing to do.
"""

from __future__ import annotations

import math
from typing import Any, Sequence, Union

from .var import Var

__all__ = ["topological_order", "backward", "grad"]

_OPEN = object()     # _g of a node whose parents are still being ordered
_DONE = object()     # _g of an ordered node, in topological_order()
_NOTHING = object()  # _g of a node no gradient has reached (create_graph mode)


def _order(root: Var, start: Any) -> list[Var]:
    """Nodes that ``root`` depends on, parents before children; sets each ``_g`` to ``start``.

    A depth-first walk with an explicit stack, exploring operand ``a`` before
    ``b``, so the order is the same every time. ``_g`` doubles as the mark:
    None for a node not seen yet, ``_OPEN`` while its parents are explored.
    """
    order: list[Var] = []
    stack = [root]
    push, pop, emit = stack.append, stack.pop, order.append
    try:
        while stack:
            node = stack[-1]
            mark = node._g
            if mark is None:  # first visit: push the parents not seen yet
                node._g = _OPEN
                waiting = False
                a, b = node._a, node._b
                if b is not None and b._g is None:
                    push(b)
                    waiting = True
                if a is not None and a._g is None:
                    push(a)
                    waiting = True
                if waiting:
                    continue
            else:  # back again: its parents have all been ordered meanwhile
                if mark is not _OPEN:  # it was pushed twice and is done already
                    pop()
                    continue
            pop()
            node._g = start
            emit(node)
    except BaseException:  # e.g. KeyboardInterrupt: leave no marks behind
        _clear(order)
        _clear(stack)
        raise
    return order


def _clear(order: list[Var]) -> None:
    for node in order:
        node._g = None


def topological_order(root: Var) -> list[Var]:
    """Every node ``root`` depends on, each listed after all of its parents; root last."""
    if not isinstance(root, Var):
        raise TypeError(f"topological_order: expected a Var, got {type(root).__name__}")
    order = _order(root, start=_DONE)
    _clear(order)
    return order


def _local_error(node: Var, error: Exception) -> Exception:
    """Say which op's local derivative failed during backward, and where."""
    error = node._op.derivative_error([p._data for p in node.parents], error)
    return type(error)(f"backward: {error}")


def _propagate_numbers(order: list[Var]) -> None:
    """The chain rule on floats: every ``_g`` ends as d(root)/d(node)."""
    for node in reversed(order):
        upstream = node._g
        if upstream - upstream != 0.0:
            raise OverflowError(
                f"backward: the gradient reaching {node!r} (op {node.op or 'leaf'!r}) "
                "is too large for a float"
            )
        a = node._a
        if a is None:  # a leaf: nothing to pass on
            continue
        b = node._b
        try:
            if b is None:
                (da,) = node._op.derivative(a._data, node._data)
            else:
                da, db = node._op.derivative(a._data, b._data, node._data)
        except (ArithmeticError, ValueError) as error:
            raise _local_error(node, error) from None
        a._g += da * upstream
        if b is not None:
            b._g += db * upstream


def _propagate_graph(order: list[Var]) -> None:
    """The chain rule on Vars: every ``_g`` ends as a Var with a graph of its own."""
    for node in reversed(order):
        upstream = node._g
        if node._a is None or upstream is _NOTHING:
            continue
        parents = node.parents
        try:
            local = node._op.derivative(*parents, node)
        except (ArithmeticError, ValueError) as error:
            raise _local_error(node, error) from None
        for parent, derivative in zip(parents, local):
            contribution = derivative * upstream
            if parent._g is _NOTHING:
                parent._g = contribution
            else:
                parent._g = parent._g + contribution


def _check_root(root: Any, caller: str) -> None:
    if not isinstance(root, Var):
        raise TypeError(f"{caller}: expected a Var, got {type(root).__name__}")


def backward(root: Var) -> None:
    """Add d(root)/d(node) to ``node.grad`` for every node in root's graph."""
    _check_root(root, "backward")
    order = _order(root, start=0.0)
    try:
        root._g = 1.0
        _propagate_numbers(order)
        totals = [node._grad + node._g for node in order]
        if not math.isfinite(sum(totals)):  # rare: find out whether one total really overflowed
            _check_finite(order, totals)
    except BaseException:
        _clear(order)
        raise
    for node, total in zip(order, totals):
        node._grad = total
        node._g = None


def _check_finite(order: list[Var], totals: list[float]) -> None:
    for node, total in zip(order, totals):
        if not math.isfinite(total):
            raise OverflowError(
                f"backward: adding this pass's gradient to {node!r} gives {total}; "
                "reset .grad (zero_grad) between steps"
            )


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
    _check_root(output, "grad")
    inputs = (inputs,) if isinstance(inputs, Var) else tuple(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Var):
            raise TypeError(f"grad: inputs[{i}] must be a Var, got {type(x).__name__}")
    order = _order(output, start=_NOTHING if create_graph else 0.0)
    try:
        output._g = 1.0
        if create_graph:
            _propagate_graph(order)
        else:
            _propagate_numbers(order)
        results = []
        for x in inputs:
            g = x._g
            if isinstance(g, Var):
                results.append(g)
            else:  # a number, or no path from x to the output at all
                results.append(Var(g if isinstance(g, float) else 0.0))
        return tuple(results)
    finally:
        _clear(order)
