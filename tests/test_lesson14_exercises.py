"""The exercises of lesson 14 (notebooks/exercises/lesson14.py) accept right answers and refuse wrong ones.

Each exercise is checked with its solution text (run here, never by the
exercise) and with the mistakes a learner is likely to make, each of which
must fail. The references the expected values come from are checked against
PyTorch's autograd in float64, on random shapes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "notebooks"))  # the lessons import their exercises as `exercises`

from exercises.lesson14 import (  # noqa: E402
    ex14_1, ex14_2, ex14_3, linear_by_entries, matmul_by_entries, uses_summed,
)

EXERCISES = [(ex14_1, "unbroadcast"), (ex14_2, "matmul_vjp"), (ex14_3, "linear_vjp")]


def solution_function(exercise, name):
    namespace = {"np": np}
    exec(exercise.solution, namespace)
    return namespace[name]


def assert_wrong(exercise, fn):
    feedback = exercise.feedback(fn)
    assert feedback.status == "wrong", feedback.text()


@pytest.mark.parametrize("exercise, name", EXERCISES, ids=[name for _, name in EXERCISES])
def test_the_solution_passes_and_the_ladder_is_complete(exercise, name):
    assert exercise.title.startswith("14.")
    assert 2 <= len(exercise.hints) <= 3
    feedback = exercise.feedback(solution_function(exercise, name))
    assert feedback.status == "right", feedback.text()


def test_a_student_stub_is_not_done_yet():
    def unbroadcast(grad, shape):
        raise NotImplementedError()
    assert ex14_1.feedback(unbroadcast).status == "not done"


# ----------------------------------------------------------------------
# Likely mistakes
# ----------------------------------------------------------------------
def test_unbroadcast_mistakes_fail():
    assert_wrong(ex14_1, lambda grad, shape: grad)                           # no sum at all
    assert_wrong(ex14_1, lambda grad, shape: grad.sum(axis=0))               # only the leading axis
    assert_wrong(ex14_1, lambda grad, shape: grad.sum(axis=0).reshape(-1))   # ignores size-1 axes

    def drops_the_ones(grad, shape):                                         # sums, but loses keepdims
        while grad.ndim > len(shape):
            grad = grad.sum(axis=0)
        for axis, size in reversed(list(enumerate(shape))):
            if size == 1 and grad.shape[axis] != 1:
                grad = grad.sum(axis=axis)
        return grad
    assert_wrong(ex14_1, drops_the_ones)

    def averages(grad, shape):                                               # mean instead of sum
        while grad.ndim > len(shape):
            grad = grad.mean(axis=0)
        for axis, size in enumerate(shape):
            if size == 1 and grad.shape[axis] != 1:
                grad = grad.mean(axis=axis, keepdims=True)
        return grad
    assert_wrong(ex14_1, averages)


def test_matmul_vjp_mistakes_fail():
    assert_wrong(ex14_2, lambda x, W, g: (g @ W.T, g.T @ x))          # grad_W transposed
    assert_wrong(ex14_2, lambda x, W, g: (x.T @ g, g @ W.T))          # the pair swapped
    assert_wrong(ex14_2, lambda x, W, g: (g @ W.T, x.T @ g / len(x)))  # averaged over the batch
    assert_wrong(ex14_2, lambda x, W, g: (g @ W.T, x[:1].T @ g[:1]))  # first row only


def test_linear_vjp_mistakes_fail():
    assert_wrong(ex14_3, lambda x, W, b, g: (g @ W, x.T @ g, g.sum(axis=0)))       # W's gradient transposed
    assert_wrong(ex14_3, lambda x, W, b, g: (g @ W, g.T @ x, g.mean(axis=0)))      # bias averaged
    assert_wrong(ex14_3, lambda x, W, b, g: (g @ W, g.T @ x, g[0]))                # bias from one row
    assert_wrong(ex14_3, lambda x, W, b, g: (g @ W, g.T @ x, g.sum(axis=1)))       # summed the wrong axis


# ----------------------------------------------------------------------
# The references against PyTorch
# ----------------------------------------------------------------------
def _broadcastable_shape(draw, shape):
    keep = draw(st.integers(0, len(shape)))
    kept = shape[len(shape) - keep:]
    return tuple(draw(st.sampled_from([1, n])) for n in kept)


@st.composite
def broadcasts(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=3)))
    return shape, _broadcastable_shape(draw, shape)


@settings(max_examples=60, deadline=None)
@given(broadcasts(), st.integers(0, 2**32 - 1))
def test_uses_summed_is_the_gradient_autograd_gives_a_broadcast_operand(shapes, seed):
    full, operand_shape = shapes
    rng = np.random.default_rng(seed)
    operand = torch.tensor(rng.normal(size=operand_shape), requires_grad=True)
    upstream = rng.normal(size=full)
    (operand + torch.zeros(full, dtype=torch.float64)).backward(torch.tensor(upstream))
    got = uses_summed(upstream, operand_shape)
    assert got.shape == operand_shape
    np.testing.assert_allclose(got, operand.grad.numpy(), rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_the_matmul_and_linear_references_match_autograd(n, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    x, W, g = rng.normal(size=(n, n_in)), rng.normal(size=(n_in, n_out)), rng.normal(size=(n, n_out))
    tx, tW = torch.tensor(x, requires_grad=True), torch.tensor(W, requires_grad=True)
    (tx @ tW).backward(torch.tensor(g))
    grad_x, grad_W = matmul_by_entries(x, W, g)
    np.testing.assert_allclose(grad_x, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad_W, tW.grad.numpy(), rtol=1e-12, atol=1e-12)

    W_layer, b = rng.normal(size=(n_out, n_in)), rng.normal(size=(n_out,))
    tx = torch.tensor(x, requires_grad=True)
    tW, tb = torch.tensor(W_layer, requires_grad=True), torch.tensor(b, requires_grad=True)
    torch.nn.functional.linear(tx, tW, tb).backward(torch.tensor(g))
    for ours, theirs in zip(linear_by_entries(x, W_layer, b, g), (tx, tW, tb)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_the_hand_worked_cases_are_what_the_references_say():
    """The literal expected values in the exercises agree with the independent references."""
    for (args, expected) in ex14_1.cases[:2]:
        np.testing.assert_array_equal(uses_summed(*args), expected)
    (args, expected), = ex14_2.cases[:1]
    for ours, written in zip(matmul_by_entries(*args), expected):
        np.testing.assert_allclose(ours, written, rtol=1e-15)
    (args, expected), = ex14_3.cases[:1]
    for ours, written in zip(linear_by_entries(*args), expected):
        np.testing.assert_allclose(ours, written, rtol=1e-15)
