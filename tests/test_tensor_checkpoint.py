"""Gradient checkpointing (`autodiff.tensor.checkpoint`): the same gradients for less memory.

* gradients bit-identical to the same graph without checkpoints: an MLP cut
  into every number of segments, weights read from outside ``fn`` (a Linear
  layer's), through ``backward()`` and through ``grad()``; and, by
  Hypothesis, random small MLPs (sizes, activation, batch, segment count,
  seed) and random chains of blocks, each checkpointed or not;
* where a value is used several times inside ``fn``, the same to rounding;
* against ``torch.utils.checkpoint`` (non-reentrant) in float64, first order
  and, through ``create_graph``, Hessian-vector products and ``jvp``;
* ``fn`` runs once in the forward and once per backward; its graph is freed
  after the forward;
* errors: a bad ``fn``, input or segment count names the function and the
  type or value; a recompute that differs is refused; no ``.grad`` changes
  on any error.
"""

from __future__ import annotations

import weakref

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autodiff import no_grad
from autodiff.tensor import Tensor, grad, jvp
from autodiff.tensor import nn as tnn
from autodiff.tensor.checkpoint import CHECKPOINT, checkpoint, checkpoint_sequential
from tensor_cases import assert_close, t64, to_numpy

torch = pytest.importorskip("torch")
from torch.utils.checkpoint import checkpoint as torch_checkpoint  # noqa: E402
from torch.utils.checkpoint import checkpoint_sequential as torch_checkpoint_sequential  # noqa: E402


