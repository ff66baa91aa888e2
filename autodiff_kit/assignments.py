"""The lessons as an nbgrader course: ``autodiff-kit assignments DIR`` (``make assignments``).

    autodiff-kit assignments course                      # every lesson with exercises
    autodiff-kit assignments course --lessons 03 05      # some of them
    autodiff-kit assignments course --release --force    # and nbgrader generate_assignment

``DIR`` becomes an nbgrader course directory (docs/instructor.md has the whole
workflow): ``DIR/nbgrader_config.py`` and, for each lesson with exercises,
``DIR/source/lessonNN/`` holding the lesson's notebook with nbgrader's cell
metadata and the ``exercises/`` package it imports. ``--release`` then runs
``nbgrader generate_assignment`` on each, which writes ``DIR/release/lessonNN/``
(the copy the learners get) and enters the assignment in ``DIR/gradebook.db``.

How a lesson becomes a source notebook
--------------------------------------
An *exercise* is a solution cell (a code cell with a ``### BEGIN SOLUTION``
region that defines ``def fn(...)``) and its check cell, ``ex.check(fn)``,
alone in its cell. In the source notebook:

* the solution cell is an nbgrader *autograded answer* (``solution``): the
  release has nbgrader's stub in place of the region, the same stub as
  ``make student`` writes;
* the check cell becomes a locked *autograded test* worth `POINTS_VISIBLE`,
  ``assert ex.check(fn), ...``: the learner sees the same feedback as in the
  lesson, and the cell raises AssertionError while the function is not right
  (nbgrader scores a test cell by whether it raises);
* right after it comes a new locked test cell worth `POINTS_HIDDEN`, all of
  it between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``, so the
  release has it empty and autograding puts it back (`hidden_cell_source`).
  It imports this module afresh and calls `hidden_check`, which trusts
  nothing the learner's notebook could have changed: it imports
  ``autodiff``, ``widgets`` and ``autodiff_kit`` again, each from outside
  the submission's folder (a package folder added to a submission fails the
  test), loads the exercise from the kit's own lessons, and calls the
  learner's function on each case itself, comparing with the fresh
  `widgets.exercise.matches` (a patched ``Exercise.check`` changes nothing).
  It runs every visible case in reverse order, twice over, so an answer
  that keeps state between calls (a global cache, a set never emptied) or
  depends on the order of the cases fails; and, for the exercises listed
  in `HELD_OUT`, inputs the release does not contain, written in the
  cell, whose expected values the kit's reference function computes when
  it grades, so a table of the visible answers fails.

Before autograding, `clean_submissions` (``--clean-submissions``) moves
every file the release does not have out of ``submitted/``: nbgrader
copies a submission's folder whole into ``autograded/``, where an added
``autodiff/`` would be imported in place of the kit's. What this does not
protect against (a learner's code runs in the grader) is in
docs/instructor.md.

So each exercise is worth ``POINTS_VISIBLE + POINTS_HIDDEN`` = 2 points. A
markdown cell with a solution region (a written answer; none of the kit's
lessons has one today) becomes a *manually graded answer* worth
`POINTS_WRITTEN`, with nbgrader's "YOUR ANSWER HERE" in the release. A code
cell with a solution region but no check cell naming its function is an
answer without points. A cell tagged ``solution`` (instructor-only) is left
out. Outputs, execution counts and the saved widget state are cleared.

Marker lines are written exactly as nbgrader looks for them (``### BEGIN
SOLUTION`` at the line's indentation; the kit also accepts ``#BEGIN
solution``), and a line that only *mentions* a marker (lesson 01's prose
about them) gets a no-break space in it, ``BEGIN\u00a0SOLUTION``, which reads the
same: nbgrader finds markers by substring and would take it for one.

The ``exercises/`` package beside each notebook is the student copy of the
kit's (`autodiff_kit.student.student_exercise_module`: no solution, no hint
that gives one away): the modules the notebook imports, those they
import in turn (lesson 11's imports lesson 10's), ``common.py`` and
``__init__.py``. The same lessons give byte-identical source notebooks, and
so byte-identical releases.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib
import importlib.util
import os
import re
import shutil
import sys
from dataclasses import dataclass
from os import pathsep   # PATH's separator, ; on Windows
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

HELP = """\
Writes DIR/nbgrader_config.py and DIR/source/lessonNN/ for each lesson with
exercises (all of them, or --lessons 03 05): the lesson with nbgrader's cell
metadata, each exercise worth 2 points (its check cell, 1; a hidden test, 1),
and the exercises/ package without solutions. --release runs nbgrader
generate_assignment: DIR/release/lessonNN/, the copy the learners get.
--clean-submissions, before nbgrader autograde, moves every file of
DIR/submitted/ that the release does not have to DIR/set_aside/.
The instructor's workflow: docs/instructor.md."""

