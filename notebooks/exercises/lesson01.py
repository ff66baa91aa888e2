"""The exercises of lesson 01 · Setup check (notebooks/01_setup.ipynb).

Two small exercises, there mostly to show how every exercise of the course
works: a function to write, a check with a verdict, and a hint ladder.

* 1.1: ``square(x)``, x²: the cases are squares worked out by hand. The
  lesson also checks a wrong function, ``2 * x``, which agrees with x² at 0
  and 2 only, so its verdict shows a counterexample and the hint ladder.
* 1.2: ``slope_at(x)``: the derivative of y = x² + 2x at x, asked of the
  engine (a Var, ``backward()``). By hand, dy/dx = 2x + 2.
"""

from __future__ import annotations

from widgets.exercise import Exercise

__all__ = ["ex01_1", "ex01_2"]


# ----------------------------------------------------------------------
# 1.1 · Warm-up: a function and its check
# ----------------------------------------------------------------------
ex01_1 = Exercise(
    "1.1 · Warm-up: the square of a number",
    cases=[
        ((3.0,), 9.0),
        ((2.0,), 4.0),
        ((0.0,), 0.0),
        ((-1.5,), 2.25),
        ((0.5,), 0.25),
    ],
    hints=(
        "The square of x is x times x.",
        "The body is one line: `return x * x` (or `return x ** 2`).",
    ),
    solution="def square(x):\n    return x * x",
)


# ----------------------------------------------------------------------
# 1.2 · A first derivative from the engine
# ----------------------------------------------------------------------
ex01_2 = Exercise(
    "1.2 · A first derivative: y = x² + 2x",
    cases=[
        ((3.0,), 8.0),            # 2·3 + 2
        ((0.0,), 2.0),
        ((-1.0,), 0.0),           # the bottom of the parabola
        ((1.5,), 5.0),
        ((-4.0,), -6.0),
    ],
    hints=(
        "Wrap the number in a Var first: `v = Var(x)`. Then write y with `v`, as you would "
        "on paper: `y = v * v + 2 * v`.",
        "`y.backward()` fills in `v.grad`, the derivative dy/dx at x. Return `v.grad`, a float, "
        "not `v` itself (a Var).",
    ),
    solution=("def slope_at(x):\n"
              "    v = Var(x)\n"
              "    y = v * v + 2 * v\n"
              "    y.backward()\n"
              "    return v.grad"),
)
