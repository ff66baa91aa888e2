"""Drawing the computation graph behind a `Var`, micrograd style.

Every value is a box with its name, ``data`` and ``grad``; every operation is
a small ellipse with the op's symbol, between its operands and its result::

    [ a | data 2 | grad −3 ] ──┐
                               (*)──> [ L | data −6 | grad 1 ]
    [ b | data −3 | grad 2 ] ──┘

There is one arrow per *use* of an operand, so ``a + a`` draws two arrows
from ``a``: both carry a gradient back to ``a``, and they add up.

Fill colours, from the Okabe-Ito palette (readable with every common kind
of colour blindness), lightened so black text stays legible:

=============  =========  ===========================================
kind           colour     meaning
=============  =========  ===========================================
``leaf``       sky blue   an input or a constant (``Var(2.0)``, the 2 in ``x * 2``)
``parameter``  orange     a Var listed in ``parameters=``: what training changes
``op``         white      an intermediate value, computed by an op
``output``     green      the Var you drew (the loss, usually)
op ellipse     grey       the operation itself
=============  =========  ===========================================

The SVG is made for code to find things in it (the step-through widget
highlights nodes this way). With the trace ids ``n0, n1, ...``
(see `autodiff.trace`), the ids are exactly:

* ``ad-n{i}``: the box of value ``n{i}``; ``ad-n{i}-op``: the ellipse of the op
  that computed it; ``ad-n{i}-out``: the arrow from that ellipse to the box;
* ``ad-e{k}``: the arrow of ``trace.edges[k]``, from an operand to an ellipse.

Every node also has the classes ``ad-node ad-kind-<kind>`` (and
``ad-opnode`` for ellipses); arrows have ``ad-edge`` (and ``ad-edge-out``
from an ellipse to its result).
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from typing import Iterable, Optional

import graphviz

from autodiff import Var
from autodiff.backprop import topological_order
from autodiff.trace import Trace, describe_nodes, format_number

from .render import render_svg, use_renderer

__all__ = ["draw_graph", "GraphDrawing", "KIND_COLOURS", "OP_COLOUR", "RANKDIRS", "FIELDS"]

RANKDIRS = ("LR", "TB")
FIELDS = ("label", "data", "grad")

KIND_COLOURS = {
    "leaf": "#cce9f9",       # Okabe-Ito sky blue #56B4E9, lightened
    "parameter": "#fbe2b0",  # Okabe-Ito orange #E69F00, lightened
    "op": "#ffffff",         # intermediate values stay plain
    "output": "#b9e6d5",     # Okabe-Ito bluish green #009E73, lightened
}
OP_COLOUR = "#e6e6e6"

# A name both renderers know: graphviz-pure uses its bundled Arimo (Helvetica's
# widths), system dot whatever fontconfig picks, so text widths differ a little.
FONT = "Helvetica"
NOT_COMPUTED = "grad: not computed yet"


class GraphDrawing(graphviz.Digraph):
    """A `graphviz.Digraph` that always renders with the renderer `widgets.render` picks.

    So it shows in Jupyter, and ``.pipe()`` / ``.render()`` work, on a machine
    with ``graphviz-pure`` and no system Graphviz.
    """

    def _repr_image_svg_xml(self) -> str:
        return render_svg(self)

    def pipe(self, *args, **kwargs):
        with use_renderer():
            return super().pipe(*args, **kwargs)

    def render(self, *args, **kwargs):
        with use_renderer():
            return super().render(*args, **kwargs)


def _new_drawing(rankdir: str) -> GraphDrawing:
    """An empty drawing with every attribute that affects the look set explicitly."""
    return GraphDrawing(
        "autodiff",
        graph_attr={"rankdir": rankdir, "fontname": FONT, "fontsize": "11", "bgcolor": "white"},
        node_attr={"fontname": FONT, "fontsize": "11", "style": "filled", "penwidth": "1"},
        edge_attr={"fontname": FONT, "arrowsize": "0.7"},
    )


_RECORD_SPECIAL = re.compile(r'([\\{}|<>"])')


def _record_text(text: str) -> str:
    """Escape the characters that mean something inside a record label."""
    return _RECORD_SPECIAL.sub(r"\\\1", text)


def _check_options(rankdir: str, show: Iterable[str] | str) -> tuple[str, ...]:
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    fields = (show,) if isinstance(show, str) else tuple(show)
    unknown = [f for f in fields if f not in FIELDS]
    if unknown or not fields:
        raise ValueError(
            f"draw_graph: show must name one or more of {FIELDS}, got {show!r}"
        )
    return fields  # drawn in the order of FIELDS, whatever the order given


def draw_graph(root: Var, rankdir: str = "LR", show: Iterable[str] = ("label", "data", "grad"),
               parameters: Iterable[Var] = (), max_nodes: int = 2000,
               trace: Optional[Trace] = None) -> GraphDrawing:
    """Draw the graph that computed ``root`` (see the module docstring for what is drawn).

    In Jupyter, a cell ending in a drawing shows it:

    >>> from autodiff import Var
    >>> a, b = Var(2.0, label="a"), Var(-3.0, label="b")
    >>> draw_graph(a * b + a)           # doctest: +SKIP

    * ``rankdir``: ``"LR"`` (left to right) or ``"TB"`` (top to bottom).
    * ``show``: which fields each box shows, among ``"label"``, ``"data"``,
      ``"grad"``. Until ``root.backward()`` has run (``root.grad == 0``),
      ``grad`` reads "grad: not computed yet" rather than a misleading 0.
    * ``parameters``: Vars to colour as parameters (e.g. ``model.parameters()``).
    * ``max_nodes``: a bigger graph is not laid out (that could take minutes);
      you get a one-box summary and a warning instead.
    * ``trace``: an existing ``autodiff.trace.trace(root, ...)`` to take names
      and kinds from (then ``parameters`` is not used). Ids are the same
      either way.

    Numbers are written as in the step-by-step explanations
    (`autodiff.trace.format_number`): 4 significant digits, a real minus sign.
    """
    if not isinstance(root, Var):
        raise TypeError(f"draw_graph: expected a Var, got {type(root).__name__}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be a positive int, got {max_nodes!r}")
    fields = _check_options(rankdir, show)
    order = topological_order(root)
    if len(order) > max_nodes:
        return _summary(order, max_nodes, rankdir)
    nodes = _describe(order, parameters, trace)
    computed = root.grad != 0.0
    dot = _new_drawing(rankdir)
    operand_edges = []
    for v, node in zip(order, nodes):
        parts = []
        if "label" in fields:
            parts.append(_record_text(node.name))
        if "data" in fields:
            parts.append(f"data {format_number(v.data)}")
        if "grad" in fields:
            parts.append(f"grad {format_number(v.grad)}" if computed else NOT_COMPUTED)
        dot.node(node.id, "{ " + " | ".join(parts) + " }", shape="record", id=f"ad-{node.id}",
                 fillcolor=KIND_COLOURS[node.kind], **{"class": f"ad-node ad-kind-{node.kind}"})
        if v.op is not None:
            dot.node(f"{node.id}_op", v.op.symbol, shape="ellipse", id=f"ad-{node.id}-op", fillcolor=OP_COLOUR,
                     margin="0.05,0.02", width="0.4", height="0.3",
                     **{"class": "ad-node ad-kind-op ad-opnode"})
            dot.edge(f"{node.id}_op", node.id, id=f"ad-{node.id}-out", **{"class": "ad-edge ad-edge-out"})
            operand_edges += [(parent, node.id) for parent in node.parents]  # one per use, in operand order
    for k, (source, target) in enumerate(operand_edges):  # k: the index in trace(root).edges
        dot.edge(source, f"{target}_op", id=f"ad-e{k}", **{"class": "ad-edge"})
    return dot


def _describe(order: list[Var], parameters: Iterable[Var], trace: Optional[Trace]):
    """Each node's id, name and kind, as `autodiff.trace` gives them (or from ``trace``).

    The graph is not traced here: a trace also works out the backward pass,
    which fails where a local derivative does (``sqrt`` at 0), and a graph
    should still be drawable then.
    """
    if trace is not None:
        if len(trace.nodes) != len(order) or trace.root.data != order[-1].data:
            raise ValueError("draw_graph: trace= is not a trace of this root")
        return trace.nodes
    return describe_nodes(order, parameters)


def _summary(order: list[Var], max_nodes: int, rankdir: str) -> GraphDrawing:
    """The drawing for a graph too big to lay out: one box saying what is in it."""
    ops = Counter(v.op.symbol for v in order if v.op)
    computed = sum(ops.values())
    counts = ", ".join(f"{symbol} ×{n:,}" for symbol, n in
                       sorted(ops.items(), key=lambda item: (-item[1], item[0]))[:8])
    if len(ops) > 8:
        counts += ", ..."
    message = (
        f"graph has {len(order):,} nodes, more than max_nodes={max_nodes}, so it is not drawn. "
        f"It has {len(order) - computed:,} leaves and {computed:,} computed values (ops: {counts}). "
        f"Draw an intermediate Var instead, or pass a larger max_nodes (layout may take minutes)."
    )
    warnings.warn(message, stacklevel=3)
    dot = _new_drawing(rankdir)
    dot.node("summary", message.replace(". ", ".\\n"), shape="box", id="ad-summary",
             fillcolor=KIND_COLOURS["output"], **{"class": "ad-node ad-summary"})
    return dot
