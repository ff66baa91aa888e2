"""The leak test: no solution can be read anywhere in a student copy (issue 11).

`autodiff-kit student` (``make student``) writes the student copies of every
lesson into a folder, with their exercise modules. Here they are written into
a temporary folder, and then EVERY file there is searched for EVERY line of
EVERY solution. The solutions are collected here, independently of the tool,
from the self-study lessons:

* the lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` in any
  cell of a notebook in notebooks/, and every line of a cell tagged
  ``solution``;
* the text of every ``solution="..."`` keyword in notebooks/exercises/*.py
  (and in a notebook's code cell, should one define an exercise).

Which lines count as evidence
-----------------------------
A solution line is *checked* when both hold:

1. it is distinctive (`autodiff_kit.student.solution_lines`, pinned in
   test_student.py): at least 12 characters that are not whitespace, and not
   a ``def`` header. ``else:``, ``return out``, ``total = 0`` or a lone
   bracket are in any Python file; the ``def`` line is the signature the
   learner's stub is given. A line with an inline comment is checked with
   and without it. A solution whose body is one line (``return 6 * x - 4``)
   is the whole answer: that line counts from 6 characters;
2. it is not *taught in the open* (`taught_in_the_open`): the self-study
   lessons do not show it outside every solution region, in the lesson that
   asks for it or an earlier one. Such a line (``loss.backward()``, shown
   in lesson 09 before lesson 12 asks for a training step) is something the
   course gives every learner on purpose, not a secret.

A line is *found* in a file when it occurs in the file's text, or in one of
its strings once unescaped (a notebook's JSON strings, a module's string
literals), all whitespace (and backticks) ignored, so that neither spacing
nor escaping hides it. Bytes that are not UTF-8 (a .pyc, say) are read too.

What may still be found
-----------------------
Two lists name, file by file, the solution lines that are found and why
each is let through; any other find fails the test:

* `COINCIDENCES`: a checked line that the kit's own checking code, or a
  later lesson, happens to hold for another purpose (a checker that marks
  the nodes it has ``seen``, as a depth-first search does);
* `AWAITING_A_FIX`: real leaks that this tool cannot remove, in files it
  does not own (a reference implementation that *is* the solution). A
  strict xfail, `test_no_solution_awaits_a_fix`, insists that they go: it
  fails ("XPASS") as soon as they are gone, so that the entry is removed.

An entry that is no longer found fails `test_every_allowed_find_is_still_found`:
the lists never hold more than the copies need.

The same question asked of the code's shape
-------------------------------------------
A lesson can show an answer rewritten rather than copied: its variables
renamed, or "the bug" of the answer, ``=`` where the answer has ``+=``. So
every function a solution defines is also reduced to its shape
(`body_shape`: local names numbered in order of use, docstring, comments
and annotations dropped, ``x += y`` read as ``x = y``, a guard clause
``if not C: continue`` read as ``if C:`` around the rest), and no function
in the student copy, in a notebook's code cell or a module, may have the
shape of one. `SHAPE_COINCIDENCES` and `SHAPE_AWAITING_A_FIX` play the
roles of the two lists above, the second a strict xfail per entry.
`KNOWN_LEAKS` are the review's four cases (lessons 05, 05b, 07 and 13, all
fixed since), planted to show that the check finds them.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest

from autodiff_kit import LESSON_GLOB
from autodiff_kit.student import BEGIN, END, SOLUTION_TAG, run, solution_lines, squeeze

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "notebooks"
EXERCISES = LESSONS / "exercises"

# (file in the student copy, solution line) -> why it may be found there
COINCIDENCES: dict[tuple[str, str], str] = {
    ("05_implementing_backward.ipynb", "if node not in seen:"):
        "lesson 05 teaches the recursive topological sort, which marks nodes seen as 3.1's search does",
    ("05_implementing_backward.ipynb", "seen.add(node)"): "the same recursive sort",
    ("06b_higher_order.ipynb", "return v.grad"):
        "lesson 06b's own example returns a gradient, as 1.2 (lesson 01) does",
    ("exercises/lesson03.py", "for node in topological_order(root):"):
        "3.3's checker visits every node to find stale values; it computes no forward pass",
    ("exercises/lesson03.py", "if node.parents:"): "the same checker: leaves have nothing to recompute",
    ("exercises/lesson05.py", "seen.add(node)"): "order_verdict marks the nodes of a learner's order as seen",
    ("exercises/lesson05.py", "if node in seen:"): "order_verdict: a node listed twice",
    ("exercises/lesson05b.py", "node._backward()"):
        "the checker runs a learner's ops before their backward() exists, calling each node's _backward "
        "in reverse order of creation; 5b.3's exercise is the order (the sort), which the checker does not show",
    ("exercises/lesson05.py", "return gradient"): "lesson 05's helpers return a gradient, as 2.4 does",
    ("exercises/lesson07.py", "t = math.tanh(x)"): "the expected value of 7.2's tanh cases (lesson 04 asks for tanh)",
    ("exercises/lesson08.py", "gen = random.Random(seed)"):
        "the seeded reference network draws its weights from its own generator",
    ("exercises/lesson12.py", "return loss.data"): "a message telling the learner what to return",
    ("exercises/lesson15.py", "return loss.item()"): "a message telling the learner what to return",
    ("exercises/lesson15.py", "return counts"): "the checker returns the table it has checked",
    ("02_derivatives.ipynb", "return x * x"):
        "x ↦ x² is lesson 02's example function; 1.1's answer (square) is that one line",
    ("13b_cross_check_and_debugging.ipynb", "return x * x"):
        "lesson 13b's x·eˣ example, `return x * x.exp()`, begins the same way",
}
AWAITING_A_FIX: dict[tuple[str, str], str] = {}


# ----------------------------------------------------------------------
# The solutions, and the lessons' open text
# ----------------------------------------------------------------------
def lesson_key(name: str) -> str:
    """'05' for 05_implementing_backward.ipynb and lesson05.py, '05b' for 05b_... and lesson05b.py.

    Keys sort in the order of the course; common.py and __init__.py get '00'.
    """
    found = re.match(r"(?:lesson)?(\d\d[a-z]?)(?:_|\.py$)", name)
    return found.group(1) if found else "00"


def notebook_parts(path: Path) -> tuple[list[str], str]:
    """The solutions of a self-study notebook (one text per region, tagged cell or ``solution=`` in a
    cell), and its open text."""
    solutions, open_lines = [], []
    for cell in nbformat.read(path, as_version=4).cells:
        if SOLUTION_TAG in cell.metadata.get("tags", ()):
            solutions.append(cell.source)
            continue
        if cell.cell_type == "code" and "solution" in cell.source:
            with contextlib.suppress(SyntaxError):   # (a cell with %magic is no exercise definition)
                solutions += solution_keywords(cell.source)
        region = None
        for line in cell.source.splitlines():
            if BEGIN.match(line):
                region = []
            elif END.match(line):
                solutions.append("\n".join(region))
                region = None
            elif region is not None:
                region.append(line)
            else:
                open_lines.append(line)
    return solutions, "\n".join(open_lines)


def solution_keywords(source: str) -> list[str]:
    """The text of every ``solution="..."`` keyword in some Python source."""
    return [node.value.value for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.keyword) and node.arg == "solution"
            and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)]


def module_solutions(path: Path) -> list[str]:
    """The text of every ``solution="..."`` keyword in an exercise module."""
    return solution_keywords(path.read_text(encoding="utf-8"))


def all_solutions() -> tuple[dict[str, str], dict[str, str], int]:
    """{evidence line: key of the first lesson asking for it}, {lesson key: its open text}, and how
    many different solution lines there are (stripped, not empty)."""
    texts: list[tuple[str, str]] = []
    open_text: dict[str, str] = {}
    for path in sorted(LESSONS.glob("*.ipynb")):
        solutions, open_text[lesson_key(path.name)] = notebook_parts(path)
        texts += [(lesson_key(path.name), text) for text in solutions]
    for path in sorted(EXERCISES.glob("*.py")):
        texts += [(lesson_key(path.name), text) for text in module_solutions(path)]
    lines: dict[str, str] = {}
    for key, text in texts:
        for line in solution_lines(text):
            lines[line] = min(key, lines.get(line, key))
    every = len({line.strip() for _, text in texts for line in text.splitlines() if line.strip()})
    return lines, open_text, every


def taught_in_the_open(line: str, lesson: str, open_text: dict[str, str]) -> bool:
    """Does a self-study lesson up to ``lesson`` show ``line`` outside its solutions?"""
    return any(key <= lesson and squeeze(line) in squeeze(text) for key, text in open_text.items())


def readable_texts(path: Path) -> list[str]:
    """A file's text as it is, and its strings unescaped (JSON strings, Python string literals)."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    texts = [text]
    if path.suffix == ".ipynb":
        def strings(value):
            if isinstance(value, str):
                yield value
            elif isinstance(value, dict):
                for item in value.values():
                    yield from strings(item)
            elif isinstance(value, list):
                for item in value:
                    yield from strings(item)
        texts.append("\n".join(strings(json.loads(text))))
    elif path.suffix == ".py":
        texts += [node.value for node in ast.walk(ast.parse(text))
                  if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    return texts


def finds(folder: Path, lines: list[str]) -> set[tuple[str, str]]:
    """(file, line) for every checked line found in every file under ``folder``."""
    found = set()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        for text in readable_texts(path):
            haystack = squeeze(text)
            found |= {(name, line) for line in lines if squeeze(line) in haystack}
    return found


# ----------------------------------------------------------------------
# The student copy, built once
# ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("student") / "student"
    with contextlib.redirect_stdout(io.StringIO()):
        assert run(argparse.Namespace(dir=folder, source=LESSONS, force=False)) == 0
    return folder


@pytest.fixture(scope="module")
def checked() -> dict[str, str]:
    lines, open_text, _ = all_solutions()
    return {line: lesson for line, lesson in lines.items() if not taught_in_the_open(line, lesson, open_text)}


@pytest.fixture(scope="module")
def found(copy, checked) -> set[tuple[str, str]]:
    return finds(copy, list(checked))


def test_how_many_solution_lines_are_checked(checked, capsys):
    lines, _, every = all_solutions()
    with capsys.disabled():
        print(f"\nleak test: {every} solution lines, {len(lines)} distinctive, {len(checked)} checked")
    assert every > 200 and len(checked) >= 0.55 * every   # a laxer rule would fail here


def test_no_solution_line_in_any_file_of_the_student_copy(copy, found):
    assert sorted(p.name for p in copy.glob("*.ipynb")) == sorted(p.name for p in LESSONS.glob(LESSON_GLOB))
    unexpected = sorted(found - COINCIDENCES.keys() - AWAITING_A_FIX.keys())
    assert not unexpected, "solution lines in the student copy:\n" + "\n".join(map(repr, unexpected))


def test_no_compiled_file_in_the_student_copy(copy):
    assert not [p for p in copy.rglob("*") if p.name == "__pycache__" or p.suffix in (".pyc", ".pyo")]


def test_every_allowed_find_is_still_found(found):
    stale = sorted((COINCIDENCES.keys() | AWAITING_A_FIX.keys()) - found)
    assert not stale, "no longer found: remove from COINCIDENCES or AWAITING_A_FIX:\n" + "\n".join(map(repr, stale))


@pytest.mark.xfail(bool(AWAITING_A_FIX), strict=True,
                   reason="real leaks in files the student tool does not own: AWAITING_A_FIX")
def test_no_solution_awaits_a_fix(found):
    assert not found & AWAITING_A_FIX.keys()


def test_a_planted_solution_line_is_found(copy, checked, tmp_path):
    """The grep can fail: a solution line planted in a copy, in any form, is found."""
    line = next(line for line, lesson in checked.items() if lesson == "05" and len(squeeze(line)) > 20)
    planted = tmp_path / "planted"
    shutil.copytree(copy, planted)
    target = planted / "05_implementing_backward.ipynb"
    nb = nbformat.read(target, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell(f'A note: `{line}`  "quoted"'))
    nbformat.write(nb, target)
    escaped = repr("x = 1\n" + line.replace(" ", "\t"))                      # '...\\n...\\t...'
    (planted / "exercises" / "notes.py").write_text(f"NOTE = {escaped}\n")
    (planted / "exercises" / "lesson99.pyc").write_bytes(b"\x00\xff" + line.encode() + b"\x00")
    spaced = "   ".join(line.split(" "))
    (planted / "notes.txt").write_text(f"respaced: {spaced}\n")
    found = finds(planted, [line]) - finds(copy, [line])
    assert found == {(name, line) for name in ("05_implementing_backward.ipynb", "exercises/notes.py",
                                               "exercises/lesson99.pyc", "notes.txt")}


def test_the_open_rule_lets_through_only_what_an_earlier_lesson_shows():
    open_text = {"03": "x = f(y)\n`loss.backward()`", "07": "zz = shown_later(q)"}
    assert taught_in_the_open("loss.backward()", "05", open_text)            # lesson 03 shows it
    assert not taught_in_the_open("zz = shown_later(q)", "05", open_text)   # only lesson 07 does
    assert taught_in_the_open("zz = shown_later(q)", "07", open_text)
    assert lesson_key("05b_build_your_own_engine.ipynb") == "05b" and lesson_key("lesson05b.py") == "05b"
    assert lesson_key("05_x.ipynb") < lesson_key("lesson05b.py") < lesson_key("lesson06.py")


# ----------------------------------------------------------------------
# A student copy still runs, top to bottom, and says "Not done yet"
# ----------------------------------------------------------------------
EXECUTED = ("03_computation_graphs.ipynb", "05_implementing_backward.ipynb")   # ~6 s and ~10 s here
LADDER_CELL = '''\
import importlib
from widgets.exercise import Exercise
exercises = importlib.import_module("exercises.lesson{number}")
found = [ex for ex in vars(exercises).values() if isinstance(ex, Exercise)]
print("exercises:", len(found), "with a solution:", sum(ex.solution is not None for ex in found),
      "withheld:", sum(ex.solution_withheld for ex in found))
for _ in found[-1].rungs:
    found[-1].hint()'''


def shown(cell) -> str:
    """What a code cell shows as text: its streams, the text/plain of its results, its errors."""
    return "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") + o.get("ename", "")
                   for o in cell.get("outputs", []))


