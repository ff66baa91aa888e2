"""check_engine: a learner's micrograd-style engine against ours (the engines are in tests/learner_engines.py)."""

from __future__ import annotations

import html
import math
import re
import random
import sys
import time
from functools import lru_cache

import pytest

from autodiff.check import EngineCheckReport, Misconception, check_engine
from autodiff.check.engine_check import TOLERANCE
from autodiff.check.engine_graphs import OPS, chain_graph, random_graph
from autodiff.check.engine_misconceptions import misconception

import learner_engines as engines

ALL_OPS = list(OPS)


@lru_cache(maxsize=None)
def report_of(engine: type) -> EngineCheckReport:
    """The report for ``engine`` with the default seed, made once (a report is not changed by reading it)."""
    return check_engine(engine)


@pytest.fixture(scope="module")
def right_report() -> EngineCheckReport:
    return report_of(engines.Value)


def test_a_right_engine_passes_with_no_codes(right_report):
    assert right_report.passed
    assert right_report.codes == [] and right_report.misconceptions == []
    assert right_report.failure is None and right_report.errors == []
    assert right_report.ops_checked == ALL_OPS and right_report.ops_skipped == []
    assert right_report.graphs_failed == 0 and right_report.graphs_checked >= 40
    assert str(right_report).startswith("✓ Value passed")
    assert "every node's value and every leaf's gradient match autodiff's" in right_report.summary()


def test_a_right_engine_checks_in_well_under_two_seconds():
    start = time.process_time()   # CPU time: the machine may be shared, and wall time then says little
    check_engine(engines.Value, seed=3)
    assert time.process_time() - start < 2.0


@pytest.mark.parametrize("engine, code", [
    (engines.OverwriteValue, "overwrite-instead-of-accumulate"),
    (engines.NotTopologicalValue, "not-topological"),
    (engines.ForwardOrderValue, "not-topological"),
    (engines.RecursiveValue, "recursion-limit"),
    (engines.WrongTanhValue, "wrong-local-derivative:tanh"),
    (engines.StaleGradValue, "grad-not-reset"),
    (engines.WrongExpValueValue, "wrong-value:exp"),
])
def test_each_broken_engine_is_flagged_with_exactly_its_code(engine, code):
    report = report_of(engine)
    assert not report.passed
    assert report.codes == [code]
    assert not any("not judged" in note for note in report.notes) or engine is engines.ForwardOrderValue
    (found,) = report.misconceptions
    assert isinstance(found, Misconception) and found.explanation and found.hint
    assert code not in found.hint   # the hint leads; it does not name the answer
    assert report.failure is not None


def test_ops_made_of_several_nodes_are_not_blamed_for_a_wrong_order():
    """ForwardOrderValue makes a - b as a + (-b): a graph of its own, which a wrong order breaks."""
    report = report_of(engines.ForwardOrderValue)
    assert report.codes == ["not-topological"]
    assert report.failure.spec.title == "one - alone: L = a - b at a = 0.8, b = -1.3"
    assert any(note.startswith("the local derivatives of - / are not judged") for note in report.notes)


def test_micrograds_own_choices_get_both_their_codes_in_order():
    report = report_of(engines.MicrogradLikeValue)
    assert report.codes == ["grad-not-reset", "recursion-limit"]
    explanation = report.misconceptions[0].explanation
    assert "Micrograd itself does this" in explanation and "harmless" in explanation


def test_the_recursion_limit_is_reported_not_raised_nor_changed():
    limit = sys.getrecursionlimit()
    report = check_engine(engines.RecursiveValue)
    assert sys.getrecursionlimit() == limit
    assert any("RecursionError" in e and "5,000 ops deep" in e for e in report.errors)
    assert report.failure.error == "RecursionError: maximum recursion depth exceeded"   # where it ran out: not said
    assert "raised RecursionError" in report.failure.verdict()


def test_a_shallower_chain_lets_a_recursive_engine_pass():
    """The code comes from the depth alone: at 200 ops a recursive walk is fine."""
    assert check_engine(engines.RecursiveValue, depth=200).passed


