"""Drawing the computation graph behind a `Var` or a `Tensor`, micrograd style.

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

A Tensor's box also shows its shape, and a heatmap of its values and grad
when it has more than a few numbers (`widgets.tensor_boxes`).
"""

from __future__ import annotations

import base64
import re
import warnings
from collections import Counter
from typing import Any, Iterable, Optional, Union

import graphviz
import numpy as np

from autodiff import Tensor, Var
from autodiff.backprop import topological_order
from autodiff.tensor.trace import graph_order, shape_text
from autodiff.trace import Trace, describe_nodes, format_number

from . import tensor_boxes
from .render import render_png, render_svg, use_renderer
from .projector import graph_font_size
from .tensor_boxes import Cells

__all__ = ["draw_graph", "stepper_drawing", "GraphDrawing", "KIND_COLOURS", "OP_COLOUR", "RANKDIRS", "FIELDS"]

RANKDIRS = ("LR", "TB")
# rankdir="auto": left to right, unless that is wider than a notebook's column (about 960 CSS px,
# 720 pt) and top to bottom is narrower. Not the default: saved lessons keep their layout.
AUTO = "auto"
COLUMN_PT = 720.0
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

    def _repr_mimebundle_(self, include: Optional[Iterable[str]] = None,
                          exclude: Optional[Iterable[str]] = None, **kwargs: Any) -> dict:
        """SVG, and the same drawing as PNG: an untrusted notebook (one you have not run yet) shows the PNG.

        JupyterLab prefers the SVG where it may show it; GitHub, nbviewer and
        JupyterLab refuse a saved SVG until the notebook is trusted, and fall
        back to the PNG.
        """
        wanted = set(include) if include is not None else {"image/svg+xml", "image/png"}
        wanted -= set(exclude or ())
        bundle: dict = {}
        if "image/svg+xml" in wanted:
            bundle["image/svg+xml"] = render_svg(self)
        if "image/png" in wanted:
            bundle["image/png"] = base64.b64encode(render_png(self)).decode("ascii")
        return bundle

    def pipe(self, *args, **kwargs):
        with use_renderer():
            return super().pipe(*args, **kwargs)

    def render(self, *args, **kwargs):
        with use_renderer():
            return super().render(*args, **kwargs)


def _new_drawing(rankdir: str) -> GraphDrawing:
    """An empty drawing with every attribute that affects the look set explicitly.

    The font size is 11 points, larger in projector mode (`widgets.projector`):
    Graphviz then makes every box big enough for the larger text.
    """
    size = str(graph_font_size())
    return GraphDrawing(
        "autodiff",
        graph_attr={"rankdir": rankdir, "fontname": FONT, "fontsize": size, "bgcolor": "white"},
        node_attr={"fontname": FONT, "fontsize": size, "style": "filled", "penwidth": "1"},
        edge_attr={"fontname": FONT, "arrowsize": "0.7"},
    )


_RECORD_SPECIAL = re.compile(r'([\\{}|<>"])')


def _record_text(text: str) -> str:
    """Escape the characters that mean something inside a record label."""
    return _RECORD_SPECIAL.sub(r"\\\1", text)


def _check_rankdir(rankdir: str, caller: str) -> None:
    if rankdir not in RANKDIRS + (AUTO,):
        raise ValueError(f"{caller}: rankdir must be one of {RANKDIRS + (AUTO,)}, got {rankdir!r}")


_SVG_WIDTH = re.compile(r'<svg\b[^>]*?\swidth="([0-9.]+)pt"')


def svg_width(svg: str) -> float:
    """The width Graphviz gave an SVG drawing, in points (``<svg width="1232pt" ...>``)."""
    match = _SVG_WIDTH.search(svg)
    if match is None:
        raise ValueError("svg_width: no width in points on the <svg> element")
    return float(match.group(1))


def _auto_rankdir(draw) -> GraphDrawing:
    """``draw(rankdir)`` laid out left to right, or top to bottom if LR is wider than a column and TB narrower.

    A long chain of ops is many ranks wide: left to right it runs off the
    page, top to bottom it fits. A wide and shallow graph (many inputs, few
    ops) stays left to right. Costs one or two extra layouts.
    """
    across = draw("LR")
    wide = svg_width(render_svg(across))
    if wide <= COLUMN_PT:
        return across
    down = draw("TB")
    return down if svg_width(render_svg(down)) < wide else across