@pytest.mark.slow
@pytest.mark.parametrize("name", EXECUTED)
def test_an_executed_student_copy_says_not_done_yet_and_withholds_the_solutions(copy, name):
    """Run in a kernel, in the copy's folder (so it imports the copy's exercises): no error, every
    check says "Not done yet", no exercise holds a solution, and the ladder ends with the instructor."""
    from nbclient import NotebookClient

    nb = nbformat.read(copy / name, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(LADDER_CELL.format(number=name[:2])))
    start = time.monotonic()
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(copy)}}).execute()
    elapsed = time.monotonic() - start
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert not [o for cell in code for o in cell.outputs if o.output_type == "error"]
    checks = [cell for cell in code if ".check(" in cell.source]
    assert checks and all("✎ Not done yet" in shown(cell) for cell in checks), [shown(c)[:200] for c in checks]
    exercises, ladder = shown(nb.cells[-1]).split("\n", 1)
    assert exercises == f"exercises: {len(checks)} with a solution: 0 withheld: {len(checks)}"
    assert ladder.rstrip().splitlines()[-1].startswith("The solutions are not in this copy of the lesson")
    assert "instructor has them" in ladder and "def " not in ladder
    assert elapsed < 30, f"{name}: {elapsed:.0f} s"


# ----------------------------------------------------------------------
# The same question asked of the code's shape (review of issue 11, finding 3)
# ----------------------------------------------------------------------
# The line search above finds a solution copied line by line. A lesson can
# also show an answer rewritten: its variables renamed, or "the bug" of the
# answer with = where the answer has +=. Here every function a solution
# defines is reduced to its *shape* (`body_shape`), and no function anywhere
# in the student copy (a notebook's code cell, an exercise module) may have
# the shape of one.

