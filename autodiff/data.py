"""Toy datasets for the lessons, and the helpers that split and batch them.

Every generator returns ``(X, y)``: ``X`` a list of rows ``[x1, x2]`` (plain
Python floats) and ``y`` a list of labels, one per row. Each dataset teaches
something different about what a model can learn:

=================  ==========================================================
``make_blobs``     Gaussian clusters: a straight line separates two of them,
                   so a single neuron (logistic regression) is enough.
``make_moons``     two interleaving half circles: almost separable by a line,
                   fully separable only by a curve. The classic first MLP.
``make_circles``   a disc inside a ring: no line separates them at all; a
                   hidden layer has to bend the boundary into a closed loop.
``make_xor``       the four quadrants, opposite corners alike: the textbook
                   problem a single neuron cannot solve (Minsky and Papert).
``make_spirals``   two interleaved spirals: hard; needs a wider, deeper net
                   and patience. Good for seeing a model underfit.
``make_regression``  a smooth nonlinear curve (or surface) plus noise, for
                   fitting real-valued outputs with a squared error loss.
=================  ==========================================================

Randomness comes from ``random.Random(seed)`` only (default ``seed=0``), so
the same seed gives bit-identical data in every process and on every run,
and a lesson's plots never change under the reader. The points are returned
in a seeded random order, so the classes are mixed and a plain
``for x, t in zip(X, y)`` training loop sees both of them throughout.

Noise is drawn whatever its size, so the same seed with a different
``noise`` moves the *same* points by a different amount: turning noise up in
a lesson blurs the picture instead of replacing it.

>>> X, y = make_moons(6, noise=0.1, labels=(-1, 1))
>>> len(X), len(X[0]), sorted(y)
(6, 2, [-1, -1, -1, 1, 1, 1])
>>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=2)
>>> len(X_train), len(X_test)
(4, 2)
>>> [len(xb) for xb, yb in batches(X_train, y_train, batch_size=3)]
[3, 1]

Sizes are capped, so a typo cannot fill the memory: a generator makes at
most ``MAX_SAMPLES`` (1,000,000) samples, and `load_csv` reads at most
``MAX_CSV_BYTES`` (64 MiB) and ``MAX_CSV_ROWS`` (1,000,000 rows). Above a cap
the call raises a ValueError naming the cap, before allocating anything.

Inputs may be lists or numpy arrays; outputs are always plain lists, except
from the two readers of real data (`autodiff.data_files`), which return numpy
arrays: ``load_digits``, the 1,797 8×8 handwritten digits shipped with the kit,
and ``load_idx``, which reads MNIST's IDX files.
"""

from __future__ import annotations

import csv
import io
import math
import os
import random
from typing import Any, Iterator, Sequence, Union

from .arguments import (flag, in_range, integer, is_int, is_real, non_negative, positive, positive_int,
                        real, short_repr, type_and_value)
from .data_files import load_digits, load_idx

__all__ = [
    "make_moons", "make_circles", "make_xor", "make_spirals", "make_blobs",
    "make_regression", "train_test_split", "batches", "load_csv", "load_digits", "load_idx",
    "MAX_SAMPLES", "MAX_CSV_BYTES", "MAX_CSV_ROWS",
]

MAX_SAMPLES = 1_000_000  # the most samples (and blob centers) a generator makes
MAX_CSV_BYTES = 64 * 2**20  # the largest file load_csv reads: 64 MiB
MAX_CSV_ROWS = 1_000_000  # the most data rows load_csv reads

Row = list[float]
Label = Union[int, float]
Dataset = tuple[list[Row], list[Label]]
Point = tuple[float, float]
ArrayLike = Any  # a list (of lists) of numbers, or a numpy array

TAU = 2.0 * math.pi


# ----------------------------------------------------------------------
# Checking arguments. Every error names the function and the bad value.
# ----------------------------------------------------------------------
def _generator(seed: Any, fn: str) -> random.Random:
    """A fresh generator for ``seed``: the same int always gives the same numbers."""
    return random.Random(integer(seed, f"{fn}: seed"))


