"""Reverse mode for Tensors: the algorithm of `autodiff.backprop`, with whole arrays.

The walk and the pass are those of the scalar engine (read that module
first). One thing changes: a node passes back ``op.vjp(g, ...)``, each
operand's share of ∂L/∂node as an array, where a Var multiplied by a local
derivative. The VJP runs on the arrays themselves for a plain pass, and on
the Tensors with ``create_graph=True``, so that the gradient is a Tensor
with a graph of its own.

Nodes that need no gradient (constants, data, anything computed under
``no_grad``) are left out of the walk altogether.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, Union

import numpy as np

from .ops import all_finite

if TYPE_CHECKING:  # (tensor.py imports this module: Tensor.backward calls backward below)
    from .tensor import Tensor

__all__ = ["topological_order", "backpropagate", "backward", "grad", "jvp"]


def topological_order(root: "Tensor", constants: bool = False) -> list["Tensor"]:
    """Every node that requires a gradient and that ``root`` depends on, parents first; root last.

    The same depth-first walk as the scalar engine's, over ``parents`` in
    order; a walk marks nodes with two marks of its own. With
    ``constants=True`` the constants met on the way (data, the 2 in
    ``x * 2``) are listed too, for a drawing of the whole graph.
    """
    opened, listed = object(), object()
    order: list[Tensor] = []
    stack = [root]
    while stack:
        node = stack[-1]
        mark = node._mark
        if mark is opened:  # on top again: all its parents are listed
            stack.pop()
            node._mark = listed
            order.append(node)
        elif mark is listed:  # pushed twice, listed already
            stack.pop()
        else:  # first time on top: push its parents, the last first so the first comes off first
            node._mark = opened
            for parent in reversed(node.parents):
                if (parent.requires_grad or constants) and parent._mark is not opened and parent._mark is not listed:
                    stack.append(parent)
    return order


Recorder = Callable[["Tensor", "Tensor", Any, Any], None]


def backpropagate(order: list["Tensor"], seed: Any, create_graph: bool = False,
                  record: Optional[Recorder] = None) -> None:
    """The chain rule over ``order`` (a topological order, output last), with each op's VJP.

    Leaves ∂output/∂node in ``node._pass_grad`` for every node of ``order``:
    arrays, or Tensors with ``create_graph``. ``record(node, parent,
    contribution, total)``, if given, is called for every contribution.
    """
    for node in order:
        node._pass_grad = 0.0  # nothing has reached it yet
    order[-1]._pass_grad = seed
    for node in reversed(order):
        if node.op is None:  # a leaf: nothing to pass on
            continue
        g = node._pass_grad  # complete: every node that uses this one came before it
        needs = tuple(p.requires_grad for p in node.parents)
        if create_graph:
            shares = node.op.vjp(g, node.parents, node, node.params, needs)
        else:
            shares = node.op.vjp(g, tuple(p._data for p in node.parents), node._data, node.params, needs)
        for parent, share in zip(node.parents, shares):
            if not parent.requires_grad:
                continue
            if not create_graph and share.dtype != parent._data.dtype:  # (a float64 constant met float32)
                share = share.astype(parent._data.dtype)
            total = parent._pass_grad
            if create_graph and type(total) is float:  # the first share needs no "0 +" node
                parent._pass_grad = share
            else:
                parent._pass_grad = total + share
            if record is not None:
                record(node, parent, share, parent._pass_grad)


# ----------------------------------------------------------------------------
# backward(): the pass, then an all-or-nothing update of .grad
# ----------------------------------------------------------------------------

def _seed(root: "Tensor", gradient: Any, caller: str) -> np.ndarray:
    from .tensor import as_array

    if gradient is None:
        if root.size != 1:
            raise RuntimeError(
                f"{caller}: a Tensor of shape {root.shape} needs a gradient (an array of its shape); "
                "for a loss, reduce it to one number first, e.g. .sum() or .mean()")
        return np.ones_like(root._data)
    seed = as_array(gradient, f"{caller}: gradient", root._data.dtype)
    if seed.shape != root.shape:
        raise ValueError(f"{caller}: gradient has shape {seed.shape}, the Tensor {root.shape}")
    return seed.copy()  # the root's .grad will be this array: not the caller's own


def _check_root(root: Any, caller: str) -> None:
    from .tensor import Tensor

    if not isinstance(root, Tensor):
        raise TypeError(f"{caller}: expected a Tensor, got {type(root).__name__}")
    if not root.requires_grad:
        raise RuntimeError(f"{caller}: this Tensor does not require a gradient (it was computed from "
                           "constants only, or under no_grad()), so it has no graph to go back through")


def backward(root: "Tensor", gradient: Any = None) -> None:
    """Add d(root)/d(node) to ``node.grad`` for every node that requires a gradient.

    Either every ``.grad`` changes or, when a gradient is not finite, none
    does and the error says where.
    """
    _check_root(root, "backward")
    seed = _seed(root, gradient, "backward")
    order = topological_order(root)
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused below, in words
            backpropagate(order, seed)
            totals = [node._pass_grad if node._grad is None else node._grad + node._pass_grad
                      for node in order]
            finite = all(map(all_finite, totals))
        if not finite:
            _refuse_overflow(order, totals)
    except BaseException:
        for node in order:
            node._pass_grad = 0.0
        raise
    for node, total in zip(order, totals):
        node._grad = total  # a new array: the pass makes one per node, and the seed is a copy
        node._pass_grad = 0.0


def _describe(node: "Tensor") -> str:
    name = f" {node.label!r}" if node.label else ""
    made = f"made by {node.op.name}" if node.op is not None else "a leaf"
    return f"the Tensor{name} of shape {node.shape} ({made})"


def _refuse_overflow(order: list["Tensor"], totals: list[np.ndarray]) -> None:
    for node in reversed(order):  # the first one the pass reached is where it overflowed
        if not np.isfinite(node._pass_grad).all():
            raise OverflowError(f"backward: the gradient reaching {_describe(node)} is not finite")
    for node, total in zip(order, totals):
        if not np.isfinite(total).all():
            raise OverflowError(f"backward: adding this pass's gradient to {_describe(node)} gives a "
                                "number too large for its dtype; reset .grad (zero_grad) between steps")


# ----------------------------------------------------------------------------
# grad(): gradients as Tensors, derivatives of derivatives, and forward mode
# ----------------------------------------------------------------------------

def grad(output: "Tensor", inputs: Union["Tensor", Sequence["Tensor"]], create_graph: bool = False,
         grad_output: Any = None) -> tuple["Tensor", ...]:
    """The gradient of ``output`` with respect to each of ``inputs``, as Tensors.

    ``.grad`` is left untouched. An input ``output`` does not depend on gets
    zeros. ``grad_output`` seeds a non-scalar output (an array, or a Tensor
    with ``create_graph``); with ``create_graph=True`` the results carry a
    graph of their own and can be differentiated again.
    """
    from .tensor import Tensor, as_array

    _check_root(output, "grad")
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise TypeError(f"grad: inputs[{i}] must be a Tensor, got {type(x).__name__}")
    if isinstance(grad_output, Tensor):
        if not create_graph:
            raise ValueError("grad: a Tensor grad_output needs create_graph=True")
        if grad_output.shape != output.shape:
            raise ValueError(f"grad: grad_output has shape {grad_output.shape}, the output {output.shape}")
        seed: Any = grad_output
    else:
        seed = _seed(output, grad_output, "grad")
        if create_graph:
            seed = Tensor(seed, requires_grad=False)
    order = topological_order(output)
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused below, in words
            backpropagate(order, seed, create_graph=create_graph)
        reached = set(order)
        results = []
        for x in inputs:
            g = x._pass_grad if x in reached else 0.0
            if isinstance(g, Tensor):
                results.append(g)
            else:
                g = np.broadcast_to(np.asarray(g, dtype=x._data.dtype), x.shape)
                if not np.isfinite(g).all():
                    raise OverflowError(f"grad: the gradient of {x.label or 'an input'} of shape {x.shape} "
                                        "is not finite")
                results.append(Tensor(as_array(g, "grad"), requires_grad=False))
    finally:
        for node in order:  # keep no derivative's graph alive from here
            node._pass_grad = 0.0
    return tuple(results)


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Forward mode on Tensors: ``(f(x), J·v)``, from the same VJPs as reverse mode.

    The trick (the "double VJP"): u ↦ Jᵀu is linear, so its own VJP, with
    the tangent v as the cotangent, is (Jᵀ)ᵀv = Jv. It costs two reverse
    passes instead of one forward pass, and needs no second table of rules.
    """
    from .tensor import Tensor, as_array

    if not callable(f):
        raise TypeError(f"jvp: f must be callable, got {type(f).__name__}")
    primals, tangents = list(primals), list(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: got {len(primals)} primal(s) but {len(tangents)} tangent(s); they must match")
    xs = [Tensor(p) for p in primals]
    vs = []
    for i, (x, t) in enumerate(zip(xs, tangents)):
        v = as_array(t, f"jvp: tangents[{i}]", x.dtype)
        if v.shape != x.shape:
            raise ValueError(f"jvp: tangents[{i}] has shape {v.shape}, primals[{i}] {x.shape}")
        vs.append(v)
    out = f(*xs)
    if not isinstance(out, Tensor):
        raise TypeError(f"jvp: f must return a Tensor, got {type(out).__name__}")
    if not out.requires_grad:  # f does not depend on its inputs
        return out.data.copy(), np.zeros_like(out.data)
    u = Tensor(np.zeros_like(out.data))  # a stand-in cotangent: Jᵀu is built as a graph in u
    pulled = grad(out, xs, create_graph=True, grad_output=u)
    total = sum(((p * v).sum() for p, v in zip(pulled, vs) if p.requires_grad),
                Tensor(0.0, dtype=out.dtype, requires_grad=False))
    if not total.requires_grad:  # f is constant in its inputs
        return out.data.copy(), np.zeros_like(out.data)
    (jv,) = grad(total, [u])
    return out.data.copy(), jv.data
