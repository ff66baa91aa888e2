"""Make student copies of the lessons: the solutions taken out, the outputs cleared.

    autodiff-kit student DIR                          # the kit's lessons -> DIR, exercises/ too
    autodiff-kit student DIR --from my-course         # a course's own lessons
    python tools/make_student.py notebooks/02_x.ipynb --out /tmp/student   # single notebooks

(``make student`` runs ``autodiff-kit student student --force``.) Every
notebook is written, with the same file name, to the output folder; the
originals are never changed. In the copy:

* in a code cell, the lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION``
  (the markers included) become, at the indentation of the BEGIN line, as
  nbgrader writes them::

      # YOUR CODE HERE
      raise NotImplementedError()

  Put each solution inside a function, and have the check cell call it
  through `widgets.exercise.Exercise.check`: the stub then makes the check
  say "Not done yet", and the copy still runs top to bottom. A solution at
  the top level of a cell would stop the run there; the tool warns about it;
* in a markdown cell, the lines between the markers become ``YOUR ANSWER HERE``;
* a code cell that defines an exercise, ``Exercise(..., solution="...")``,
  has its solution withheld as in an exercise module (below); better still,
  define exercises in a module, as the kit's lessons do;
* a cell tagged ``solution`` (cell metadata ``tags``) is left out entirely:
  for instructor-only cells, such as a worked demonstration;
* every output and execution count is cleared, with the cells' execution
  timestamps and the saved widget state; everything else is kept.

A marker without its partner, or one inside another pair, is an error that
names the notebook and the cell, and nothing is written for that notebook.

The exercise modules (``exercises/*.py``, which the lessons import) are
copied too, rewritten by `student_exercise_module` so that no solution
exists in them: each ``solution="..."`` of an ``Exercise(...)`` (or of a
subclass, such as ``DescribedExercise(...)``) becomes ``solution=WITHHELD``,
and a hint that contains a line of its solution's code becomes
``WITHHELD_HINT`` (both from `widgets.exercise`, which explains them). The
learner's ladder then ends with a rung saying that the instructor has the
solutions. No ``__pycache__`` or compiled file is ever copied: a ``.pyc``
holds the strings of the original. The self-study lessons in ``notebooks/``
keep their full ladder.

Only nbformat is needed (not the kit's engine), imported when a notebook is read,
so `autodiff-kit --help` stays quick. Every file is written atomically (a
temporary file in the same folder, then `os.replace`).
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import sys
from pathlib import Path

BEGIN = re.compile(r"^(\s*)#+\s*BEGIN SOLUTION\s*$", re.IGNORECASE)
END = re.compile(r"^\s*#+\s*END SOLUTION\s*$", re.IGNORECASE)
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_STUB = ("YOUR ANSWER HERE",)
SOLUTION_TAG = "solution"


_SOLUTION_KEYWORD = re.compile(r"\bsolution\s*=")  # which cells to parse, not how to rewrite them


class MarkerError(ValueError):
    """Markers that don't pair up."""


def strip_solutions(source: str, stub: tuple[str, ...], where: str = "cell") -> tuple[str, int, list[int]]:
    """``source`` with each solution region replaced by ``stub``.

    Returns the new source, how many regions were replaced, and the line
    numbers (1-based) of BEGIN markers at indentation 0.
    """
    out: list[str] = []
    regions, top_level, begin_line, indent = 0, [], 0, ""
    for number, line in enumerate(source.splitlines(keepends=True), 1):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if begin_line:
                raise MarkerError(f"{where}, line {number}: BEGIN SOLUTION inside the region "
                                  f"opened at line {begin_line}")
            begin_line, indent = number, begin.group(1)
            if not indent:
                top_level.append(number)
        elif end:
            if not begin_line:
                raise MarkerError(f"{where}, line {number}: END SOLUTION without a BEGIN SOLUTION")
            newline = "\n" if line.endswith("\n") else ""
            out.append("\n".join(indent + text for text in stub) + newline)
            regions, begin_line = regions + 1, 0
        elif not begin_line:
            out.append(line)
    if begin_line:
        raise MarkerError(f"{where}, line {begin_line}: BEGIN SOLUTION without an END SOLUTION")
    return "".join(out), regions, top_level


