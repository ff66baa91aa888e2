"""autodiff.tensor.trace: a Tensor graph's forward and backward passes as data, with shapes.

What is checked, and against what:

* replaying the backward steps (`Trace.replay`) gives exactly, bit for bit,
  the ``.grad`` that ``backward()`` gives, on random small graphs (Hypothesis:
  add/mul with broadcasting, matmul 1-d and 2-d, linear, sum/mean over an
  axis or all, relu/tanh/exp, ``x * x``); the gradients are also compared
  with PyTorch in float64, the values too, and the trace's node values with
  the Tensors';
* the texts carry shapes: every contribution's first line reads
  ``grad(<operand>) (<its shape>) += ...`` and every forward step
  ``... → <node> (<its shape>)``; the terms of a matmul VJP are written with
  the shapes that multiply (a 1-d operand of a 2-d gradient as a column or a
  row);
* hand-worked examples (numbers written out here, from numpy by hand);
* errors: a non-scalar root, a root or parameters that are not Tensors, a Var
  mixed into a Tensor trace.

The random graphs are written as small programs that an interpreter runs
twice, once on Tensors and once on torch float64 tensors: the expected
numbers never come from the code under test.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from tensor_cases import small_mlp

from autodiff import Var
from autodiff.tensor import Tensor, linear
from autodiff.tensor.trace import array_text, shape_text
from autodiff.tensor.trace import trace as tensor_trace
from autodiff.trace import trace

# ---------------------------------------------------------------------------
# Random programs: a pool of Tensors, each instruction adds one
# ---------------------------------------------------------------------------

VALUES = st.floats(-2.0, 2.0, allow_nan=False, width=64).map(lambda v: round(v, 3))


def _array(draw, shape):
    return np.array(draw(st.lists(VALUES, min_size=math.prod(shape), max_size=math.prod(shape))),
                    dtype=np.float64).reshape(shape)


@st.composite
def programs(draw):
    """A list of entries, in the order they are made: ("leaf", name, array, requires_grad)
    or (op, operand indices...). Shapes are chosen so every op is valid."""
    entries, shapes = [], []

    def leaf(shape, requires_grad=None):
        if requires_grad is None:
            requires_grad = draw(st.booleans())
        entries.append(("leaf", f"t{len(entries)}", _array(draw, shape), requires_grad))
        shapes.append(tuple(shape))
        return len(entries) - 1

    def add(entry, shape):
        entries.append(entry)
        shapes.append(tuple(int(n) for n in shape))

    leaf(draw(st.sampled_from([(2, 3), (3,), (2, 2), (1, 3), (3, 2)])), requires_grad=True)
    for _ in range(draw(st.integers(1, 6))):
        k = draw(st.integers(0, len(shapes) - 1))
        s = shapes[k]
        kind = draw(st.sampled_from(["add", "mul", "sub", "reuse", "relu", "tanh", "exp_tanh",
                                     "matmul", "linear", "sum", "mean"]))
        if kind in ("add", "mul", "sub"):
            # the other operand: the same shape, a trailing slice, a 1 somewhere, or a scalar
            options = [s, s[1:], (1,) + s[1:] if s else (), ()]
            if len(s) == 2:
                options.append((s[0], 1))
            other = draw(st.sampled_from(options))
            same = [j for j, t in enumerate(shapes) if t == other]
            j = draw(st.sampled_from(same)) if same and draw(st.booleans()) else leaf(other)
            add((kind, j, k) if draw(st.booleans()) else (kind, k, j), np.broadcast_shapes(s, other))
        elif kind in ("reuse", "relu", "tanh", "exp_tanh"):   # exp(tanh(.)) never overflows
            add((kind, k), s)
        elif kind == "matmul":
            if not s:
                continue
            n = draw(st.sampled_from([None, 1, 2, 3]))       # None: a 1-d right operand
            j = leaf((s[-1],) if n is None else (s[-1], n))
            add(("matmul", k, j), s[:-1] + (() if n is None else (n,)))
        elif kind == "linear":
            if len(s) != 2:
                continue
            n = draw(st.integers(1, 3))
            w = leaf((n, s[1]))
            b = leaf((n,))
            add(("linear", k, w, b), (s[0], n))
        else:  # sum / mean over everything or one axis
            axis = draw(st.sampled_from([None] + list(range(len(s)))))
            add((kind, k, axis), () if axis is None else s[:axis] + s[axis + 1:])
    return entries


def run(program, make, ops):
    """Run a program on ``make(name, array, requires_grad)`` leaves with ``ops``; (leaves, root)."""
    pool, leaves = [], []
    for entry in program:
        if entry[0] == "leaf":
            pool.append(make(*entry[1:]))
            leaves.append(pool[-1])
        elif entry[0] in ("sum", "mean"):
            pool.append(ops[entry[0]](pool[entry[1]], entry[2]))
        else:
            pool.append(ops[entry[0]](*(pool[i] for i in entry[1:])))
    return leaves, ops["total"](pool[-1])


TENSOR_OPS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "reuse": lambda a: a * a, "relu": lambda a: a.relu(), "tanh": lambda a: a.tanh(),
    "exp_tanh": lambda a: a.tanh().exp(), "matmul": lambda a, b: a @ b,
    "linear": lambda x, w, b: linear(x, w, b),
    "sum": lambda a, axis: a.sum() if axis is None else a.sum(axis=axis),
    "mean": lambda a, axis: a.mean() if axis is None else a.mean(axis=axis),
    "total": lambda a: a.sum() if a.shape != () else a * 1.0,
}
TORCH_OPS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "reuse": lambda a: a * a, "relu": lambda a: torch.relu(a), "tanh": lambda a: torch.tanh(a),
    "exp_tanh": lambda a: torch.exp(torch.tanh(a)), "matmul": lambda a, b: a @ b,
    "linear": lambda x, w, b: torch.nn.functional.linear(x, w, b),
    "sum": lambda a, axis: a.sum() if axis is None else a.sum(dim=axis),
    "mean": lambda a, axis: a.mean() if axis is None else a.mean(dim=axis),
    "total": lambda a: a.sum() if a.shape != () else a * 1.0,
}


def make_tensor(name, array, requires_grad):
    return Tensor(array, label=name, requires_grad=requires_grad)


def make_torch(name, array, requires_grad):
    return torch.tensor(array, dtype=torch.float64, requires_grad=requires_grad)


def by_identity(tr, root):
    """Trace id -> Tensor, found by walking ``.parents`` alongside the trace (not the trace's own order)."""
    found = {tr.root.id: root}
    stack = [tr.root.id]
    while stack:
        node_id = stack.pop()
        node, t = tr.node(node_id), found[node_id]
        assert len(node.parents) == len(t.parents)
        for pid, p in zip(node.parents, t.parents):
            if pid in found:
                assert found[pid] is p
            else:
                found[pid] = p
                stack.append(pid)
    assert len({id(t) for t in found.values()}) == len(found) == len(tr.nodes)
    return found


def bits(a):
    """An array's exact bytes, dtype and shape: equal only if bit for bit the same."""
    a = np.asarray(a)
    return a.dtype.str, a.shape, a.tobytes()


# ---------------------------------------------------------------------------
# Replay = backward(), bit for bit; and = torch
# ---------------------------------------------------------------------------

@settings(max_examples=150)
@given(program=programs())
def test_replay_is_backward_bit_for_bit_and_agrees_with_torch(program):
    pool, root = run(program, make_tensor, TENSOR_OPS)
    assume(root.requires_grad)
    tr = trace(root)
    assert tr.root.shape == () and tr.nodes[-1].kind == "output"
    found = by_identity(tr, root)
    # the trace's values are the Tensors' values, and their shapes
    for node_id, t in found.items():
        node = tr.node(node_id)
        assert node.shape == t.shape
        assert bits(node.data) == bits(t.data)
    # tracing does not touch .grad
    assert all(t._grad is None for t in found.values())

    replayed = tr.replay()
    root.backward()
    for node_id, t in found.items():
        if t.requires_grad:
            assert bits(replayed[node_id]) == bits(t.grad), (node_id, tr.node(node_id).name)
        else:
            assert replayed[node_id] == 0.0   # a constant gets no backward step

    # torch float64, the same program, independently
    tpool, troot = run(program, make_torch, TORCH_OPS)
    troot.backward()
    assert np.allclose(root.data, troot.detach().numpy(), rtol=1e-12, atol=1e-12)
    in_graph = {id(t) for t in found.values()}
    for t, tt in zip(pool, tpool):
        if t.requires_grad and id(t) in in_graph:
            assert np.allclose(t.grad, tt.grad.numpy(), rtol=1e-10, atol=1e-12), t.label


@settings(max_examples=100)
@given(program=programs())
def test_every_text_carries_shapes(program):
    pool, root = run(program, make_tensor, TENSOR_OPS)
    assume(root.requires_grad)
    tr = trace(root)
    found = by_identity(tr, root)
    name = {n.id: n.name for n in tr.nodes}
    for f in tr.forward:
        first, second = f.text.split("\n")[:2]
        node = tr.node(f.node)
        assert first.startswith(f"{node.name} = ")
        # every operand with its shape, then the result with its shape
        for pid in node.parents:
            assert f"{name[pid]} ({shape_text(found[pid].shape)})" in second
        assert second.endswith(f"→ {node.name} ({shape_text(found[f.node].shape)})")
    assert tr.backward[0].text == "grad(L) = 1 (the seed)"
    seen = {}
    for s in tr.backward[1:]:
        assert s.text == "\n".join(c.text for c in s.contributions)
        for c in s.contributions:
            parent = found[c.parent]
            head = c.text.split("\n")[0]
            assert head.startswith(f"grad({name[c.parent]}) ({shape_text(parent.shape)}) += "), head
            assert np.shape(c.value) == parent.shape and np.shape(c.after) == parent.shape
            # before + value = after, and `after` is the running total
            before = seen.get(c.parent, np.zeros(parent.shape))
            assert np.array_equal(c.before, before)
            assert np.array_equal(c.after, before + c.value)
            seen[c.parent] = c.after
            # a second contribution to one node says so, with the running sum
            assert ("running sum" in c.text) == _received_before(tr, c)
            if parent.size <= 12:
                assert c.text.split("\n")[-1 if "running sum" not in c.text else -2] == \
                    f"    = {array_text(c.value)}"


def _received_before(tr, contribution):
    """Whether an earlier contribution (of this step or an earlier one) already reached this parent."""
    for s in tr.backward:
        for c in s.contributions:
            if c is contribution:
                return False
            if c.parent == contribution.parent:
                return True
    raise AssertionError("contribution not in the trace")


# ---------------------------------------------------------------------------
# Hand-worked examples
# ---------------------------------------------------------------------------

mlp = small_mlp   # h = x @ W + b; a = tanh(h); L = Σ a⊙a (tests/tensor_cases.py)


def test_mlp_by_hand():
    L, t = mlp()
    tr = trace(L, [t["W"], t["b"]])
    kinds = {n.name: n.kind for n in tr.nodes}
    assert kinds["x"] == "leaf" and kinds["W"] == kinds["b"] == "parameter" and kinds["L"] == "output"
    # by hand: xW = [1·.1+2·.3+3·.5, 1·.2−2·.4+3·.6] = [2.2, 1.2]; h = [2.3, 1.0]
    h = np.array([[2.3, 1.0]])
    a = np.tanh(h)
    g_a = 2 * a                       # ∂Σa²/∂a
    g_h = g_a * (1 - a ** 2)
    g_W = np.array([[1.0], [2.0], [3.0]]) @ g_h
    g_b = g_h[0]
    grads = {tr.nodes[i].name: g for i, g in enumerate(tr.replay().values())}
    assert np.allclose(grads["h"], g_h, rtol=1e-13) and np.allclose(grads["a"], g_a, rtol=1e-13)
    assert np.allclose(grads["W"], g_W, rtol=1e-13) and np.allclose(grads["b"], g_b, rtol=1e-13)
    assert "x" not in [tr.node(c.parent).name for s in tr.backward for c in s.contributions]

    texts = "\n".join(s.text for s in tr.backward)
    # the matmul VJP with the shapes that multiply
    assert "grad(W) (3×2) += xᵀ (3×1) · grad(n" in texts
    assert re.search(r"grad\(W\) \(3×2\) \+= xᵀ \(3×1\) · grad\(n\d\) \(1×2\)", texts)
    # b was broadcast over the rows: its gradient is summed over axis 0
    assert "summed over axis 0" in texts and "(1×2) → (2)" in texts
    # a ⊙ a: a gets two contributions and a running sum
    assert texts.count("grad(a) (1×2) += grad(sq) (1×2) ⊙ a (1×2)") == 2
    assert f"running sum grad(a) = {array_text(a)} + {array_text(a)} = {array_text(2 * a)}" in texts
    # tanh: the scalar rule's local derivative, on every element
    assert "grad(h) (1×2) += grad(a) (1×2) ⊙ (1 − tanh(h)²)" in texts
    forward = "\n".join(f.text for f in tr.forward)
    assert "x (1×3), W (3×2) → n2 (1×2)" in forward and "= [[2.2, 1.2]]" in forward
    assert "sq (1×2) → L (scalar)" in forward


def test_vector_matmul_writes_an_outer_product_with_column_and_row_shapes():
    """x (3) @ W (3×2): ∂L/∂W = x (as a 3×1 column) · ∂L/∂y (as a 1×2 row), an outer product."""
    x = Tensor([1.0, 2.0, 3.0], label="x")
    W = Tensor(np.arange(6.0).reshape(3, 2), label="W")
    y = x @ W
    y.label = "y"
    L = (y * Tensor([1.0, -1.0], requires_grad=False)).sum()
    tr = trace(L)
    texts = "\n".join(s.text for s in tr.backward)
    assert "grad(W) (3×2) += xᵀ (3×1) · grad(y) (1×2)" in texts, texts
    assert "grad(x) (3) += grad(y) (2) · Wᵀ (2×3)" in texts
    # by hand: ∂L/∂y = [1, −1]; ∂L/∂W = outer(x, [1, −1]); ∂L/∂x = W @ [1, −1] = [−1, −1, −1]
    grads = {tr.nodes[i].name: g for i, g in enumerate(tr.replay().values())}
    assert np.array_equal(grads["W"], np.outer([1.0, 2.0, 3.0], [1.0, -1.0]))
    assert np.array_equal(grads["x"], np.array([-1.0, -1.0, -1.0]))
    assert "= [[1, −1], [2, −2], [3, −3]]" in texts


def test_matrix_times_vector():
    """A (2×3) @ v (3): ∂L/∂A = ∂L/∂y (2×1) · vᵀ (1×3)."""
    A = Tensor([[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]], label="A")
    v = Tensor([0.5, -1.0, 2.0], label="v")
    y = A @ v
    y.label = "y"
    L = y.sum()
    tr = trace(L)
    texts = "\n".join(s.text for s in tr.backward)
    assert "grad(A) (2×3) += grad(y) (2×1) · vᵀ (1×3)" in texts, texts
    assert "grad(v) (3) += Aᵀ (3×2) · grad(y) (2)" in texts
    grads = {tr.nodes[i].name: g for i, g in enumerate(tr.replay().values())}
    assert np.array_equal(grads["A"], np.array([[0.5, -1.0, 2.0]] * 2))
    assert np.array_equal(grads["v"], np.array([3.0, 1.0, -0.5]))


def test_linear_and_mean_texts():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], label="x", requires_grad=False)
    W = Tensor([[0.5, -0.5], [1.0, 0.0], [0.0, 2.0]], label="W")
    b = Tensor([0.0, 1.0, -1.0], label="b")
    y = linear(x, W, b)
    y.label = "y"
    L = y.mean()
    tr = trace(L, [W, b])
    forward = "\n".join(f.text for f in tr.forward)
    assert "y = x @ Wᵀ + b" in forward and "x (2×2), W (3×2), b (3) → y (2×3)" in forward
    assert "L = mean(y)" in forward
    texts = "\n".join(s.text for s in tr.backward)
    assert "grad(W) (3×2) += grad(y)ᵀ (3×2) · x (2×2)" in texts
    assert "grad(b) (3) += Σ_rows grad(y) (2×3)" in texts
    # by hand: ∂L/∂y = 1/6 everywhere; ∂L/∂W = (1/6)·[[4, 6]]*3; ∂L/∂b = 2/6
    grads = {tr.nodes[i].name: g for i, g in enumerate(tr.replay().values())}
    assert np.allclose(grads["W"], np.array([[4.0, 6.0]] * 3) / 6, rtol=1e-15)
    assert np.allclose(grads["b"], np.full(3, 2 / 6), rtol=1e-15)
    assert not np.any([c.parent == "n0" for s in tr.backward for c in s.contributions])


