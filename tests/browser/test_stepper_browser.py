"""`widgets.GraphStepper` in a real JupyterLab, clicked as a learner would.

One notebook holds one stepper per test, all on the lecture example

    a = 2, b = −3, c = 10, f = −2;  e = a·b = −6;  d = e + c = 4;  L = d·f = −8

whose nodes, in topological order, are n0=a, n1=b, n2=e, n3=c, n4=d, n5=f, n6=L.
The gradients, by hand (chain rule):

    ∂L/∂L = 1
    ∂L/∂d = f = −2            ∂L/∂f = d = 4
    ∂L/∂e = ∂L/∂d · 1 = −2    ∂L/∂c = ∂L/∂d · 1 = −2
    ∂L/∂a = ∂L/∂e · b = 6     ∂L/∂b = ∂L/∂e · a = −4

Every expected text below is written out by hand from these, with a real
minus sign "−" and at most 4 significant digits, never taken from the widget.

The DOM contract checked: root ``.ad-stepper``; buttons
``button[data-action=reset|back|step|play]``; ``input[type=range][data-role=speed]``;
``select[data-role=phase]``; ``[data-role=counter]`` ("step K / N");
``[data-role=graph]`` with ``g#ad-nX`` boxes classed ``ad-current``,
``ad-lit``, ``ad-done``, ``ad-target``; ``[data-role=explanation]``;
the quiz ``[data-role=quiz]``; the inputs ``[data-role=inputs]``.
"""

from __future__ import annotations

import re

from .helpers import WidgetCells, WidgetNotebook, WidgetView, expect, screenshot

# The backward phase has one step per node that passes its gradient on (the
# widget's choice, see widgets/stepper.py): the seed at L, then L, d and e.
# (One step per contribution would make it 1 + 6 = 7.)
BACKWARD_STEPS = 4

LECTURE = '''\
from autodiff import Var
from widgets.stepper import GraphStepper

def lecture():
    """The lecture example: L = (a·b + c)·f."""
    a = Var(2.0, label="a"); b = Var(-3.0, label="b")
    c = Var(10.0, label="c"); f = Var(-2.0, label="f")
    e = a * b; e.label = "e"
    d = e + c; d.label = "d"
    L = d * f; L.label = "L"
    return L, {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f}
'''

# The notebook: `lecture` defined first, then one stepper per test (see conftest.py, `nb`).
WIDGETS = WidgetCells(
    "stepper", ".ad-stepper", setup=LECTURE, cells={
        "step": "s_step = GraphStepper(lecture()[0])\ns_step",
        "play": "s_play = GraphStepper(lecture()[0], speed_ms=300)\ns_play",
        "quiz": "s_quiz = GraphStepper(lecture()[0], quiz=True)\ns_quiz",
        "input": "L_in, v_in = lecture()\ns_input = GraphStepper(L_in)\ns_input",
        "kernel": "s_kernel = GraphStepper(lecture()[0])\ns_kernel",
        "keys": "s_keys = GraphStepper(lecture()[0], speed_ms=300)\ns_keys",
        "boxes": "L_box, v_box = lecture()\ns_box = GraphStepper(L_box)\ns_box",
        "retry": "s_retry = GraphStepper(lecture()[0], quiz=True)\ns_retry",
        "refuse": "s_refuse = GraphStepper(lecture()[0])\ns_refuse",
    },
)


class Stepper(WidgetView):
    """Locators inside one ``.ad-stepper``."""

    parts = {"graph": '[data-role="graph"]', "counter": '[data-role="counter"]',
             "explanation": '[data-role="explanation"]', "quiz": '[data-role="quiz"]',
             "feedback": '[data-role="quiz-feedback"]', "speed": 'input[type="range"][data-role="speed"]',
             "phase": 'select[data-role="phase"]'}

    def node(self, node_id: str):
        return self.graph.locator(f"svg g#ad-{node_id}")

    def field(self, node_id: str, word: str):
        """The last <text> of box ``node_id`` that starts with ``word`` ("data" or "grad")."""
        return self.node(node_id).locator("text").filter(has_text=re.compile(f"^{word}")).last

    def input(self, node_id: str):
        return self.root.locator(f'[data-role="inputs"] input[data-leaf="{node_id}"]')

    def answer(self, node_id: str):
        return self.quiz.locator(f'input[data-role="quiz-answer"][data-parent="{node_id}"]')