def data(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def blocks_of(model):
    """An MLP's layers in blocks of (Linear, activation), the last Linear on its own."""
    layers = list(model.layers)
    return [(lambda h, group=layers[i:i + 2]: _run(group, h)) for i in range(0, len(layers), 2)]


def _run(group, h):
    for layer in group:
        h = layer(h)
    return h


def mlp_gradients(segments, activation="tanh", dtype=None):
    """The gradients of every parameter and of the input, for an MLP 6-[8]*5-3 cut into ``segments``."""
    model = tnn.MLP(6, [8, 8, 8, 8, 8, 3], activation=activation, rng=1, dtype=dtype)
    x = Tensor(data(5, 6).astype(dtype or np.float64), label="x")
    out = checkpoint_sequential(blocks_of(model), segments, x)
    loss = (out * out).mean()
    loss.backward()
    return [x.grad] + [p.grad for p in model.parameters()], loss.item()


# ----------------------------------------------------------------------------
# The same gradients
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_every_segment_count_gives_the_same_gradients_bit_for_bit(activation):
    plain, plain_loss = mlp_gradients(1, activation)  # one segment: no checkpoint at all
    for segments in range(2, 7):
        grads, loss = mlp_gradients(segments, activation)
        assert loss == plain_loss
        for g, p in zip(grads, plain, strict=True):
            assert np.array_equal(g, p), segments


@st.composite
def small_mlps(draw):
    """An MLP's sizes, activation, batch and seed, and a segment count between 1 and its blocks."""
    sizes = draw(st.lists(st.integers(1, 6), min_size=2, max_size=7))
    blocks = len(sizes) - 1                              # (Linear, activation) blocks; the last Linear alone
    return (sizes, draw(st.sampled_from(["tanh", "relu", "sigmoid"])), draw(st.integers(1, 4)),
            draw(st.integers(1, blocks)), draw(st.integers(0, 2**16)))


@given(small_mlps())
def test_random_small_mlps_give_the_same_gradients_bit_for_bit(case):
    sizes, activation, batch, segments, seed = case

    def gradients(k):
        model = tnn.MLP(sizes[0], sizes[1:], activation=activation, rng=seed)
        x = Tensor(np.random.default_rng(seed).normal(size=(batch, sizes[0])), label="x")
        out = checkpoint_sequential(blocks_of(model), k, x)
        loss = (out * out).mean()
        loss.backward()
        return [loss.data, x.grad] + [p.grad for p in model.parameters()]

    plain, ours = gradients(1), gradients(segments)
    assert len(plain) == len(ours)
    for a, b in zip(ours, plain):
        assert a.dtype == b.dtype and np.array_equal(a, b)


BLOCKS = {   # blocks that use their input and each weight once: the gradients must match bit for bit
    "matmul-tanh": lambda h, W, b: (h @ W + b).tanh(),
    "scale-sin": lambda h, W, b: (h * b).sin(),
    "sigmoid-shift": lambda h, W, b: (h - b).sigmoid(),
    "relu": lambda h, W, b: h.relu(),
    "exp-of-small": lambda h, W, b: (h * 0.1).exp(),
}


@given(st.lists(st.tuples(st.sampled_from(sorted(BLOCKS)), st.booleans()), min_size=1, max_size=6),
       st.integers(1, 4), st.integers(1, 5), st.integers(0, 2**16))
def test_random_chains_with_any_blocks_checkpointed_match_bit_for_bit(chain, batch, width, seed):
    rng = np.random.default_rng(seed)
    weights = [(Tensor(rng.normal(size=(width, width)), label=f"W{i}"), Tensor(rng.normal(size=width), label=f"b{i}"))
               for i in range(len(chain))]
    x0 = rng.normal(size=(batch, width))

    def run(use):
        x = Tensor(x0, label="x")
        h = x
        for (name, checkpointed), (W, b) in zip(chain, weights):
            block = (lambda t, f=BLOCKS[name], W=W, b=b: f(t, W, b))
            h = checkpoint(block, h) if use and checkpointed else block(h)
        targets = [x] + [t for pair in weights for t in pair]
        return [g.data for g in grad((h * h).sum(), targets)]

    for a, b in zip(run(True), run(False), strict=True):
        assert np.array_equal(a, b)


def test_float32_stays_float32_and_matches():
    plain, _ = mlp_gradients(1, dtype=np.float32)
    grads, _ = mlp_gradients(3, dtype=np.float32)
    assert all(g.dtype == np.float32 for g in grads)
    assert all(np.array_equal(g, p) for g, p in zip(grads, plain))


def test_weights_read_from_outside_get_their_gradients_through_grad_too():
    layer = tnn.Linear(4, 3, rng=0)
    x = Tensor(data(2, 4), label="x")
    plain = grad((layer(x).tanh() ** 2).sum(), [x, layer.weight, layer.bias])
    y = checkpoint(lambda h: layer(h).tanh(), x)
    assert y.op is CHECKPOINT and y.parents == (x, layer.weight, layer.bias)
    ours = grad((y ** 2).sum(), [x, layer.weight, layer.bias])
    assert all(np.array_equal(a.data, b.data) for a, b in zip(ours, plain))
    assert layer.weight._grad is None and x._grad is None          # grad() leaves .grad alone


def test_a_weight_used_inside_and_outside_and_in_several_segments():
    W, b = Tensor(data(4, 4, seed=1) * 0.5, label="W"), Tensor(data(4, seed=2), label="b")

    def block(h):
        return (h @ W + b).tanh()

    def loss_of(x, use):
        h = x
        for _ in range(3):
            h = checkpoint(block, h) if use else block(h)
        return (h * h).sum() + (W * W).sum()          # W also used outside any checkpoint

    results = []
    for use in (False, True):
        x = Tensor(data(3, 4, seed=3), label="x")
        W.grad = b.grad = 0
        loss_of(x, use).backward()
        results.append([x.grad, W.grad, b.grad])
    for ours, plain in zip(*results[::-1]):
        assert np.array_equal(ours, plain)
    assert W._pass_grad == 0.0 and b._pass_grad == 0.0     # the pass left its scratch space clean


def test_values_used_several_times_inside_fn_agree_to_rounding():
    W = Tensor(data(4, 4, seed=4), label="W")

    def fn(h):
        return (h @ W).tanh() * (h @ W.T).sin() + h * h     # h and W used twice each

    results = []
    for use in (False, True):
        x = Tensor(data(3, 4, seed=5), label="x")
        W.grad = 0
        out = checkpoint(fn, x) if use else fn(x)
        (out * out).sum().backward()
        results.append((x.grad, W.grad))
    for ours, plain in zip(*results):
        np.testing.assert_allclose(ours, plain, rtol=1e-14, atol=1e-15)


def test_a_captured_tensor_made_by_ops_and_used_outside_too():
    a = Tensor(data(4, 4, seed=6), label="a")
    results = []
    for use in (False, True):
        a.grad = 0
        h = a * 2.0                                         # not a leaf: fn reads it from outside
        x = Tensor(data(3, 4, seed=7), label="x")
        y = checkpoint(lambda t: (t @ h).tanh(), x) if use else (x @ h).tanh()
        (y.sum() + (h * h).sum()).backward()
        results.append((x.grad, a.grad))
    for ours, plain in zip(*results):
        np.testing.assert_allclose(ours, plain, rtol=1e-14, atol=1e-15)


def test_an_input_given_twice_and_an_input_that_needs_no_gradient():
    x = Tensor(data(3, seed=8), label="x")
    c = Tensor(data(3, seed=9), requires_grad=False)
    y = checkpoint(lambda p, q, r: p * q + r.sin() * p, x, x, c)
    y.sum().backward()
    expected = 2 * x.data + np.sin(c.data)          # d/dx (x·x + sin(c)·x)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-15)
    assert c._grad is None


def test_backward_inside_no_grad_still_recomputes_with_a_graph():
    x = Tensor(data(3, seed=10))
    y = checkpoint(lambda t: (t * t).exp(), x).sum()
    with no_grad():
        y.backward()
    np.testing.assert_array_equal(x.grad, 2 * x.data * np.exp(x.data * x.data))


# ----------------------------------------------------------------------------
# Against PyTorch, first order and higher
# ----------------------------------------------------------------------------

def test_against_torch_checkpoint_sequential():
    grads, loss = mlp_gradients(3)
    model = tnn.MLP(6, [8, 8, 8, 8, 8, 3], activation="tanh", rng=1)
    modules = []
    for layer in model.layers:
        if isinstance(layer, tnn.Linear):
            linear = torch.nn.Linear(layer.in_features, layer.out_features).double()
            with torch.no_grad():
                linear.weight.copy_(t64(layer.weight.data))
                linear.bias.copy_(t64(layer.bias.data))
            modules.append(linear)
        else:
            modules.append(torch.nn.Tanh())
    x = t64(data(5, 6), requires_grad=True)
    blocks = [torch.nn.Sequential(*modules[i:i + 2]) for i in range(0, len(modules), 2)]
    out = torch_checkpoint_sequential(blocks, 3, x, use_reentrant=False)
    theirs_loss = (out * out).mean()
    theirs_loss.backward()
    assert_close(loss, to_numpy(theirs_loss), "loss", 1e-12)
    theirs = [x.grad] + [p.grad for m in modules for p in m.parameters()]
    for ours, their in zip(grads, theirs, strict=True):
        assert_close(ours, to_numpy(their), "gradient", 1e-12)


def hvp_case(use, module):
    """grad of (∂L/∂W · v) with respect to x, W and b, through three blocks, in our engine or torch's."""
    W0, b0, x0, v0 = data(4, 4, seed=11) * 0.6, data(4, seed=12), data(3, 4, seed=13), data(4, 4, seed=14)
    if module == "ours":
        W, b, x = Tensor(W0), Tensor(b0), Tensor(x0)

        def block(h):
            return (h @ W + b).tanh()
        h = x
        for _ in range(3):
            h = checkpoint(block, h) if use else block(h)
        loss = (h * h * h).sum()
        gx, gW = grad(loss, [x, W], create_graph=True)
        return [r.data for r in grad((gW * v0).sum() + (gx * gx).sum(), [x, W, b])]
    W, b, x = t64(W0, True), t64(b0, True), t64(x0, True)

    def block(h):
        return torch.tanh(h @ W + b)
    h = x
    for _ in range(3):
        h = torch_checkpoint(block, h, use_reentrant=False) if use else block(h)
    loss = (h * h * h).sum()
    gx, gW = torch.autograd.grad(loss, [x, W], create_graph=True)
    return [to_numpy(r) for r in torch.autograd.grad((gW * t64(v0)).sum() + (gx * gx).sum(), [x, W, b])]


def test_hessian_vector_products_through_checkpoints():
    plain, ours, theirs = hvp_case(False, "ours"), hvp_case(True, "ours"), hvp_case(True, "torch")
    for a, b, c in zip(plain, ours, theirs, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-13, atol=1e-14)
        assert_close(b, c, "Hessian-vector product", 1e-12)


def test_jvp_and_third_derivatives_through_a_checkpoint():
    x0, v0 = data(5, seed=15), data(5, seed=16)

    def f(use):
        return lambda x: checkpoint(lambda t: (t.sin() * t).sum(), x) if use else (x.sin() * x).sum()

    assert jvp(f(True), [x0], [v0])[1] == pytest.approx(float(jvp(f(False), [x0], [v0])[1]), rel=1e-14)
    x = Tensor([0.7])
    y = checkpoint(lambda t: (t ** 4).sum(), x)
    (d1,) = grad(y, [x], create_graph=True)
    (d2,) = grad(d1.sum(), [x], create_graph=True)
    (d3,) = grad(d2.sum(), [x])
    assert (d1.item(), d2.item(), d3.item()) == pytest.approx((4 * 0.7 ** 3, 12 * 0.7 ** 2, 24 * 0.7), rel=1e-14)


# ----------------------------------------------------------------------------
# What runs, and what is kept
# ----------------------------------------------------------------------------

def test_fn_runs_once_forward_and_once_per_backward_and_its_graph_is_freed():
    calls, inner = [], []

    def fn(t):
        calls.append(1)
        h = t.exp()
        inner.append(weakref.ref(h))
        return h * t

    x = Tensor(data(3, seed=17))
    y = checkpoint(fn, x).sum()
    assert len(calls) == 1
    assert inner[0]() is None                     # the forward's intermediate values are gone
    y.backward()
    assert len(calls) == 2
    assert inner[1]() is None                     # and so are the recompute's
    y.backward()
    assert len(calls) == 3


def test_outputs_that_need_no_gradient_and_no_grad_record_no_checkpoint():
    c = Tensor(data(3), requires_grad=False)
    y = checkpoint(lambda t: t * 2.0, c)
    assert not y.requires_grad and y.op is None
    x = Tensor(data(3))
    with no_grad():
        z = checkpoint(lambda t: t * 2.0, x)
    assert not z.requires_grad and np.array_equal(z.data, x.data * 2.0)


def test_an_identity_segment_passes_the_gradient_through():
    x = Tensor(data(3))
    y = checkpoint(lambda t: t, x)
    (y * 3.0).sum().backward()
    assert np.array_equal(x.grad, np.full(3, 3.0))


# ----------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("fn, inputs, words", [
    (3, (Tensor([1.0]),), "checkpoint: fn must be callable, got int"),
    (lambda t: t, (np.ones(2),), "checkpoint: inputs[0] must be a Tensor, got ndarray"),
    (lambda t, u: t, (Tensor([1.0]), 2.0), "checkpoint: inputs[1] must be a Tensor, got float"),
    (lambda t: t.data, (Tensor([1.0]),), "checkpoint: fn must return a Tensor, got ndarray"),
    (lambda t: (t, t), (Tensor([1.0]),), "checkpoint: fn must return a Tensor, got tuple"),
])
def test_bad_arguments_are_type_errors_naming_checkpoint(fn, inputs, words):
    with pytest.raises(TypeError, match=words.replace("[", r"\[").replace("]", r"\]")):
        checkpoint(fn, *inputs)


