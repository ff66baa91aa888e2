"""autodiff.tensor.unroll and widgets.unroll: one small tensor op written out as its scalar graph.

Checked against what, independently of the code under test:

* the unrolled graph's gradients (the scalar engine's backward on the Vars)
  equal the tensor op's VJP, and both equal PyTorch's
  ``autograd.grad(y, inputs, grad_outputs=upstream)`` in float64, for every
  op that unrolls (elementwise with broadcasting, ``x * x``, matmul 1-d and
  2-d, linear, sum and mean over all or one axis, keepdims), with a random
  or a custom upstream, and by default ``y.grad`` (or ones);
* the scalar graph's size, counted by hand: one Var per entry of each
  distinct operand, the op's own nodes (one per output entry for an
  elementwise op; k products and k − 1 additions per entry of a matmul;
  ...), and L = Σ g·y: one weight Var and one product per output entry and
  (entries − 1) additions;
* refusals (too big, an op that does not unroll, a leaf, not a Tensor, a
  wrong upstream) are the right type with words that say why;
* `widgets.unroll`: stepping the whole backward fills the grids with the
  VJP's numbers (torch's), a grid cell is 0 until its first contribution,
  and the quiz takes the right numbers (worked out from torch) as right.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff import Var
from autodiff.backprop import topological_order
from autodiff.tensor import Tensor, linear, softmax
from autodiff.tensor.unroll import MAX_NODES, unroll

import widgets
from widgets.unroll import UnrollStepper

RNG = np.random.default_rng(7)


def rand(*shape):
    return np.round(RNG.uniform(-2, 2, size=shape), 3)


def torch_vjp(fn, arrays, needs, upstream):
    """PyTorch's VJP of ``fn`` at ``arrays`` (float64) for the operands that ``needs`` a gradient."""
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=n) for a, n in zip(arrays, needs)]
    y = fn(*ts)
    wanted = [t for t, n in zip(ts, needs) if n]
    grads = torch.autograd.grad(y, wanted, grad_outputs=torch.tensor(upstream, dtype=torch.float64),
                                allow_unused=True)
    return y.detach().numpy(), [g.numpy() if g is not None else None for g in grads]


def count_vars(loss):
    return len(topological_order(loss))


# ---------------------------------------------------------------------------
# Every op that unrolls: the case, its torch twin, and its node count by hand
# ---------------------------------------------------------------------------

def loss_nodes(out_size):
    """L = Σ g·y: a weight Var and a product per output entry, and out_size − 1 additions."""
    return 3 * out_size - 1


# (name, operand shapes, Tensor function, torch function, op nodes given the shapes)
ELEMENTWISE = [
    ("add", lambda a, b: a + b, lambda a, b: a + b),
    ("sub", lambda a, b: a - b, lambda a, b: a - b),
    ("mul", lambda a, b: a * b, lambda a, b: a * b),
    ("div", lambda a, b: a / b, lambda a, b: a / b),
]
UNARY = [
    ("tanh", lambda a: a.tanh(), torch.tanh),
    ("relu", lambda a: a.relu(), torch.relu),
    ("exp", lambda a: a.exp(), torch.exp),
    ("sigmoid", lambda a: a.sigmoid(), torch.sigmoid),
    ("neg", lambda a: -a, lambda a: -a),
    ("square", lambda a: a ** 2, lambda a: a ** 2),
]
BROADCASTS = [((2, 3), (2, 3)), ((2, 3), (3,)), ((3,), (2, 3)), ((2, 1), (1, 3)), ((2, 2), ()),
              ((3,), (1,))]