def test_the_first_failure_shows_both_engines_and_the_first_wrong_node():
    failure = report_of(engines.OverwriteValue).failure
    assert failure.spec.kind == "reuse" and "x + x" in failure.description
    assert failure.first_wrong == "x"
    x = next(r for r in failure.rows if r.name == "x")
    assert (x.our_grad, x.their_grad, x.data_ok, x.grad_ok) == (2.0, 1.0, True, False)
    assert "x: its grad is 1 in your engine and 2 in ours" in failure.verdict()
    assert failure.graph().data == 3.0   # our engine's graph, ready to draw


def test_the_first_wrong_gradient_is_the_first_a_backward_pass_visits():
    failure = report_of(engines.NotTopologicalValue).failure
    wrong = [r.name for r in failure.rows if not r.ok]
    assert wrong and failure.first_wrong == wrong[-1]   # rows are in forward order; backward visits them reversed


def test_a_wrong_local_derivative_is_localised_to_its_op():
    failure = report_of(engines.WrongTanhValue).failure
    assert failure.spec.kind == "op" and failure.spec.op == "tanh"
    assert failure.first_wrong == "a"


def test_missing_ops_are_skipped_and_listed_not_failed():
    report = report_of(engines.AddMulValue)
    assert report.passed and report.codes == []
    assert report.ops_checked == ["+", "*"]
    assert report.ops_skipped == ["-", "/", "**", "tanh", "exp", "relu", "log"]
    assert "Ops skipped (not defined): - / ** tanh exp relu log" in str(report)
    assert report.notes == []


def test_an_op_that_needs_a_missing_method_is_skipped_with_a_note():
    class NoNegation(engines.AddMulValue):
        def __sub__(self, other):
            return self + (-other)   # needs __neg__, which the class lacks

    report = check_engine(NoNegation)
    assert "-" in report.ops_skipped and report.passed
    assert any(note.startswith("- is defined but needs a method") for note in report.notes)


def test_other_errors_of_the_learners_code_are_reported_with_type_and_message():
    report = report_of(engines.RaisingLogValue)
    assert not report.passed and "log" in report.ops_checked and "log" not in report.ops_skipped
    assert report.errors and all("ValueError: log is not finished yet" in e for e in report.errors)
    assert report.failure.error == "ValueError: log is not finished yet"
    assert report.codes == []
    assert report.summary().endswith("no misconception named; what your engine raised is below.")


def test_a_constructor_that_raises_is_reported():
    class Broken:
        def __init__(self, data):
            raise ZeroDivisionError("oops")

    report = check_engine(Broken)
    assert not report.passed and report.errors == ["Broken(1.5): ZeroDivisionError: oops"]
    assert report.graphs_checked == 0 and "Broken(1.5): ZeroDivisionError: oops" in str(report)


def test_object_addresses_are_left_out_of_messages():
    class Loud(engines.Value):
        def exp(self):
            raise RuntimeError(f"cannot exp {object()!r}")

    report = check_engine(Loud)
    assert report.errors and not any("0x" in e for e in report.errors)


@pytest.mark.parametrize("bad, kind, words", [
    (3, TypeError, "check_engine: expected a class such as micrograd's Value, got int 3"),
    (engines.Value(1.0), TypeError, "pass the class itself"),
])
def test_bad_engines_raise_clear_errors(bad, kind, words):
    with pytest.raises(kind, match="check_engine"):
        check_engine(bad)
    with pytest.raises(kind) as error:
        check_engine(bad)
    assert words in str(error.value)


def test_a_class_without_the_contract_is_refused():
    class NoBackward:
        def __init__(self, data):
            self.data, self.grad = data, 0.0

    with pytest.raises(TypeError, match=r"check_engine: NoBackward\(1.5\) has no .backward\(\)"):
        check_engine(NoBackward)


@pytest.mark.parametrize("kwargs, kind, words", [
    ({"seed": "0"}, TypeError, "check_engine: seed must be an int, got str '0'"),
    ({"seed": True}, TypeError, "check_engine: seed must be an int"),
    ({"graphs": 0}, ValueError, "check_engine: graphs must be a positive int, got 0"),
    ({"depth": 2.5}, TypeError, "check_engine: depth must be a positive int"),
])
def test_bad_arguments_raise_clear_errors(kwargs, kind, words):
    with pytest.raises(kind) as error:
        check_engine(engines.Value, **kwargs)
    assert words in str(error.value)


