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
        "Python writes a product with `*` and a power with `**` (not `^`, which is something else in "
        "Python). Hand the number back with `return`: a function without it gives None.",
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
        "Wrap the number in a Var first, then write y with that Var exactly as on paper: the engine "
        "records every `*` and `+` into a graph.",
        "Calling `backward()` on y fills in the `.grad` of every Var y was built from: for your Var, "
        "that is dy/dx at x. Return that gradient, a float, not the Var itself (a Var).",
    ),
    solution=("def slope_at(x):\n"
              "    v = Var(x)\n"
              "    y = v * v + 2 * v\n"
              "    y.backward()\n"
              "    return v.grad"),
)
