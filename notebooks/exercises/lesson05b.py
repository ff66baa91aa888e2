"""The exercises of lesson 05b · Build your own engine (05b_build_your_own_engine.ipynb).

* `ex_mul`: ``Value.__mul__`` with its backward closure, ``+=`` included;
* `ex_tanh_exp`: ``Value.tanh`` and ``Value.exp``, each with its local derivative;
* `ex_backward`: ``Value.backward()``: order the nodes, seed 1, walk back;
* `ex_mlp`: ``Neuron``, ``Layer``, ``MLP`` and a recursive ``parameters()``.

Here the learner writes a class, not a function, so the argument of every
check is the class itself: ``ex_mul.check(Value)``, ``ex_mlp.check(MLP)``.
Each case is a small program written once (`Program`), run twice: on the
learner's class and on `autodiff.Var`, the kit's engine, which gives the
expected values. Nothing here runs a solution (the solutions are text, shown
as the last rung of the hint ladder).

Before ``backward()`` exists (exercises 5b.1 and 5b.2), a case runs the
backward pass by hand: it seeds the output with 1 and calls each op node's
``_backward`` in the reverse of the order the nodes were made, which is
always a valid order (a node is made after its operands).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from autodiff import Var

from .common import DescribedExercise

__all__ = ["ex_mul", "ex_tanh_exp", "ex_backward", "ex_mlp", "Program", "Network"]


# ----------------------------------------------------------------------
# Programs: one text, one builder, run on either engine.
# ----------------------------------------------------------------------
@dataclass(frozen=True)
class Program:
    """A case: ``text`` says what it computes; ``build(V)`` computes it with the class ``V``.

    ``build`` returns ``(leaves, made)``: the input nodes by name, and the op
    nodes in the order they were made (the output last). ``twice``: run the
    backward pass twice on the same graph, zeroing the leaves in between, as
    a training loop's ``zero_grad`` does; the leaves' gradients must come out
    the same both times.
    """

    text: str
    build: Callable[[type], tuple[dict[str, Any], list[Any]]]
    twice: bool = False

    def __repr__(self) -> str:
        return "Value"  # a case reads ex.check(Value); the row "program" says what runs


def _result(leaves: dict[str, Any], out: Any) -> dict[str, float]:
    """What a case compares: the output's value and every leaf's gradient."""
    result = {"L": float(out.data)}
    result.update({f"∂L/∂{name}": float(leaf.grad) for name, leaf in leaves.items()})
    return result


def _by_hand(V: type, program: Program) -> dict[str, float]:
    """The program on the learner's class, with the backward pass run by hand."""
    leaves, made = program.build(V)
    out = made[-1]
    out.grad = 1.0
    for node in reversed(made):
        node._backward()
    return _result(leaves, out)


def _output(leaves: dict[str, Any], made: list[Any]) -> Any:
    """A program's output: its last op node, or its one leaf when it has no op."""
    return made[-1] if made else next(iter(leaves.values()))


def _second_call(result: dict[str, float]) -> dict[str, float]:
    """The leaves' gradients of a second backward(), named apart from the first's."""
    return {f"{key} (2nd call)": value for key, value in result.items() if key != "L"}


def _with_backward(V: type, program: Program) -> dict[str, float]:
    """The program on the learner's class, with the learner's ``backward()``."""
    leaves, made = program.build(V)
    out = _output(leaves, made)
    out.backward()
    result = _result(leaves, out)
    if program.twice:
        for leaf in leaves.values():
            leaf.grad = 0.0
        out.backward()
        result.update(_second_call(_result(leaves, out)))
    return result


def _expected(program: Program) -> dict[str, float]:
    """The same program on the kit's engine (`autodiff.Var`)."""
    leaves, made = program.build(Var)
    out = _output(leaves, made)
    out.backward()
    result = _result(leaves, out)
    if program.twice:
        result.update(_second_call(result))
    return result


