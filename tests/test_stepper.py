"""`widgets.GraphStepper`, driven from Python (the kernel side), plus its JS helpers under node.

Most tests use the lecture example L = (a·b + c)·f with a = 2, b = −3,
c = 10, f = −2, so e = a·b = −6, d = e + c = 4, L = d·f = −8. Its nodes, in
topological order, are n0=a, n1=b, n2=e, n3=c, n4=d, n5=f, n6=L, and its
edges (one per use of an operand) e0: a→e, e1: b→e, e2: e→d, e3: c→d,
e4: d→L, e5: f→L. The gradients, by hand:

    ∂L/∂L = 1
    ∂L/∂d = f = −2                 ∂L/∂f = d = 4
    ∂L/∂e = ∂L/∂d · 1 = −2         ∂L/∂c = ∂L/∂d · 1 = −2
    ∂L/∂a = ∂L/∂e · b = 6          ∂L/∂b = ∂L/∂e · a = −4

Expected texts are written out by hand from these (a real minus sign, at
most 4 significant digits), never read back from the widget.

The JS tests run the pure functions of the stepper's browser module
(``GraphStepper._esm``: widgets/common.js, then widgets/stepper.js) under
node (number formatting, the state of step k, the quiz verdict), and check
that they give exactly what Python gives: the browser and the kernel must
show the same text.
"""

from __future__ import annotations

import base64
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autodiff import Var
from autodiff.trace import format_number, reevaluate

from widgets.stepper import GraphStepper, is_close, substitute_texts

REPO = Path(__file__).resolve().parents[1]
STEPPER_JS = REPO / "widgets" / "stepper.js"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
NOT_YET = "grad: not computed yet"


