"""One small tensor op, unrolled into the scalar graph it stands for.

``y = x @ W`` is one node of a Tensor graph, but it *means* one scalar
expression per entry of ``y``:

    y[0,1] = x[0,0]·W[0,1] + x[0,1]·W[1,1] + x[0,2]·W[2,1]

`unroll(y)` builds exactly those expressions out of `Var`s, one Var per
entry of each operand. Backward on them is the scalar engine's, one local
derivative at a time, and the gradient it gives each entry of ``W`` is the
entry of the VJP that the tensor op table computes in one go (``xᵀ·grad(y)``):
a sum over every place the entry was used.

The rest of the network is stood in for by the upstream gradient ``g`` =
grad(y): the unrolled graph's output is ``L = Σ g[i,j]·y[i,j]``, whose
derivative with respect to ``y[i,j]`` is exactly ``g[i,j]``. (The Vars that
hold g are called ``g[i,j]``, not ``grad(y)[i,j]``: they are numbers the
graph multiplies by, and get a gradient of their own.) By default
``g`` is ``y.grad`` when a backward pass has filled it, and all ones
(L = Σ y) otherwise.

Ops that unroll: the elementwise ops (with broadcasting), ``matmul`` of 1-d
and 2-d arrays, ``linear``, ``sum`` and ``mean``; small ones only, since
every product is a node (`MAX_NODES`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from ..trace import format_number
from ..var import Var
from .ops import TensorOp
from .tensor import Tensor, as_array
from .trace import grads_written, shape_text

__all__ = ["unroll", "Unrolled", "MAX_NODES", "UNROLLS", "upstream_name"]

MAX_NODES = 160   # more Vars than this make a graph too big to follow step by step
UNROLLS = ("elementwise ops", "matmul", "linear", "sum", "mean")


@dataclass
class Unrolled:
    """The scalar graph of one tensor op: see the module docstring.

    * ``loss``: the Var L = Σ g·y at its end;
    * ``inputs``: each operand's name and its entries as an array of Vars
      (constants included);
    * ``output``: the op's entries, an array of Vars of the op's shape;
    * ``upstream``: g, the numbers standing in for the rest of the network;
    * ``vjp``: for each operand that needs a gradient, what the tensor op
      table's VJP gives it (the numbers the unrolled backward must match).
    """

    op: TensorOp
    names: list[str]          # each operand's name, in operand order (twice for x * x)
    expression: str
    output_name: str
    loss: Var
    inputs: dict[str, np.ndarray]
    output: np.ndarray
    upstream: np.ndarray
    vjp: dict[str, np.ndarray]
    weights: np.ndarray       # the Vars that hold g in L = Σ g·y, entry by entry
    params: Any               # the op's own arguments (the axes of a sum)
    needs: tuple[bool, ...]   # which operands need a gradient, in operand order

    def refresh(self) -> None:
        """Recompute ``upstream`` and ``vjp`` from the Vars' values, after a leaf of the scalar graph changed."""
        self.upstream = _values(self.weights)
        operands = tuple(_values(self.inputs[name]) for name in self.names)
        self.vjp = _vjp(self.op, self.names, self.needs, self.upstream, operands, _values(self.output), self.params)

    @property
    def op_name(self) -> str:
        return self.op.name

    def vjp_rule(self, name: str) -> str:
        """What the op table's VJP computes for operand ``name``, in this op's names: ``xᵀ · grad(y)``."""
        texts = []
        for k, operand in enumerate(self.names):
            if operand == name:  # (x * x: a share per use, added up)
                template = grads_written(self.op.texts[min(k, len(self.op.texts) - 1)].split(" = ", 1)[1])
                names = dict(zip(self.op.operand_names, self.names), out=self.output_name)
                texts.append(template.format(**names).replace("-", "−"))
        return " + ".join(texts)

    def gradients(self) -> dict[str, np.ndarray]:
        """Each operand's entries' ``.grad``, as float arrays of the operand's shape."""
        return {name: np.vectorize(lambda v: v.grad, otypes=[float])(entries)
                for name, entries in self.inputs.items() if name in self.vjp}