def _n_samples(value: Any, fn: str) -> int:
    """``n_samples`` as an int from 1 to MAX_SAMPLES."""
    n = positive_int(value, f"{fn}: n_samples")
    if n > MAX_SAMPLES:
        raise ValueError(f"{fn}: n_samples must be at most {MAX_SAMPLES:,} (MAX_SAMPLES), got {n:,}")
    return n


def _label(value: Any, what: str) -> Label:
    """A label as a plain int or float (numpy scalars are converted)."""
    return int(value) if is_int(value) else real(value, what)


def _plain_list(value: Any, name: str, fn: str) -> list:
    """A list or tuple (or a numpy array, via ``.tolist()``) as a list."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{fn}: {name} must be a list or a numpy array, got {type_and_value(value)}")
    return list(value)


def _labels(labels: Any, fn: str) -> tuple[Label, Label]:
    """The ``labels=`` pair: the label of class 0 and of class 1."""
    pair = _plain_list(labels, "labels", fn)
    if len(pair) != 2:
        raise ValueError(f"{fn}: labels must be a pair such as (0, 1) or (-1, 1), got {short_repr(labels)}")
    first, second = (_label(v, f"{fn}: labels") for v in pair)
    if first == second:
        raise ValueError(f"{fn}: labels must be two different numbers, got {short_repr(labels)}")
    return first, second


def _rows(X: ArrayLike, fn: str) -> list[Row]:
    """``X`` as a list of rows of floats, all of the same length."""
    rows = []
    for i, row in enumerate(_plain_list(X, "X", fn)):
        if hasattr(row, "tolist"):
            row = row.tolist()
        if not isinstance(row, (list, tuple)):
            raise TypeError(
                f"{fn}: X[{i}] is a {type(row).__name__}, not a row: X must be a list of rows "
                f"(for a single feature write [[x] for x in X])"
            )
        rows.append([real(v, f"{fn}: X[{i}][{j}]") for j, v in enumerate(row)])
        if len(rows[-1]) != len(rows[0]):
            raise ValueError(f"{fn}: X[{i}] has {len(rows[-1])} values but X[0] has {len(rows[0])}")
    return rows


def _dataset(X: ArrayLike, y: ArrayLike, fn: str) -> Dataset:
    """``(X, y)`` checked and converted: same length, not empty."""
    rows = _rows(X, fn)
    labels = [_label(v, f"{fn}: y[{i}]") for i, v in enumerate(_plain_list(y, "y", fn))]
    if len(rows) != len(labels):
        raise ValueError(f"{fn}: X has {len(rows)} rows but y has {len(labels)} labels; they must match")
    if not rows:
        raise ValueError(f"{fn}: the dataset is empty (X and y have no rows)")
    return rows, labels


# ----------------------------------------------------------------------
# Building blocks of the generators
# ----------------------------------------------------------------------
def _shares(n: int, parts: int) -> list[int]:
    """``n`` split into ``parts`` counts as evenly as possible, the extras going first."""
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


def _linspace(start: float, stop: float, count: int) -> list[float]:
    """``count`` evenly spaced values from ``start`` to ``stop``, both included."""
    if count == 1:
        return [start]
    return [start + (stop - start) * i / (count - 1) for i in range(count)]


def _finish(classes: Sequence[Sequence[Point]], labels: Sequence[Label],
            noise: float, rng: random.Random) -> Dataset:
    """Label each class's points, add Gaussian noise of std ``noise``, then mix the order.

    The noise is drawn even when ``noise`` is 0, and the shuffle after it, so
    the same seed gives the same points and order for every noise level.
    """
    X, y = [], []
    for points, label in zip(classes, labels):
        for x1, x2 in points:
            X.append([x1 + noise * rng.gauss(0.0, 1.0), x2 + noise * rng.gauss(0.0, 1.0)])
            y.append(label)
    order = list(range(len(X)))
    rng.shuffle(order)
    return [X[i] for i in order], [y[i] for i in order]


def _two_class_args(fn: str, n_samples: Any, noise: Any, seed: Any,
                    labels: Any) -> tuple[int, float, random.Random, tuple[Label, Label]]:
    return (_n_samples(n_samples, fn), non_negative(noise, f"{fn}: noise"),
            _generator(seed, fn), _labels(labels, fn))


# ----------------------------------------------------------------------
# Classification datasets
# ----------------------------------------------------------------------
def make_moons(n_samples: int = 100, noise: float = 0.0, seed: int = 0,
               labels: Sequence[Label] = (0, 1)) -> Dataset:
    """Two interleaving half circles, as scikit-learn's ``make_moons``.

    Class 0 is the upper moon ``(cos t, sin t)`` and class 1 the lower one
    ``(1 - cos t, 1 - sin t - 0.5)``, with ``t`` evenly spaced over [0, π];
    class 0 gets the extra point when ``n_samples`` is odd. Then Gaussian
    noise of standard deviation ``noise`` is added to each coordinate.

    Good for: the first hidden layer. A straight line gets most points right
    but not the tips of the moons, which reach into each other; an MLP bends
    the boundary around them. Try ``noise=0.1`` to ``0.2`` for realism.

    ``labels=(-1, 1)`` gives ±1 labels, for a hinge loss or a tanh output.
    """
    n, noise, rng, labels = _two_class_args("make_moons", n_samples, noise, seed, labels)
    n_upper, n_lower = _shares(n, 2)
    upper = [(math.cos(t), math.sin(t)) for t in _linspace(0.0, math.pi, n_upper)]
    lower = [(1.0 - math.cos(t), 1.0 - math.sin(t) - 0.5) for t in _linspace(0.0, math.pi, n_lower)]
    return _finish([upper, lower], labels, noise, rng)


def make_circles(n_samples: int = 100, noise: float = 0.0, factor: float = 0.5,
                 seed: int = 0, labels: Sequence[Label] = (0, 1)) -> Dataset:
    """A ring (class 0, radius 1) around a smaller circle (class 1, radius ``factor``).

    Points are evenly spaced in angle on each circle (class 0 gets the extra
    point when ``n_samples`` is odd), then Gaussian noise of standard
    deviation ``noise`` is added to each coordinate. ``0 < factor < 1``.

    Good for: showing what a linear model cannot do. No straight line splits
    a disc from the ring around it, so logistic regression stays near 50%
    accuracy; a hidden layer learns a closed boundary. (A feature such as
    ``x1² + x2²`` also solves it: a lesson on feature engineering.)
    """
    fn = "make_circles"
    n, noise, rng, labels = _two_class_args(fn, n_samples, noise, seed, labels)
    factor = in_range(factor, f"{fn}: factor", 0, 1, low_included=False)
    n_outer, n_inner = _shares(n, 2)
    outer = [(math.cos(TAU * i / n_outer), math.sin(TAU * i / n_outer)) for i in range(n_outer)]
    inner = [(factor * math.cos(TAU * i / n_inner), factor * math.sin(TAU * i / n_inner))
             for i in range(n_inner)]
    return _finish([outer, inner], labels, noise, rng)


def _quadrant_point(rng: random.Random, same_sign: bool) -> Point:
    """A uniform point of [-1, 1]² in quadrants I and III (same signs) or II and IV."""
    x1 = rng.choice((-1.0, 1.0)) * (1.0 - rng.random())  # 1 - random() is in (0, 1]: never 0
    x2 = math.copysign(1.0 - rng.random(), x1 if same_sign else -x1)
    return x1, x2


def make_xor(n_samples: int = 100, noise: float = 0.0, seed: int = 0,
             labels: Sequence[Label] = (0, 1)) -> Dataset:
    """Points uniform in the square [-1, 1]², labelled by exclusive or.

    Class 1 is "exactly one coordinate is positive" (``x1 > 0`` xor
    ``x2 > 0``, that is ``x1 * x2 < 0``: quadrants II and IV); class 0 is
    quadrants I and III. With ``labels=(-1, 1)`` the label is
    ``-sign(x1) * sign(x2)``. The classes have equal sizes (class 0 gets the
    extra point when ``n_samples`` is odd). Labels are decided before the
    Gaussian noise of std ``noise`` is added, so with noise some points near
    the axes sit on the wrong side, as in real data.

    Good for: the reason hidden layers exist. A single neuron draws one line
    and cannot get more than 3 of the 4 quadrants right; two hidden units
    are enough in principle, and a few more make training reliable.
    """
    n, noise, rng, labels = _two_class_args("make_xor", n_samples, noise, seed, labels)
    n_same, n_opposite = _shares(n, 2)
    same = [_quadrant_point(rng, True) for _ in range(n_same)]
    opposite = [_quadrant_point(rng, False) for _ in range(n_opposite)]
    return _finish([same, opposite], labels, noise, rng)


def _spiral(s: float, turns: float) -> Point:
    """The point a fraction ``s`` of the way along a spiral from radius 0.1 to 1."""
    radius, angle = 0.1 + 0.9 * s, TAU * turns * s
    return radius * math.cos(angle), radius * math.sin(angle)


def make_spirals(n_samples: int = 100, noise: float = 0.0, turns: float = 1.5,
                 seed: int = 0, labels: Sequence[Label] = (0, 1)) -> Dataset:
    """Two interleaved spirals, each the other turned by half a circle.

    Class 0 runs from radius 0.1 to 1 while turning ``turns`` times around the
    origin (points evenly spaced along it); class 1 is the same spiral
    rotated by π, so the two arms alternate. Class 0 gets the extra point
    when ``n_samples`` is odd. Gaussian noise of std ``noise`` is then added;
    the arms are 0.3 apart at the default 1.5 turns, so noise above about 0.1
    starts to merge them.

    Good for: a hard problem. The boundary winds around the origin, so a
    small net underfits; it takes more hidden units, two hidden layers and
    many steps. Raise ``turns`` to make it harder.
    """
    fn = "make_spirals"
    n, noise, rng, labels = _two_class_args(fn, n_samples, noise, seed, labels)
    turns = positive(turns, f"{fn}: turns")
    n_first, n_second = _shares(n, 2)
    first = [_spiral(s, turns) for s in _linspace(0.0, 1.0, n_first)]
    second = [(-x1, -x2) for x1, x2 in (_spiral(s, turns) for s in _linspace(0.0, 1.0, n_second))]
    return _finish([first, second], labels, noise, rng)


def _centers(centers: Any, box: Any, rng: random.Random, fn: str) -> list[Point]:
    """The blob centers: ``centers`` random points in the box, or the given points."""
    pair = _plain_list(box, "center_box", fn)
    if len(pair) != 2:
        raise ValueError(f"{fn}: center_box must be a pair (low, high), got {short_repr(box)}")
    low, high = (real(v, f"{fn}: center_box") for v in pair)
    if not low < high:
        raise ValueError(f"{fn}: center_box must have low < high, got {short_repr(box)}")
    if is_int(centers):
        count = positive_int(centers, f"{fn}: centers")
        if count > MAX_SAMPLES:
            raise ValueError(f"{fn}: centers must be at most {MAX_SAMPLES:,} (MAX_SAMPLES), got {count:,}")
        return [(rng.uniform(low, high), rng.uniform(low, high)) for _ in range(count)]
    points = _plain_list(centers, "centers", fn)
    if not points:
        raise ValueError(f"{fn}: centers must be a positive int or a non-empty list of (x, y) points")
    result = []
    for i, given in enumerate(points):
        point = _plain_list(given, f"centers[{i}]", fn)
        if len(point) != 2:
            raise ValueError(f"{fn}: centers[{i}] must be an (x, y) point, got {short_repr(given)}")
        result.append((real(point[0], f"{fn}: centers[{i}]"), real(point[1], f"{fn}: centers[{i}]")))
    return result


def make_blobs(n_samples: int = 100, centers: Union[int, Sequence[Sequence[float]]] = 2,
               cluster_std: float = 1.0, seed: int = 0,
               center_box: tuple[float, float] = (-5, 5)) -> tuple[list[Row], list[int]]:
    """Round Gaussian clusters, one per center, labelled 0, 1, ..., k-1.

    ``centers`` is either how many clusters to make, their centers then drawn
    uniformly from the square ``center_box`` x ``center_box``, or an explicit
    list of ``(x, y)`` centers. Each point is its center plus Gaussian noise
    of std ``cluster_std`` in each coordinate. The samples are shared as
    evenly as possible, the first clusters getting the extras.

    Good for: the first classifier. Two well separated blobs are linearly
    separable, so logistic regression reaches 100%; raise ``cluster_std`` to
    make them overlap and watch the loss stop at a floor. With more centers,
    a lesson on one-vs-rest or softmax.
    """
    fn = "make_blobs"
    n = _n_samples(n_samples, fn)
    std = non_negative(cluster_std, f"{fn}: cluster_std")
    rng = _generator(seed, fn)
    points = _centers(centers, center_box, rng, fn)
    classes = [[point] * count for point, count in zip(points, _shares(n, len(points)))]
    return _finish(classes, list(range(len(points))), std, rng)


# ----------------------------------------------------------------------
# Regression
# ----------------------------------------------------------------------
def _regression_target(row: Row) -> float:
    """sin(3·x1), plus x2² when there is a second feature."""
    value = math.sin(3.0 * row[0])
    if len(row) == 2:
        value += row[1] ** 2
    return value


def make_regression(n_samples: int = 100, n_features: int = 1, noise: float = 0.0,
                    seed: int = 0) -> tuple[list[Row], list[float]]:
    """Inputs uniform in [-1, 1]^d and a smooth nonlinear target plus noise.

    * ``n_features=1``: ``y = sin(3·x1)``, a wave with one and a half bumps
      over [-1, 1];
    * ``n_features=2``: ``y = sin(3·x1) + x2²``, the same wave along x1 on a
      bowl along x2, so each feature's effect can be read off a plot.

    Gaussian noise of std ``noise`` is added to y. ``X`` rows are lists even
    for one feature (``[[x1], [x1], ...]``), so models see one shape.

    Good for: regression with a squared error loss. A straight line cannot
    follow the wave (it underfits); a small MLP with tanh units can, and with
    few samples and much noise a big one overfits.
    """
    fn = "make_regression"
    n = _n_samples(n_samples, fn)
    n_features = integer(n_features, f"{fn}: n_features")
    if n_features not in (1, 2):
        raise ValueError(f"{fn}: n_features must be 1 or 2, got {n_features}")
    noise = non_negative(noise, f"{fn}: noise")
    rng = _generator(seed, fn)
    X = [[rng.uniform(-1.0, 1.0) for _ in range(n_features)] for _ in range(n)]
    y = [_regression_target(row) + noise * rng.gauss(0.0, 1.0) for row in X]
    return X, y


# ----------------------------------------------------------------------
# Splitting and batching
# ----------------------------------------------------------------------
def _test_count(test_size: Any, n: int, fn: str) -> int:
    """How many of ``n`` samples go to the test set; both sets must be non-empty."""
    if not is_real(test_size):
        raise TypeError(f"{fn}: test_size must be a fraction or an int count, got {type_and_value(test_size)}")
    if is_int(test_size):
        count = int(test_size)
        if not 1 <= count <= n - 1:
            raise ValueError(f"{fn}: test_size={count} must leave at least one sample on each side: "
                             f"a count from 1 to {n - 1} for {n} samples")
        return count
    fraction = in_range(test_size, f"{fn}: test_size as a fraction", 0, 1, low_included=False)
    count = math.ceil(round(fraction * n, 9))  # round first: 0.07 * 100 is 7.000000000000001
    if not 1 <= count <= n - 1:
        raise ValueError(f"{fn}: test_size={fraction!r} of {n} samples gives {count} test samples; "
                         f"both sets need at least one")
    return count


def train_test_split(X: ArrayLike, y: ArrayLike, test_size: Union[float, int] = 0.25,
                     seed: int = 0, shuffle: bool = True
                     ) -> tuple[list[Row], list[Row], list[Label], list[Label]]:
    """Split a dataset into ``(X_train, X_test, y_train, y_test)``.

    ``test_size`` is a fraction of the samples (rounded up, as scikit-learn
    does) or an int count. With ``shuffle=True`` the samples are shuffled by
    ``random.Random(seed)`` first; with ``shuffle=False`` the last samples are
    the test set. Every sample lands in exactly one of the two sets.

    Why: a model is judged on samples it was not trained on. Training accuracy
    says how well it memorised; test accuracy, how well it generalises.
    """
    fn = "train_test_split"
    rows, labels = _dataset(X, y, fn)
    n_test = _test_count(test_size, len(rows), fn)
    order = list(range(len(rows)))
    rng = _generator(seed, fn)
    if flag(shuffle, f"{fn}: shuffle"):
        rng.shuffle(order)
    train, test = order[:len(order) - n_test], order[len(order) - n_test:]
    return ([rows[i] for i in train], [rows[i] for i in test],
            [labels[i] for i in train], [labels[i] for i in test])


def batches(X: ArrayLike, y: ArrayLike, batch_size: int, shuffle: bool = False,
            seed: int = 0) -> Iterator[tuple[list[Row], list[Label]]]:
    """Yield ``(X_batch, y_batch)`` pairs of ``batch_size`` samples; the last may be smaller.

    Each call goes through every sample exactly once (one epoch). With
    ``shuffle=True`` the order comes from ``random.Random(seed)``: the same
    seed gives the same order, so pass a different seed for each epoch::

        for epoch in range(20):
            for X_batch, y_batch in batches(X, y, 16, shuffle=True, seed=epoch):
                ...

    The arguments are checked at once, not when the first batch is asked for.
    """
    fn = "batches"
    rows, labels = _dataset(X, y, fn)
    size = positive_int(batch_size, f"{fn}: batch_size")
    order = list(range(len(rows)))
    rng = _generator(seed, fn)
    if flag(shuffle, f"{fn}: shuffle"):
        rng.shuffle(order)
    return _batches(rows, labels, order, size)


def _batches(rows: list[Row], labels: list[Label], order: list[int],
             size: int) -> Iterator[tuple[list[Row], list[Label]]]:
    for start in range(0, len(order), size):
        chosen = order[start:start + size]
        yield [rows[i] for i in chosen], [labels[i] for i in chosen]


# ----------------------------------------------------------------------
# Reading a CSV file
# ----------------------------------------------------------------------
def _cell(text: str, where: str, as_label: bool) -> Label:
    """One cell as a number: labels that look like ints stay ints, all else is float."""
    if as_label:
        try:
            return int(text)
        except ValueError:
            pass
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"load_csv: {where}: could not read {text!r} as a number") from None
    if not math.isfinite(value):
        raise ValueError(f"load_csv: {where}: {text!r} is not a finite number")
    return value


def _target_index(header: list[str], target: Any, name: str) -> int:
    """The position of the label column, given by name or by (possibly negative) index."""
    columns = ", ".join(repr(c) for c in header)
    if isinstance(target, str):
        found = [i for i, column in enumerate(header) if column == target.strip()]
        if not found:
            raise ValueError(f"load_csv: {name} has no column {target!r}; its columns are {columns}")
        if len(found) > 1:
            raise ValueError(f"load_csv: {name} has {len(found)} columns named {target!r}; use an index")
        return found[0]
    if not is_int(target):
        raise TypeError(f"load_csv: target must be a column name or an int index, got {type_and_value(target)}")
    if not -len(header) <= target < len(header):
        raise ValueError(f"load_csv: target index {target} is out of range: "
                         f"{name} has {len(header)} columns ({columns})")
    return int(target) % len(header)


class _Reader:
    """A csv.reader over ``text`` whose errors name the file and the line (``line_num`` as csv's)."""

    def __init__(self, text: str, name: str) -> None:
        self.rows, self.name = csv.reader(io.StringIO(text, newline="")), name

    @property
    def line_num(self) -> int:
        return self.rows.line_num

    def __iter__(self) -> "_Reader":
        return self

    def __next__(self) -> list[str]:
        try:
            return next(self.rows)
        except csv.Error as error:
            where = f"load_csv: {self.name} line {self.rows.line_num}"
            if "field limit" in str(error):
                raise ValueError(f"{where}: a cell is longer than {csv.field_size_limit():,} characters "
                                 "(the csv module's field limit)") from None
            raise ValueError(f"{where}: {error}") from None


def _csv_text(name: str) -> str:
    """The file's text, if it is at most MAX_CSV_BYTES of UTF-8 (a BOM at the start is dropped)."""
    with open(name, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size > MAX_CSV_BYTES:
            raise ValueError(f"load_csv: {name} has {size:,} bytes, more than the {MAX_CSV_BYTES:,} "
                             f"it reads (MAX_CSV_BYTES)")
        raw = file.read(MAX_CSV_BYTES + 1)  # (a pipe reports no size: stop past the cap)
    if len(raw) > MAX_CSV_BYTES:
        raise ValueError(f"load_csv: {name} has more than the {MAX_CSV_BYTES:,} bytes it reads (MAX_CSV_BYTES)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ValueError(f"load_csv: {name} line {line} is not UTF-8 text (byte 0x{raw[error.start]:02x}: "
                         f"{error.reason}); save the file as UTF-8") from None
    return text[1:] if text.startswith("\ufeff") else text


def _is_blank(cells: list[str]) -> bool:
    return len(cells) <= 1 and not "".join(cells).strip()


def load_csv(path: Union[str, os.PathLike], target: Union[str, int] = -1
             ) -> tuple[list[Row], list[Label]]:
    """Read a numeric CSV file with a header row into ``(X, y)``.

    ``target`` names the label column, by header name or by index (default
    -1, the last column). ``X`` holds the other columns, in file order, as
    floats; labels that look like ints (``1``, ``-1``) are ints, others are
    floats. Blank lines are skipped.

    Every cell must be a number. A cell that is not names its place, e.g.
    ``load_csv: data.csv line 7, column 'x2': could not read 'abc' as a
    number`` (lines are counted as in an editor: the header is line 1).
    Missing target columns, rows with the wrong number of cells and files
    without data also raise a ValueError that says what is wrong.

    The file must be UTF-8 text (a byte that is not names its line), at most
    ``MAX_CSV_BYTES`` (64 MiB, checked before reading it) with at most
    ``MAX_CSV_ROWS`` (1,000,000) data rows, and no cell longer than the
    `csv` module's field limit (131,072 characters). Each of these is a
    ValueError naming the file and the line.
    """
    try:
        name = os.fsdecode(os.fspath(path))
    except TypeError:
        raise TypeError(f"load_csv: path must be a str or a path, got {type_and_value(path)}") from None
    reader = _Reader(_csv_text(name), name)
    header = next((cells for cells in reader if not _is_blank(cells)), None)
    if header is None:
        raise ValueError(f"load_csv: {name} is empty: expected a header row and data rows")
    header = [column.strip() for column in header]
    label_at = _target_index(header, target, name)
    if len(header) < 2:
        raise ValueError(f"load_csv: {name} has only the target column {header[label_at]!r}; "
                         f"there are no feature columns")
    X, y = [], []
    for cells in reader:
        if _is_blank(cells):
            continue
        if len(X) == MAX_CSV_ROWS:
            raise ValueError(f"load_csv: {name} has more than {MAX_CSV_ROWS:,} data rows (MAX_CSV_ROWS)")
        line = reader.line_num
        if len(cells) != len(header):
            raise ValueError(f"load_csv: {name} line {line} has {len(cells)} cells "
                             f"but the header has {len(header)} columns")
        values = [_cell(text.strip(), f"{name} line {line}, column {header[i]!r}", i == label_at)
                  for i, text in enumerate(cells)]
        y.append(values.pop(label_at))
        X.append([float(v) for v in values])
    if not X:
        raise ValueError(f"load_csv: {name} has a header row but no data rows")
    return X, y
