"""The exercises of lesson 06 · Forward mode, reverse mode, and their duality
(06_forward_mode_and_higher_order.ipynb: 6.1–6.3) and of lesson 06b · Higher
order (06b_higher_order.ipynb: 6.4), which imports `ex_hessian` from here.

* `ex_dual_mul`: ``dual_mul(p, q)``, the product of two dual numbers given as
  (value, tangent) pairs;
* `ex_dual_sin`: ``dual_sin(p)``, sin of a dual number;
* `ex_gradient_by_jvp`: ``gradient_by_jvp(f, x)``, the whole gradient from
  forward mode alone: one ``autodiff.jvp`` per input, along each unit vector;
* `ex_hessian`: ``hessian(f, point)`` with ``autodiff.grad(..., create_graph=True)``.

Every expected value comes from the maths, written out here, never from the
engine or from a solution:

* 6.1: (a + ȧε)(b + ḃε) = ab + (a·ḃ + ȧ·b)ε, since ε² = 0;
* 6.2: sin(a + ȧε) = sin a + cos a · ȧ ε (Taylor's series, ε² = 0);
* 6.3: the gradients are written out by hand for each function
  (`Formula.gradient`); a single jvp along (1, …, 1) gives their sum, and
  fails every case with more than one input. Forward mode is exact up to
  rounding, so the tolerance is 1e-10: a finite difference, whose error is
  1e-7 or more at any step, fails too;
* 6.4: the Hessians are written out by hand for each function
  (`Formula.hessian`).

The functions in the cases are `Formula`s: callable on Vars and Duals alike
(they use only operators and methods such as ``x.sin()``), and shown as their
formula, so a counterexample reads ``gradient_by_jvp((x, y) ↦ x·y, ...)``.
"""

from __future__ import annotations

import math
from widgets.exercise import Exercise, Formula

__all__ = ["Formula", "ex_dual_mul", "ex_dual_sin", "ex_gradient_by_jvp", "ex_hessian"]


# f(x, y) = x·y:          ∇f = (y, x);                    H = [[0, 1], [1, 0]]
PRODUCT = Formula("(x, y) ↦ x·y", lambda x, y: x * y,
                  gradient=lambda x, y: [y, x],
                  hessian=lambda x, y: [[0.0, 1.0], [1.0, 0.0]])
# f(x, y) = sin(x)·y:     ∇f = (cos(x)·y, sin x)
SIN_TIMES = Formula("(x, y) ↦ sin(x)·y", lambda x, y: x.sin() * y,
                    gradient=lambda x, y: [math.cos(x) * y, math.sin(x)])
# f(x, y, z) = x·y·z + eᶻ: ∇f = (yz, xz, xy + eᶻ);  H = [[0, z, y], [z, 0, x], [y, x, eᶻ]]
TRIPLE = Formula("(x, y, z) ↦ x·y·z + exp(z)", lambda x, y, z: x * y * z + z.exp(),
                 gradient=lambda x, y, z: [y * z, x * z, x * y + math.exp(z)],
                 hessian=lambda x, y, z: [[0.0, z, y], [z, 0.0, x], [y, x, math.exp(z)]])
# f(x) = x³:              f' = 3x²;  f'' = 6x
CUBE = Formula("x ↦ x³", lambda x: x ** 3,
               gradient=lambda x: [3 * x * x],
               hessian=lambda x: [[6 * x]])
# f(a, b, c, d) = a·b + c·sin d: ∇f = (b, a, sin d, c·cos d)
FOUR = Formula("(a, b, c, d) ↦ a·b + c·sin(d)", lambda a, b, c, d: a * b + c * d.sin(),
               gradient=lambda a, b, c, d: [b, a, math.sin(d), c * math.cos(d)])
# f(x, y) = x²·y + x·sin y: f_xx = 2y, f_xy = 2x + cos y, f_yy = −x·sin y
MIXED = Formula("(x, y) ↦ x²·y + x·sin(y)", lambda x, y: x ** 2 * y + x * y.sin(),
                hessian=lambda x, y: [[2 * y, 2 * x + math.cos(y)],
                                      [2 * x + math.cos(y), -x * math.sin(y)]])
# f(x, y) = exp(x·y):     f_xx = y²·e, f_xy = (1 + xy)·e, f_yy = x²·e, with e = exp(xy)
EXP_PRODUCT = Formula("(x, y) ↦ exp(x·y)", lambda x, y: (x * y).exp(),
                      hessian=lambda x, y: [[y * y * math.exp(x * y), (1 + x * y) * math.exp(x * y)],
                                            [(1 + x * y) * math.exp(x * y), x * x * math.exp(x * y)]])
# f(x, y) = 3x − 2y + 1:  linear, so H = 0
LINEAR = Formula("(x, y) ↦ 3x − 2y + 1", lambda x, y: 3 * x - 2 * y + 1,
                 hessian=lambda x, y: [[0.0, 0.0], [0.0, 0.0]])


# ----------------------------------------------------------------------
# 6.1 · Multiplying dual numbers
# ----------------------------------------------------------------------
def _mul_case(a: float, da: float, b: float, db: float) -> tuple:
    return ((a, da), (b, db)), (a * b, a * db + da * b)


