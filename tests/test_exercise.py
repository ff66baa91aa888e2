"""widgets.exercise: checking a learner's function, the counterexample, the hint ladder.

Most tests use the exercise "the derivative of x²": the cases are written
out by hand (slope(0) = 0, slope(3) = 6, slope(−1.5) = −3), the right
answer is ``2 * x`` and the usual wrong one ``x``. Outside a Jupyter kernel
`check` prints its verdict as text, which is what capsys sees here; the
widget and the HTML fallback are tested directly.
"""

from __future__ import annotations

import builtins
import copy
import html
import math
import pickle
import types

import IPython
import numpy as np
import pytest

from autodiff import Var
from widgets import exercise as exercise_module
from widgets.exercise import (ABS_TOL, NOT_DONE, REL_TOL, WITHHELD, WITHHELD_HINT, WITHHELD_TEXT, Exercise, Formula,
                              HintLadder, computed_cases, matches)

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
TITLE = "2.1 · The derivative of x²"
HINTS = ("The derivative of xⁿ is n·xⁿ⁻¹.", "With n = 2 that is `2 * x`.")
SOLUTION = "def slope(x):\n    return 2 * x"
STUCK = "Stuck? Each call of .hint() on this exercise shows the next step: hint 1, then hint 2, then the solution."


def make(**changes) -> Exercise:
    options = dict(cases=[((0.0,), 0.0), ((3.0,), 6.0), ((-1.5,), -3.0)], hints=HINTS, solution=SOLUTION)
    options.update(changes)
    return Exercise(TITLE, **options)


def slope(x):
    return 2 * x


def wrong(x):
    return x


def stub(x):
    # YOUR CODE HERE
    raise NotImplementedError()


def check(ex, fn, capsys):
    """Run ex.check(fn): (its result, what it printed)."""
    result = ex.check(fn)
    return result, capsys.readouterr().out


# ----------------------------------------------------------------------
# Verdicts
# ----------------------------------------------------------------------
def test_a_right_function_passes(capsys):
    ex = make()
    result, out = check(ex, slope, capsys)
    assert result is True and ex.passed is True
    assert out == f"{TITLE}\n✓ Right: all 3 cases pass.\n"


def test_one_case_is_said_in_the_singular(capsys):
    _, out = check(make(cases=[((2.0,), 4.0)]), slope, capsys)
    assert "✓ Right: the one case passes." in out


def test_a_wrong_function_shows_the_first_failing_case_with_its_numbers(capsys):
    ex = make()
    result, out = check(ex, wrong, capsys)
    assert result is False and ex.passed is False
    # wrong(0) = 0 is right by chance; wrong(3) = 3, not 6.
    assert out == (f"{TITLE}\n"
                   "✗ Not yet: 1 of 3 cases passes. Case 2 fails:\n"
                   "  inputs    wrong(3.0)\n"
                   "  expected  6.0\n"
                   "  got       3.0\n"
                   f"{STUCK}\n")


def test_the_counterexample_shows_every_argument_and_the_count_of_passes(capsys):
    ex = Exercise("product", cases=[((2.0, -3.0), -6.0), ((1.0, 1.0), 1.0), ((0.5, 4.0), 2.0)])
    _, out = check(ex, lambda a, b: a + b if a > 1 else a * b, capsys)
    assert "✗ Not yet: 2 of 3 cases pass. Case 1 fails:" in out
    assert "  inputs    f(2.0, -3.0)\n  expected  -6.0\n  got       -1.0\n" in out
    assert "Stuck?" not in out                      # no hints, no solution: no ladder


def test_a_single_non_tuple_argument_is_the_one_argument(capsys):
    ex = Exercise("total", cases=[([1, 2, 3], 6), ([], 0)])
    assert check(ex, sum, capsys)[0] is True
    _, out = check(ex, len, capsys)
    assert "  inputs    len([1, 2, 3])\n  expected  6\n  got       3\n" in out


def test_returning_none_says_return_was_forgotten(capsys):
    def forgot(x):
        2 * x
    _, out = check(make(), forgot, capsys)
    assert "  got       None\n" in out
    assert "Your function returned None: did you forget `return`?" in out


