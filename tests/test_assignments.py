"""make assignments: the lessons as an nbgrader course, driven through nbgrader's real pipeline.

Lesson 03 (three exercises) and lesson 07 become a course in a temporary folder, and
nbgrader does the rest, as an instructor would (through its Python API,
`nbgrader.apps.NbGraderAPI`, which runs the same apps as its command line
without starting a process for each):

1. ``nbgrader generate_assignment``: the release;
2. five submissions in ``submitted/<student>/lesson03/``: ``right`` (the
   release with every solution cell filled from the source), ``wrong`` (the
   release untouched), ``half`` (solutions for exercises 1 and 3), and two
   attacks from a review: ``patch`` (an answer cell replaces
   ``Exercise.check`` and ``feedback`` with ones that always pass) and
   ``shadow`` (a folder ``autodiff/`` added to the submission that does the
   same when the notebook imports autodiff); and, for lesson 07, ``lookup``
   (the kit's solutions, but 7.1 answered from a table of its visible cases);
3. ``autodiff-kit assignments --clean-submissions``, then ``nbgrader autograde``;
4. the gradebook (nbgrader's `Gradebook` over gradebook.db) holds exactly
   the points of the documented scheme, per exercise and in total, and
   each attack scores 0 on the hidden tests it attacks;
5. ``nbgrader generate_feedback`` writes feedback HTML for each.

The expected points are written out here from the scheme in
autodiff_kit/assignments.py (each exercise: its check cell 1 point, its
hidden test 1 point), never read from the gradebook. Quicker tests check
the pieces: the hidden test (a table, and a memorised answer, for every
exercise with held-out cases), the source notebook's cells, the CLI's errors.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autodiff_kit import assignments, cli
from autodiff_kit.assignments import (HELD_OUT, clean_submissions, hidden_check, nbgrader_api, outcome,
                                      release, source_notebook, write_source)
from autodiff_kit.student import BEGIN, END, reveals, solution_lines, student_exercise_module

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "notebooks"))  # the lessons import their exercises as `exercises`
NAME, NOTEBOOK = "lesson03", "03_computation_graphs"
STUDENTS = ("right", "wrong", "half", "patch", "shadow")
POINTS = 2.0      # per exercise: the check cell 1 point, the hidden test 1 point (the documented scheme)
# (visible, hidden) points per exercise, written out from the scheme: the patch fools only the visible check.
EXPECTED = {
    "right": [(1, 1), (1, 1), (1, 1)],
    "wrong": [(0, 0), (0, 0), (0, 0)],
    "half": [(1, 1), (0, 0), (1, 1)],
    "patch": [(1, 0), (1, 0), (1, 0)],
    "shadow": [(0, 0), (0, 0), (0, 0)],   # its folder is set aside before grading
}
TOTALS = {"right": 6, "wrong": 0, "half": 4, "patch": 3, "shadow": 0}

# An answer cell's attack: every check passes, whatever the function does.
PATCH = """import widgets.exercise as _W
class _Pass:
    ok = True
    def text(self):
        return ""
