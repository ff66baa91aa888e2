"""Saving and loading a model's parameters as JSON (never pickle).

JSON holds only numbers and names, so loading a file cannot run code, and
the file can be read by eye. Python writes floats with enough digits to
read them back exactly.
"""

from __future__ import annotations

import json
import os
from typing import Union

from .nn import Module

__all__ = ["save", "load"]

FORMAT = "autodiff-kit state_dict"
VERSION = 1

PathLike = Union[str, "os.PathLike[str]"]


def save(model: Module, path: PathLike) -> None:
    """Write ``model.state_dict()`` to ``path`` as JSON."""
    if not isinstance(model, Module):
        raise TypeError(f"save: expected an autodiff.nn.Module, got {type(model).__name__}")
    document = {"format": FORMAT, "version": VERSION, "state": model.state_dict()}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=1)
        f.write("\n")


def load(model: Module, path: PathLike) -> Module:
    """Set ``model``'s parameters from a file written by `save`; returns the model.

    A file that is not valid JSON or not a saved state, a missing or extra
    parameter, a wrong shape or a non-number raises a ValueError or
    TypeError that names it, and leaves the model unchanged.
    """
    if not isinstance(model, Module):
        raise TypeError(f"load: expected an autodiff.nn.Module, got {type(model).__name__}")
    with open(path, "rb") as f:
        raw = f.read()
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"load: {os.fspath(path)} is not valid JSON ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT or "state" not in document:
        raise ValueError(f"load: {os.fspath(path)} is not a model saved by autodiff.save")
    if document.get("version") != VERSION:
        raise ValueError(f"load: {os.fspath(path)} has version {document.get('version')!r}; "
                         f"this version of autodiff reads version {VERSION}")
    model.load_state_dict(document["state"])
    return model