# The programs. Each builder uses only what its exercise has defined by then.
def _product(V):
    a, b = V(2.0), V(-3.0)
    return {"a": a, "b": b}, [a * b]


def _square(V):
    x = V(3.0)
    return {"x": x}, [x * x]


def _times_constant(V):
    x = V(-1.5)
    return {"x": x}, [x * 4.0]


def _constant_times(V):
    x = V(2.5)
    return {"x": x}, [4.0 * x]


def _product_of_three(V):
    a, b, c = V(2.0), V(-3.0), V(0.5)
    ab = a * b
    return {"a": a, "b": b, "c": c}, [ab, ab * c]


def _product_plus_operand(V):
    a, b = V(2.0), V(-3.0)
    ab = a * b
    return {"a": a, "b": b}, [ab, ab + a]


def _tanh_at(x0):
    def build(V):
        x = V(x0)
        return {"x": x}, [x.tanh()]
    return build


def _exp_at(x0):
    def build(V):
        x = V(x0)
        return {"x": x}, [x.exp()]
    return build


def _tanh_times_input(V):
    x = V(0.8)
    t = x.tanh()
    return {"x": x}, [t, t * x]


def _exp_of_tanh_of_product(V):
    a, b = V(0.5), V(-1.2)
    ab = a * b
    t = ab.tanh()
    return {"a": a, "b": b}, [ab, t, t.exp()]


def _exp_squared(V):
    x = V(0.3)
    e = x.exp()
    return {"x": x}, [e, e * e]


def _leaf(V):
    x = V(3.0)
    return {"x": x}, []


def _neuron(V):
    """The micrograd lecture's neuron: o = tanh(x1·w1 + x2·w2 + b)."""
    x1, x2, w1, w2 = V(2.0), V(0.0), V(-3.0), V(1.0)
    b = V(6.8813735870195432)
    x1w1, x2w2 = x1 * w1, x2 * w2
    s = x1w1 + x2w2
    n = s + b
    return {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}, [x1w1, x2w2, s, n, n.tanh()]


def _diamond(V):
    a, b = V(2.0), V(-3.0)
    c = a * b
    d = c + a
    return {"a": a, "b": b}, [c, d, d * c]


def _swapped_diamond(V):
    """The diamond with its last product's operands swapped: an order that happens to work fails here."""
    a, b = V(2.0), V(-3.0)
    c = a * b
    d = c + a
    return {"a": a, "b": b}, [c, d, c * d]


def _doubling(V):
    """x doubled 20 times through y + y: 2**20 paths from the output back to x.

    A backward pass that follows paths instead of passing each node's total on
    once makes a million calls here (and gets the sums wrong besides).
    """
    x = V(1.0)
    made, y = [], x
    for _ in range(20):
        y = y + y
        made.append(y)
    return {"x": x}, made


def _deep_chain(V):
    """y = x·1.0001, then again and again: 5,000 ops deep."""
    x = V(1.0)
    made, y = [], x
    for _ in range(5_000):
        y = y * 1.0001
        made.append(y)
    return {"x": x}, made


def _mixed(V):
    x, y = V(0.4), V(-0.7)
    p = x * y
    t = p.tanh()
    e = x.exp()
    s = t + e
    return {"x": x, "y": y}, [p, t, e, s, s * x]


PRODUCT = Program("L = a·b, with a = 2, b = -3", _product)
SQUARE = Program("L = x·x, with x = 3 (x is both operands)", _square)
TIMES_CONSTANT = Program("L = x·4, with x = -1.5 (4 is a plain number)", _times_constant)
CONSTANT_TIMES = Program("L = 4·x, with x = 2.5 (Python calls x.__rmul__(4))", _constant_times)
PRODUCT_OF_THREE = Program("L = (a·b)·c, with a = 2, b = -3, c = 0.5", _product_of_three)
PRODUCT_PLUS = Program("L = a·b + a, with a = 2, b = -3 (a is used twice)", _product_plus_operand)
NEURON = Program("the lecture's neuron: L = tanh(x1·w1 + x2·w2 + b), x1 = 2, x2 = 0, w1 = -3, "
                 "w2 = 1, b = 6.8813735870195432", _neuron)