def has_class(cls: str):
    """A regex for `to_have_class`: ``cls`` among the element's classes."""
    return re.compile(rf"(^|\s){re.escape(cls)}(\s|$)")


def stepper(nb: WidgetNotebook, key: str) -> Stepper:
    return Stepper(nb.view(key))


# ---------------------------------------------------------------------------


def test_step_highlights_the_seed_then_the_first_contribution(nb):
    s = stepper(nb, "step")

    # the controls of the contract, at step 0 of the backward phase
    for action in ("reset", "back", "step", "play"):
        expect(s.button(action)).to_have_count(1)
    expect(s.button("play")).to_have_text("▶ Play")
    expect(s.speed).to_have_value("500")
    expect(s.phase).to_have_value("backward")
    assert s.phase.locator("option").evaluate_all("os => os.map(o => o.value)") == ["forward", "backward"]
    expect(s.counter).to_have_text(f"step 0 / {BACKWARD_STEPS}")
    expect(s.explanation).to_contain_text("Press Step to seed grad(L) = 1.")
    for node_id in ("n0", "n1", "n3", "n5"):  # the leaves a, b, c, f
        expect(s.input(node_id)).to_have_count(1)
    for node_id in ("n2", "n4", "n6"):        # op nodes have no input box
        expect(s.input(node_id)).to_have_count(0)
    expect(s.graph.locator("svg g.ad-current")).to_have_count(0)
    expect(s.field("n6", "grad")).to_have_text("grad: not computed yet")

    # Step 1: the seed. L is current, its grad is 1.
    s.button("step").click()
    expect(s.counter).to_have_text(f"step 1 / {BACKWARD_STEPS}")
    expect(s.graph.locator("svg g#ad-n6.ad-current")).to_have_count(1)
    expect(s.graph.locator("svg g.ad-current")).to_have_count(1)
    expect(s.explanation).to_have_text("Start at the output: L changes one-for-one with itself.\n"
                                       "grad(L) = 1 (the seed)")
    expect(s.field("n6", "grad")).to_have_text("grad 1")
    expect(s.field("n4", "grad")).to_have_text("grad: not computed yet")

    # Step 2: L = d·f passes grad(L) = 1 to d (local derivative f = −2) and f (d = 4).
    s.button("step").click()
    expect(s.counter).to_have_text(f"step 2 / {BACKWARD_STEPS}")
    # the local derivatives in the op's own terms, apart from the gradients grad(d), grad(f)
    expect(s.explanation).to_contain_text("grad(d) += grad(L) · ∂(d·f)/∂d = 1 × −2 = −2")
    expect(s.explanation).to_contain_text("grad(f) += grad(L) · ∂(d·f)/∂f = 1 × 4 = 4")
    expect(s.node("n4")).to_have_class(has_class("ad-target"))
    expect(s.node("n5")).to_have_class(has_class("ad-target"))
    expect(s.node("n6")).to_have_class(has_class("ad-current"))
    expect(s.node("n2")).not_to_have_class(has_class("ad-target"))
    # the ellipse of L's op is highlighted too (class ad-op-current, not ad-current)
    expect(s.graph.locator("svg g#ad-n6-op")).to_have_class(has_class("ad-op-current"))
    expect(s.graph.locator("svg g#ad-n4-op")).not_to_have_class(has_class("ad-op-current"))
    expect(s.field("n4", "grad")).to_have_text("grad −2")
    expect(s.field("n5", "grad")).to_have_text("grad 4")
    expect(s.field("n2", "grad")).to_have_text("grad: not computed yet")
    screenshot(nb.page, "stepper-after-two-steps", s.root)

    # Back undoes a step, in the browser alone.
    s.button("back").click()
    expect(s.counter).to_have_text(f"step 1 / {BACKWARD_STEPS}")
    expect(s.field("n4", "grad")).to_have_text("grad: not computed yet")
    expect(s.node("n4")).not_to_have_class(has_class("ad-target"))