_W.Exercise.check = lambda self, fn: True
_W.Exercise.feedback = lambda self, fn: _Pass()
"""
# The same attack from a package folder the learner adds beside the notebook: `import autodiff`
# runs it; it loads the kit's autodiff in its own place and patches the checks.
SHADOW = """import importlib, os, sys
_here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
del sys.modules["autodiff"]
_path = sys.path[:]
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
importlib.import_module("autodiff")
sys.path[:] = _path
""" + PATCH


def without_markers(source: str) -> str:
    return "\n".join(line for line in source.split("\n") if not (BEGIN.match(line) or END.match(line)))


def exercises_of(course: Path) -> list[str]:
    """The graded exercises of the source notebook, in order: ex03_1, ..."""
    source = nbformat.read(course / "source" / NAME / f"{NOTEBOOK}.ipynb", as_version=4)
    return [cell.metadata["nbgrader"]["grade_id"].removesuffix("_test") for cell in source.cells
            if cell.metadata.get("nbgrader", {}).get("grade_id", "").endswith("_test")]


def submit(course: Path, student: str) -> None:
    """The release, with the answer cells ``student`` wrote."""
    folder = course / "submitted" / student / NAME
    shutil.copytree(course / "release" / NAME, folder)
    notebook = folder / f"{NOTEBOOK}.ipynb"
    source = nbformat.read(course / "source" / NAME / notebook.name, as_version=4)
    answers = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in source.cells
               if cell.metadata.get("nbgrader", {}).get("solution")}
    solved = {exercise for exercise, points in zip(exercises_of(course), EXPECTED[student]) if points[0]}
    nb = nbformat.read(notebook, as_version=4)
    patched = False
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if not grade_id.endswith("_answer"):
            continue
        if student == "patch":
            cell.source = ("" if patched else PATCH) + cell.source.replace("raise NotImplementedError()",
                                                                           "return None")
            patched = True
        elif grade_id.removesuffix("_answer") in solved:
            cell.source = without_markers(answers[grade_id])
    nbformat.write(nb, notebook)
    if student == "shadow":
        (folder / "autodiff").mkdir()
        (folder / "autodiff" / "__init__.py").write_text(SHADOW, encoding="utf-8")


LOOKUP, LOOKUP_NOTEBOOK = "lesson07", "07_a_neuron"   # the third attack, graded end to end


def submit_lookup(course: Path) -> None:
    """Lesson 07 with the kit's solutions, but 7.1 answered from a table of its visible cases."""
    folder = course / "submitted" / "lookup" / LOOKUP
    shutil.copytree(course / "release" / LOOKUP, folder)
    source = nbformat.read(course / "source" / LOOKUP / f"{LOOKUP_NOTEBOOK}.ipynb", as_version=4)
    answers = {cell.metadata["nbgrader"]["grade_id"]: without_markers(cell.source) for cell in source.cells
               if cell.metadata.get("nbgrader", {}).get("solution")}
    answers["ex_sigmoid_derivative_answer"] = (
        "def sigmoid_derivative(x):\n"
        "    return {args: expected for args, expected in ex_sigmoid_derivative.cases}[(x,)]")
    nb = nbformat.read(folder / f"{LOOKUP_NOTEBOOK}.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id.endswith("_answer"):
            cell.source = answers[grade_id]
    nbformat.write(nb, folder / f"{LOOKUP_NOTEBOOK}.ipynb")


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A course through the whole round trip: release, five submissions, cleaning, autograde, feedback."""
    course = tmp_path_factory.mktemp("course")
    assert write_source(course, ["03", "07"]) == [NAME, LOOKUP]
    release(course, [NAME, LOOKUP])
    for student in STUDENTS:
        submit(course, student)
    submit_lookup(course)
    moved = clean_submissions(course)
    assert moved == [course / "set_aside" / "shadow" / NAME / "autodiff" / "__init__.py"]
    with nbgrader_api(course) as api:
        for student in STUDENTS:
            outcome(api.autograde(NAME, student), f"autograde {NAME} {student}")
            outcome(api.generate_feedback(NAME, student), f"generate_feedback {NAME} {student}")
        outcome(api.autograde(LOOKUP, "lookup"), f"autograde {LOOKUP} lookup")
    return course


# ----------------------------------------------------------------- the round trip
def test_the_gradebook_has_the_expected_points_per_exercise_and_in_total(course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id=assignments.COURSE_ID) as gradebook:
        exercises = exercises_of(course)
        assert len(exercises) == 3, exercises
        for student in STUDENTS:
            got = []
            for exercise in exercises:
                visible, hidden = (gradebook.find_grade(f"{exercise}{suffix}", NOTEBOOK, NAME, student)
                                   for suffix in ("_test", "_hidden"))
                assert (visible.max_score, hidden.max_score) == (1.0, 1.0)
                got.append((visible.score, hidden.score))
            assert got == EXPECTED[student], student
            submission = gradebook.find_submission(NAME, student)
            assert (submission.score, submission.max_score) == (TOTALS[student], 3 * POINTS), student
            assert not submission.needs_manual_grade
    assert {s: sum(v + h for v, h in EXPECTED[s]) for s in STUDENTS} == TOTALS


def test_the_attacks_score_nothing_on_the_hidden_tests_and_the_shadow_folder_is_not_graded(course):
    for student in ("patch", "shadow"):
        assert [hidden for _, hidden in EXPECTED[student]] == [0, 0, 0]
    graded = course / "autograded" / "shadow" / NAME
    assert (graded / f"{NOTEBOOK}.ipynb").is_file() and not (graded / "autodiff").exists()
    assert not (course / "submitted" / "shadow" / NAME / "autodiff").exists()
    assert (course / "set_aside" / "shadow" / NAME / "autodiff" / "__init__.py").read_text() == SHADOW
    nb = nbformat.read(course / "autograded" / "patch" / NAME / f"{NOTEBOOK}.ipynb", as_version=4)
    said = "".join(output.get("evalue", "") for cell in nb.cells for output in cell.get("outputs", ()))
    assert "hidden test of 3.1" in said and "expected 11, got None" in said


def test_a_lookup_table_scores_nothing_on_the_hidden_test_when_nbgrader_grades_it(course):
    """7.1 answered from a table fails its held-out cases; every other hidden test passes in nbgrader's
    kernel (the fresh imports leave a right answer right)."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id=assignments.COURSE_ID) as gradebook:
        grades = {grade.name: grade.score for grade in gradebook.find_submission_notebook(
            LOOKUP_NOTEBOOK, LOOKUP, "lookup").grades}
    assert grades == {"ex_sigmoid_derivative_test": 1.0, "ex_sigmoid_derivative_hidden": 0.0,
                      "ex_neuron_grads_test": 1.0, "ex_neuron_grads_hidden": 1.0,
                      "ex_tanh_via_exp_test": 1.0, "ex_tanh_via_exp_hidden": 1.0}


def test_feedback_html_is_written_for_every_submission(course):
    for student in STUDENTS:
        page = (course / "feedback" / student / NAME / f"{NOTEBOOK}.html").read_text(encoding="utf-8")
        assert f"Score: {TOTALS[student]:.1f} / {3 * POINTS:.1f}" in page, student


def solution_lines_of(notebook: Path) -> list[str]:
    """The distinctive lines between a lesson's markers (`solution_lines`) that it shows nowhere else."""
    lines, elsewhere = [], []
    for cell in nbformat.read(notebook, as_version=4).cells:
        inside = False
        for line in cell.source.split("\n"):
            if BEGIN.match(line) or END.match(line):
                inside = bool(BEGIN.match(line))
            else:
                (lines if inside else elsewhere).append(line)
    return [line for line in solution_lines("\n".join(lines)) if not reveals("\n".join(elsewhere), [line])]


def test_the_release_has_no_hidden_test_and_no_solution_line(course):
    """The notebook: no line of a solution region, no hidden test. exercises/: exactly the student copy.

    The student copy of an exercise module (`student_exercise_module`) is
    what tests/test_student.py searches for solutions; here it is enough
    that the release ships that copy and nothing else.
    """
    lines = solution_lines_of(ROOT / "notebooks" / f"{NOTEBOOK}.ipynb")
    assert len(lines) >= 6   # three solutions' distinctive lines: there is something to look for
    folder = course / "release" / NAME
    files = sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())
    modules = ["exercises/__init__.py", "exercises/common.py", f"exercises/{NAME}.py"]
    assert files == sorted([f"{NOTEBOOK}.ipynb", *modules])
    text = (folder / f"{NOTEBOOK}.ipynb").read_text(encoding="utf-8")
    assert reveals(text, lines) == []
    for hidden in ("HIDDEN TESTS", "hidden_check", "SOLUTION"):
        assert hidden not in text, hidden
    assert text.count("raise NotImplementedError()") == 3
    for module in modules:
        kit = (ROOT / "notebooks" / module).read_text(encoding="utf-8")
        shipped = (folder / module).read_text(encoding="utf-8")
        assert shipped == student_exercise_module(kit, name=module), module
        assert "hidden_check" not in kit


