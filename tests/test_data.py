"""The toy datasets and the split / batch / CSV helpers of `autodiff.data`."""

from __future__ import annotations

import doctest
import math
import os
import random
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import autodiff.data
from autodiff.data import (
    batches, load_csv, make_blobs, make_circles, make_moons, make_regression,
    make_spirals, make_xor, train_test_split,
)

ROOT = Path(__file__).resolve().parent.parent

TWO_CLASS = [make_moons, make_circles, make_xor, make_spirals]
ALL_GENERATORS = TWO_CLASS + [make_blobs, make_regression]
NOISE_ARG = {make_blobs: "cluster_std"}  # what each generator calls its noise


def by_class(X, y) -> dict:
    groups: dict = {}
    for row, label in zip(X, y):
        groups.setdefault(label, []).append(row)
    return groups


def noisy(gen, n, amount, seed):
    """``gen`` with ``amount`` of noise; blobs get explicit centers so noise-free data is known."""
    if gen is make_blobs:
        return make_blobs(n, centers=[(0, 0), (3, 1)], cluster_std=amount, seed=seed)
    return gen(n, noise=amount, seed=seed)


def test_the_docstring_examples_run():
    assert doctest.testmod(autodiff.data).failed == 0


# ----------------------------------------------------------------------
# Determinism
# ----------------------------------------------------------------------
@pytest.mark.parametrize("gen", ALL_GENERATORS, ids=lambda g: g.__name__)
def test_same_seed_gives_the_same_data(gen):
    assert noisy(gen, 60, 0.1, seed=3) == noisy(gen, 60, 0.1, seed=3)


@pytest.mark.parametrize("gen", ALL_GENERATORS, ids=lambda g: g.__name__)
def test_different_seeds_give_different_data(gen):
    X1, _ = noisy(gen, 60, 0.1, seed=3)
    X2, _ = noisy(gen, 60, 0.1, seed=4)
    assert X1 != X2


def test_the_default_seed_is_zero():
    assert make_moons(30, noise=0.1) == make_moons(30, noise=0.1, seed=0)
    assert make_moons(30, noise=0.1) != make_moons(30, noise=0.1, seed=1)


def test_generators_leave_the_global_random_state_alone():
    random.seed(123)
    expected = random.random()
    random.seed(123)
    make_moons(20, noise=0.3)
    train_test_split([[0.0]] * 8, [0] * 8)
    assert random.random() == expected


DUMP = """
from autodiff.data import make_moons, make_spirals
for X, y in (make_moons(50, noise=0.2, seed=7), make_spirals(51, noise=0.05, seed=7)):
    print([[v.hex() for v in row] for row in X], y)
"""


def dump_in_subprocess(hash_seed: str) -> str:
    env = dict(os.environ, PYTHONHASHSEED=hash_seed)
    result = subprocess.run([sys.executable, "-c", DUMP], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=True)
    return result.stdout


def test_moons_and_spirals_are_bit_identical_across_processes():
    here = "".join(
        f"{[[v.hex() for v in row] for row in X]} {y}\n"
        for X, y in (make_moons(50, noise=0.2, seed=7), make_spirals(51, noise=0.05, seed=7))
    )
    first, second = dump_in_subprocess("1"), dump_in_subprocess("2")
    assert first.count("\n") == 2
    assert first == second == here


