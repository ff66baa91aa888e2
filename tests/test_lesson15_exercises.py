"""The exercises of lesson 15 (notebooks/exercises/lesson15.py) accept right answers and refuse wrong ones.

Each exercise is checked with a right function, with the solution text it
shows on the last rung of its ladder (run here, never by the exercise), and
with the mistakes a learner is likely to make: each of those must fail, and
the counterexample must say something a learner can act on. The references
the expected values come from are checked against hand-worked values and
against each other.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from autodiff import Tensor, losses
from autodiff.optim import Adam

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "notebooks"))  # the lessons import their exercises as `exercises`

from exercises.lesson15 import (  # noqa: E402
    STEPS, Setup, ex_batch_cross_entropy, ex_confusion, ex_train_step, numeric_gradient,
    reference_loss, reference_losses,
)

EXERCISES = [ex_batch_cross_entropy, ex_train_step, ex_confusion]


def verdict(exercise, fn):
    """The feedback of checking ``fn``, without displaying it."""
    return exercise.feedback(fn)


def assert_wrong(exercise, fn, *words):
    feedback = verdict(exercise, fn)
    assert feedback.status == "wrong", feedback.text()
    text = feedback.text()
    for word in words:
        assert word in text, text
    return feedback


def solution_function(exercise, name):
    """The function defined by the exercise's solution text, with the names a lesson cell has."""
    namespace = {"np": np, "losses": losses, "math": math}
    exec(exercise.solution, namespace)
    return namespace[name]


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.title)
def test_every_exercise_has_a_ladder_of_two_or_three_hints_and_a_solution(exercise):
    assert 2 <= len(exercise.hints) <= 3
    assert exercise.solution
    assert exercise.title.startswith("15.")


def test_a_stub_is_not_done_yet():
    def stub(*args):
        raise NotImplementedError()

    for exercise in EXERCISES:
        assert verdict(exercise, stub).status == "not done"


# ----------------------------------------------------------------------
# 15.1 · batch cross-entropy and its gradient
# ----------------------------------------------------------------------
def stable_cross_entropy(logits, targets):
    B = len(targets)
    rows = np.arange(B)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    grad = np.exp(log_p)
    grad[rows, targets] -= 1.0
    return float(-log_p[rows, targets].mean()), grad / B


def test_the_reference_loss_and_gradient_on_hand_worked_batches():
    assert reference_loss([[0.0] * 5] * 4, [0, 1, 2, 3]) == pytest.approx(math.log(5), rel=1e-15)
    assert reference_loss([[1000.0, 0.0, -1000.0], [-500.0, 500.0, 0.0]], [1, 1]) == pytest.approx(500.0, rel=1e-15)
    grad = numeric_gradient([[0.0] * 5] * 4, [0, 1, 2, 3])
    expected = (np.full((4, 5), 0.2) - np.eye(4, 5)) / 4           # (softmax − onehot)/B, by hand
    np.testing.assert_allclose(grad, expected, atol=1e-9)


def test_the_numeric_gradient_agrees_with_softmax_minus_onehot_over_b():
    rng = np.random.default_rng(0)
    logits, targets = rng.normal(size=(3, 4)) * 3, np.array([0, 3, 1])
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(numeric_gradient(logits.tolist(), targets.tolist()),
                               (p - np.eye(4)[targets]) / 3, atol=1e-8)


def test_15_1_accepts_a_right_function_and_the_shown_solution():
    assert verdict(ex_batch_cross_entropy, stable_cross_entropy).ok
    assert verdict(ex_batch_cross_entropy, solution_function(ex_batch_cross_entropy, "batch_cross_entropy")).ok


def test_15_1_accepts_a_numpy_scalar_and_a_list_of_rows():
    def numpy_types(logits, targets):
        loss, grad = stable_cross_entropy(logits, targets)
        return np.float64(loss), grad.tolist()

    assert verdict(ex_batch_cross_entropy, numpy_types).ok