DIAMOND = Program("c = a·b, d = c + a, L = d·c, with a = 2, b = -3", _diamond)
SWAPPED = Program("c = a·b, d = c + a, L = c·d, with a = 2, b = -3", _swapped_diamond)
DOUBLING = Program("y1 = x + x, y2 = y1 + y1, ..., L = y20, with x = 1 (2**20 paths from L to x: "
                   "pass each node's gradient on once, do not follow paths)", _doubling)
DEEP = Program("a chain 5,000 ops deep: y1 = x·1.0001, y2 = y1·1.0001, ..., with x = 1", _deep_chain)
LEAF = Program("L = Value(3.0), a leaf on its own", _leaf)
TWICE = Program("c = a·b, d = c + a, L = d·c, with a = 2, b = -3; backward() twice on the same graph, "
                "the leaves zeroed in between (as zero_grad does)", _diamond, twice=True)


# ----------------------------------------------------------------------
# 5b.1 · __mul__
# ----------------------------------------------------------------------
ex_mul = DescribedExercise(
    "5b.1 · Multiplication, and what it sends back",
    inputs=[PRODUCT, SQUARE, TIMES_CONSTANT, CONSTANT_TIMES, PRODUCT_OF_THREE, PRODUCT_PLUS],
    run=_by_hand,
    expected=_expected,
    row="program",
    rel_tol=1e-12,
    hints=(
        "Follow `__add__` in the same cell: make `other` a Value if it is a plain number, "
        "compute the output's data, and record both operands as its parents.",
        "For out = a·b the local derivatives are ∂out/∂a = b and ∂out/∂b = a. Inside `_backward`, "
        "each operand's gradient grows by its local derivative times `out.grad`; use the operands' "
        "`.data`, not the Values themselves.",
        "Grow, don't set: in `x * x`, `self` and `other` are the same Value, and it must receive "
        "both contributions. With `=` the second replaces the first.",
    ),
    solution=(
        "def __mul__(self, other):\n"
        "    other = other if isinstance(other, Value) else Value(other)\n"
        "    out = Value(self.data * other.data, (self, other))\n"
        "    def _backward():\n"
        "        self.grad += other.data * out.grad\n"
        "        other.grad += self.data * out.grad\n"
        "    out._backward = _backward\n"
        "    return out"
    ),
)


# ----------------------------------------------------------------------
# 5b.2 · tanh and exp
# ----------------------------------------------------------------------
ex_tanh_exp = DescribedExercise(
    "5b.2 · tanh and exp, with their local derivatives",
    inputs=[Program("L = tanh(x), with x = 0.5", _tanh_at(0.5)),
            Program("L = tanh(x), with x = -2", _tanh_at(-2.0)),
            Program("L = tanh(x), with x = 0", _tanh_at(0.0)),
            Program("L = exp(x), with x = 1", _exp_at(1.0)),
            Program("L = exp(x), with x = -3", _exp_at(-3.0)),
            Program("t = tanh(x), L = t·x, with x = 0.8 (x is used twice)", _tanh_times_input),
            Program("e = exp(x), L = e·e, with x = 0.3", _exp_squared),
            Program("L = exp(tanh(a·b)), with a = 0.5, b = -1.2", _exp_of_tanh_of_product)],
    run=_by_hand,
    expected=_expected,
    row="program",
    rel_tol=1e-12,
    hints=(
        "Each is a one-operand op: the output has one parent, `self`, and its `_backward` adds one "
        "term to `self.grad`.",
        "Write the local derivative in terms of the output, which the closure can see: "
        "d tanh(x)/dx = 1 − tanh(x)², and d eˣ/dx = eˣ. Then there is nothing to recompute.",
        "As in 5b.1, grow `self.grad` by local derivative × `out.grad`: in `tanh(x)·x`, x also "
        "receives a gradient from the product.",
    ),
    solution=(
        "def tanh(self):\n"
        "    t = math.tanh(self.data)\n"
        "    out = Value(t, (self,))\n"
        "    def _backward():\n"
        "        self.grad += (1 - t ** 2) * out.grad\n"
        "    out._backward = _backward\n"
        "    return out\n"
        "\n"
        "def exp(self):\n"
        "    out = Value(math.exp(self.data), (self,))\n"
        "    def _backward():\n"
        "        self.grad += out.data * out.grad\n"
        "    out._backward = _backward\n"
        "    return out"
    ),
)