def _check_options(rankdir: str, show: Iterable[str] | str) -> tuple[str, ...]:
    _check_rankdir(rankdir, "draw_graph")
    fields = (show,) if isinstance(show, str) else tuple(show)
    unknown = [f for f in fields if f not in FIELDS]
    if unknown or not fields:
        raise ValueError(
            f"draw_graph: show must name one or more of {FIELDS}, got {show!r}"
        )
    return fields  # drawn in the order of FIELDS, whatever the order given


def draw_graph(root: Union[Var, Tensor], rankdir: str = "LR",
               show: Iterable[str] = ("label", "data", "grad"),
               parameters: Iterable[Union[Var, Tensor]] = (), max_nodes: int = 2000,
               trace: Optional[Trace] = None) -> GraphDrawing:
    """Draw the graph that computed ``root``, a Var or a Tensor (see the module docstring).

    In Jupyter, a cell ending in a drawing shows it:

    >>> from autodiff import Var
    >>> a, b = Var(2.0, label="a"), Var(-3.0, label="b")
    >>> draw_graph(a * b + a)           # doctest: +SKIP

    * ``rankdir``: ``"LR"`` (left to right), ``"TB"`` (top to bottom), or
      ``"auto"``: left to right unless that is wider than a notebook's column
      (``COLUMN_PT``, 720 pt) and top to bottom is narrower.
    * ``show``: which fields each box shows, among ``"label"``, ``"data"``,
      ``"grad"``. Until ``root.backward()`` has run, ``grad`` reads "grad:
      not computed yet" rather than a misleading 0.
    * ``parameters``: Vars (or Tensors) to colour as parameters (e.g.
      ``model.parameters()``).
    * ``max_nodes``: a bigger graph is not laid out (that could take minutes);
      you get a one-box summary and a warning instead.
    * ``trace``: an existing ``autodiff.trace.trace(root, ...)`` to take names
      and kinds from (then ``parameters`` is not used). Ids are the same
      either way.

    A Tensor's box shows its shape and a preview of its values and its grad
    (`widgets.tensor_boxes`); data and constants, which need no gradient,
    say so.

    Numbers are written as in the step-by-step explanations
    (`autodiff.trace.format_number`): 4 significant digits, a real minus sign.
    """
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be a positive int, got {max_nodes!r}")
    fields = _check_options(rankdir, show)
    order = _order(root, "draw_graph")
    if len(order) > max_nodes:
        return _summary(order, max_nodes, rankdir)
    nodes = _describe(order, parameters, trace)
    computed = root._grad is not None if isinstance(root, Tensor) else root.grad != 0.0
    if rankdir == AUTO:
        return _auto_rankdir(lambda direction: _drawing(order, nodes, direction, fields, computed))
    return _drawing(order, nodes, rankdir, fields, computed)


def stepper_drawing(root: Union[Var, Tensor], trace: Trace, rankdir: str,
                    widest: Optional[dict[str, str]] = None) -> tuple[GraphDrawing, Optional[Cells]]:
    """The layout a step-through widget draws once, so its boxes have room for every text it shows.

    Grads read "not computed yet", the widest text of a Var's box; a
    Tensor's written-out grad may be wider, and ``widest`` gives, per node
    id, the widest grad text the widget will show there. For a Tensor graph
    the heatmap cells are keyed (`widgets.tensor_boxes`): the Cells returned
    know each one's real colour, and each node's cell numbers are in
    ``drawing.cells``. ``rankdir`` may be ``"auto"``, as in `draw_graph`.
    """
    _check_rankdir(rankdir, "GraphStepper")
    order = _order(root, "stepper_drawing")
    nodes = _describe(order, (), trace)
    keys = Cells() if isinstance(root, Tensor) else None

    def draw(direction: str) -> GraphDrawing:
        if keys is not None:   # each layout keys the same cells in the same order: from the start again
            keys.real.clear()
        return _drawing(order, nodes, direction, FIELDS, False, keys, widest or {})

    return (_auto_rankdir(draw) if rankdir == AUTO else draw(rankdir)), keys


def _order(root: Any, caller: str) -> list:
    if isinstance(root, Tensor):
        return graph_order(root)
    if not isinstance(root, Var):
        raise TypeError(f"{caller}: expected a Var or a Tensor, got {type(root).__name__}")
    return topological_order(root)