def test_the_same_seed_gives_the_same_report():
    first, second = check_engine(engines.StaleGradValue, seed=7), check_engine(engines.StaleGradValue, seed=7)
    assert str(first) == str(second) and first.html() == second.html()
    assert first.failure.rows == second.failure.rows


def test_seeds_make_different_random_graphs():
    def graphs(seed):
        rng = random.Random(seed)
        return [random_graph(rng, ALL_OPS, ["+", "*"], ["+", "-", "*", "/"], k) for k in range(1, 6)]

    assert graphs(1) == graphs(1)
    assert graphs(1) != graphs(2)


def test_random_graphs_reuse_nodes_make_diamonds_and_use_numbers():
    rng = random.Random(0)
    specs = [random_graph(rng, ALL_OPS, ["+", "*"], ["+", "-", "*", "/"], k) for k in range(1, 21)]
    same_twice = [s for s in specs if any(len(st.operands) == 2 and st.operands[0] == st.operands[1]
                                          for st in s.steps)]
    with_numbers = [s for s in specs if any(not isinstance(o, int) for st in s.steps for o in st.operands)]
    used_twice = [s for s in specs if any(sum(i in st.operands for st in s.steps) > 1
                                          for i, step in enumerate(s.steps) if step.op)]
    assert same_twice and with_numbers and used_twice
    assert {op for s in specs for op in s.ops_used} == set(ALL_OPS)


def test_the_chain_is_5000_ops_deep():
    spec = chain_graph(ALL_OPS, 5000, random.Random(0))
    assert sum(1 for s in spec.steps if s.op) == 5000 and spec.steps[-1].name == "L"


def test_the_tolerance_passes_an_equivalent_formula_and_flags_a_small_error():
    class TanhThroughExp(engines.Value):   # tanh through exp(-2|x|): a different rounding, the same maths
        def tanh(self):
            e = math.exp(-2 * abs(self.data))   # never overflows (micrograd's exp(2x) does: see below)
            return self._unary(math.copysign((1 - e) / (1 + e), self.data), lambda out: 1 - out.data ** 2, "tanh")

    class SlightlyOff(engines.Value):      # a local derivative wrong by one part in ten million
        def exp(self):
            return self._unary(math.exp(self.data), lambda out: out.data * (1 + 1e-7), "exp")

    assert TOLERANCE == 1e-9
    assert check_engine(TanhThroughExp).passed
    assert check_engine(SlightlyOff).codes == ["wrong-local-derivative:exp"]


def test_the_report_reads_as_text_and_as_escaped_html():
    class Scripted(engines.Value):
        def relu(self):
            raise ValueError("<script>alert(1)</script>")

    report = check_engine(Scripted)
    assert "<script>" in str(report)
    page = report._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert page.startswith('<div class="ad-engine-report"')
    assert repr(report).startswith("<EngineCheckReport ✗ Scripted failed")


def test_every_code_has_an_explanation_and_a_hint():
    codes = ["overwrite-instead-of-accumulate", "not-topological", "recursion-limit", "grad-not-reset"]
    codes += [f"wrong-local-derivative:{op}" for op in OPS] + [f"wrong-value:{op}" for op in OPS]
    for code in codes:
        m = misconception(code)
        assert m.code == code and len(m.explanation) > 60 and len(m.hint) > 30
    with pytest.raises(ValueError, match="misconception: unknown code 'typo'"):
        misconception("typo")


# ---------------------------------------------------------------------------
# The widget: widgets.EngineReport, built and inspected in the kernel
# ---------------------------------------------------------------------------