def check(fn, tfn, arrays, needs=None, upstream=None, labels=None):
    """Unroll fn(Tensors) and compare with the VJP and torch; return the Unrolled."""
    needs = needs or [True] * len(arrays)
    labels = labels or [f"t{i}" for i in range(len(arrays))]
    tensors = [Tensor(a, label=l, requires_grad=n) for a, l, n in zip(arrays, labels, needs)]
    y = fn(*tensors)
    g = rand(*y.shape) if upstream is None else np.asarray(upstream, dtype=float)
    u = unroll(y, g)
    u.loss.backward()
    value, expected = torch_vjp(tfn, arrays, needs, g)
    # the forward: each output entry is its Var's value
    entries = np.vectorize(lambda v: v.data, otypes=[float])(u.output)
    assert entries.shape == y.shape
    assert np.allclose(entries, value, rtol=1e-12, atol=1e-12)
    # L = Σ g·y
    assert math.isclose(u.loss.data, float(np.sum(g * value)), rel_tol=1e-12, abs_tol=1e-12)
    grads = u.gradients()
    wanted = [l for l, n in zip(labels, needs) if n]
    assert sorted(grads) == sorted(set(wanted)) == sorted(u.vjp)
    for label, e in zip(wanted, expected):
        assert grads[label].shape == e.shape == u.vjp[label].shape
        assert np.allclose(grads[label], e, rtol=1e-12, atol=1e-12), label
        assert np.allclose(u.vjp[label], e, rtol=1e-12, atol=1e-12), label
        assert np.allclose(grads[label], u.vjp[label], rtol=1e-13, atol=1e-13), label
    return u


@pytest.mark.parametrize("shapes", BROADCASTS, ids=str)
@pytest.mark.parametrize("name,fn,tfn", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_binary_elementwise_with_broadcasting(name, fn, tfn, shapes):
    a, b = rand(*shapes[0]), rand(*shapes[1])
    if name == "div":
        b = np.where(np.abs(b) < 0.5, 1.5, b)
    u = check(fn, tfn, [a, b])
    out = np.broadcast_shapes(*shapes)
    size = math.prod(out)
    # one Var per entry of a and b; one op node per output entry (a − b is one node, not a + (−b))
    assert count_vars(u.loss) == a.size + b.size + size + loss_nodes(size)
    # a broadcast operand's entry is one Var, used once per copy: its gradient sums them
    assert u.inputs["t0"].shape == shapes[0] and u.inputs["t1"].shape == shapes[1]


@pytest.mark.parametrize("name,fn,tfn", UNARY, ids=[e[0] for e in UNARY])
@pytest.mark.parametrize("shape", [(2, 3), (4,), ()], ids=str)
def test_unary_elementwise(name, fn, tfn, shape):
    a = rand(*shape)
    u = check(fn, tfn, [a])
    size = math.prod(shape)
    assert count_vars(u.loss) == size + size + loss_nodes(size)


def test_x_times_x_is_one_set_of_vars_used_twice():
    a = rand(2, 2)
    x = Tensor(a, label="x")
    y = x * x
    g = rand(2, 2)
    u = unroll(y, g)
    assert u.names == ["x", "x"] and list(u.inputs) == ["x"]
    assert u.expression == "x ⊙ x"
    u.loss.backward()
    assert np.allclose(u.gradients()["x"], 2 * a * g, rtol=1e-13)      # d(x²)/dx = 2x, by hand
    assert np.allclose(u.vjp["x"], 2 * a * g, rtol=1e-13)
    assert count_vars(u.loss) == 4 + 4 + loss_nodes(4)
    assert u.vjp_rule("x") == "grad(y) ⊙ x + grad(y) ⊙ x"                # a share per use


@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 2)), ((1, 3), (3, 2)), ((3,), (3, 2)), ((2, 3), (3,)),
                                   ((3,), (3,)), ((3, 1), (1, 3))], ids=str)
def test_matmul_1d_and_2d(sa, sb):
    a, b = rand(*sa), rand(*sb)
    u = check(lambda x, w: x @ w, lambda x, w: x @ w, [a, b], labels=["x", "W"])
    out = np.matmul(a, b)
    k = sa[-1]
    # per output entry: k products and k − 1 additions
    assert count_vars(u.loss) == a.size + b.size + out.size * (2 * k - 1) + loss_nodes(out.size)
    assert u.expression == "x @ W"
    # the entries have names the lesson can read
    assert u.output.flat[0].label == ("y" if out.ndim == 0 else "y[" + ",".join("0" * out.ndim) + "]")


def test_matmul_with_data_asks_only_for_the_weights():
    x, W = rand(1, 3), rand(3, 2)
    u = check(lambda x, w: x @ w, lambda x, w: x @ w, [x, W], needs=[False, True], labels=["x", "W"])
    assert list(u.vjp) == ["W"] and list(u.inputs) == ["x", "W"]
    assert u.vjp_rule("W") == "xᵀ · grad(y)"


