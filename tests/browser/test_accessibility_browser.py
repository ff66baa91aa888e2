"""Accessibility of the widgets in a real JupyterLab (issue 12): keyboard, screen readers, projector, axe-core.

One notebook shows a GraphStepper, an OptimizerLab, a Playground and an
EngineReport; the tests drive them **by keyboard only** (focus is given with
the keyboard's Tab or with ``element.focus()``, never a click) and read what
a screen reader would: the stepper's hidden table of nodes, the canvases'
``aria-label``. Then axe-core, the npm package the lead pins
(``npm install --prefix .ci/node axe-core@4.14.1``), scans the widgets' own
DOM (not JupyterLab's) for serious or critical violations. Last, projector
mode (`widgets.projector`) must make the text larger, and undo it.

Screenshots land in test-output/browser/a11y-*.png: each widget with its
focus ring, and in projector mode.
"""

from __future__ import annotations

import re

import pytest

from .conftest import skip_or_fail
from .helpers import REPO, WidgetCells, WidgetNotebook, expect, screenshot, wait_until

AXE = REPO / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js"
ROOTS = {"stepper": ".ad-stepper", "tensor": ".ad-stepper", "unroll": ".ad-stepper", "lab": ".ad-optlab",
         "pg": ".ad-playground", "report": ".ad-engine-report-live"}

WIDGETS = WidgetCells(
    "projector", ", ".join(ROOTS.values()),
    setup=(f"import sys\nsys.path.insert(0, {str(REPO / 'tests')!r})\n"
           "import learner_engines as engines\n"
           "from autodiff import Var\n"
           "from autodiff.check import check_engine\n"
           "from widgets import EngineReport, GraphStepper, OptimizerLab, Playground\n"
           "a = Var(2.0, label='a'); b = Var(-3.0, label='b')\n"
           "e = a * b; e.label = 'e'\n"
           "L = e + a; L.label = 'L'\n"
           "import numpy as np\n"
           "from autodiff.tensor import Tensor\n"
           "from widgets import unroll\n"
           "def matmul():\n"
           "    x = Tensor([[1.0, 2.0]], label='x', requires_grad=False)\n"
           "    W = Tensor([[0.5, -1.0], [2.0, 0.25]], label='W')\n"
           "    y = x @ W; y.label = 'y'\n"
           "    return y, W"),
    viewport={"width": 1400, "height": 1300}, cells={
        "stepper": "stepper = GraphStepper(L)\nstepper",
        "tensor": "y, W = matmul()\nGraphStepper((y * y).sum(), parameters=[W])",
        "unroll": "unroll(matmul()[0], upstream=np.array([[1.0, -2.0]]))",
        "lab": "lab = OptimizerLab('bowl')\nlab",
        "pg": "pg = Playground(dataset='moons', hidden=[4], points=100)\npg",
        "report": "EngineReport(check_engine(engines.OverwriteValue))",
    },
)


def focus(locator) -> None:
    """Give ``locator`` the keyboard focus (as Tab would; no mouse), and check it has it.

    ``focusVisible``: the browser shows the focus ring for a focus moved by
    the keyboard, and this is one (the notebook's Run All was a click).
    """
    locator.evaluate("el => el.focus({ focusVisible: true })")
    assert locator.evaluate("el => el === document.activeElement"), "the widget did not take the focus"


def tab_to(page, selector: str, limit: int = 40) -> None:
    """Press Tab until the focused element matches ``selector`` (every control must be reachable)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} was not reached with {limit} presses of Tab")


def focus_ring(page) -> str:
    """The focused element's outline (style and width): what makes the focus visible."""
    return page.evaluate("() => { const s = getComputedStyle(document.activeElement); "
                         "return `${s.outlineStyle} ${s.outlineWidth}`; }")


def label_follows(page, image, counter, words: str) -> str:
    """Wait until ``image``'s aria-label holds ``words`` with the text ``counter`` shows ("step 12"); that text.

    A frame already on its way when Pause was pressed may still be drawn, so
    the two are read together until they agree.
    """
    def agree():
        shown = counter.text_content()
        if words.format(shown) not in (image.get_attribute("aria-label") or ""):
            return None
        page.wait_for_timeout(300)   # and it stays so (no frame was still coming)
        return shown if counter.text_content() == shown else None
    return wait_until(agree, 10, f"the aria-label to say {words!r} with the counter's text", page=page)


# ---------------------------------------------------------------------------


