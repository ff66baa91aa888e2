"""`widgets.EngineReport` in projector mode, in a real JupyterLab (issue 12).

``widgets.projector(True)`` makes every live widget larger for a classroom:
common.js ``showProjector`` sets ``--ad-scale`` on the view's root. The
report multiplies its text by it (engine_report.css) and the failing graph's
SVG too (engine_report.js ``scaleDrawings``): here both are measured, inside
the report (a paragraph, the node table, the code, the drawing), on and off
again.

Screenshots land in test-output/browser/engine-report-projector-*.png.
"""

from __future__ import annotations

import re

from .helpers import WidgetCells, expect, screenshot
from .test_engine_report_browser import SETUP

SCALE = 1.4   # widgets.projector.SCALE

WIDGETS = WidgetCells(
    "engine_report", ".ad-engine-report-live",
    setup=SETUP,
    viewport={"width": 1300, "height": 1600}, cells={
        "overwrite": "EngineReport(check_engine(engines.OverwriteValue))",
    },
)


def measure(view) -> dict:
    """The font sizes inside the report and the drawing's size, in CSS px, as the browser lays them out."""
    return view.evaluate("""el => {
        const px = (node) => parseFloat(getComputedStyle(node).fontSize);
        const svg = el.querySelector(".ad-engine-graph svg").getBoundingClientRect();
        return { root: px(el), paragraph: px(el.querySelector(".ad-engine-report p")),
                 cell: px(el.querySelector("table.ad-engine-nodes td")), code: px(el.querySelector("code")),
                 width: svg.width, height: svg.height };
    }""")


def test_projector_mode_scales_the_reports_text_and_its_graph(nb):
    view = nb.view("overwrite")
    expect(view.locator(".ad-engine-graph svg")).to_be_visible()
    normal = measure(view)
    assert normal["width"] > 50 and normal["paragraph"] > 8
    screenshot(nb.page, "engine-report-projector-off", view)

    nb.kernel_says("import widgets\nprint('projector', widgets.projector(True))", "projector True")
    expect(view).to_have_class(re.compile(r"\bad-projector\b"))
    large = measure(view)
    for key in ("root", "paragraph", "cell", "code", "width", "height"):
        assert abs(large[key] / normal[key] - SCALE) < 0.03, (key, normal[key], large[key])
    screenshot(nb.page, "engine-report-projector-on", view)

    nb.kernel_says("print('projector', widgets.projector(False))", "projector False")
    expect(view).not_to_have_class(re.compile(r"\bad-projector\b"))
    assert measure(view) == normal