def test_the_source_has_the_hidden_tests_the_release_lacks(course):
    source = nbformat.read(course / "source" / "lesson03" / "03_computation_graphs.ipynb", as_version=4)
    hidden = [cell for cell in source.cells
              if cell.metadata.get("nbgrader", {}).get("grade_id", "").endswith("_hidden")]
    assert [cell.metadata["nbgrader"]["points"] for cell in hidden] == [1, 1, 1]
    for cell in hidden:
        body = cell.source.split("### BEGIN HIDDEN TESTS\n", 1)[1]
        assert body.endswith("### END HIDDEN TESTS") and "_hidden_check('exercises.lesson03'" in body


def test_the_same_lessons_give_byte_identical_source_and_release(course, tmp_path, capsys):
    """Lesson 03 again, through the command line this time: the same bytes, file for file."""
    again = tmp_path / "again"
    status, out, err = kit("assignments", again, "--lessons", "3", "--release", capsys=capsys)
    assert (status, err) == (0, "") and "released with nbgrader generate_assignment" in out
    for folder in ("source", "release"):
        first = sorted(p.relative_to(course / folder / "lesson03")
                       for p in (course / folder / "lesson03").rglob("*") if p.is_file())
        second = sorted(p.relative_to(again / folder / "lesson03")
                        for p in (again / folder / "lesson03").rglob("*") if p.is_file())
        assert first == second
        for relative in first:
            assert (course / folder / "lesson03" / relative).read_bytes() == \
                (again / folder / "lesson03" / relative).read_bytes(), (folder, relative)
    assert (course / "nbgrader_config.py").read_bytes() == (again / "nbgrader_config.py").read_bytes()


