"""`Exercise`: a lesson exercise with immediate feedback and a hint ladder.

A lesson has a cell the learner fills in, with the solution between
nbgrader's markers (``make student`` replaces it with a stub: see
tools/make_student.py), and a check cell::

    def slope(x):
        ### BEGIN SOLUTION
        return 2 * x
        ### END SOLUTION

    ex_slope.check(slope)

The exercise itself::

    ex_slope = Exercise(
        "2.1 · The derivative of x²",
        cases=[((0.0,), 0.0), ((3.0,), 6.0), ((-1.5,), -3.0)],
        hints=("The derivative of xⁿ is n·xⁿ⁻¹.", "With n = 2 that is 2·x."),
        solution="def slope(x):\\n    return 2 * x",
    )

Define exercises where the lesson's cells don't show them (a module the
notebook imports): a student copy keeps every cell outside the markers, so a
``solution=`` written in a cell would be there for all to read.

What is checked
---------------
`check` calls *the learner's function* on every case and compares what it
returns with the case's expected value. The solution text is only ever shown,
never run. Expected values come from the cases: written out by hand, derived
from the maths, or computed by an independent reference implementation when
``cases`` is a function, which `check` calls afresh each time (so cases may
hold Vars that a learner's ``backward()`` changes).

A case is ``(args, expected)``. A tuple ``args`` is the positional arguments;
anything else is the one argument (so a function of one tuple takes
``((pair,), expected)``). Each call gets a deep copy of the arguments: a
learner's function that changes its inputs cannot spoil the next case or the
inputs shown.

Comparing (`matches`, the default ``compare``)
----------------------------------------------
* numbers (int, float, numpy's; not bool) are equal when
  ``|got − expected| ≤ abs_tol + rel_tol·|expected|``: by default
  ``abs_tol = 1e-9`` and ``rel_tol = 1e-6`` (`ABS_TOL`, `REL_TOL`; set them
  per exercise). Two nans are equal, and infinities equal themselves;
* lists and tuples (either for either), element by element, same length;
  dicts: the same keys, values compared; numpy arrays: the same shape and
  every element close;
* everything else (str, bool, None, ...) with ``==``: exactly.

``compare=`` replaces this with any ``compare(got, expected) -> bool``; a
compare that raises counts as a mismatch and says why.

Calling through ``run``, and a row of detail
--------------------------------------------
Some functions can't be compared as they are: they take Vars, or change a
graph, or their worth is in the gradients they produce. ``run=`` is then how
`check` calls the learner's function: ``run(fn, *args)`` instead of
``fn(*args)``, and what ``run`` returns is compared with the expected value.
``run`` prepares the arguments (plain numbers into fresh Vars, say), calls
``fn`` and turns what happened into plain values (its value, the gradients
after ``backward()``). The counterexample still names the learner's function,
and an error is still traced to the line of the learner's code.

``detail=(label, describe)`` adds a row to a counterexample, under the
inputs: ``label`` and ``describe(*args)`` of the failing case, for inputs
whose repr is short (``L``) but whose meaning takes a sentence.

`computed_cases(expected, inputs)` makes the cases from a reference:
``(args, expected(*args))`` for each input.

`Formula`: a function of test cases that shows itself as its formula, so a
counterexample reads ``central_difference(x ↦ x³, 2.0, 0.1)`` rather than
``<function <lambda>>``.

What `check` shows, and returns
-------------------------------
True when every case passes, else False. It also shows the verdict:

* ``✓ Right: all 3 cases pass.``
* ``✗ Not yet: 2 of 3 cases pass. Case 3 fails:`` and the counterexample
  (inputs, expected, got), with a note when the function returned None, a
  Var or other non-number where a number was expected, or raised an error
  (which error, and the line of the learner's code it came from);
* ``✎ Not done yet: ...`` when the learner's function raises
  NotImplementedError, as the stub of a student copy does.

When not right, a hint ladder follows: buttons *Hint 1*, *Hint 2*, ...,
*Show the solution*, each shown after the one before (ipywidgets). Where
widgets don't run, the ladder is HTML ``<details>`` nested in that order
(nbviewer, GitHub, nbconvert), and in plain text (a terminal, plain Python)
`Exercise.hint` reveals one rung per call.

Withheld solutions (student copies for a graded course)
-------------------------------------------------------
``make student`` rewrites the exercise modules it ships beside the student
notebooks (`autodiff_kit.student.student_exercise_module`): each
``solution="..."`` becomes ``solution=WITHHELD``, and each hint that contains
a line of that solution becomes ``WITHHELD_HINT``. `WITHHELD` is a marker,
not a text: such an exercise keeps no solution at all (``ex.solution`` is
None, ``ex.solution_withheld`` is True), and the last rung of its ladder,
*Where is the solution?*, says plainly that the instructor has the
solutions (and how many hints were withheld with them). `WITHHELD_HINT` is
an ordinary hint whose text says that it was withheld. The self-study
lessons in ``notebooks/`` keep the full ladder.

The text/plain and text/html forms depend only on the exercise and on what
the learner's code returned: no object addresses (they are removed from
reprs and messages), times or ids, so an executed notebook shows the same
output every run (nbval compares them; it skips the widget's own mimetype).
A check cell ending in ``ex_slope.check(slope)`` also shows the True or
False it returns. Don't hide it with ``;``: nbval runs cells without
history, where ``;`` hides nothing, so its output would differ from the saved
one (assign instead, ``ok = ex_slope.check(slope)``, if it must go).
"""

