"""tools/make_student.py: student copies lose their solutions and still run top to bottom.

A demo lesson built here has an exercise whose solution sits between the
markers, its check cell, a check of a wrong function, a later cell and an
instructor-only cell tagged "solution". Its student copy must lose the
solution and the tagged cell, keep the rest, and run in a real kernel
without an error, the check saying "Not done yet"; the original must say
"Right". Then every lesson in notebooks/ with solutions gets the same test,
so lessons added later are covered without a change here.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tools" / "make_student.py"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
CELL_TIMEOUT = 120       # seconds, for one cell of a lesson
NOTEBOOK_BUDGET = 300    # seconds, for a whole student copy


def load_tool():
    spec = importlib.util.spec_from_file_location("make_student", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ms = load_tool()

EXERCISE = '''\
from widgets.exercise import Exercise

ex = Exercise(
    "Demo · the derivative of x²",
    cases=[((0.0,), 0.0), ((3.0,), 6.0), ((-1.5,), -3.0)],
    hints=("The derivative of xⁿ is n·xⁿ⁻¹.", "With n = 2 that is `2 * x`."),
    solution="def slope(x):\\n    return 2 * x",
)'''
STUDENT_EXERCISE = '''\
from widgets.exercise import WITHHELD, WITHHELD_HINT  # make student: the solutions are withheld in this copy

from widgets.exercise import Exercise

ex = Exercise(
    "Demo · the derivative of x²",
    cases=[((0.0,), 0.0), ((3.0,), 6.0), ((-1.5,), -3.0)],
    hints=("The derivative of xⁿ is n·xⁿ⁻¹.", "With n = 2 that is `2 * x`."),
    solution=WITHHELD,
)'''
SOLUTION_CELL = '''\
def slope(x):
    """The derivative of x² at x."""
    ### BEGIN SOLUTION
    twice = 2 * x
    return twice
    ### END SOLUTION'''
STUDENT_CELL = '''\
def slope(x):
    """The derivative of x² at x."""
    # YOUR CODE HERE
    raise NotImplementedError()'''
CHECK_CELL = "ex.check(slope)"
WRONG_CELL = "def wrong(x):\n    return x\n\nex.check(wrong)"
LATER_CELL = 'print("the lesson goes on")'


def demo_notebook() -> nbformat.NotebookNode:
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                               "language": "python"},
                                "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}}})
    answered = new_code_cell(SOLUTION_CELL, execution_count=3, outputs=[
        new_output("stream", name="stdout", text="an old output\n")])
    answered.metadata["execution"] = {"iopub.execute_input": "2026-11-26T11:18:59.502069Z"}
    nb.cells = [
        new_markdown_cell("# Demo\nWrite `slope`."),
        new_code_cell(EXERCISE),
        answered,
        new_code_cell(CHECK_CELL),
        new_markdown_cell("Why?\n### BEGIN SOLUTION\nBecause 2x.\n### END SOLUTION\n"),
        new_code_cell('print("instructor only")', metadata={"tags": ["solution"]}),
        new_code_cell(WRONG_CELL, metadata={"tags": ["keep-me"]}),
        new_code_cell(LATER_CELL),
    ]
    return nb


def execute(nb: nbformat.NotebookNode, cwd: Path) -> nbformat.NotebookNode:
    """Run every cell, top to bottom, in a fresh python3 kernel; an error in a cell fails the test."""
    nb = nbformat.from_dict(nb)
    NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def texts(cell) -> str:
    """What a cell shows as text: its streams and the text/plain of its results."""
    return "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in cell.outputs)


# ----------------------------------------------------------------------
# Taking solutions out
# ----------------------------------------------------------------------
def test_a_solution_becomes_nbgraders_stub_at_its_indentation():
    source, regions, top_level = ms.strip_solutions(SOLUTION_CELL, ms.CODE_STUB)
    assert (source, regions, top_level) == (STUDENT_CELL, 1, [])


def test_several_regions_and_the_lines_around_them_are_kept():
    source = ("import math\n"
              "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"
              "\nclass G:\n    def g(self):\n        ### BEGIN SOLUTION\n        return 1\n        ### END SOLUTION\n"
              "print(f(1))\n")
    out, regions, _ = ms.strip_solutions(source, ms.CODE_STUB)
    assert regions == 2
    assert out == ("import math\n"
                   "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
                   "\nclass G:\n    def g(self):\n        # YOUR CODE HERE\n        raise NotImplementedError()\n"
                   "print(f(1))\n")


def test_a_top_level_solution_is_reported():
    _, _, top_level = ms.strip_solutions("x = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION\n", ms.CODE_STUB)
    assert top_level == [2]
    nb = new_notebook(cells=[new_code_cell("### BEGIN SOLUTION\ny = 2\n### END SOLUTION")])
    _, _, warnings = ms.student_notebook(nb, "demo.ipynb")
    assert warnings == ["demo.ipynb, cell 1, line 1: a solution at the top level of a cell; the student "
                        "copy stops there with NotImplementedError. Put it inside a function."]


@pytest.mark.parametrize("source, words", [
    ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "line 2: BEGIN SOLUTION without an END SOLUTION"),
    ("def f():\n    return 1\n    ### END SOLUTION\n", "line 3: END SOLUTION without a BEGIN SOLUTION"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n",
     "line 2: BEGIN SOLUTION inside the region opened at line 1"),
])
def test_unpaired_markers_are_an_error_naming_the_place(source, words):
    nb = new_notebook(cells=[new_markdown_cell("intro"), new_code_cell(source)])
    with pytest.raises(ms.MarkerError, match=f"lesson.ipynb, cell 2, {words}"):
        ms.student_notebook(nb, "lesson.ipynb")


def test_the_student_copy_of_the_demo():
    original = demo_notebook()
    before = nbformat.writes(original)
    student, removed, warnings = ms.student_notebook(original, "demo")
    assert nbformat.writes(original) == before                  # the original is untouched
    assert (removed, warnings) == (4, [])              # code, markdown, the tagged cell, the exercise's
    sources = [cell.source for cell in student.cells]
    assert sources == ["# Demo\nWrite `slope`.", STUDENT_EXERCISE, STUDENT_CELL, CHECK_CELL,
                       "Why?\nYOUR ANSWER HERE\n", WRONG_CELL, LATER_CELL]
    everything = nbformat.writes(student)
    for gone in ("BEGIN SOLUTION", "END SOLUTION", "twice", "Because 2x", "instructor only",
                 "an old output", "iopub", "widget-state", "return 2 * x"):
        assert gone not in everything
    for cell in student.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert student.cells[5].metadata["tags"] == ["keep-me"]      # other metadata is kept
    nbformat.validate(student)


def test_every_lesson_gets_a_valid_student_copy_without_solutions_or_outputs(tmp_path, capsys):
    lessons = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert lessons
    for lesson in lessons:
        copy = nbformat.read(ms.make_student_copy(lesson, tmp_path), as_version=4)
        nbformat.validate(copy)
        assert not any(ms.BEGIN.match(line) or ms.END.match(line)
                       for cell in copy.cells for line in cell.source.splitlines())
        assert all(cell.outputs == [] for cell in copy.cells if cell.cell_type == "code")
    assert sorted(p.name for p in tmp_path.iterdir()) == [p.name for p in lessons]


def test_a_student_copy_never_overwrites_its_original(tmp_path):
    path = tmp_path / "lesson.ipynb"
    nbformat.write(demo_notebook(), path)
    with pytest.raises(ValueError, match="would overwrite the original"):
        ms.make_student_copy(path, tmp_path)
    assert "BEGIN SOLUTION" in path.read_text()


def test_the_command_line(tmp_path):
    lessons = tmp_path / "notebooks"
    lessons.mkdir()
    nbformat.write(demo_notebook(), lessons / "05_demo.ipynb")
    out = tmp_path / "student"
    run = subprocess.run([sys.executable, str(SCRIPT), str(lessons), "--out", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"{out / '05_demo.ipynb'}: 4 solutions removed\n"
    assert "BEGIN SOLUTION" not in (out / "05_demo.ipynb").read_text()

    bad = new_notebook(cells=[new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n")])
    nbformat.write(bad, lessons / "06_bad.ipynb")
    run = subprocess.run([sys.executable, str(SCRIPT), str(lessons / "06_bad.ipynb"), "--out", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert "06_bad.ipynb, cell 1, line 2: BEGIN SOLUTION without an END SOLUTION" in run.stderr
    assert not (out / "06_bad.ipynb").exists()


# ----------------------------------------------------------------------
# Exercise modules: every solution withheld (student_exercise_module)
# ----------------------------------------------------------------------
from autodiff_kit.student import StudentCopyError, solution_lines, student_exercise_module  # noqa: E402

MODULE = '''\
"""Exercises of a demo lesson: ex_slope, ex_área (a name that is not ASCII)."""

from __future__ import annotations

from widgets.exercise import Exercise

ex_slope = Exercise(
    "Demo · the derivative of x²",   # not ASCII: ast's columns count bytes
    cases=[((0.0,), 0.0), ((3.0,), 6.0)],
    hints=("The derivative of xⁿ is n·xⁿ⁻¹.", "Write `twice = 2 * x`, then return it."),
    solution=("def slope(x):\\n"
              "    twice = 2 * x\\n"
              "    return twice"),
)

ex_área = Exercise("Demo · área", cases=[((1.0,), 1.0)], hints=["`return x * x`"],
                   solution="def area(x):\\n    return x * x")

ex_none = Exercise("Demo · no solution", cases=[((1,), 1)], solution=None)
'''


def load_module(text: str, tmp_path: Path, name: str = "demo_exercises"):
    path = tmp_path / f"{name}.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_student_module_withholds_every_solution_and_the_hints_that_show_one(tmp_path):
    from widgets.exercise import WITHHELD_HINT

    student = student_exercise_module(MODULE, name="demo_exercises.py")
    assert "twice = 2 * x" not in student and "x * x" not in student
    assert student.count("solution=WITHHELD") == 1 and "solution=(WITHHELD)" in student
    assert '"Write `twice' not in student and "hints=[WITHHELD_HINT]" in student
    assert "The derivative of xⁿ is n·xⁿ⁻¹." in student          # a hint without solution code stays
    assert "solution=None" in student
    # only the solutions, the hints and one import line changed
    assert student.splitlines()[4:6] == ["from widgets.exercise import WITHHELD, WITHHELD_HINT  "
                                         "# make student: the solutions are withheld in this copy", ""]
    module = load_module(student, tmp_path)
    for ex in (module.ex_slope, module.ex_área):
        assert ex.solution is None and ex.solution_withheld
        assert "instructor" in ex.rungs[-1][2] and "1 hint was withheld" in ex.rungs[-1][2]
        assert all("x * x" not in text and "2 * x" not in text for _, _, text in ex.rungs)
    assert module.ex_slope.hints == ("The derivative of xⁿ is n·xⁿ⁻¹.", WITHHELD_HINT)
    assert module.ex_none.solution is None and not module.ex_none.solution_withheld
    assert student_exercise_module(student, name="again") == student   # nothing left to withhold


def test_a_module_without_solutions_is_returned_as_it_is():
    text = '"""Shared helpers."""\n\nX = 1  # Exercise(solution=) in a comment is no call\n'
    assert student_exercise_module(text, name="common.py") == text


def test_the_lines_of_a_solution_that_are_evidence():
    solution = ("def f(x, y):\n    total = 0\n    else:\n"
                "    total += x * y  # the product\n    return total\n    ]\n")
    assert solution_lines(solution) == ["total += x * y  # the product"]       # 12 characters or more
    assert solution_lines(solution, min_chars=6) == [                        # in a hint: 6 or more
        "total = 0", "total += x * y  # the product", "total += x * y", "return total"]
    assert solution_lines("def f(x):\n    return x * x") == ["return x * x"]  # a one-line body: the answer
    assert solution_lines("def f(x):\n    pass") == []                          # under 6 characters


@pytest.mark.parametrize("source, words", [
    ("Exercise('t', [], (), 'def f(): pass')",
     "m.py, line 1: Exercise(...) is given its solution by position"),
    ("SOLUTION = 'x'\nex = Exercise('t', [], solution=SOLUTION)",
     "m.py, line 2: the solution of Exercise(...) is not a string literal"),
    ("ex = Exercise('t', [], solution='x' + 'y')", "m.py, line 1: the solution of Exercise"),
    ("ex = show(solution='def f(): pass')", "m.py, line 1: solution= in a call to show(...), not to an Exercise"),
    ("ex = DescribedExercise('t', hints=HINTS, solution='def f(): pass')",
     "m.py, line 1: the hints of DescribedExercise(...) are not a tuple of string literals"),
    ("WITHHELD = 1\nex = Exercise('t', [], solution='x')", "m.py, line 1: the module already uses the name WITHHELD"),
    ("def f(:\n", "m.py, line 1: not valid Python"),
    ('"""Shows: def f(x): return x * 42"""\nex = Exercise("t", [], solution="def f(x): return x * 42")',
     "m.py, line 1: a string (a docstring, say) holds a whole solution"),
])
def test_a_module_whose_solutions_cannot_be_withheld_is_an_error_naming_it(source, words):
    with pytest.raises(StudentCopyError, match=re.escape(words)):
        student_exercise_module(source, name="m.py")


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_make_student_rewrites_the_exercises_and_copies_no_compiled_file(tmp_path):
    lessons = tmp_path / "lessons"
    (lessons / "exercises" / "__pycache__").mkdir(parents=True)
    nbformat.write(demo_notebook(), lessons / "05_demo.ipynb")
    (lessons / "exercises" / "lesson05.py").write_text(MODULE, encoding="utf-8")
    (lessons / "exercises" / "__init__.py").write_text("")
    (lessons / "exercises" / "data.json").write_text("{}")
    for compiled in ("__pycache__/lesson05.cpython-312.pyc", "lesson05.pyc", "old.pyo"):
        (lessons / "exercises" / compiled).write_bytes(b"twice = 2 * x")
    out = tmp_path / "student"
    (out / "exercises" / "__pycache__").mkdir(parents=True)            # from running an older copy
    (out / "exercises" / "__pycache__" / "lesson05.cpython-312.pyc").write_bytes(b"twice = 2 * x")
    run = subprocess.run([sys.executable, "-m", "autodiff_kit", "student", str(out), "--from", str(lessons)],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert (out / "exercises" / "lesson05.py").stat().st_mode & 0o044 == 0o044 & ~current_umask()
    assert files == ["05_demo.ipynb", "exercises/__init__.py", "exercises/data.json", "exercises/lesson05.py"]
    assert (out / "exercises" / "lesson05.py").read_text() == student_exercise_module(MODULE, name="x")

    (lessons / "exercises" / "lesson05.py").write_text("ex = Exercise('t', [], solution=S)\n")
    run = subprocess.run([sys.executable, "-m", "autodiff_kit", "student", str(out), "--from", str(lessons),
                          "--force"], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 1
    assert "lesson05.py, line 1: the solution of Exercise(...) is not a string literal" in run.stderr
    assert not (out / "exercises" / "lesson05.py").exists()           # no copy left with a solution


def test_the_script_copies_a_folders_exercises_with_the_solutions_withheld(tmp_path):
    lessons = tmp_path / "lessons"
    (lessons / "exercises").mkdir(parents=True)
    nbformat.write(demo_notebook(), lessons / "05_demo.ipynb")
    (lessons / "exercises" / "lesson05.py").write_text(MODULE, encoding="utf-8")
    out = tmp_path / "student"
    run = subprocess.run([sys.executable, str(SCRIPT), str(lessons), "--out", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (out / "exercises" / "lesson05.py").read_text() == ms.student_exercise_module(MODULE, name="x")


# ----------------------------------------------------------------------
# Running them, in a real kernel
# ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The demo and its student copy, each run top to bottom in a kernel and saved."""
    folder = tmp_path_factory.mktemp("executed")
    student, _, _ = ms.student_notebook(demo_notebook(), "demo")
    for name, nb in (("original.ipynb", demo_notebook()), ("student.ipynb", student)):
        nbformat.write(execute(nb, folder), folder / name)
    return folder


