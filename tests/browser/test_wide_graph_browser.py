"""Wide graphs in `widgets.GraphStepper` (issue 12): legible at Fit, zoom and pan, the current node in view.

Lesson 03/04's graph is wider than the notebook's column, and a neuron's graph
much wider: shrunk to the column its text was about 7 px high, and at full size
the node being explained could be out of sight. The stepper now

* fits a graph to the column only down to a legible size (its text at least
  ``MIN_FIT_TEXT_PX`` = 10 CSS px) and lets a wider one scroll both ways;
* has − / + / Fit / 100% buttons, ``+`` / ``-`` / ``0`` keys, and says the zoom
  in words ("80%");
* pans when the graph is dragged with the mouse;
* scrolls the graph's box (not the page) at every step so that the current
  node (and, going backward, the nodes receiving a gradient) are seen.

The column: a 1400 px wide tab, in which the graph's box is about 968 px wide
(checked, as the issue measured it).
"""

from __future__ import annotations

import re

import pytest

from .helpers import WidgetCells, WidgetView, expect, screenshot, wait_until

CHAIN_OPS = 40

SETUP = f'''\
from autodiff import Var
from widgets.stepper import GraphStepper

def chain(n={CHAIN_OPS}):
    """x, then n ops in a row (×1.5 and +1 in turn): a graph n ops wide."""
    y = Var(0.5, label="x")
    for i in range(n):
        y = y * 1.5 if i % 2 == 0 else y + 1.0
        y.label = f"y{{i + 1}}"
    return y

def neuron():
    """Lesson 07's neuron with tanh written through exp: o = (e − 1)/(e + 1), e = exp(2n)."""
    v = {{k: Var(x, label=k) for k, x in dict(x1=2.0, w1=-3.0, x2=0.0, w2=1.0, b=6.8813735870195432).items()}}
    n = v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"]; n.label = "n"
    e = (2 * n).exp(); e.label = "e"
    o = (e - 1) / (e + 1); o.label = "o"
    return o
'''

WIDGETS = WidgetCells(
    "stepper", ".ad-stepper", setup=SETUP, viewport={"width": 1400, "height": 1000}, cells={
        "fit": "s_fit = GraphStepper(neuron())\ns_fit",
        "zoom": "s_zoom = GraphStepper(neuron())\ns_zoom",
        "chain": "s_chain = GraphStepper(chain())\ns_chain",
        "back": "s_back = GraphStepper(chain())\ns_back",
        "drag": "s_drag = GraphStepper(chain())\ns_drag",
    },
)

# The rendered size of the drawing's text, in CSS px: its font size (SVG user units) times the
# scale from user units to the screen.
TEXT_PX = """svg => {
  const font = parseFloat(svg.querySelector("text").getAttribute("font-size"));
  return font * svg.getScreenCTM().a;
}"""

# Whether element `id`'s box (and its op's ellipse, if any) lies inside the graph box's visible area.
IN_VIEW = """([graph, ids]) => {
  const frame = graph.getBoundingClientRect();
  const left = frame.left + graph.clientLeft, top = frame.top + graph.clientTop;
  const right = left + graph.clientWidth, bottom = top + graph.clientHeight;
  return ids.map((id) => {
    const g = graph.querySelector(`g#ad-${id}`);
    if (!g) return `${id}: no such box`;
    const r = g.getBoundingClientRect();
    const seen = r.left >= left - 0.5 && r.right <= right + 0.5 && r.top >= top - 0.5 && r.bottom <= bottom + 0.5;
    return seen ? "" : `${id} at x ${Math.round(r.left - left)}..${Math.round(r.right - left)}, `
                       + `y ${Math.round(r.top - top)}..${Math.round(r.bottom - top)} is outside `
                       + `${Math.round(right - left)}×${Math.round(bottom - top)}`;
  }).filter(Boolean);
}"""


class Stepper(WidgetView):
    parts = {"graph": '[data-role="graph"]', "svg": '[data-role="graph"] svg', "counter": '[data-role="counter"]',
             "level": '[data-role="zoom-level"]', "phase": 'select[data-role="phase"]'}

    def width(self) -> float:
        """The drawing's rendered width, CSS px."""
        return self.svg.evaluate("svg => svg.getBoundingClientRect().width")

    def zoom(self) -> int:
        """The zoom the toolbar shows, in percent."""
        text = self.level.text_content()
        match = re.fullmatch(r"(\d+)%", text)
        assert match, f"the zoom level reads {text!r}, not like 80%"
        return int(match.group(1))

    def drawn_px(self) -> float:
        """The drawing's own width (Graphviz's, in pt) in CSS px."""
        return self.svg.evaluate("svg => parseFloat(svg.getAttribute('width')) * 4 / 3")

    def current(self) -> str:
        ids = self.graph.locator("g.ad-current").evaluate_all("gs => gs.map(g => g.id.slice(3))")
        assert len(ids) == 1, f"current boxes: {ids}"
        return ids[0]


