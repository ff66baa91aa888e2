"""`widgets.EngineReport` in a real JupyterLab: check_engine's report, seen as a learner sees it.

The view's root is ``.ad-engine-report-live``; inside it, the report's HTML
(``.ad-engine-report``), each misconception with its hint folded in a
``<details>``, and the failing graph's SVG (``.ad-engine-graph``) with the
first wrong node outlined in vermilion. In projector mode the root has the
class ``ad-projector`` and larger text. The engines are those of
tests/learner_engines.py.

Screenshots land in test-output/browser/engine-report-*.png.
"""

from __future__ import annotations

import re

from .helpers import REPO, WidgetCells, expect, screenshot

# A kernel that can check tests/learner_engines.py's engines and show the report (the projector test too).
SETUP = (f"import sys\nsys.path.insert(0, {str(REPO / 'tests')!r})\n"
         "import learner_engines as engines\n"
         "from autodiff.check import check_engine\n"
         "from widgets import EngineReport")

WIDGETS = WidgetCells(
    "engine_report", ".ad-engine-report-live",
    setup=SETUP,
    viewport={"width": 1300, "height": 1400}, cells={
        "overwrite": "EngineReport(check_engine(engines.OverwriteValue))",
        "right": "EngineReport(check_engine(engines.Value))",
    },
)


def test_a_broken_engine_shows_its_misconception_a_folded_hint_and_the_outlined_node(nb):
    view = nb.view("overwrite")
    expect(view).to_contain_text("✗ OverwriteValue failed")
    expect(view.locator("ol li code").first).to_have_text("overwrite-instead-of-accumulate")
    hint = view.locator("details").first
    expect(hint.locator("summary")).to_have_text("Hint")
    expect(hint.locator("p")).to_be_hidden()                 # folded: the hint waits for a click
    hint.locator("summary").click()
    expect(hint.locator("p")).to_be_visible()
    expect(hint.locator("p")).to_contain_text("dL/dx is 6")
    # the graph: x is the first wrong node, drawn first (ad-n0), and outlined
    graph = view.locator(".ad-engine-graph svg")
    expect(graph).to_be_visible()
    outline = graph.locator("#ad-n0 polygon").first
    expect(outline).to_have_attribute("stroke", "#d55e00")
    expect(graph.locator("#ad-n1 polygon").first).to_have_attribute("stroke", "black")
    expect(view.locator("table.ad-engine-nodes tr")).to_have_count(3)   # a header, x and L
    screenshot(nb.page, "engine-report-overwrite", view)


def test_a_right_engine_shows_its_pass_and_no_graph(nb):
    view = nb.view("right")
    expect(view).to_contain_text("✓ Value passed")
    expect(view.locator("svg")).to_have_count(0)
    expect(view.locator("ol li")).to_have_count(0)
    # the live view is shown, not the static copy beside it
    expect(nb.output(WIDGETS.index("right")).locator(".ad-engine-report")).to_have_count(1)
    screenshot(nb.page, "engine-report-right", view)


def test_projector_mode_makes_the_report_larger_and_goes_back(nb):
    view = nb.view("right")

    def size() -> float:
        return view.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")

    normal = size()
    nb.kernel_says("import widgets\nprint('projector', widgets.projector(True))", "projector True")
    expect(view).to_have_class(re.compile(r"\bad-projector\b"))
    assert abs(size() - 1.4 * normal) < 0.5
    nb.kernel_says("print('projector', widgets.projector(False))", "projector False")
    expect(view).not_to_have_class(re.compile(r"\bad-projector\b"))
    assert size() == normal
