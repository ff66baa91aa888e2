"""The exercises of lesson 04 · Backpropagation by hand (notebooks/04_backprop_by_hand.ipynb).

* 4.1 ``local_derivatives(op, a, b)``: the two local derivatives of a binary
  op (``+ - * / **``) at a, b. Expected values are the rules of calculus
  applied by hand (the comments), with `math.log` for the exponent's slope.
* 4.2 ``lecture_gradients(a, b, c, f)``: every gradient of the lecture's
  L = (a·b + c)·f, by the chain rule. Expected values are worked out by hand
  from ∂L/∂a = f·b, ∂L/∂b = f·a, ∂L/∂c = ∂L/∂d = ∂L/∂e = f, ∂L/∂f = a·b + c,
  and written out as numbers.
* 4.3 ``tanh_backward(x, upstream)``: what x receives through o = tanh(x).
  Expected values come from another form of the derivative,
  d tanh(x)/dx = 1 / cosh(x)², computed here with `math.cosh`.
"""

from __future__ import annotations

import math

from widgets.exercise import Exercise

__all__ = ["ex04_1", "ex04_2", "ex04_3"]


# ----------------------------------------------------------------------
# 4.1 · Local derivatives
# ----------------------------------------------------------------------
ex04_1 = Exercise(
    "4.1 · Local derivatives of + − · / **",
    cases=[
        (("*", 2.0, -3.0), (-3.0, 2.0)),                # (b, a)
        (("+", 2.0, -3.0), (1.0, 1.0)),
        (("-", 5.0, 3.0), (1.0, -1.0)),
        (("*", 4.0, 4.0), (4.0, 4.0)),
        (("/", 6.0, 3.0), (1 / 3, -2 / 3)),             # (1/b, −a/b²) = (1/3, −6/9)
        (("/", 1.0, 4.0), (0.25, -0.0625)),             # (1/4, −1/16)
        (("**", 2.0, 3.0), (12.0, 8 * math.log(2.0))),  # (b·a^(b−1), a^b·log a) = (3·2², 2³·log 2)
        (("**", 9.0, 0.5), (1 / 6, 3 * math.log(9.0))), # (0.5·9^(−0.5), 9^0.5·log 9)
    ],
    hints=(
        "Return a pair (∂out/∂a, ∂out/∂b), with one branch per op: compare `op` with the strings "
        "\"+\", \"-\", \"*\", \"/\" and \"**\" in turn. Each rule is a row of the op table above "
        "(`ADD.formula(0)`, `ADD.formula(1)`, ...).",
        "`+`: (1, 1). `-`: (1, −1). `*`: (b, a), each operand's slope is the *other* operand. `/`: "
        "(1/b, −a/b²).",
        "`**` (a > 0 here): with respect to the base, b·a^(b−1); with respect to the exponent, "
        "a^b·log(a), with `math.log`.",
    ),
    solution=("def local_derivatives(op, a, b):\n"
              "    if op == \"+\":\n"
              "        return (1.0, 1.0)\n"
              "    if op == \"-\":\n"
              "        return (1.0, -1.0)\n"
              "    if op == \"*\":\n"
              "        return (b, a)\n"
              "    if op == \"/\":\n"
              "        return (1 / b, -a / b ** 2)\n"
              "    if op == \"**\":\n"
              "        return (b * a ** (b - 1), a ** b * math.log(a))\n"
              "    raise ValueError(f\"unknown op {op!r}\")"),
)


# ----------------------------------------------------------------------
# 4.2 · The lecture's gradients, by the chain rule
# ----------------------------------------------------------------------
ex04_2 = Exercise(
    "4.2 · The lecture's gradients, by hand",
    cases=[
        # the lecture: a = 2, b = −3, c = 10, f = −2; d = 4
        ((2.0, -3.0, 10.0, -2.0), {"a": 6.0, "b": -4.0, "c": -2.0, "d": -2.0, "e": -2.0, "f": 4.0}),
        # all ones: d = 2
        ((1.0, 1.0, 1.0, 1.0), {"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0, "e": 1.0, "f": 2.0}),
        # a = 3: d = −9 + 10 = 1
        ((3.0, -3.0, 10.0, -2.0), {"a": 6.0, "b": -6.0, "c": -2.0, "d": -2.0, "e": -2.0, "f": 1.0}),
        # d = 2 − 1 = 1; f·b = 12, f·a = 1.5
        ((0.5, 4.0, -1.0, 3.0), {"a": 12.0, "b": 1.5, "c": 3.0, "d": 3.0, "e": 3.0, "f": 1.0}),
        # d = −2 + 0 = −2; f·b = 1, f·a = −0.5
        ((-1.0, 2.0, 0.0, 0.5), {"a": 1.0, "b": -0.5, "c": 0.5, "d": 0.5, "e": 0.5, "f": -2.0}),
    ],
    hints=(
        "Go backwards from L, one node at a time, as in the worked example: first the product L = d·f, "
        "then the sum d, then the product e. You need the forward values of e and d first: compute "
        "them from a, b and c.",
        "L = d·f: the gradient of d is f, and that of f is d. The sum d passes its gradient on "
        "unchanged, to e and to c. e = a·b: a receives the gradient of e times b, and b receives it "
        "times a.",
        "Return a dict keyed by the nodes' names, \"a\" to \"f\", holding plain numbers.",
    ),
    solution=("def lecture_gradients(a, b, c, f):\n"
              "    e = a * b\n"
              "    d = e + c\n"
              "    dL_dd, dL_df = f, d          # L = d·f\n"
              "    dL_de = dL_dd * 1.0          # d = e + c\n"
              "    dL_dc = dL_dd * 1.0\n"
              "    dL_da = dL_de * b            # e = a·b\n"
              "    dL_db = dL_de * a\n"
              "    return {\"a\": dL_da, \"b\": dL_db, \"c\": dL_dc, \"d\": dL_dd, \"e\": dL_de, \"f\": dL_df}"),
)


# ----------------------------------------------------------------------
# 4.3 · Backward through tanh
# ----------------------------------------------------------------------
def _sech_squared(x: float) -> float:
    """d tanh(x)/dx written another way: 1 / cosh(x)²."""
    return 1.0 / math.cosh(x) ** 2


ex04_3 = Exercise(
    "4.3 · Backward through tanh",
    cases=[
        ((0.0, 1.0), 1.0),                                  # tanh is steepest at 0, slope 1
        ((0.8813735870195432, 1.0), 0.5),                   # the lecture's n: cosh(n) = √2
        ((0.8813735870195432, 2.0), 1.0),
        ((math.log(3.0) / 2, 4.0), 3.0),                    # tanh = 1/2 there: 4·(1 − 1/4)
        ((-1.0, 3.0), 3.0 * _sech_squared(-1.0)),
        ((3.0, -2.0), -2.0 * _sech_squared(3.0)),
        ((20.0, 1.0), _sech_squared(20.0)),                 # saturated: almost nothing gets through
    ],
    hints=(
        "The chain rule: what x receives is `upstream` times the local derivative ∂tanh(x)/∂x.",
        "The op table gives that local derivative, `TANH.formula(0)`: 1 − tanh(a)². Compute tanh(x) "
        "once, with `math.tanh`.",
        "Multiply the two: upstream × (1 − tanh(x)²). Check it at x = 0, where tanh is steepest: the "
        "upstream gradient passes through unchanged.",
    ),
    solution=("def tanh_backward(x, upstream):\n"
              "    t = math.tanh(x)\n"
              "    return upstream * (1 - t ** 2)"),
)
