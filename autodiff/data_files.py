"""Real data read from files: the handwritten digits shipped with the kit, and IDX files.

The toy datasets of `autodiff.data` are drawn from a formula; these are
real measurements, returned as numpy arrays:

===============  ============================================================
``load_digits``  the 1,797 8×8 handwritten digits of the UCI "Optical
                 Recognition of Handwritten Digits" test set, the set that
                 scikit-learn's ``load_digits`` returns. The file ships in
                 ``autodiff/datasets/`` (its source, licence and checksum are
                 in the README.md there), so it loads offline.
``load_idx``     an array stored in the IDX format of MNIST and
                 Fashion-MNIST, plain or gzip-compressed, from a file you
                 downloaded yourself.
===============  ============================================================

A file comes from outside the program, so neither reader trusts it: the
digits file must have the published SHA-256 before it is parsed, and an IDX
file must be under a size cap and agree with its own header. A file that is
damaged, truncated, too large or of another format raises an error naming
the file and saying what is wrong, instead of giving wrong numbers or
filling the memory.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import math
import os
import stat
import struct
import zlib
from pathlib import Path
from typing import Any, BinaryIO, Union

import numpy as np

from .arguments import short_repr, type_and_value

__all__ = ["load_digits", "load_idx", "float_dtype", "DIGITS_SHA256", "MAX_IDX_BYTES", "MAX_IDX_DIMS"]

PathLike = Union[str, os.PathLike]

FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def float_dtype(value: Any, what: str) -> np.dtype:
    """``value`` (``np.float32``, ``"float32"``, ``float``...) as numpy's float64 or float32 dtype."""
    try:
        dtype = None if value is None else np.dtype(value)  # np.dtype(None) would be float64
    except (TypeError, ValueError):
        dtype = None
    if dtype is None or dtype not in FLOAT_DTYPES:
        shown = short_repr(value) if dtype is None else str(dtype)
        raise TypeError(f"{what} must be float64 or float32, got {shown}")
    return dtype


# ----------------------------------------------------------------------
# The digits shipped with the kit
# ----------------------------------------------------------------------
DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
_DIGITS_FILE = Path(__file__).resolve().parent / "datasets" / "digits.csv.gz"  # tests point it at a copy
_DIGITS_ROWS, _PIXELS, _MAX_PIXEL, _CLASSES = 1797, 64, 16, 10
_RESTORE = ("it ships with autodiff-kit: restore it with `git checkout -- autodiff/datasets` "
            "in a clone of the kit, or reinstall the package")


def load_digits(dtype: Any = np.float64) -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 handwritten digits as ``(X, y)``: 8×8 images and their classes.

    ``X`` has shape (1797, 64), one image per row, its 8 rows of 8 pixels one
    after the other: ``X[i].reshape(8, 8)`` is the picture. A pixel counts
    the inked dots in a 4×4 block of a 32×32 scan, so it is a whole number
    from 0 (blank) to 16 (all ink), stored as ``dtype`` (float64 or float32).
    ``y`` holds the classes 0 to 9 as int64, in the file's order; each class
    has between 174 and 183 images. Divide by 16 to train: ``X / 16`` puts
    the pixels in [0, 1].

    The images are the test set of the UCI "Optical Recognition of
    Handwritten Digits" by E. Alpaydin and C. Kaynak (1998), under the
    CC BY 4.0 licence, as scikit-learn distributes it; see
    ``autodiff/datasets/README.md``. They are read from the file shipped
    with the kit, never downloaded. The file's SHA-256 is checked before it
    is parsed, and the parsed table's shape and ranges after: a damaged file
    raises a ValueError and a missing one a FileNotFoundError, each saying
    how to restore it. Each call reads the 57 KB file afresh and returns new
    arrays, so changing them cannot change the next call's.

    >>> X, y = load_digits()
    >>> X.shape, X.dtype, y.shape, y.dtype
    ((1797, 64), dtype('float64'), (1797,), dtype('int64'))
    >>> int(X.min()), int(X.max()), sorted(set(y.tolist())) == list(range(10))
    (0, 16, True)
    """
    dtype = float_dtype(dtype, "load_digits: dtype")
    path = _DIGITS_FILE
    table = _digits_table(_verified_content(path), path)
    return table[:, :_PIXELS].astype(dtype), table[:, _PIXELS].copy()


def _verified_content(path: Path) -> bytes:
    """The file's bytes, if their SHA-256 is the published one."""
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"load_digits: the data file {path} is missing; {_RESTORE}") from None
    digest = hashlib.sha256(content).hexdigest()
    if digest != DIGITS_SHA256:
        raise ValueError(f"load_digits: the data file {path} is damaged: its SHA-256 is {digest}, "
                         f"not {DIGITS_SHA256}; {_RESTORE}")
    return content


