"""`unroll(y)`: step through one small tensor op as the scalar graph it stands for.

>>> from autodiff.tensor import Tensor
>>> x = Tensor([[1.0, 2.0, 3.0]], label="x", requires_grad=False)
>>> W = Tensor([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], label="W")
>>> y = x @ W; y.label = "y"
>>> view = unroll(y)                   # doctest: +SKIP  (the last line of a cell shows it)

The widget is a `GraphStepper` on the scalar graph that
`autodiff.tensor.unroll` builds: one Var per entry, one product and one
addition per term of each sum. Under the graph, a grid per operand shows
its entries' gradients filling in as the backward pass reaches them, and
what the tensor op's VJP gives in one go: the numbers the grid ends with.
"""

from __future__ import annotations

from typing import Any

from autodiff.tensor import Tensor
from autodiff.tensor.trace import array_text, shape_text
from autodiff.tensor.unroll import Unrolled, upstream_name
from autodiff.trace import grad_name
from autodiff.tensor.unroll import unroll as unroll_op

from .stepper import GraphStepper

__all__ = ["unroll", "UnrollStepper"]


class UnrollStepper(GraphStepper):
    """A GraphStepper on an unrolled tensor op; ``unrolled`` holds the op, its Vars and its VJP."""

    def __init__(self, unrolled: Unrolled, quiz: bool = False, rankdir: str = "LR") -> None:
        self.unrolled = unrolled
        grids = [(f"{grad_name(name)} ({shape_text(entries.shape)}), entry by entry", entries)
                 for name, entries in unrolled.inputs.items() if name in unrolled.vjp]
        parameters = [v for name, entries in unrolled.inputs.items() if name in unrolled.vjp
                      for v in entries.ravel()]
        super().__init__(unrolled.loss, parameters=parameters, quiz=quiz, rankdir=rankdir,
                         grids=grids)

    def _build_data(self) -> dict:
        u = self.unrolled
        u.refresh()  # (an input changed in the widget: the VJP of the new values)
        data = super()._build_data()
        for grid, name in zip(data["grids"], [n for n in u.inputs if n in u.vjp]):
            grid["note"] = f"the tensor VJP in one go: {u.vjp_rule(name)} = {array_text(u.vjp[name])}"
        y = u.output_name
        g = upstream_name(y, u.names)
        data["intro"]["backward"] = (
            f"{y} = {u.expression}, unrolled: each entry of {y} ({shape_text(u.output.shape)}) is its own "
            f"scalar expression, and L = Σ {g}[i,j]·{y}[i,j] stands in for the rest of the network, "
            f"where {g} = {array_text(u.upstream)} is the {grad_name(y)} it sends back "
            f"(∂L/∂{y}[i,j] is exactly {g}[i,j]).\n"
            "Step backward and watch the grids fill in: an entry used in several places gets a "
            "contribution from each, and their sum is the entry of the tensor VJP.\n\n"
            + data["intro"]["backward"])
        return data

    def __repr__(self) -> str:
        return f"Unroll({self.unrolled.output_name} = {self.unrolled.expression}, {super().__repr__()})"


def unroll(node: Tensor, upstream: Any = None, quiz: bool = False, rankdir: str = "LR") -> UnrollStepper:
    """Step through the op that made ``node`` as a scalar graph (see the module docstring).

    ``upstream``: grad(node), the gradient the rest of the network sends
    back; by default ``node.grad`` after a backward pass, else ones.
    ``quiz`` and ``rankdir`` are GraphStepper's.
    """
    return UnrollStepper(unroll_op(node, upstream), quiz=quiz, rankdir=rankdir)