def lecture():
    """L = (a·b + c)·f, and its Vars by name."""
    a, b = Var(2.0, label="a"), Var(-3.0, label="b")
    c, f = Var(10.0, label="c"), Var(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return L, {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "L": L}


@pytest.fixture
def s():
    return GraphStepper(lecture()[0])


def real_grads(build, **values):
    """Gradients by name from a real backward() on a fresh copy of a graph."""
    root, named = build()
    for name, value in values.items():
        named[name].data = value
    reevaluate(root)
    root.backward()
    return {name: v.grad for name, v in named.items()}


def grads_by_name(stepper, named):
    """The stepper's grads, keyed by the names in ``named``."""
    names = {n.id: n.name for n in stepper.trace.nodes}
    return {names[i]: g for i, g in stepper.grads.items() if names[i] in named}


# ---------------------------------------------------------------------------
# Steps and navigation
# ---------------------------------------------------------------------------

def test_step_counts_and_repr(s):
    assert s.phase == "backward" and s.step == 0
    assert s.total_steps == 4           # the seed, then L, d and e pass their gradients on
    assert repr(s) == "GraphStepper(7 nodes, phase='backward', step 0/4)"
    s.set_phase("forward")
    assert s.total_steps == 3           # e, d, L
    assert repr(s) == "GraphStepper(7 nodes, phase='forward', step 0/3)"
    assert [n.name for n in s.trace.nodes] == ["a", "b", "e", "c", "d", "f", "L"]


def test_go_to_next_back_reset(s):
    s.next()
    s.next()
    assert s.step == 2
    s.back()
    assert s.step == 1
    s.go_to(4)
    s.next()                            # at the end: stays, like the Step button
    assert s.step == 4
    s.playing = True
    s.reset()
    assert s.step == 0 and s.playing is False
    s.back()                            # at the start: stays
    assert s.step == 0
    assert s.current is None


@pytest.mark.parametrize("k", [-1, 5, 100])
def test_go_to_out_of_range(s, k):
    with pytest.raises(IndexError, match=r"out of range 0\.\.4 for the backward phase"):
        s.go_to(k)
    assert s.step == 0


def test_go_to_needs_an_int(s):
    for bad in ("2", 2.0, True, None):
        with pytest.raises(TypeError, match="must be an int"):
            s.go_to(bad)
    with pytest.raises(IndexError, match=r"0\.\.3"):
        s.set_phase("forward")
        s.step = 4                      # the trait is checked too


def test_current_is_the_trace_record(s):
    s.go_to(2)
    assert s.current is s.trace.backward[1]
    assert s.current.node == "n6"
    s.set_phase("forward")
    s.go_to(1)
    assert s.current is s.trace.forward[0]
    assert s.current.node == "n2"


# ---------------------------------------------------------------------------
# Explanations: the chain rule with the lecture's numbers
# ---------------------------------------------------------------------------

BACKWARD_TEXTS = [
    "Backward pass: from L back to the inputs. Each node's grad(node) starts at 0 and adds up what "
    "reaches it; once the pass is over it holds ∂L/∂node. A node whose grad is complete passes it to "
    "its operands, by the chain rule:\n"
    "    grad(operand) += grad(node) · ∂(node's formula)/∂operand\n"
    "Press Step to seed grad(L) = 1.",
    "Start at the output: L changes one-for-one with itself.\n"
    "grad(L) = 1 (the seed)",
    "L passes grad(L) = 1 back to d and f:\n"
    "grad(d) += grad(L) · ∂(d·f)/∂d = 1 × −2 = −2\n"        # ∂(d·f)/∂d = f = −2
    "grad(f) += grad(L) · ∂(d·f)/∂f = 1 × 4 = 4",           # ∂(d·f)/∂f = d = 4
    "d passes grad(d) = −2 back to e and c:\n"
    "grad(e) += grad(d) · ∂(e + c)/∂e = −2 × 1 = −2\n"
    "grad(c) += grad(d) · ∂(e + c)/∂c = −2 × 1 = −2",
    "e passes grad(e) = −2 back to a and b:\n"
    "grad(a) += grad(e) · ∂(a·b)/∂a = −2 × −3 = 6\n"        # b·f = −3·−2 = 6
    "grad(b) += grad(e) · ∂(a·b)/∂b = −2 × 2 = −4\n"        # a·f = 2·−2 = −4
    "\n"
    "Backward pass complete: every node's grad now holds ∂L/∂node.",
]

FORWARD_TEXTS = [
    "Forward pass: compute the 3 op nodes in order, each from values already known.\n"
    "Press Step to compute e.",
    "e = a·b = 2·(−3) = −6",
    "d = e + c = (−6) + 10 = 4",
    "L = d·f = 4·(−2) = −8\n\nForward pass complete: L = −8. Switch to the backward phase for the gradients.",
]


def test_backward_explanations(s):
    for k, text in enumerate(BACKWARD_TEXTS):
        s.go_to(k)
        assert s.explanation == text, k


def test_forward_explanations():
    s = GraphStepper(lecture()[0], phase="forward")
    for k, text in enumerate(FORWARD_TEXTS):
        s.go_to(k)
        assert s.explanation == text, k


# ---------------------------------------------------------------------------
# What the graph shows at each step
# ---------------------------------------------------------------------------

def test_grads_at_each_step_are_the_replay(s):
    for k in range(s.total_steps + 1):
        s.go_to(k)
        assert s.grads == s.trace.replay(k)
    assert s.grads == {"n0": 6.0, "n1": -4.0, "n2": -2.0, "n3": -2.0, "n4": -2.0, "n5": 4.0, "n6": 1.0}


def test_grads_after_the_last_step_equal_a_real_backward():
    L, named = lecture()
    stepper = GraphStepper(L)
    stepper.go_to(stepper.total_steps)
    assert grads_by_name(stepper, named) == real_grads(lecture)
    assert named["a"].grad == 0.0       # the stepper never runs backward() on the learner's graph


def test_grad_texts_appear_step_by_step(s):
    texts = lambda: {i: t[1] for i, t in s.view_state()["texts"].items()}   # noqa: E731
    assert set(texts().values()) == {NOT_YET}
    s.go_to(1)
    assert texts()["n6"] == "grad 1" and texts()["n4"] == NOT_YET
    s.go_to(2)
    assert (texts()["n4"], texts()["n5"], texts()["n2"]) == ("grad −2", "grad 4", NOT_YET)
    s.go_to(4)
    assert texts() == {"n0": "grad 6", "n1": "grad −4", "n2": "grad −2", "n3": "grad −2",
                       "n4": "grad −2", "n5": "grad 4", "n6": "grad 1"}
    s.back()
    assert texts()["n0"] == NOT_YET     # going back hides it again


def test_highlights_in_the_backward_phase(s):
    s.go_to(1)
    v = s.view_state()
    assert (v["current"], v["targets"], v["done"], v["flow"]) == ("n6", [], [], [])
    s.go_to(2)                          # L passes to d and f, over edges e4 and e5
    v = s.view_state()
    assert (v["current"], v["targets"], v["flow"]) == ("n6", ["n4", "n5"], ["ad-e4", "ad-e5"])
    assert v["done"] == ["n5"]          # f's only contribution is in
    s.go_to(3)                          # d passes to e and c; L is done
    v = s.view_state()
    assert (v["current"], v["targets"], v["flow"]) == ("n4", ["n2", "n3"], ["ad-e2", "ad-e3"])
    assert v["done"] == ["n3", "n5", "n6"]
    s.go_to(4)
    v = s.view_state()
    assert (v["current"], v["targets"]) == ("n2", ["n0", "n1"])
    assert v["done"] == ["n0", "n1", "n3", "n4", "n5", "n6"]
    assert v["lit"] == []


def test_highlights_and_texts_in_the_forward_phase(s):
    s.set_phase("forward")
    v = s.view_state()
    assert v["current"] is None and v["lit"] == []
    assert [v["texts"][i][0] for i in ("n0", "n2", "n4", "n6")] == ["data 2", "data ?", "data ?", "data ?"]
    s.go_to(2)
    v = s.view_state()
    assert v["current"] == "n4" and v["lit"] == ["n2", "n4"]
    assert v["flow"] == ["ad-e2", "ad-e3", "ad-n4-out"]
    assert [v["texts"][i][0] for i in ("n2", "n4", "n6")] == ["data −6", "data 4", "data ?"]
    assert {t[1] for t in v["texts"].values()} == {NOT_YET}
    assert v["targets"] == [] and v["done"] == []


def test_every_id_the_browser_looks_for_is_in_the_svg(s):
    svg = s.svg
    for n in s.data["nodes"]:
        assert svg.count(f'id="ad-{n["id"]}"') == 1
    for phase in ("forward", "backward"):
        for step in s.data[phase]:
            for edge in step["edges"]:
                assert svg.count(f'id="{edge}"') == 1, edge
    assert svg.count("ad-opnode") == 3


def test_svg_is_laid_out_as_not_computed_even_after_backward():
    L, named = lecture()
    L.backward()
    s = GraphStepper(L)
    assert s.svg.count(NOT_YET) == 7    # the widest text: every later number fits its box
    assert L.grad == 1.0 and named["a"].grad == 6.0   # and the learner's grads are untouched


# ---------------------------------------------------------------------------
# Fan-in: one node receiving several contributions
# ---------------------------------------------------------------------------

def a_plus_a():
    a = Var(3.0, label="a")
    L = a + a
    L.label = "L"
    return L, {"a": a}


def x_used_twice():
    x, y = Var(2.0, label="x"), Var(3.0, label="y")
    p = x * y
    p.label = "p"
    L = p + x
    L.label = "L"
    return L, {"x": x, "y": y, "p": p}


def test_fan_in_a_plus_a():
    L, named = a_plus_a()
    s = GraphStepper(L)
    assert s.total_steps == 2
    s.go_to(2)
    assert s.explanation == (
        "L passes grad(L) = 1 back to a:\n"
        "grad(a) += grad(L) · ∂(a + a)/∂a = 1 × 1 = 1\n"
        "grad(a) += grad(L) · ∂(a + a)/∂a = 1 × 1 = 1; running sum grad(a) = 1 + 1 = 2\n"
        "\n"
        "Backward pass complete: every node's grad now holds ∂L/∂node.")
    assert s.view_state()["texts"]["n0"][1] == "grad 2"
    assert s.view_state()["flow"] == ["ad-e0", "ad-e1"]   # both arrows from a carry a gradient
    assert grads_by_name(s, named) == real_grads(a_plus_a) == {"a": 2.0}


def test_fan_in_x_used_twice():
    L, named = x_used_twice()
    s = GraphStepper(L)
    # n0=x, n1=y, n2=p, n3=L
    s.go_to(2)
    assert "grad(x) += grad(L) · ∂(p + x)/∂x = 1 × 1 = 1" in s.explanation
    assert s.view_state()["texts"]["n0"][1] == "grad 1"
    assert "n0" not in s.view_state()["done"]             # x still waits for p's contribution
    s.go_to(3)
    assert s.explanation.splitlines()[1:3] == [
        "grad(x) += grad(p) · ∂(x·y)/∂x = 1 × 3 = 3; running sum grad(x) = 1 + 3 = 4",
        "grad(y) += grad(p) · ∂(x·y)/∂y = 1 × 2 = 2",
    ]
    assert s.view_state()["texts"]["n0"][1] == "grad 4"
    assert grads_by_name(s, named) == real_grads(x_used_twice) == {"x": 4.0, "y": 2.0, "p": 1.0}


# ---------------------------------------------------------------------------
# The quiz
# ---------------------------------------------------------------------------

def test_quiz_right_answers():
    s = GraphStepper(lecture()[0], quiz=True)
    assert s.pending_quiz is None       # the seed asks nothing
    s.next()
    assert s.pending_quiz == {
        "prompt": "L now passes grad(L) = 1 back to d and f. How much does each receive?", "stage": "values",
        "questions": ["grad(d) gets how much from this step?", "grad(f) gets how much from this step?"],
    }
    text = s.answer([-2, 4.0])
    assert text == ("Right: grad(d) += grad(L) · ∂(d·f)/∂d = 1 × −2 = −2\n"
                    "Right: grad(f) += grad(L) · ∂(d·f)/∂f = 1 × 4 = 4")
    assert s.step == 2 and s.feedback == text
    assert s.explanation == BACKWARD_TEXTS[2]


def test_quiz_wrong_answer_says_why():
    s = GraphStepper(lecture()[0], quiz=True)
    s.go_to(2)
    s.answer([-2.001, 5])               # the first wrong answer: one more try (see below)
    text = s.answer([-2.001, 5])        # −2.001 is close enough to −2 (rounded); 5 is not −2
    assert text == (
        "Right: grad(e) += grad(d) · ∂(e + c)/∂e = −2 × 1 = −2\n"
        "Not quite: you said 5, but grad(c) += grad(d) · ∂(e + c)/∂c = −2 × 1 = −2 "
        "(the local derivative is ∂(e + c)/∂c = 1).")
    assert s.step == 3
    s.next()                            # moving on clears the verdict
    assert s.feedback == ""


def test_quiz_wrong_answer_gets_one_more_try_before_the_answer_is_shown():
    s = GraphStepper(lecture()[0], quiz=True)
    s.go_to(1)
    text = s.answer([2, 4])             # a sign slip for d: not revealed, a hint and one more try
    assert text == ("Not yet: you said 2 for grad(d). Hint: multiply grad(L) = 1 by the local derivative "
                    "∂(d·f)/∂d = f. Try once more, or press Show me.\n"
                    "Right: grad(f) += grad(L) · ∂(d·f)/∂f = 1 × 4 = 4")
    assert "−2" not in text                              # the answer is not given away
    assert s.step == 1 and s.feedback == text and s.pending_quiz["stage"] == "values"
    text = s.answer([3, 4])             # wrong again: now the answer, and why
    assert text == ("Not quite: you said 3, but grad(d) += grad(L) · ∂(d·f)/∂d = 1 × −2 = −2 "
                    "(the local derivative is ∂(d·f)/∂d = f = −2).\n"
                    "Right: grad(f) += grad(L) · ∂(d·f)/∂f = 1 × 4 = 4")
    assert s.step == 2 and s.feedback == text
    # the try is per visit: back to the question, and a wrong answer gets its second chance again
    s.back()
    assert s.feedback == ""
    assert s.answer([2, 4]).startswith("Not yet") and s.step == 1
    assert s.answer([-2, 4]).startswith("Right") and s.step == 2


def test_quiz_tolerance_and_rounded_numbers():
    assert is_close(-2.001, -2.0) and is_close(0.6667, 2 / 3) and is_close(1e-7, 0.0)
    assert not is_close(-2.0025, -2.0) and not is_close(0.67, 2 / 3) and not is_close(2e-6, 0.0)
    s = GraphStepper(lecture()[0], quiz=True)
    s.go_to(1)
    text = s.answer([2 / 3, 4])
    assert text.startswith("Not yet: you said 0.6667 for grad(d)")


def test_quiz_a_plus_a_asks_per_use():
    s = GraphStepper(a_plus_a()[0], quiz=True)
    s.go_to(1)
    assert s.pending_quiz["questions"] == ["grad(a) gets how much from this step (as operand a)?",
                                           "grad(a) gets how much from this step (as operand b)?"]
    assert s.answer([1, 2]).splitlines()[1].startswith("Not yet: you said 2 for grad(a) (as operand b).")
    assert s.answer([1, 2]).splitlines()[1].startswith(
        "Not quite: you said 2, but grad(a) += grad(L) · ∂(a + a)/∂a = 1 × 1 = 1; running sum")


def _every_text(s: GraphStepper) -> list[str]:
    """Every text the stepper shows or sends the browser: introductions, explanations, prompts, quiz texts."""
    data = s.data
    texts = list(data["intro"].values()) + [step[key] for phase in ("forward", "backward")
                                            for step in data[phase] for key in ("explanation", "prompt")
                                            if key in step]
    for step in data["backward"]:
        for item in step["quiz"]:
            texts += [v for v in item.values() if isinstance(v, str)]
    for grid in data.get("grids", []):
        texts += [grid["title"], grid.get("note", "")]
    return texts


def assert_one_notation(s: GraphStepper) -> None:
    """Issue 14: the accumulated gradient is grad(x) everywhere; ∂ is kept for local derivatives (and,
    in words, for what grad(x) holds once the pass is over: ∂L/∂node)."""
    names = [n.name for n in s.trace.nodes]
    for text in _every_text(s):
        for first in names:
            for second in names:
                assert f"∂{first}/∂{second}" not in text, (text, first, second)
        assert "∂/∂" not in text, text
    for step in s.data["backward"]:
        for item in step["quiz"]:
            grad = f"grad({item['parent_name']})"
            assert item["grad_name"] == grad
            questions = [item[k] for k in ("question", "shape_question") if k in item]
            assert all(q.startswith((grad, f"What shape is {grad}")) for q in questions), questions
            assert item["right_text"].startswith(f"Right: {grad} ")
            for key in ("retry_template", "wrong_template"):
                assert grad in item[key], item[key]


def test_one_notation_in_every_text_and_quiz():
    for build in (lecture, a_plus_a, x_used_twice):
        assert_one_notation(GraphStepper(build()[0], quiz=True))


def test_quiz_bad_answers():
    s = GraphStepper(lecture()[0], quiz=True)
    with pytest.raises(RuntimeError, match="no quiz is pending at step 0"):
        s.answer([])
    s.go_to(1)
    with pytest.raises(ValueError, match="expected 2 answer"):
        s.answer([1])
    for bad in (["-2", 4], [float("nan"), 4], [math.inf, 4], [True, 4], [None, 4]):
        with pytest.raises(ValueError, match="finite numbers"):
            s.answer(bad)
    assert s.step == 1                  # nothing revealed by a bad answer
    s.go_to(4)
    with pytest.raises(RuntimeError, match="no quiz"):
        s.answer([1, 2])
    s.set_phase("forward")
    with pytest.raises(RuntimeError, match="forward phase"):
        s.answer([1])


# ---------------------------------------------------------------------------
# Editable inputs
# ---------------------------------------------------------------------------

def test_set_input_recomputes_without_relayout():
    L, named = lecture()
    s = GraphStepper(L)
    svg = s.svg
    s.go_to(4)
    s.set_input("a", 5)                 # e = 5·−3 = −15, d = −5, L = 10
    assert (named["a"].data, named["e"].data, named["d"].data, L.data) == (5.0, -15.0, -5.0, 10.0)
    assert s.svg is svg or s.svg == svg # laid out once: the SVG string is the same
    assert s.leaf_values == {"n0": 5.0, "n1": -3.0, "n3": 10.0, "n5": -2.0}
    assert s.data["nodes"][2]["data_text"] == "data −15"
    assert s.step == 4
    assert s.explanation.splitlines()[2] == "grad(b) += grad(e) · ∂(a·b)/∂b = −2 × 5 = −10"
    assert grads_by_name(s, named) == real_grads(lecture, a=5.0)
    s.set_input("n3", 0.5)              # by id; d = −14.5, so ∂L/∂f = −14.5
    assert s.grads["n5"] == -14.5 and s.view_state()["texts"]["n5"][1] == "grad −14.5"
    assert s.svg == svg


def test_set_input_from_the_browser_trait():
    L, named = lecture()
    s = GraphStepper(L)
    s.leaf_values = {**s.leaf_values, "n1": 1}      # what the browser sends: b = 1
    assert named["e"].data == 2.0 and s.error == ""
    assert s.data["nodes"][2]["data_text"] == "data 2"


def test_set_input_bad_values_change_nothing():
    L, named = lecture()
    s = GraphStepper(L)
    data = s.data
    for name, value, error, match in [
        ("e", 1.0, ValueError, "'e' is not an input; the inputs are a \\(n0\\), b \\(n1\\), c \\(n3\\), f \\(n5\\)"),
        ("zz", 1.0, ValueError, "not an input"),
        ("a", float("nan"), ValueError, "must be a finite number"),
        ("a", math.inf, ValueError, "must be a finite number"),
        ("a", "3", ValueError, "must be a finite number"),
        ("a", True, ValueError, "must be a finite number"),
        (0, 1.0, TypeError, "a name or an id"),
    ]:
        with pytest.raises(error, match=match):
            s.set_input(name, value)
    assert named["a"].data == 2.0 and L.data == -8.0 and s.data == data


def test_set_input_domain_error_restores_the_graph():
    x = Var(2.0, label="x")
    L = x.log()
    L.label = "L"
    s = GraphStepper(L)
    trace = s.trace
    with pytest.raises(ValueError, match="cannot use these values: log: input must be positive"):
        s.set_input("x", -1.0)
    assert x.data == 2.0 and L.data == math.log(2.0) and s.trace is trace
    # the same value from the browser: refused, said, and the box put back
    s.leaf_values = {"n0": -1.0}
    assert "log: input must be positive" in s.error
    assert s.leaf_values == {"n0": 2.0} and x.data == 2.0
    with pytest.raises(ValueError, match="'n1' is not an input"):   # not a leaf (L itself): refused
        s.leaf_values = {"n1": 3.0}
    assert s.leaf_values == {"n0": 2.0}
    s.set_input("x", 4.0)
    assert s.error == "" and L.data == math.log(4.0)


def test_refresh_after_values_changed_outside():
    L, named = lecture()
    s = GraphStepper(L)
    named["c"].data = 0.0               # e.g. an optimizer step on the Vars themselves
    assert s.trace.root.data == -8.0    # the widget does not know yet
    s.refresh()
    assert L.data == 12.0 and s.trace.root.data == 12.0   # (−6 + 0)·−2
    assert s.leaf_values["n3"] == 0.0 and s.data["nodes"][3]["data_text"] == "data 0"


def test_set_input_ambiguous_name():
    w1, w2 = Var(1.0, label="w"), Var(2.0, label="w")
    s = GraphStepper(w1 * w2)
    with pytest.raises(ValueError, match=r"several inputs are named 'w' \(n0, n1\): use the id"):
        s.set_input("w", 3.0)
    s.set_input("n1", 3.0)
    assert w2.data == 3.0


def test_parameters_are_inputs_too():
    L, named = lecture()
    s = GraphStepper(L, parameters=[named["f"]])
    kinds = {n["name"]: n["kind"] for n in s.data["nodes"]}
    assert kinds == {"a": "leaf", "b": "leaf", "e": "op", "c": "leaf", "d": "op", "f": "parameter",
                     "L": "output"}
    assert "ad-kind-parameter" in s.svg
    s.set_input("f", 1.0)
    assert L.data == 4.0


# ---------------------------------------------------------------------------
# Phases, arguments
# ---------------------------------------------------------------------------

def test_phase_switching(s):
    s.go_to(3)
    s.set_phase("forward")
    assert (s.phase, s.step, s.total_steps) == ("forward", 0, 3)
    assert s.explanation == FORWARD_TEXTS[0]
    s.go_to(3)
    s.phase = "backward"                # as the browser does it: back to step 0
    assert s.step == 0 and s.explanation == BACKWARD_TEXTS[0]
    for bad in ("sideways", "Forward", ""):
        with pytest.raises(ValueError, match=r"phase must be one of \('forward', 'backward'\)"):
            s.set_phase(bad)
    assert s.phase == "backward"


def test_bad_constructor_arguments():
    L = lecture()[0]
    with pytest.raises(TypeError, match="root must be a Var or a Tensor, got float"):
        GraphStepper(3.0)
    with pytest.raises(TypeError, match="parameters must be Vars"):
        GraphStepper(L, parameters=[1.0])
    with pytest.raises(TypeError, match="quiz must be True or False"):
        GraphStepper(L, quiz="yes")
    with pytest.raises(ValueError, match="phase must be one of"):
        GraphStepper(L, phase="up")
    with pytest.raises(ValueError, match="speed_ms must be between 20 and 10000"):
        GraphStepper(L, speed_ms=0)
    with pytest.raises(ValueError, match="rankdir"):
        GraphStepper(L, rankdir="XY")


def test_a_graph_of_one_leaf():
    s = GraphStepper(Var(3.0, label="x"))
    assert s.total_steps == 1
    s.go_to(1)
    assert s.grads == {"n0": 1.0}
    s.set_phase("forward")
    assert s.total_steps == 0 and s.explanation == "Nothing to compute: x is an input."


def test_rankdir_tb_and_speed():
    s = GraphStepper(lecture()[0], rankdir="TB", speed_ms=250)
    assert 'id="ad-n6"' in s.svg and s.speed_ms == 250


# ---------------------------------------------------------------------------
# Outside a live kernel: the mimebundle's picture and text
# ---------------------------------------------------------------------------

def test_mimebundle_has_widget_svg_and_text(s):
    data, _ = s._repr_mimebundle_()
    assert data[WIDGET_MIME]["model_id"] == s.model_id
    assert data["text/plain"] == "GraphStepper(7 nodes, phase='backward', step 0/4)"
    svg = data["image/svg+xml"]
    ET.fromstring(svg)                  # well-formed
    # the final state of the backward phase: every gradient
    for text in ("grad 6", "grad −4", "grad −2", "grad 4", "grad 1", "data −8"):
        assert f">{text}</text>" in svg
    assert NOT_YET not in svg
    assert s.svg.count(NOT_YET) == 7    # the live widget's SVG is not touched


def test_mimebundle_forward_phase_and_new_inputs(s):
    s.set_phase("forward")
    data, _ = s._repr_mimebundle_()
    assert data["image/svg+xml"].count(NOT_YET) == 7 and ">data −8</text>" in data["image/svg+xml"]
    s.set_phase("backward")
    s.set_input("a", 5)
    data, _ = s._repr_mimebundle_()
    assert ">data 10</text>" in data["image/svg+xml"]          # L = (5·−3 + 10)·−2
    assert ">grad −10</text>" in data["image/svg+xml"]         # ∂L/∂b = −2 · 5


def test_substitute_texts_keeps_labels_that_look_like_fields():
    x = Var(1.5, label="data_x")
    g = Var(2.0, label="grad_y")
    L = x * g
    svg = GraphStepper(L).static_svg()
    for text in ("data_x", "grad_y", "data 1.5", "grad 2", "grad 1.5"):
        assert f">{text}</text>" in svg, text
    assert substitute_texts('<g id="ad-n0" class="node"><text>a</text><text>data 1</text>'
                            '<g id="x"></g><text>grad 0</text></g>',
                            {"n0": ["data <2>", "grad 3"]}) == (
        '<g id="ad-n0" class="node"><text>a</text><text>data &lt;2&gt;</text>'
        '<g id="x"></g><text>grad 3</text></g>')


@pytest.mark.slow
def test_nbconvert_html_shows_the_picture(tmp_path):
    """An executed notebook, exported to HTML without widget state, still shows the graph."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nbconvert = pytest.importorskip("nbconvert")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import sys; sys.path.insert(0, %r)\n" % str(REPO)
        + "from autodiff import Var\nfrom widgets.stepper import GraphStepper\n"
        "a = Var(2.0, label='a'); b = Var(-3.0, label='b')\n"
        "L = a * b; L.label = 'L'\nGraphStepper(L)")]
    # As JupyterLab saves by default: the outputs, not the widgets' state. (A notebook
    # that stores widget state gets the live widget in HTML instead, from the CDN.)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=False,
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    assert outputs and outputs[0]["output_type"] == "execute_result", outputs
    bundle = outputs[0]["data"]
    assert WIDGET_MIME in bundle and "image/svg+xml" in bundle
    assert bundle["text/plain"] == "GraphStepper(3 nodes, phase='backward', step 0/2)"
    html_text, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    images = re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html_text)
    assert len(images) == 1, "the HTML shows no picture of the graph"
    svg = base64.b64decode(images[0]).decode("utf-8")
    assert svg.count('id="ad-n2"') == 1 and ">grad −3</text>" in svg    # ∂L/∂a = b


# ---------------------------------------------------------------------------
# The stepper's browser module under node: the same texts and states as Python
# ---------------------------------------------------------------------------

RUNNER = """
import * as js from "./widget.mjs";
let input = "";
process.stdin.on("data", (chunk) => input += chunk);
process.stdin.on("end", () => {
  const job = JSON.parse(input);
  const out = {};
  out.numbers = job.numbers.map(js.formatNumber);
  out.parsed = job.typed.map(js.parseNumber);
  out.close = job.close.map(([a, b]) => js.isClose(a, b));
  out.states = job.graphs.map((data) => {
    const states = {};
    for (const phase of ["forward", "backward"])
      states[phase] = data[phase].map((_, k) => js.viewState(data, phase, k + 1));
    for (const phase of ["forward", "backward"]) states[phase].unshift(js.viewState(data, phase, 0));
    return states;
  });
  // the verdict before the last try (a hint for a wrong answer) and at it (the answer)
  out.verdicts = job.verdicts.map(([items, answers]) => [js.verdict(items, answers, false),
                                                         js.verdict(items, answers, true)]);
  out.inputProblems = job.inputs.map(([text, bad]) => js.inputProblem(text, bad));
  out.missing = job.missing.map(([kind, items, texts]) => js.missingAnswers(kind, items, texts, "L"));
  const big = job.big;
  const t0 = performance.now();
  let rounds = 0;
  for (; rounds < 3; rounds++)
    for (let k = 0; k <= big.backward.length; k++) js.viewState(big, "backward", k);
  out.ms_per_step = (performance.now() - t0) / (rounds * (big.backward.length + 1));
  process.stdout.write(JSON.stringify(out));
});
"""

NUMBERS = [
    0.0, -0.0, 1.0, -1.0, 2.0, -3.0, 6.0, 10.0, 0.5, 0.1, 0.1 + 0.2, 2 / 3, -2 / 3, math.pi, -math.e,
    1.0625, 12.125, 1234.5, 0.015625, -1.0625, 2.5, 9.9995, 99995.0, 1234.0, 9999.0, 9999.5,
    10000.0, 12345.0, 123456789.0, 1e16, 1.5e-5, 1e-4, 0.00012345, -0.000123456, 1e-5, 2.5e-7,
    1e-300, 5e-324, 1.7976931348623157e308, 1e100, -1e-100, 0.0001, 0.00099995, 3.14159e-10,
]


def _random_numbers():
    import random
    rng = random.Random(1234)
    out = []
    for _ in range(300):
        out.append(rng.uniform(-1, 1) * 10 ** rng.randint(-8, 8))
        out.append(rng.randint(-99999, 99999) / 2 ** rng.randint(0, 12))   # exact ties included
    return out


def test_js_agrees_with_python(run_js):
    steppers = [GraphStepper(build()[0], quiz=True) for build in (lecture, a_plus_a, x_used_twice)]
    quiz_cases = []
    for st in steppers:
        for step in st.data["backward"]:
            if step["quiz"]:
                values = [q["value"] for q in step["quiz"]]
                quiz_cases.append((st, step, values))                       # all right
                quiz_cases.append((st, step, [v * 1.5 + 0.25 for v in values]))  # all wrong
    lecture_quiz = steppers[0].data["backward"][1]["quiz"]         # ∂L/∂d and ∂L/∂f
    big = GraphStepper(_chain(60))       # 500 nodes would take long to lay out; the JS cost is per node
    numbers = NUMBERS + _random_numbers()
    job = {
        "numbers": numbers,
        "typed": ["−6", " -2.5 ", "1e3", "", "abc", "0x10"],
        "close": [[-2.001, -2.0], [-2.0025, -2.0], [1e-7, 0.0], [0.6667, 2 / 3]],
        "graphs": [st.data for st in steppers],
        "verdicts": [[step["quiz"], values] for _, step, values in quiz_cases],
        "big": big.data,
        "inputs": INPUT_TEXTS,
        "missing": [["values", lecture_quiz, texts] for texts in (["", "4"], ["abc", " "], ["1e309", "4"], ["-2", "4"])],
    }
    out = run_js(GraphStepper._esm, RUNNER, job)
    assert out["inputProblems"] == [problem for _, _, problem in INPUT_CASES]
    assert out["missing"] == [
        "Check needs a number in every box (like −2, 0.5 or 1e-3): grad(d) is empty.",
        'Check needs a number in every box (like −2, 0.5 or 1e-3): grad(d): "abc" is not a number; grad(f) is empty.',
        "Check needs a number in every box (like −2, 0.5 or 1e-3): grad(d): 1e309 is too large for a number.",
        None,
    ]

    assert out["numbers"] == [format_number(x) for x in numbers]
    assert out["parsed"][:3] == [-6.0, -2.5, 1000.0] and out["parsed"][3:5] == [None, None]
    assert out["close"] == [is_close(a, b) for a, b in job["close"]] == [True, False, True, True]
    for st, states in zip(steppers, out["states"]):
        for phase in ("forward", "backward"):
            expected = [st.view_state(phase, k) for k in range(len(st.data[phase]) + 1)]
            assert states[phase] == expected, phase
    for (st, step, values), (first, last) in zip(quiz_cases, out["verdicts"]):
        st.phase = "backward"
        k = st.data["backward"].index(step)
        st.go_to(k)
        assert first == st.answer(values)
        if st.step == k:                 # wrong: a hint, then one more try shows the answer
            assert first.startswith("Not yet") or "\nNot yet" in first
            assert last == st.answer(values)
        else:
            assert first == last and "Not" not in first
    assert out["ms_per_step"] < 5, out["ms_per_step"]


# What the stepper's input boxes say about a value they do not use (issue 12: they ignored it silently).
INPUT_CASES = [
    ("3", False, None), (" −2.5 ", False, None), ("1e3", False, None),
    ("abc", False, '"abc" is not a number'),
    ("", False, "the box is empty: type a number"),
    ("   ", False, "the box is empty: type a number"),
    ("1e309", False, "1e309 is too large: a value must be a finite number (below about 1.8e308)"),
    ("-1e309", False, "-1e309 is too large: a value must be a finite number (below about 1.8e308)"),
    ("", True, "what is typed is not a number"),
    ("x" * 30, False, '"' + "x" * 19 + '…" is not a number'),
]
INPUT_TEXTS = [[text, bad] for text, bad, _ in INPUT_CASES]


def _chain(n_terms):
    """Σ tanh(w_i·x_i + b_i): about 7 nodes per term."""
    total = None
    for i in range(n_terms):
        w, x, b = Var(0.1 * (i % 7) - 0.3, label=f"w{i}"), Var(0.5 + 0.01 * i, label=f"x{i}"), Var(0.1)
        t = (w * x + b).tanh()
        total = t if total is None else total + t
    return total


def test_js_module_has_the_dom_contract_names():
    """The selectors the browser tests use are written in stepper.js (cheap, no browser)."""
    source = STEPPER_JS.read_text(encoding="utf-8")
    for name in ['"data-action": "reset"', '"data-action": "back"', '"data-action": "step"',
                 '"data-action": "play"', '"data-action": "check"', '"data-role": "speed"',
                 '"data-role": "phase"', '"data-role": "counter"', '"data-role": "graph"',
                 '"data-role": "explanation"', '"data-role": "quiz"', '"data-role": "quiz-answer"',
                 '"data-role": "quiz-feedback"', '"data-role": "inputs"', '"data-leaf"',
                 '"▶ Play"', '"Pause"', "ad-icon-pause", '"data-role": "quiz-note"', "ad-current", "ad-lit", "ad-done", "ad-target",
                 "export default { render }"]:
        assert name in source, name
    assert not re.search(r"^\s*import\s", source, re.M), "stepper.js must not import anything"
    assert "⏸" not in source, "U+23F8 is an empty box in Debian's fonts: the pause icon is drawn in CSS"
    assert "http://" not in source and "https://" not in source