# ----------------------------------------------------------------------
# Shapes, types and class balance
# ----------------------------------------------------------------------
@pytest.mark.parametrize("gen", TWO_CLASS, ids=lambda g: g.__name__)
@pytest.mark.parametrize("n", [1, 2, 7, 100])
def test_two_class_shapes_and_balance(gen, n):
    X, y = gen(n, noise=0.1)
    assert len(X) == len(y) == n
    assert all(len(row) == 2 and all(type(v) is float for v in row) for row in X)
    assert all(type(label) is int for label in y)
    assert (y.count(0), y.count(1)) == (n - n // 2, n // 2)  # class 0 gets the extra one


@pytest.mark.parametrize("gen", TWO_CLASS, ids=lambda g: g.__name__)
def test_classes_come_mixed_not_grouped(gen):
    _, y = gen(100)
    assert y != sorted(y)
    assert 0 in y[:20] and 1 in y[:20]


def test_blobs_shares_samples_evenly_first_clusters_get_the_extras():
    X, y = make_blobs(11, centers=3)
    assert len(X) == 11
    assert [y.count(k) for k in range(3)] == [4, 4, 3]
    assert all(type(label) is int for label in y)


@pytest.mark.parametrize("n_features", [1, 2])
def test_regression_shapes(n_features):
    X, y = make_regression(40, n_features=n_features, noise=0.1)
    assert len(X) == len(y) == 40
    assert all(len(row) == n_features for row in X)
    assert all(type(v) is float for v in y)


# ----------------------------------------------------------------------
# Geometry of the noise-free datasets
# ----------------------------------------------------------------------
def sorted_angles(points) -> list[float]:
    return sorted(math.atan2(b, a) % (2 * math.pi) for a, b in points)


def test_noiseless_moons_lie_on_their_half_circles():
    groups = by_class(*make_moons(41))
    for x1, x2 in groups[0]:  # upper moon: the unit circle, upper half
        assert math.hypot(x1, x2) == pytest.approx(1.0, abs=1e-12)
        assert x2 >= -1e-12
    for x1, x2 in groups[1]:  # lower moon: radius 1 around (1, 0.5), lower half
        assert math.hypot(x1 - 1.0, x2 - 0.5) == pytest.approx(1.0, abs=1e-12)
        assert x2 <= 0.5 + 1e-12
    ends = sorted(groups[0])
    assert ends[0] == pytest.approx([-1.0, 0.0], abs=1e-12)
    assert ends[-1] == pytest.approx([1.0, 0.0], abs=1e-12)


def test_noiseless_moons_are_evenly_spaced_in_angle():
    upper = by_class(*make_moons(21))[0]
    angles = sorted(math.atan2(b, a) for a, b in upper)
    gaps = [t1 - t0 for t0, t1 in zip(angles, angles[1:])]
    assert gaps == pytest.approx([math.pi / 10] * 10, abs=1e-12)


@pytest.mark.parametrize("factor", [0.5, 0.3, 0.9])
def test_noiseless_circles_have_radii_one_and_factor(factor):
    groups = by_class(*make_circles(30, factor=factor))
    assert [math.hypot(*p) for p in groups[0]] == pytest.approx([1.0] * 15, abs=1e-12)
    assert [math.hypot(*p) for p in groups[1]] == pytest.approx([factor] * 15, abs=1e-12)


def test_noiseless_circle_points_are_evenly_spaced_and_distinct():
    outer = by_class(*make_circles(16))[0]
    angles = sorted_angles(outer)
    assert angles == pytest.approx([2 * math.pi * i / 8 for i in range(8)], abs=1e-12)


def test_noiseless_xor_is_labelled_by_exclusive_or():
    X, y = make_xor(400)
    assert all(-1.0 <= v <= 1.0 and v != 0.0 for row in X for v in row)
    assert y == [1 if (x1 > 0) != (x2 > 0) else 0 for x1, x2 in X]


def test_xor_fills_all_four_quadrants_evenly():
    X, _ = make_xor(4000)
    for column in zip(*X):  # uniform on [-1, 1]: reaches both ends, mean |x| = 0.5
        assert min(column) < -0.99 and max(column) > 0.99
        assert statistics.fmean(abs(v) for v in column) == pytest.approx(0.5, abs=0.03)
    quadrants = [sum(1 for x1, x2 in X if (x1 > 0, x2 > 0) == q)
                 for q in [(True, True), (False, True), (False, False), (True, False)]]
    assert all(900 <= count <= 1100 for count in quadrants), quadrants  # 1000 expected, sd ~27


def test_xor_with_plus_minus_one_labels_is_minus_the_sign_product():
    X, y = make_xor(100, labels=(-1, 1))
    assert y == [-int(math.copysign(1, x1) * math.copysign(1, x2)) for x1, x2 in X]


def test_noiseless_spirals_are_each_other_turned_by_half_a_circle():
    groups = by_class(*make_spirals(60))
    first = sorted(groups[0])
    turned = sorted([-x1, -x2] for x1, x2 in groups[1])
    assert first == turned


@pytest.mark.parametrize("turns", [1.5, 0.75, 3.0])
def test_noiseless_spiral_grows_from_radius_0_1_to_1_while_turning(turns):
    arm = sorted(by_class(*make_spirals(200, turns=turns))[0], key=lambda p: math.hypot(*p))
    radii = [math.hypot(*p) for p in arm]
    assert radii[0] == pytest.approx(0.1) and radii[-1] == pytest.approx(1.0)
    angles = [math.atan2(b, a) for a, b in arm]
    steps = [(t1 - t0 + math.pi) % (2 * math.pi) - math.pi for t0, t1 in zip(angles, angles[1:])]
    assert all(step > 0 for step in steps)  # always turning the same way
    assert sum(steps) == pytest.approx(2 * math.pi * turns)


def test_blobs_without_spread_sit_on_the_given_centers():
    centers = [(0.0, 0.0), (3.0, -1.0), (-2.0, 4.0)]
    X, y = make_blobs(9, centers=centers, cluster_std=0.0)
    assert all(tuple(row) == centers[label] for row, label in zip(X, y))


def test_random_blob_centers_are_distinct_points_in_the_box():
    groups = by_class(*make_blobs(30, centers=3, cluster_std=0.0, center_box=(2, 4)))
    centers = set()
    for rows in groups.values():
        assert all(row == rows[0] for row in rows)
        assert all(2.0 <= v <= 4.0 for v in rows[0])
        centers.add(tuple(rows[0]))
    assert len(centers) == 3


def test_noiseless_regression_follows_the_documented_functions():
    X, y = make_regression(50, n_features=1)
    assert all(-1.0 <= x <= 1.0 for (x,) in X)
    assert y == [math.sin(3 * x) for (x,) in X]
    X, y = make_regression(50, n_features=2)
    assert y == [math.sin(3 * x1) + x2 ** 2 for x1, x2 in X]


def test_regression_inputs_spread_over_the_whole_interval():
    X, _ = make_regression(1000)
    xs = [x for (x,) in X]
    assert min(xs) < -0.95 and max(xs) > 0.95
    assert abs(statistics.fmean(xs)) < 0.06  # sd of the mean ~0.018


# ----------------------------------------------------------------------
# Noise
# ----------------------------------------------------------------------
def check_gaussian(residuals, std):
    """Mean 0, the given std (within 3%), and about 68% within one std."""
    n = len(residuals)
    assert abs(statistics.fmean(residuals)) < 5 * std / math.sqrt(n)
    assert statistics.pstdev(residuals) == pytest.approx(std, rel=0.03)
    within = sum(1 for r in residuals if abs(r) < std) / n
    assert within == pytest.approx(0.6827, abs=0.015)


@pytest.mark.parametrize("gen", TWO_CLASS + [make_blobs], ids=lambda g: g.__name__)
@pytest.mark.parametrize("std", [0.05, 0.3])
def test_noise_has_the_requested_standard_deviation(gen, std):
    X0, y0 = noisy(gen, 10_000, 0.0, seed=11)
    X1, y1 = noisy(gen, 10_000, std, seed=11)
    assert y1 == y0  # the same points, in the same order, only moved
    check_gaussian([b - a for r0, r1 in zip(X0, X1) for a, b in zip(r0, r1)], std)


def test_regression_noise_has_the_requested_standard_deviation():
    X, y = make_regression(20_000, noise=0.2, seed=5)
    check_gaussian([t - math.sin(3 * x) for (x,), t in zip(X, y)], 0.2)


# ----------------------------------------------------------------------
# The labels option
# ----------------------------------------------------------------------
@pytest.mark.parametrize("gen", TWO_CLASS, ids=lambda g: g.__name__)
def test_plus_minus_one_labels_relabel_the_same_points(gen):
    X, y = gen(50, noise=0.1)
    X_pm, y_pm = gen(50, noise=0.1, labels=(-1, 1))
    assert X_pm == X
    assert y_pm == [{0: -1, 1: 1}[label] for label in y]


def test_labels_keep_the_type_they_are_given():
    _, y = make_moons(10, labels=(0.0, 1.0))
    assert {type(label) for label in y} == {float} and set(y) == {0.0, 1.0}
    _, y = make_circles(10, labels=np.array([-1, 1]))
    assert {type(label) for label in y} == {int} and set(y) == {-1, 1}
    _, y = make_spirals(10, labels=[3, 7.5])
    assert {(type(v), v) for v in y} == {(int, 3), (float, 7.5)}


# ----------------------------------------------------------------------
# train_test_split
# ----------------------------------------------------------------------
def numbered(n):
    """A dataset whose rows say which sample they are: row i is [i, -i], label i."""
    return [[float(i), float(-i)] for i in range(n)], list(range(n))


@pytest.mark.parametrize("test_size, n_test", [(0.25, 3), (0.3, 3), (0.7, 7), (0.5, 5), (1, 1), (9, 9)])
def test_split_sizes(test_size, n_test):
    X_train, X_test, y_train, y_test = train_test_split(*numbered(10), test_size=test_size)
    assert (len(X_train), len(X_test)) == (10 - n_test, n_test)
    assert (len(y_train), len(y_test)) == (10 - n_test, n_test)


def test_a_fraction_is_rounded_up_but_float_fuzz_is_not():
    assert len(train_test_split(*numbered(100), test_size=0.07)[1]) == 7  # 0.07 * 100 = 7.000000000000001
    assert len(train_test_split(*numbered(100), test_size=0.071)[1]) == 8


def test_split_is_disjoint_covers_everything_and_keeps_rows_with_labels():
    X_train, X_test, y_train, y_test = train_test_split(*numbered(20), test_size=0.3, seed=2)
    assert sorted(y_train + y_test) == list(range(20))
    assert not set(y_train) & set(y_test)
    assert all(row == [float(i), float(-i)] for row, i in zip(X_train + X_test, y_train + y_test))


def test_split_shuffles_by_seed():
    split = train_test_split(*numbered(20), seed=2)
    assert split == train_test_split(*numbered(20), seed=2)
    assert split != train_test_split(*numbered(20), seed=3)
    assert split[3] != list(range(15, 20))


def test_split_without_shuffle_takes_the_last_samples_for_testing():
    X_train, X_test, y_train, y_test = train_test_split(*numbered(8), test_size=0.25, shuffle=False)
    assert (y_train, y_test) == ([0, 1, 2, 3, 4, 5], [6, 7])
    assert X_test == [[6.0, -6.0], [7.0, -7.0]]


def test_split_returns_copies_not_the_callers_rows():
    X, y = numbered(4)
    X_train, X_test, _, _ = train_test_split(X, y, test_size=1)
    (X_train + X_test)[0][0] = 99.0
    assert 99.0 not in [row[0] for row in X]


# ----------------------------------------------------------------------
# batches
# ----------------------------------------------------------------------
def test_batches_in_order_with_a_smaller_last_batch():
    got = list(batches(*numbered(10), batch_size=4))
    assert [y for _, y in got] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert all(row == [float(i), float(-i)] for X, y in got for row, i in zip(X, y))


def test_a_batch_size_above_the_dataset_size_gives_one_batch():
    assert [y for _, y in batches(*numbered(3), batch_size=10)] == [[0, 1, 2]]


def test_shuffled_batches_cover_every_sample_exactly_once():
    order = [i for _, y in batches(*numbered(50), 8, shuffle=True, seed=4) for i in y]
    assert sorted(order) == list(range(50))
    assert order != list(range(50))


def test_shuffled_batches_change_only_with_the_seed():
    def order(seed):
        return [i for _, y in batches(*numbered(30), 7, shuffle=True, seed=seed) for i in y]

    assert order(1) == order(1)
    assert order(1) != order(2)


def test_batches_is_a_fresh_epoch_each_call():
    X, y = numbered(5)
    first = list(batches(X, y, 2))
    assert list(batches(X, y, 2)) == first
    assert sum(len(yb) for _, yb in first) == 5


def test_batches_checks_its_arguments_before_the_first_batch():
    with pytest.raises(ValueError, match="batch_size"):
        batches(*numbered(4), batch_size=0)  # no next(): the error comes at the call


# ----------------------------------------------------------------------
# numpy inputs
# ----------------------------------------------------------------------
def test_numpy_arrays_are_accepted_and_plain_lists_come_back():
    X = np.arange(20, dtype=np.float64).reshape(10, 2)
    y = np.array([0, 1] * 5)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=np.int64(2))
    assert type(X_train) is list and type(X_train[0]) is list
    assert {type(v) for row in X_train + X_test for v in row} == {float}
    assert {type(v) for v in y_train + y_test} == {int}
    for X_batch, y_batch in batches(X, np.array(y, dtype=np.float32), batch_size=np.int32(4)):
        assert type(X_batch[0][0]) is float and type(y_batch[0]) is float