__all__ = ["POINTS_VISIBLE", "POINTS_HIDDEN", "POINTS_WRITTEN", "COURSE_ID", "Graded", "HELD_OUT",
           "HiddenTestError", "write_source", "release", "nbgrader_api", "source_notebook", "hidden_check",
           "hidden_cell_source", "clean_submissions", "assignment_name", "select_lessons", "nbgrader_config"]

POINTS_VISIBLE = 1   # the check cell: every case of the exercise passes
POINTS_HIDDEN = 1    # the hidden test: the kit's exercise, reversed twice, and held-out cases
POINTS_WRITTEN = 1   # a markdown answer, graded by hand
COURSE_ID = "autodiff-kit"
CELL_TIMEOUT = 120   # seconds nbgrader lets one cell run when it autogrades

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
# What nbgrader looks for, as a substring of any line.
_DELIMITERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
_CHECK = re.compile(r"^(?P<exercise>[A-Za-z_]\w*)\.check\((?P<function>[A-Za-z_]\w*)\)$")
# What a solution cell defines for a check to name: a function, or a class (lesson 05b checks `Value`).
_DEF = re.compile(r"^(?:def|class)\s+(?P<function>[A-Za-z_]\w*)\s*[(:]", re.MULTILINE)
_PACKAGE = ("__init__.py", "common.py")   # shipped with every lesson's module


@dataclass(frozen=True)
class Graded:
    """One graded exercise of a source notebook: ``exercise.check(function)``.

    ``grade_ids`` are nbgrader's ids of its two test cells, visible then hidden.
    """

    exercise: str
    function: str

    @property
    def grade_ids(self) -> tuple[str, str]:
        return f"{self.exercise}_test", f"{self.exercise}_hidden"

    @property
    def answer_id(self) -> str:
        return f"{self.exercise}_answer"

    @property
    def points(self) -> int:
        return POINTS_VISIBLE + POINTS_HIDDEN


# ----------------------------------------------------------------------
# Which lessons
# ----------------------------------------------------------------------
def assignment_name(notebook: Path) -> str:
    """The assignment of a lesson: ``lesson05`` for ``05_implementing_backward.ipynb``."""
    return "lesson" + Path(notebook).name.split("_", 1)[0]


def select_lessons(lessons: Sequence[str] | None, folder: Path | None = None) -> list[Path]:
    """The notebooks of ``lessons`` ("03", "3", "5b" or "lesson03"), in order; all of them for None.

    An unknown lesson is a `LookupError` that names it and lists the lessons.
    """
    from . import find_lesson, lesson_id, lesson_notebooks

    found = lesson_notebooks(folder)
    if lessons is None:
        return list(found.values())
    chosen: dict[str, Path] = {}
    for text in lessons:
        notebook = find_lesson(text, found)
        if notebook is None:
            raise LookupError(f"there is no lesson {text!r}; the lessons are {', '.join(found)}")
        chosen[lesson_id(notebook)] = notebook
    return [chosen[number] for number in sorted(chosen)]


# ----------------------------------------------------------------------
# The source notebook
# ----------------------------------------------------------------------
def _nbgrader(grade_id: str, *, solution: bool = False, grade: bool = False, locked: bool = False,
              points: int | None = None) -> dict:
    """nbgrader's cell metadata (schema 3) for one cell."""
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def _canonical_markers(source: str) -> str:
    """Marker lines as nbgrader spells them; other mentions of a marker defused with a no-break space."""
    from .student import BEGIN, END

    lines = []
    for line in source.split("\n"):
        begin = BEGIN.match(line)
        if begin:
            line = begin.group(1) + SOLUTION_BEGIN
        elif END.match(line):
            line = line[:len(line) - len(line.lstrip())] + SOLUTION_END
        else:
            for delimiter in _DELIMITERS:
                line = line.replace(delimiter, delimiter.replace(" ", "\u00a0"))
        lines.append(line)
    return "\n".join(lines)


def imported_from_exercises(cells: list) -> dict[str, str]:
    """Each name the notebook imports from the ``exercises`` package, with its module.

    ``{"ex03_1": "exercises.lesson03", ...}`` from ``from exercises.lesson03
    import ex03_1``; cells that are not plain Python (a ``%magic``) are skipped.
    """
    names: dict[str, str] = {}
    for cell in cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or node.level != 0:
                continue
            if (node.module or "").startswith("exercises."):
                names.update({alias.asname or alias.name: node.module for alias in node.names})
    return names