def test_the_stepper_steps_by_keyboard_and_its_node_table_follows(nb):
    view = nb.view("stepper")
    focus(view)
    assert focus_ring(nb.page).startswith("solid"), "the stepper's focus is not visible"
    table = view.locator('table[data-role="node-table"]')
    graph = view.locator('[data-role="graph"]')
    # hidden from the eye, not from a screen reader: in the accessibility tree, one row per node
    assert table.evaluate("t => getComputedStyle(t).display") != "none"
    expect(table.locator("tbody tr")).to_have_count(4)          # a, b, e, L
    expect(graph).to_have_attribute("role", "img")
    expect(graph).to_have_attribute("aria-label", re.compile(r"^Computation graph of 4 nodes; backward pass, step 0"))
    expect(view.locator('[data-role="explanation"]')).to_have_attribute("aria-live", "polite")
    row_L = table.locator('tr:has(th:text-is("L"))')
    expect(row_L.locator("td").nth(2)).to_have_text(re.compile("not computed yet"))
    nb.page.keyboard.press("ArrowRight")                      # the seed: L's grad is 1
    expect(view.locator('[data-role="counter"]')).to_have_text(re.compile(r"^step 1 / "))
    expect(row_L.locator("td").nth(2)).to_have_text("grad 1")
    expect(row_L.locator("td").nth(3)).to_have_text("current step")
    expect(graph).to_have_attribute("aria-label", re.compile(r"backward step 1: node L"))
    nb.page.keyboard.press("ArrowRight")
    row_e = table.locator('tr:has(th:text-is("e"))')
    expect(row_e.locator("td").nth(2)).to_have_text("grad 1")
    expect(graph).to_have_attribute("aria-label", re.compile(r"backward step 2: node L"))
    screenshot(nb.page, "a11y-stepper-focus", view)
    nb.page.keyboard.press("ArrowLeft")
    nb.page.keyboard.press("ArrowLeft")
    expect(row_L.locator("td").nth(2)).to_have_text(re.compile("not computed yet"))
    expect(row_L.locator("td").nth(3)).to_have_text("")


def test_the_optimizer_lab_plays_pauses_and_changes_a_setting_by_keyboard(nb):
    view = nb.view("lab")
    play = view.locator('button[data-action="play"]')
    canvas = view.locator('canvas[data-role="contour"]')
    expect(canvas).to_have_attribute("role", "img")
    expect(canvas).to_have_attribute("aria-label", re.compile(r"^Contour map of f\(x, y\) = .*, step 0: SGD at x "))
    focus(view)
    assert focus_ring(nb.page).startswith("solid"), "the lab's focus is not visible"
    nb.page.keyboard.press(" ")                                # Space on the widget: Play
    expect(play).to_have_text("Pause")
    wait_until(lambda: int(view.locator('[data-role="steps"]').text_content().split()[1]) > 0, 20,
               "the lab to take a step while playing", page=nb.page)
    nb.page.keyboard.press(" ")                                # and Pause
    expect(play).to_have_text("▶ Play")
    label_follows(nb.page, canvas, view.locator('[data-role="steps"]'), ", {}: SGD at x ")
    # a setting: Tab to the learning-rate slider, → makes it larger; the kernel restarts the race
    tab_to(nb.page, 'input[data-role="lr"]')
    assert focus_ring(nb.page).startswith("solid"), "the slider's focus is not visible"
    lr = view.locator('input[data-role="lr"] ~ output')
    before = lr.text_content()
    nb.page.keyboard.press("ArrowRight")
    expect(lr).not_to_have_text(before)
    expect(view.locator('[data-role="steps"]')).to_have_text("step 0")   # a new setting restarts the race
    expect(view.locator('tr[data-optimizer="SGD"] td[data-field="lr"]')).to_have_text(lr.text_content())
    screenshot(nb.page, "a11y-optlab-focus", view)


def test_the_playground_plays_pauses_and_changes_settings_by_keyboard(nb):
    view = nb.view("pg")
    play = view.locator('button[data-action="play"]')
    epoch = view.locator('[data-role="epoch"]')
    boundary = view.locator('canvas[data-role="boundary"]')
    wait_until(lambda: boundary.get_attribute("aria-label"), 20, "the decision map's text", page=nb.page)
    expect(boundary).to_have_attribute("role", "img")
    expect(boundary).to_have_attribute("aria-label", re.compile(r"^Decision map of 2 classes at epoch 0"))
    expect(view.locator('canvas[data-role="loss"]')).to_have_attribute("aria-label", "Loss per epoch: no epoch trained yet")
    focus(view)
    assert focus_ring(nb.page).startswith("solid"), "the playground's focus is not visible"
    nb.page.keyboard.press(" ")                                # Space: Play
    expect(play).to_have_text(re.compile("Pause"))
    wait_until(lambda: int(epoch.text_content().split()[1]) >= 2, 30, "two epochs while playing", page=nb.page)
    nb.page.keyboard.press(" ")                                # Space: Pause
    expect(play).to_have_text("▶ Play")
    shown = label_follows(nb.page, boundary, epoch, "at {}: accuracy train ")
    label_follows(nb.page, view.locator('canvas[data-role="loss"]'), epoch, "Loss per epoch, up to {}: train ")
    expect(view.locator('canvas[data-role="gradflow"]')).to_have_attribute("aria-label", re.compile(r"layer 1: \d"))
    expect(view.locator('canvas[data-role="confusion"]')).to_have_attribute(
        "aria-label", re.compile(r"true class 0: \d+ predicted 0, \d+ predicted 1; true class 1: "))
    # settings: the noise slider by arrow key, then "+ layer" by Enter
    tab_to(nb.page, 'input[data-role="noise"]')
    assert focus_ring(nb.page).startswith("solid"), "the slider's focus is not visible"
    noise = view.locator('input[data-role="noise"] + .ad-pg-value')
    before = noise.text_content()
    nb.page.keyboard.press("ArrowRight")
    expect(noise).not_to_have_text(before)
    expect(epoch).to_have_text("epoch 0")                      # a new setting restarts the run
    tab_to(nb.page, 'button[data-action="add-layer"]')
    nb.page.keyboard.press("Enter")
    expect(view.locator('[data-role="neurons"]')).to_have_count(2)
    screenshot(nb.page, "a11y-playground-focus", view)