# ----------------------------------------------------------------- the hidden test
def right_count_nodes(root):
    seen, to_visit = set(), [root]
    while to_visit:
        node = to_visit.pop()
        if node not in seen:
            seen.add(node)
            to_visit.extend(node.parents)
    return len(seen)


def test_the_hidden_test_passes_a_right_answer(tmp_path):
    hidden_check("exercises.lesson03", "ex03_1", right_count_nodes, submission=tmp_path)


def test_the_hidden_test_puts_back_the_modules_and_the_names_it_replaced_for_a_while(tmp_path):
    """While the answer runs, its module's names for the kit (here `assignments`) are the fresh modules."""
    import autodiff
    import widgets.exercise

    kit_module, seen = assignments, []

    def count_nodes(root):
        fresh = sys.modules["autodiff_kit.assignments"]
        seen.append((type(root) is sys.modules["autodiff"].Var, assignments is fresh, fresh is not kit_module))
        return right_count_nodes(root)

    hidden_check("exercises.lesson03", "ex03_1", count_nodes, submission=tmp_path)
    assert seen and set(seen) == {(True, True, True)}
    assert sys.modules["autodiff"] is autodiff and sys.modules["widgets.exercise"] is widgets.exercise
    assert assignments is kit_module and sys.modules["autodiff_kit.assignments"] is kit_module


def test_the_hidden_test_fails_an_answer_that_keeps_state_though_the_check_passes_it(tmp_path):
    from exercises.lesson03 import ex03_1

    answered = set()

    def count_nodes(root):   # right the first time it meets a graph, 0 after
        if root.label in answered:
            return 0
        answered.add(root.label)
        return right_count_nodes(root)

    assert ex03_1.feedback(count_nodes).ok
    with pytest.raises(AssertionError, match="hidden test"):
        hidden_check("exercises.lesson03", "ex03_1", count_nodes, submission=tmp_path)