def has_solutions(path: Path) -> bool:
    """Does this notebook have a solution region or a cell tagged solution?"""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return any(SOLUTION_TAG in cell.metadata.get("tags", ()) or
               any(BEGIN.match(line) for line in cell.source.splitlines())
               for cell in nb.cells)


def student_notebook(nb: nbformat.NotebookNode,
                     name: str = "notebook") -> tuple[nbformat.NotebookNode, int, list[str]]:
    """The student copy of ``nb`` (a new notebook), how many solutions it lost, and warnings."""
    import nbformat

    nb = nbformat.from_dict(nb)  # a deep copy: the original is left alone
    cells, removed, warnings = [], 0, []
    for index, cell in enumerate(nb.cells, 1):
        if SOLUTION_TAG in cell.metadata.get("tags", ()):
            removed += 1
            continue
        where = f"{name}, cell {index}"
        if cell.cell_type == "code":
            cell.source, regions, top_level = strip_solutions(cell.source, CODE_STUB, where)
            warnings += [f"{where}, line {line}: a solution at the top level of a cell; the student "
                         "copy stops there with NotImplementedError. Put it inside a function."
                         for line in top_level]
            if _SOLUTION_KEYWORD.search(cell.source):  # an Exercise(..., solution="...") in the cell
                withheld = student_exercise_module(cell.source, name=where)
                regions += withheld != cell.source
                cell.source = withheld
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
        elif cell.cell_type == "markdown":
            cell.source, regions, _ = strip_solutions(cell.source, MARKDOWN_STUB, where)
        else:
            regions = 0
        removed += regions
        cells.append(cell)
    nb.cells = cells
    nb.metadata.pop("widgets", None)
    return nb, removed, warnings


# ----------------------------------------------------------------------
# Exercise modules: every solution withheld
# ----------------------------------------------------------------------
EVIDENCE_MIN_CHARS = 12
"""How many characters, not counting whitespace, a solution line needs to be evidence of it."""

HINT_MIN_CHARS = 6
"""The same, for a hint: a hint that holds ``return x * x`` gives the answer away, ``else:`` does not."""

_DEF_HEADER = re.compile(r"^(async\s+)?def\s+\w+\s*\(.*\)\s*(->.*)?:$")
_INLINE_COMMENT = re.compile(r"\s+#\s.*$")
WITHHELD_NAMES = ("WITHHELD", "WITHHELD_HINT")
WITHHELD_IMPORT = ("from widgets.exercise import WITHHELD, WITHHELD_HINT"
                   "  # make student: the solutions are withheld in this copy\n\n")


class StudentCopyError(ValueError):
    """An exercise module whose solutions cannot be withheld (the error names the module)."""


def squeeze(text: str) -> str:
    """``text`` without whitespace and backticks: how solution lines are compared.

    Neither spacing nor markdown's code marks disguise a line: the hint
    "`for x in xs`: add it" holds the line ``for x in xs:``.
    """
    return "".join(text.split()).replace("`", "")


def is_evidence(line: str, min_chars: int = EVIDENCE_MIN_CHARS) -> bool:
    """Is this (stripped) line of a solution distinctive enough that finding it gives the solution away?

    The rule: at least ``min_chars`` characters that are not whitespace
    (`EVIDENCE_MIN_CHARS` in a file; `HINT_MIN_CHARS` in a hint, which is
    prose, where any code at all stands out), and not a ``def`` header.
    Shorter lines (``else:``, ``return out``, ``total = 0``, a lone
    bracket) occur in any Python code; a ``def`` header is the signature
    the learner's stub is given on purpose.
    """
    return len(squeeze(line)) >= min_chars and not _DEF_HEADER.match(line.strip())