# (file in the student copy, function defined there) -> why it may have a solution's shape
SHAPE_COINCIDENCES: dict[tuple[str, str], str] = {}
# (file in the student copy, function defined there) -> the solution it gives away, awaiting a fix in
# a lesson this test does not own; each is a strict xfail (`test_a_leaked_shape_awaiting_a_fix_is_gone`)
SHAPE_AWAITING_A_FIX: dict[tuple[str, str], str] = {}

FunctionNode = (ast.FunctionDef, ast.AsyncFunctionDef)


def parse_code(source: str) -> ast.Module | None:
    """A code cell or module as a tree (IPython's ``%magic`` and ``!shell`` lines blanked); None if not Python."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def functions_in(tree: ast.AST | None) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every function defined in ``tree``, nested ones and methods included."""
    return [node for node in ast.walk(tree) if isinstance(node, FunctionNode)] if tree else []


def answers_in(tree: ast.Module | None) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The functions a solution's text defines at its top level, and the methods of its classes.

    Not the functions nested in them: ``def _backward(): self.grad += ...``
    is part of an answer, and any engine in a later lesson has one like it.
    """
    found = []
    for node in tree.body if tree else []:
        if isinstance(node, FunctionNode):
            found.append(node)
        elif isinstance(node, ast.ClassDef):
            found += [item for item in node.body if isinstance(item, FunctionNode)]
    return found


def local_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """The names a function makes its own: its parameters, and every name it assigns or defines."""
    names = set()
    for node in ast.walk(function):
        if isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (*FunctionNode, ast.ClassDef)) and node is not function:
            names.add(node.name)
    return names


class _Shape(ast.NodeTransformer):
    """Rewrites a function body into its shape; see `body_shape`."""

    def __init__(self, local: set[str]):
        self.local, self.renamed = local, {}

    def rename(self, name: str) -> str:
        if name not in self.local:
            return name                                   # math, Var, topological_order: kept
        return self.renamed.setdefault(name, f"_v{len(self.renamed)}")

    def visit_Name(self, node: ast.Name) -> ast.Name:
        return ast.Name(id=self.rename(node.id), ctx=node.ctx)

    def visit_arg(self, node: ast.arg) -> ast.arg:
        return ast.arg(arg=self.rename(node.arg), annotation=None)

    def visit_FunctionDef(self, node):
        node = self.generic_visit(node)
        node.name, node.returns, node.decorator_list = self.rename(node.name), None, []
        node.body = _without_docstring(node.body)
        return node

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.Assign:
        node = self.generic_visit(node)
        target = node.target
        target.ctx = ast.Store()
        return ast.Assign(targets=[target], value=node.value)


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    first = body[0] if body else None
    if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)):
        return body[1:]
    return body


def _negated(test: ast.expr) -> ast.expr:
    return test.operand if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) else \
        ast.UnaryOp(op=ast.Not(), operand=test)


def _unguarded(body: list[ast.stmt]) -> list[ast.stmt]:
    """``if C: continue`` then the rest, as ``if not C:`` around the rest (the same loop), recursively."""
    for node in body:
        for field in ("body", "orelse", "finalbody"):
            if isinstance(getattr(node, field, None), list):
                setattr(node, field, _unguarded(getattr(node, field)))
        for handler in getattr(node, "handlers", []):
            handler.body = _unguarded(handler.body)
    for index, node in enumerate(body):
        rest = body[index + 1:]
        if (isinstance(node, ast.If) and not node.orelse and rest
                and len(node.body) == 1 and isinstance(node.body[0], ast.Continue)):
            return body[:index] + [ast.If(test=_negated(node.test), body=rest, orelse=[])]
    return body


def body_shape(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """What a function's body does, whatever it is called and however its names are spelt.

    The same for two functions whose bodies differ only in: the names of
    their parameters and local variables (renamed in order of first use:
    ``_v0``, ``_v1``...; global names such as ``math`` stay), the
    docstring, comments, annotations and formatting, ``x += y`` against
    ``x = y`` (a body one operator away from the answer gives the answer),
    and a guard clause (``if not C: continue`` then the rest) against the
    rest inside ``if C:``. Returns ``ast.dump`` of the rewritten body.
    """
    shape = _Shape(local_names(function))
    for argument in ast.walk(function.args):          # parameters first, in their order
        if isinstance(argument, ast.arg):
            shape.rename(argument.arg)
    body = [shape.visit(ast.parse(ast.unparse(statement)).body[0])
            for statement in _without_docstring(function.body)]
    return ast.dump(ast.Module(body=_unguarded(body), type_ignores=[]))


def solution_functions() -> dict[str, tuple[str, str]]:
    """{shape: (where the solution is, the function's name)} for every function a solution defines.

    A solution is: the text of a ``solution="..."`` keyword (exercise module or
    notebook cell), a cell tagged ``solution``, or, in a self-study notebook,
    a function whose body holds a ``### BEGIN SOLUTION`` region (the whole
    function, the region filled in, is the answer).
    """
    shapes: dict[str, tuple[str, str]] = {}

    def add(where: str, functions: list[ast.FunctionDef | ast.AsyncFunctionDef]) -> None:
        for function in functions:
            shapes.setdefault(body_shape(function), (where, function.name))

    for path in sorted(EXERCISES.glob("*.py")):
        for text in module_solutions(path):
            add(f"exercises/{path.name}", answers_in(parse_code(text)))
    for path in sorted(LESSONS.glob("*.ipynb")):
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type != "code":
                continue
            where = f"{path.name} cell {index}"
            tree = parse_code(cell.source)
            if SOLUTION_TAG in cell.metadata.get("tags", ()):
                add(where, answers_in(tree))
                continue
            if tree and "solution" in cell.source:
                for text in solution_keywords(ast.unparse(tree)):
                    add(where, answers_in(parse_code(text)))
            begins = {n for n, line in enumerate(cell.source.splitlines(), 1) if BEGIN.match(line)}
            add(where, [function for function in functions_in(tree)
                        if begins & set(range(function.lineno, (function.end_lineno or function.lineno) + 1))])
    return shapes


def functions_of_the_copy(folder: Path) -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """(file, function) for every function in a copy: in notebooks' code cells and in .py modules."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix in (".ipynb", ".py")):
        name = path.relative_to(folder).as_posix()
        if path.suffix == ".py":
            sources = [path.read_text(encoding="utf-8")]
        else:
            sources = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        found += [(name, function) for source in sources for function in functions_in(parse_code(source))]
    return found


def shape_finds(folder: Path, solutions: dict[str, tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    """{(file, function): the solution it has the shape of} for a copy."""
    return {(name, function.name): solutions[shape] for name, function in functions_of_the_copy(folder)
            if (shape := body_shape(function)) in solutions}


@pytest.fixture(scope="module")
def solution_shapes() -> dict[str, tuple[str, str]]:
    return solution_functions()


@pytest.fixture(scope="module")
def shapes_found(copy, solution_shapes) -> dict[tuple[str, str], tuple[str, str]]:
    return shape_finds(copy, solution_shapes)


def test_no_function_in_the_student_copy_has_a_solutions_shape(solution_shapes, shapes_found):
    assert len(solution_shapes) > 50                            # every exercise's answer is looked for
    unexpected = {where: answer for where, answer in shapes_found.items()
                  if where not in SHAPE_COINCIDENCES and where not in SHAPE_AWAITING_A_FIX}
    assert not unexpected, "functions in the student copy shaped like an answer ((file, function): " \
                           "(solution, function)):\n" + "\n".join(f"{k}: {v}" for k, v in sorted(unexpected.items()))
    stale = sorted(SHAPE_COINCIDENCES.keys() - shapes_found.keys())
    assert not stale, f"no longer found: remove from SHAPE_COINCIDENCES: {stale}"


@pytest.mark.parametrize("where", [pytest.param(where, id=f"{where[0]}:{where[1]}",
                                                marks=pytest.mark.xfail(strict=True, reason=reason))
                                   for where, reason in SHAPE_AWAITING_A_FIX.items()])
def test_a_leaked_shape_awaiting_a_fix_is_gone(shapes_found, where):
    """Fails (xfail) while the lesson still shows the answer; XPASS, a failure, once fixed: then remove it."""
    assert where not in shapes_found


# The known cases of the review (issue 11, finding 3), as the lessons showed them before they were
# fixed: each is an answer of an exercise, rewritten. The shape check finds every one.
KNOWN_LEAKS = {
    "tanh_from_exp": ("exercises/lesson07.py", "tanh_via_exp", '''\
def tanh_from_exp(n):
    e = (2 * n).exp()
    return (e - 1) / (e + 1)
'''),
    "backward_assign": ("exercises/lesson05.py", "my_backward", '''\
def backward_assign(root):
    """A backward pass with a bug: each contribution replaces parent.grad."""
    root.grad = 1.0
    for node in reversed(topological_order(root)):
        if not node.parents:                  # a leaf
            continue
        local = node.op.local_derivatives(*[p.data for p in node.parents], node.data)
        for parent, d in zip(node.parents, local):
            parent.grad = node.grad * d       # = instead of +=
'''),
    "mul_overwriting": ("exercises/lesson05b.py", "__mul__", '''\
def mul_overwriting(self, other):
    """Multiplication whose backward sets the gradients instead of adding to them."""
    other = other if isinstance(other, Value) else Value(other)
    out = Value(self.data * other.data, (self, other))

    def _backward():
        self.grad = other.data * out.grad
        other.grad = self.data * out.grad

    out._backward = _backward
    return out
'''),
    "fixed_backward": ("exercises/lesson05.py", "my_backward", '''\
def fixed_backward(start):
    start.grad += 1.0
    for v in reversed(topological_order(start)):
        if v.parents:
            ds = v.op.local_derivatives(*[w.data for w in v.parents], v.data)
            for q, dq in zip(v.parents, ds):
                q.grad += v.grad * dq     # each edge adds its contribution
'''),
}


def test_the_shape_check_finds_the_known_leaks_and_not_a_different_body(solution_shapes, tmp_path):
    """The check can fail: the review's four cases, planted in a notebook and a module, are found."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("%matplotlib inline\n" + code)
                                               for _, _, code in list(KNOWN_LEAKS.values())[:2]])
    nbformat.write(notebook, tmp_path / "99_planted.ipynb")
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "planted.py").write_text(
        "class Engine:\n" + "".join("    " + line + "\n" for _, _, code in list(KNOWN_LEAKS.values())[2:]
                                    for line in code.splitlines()))
    found = shape_finds(tmp_path, solution_shapes)
    files = ["99_planted.ipynb"] * 2 + ["exercises/planted.py"] * 2
    assert found == {(file, name): answer[:2] for file, (name, answer) in zip(files, KNOWN_LEAKS.items())}
    # a body that computes something else has another shape: an operator changed, a mirror form
    other = [KNOWN_LEAKS["tanh_from_exp"][2].replace("(e + 1)", "(e - 1)"),
             "def tanh_mirror(n):\n    return (1 - (-2 * n).exp()) / (1 + (-2 * n).exp())\n"]
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in other]),
                   tmp_path / "99_planted.ipynb")
    assert set(shape_finds(tmp_path, solution_shapes)) == {("exercises/planted.py", "mul_overwriting"),
                                                                ("exercises/planted.py", "fixed_backward")}


def test_a_shape_ignores_names_docstrings_augmented_operators_and_guard_clauses():
    def shape(code: str) -> str:
        return body_shape(functions_in(ast.parse(code))[0])

    base = shape("def f(xs, k):\n    t = 0\n    for x in xs:\n        if x > k:\n            t += x\n    return t")
    assert base == shape('def g(a, b):\n    "Sum above b."\n    s = 0\n    for v in a:\n'
                         '        if not v > b:\n            continue\n        s = v  # one operator off\n    return s')
    assert base != shape("def f(xs, k):\n    t = 0\n    for x in xs:\n        if x > k:\n"
                         "            t += x\n    return k")                          # another value returned
    assert base != shape("def f(xs, k):\n    t = 0\n    for x in total:\n        if x > k:\n"
                         "            t += x\n    return t")                          # a global, not a parameter
    assert "math" in shape("def f(x):\n    return math.exp(x)")                   # global names are kept
