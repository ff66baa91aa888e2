"""The browser is untrusted input: GraphStepper and OptimizerLab refuse bad values, say why, and keep working.

Every bad value goes through the widget's comm as the kernel receives it
(tests/comm_messages.py: ipywidgets' own ``update`` and ``custom`` handling).
For each one the test checks that

* the kernel kept its value (traitlets rolled the change back: the
  validators raise a TraitError, not a ValueError that traitlets would let
  stand),
* the browser is sent the kept value again (its copy goes back too),
* the widget's ``error`` line, which the view shows, says in words what was
  wrong,
* and the widget still works: ``step``/``reset``/``explanation``.

The reproducers are those of issue 12.
"""

from __future__ import annotations

import pytest
import traitlets

from autodiff import Var
from comm_messages import send_custom, send_state
from widgets.browser_state import Refused
from widgets.optimizer_lab import OptimizerLab
from widgets.stepper import GraphStepper


def lecture():
    """L = (a·b + c)·f with a = 2, b = −3, c = 10, f = −2 (backward: 4 steps)."""
    a, b = Var(2.0, label="a"), Var(-3.0, label="b")
    c, f = Var(10.0, label="c"), Var(-2.0, label="f")
    e = a * b; e.label = "e"
    d = e + c; d.label = "d"
    L = d * f; L.label = "L"
    return L


def record_updates(widget):
    """The trait values the kernel sends the browser from now on (``update`` messages), merged."""
    sent = {}
    original = widget._send

    def send(msg, buffers=None):
        if msg.get("method") == "update":
            sent.update(msg["state"])
        return original(msg, buffers)

    widget._send = send
    return sent


# ---------------------------------------------------------------------------
# GraphStepper
# ---------------------------------------------------------------------------
STEPPER_BAD = [
    ({"step": 10**9}, "step 1000000000 is out of range 0..4 for the backward phase"),
    ({"step": -1}, "step -1 is out of range 0..4"),
    ({"step": "3"}, "'step' trait"),                         # not an int at all
    ({"phase": "sideways"}, "phase must be one of ('forward', 'backward'), got 'sideways'"),
    ({"speed_ms": 0}, "speed_ms must be between 20 and 10000 (Play's delay, in ms), got 0"),
    ({"speed_ms": 10**12}, "must be between 20 and 10000"),
    ({"leaf_values": {"n0": "abc"}}, "the value of a must be a finite number, got 'abc'"),
    ({"leaf_values": {"n2": 1.0}}, "'n2' is not an input of this graph"),
    ({"leaf_values": "abc"}, "'leaf_values' trait"),
    ({"feedback": "x" * 100_000}, "a quiz verdict has at most 20000 characters"),
    ({"svg": "<svg onload='alert(1)'/>"}, "the browser cannot set 'svg': the kernel computes it"),
    ({"data": {}}, "the browser cannot set 'data'"),
    ({"quiz": True}, "the browser cannot set 'quiz'"),
    ({"error": "all fine"}, "the browser cannot set 'error'"),
    ({"step": 2, "phase": "sideways"}, "phase must be one of"),   # refused as a whole
]


@pytest.mark.parametrize("state, words", STEPPER_BAD, ids=[str(s)[:40] for s, _ in STEPPER_BAD])
def test_stepper_refuses_bad_values_from_the_browser(state, words):
    s = GraphStepper(lecture(), quiz=False)
    s.go_to(1)
    before = {key: getattr(s, key) for key in state}
    sent = record_updates(s)

    send_state(s, **state)

    kept = {key: getattr(s, key) for key in state if key != "error"}
    assert kept == {key: value for key, value in before.items() if key != "error"}   # rolled back
    assert (s.step, s.phase, s.speed_ms) == (1, "backward", 500)
    assert words in s.error and s.error.startswith("GraphStepper: ")
    for key in state:                                              # the browser gets the kept value
        if key in ("svg", "data", "error"):
            continue   # (sent back too, but big: checked for step/phase/speed below)
        assert sent[key] == before[key], key
    assert sent.get("error") == s.error                            # the line the view shows

    # still working
    s.next()
    assert s.step == 2 and "L passes grad(L) = 1 back to d and f" in s.explanation
    s.reset()
    assert s.step == 0 and s.explanation.startswith("Backward pass")
    s.set_phase("forward")
    s.next()
    assert s.explanation.startswith("e = a·b")


def test_stepper_accepts_good_values_and_clears_the_error():
    s = GraphStepper(lecture())
    send_state(s, step=99)
    assert s.error
    send_state(s, step=3)
    assert s.step == 3 and s.error == ""
    send_state(s, phase="forward", step=0)
    assert s.phase == "forward" and s.step == 0
    send_state(s, speed_ms=300, playing=False)
    assert s.speed_ms == 300
    send_state(s, leaf_values={**s.leaf_values, "n0": 3.0})
    assert s.trace.root.data == -2.0 and s.error == ""             # (3·−3 + 10)·−2


def test_stepper_refuses_an_input_outside_its_op_domain_in_words():
    x = Var(2.0, label="x")
    y = x.log(); y.label = "y"
    s = GraphStepper(y)
    send_state(s, leaf_values={"n0": -1.0})
    assert s.leaf_values == {"n0": 2.0} and s.trace.root.data == pytest.approx(0.6931, abs=1e-4)
    assert "cannot use these values" in s.error and "log" in s.error


