"""The Playground's points: 2-D datasets of 2 to 5 classes, your own CSV files, and the train/test split.

* `generate_points`: the toy datasets the settings name. Moons, circles and
  XOR have two classes; spirals and blobs have ``classes`` of them (2 to 5):
  k spiral arms, or k Gaussian blobs on a circle;
* `read_csv_points` and `parse_csv_text`: points from a CSV file of three
  columns, ``x1, x2, label``, read by `autodiff.data.load_csv` (from a path,
  or from the text of a file the browser sent);
* `make_data`: the points of a run, split into a training and a test set.

Every dataset is a `Points`: an (N, 2) array, a class index per point
(0 to k-1), and the label each class had in the source.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np

from autodiff.data import load_csv, make_blobs, make_circles, make_moons, make_spirals, make_xor, train_test_split

from .playground_settings import DATASETS, MAX_CLASSES, MAX_POINTS, MIN_CLASSES, Settings

__all__ = ["Points", "Data", "generate_points", "read_csv_points", "parse_csv_text", "make_data",
           "spiral_arms", "blob_centers", "MAX_CSV_BYTES", "BLOB_CENTERS", "BLOB_STD"]

MAX_CSV_BYTES = 512 * 1024   # the largest CSV file read (5000 rows of three numbers fit easily)
BLOB_CENTERS = ((-1.0, -1.0), (1.0, 1.0))   # two blobs
BLOB_RADIUS = math.sqrt(2.0)                # more blobs sit on the circle through those two
BLOB_STD = 0.3          # the blobs' std is BLOB_STD + noise
SPIRAL_GAP = 0.3        # how far apart neighbouring spiral arms are (for any number of arms)


@dataclass(frozen=True, eq=False)
class Points:
    """A dataset: ``X`` (N, 2) floats, ``classes`` (N,) ints from 0 to k-1, and where it came from.

    ``labels[c]`` is the label class c had in the source: 0, 1, 2... for
    generated data, whatever whole numbers a CSV file used (the smallest is
    class 0).
    """

    X: np.ndarray
    classes: np.ndarray
    labels: tuple[int, ...]
    name: str

    @property
    def n_classes(self) -> int:
        return len(self.labels)

    @property
    def digest(self) -> str:
        """12 hex digits of the SHA-256 of the points and classes: a config string's ``csv=`` value."""
        h = hashlib.sha256(np.ascontiguousarray(self.X, dtype="<f8").tobytes())
        h.update(np.ascontiguousarray(self.classes, dtype="<i8").tobytes())
        return h.hexdigest()[:12]


@dataclass
class Data:
    """A dataset split for training: points as (N, 2) arrays, classes as int arrays (0 to k-1)."""

    X_train: np.ndarray
    X_test: np.ndarray
    c_train: np.ndarray
    c_test: np.ndarray
    extent: tuple[float, float, float, float]   # the square shown: xmin, xmax, ymin, ymax
    labels: tuple[int, ...] = (0, 1)             # the source's label of each class

    @property
    def n_classes(self) -> int:
        return len(self.labels)


# ----------------------------------------------------------------------
# Generated datasets
# ----------------------------------------------------------------------
def generate_points(s: Settings) -> Points:
    """The toy dataset ``s.dataset`` with ``s.classes`` classes, ``s.points`` points, noise and seed."""
    n, k, noise, seed = s.points, s.classes, s.noise, s.data_seed
    if s.dataset == "spirals":
        X, y = spiral_arms(n, k, noise, seed)
    elif s.dataset == "blobs":
        X, y = make_blobs(n, centers=[list(c) for c in blob_centers(k)], cluster_std=BLOB_STD + noise, seed=seed)
    elif s.dataset in ("moons", "circles", "xor"):
        X, y = {"moons": make_moons, "circles": make_circles, "xor": make_xor}[s.dataset](n, noise=noise, seed=seed)
    else:
        raise ValueError(f"Playground: {DATASETS[s.dataset]} are not generated: load the file (load_csv)")
    name = DATASETS[s.dataset] + (f", {k} classes" if k > 2 else "")
    return Points(np.array(X, dtype=float), np.array(y, dtype=int), tuple(range(k)), name)


