"""make assignments: the lessons as an nbgrader course, driven through nbgrader's real pipeline.

Lessons 03 and 05 (three exercises each) become a course in a temporary
folder, and nbgrader does the rest, as an instructor would (through its
Python API, `nbgrader.apps.NbGraderAPI`, which runs the same apps as its
command line without starting a process for each):

1. ``nbgrader generate_assignment``: the release;
2. three submissions in ``submitted/<student>/<assignment>/``: ``right``
   (the release with every solution cell filled from the source), ``wrong``
   (the release untouched) and ``half`` (solutions for three of the six
   exercises);
3. ``nbgrader autograde``;
4. the gradebook (nbgrader's `Gradebook` over gradebook.db) holds exactly
   the points of the documented scheme, per exercise and in total;
5. ``nbgrader generate_feedback`` writes feedback HTML for each.

The expected points are written out here from the scheme in
autodiff_kit/assignments.py (each exercise: its check cell 1 point, its
hidden test 1 point), never read from the gradebook. Quicker tests check
the pieces: the hidden test, the source notebook's cells, the CLI's errors.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autodiff_kit import assignments, cli
from autodiff_kit.assignments import (hidden_check, nbgrader_api, outcome, release, source_notebook,
                                      write_source)
from autodiff_kit.student import BEGIN, END, reveals, solution_lines, student_exercise_module

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "notebooks"))  # the lessons import their exercises as `exercises`
LESSONS = ("03", "05")
NOTEBOOKS = {"lesson03": "03_computation_graphs", "lesson05": "05_implementing_backward"}
HALF = {"lesson03": (1, 3), "lesson05": (2,)}     # which exercises (1-based) the "half" student solved
STUDENTS = ("right", "wrong", "half")
POINTS = 2.0      # per exercise: the check cell 1 point, the hidden test 1 point (the documented scheme)


def solved_by(student: str, name: str) -> tuple[int, ...]:
    return {"right": (1, 2, 3), "wrong": (), "half": HALF[name]}[student]



def without_markers(source: str) -> str:
    return "\n".join(line for line in source.split("\n") if not (BEGIN.match(line) or END.match(line)))


def exercises_of(course: Path, name: str) -> list[str]:
    """The graded exercises of an assignment's source notebook, in order: ex03_1, ..."""
    source = nbformat.read(course / "source" / name / f"{NOTEBOOKS[name]}.ipynb", as_version=4)
    return [cell.metadata["nbgrader"]["grade_id"].removesuffix("_test") for cell in source.cells
            if cell.metadata.get("nbgrader", {}).get("grade_id", "").endswith("_test")]