def test_generators_accept_numpy_arguments():
    X, y = make_moons(np.int64(10), noise=np.float64(0.1), seed=np.int64(3))
    assert (X, y) == make_moons(10, noise=0.1, seed=3)
    X, y = make_blobs(4, centers=np.array([[0.0, 0.0], [5.0, 5.0]]), cluster_std=0.0)
    assert sorted(X) == [[0.0, 0.0], [0.0, 0.0], [5.0, 5.0], [5.0, 5.0]]
    assert type(X[0][0]) is float


# ----------------------------------------------------------------------
# load_csv
# ----------------------------------------------------------------------
def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_csv_reads_features_and_labels(tmp_path):
    path = write(tmp_path, "x1,x2,label\n0.5,1,0\n-2,3e-1,1\n")
    assert load_csv(path, target="label") == ([[0.5, 1.0], [-2.0, 0.3]], [0, 1])


def test_load_csv_keeps_file_order_minus_a_middle_target(tmp_path):
    path = write(tmp_path, "a,y,b,c\n1,-1,2,3\n4,1,5,6\n")
    X, y = load_csv(path, target="y")
    assert X == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]] and y == [-1, 1]
    for target in (1, -3):
        X_at, y_at = load_csv(str(path), target=target)
        assert X_at == X and y_at == y and {type(v) for v in y_at} == {int}


