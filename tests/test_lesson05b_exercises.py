"""The exercises of lesson 05b (build your own engine) accept right answers and refuse wrong ones.

The learner's engine is built here from the lesson's own cells (the class
with `__add__`, the derived ops), then each exercise is checked with its
solution text and with the mistakes a learner is likely to make, each of
which must be refused.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "notebooks"))  # the lessons import their exercises as `exercises`

from exercises.lesson05b import ex_backward, ex_mlp, ex_mul, ex_tanh_exp  # noqa: E402

LESSON = ROOT / "notebooks" / "05b_build_your_own_engine.ipynb"


def lesson_cell(starts: str) -> str:
    """The source of the lesson's code cell that starts with ``starts``."""
    cells = json.loads(LESSON.read_text(encoding="utf-8"))["cells"]
    found = [("".join(c["source"])) for c in cells if c["cell_type"] == "code"
             and "".join(c["source"]).startswith(starts)]
    assert len(found) == 1, starts
    return found[0]


def engine(*replacements: str) -> dict:
    """The lesson's engine, every exercise solved, then the code in ``replacements`` run over it.

    Returns the namespace: ``Value`` and, once 5b.4 is solved, ``MLP``.
    """
    namespace: dict = {}
    exec("import math\nimport random\n", namespace)
    exec(lesson_cell("class Value:"), namespace)
    for exercise in (ex_tanh_exp, ex_backward):
        exec(exercise.solution, namespace)
    value = namespace["Value"]
    value.tanh, value.exp, value.backward = namespace["tanh"], namespace["exp"], namespace["backward"]
    exec(lesson_cell("def __pow__(self, k):"), namespace)
    exec(ex_mlp.solution, namespace)
    for text in replacements:
        exec(text, namespace)
    return namespace


def assert_refused(exercise, argument) -> None:
    feedback = exercise.feedback(argument)
    assert feedback.status == "wrong", feedback.text()


# ----------------------------------------------------------------------
def test_the_lesson_engine_passes_every_exercise():
    namespace = engine()
    for exercise in (ex_mul, ex_tanh_exp, ex_backward):
        assert exercise.feedback(namespace["Value"]).status == "right", exercise.title
    assert ex_mlp.feedback(namespace["MLP"]).status == "right"


def test_the_solution_texts_pass_and_the_ladders_lead():
    namespace = engine(ex_mul.solution, "Value.__mul__ = __mul__")
    assert ex_mul.feedback(namespace["Value"]).status == "right"
    for exercise in (ex_mul, ex_tanh_exp, ex_backward, ex_mlp):
        assert exercise.title.startswith("5b.")
        assert 2 <= len(exercise.hints) <= 3
        code_lines = {line.strip() for line in exercise.solution.splitlines() if len(line.strip()) > 12}
        for hint in exercise.hints:
            assert not any(line in hint for line in code_lines), (exercise.title, hint)


def test_a_student_stub_is_not_done_yet():
    namespace = engine("def __mul__(self, other):\n    raise NotImplementedError()\nValue.__mul__ = __mul__")
    assert ex_mul.feedback(namespace["Value"]).status == "not done"


# ----------------------------------------------------------------------
# 5b.1 · __mul__
# ----------------------------------------------------------------------
MUL_MISTAKES = {
    "= instead of +=": ("self.grad = other.data * out.grad", "other.grad = self.data * out.grad"),
    "local derivatives swapped": ("self.grad += self.data * out.grad", "other.grad += other.data * out.grad"),
    "out.grad forgotten": ("self.grad += other.data", "other.grad += self.data"),
    "sign": ("self.grad -= other.data * out.grad", "other.grad -= self.data * out.grad"),
}


@pytest.mark.parametrize("mistake", MUL_MISTAKES)
def test_mul_mistakes_are_refused(mistake):
    first, second = MUL_MISTAKES[mistake]
    text = ("def __mul__(self, other):\n"
            "    other = other if isinstance(other, Value) else Value(other)\n"
            "    out = Value(self.data * other.data, (self, other))\n"
            "    def _backward():\n"
            f"        {first}\n"
            f"        {second}\n"
            "    out._backward = _backward\n"
            "    return out\n"
            "Value.__mul__ = __mul__\n")
    assert_refused(ex_mul, engine(text)["Value"])


def test_mul_that_does_not_wrap_a_plain_number_is_refused():
    text = ("def __mul__(self, other):\n"
            "    out = Value(self.data * other.data, (self, other))\n"
            "    def _backward():\n"
            "        self.grad += other.data * out.grad\n"
            "        other.grad += self.data * out.grad\n"
            "    out._backward = _backward\n"
            "    return out\n"
            "Value.__mul__ = __mul__\n")
    assert_refused(ex_mul, engine(text)["Value"])


# ----------------------------------------------------------------------
# 5b.2 · tanh, exp
# ----------------------------------------------------------------------
def one_operand(name: str, forward: str, backward: str) -> str:
    return (f"def {name}(self):\n"
            f"    out = Value({forward}, (self,))\n"
            "    def _backward():\n"
            f"        {backward}\n"
            "    out._backward = _backward\n"
            "    return out\n"
            f"Value.{name} = {name}\n")


