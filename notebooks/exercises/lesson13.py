"""The exercises of lessons 13 · Gradcheck and tolerances (13_gradcheck_and_tolerances.ipynb)
and 13b · The cross-check and a debugging clinic (13b_cross_check_and_debugging.ipynb).

* `ex13_1` (lesson 13): ``central_gradcheck(f, x, analytic_grad, eps, atol, rtol)``, a
  gradient check of one's own, returning True or False;
* `ex13_2` (lesson 13, optional): ``numeric_hessian(f, x, eps)``, every second
  derivative by finite differences;
* `ex13_3` (lesson 13b): ``softplus_rule(a, out)``, a broken local-derivative rule to fix.

Every expected value comes from the maths, never from a learner's solution:

* 13.1: the functions are polynomials whose gradients are known by hand, and
  each case's verdict follows from the size of the gap between the analytic
  gradient given and the true one, against ``atol + rtol·|true|``. The gaps
  are chosen far from the border (a factor 2 or more), while a central
  difference of these polynomials is within 1e-9 of the true derivative at
  ``eps = 1e-6``, so the verdict does not depend on round-off. One case uses
  ``eps = 0.1``, where the central difference of x³ is 3x² + eps² exactly.
* 13.2: Hessians by hand. For polynomials of degree ≤ 3 the symmetric second
  differences are exact (their error terms involve fourth derivatives); for
  the other cases the truncation error at ``eps = 1e-4`` is about 1e-9. The
  round-off is about 4·ulp(f)/eps², under 1e-6 for these functions (the worst
  measured, 1.7e-7), inside the tolerance of 1e-5 (absolute and relative).
  A one-sided second difference, (f(x+2ε) − 2f(x+ε) + f(x))/ε², errs by
  about ε·f‴ (1e-4 and more on these cases, whose third derivatives are not
  0), so the tolerance rejects it; at the old 1e-4 it passed.
* 13.3: softplus(a) = log(1 + eᵃ) has derivative σ(a) = 1 / (1 + e⁻ᵃ) and
  second derivative σ(a)·(1 − σ(a)), computed here with `math`.

The functions in the cases are `Formula`s, so that a counterexample reads
``central_gradcheck(x ↦ x³, [1.5], [4.5])`` rather than ``<function <lambda>>``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable

from autodiff import Var, grad
from autodiff.ops import Op
from widgets.exercise import Exercise, Formula, computed_cases

from .common import AFFINE, CUBE, X2Y, sigmoid

__all__ = ["Formula", "ex13_1", "ex13_2", "ex13_3", "softplus", "softplus_op", "sigmoid"]


SQUARE = Formula("x ↦ x²", lambda x: x * x)
BIG_SQUARE = Formula("x ↦ 1000·x²", lambda x: 1000.0 * x * x)


# ----------------------------------------------------------------------
# 13.1 · A gradient check of your own
# ----------------------------------------------------------------------
ex13_1 = Exercise(
    "13.1 · A gradient check of your own",
    cases=[
        ((AFFINE, [2.0, -3.0, 10.0], [-3.0, 2.0, 1.0]), True),      # b, a, 1
        ((AFFINE, [2.0, -3.0, 10.0], [-3.0, 2.0, 0.0]), False),     # ∂/∂c is 1, not 0
        ((CUBE, [1.5], [6.75]), True),                              # 3x²
        ((CUBE, [1.5], [4.5]), False),                              # 3x: a wrong rule
        ((X2Y, [3.0, 2.0], [12.0, 9.0]), True),                     # 2xy, x²
        ((X2Y, [3.0, 2.0], [9.0, 12.0]), False),                    # the two swapped
        # atol: the true slope is 0, so only atol = 1e-5 is allowed
        ((SQUARE, [0.0], [5e-6]), True),
        ((SQUARE, [0.0], [3e-5]), False),
        # rtol: the true slope is 10,000, so 1e-5 + 1e-4·10,000 ≈ 1 is allowed
        ((BIG_SQUARE, [5.0], [10000.4]), True),
        ((BIG_SQUARE, [5.0], [10002.0]), False),
        # eps, atol and rtol given: the central difference of x³ at 1.5 with eps = 0.1 is 6.76
        ((CUBE, [1.5], [6.75], 0.1, 0.02, 0.0), True),              # |6.75 − 6.76| = 0.01 ≤ 0.02
        ((CUBE, [1.5], [6.75], 0.1, 0.005, 0.0), False),            # 0.01 > 0.005
    ],
    hints=(
        "For each input i, copy `x` into two lists, add `eps` to item i of one and subtract it from "
        "item i of the other, and take the central difference `(f(*up) - f(*down)) / (2 * eps)`.",
        "Compare it with `analytic_grad[i]`: input i passes when "
        "`abs(analytic_grad[i] - numeric) <= atol + rtol * abs(numeric)`. Return False as soon as "
        "one input fails, and True when all pass.",
        "Use the `eps`, `atol` and `rtol` you are given, not the numbers of the defaults: some cases "
        "pass other values. And return a bool, `True` or `False`, not a number.",
    ),
    solution=("def central_gradcheck(f, x, analytic_grad, eps=1e-6, atol=1e-5, rtol=1e-4):\n"
              "    for i in range(len(x)):\n"
              "        up, down = list(x), list(x)\n"
              "        up[i] += eps\n"
              "        down[i] -= eps\n"
              "        numeric = (f(*up) - f(*down)) / (2 * eps)\n"
              "        if abs(analytic_grad[i] - numeric) > atol + rtol * abs(numeric):\n"
              "            return False\n"
              "    return True"),
)


# ----------------------------------------------------------------------
# 13.2 · (optional) The Hessian, numerically
# ----------------------------------------------------------------------
def _sin_exp_hessian(x: float, y: float) -> list[list[float]]:
    s, c, e = math.sin(x), math.cos(x), math.exp(y)
    return [[-s * e, c * e], [c * e, s * e]]


ex13_2 = Exercise(
    "13.2 · (optional) The Hessian, numerically",
    cases=[
        ((X2Y, [3.0, 2.0]), [[4.0, 6.0], [6.0, 0.0]]),               # [[2y, 2x], [2x, 0]]
        ((CUBE, [1.5]), [[9.0]]),                                    # 6x
        ((AFFINE, [2.0, -3.0, 10.0]), [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),
        ((Formula("(x, y) ↦ x³·y + x·y²", lambda x, y: x ** 3 * y + x * y * y), [1.0, 2.0]),
         [[12.0, 7.0], [7.0, 2.0]]),                                 # [[6xy, 3x² + 2y], [3x² + 2y, 2x]]
        ((Formula("(x, y) ↦ sin(x)·eʸ", lambda x, y: math.sin(x) * math.exp(y)), [0.5, 0.2]),
         _sin_exp_hessian(0.5, 0.2)),
    ],
    hints=(
        "Write a small helper that copies `x` into a list, moves item i by one amount and item j by "
        "another, and returns f there. Then each formula above is one line.",
        "On the diagonal (i = j): (f(x + εeᵢ) − 2f(x) + f(x − εeᵢ)) / ε². Off it: (f(x + εeᵢ + εeⱼ) − "
        "f(x + εeᵢ − εeⱼ) − f(x − εeᵢ + εeⱼ) + f(x − εeᵢ − εeⱼ)) / 4ε². Both are symmetric about x: a "
        "one-sided difference is a whole order in ε less accurate, and the check notices.",
        "Return a list of n lists of n numbers: row i holds ∂²f/∂xᵢ∂xⱼ for j = 0, …, n − 1.",
    ),
    solution=("def numeric_hessian(f, x, eps=1e-4):\n"
              "    n = len(x)\n"
              "\n"
              "    def at(i, di, j, dj):\n"
              "        point = list(x)\n"
              "        point[i] += di\n"
              "        point[j] += dj\n"
              "        return f(*point)\n"
              "\n"
              "    hessian = [[0.0] * n for _ in range(n)]\n"
              "    for i in range(n):\n"
              "        for j in range(n):\n"
              "            if i == j:\n"
              "                hessian[i][i] = (at(i, eps, i, 0) - 2 * f(*x) + at(i, -eps, i, 0)) / eps**2\n"
              "            else:\n"
              "                hessian[i][j] = (at(i, eps, j, eps) - at(i, eps, j, -eps)\n"
              "                                 - at(i, -eps, j, eps) + at(i, -eps, j, -eps)) / (4 * eps**2)\n"
              "    return hessian"),
    rel_tol=1e-5,
    abs_tol=1e-5,
)


# ----------------------------------------------------------------------
# 13.3 · Find the bug: the derivative rule of softplus
# ----------------------------------------------------------------------
def softplus(a: float) -> float:
    """log(1 + eᵃ), computed without overflow for large |a|."""
    return max(a, 0.0) + math.log1p(math.exp(-abs(a)))


def softplus_op(rule: Callable[..., tuple]) -> Op:
    """The op softplus(a) = log(1 + eᵃ), with ``rule`` as its local derivative."""
    return Op(name="softplus", symbol="softplus", forward=softplus, local_derivatives=rule,
              text="log(1 + exp({a}))", derivative_texts=("σ({a})",), torch_name="nn.functional.softplus")


@dataclasses.dataclass(frozen=True)
class Point:
    """Where the rule is checked: an input ``a`` of softplus (``out`` is softplus(a))."""

    a: float

    def __repr__(self) -> str:
        return f"a={self.a!r}"


FIRST = "∂out/∂a (backward)"
SECOND = "∂²out/∂a² (grad of grad)"


def _run_rule(rule: Callable[..., tuple], point: Point) -> dict[str, Any]:
    """Both derivatives of softplus at ``point`` by the engine, using the learner's ``rule``.

    The first: ``grad`` on numbers, so the rule gets floats. The second: grad
    of grad, so the rule gets Vars; an error there (math.exp on a Var, say)
    becomes the text of the result, so the first derivative is still shown.
    """
    op = softplus_op(rule)
    x = Var(point.a)
    (first,) = grad(op(x), [x])
    x = Var(point.a)
    try:
        (slope,) = grad(op(x), [x], create_graph=True)
        (curvature,) = grad(slope, [x])
        second: Any = curvature.data
    except (TypeError, AttributeError) as error:
        second = f"{type(error).__name__}: {error} (a Var reached {getattr(rule, '__name__', 'the rule')})"
    return {FIRST: first.data, SECOND: second}


def _expected_rule(point: Point) -> dict[str, float]:
    s = sigmoid(point.a)
    return {FIRST: s, SECOND: s * (1.0 - s)}


POINTS = (0.5, -2.0, 0.0, 3.0, 20.0, -20.0)

ex13_3 = Exercise(
    "13.3 · Find the bug: the derivative rule of softplus",
    cases=computed_cases(_expected_rule, [Point(a) for a in POINTS]),
    run=_run_rule,        # the learner's rule, run by the engine inside the op softplus
    hints=(
        "Differentiate log(1 + eᵃ) with the chain rule: 1 / (1 + eᵃ) · eᵃ. Divide top and bottom by "
        "eᵃ: that is 1 / (1 + e⁻ᵃ) = σ(a). The broken rule has the sign of the exponent wrong.",
        "The rule also receives Vars, in grad(..., create_graph=True), and `math.exp` cannot take a "
        "Var. Use the ops of the table, which take floats and Vars alike: `EXP`, or `SIGMOID` itself. "
        "(Methods such as `a.exp()` exist only on Vars: the rule also receives floats.)",
        "Return a tuple with one item, one local derivative per operand, even for an op with a single "
        "operand.",
    ),
    solution=("def softplus_rule(a, out):\n"
              "    return (SIGMOID(a),)          # or (1 / (1 + EXP(-a)),)"),
)
