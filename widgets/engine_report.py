"""`EngineReport(report)`: what `autodiff.check.check_engine` found, shown in a notebook.

>>> from autodiff.check import check_engine
>>> EngineReport(check_engine(Value))      # doctest: +SKIP  (the last line of a cell shows it)

The view has three parts:

1. the verdict, and which ops were checked and which skipped;
2. each misconception found: what it means, and a hint behind a "Hint"
   fold (opened in the browser alone: nothing goes back to the kernel);
3. the first failing graph, drawn by `widgets.graph.draw_graph` with our
   engine's values and gradients, its first wrong node outlined in
   vermilion, and beside it a table of every node in both engines.

Everything is computed in the kernel, once: the browser only shows it.
So the widget has no trait the browser may set (`BrowserChecked` refuses
them all, in words). Where widgets don't run (nbviewer, GitHub, an
untrusted notebook), the output also carries the same report as static HTML
and as plain text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import traitlets

from autodiff.backprop import topological_order
from autodiff.arguments import type_and_value
from autodiff.check import EngineCheckReport
from autodiff.check.engine_report import GraphFailure

from ._live import LiveWidget, esm
from .browser_state import BrowserChecked
from .graph import GraphDrawing, draw_graph
from .render import render_svg

__all__ = ["EngineReport", "failure_drawing", "HIGHLIGHT", "MAX_DRAWN"]

HIGHLIGHT = "#D55E00"   # Okabe-Ito vermilion: the first wrong node's outline
MAX_DRAWN = 60          # a failing graph with more nodes (the deep chain) is described, not drawn
HERE = Path(__file__).parent


def failure_drawing(failure: GraphFailure) -> Optional[GraphDrawing]:
    """The failing graph in our engine, with its first wrong node outlined; None when it is too big to draw."""
    root = failure.graph()
    order = topological_order(root)
    if len(order) > MAX_DRAWN:
        return None
    drawing = draw_graph(root)
    names = [v.label for v in order]
    if failure.first_wrong in names:   # the ids are n0, n1, ... in this same order (widgets.graph)
        drawing.node(f"n{names.index(failure.first_wrong)}", color=HIGHLIGHT, penwidth="3")
    return drawing


class EngineReport(BrowserChecked, LiveWidget):
    """The report of `check_engine`, as a widget (see the module docstring).

    ``report`` is the `EngineCheckReport` shown; ``html`` (synced) is the
    whole view, ``svg`` the failing graph's drawing ("" when there is none).
    ``projector`` (synced, from `LiveWidget`) is set by `widgets.projector`,
    never by the browser.
    """

    # The view (engine_report.js): the kernel's HTML, and the line saying why a change from the
    # browser was refused. In projector mode its text and its graph grow by widgets.projector.SCALE,
    # through common.js showProjector and --ad-scale, as in the other widgets.
    _esm = esm("engine_report.js")
    _css = HERE / "engine_report.css"
    html = traitlets.Unicode("").tag(sync=True)    # the view, made in the kernel
    error = traitlets.Unicode("").tag(sync=True)   # why the browser's last change was refused

    def __init__(self, report: EngineCheckReport, **kwargs: Any) -> None:
        if not isinstance(report, EngineCheckReport):
            raise TypeError(f"EngineReport: expected the report of check_engine (an EngineCheckReport), "
                            f"got {type_and_value(report)}")
        self.report = report
        drawing = failure_drawing(report.failure) if report.failure is not None else None
        self.svg = render_svg(drawing) if drawing is not None else ""
        super().__init__(**kwargs)
        self.html = self.static_html()

    def static_html(self) -> str:
        """The view as HTML: the report (`EngineCheckReport.html`) with the hints folded and the graph drawn."""
        if self.report.failure is None:
            drawing = ""
        elif self.svg:
            outlined = ", its first wrong node outlined" if self.report.failure.first_wrong else ""
            drawing = (f"<p>This graph in our engine{outlined}:</p>"
                       f'<div class="ad-engine-graph">{self.svg}</div>')
        else:
            drawing = f"<p>(A graph of more than {MAX_DRAWN} nodes is not drawn.)</p>"
        return self.report.html(fold_hints=True, drawing=drawing)

    def _static_picture(self) -> tuple[str, str]:
        """What shows where widgets don't run (`LiveWidget`): the same view, as static HTML."""
        return "text/html", self.static_html()

    def _repr_mimebundle_(self, **kwargs: Any):
        """The live view, the static HTML, and the whole report as plain text (not just the summary line)."""
        data, metadata = super()._repr_mimebundle_(**kwargs)
        data["text/plain"] = str(self.report)
        return data, metadata

    def __repr__(self) -> str:
        return f"EngineReport({self.report.summary()})"