# ----------------------------------------------------------------------
# 5b.3 · backward()
# ----------------------------------------------------------------------
ex_backward = DescribedExercise(
    "5b.3 · backward(): order, seed, walk back",
    inputs=[PRODUCT, SQUARE, LEAF, NEURON, DIAMOND, SWAPPED, DOUBLING, DEEP, TWICE,
            Program("t = tanh(x·y), e = exp(x), L = (t + e)·x, with x = 0.4, y = -0.7", _mixed)],
    run=_with_backward,
    expected=_expected,
    row="program",
    rel_tol=1e-12,
    hints=(
        "Three steps: list every node that `self` depends on in topological order (each after its "
        "parents), set the output's gradient to 1, then call `_backward` of every node in the "
        "reverse of that order.",
        "Sort without recursion, as in lesson 05's exercise 5.1: keep your own stack of "
        "(node, parents_done) pairs, and a set of the nodes already visited, so that each node is "
        "listed once however many paths lead to it. A recursive sort stops at Python's limit of "
        "about 1,000 nested calls; the check runs a chain of 5,000 ops.",
        "An intermediate node's `.grad` is scratch space for one pass. Set it to 0 for every node "
        "that has parents before you seed the output: then a second `backward()` on the same graph "
        "adds the leaves' gradients once more, exactly, instead of passing on stale totals.",
    ),
    solution=(
        "def backward(self):\n"
        "    order, visited, stack = [], set(), [(self, False)]\n"
        "    while stack:\n"
        "        node, parents_done = stack.pop()\n"
        "        if parents_done:\n"
        "            order.append(node)\n"
        "        elif node not in visited:\n"
        "            visited.add(node)\n"
        "            stack.append((node, True))\n"
        "            for parent in node._parents:\n"
        "                stack.append((parent, False))\n"
        "    for node in order:\n"
        "        if node._parents:\n"
        "            node.grad = 0.0\n"
        "    self.grad = 1.0\n"
        "    for node in reversed(order):\n"
        "        node._backward()"
    ),
)


# ----------------------------------------------------------------------
# 5b.4 · Neuron, Layer, MLP
# ----------------------------------------------------------------------
@dataclass(frozen=True)
class Network:
    """A case of 5b.4: ``MLP(n_inputs, layer_sizes)``, its parameters set to ``numbers``, run on ``x``."""

    n_inputs: int
    layer_sizes: tuple[int, ...]
    x: tuple[float, ...]

    @property
    def text(self) -> str:
        sizes = ", ".join(map(str, self.layer_sizes))
        return (f"MLP({self.n_inputs}, [{sizes}]), parameters set to a fixed list of numbers, "
                f"run on x = {list(self.x)}; L = the sum of its outputs")

    @property
    def shapes(self) -> list[tuple[int, int]]:
        """(inputs, neurons) of each layer."""
        sizes = (self.n_inputs, *self.layer_sizes)
        return list(zip(sizes[:-1], sizes[1:]))

    @property
    def count(self) -> int:
        return sum(n_out * (n_in + 1) for n_in, n_out in self.shapes)

    def numbers(self) -> list[float]:
        """The parameters' values: fixed, varied, of both signs and small enough for tanh to bend."""
        return [round(0.9 * math.sin(1.7 * k + 0.3), 6) for k in range(self.count)]

    def __repr__(self) -> str:
        return "MLP"