def test_load_csv_defaults_to_the_last_column_and_keeps_float_labels(tmp_path):
    path = write(tmp_path, "x, target\n1, 0.25\n2, 1.5\n")
    X, y = load_csv(path)
    assert X == [[1.0], [2.0]] and y == [0.25, 1.5]
    assert {type(v) for v in y} == {float}
    assert load_csv(path, target="target") == (X, y)  # header names are stripped


def test_load_csv_skips_blank_lines_and_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_text("\ufeffx1,x2,y\n\n1,2,0\n\n3,4,1\n", encoding="utf-8")
    assert load_csv(path, target="x1") == ([[2.0, 0.0], [4.0, 1.0]], [1, 3])


def test_a_bad_cell_names_file_line_and_column(tmp_path):
    path = write(tmp_path, "x1,x2,y\n1,2,0\n\n3,4,1\n5,6,0\n7,8,1\n9,abc,0\n")
    with pytest.raises(ValueError) as info:
        load_csv(path, target="y")
    assert str(info.value) == f"load_csv: {path} line 7, column 'x2': could not read 'abc' as a number"


@pytest.mark.parametrize("cell, complaint", [
    ("", "could not read '' as a number"),
    ("1,5", None),  # an unquoted comma makes the row ragged instead
    ("nan", "'nan' is not a finite number"),
    ("inf", "'inf' is not a finite number"),
])
def test_other_unreadable_cells(tmp_path, cell, complaint):
    path = write(tmp_path, f"x1,x2,y\n1,2,0\n3,{cell},1\n")
    with pytest.raises(ValueError) as info:
        load_csv(path, target="y")
    if complaint is None:
        assert "line 3 has 4 cells but the header has 3 columns" in str(info.value)
    else:
        assert str(info.value) == f"load_csv: {path} line 3, column 'x2': {complaint}"