def _exercises(cells: list, name: str) -> dict[int, Graded]:
    """The check cells of graded exercises, by index: each names a function a solution cell defines."""
    from .student import BEGIN

    defined: set[str] = set()
    for cell in cells:
        if cell.cell_type == "code" and any(BEGIN.match(line) for line in cell.source.split("\n")):
            defined.update(match.group("function") for match in _DEF.finditer(cell.source))
    checks: dict[int, Graded] = {}
    seen: set[str] = set()
    for index, cell in enumerate(cells):
        match = _CHECK.match(cell.source.strip()) if cell.cell_type == "code" else None
        if match and match.group("function") in defined:
            graded = Graded(match.group("exercise"), match.group("function"))
            if graded.exercise in seen:
                raise ValueError(f"{name}, cell {index + 1}: {graded.exercise} is checked twice; "
                                 "an exercise is graded once, so keep one check cell for it")
            seen.add(graded.exercise)
            checks[index] = graded
    return checks


def source_notebook(nb: Any, *, module: str, name: str = "notebook") -> tuple[Any, list[Graded]]:
    """The nbgrader source version of a lesson notebook ``nb`` (a new notebook), and its exercises.

    The hidden test of an exercise loads it from the module the notebook
    imports it from (``from exercises.lesson03 import ex03_1``), else from
    ``module``, such as ``"exercises.lesson03"``; ``name`` names the notebook in errors (a
    `autodiff_kit.student.MarkerError` for markers that don't pair up).
    The module docstring says what each cell becomes.
    """
    import nbformat

    from .student import CODE_STUB, MARKDOWN_STUB, SOLUTION_TAG, strip_solutions

    nb = nbformat.from_dict(nb)  # a deep copy: the lesson is left alone
    graded = _exercises(nb.cells, name)
    modules = imported_from_exercises(nb.cells)
    answers = {g.function: g for g in graded.values()}
    cells, exercises = [], []
    for index, cell in enumerate(nb.cells):
        if SOLUTION_TAG in cell.metadata.get("tags", ()):
            continue
        where = f"{name}, cell {index + 1}"
        cell.metadata.pop("nbgrader", None)
        cell.source = _canonical_markers(cell.source)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
            _, regions, _ = strip_solutions(cell.source, CODE_STUB, where)
            if index in graded:
                exercise = graded[index]
                exercises.append(exercise)
                visible, hidden = exercise.grade_ids
                cell.source = (f"assert {exercise.exercise}.check({exercise.function}), (\n"
                               f"    \"{exercise.function} does not pass {exercise.exercise}'s check yet: "
                               "the feedback above says why\")")
                cell.metadata["nbgrader"] = _nbgrader(visible, grade=True, locked=True,
                                                      points=POINTS_VISIBLE)
                cells.append(cell)
                hidden_source = hidden_cell_source(modules.get(exercise.exercise, module),
                                                   exercise.exercise, exercise.function)
                hidden_cell = nbformat.v4.new_code_cell(hidden_source)
                hidden_cell.id = hidden.replace("_", "-")
                hidden_cell.metadata["nbgrader"] = _nbgrader(hidden, grade=True, locked=True,
                                                             points=POINTS_HIDDEN)
                cells.append(hidden_cell)
                continue
            if regions:
                defines = [m.group("function") for m in _DEF.finditer(cell.source)]
                owner = next((answers[f] for f in defines if f in answers), None)
                grade_id = owner.answer_id if owner else f"answer_cell{index + 1}"
                cell.metadata["nbgrader"] = _nbgrader(grade_id, solution=True)
        elif cell.cell_type == "markdown":
            _, regions, _ = strip_solutions(cell.source, MARKDOWN_STUB, where)
            if regions:
                cell.metadata["nbgrader"] = _nbgrader(f"written_cell{index + 1}", solution=True,
                                                      grade=True, points=POINTS_WRITTEN)
        cells.append(cell)
    nb.cells = cells
    nb.metadata.pop("widgets", None)
    nbformat.validate(nb)
    return nb, exercises


# ----------------------------------------------------------------------
# The course directory
# ----------------------------------------------------------------------
def nbgrader_config() -> str:
    """The text of the course's ``nbgrader_config.py``."""
    from .student import CODE_STUB, MARKDOWN_STUB

    return "\n".join((
        '"""nbgrader\'s settings for the autodiff-kit course (written by `autodiff-kit assignments`)."""',
        "",
        "c = get_config()  # noqa: F821 (nbgrader defines it)",
        f"c.CourseDirectory.course_id = {COURSE_ID!r}",
        "# The stubs of the release: the same as the student copies of `make student`.",
        f"c.ClearSolutions.code_stub = {{'python': {chr(10).join(CODE_STUB)!r}}}",
        f"c.ClearSolutions.text_stub = {chr(10).join(MARKDOWN_STUB)!r}",
        "# A learner's endless loop stops after this many seconds per cell.",
        f"c.Execute.timeout = {CELL_TIMEOUT}",
        "",
    ))


