"""Whether ops record a graph: on, except inside a `no_grad()` block, in each thread on its own.

Both engines, `Var` and `Tensor`, ask before recording a node. As PyTorch's
grad mode, the mode belongs to a thread: a `no_grad()` block in one thread
(say, a widget evaluating a model in the background) does not stop another
thread's ops from recording.

Asking a thread-local value costs a little on every op, so the engines
first read `everywhere`, a plain module global that is True while no thread
at all is inside a block: the usual case, decided by that one read. Only
while some thread is inside one do they ask `is_grad_enabled()`.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import ContextManager, Iterator

__all__ = ["no_grad", "enable_grad", "is_grad_enabled", "everywhere"]


class _Mode(threading.local):
    enabled = True  # this thread's grad mode (each thread starts with True)


_mode = _Mode()
_lock = threading.Lock()
_open_blocks = 0  # no_grad and enable_grad blocks open now, in every thread

everywhere = True  # no block is open in any thread, so every thread records: the engines' fast check


def is_grad_enabled() -> bool:
    """True unless this thread is inside a `no_grad()` block (and not in an `enable_grad()` within it)."""
    return _mode.enabled


@contextmanager
def _grad_mode(mode: bool) -> Iterator[None]:
    """A block in which this thread's grad mode is ``mode``; the previous mode comes back after it."""
    global everywhere, _open_blocks
    previous = _mode.enabled
    with _lock:
        _open_blocks += 1
        everywhere = False
    _mode.enabled = mode
    try:
        yield
    finally:
        _mode.enabled = previous
        with _lock:
            _open_blocks -= 1
            everywhere = _open_blocks == 0


def no_grad() -> ContextManager[None]:
    """A block in which this thread's ops compute values but record no graph.

    Use it for evaluation and for updating parameters::

        with no_grad():
            prediction = model(x)      # a plain value with no history

    Other threads keep recording (the mode is per thread, as in PyTorch).
    """
    return _grad_mode(False)


def enable_grad() -> ContextManager[None]:
    """A block in which this thread's ops record again, even inside a `no_grad()` block."""
    return _grad_mode(True)