@pytest.mark.slow
def test_the_student_copy_runs_top_to_bottom_and_says_not_done_yet(executed):
    done = nbformat.read(executed / "student.ipynb", as_version=4)
    check, wrong, later = done.cells[3], done.cells[5], done.cells[6]
    assert not any(o.output_type == "error" for cell in done.cells for o in cell.get("outputs", []))
    assert texts(check).startswith("Demo · the derivative of x²\n"
                                   "✎ Not done yet: write your code where it says YOUR CODE HERE")
    assert "Stuck? Each call of .hint() on this exercise" in texts(check)
    shown = check.outputs[0]
    assert {WIDGET_MIME, "text/plain", "text/html"} <= set(shown.data)   # the ladder as buttons, and fallbacks
    assert "<summary>Hint 1</summary>" in shown.data["text/html"]
    assert "<summary>Where is the solution?</summary>" in shown.data["text/html"]   # withheld in the cell too
    assert "✗ Not yet: 1 of 3 cases passes. Case 2 fails:" in texts(wrong)
    assert texts(later) == "the lesson goes on\n"


@pytest.mark.slow
def test_the_original_says_right(executed):
    done = nbformat.read(executed / "original.ipynb", as_version=4)
    verdict, returned = done.cells[3].outputs
    assert verdict.data["text/plain"] == "Demo · the derivative of x²\n✓ Right: all 3 cases pass."
    assert WIDGET_MIME not in verdict.data                           # nothing to reveal when right
    assert returned.data["text/plain"] == "True"                     # what check returns
    assert texts(done.cells[5]) == "instructor only\n"