from __future__ import annotations

import copy
import html
import math
import re
import reprlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence, Union

import ipywidgets

from autodiff.arguments import is_real, non_negative, type_and_value

from .text import plural

__all__ = ["Exercise", "Feedback", "CheckInterrupted", "Formula", "HintLadder", "computed_cases", "matches", "REL_TOL", "ABS_TOL", "NOT_DONE",
           "WITHHELD", "WITHHELD_HINT", "WITHHELD_TEXT"]

REL_TOL = 1e-6
ABS_TOL = 1e-9

NOT_DONE = ("Not done yet: write your code where it says YOUR CODE HERE, run that cell, "
            "then run this one again.")



class _Withheld:
    """The type of `WITHHELD`: one marker, the same object after any copy."""

    def __repr__(self) -> str:
        return "WITHHELD"

    def __copy__(self) -> "_Withheld":
        return self

    def __deepcopy__(self, memo: dict) -> "_Withheld":
        return self

    def __reduce__(self) -> str:
        return "WITHHELD"  # pickles as the module's own marker


WITHHELD = _Withheld()
"""``Exercise(..., solution=WITHHELD)``: the solution is withheld from this copy (a graded course's)."""

WITHHELD_HINT = ("Withheld in this copy: this hint shows part of the solution. "
                 "Your instructor has the solutions.")
"""The text of a hint withheld from a student copy because it shows part of the solution."""

WITHHELD_TEXT = ("The solutions are not in this copy of the lesson: it is for a graded course, "
                 "and your instructor has them.")
"""What the last rung of a withheld solution's ladder says."""

WITHHELD_LABEL = "Where is the solution?"
"""The label of that rung's button and <summary>."""

Case = tuple[Any, Any]
Cases = Union[Sequence[Case], Callable[[], Iterable[Case]]]

# (border, background) of the verdict box, as in stepper.css
COLOURS = {"right": ("#2e7d32", "#eef8ec"), "wrong": ("#c62828", "#fdf1f0"),
           "not done": ("#e07b00", "#fff8ec"), "interrupted": ("#616161", "#f4f4f4")}
MARKS = {"right": "✓", "wrong": "✗", "not done": "✎", "interrupted": "■"}
EXIT_NOTE = ("exit() and sys.exit() stop the whole program, not just your function: "
             "return a value instead.")

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_REPR = reprlib.Repr()
_REPR.maxstring, _REPR.maxother, _REPR.maxlist, _REPR.maxtuple, _REPR.maxdict = 80, 80, 8, 8, 8


def _show(value: Any) -> str:
    """A short repr, without object addresses (they change every run)."""
    return _ADDRESS.sub("", _REPR.repr(value))