def _entry_name(name: str, index: tuple[int, ...]) -> str:
    return f"{name}[{','.join(str(i) for i in index)}]" if index else name


def _vars(name: str, values: np.ndarray) -> np.ndarray:
    """One labelled Var per entry: W[0,1], W[1,1], ..."""
    out = np.empty(values.shape, dtype=object)
    for index in np.ndindex(values.shape):
        out[index] = Var(float(values[index]), label=_entry_name(name, index))
    return out


def _constant_name(t: Tensor) -> str:
    """An unlabelled one-number constant (the 2 in ``2 ** a``) is called by its value; else ""."""
    return format_number(float(t._data)) if t.ndim == 0 and not t.requires_grad else ""


def _sum(terms: list) -> Any:
    """Σ terms as a chain of scalar additions, first to last (a sum of none is 0.0)."""
    total = terms[0] if terms else 0.0
    for term in terms[1:]:
        total = total + term
    return total


def _elementwise(op: Any, operands: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    stretched = [np.broadcast_to(x, shape) for x in operands]  # broadcasting: the same Var, used again
    for index in np.ndindex(shape):
        out[index] = op(*(x[index] for x in stretched))
    return out


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a2 = a.reshape(1, -1) if a.ndim == 1 else a
    b2 = b.reshape(-1, 1) if b.ndim == 1 else b
    out = np.empty((a2.shape[0], b2.shape[1]), dtype=object)
    for i, j in itertools.product(range(a2.shape[0]), range(b2.shape[1])):
        out[i, j] = _sum([a2[i, k] * b2[k, j] for k in range(a2.shape[1])])
    if a.ndim == 1:
        out = out[0]
    if b.ndim == 1:
        out = out[..., 0]
    return out


def _reduce(x: np.ndarray, axes: Optional[tuple[int, ...]], keepdims: bool, mean: bool) -> np.ndarray:
    axes = tuple(range(x.ndim)) if axes is None else axes
    kept = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
    out = np.empty(kept, dtype=object)
    count = math.prod(x.shape[i] for i in axes)
    for index in np.ndindex(kept):
        picks = tuple(slice(None) if i in axes else slice(k, k + 1) for i, k in enumerate(index))
        total = _sum(list(x[picks].ravel()))
        out[index] = total * (1.0 / count) if mean else total
    if not keepdims:
        out = out.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))
    return out


def _size_of(op_name: str, shapes: list[tuple[int, ...]], out_shape: tuple[int, ...]) -> int:
    """How many Vars the unrolled graph will have (about): to refuse a big one before building it."""
    entries = sum(math.prod(s) for s in shapes) + 3 * math.prod(out_shape)
    if op_name == "matmul":
        inner = shapes[0][-1]
        return entries + 2 * inner * math.prod(out_shape)
    if op_name == "linear":
        return entries + 2 * (shapes[0][-1] + 1) * math.prod(out_shape)
    if op_name in ("sum", "mean"):
        return entries + math.prod(shapes[0])
    return entries + math.prod(out_shape)


