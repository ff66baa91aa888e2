"""What a graph keeps alive for its backward pass, node by node, in bytes.

Every node of a Tensor graph holds its value (``_data``) until the graph is
freed, because some VJP may read it: ``tanh``'s reads its output, ``matmul``'s
its inputs. A few ops also keep arrays of their own in ``params`` (the index
of ``t[idx]``, the condition of `where`, the targets of a cross-entropy).
`saved_memory` walks the graph, as `backward()` would, and adds up those
arrays' bytes:

* once per buffer: numpy's views (``reshape``, ``transpose``, a slice,
  ``broadcast_to``) share their base's memory and add nothing, and an array
  held by two nodes counts once;
* leaves (your weights, and data: Tensors that need no gradient) are listed
  too, but they exist with or without the graph; ``activations`` is what the
  graph alone keeps alive, the values made by ops.

Not counted: ``.grad`` arrays (the backward pass adds one per node it
reaches), and whatever a checkpointed function closes over.

>>> from autodiff.tensor import Tensor
>>> x = Tensor([[1.0, 2.0, 3.0]])          # 3 float64: 24 bytes
>>> y = (x * 2.0).tanh()                   # two ops, 24 bytes each; the 2.0 is a constant of 8
>>> saved_memory(y).total, saved_memory(y).activations
(80, 48)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from .backprop import topological_order
from .tensor import Tensor

__all__ = ["Row", "Memory", "saved_memory"]


@dataclass(frozen=True)
class Row:
    """One node: what it is and the bytes it holds that no earlier row counted."""

    name: str                  # its label, else what made it
    kind: str                  # "leaf" (needs a gradient), "constant" (needs none) or the op's name
    shape: tuple[int, ...]
    dtype: str
    value_bytes: int           # its value
    saved_bytes: int           # arrays in its op's params

    @property
    def bytes(self) -> int:
        return self.value_bytes + self.saved_bytes


@dataclass(frozen=True)
class Memory:
    """The rows of a graph, inputs first and the root last, and their sums."""

    rows: tuple[Row, ...]

    @property
    def total(self) -> int:
        """Every byte the graph holds on to, leaves included."""
        return sum(row.bytes for row in self.rows)

    @property
    def leaves(self) -> int:
        """Weights, data and constants: alive with or without the graph."""
        return sum(row.bytes for row in self.rows if row.kind in ("leaf", "constant"))

    @property
    def activations(self) -> int:
        """What only the graph keeps alive: the values ops made (and their saved arrays)."""
        return self.total - self.leaves

    def table(self) -> str:
        """The rows as a text table, with the sums at the bottom."""
        lines = [f"{'node':<14} {'made by':<12} {'shape':<12} {'dtype':<8} {'value B':>9} {'saved B':>8}"]
        for row in self.rows:
            lines.append(f"{row.name[:14]:<14} {row.kind[:12]:<12} {str(row.shape):<12} {row.dtype:<8} "
                         f"{row.value_bytes:>9,} {row.saved_bytes:>8,}")
        lines.append(f"total {self.total:,} bytes: leaves {self.leaves:,}, activations {self.activations:,}")
        return "\n".join(lines)


def saved_memory(root: Tensor) -> Memory:
    """The bytes that the graph of ``root`` keeps alive, node by node (see the module docstring)."""
    if not isinstance(root, Tensor):
        raise TypeError(f"saved_memory: expected a Tensor, got {type(root).__name__}")
    counted: dict[int, np.ndarray] = {}  # the buffers seen so far (kept here, so their ids stay theirs)

    def new_bytes(arrays: Iterator[np.ndarray]) -> int:
        total = 0
        for array in arrays:
            owner = _owner(array)
            if id(owner) not in counted:
                counted[id(owner)] = owner
                total += owner.nbytes
        return total

    rows = []
    seen: set[int] = set()
    for node in topological_order(root):
        for parent in node.parents:  # constants: not in the walk, but held by the graph all the same
            if not parent.requires_grad and id(parent) not in seen:
                seen.add(id(parent))
                rows.append(_row(parent, new_bytes(iter((parent._data,))), 0))
        seen.add(id(node))
        rows.append(_row(node, new_bytes(iter((node._data,))), new_bytes(_arrays_in(node.params))))
    return Memory(tuple(rows))


def _row(node: Tensor, value_bytes: int, saved_bytes: int) -> Row:
    kind = node.op.name if node.op is not None else ("leaf" if node.requires_grad else "constant")
    return Row(node.label or kind, kind, node.shape, str(node.dtype), value_bytes, saved_bytes)


def _owner(array: np.ndarray) -> np.ndarray:
    """The array that owns ``array``'s memory: itself, or the base a view was taken from."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _arrays_in(params: Any) -> Iterator[np.ndarray]:
    """The numpy arrays among an op's params (nested in tuples and lists); not inside functions."""
    if isinstance(params, np.ndarray):
        yield params
    elif isinstance(params, (tuple, list)):
        for item in params:
            yield from _arrays_in(item)