@pytest.mark.parametrize("segments, error, words", [
    (0, ValueError, "segments must be a positive int, got 0"),
    (7, ValueError, r"segments must be between 1 and the number of functions \(6\), got 7"),
    (True, TypeError, "segments must be a positive int, got bool True"),
    (2.0, TypeError, "segments must be a positive int, got float 2.0"),
])
def test_checkpoint_sequential_refuses_a_bad_segment_count(segments, error, words):
    model = tnn.MLP(6, [8, 8, 8, 8, 8, 3], rng=1)
    with pytest.raises(error, match="checkpoint_sequential: " + words):
        checkpoint_sequential(blocks_of(model), segments, Tensor(data(5, 6)))


def test_checkpoint_sequential_refuses_bad_functions_and_inputs():
    with pytest.raises(TypeError, match="checkpoint_sequential: functions must be a list of functions"):
        checkpoint_sequential(len, 1, Tensor([1.0]))
    with pytest.raises(TypeError, match=r"checkpoint_sequential: functions\[1\] must be callable, got str"):
        checkpoint_sequential([abs, "tanh"], 1, Tensor([1.0]))
    with pytest.raises(ValueError, match=r"number of functions \(0\), got 1"):
        checkpoint_sequential([], 1, Tensor([1.0]))
    with pytest.raises(TypeError, match="checkpoint_sequential: x must be a Tensor, got list"):
        checkpoint_sequential([abs], 1, [1.0])