def test_the_widget_shows_the_misconceptions_and_the_failing_graph_with_its_first_wrong_node_outlined():
    from widgets import EngineReport
    from widgets.engine_report import HIGHLIGHT

    report = report_of(engines.OverwriteValue)
    view = EngineReport(report)
    assert view.report is report and view.error == ""
    assert "overwrite-instead-of-accumulate" in view.html
    assert "<details><summary>Hint</summary>" in view.html            # the hint, folded
    assert report.misconceptions[0].hint in view.html
    # x is the first wrong node: the first box drawn (n0), and the only one outlined
    outlined = re.findall(r'<g id="(ad-n\d+)" class="[^"]*">\s*<title>[^<]*</title>\s*<polygon[^>]*stroke="'
                          + HIGHLIGHT.lower() + '"', view.svg.lower())
    assert outlined == ["ad-n0"]
    assert ">x</text>" in view.svg and view.svg in view.html
    assert "This graph in our engine, its first wrong node outlined:" in view.html
    assert repr(view) == f"EngineReport({report.summary()})"


def test_the_widget_carries_static_html_and_text_for_where_widgets_dont_run():
    from widgets import EngineReport

    report = report_of(engines.NotTopologicalValue)
    data, _ = EngineReport(report)._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["text/plain"] == str(report)
    assert data["text/html"].startswith('<div class="ad-engine-report"') and "<svg" in data["text/html"]
    assert "not-topological" in data["text/html"]


def test_the_widget_of_a_passing_engine_and_of_a_graph_too_big_to_draw():
    from widgets import EngineReport

    passing = EngineReport(report_of(engines.Value))
    assert passing.svg == "" and "✓ Value passed" in passing.html and "<svg" not in passing.html
    deep = EngineReport(report_of(engines.RecursiveValue))
    assert deep.svg == "" and "is not drawn" in deep.html and "RecursionError" in deep.html


def test_the_widget_refuses_anything_the_browser_sets():
    from comm_messages import send_state
    from widgets import EngineReport

    view = EngineReport(report_of(engines.WrongTanhValue))
    before = view.html
    send_state(view, html="<img src=x onerror=alert(1)>")
    assert view.html == before
    assert view.error == "EngineReport: the browser cannot set 'html': the kernel computes it"
    send_state(view, projector=True)
    assert view.projector is False and "cannot set 'projector'" in view.error


def test_projector_mode_reaches_the_widget():
    from widgets import EngineReport, projector

    view = EngineReport(report_of(engines.WrongTanhValue))
    try:
        assert view.projector is False
        projector(True)
        assert view.projector is True and EngineReport(report_of(engines.Value)).projector is True
    finally:
        projector(False)
    assert view.projector is False
    assert "showProjector(model, el)" in EngineReport._esm


def test_the_widget_refuses_what_is_not_a_report():
    from widgets import EngineReport

    with pytest.raises(TypeError, match=r"EngineReport: expected the report of check_engine \(an "
                                        r"EngineCheckReport\), got int 3"):
        EngineReport(3)


def test_checking_and_showing_fit_a_lessons_budget():
    from widgets import EngineReport

    start = time.perf_counter()   # wall time: Graphviz draws in a process of its own
    EngineReport(check_engine(engines.NotTopologicalValue, seed=5))._repr_mimebundle_()
    assert time.perf_counter() - start < 10.0   # ~0.5 s here; a lesson's cells have 20 s in all


def test_a_value_that_is_not_a_number_is_a_wrong_value_not_a_crash():
    class TextExp(engines.Value):
        def exp(self):
            out = super().exp()
            out.data = str(out.data)   # e.g. a value formatted for printing, left in .data
            return out

    report = check_engine(TextExp)
    assert report.codes == ["wrong-value:exp"]
    row = next(r for r in report.failure.rows if r.name == "L")
    assert row.their_data is None and not row.data_ok
    assert "Before that, the value of L was - in your engine" in report.failure.verdict()


def test_a_grad_that_cannot_be_set_is_reported():
    class FrozenGrad(engines.Value):
        @property
        def grad(self):
            return self.__dict__.get("_g", 0.0)

        @grad.setter
        def grad(self, value):
            if value == 0.0 and self.__dict__.get("_g", 0.0) != 0.0:
                raise AttributeError("grad can only grow")
            self.__dict__["_g"] = value

    report = check_engine(FrozenGrad)
    assert not report.passed
    assert any("AttributeError: grad can only grow" in e for e in report.errors)


def test_our_own_engine_passes_its_own_check():
    from autodiff import Var

    report = check_engine(Var)
    assert report.passed and report.ops_checked == ALL_OPS and report.notes == []