def test_the_hidden_test_ignores_an_exercise_changed_in_the_notebook(tmp_path):
    import exercises.lesson03 as lesson03

    tampered = lesson03.ex03_1
    cases = tampered._cases
    tampered._cases = lambda: [((None,), None)]
    try:
        assert tampered.feedback(lambda root: None).ok     # the visible check is fooled
        with pytest.raises(AssertionError, match="hidden test of 3.1"):
            hidden_check("exercises.lesson03", "ex03_1", lambda root: None, submission=tmp_path)
    finally:
        tampered._cases = cases


def test_the_hidden_test_ignores_a_patched_exercise_class(tmp_path, monkeypatch):
    """The first attack, in an answer cell: Exercise.check and feedback always pass."""
    import widgets.exercise
    from exercises.lesson03 import ex03_1

    class Pass:
        ok = True

    monkeypatch.setattr(widgets.exercise.Exercise, "check", lambda self, fn: True)
    monkeypatch.setattr(widgets.exercise.Exercise, "feedback", lambda self, fn: Pass())
    assert ex03_1.check(lambda root: None) and ex03_1.feedback(lambda root: None).ok
    with pytest.raises(AssertionError, match="got None"):
        hidden_check("exercises.lesson03", "ex03_1", lambda root: None, submission=tmp_path)


def test_the_hidden_test_refuses_a_kit_loaded_from_the_submissions_folder():
    """The second attack's guard: here the kit's autodiff is inside the folder taken for the submission."""
    with pytest.raises(assignments.HiddenTestError, match="from the submission's folder .*--clean-submissions"):
        hidden_check("exercises.lesson03", "ex03_1", right_count_nodes, submission=ROOT)


def test_a_value_must_be_built_like_the_expected_one_not_merely_equal_to_it():
    """`matches` falls back on ==: the hidden test also wants numbers for numbers, the same containers."""
    class Everything:
        def __eq__(self, other):
            return True

    from widgets.exercise import matches

    assert matches(Everything(), "abc")                          # what == alone lets through
    for expected in ("abc", {"a"}, [1.0, "b"], {"loss": 1.0}, (1, 2)):
        assert not assignments._plain_like(Everything(), expected), expected
    assert not assignments._plain_like([Everything(), "b"], [1.0, "b"])
    assert assignments._plain_like([1, "b"], (1.0, "b")) and assignments._plain_like({"loss": 2}, {"loss": 1.0})


def test_the_hidden_test_fails_the_stub(tmp_path):
    def count_nodes(root):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="Not done yet"):
        hidden_check("exercises.lesson03", "ex03_1", count_nodes, submission=tmp_path)


def test_a_lookup_table_of_the_visible_answers_fails_the_held_out_cases(tmp_path):
    """The third attack, as the review wrote it: the visible cases' answers, looked up."""
    from exercises.lesson07 import ex_sigmoid_derivative

    def sigmoid_derivative(x):
        return {args: expected for args, expected in ex_sigmoid_derivative.cases}[(x,)]

    assert ex_sigmoid_derivative.feedback(sigmoid_derivative).ok
    hidden_check("exercises.lesson07", "ex_sigmoid_derivative", sigmoid_derivative, submission=tmp_path)
    reference, held_out = HELD_OUT["exercises.lesson07", "ex_sigmoid_derivative"]
    with pytest.raises(AssertionError, match=r"held out\): f\(0.3\) raised KeyError"):
        hidden_check("exercises.lesson07", "ex_sigmoid_derivative", sigmoid_derivative,
                     reference=reference, held_out=held_out, submission=tmp_path)


def plain(value):
    """What a learner's table could key on: the numbers of the arguments, Vars by their .data."""
    if isinstance(value, (list, tuple)):
        return tuple(plain(v) for v in value)
    return repr(getattr(value, "data", value))