# ----------------------------------------------------------------------
# Functions for test cases
# ----------------------------------------------------------------------
class Formula:
    """A function for test cases that shows itself as its formula: ``Formula("x ↦ x³", lambda x: x**3)``.

    Calling it calls ``fn``; its repr is ``text``, so a counterexample reads
    ``f(x ↦ x³, 2.0)``. ``gradient`` and ``hessian``, when given, are its
    derivatives worked out by hand (functions of the same arguments), for
    computing expected values without the engine.
    """

    def __init__(self, text: str, fn: Callable[..., Any], gradient: Optional[Callable[..., Any]] = None,
                 hessian: Optional[Callable[..., Any]] = None) -> None:
        if not isinstance(text, str) or not text.strip():
            raise TypeError(f"Formula: text must be a non-empty str, got {type_and_value(text)}")
        if not callable(fn):
            raise TypeError(f"Formula: fn must be a function, got {type_and_value(fn)}")
        for name, value in (("gradient", gradient), ("hessian", hessian)):
            if value is not None and not callable(value):
                raise TypeError(f"Formula: {name} must be a function (or None), got {type_and_value(value)}")
        self.text, self.fn = text, fn
        self.gradient, self.hessian = gradient, hessian

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args)

    def __repr__(self) -> str:
        return self.text


def computed_cases(expected: Callable[..., Any], inputs: Iterable[Any]) -> list[Case]:
    """Cases whose expected values a reference computes: ``(args, expected(*args))`` per input.

    An input that is a tuple is the positional arguments; anything else is
    the one argument, as in a case.
    """
    if not callable(expected):
        raise TypeError(f"computed_cases: expected must be a function, got {type_and_value(expected)}")
    cases = []
    for given in inputs:
        args = given if isinstance(given, tuple) else (given,)
        cases.append((args, expected(*args)))
    return cases


# ----------------------------------------------------------------------
# Comparing
# ----------------------------------------------------------------------
def matches(got: Any, expected: Any, *, rel_tol: float = REL_TOL, abs_tol: float = ABS_TOL) -> bool:
    """The default comparison: numbers within tolerance, containers element by element, else ==."""
    if is_real(expected) and is_real(got):
        g, e = float(got), float(expected)
        if math.isnan(g) or math.isnan(e):
            return math.isnan(g) and math.isnan(e)
        if math.isinf(g) or math.isinf(e):
            return g == e
        return abs(g - e) <= abs_tol + rel_tol * abs(e)
    if _is_array(expected) or _is_array(got):
        import numpy as np
        try:
            g, e = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
        except (TypeError, ValueError):
            return False
        return g.shape == e.shape and bool(np.allclose(g, e, rtol=rel_tol, atol=abs_tol, equal_nan=True))
    if isinstance(expected, (list, tuple)):
        return (isinstance(got, (list, tuple)) and len(got) == len(expected)
                and all(matches(g, e, rel_tol=rel_tol, abs_tol=abs_tol) for g, e in zip(got, expected)))
    if isinstance(expected, dict):
        return (isinstance(got, dict) and got.keys() == expected.keys()
                and all(matches(got[k], expected[k], rel_tol=rel_tol, abs_tol=abs_tol) for k in expected))
    if isinstance(expected, bool) or isinstance(got, bool):
        return type(got) is type(expected) and got == expected
    if is_real(expected) or is_real(got):  # a number and a non-number (a Var's == refuses a number)
        return False
    return bool(got == expected)


def _is_array(value: Any) -> bool:
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.ndarray)


def _type_note(got: Any, expected: Any) -> str:
    """A word on a returned value of the wrong kind, the commonest slip."""
    if got is None and expected is not None:
        return "Your function returned None: did you forget `return`?"
    if is_real(expected) and not is_real(got):
        data = getattr(got, "data", None)
        if is_real(data):
            return (f"Your function returned a {type(got).__name__}, not a number: "
                    f"did you mean its .data ({_show(data)})?")
        return f"Your function returned a {type(got).__name__}, not a number."
    return ""