def test_the_widget_of_an_engine_that_raised_draws_the_graph_with_nothing_outlined():
    from widgets import EngineReport
    from widgets.engine_report import HIGHLIGHT

    view = EngineReport(report_of(engines.RaisingLogValue))
    assert view.report.failure.first_wrong is None
    assert "<svg" in view.html and "This graph in our engine:" in view.html
    assert HIGHLIGHT.lower() not in view.svg.lower()
    assert "ValueError: log is not finished yet" in view.html


def test_the_text_reports_explanations_and_hints_fit_a_terminal():
    from autodiff.check.engine_report import WIDTH

    text = str(report_of(engines.MicrogradLikeValue))
    start, end = text.index("1. grad-not-reset"), text.index("Errors raised by your engine:")
    lines = text[start:end].splitlines()
    assert len(lines) > 6 and max(map(len, lines)) <= WIDTH
    assert all(line.startswith("   ") for line in lines if not line[0].isdigit())


# ---------------------------------------------------------------------------
# Engines that keep gradients on the leaves only (PyTorch, MiniTorch): judged on the leaves
# ---------------------------------------------------------------------------

def test_an_engine_that_keeps_grad_only_on_the_leaves_passes():
    a, b = engines.TapeValue(0.8), engines.TapeValue(-1.3)
    h = a * b
    L = h.tanh() + a
    L.backward()
    assert h.grad is None and L.grad is None   # the engine really sets no intermediate gradient
    assert a.grad == pytest.approx(-1.3 * (1 - math.tanh(-1.04) ** 2) + 1)
    report = report_of(engines.TapeValue)
    assert report.passed and report.codes == [] and report.ops_checked == ALL_OPS
    assert report.errors == [] and report.notes == [] and report.failure is None


def test_intermediate_gradients_do_not_decide_a_pass():
    """An engine may do what it likes with intermediate .grad after a pass: here it scribbles 42 there."""
    class Scribbling(engines.Value):
        def backward(self):
            super().backward()
            for node in self._order():
                if node._prev:
                    node.grad = 42.0

    report = check_engine(Scribbling)
    assert report.passed and report.codes == []


def test_a_leaves_only_engine_with_one_wrong_derivative_is_flagged_with_its_op():
    report = report_of(engines.TapeWrongTanhValue)
    assert not report.passed and report.codes == ["wrong-local-derivative:tanh"]
    failure = report.failure
    assert failure.spec.kind == "op" and failure.spec.op == "tanh" and failure.first_wrong == "a"
    assert failure.leaves_only and not failure.second_pass
    output = next(r for r in failure.rows if r.name == "L")
    assert output.their_grad is None and output.grad_ok   # not judged: the engine keeps none there
    assert failure.LEAVES_ONLY_NOTE in " ".join(str(report).split())   # (the text is wrapped for a terminal)
    assert html.escape(failure.LEAVES_ONLY_NOTE) in report.html()
    assert report.notes == []   # tanh fails at small inputs too: no extra note for its large-input graphs


def test_intermediate_gradients_locate_the_first_wrong_node_when_the_engine_keeps_them():
    """L = (a * b).tanh() with a wrong tanh rule: an engine that keeps h1.grad is pointed at h1, the node
    the wrong rule wrote; a leaves-only engine at the first wrong leaf a backward pass reaches, b."""
    from autodiff.check.engine_check import _Run
    from autodiff.check.engine_graphs import GraphSpec, Step

    spec = GraphSpec("a product, then tanh", "random", (Step("a", value=0.8), Step("b", value=-1.3),
                                                          Step("h1", "*", (0, 1)), Step("L", "tanh", (2,))))
    kept = _Run(engines.WrongTanhValue).graph(spec).failure
    assert kept.first_wrong == "h1" and not kept.leaves_only
    assert [r.name for r in kept.rows if not r.grad_ok] == ["a", "b", "h1"]
    assert kept.LEAVES_ONLY_NOTE not in kept.text()
    leaves = _Run(engines.TapeWrongTanhValue).graph(spec).failure
    assert leaves.first_wrong == "b" and leaves.leaves_only
    assert [r.name for r in leaves.rows if not r.grad_ok] == ["a", "b"]