@pytest.mark.parametrize("content", [{"action": "step"}, "hello", [1, 2], None])
def test_stepper_refuses_custom_messages(content):
    s = GraphStepper(lecture())
    send_custom(s, content)
    assert s.step == 0
    assert s.error.startswith("GraphStepper: ignored a message from the browser") and "takes none" in s.error
    s.next()
    assert s.step == 1


def test_stepper_python_callers_still_get_their_errors():
    s = GraphStepper(lecture())
    with pytest.raises(IndexError, match="out of range 0..4"):
        s.go_to(5)
    with pytest.raises(ValueError, match="phase must be one of"):
        s.set_phase("sideways")
    with pytest.raises(traitlets.TraitError):
        s.speed_ms = 0
    assert (s.step, s.phase, s.speed_ms, s.error) == (0, "backward", 500, "")   # Python's refusals raise


# ---------------------------------------------------------------------------
# OptimizerLab
# ---------------------------------------------------------------------------
LAB_BAD = [
    ({"surface": "nope"}, "unknown surface 'nope'; choose one of bowl, rosenbrock"),
    ({"surface": 3}, "'surface' trait"),
    ({"lr": -1}, "lr must be > 0, got -1"),
    ({"lr": float("inf")}, "lr"),
    ({"momentum": 1.5}, "momentum"),
    ({"beta1": -0.1}, "beta1"),
    ({"beta2": 1.0}, "beta2"),
    ({"schedule": "sometimes"}, "schedule"),
    ({"optimizer_names": []}, "choose at least one optimizer from SGD, Momentum"),
    ({"optimizer_names": ["SGD"] * 1000}, "each optimizer may race once, got 1000 names (SGD more than once)"),
    ({"optimizer_names": ["Newton"]}, "unknown optimizer 'Newton'"),
    ({"start": [1e308, 0]}, "start (1e+308, 0) is outside the bowl window"),
    ({"start": [0]}, "'start' trait"),
    ({"steps_per_frame": 10**9}, "steps_per_frame must be at most 50, got 1000000000"),
    ({"steps_per_frame": -5}, "steps_per_frame must be a positive int, got -5"),
    ({"paths": {}}, "the browser cannot set 'paths': the kernel computes it"),
    ({"step_count": 7}, "the browser cannot set 'step_count'"),
    ({"surface_data": {}}, "the browser cannot set 'surface_data'"),
    ({"lr": 0.01, "surface": "nope"}, "unknown surface"),           # refused as a whole
]


@pytest.mark.parametrize("state, words", LAB_BAD, ids=[str(s)[:40] for s, _ in LAB_BAD])
def test_lab_refuses_bad_values_from_the_browser(state, words):
    lab = OptimizerLab("bowl", optimizers=("SGD", "Adam"))
    lab.step(3)
    before = {key: getattr(lab, key) for key in state}
    settings = (lab.surface, lab.lr, lab.start, lab.optimizer_names, lab.steps_per_frame, lab.step_count)
    sent = record_updates(lab)

    send_state(lab, **state)

    assert {key: getattr(lab, key) for key in state} == before
    assert (lab.surface, lab.lr, lab.start, lab.optimizer_names, lab.steps_per_frame,
            lab.step_count) == settings                              # nothing restarted either
    assert words in lab.error and lab.error.startswith("OptimizerLab: ")
    assert len(lab.error) <= 400
    for key in state:
        if key not in ("paths", "surface_data"):
            assert sent[key] == before[key], key
    assert sent.get("error") == lab.error

    # still working: the reproducer of the issue was lab.set_state({'surface': 'nope'}); lab.step(1)
    assert lab.step(1) == 1 and lab.step_count == 4
    lab.reset()
    assert lab.step_count == 0 and lab.error == ""
    assert lab.step(2) == 2 and "SGD" in repr(lab)


def test_lab_accepts_good_values_and_clears_the_error():
    lab = OptimizerLab("bowl")
    send_state(lab, lr=-1)
    assert lab.error
    send_state(lab, lr=0.02)
    assert lab.lr == 0.02 and lab.error == ""
    send_state(lab, surface="saddle")
    assert lab.surface == "saddle" and lab.lr == 0.05


@pytest.mark.parametrize("content", [{"action": "dance"}, "step", {"action": "step", "n": 10**9},
                                     {"action": ["step"]}, None])
def test_lab_refuses_unknown_custom_messages_in_words(content):
    lab = OptimizerLab("bowl", optimizers=("SGD",))
    send_custom(lab, content)
    assert lab.step_count == 0
    assert lab.error.startswith("OptimizerLab: ignored a message from the browser")
    assert "step, reset, resync" in lab.error
    send_custom(lab, {"action": "step"})                  # the real ones still work, and clear it
    assert lab.step_count == 1 and lab.error == ""


def test_lab_python_callers_still_get_their_errors():
    lab = OptimizerLab("bowl")
    with pytest.raises(ValueError, match="lr must be > 0"):
        lab.lr = -1
    with pytest.raises(ValueError, match="unknown surface"):
        lab.surface = "nope"
    with pytest.raises(TypeError, match="start must be a point"):
        lab.set(start=5)
    with pytest.raises(Refused):
        lab.steps_per_frame = 0
    assert (lab.lr, lab.surface, lab.steps_per_frame) == (0.06, "bowl", 5)