# ----------------------------------------------------------------------
# The verdict
# ----------------------------------------------------------------------
@dataclass(frozen=True)
class Feedback:
    """The outcome of checking a function: what `Exercise.check` shows.

    ``status`` is "right", "wrong" or "not done"; ``rows`` the counterexample
    as (label, text) pairs (inputs, expected, got); ``note`` one more line.
    """

    exercise: "Exercise"
    status: str
    passed: int
    total: int
    failed_case: int = 0            # 1-based number of the case shown, 0 if none
    rows: tuple[tuple[str, str], ...] = ()
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "right"

    @property
    def headline(self) -> str:
        mark = MARKS[self.status]
        if self.status == "right":
            return f"{mark} Right: " + ("the one case passes." if self.total == 1
                                        else f"all {self.total} cases pass.")
        if self.status == "not done":
            return f"{mark} {NOT_DONE}"
        if self.status == "interrupted":
            return (f"{mark} Interrupted at case {self.failed_case} of {self.total} "
                    f"({self.passed} passed before it): the check stopped there. "
                    "Run this cell again to check again.")
        return (f"{mark} Not yet: {self.passed} of {plural(self.total, 'case')} "
                f"{'passes' if self.passed == 1 else 'pass'}. Case {self.failed_case} fails:")

    def text(self) -> str:
        """The verdict as plain text (terminals, and the text/plain fallback)."""
        lines = [self.exercise.title, self.headline]
        lines += [f"  {label:<9} {value}" for label, value in self.rows]
        if self.note:
            lines.append(self.note)
        steps = self.exercise.ladder_steps()
        if self.status in ("wrong", "not done") and steps:
            lines.append(f"Stuck? Each call of .hint() on this exercise shows the next step: {steps}.")
        return "\n".join(lines)

    def html(self, ladder: bool = True) -> str:
        """The verdict as HTML; with ``ladder``, the hints as nested <details> (no JavaScript)."""
        border, background = COLOURS[self.status]
        box = (f"border-left: 4px solid {border}; background: {background}; "
               "padding: 6px 12px; margin: 4px 0; border-radius: 6px;")
        parts = [f'<div class="ad-exercise" style="{box}">',
                 f"<div><b>{html.escape(self.exercise.title)}</b></div>",
                 f"<div>{html.escape(self.headline)}</div>"]
        if self.rows:
            parts.append('<table style="margin: 4px 0;">')
            parts += [f'<tr><th style="text-align: left; padding-right: 1em;">{label}</th>'
                      f'<td style="text-align: left;"><code>{html.escape(value)}</code></td></tr>'
                      for label, value in self.rows]
            parts.append("</table>")
        if self.note:
            parts.append(f"<div>{_inline_html(self.note)}</div>")
        if ladder and self.status in ("wrong", "not done"):
            parts.append(_details(self.exercise.rungs))
        parts.append("</div>")
        return "".join(parts)

    def widget(self) -> "HintLadder":
        """The verdict with the hint ladder as ipywidgets buttons."""
        return HintLadder(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        data = {}
        if self.status in ("wrong", "not done") and self.exercise.rungs and _in_kernel():
            data.update(self.widget()._repr_mimebundle_())
        data["text/plain"] = self.text()
        data["text/html"] = self.html()
        return data

    def __str__(self) -> str:
        return self.text()


def _inline_html(text: str) -> str:
    """Escaped text with `code` spans as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))


def _rung_body(heading: str, text: str) -> str:
    """A hint as a paragraph, the solution as code."""
    if heading == "Solution":
        return f"<pre>{html.escape(text)}</pre>"
    return f'<div style="white-space: pre-wrap;">{_inline_html(text)}</div>'


def _details(rungs: Sequence[tuple[str, str, str]]) -> str:
    """The ladder as <details>, each inside the one before: opened in order only."""
    if not rungs:
        return ""
    (label, heading, text), rest = rungs[0], rungs[1:]
    return f"<details><summary>{label}</summary>{_rung_body(heading, text)}{_details(rest)}</details>"


def _in_kernel() -> bool:
    """True in a Jupyter kernel (where widgets can show), False in a terminal or plain Python."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def _display(feedback: Feedback) -> None:
    ipython = sys.modules.get("IPython")
    if ipython is not None and ipython.get_ipython() is not None:
        from IPython.display import display
        display(feedback)
    else:
        print(feedback.text())


# ----------------------------------------------------------------------
# The hint ladder as widgets
# ----------------------------------------------------------------------
class HintLadder(ipywidgets.VBox):
    """The verdict, the rungs revealed so far, and one button for the next rung.

    The button reads "Hint 1", then "Hint 2", ..., then "Show the solution",
    and goes away once everything is shown. How far the learner has gone is
    kept on the exercise (``revealed``), shared with `Exercise.hint`, so a new
    check starts where the last one stopped.
    """

    def __init__(self, feedback: Feedback) -> None:
        self.exercise = feedback.exercise
        self.shown = ipywidgets.HTMLMath("")
        self.button = ipywidgets.Button(button_style="info")
        self.button.on_click(lambda _button: self.reveal())
        super().__init__([ipywidgets.HTML(feedback.html(ladder=False)), self.shown, self.button])
        self._refresh()

    def reveal(self) -> None:
        """What a click does: show the next rung."""
        self.exercise.revealed = min(self.exercise.revealed + 1, len(self.exercise.rungs))
        self._refresh()

    def _refresh(self) -> None:
        rungs, revealed = self.exercise.rungs, self.exercise.revealed
        self.shown.value = "".join(f"<div><b>{heading}</b>{_rung_body(heading, text)}</div>"
                                   for _, heading, text in rungs[:revealed])
        if revealed < len(rungs):
            self.button.description = rungs[revealed][0]
        else:
            self.button.layout.display = "none"


# ----------------------------------------------------------------------
# The exercise
# ----------------------------------------------------------------------
class Exercise:
    """An exercise: cases to check a learner's function against, hints and a solution.

    * ``title``: shown above every verdict.
    * ``cases``: a list of ``(args, expected)``, or a function returning one
      (called afresh by every check).
    * ``hints``: texts revealed one at a time (`code` in backticks is shown
      as code); ``solution``: the reference code, shown last, never run;
      or `WITHHELD` in a student copy: then ``solution`` is None,
      ``solution_withheld`` is True, and the last rung says that the
      instructor has the solutions.
    * ``compare(got, expected) -> bool``: replaces `matches`;
      ``rel_tol``, ``abs_tol``: `matches`'s tolerances for numbers.
    * ``run(fn, *args)``: how the learner's ``fn`` is called on a case's
      arguments (default ``fn(*args)``); what it returns is compared.
    * ``detail``: ``(label, describe)``, a row under the inputs of a
      counterexample with the text ``describe(*args)`` of the failing case.

    After a check, ``passed`` is its result (None before any) and
    ``revealed`` how many rungs of the ladder have been shown.
    """

    def __init__(self, title: str, cases: Cases, hints: Sequence[str] = (),
                 solution: Optional[str] = None, *, compare: Optional[Callable[[Any, Any], bool]] = None,
                 rel_tol: float = REL_TOL, abs_tol: float = ABS_TOL,
                 run: Optional[Callable[..., Any]] = None,
                 detail: Optional[tuple[str, Callable[..., str]]] = None) -> None:
        if not isinstance(title, str) or not title.strip():
            raise TypeError(f"Exercise: title must be a non-empty str, got {type_and_value(title)}")
        if isinstance(hints, str) or not isinstance(hints, (list, tuple)):
            raise TypeError("Exercise: hints must be a list or tuple of str, such as "
                            f"hints=('first hint', 'second hint'), got {type_and_value(hints)}")
        for hint in hints:
            if not isinstance(hint, str) or not hint.strip():
                raise TypeError(f"Exercise: every hint must be a non-empty str, got {type_and_value(hint)}")
        withheld = solution is WITHHELD
        if withheld:
            solution = None
        if solution is not None and not isinstance(solution, str):
            raise TypeError("Exercise: solution must be the code as a str (or None, or WITHHELD), "
                            f"got {type_and_value(solution)}")
        if compare is not None and not callable(compare):
            raise TypeError("Exercise: compare must be a function compare(got, expected), "
                            f"got {type_and_value(compare)}")
        if run is not None and not callable(run):
            raise TypeError("Exercise: run must be a function run(fn, *args), "
                            f"got {type_and_value(run)}")
        if detail is not None and not (isinstance(detail, tuple) and len(detail) == 2
                                       and isinstance(detail[0], str) and callable(detail[1])):
            raise TypeError("Exercise: detail must be a pair (label, describe), such as "
                            f"detail=('graph', lambda g: g.text), got {type_and_value(detail)}")
        self.title = title
        self.rel_tol = non_negative(rel_tol, "Exercise: rel_tol")
        self.abs_tol = non_negative(abs_tol, "Exercise: abs_tol")
        if callable(cases):
            self._cases: Cases = cases
        else:
            self._cases = self._valid_cases(cases)
        self.hints = tuple(hints)
        self.solution = solution
        self.solution_withheld = withheld
        self.compare = compare
        self.run = run
        self.detail = detail
        self.revealed = 0
        self.passed: Optional[bool] = None

    @staticmethod
    def _valid_cases(cases: Any) -> list[Case]:
        if isinstance(cases, (str, bytes, dict)) or not isinstance(cases, Iterable):
            raise TypeError("Exercise: cases must be a list of (args, expected) pairs or a function "
                            f"returning one, got {type_and_value(cases)}")
        cases = list(cases)
        if not cases:
            raise ValueError("Exercise: cases is empty: give at least one (args, expected) pair")
        for i, case in enumerate(cases, 1):
            if not isinstance(case, (tuple, list)) or len(case) != 2:
                raise TypeError(f"Exercise: case {i} must be a pair (args, expected), "
                                f"got {type_and_value(case)}")
        return [tuple(case) for case in cases]

    @property
    def cases(self) -> list[Case]:
        """The cases, made now if ``cases`` is a function."""
        return self._valid_cases(self._cases()) if callable(self._cases) else list(self._cases)

    @property
    def rungs(self) -> tuple[tuple[str, str, str], ...]:
        """The ladder: (button label, heading, text) for each hint, then the solution.

        With the solution withheld, the last rung is (`WITHHELD_LABEL`,
        "The solution", `withheld_note`) instead.
        """
        rungs = [(f"Hint {i}", f"Hint {i}", hint) for i, hint in enumerate(self.hints, 1)]
        if self.solution is not None:
            rungs.append(("Show the solution", "Solution", self.solution))
        elif self.solution_withheld:
            rungs.append((WITHHELD_LABEL, "The solution", self.withheld_note()))
        return tuple(rungs)

    def withheld_note(self) -> str:
        """`WITHHELD_TEXT`, and how many of the hints were withheld with the solution."""
        hidden = sum(hint == WITHHELD_HINT for hint in self.hints)
        if not hidden:
            return WITHHELD_TEXT
        if hidden == 1:
            return f"{WITHHELD_TEXT} 1 hint was withheld too: it showed part of the solution."
        return f"{WITHHELD_TEXT} {hidden} hints were withheld too: they showed parts of the solution."

    def ladder_steps(self) -> str:
        """The ladder in words: 'hint 1, then hint 2, then the solution'."""
        steps = [f"hint {i}" for i in range(1, len(self.hints) + 1)]
        steps += ["the solution"] if self.solution is not None else []
        steps += ["where the solution is"] if self.solution_withheld else []
        return ", then ".join(steps)

    def same(self, got: Any, expected: Any) -> bool:
        """Does ``got`` count as ``expected``? (``compare``, or `matches` with this exercise's tolerances.)"""
        if self.compare is not None:
            return bool(self.compare(got, expected))
        return matches(got, expected, rel_tol=self.rel_tol, abs_tol=self.abs_tol)

    # ------------------------------------------------------------------
    def feedback(self, fn: Callable) -> Feedback:
        """Run ``fn`` on every case and say how it did, without showing anything."""
        if not callable(fn):
            raise TypeError("check needs your function itself, as in ex.check(slope) (not "
                            f"ex.check(slope(3))): got {type_and_value(fn)}")
        cases = self.cases
        name = getattr(fn, "__name__", "")
        name = name if name.isidentifier() else "f"
        call = fn if self.run is None else (lambda *args: self.run(fn, *args))
        passed, first = 0, None
        for number, (args, expected) in enumerate(cases, 1):
            call_args = args if isinstance(args, tuple) else (args,)
            try:
                given = copy.deepcopy(call_args)
            except Exception:
                given = call_args
            inputs = f"{name}({', '.join(_show(a) for a in call_args)})"
            try:
                got = call(*given)
            except NotImplementedError:
                return Feedback(self, "not done", passed, len(cases))
            except KeyboardInterrupt:
                raise CheckInterrupted(Feedback(self, "interrupted", passed, len(cases), number)) from None
            except BaseException as error:  # SystemExit (exit()) too: it is the learner's error like any other
                if first is None:
                    where = _where(error, fn)
                    note = f"Your code raised {type(error).__name__}{where} on case {number}."
                    if isinstance(error, SystemExit):
                        note += " " + EXIT_NOTE
                    first = (number, call_args, inputs, expected, f"{type(error).__name__}: {_message(error)}",
                             note)
                continue
            try:
                ok, note = self.same(got, expected), ""
            except Exception as error:
                ok, note = False, (f"The checker could not compare what your function returned: "
                                   f"{type(error).__name__}: {_message(error)}")
            if ok:
                passed += 1
            elif first is None:
                first = (number, call_args, inputs, expected, _show(got), note or _type_note(got, expected))
        if first is None:
            return Feedback(self, "right", passed, len(cases))
        number, call_args, inputs, expected, got_text, note = first
        rows = [("inputs", inputs)]
        if self.detail is not None:
            label, describe = self.detail
            rows.append((label, describe(*call_args)))
        rows += [("expected", _show(expected)), ("got", got_text)]
        return Feedback(self, "wrong", passed, len(cases), number, tuple(rows), note)

    def check(self, fn: Callable) -> bool:
        """Check the learner's function ``fn`` on every case, show the verdict, return True if right.

        Interrupting the kernel while the learner's function runs (an endless
        loop, say) stops the check with an "Interrupted at case n" verdict
        instead of a traceback; `feedback` raises `CheckInterrupted` then.
        """
        try:
            feedback = self.feedback(fn)
        except CheckInterrupted as interrupted:
            feedback = interrupted.feedback
        self.passed = feedback.ok
        _display(feedback)
        return feedback.ok

    def hint(self) -> None:
        """Print the next rung of the ladder: hint 1, hint 2, ..., then the solution."""
        rungs = self.rungs
        if not rungs:
            print("This exercise has no hints.")
            return
        self.revealed = min(self.revealed + 1, len(rungs))
        _, heading, text = rungs[self.revealed - 1]
        if heading == "Solution":
            print(f"Solution:\n{text}")
            return
        if heading == "The solution":  # withheld
            print(text)
            return
        print(f"{heading} of {len(self.hints)}: {text}")
        if self.revealed < len(rungs):
            after = rungs[self.revealed][1]
            print(f"(.hint() again for {self._next_step(after)})")

    @staticmethod
    def _next_step(heading: str) -> str:
        """What ``.hint()`` shows next, in words: 'hint 2', 'the solution', 'where the solution is'."""
        return {"Solution": "the solution", "The solution": "where the solution is"}.get(heading, heading.lower())

    def __repr__(self) -> str:
        cases = "cases from a function" if callable(self._cases) else plural(len(self._cases), "case")
        solution = (", a solution" if self.solution is not None
                    else ", the solution withheld" if self.solution_withheld else "")
        return f"Exercise({self.title!r}, {cases}, {plural(len(self.hints), 'hint')}{solution})"


class CheckInterrupted(KeyboardInterrupt):
    """A KeyboardInterrupt during a check, carrying the "interrupted" `Feedback` (`Exercise.check` shows it)."""

    def __init__(self, feedback: Feedback) -> None:
        super().__init__(feedback.headline)
        self.feedback = feedback


def _message(error: BaseException) -> str:
    text = _ADDRESS.sub("", str(error)).strip()
    return text if len(text) <= 200 else text[:199] + "…"


def _where(error: BaseException, fn: Callable) -> str:
    """' (line 3, in slope)': the innermost line of the file that defines ``fn``."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return ""
    found = ""
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == code.co_filename:
            found = f" (line {tb.tb_lineno}, in {tb.tb_frame.f_code.co_name})"
        tb = tb.tb_next
    return found