def test_15_1_refuses_softmax_without_the_max_subtracted():
    def naive(logits, targets):
        rows = np.arange(len(targets))
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
            grad = p.copy()
            grad[rows, targets] -= 1.0
            return float(-np.log(p[rows, targets]).mean()), grad / len(targets)

    feedback = assert_wrong(ex_batch_cross_entropy, naive, "1000.0", "nan")
    assert feedback.passed == 4 and feedback.failed_case == 4


@pytest.mark.parametrize("mistake", ["sum, not mean", "grad not divided by B", "no onehot", "sign"])
def test_15_1_refuses_common_mistakes(mistake):
    def wrong(logits, targets):
        loss, grad = stable_cross_entropy(logits, targets)
        B = len(targets)
        if mistake == "sum, not mean":
            return loss * B, grad
        if mistake == "grad not divided by B":
            return loss, grad * B
        if mistake == "no onehot":
            grad = grad.copy()
            grad[np.arange(B), targets] += 1.0 / B
            return loss, grad
        return -loss, -grad

    assert_wrong(ex_batch_cross_entropy, wrong, "expected", "got")


def test_15_1_says_what_is_wrong_with_what_was_returned():
    assert_wrong(ex_batch_cross_entropy, lambda logits, targets: stable_cross_entropy(logits, targets)[0],
                 "return the pair (loss, grad)")
    assert_wrong(ex_batch_cross_entropy,
                 lambda logits, targets: (Tensor(stable_cross_entropy(logits, targets)[0]), np.zeros(logits.shape)),
                 "the loss is a Tensor: this is numpy, return a number")
    assert_wrong(ex_batch_cross_entropy,
                 lambda logits, targets: (stable_cross_entropy(logits, targets)[0],
                                          stable_cross_entropy(logits, targets)[1][np.arange(len(targets)), targets]),
                 "grad has shape (1,), not the logits' shape (1, 3)")


# ----------------------------------------------------------------------
# 15.2 · one training step
# ----------------------------------------------------------------------
def right_step(model, X_batch, y_batch, optimizer):
    optimizer.zero_grad()
    loss = losses.cross_entropy(model(X_batch), y_batch)
    loss.backward()
    optimizer.step()
    return loss.item()


def test_the_reference_training_agrees_with_the_engine_to_1e_12():
    setup = Setup(batch=8, hidden=5, seed=11, lr=1e-2)
    model = setup.model()
    optimizer = Adam(model.parameters(), lr=setup.lr)
    ours = [right_step(model, Tensor(x, requires_grad=False), y, optimizer) for x, y in setup.data()]
    assert len(ours) == STEPS
    np.testing.assert_allclose(reference_losses(setup.model(), setup.data(), setup.lr), ours, rtol=1e-12)


def test_15_2_accepts_a_right_step_and_the_shown_solution():
    assert verdict(ex_train_step, right_step).ok
    assert verdict(ex_train_step, solution_function(ex_train_step, "train_step")).ok


def test_15_2_refuses_a_missing_zero_grad_from_the_third_loss_on():
    def no_zero_grad(model, X_batch, y_batch, optimizer):
        loss = losses.cross_entropy(model(X_batch), y_batch)
        loss.backward()
        optimizer.step()
        return loss.item()

    feedback = assert_wrong(ex_train_step, no_zero_grad, "train_step called once per batch")
    setup = ex_train_step.inputs[0]
    expected = reference_losses(setup.model(), setup.data(), setup.lr)
    got = ex_train_step.run(no_zero_grad, setup)
    assert got[:2] == pytest.approx(expected[:2], rel=1e-12)       # the first two losses agree
    assert got[2] != pytest.approx(expected[2], rel=1e-6)          # the third does not