def test_sum_over_an_axis_says_so():
    x = Tensor([[1.0, -2.0, 3.0], [0.5, 0.0, -1.0]], label="x")
    s = x.sum(axis=0)
    s.label = "s"
    L = (s * s).sum()
    tr = trace(L)
    forward = "\n".join(f.text for f in tr.forward)
    assert "s = sum(x, axis=0)" in forward and "x (2×3) → s (3)" in forward
    grads = {tr.nodes[i].name: g for i, g in enumerate(tr.replay().values())}
    # ∂L/∂s = 2s = [3, −4, 4]; copied down both rows
    assert np.array_equal(grads["x"], np.array([[3.0, -4.0, 4.0]] * 2))


def test_trace_through_autodiff_trace_is_the_tensor_trace():
    L, _ = mlp()
    a, b = trace(L), tensor_trace(L)
    assert [n.id for n in a.nodes] == [n.id for n in b.nodes]
    assert [s.text for s in a.backward] == [s.text for s in b.backward]


def test_output_name_and_labels():
    x = Tensor([1.0, 2.0], label="x")
    loss = (x * x).sum()
    tr = trace(loss, output_name="J")
    assert tr.root.name == "J"
    assert tr.backward[0].text == "grad(J) = 1 (the seed)"
    # the output's name changes nothing else: grad(x) is the gradient of whatever the output is
    assert all("∂" not in s.text for s in tr.backward), [s.text for s in tr.backward]
    assert "running sum grad(x) = [1, 2] + [1, 2] = [2, 4]" in "\n".join(s.text for s in tr.backward)


