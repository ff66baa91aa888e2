"""Issue 14, "Hint ladders": hints lead, and only the last rung gives the answer.

A hint may name the idea, the formula, the shape of the loop in words, an
API (`topological_order`, `jvp`), or a small piece of an expression; none
may hold a whole line of its exercise's solution code: that line is the
answer, and the learner who clicks "Hint 2" has not asked for it.

A line of a solution counts when it is not trivial: its code (comments
dropped, all whitespace removed) is not a ``def`` or ``import`` line, a bare
keyword (``else:``, ``continue``) or a ``return`` of a plain name. A hint
holds it when the hint's text, with backticks and whitespace removed, has
that code in it.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import pytest

from widgets.exercise import Exercise

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "notebooks"))  # the lessons import their exercises as `exercises`

LESSONS = [f"lesson{n:02d}" for n in range(1, 14)]
TRIVIAL = re.compile(r"(def|import|from|class)\b.*|(else|try|finally|continue|break|pass)\b:?|return\w*|"
                     r"return(True|False|None)|\w+\(\):?|[)\]}]+:?")


def code_of(line: str) -> str:
    """A line of code without its comment and without any whitespace."""
    return re.sub(r"\s+", "", re.sub(r"#.*", "", line))


def answer_lines(solution: str) -> list[str]:
    """The non-trivial lines of a solution, as `code_of` gives them."""
    found = []
    for line in solution.splitlines():
        code = code_of(line)
        if code and not TRIVIAL.fullmatch(code) and not line.lstrip().startswith(("def ", "import ", "from ")):
            found.append(code)
    return found


def given_away(hint: str, solution: str) -> list[str]:
    """The lines of ``solution`` that ``hint`` holds."""
    text = re.sub(r"\s+", "", hint.replace("`", ""))
    return [code for code in answer_lines(solution) if code in text]


def exercises() -> list:
    found = []
    for module in LESSONS:
        for name, ex in vars(importlib.import_module(f"exercises.{module}")).items():
            if isinstance(ex, Exercise):
                found.append(pytest.param(ex, id=f"{module}.{name}"))
    return found


def test_given_away_finds_a_line_of_the_solution_in_a_hint():
    solution = "def f(x):\n    t = math.tanh(x)   # the value\n    return upstream * (1 - t ** 2)\n    return t"
    assert answer_lines(solution) == ["t=math.tanh(x)", "returnupstream*(1-t**2)"]
    assert given_away("Then `return upstream * (1 - t**2)`", solution) == ["returnupstream*(1-t**2)"]
    assert given_away("With `t = math.tanh(x)`, the slope is 1 − t².", solution) == ["t=math.tanh(x)"]
    assert given_away("Multiply `upstream` by the local derivative 1 − tanh².", solution) == []
    assert given_away("return t", solution) == []                 # a return of a name is no answer


@pytest.mark.parametrize("ex", exercises())
def test_no_hint_holds_a_line_of_the_solution(ex):
    assert ex.solution and ex.hints
    leaks = [(k, code) for k, hint in enumerate(ex.hints, 1) for code in given_away(hint, ex.solution)]
    assert leaks == [], f"{ex.title}: hint(s) give solution lines away: {leaks}"


def returned_code(hint: str) -> list[str]:
    """The code spans of ``hint`` that return an expression: a whole answer line, whatever its spelling."""
    return [code for code in re.findall(r"`([^`]*)`", hint)
            if re.match(r"\s*return\b", code) and not re.fullmatch(r"\s*return(\s+\w+)?\s*", code)]


def test_returned_code_finds_a_return_of_an_expression():
    assert returned_code("`return upstream * (1 - math.tanh(x) ** 2)`") == [
        "return upstream * (1 - math.tanh(x) ** 2)"]
    assert returned_code("Hand it back with `return`, or `return order`.") == []


@pytest.mark.parametrize("ex", exercises())
def test_no_hint_returns_an_expression_in_code(ex):
    assert [(k, code) for k, hint in enumerate(ex.hints, 1) for code in returned_code(hint)] == []


@pytest.mark.parametrize("ex", exercises())
def test_the_ladder_ends_with_the_solution(ex):
    assert ex.rungs[-1][1] == "Solution" and ex.rungs[-1][2] == ex.solution
    assert len(ex.hints) >= 2