def test_returning_a_var_for_a_number_points_at_data(capsys):
    _, out = check(make(), lambda x: Var(2 * x), capsys)
    assert "  got       Var(data=0.0, grad=0.0)\n" in out
    assert "Your function returned a Var, not a number: did you mean its .data (0.0)?" in out


# ----------------------------------------------------------------------
# Errors in the learner's code
# ----------------------------------------------------------------------
def test_an_exception_is_caught_and_named_with_its_case_and_line(capsys):
    def inverse_slope(x):
        y = 2 * x
        return 1 / y          # ZeroDivisionError for x = 0
    line = inverse_slope.__code__.co_firstlineno + 2
    result, out = check(make(), inverse_slope, capsys)
    assert result is False
    assert "✗ Not yet: 0 of 3 cases pass. Case 1 fails:" in out
    assert "  inputs    inverse_slope(0.0)\n  expected  0.0\n  got       ZeroDivisionError: float division by zero\n" in out
    assert f"Your code raised ZeroDivisionError (line {line}, in inverse_slope) on case 1." in out
    assert STUCK in out


def test_an_exception_in_a_later_case_still_counts_the_passes(capsys):
    ex = Exercise("square root", cases=[((4.0,), 2.0), ((9.0,), 3.0), ((-1.0,), math.nan)])
    _, out = check(ex, math.sqrt, capsys)
    assert "✗ Not yet: 2 of 3 cases pass. Case 3 fails:" in out
    assert "got       ValueError: math domain error" in out
    assert "Your code raised ValueError on case 3." in out      # a builtin: no line to show


def test_not_implemented_is_not_done_yet(capsys):
    result, out = check(make(), stub, capsys)
    assert result is False
    assert out == f"{TITLE}\n✎ {NOT_DONE}\n{STUCK}\n"
    assert NOT_DONE.startswith("Not done yet: write your code where it says YOUR CODE HERE")


def test_not_done_stops_at_the_first_case():
    calls = []

    def half_done(x):
        calls.append(x)
        raise NotImplementedError()
    assert make().feedback(half_done).status == "not done"
    assert calls == [0.0]


def test_a_keyboard_interrupt_is_not_swallowed():
    def interrupted(x):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        make().feedback(interrupted)


def test_a_compare_that_raises_is_a_mismatch_that_says_why(capsys):
    ex = make(compare=lambda got, expected: got.data == expected)
    _, out = check(ex, slope, capsys)
    assert "✗ Not yet: 0 of 3 cases pass. Case 1 fails:" in out
    assert "The checker could not compare what your function returned: AttributeError:" in out


# ----------------------------------------------------------------------
# Comparing
# ----------------------------------------------------------------------
def test_the_default_tolerance_is_documented_and_used():
    assert (REL_TOL, ABS_TOL) == (1e-6, 1e-9)
    assert matches(6.0 + 5e-6, 6.0)                 # |diff| ≤ 1e-9 + 1e-6·6
    assert not matches(6.0 + 7e-6, 6.0)
    assert matches(1e-10, 0.0) and not matches(1e-8, 0.0)
    assert matches(0.1 + 0.2, 0.3)
    assert matches(6, 6.0) and matches(np.float64(6.0), 6)


def test_tolerance_is_set_per_exercise(capsys):
    rounded = lambda x: 2 * x + 0.004                    # noqa: E731  (off by 0.004)
    assert check(make(), rounded, capsys)[0] is False
    assert check(make(abs_tol=0.01), rounded, capsys)[0] is True
    assert check(make(rel_tol=0.01, cases=[((3.0,), 6.0)]), rounded, capsys)[0] is True


def test_exact_for_everything_but_numbers():
    assert matches("abc", "abc") and not matches("abc", "abd")
    assert matches(None, None) and not matches(0, None)
    assert matches(True, True) and not matches(1, True) and not matches(True, 1.0)


def test_nan_and_infinity():
    assert matches(math.nan, math.nan) and not matches(0.0, math.nan) and not matches(math.nan, 0.0)
    assert matches(math.inf, math.inf) and not matches(-math.inf, math.inf) and not matches(1e308, math.inf)


