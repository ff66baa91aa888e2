"""The exercises of lesson 02 · Derivatives (notebooks/02_derivatives.ipynb).

Every expected value comes from the maths or from a reference written here,
never from a learner's solution:

* 2.1: f(x) = 3x² − 4x + 5 has f'(x) = 6x − 4.
* 2.2 and 2.4: a central difference is known in closed form for the
  functions used. By Taylor's theorem, for a polynomial p of degree ≤ 3,
  (p(x+h) − p(x−h)) / 2h = p'(x) + h²·p'''(x)/6 exactly; so x³ gives
  3x² + h², and a parabola gives its derivative for every h. For sin and exp,
  sin(x+h) − sin(x−h) = 2·cos x·sin h and e^(x+h) − e^(x−h) = 2·eˣ·sinh h.
  The h in these cases is large (0.1 to 1), so a forward difference, or a
  division by h instead of 2h, is far outside the tolerance.
* 2.3: the best step is found by `_central` and `_best_step`, a reference
  written here; any step whose error is within a factor 2 of the smallest
  counts, so a tie or a last-bit difference in the arithmetic is no failure.

The functions in the cases are `Formula`s, so that a counterexample reads
``central_difference(x ↦ x³, 2.0, 0.1)`` rather than ``<function <lambda>>``.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

from autodiff.arguments import is_real
from widgets.exercise import Exercise, Formula

from .common import AFFINE, CUBE, X2Y

__all__ = ["Formula", "ex_slope", "ex_central", "ex_best_step", "ex_partials"]


PARABOLA = Formula("x ↦ 3x² − 4x + 5", lambda x: 3 * x * x - 4 * x + 5)
PARABOLA_PRIME = Formula("x ↦ 6x − 4", lambda x: 6 * x - 4)
CUBE_PRIME = Formula("x ↦ 3x²", lambda x: 3 * x * x)
SIN = Formula("x ↦ sin x", math.sin)
COS = Formula("x ↦ cos x", math.cos)
EXP = Formula("x ↦ eˣ", math.exp)


# ----------------------------------------------------------------------
# 2.1 · The derivative by hand
# ----------------------------------------------------------------------
ex_slope = Exercise(
    "2.1 · The derivative of 3x² − 4x + 5, by hand",
    cases=[
        ((3.0,), 14.0),           # 6·3 − 4
        ((-3.0,), -22.0),         # 6·(−3) − 4
        ((2 / 3,), 0.0),          # the bottom of the parabola
        ((0.0,), -4.0),
        ((1.5,), 5.0),
    ],
    hints=(
        "Differentiate term by term: the derivative of a·xⁿ is n·a·xⁿ⁻¹, and a constant's is 0.",
        "3x² gives 6x, −4x gives −4, and 5 gives 0.",
    ),
    solution="def f_prime(x):\n    return 6 * x - 4",
)


# ----------------------------------------------------------------------
# 2.2 · The central difference
# ----------------------------------------------------------------------
ex_central = Exercise(
    "2.2 · The central difference",
    cases=[
        ((CUBE, 2.0, 0.1), 12.01),                                   # 3x² + h²
        ((PARABOLA, 3.0, 0.5), 14.0),                                # exact for a parabola
        ((SIN, 1.0, 0.5), math.cos(1.0) * math.sin(0.5) / 0.5),     # cos x · sin h / h
        ((EXP, 0.0, 1.0), math.sinh(1.0)),                           # eˣ · sinh h / h
        ((CUBE, -1.0), 3.0),                                         # the default h = 1e-5: 3 + 1e-10
    ],
    hints=(
        "Step to both sides of x: evaluate f at `x + h` and at `x - h`.",
        "Those two points are 2h apart, so divide the difference of the two values by `2 * h`, not by "
        "`h`.",
        "Keep `h=1e-5` as the default in the `def` line: one case calls your function without h. The "
        "body is a single `return` of the formula (f(x + h) − f(x − h)) / 2h.",
    ),
    solution=("def central_difference(f, x, h=1e-5):\n"
              "    return (f(x + h) - f(x - h)) / (2 * h)"),
)


# ----------------------------------------------------------------------
# 2.3 · (optional) The best step
# ----------------------------------------------------------------------
def _central(f: Callable[[float], float], x: float, h: float) -> float:
    """The reference central difference (half the rise over the step, so that this student copy
    does not hold 2.2's answer line)."""
    return 0.5 * (f(x + h) - f(x - h)) / h


class BestStep:
    """The expected answer of 2.3: the best step, and every step as good (within a factor 2)."""

    def __init__(self, f: Callable[[float], float], dfdx: Callable[[float], float], x: float,
                 steps: Sequence[float]) -> None:
        slope = dfdx(x)
        errors = [abs(_central(f, x, h) - slope) for h in steps]
        smallest = min(errors)
        self.step = steps[errors.index(smallest)]
        self.error = smallest
        self.acceptable = [h for h, e in zip(steps, errors) if e <= 2 * smallest]

    def accepts(self, got: object) -> bool:
        return is_real(got) and not isinstance(got, bool) and any(float(got) == h for h in self.acceptable)

    def __repr__(self) -> str:
        return f"{self.step!r} (its error: {self.error:.1e})"


DECADES = [10.0 ** -k for k in range(1, 16)]        # 1e-1, 1e-2, …, 1e-15


def _best_step_cases() -> list:
    cases = [
        (CUBE, CUBE_PRIME, 1.5, DECADES),             # truncation meets round-off near 1e-5
        (CUBE, CUBE_PRIME, 1.5, [0.1, 0.01, 0.001]),  # all truncation: the smallest step wins
        (PARABOLA, PARABOLA_PRIME, 3.0, DECADES),     # no truncation error at all: the largest wins
        (SIN, COS, 1.0, DECADES),
    ]
    return [((f, dfdx, x, list(steps)), BestStep(f, dfdx, x, steps)) for f, dfdx, x, steps in cases]


ex_best_step = Exercise(
    "2.3 · (optional) The best step",
    cases=_best_step_cases,
    hints=(
        "For each h in `steps`, the error is `abs(central_difference(f, x, h) - dfdx(x))`.",
        "Return the h whose error is smallest, not the error itself: `min(steps, key=error)` does it "
        "in one line, where `error(h)` is the expression of hint 1 as a function.",
    ),
    solution=("def best_step(f, dfdx, x, steps):\n"
              "    exact = dfdx(x)\n"
              "    return min(steps, key=lambda h: abs(central_difference(f, x, h) - exact))"),
    compare=lambda got, expected: expected.accepts(got),
)


# ----------------------------------------------------------------------
# 2.4 · Partial derivatives, numerically
# ----------------------------------------------------------------------
ex_partials = Exercise(
    "2.4 · Partial derivatives, numerically",
    cases=[
        ((AFFINE, (2.0, -3.0, 10.0)),
         [-3.0, 2.0, 1.0]),                                           # b, a, 1 (default h)
        ((X2Y, (3.0, 2.0), 0.1),
         [12.0, 9.0]),                                                # 2xy, x²: exact, degree 2 in x
        ((Formula("(x, y) ↦ x³·y", lambda x, y: x * x * x * y), (1.0, 2.0), 0.1),
         [6.02, 1.0]),                                                # y·(3x² + h²), x³
        ((Formula("(x, y, z) ↦ x·y·z", lambda x, y, z: x * y * z), (1.0, 2.0, 3.0), 0.5),
         [6.0, 3.0, 2.0]),                                            # yz, xz, xy
        ((CUBE, (2.0,), 0.1),
         [12.01]),                                                    # one input: 3x² + h²
    ],
    hints=(
        "Treat one input at a time. For input i, copy the point into a list (`up = list(point)`; "
        "the point may be a tuple, which can't be changed), add h to `up[i]` only, and call "
        "`f(*up)`. Do the same with h subtracted.",
        "The partial derivative for input i is then the central difference "
        "`(f(*up) - f(*down)) / (2 * h)`. Append one per input, in order, to a list and return it.",
        "Make fresh copies for every input: if you keep adding h to the same list, the later "
        "partial derivatives are taken at a shifted point.",
    ),
    solution=("def partials(f, point, h=1e-5):\n"
              "    gradient = []\n"
              "    for i in range(len(point)):\n"
              "        up, down = list(point), list(point)\n"
              "        up[i] += h\n"
              "        down[i] -= h\n"
              "        gradient.append((f(*up) - f(*down)) / (2 * h))\n"
              "    return gradient"),
)