TANH_EXP_MISTAKES = {
    "tanh: 1 - x**2, the input not the output": one_operand(
        "tanh", "math.tanh(self.data)", "self.grad += (1 - self.data ** 2) * out.grad"),
    "tanh: = instead of +=": one_operand(
        "tanh", "math.tanh(self.data)", "self.grad = (1 - out.data ** 2) * out.grad"),
    "tanh: 1 - tanh, not squared": one_operand(
        "tanh", "math.tanh(self.data)", "self.grad += (1 - out.data) * out.grad"),
    "exp: the input as its derivative": one_operand(
        "exp", "math.exp(self.data)", "self.grad += self.data * out.grad"),
    "exp: out.grad forgotten": one_operand(
        "exp", "math.exp(self.data)", "self.grad += out.data"),
}


@pytest.mark.parametrize("mistake", TANH_EXP_MISTAKES)
def test_tanh_exp_mistakes_are_refused(mistake):
    assert_refused(ex_tanh_exp, engine(TANH_EXP_MISTAKES[mistake])["Value"])


# ----------------------------------------------------------------------
# 5b.3 · backward()
# ----------------------------------------------------------------------
BACKWARD_MISTAKES = {
    # micrograd's: a recursive sort (the 5,000-deep chain stops it), no reset of intermediates
    "recursive sort": (
        "def backward(self):\n"
        "    order, seen = [], set()\n"
        "    def visit(node):\n"
        "        if node not in seen:\n"
        "            seen.add(node)\n"
        "            for parent in node._parents:\n"
        "                visit(parent)\n"
        "            order.append(node)\n"
        "    visit(self)\n"
        "    for node in order:\n"
        "        if node._parents:\n"
        "            node.grad = 0.0\n"
        "    self.grad = 1.0\n"
        "    for node in reversed(order):\n"
        "        node._backward()\n"),
    # breadth first from the output, each node passed on once when first reached
    "breadth first, each node once": (
        "def backward(self):\n"
        "    self.grad = 1.0\n"
        "    queue, seen = [self], {self}\n"
        "    while queue:\n"
        "        node = queue.pop(0)\n"
        "        node._backward()\n"
        "        for parent in node._parents:\n"
        "            if parent not in seen:\n"
        "                seen.add(parent)\n"
        "                queue.append(parent)\n"),
    # following every path: right on trees, wrong sums (and 2**20 calls) on shared nodes
    "every path": (
        "def backward(self):\n"
        "    self.grad = 1.0\n"
        "    stack = [self]\n"
        "    while stack:\n"
        "        node = stack.pop()\n"
        "        node._backward()\n"
        "        stack.extend(node._parents)\n"),
}


# Two slips in an otherwise right backward(): the solution with one thing changed.
RESET = ("    for node in order:\n"
         "        if node._parents:\n"
         "            node.grad = 0.0\n")
BACKWARD_MISTAKES["no reset of intermediates"] = ex_backward.solution.replace(RESET, "") + "\n"
BACKWARD_MISTAKES["forward order"] = ex_backward.solution.replace("reversed(order)", "order") + "\n"


def test_the_slips_change_the_solution():
    assert RESET in ex_backward.solution and "reversed(order)" in ex_backward.solution


@pytest.mark.parametrize("mistake", BACKWARD_MISTAKES)
def test_backward_mistakes_are_refused(mistake):
    assert_refused(ex_backward, engine(BACKWARD_MISTAKES[mistake] + "Value.backward = backward\n")["Value"])


# ----------------------------------------------------------------------
# 5b.4 · Neuron, Layer, MLP
# ----------------------------------------------------------------------
MLP_MISTAKES = {
    "bias before the weights": (
        "def parameters(self):\n    return [self.b] + self.w\nNeuron.parameters = parameters\n"),
    "bias left out of parameters()": (
        "def parameters(self):\n    return list(self.w)\nNeuron.parameters = parameters\n"),
    "tanh on the last layer too": (
        "def __init__(self, nin, nouts):\n"
        "    sizes = [nin] + nouts\n"
        "    self.layers = [Layer(sizes[i], sizes[i + 1]) for i in range(len(nouts))]\n"
        "MLP.__init__ = __init__\n"),
    "parameters() of the first layer only": (
        "def parameters(self):\n    return self.layers[0].parameters()\nMLP.parameters = parameters\n"),
    "no tanh anywhere": (
        "def __call__(self, x):\n"
        "    return sum((wi * xi for wi, xi in zip(self.w, x)), self.b)\n"
        "Neuron.__call__ = __call__\n"),
}


@pytest.mark.parametrize("mistake", MLP_MISTAKES)
def test_mlp_mistakes_are_refused(mistake):
    assert_refused(ex_mlp, engine(MLP_MISTAKES[mistake])["MLP"])