def _exercise_package(lessons_dir: Path, modules: Sequence[str]) -> dict[str, str]:
    """The student copy of the ``exercises/`` files a lesson imports: {file name: text}.

    ``modules`` are the modules the notebook imports (``lesson11``); with
    them come ``__init__.py``, ``common.py`` and every module they import
    in turn (``from .lesson10 import adam_reference``).
    """
    from .student import student_exercise_module

    folder = lessons_dir / "exercises"
    files: dict[str, str] = {}
    wanted = [*_PACKAGE, *(f"{module}.py" for module in modules)]
    while wanted:
        file_name = wanted.pop(0)
        path = folder / file_name
        if file_name in files or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        files[file_name] = student_exercise_module(text, name=f"exercises/{file_name}")
        wanted += [f"{node.module}.py" for node in ast.walk(ast.parse(text))
                   if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module]
    return dict(sorted(files.items()))


def write_source(course_dir: Path, lessons: Sequence[str] | None = None, *,
                 lessons_dir: Path | None = None) -> list[str]:
    """Write ``course_dir/nbgrader_config.py`` and ``course_dir/source/<assignment>/``; return the names.

    ``lessons`` are lesson numbers ("03", "5"); None takes every lesson
    that has a graded exercise. Each assignment folder is written afresh
    (anything else in it is removed), every file atomically. A lesson
    named in ``lessons`` without a graded exercise is a `ValueError`; an
    unknown one a `LookupError`. Nothing here needs nbgrader itself.
    """
    import nbformat

    from . import lessons_source
    from .student import _write_atomically

    course_dir = Path(course_dir)
    lessons_dir = lessons_source() if lessons_dir is None else Path(lessons_dir)
    if course_dir.exists() and not course_dir.is_dir():
        raise NotADirectoryError(f"{course_dir} is a file, not a folder")
    prepared = []
    for notebook in select_lessons(lessons, lessons_dir):
        name = assignment_name(notebook)
        nb, exercises = source_notebook(nbformat.read(notebook, as_version=4),
                                        module=f"exercises.{name}", name=str(notebook))
        if not exercises:
            if lessons is not None:
                raise ValueError(f"{notebook.name} has no graded exercise (a solution cell and its "
                                 "check cell), so it makes no assignment")
            continue
        modules = sorted({module.split(".", 1)[1] for module in imported_from_exercises(nb.cells).values()})
        prepared.append((name, notebook.name, nbformat.writes(nb) + "\n",
                         _exercise_package(lessons_dir, modules or [name])))
    course_dir.mkdir(parents=True, exist_ok=True)
    _write_atomically(course_dir / "nbgrader_config.py", nbgrader_config())
    for name, file_name, text, package in prepared:
        folder = course_dir / "source" / name
        if folder.exists():
            shutil.rmtree(folder)
        (folder / "exercises").mkdir(parents=True)
        _write_atomically(folder / file_name, text)
        for module_name, module_text in package.items():
            _write_atomically(folder / "exercises" / module_name, module_text)
    return [name for name, *_ in prepared]


@contextlib.contextmanager
def nbgrader_api(course_dir: Path) -> Iterator[Any]:
    """nbgrader's Python API (`nbgrader.apps.NbGraderAPI`) on the course, its nbgrader_config.py read.

    Every ``nbgrader`` command has a method there (``generate_assignment``,
    ``autograde``, ``generate_feedback``, ...), run in this process, which
    is much quicker than starting nbgrader's command line for each. While
    the API is in use this Python's scripts folder leads PATH: nbgrader runs
    ``alembic`` from it to make a gradebook, and the kernel it starts is
    ``python`` from there, so a course made from a virtual environment works
    without activating it.
    """
    if importlib.util.find_spec("nbgrader") is None:
        raise ModuleNotFoundError("No module named 'nbgrader'", name="nbgrader")
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    course_dir = Path(course_dir).resolve()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()
    config.CourseDirectory.root = str(course_dir)
    path = os.environ.get("PATH")
    os.environ["PATH"] = pathsep.join(filter(None, (str(Path(sys.executable).parent), path)))
    try:
        yield NbGraderAPI(config=config)
    finally:
        if path is None:
            os.environ.pop("PATH", None)
        else:
            os.environ["PATH"] = path


