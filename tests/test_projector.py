"""Projector mode (issue 12): ``widgets.projector(True)`` makes every widget larger, in a real kernel object graph.

What the browser does with it (the text measured larger) is checked in
tests/browser/test_accessibility_browser.py; here, the kernel's side: the
synced trait of every live widget, the default of new ones, the larger font
of new graph drawings, the scale written into the browser module, and that
neither a bad argument nor the browser can set it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

import widgets
from autodiff import Var
from widgets import EngineReport, GraphStepper, OptimizerLab, Playground, draw_graph
from widgets.render import render_svg

projector_module = sys.modules["widgets.projector"]   # widgets.projector is the function


@pytest.fixture(autouse=True)
def projector_off():
    """Every test starts, and leaves the kernel, with projector mode off."""
    widgets.projector(False)
    yield
    widgets.projector(False)


def small_graph():
    a = Var(2.0, label="a")
    b = Var(-3.0, label="b")
    loss = a * b + a
    loss.label = "L"
    return loss


def font_sizes(svg: str) -> set[float]:
    return {float(size) for size in re.findall(r'font-size="([0-9.]+)"', svg)}


def test_it_is_off_by_default_and_says_what_it_did():
    assert projector_module.projector_on() is False
    assert widgets.projector(True) is True
    assert projector_module.projector_on() is True
    assert widgets.projector(False) is False


def test_every_open_widget_follows_the_switch_and_new_widgets_start_in_it():
    stepper, lab, pg = GraphStepper(small_graph()), OptimizerLab("bowl"), Playground(points=60)
    assert [w.projector for w in (stepper, lab, pg)] == [False, False, False]
    widgets.projector(True)
    assert [w.projector for w in (stepper, lab, pg)] == [True, True, True]
    assert GraphStepper(small_graph()).projector is True          # made afterwards: on
    assert OptimizerLab("bowl").get_state()["projector"] is True  # and sent to the browser so
    widgets.projector(False)
    assert [w.projector for w in (stepper, lab, pg)] == [False, False, False]


def engine_report():
    """The report of a broken engine (it overwrites a gradient instead of adding), with its graph drawn."""
    from autodiff.check import check_engine

    sys.path.insert(0, str(Path(__file__).parent))
    import learner_engines

    return EngineReport(check_engine(learner_engines.OverwriteValue))


def test_the_engine_report_follows_the_switch_too():
    report = engine_report()
    assert report.projector is False and report.svg
    widgets.projector(True)
    assert report.projector is True and report.get_state()["projector"] is True
    assert engine_report().projector is True                     # made afterwards: on
    widgets.projector(False)
    assert report.projector is False


def test_a_closed_widget_is_left_alone():
    lab = OptimizerLab("bowl")
    lab.close()
    widgets.projector(True)          # no error, no message to a view that is gone
    assert lab.projector is False


@pytest.mark.parametrize("bad", ["off", 1, None, 1.4])
def test_only_true_or_false_switches_it(bad):
    with pytest.raises(TypeError, match=rf"widgets.projector: on must be True or False, got {re.escape(repr(bad))}"):
        widgets.projector(bad)
    assert projector_module.projector_on() is False


def test_new_graph_drawings_use_a_larger_font():
    normal = font_sizes(render_svg(draw_graph(small_graph())))
    widgets.projector(True)
    larger = font_sizes(render_svg(draw_graph(small_graph())))
    assert normal == {11.0}
    assert larger == {float(projector_module.GRAPH_FONT_SIZE[True])} and min(larger) > 11
    # and a stepper made now lays its graph out in the larger font too
    assert font_sizes(GraphStepper(small_graph()).svg) == larger


def test_the_browser_module_gets_the_scale_from_python():
    for cls in (GraphStepper, OptimizerLab, Playground, EngineReport):
        lines = cls._esm.splitlines()
        assert lines[1] == f"const PROJECTOR_SCALE = {projector_module.SCALE};  // widgets.projector.SCALE"
        assert lines[2] == "const GRAPH_FONT_SIZE = 11;  // widgets.projector.GRAPH_FONT_SIZE[False]"
        assert "showProjector(model" in cls._esm and '"change:projector"' in cls._esm


@pytest.mark.parametrize("make", [lambda: GraphStepper(small_graph()), lambda: OptimizerLab("bowl"),
                                  lambda: Playground(points=60), engine_report],
                         ids=["GraphStepper", "OptimizerLab", "Playground", "EngineReport"])
def test_the_browser_cannot_switch_it(make):
    widget = make()
    widget.set_state({"projector": True})      # what a front-end's update message does
    assert widget.projector is False
    assert "projector" in widget.error and "cannot set" in widget.error


def test_the_engine_reports_text_and_graph_scale_like_the_other_widgets():
    """EngineReport's view uses --ad-scale (common.js showProjector) for its text and its SVG's size."""
    css = (Path(sys.modules["widgets.engine_report"].__file__).parent / "engine_report.css").read_text(encoding="utf-8")
    assert re.search(r"\.ad-engine-report-live \{[^}]*--ad-scale: 1;[^}]*font-size: calc\(1em \* var\(--ad-scale\)\)", css)
    assert re.search(r"\.ad-engine-report-live \.ad-engine-report code \{ font-size: calc\(var\(--jp-code-font-size, 0\.9em\) \* var\(--ad-scale\)\)", css)
    assert "calc(${size} * var(--ad-scale))" in EngineReport._esm          # the graph's width and height
    assert 'width="' in engine_report().svg                                 # which Graphviz gives in pt