def stepper(nb, key: str) -> Stepper:
    return Stepper(nb.view(key))


def notebook_scroll(view) -> float:
    """The scroll position of the notebook around the widget (the page a learner reads)."""
    return view.root.evaluate("""el => {
        for (let p = el.parentElement; p; p = p.parentElement)
          if (p.scrollHeight > p.clientHeight + 1 && getComputedStyle(p).overflowY !== "visible") return p.scrollTop;
        return document.scrollingElement.scrollTop;
    }""")


def test_the_column_is_as_narrow_as_the_issue_measured(nb):
    width = stepper(nb, "fit").graph.evaluate("g => g.clientWidth")
    assert 900 <= width <= 1000, f"the graph's box is {width} px wide, not about 968"


def test_fit_shrinks_a_wide_graph_only_down_to_legible_text(nb):
    s = stepper(nb, "fit")
    expect(s.button("fit")).to_have_attribute("aria-pressed", "true")   # Fit is on from the start
    drawn = s.drawn_px()
    room = s.graph.evaluate("g => g.clientWidth - 8")                   # less its padding
    assert drawn > room * 1.3, f"the neuron's graph ({drawn:.0f} px) should be much wider than the column"
    text = s.svg.evaluate(TEXT_PX)
    assert text >= 9.9, f"at Fit the graph's text is {text:.1f} px high"
    # so small a column cannot hold it legibly: it is at the legible floor, wider than the box, and scrolls
    assert text == pytest.approx(10, abs=0.1)
    assert s.zoom() == round(100 * s.width() / drawn)
    assert s.graph.evaluate("g => g.scrollWidth > g.clientWidth")
    expect(s.graph).to_have_class(re.compile(r"\bad-pannable\b"))
    screenshot(nb.page, "wide-graph-fit", s.root)


def test_zoom_buttons_and_keys_change_the_zoom_and_the_width(nb):
    s = stepper(nb, "zoom")
    for action, label in (("zoom-out", "Zoom out"), ("zoom-in", "Zoom in"), ("zoom-actual", "Actual size, 100%")):
        expect(s.button(action)).to_have_attribute("aria-label", label)
    s.button("zoom-actual").click()
    expect(s.level).to_have_text("100%")
    expect(s.button("fit")).to_have_attribute("aria-pressed", "false")
    assert s.width() == pytest.approx(s.drawn_px(), abs=1)
    s.button("zoom-out").click()
    expect(s.level).to_have_text("90%")
    assert s.width() == pytest.approx(0.9 * s.drawn_px(), abs=1)
    s.button("zoom-out").click()
    expect(s.level).to_have_text("80%")
    assert s.width() == pytest.approx(0.8 * s.drawn_px(), abs=1)
    assert s.svg.evaluate(TEXT_PX) == pytest.approx(0.8 * 11 * 4 / 3, abs=0.1)
    s.button("zoom-in").click()
    s.button("zoom-in").click()
    s.button("zoom-in").click()
    expect(s.level).to_have_text("110%")
    assert s.width() == pytest.approx(1.1 * s.drawn_px(), abs=1)
    # the keys, with the widget focused (as Tab leaves it): − twice, + once, 0 for 100%
    s.root.evaluate("el => el.focus()")
    for key, shown in (("-", "100%"), ("-", "90%"), ("+", "100%"), ("-", "90%"), ("0", "100%")):
        nb.page.keyboard.press(key)
        expect(s.level).to_have_text(shown)
    s.button("fit").click()
    expect(s.button("fit")).to_have_attribute("aria-pressed", "true")
    assert s.svg.evaluate(TEXT_PX) >= 9.9