def test_linear():
    x, W, b = rand(2, 3), rand(2, 3), rand(2)
    u = check(lambda x, w, b: linear(x, w, b), torch.nn.functional.linear, [x, W, b], labels=["x", "W", "b"])
    # per output entry: 3 products, 2 additions, then + b
    assert count_vars(u.loss) == 6 + 6 + 2 + 4 * (3 + 2 + 1) + loss_nodes(4)
    assert u.expression == "x @ Wᵀ + b"


@pytest.mark.parametrize("op", ["sum", "mean"])
@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, False), (1, False), (1, True), (-1, False)])
def test_sum_and_mean(op, axis, keepdims):
    a = rand(2, 3)
    kwargs = {} if axis is None else {"axis": axis, "keepdims": keepdims}
    tkwargs = {} if axis is None else {"dim": axis, "keepdim": keepdims}
    u = check(lambda t: getattr(t, op)(**kwargs), lambda t: getattr(t, op)(**tkwargs), [a])
    out = np.sum(a, axis=axis, keepdims=keepdims)
    per = a.size // out.size
    extra = 2 if op == "mean" else 0            # mean: a constant 1/n and a product per entry
    assert count_vars(u.loss) == a.size + out.size * (per - 1 + extra) + loss_nodes(out.size)


@settings(max_examples=40)
@given(shape=st.sampled_from([(2, 3), (3,), (1, 2), (2, 2)]), seed=st.integers(0, 2 ** 31))
def test_random_upstream_random_ops(shape, seed):
    rng = np.random.default_rng(seed)
    a, b = np.round(rng.uniform(-2, 2, shape), 3), np.round(rng.uniform(-2, 2, shape[-1:]), 3)
    for fn, tfn in [(lambda x, y: (x * y), lambda x, y: x * y), (lambda x, y: x - y, lambda x, y: x - y)]:
        check(fn, tfn, [a, b], upstream=np.round(rng.uniform(-3, 3, shape), 3))


def test_default_upstream_is_grad_after_backward_else_ones():
    x = Tensor([[1.0, -2.0]], label="x")
    W = Tensor([[0.5, 1.0, -1.0], [2.0, 0.0, 1.0]], label="W")
    y = x @ W
    y.label = "h"
    u = unroll(y)
    assert np.array_equal(u.upstream, np.ones((1, 3)))                 # L = Σ y
    u.loss.backward()
    assert np.allclose(u.gradients()["W"], np.array([[1.0] * 3, [-2.0] * 3]), rtol=1e-15)

    c = Tensor([[3.0, -1.0, 0.5]], requires_grad=False)
    (y * c).sum().backward()                                            # y.grad = c
    u = unroll(y)
    assert np.array_equal(u.upstream, [[3.0, -1.0, 0.5]])
    assert u.output_name == "h" and u.vjp_rule("W") == "xᵀ · grad(h)"
    u.loss.backward()
    assert np.allclose(u.gradients()["W"], np.outer([1.0, -2.0], [3.0, -1.0, 0.5]), rtol=1e-15)
    assert np.allclose(u.gradients()["x"], [[3.0 * 0.5 - 1.0 - 0.5, 6.0 + 0.5]], rtol=1e-15)


def test_constants_get_readable_names():
    """An unlabelled constant operand must not steal the name of a labelled operand."""
    a = Tensor([1.0, 2.0], label="a")
    u = unroll(2.0 ** a)
    assert "a" in u.inputs and u.inputs["a"].shape == (2,)
    assert u.inputs["a"][0].label == "a[0]"
    assert list(u.vjp) == ["a"]
    assert u.expression == "2^a", u.expression
    u = unroll(3.0 - a)
    assert u.expression == "3 − a", u.expression   # a real minus sign, as everywhere in the texts
    u.loss.backward()
    assert np.array_equal(u.gradients()["a"], [-1.0, -1.0])


# ---------------------------------------------------------------------------
# Refusals
# ---------------------------------------------------------------------------

def test_too_big_is_refused_before_building():
    a, b = Tensor(np.ones((5, 5)), label="a"), Tensor(np.ones((5, 5)), label="b")
    with pytest.raises(ValueError, match=rf"matmul of shapes 5×5, 5×5 .* more than {MAX_NODES}"):
        unroll(a @ b)
    big = Tensor(np.ones(200), label="v")
    with pytest.raises(ValueError, match=f"more than {MAX_NODES}"):
        unroll(big.tanh())
    with pytest.raises(ValueError, match="more than"):
        unroll(big.sum())