def test_containers_are_compared_element_by_element():
    assert matches([1.0, 2.0 + 1e-9], (1, 2))               # a list for a tuple is fine
    assert not matches([1.0], [1.0, 2.0]) and not matches(1.0, [1.0])
    assert matches({"a": 0.1 + 0.2, "b": [3]}, {"a": 0.3, "b": [3.0]})
    assert not matches({"a": 1}, {"a": 1, "b": 2})
    assert matches(np.array([0.1 + 0.2, 1.0]), [0.3, 1.0])
    assert not matches(np.array([1.0, 2.0]), np.array([[1.0, 2.0]]))
    assert not matches(np.array([1.0, 2.0]), np.array([1.0, 2.1]))


def test_a_custom_compare_replaces_the_default(capsys):
    ex = make(compare=lambda got, expected: got.data == expected)   # the learner must return a Var
    assert check(ex, lambda x: Var(2 * x), capsys)[0] is True
    assert ex.same(Var(6.0), 6.0) is True


# ----------------------------------------------------------------------
# What is checked: the learner's code, never the solution
# ----------------------------------------------------------------------
def test_check_calls_the_learners_function_on_each_case_and_never_runs_the_solution(monkeypatch, capsys):
    calls = []

    def spy(x):
        calls.append(x)
        return 2 * x

    def refuse(*args, **kwargs):
        raise AssertionError("the checker must not run code from text")
    for name in ("exec", "eval", "compile"):
        monkeypatch.setattr(builtins, name, refuse)
    ex = make(solution="raise SystemExit('the solution ran')")
    assert ex.check(spy) is True
    assert calls == [0.0, 3.0, -1.5]
    assert ex.check(wrong) is False                  # a wrong function fails although the solution is "there"
    assert "the solution ran" not in capsys.readouterr().out


def test_a_function_that_changes_its_inputs_spoils_nothing(capsys):
    def pops(xs):
        total = 0
        while xs:
            total += xs.pop()
        return total + 1                            # wrong, and empties its input
    shared = [1, 2]
    ex = Exercise("total", cases=[(shared, 3), (shared, 3)])
    _, out = check(ex, pops, capsys)
    assert shared == [1, 2]
    assert "  inputs    pops([1, 2])\n  expected  3\n  got       4\n" in out


def test_cases_from_a_function_are_made_afresh_for_every_check(capsys):
    made = []

    def cases():
        x = Var(3.0)
        made.append(x)
        return [((x,), 6.0)]

    def slope_by_backward(x):          # accumulates into x.grad: fresh Vars make it right every time
        (x * x).backward()
        return x.grad
    ex = Exercise("d(x²)/dx by backward()", cases)
    assert check(ex, slope_by_backward, capsys)[0] is True
    assert check(ex, slope_by_backward, capsys)[0] is True
    assert len(made) == 2 and made[0] is not made[1]
    assert repr(ex) == "Exercise('d(x²)/dx by backward()', cases from a function, 0 hints)"


# ----------------------------------------------------------------------
# The hint ladder
# ----------------------------------------------------------------------
def test_hint_reveals_hint_1_then_hint_2_then_the_solution(capsys):
    ex = make()
    said = []
    for _ in range(4):
        ex.hint()
        said.append(capsys.readouterr().out)
    assert said == [
        f"Hint 1 of 2: {HINTS[0]}\n(.hint() again for hint 2)\n",
        f"Hint 2 of 2: {HINTS[1]}\n(.hint() again for the solution)\n",
        f"Solution:\n{SOLUTION}\n",
        f"Solution:\n{SOLUTION}\n",                   # the last rung stays
    ]


def test_hint_without_hints(capsys):
    ex = Exercise("no help", cases=[((1,), 1)])
    ex.hint()
    assert capsys.readouterr().out == "This exercise has no hints.\n"
    ex = Exercise("only the answer", cases=[((1,), 1)], solution="def f(x):\n    return x")
    ex.hint()
    assert capsys.readouterr().out == "Solution:\ndef f(x):\n    return x\n"


def test_the_widget_ladder_reveals_one_rung_per_click_in_order():
    ex = make()
    ladder = ex.feedback(wrong).widget()
    assert isinstance(ladder, HintLadder)
    verdict, shown, button = ladder.children
    assert "Case 2 fails" in verdict.value and "<details>" not in verdict.value
    seen = []
    for _ in range(3):
        seen.append((button.description, shown.value.count("<b>"), button.layout.display))
        button.click()
    assert seen == [("Hint 1", 0, None), ("Hint 2", 1, None), ("Show the solution", 2, None)]
    assert button.layout.display == "none"
    assert shown.value.index("Hint 1") < shown.value.index("Hint 2") < shown.value.index("Solution")
    assert "<code>2 * x</code>" in shown.value and "<pre>def slope(x):\n    return 2 * x</pre>" in shown.value
    assert ex.revealed == 3