def outcome(result: dict, what: str) -> None:
    """Raise `RuntimeError` with nbgrader's error, the last lines, if an API call failed."""
    if not result.get("success"):
        said = "\n".join((result.get("error") or result.get("log") or "").strip().splitlines()[-8:])
        raise RuntimeError(f"nbgrader {what} failed:\n{said}")


def release(course_dir: Path, names: Sequence[str], *, force: bool = False) -> None:
    """``nbgrader generate_assignment`` for each of ``names``: ``course_dir/release/<name>/``.

    ``force`` replaces a release that exists already (without it, nbgrader
    keeps it). A failure is a `RuntimeError` with nbgrader's own last lines.
    """
    with nbgrader_api(course_dir) as api:
        for name in names:
            outcome(api.generate_assignment(name, force=force), f"generate_assignment {name}")


# ----------------------------------------------------------------------
# The hidden test
# ----------------------------------------------------------------------
# Held-out cases: inputs the release does not contain, for the exercises whose
# module has a reference function that computes the expected value from the
# inputs. {(module, exercise): (reference, inputs)}; an input is the tuple of
# positional arguments. The hidden cell carries the inputs literally; the
# expected values are computed from the kit's own reference when it grades.
HELD_OUT: dict[tuple[str, str], tuple[str, tuple[tuple, ...]]] = {
    ("exercises.lesson07", "ex_sigmoid_derivative"):
        ("_sigmoid_slope", ((0.3,), (-1.7,), (4.25,), (-0.6,))),
    ("exercises.lesson08", "ex_linear"):
        ("_expected_linear", (([0.5, 1.5], [[2.0, -1.0]], [0.75]),
                              ([-1.0, 0.25, 2.0], [[1.0, 0.5, -0.5], [-2.0, 0.0, 1.0]], [0.0, 1.5]))),
    ("exercises.lesson09", "ex_mse"):
        ("_expected_mse", (([1.5, -0.5, 0.25], [0.0, 0.5, 0.25]), ([-2.0], [3.0]))),
    ("exercises.lesson09", "ex_log_sigmoid"):
        ("_expected_log_sigmoid", ((1.25,), (-7.5,), (350.0,), (-800.0,))),
    ("exercises.lesson09", "ex_hinge"):
        ("_expected_hinge", (([0.75, -1.5], [1, 1]), ([0.9, 1.1, -0.4], [-1, 1, -1]))),
    ("exercises.lesson09", "ex_log_softmax"):
        ("_expected_log_softmax", (([0.5, -1.25, 3.0],), ([800.0, 799.5],))),
}
# The packages the hidden test reloads; none may come from the submission's folder.
_TRUSTED = ("autodiff", "widgets", "autodiff_kit")
_GRADED_PACKAGE = "_autodiff_kit_graded_exercises"   # the kit's own exercises, loaded under this name


class HiddenTestError(AssertionError):
    """The hidden test's verdict: the learner's function fails, or the grading environment is not the kit's."""


def hidden_cell_source(module: str, exercise: str, function: str) -> str:
    """The code of an exercise's hidden test cell, from ``### BEGIN HIDDEN TESTS`` to its end.

    It imports this module afresh, with the notebook's folder off
    ``sys.path`` (so a file the learner added cannot stand in for it), and
    calls `hidden_check`; the held-out inputs of `HELD_OUT`, if the
    exercise has any, are written into the cell.
    """
    reference, inputs = HELD_OUT.get((module, exercise), (None, ()))
    call = f"_hidden_check({module!r}, {exercise!r}, {function}"
    if reference is not None:
        call += f",\n              reference={reference!r}, held_out={list(inputs)!r}"
    return "\n".join((
        f"# A hidden test ({POINTS_HIDDEN} point): nbgrader runs it when it grades.",
        HIDDEN_BEGIN,
        "import sys as _sys",
        "from pathlib import Path as _Path",
        "_path, _here = _sys.path[:], _Path.cwd().resolve()",
        "_sys.path[:] = [_p for _p in _path if _p and _Path(_p).resolve() != _here]",
        "for _name in [_n for _n in _sys.modules if _n.split('.')[0] == 'autodiff_kit']:",
        "    del _sys.modules[_name]",
        "try:",
        "    from autodiff_kit.assignments import hidden_check as _hidden_check",
        "finally:",
        "    _sys.path[:] = _path",
        call + ")",
        HIDDEN_END))


def _inside(path: str | None, folder: Path) -> bool:
    return path is not None and Path(path).resolve().is_relative_to(folder)


