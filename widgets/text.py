"""Small helpers for the words the widgets show."""

from __future__ import annotations

__all__ = ["plural"]


def plural(n: int, word: str) -> str:
    """``n`` and ``word``, with an s unless there is one: ``plural(3, "step") == "3 steps"``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