def test_play_runs_to_the_last_step(nb):
    s = stepper(nb, "play")
    expect(s.speed).to_have_value("300")
    s.button("play").click()
    expect(s.button("play")).to_have_text("Pause", timeout=2_000)
    assert_pause_icon_renders(s.button("play"))
    # 4 steps at 300 ms each: well within 10 s
    expect(s.counter).to_have_text(f"step {BACKWARD_STEPS} / {BACKWARD_STEPS}", timeout=10_000)
    expect(s.button("play")).to_have_text("▶ Play", timeout=5_000)
    expect(s.explanation).to_contain_text("grad(a) += grad(e) · ∂(a·b)/∂a = −2 × −3 = 6")
    expect(s.explanation).to_contain_text("Backward pass complete")
    expected = {"n0": "grad 6", "n1": "grad −4", "n2": "grad −2", "n3": "grad −2",
                "n4": "grad −2", "n5": "grad 4", "n6": "grad 1"}
    for node_id, text in expected.items():
        expect(s.field(node_id, "grad")).to_have_text(text)
    expect(s.node("n2")).to_have_class(has_class("ad-current"))  # e passed it on last
    for node_id in ("n0", "n1"):
        expect(s.node(node_id)).to_have_class(has_class("ad-target"))
    screenshot(nb.page, "stepper-after-play", s.root)


def test_quiz_wrong_then_right(nb):
    s = stepper(nb, "quiz")
    expect(s.quiz).to_be_hidden()

    s.button("step").click()                       # the seed: nothing to ask
    expect(s.counter).to_have_text(f"step 1 / {BACKWARD_STEPS}")
    expect(s.quiz).to_be_hidden()

    s.button("step").click()                       # L passes on: the quiz asks first
    expect(s.quiz).to_be_visible()
    expect(s.counter).to_have_text(f"step 1 / {BACKWARD_STEPS}")  # not revealed yet
    expect(s.quiz).to_contain_text("How much does each receive?")
    # A sign slip for d (∂L/∂d = 1 · f = −2, not 2); f right (1 · d = 4).
    s.answer("n4").fill("2")
    s.answer("n5").fill("4")
    screenshot(nb.page, "stepper-quiz-asked", s.root)
    s.quiz.locator('button[data-action="check"]').click()
    # the first wrong answer: a hint, not the answer, and the question stays
    expect(s.feedback).to_have_text("Not yet: you said 2 for grad(d). Hint: multiply grad(L) = 1 by the local "
                                    "derivative ∂(d·f)/∂d = f. Try once more, or press Show me.\n"
                                    "Right: grad(f) += grad(L) · ∂(d·f)/∂f = 1 × 4 = 4")
    expect(s.quiz).to_be_visible()
    expect(s.counter).to_have_text(f"step 1 / {BACKWARD_STEPS}")
    expect(s.answer("n4")).to_have_class(has_class("ad-invalid"))
    screenshot(nb.page, "stepper-quiz-try-again", s.root)
    s.answer("n4").fill("3")                       # wrong again: now the answer, and why
    s.quiz.locator('button[data-action="check"]').click()
    expect(s.feedback).to_be_visible()
    expect(s.feedback).to_contain_text("Not quite")
    expect(s.feedback).to_contain_text("you said 3")
    expect(s.feedback).to_contain_text("grad(d) += grad(L) · ∂(d·f)/∂d = 1 × −2 = −2")
    expect(s.feedback).to_contain_text("the local derivative is ∂(d·f)/∂d = f = −2")  # the why
    expect(s.feedback).to_contain_text("Right: grad(f) += grad(L) · ∂(d·f)/∂f = 1 × 4 = 4")
    expect(s.counter).to_have_text(f"step 2 / {BACKWARD_STEPS}")  # the step is shown
    expect(s.node("n4")).to_have_class(has_class("ad-target"))
    screenshot(nb.page, "stepper-quiz-wrong", s.root)

    s.button("step").click()                       # d = e + c passes grad(d) = −2 on
    expect(s.quiz).to_be_visible()
    expect(s.feedback).to_be_hidden()              # the last step's verdict is gone
    s.answer("n2").fill("-2")                      # ASCII minus...
    s.answer("n3").fill("−2")                      # ... and the real one both parse
    s.answer("n3").press("Enter")                  # Enter checks, like the button
    expect(s.feedback).to_have_text("Right: grad(e) += grad(d) · ∂(e + c)/∂e = −2 × 1 = −2\n"
                                    "Right: grad(c) += grad(d) · ∂(e + c)/∂c = −2 × 1 = −2")
    expect(s.feedback).not_to_contain_text("Not quite")
    expect(s.counter).to_have_text(f"step 3 / {BACKWARD_STEPS}")
    expect(s.quiz).to_be_hidden()
    screenshot(nb.page, "stepper-quiz-right", s.root)