def test_the_widget_and_hint_share_how_far_the_learner_got(capsys):
    ex = make()
    ex.hint()
    ladder = ex.feedback(wrong).widget()
    assert ladder.button.description == "Hint 2"
    assert HINTS[0] in ladder.shown.value and HINTS[1] not in ladder.shown.value
    ladder.reveal()
    ex.hint()
    assert capsys.readouterr().out.endswith(f"Solution:\n{SOLUTION}\n")


def test_the_html_fallback_nests_the_ladder_so_it_opens_in_order():
    page = make().feedback(wrong).html()
    assert page.count("<details>") == 3
    assert (page.index("<summary>Hint 1</summary>") < page.index(HINTS[0])
            < page.index("<summary>Hint 2</summary>") < page.index("<summary>Show the solution</summary>")
            < page.index("def slope(x):"))
    assert page.endswith("</details></details></details></div>")     # each inside the one before
    assert "<table" in page and "<code>wrong(3.0)</code>" in page


def test_a_right_answer_shows_no_ladder():
    fb = make().feedback(slope)
    assert "Hint" not in fb.text() and "<details>" not in fb.html() and SOLUTION not in fb.html()
    assert WIDGET_MIME not in fb._repr_mimebundle_()


# ----------------------------------------------------------------------
# A withheld solution (student copies for a graded course)
# ----------------------------------------------------------------------
WITHHELD_STUCK = ("Stuck? Each call of .hint() on this exercise shows the next step: "
                  "hint 1, then hint 2, then where the solution is.")


def withheld(**changes) -> Exercise:
    return make(hints=(HINTS[0], WITHHELD_HINT), solution=WITHHELD, **changes)


def test_a_withheld_solution_is_nowhere_in_the_exercise():
    ex = withheld()
    assert ex.solution is None and ex.solution_withheld is True
    assert repr(ex) == f"Exercise({TITLE!r}, 3 cases, 2 hints, the solution withheld)"
    assert not make().solution_withheld and make().solution == SOLUTION
    label, heading, text = ex.rungs[-1]
    assert (label, heading) == ("Where is the solution?", "The solution")
    assert text == WITHHELD_TEXT + " 1 hint was withheld too: it showed part of the solution."
    both = make(hints=(WITHHELD_HINT, WITHHELD_HINT), solution=WITHHELD).rungs[-1][2]
    assert both.endswith(" 2 hints were withheld too: they showed parts of the solution.")
    assert make(solution=WITHHELD).rungs[-1][2] == WITHHELD_TEXT
    assert "instructor" in WITHHELD_TEXT and "instructor" in WITHHELD_HINT


def test_the_withheld_ladder_says_where_the_solution_is(capsys):
    ex = withheld()
    result, out = check(ex, stub, capsys)
    assert result is False and out.endswith(WITHHELD_STUCK + "\n")
    said = []
    for _ in range(4):
        ex.hint()
        said.append(capsys.readouterr().out)
    assert said == [
        f"Hint 1 of 2: {HINTS[0]}\n(.hint() again for hint 2)\n",
        f"Hint 2 of 2: {WITHHELD_HINT}\n(.hint() again for where the solution is)\n",
        ex.rungs[-1][2] + "\n",
        ex.rungs[-1][2] + "\n",                       # the last rung stays
    ]


def test_the_withheld_rung_in_the_widget_and_the_html_is_a_note_not_code():
    ex = withheld()
    page = ex.feedback(wrong).html()
    assert "<summary>Where is the solution?</summary>" in page and "Show the solution" not in page
    assert "<pre>" not in page and html.escape(WITHHELD_TEXT) in page
    ladder = ex.feedback(wrong).widget()
    labels = []
    for _ in range(3):
        labels.append(ladder.button.description)
        ladder.button.click()
    assert labels == ["Hint 1", "Hint 2", "Where is the solution?"]
    assert ladder.button.layout.display == "none"
    assert "<pre>" not in ladder.shown.value and "instructor has them" in ladder.shown.value


