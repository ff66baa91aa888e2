"""Gradient checkpointing: keep less for the backward pass, and compute it again.

Reverse mode keeps the value of every node until the backward pass has used
it: a deep network's activations can take more memory than its weights
(`autodiff.tensor.memory` counts them). ``checkpoint(fn, *inputs)`` keeps
none of ``fn``'s: only its inputs and its output. When the backward pass
reaches it, it runs ``fn`` again, recording this time, and sends the
gradient back through that fresh graph. Memory is traded for compute:

* kept: one array (the output) instead of one per op inside ``fn``;
* paid: ``fn``'s forward runs twice, once in the forward pass and once in
  the backward pass (about a third more work for a whole network).

``checkpoint_sequential(functions, segments, x)`` cuts a chain of layers into
pieces, as PyTorch's does: with L layers in k pieces, about k boundaries plus
one piece's L/k layers are kept at a time, least near k = √L.

How it fits the engine. A checkpoint is one node of the graph, made by the op
`CHECKPOINT`. Its parents are ``fn``'s inputs *and* the Tensors ``fn`` reads
from outside, such as a Linear layer's weights: ``checkpoint`` finds those by
recording ``fn`` once and reading off the leaves its graph reaches, then lets
that graph go (so while ``fn`` runs, memory holds one piece's graph, exactly
as during the recompute). Having them as parents is what makes their
gradients arrive, in ``backward()`` and in ``grad()`` alike. The op's VJP is
where the work is: run ``fn`` again on the inputs' values, then `grad` the
recomputed output with ``grad_output=g``. Those are the same VJPs, on the same
numbers, as without the checkpoint.

What to know:

* ``fn`` must compute the same numbers every time it runs (no randomness,
  no state it changes): the recompute is compared with the output kept from
  the forward pass, bit for bit, and a difference is refused (it also
  catches an input or weight changed between forward and backward).
* The gradients are bit-identical to a run without the checkpoint when each
  input and each weight is used once inside ``fn`` (a layer's input, its
  weights). A value used several times inside ``fn`` gets the sum of its
  uses computed first and then added to the rest: the same numbers, added
  in another order, so they agree to rounding (about 1e-16 relative).
* ``create_graph=True`` works: the VJP's results are computed by a
  checkpoint too (of ``fn``'s pullback), so they can be differentiated again
  (Hessian-vector products, `jvp`). Each input's share then recomputes ``fn``
  on its own, so second order through a checkpoint costs more than without.
* ``fn`` takes Tensors and returns one Tensor. Numbers and arrays it needs
  can be read from outside (they are constants).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from .. import grad_mode
from ..arguments import positive_int
from .backprop import grad, topological_order
from .ops import TensorOp
from .tensor import Tensor, apply

__all__ = ["checkpoint", "checkpoint_sequential", "CHECKPOINT"]


@dataclass(eq=False)
class Segment:
    """What a checkpoint node keeps besides its parents: enough to run ``fn`` again."""

    fn: Callable[..., Tensor]
    n_inputs: int                   # parents[:n_inputs] are fn's inputs ...
    captured: tuple[Tensor, ...]    # ... and parents[n_inputs:] the Tensors fn reads from outside
    value: Any = None               # the forward's output, handed to the node once, then dropped


def checkpoint(fn: Callable[..., Tensor], *inputs: Tensor) -> Tensor:
    """``fn(*inputs)``, keeping none of its intermediate values for the backward pass.

    The gradients that reach ``inputs`` and the Tensors ``fn`` uses from
    outside are those of ``fn(*inputs)`` itself; the backward pass runs
    ``fn`` a second time to get them (``torch.utils.checkpoint.checkpoint``).
    """
    if not callable(fn):
        raise TypeError(f"checkpoint: fn must be callable, got {type(fn).__name__}")
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise TypeError(f"checkpoint: inputs[{i}] must be a Tensor, got {type(x).__name__} "
                            "(fn can read numbers and arrays from outside instead)")
    if not grad_mode.is_grad_enabled():  # nothing is recorded anyway
        return _returned(fn(*inputs), "fn")
    stand_ins = [_stand_in(x._data, x.requires_grad, x.label) for x in inputs]
    out = _returned(fn(*stand_ins), "fn")
    if not out.requires_grad:  # fn's output does not depend on anything that needs a gradient
        return out
    own = {id(s) for s in stand_ins}
    captured = tuple(node for node in topological_order(out) if node.op is None and id(node) not in own)
    segment = Segment(fn, len(inputs), captured, value=out._data)
    del out, stand_ins  # fn's graph goes here: the node keeps only the output's value
    return apply(CHECKPOINT, *inputs, *captured, params=segment)


def _forward(arrays: tuple, segment: Segment) -> np.ndarray:
    """The forward rule: the value fn gave while `checkpoint` recorded it (it is not run again)."""
    value, segment.value = segment.value, None
    return value


def _vjp(g: Any, inputs: tuple, out: Any, segment: Segment, needs: tuple) -> tuple:
    """∂L/∂input for fn's inputs and captured Tensors: run fn again, then its own VJPs."""
    n = segment.n_inputs
    if isinstance(out, Tensor):  # create_graph: each share a checkpoint too, differentiable again
        return tuple(checkpoint(_pullback(segment, i, out._data), g, *inputs[:n]) if need else None
                     for i, need in enumerate(needs))
    stand_ins = [_stand_in(a, need) for a, need in zip(inputs[:n], needs)]
    with _recording():
        again = _returned(segment.fn(*stand_ins), "fn")
    _check_same(again, out)
    targets = [t for t, need in zip(stand_ins + list(segment.captured), needs) if need]
    shares = iter(_isolated_grad(again, targets, g, create_graph=False))
    return tuple(next(shares).data if need else None for need in needs)