def test_a_graph_with_no_gradient_has_no_backward_steps():
    x = Tensor([1.0, 2.0], requires_grad=False)
    tr = trace((x * 2.0).sum())
    assert tr.backward == () and len(tr.nodes) == 1


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

def test_a_non_scalar_root_is_refused_in_words():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], label="x")
    with pytest.raises(ValueError, match=r"shape \(2, 2\).*one number.*\.sum\(\)"):
        trace(x * 2.0)
    with pytest.raises(ValueError, match="shape"):
        tensor_trace(x)


@pytest.mark.parametrize("root", [[1.0, 2.0], np.array(1.0), 3.0, "L", None])
def test_a_root_that_is_no_tensor_is_a_type_error(root):
    with pytest.raises(TypeError, match="expected a (Var or a )?Tensor"):
        trace(root)
    with pytest.raises(TypeError, match="expected a Tensor"):
        tensor_trace(root)


def test_a_var_is_not_a_tensor_trace_root():
    with pytest.raises(TypeError, match="expected a Tensor, got Var"):
        tensor_trace(Var(1.0) * Var(2.0))


def test_mixed_var_and_tensor_are_refused():
    x = Tensor([1.0, 2.0], label="x")
    with pytest.raises(TypeError, match="parameters must be Tensors, got Var"):
        trace(x.sum(), [Var(1.0)])
    with pytest.raises(TypeError, match="parameters must be Tensors, got list"):
        trace(x.sum(), [[1.0, 2.0]])
    with pytest.raises(TypeError):
        x * Var(2.0)   # the engines do not mix: a graph of both cannot even be built
    with pytest.raises(TypeError):
        Var(2.0) * x