def test_a_bad_label_cell_is_reported_too(tmp_path):
    path = write(tmp_path, "x1,x2,y\n1,2,yes\n")
    with pytest.raises(ValueError, match=r"line 2, column 'y': could not read 'yes' as a number"):
        load_csv(path, target="y")


def test_a_missing_target_column_lists_the_columns(tmp_path):
    path = write(tmp_path, "x1,x2,y\n1,2,0\n")
    with pytest.raises(ValueError) as info:
        load_csv(path, target="label")
    message = str(info.value)
    assert "no column 'label'" in message and "'x1', 'x2', 'y'" in message and str(path) in message


def test_a_target_index_out_of_range(tmp_path):
    path = write(tmp_path, "x1,x2,y\n1,2,0\n")
    with pytest.raises(ValueError, match="target index 3 is out of range.*3 columns"):
        load_csv(path, target=3)
    with pytest.raises(TypeError, match="target must be a column name or an int index, got float"):
        load_csv(path, target=2.0)


def test_a_ragged_row_names_its_line(tmp_path):
    path = write(tmp_path, "x1,x2,y\n1,2,0\n3,4\n")
    with pytest.raises(ValueError, match=r"data\.csv line 3 has 2 cells but the header has 3 columns"):
        load_csv(path, target="y")