def _root(name: str) -> str:
    return name.split(".", 1)[0]


def _load_graded_module(module: str) -> Any:
    """The kit's own exercise module ``module`` ("exercises.lesson07"), solutions and references included.

    Loaded from `autodiff_kit.lessons_source` under a private package
    name, so the ``exercises/`` in the notebook's folder plays no part.
    """
    from . import lessons_source

    package_dir = lessons_source() / "exercises"
    if module.split(".", 1)[0] != "exercises" or "." not in module:
        raise ValueError(f"hidden_check: module must be 'exercises.lessonNN', got {module!r}")
    for name in [n for n in sys.modules if _root(n) == _GRADED_PACKAGE]:
        del sys.modules[name]
    spec = importlib.util.spec_from_file_location(_GRADED_PACKAGE, package_dir / "__init__.py",
                                                  submodule_search_locations=[str(package_dir)])
    package = importlib.util.module_from_spec(spec)
    sys.modules[_GRADED_PACKAGE] = package
    spec.loader.exec_module(package)
    return importlib.import_module(f"{_GRADED_PACKAGE}.{module.split('.', 1)[1]}")


def _fresh_twin(value: Any) -> Any:
    """The freshly imported counterpart of ``value`` (a module, class or function of a trusted package)."""
    if isinstance(value, type(sys)):
        module, qualname = value.__name__, ""
    else:
        module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or "<" in qualname:
        return value
    if _root(module) not in _TRUSTED:
        return value
    try:
        twin: Any = importlib.import_module(module)
    except Exception:   # a module of the kit that no longer imports: leave the name as it is
        return value
    for part in filter(None, qualname.split(".")):
        twin = getattr(twin, part, None)
        if twin is None:
            return value
    return twin


def _plain_like(got: Any, expected: Any) -> bool:
    """Is ``got`` built like ``expected``: numbers for numbers, the same containers, the same types?

    `matches` falls back on ``got == expected`` for anything else, which an
    object with an ``__eq__`` that always says True would pass.
    """
    from autodiff.arguments import is_real

    if is_real(expected):
        return is_real(got)
    if isinstance(expected, (list, tuple)):
        return (type(got) in (list, tuple) and len(got) == len(expected)
                and all(_plain_like(g, e) for g, e in zip(got, expected)))
    if isinstance(expected, dict):
        return type(got) is dict and all(_plain_like(got.get(k), e) for k, e in expected.items())
    if type(expected).__module__ == "numpy":
        return type(got).__module__ == "numpy" or isinstance(got, (list, tuple))
    return type(got) is type(expected)


def hidden_check(module: str, exercise: str, fn: Callable, *, reference: str | None = None,
                 held_out: Sequence[Any] = (), submission: Path | str | None = None) -> None:
    """Raise `HiddenTestError` (an AssertionError) unless ``fn`` passes ``exercise`` as the kit defines it.

    What the learner's notebook may have changed counts for nothing:

    * ``autodiff``, ``widgets`` and ``autodiff_kit`` are imported afresh
      (their modules taken out of ``sys.modules`` first, ``submission``'s
      folder off ``sys.path``), and every one of them, the ones the notebook
      had loaded too, must come from outside ``submission`` (default: the
      current folder, where nbgrader runs the notebook): a package folder
      added to the submission fails the test with a message that says so;
    * the exercise is loaded from the kit's own lessons
      (`autodiff_kit.lessons_source`), not from the notebook's folder;
    * ``fn`` is called on each case directly and its value compared with
      the fresh module's `widgets.exercise.matches` (or the exercise's own
      ``compare``), never through the (patchable) ``check``/``feedback``;
      a value must also be built like the expected one (numbers, the same
      containers), so an object equal to everything fails;
    * while ``fn`` runs, the names of its module that point into those
      packages (``Var``, ``autodiff``) point to the fresh ones; everything
      is put back afterwards.

    The cases: every visible case in reverse order, twice over (an answer
    that keeps state between calls or depends on their order fails), then
    ``held_out``, inputs the release does not contain, with expected values
    from the kit module's function ``reference``: a table of the visible
    answers fails them.
    """
    folder = (Path.cwd() if submission is None else Path(submission)).resolve()
    if not callable(fn):
        raise HiddenTestError(f"hidden test: {exercise} needs a function, got {type(fn).__name__}")
    old = {name: mod for name, mod in sys.modules.items() if _root(name) in _TRUSTED}
    shadows = sorted(name for name, mod in old.items() if _inside(getattr(mod, "__file__", None), folder))
    if shadows:
        raise HiddenTestError(
            f"hidden test: the notebook loaded {', '.join(shadows[:3])} from the submission's folder "
            f"{folder}, not from the installed kit: a submission may not bring its own copy of the "
            "kit. Remove the files the release does not have (autodiff-kit assignments DIR "
            "--clean-submissions) and grade again.")
    namespace = getattr(fn, "__globals__", {})
    saved_globals = dict(namespace)
    saved_path = sys.path[:]
    for name in old:
        del sys.modules[name]
    try:
        sys.path[:] = [p for p in saved_path if p and Path(p).resolve() != folder]
        fresh = [importlib.import_module(name) for name in ("autodiff", "widgets.exercise", "autodiff_kit")]
        master_module = _load_graded_module(module)
        loaded = [*fresh, master_module]
        outside = [m.__name__ for m in loaded if not getattr(m, "__file__", None) or _inside(m.__file__, folder)]
        if outside:
            raise HiddenTestError(f"hidden test: {', '.join(outside)} came from the submission's folder "
                                  f"{folder}, not from the installed kit")
        for name, value in saved_globals.items():
            twin = _fresh_twin(value)
            if twin is not value:
                namespace[name] = twin
        sys.path[:] = saved_path
        for name, what in ((exercise, "exercise"), (reference, "reference function")):
            if name is not None and not hasattr(master_module, name):
                raise ValueError(f"hidden_check: the kit's {module} has no {what} {name!r}: was the "
                                 "course made with another version of the kit?")
        _run_cases(getattr(master_module, exercise), fn, master_module, reference, held_out, fresh[1])
    finally:
        sys.path[:] = saved_path
        for name in [n for n in sys.modules if _root(n) in (*_TRUSTED, _GRADED_PACKAGE)]:
            del sys.modules[name]
        sys.modules.update(old)
        namespace.update(saved_globals)


