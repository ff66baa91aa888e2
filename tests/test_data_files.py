"""Real data: `load_digits` (the shipped file), `load_idx` (IDX files) and `autodiff.tensor.data.batches`."""

from __future__ import annotations

import csv
import doctest
import fnmatch
import gzip
import hashlib
import io
import re
import shutil
import socket
import struct
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import autodiff.data_files
import autodiff.tensor.data
from autodiff.data import load_digits, load_idx
from autodiff.data_files import DIGITS_SHA256
from autodiff.tensor import Tensor
from autodiff.tensor.data import batches

ROOT = Path(__file__).resolve().parent.parent
DIGITS = ROOT / "autodiff" / "datasets" / "digits.csv.gz"


@pytest.mark.parametrize("module", [autodiff.data_files, autodiff.tensor.data], ids=lambda m: m.__name__)
def test_the_docstring_examples_run(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


# ----------------------------------------------------------------------
# load_digits
# ----------------------------------------------------------------------
def digits_from_the_file() -> tuple[list[list[int]], list[int]]:
    """The shipped file read with the csv module, independently of the loader."""
    with gzip.open(DIGITS, "rt", newline="") as file:
        rows = [[int(cell) for cell in row] for row in csv.reader(file)]
    return [row[:64] for row in rows], [row[64] for row in rows]


def test_digits_have_the_documented_shape_dtypes_and_ranges():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.flags.c_contiguous and y.flags.c_contiguous
    assert X.min() == 0 and X.max() == 16 and np.array_equal(X, np.round(X))
    assert set(y.tolist()) == set(range(10))


def test_every_class_has_about_180_images():
    counts = np.bincount(load_digits()[1])
    assert counts.tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]  # UCI's test set counts
    assert counts.sum() == 1797


def test_digits_are_the_files_numbers_in_the_files_order():
    pixels, classes = digits_from_the_file()
    X, y = load_digits()
    assert np.array_equal(X, np.array(pixels, dtype=float)) and y.tolist() == classes
    assert X[0].tolist() == pixels[0] and X[-1].tolist() == pixels[-1]
    assert y[:3].tolist() == classes[:3] and y[-1] == classes[-1]


def test_digits_in_float32():
    X32, y = load_digits(dtype=np.float32)
    X64, _ = load_digits()
    assert X32.dtype == np.float32 and y.dtype == np.int64
    assert np.array_equal(X32, X64)  # small whole numbers: exact in float32
    assert load_digits("float32")[0].dtype == np.float32


@pytest.mark.parametrize("dtype", [np.int64, "float16", None, "nonsense", 3])
def test_digits_refuse_other_dtypes(dtype):
    with pytest.raises(TypeError, match=r"load_digits: dtype must be float64 or float32"):
        load_digits(dtype)


def test_each_call_returns_new_arrays():
    X, y = load_digits()
    X[:] = -1.0
    y[:] = -1
    X_again, y_again = load_digits()
    assert X_again.min() == 0 and y_again.min() == 0


def test_the_checksum_is_the_files_and_the_readmes():
    assert hashlib.sha256(DIGITS.read_bytes()).hexdigest() == DIGITS_SHA256
    assert DIGITS_SHA256 in (DIGITS.parent / "README.md").read_text(encoding="utf-8")


@pytest.fixture
def digits_copy(tmp_path, monkeypatch) -> Path:
    """A copy of the digits file, which load_digits now reads instead of the shipped one."""
    copy = tmp_path / "digits.csv.gz"
    shutil.copyfile(DIGITS, copy)
    monkeypatch.setattr(autodiff.data_files, "_DIGITS_FILE", copy)
    return copy


def test_the_copy_loads_as_the_original(digits_copy):
    assert np.array_equal(load_digits()[0], np.array(digits_from_the_file()[0]))