@pytest.mark.parametrize("mistake", ["no step", "zero_grad after backward"])
def test_15_2_refuses_a_step_that_does_not_update(mistake):
    def wrong(model, X_batch, y_batch, optimizer):
        optimizer.zero_grad()
        loss = losses.cross_entropy(model(X_batch), y_batch)
        loss.backward()
        if mistake == "zero_grad after backward":
            optimizer.zero_grad()
            optimizer.step()
        return loss.item()

    assert_wrong(ex_train_step, wrong, "Case 1 fails")


def test_15_2_refuses_the_loss_as_a_tensor_and_says_item():
    def returns_tensor(model, X_batch, y_batch, optimizer):
        right_step(model, X_batch, y_batch, optimizer)
        return Tensor(1.0)

    assert_wrong(ex_train_step, returns_tensor, "call 1 returned a Tensor, not a number: return loss.item()")
    assert_wrong(ex_train_step, lambda *args: None, "call 1 returned None, not a number: return loss.item()")


def test_15_2_accepts_the_loss_as_a_0_d_array():
    def data(model, X_batch, y_batch, optimizer):
        optimizer.zero_grad()
        loss = losses.cross_entropy(model(X_batch), y_batch)
        loss.backward()
        optimizer.step()
        return loss.data

    assert verdict(ex_train_step, data).ok


# ----------------------------------------------------------------------
# 15.3 · the confusion matrix
# ----------------------------------------------------------------------
def loop_confusion(targets, predictions, num_classes):
    counts = np.zeros((num_classes, num_classes), dtype=int)
    for t, p in zip(targets, predictions):
        counts[t, p] += 1
    return counts


def test_15_3_accepts_a_loop_np_add_at_a_list_of_rows_and_the_shown_solution():
    def add_at(targets, predictions, num_classes):
        counts = np.zeros((num_classes, num_classes), dtype=int)
        np.add.at(counts, (targets, predictions), 1)
        return counts

    for fn in (loop_confusion, add_at, lambda t, p, n: loop_confusion(t, p, n).tolist(),
               solution_function(ex_confusion, "my_confusion_matrix")):
        assert verdict(ex_confusion, fn).ok


def test_15_3_the_expected_matrices_agree_with_the_kits_confusion_matrix():
    from autodiff.metrics import confusion_matrix

    for (targets, predictions, num_classes), expected in ex_confusion.cases:
        np.testing.assert_array_equal(confusion_matrix(targets, predictions, num_classes), expected)


def test_15_3_refuses_fancy_indexing_that_counts_a_repeated_pair_once():
    def fancy(targets, predictions, num_classes):
        counts = np.zeros((num_classes, num_classes), dtype=int)
        counts[targets, predictions] += 1
        return counts

    assert_wrong(ex_confusion, fancy, "Case 2 fails")


def test_15_3_refuses_rows_and_columns_swapped():
    assert_wrong(ex_confusion, lambda t, p, n: loop_confusion(t, p, n).T, "Case 2 fails")


def test_15_3_refuses_a_size_taken_from_the_labels_seen():
    def too_small(targets, predictions, num_classes):
        return loop_confusion(targets, predictions, int(max(targets.max(), predictions.max())) + 1)

    assert_wrong(ex_confusion, too_small, "a table of shape (2, 2), not num_classes × num_classes = (4, 4)")


def test_15_3_refuses_a_tensor():
    assert_wrong(ex_confusion, lambda t, p, n: Tensor(loop_confusion(t, p, n).astype(float)), "a Tensor")


def test_the_verdicts_are_the_same_every_time():
    for exercise, fn in ((ex_batch_cross_entropy, stable_cross_entropy), (ex_confusion, loop_confusion),
                         (ex_train_step, right_step)):
        assert verdict(exercise, fn).text() == verdict(exercise, fn).text()
    wrong = (lambda t, p, n: loop_confusion(t, p, n).T)
    assert verdict(ex_confusion, wrong).text() == verdict(ex_confusion, wrong).text()