def _run_cases(master: Any, fn: Callable, master_module: Any, reference: str | None,
               held_out: Sequence[Any], exercise_module: Any) -> None:
    """Call ``fn`` on the master's visible cases (reversed, twice) and the held-out ones; raise on the first miss."""
    import copy

    if not isinstance(master, exercise_module.Exercise):
        raise HiddenTestError(f"hidden test: {master!r} is not an exercise of the kit")
    visible = list(reversed(master.cases))
    cases = [("visible, in reverse order", case) for case in visible * 2]
    if held_out:
        expected_of = getattr(master_module, reference)
        for given in held_out:
            args = tuple(given) if isinstance(given, (tuple, list)) else (given,)
            cases.append(("held out", (args, expected_of(*copy.deepcopy(args)))))
    for number, (kind, (args, expected)) in enumerate(cases, 1):
        args = args if isinstance(args, tuple) else (args,)
        call_args = copy.deepcopy(args)
        shown = ", ".join(exercise_module._show(a) for a in args)
        where = f"hidden test of {master.title}, case {number} of {len(cases)} ({kind}): f({shown})"
        try:
            got = fn(*call_args) if master.run is None else master.run(fn, *call_args)
        except NotImplementedError:
            raise HiddenTestError(f"{where}: Not done yet (the function raises NotImplementedError)") from None
        except KeyboardInterrupt:
            raise
        except BaseException as error:   # SystemExit too: the learner's error like any other
            raise HiddenTestError(f"{where} raised {type(error).__name__}: {error}") from None
        if master.compare is not None:
            ok = bool(master.compare(got, expected))
        else:
            ok = _plain_like(got, expected) and exercise_module.matches(
                got, expected, rel_tol=master.rel_tol, abs_tol=master.abs_tol)
        if not ok:
            raise HiddenTestError(f"{where}: expected {exercise_module._show(expected)}, "
                                  f"got {exercise_module._show(got)}")


# ----------------------------------------------------------------------
# Before autograding: only the release's files
# ----------------------------------------------------------------------
# Files nbgrader itself writes into a submission (the exchange's time stamp and secret).
NBGRADER_FILES = ("timestamp.txt", "submission_secret.txt")
SET_ASIDE = "set_aside"   # DIR/set_aside/<student>/<assignment>/: what --clean-submissions moved


