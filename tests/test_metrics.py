"""The confusion matrix and per-class accuracy, against a count written out by hand."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

from autodiff.metrics import confusion_matrix, per_class_accuracy


@given(st.integers(1, 6).flatmap(lambda k: st.tuples(
    st.just(k), st.lists(st.tuples(st.integers(0, k - 1), st.integers(0, k - 1)), max_size=40))))
def test_confusion_matrix_counts_every_pair(case):
    k, pairs = case
    truth = [t for t, _ in pairs]
    guess = [g for _, g in pairs]
    m = confusion_matrix(truth, guess, num_classes=k)
    assert m.shape == (k, k)
    for i in range(k):
        for j in range(k):
            assert m[i, j] == sum(1 for t, g in pairs if t == i and g == j)
    assert m.sum() == len(pairs)
    rates = per_class_accuracy(m)
    for i in range(k):
        n = sum(1 for t in truth if t == i)
        if n:
            assert rates[i] == sum(1 for t, g in pairs if t == g == i) / n
        else:
            assert np.isnan(rates[i])


def test_num_classes_defaults_to_the_labels_seen():
    assert confusion_matrix(np.array([2, 0]), np.array([1, 0])).shape == (3, 3)


@pytest.mark.parametrize("targets, predictions, kwargs, error, words", [
    ([0.5, 1.0], [0, 1], {}, TypeError, "targets must be class indices"),
    ([True, False], [0, 1], {}, TypeError, "bool"),
    ([0, 1], [[0, 1]], {}, ValueError, "predictions must be one label per sample"),
    ([0, -1], [0, 1], {}, ValueError, "targets must be ≥ 0, got -1"),
    ([0, 1, 2], [0, 1], {}, ValueError, "3 targets but 2 predictions"),
    ([0, 3], [0, 1], {"num_classes": 3}, ValueError, "label 3 is out of range for num_classes=3"),
    ([0], [0], {"num_classes": 0}, ValueError, "num_classes"),
])
def test_bad_labels_are_refused_by_name(targets, predictions, kwargs, error, words):
    with pytest.raises(error, match=words):
        confusion_matrix(targets, predictions, **kwargs)


def test_per_class_accuracy_wants_a_square_matrix():
    with pytest.raises(ValueError, match="square"):
        per_class_accuracy(np.zeros((2, 3)))