# ---------------------------------------------------------------------------
# An op built on a failing op is not blamed: the op underneath is
# ---------------------------------------------------------------------------

def test_built_from_finds_the_op_methods_each_op_calls_and_restores_the_profiler():
    from autodiff.check.engine_check import _built_from

    def watcher(frame, event, arg):
        return None

    sys.setprofile(watcher)
    try:
        found = _built_from(engines.Value, ALL_OPS)
        assert sys.getprofile() is watcher
    finally:
        sys.setprofile(None)
    assert found["/"] == {"*", "**"}           # a * b ** -1
    assert found["-"] == {"+", "*"}            # a + (-b), and -b is b * -1
    assert found["+"] == found["**"] == found["tanh"] == frozenset()


def test_a_power_rule_precedence_bug_blames_power_not_division():
    report = report_of(engines.PowPrecedenceValue)
    assert report.codes == ["wrong-local-derivative:**"]
    assert report.failure.spec.kind == "op" and report.failure.spec.op == "**"   # the ** graph is shown first
    assert report.failure.spec.title.startswith("one ** alone")
    assert any(note.startswith("/ is not blamed on its own: your / calls your ** (it is built on it)")
               for note in report.notes)


def test_every_op_built_on_a_wrong_multiplication_is_excused():
    report = report_of(engines.TapeWrongMulValue)
    assert report.codes == ["wrong-local-derivative:*"]
    assert report.failure.spec.op == "*"
    built_on = sorted(note.split()[0] for note in report.notes if "is not blamed on its own" in note)
    assert built_on == ["-", "/"]


def test_two_wrong_ops_on_their_own_are_both_blamed():
    class TwoWrong(engines.PowPrecedenceValue):   # ** wrong, and * wrong too (the other's value for each)
        def __mul__(self, other):
            other = self._wrap(other)
            out = type(self)(self.data * other.data, (self, other), "*")

            def _backward():
                self._send(self, self.data * out.grad)
                self._send(other, other.data * out.grad)
            out._backward = _backward
            return out

    report = check_engine(TwoWrong)
    assert report.codes == ["wrong-local-derivative:*", "wrong-local-derivative:**"]
    assert sorted(n.split()[0] for n in report.notes if "not blamed" in n) == ["-", "/"]


# ---------------------------------------------------------------------------
# Plain numbers on both sides: a missing __rmul__ fails, in words
# ---------------------------------------------------------------------------

def test_a_missing_rmul_fails_and_says_so_in_words():
    report = report_of(engines.NoRmulValue)
    assert not report.passed and report.codes == [] and report.graphs_failed == 1
    (note,) = report.notes
    assert note.startswith("2.5 * a raised TypeError: define __rmul__.")
    assert report.errors == ["one * with a number: L = 2.5 * a: TypeError: unsupported operand type(s) for *: "
                             "'float' and 'NoRmulValue'"]
    assert report.failure.spec.title == "one * with a number: L = 2.5 * a"
    assert "define __rmul__" in str(report) and "define __rmul__" in report.html()


def test_a_number_refused_on_the_right_names_the_method_to_fix():
    class Unwrapped(engines.AddMulValue):   # __mul__ reads other.data: a plain number has none
        def __mul__(self, other):
            out = Unwrapped(self.data * other.data, (self, other))

            def _backward():
                self.grad += other.data * out.grad
                other.grad += self.data * out.grad
            out._backward = _backward
            return out

    report = check_engine(Unwrapped)
    assert not report.passed and report.codes == []
    assert any(note.startswith("a * 2.5 raised AttributeError: 'float' object has no attribute 'data': your "
                               "__mul__ must take a plain number as the right operand") for note in report.notes)
    assert "*" in report.ops_checked   # the op itself is still checked, on Values


# ---------------------------------------------------------------------------
# Large inputs: a formula that overflows where the op is finite
# ---------------------------------------------------------------------------

