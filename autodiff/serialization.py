"""Saving and loading a model's parameters as JSON (never pickle).

JSON holds only numbers and names, so loading a file cannot run code, and
the file can be read by eye. Python writes floats with enough digits to
read them back exactly.

Saving is atomic: `save` writes a temporary file next to the target,
flushes it to the disk, then renames it over the target in one step. A
save that fails or is killed midway leaves the old file as it was (a
killed one may leave its temporary file, ``.<name>.<random>.tmp``, behind).

Loading trusts nothing in the file: `load` checks the file's size before
reading it and its nesting before parsing it, against what a saved state of
*this* model could hold, and refuses the rest with a ValueError that names
the file (see `load` for the limits).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
from typing import Any, Union

from .arguments import type_and_value
from .nn import Module
from .tensor import Tensor

__all__ = ["save", "load", "max_state_bytes", "max_state_depth"]

FORMAT = "autodiff-kit state_dict"
VERSION = 1

PathLike = Union[str, "os.PathLike[str]"]

# The size a state file may have: a fixed allowance for the names and the
# layout, plus this many bytes per number. `save` writes a number in at most
# ~40 bytes (24 characters, a comma, a newline and the indentation), so a
# file twice as spacious as that still loads.
BYTES_ALLOWED = 2**20
BYTES_PER_NUMBER = 128
MAX_INT_DIGITS = 309  # the digits of the largest float, 1.8e308: a longer integer cannot be a parameter


def _file_name(path: Any, fn: str) -> str:
    """``path`` as a str, or a TypeError; an int (a file descriptor to open()) is refused too."""
    try:
        return os.fsdecode(os.fspath(path))
    except TypeError:
        raise TypeError(f"{fn}: path must be a str or a path, got {type_and_value(path)}") from None


def save(model: Module, path: PathLike) -> None:
    """Write ``model.state_dict()`` to ``path`` as JSON, atomically.

    The JSON goes to a temporary file in the same folder, which is flushed
    and fsync'ed, then renamed over ``path`` (`os.replace`): at every moment
    ``path`` holds either the old file or the whole new one. The new file
    keeps the old one's permissions (a new file gets the usual ones, 0o666
    less the umask).

    A ``path`` that is a symbolic link is followed: the file it points to is
    replaced, in that file's folder, and the link stays a link to it, as
    ``open(path, "w")`` would have it.
    """
    if not isinstance(model, Module):
        raise TypeError(f"save: expected an autodiff.nn.Module, got {type(model).__name__}")
    name = _file_name(path, "save")
    document = {"format": FORMAT, "version": VERSION, "state": model.state_dict()}
    target = os.path.realpath(name)  # through any symlinks: the file to replace
    folder, base = os.path.split(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"save: there is no folder {folder} to write {name} in")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    temporary, fd = _create_temporary(folder, base)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(document, f, indent=1)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:  # (KeyboardInterrupt too: no half-written file is left behind)
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    _sync_folder(folder)


def _create_temporary(folder: str, base: str) -> tuple[str, int]:
    """A new file ``.<base>.<random>.tmp`` in ``folder``, created with the usual permissions."""
    while True:
        temporary = os.path.join(folder, f".{base}.{secrets.token_hex(4)}.tmp")
        try:
            return temporary, os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue


def _sync_folder(folder: str) -> None:
    """Flush the rename itself to the disk, where the system allows it (not on Windows)."""
    try:
        fd = os.open(folder or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ----------------------------------------------------------------------
# Loading
# ----------------------------------------------------------------------
def max_state_depth(model: Module) -> int:
    """How deeply a saved state of ``model`` nests: the document, the state, then its deepest parameter."""
    deepest = 0
    for _, tree in model.named_tensors():
        if isinstance(tree, Tensor):
            depth = tree.data.ndim
        else:
            depth = 0
            while isinstance(tree, (list, tuple)):
                depth, tree = depth + 1, tree[0]
        deepest = max(deepest, depth)
    return 2 + deepest


def max_state_bytes(model: Module) -> int:
    """The largest state file `load` reads for ``model``: 1 MiB plus 128 bytes per number."""
    count = sum(p.data.size if isinstance(p, Tensor) else 1 for p in model.parameters())
    return BYTES_ALLOWED + BYTES_PER_NUMBER * count


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _nesting(raw: bytes) -> int:
    """How deeply the JSON text ``raw`` nests ``[`` and ``{`` (outside strings), without parsing it."""
    import numpy as np

    brackets = np.frombuffer(_STRING.sub(b"", raw), dtype=np.uint8)
    steps = np.zeros(len(brackets), dtype=np.int64)
    steps[(brackets == ord("[")) | (brackets == ord("{"))] = 1
    steps[(brackets == ord("]")) | (brackets == ord("}"))] = -1
    return int(np.cumsum(steps).max(initial=0))


def load(model: Module, path: PathLike) -> Module:
    """Set ``model``'s parameters from a file written by `save`; returns the model.

    A file that is not valid JSON or not a saved state, a missing or extra
    parameter, a wrong shape or a non-number raises a ValueError or
    TypeError that names it, and leaves the model unchanged.

    The limits, each checked before the step it protects:

    * the file's size, before reading it: at most 1 MiB plus 128 bytes per
      number of the model (`max_state_bytes`; `save` writes under 40 bytes
      a number), so a huge file is refused at once, not after parsing it;
    * its nesting, before parsing it: no deeper than a state of this model
      (`max_state_depth`: the document, the state, then the parameters'
      own nesting: 4 levels for a weight matrix);
    * an integer of more than 309 digits (no float is that large).

    Each raises a ValueError naming ``load``, the file and the value.
    """
    if not isinstance(model, Module):
        raise TypeError(f"load: expected an autodiff.nn.Module, got {type(model).__name__}")
    name = _file_name(path, "load")
    limit = max_state_bytes(model)
    with open(name, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > limit:
            raise ValueError(f"load: {name} has {size:,} bytes, more than a saved state of this model "
                             f"could hold ({limit:,}: 1 MiB plus {BYTES_PER_NUMBER} bytes per number)")
        raw = f.read(limit + 1)  # (a pipe or a device reports no size: stop reading past the limit)
    if len(raw) > limit:
        raise ValueError(f"load: {name} has more than {limit:,} bytes, more than a saved state of this "
                         f"model could hold (1 MiB plus {BYTES_PER_NUMBER} bytes per number)")
    depth, deepest = _nesting(raw), max_state_depth(model)
    if depth > deepest:
        raise ValueError(f"load: {name} nests {depth} levels deep; a saved state of this model "
                         f"nests at most {deepest}")
    try:
        document = json.loads(raw.decode("utf-8"), parse_int=lambda text: _integer(text, name))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"load: {name} is not valid JSON ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT or "state" not in document:
        raise ValueError(f"load: {name} is not a model saved by autodiff.save")
    if document.get("version") != VERSION:
        raise ValueError(f"load: {name} has version {document.get('version')!r}; "
                         f"this version of autodiff reads version {VERSION}")
    model.load_state_dict(document["state"])
    return model


def _integer(text: str, name: str) -> int:
    """An integer of the file, unless it has more digits than any float (Python refuses 4,300 anyway)."""
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise ValueError(f"load: {name} holds an integer of {digits} digits ({text[:12]}…); "
                         f"a float has at most {MAX_INT_DIGITS}")
    return int(text)