def test_the_limit_is_about_the_graph_that_gets_built():
    """Anything unroll accepts stays within about MAX_NODES Vars (the estimate must not undercount)."""
    for fn, shapes in [(lambda a, b: a @ b, [(3, 3), (3, 3)]), (lambda a, b: a * b, [(4, 5), (5,)]),
                       (lambda a: a.sum(axis=0), [(6, 8)]), (lambda a: a.mean(), [(7, 7)])]:
        ts = [Tensor(np.ones(s)) for s in shapes]
        try:
            u = unroll(fn(*ts))
        except ValueError:
            continue
        assert count_vars(u.loss) <= MAX_NODES * 1.1


@pytest.mark.parametrize("make,name", [
    (lambda a: a.T, "transpose"), (lambda a: a.reshape(4), "reshape"), (lambda a: softmax(a), "softmax"),
    (lambda a: a[0], "getitem"), (lambda a: a.max(), "max")])
def test_ops_that_do_not_unroll_are_named(make, name):
    a = Tensor([[1.0, 2.0], [3.0, 4.0]], label="a")
    with pytest.raises(ValueError, match=rf"cannot unroll {name}; unroll takes elementwise ops, matmul, linear"):
        unroll(make(a))


def test_matmul_and_linear_of_more_than_two_axes_are_refused():
    a, b = Tensor(np.ones((2, 2, 2))), Tensor(np.ones((2, 2)))
    with pytest.raises(ValueError, match="matmul unrolls for 1-d and 2-d operands only.*2×2×2"):
        unroll(a @ b)
    with pytest.raises(ValueError, match="linear unrolls for 1-d and 2-d operands only.*2×2×2"):
        unroll(linear(a, b, Tensor([0.5, 1.0])))


def test_linear_of_a_vector():
    x, W, b = rand(3), rand(2, 3), rand(2)
    u = check(lambda x, w, b: linear(x, w, b), torch.nn.functional.linear, [x, W, b], labels=["x", "W", "b"])
    assert count_vars(u.loss) == 3 + 6 + 2 + 2 * (3 + 2 + 1) + loss_nodes(2)


def test_not_an_op_and_not_a_tensor():
    with pytest.raises(ValueError, match="not made by an op"):
        unroll(Tensor([1.0, 2.0]))
    for bad in (np.ones(2), [1.0], Var(1.0) * Var(2.0), None):
        with pytest.raises(TypeError, match="expected a Tensor"):
            unroll(bad)
    with pytest.raises(TypeError, match="expected a Tensor"):
        widgets.unroll(np.ones(2))


def test_wrong_upstream():
    x = Tensor([1.0, 2.0], label="x")
    with pytest.raises(ValueError, match=r"upstream has shape \(3,\), the op's output \(2,\)"):
        unroll(x * x, [1.0, 2.0, 3.0])
    with pytest.raises((TypeError, ValueError)):
        unroll(x * x, ["a", "b"])


# ---------------------------------------------------------------------------
# widgets.unroll: the grids fill in to the VJP
# ---------------------------------------------------------------------------

def lesson_example():
    x = Tensor([[1.0, 2.0, 3.0]], label="x", requires_grad=False)
    W = Tensor([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], label="W")
    y = x @ W
    y.label = "y"
    return x, W, y


