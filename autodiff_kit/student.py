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
* a cell tagged ``solution`` (cell metadata ``tags``) is left out entirely:
  for instructor-only cells, such as a worked demonstration;
* every output and execution count is cleared, with the cells' execution
  timestamps and the saved widget state; everything else is kept.

A marker without its partner, or one inside another pair, is an error that
names the notebook and the cell, and nothing is written for that notebook.
Only nbformat is needed (not the kit's engine), imported when a notebook is read,
so `autodiff-kit --help` stays quick.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

BEGIN = re.compile(r"^(\s*)#+\s*BEGIN SOLUTION\s*$", re.IGNORECASE)
END = re.compile(r"^\s*#+\s*END SOLUTION\s*$", re.IGNORECASE)
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_STUB = ("YOUR ANSWER HERE",)
SOLUTION_TAG = "solution"


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
    nbformat.write(nb, target)
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
    """``python tools/make_student.py [NOTEBOOK or FOLDER ...] [--out DIR]``: single notebooks."""
    from . import lessons_source

    parser = argparse.ArgumentParser(
        description="Write student copies of lesson notebooks, solutions removed.")
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks or folders of notebooks (default: the kit's lessons)")
    parser.add_argument("--out", type=Path, default=Path("student"),
                        help="output folder (default: student/)")
    args = parser.parse_args(argv)
    sources: list[Path] = []
    for path in args.notebooks or [lessons_source()]:
        sources += sorted(path.glob("*.ipynb")) if path.is_dir() else [path]
    if not sources:
        parser.error("no notebooks found")
    return 1 if copy_all(sources, args.out) else 0


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
    """Exit status: 0 written, 1 a notebook failed (bad markers), 2 a bad folder."""
    import shutil

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
        shutil.copytree(exercises, out / "exercises", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.updated.*"))
        print(f"{out / 'exercises'}: the exercise modules")
    return 1 if failed else 0
