"""How well a classifier does, class by class: the confusion matrix.

A single accuracy hides *which* classes a model confuses. The confusion
matrix counts every pair: row ``i``, column ``j`` is the number of samples
of class ``i`` that the model called ``j``. The diagonal holds the correct
answers; everything off it is a mistake, and where it sits says which one.

>>> m = confusion_matrix([0, 0, 1, 2, 2], [0, 1, 1, 2, 0], num_classes=3)
>>> m.tolist()
[[1, 1, 0], [0, 1, 0], [1, 0, 1]]
>>> per_class_accuracy(m).tolist()   # each row's diagonal share
[0.5, 1.0, 0.5]

Labels are class indices ``0 .. num_classes − 1`` (ints; numpy's too).
These functions count numbers; they know nothing of `Var` or `Tensor`:
take ``logits.data.argmax(axis=1)`` for the predictions of a Tensor model.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .arguments import positive_int, type_name

__all__ = ["confusion_matrix", "per_class_accuracy"]


def _labels(values: Any, what: str) -> np.ndarray:
    """``values`` as a 1-d int array of class indices, or a clear error."""
    array = np.asarray(values)
    if array.dtype == bool or not (np.issubdtype(array.dtype, np.integer) or array.size == 0):
        raise TypeError(f"confusion_matrix: {what} must be class indices (ints), "
                        f"got {type_name(values)} of dtype {array.dtype}")
    if array.ndim != 1:
        raise ValueError(f"confusion_matrix: {what} must be one label per sample (1-d), "
                         f"got shape {array.shape}")
    if array.size and array.min() < 0:
        raise ValueError(f"confusion_matrix: {what} must be ≥ 0, got {int(array.min())}")
    return array.astype(np.int64)


def confusion_matrix(targets: Any, predictions: Any, num_classes: Optional[int] = None) -> np.ndarray:
    """Counts of (true class, predicted class) pairs, as a ``num_classes × num_classes`` int array.

    ``num_classes`` defaults to one more than the largest label seen; give it
    when a class may be absent from both lists.
    """
    truth = _labels(targets, "targets")
    guess = _labels(predictions, "predictions")
    if len(truth) != len(guess):
        raise ValueError(f"confusion_matrix: {len(truth)} targets but {len(guess)} predictions")
    seen = int(max(truth.max(initial=-1), guess.max(initial=-1))) + 1
    if num_classes is None:
        num_classes = max(seen, 1)
    else:
        num_classes = positive_int(num_classes, "confusion_matrix: num_classes")
        if seen > num_classes:
            raise ValueError(f"confusion_matrix: label {seen - 1} is out of range for "
                             f"num_classes={num_classes}")
    counts = np.bincount(truth * num_classes + guess, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def per_class_accuracy(matrix: Any) -> np.ndarray:
    """For each class, the share of its samples classified correctly: diagonal / row sum.

    A class with no samples gets ``nan`` (there is nothing to be right about),
    never a division warning.
    """
    counts = np.asarray(matrix)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f"per_class_accuracy: expected a square confusion matrix, got shape {counts.shape}")
    totals = counts.sum(axis=1)
    result = np.full(len(counts), np.nan)
    present = totals > 0
    result[present] = np.diagonal(counts)[present] / totals[present]
    return result