def test_axe_finds_no_serious_violation_inside_the_widgets(nb):
    if not AXE.is_file():
        skip_or_fail(f"{AXE.relative_to(REPO)} is absent: npm install --prefix .ci/node axe-core@4.14.1")
    roots = nb.page.locator(", ".join(sorted(set(ROOTS.values()))))
    for key in ROOTS:
        nb.view(key)   # every widget shown (and scrolled past, so that it is laid out)
    for key in ("tensor", "unroll"):   # some steps on: current, done and partial nodes and grid cells
        focus(nb.view(key))
        for _ in range(3):
            nb.page.keyboard.press("ArrowRight")
        expect(nb.view(key).locator('[data-role="counter"]')).to_have_text(re.compile(r"^step 3 / "))
    nb.page.add_script_tag(path=str(AXE))
    scan = """async ([roots, plant]) => {
        const planted = document.createElement("div");   // a picture with no text: axe must see it
        planted.setAttribute("role", "img");
        if (plant) roots[0].append(planted);
        try {
          const result = await axe.run(roots, { resultTypes: ["violations"] });
          return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
            .map((v) => `${v.impact} ${v.id} (${v.help}): ` + v.nodes.slice(0, 4).map((n) => n.target.join(" ")).join(" | "));
        } finally { planted.remove(); }
    }"""
    assert roots.count() == len(ROOTS)
    # the scan can fail: a planted image without a text alternative is found
    assert any(v.startswith("serious role-img-alt") for v in roots.evaluate_all(f"roots => ({scan})([roots, true])"))
    found = roots.evaluate_all(f"roots => ({scan})([roots, false])")
    assert found == [], "axe-core found in the widgets:\n" + "\n".join(found)


def test_projector_mode_makes_every_widget_larger_and_goes_back(nb):
    sizes = {key: nb.view(key).evaluate("el => parseFloat(getComputedStyle(el).fontSize)") for key in ROOTS}
    canvas = nb.view("lab").locator('canvas[data-role="contour"]')
    width = canvas.evaluate("c => c.getBoundingClientRect().width")
    graph = nb.view("stepper").locator('[data-role="graph"] svg')
    nb.view("stepper").locator('button[data-action="zoom-actual"]').click()  # 100%: projector mode alone sets the size
    # the width the graph is shown at (Fit may then narrow it to the column), over its drawn width
    zoom = "g => (parseFloat(g.style.width) || parseFloat(g.getAttribute('width'))) / parseFloat(g.getAttribute('width'))"
    assert graph.evaluate(zoom) == 1
    nb.kernel_says("import widgets\nprint('projector', widgets.projector(True))", "projector True")
    view = nb.view("stepper")
    wait_until(lambda: view.evaluate("el => parseFloat(getComputedStyle(el).fontSize)") > sizes["stepper"] * 1.3,
               10, "the stepper's text to grow", page=nb.page)
    for key in ("stepper", "lab", "pg"):
        grown = nb.view(key).evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
        assert grown == pytest.approx(sizes[key] * 1.4, abs=0.1), f"{key}: {sizes[key]}px became {grown}px"
        expect(nb.view(key)).to_have_class(re.compile(r"\bad-projector\b"))
        nb.view(key).evaluate("el => el.scrollIntoView()")
        screenshot(nb.page, f"a11y-projector-{key}")
    assert canvas.evaluate("c => c.getBoundingClientRect().width") > width * 1.2   # the map too
    # the stepper's graph, drawn in the normal font before the switch, is shown larger
    assert graph.evaluate(zoom) == pytest.approx(1.4)
    nb.kernel_says("print('projector', widgets.projector(False))", "projector False")
    wait_until(lambda: view.evaluate("el => parseFloat(getComputedStyle(el).fontSize)") == sizes["stepper"],
               10, "the stepper's text to shrink back", page=nb.page)
    for key in ("lab", "pg"):
        assert nb.view(key).evaluate("el => parseFloat(getComputedStyle(el).fontSize)") == sizes[key]
    assert graph.evaluate(zoom) == 1


