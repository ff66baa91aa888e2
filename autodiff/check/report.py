"""One row of a check: what was compared, the largest error found, and the tolerance."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

__all__ = ["Check", "relative_error", "summary", "HEADER"]

HEADER = f"{'check':<75} {'rel error':>10} {'tolerance':>9}  result"   # the table's first line


@dataclass
class Check:
    """One row of the table: the largest relative error found against the tolerance."""

    name: str
    error: float
    tolerance: float

    @property
    def ok(self) -> bool:
        return self.error <= self.tolerance  # False for nan

    def row(self) -> str:
        return f"{self.name:<75} {self.error:>10.2e} {self.tolerance:>9.0e}  {'ok' if self.ok else 'FAIL'}"


def summary(checks: Sequence[Check]) -> str:
    """The table's last line: "126 checks: 126 passed, 0 failed", and which failed, if any."""
    failed = [c.name for c in checks if not c.ok]
    line = f"{len(checks)} checks: {len(checks) - len(failed)} passed, {len(failed)} failed"
    return f"{line}: {', '.join(failed)}" if failed else line


def relative_error(ours: Any, theirs: Any) -> float:
    """The largest |a - b| / max(1, |b|) over two equally nested lists of numbers.

    A nan or an infinity on either side counts as an infinite error (a plain
    ``max`` would quietly skip a nan).
    """
    if isinstance(ours, (list, tuple)):
        if len(ours) != len(theirs):
            return math.inf
        return max((relative_error(a, b) for a, b in zip(ours, theirs)), default=0.0)
    error = abs(ours - theirs) / max(1.0, abs(theirs))
    return error if math.isfinite(error) else math.inf
