"""Graph size: how deep a graph `autodiff.Var` can differentiate, and what a node costs.

* `time_deep_chain` builds one long chain ``y = tanh(y * w)`` (two nodes per
  link, every op between two Vars so no constant nodes are made) and times
  the forward pass and ``backward()`` separately.
* `bytes_per_node` builds a chain of ``Var * Var`` products under
  `tracemalloc` and divides the growth of traced memory by the number of
  nodes: everything a node keeps alive (the object and its float) is counted.
* `tracked_objects_per_node` builds the same chain and counts the objects
  Python's cyclic garbage collector tracks, per node: every one of them is
  walked by each collection while the graph is alive.
"""

from __future__ import annotations

import gc
import math
import time
import tracemalloc
from dataclasses import dataclass
from typing import Any, Callable

from autodiff import Var

__all__ = ["ChainTiming", "time_deep_chain", "bytes_per_node", "tracked_objects_per_node"]


@dataclass(frozen=True)
class ChainTiming:
    """Seconds to build a chain of ``depth`` nodes and to backpropagate through it."""

    depth: int
    forward_s: float
    backward_s: float


def build_chain(x: Var, w: Var, depth: int) -> Var:
    """``depth`` nodes alternating ``y * w`` and ``y.tanh()``, starting from ``y = x``."""
    y = x
    for _ in range(depth // 2):
        y = (y * w).tanh()
    return y


def time_deep_chain(depth: int = 1_000_000) -> ChainTiming:
    """Time the forward pass and ``backward()`` of one chain ``depth`` nodes deep."""
    x, w = Var(0.5), Var(1.5)  # tanh(1.5·y) settles near 0.86: no under- or overflow
    gc.collect()
    start = time.perf_counter()
    y = build_chain(x, w, depth)
    built = time.perf_counter()
    y.backward()
    done = time.perf_counter()
    if not (math.isfinite(w.grad) and math.isfinite(x.grad)):
        raise AssertionError(f"deep chain: non-finite gradients {w.grad!r}, {x.grad!r}")
    del y
    gc.collect()
    return ChainTiming(depth, built - start, done - built)


def bytes_per_node(leaf: Callable[[float], Any] = Var, n: int = 100_000) -> float:
    """Traced memory kept alive per node of a chain of ``n`` products ``y = y * w``.

    ``leaf`` makes the two starting scalars, so any engine's scalar type can
    be measured (e.g. micrograd's ``Value``).
    """
    gc.collect()
    tracemalloc.start()
    try:
        y, w = leaf(1.0), leaf(0.99999)  # 0.99999 ** 100_000 ≈ 0.37: no underflow
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(n):
            y = y * w
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del y
    gc.collect()
    return (after - before) / n


def tracked_objects_per_node(leaf: Callable[[float], Any] = Var, n: int = 10_000) -> float:
    """Objects the cyclic collector tracks, per node of a chain of ``n`` products ``y = y * w``.

    The collector is off while the chain is built, so nothing is collected
    midway; ``gc.get_objects()`` lists every tracked object in the process,
    before and after. Our `Var` is one object (its value and gradient are
    floats, which the collector does not track); micrograd's `Value` keeps
    a set of parents, a closure and its cells, and a dict besides.
    """
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        y, w = leaf(1.0), leaf(0.99999)
        before = len(gc.get_objects())
        for _ in range(n):
            y = y * w
        after = len(gc.get_objects())
    finally:
        if was_enabled:
            gc.enable()
    del y
    gc.collect()
    return (after - before) / n