@pytest.mark.parametrize("text", ["", "\n\n"])
def test_an_empty_file(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(ValueError, match=r"data\.csv is empty"):
        load_csv(path)


def test_a_header_without_rows(tmp_path):
    path = write(tmp_path, "x1,x2,y\n")
    with pytest.raises(ValueError, match=r"data\.csv has a header row but no data rows"):
        load_csv(path)


def test_a_file_with_only_the_target_column(tmp_path):
    path = write(tmp_path, "y\n1\n")
    with pytest.raises(ValueError, match="no feature columns"):
        load_csv(path, target="y")


def test_a_missing_file_and_a_bad_path():
    with pytest.raises(FileNotFoundError):
        load_csv(ROOT / "no-such-file.csv")
    with pytest.raises(TypeError, match="load_csv: path must be"):
        load_csv(42)


# ----------------------------------------------------------------------
# Every bad argument: the right exception, naming the function and the value
# ----------------------------------------------------------------------
XY = numbered(10)

BAD_CALLS = [
    # (call, exception, fragments the message must contain)
    (lambda: make_moons(0), ValueError, ["make_moons", "n_samples", "0"]),
    (lambda: make_moons(-5), ValueError, ["make_moons", "n_samples", "-5"]),
    (lambda: make_circles(2.5), TypeError, ["make_circles", "n_samples", "2.5"]),
    (lambda: make_xor("10"), TypeError, ["make_xor", "n_samples", "'10'"]),
    (lambda: make_spirals(True), TypeError, ["make_spirals", "n_samples", "bool"]),
    (lambda: make_blobs(None), TypeError, ["make_blobs", "n_samples", "None"]),
    (lambda: make_regression(0), ValueError, ["make_regression", "n_samples"]),
    (lambda: make_spirals(noise=-0.1), ValueError, ["make_spirals", "noise", "-0.1"]),
    (lambda: make_moons(noise=float("nan")), ValueError, ["make_moons", "noise", "nan"]),
    (lambda: make_xor(noise="0.1"), TypeError, ["make_xor", "noise", "'0.1'"]),
    (lambda: make_regression(noise=-1), ValueError, ["make_regression", "noise", "-1"]),
    (lambda: make_circles(factor=1.0), ValueError, ["make_circles", "factor", "1.0"]),
    (lambda: make_circles(factor=0), ValueError, ["make_circles", "factor", "0"]),
    (lambda: make_circles(factor=1.5), ValueError, ["make_circles", "factor", "1.5"]),
    (lambda: make_spirals(turns=0), ValueError, ["make_spirals", "turns", "0"]),
    (lambda: make_moons(seed=1.5), TypeError, ["make_moons", "seed", "1.5"]),
    (lambda: make_moons(seed=None), TypeError, ["make_moons", "seed", "None"]),
    (lambda: make_moons(labels=(1,)), ValueError, ["make_moons", "labels", "(1,)"]),
    (lambda: make_xor(labels=(1, 1)), ValueError, ["make_xor", "labels", "different", "(1, 1)"]),
    (lambda: make_circles(labels=("a", "b")), TypeError, ["make_circles", "labels", "'a'"]),
    (lambda: make_spirals(labels=(False, True)), TypeError, ["make_spirals", "labels", "bool"]),
    (lambda: make_moons(labels=5), TypeError, ["make_moons", "labels", "int"]),
    (lambda: make_blobs(centers=0), ValueError, ["make_blobs", "centers", "0"]),
    (lambda: make_blobs(centers=[]), ValueError, ["make_blobs", "centers"]),
    (lambda: make_blobs(centers=[(1, 2, 3)]), ValueError, ["make_blobs", "centers[0]", "(1, 2, 3)"]),
    (lambda: make_blobs(centers=[(1, "x")]), TypeError, ["make_blobs", "centers[0]", "'x'"]),
    (lambda: make_blobs(cluster_std=-1), ValueError, ["make_blobs", "cluster_std", "-1"]),
    (lambda: make_blobs(center_box=(5, -5)), ValueError, ["make_blobs", "center_box", "(5, -5)"]),
    (lambda: make_blobs(center_box=(1,)), ValueError, ["make_blobs", "center_box", "(1,)"]),
    (lambda: make_regression(n_features=3), ValueError, ["make_regression", "n_features", "3"]),
    (lambda: make_regression(n_features=1.0), TypeError, ["make_regression", "n_features", "1.0"]),
    (lambda: train_test_split(XY[0], XY[1][:9]), ValueError, ["train_test_split", "10", "9"]),
    (lambda: train_test_split([], []), ValueError, ["train_test_split", "empty"]),
    (lambda: train_test_split(*XY, test_size=0), ValueError, ["train_test_split", "test_size=0"]),
    (lambda: train_test_split(*XY, test_size=10), ValueError, ["train_test_split", "test_size=10"]),
    (lambda: train_test_split(*XY, test_size=-1), ValueError, ["train_test_split", "test_size=-1"]),
    (lambda: train_test_split(*XY, test_size=1.0), ValueError, ["train_test_split", "test_size", "1.0"]),
    (lambda: train_test_split(*XY, test_size=0.0), ValueError, ["train_test_split", "test_size", "0.0"]),
    (lambda: train_test_split(*XY, test_size=0.99), ValueError, ["train_test_split", "0.99", "10 test"]),
    (lambda: train_test_split(*XY, test_size="0.2"), TypeError, ["train_test_split", "test_size", "'0.2'"]),
    (lambda: train_test_split(*XY, test_size=True), TypeError, ["train_test_split", "test_size", "bool"]),
    (lambda: train_test_split([[1.0]], [0]), ValueError, ["train_test_split", "test_size"]),
    (lambda: train_test_split(*XY, shuffle="yes"), TypeError, ["train_test_split", "shuffle", "'yes'"]),
    (lambda: train_test_split(*XY, seed="0"), TypeError, ["train_test_split", "seed", "'0'"]),
    (lambda: batches(*XY, batch_size=0), ValueError, ["batches", "batch_size", "0"]),
    (lambda: batches(*XY, batch_size=2.0), TypeError, ["batches", "batch_size", "2.0"]),
    (lambda: batches(XY[0][:3], XY[1], 2), ValueError, ["batches", "3", "10"]),
    (lambda: batches([], [], 2), ValueError, ["batches", "empty"]),
    (lambda: batches([1.0, 2.0], [0, 1], 1), TypeError, ["batches", "X[0]", "[[x] for x in X]"]),
    (lambda: batches([[1.0, 2.0], [3.0]], [0, 1], 1), ValueError, ["batches", "X[1]", "1", "2"]),
    (lambda: batches([[1.0, "2"]], [0], 1), TypeError, ["batches", "X[0][1]", "'2'"]),
    (lambda: batches([[1.0, float("inf")]], [0], 1), ValueError, ["batches", "X[0][1]", "inf"]),
    (lambda: batches([[1.0]], [[0]], 1), TypeError, ["batches", "y[0]", "[0]"]),
    (lambda: batches([[1.0]], "a", 1), TypeError, ["batches", "y", "str"]),
    (lambda: batches([[1.0]], [0], 1, shuffle=1), TypeError, ["batches", "shuffle", "1"]),
]


@pytest.mark.parametrize("call, error, fragments", BAD_CALLS, ids=[f"{i}-{fragments[0]}-{fragments[1]}" for i, (_, _, fragments) in enumerate(BAD_CALLS)])
def test_bad_arguments_raise_helpful_errors(call, error, fragments):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
