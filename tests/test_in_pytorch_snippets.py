"""Every "In PyTorch" snippet in the lessons runs, against the installed torch.

A lesson's "In PyTorch" part is the markdown cell that says so (``**In
PyTorch:**`` or a ``## In PyTorch`` heading). Its snippets are:

* each fenced ``python`` block, run whole;
* each row of the PyTorch column of its "here | PyTorch" table: the row's
  code spans, run in order (a bare name such as `inf` there is prose, not
  code).

A line whose comment states its value (``gradcheck(d, inputs)  # True``,
``x1.grad, w1.grad  # ≈ -1.5, 1.0``) must have that value once the snippet
has run. And every dotted ``torch.`` name in its prose (`torch.func.jvp`)
exists.

A snippet may use names that the lesson defined earlier (``X``, ``points``,
``model``): SETUP defines them here, as small stand-ins of the same kind
(dtype and shape), so that a snippet which only works on other data fails.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from autodiff_kit import lesson_notebooks

torch = pytest.importorskip("torch")

NOTEBOOKS = list(lesson_notebooks(Path(__file__).resolve().parent.parent / "notebooks").values())

# What every snippet may assume: the usual imports, and a seed.
COMMON = """
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
torch.manual_seed(0)
"""

# Names a lesson's snippets take from the lesson, as the lesson has them (numpy data is float64).
SETUP = {
    "08": """
layer = torch.nn.Linear(3, 2)
model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
path = "model.pt"
points = np.random.default_rng(0).uniform(-2, 2, (5, 2))   # like the lesson's grid: float64
B, n_in = len(points), 2
""",
    "09": """
x, s = torch.randn(4), torch.randn(4)
y = torch.tensor([1.0, 0.0, 1.0, 0.0])
p = torch.sigmoid(x)
z, t = torch.randn(4, 3), torch.tensor([0, 2, 1, 1])
B, C = z.shape
lam = 1e-3
model = torch.nn.Linear(2, 1)
""",
    "12": """
X = torch.randn(50, 2)
y = torch.where(torch.rand(50) < 0.5, -1.0, 1.0)
""",
    "14": """
rng = np.random.default_rng(0)
batch = rng.normal(size=(4, 3))
W1 = type("Parameter", (), {"data": rng.normal(size=(2, 3))})   # the lesson's Tensors: .data is numpy
b1 = type("Parameter", (), {"data": rng.normal(size=2)})
""",
    "15": """
rng = np.random.default_rng(0)
X_train, X_test = rng.uniform(0, 1, (128, 64)), rng.uniform(0, 1, (32, 64))   # pixels / 16: float64
y_train = rng.integers(0, 10, 128)                                           # classes: int64
""",
}

# Snippets in lessons that another helper or the lead owns, that fail today: (lesson, kind, index) -> why.
KNOWN_FAILURES: dict[tuple[str, str, int], str] = {}


def pytorch_cells(nb) -> list[str]:
    """The markdown of a lesson's "In PyTorch" part."""
    return [c.source for c in nb.cells if c.cell_type == "markdown" and "In PyTorch" in c.source]


def fenced_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.S)


def table_rows(text: str) -> list[str]:
    """The code in the PyTorch column of each "here | PyTorch" table: one snippet per row."""
    rows = []
    column = None
    for line in text.splitlines():
        if not line.startswith("|"):
            column = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if "PyTorch" in cells and column is None:
            column = cells.index("PyTorch")
        elif column is not None and not set(cells[column]) <= set("-: "):
            code = [span for span in re.findall(r"`([^`]+)`", cells[column]) if is_code(span)]
            if code:
                rows.append("\n".join(code))
    return rows


def is_code(span: str) -> bool:
    """Python that does something: it parses, and is more than one bare name (`inf`, `nan`)."""
    try:
        tree = ast.parse(span)
    except SyntaxError:
        return False
    return not (len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr)
                and isinstance(tree.body[0].value, ast.Name))