def test_a_damaged_digits_file_is_refused(digits_copy):
    content = bytearray(digits_copy.read_bytes())
    content[1000] ^= 0x01  # one bit
    digits_copy.write_bytes(bytes(content))
    with pytest.raises(ValueError, match=r"load_digits: the data file .* is damaged: its SHA-256 is") as info:
        load_digits()
    assert str(digits_copy) in str(info.value) and "restore it" in str(info.value)


def test_a_missing_digits_file_says_how_to_restore_it(digits_copy):
    digits_copy.unlink()
    with pytest.raises(FileNotFoundError, match=r"load_digits: the data file .* is missing.*restore it"):
        load_digits()


@pytest.mark.parametrize("text, problem", [
    ("1,2,3\n4,5,6\n", r"shape \(2, 3\); expected 1797 rows of 64 pixels and a class"),
    ("\n".join(",".join(["17"] * 64 + ["3"]) for _ in range(1797)), r"pixels from 17 to 17; expected 0 to 16"),
    ("\n".join(",".join(["0"] * 64 + ["10"]) for _ in range(1797)), r"classes from 10 to 10; expected 0 to 9"),
    ("1,2,x\n", r"is not a gzip-compressed CSV of integers"),
], ids=["shape", "pixel range", "class range", "not numbers"])
def test_the_parsed_table_is_checked_too(digits_copy, monkeypatch, text, problem):
    # A file with the right checksum cannot be wrong; fake the checksum to reach the checks after it.
    content = gzip.compress(text.encode())
    digits_copy.write_bytes(content)
    monkeypatch.setattr(autodiff.data_files, "DIGITS_SHA256", hashlib.sha256(content).hexdigest())
    with pytest.raises(ValueError, match=problem):
        load_digits()


def test_the_digits_file_ships_with_the_package():
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    shipped = [path for path in ("datasets/digits.csv.gz", "datasets/README.md")
               if any(fnmatch.fnmatch(path, pattern) for pattern in package_data["autodiff"])]
    assert shipped == ["datasets/digits.csv.gz", "datasets/README.md"]


# ----------------------------------------------------------------------
# load_idx
# ----------------------------------------------------------------------
TYPE_BYTES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def idx_bytes(array: np.ndarray, type_byte: int | None = None) -> bytes:
    """``array`` in the IDX format: magic number, big-endian sizes, big-endian numbers."""
    type_byte = TYPE_BYTES[array.dtype.type] if type_byte is None else type_byte
    header = bytes([0, 0, type_byte, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def sample(dtype, shape) -> np.ndarray:
    """Numbers that use the dtype's sign and size, so a byte-order mistake would show."""
    values = np.arange(np.prod(shape)).reshape(shape)
    if np.issubdtype(dtype, np.floating):
        return (values * -1.5 + 0.25).astype(dtype)
    return (values * 37 - (20 if np.issubdtype(dtype, np.signedinteger) else 0)).astype(dtype)


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4), (2, 1, 3, 2)], ids=lambda s: f"{len(s)}-D")
@pytest.mark.parametrize("dtype", list(TYPE_BYTES), ids=lambda t: t.__name__)
def test_idx_files_read_back_as_written(tmp_path, dtype, shape, compress):
    expected = sample(dtype, shape)
    content = idx_bytes(expected)
    path = tmp_path / "data.idx"  # no .gz: gzip is recognised by content
    path.write_bytes(gzip.compress(content) if compress else content)
    array = load_idx(path)
    assert array.dtype == np.dtype(dtype) and array.dtype.isnative
    assert array.shape == shape and np.array_equal(array, expected)
    assert array.flags.writeable


def test_idx_accepts_a_str_path_and_empty_arrays(tmp_path):
    path = tmp_path / "empty.idx"
    path.write_bytes(idx_bytes(np.zeros((0, 28, 28), np.uint8)))
    assert load_idx(str(path)).shape == (0, 28, 28)