def submit(course: Path, student: str, name: str) -> None:
    """The release, with the solution cells of the exercises ``student`` solved filled from the source."""
    folder = course / "submitted" / student / name
    shutil.copytree(course / "release" / name, folder)
    notebook = folder / f"{NOTEBOOKS[name]}.ipynb"
    source = nbformat.read(course / "source" / name / notebook.name, as_version=4)
    answers = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in source.cells
               if cell.metadata.get("nbgrader", {}).get("solution")}
    solved = {exercises_of(course, name)[number - 1] for number in solved_by(student, name)}
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id.endswith("_answer") and grade_id.removesuffix("_answer") in solved:
            cell.source = without_markers(answers[grade_id])
    nbformat.write(nb, notebook)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A course through the whole round trip: release, three submissions, autograde, feedback."""
    course = tmp_path_factory.mktemp("course")
    names = write_source(course, LESSONS)
    assert names == ["lesson03", "lesson05"]
    release(course, names)
    for student in STUDENTS:
        for name in names:
            submit(course, student, name)
    with nbgrader_api(course) as api:
        for name in names:
            for student in STUDENTS:
                outcome(api.autograde(name, student), f"autograde {name} {student}")
                outcome(api.generate_feedback(name, student), f"generate_feedback {name} {student}")
    return course


# ----------------------------------------------------------------- the round trip
def test_the_gradebook_has_the_expected_points_per_exercise_and_in_total(course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id=assignments.COURSE_ID) as gradebook:
        for name, notebook in NOTEBOOKS.items():
            exercises = exercises_of(course, name)
            assert len(exercises) == 3, exercises
            for student in STUDENTS:
                for number, exercise in enumerate(exercises, 1):
                    visible, hidden = (gradebook.find_grade(f"{exercise}{suffix}", notebook, name, student)
                                       for suffix in ("_test", "_hidden"))
                    assert (visible.max_score, hidden.max_score) == (1.0, 1.0)
                    expected = POINTS if number in solved_by(student, name) else 0.0
                    assert visible.score + hidden.score == expected, (student, exercise)
                submission = gradebook.find_submission(name, student)
                total = POINTS * len(solved_by(student, name))
                assert (submission.score, submission.max_score) == (total, 3 * POINTS), (student, name)
                assert not submission.needs_manual_grade
    # the totals, written out: right 6 + 6, wrong 0 + 0, half 4 + 2
    assert [POINTS * len(solved_by(s, n)) for s in STUDENTS for n in NOTEBOOKS] == [6, 6, 0, 0, 4, 2]


def test_feedback_html_is_written_for_every_submission(course):
    for student in STUDENTS:
        for name, notebook in NOTEBOOKS.items():
            page = (course / "feedback" / student / name / f"{notebook}.html").read_text(encoding="utf-8")
            total = POINTS * len(solved_by(student, name))
            assert f"Score: {total:.1f} / {3 * POINTS:.1f}" in page, (student, name)


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
    for name, notebook in NOTEBOOKS.items():
        lines = solution_lines_of(ROOT / "notebooks" / f"{notebook}.ipynb")
        assert len(lines) >= 6, name   # three solutions' distinctive lines: there is something to look for
        folder = course / "release" / name
        files = sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())
        modules = ["exercises/__init__.py", "exercises/common.py", f"exercises/{name}.py"]
        assert files == sorted([f"{notebook}.ipynb", *modules])
        text = (folder / f"{notebook}.ipynb").read_text(encoding="utf-8")
        assert reveals(text, lines) == [], name
        for hidden in ("HIDDEN TESTS", "hidden_check", "SOLUTION"):
            assert hidden not in text, (name, hidden)
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
        assert "### BEGIN HIDDEN TESTS" in cell.source and "hidden_check('exercises.lesson03'" in cell.source


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


def test_the_hidden_test_passes_a_right_answer():
    hidden_check("exercises.lesson03", "ex03_1", right_count_nodes)


def test_the_hidden_test_fails_an_answer_that_keeps_state_though_the_check_passes_it():
    from exercises.lesson03 import ex03_1

    answered = set()

    def count_nodes(root):   # right the first time it meets a graph, 0 after
        if root.label in answered:
            return 0
        answered.add(root.label)
        return right_count_nodes(root)

    assert ex03_1.feedback(count_nodes).ok
    with pytest.raises(AssertionError, match="hidden test"):
        hidden_check("exercises.lesson03", "ex03_1", count_nodes)


def test_the_hidden_test_ignores_an_exercise_changed_in_the_notebook():
    import exercises.lesson03 as lesson03

    tampered = lesson03.ex03_1
    tampered._cases = lambda: [((None,), None)]
    assert tampered.feedback(lambda root: None).ok     # the visible check is fooled
    with pytest.raises(AssertionError, match="hidden test"):
        hidden_check("exercises.lesson03", "ex03_1", lambda root: None)
    assert lesson03.ex03_1 is not tampered              # the master copy, loaded again


def test_the_hidden_test_fails_the_stub():
    def count_nodes(root):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="Not done yet"):
        hidden_check("exercises.lesson03", "ex03_1", count_nodes)


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