def solution_lines(solution: str, min_chars: int = EVIDENCE_MIN_CHARS) -> list[str]:
    """The lines of ``solution`` that are evidence of it (`is_evidence`), stripped, each once.

    A line with an inline comment (``x += 1  # why``) counts twice: as
    written, and without its comment, since either gives the code away.
    A solution whose body is one line (``return 6 * x - 4``) is that line
    alone: it is the whole answer, so it counts from `HINT_MIN_CHARS`.
    """
    stripped = [raw.strip() for raw in solution.splitlines()]
    body = [line for line in stripped if line and not _DEF_HEADER.match(line) and not line.startswith("#")]
    if len(body) == 1:
        min_chars = min(min_chars, HINT_MIN_CHARS)
    lines: list[str] = []
    for line in stripped:
        for form in (line, _INLINE_COMMENT.sub("", line)):
            if is_evidence(form, min_chars) and form not in lines:
                lines.append(form)
    return lines


def reveals(text: str, lines: list[str]) -> list[str]:
    """Which of the solution ``lines`` occur in ``text``, whitespace and backticks ignored (`squeeze`)."""
    squeezed = squeeze(text)
    return [line for line in lines if squeeze(line) in squeezed]


def _callee(call: ast.Call) -> str:
    """The name called: ``Exercise`` for ``Exercise(...)`` and ``widgets.exercise.Exercise(...)``."""
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def student_exercise_module(source: str, *, name: str) -> str:
    """The text of an exercise module with every solution withheld: its student copy.

    Each ``solution=`` of a call to ``Exercise`` or a subclass (a name
    ending in "Exercise", such as ``DescribedExercise``) must be a string
    literal (or None); its text becomes ``WITHHELD``. Each hint of that call
    (``hints=`` a tuple or list of string literals) that contains a line of
    the solution (`solution_lines` with `HINT_MIN_CHARS`; whitespace and
    backticks ignored) becomes
    ``WITHHELD_HINT``. The import of those two names from
    `widgets.exercise` is added after the docstring and ``__future__``
    imports. Only these source segments change, found with `ast` (never a
    regular expression over Python): everything else is kept byte for byte.
    A module without a solution is returned as it is.

    The result is checked before it is returned: it must parse, and no
    string literal in it may still hold a whole solution. Anything that
    stops this (a syntax error, a ``solution=`` that is not a literal, a
    solution passed by position, a name ``WITHHELD`` the module already
    uses, a docstring that shows a solution) raises `StudentCopyError`, naming ``name`` (the module) and the
    line. (Code of the module's own that repeats a line of a solution, a
    reference implementation say, is left as it is: the leak test over a
    whole student copy, tests/test_student_leak.py, is what finds it.)
    """
    try:
        tree = ast.parse(source, filename=name)
    except SyntaxError as error:
        raise StudentCopyError(f"{name}, line {error.lineno}: not valid Python ({error.msg}); "
                               "its solutions cannot be withheld") from None
    data = source.encode("utf-8")
    starts = [0]
    for line in data.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def span(node: ast.AST) -> tuple[int, int]:
        # ast's columns count UTF-8 bytes, hence the edits on bytes
        return (starts[node.lineno - 1] + node.col_offset, starts[node.end_lineno - 1] + node.end_col_offset)

    edits: list[tuple[int, int, str]] = []
    solutions: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in WITHHELD_NAMES and not isinstance(node.ctx, ast.Load):
            raise StudentCopyError(f"{name}, line {node.lineno}: the module already uses the name "
                                   f"{node.id}, which the student copy needs for itself")
        if not isinstance(node, ast.Call):
            continue
        keywords = {kw.arg: kw for kw in node.keywords if kw.arg is not None}
        callee = _callee(node)
        if callee == "Exercise" and len(node.args) >= 4:
            raise StudentCopyError(f"{name}, line {node.lineno}: Exercise(...) is given its solution "
                                   "by position; write solution=\"...\" so the copy can withhold it")
        if "solution" not in keywords:
            continue
        value = keywords["solution"].value
        if not callee.endswith("Exercise"):
            raise StudentCopyError(f"{name}, line {node.lineno}: solution= in a call to {callee or 'a function'}"
                                   "(...), not to an Exercise: the copy cannot tell how to withhold it")
        if (isinstance(value, ast.Constant) and value.value is None
                or isinstance(value, ast.Name) and value.id == "WITHHELD"):  # none, or withheld already
            continue
        if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
            raise StudentCopyError(f"{name}, line {value.lineno}: the solution of {callee}(...) is not a "
                                   "string literal; write its text in the call so the copy can withhold it")
        lines = solution_lines(value.value, HINT_MIN_CHARS)
        solutions.append(value.value)
        edits.append((*span(value), "WITHHELD"))
        hints = keywords.get("hints")
        if hints is None:
            continue
        if not (isinstance(hints.value, (ast.Tuple, ast.List))
                and all(isinstance(h, ast.Constant) and isinstance(h.value, str) for h in hints.value.elts)):
            # (a hint already withheld, the name WITHHELD_HINT, comes only with solution=WITHHELD)
            raise StudentCopyError(f"{name}, line {hints.value.lineno}: the hints of {callee}(...) are not "
                                   "a tuple of string literals; the copy cannot check them for the solution")
        edits += [(*span(hint), "WITHHELD_HINT") for hint in hints.value.elts if reveals(hint.value, lines)]
    if not edits:
        return source
    body = [stmt for stmt in tree.body
            if not (isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__")]
    if body and ast.get_docstring(tree, clean=False) is not None and body[0] is tree.body[0]:
        body = body[1:]
    first = min([body[0].lineno] + [d.lineno for d in getattr(body[0], "decorator_list", [])]) if body else 0
    edits.append((starts[first - 1] if body else len(data), ) * 2 + (WITHHELD_IMPORT,))
    for start, end, text in sorted(edits, reverse=True):
        data = data[:start] + text.encode("utf-8") + data[end:]
    result = data.decode("utf-8")
    _check_withheld(result, solutions, name)
    return result


def _check_withheld(result: str, solutions: list[str], name: str) -> None:
    """Raise `StudentCopyError` unless ``result`` parses and none of its string literals holds a solution."""
    try:
        tree = ast.parse(result, filename=name)
    except SyntaxError as error:  # a bug here, never the module's: say so
        raise StudentCopyError(f"{name}: withholding the solutions broke the module at line "
                               f"{error.lineno} ({error.msg}); please report this") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for solution in solutions:
                if squeeze(solution) in squeeze(node.value):
                    raise StudentCopyError(f"{name}, line {node.lineno}: a string (a docstring, say) "
                                           "holds a whole solution; keep solutions in solution=\"...\" only")


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path``: a temporary file in the same folder, then `os.replace`.

    The temporary file is the engine's (`autodiff.serialization`, imported
    only now): created with the usual permissions, so that a course's
    shared folder can read the copies.
    """
    from autodiff.serialization import _create_temporary

    temporary, fd = _create_temporary(str(path.parent), path.name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def make_student_copy(source: Path, out_dir: Path) -> Path:
    """Write the student copy of ``source`` into ``out_dir``; return its path."""
    source, out_dir = Path(source), Path(out_dir)
    target = out_dir / source.name
    if target.resolve() == source.resolve():
        raise ValueError(f"{source}: the student copy would overwrite the original; choose another --out")
    import nbformat

    nb, removed, warnings = student_notebook(nbformat.read(source, as_version=4), str(source))
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    nbformat.validate(nb)
    out_dir.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb)
    _write_atomically(target, text if text.endswith("\n") else text + "\n")  # as nbformat.write
    print(f"{target}: {removed} solution{'' if removed == 1 else 's'} removed")
    return target


def copy_all(sources: list[Path], out: Path) -> int:
    """Student copies of ``sources`` in ``out``; how many failed (each failure printed)."""
    failed = 0
    for source in sources:
        try:
            make_student_copy(source, out)
        except (ValueError, OSError) as error:  # MarkerError is a ValueError
            print(f"make_student: {error}", file=sys.stderr)
            failed += 1
    return failed


def main(argv: list[str] | None = None) -> int:
    """``python tools/make_student.py [NOTEBOOK or FOLDER ...] [--out DIR]``: single notebooks.

    A FOLDER's ``exercises/`` is copied too, through `copy_exercises`.
    """
    from . import lessons_source

    parser = argparse.ArgumentParser(
        description="Write student copies of lesson notebooks, solutions removed.")
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks or folders of notebooks (default: the kit's lessons)")
    parser.add_argument("--out", type=Path, default=Path("student"),
                        help="output folder (default: student/)")
    args = parser.parse_args(argv)
    sources: list[Path] = []
    folders = [path for path in args.notebooks or [lessons_source()] if path.is_dir()]
    for path in args.notebooks or [lessons_source()]:
        sources += sorted(path.glob("*.ipynb")) if path.is_dir() else [path]
    if not sources:
        parser.error("no notebooks found")
    failed = copy_all(sources, args.out)
    for folder in folders:  # a folder of lessons: its exercise modules go with them, solutions withheld
        if (folder / "exercises").is_dir():
            failed += copy_exercises(folder / "exercises", args.out / "exercises")
    return 1 if failed else 0


# ----------------------------------------------------------------------
# autodiff-kit student DIR
# ----------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, metavar="DIR", help="the folder for the student copies")
    parser.add_argument("--from", dest="source", type=Path, default=None, metavar="LESSONS",
                        help="a folder of lessons (NN_name.ipynb, exercises/); default: the kit's own")
    parser.add_argument("--force", action="store_true",
                        help="write into DIR even if it already has notebooks (they are replaced)")


def run(args: argparse.Namespace) -> int:
    """Exit status: 0 written, 1 a notebook or module failed (bad markers, say), 2 a bad folder."""
    from . import LESSON_GLOB, lessons_source

    source = lessons_source() if args.source is None else args.source
    out: Path = args.dir
    if not source.is_dir():
        print(f"autodiff-kit student: --from {source}: no such folder", file=sys.stderr)
        return 2
    sources = sorted(source.glob(LESSON_GLOB))
    if not sources:
        print(f"autodiff-kit student: {source} has no lessons (NN_name.ipynb)", file=sys.stderr)
        return 2
    if out.exists() and not out.is_dir():
        print(f"autodiff-kit student: {out} is a file, not a folder", file=sys.stderr)
        return 2
    if out.resolve() == source.resolve():
        print(f"autodiff-kit student: {out} is where the lessons are; choose another folder",
              file=sys.stderr)
        return 2
    if out.is_dir() and any(out.glob("*.ipynb")) and not args.force:
        print(f"autodiff-kit student: {out} already has notebooks; choose an empty folder, "
              "or add --force to replace them", file=sys.stderr)
        return 2
    failed = copy_all(sources, out)
    exercises = source / "exercises"
    if exercises.is_dir():  # the copies import them, as the lessons do
        failed += copy_exercises(exercises, out / "exercises")
    return 1 if failed else 0


SKIPPED = ("__pycache__", "*.py[cod]", "*.updated.*")
"""What is never copied from exercises/: compiled files hold the original strings, solutions too."""


def copy_exercises(source: Path, target: Path) -> int:
    """Copy the folder ``source`` to ``target``, each .py file through `student_exercise_module`.

    Nothing matching `SKIPPED` is copied, and a ``__pycache__`` already in
    ``target`` (from running an older copy) is deleted. A module that cannot
    be rewritten is reported and not written (an older copy of it in
    ``target`` is deleted too, so no solution is left behind). Returns how
    many modules failed.
    """
    import fnmatch
    import shutil

    failed = 0
    for stale in sorted(target.rglob("__pycache__")) if target.is_dir() else []:
        shutil.rmtree(stale)
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if any(fnmatch.fnmatch(part, pattern) for part in relative.parts for pattern in SKIPPED):
            continue
        destination = target / relative
        if path.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix != ".py":
            shutil.copyfile(path, destination)
            continue
        try:
            text = student_exercise_module(path.read_text(encoding="utf-8"), name=str(path))
        except (StudentCopyError, UnicodeDecodeError) as error:
            print(f"autodiff-kit student: {error}", file=sys.stderr)
            destination.unlink(missing_ok=True)
            failed += 1
            continue
        _write_atomically(destination, text)
    print(f"{target}: the exercise modules, every solution withheld")
    return failed
