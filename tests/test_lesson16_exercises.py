"""Lesson 16's exercises accept right answers and reject the usual wrong ones.

Each exercise is checked with its solution (the text it shows, run here),
with another right answer, and with the slips its hints warn about: a
transposed Jacobian, a count in numbers rather than bytes, a tanh counted
after the last layer, blocks not checkpointed or `checkpoint_sequential`'s
unchecked last piece. The hand-counted bytes of 16.3 are also checked
against `saved_memory` on real MLPs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from autodiff import grad, jvp
from autodiff.tensor import Tensor
from autodiff.tensor import nn as tnn
from autodiff.tensor.checkpoint import checkpoint, checkpoint_sequential
from autodiff.tensor.memory import saved_memory

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notebooks"))
from exercises.lesson16 import ex_bytes, ex_checkpointed, ex_columns, ex_rows  # noqa: E402

EXERCISES = [ex_columns, ex_rows, ex_bytes, ex_checkpointed]


def from_solution(exercise):
    """The function the exercise's solution text defines."""
    namespace = {"np": np, "jvp": jvp, "grad": grad, "Tensor": Tensor, "checkpoint": checkpoint}
    exec(exercise.solution, namespace)
    (name,) = [key for key in namespace if key.startswith(("jacobian", "activation", "checkpointed"))]
    return namespace[name]


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.title[:4])
def test_each_solution_passes_and_the_stub_is_not_done(exercise):
    assert exercise.feedback(from_solution(exercise)).status == "right"

    def stub(*args):
        raise NotImplementedError()
    assert exercise.feedback(stub).status == "not done"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.title[:4])
def test_each_has_a_hint_ladder(exercise):
    assert len(exercise.hints) >= 2 and exercise.solution
    assert exercise.ladder_steps().endswith("then the solution")


# 16.1 and 16.2 ------------------------------------------------------------

def rows_from_columns_route(f, x):           # right: the whole Jacobian from jvps, another way round
    return np.array([[jvp(f, [x], [np.eye(x.size)[j]])[1][i] for j in range(x.size)]
                     for i in range(f(Tensor(x)).size)])


def transposed_columns(f, x):                # wrong: columns stacked as rows
    return np.stack([jvp(f, [x], [np.eye(x.size)[j]])[1] for j in range(x.size)], axis=0)


def transposed_rows(f, x):                   # wrong: rows stacked as columns
    t = Tensor(x)
    y = f(t)
    return np.stack([grad(y[i], [t])[0].data for i in range(y.size)], axis=1)


def only_the_diagonal(f, x):                 # wrong: elementwise thinking
    return np.diag([jvp(f, [x], [np.eye(x.size)[j]])[1][j] for j in range(x.size)])


def test_jacobians_right_and_wrong():
    assert ex_columns.feedback(rows_from_columns_route).ok
    assert ex_rows.feedback(rows_from_columns_route).ok
    for wrong in (transposed_columns, transposed_rows, only_the_diagonal):
        assert ex_columns.feedback(wrong).status == "wrong"
        assert ex_rows.feedback(wrong).status == "wrong"


# 16.3 --------------------------------------------------------------------

def numbers_not_bytes(batch, sizes):
    return sum((2 if i < len(sizes) - 2 else 1) * batch * out for i, out in enumerate(sizes[1:]))


def tanh_after_the_last_layer_too(batch, sizes):
    return sum(2 * 8 * batch * out for out in sizes[1:])


def with_the_weights(batch, sizes):
    weights = sum(8 * (i + 1) * o for i, o in zip(sizes[:-1], sizes[1:]))
    return from_solution(ex_bytes)(batch, sizes) + weights


def test_bytes_right_and_wrong():
    for wrong in (numbers_not_bytes, tanh_after_the_last_layer_too, with_the_weights):
        assert ex_bytes.feedback(wrong).status == "wrong"


@pytest.mark.parametrize("case", range(5))
def test_the_hand_counts_are_what_saved_memory_measures(case):
    (batch, sizes), expected = ex_bytes.cases[case]
    model = tnn.MLP(sizes[0], sizes[1:], activation="tanh", rng=0)
    out = model(Tensor(np.ones((batch, sizes[0])), requires_grad=False))
    assert saved_memory(out).activations == expected


# 16.4 --------------------------------------------------------------------

def no_checkpoint(blocks, x):
    for block in blocks:
        x = block(x)
    return x


def one_checkpoint_for_all(blocks, x):
    return checkpoint(lambda h: no_checkpoint(blocks, h), x)


def sequential_pieces(blocks, x):            # right numbers, but the last block is not checkpointed
    return checkpoint_sequential(blocks, len(blocks), x)


def checkpoint_of_two_blocks_each(blocks, x):  # right: a lambda around each block is fine too
    for block in blocks:
        x = checkpoint(lambda h, block=block: block(h), x)
    return x


def test_checkpointing_right_and_wrong():
    assert ex_checkpointed.feedback(checkpoint_of_two_blocks_each).ok
    for wrong in (no_checkpoint, one_checkpoint_for_all, sequential_pieces):
        feedback = ex_checkpointed.feedback(wrong)
        assert feedback.status == "wrong"
        assert feedback.rows[1][0] == "chain"       # the counterexample says which chain in words


def test_a_function_returning_an_array_gets_a_message():
    feedback = ex_checkpointed.feedback(lambda blocks, x: no_checkpoint(blocks, x).data)
    assert feedback.status == "wrong"
    assert "returned ndarray, not the chain's output Tensor" in dict(feedback.rows)["got"]