def test_large_input_graphs_are_only_where_our_engine_is_finite():
    from autodiff import Var
    from autodiff.check.engine_graphs import large_graphs

    specs = [spec for op in ALL_OPS for spec in large_graphs(op)]
    assert sorted({s.op for s in specs}) == ["exp", "tanh"] and {s.kind for s in specs} == {"large"}
    assert {abs(s.steps[0].value) for s in specs} == {400.0}
    for spec in specs:
        x = Var(spec.steps[0].value)
        y = getattr(x, spec.op)()
        y.backward()
        assert math.isfinite(y.data) and math.isfinite(x.grad)
    assert math.tanh(400.0) == 1.0


def test_micrograds_tanh_formula_overflows_at_400_and_is_named():
    report = report_of(engines.OverflowingTanhValue)
    assert report.codes == ["wrong-value:tanh"] and report.graphs_failed == 1
    assert report.failure.spec.kind == "large" and report.failure.spec.title.endswith("at a = 400")
    assert report.errors == ["one tanh at a large input: L = a.tanh() at a = 400: OverflowError: math range error"]
    (note,) = report.notes
    assert note.startswith("tanh(400) overflowed in your engine: it raised OverflowError: math range error, "
                           "where ours gives tanh = 1 and slope 0.")
    assert "exp(710) is beyond the largest float" in note


def test_a_tanh_that_turns_into_nan_at_400_is_named_as_not_finite():
    class NanTanh(engines.Value):   # exp that saturates to inf instead of raising, as numpy's does
        def tanh(self):
            e = math.exp(2 * self.data) if self.data < 300 else math.inf
            return self._unary((e - 1) / (e + 1), lambda out: 1 - out.data ** 2, "tanh")

    report = check_engine(NanTanh)
    assert report.codes == ["wrong-value:tanh"]
    (note,) = report.notes
    assert note.startswith("tanh(400) overflowed in your engine: it gave a number that is not finite")


def test_a_right_leaves_only_engine_checks_in_well_under_two_seconds():
    start = time.process_time()
    assert check_engine(engines.TapeValue, seed=3).passed
    assert time.process_time() - start < 2.0


def test_the_widget_outlines_the_first_wrong_leaf_of_a_leaves_only_engine():
    from widgets import EngineReport
    from widgets.engine_report import HIGHLIGHT

    view = EngineReport(report_of(engines.TapeWrongTanhValue))
    outlined = re.findall(r'<g id="(ad-n\d+)" class="[^"]*">\s*<title>[^<]*</title>\s*<polygon[^>]*stroke="'
                          + HIGHLIGHT.lower() + '"', view.svg.lower())
    assert outlined == ["ad-n0"] and ">a</text>" in view.svg
    assert "keeps .grad only on the leaves" in view.html


def test_a_missing_radd_says_that_sum_of_values_needs_it():
    NoRadd = type("NoRadd", (), {k: v for k, v in vars(engines.Value).items()
                                 if k not in ("__radd__", "__dict__", "__weakref__")})
    report = check_engine(NoRadd)
    assert not report.passed and report.graphs_failed == 1
    (note,) = report.notes
    assert note.startswith("2.5 + a raised TypeError: define __radd__.")
    assert note.endswith("without it 2 + v fails, and so does sum() of Values (it starts from 0 + v).")


def test_with_a_wrong_order_no_derivative_is_blamed_nor_excused():
    """A wrong order breaks every op made of several nodes: then - / ** are all named as not judged."""
    class ForwardOrderAndPow(engines.PowPrecedenceValue, engines.ForwardOrderValue):
        pass

    report = check_engine(ForwardOrderAndPow)
    assert report.codes == ["not-topological"]
    assert any(note.startswith("the local derivatives of - / ** are not judged") for note in report.notes)
    assert not any("not blamed" in note for note in report.notes)


@pytest.mark.parametrize("holds", ["zero", "context"])
def test_a_leaves_only_engine_passes_whatever_its_intermediate_grad_holds(holds):
    """MiniTorch-like: an intermediate's .grad reads 0.0, or is the op's context object, never a gradient."""
    class Tape(engines.TapeValue):
        def _node(self, *args, **saved):
            out = super()._node(*args, **saved)
            out.grad = 0.0 if holds == "zero" else out._saved
            return out

    report = check_engine(Tape)
    assert report.passed and report.codes == [] and report.notes == []