@pytest.mark.parametrize("module, exercise", sorted(HELD_OUT))
def test_held_out_cases_are_new_pass_the_kits_solution_and_fail_a_memorised_answer(module, exercise, tmp_path):
    """For each exercise with a reference: new inputs; the solution passes them; a table does not."""
    ex = getattr(importlib.import_module(module), exercise)
    reference, held_out = HELD_OUT[module, exercise]
    visible = [plain(args) for args, _ in ex.cases]
    assert held_out and not {plain(args) for args in held_out} & set(visible)
    namespace: dict = {}
    exec("import math\nimport autodiff\nfrom autodiff import *\n" + ex.solution, namespace)
    solution = namespace[ex.solution.split("def ", 1)[1].split("(", 1)[0]]
    hidden_check(module, exercise, solution, reference=reference, held_out=held_out, submission=tmp_path)
    seen = set()

    def recorded(*args):
        seen.add(plain(args))
        return solution(*args)

    assert ex.feedback(recorded).ok

    def memorised(*args):   # the visible inputs' answers; nothing for any other input
        if plain(args) not in seen:
            raise KeyError(plain(args))
        return solution(*args)

    assert ex.feedback(memorised).ok
    hidden_check(module, exercise, memorised, submission=tmp_path)   # the visible cases alone pass it
    with pytest.raises(AssertionError, match=r"\(held out\): .* raised KeyError"):
        hidden_check(module, exercise, memorised, reference=reference, held_out=held_out, submission=tmp_path)


def test_the_hidden_cell_carries_the_held_out_inputs(tmp_path):
    assert write_source(tmp_path, ["07"]) == ["lesson07"]
    source = nbformat.read(tmp_path / "source" / "lesson07" / "07_a_neuron.ipynb", as_version=4)
    cells = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in source.cells
             if cell.metadata.get("nbgrader", {}).get("grade_id", "").endswith("_hidden")}
    reference, held_out = HELD_OUT["exercises.lesson07", "ex_sigmoid_derivative"]
    hidden = cells["ex_sigmoid_derivative_hidden"].split("### BEGIN HIDDEN TESTS")[1]
    assert f"reference={reference!r}, held_out={list(held_out)!r}" in hidden
    assert "held_out" not in cells["ex_tanh_via_exp_hidden"]      # no reference: the visible cases only


# ----------------------------------------------------------------- the source notebook
def demo_lesson():
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                               "language": "python"}})
    nb.cells = [
        new_markdown_cell("Write `square`. The markers are `### BEGIN SOLUTION` and `### END SOLUTION`."),
        new_code_cell("from exercises.lesson99 import ex99_1"),
        new_code_cell("def square(x):\n    #begin solution\n    return x * x\n    # END SOLUTION"),
        new_code_cell("ex99_1.check(square)"),
        new_code_cell("def helper():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"),
        new_markdown_cell("Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"),
        new_code_cell("print('instructor only')", metadata={"tags": ["solution"]}),
    ]
    nb.cells[3].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "True"},
                                                  execution_count=1)]
    return nb


def test_the_source_notebook_marks_every_cell_by_the_scheme():
    nb, graded = source_notebook(demo_lesson(), module="exercises.lesson99")
    assert [(g.exercise, g.function, g.points) for g in graded] == [("ex99_1", "square", 2)]
    meta = [cell.metadata.get("nbgrader") for cell in nb.cells]
    rows = [m and (m["grade_id"], m["solution"], m["grade"], m.get("points"), m["locked"]) for m in meta]
    assert rows == [
        None, None,
        ("ex99_1_answer", True, False, None, False),
        ("ex99_1_test", False, True, 1, True),
        ("ex99_1_hidden", False, True, 1, True),
        ("answer_cell5", True, False, None, False),
        ("written_cell6", True, True, 1, False),         # a written answer: graded by hand
    ]   # the instructor-only cell is left out
    assert nb.cells[2].source.split("\n")[1:4] == [   # the markers as nbgrader spells them
        "    ### BEGIN SOLUTION", "    return x * x", "    ### END SOLUTION"]
    assert nb.cells[3].source.startswith("assert ex99_1.check(square), (") and nb.cells[3].outputs == []
    assert "hidden_check('exercises.lesson99', 'ex99_1', square)" in nb.cells[4].source
    assert "BEGIN\u00a0SOLUTION" in nb.cells[0].source and "BEGIN SOLUTION" not in nb.cells[0].source