def _run_mlp(MLP: type, net: Network) -> dict[str, Any]:
    model = MLP(net.n_inputs, list(net.layer_sizes))
    params = list(model.parameters())
    if len(params) != net.count:
        return {"number of parameters": len(params)}
    for p, value in zip(params, net.numbers()):
        p.data, p.grad = value, 0.0
    out = model(list(net.x))
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    total = outs[0]
    for o in outs[1:]:
        total = total + o
    total.backward()
    return {"number of parameters": len(params), "outputs": [float(o.data) for o in outs],
            "∂L/∂parameters": [float(p.grad) for p in params]}


def _expected_mlp(net: Network) -> dict[str, Any]:
    """The same network on autodiff.Var: tanh on every layer but the last, parameters in order w..., b."""
    params = [Var(value) for value in net.numbers()]
    values: list[Any] = list(net.x)
    k = 0
    for index, (n_in, n_out) in enumerate(net.shapes):
        last = index == len(net.shapes) - 1
        layer = []
        for _ in range(n_out):
            w, b = params[k:k + n_in], params[k + n_in]
            k += n_in + 1
            act = b
            for wi, xi in zip(w, values):
                act = act + wi * xi
            layer.append(act if last else act.tanh())
        values = layer
    total = values[0]
    for o in values[1:]:
        total = total + o
    total.backward()
    return {"number of parameters": net.count, "outputs": [o.data for o in values],
            "∂L/∂parameters": [p.grad for p in params]}


ex_mlp = DescribedExercise(
    "5b.4 · Neuron, Layer, MLP",
    inputs=[Network(2, (1,), (0.5, -1.0)),
            Network(3, (4, 1), (2.0, 3.0, -1.0)),
            Network(3, (4, 4, 1), (0.5, 1.0, 1.0)),
            Network(2, (3, 2), (-0.4, 0.9))],
    run=_run_mlp,
    expected=_expected_mlp,
    row="network",
    rel_tol=1e-12,
    hints=(
        "A Neuron holds `nin` weights and a bias, and returns w·x + b, through tanh unless it is told "
        "not to. A Layer is a list of Neurons that all see the same x; an MLP is a list of Layers, "
        "each fed the outputs of the one before.",
        "`parameters()` is recursive in structure, not in calls you must manage: a Neuron returns "
        "its weights then its bias; a Layer joins its neurons' lists in order; an MLP joins its "
        "layers' lists. The check sets the parameters in exactly that order.",
        "Only the last layer is linear (no tanh), so that the network can output any number. "
        "Return a single Value when the last layer has one neuron, a list otherwise.",
    ),
    solution=(
        "class Neuron:\n"
        "    def __init__(self, nin, nonlin=True):\n"
        "        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]\n"
        "        self.b = Value(0.0)\n"
        "        self.nonlin = nonlin\n"
        "    def __call__(self, x):\n"
        "        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)\n"
        "        return act.tanh() if self.nonlin else act\n"
        "    def parameters(self):\n"
        "        return self.w + [self.b]\n"
        "\n"
        "class Layer:\n"
        "    def __init__(self, nin, nout, nonlin=True):\n"
        "        self.neurons = [Neuron(nin, nonlin) for _ in range(nout)]\n"
        "    def __call__(self, x):\n"
        "        outs = [n(x) for n in self.neurons]\n"
        "        return outs[0] if len(outs) == 1 else outs\n"
        "    def parameters(self):\n"
        "        return [p for n in self.neurons for p in n.parameters()]\n"
        "\n"
        "class MLP:\n"
        "    def __init__(self, nin, nouts):\n"
        "        sizes = [nin] + nouts\n"
        "        self.layers = [Layer(sizes[i], sizes[i + 1], nonlin=i < len(nouts) - 1)\n"
        "                       for i in range(len(nouts))]\n"
        "    def __call__(self, x):\n"
        "        for layer in self.layers:\n"
        "            x = layer(x)\n"
        "        return x\n"
        "    def parameters(self):\n"
        "        return [p for layer in self.layers for p in layer.parameters()]"
    ),
)