def _digits_table(content: bytes, path: Path) -> np.ndarray:
    """The gzip-compressed CSV as an int array, checked: 1797 rows of 64 pixels 0..16 and a class 0..9."""
    try:
        table = np.loadtxt(io.BytesIO(gzip.decompress(content)), delimiter=",", dtype=np.int64, ndmin=2)
    except (gzip.BadGzipFile, EOFError, zlib.error, ValueError) as error:
        raise ValueError(f"load_digits: {path} is not a gzip-compressed CSV of integers ({error})") from None
    if table.shape != (_DIGITS_ROWS, _PIXELS + 1):
        raise ValueError(f"load_digits: {path} holds a table of shape {table.shape}; expected "
                         f"{_DIGITS_ROWS} rows of {_PIXELS} pixels and a class")
    _check_range(table[:, :_PIXELS], 0, _MAX_PIXEL, "pixels", path)
    _check_range(table[:, _PIXELS], 0, _CLASSES - 1, "classes", path)
    return table


def _check_range(values: np.ndarray, low: int, high: int, what: str, path: Path) -> None:
    if values.min() < low or values.max() > high:
        raise ValueError(f"load_digits: {path} has {what} from {values.min()} to {values.max()}; "
                         f"expected {low} to {high}")


# ----------------------------------------------------------------------
# IDX files (MNIST's format)
# ----------------------------------------------------------------------
MAX_IDX_BYTES = 512 * 2**20  # 512 MiB: the largest file, and the most decompressed data, load_idx reads
MAX_IDX_DIMS = 8  # the most dimensions load_idx accepts (MNIST's images have 3)

# The type byte of the magic number, and the (big-endian) numbers it announces.
IDX_TYPES = {
    0x08: np.dtype(">u1"),  # unsigned byte
    0x09: np.dtype(">i1"),  # signed byte
    0x0B: np.dtype(">i2"),  # short, 2 bytes
    0x0C: np.dtype(">i4"),  # int, 4 bytes
    0x0D: np.dtype(">f4"),  # float, 4 bytes
    0x0E: np.dtype(">f8"),  # double, 8 bytes
}
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 2**20  # read 1 MiB at a time, so the cap is enforced before much more is in memory


def load_idx(path: PathLike) -> np.ndarray:
    """The array stored in an IDX file, the format of MNIST and Fashion-MNIST.

    An IDX file is a header, then the numbers:

    * 4 bytes of magic number: two zero bytes, the type of the numbers, and
      the number of dimensions ``d``;
    * ``d`` sizes, each a 4-byte big-endian unsigned int;
    * the numbers, big-endian, in C order (the last index changes fastest).

    =========  ===============  ====================
    type byte  numbers          dtype returned
    =========  ===============  ====================
    0x08       unsigned byte    uint8 (MNIST pixels)
    0x09       signed byte      int8
    0x0B       short, 2 bytes   int16
    0x0C       int, 4 bytes     int32
    0x0D       float, 4 bytes   float32
    0x0E       double, 8 bytes  float64
    =========  ===============  ====================

    MNIST's ``train-images-idx3-ubyte`` holds a (60000, 28, 28) uint8 array
    and ``train-labels-idx1-ubyte`` a (60000,) one. A gzip-compressed file
    (such as ``train-images-idx3-ubyte.gz``) is decompressed on the fly; it
    is recognised by its first bytes, whatever its name. The array returned
    is a new one, in the machine's byte order.

    ``load_idx`` reads the file at ``path`` and nothing else: it never
    downloads anything, even when given a URL. Fetch the files yourself.

    The file is checked before it is trusted. It is refused, with an error
    naming it, if it is larger than ``MAX_IDX_BYTES`` (512 MiB, checked
    before reading) or decompresses to more than that (checked as it is
    decompressed), if its magic number or type byte is not IDX's, if it has
    more than ``MAX_IDX_DIMS`` (8) dimensions, or if the data that follows
    the header is shorter or longer than the sizes say. These are
    ValueErrors; a path that is not a str or a path is a TypeError, a
    missing file a FileNotFoundError and a directory an IsADirectoryError.
    """
    name = _file_name(path, "load_idx")
    return _parse_idx(_idx_content(name), name)