def test_a_check_cell_that_runs_twice_is_an_error():
    nb = demo_lesson()
    nb.cells.append(new_code_cell("ex99_1.check(square)"))
    with pytest.raises(ValueError, match="cell 8: ex99_1 is checked twice"):
        source_notebook(nb, module="exercises.lesson99", name="demo.ipynb")


# ----------------------------------------------------------------- the command line
def kit(*argv, capsys) -> tuple[int, str, str]:
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_command_writes_the_source_and_refuses_to_overwrite_without_force(tmp_path, capsys):
    status, out, err = kit("assignments", tmp_path, "--lessons", "3", capsys=capsys)
    assert (status, err) == (0, "") and "1 assignment (lesson03)" in out
    assert (tmp_path / "source" / "lesson03" / "exercises" / "lesson03.py").is_file()
    assert not list((tmp_path / "source").rglob("__pycache__"))
    status, _, err = kit("assignments", tmp_path, "--lessons", "03", capsys=capsys)
    assert status == 2 and "already has lesson03; add --force" in err
    assert kit("assignments", tmp_path, "--lessons", "03", "--force", capsys=capsys)[0] == 0


def test_an_assignment_ships_the_exercise_modules_its_modules_import(tmp_path):
    """Lesson 11's exercises import lesson 10's (``from .lesson10 import adam_reference``)."""
    assert write_source(tmp_path, ["11"]) == ["lesson11"]
    shipped = sorted(path.name for path in (tmp_path / "source" / "lesson11" / "exercises").iterdir())
    assert shipped == ["__init__.py", "common.py", "lesson10.py", "lesson11.py"]


@pytest.mark.parametrize("argv, words", [
    (["--lessons", "99"], "there is no lesson '99'; the lessons are 01, 02"),
    (["--lessons", "three"], "there is no lesson 'three'"),
])
def test_the_command_names_an_unknown_lesson(argv, words, tmp_path, capsys):
    status, out, err = kit("assignments", tmp_path, *argv, capsys=capsys)
    assert (status, out) == (2, "") and words in err