def collect() -> list:
    cases = []
    for path in NOTEBOOKS:
        lesson = path.name.split("_", 1)[0]
        nb = nbformat.read(path, as_version=4)
        snippets = []
        for text in pytorch_cells(nb):
            snippets += [("block", s) for s in fenced_blocks(text)]
            snippets += [("row", s) for s in table_rows(text)]
        counts: dict[str, int] = {}
        for kind, code in snippets:
            index = counts[kind] = counts.get(kind, -1) + 1
            why = KNOWN_FAILURES.get((lesson, kind, index))
            marks = [pytest.mark.xfail(strict=True, reason=why)] if why else []
            cases.append(pytest.param(lesson, code, id=f"{lesson}-{kind}{index}", marks=marks))
    return cases


CASES = collect()


def test_every_lesson_with_pytorch_text_has_snippets_found():
    """The extraction finds something: fenced blocks in most lessons, table spans in 08 and 09."""
    found = {case.values[0] for case in CASES}
    assert {"01", "02", "03", "04", "08", "09", "12", "13", "14", "15", "16"} <= found
    assert sum(1 for case in CASES if case.id.startswith("08-row")) >= 8


@pytest.mark.parametrize("lesson, code", CASES)
def test_snippet_runs(lesson, code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a snippet may save a file
    namespace: dict = {}
    exec(COMMON + SETUP.get(lesson, ""), namespace)
    try:
        exec(compile(code, f"<lesson {lesson} In PyTorch>", "exec"), namespace)
    finally:
        torch.autograd.set_detect_anomaly(False)  # lesson 09 names set_detect_anomaly(True)
    for expression, stated, approximately in stated_values(code):
        value = eval(expression, namespace)
        if approximately:
            value = [float(v) for v in (value if isinstance(value, tuple) else (value,))]
            stated = list(stated) if isinstance(stated, tuple) else [stated]
            assert value == pytest.approx(stated, rel=1e-6, abs=1e-9), expression
        else:
            assert value == stated, expression


def stated_values(code: str) -> list[tuple[str, object, bool]]:
    """(expression, value, approximately) for each line `expression  # value` whose value is a literal.

    The value is the comment up to a colon (``# True: bit for bit``); a
    leading ≈ compares numbers to 6 digits. Other comments are prose.
    """
    found = []
    for line in code.splitlines():
        expression, _, comment = line.partition("#")
        comment = comment.split(":")[0].strip()
        approximately = comment.startswith("≈")
        try:
            value = ast.literal_eval(comment.lstrip("≈ "))
            ast.parse(expression.strip(), mode="eval")
        except (ValueError, SyntaxError):
            continue
        if expression.strip() and "=" not in expression.replace("==", ""):
            found.append((expression.strip(), value, approximately))
    return found


def test_stated_values_are_found():
    found = {lesson: stated_values(code) for lesson, code in (case.values for case in CASES)
             if stated_values(code)}
    assert {"02", "03", "04", "13", "16"} <= set(found)
    assert ("x1.grad, w1.grad, x2.grad, w2.grad", (-1.5, 1.0, 0.5, 0.0), True) in found["04"]


def torch_names() -> list:
    """Every dotted name `torch.a.b` in the code spans of the "In PyTorch" parts, with its lesson."""
    names = set()
    for path in NOTEBOOKS:
        for text in pytorch_cells(nbformat.read(path, as_version=4)):
            for span in re.findall(r"`([^`]+)`", re.sub(r"```.*?```", "", text, flags=re.S)):
                names |= {(path.name.split("_", 1)[0], name) for name in re.findall(r"\btorch(?:\.\w+)+", span)}
    return sorted(names)


@pytest.mark.parametrize("lesson, name", torch_names())
def test_named_torch_function_exists(lesson, name):
    import importlib
    parts = name.split(".")
    for i in range(len(parts), 0, -1):  # the longest importable prefix, then attributes
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return