def unroll(node: Tensor, upstream: Any = None) -> Unrolled:
    """The scalar `Var` graph of the op that computed ``node`` (see the module docstring)."""
    if not isinstance(node, Tensor):
        raise TypeError(f"unroll: expected a Tensor made by an op, got {type(node).__name__}")
    op = node.op
    if op is None:
        raise ValueError("unroll: this Tensor was not made by an op (it is a leaf, or was computed "
                         "under no_grad), so there is nothing to unroll")
    supported = op.scalar is not None or op.name in ("matmul", "linear", "sum", "mean")
    if not supported:
        raise ValueError(f"unroll: cannot unroll {op.name}; unroll takes {', '.join(UNROLLS)}")
    if op.name in ("matmul", "linear") and any(p.ndim > 2 for p in node.parents):
        raise ValueError(f"unroll: {op.name} unrolls for 1-d and 2-d operands only, got shapes "
                         + " and ".join(shape_text(p.shape) for p in node.parents))
    size = _size_of(op.name, [p.shape for p in node.parents], node.shape)
    if size > MAX_NODES:
        raise ValueError(f"unroll: {op.name} of shapes {', '.join(shape_text(p.shape) for p in node.parents)} "
                         f"would make about {size} scalar nodes, more than {MAX_NODES}; unroll a small "
                         "example (up to about 3×3)")
    if upstream is None:
        upstream = node._grad if node._grad is not None else np.ones_like(node._data)
    g = as_array(upstream, "unroll: upstream", node.dtype)
    if g.shape != node.shape:
        raise ValueError(f"unroll: upstream has shape {g.shape}, the op's output {node.shape}")

    placeholders = op.operand_names
    names, entries, made = [], [], {}
    for k, p in enumerate(node.parents):
        if id(p) not in made:  # x * x: one operand used twice is one set of Vars, used twice
            name = p.label or _constant_name(p) or placeholders[k]
            # (a name must not be another operand's: 2 ** a is not "a^a2")
            taken = {n for n, _ in made.values()} | {q.label for q in node.parents if q is not p}
            if name in taken:
                name = f"{name}{k + 1}"
            made[id(p)] = (name, _vars(name, p._data))
        names.append(made[id(p)][0])
        entries.append(made[id(p)][1])
    out_name = node.label or "y"

    if op.scalar is not None:
        output = _elementwise(op.scalar, entries, node.shape)
    elif op.name == "matmul":
        output = _matmul(*entries)
    elif op.name == "linear":
        x, w, b = entries
        output = _elementwise(lambda s, c: s + c, [_matmul(x, w.T), b], node.shape)
    else:
        axes, keepdims = node.params
        output = _reduce(entries[0], axes, keepdims, mean=op.name == "mean")
    for index in np.ndindex(node.shape):
        if isinstance(output[index], Var):
            output[index].label = _entry_name(out_name, index)
    weights = _vars(upstream_name(out_name, names), g)
    loss = _sum([weights[i] * output[i] for i in np.ndindex(node.shape)])
    if not isinstance(loss, Var):
        raise ValueError(f"unroll: {op.name} of shape {shape_text(node.shape)} has no entries to unroll")
    loss.label = "L"

    needs = tuple(p.requires_grad for p in node.parents)
    vjp = _vjp(op, names, needs, g, tuple(p._data for p in node.parents), node._data, node.params)
    expression = (op.text.format(**dict(zip(placeholders, names))) if op.arity else op.name).replace("-", "−")
    inputs = dict(zip(names, entries))
    return Unrolled(op, names, expression, out_name, loss, inputs, output, g, vjp, weights, node.params, needs)


def _vjp(op: TensorOp, names: list[str], needs: tuple[bool, ...], g: np.ndarray, operands: tuple,
         out: np.ndarray, params: Any) -> dict[str, np.ndarray]:
    """What the op table's VJP gives each operand that needs a gradient, by name."""
    shares = op.vjp(g, operands, out, params, needs)
    vjp: dict[str, np.ndarray] = {}
    for name, share, need in zip(names, shares, needs):
        if need:  # an operand used twice gets the sum of its two shares
            vjp[name] = vjp[name] + share if name in vjp else np.asarray(share)
    return vjp


def upstream_name(out_name: str, names: list[str]) -> str:
    """What the Vars holding the upstream gradient are called: ``g``, or ``g_y`` if an operand or the output is "g"."""
    return "g" if "g" not in (*names, out_name) else f"g_{out_name}"


def _values(entries: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda v: v.data, otypes=[float])(entries)