CHECKPOINT = TensorOp(
    name="checkpoint", symbol="checkpoint", forward=_forward, vjp=_vjp,
    texts=("∂L/∂{a} = fn's own VJPs, on fn run again from its inputs",),
    torch_name="utils.checkpoint.checkpoint")


def _pullback(segment: Segment, i: int, expected: np.ndarray) -> Callable[..., Tensor]:
    """g, *xs ↦ the i-th share of ∂L/∂(inputs, captured) of fn at xs, as a graph (for create_graph)."""
    def pullback(g: Tensor, *xs: Tensor) -> Tensor:
        again = _returned(segment.fn(*xs), "fn")
        _check_same(again, expected)
        targets = list(xs) + list(segment.captured)
        return _isolated_grad(again, targets, g, create_graph=True)[i]
    return pullback


# ----------------------------------------------------------------------------
# The pieces
# ----------------------------------------------------------------------------

def _stand_in(values: np.ndarray, requires_grad: bool, label: str = "") -> Tensor:
    """A leaf holding ``values`` (the same array, not a copy): where fn's graph starts and its walk stops."""
    leaf = Tensor.__new__(Tensor)
    leaf._data, leaf._grad, leaf.label, leaf._mark = values, None, label, None
    leaf.op, leaf.parents, leaf.params, leaf.requires_grad = None, (), None, requires_grad
    return leaf


def _returned(out: Any, what: str) -> Tensor:
    if not isinstance(out, Tensor):
        raise TypeError(f"checkpoint: {what} must return a Tensor, got {type(out).__name__}")
    return out


def _check_same(again: Tensor, kept: Any) -> None:
    """The recompute must give the forward's numbers exactly, or the gradient belongs to another function."""
    kept = kept._data if isinstance(kept, Tensor) else kept
    if again.shape != kept.shape or again.dtype != kept.dtype or not np.array_equal(again._data, kept):
        raise RuntimeError("checkpoint: running fn again gave other numbers than the forward pass did "
                           f"(shape {again.shape} {again.dtype}, kept {kept.shape} {kept.dtype}): fn must be "
                           "deterministic, and its inputs and weights unchanged until backward")


@contextmanager
def _recording() -> Iterator[None]:
    """Ops record, even if backward() was called inside no_grad(): the recompute needs its graph."""
    with grad_mode.enable_grad():
        yield


def _isolated_grad(out: Tensor, targets: Sequence[Tensor], g: Any, create_graph: bool) -> tuple[Tensor, ...]:
    """``grad(out, targets, grad_output=g)``, leaving a backward pass in progress undisturbed.

    The weights fn reads are also nodes of the pass that called this VJP,
    and ``grad`` uses the same scratch slot (``_pass_grad``) for its sums:
    keep each node's and put it back.
    """
    kept = [(node, getattr(node, "_pass_grad", 0.0)) for node in topological_order(out)]
    try:
        return grad(out, list(targets), create_graph=create_graph, grad_output=g)
    finally:
        for node, running_sum in kept:
            node._pass_grad = running_sum


def checkpoint_sequential(functions: Iterable[Callable[[Tensor], Tensor]], segments: int, x: Tensor) -> Tensor:
    """``functions`` applied one after another to ``x``, cut into ``segments`` pieces.

    As ``torch.utils.checkpoint.checkpoint_sequential``: each of the first
    ``segments - 1`` pieces (``len(functions) // segments`` functions each) is
    one `checkpoint`; the last piece, with the rest, runs as usual, since the
    backward pass needs its values at once. ``segments=1`` checkpoints nothing.
    """
    if isinstance(functions, (Tensor, str, bytes)) or not isinstance(functions, Iterable):
        raise TypeError(f"checkpoint_sequential: functions must be a list of functions (or a Sequential), "
                        f"got {type(functions).__name__}")
    functions = list(functions)
    for i, f in enumerate(functions):
        if not callable(f):
            raise TypeError(f"checkpoint_sequential: functions[{i}] must be callable, got {type(f).__name__}")
    k = positive_int(segments, "checkpoint_sequential: segments")
    if not functions or k > len(functions):
        raise ValueError(f"checkpoint_sequential: segments must be between 1 and the number of functions "
                         f"({len(functions)}), got {k}")
    if not isinstance(x, Tensor):
        raise TypeError(f"checkpoint_sequential: x must be a Tensor, got {type(x).__name__}")
    size = len(functions) // k
    for start in range(0, size * (k - 1), size):
        x = checkpoint(_in_order(functions[start:start + size]), x)
    return _in_order(functions[size * (k - 1):])(x)


def _in_order(functions: list) -> Callable[[Tensor], Tensor]:
    """The function that applies ``functions`` one after another."""
    def run(x: Tensor) -> Tensor:
        for f in functions:
            x = f(x)
        return x
    return run