ex_dual_mul = Exercise(
    "6.1 · Multiplying dual numbers",
    cases=[
        _mul_case(2.0, 1.0, 3.0, 0.0),       # d/dx (3x) at x = 2: 3
        _mul_case(2.0, 1.0, 2.0, 1.0),       # d/dx x² at x = 2: 2x = 4
        _mul_case(-1.5, 2.0, 4.0, -0.5),     # 0.75 + 8 = 8.75
        _mul_case(0.0, 1.0, 5.0, 0.0),       # value 0, tangent 5
        _mul_case(3.0, 0.0, 7.0, 0.0),       # two constants: tangent 0
    ],
    hints=(
        "Multiply out (a + ȧε)(b + ḃε) = ab + aḃε + ȧbε + ȧḃε², and use ε² = 0.",
        "The value is the product of the values; the tangent is the product rule, a·ḃ + ȧ·b. Unpack "
        "each pair into its value and its tangent first, and return a pair.",
    ),
    solution=("def dual_mul(p, q):\n"
              "    a, da = p\n"
              "    b, db = q\n"
              "    return (a * b, a * db + da * b)"),
)


# ----------------------------------------------------------------------
# 6.2 · The sine of a dual number
# ----------------------------------------------------------------------
def _sin_case(a: float, da: float) -> tuple:
    return ((a, da),), (math.sin(a), math.cos(a) * da)


ex_dual_sin = Exercise(
    "6.2 · The sine of a dual number",
    cases=[
        _sin_case(0.0, 1.0),                 # (0, 1)
        _sin_case(math.pi / 2, 1.0),         # the top of the sine: slope 0
        _sin_case(1.0, 2.0),                 # tangent 2·cos 1
        _sin_case(-0.5, -3.0),
        _sin_case(2.0, 0.0),                 # a constant stays constant
    ],
    hints=(
        "By Taylor, f(a + ȧε) = f(a) + f′(a)·ȧε: every higher term has ε² in it. Here f = sin and f′ = "
        "cos.",
        "Unpack the pair into the value a and the tangent ȧ. The value is sin a; the tangent is cos a "
        "times ȧ: that multiplication by ȧ is the chain rule. `math.sin` and `math.cos` compute them.",
    ),
    solution=("def dual_sin(p):\n"
              "    a, da = p\n"
              "    return (math.sin(a), math.cos(a) * da)"),
)


# ----------------------------------------------------------------------
# 6.3 · The gradient from forward passes
# ----------------------------------------------------------------------
def _gradient_case(f: Formula, x: list) -> tuple:
    return (f, list(x)), f.gradient(*x)                      # ∇f(x), by hand


ex_gradient_by_jvp = Exercise(
    "6.3 · The gradient from forward passes",
    cases=[
        _gradient_case(PRODUCT, [2.0, 3.0]),                 # (y, x) = (3, 2)
        _gradient_case(SIN_TIMES, [1.0, 2.0]),               # (2·cos 1, sin 1)
        _gradient_case(TRIPLE, [1.0, 2.0, 3.0]),             # (6, 3, 2 + e³)
        _gradient_case(CUBE, [2.0]),                         # one input: [12]
        _gradient_case(FOUR, [0.5, -1.0, 2.0, 0.3]),         # (b, a, sin d, c·cos d)
    ],
    hints=(
        "One `jvp(f, x, v)` gives one number, the derivative along v: ∇f(x)·v = Σᵢ ∂f/∂xᵢ·vᵢ. "
        "Which v makes that sum a single partial derivative?",
        "The unit vector eᵢ, with 1 in place i and 0 elsewhere, picks out ∂f/∂xᵢ. So it takes one "
        "`jvp` per input, n in all, each with its own eᵢ: a direction of all ones gives the sum of "
        "the partial derivatives, not the gradient.",
        "Return a list of n numbers, ∂f/∂x₀ first: the second item of each pair `jvp` returns.",
    ),
    rel_tol=1e-10,      # forward mode is exact up to rounding; a finite difference is off by 1e-7 or more
    abs_tol=1e-12,
    solution=("def gradient_by_jvp(f, x):\n"
              "    n = len(x)\n"
              "    gradient = []\n"
              "    for i in range(n):\n"
              "        e_i = [1.0 if j == i else 0.0 for j in range(n)]\n"
              "        value, partial = jvp(f, x, e_i)\n"
              "        gradient.append(partial)\n"
              "    return gradient"),
)


# ----------------------------------------------------------------------
# 6.4 · A Hessian with grad-of-grad
# ----------------------------------------------------------------------
def _hessian_case(f: Formula, point: list) -> tuple:
    return (f, list(point)), f.hessian(*point)


ex_hessian = Exercise(
    "6.4 · A Hessian with grad of grad",
    cases=[
        _hessian_case(MIXED, [1.5, -0.5]),
        _hessian_case(PRODUCT, [2.0, 3.0]),
        _hessian_case(CUBE, [2.0]),                    # [[12]]
        _hessian_case(TRIPLE, [1.0, 2.0, 3.0]),
        _hessian_case(EXP_PRODUCT, [0.5, 1.0]),
        _hessian_case(LINEAR, [1.0, 1.0]),             # all zeros
    ],
    hints=(
        "Make one Var per coordinate of `point`, and take the gradient of f at them with `grad(..., "
        "create_graph=True)`: a tuple of Vars that still have a graph, so that they can be "
        "differentiated again.",
        "Row i of the Hessian is the gradient of entry i of that first gradient, with respect to the "
        "same Vars. Return numbers, not Vars: take `.data` of each entry.",
        "The answer is a list of n lists of n numbers. Without `create_graph=True`, the first gradient "
        "has no graph, and the second `grad` has nothing to go through.",
    ),
    solution=("def hessian(f, point):\n"
              "    xs = [Var(v) for v in point]\n"
              "    first = grad(f(*xs), xs, create_graph=True)\n"
              "    return [[h.data for h in grad(g, xs)] for g in first]"),
)
