"""Mini-batches of numpy data as Tensors, for training a Tensor model on a real dataset.

The scalar `autodiff.data.batches` hands out lists of rows for models made
of `Var`; this one hands out Tensors, and is built for datasets of
thousands of samples: a shuffle is one numpy permutation, and a batch is
one fancy-indexing step, with no Python loop over the samples.

>>> import numpy as np
>>> X, y = np.arange(10.0).reshape(5, 2), np.array([0, 1, 0, 1, 1])
>>> [(X_batch.shape, y_batch.tolist()) for X_batch, y_batch in batches(X, y, batch_size=2)]
[((2, 2), [0, 1]), ((2, 2), [0, 1]), ((1, 2), [1])]
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from ..arguments import flag, integer, positive_int
from ..data_files import float_dtype
from .tensor import Tensor, as_array

__all__ = ["batches"]


def batches(X: Any, y: Any, batch_size: int, shuffle: bool = False, seed: int = 0,
            dtype: Any = None) -> Iterator[tuple[Tensor, np.ndarray]]:
    """Yield ``(X_batch, y_batch)`` pairs of ``batch_size`` samples; the last may be smaller.

    ``X`` holds one sample per row (along axis 0): a (samples, features)
    array, or (samples, 8, 8) images. ``y`` holds one label per sample.

    * ``X_batch`` is a Tensor with ``requires_grad=False``: data is an input,
      not a parameter, so backward computes no gradient for it. Its dtype
      is ``dtype``, float64 or float32; by default float32 if ``X`` is
      float32, float64 otherwise (ints such as pixel counts included).
    * ``y_batch`` is a numpy array of the labels as given: class indices stay
      ints, ready to pick the right logit in a cross-entropy.

    Each call goes through every sample once (one epoch). With
    ``shuffle=True`` the order is ``np.random.default_rng(seed).permutation``:
    the same seed gives the same order, in every process (with the same
    numpy version), so pass a different seed for each epoch::

        for epoch in range(20):
            for X_batch, y_batch in batches(X, y, 64, shuffle=True, seed=epoch):
                ...

    The arguments are checked at once, not when the first batch is asked for.
    """
    fn = "batches"
    if dtype is not None:
        dtype = float_dtype(dtype, f"{fn}: dtype")
    features = _features(X, dtype, fn)
    labels = _labels(y, len(features), fn)
    size = positive_int(batch_size, f"{fn}: batch_size")
    return _epoch(features, labels, _order(len(features), shuffle, seed, fn), size)


def _features(X: Any, dtype: Any, fn: str) -> np.ndarray:
    """``X`` as a finite float array of one or more values per sample."""
    features = as_array(X, f"{fn}: X", dtype)
    if features.ndim < 2:
        raise ValueError(f"{fn}: X must hold one sample per row (2 or more dimensions), got shape "
                         f"{features.shape}; for one feature per sample pass X.reshape(-1, 1)")
    return features


def _labels(y: Any, n_rows: int, fn: str) -> np.ndarray:
    """``y`` as a numpy array of numbers, one label (or row of targets) per sample."""
    try:
        labels = np.asarray(y)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{fn}: y is not a regular array of labels ({error})") from None
    if labels.dtype == object or not (np.issubdtype(labels.dtype, np.number) or labels.dtype == bool):
        raise TypeError(f"{fn}: y must hold numbers (class indices or targets), got an array of {labels.dtype}")
    if labels.ndim == 0:
        raise ValueError(f"{fn}: y must hold one label per sample, got the single value {labels.item()!r}")
    if len(labels) != n_rows:
        raise ValueError(f"{fn}: X has {n_rows} rows but y has {len(labels)} labels; they must match")
    if n_rows == 0:
        raise ValueError(f"{fn}: the dataset is empty (X and y have no rows)")
    return labels


def _order(n_rows: int, shuffle: Any, seed: Any, fn: str) -> np.ndarray:
    """The sample indices of one epoch: 0, 1, 2... or a permutation drawn from ``seed``."""
    seed = integer(seed, f"{fn}: seed")
    if seed < 0:
        raise ValueError(f"{fn}: seed must be >= 0 (numpy's generators take no negative seed), got {seed}")
    if flag(shuffle, f"{fn}: shuffle"):
        return np.random.default_rng(seed).permutation(n_rows)
    return np.arange(n_rows)


def _epoch(features: np.ndarray, labels: np.ndarray, order: np.ndarray,
           size: int) -> Iterator[tuple[Tensor, np.ndarray]]:
    for start in range(0, len(order), size):
        chosen = order[start:start + size]
        yield Tensor(features[chosen], requires_grad=False), labels[chosen]