def step_to_end_checking_view(nb, s: Stepper, total: int, key: str) -> None:
    """→ until step `total`, the current node seen after every step, the notebook not scrolled."""
    s.root.evaluate("el => el.focus({ preventScroll: true })")
    page_at = notebook_scroll(s)
    for k in range(1, total + 1):
        nb.page.keyboard.press("ArrowRight")
        expect(s.counter).to_have_text(re.compile(rf"^step {k} / {total}$"))
        current = s.current()
        ids = [current] + (s.graph.locator("g.ad-target").evaluate_all("gs => gs.map(g => g.id.slice(3))")
                           if key == "backward" else [])
        outside = s.graph.evaluate(f"(graph, ids) => ({IN_VIEW})([graph, ids])", ids)
        assert not outside, f"{key} step {k}: {outside}"
        if k in (1, total // 2, total):
            screenshot(nb.page, f"wide-graph-{key}-step-{k}", s.root)
    assert notebook_scroll(s) == pytest.approx(page_at, abs=2), "stepping scrolled the notebook"


def test_the_current_node_stays_in_view_stepping_forward(nb):
    s = stepper(nb, "chain")
    assert s.graph.evaluate("g => g.scrollWidth > 2 * g.clientWidth"), "the chain should be far wider than its box"
    s.phase.select_option("forward")                  # a stepper starts at the backward pass
    expect(s.counter).to_have_text(re.compile(r"^step 0 / "))
    total = int(s.counter.text_content().split("/")[1])
    assert total >= CHAIN_OPS
    step_to_end_checking_view(nb, s, total, "forward")
    assert s.graph.evaluate("g => g.scrollLeft") > 0


def test_the_current_node_and_its_targets_stay_in_view_stepping_backward(nb):
    s = stepper(nb, "back")
    s.phase.select_option("backward")
    expect(s.counter).to_have_text(re.compile(r"^step 0 / "))
    total = int(s.counter.text_content().split("/")[1])
    step_to_end_checking_view(nb, s, total, "backward")
    # at the end the backward pass has reached x, at the far left: the box scrolled back there
    assert s.graph.evaluate("g => g.scrollLeft") == 0


def test_dragging_the_graph_pans_it(nb):
    s = stepper(nb, "drag")
    box = s.graph.bounding_box()
    before = s.graph.evaluate("g => g.scrollLeft")
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    nb.page.mouse.move(x, y)
    nb.page.mouse.down()
    nb.page.mouse.move(x - 150, y, steps=5)
    nb.page.mouse.up()
    wait_until(lambda: s.graph.evaluate("g => g.scrollLeft") == pytest.approx(before + 150, abs=2), 5,
               "the drag to scroll the graph 150 px", page=nb.page)
    expect(s.graph).not_to_have_class(re.compile(r"\bad-panning\b"))


def test_projector_mode_raises_fits_smallest_text(nb):
    """In projector mode Fit keeps the text PROJECTOR_SCALE (1.4) times larger: at least 14 px."""
    s = stepper(nb, "fit")
    s.button("fit").click()
    assert s.svg.evaluate(TEXT_PX) == pytest.approx(10, abs=0.1)
    nb.kernel_says("import widgets\nprint('projector', widgets.projector(True))", "projector True")
    s = stepper(nb, "fit")
    wait_until(lambda: s.svg.evaluate(TEXT_PX) > 13.9, 10, "the fitted text to grow to 14 px", page=nb.page)
    assert s.svg.evaluate(TEXT_PX) == pytest.approx(14, abs=0.1)
    nb.kernel_says("print('projector', widgets.projector(False))", "projector False")
    s = stepper(nb, "fit")
    wait_until(lambda: s.svg.evaluate(TEXT_PX) < 10.1, 10, "the fitted text to go back to 10 px", page=nb.page)


def test_a_learners_own_scrolling_is_kept_until_the_next_step(nb):
    s = stepper(nb, "drag")
    s.root.evaluate("el => el.focus({ preventScroll: true })")
    nb.page.keyboard.press("ArrowRight")               # backward step 1: the output, at the far right
    expect(s.counter).to_have_text(re.compile(r"^step 1 / "))
    at_output = s.graph.evaluate("g => g.scrollLeft")
    assert at_output > 0
    s.graph.evaluate("g => { g.scrollLeft = 0; }")     # the learner looks back at the inputs
    nb.kernel_says("s_drag.feedback = 'look around'\nprint('said')", "said")
    expect(s.root.locator('[data-role="quiz-feedback"]')).to_have_text("look around")
    assert s.graph.evaluate("g => g.scrollLeft") == 0  # not pulled back by a change that is not a step
    s.root.evaluate("el => el.focus({ preventScroll: true })")
    nb.page.keyboard.press("ArrowRight")
    expect(s.counter).to_have_text(re.compile(r"^step 2 / "))
    assert s.graph.evaluate("g => g.scrollLeft") > 0   # the next step brings its node back into view