def test_the_command_refuses_a_file_for_a_folder(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    status, _, err = kit("assignments", tmp_path / "file", capsys=capsys)
    assert status == 2 and "is a file, not a folder" in err


def test_make_assignments_is_a_thin_call_writing_course_which_git_ignores():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\n\t$(KIT) assignments course --release --force $(if $(LESSONS),--lessons $(LESSONS),)\n" in makefile
    assert "course/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_a_lesson_whose_checks_name_a_class_is_graded_too(tmp_path):
    """Lesson 05b checks the learner's class (ex_mul.check(Value), ex_mlp.check(MLP)): four exercises."""
    assert write_source(tmp_path, ["5b"]) == ["lesson05b"]
    source = nbformat.read(tmp_path / "source" / "lesson05b" / "05b_build_your_own_engine.ipynb", as_version=4)
    graded = [cell.metadata["nbgrader"]["grade_id"] for cell in source.cells
              if cell.metadata.get("nbgrader", {}).get("grade")]
    assert graded == [f"{name}_{kind}" for name in ("ex_mul", "ex_tanh_exp", "ex_backward", "ex_mlp")
                      for kind in ("test", "hidden")]


def test_clean_submissions_sets_aside_what_the_release_lacks(tmp_path, capsys):
    """Files the release has stay, with nbgrader's own; the rest moves to DIR/set_aside/."""
    status, _, err = kit("assignments", tmp_path, "--clean-submissions", capsys=capsys)
    assert status == 2 and "release the assignments first" in err
    release_dir = tmp_path / "release" / "lesson03"
    (release_dir / "exercises").mkdir(parents=True)
    for name in ("03_computation_graphs.ipynb", "exercises/lesson03.py"):
        (release_dir / name).write_text("released")
    bob = tmp_path / "submitted" / "bob" / "lesson03"
    for name in ("03_computation_graphs.ipynb", "exercises/lesson03.py", "timestamp.txt",
                 "autodiff/__init__.py", "widgets.py", "exercises/extra.py"):
        (bob / name).parent.mkdir(parents=True, exist_ok=True)
        (bob / name).write_text(name)
    status, out, err = kit("assignments", tmp_path, "--clean-submissions", capsys=capsys)
    assert (status, err) == (0, "") and "3 files the release does not have moved" in out
    kept = sorted(str(p.relative_to(bob)) for p in bob.rglob("*"))
    assert kept == ["03_computation_graphs.ipynb", "exercises", "exercises/lesson03.py", "timestamp.txt"]
    aside = tmp_path / "set_aside" / "bob" / "lesson03"
    assert sorted(str(p.relative_to(aside)) for p in aside.rglob("*") if p.is_file()) == [
        "autodiff/__init__.py", "exercises/extra.py", "widgets.py"]
    assert (aside / "widgets.py").read_text() == "widgets.py"


def test_the_instructors_doc_names_the_exercises_with_held_out_cases():
    """docs/instructor.md lists the exercises with held-out cases: exactly those of HELD_OUT, by number."""
    numbers = sorted(getattr(importlib.import_module(module), exercise).title.split(" ", 1)[0]
                     for module, exercise in HELD_OUT)
    doc = " ".join((ROOT / "docs" / "instructor.md").read_text(encoding="utf-8").split())
    assert f"exercises {', '.join(numbers)} (" in doc
    assert "nbgrader formgrader" not in doc and "--clean-submissions" in doc


def test_the_hidden_test_names_an_exercise_the_kit_does_not_have(tmp_path):
    with pytest.raises(ValueError, match="exercises.lesson03 has no exercise 'ex03_9'"):
        hidden_check("exercises.lesson03", "ex03_9", right_count_nodes, submission=tmp_path)
    with pytest.raises(ValueError, match="must be 'exercises.lessonNN', got 'lesson03'"):
        hidden_check("lesson03", "ex03_1", right_count_nodes, submission=tmp_path)


def test_held_out_inputs_of_the_instructors_own_are_graded_by_the_reference(tmp_path):
    """instructor.md: edit held_out in source/ to inputs of your own; the reference gives their answers."""
    import math

    def sigmoid_derivative(x):
        s = 1.0 / (1.0 + math.exp(-x))
        return s * (1.0 - s)

    def almost(x):   # right except near 1.1, an input no case of the kit's has
        return sigmoid_derivative(x) + (0.01 if abs(x - 1.1) < 1e-9 else 0.0)

    own = [(1.1,), (-2.2,)]
    hidden_check("exercises.lesson07", "ex_sigmoid_derivative", sigmoid_derivative,
                 reference="_sigmoid_slope", held_out=own, submission=tmp_path)
    hidden_check("exercises.lesson07", "ex_sigmoid_derivative", almost, reference="_sigmoid_slope",
                 held_out=HELD_OUT["exercises.lesson07", "ex_sigmoid_derivative"][1], submission=tmp_path)
    with pytest.raises(AssertionError, match=r"held out\): f\(1.1\): expected"):
        hidden_check("exercises.lesson07", "ex_sigmoid_derivative", almost,
                     reference="_sigmoid_slope", held_out=own, submission=tmp_path)