def test_idx_reads_nothing_from_the_network(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("load_idx opened a socket")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    with pytest.raises(FileNotFoundError, match="load_idx: there is no file https://"):
        load_idx("https://example.com/train-images-idx3-ubyte.gz")
    path = tmp_path / "labels.idx"
    path.write_bytes(gzip.compress(idx_bytes(np.array([5, 0, 4], np.uint8))))
    assert load_idx(path).tolist() == [5, 0, 4]


GOOD = idx_bytes(np.arange(6, dtype=np.int16).reshape(2, 3))


@pytest.mark.parametrize("content, problem", [
    (b"\x00\x00\x08", r"has 3 bytes, too few for an IDX file"),
    (b"\x01\x00" + GOOD[2:], r"is not an IDX file: its magic number must start with two zero bytes, "
                             r"but the file starts with 01 00 0b 02"),
    (b"\x00\x00\x0a" + GOOD[3:], r"has the type byte 0x0A, which is not an IDX type; the types are 0x08 \(uint8\)"),
    (bytes([0, 0, 0x08, 9]) + b"\x00\x00\x00\x01" * 9 + b"\x00", r"says it has 9 dimensions; load_idx reads 1 to 8"),
    (bytes([0, 0, 0x08, 0]), r"says it has 0 dimensions"),
    (GOOD[:10], r"is truncated: its header needs 12 bytes for 2 sizes, but the file has 10"),
    (GOOD[:-1], r"is truncated: its header announces int16 numbers of shape \(2, 3\), 12 bytes, "
                r"and 11 bytes follow it"),
    (GOOD + b"\x00\x00\x00", r"has 3 bytes of extra data: its header announces int16 numbers of shape \(2, 3\)"),
    (bytes([0, 0, 0x0E, 3]) + struct.pack(">3I", 2**31, 2**31, 2**31) + b"\x00" * 8,
     r"is truncated: its header announces float64 numbers of shape \(2147483648, 2147483648, 2147483648\)"),
], ids=["no header", "bad magic", "wrong type byte", "too many dims", "no dims", "truncated header",
        "truncated data", "extra data", "huge sizes"])
@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_idx_refuses_a_file_that_disagrees_with_the_format(tmp_path, content, problem, compress):
    path = tmp_path / "bad.idx"
    path.write_bytes(gzip.compress(content) if compress else content)
    with pytest.raises(ValueError, match=problem) as info:
        load_idx(path)
    assert str(info.value).startswith(f"load_idx: {path} ")


def test_idx_refuses_a_file_over_the_cap_before_reading_it(tmp_path, monkeypatch):
    path = tmp_path / "big.idx"
    path.write_bytes(GOOD)
    monkeypatch.setattr(autodiff.data_files, "MAX_IDX_BYTES", len(GOOD) - 1)
    monkeypatch.setattr(autodiff.data_files, "open", lambda *args: pytest.fail("the file was opened"), raising=False)
    with pytest.raises(ValueError, match=rf"load_idx: {re.escape(str(path))} has 24 bytes, more than the 23 it reads"):
        load_idx(path)


def test_idx_stops_decompressing_past_the_cap(tmp_path, monkeypatch):
    path = tmp_path / "bomb.idx.gz"
    content = idx_bytes(np.zeros((1000, 1000), np.uint8))  # a million zeros compress to 1 KB
    path.write_bytes(gzip.compress(content))
    monkeypatch.setattr(autodiff.data_files, "MAX_IDX_BYTES", 50_000)
    monkeypatch.setattr(autodiff.data_files, "_CHUNK", 4096)
    assert path.stat().st_size < 50_000
    with pytest.raises(ValueError, match=rf"load_idx: {re.escape(str(path))} decompresses to more than 50,000 bytes"):
        load_idx(path)


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_idx_of_exactly_the_cap_is_read(tmp_path, monkeypatch, compress):
    content = idx_bytes(np.zeros((100, 100), np.uint8))
    path = tmp_path / "exact.idx"
    path.write_bytes(gzip.compress(content) if compress else content)
    monkeypatch.setattr(autodiff.data_files, "MAX_IDX_BYTES", len(content))
    monkeypatch.setattr(autodiff.data_files, "_CHUNK", 1000)
    assert load_idx(path).shape == (100, 100)


@pytest.mark.parametrize("damage", [
    lambda gz: gz[:-6],  # truncated stream
    lambda gz: gz[:12] + bytes(b ^ 0xFF for b in gz[12:20]) + gz[20:],  # corrupt deflate data
    lambda gz: gz[:2] + b"\x07" + gz[3:],  # compression method 7: gzip only knows 8, deflate
], ids=["truncated", "corrupt", "unknown method"])
def test_idx_refuses_a_broken_gzip_file(tmp_path, damage):
    path = tmp_path / "broken.idx.gz"
    path.write_bytes(damage(gzip.compress(GOOD)))
    with pytest.raises(ValueError, match=rf"load_idx: {re.escape(str(path))} starts as a gzip file does, but it cannot be decompressed"):
        load_idx(path)


def test_idx_refuses_a_directory_and_a_missing_file(tmp_path):
    with pytest.raises(IsADirectoryError, match=rf"load_idx: {re.escape(str(tmp_path))} is a directory, not an IDX file"):
        load_idx(tmp_path)
    missing = re.escape(str(tmp_path / "nothing.idx"))
    with pytest.raises(FileNotFoundError, match=rf"load_idx: there is no file {missing}$"):
        load_idx(tmp_path / "nothing.idx")


@pytest.mark.parametrize("path", [None, 3, ["a.idx"], io.BytesIO(GOOD)], ids=["None", "int", "list", "BytesIO"])
def test_idx_refuses_what_is_not_a_path(path):
    with pytest.raises(TypeError, match=r"load_idx: path must be a str or a path, got"):
        load_idx(path)


# ----------------------------------------------------------------------
# autodiff.tensor.data.batches
# ----------------------------------------------------------------------
def dataset(n=10, features=3):
    X = np.arange(n * features, dtype=np.float64).reshape(n, features)
    return X, np.arange(n) % 4


def test_batches_are_tensors_without_gradient_and_labels_as_given():
    X, y = dataset()
    X_batch, y_batch = next(batches(X, y, 4))
    assert isinstance(X_batch, Tensor) and X_batch.requires_grad is False
    assert isinstance(y_batch, np.ndarray) and y_batch.dtype == y.dtype


def test_without_shuffle_the_batches_are_the_data_in_order():
    X, y = dataset()
    pairs = list(batches(X, y, 4))
    assert [len(y_batch) for _, y_batch in pairs] == [4, 4, 2]  # the last batch is what is left
    assert [X_batch.shape for X_batch, _ in pairs] == [(4, 3), (4, 3), (2, 3)]
    assert np.array_equal(np.concatenate([X_batch.data for X_batch, _ in pairs]), X)
    assert np.array_equal(np.concatenate([y_batch for _, y_batch in pairs]), y)


@pytest.mark.parametrize("size, sizes", [(1, [1] * 10), (5, [5, 5]), (10, [10]), (64, [10])])
def test_batch_sizes(size, sizes):
    assert [len(y_batch) for _, y_batch in batches(*dataset(), size)] == sizes


def shuffled_order(seed: int, n: int = 10) -> list[int]:
    """The epoch's order, read off labels that are the sample indices."""
    X, _ = dataset(n)
    return np.concatenate([y_batch for _, y_batch in batches(X, np.arange(n), 3, shuffle=True, seed=seed)]).tolist()


def test_shuffle_is_numpys_permutation_of_the_seed_and_keeps_rows_with_labels():
    X, y = dataset()
    pairs = list(batches(X, y, 3, shuffle=True, seed=7))
    order = np.random.default_rng(7).permutation(10)
    assert np.array_equal(np.concatenate([X_batch.data for X_batch, _ in pairs]), X[order])
    assert np.array_equal(np.concatenate([y_batch for _, y_batch in pairs]), y[order])
    assert sorted(shuffled_order(7)) == list(range(10)) and shuffled_order(7) != list(range(10))


def test_the_same_seed_gives_the_same_order_and_another_seed_another():
    assert shuffled_order(3, 50) == shuffled_order(3, 50)
    assert shuffled_order(3, 50) != shuffled_order(4, 50)


def test_the_same_seed_gives_the_same_order_in_another_process():
    code = ("import numpy as np; from autodiff.tensor.data import batches; "
            "print([int(i) for _, y in batches(np.zeros((50, 2)), np.arange(50), 3, shuffle=True, seed=3) for i in y])")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == str(shuffled_order(3, 50))


@pytest.mark.parametrize("X_dtype, dtype, expected", [
    (np.float64, None, np.float64), (np.float32, None, np.float32), (np.int64, None, np.float64),
    (np.uint8, None, np.float64), (np.float64, np.float32, np.float32), (np.float32, "float64", np.float64),
])
def test_batch_dtypes(X_dtype, dtype, expected):
    X, y = dataset()
    X_batch, _ = next(batches(X.astype(X_dtype), y, 4, dtype=dtype))
    assert X_batch.dtype == expected


def test_batches_accept_lists_images_and_rows_of_targets():
    X_batch, y_batch = next(batches([[1, 2], [3, 4]], [[0.5, 1.0], [1.5, 2.0]], 2))
    assert X_batch.data.tolist() == [[1.0, 2.0], [3.0, 4.0]] and y_batch.shape == (2, 2)
    images, labels = np.zeros((5, 8, 8)), np.arange(5)
    assert next(batches(images, labels, 2))[0].shape == (2, 8, 8)


def test_batches_of_the_digits():
    X, y = load_digits()
    sizes = [len(y_batch) for _, y_batch in batches(X / 16, y, 256, shuffle=True)]
    assert sizes == [256] * 7 + [5]


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(batch_size=0), ValueError, r"batches: batch_size must be a positive int, got 0"),
    (dict(batch_size=2.0), TypeError, r"batches: batch_size must be a positive int, got float 2.0"),
    (dict(batch_size=True), TypeError, r"batches: batch_size must be a positive int, got bool True"),
    (dict(shuffle=1), TypeError, r"batches: shuffle must be True or False, got int 1"),
    (dict(seed=1.5), TypeError, r"batches: seed must be an int, got float 1.5"),
    (dict(seed=-1), ValueError, r"batches: seed must be >= 0 .*got -1"),
    (dict(dtype=np.int32), TypeError, r"batches: dtype must be float64 or float32, got int32"),
    (dict(dtype="nonsense"), TypeError, r"batches: dtype must be float64 or float32, got 'nonsense'"),
    (dict(X=np.zeros((10, 2)), y=np.zeros(9)), ValueError, r"batches: X has 10 rows but y has 9 labels"),
    (dict(X=np.zeros((0, 2)), y=np.zeros(0)), ValueError, r"batches: the dataset is empty"),
    (dict(X=np.zeros(10)), ValueError, r"batches: X must hold one sample per row .* got shape \(10,\)"),
    (dict(X=np.full((10, 2), np.nan)), ValueError, r"batches: X: expected finite numbers"),
    (dict(X="abc"), TypeError, r"batches: X: expected numbers"),
    (dict(y=np.array(["a"] * 10)), TypeError, r"batches: y must hold numbers .* got an array of <U1"),
    (dict(y=5), ValueError, r"batches: y must hold one label per sample, got the single value 5"),
    (dict(y=[[1], [1, 2]] * 5), ValueError, r"batches: y is not a regular array of labels"),
])
def test_batches_check_their_arguments_at_once(kwargs, error, message):
    X, y = dataset()
    arguments = dict(X=X, y=y, batch_size=4) | kwargs
    with pytest.raises(error, match=message):
        batches(**arguments)  # no next(): the call itself raises