def test_editing_an_input_recomputes_without_relayout(nb):
    s = stepper(nb, "input")
    expect(s.field("n2", "data")).to_have_text("data −6")
    expect(s.input("n0")).to_have_value("2")

    svg = s.graph.locator("svg").first
    svg.evaluate("svg => { svg.__adMarker = 'first drawing'; }")
    geometry = """svg => Object.fromEntries(['n0', 'n2', 'n4', 'n6'].map(id => {
        const g = svg.querySelector('g#ad-' + id), b = g.getBBox();
        return [id, {points: g.querySelector('polygon').getAttribute('points'),
                     box: [b.x, b.y, b.width, b.height], transform: g.getAttribute('transform')}];
    }))"""
    before = svg.evaluate(geometry)
    viewbox = svg.get_attribute("viewBox")

    s.input("n0").fill("3")
    s.input("n0").press("Tab")                     # the change lands when the box is left
    # e = 3·−3 = −9, d = −9 + 10 = 1, L = 1·−2 = −2
    expect(s.field("n2", "data")).to_have_text("data −9", timeout=10_000)
    expect(s.field("n4", "data")).to_have_text("data 1")
    expect(s.field("n6", "data")).to_have_text("data −2")
    expect(s.field("n0", "data")).to_have_text("data 3")

    # the same SVG element, nothing moved
    svg = s.graph.locator("svg").first
    assert svg.evaluate("svg => svg.__adMarker") == "first drawing", "the SVG was drawn again"
    assert svg.get_attribute("viewBox") == viewbox
    assert svg.evaluate(geometry) == before

    # the gradients are those of the new values: ∂L/∂b = ∂L/∂e · a = (1 · f) · 3 = −6, ∂L/∂f = d = 1
    for _ in range(BACKWARD_STEPS):
        s.button("step").click()
    expect(s.counter).to_have_text(f"step {BACKWARD_STEPS} / {BACKWARD_STEPS}")
    expect(s.field("n1", "grad")).to_have_text("grad −6")
    expect(s.field("n5", "grad")).to_have_text("grad 1")
    expect(s.field("n0", "grad")).to_have_text("grad 6")

    # ... and the kernel's Vars hold them too
    nb.kernel_says("print('kernel', v_in['a'].data, v_in['e'].data, L_in.data)", "kernel 3.0 -9.0 -2.0")


def test_kernel_sees_the_browser_step(nb):
    s = stepper(nb, "kernel")
    s.button("step").click()
    s.button("step").click()
    expect(s.counter).to_have_text(f"step 2 / {BACKWARD_STEPS}")
    nb.kernel_says("print('kernel step', s_kernel.step, s_kernel.current.node)", "kernel step 2 n6")


