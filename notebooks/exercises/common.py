"""What the exercise modules of several lessons share (course-specific helpers).

General machinery (calling a learner's function through ``run``, a row of
detail, `Formula`) lives in `widgets.exercise`; this module holds the pieces
of this course that more than one lesson's exercises use:

* `named`: give a Var a label, inline, when building a test graph;
* `kind`: "None" or "a float": what a learner's function returned, in a message;
* `sigmoid`: σ(a) = 1 / (1 + e⁻ᵃ) on plain floats, without overflow;
* `AFFINE`, `CUBE`, `X2Y`: functions of plain numbers used in cases, shown
  as their formulas;
* `DescribedExercise`: an exercise whose cases are objects (a graph, a
  training setup) that build fresh state for every call and say in words
  what they are;
* `time_limit`: stop a learner's function that runs too long, so that an
  exponential algorithm fails its case instead of hanging the check.

``make student`` copies this folder next to the student notebooks, so the
student copies import it too.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

from autodiff import Var
from widgets.exercise import Exercise, Formula

__all__ = ["named", "kind", "sigmoid", "AFFINE", "CUBE", "X2Y", "DescribedExercise", "TimeLimitExceeded",
           "time_limit"]


def named(var: Var, label: str) -> Var:
    """``var``, labelled ``label``."""
    var.label = label
    return var


def kind(value: Any) -> str:
    """"None", or "a float", "a list", ...: what a learner's function returned."""
    return "None" if value is None else f"a {type(value).__name__}"


def sigmoid(a: float) -> float:
    """1 / (1 + e⁻ᵃ), without overflow."""
    if a >= 0.0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


AFFINE = Formula("(a, b, c) ↦ a·b + c", lambda a, b, c: a * b + c)
CUBE = Formula("x ↦ x³", lambda x: x * x * x)
X2Y = Formula("(x, y) ↦ x²·y", lambda x, y: x * x * y)


class DescribedExercise(Exercise):
    """An `Exercise` whose cases are ``inputs``, each built afresh for every call.

    Each input has a ``text`` that says what it is. ``run(fn, input)`` builds
    it, calls the learner's ``fn`` on it and returns the value to compare;
    ``expected(input)`` computes, on another fresh build, what that value
    should be. A wrong case shows the input's ``text`` as the row ``row``
    (say "graph") under the inputs.
    """

    def __init__(self, title: str, inputs: Sequence[Any], run: Callable[[Callable, Any], Any],
                 expected: Callable[[Any], Any], *, row: str, **kwargs: Any) -> None:
        self.inputs = tuple(inputs)
        super().__init__(title, cases=lambda: [((case,), expected(case)) for case in self.inputs],
                         run=run, detail=(row, lambda case: case.text), **kwargs)


class TimeLimitExceeded(Exception):
    """Raised inside a learner's function that has run longer than its `time_limit`."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise `TimeLimitExceeded` in the code of the ``with`` block if it runs longer than ``seconds``.

    The point is to tell a linear algorithm from an exponential one, so the
    limit is generous (seconds, where the right answer takes milliseconds) and
    the graphs that need it make the wrong answer take years: the verdict
    does not depend on the speed of the machine.

    It uses a real-time alarm (``signal.setitimer``), which Python delivers
    to the main thread only: in the main thread of a Unix process (a Jupyter
    kernel, pytest) the limit applies; elsewhere (another thread, Windows)
    the block runs without one. Any alarm set before is put back afterwards.
    """
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not seconds > 0:
        raise ValueError(f"time_limit: seconds must be a positive number of seconds, got {seconds!r}")
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise TimeLimitExceeded(f"stopped after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, stop)
    started = time.monotonic()
    earlier_delay, earlier_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if earlier_delay:   # the alarm set before, with what was left of it (at least a moment)
            left = max(earlier_delay - (time.monotonic() - started), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, left, earlier_interval)