def test_a_recompute_that_differs_is_refused_and_no_grad_changes():
    x = Tensor(data(3, seed=18))
    state = {"scale": 1.0}

    def drifting(t):
        state["scale"] += 1.0                        # state that changes: a second run differs
        return t * state["scale"]

    y = (checkpoint(drifting, x) * x).sum()
    with pytest.raises(RuntimeError, match="checkpoint: running fn again gave other numbers"):
        y.backward()
    assert x._grad is None and y._grad is None


def test_a_weight_changed_between_forward_and_backward_is_refused():
    layer = tnn.Linear(3, 2, rng=0)
    x = Tensor(data(4, 3, seed=19))
    loss = checkpoint(lambda h: layer(h).tanh(), x).sum()
    layer.weight.data = layer.weight.data * 0.5         # an optimizer step too early
    with pytest.raises(RuntimeError, match="inputs and weights unchanged until backward"):
        loss.backward()
    assert layer.weight._grad is None and x._grad is None


def test_an_error_inside_fn_on_the_recompute_changes_nothing():
    x = Tensor(data(3, seed=20))
    runs = []

    def fails_second_time(t):
        runs.append(1)
        if len(runs) > 1:
            raise ValueError("boom")
        return t.exp()

    y = (checkpoint(fails_second_time, x) + x).sum()
    with pytest.raises(ValueError, match="boom"):
        y.backward()
    assert x._grad is None
    assert x._pass_grad == 0.0