def assert_pause_icon_renders(button):
    """The pause icon is two bars drawn in CSS: a visible box, with both bars (issue 12: ⏸ was an empty box)."""
    icon = button.locator("span.ad-icon-pause")
    expect(icon).to_have_count(1)
    box = icon.evaluate("""el => { const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
        return {w: r.width, h: r.height, left: parseFloat(cs.borderLeftWidth), right: parseFloat(cs.borderRightWidth),
                colour: cs.borderLeftColor, style: cs.borderLeftStyle}; }""")
    assert box["w"] >= 6 and box["h"] >= 6, box
    assert box["left"] >= 2 and box["right"] >= 2 and box["style"] == "solid", box
    assert box["colour"] not in ("transparent", "rgba(0, 0, 0, 0)"), box
    assert "\u23f8" not in button.inner_text()


def test_keyboard_only_stepping(nb):
    """Focus the widget with Tab from its first control, then ←/→ step and Space plays (issue 12)."""
    s = stepper(nb, "keys")
    page = nb.page
    s.button("reset").focus()                      # the keyboard's way in: Tab reaches the buttons...
    page.keyboard.press("Shift+Tab")               # ... and the widget itself, just before them
    assert s.root.evaluate("el => document.activeElement === el"), "the widget does not take focus"
    outline = s.root.evaluate("el => { const cs = getComputedStyle(el); return [cs.outlineStyle, cs.outlineWidth]; }")
    assert outline[0] != "none" and float(outline[1].rstrip("px")) >= 2, f"focus is not visible: {outline}"
    assert s.explanation.get_attribute("aria-live") == "polite"   # read out at every step
    screenshot(page, "stepper-keyboard-focus", s.root)

    page.keyboard.press("ArrowRight")
    expect(s.counter).to_have_text(f"step 1 / {BACKWARD_STEPS}")
    expect(s.explanation).to_contain_text("grad(L) = 1 (the seed)")
    page.keyboard.press("ArrowRight")
    expect(s.counter).to_have_text(f"step 2 / {BACKWARD_STEPS}")
    expect(s.explanation).to_contain_text("grad(d) += grad(L) · ∂(d·f)/∂d = 1 × −2 = −2")
    page.keyboard.press("ArrowLeft")
    expect(s.counter).to_have_text(f"step 1 / {BACKWARD_STEPS}")
    expect(s.field("n4", "grad")).to_have_text("grad: not computed yet")

    page.keyboard.press(" ")                       # Space: Play, to the end
    expect(s.button("play")).to_have_text("Pause", timeout=2_000)
    assert_pause_icon_renders(s.button("play"))
    screenshot(page, "stepper-keyboard-playing", s.root)
    expect(s.counter).to_have_text(f"step {BACKWARD_STEPS} / {BACKWARD_STEPS}", timeout=10_000)
    expect(s.button("play")).to_have_text("▶ Play", timeout=5_000)
    expect(s.field("n0", "grad")).to_have_text("grad 6")
    page.keyboard.press("ArrowRight")              # at the end: nothing more
    expect(s.counter).to_have_text(f"step {BACKWARD_STEPS} / {BACKWARD_STEPS}")
    # the page did not scroll away with Space, and focus stayed on the widget
    assert s.root.evaluate("el => el.contains(document.activeElement)")
    nb.kernel_says("print('kernel step', s_keys.step)", f"kernel step {BACKWARD_STEPS}")


def test_input_boxes_say_why_a_value_is_not_used(nb):
    s = stepper(nb, "boxes")
    error = s.root.locator('[data-role="error"]')
    expect(error).to_be_hidden()
    for typed, words in [("abc", 'a keeps its value 2: "abc" is not a number.'),
                         ("", "a keeps its value 2: the box is empty: type a number."),
                         ("1e309", "a keeps its value 2: 1e309 is too large: a value must be a finite number")]:
        s.input("n0").fill(typed)
        s.input("n0").press("Tab")
        expect(error).to_be_visible()
        expect(error).to_contain_text(words)
        expect(s.input("n0")).to_have_class(has_class("ad-invalid"))
        expect(s.field("n0", "data")).to_have_text("data 2")    # the graph kept its value
    screenshot(nb.page, "stepper-input-refused", s.root)
    s.input("n0").fill("3")
    s.input("n0").press("Tab")
    expect(s.field("n2", "data")).to_have_text("data −9", timeout=10_000)
    expect(error).to_be_hidden()
    expect(s.input("n0")).not_to_have_class(has_class("ad-invalid"))
    nb.kernel_says("print('kernel', v_box['a'].data)", "kernel 3.0")

    # A long value, from the kernel, is shown whole: the box is as wide as its number.
    nb.kernel_says("s_box.set_input('a', 6.88137358702)\nprint('set')", "set")
    expect(s.input("n0")).to_have_value("6.88137358702", timeout=10_000)
    assert s.input("n0").evaluate("el => el.scrollWidth <= el.clientWidth"), "the number is cut off"