def _drawing(order: list, nodes: tuple, rankdir: str, fields: tuple[str, ...], computed: bool,
             keys: Optional[Cells] = None, widest: Optional[dict[str, str]] = None) -> GraphDrawing:
    """Value boxes, op ellipses and arrows, with the ids of the module docstring."""
    dot = _new_drawing(rankdir)
    dot.cells = {}
    operand_edges = []
    for v, node in zip(order, nodes):
        attrs = {"id": f"ad-{node.id}", "fillcolor": KIND_COLOURS[node.kind],
                 "class": f"ad-node ad-kind-{node.kind}"}
        if isinstance(v, Tensor):
            label, dot.cells[node.id] = _tensor_label(v, node, fields, computed, keys,
                                                      (widest or {}).get(node.id, NOT_COMPUTED))
            dot.node(node.id, label, shape="box", margin="0.04,0.02", **attrs)
        else:
            dot.node(node.id, _record_label(v, node, fields, computed), shape="record", **attrs)
        if v.op is not None:
            dot.node(f"{node.id}_op", v.op.symbol, shape="ellipse", id=f"ad-{node.id}-op", fillcolor=OP_COLOUR,
                     margin="0.05,0.02", width="0.4", height="0.3",
                     **{"class": "ad-node ad-kind-op ad-opnode"})
            dot.edge(f"{node.id}_op", node.id, id=f"ad-{node.id}-out", **{"class": "ad-edge ad-edge-out"})
            operand_edges += [(parent, node.id) for parent in node.parents]  # one per use, in operand order
    for k, (source, target) in enumerate(operand_edges):  # k: the index in trace(root).edges
        dot.edge(source, f"{target}_op", id=f"ad-e{k}", **{"class": "ad-edge"})
    return dot


def _record_label(v: Var, node, fields: tuple[str, ...], computed: bool) -> str:
    """A Var's box: ``{ name | data 2 | grad −3 }``."""
    parts = []
    if "label" in fields:
        parts.append(_record_text(node.name))
    if "data" in fields:
        parts.append(f"data {format_number(v.data)}")
    if "grad" in fields:
        parts.append(f"grad {format_number(v.grad)}" if computed else NOT_COMPUTED)
    return "{ " + " | ".join(parts) + " }"


def _tensor_label(t: Tensor, node, fields: tuple[str, ...], computed: bool, keys: Optional[Cells],
                  not_computed: str = NOT_COMPUTED) -> tuple[str, tuple[list[int], list[int]]]:
    """A Tensor's box (`widgets.tensor_boxes`), and the numbers of its keyed data and grad cells."""
    big = tensor_boxes.has_heatmap(t.shape)
    data_line = data_map = grad_line = grad_map = None
    data_keys: list[int] = []
    grad_keys: list[int] = []
    if "data" in fields:
        data_line = tensor_boxes.value_text(t._data)
        if big:
            data_map, data_keys = tensor_boxes.heatmap_label(t._data, tensor_boxes.colours(t._data), keys)
    if "grad" in fields:
        shown = computed and t.requires_grad
        if not t.requires_grad:
            grad_line = tensor_boxes.NOT_NEEDED
        else:
            grad_line = tensor_boxes.grad_text(t.grad) if shown else not_computed
            if big:
                cell_colours = (tensor_boxes.colours(t.grad) if shown else
                                [tensor_boxes.UNKNOWN_CELL] * tensor_boxes.as_grid(t._data)[0].size)
                grad_map, grad_keys = tensor_boxes.heatmap_label(t._data, cell_colours, keys)
    title = tensor_boxes.title_text(node.name, t.shape) if "label" in fields else shape_text(t.shape)
    return tensor_boxes.box_label(title, data_line, data_map, grad_line, grad_map), (data_keys, grad_keys)


def _describe(order: list, parameters: Iterable, trace: Optional[Trace]):
    """Each node's id, name and kind, as the trace gives them (or from ``trace``).

    The graph is not traced here: a trace also works out the backward pass,
    which fails where a local derivative does (``sqrt`` at 0), and a graph
    should still be drawable then.
    """
    if trace is not None:
        if len(trace.nodes) != len(order) or not np.array_equal(trace.root.data, order[-1].data):
            raise ValueError("draw_graph: trace= is not a trace of this root")
        return trace.nodes
    return describe_nodes(order, parameters)


def _summary(order: list, max_nodes: int, rankdir: str) -> GraphDrawing:
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