def test_withheld_is_one_marker_through_copies_and_pickles():
    assert copy.copy(WITHHELD) is WITHHELD and copy.deepcopy(WITHHELD) is WITHHELD
    assert pickle.loads(pickle.dumps(WITHHELD)) is WITHHELD and repr(WITHHELD) == "WITHHELD"
    with pytest.raises(TypeError, match="solution must be the code as a str"):
        make(solution=object())


# ----------------------------------------------------------------------
# Showing it in Jupyter; determinism
# ----------------------------------------------------------------------
def test_in_a_kernel_the_bundle_has_the_widget_and_fixed_text_and_html(monkeypatch):
    monkeypatch.setattr(exercise_module, "_in_kernel", lambda: True)
    fb = make().feedback(wrong)
    bundle = fb._repr_mimebundle_()
    assert set(bundle) == {WIDGET_MIME, "text/plain", "text/html"}
    assert bundle["text/plain"] == fb.text() and bundle["text/html"] == fb.html()


def test_outside_a_kernel_there_is_no_widget():
    assert set(make().feedback(wrong)._repr_mimebundle_()) == {"text/plain", "text/html"}


def test_under_ipython_check_displays_the_feedback(monkeypatch):
    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: types.SimpleNamespace(kernel=object()))
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    assert make().check(stub) is False
    (fb,) = shown
    assert fb.status == "not done" and fb.text().startswith(f"{TITLE}\n✎ Not done yet")


class Opaque:
    """An object with Python's default repr: '<... Opaque object at 0x7f...>'."""

    def __eq__(self, other):
        return False


def test_the_output_is_the_same_every_run():
    ex = Exercise("objects", cases=[((Opaque(),), Opaque())], hints=("a hint",))

    def fails(thing):
        raise ValueError(f"cannot use {thing!r}")
    outputs = {(fb.text(), fb.html()) for fb in (ex.feedback(fails), ex.feedback(fails))}
    assert len(outputs) == 1
    text, page = outputs.pop()
    assert "0x" not in text and "0x" not in page
    assert "Opaque object>" in text


# ----------------------------------------------------------------------
# Calling through run, a row of detail, computed cases, Formula
# ----------------------------------------------------------------------
def _measure(fn, x):
    """What the check compares: (value, d/dx) of fn on a fresh Var(x)."""
    v = Var(x)
    out = fn(v)
    if not isinstance(out, Var):
        return f"a {type(out).__name__}, not a Var"
    out.backward()
    return (out.data, v.grad)


def square_var(v):
    return v * v


def test_run_calls_the_learners_function_through_it_and_compares_what_it_returns(capsys):
    ex = Exercise("x² on Vars", cases=[((3.0,), (9.0, 6.0)), ((-1.0,), (1.0, -2.0))], run=_measure)
    assert check(ex, square_var, capsys) == (True, "x² on Vars\n✓ Right: all 2 cases pass.\n")
    result, out = check(ex, lambda v: v.data * v.data, capsys)
    assert result is False
    assert "  inputs    f(3.0)\n  expected  (9.0, 6.0)\n  got       'a float, not a Var'\n" in out


def test_through_run_the_counterexample_names_the_learners_function_and_line(capsys):
    def cube_var(v):
        return v * v * v.exp(1)  # TypeError: exp takes no argument
    line = cube_var.__code__.co_firstlineno + 1
    ex = Exercise("x³ on Vars", cases=[((2.0,), (8.0, 12.0))], run=_measure)
    result, out = check(ex, cube_var, capsys)
    assert result is False
    assert "  inputs    cube_var(2.0)\n" in out
    assert f"Your code raised TypeError (line {line}, in cube_var) on case 1." in out


def test_through_run_a_stub_is_not_done_yet(capsys):
    ex = Exercise("x² on Vars", cases=[((3.0,), (9.0, 6.0))], run=_measure)
    assert check(ex, stub, capsys) == (False, f"x² on Vars\n✎ {NOT_DONE}\n")


class Described:
    def __init__(self, value, text):
        self.value, self.text = value, text

    def __repr__(self):
        return "G"