def test_stepping_the_whole_backward_fills_the_grid_with_the_vjp():
    x, W, y = lesson_example()
    g = np.array([[1.0, -2.0]])
    s = widgets.unroll(y, upstream=g)
    assert isinstance(s, UnrollStepper)
    assert [grid["title"] for grid in s.data["grids"]] == ["grad(W) (3×2), entry by entry"]
    assert s.data["grids"][0]["note"] == (
        "the tensor VJP in one go: xᵀ · grad(y) = [[1, −2], [2, −4], [3, −6]]")   # xᵀ·g by hand
    assert all(np.array_equal(v, np.zeros((3, 2))) for v in s.grid_values())
    seen_partial = False
    for k in range(1, s.total_steps + 1):
        s.go_to(k)
        values = s.grid_values()[0]
        assert values.shape == (3, 2)
        if 0 < np.count_nonzero(values) < 6:
            seen_partial = True
    assert seen_partial, "the grid should fill in entry by entry"
    expected = np.array([[1.0], [2.0], [3.0]]) @ g
    assert np.array_equal(s.grid_values()[0], expected)
    # the grid's node ids are the W entries' Vars
    ids = s.data["grids"][0]["ids"]
    names = {n.id: n.name for n in s.trace.nodes}
    assert [[names[i] for i in row] for row in ids] == [[f"W[{r},{c}]" for c in range(2)] for r in range(3)]
    assert "unrolled" in s.data["intro"]["backward"] and "L = Σ g[i,j]·y[i,j]" in s.data["intro"]["backward"]
    assert "where g = [[1, −2]] is the grad(y) it sends back" in s.data["intro"]["backward"]
    assert repr(s).startswith("Unroll(y = x @ W, GraphStepper(")


def test_grids_for_every_operand_that_needs_a_gradient():
    a = Tensor([[1.0, -1.0], [0.5, 2.0]], label="a")
    b = Tensor([3.0, -0.5], label="b")
    s = widgets.unroll(a * b)
    assert [grid["title"] for grid in s.data["grids"]] == ["grad(a) (2×2), entry by entry",
                                                           "grad(b) (2), entry by entry"]
    s.go_to(s.total_steps)
    ga, gb = s.grid_values()
    assert np.array_equal(ga, np.array([[3.0, -0.5], [3.0, -0.5]]))      # ∂/∂a = b (upstream ones)
    assert np.array_equal(gb, np.array([[1.5, 1.0]]))                     # ∂/∂b = Σ_rows a


def test_unroll_quiz_takes_the_right_numbers():
    x, W, y = lesson_example()
    s = widgets.unroll(y, quiz=True)
    answered = 0
    while s.step < s.total_steps:
        quiz = s.pending_quiz
        if quiz is None:
            s.next()
            continue
        assert quiz["stage"] == "values"           # a scalar graph: one stage, numbers
        step = s.trace.backward[s.step]
        node = s.trace.node(step.node)
        # by hand: L = Σ g·y, g = 1; products p = x·W and weights give local derivatives
        answers = [float(c.value) for c in step.contributions]
        for c in step.contributions:
            parent = s.trace.node(c.parent)
            other = [s.trace.node(p) for p in node.parents if p != c.parent]
            if node.op == "+":
                assert c.value == step.upstream
            elif node.op == "*" and other:
                assert math.isclose(c.value, step.upstream * other[0].data, rel_tol=1e-15)
        verdict = s.answer(answers)
        assert verdict.startswith("Right") and "Not quite" not in verdict
        answered += 1
    assert answered > 0
    assert np.array_equal(s.grid_values()[0], np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]))


def test_unroll_quiz_wrong_answer():
    a = Tensor([2.0], label="a")
    s = widgets.unroll(a.tanh(), quiz=True)
    s.next()                                        # the seed
    while s.pending_quiz is None:
        s.next()
    verdict = s.answer([123.0] * len(s.pending_quiz["questions"]))
    assert "Not yet: you said 123" in verdict       # a hint and one more try first
    verdict = s.answer([123.0] * len(s.pending_quiz["questions"]))
    assert "Not quite: you said 123" in verdict


def test_editing_an_input_of_the_unrolled_graph_updates_the_vjp_note():
    """The unrolled graph's leaves are Vars the learner can change: the VJP shown must follow."""
    x, W, y = lesson_example()
    s = widgets.unroll(y, upstream=np.array([[1.0, -2.0]]))
    s.set_input("x[0,0]", 5.0)
    s.set_input("g[0,1]", 0.5)
    g = np.array([[1.0, 0.5]])
    expected = np.array([[5.0], [2.0], [3.0]]) @ g          # xᵀ·g with the new numbers, by hand
    assert s.data["grids"][0]["note"] == (
        "the tensor VJP in one go: xᵀ · grad(y) = [[5, 2.5], [2, 1], [3, 1.5]]")
    s.go_to(s.total_steps)
    assert np.array_equal(s.grid_values()[0], expected)
    assert np.array_equal(s.unrolled.vjp["W"], expected) and np.array_equal(s.unrolled.upstream, g)