def clean_submissions(course_dir: Path, names: Sequence[str] | None = None) -> list[Path]:
    """Move out of ``submitted/`` every file the release of its assignment does not have; return them.

    ``nbgrader autograde`` copies everything in a learner's submission
    folder to ``autograded/`` and runs the notebook there, so a folder
    ``autodiff/`` or a ``widgets.py`` the learner added would be imported in
    place of the kit's; ``CourseDirectory.include``/``ignore`` don't stop
    it. Run this before autograding: each such file goes to
    ``course_dir/set_aside/<student>/<assignment>/`` (kept, for the
    instructor to look at), and the submission keeps only files whose
    path the release has, and nbgrader's own `NBGRADER_FILES`. ``names``
    limits it to some assignments (default: every released one). The
    moved files are returned, in their new place.
    """
    course_dir = Path(course_dir)
    released = course_dir / "release"
    submitted = course_dir / "submitted"
    if not released.is_dir():
        raise FileNotFoundError(f"{released} is missing: release the assignments first "
                                "(autodiff-kit assignments DIR --release)")
    wanted = sorted(p.name for p in released.iterdir() if p.is_dir()) if names is None else list(names)
    moved: list[Path] = []
    for name in wanted:
        release_dir = released / name
        if not release_dir.is_dir():
            raise FileNotFoundError(f"{release_dir} is missing: {name} has no release")
        allowed = {p.relative_to(release_dir) for p in release_dir.rglob("*") if p.is_file()}
        allowed |= {Path(f) for f in NBGRADER_FILES}
        for student_dir in sorted(submitted.iterdir()) if submitted.is_dir() else ():
            folder = student_dir / name
            if not folder.is_dir():
                continue
            for path in sorted(folder.rglob("*"), reverse=True):   # files before their folders
                relative = path.relative_to(folder)
                if path.is_symlink() or (path.is_file() and relative not in allowed):
                    target = course_dir / SET_ASIDE / student_dir.name / name / relative
                    target.parent.mkdir(parents=True, exist_ok=True)
                    if target.exists() or target.is_symlink():
                        target.unlink()
                    os.replace(path, target)
                    moved.append(target)
                elif path.is_dir() and not any(path.iterdir()):
                    path.rmdir()
    return moved


# ----------------------------------------------------------------------
# autodiff-kit assignments DIR
# ----------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, metavar="DIR",
                        help="the course folder (make assignments: course)")
    parser.add_argument("--lessons", nargs="+", default=None, metavar="NN",
                        help="the lessons, by number (03 5 ...); default: every lesson with exercises")
    parser.add_argument("--release", action="store_true",
                        help="also run nbgrader generate_assignment: DIR/release/lessonNN/")
    parser.add_argument("--force", action="store_true",
                        help="replace assignments that DIR/source (and DIR/release) has already")
    parser.add_argument("--clean-submissions", action="store_true",
                        help="only move the files the release does not have out of DIR/submitted/ "
                             "(into DIR/set_aside/): run it before nbgrader autograde")


def run(args: argparse.Namespace) -> int:
    """Exit status: 0 written, 1 a lesson or nbgrader failed, 2 bad usage, 3 nbgrader missing."""
    from . import lessons_source

    course: Path = args.dir
    if course.exists() and not course.is_dir():
        print(f"autodiff-kit assignments: {course} is a file, not a folder", file=sys.stderr)
        return 2
    if args.release and importlib.util.find_spec("nbgrader") is None:
        raise ModuleNotFoundError("No module named 'nbgrader'", name="nbgrader")
    try:
        wanted = [assignment_name(path) for path in select_lessons(args.lessons)]
    except LookupError as error:
        print(f"autodiff-kit assignments: {error.args[0]}", file=sys.stderr)
        return 2
    if args.clean_submissions:
        try:
            moved = clean_submissions(course, wanted if args.lessons else None)
        except FileNotFoundError as error:
            print(f"autodiff-kit assignments: {error}", file=sys.stderr)
            return 2
        for path in moved:
            print(f"set aside: {path}")
        print(f"{course / 'submitted'}: {len(moved)} file{'' if len(moved) == 1 else 's'} the release "
              f"does not have moved to {course / SET_ASIDE}")
        return 0
    present = [name for name in wanted if (course / "source" / name).exists()
               or (args.release and (course / "release" / name).exists())]
    if present and not args.force:
        print(f"autodiff-kit assignments: {course} already has {', '.join(present)}; "
              "add --force to replace them", file=sys.stderr)
        return 2
    try:
        names = write_source(course, args.lessons, lessons_dir=lessons_source())
    except ValueError as error:   # markers that don't pair up, a solution the student copy keeps
        print(f"autodiff-kit assignments: {error}", file=sys.stderr)
        return 1
    print(f"{course / 'source'}: {len(names)} assignment{'' if len(names) == 1 else 's'} ({', '.join(names)})")
    if args.release:
        try:
            release(course, names, force=args.force)
        except RuntimeError as error:
            print(f"autodiff-kit assignments: {error}", file=sys.stderr)
            return 1
        print(f"{course / 'release'}: released with nbgrader generate_assignment")
    return 0