def spiral_arms(n: int, arms: int, noise: float, seed: int) -> tuple[list, list]:
    """``arms`` interleaved spirals (class a is arm a), as lists ``(X, y)`` like `autodiff.data`'s makers.

    Two arms are `autodiff.data.make_spirals` itself (1.5 turns). With more,
    arm a is the first arm turned by a/arms of a circle, and every arm turns
    3/arms times from radius 0.1 to 1, so neighbouring arms stay SPIRAL_GAP
    apart, as the two arms are. Points are evenly spaced along each arm,
    then Gaussian noise of std ``noise`` is added and the order is shuffled
    (``numpy.random.default_rng(seed)``).
    """
    if arms == 2:
        return make_spirals(n, noise=noise, seed=seed)
    turns = 0.9 / (SPIRAL_GAP * arms)     # radius grows 0.9 per turn, and `arms` arms share it
    counts = [n // arms + (1 if a < n % arms else 0) for a in range(arms)]
    rng = np.random.default_rng(seed)
    points, classes = [], []
    for arm, count in enumerate(counts):
        s = np.linspace(0.0, 1.0, count)
        angle = 2 * np.pi * (turns * s + arm / arms)
        radius = 0.1 + 0.9 * s
        points.append(np.column_stack([radius * np.cos(angle), radius * np.sin(angle)]))
        classes.append(np.full(count, arm))
    X, y = np.vstack(points), np.concatenate(classes)
    X = X + noise * rng.normal(size=X.shape)
    order = rng.permutation(n)
    return X[order].tolist(), y[order].tolist()


def blob_centers(k: int) -> tuple[tuple[float, float], ...]:
    """The centers of k blobs: BLOB_CENTERS for two, else k points evenly around a circle through them."""
    if k == 2:
        return BLOB_CENTERS
    first = 1.25 * math.pi   # the angle of (-1, -1), where the first of two blobs sits
    return tuple((BLOB_RADIUS * math.cos(first + 2 * math.pi * a / k),
                  BLOB_RADIUS * math.sin(first + 2 * math.pi * a / k)) for a in range(k))


# ----------------------------------------------------------------------
# Your own CSV file
# ----------------------------------------------------------------------
def read_csv_points(path: Union[str, os.PathLike]) -> Points:
    """The points of a CSV file of three columns: x1, x2 and a label (a whole number) per line.

    The file has a header row; `autodiff.data.load_csv` reads it, so a cell
    that is not a number is named by its line and column. Then the file must
    hold two feature columns, 4 to MAX_POINTS rows, and 2 to 5 different
    labels. It is refused before it is read if it is larger than
    MAX_CSV_BYTES. Each problem raises a ValueError that says what is wrong.
    """
    name = os.fsdecode(os.fspath(path))
    size = os.stat(name).st_size
    if size > MAX_CSV_BYTES:
        raise ValueError(_too_large(Path(name).name, size))
    X, y = load_csv(name)
    return _points_from_table(X, y, Path(name).name)


def parse_csv_text(text: str, name: str = "data.csv") -> Points:
    """`read_csv_points` for the text of a file (what the browser's file picker sends).

    The text goes through a temporary file, so that `load_csv` reads it by
    the very rules it reads a file by; its errors name ``name``, not the
    temporary file.
    """
    size = len(text.encode("utf-8"))
    if size > MAX_CSV_BYTES:
        raise ValueError(_too_large(name, size))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.csv"
        path.write_text(text, encoding="utf-8", newline="")
        try:
            X, y = load_csv(path)
        except ValueError as error:
            raise ValueError(str(error).replace(str(path), name)) from None
    return _points_from_table(X, y, name)


def _too_large(name: str, size: int) -> str:
    return (f"{name} has {size:,} bytes; the Playground reads CSV files of up to {MAX_CSV_BYTES:,} bytes "
            f"(and up to {MAX_POINTS} points)")


def _points_from_table(X: Sequence[Sequence[float]], y: Sequence[float], name: str) -> Points:
    """Rows of features and labels from `load_csv`, checked and turned into `Points`."""
    if len(X[0]) != 2:
        raise ValueError(f"{name} has {len(X[0]) + 1} columns; the Playground reads three: x1, x2 and a label "
                         "(a whole number), with a header row")
    if not 4 <= len(X) <= MAX_POINTS:
        raise ValueError(f"{name} has {len(X)} data rows; the Playground shows 4 to {MAX_POINTS} points")
    for row, label in enumerate(y):
        if not float(label).is_integer():
            raise ValueError(f"{name}: the label of data row {row + 1} is {label!r}; labels name classes, "
                             "so they must be whole numbers")
    labels = sorted({int(label) for label in y})
    if not MIN_CLASSES <= len(labels) <= MAX_CLASSES:
        raise ValueError(f"{name} has {len(labels)} different label(s) ({', '.join(map(str, labels[:8]))}"
                         f"{', …' if len(labels) > 8 else ''}); the Playground shows {MIN_CLASSES} to "
                         f"{MAX_CLASSES} classes")
    index = {label: c for c, label in enumerate(labels)}
    classes = np.array([index[int(label)] for label in y], dtype=int)
    return Points(np.array(X, dtype=float), classes, tuple(labels), name)


# ----------------------------------------------------------------------
# The split
# ----------------------------------------------------------------------
def make_data(s: Settings, csv: Optional[Points] = None) -> Data:
    """The points of a run, split into train and test, and the square to show them in.

    ``csv`` holds a CSV file's points, needed when ``s.dataset`` is "csv"
    (and checked against ``s.csv_digest``). A ValueError if ``s.ratio``
    leaves the training or the test set empty.
    """
    if s.dataset == "csv":
        if csv is None or csv.digest != s.csv_digest:
            raise ValueError(f"Playground: this run trains on the CSV file whose points have the fingerprint "
                             f"{s.csv_digest}; load that file (Playground(csv=path), or "
                             "Playground.from_config(config, csv=path))")
        points = csv
    else:
        points = generate_points(s)
    try:
        X_train, X_test, y_train, y_test = train_test_split(points.X, points.classes, test_size=1 - s.ratio,
                                                            seed=s.data_seed)
    except ValueError as error:
        raise ValueError(f"Playground: {len(points.X)} points with a training ratio of {s.ratio} "
                         f"leave a set empty ({error})") from None
    return Data(np.array(X_train, dtype=float), np.array(X_test, dtype=float), np.array(y_train, dtype=int),
                np.array(y_test, dtype=int), _square_around(points.X), points.labels)


def _square_around(X: np.ndarray) -> tuple[float, float, float, float]:
    """A square with every point inside and a margin, so both axes have the same scale."""
    low, high = X.min(axis=0), X.max(axis=0)
    center = (low + high) / 2
    half = float(np.max(high - low)) / 2 * 1.15 + 0.15
    return (float(center[0] - half), float(center[0] + half), float(center[1] - half), float(center[1] + half))
