"""Whether ops record a graph: on, except inside a `no_grad()` block.

Both engines, `Var` and `Tensor`, read `enabled` before recording a node.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

__all__ = ["no_grad", "is_grad_enabled", "enabled"]

enabled = True  # read by every op; changed only by no_grad()


def is_grad_enabled() -> bool:
    """True unless inside a `no_grad()` block."""
    return enabled


@contextmanager
def no_grad() -> Iterator[None]:
    """A block in which ops compute values but record no graph.

    Use it for evaluation and for updating parameters::

        with no_grad():
            prediction = model(x)      # a plain value with no history
    """
    global enabled
    previous, enabled = enabled, False
    try:
        yield
    finally:
        enabled = previous