def _file_name(path: Any, fn: str) -> str:
    try:
        return os.fsdecode(os.fspath(path))
    except TypeError:
        raise TypeError(f"{fn}: path must be a str or a path, got {type_and_value(path)}") from None


def _idx_content(name: str) -> bytearray:
    """The file's bytes, decompressed if it is gzip; never more than MAX_IDX_BYTES of them."""
    _check_file(name)
    with open(name, "rb") as file:
        compressed = file.read(len(_GZIP_MAGIC)) == _GZIP_MAGIC
        file.seek(0)
        if not compressed:
            return _read_at_most(file, f"load_idx: {name} is larger than")
        try:
            with gzip.GzipFile(fileobj=file) as stream:
                return _read_at_most(stream, f"load_idx: {name} decompresses to more than")
        except (gzip.BadGzipFile, EOFError, zlib.error) as error:
            raise ValueError(f"load_idx: {name} starts as a gzip file does, "
                             f"but it cannot be decompressed ({error})") from None


def _check_file(name: str) -> None:
    """Refuse what is not a regular file of at most MAX_IDX_BYTES, before reading any of it."""
    try:
        info = os.stat(name)
    except FileNotFoundError:
        raise FileNotFoundError(f"load_idx: there is no file {name}") from None
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(f"load_idx: {name} is a directory, not an IDX file")
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"load_idx: {name} is not a regular file (a device or a pipe has no size to check)")
    if info.st_size > MAX_IDX_BYTES:
        raise ValueError(f"load_idx: {name} has {info.st_size:,} bytes, more than the "
                         f"{MAX_IDX_BYTES:,} it reads (MAX_IDX_BYTES)")


def _read_at_most(stream: BinaryIO, too_large: str) -> bytearray:
    """All of ``stream``, a chunk at a time; stops with an error once past MAX_IDX_BYTES."""
    content = bytearray()
    while chunk := stream.read(_CHUNK):
        content += chunk
        if len(content) > MAX_IDX_BYTES:
            raise ValueError(f"{too_large} {MAX_IDX_BYTES:,} bytes, the most it reads (MAX_IDX_BYTES)")
    return content


def _parse_idx(content: bytearray, name: str) -> np.ndarray:
    """The header read and checked against the data, then the data as an array."""
    if len(content) < 4:
        raise ValueError(f"load_idx: {name} has {len(content)} bytes, too few for an IDX file "
                         f"(its magic number alone has 4)")
    zero, also_zero, type_byte, ndim = content[:4]
    if zero or also_zero:
        raise ValueError(f"load_idx: {name} is not an IDX file: its magic number must start with "
                         f"two zero bytes, but the file starts with {content[:4].hex(' ')}")
    if type_byte not in IDX_TYPES:
        known = ", ".join(f"0x{code:02X} ({dtype.name})" for code, dtype in IDX_TYPES.items())
        raise ValueError(f"load_idx: {name} has the type byte 0x{type_byte:02X}, which is not an IDX "
                         f"type; the types are {known}")
    if not 1 <= ndim <= MAX_IDX_DIMS:
        raise ValueError(f"load_idx: {name} says it has {ndim} dimensions; "
                         f"load_idx reads 1 to {MAX_IDX_DIMS} (MAX_IDX_DIMS)")
    header = 4 + 4 * ndim
    if len(content) < header:
        raise ValueError(f"load_idx: {name} is truncated: its header needs {header} bytes for "
                         f"{ndim} sizes, but the file has {len(content)}")
    shape = struct.unpack_from(f">{ndim}I", content, 4)
    dtype = IDX_TYPES[type_byte]
    count = math.prod(shape)
    needed, found = count * dtype.itemsize, len(content) - header
    if found != needed:
        problem = "is truncated" if found < needed else f"has {found - needed:,} bytes of extra data"
        raise ValueError(f"load_idx: {name} {problem}: its header announces {dtype.name} numbers of "
                         f"shape {shape}, {needed:,} bytes, and {found:,} bytes follow it")
    values = np.frombuffer(content, dtype, count=count, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))