def test_quiz_empty_answer_is_explained_in_words(nb):
    s = stepper(nb, "retry")
    s.button("step").click()
    s.button("step").click()
    expect(s.quiz).to_be_visible()
    note = s.quiz.locator('[data-role="quiz-note"]')
    s.quiz.locator('button[data-action="check"]').click()        # nothing typed
    expect(note).to_have_text("Check needs a number in every box (like −2, 0.5 or 1e-3): "
                              "grad(d) is empty; grad(f) is empty.")
    s.answer("n4").fill("abc")
    s.answer("n5").fill("4")
    s.answer("n5").press("Enter")
    expect(note).to_have_text('Check needs a number in every box (like −2, 0.5 or 1e-3): grad(d): "abc" is not a number.')
    expect(s.answer("n4")).to_have_class(has_class("ad-invalid"))
    expect(s.answer("n5")).not_to_have_class(has_class("ad-invalid"))
    expect(s.counter).to_have_text(f"step 1 / {BACKWARD_STEPS}")   # nothing checked, nothing revealed
    expect(s.feedback).to_be_hidden()
    screenshot(nb.page, "stepper-quiz-empty", s.root)
    s.answer("n4").fill("−2")
    s.answer("n4").press("Enter")
    expect(note).to_be_hidden()
    expect(s.feedback).to_contain_text("Right: grad(d) += grad(L) · ∂(d·f)/∂d = 1 × −2 = −2")
    expect(s.counter).to_have_text(f"step 2 / {BACKWARD_STEPS}")
    s.button("back").click()                                      # moving clears the verdict
    expect(s.feedback).to_be_hidden()


# A message as the kernel receives it from a front end (tests/comm_messages.py, on one line for a cell).
UPDATE = ('{w}.comm.handle_msg({{"content": {{"data": {{"method": "update", "state": {state}, '
          '"buffer_paths": []}}}}, "buffers": []}})')


def test_a_refused_value_from_the_browser_is_explained_in_the_widget(nb):
    """Issue 12: a bad value sent to the kernel is rolled back, and the view says why."""
    s = stepper(nb, "refuse")
    error = s.root.locator('[data-role="error"]')
    s.button("step").click()
    expect(s.counter).to_have_text(f"step 1 / {BACKWARD_STEPS}")
    nb.kernel_says(UPDATE.format(w="s_refuse", state='{"phase": "sideways", "step": 3}')
                   + "; print('kernel', s_refuse.phase, s_refuse.step)", "kernel backward 1")
    expect(error).to_be_visible()
    expect(error).to_have_text("GraphStepper: phase must be one of ('forward', 'backward'), got 'sideways'")
    expect(s.phase).to_have_value("backward")
    expect(s.counter).to_have_text(f"step 1 / {BACKWARD_STEPS}")
    screenshot(nb.page, "stepper-refused-from-the-browser", s.root)
    nb.kernel_says(UPDATE.format(w="s_refuse", state='{"step": 1000000000}') + "; print('kernel', s_refuse.step)",
                   "kernel 1")
    expect(error).to_contain_text("step 1000000000 is out of range 0..4")
    s.button("step").click()                       # still working; an accepted change clears the line
    expect(s.counter).to_have_text(f"step 2 / {BACKWARD_STEPS}")
    expect(error).to_be_hidden()
    nb.kernel_says("print('kernel', s_refuse.step, repr(s_refuse.error))", "kernel 2 ''")