@pytest.mark.slow
def test_executed_checks_pass_nbval_strict(executed):
    """Run again under nbval, as make test runs the lessons: every saved output is reproduced."""
    (executed / "pytest.ini").write_text("[pytest]\n")     # not the kit's settings: only these two
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
         "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"),
         "original.ipynb", "student.ipynb"],
        cwd=executed, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]


def lessons_with_solutions() -> list:
    found = [pytest.param(path, id=path.name)
             for path in sorted((ROOT / "notebooks").glob("*.ipynb")) if ms.has_solutions(path)]
    return found or [pytest.param(None, marks=pytest.mark.skip(
        reason="no lesson in notebooks/ has ### BEGIN SOLUTION markers or a cell tagged solution yet"))]


@pytest.mark.slow
@pytest.mark.parametrize("lesson", lessons_with_solutions())
def test_the_student_copy_of_every_lesson_runs_top_to_bottom(lesson):
    student, removed, warnings = ms.student_notebook(nbformat.read(lesson, as_version=4), lesson.name)
    assert removed and not warnings, warnings
    start = time.monotonic()
    done = execute(student, lesson.parent)       # the lesson's folder: files it reads are there
    elapsed = time.monotonic() - start
    assert elapsed < NOTEBOOK_BUDGET, f"{lesson.name}: the student copy took {elapsed:.0f} s"
    shown = "".join(texts(cell) for cell in done.cells if cell.cell_type == "code")
    if ".check(" in "".join(cell.source for cell in student.cells):
        assert "Not done yet" in shown, f"{lesson.name}: no check says 'Not done yet' in the student copy"