def test_detail_adds_a_row_under_the_inputs_of_a_counterexample(capsys):
    cases = [((Described(2.0, "a graph of two"),), 4.0), ((Described(5.0, "a graph of five"),), 10.0)]
    ex = Exercise("double", cases=cases, run=lambda fn, g: fn(g.value), detail=("graph", lambda g: g.text))
    assert check(ex, lambda x: 2 * x, capsys)[0] is True
    result, out = check(ex, lambda x: x + 2, capsys)
    assert result is False
    assert ("Case 2 fails:\n  inputs    f(G)\n  graph     a graph of five\n  expected  10.0\n"
            "  got       7.0\n") in out
    assert "<th style=\"text-align: left; padding-right: 1em;\">graph</th>" in ex.feedback(lambda x: x + 2).html()


def test_computed_cases_take_expected_values_from_a_reference():
    assert computed_cases(lambda a, b: a * b, [(2.0, 3.0), (1.0, -1.0)]) == [((2.0, 3.0), 6.0), ((1.0, -1.0), -1.0)]
    assert computed_cases(len, [[1, 2]]) == [(([1, 2],), 2)]     # not a tuple: the one argument
    assert computed_cases(abs, [-2.0]) == [((-2.0,), 2.0)]
    with pytest.raises(TypeError, match="expected must be a function"):
        computed_cases(3, [1.0])


def test_a_formula_calls_its_function_and_shows_its_text(capsys):
    cube = Formula("x ↦ x³", lambda x: x ** 3, gradient=lambda x: [3 * x * x])
    assert cube(2.0) == 8.0 and cube.gradient(2.0) == [12.0] and cube.hessian is None
    assert repr(cube) == "x ↦ x³"
    ex = Exercise("apply", cases=[((cube, 2.0), 8.0)])
    result, out = check(ex, lambda f, x: f(x) + 1, capsys)
    assert "  inputs    f(x ↦ x³, 2.0)\n" in out
    with pytest.raises(TypeError, match="text must be a non-empty str"):
        Formula("", abs)
    with pytest.raises(TypeError, match="fn must be a function"):
        Formula("x", 3)
    with pytest.raises(TypeError, match="hessian must be a function"):
        Formula("x", abs, hessian=[[0.0]])


# ----------------------------------------------------------------------
# Bad arguments
# ----------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, error, words", [
    (dict(title=""), TypeError, "title must be a non-empty str"),
    (dict(title=3), TypeError, "title must be a non-empty str, got int 3"),
    (dict(cases=[]), ValueError, "cases is empty"),
    (dict(cases=5), TypeError, "cases must be a list of (args, expected) pairs"),
    (dict(cases="abc"), TypeError, "cases must be a list"),
    (dict(cases=[(1, 2, 3)]), TypeError, "case 1 must be a pair (args, expected), got tuple (1, 2, 3)"),
    (dict(cases=[((1,), 1), 7]), TypeError, "case 2 must be a pair"),
    (dict(hints="one long hint"), TypeError, "hints must be a list or tuple of str"),
    (dict(hints=("ok", 2)), TypeError, "every hint must be a non-empty str, got int 2"),
    (dict(solution=slope), TypeError, "solution must be the code as a str"),
    (dict(compare="isclose"), TypeError, "compare must be a function"),
    (dict(run="fn(x)"), TypeError, "run must be a function run(fn, *args)"),
    (dict(detail="graph"), TypeError, "detail must be a pair (label, describe)"),
    (dict(detail=("graph", "text")), TypeError, "detail must be a pair"),
    (dict(rel_tol=-1e-3), ValueError, "Exercise: rel_tol must be >= 0"),
    (dict(abs_tol="0.1"), TypeError, "Exercise: abs_tol must be a real number"),
])
def test_bad_exercise_arguments(kwargs, error, words):
    options = dict(title=TITLE, cases=[((0.0,), 0.0)])
    options.update(kwargs)
    with pytest.raises(error) as raised:
        Exercise(**options)
    assert words in str(raised.value)


def test_check_needs_a_function():
    with pytest.raises(TypeError, match=r"check needs your function itself, as in ex.check\(slope\).*got float 6.0"):
        make().check(slope(3.0))


def test_cases_from_a_function_are_checked_when_made():
    with pytest.raises(ValueError, match="cases is empty"):
        Exercise("none", cases=lambda: []).check(slope)
    with pytest.raises(TypeError, match="case 1 must be a pair"):
        Exercise("bad", cases=lambda: [3]).check(slope)
