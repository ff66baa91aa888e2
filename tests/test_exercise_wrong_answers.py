"""Issue 14, "Exercises that let wrong answers pass": every exercise of lessons 01-13
rejects the wrong answers a learner really writes.

For each exercise, `WRONG` lists plausible wrong answers, each a small
function named after its misconception (``=`` instead of ``+=``, breadth-first
order, each node passed on once, path enumeration, a one-sided difference, an
evaluator that never writes ``.data``, an off-by-one, a sign error, a
forgotten term...). Each must be rejected by the exercise's own check
(``feedback(fn).ok`` is False: nothing is displayed). And the exercise's
reference solution, its ``solution`` text exec'd here, must pass: so a check
that rejects everything fails this file too.

A wrong answer that passes is a hole in the exercise: the fix goes in the
exercise's cases (a case the misconception gets wrong), never here.
"""

from __future__ import annotations

import importlib
import math
import random
import re
import sys
from pathlib import Path
from typing import Callable

import pytest

from autodiff import Var, grad, jvp, nn, topological_order
from autodiff.losses import hinge_loss
from autodiff.ops import EXP, SIGMOID
from widgets.exercise import Exercise

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "notebooks"))  # the lessons import their exercises as `exercises`

LESSONS = [f"lesson{n:02d}" for n in range(1, 14)]


def exercises_of(module: str) -> dict[str, Exercise]:
    found = vars(importlib.import_module(f"exercises.{module}"))
    return {name: ex for name, ex in found.items() if isinstance(ex, Exercise)}


ALL = {(module, name): ex for module in LESSONS for name, ex in exercises_of(module).items()}


def central_difference(f, x, h=1e-5):
    """Lesson 02's function, which the solution of 2.3 calls."""
    return (f(x + h) - f(x - h)) / (2 * h)


def solution_of(ex: Exercise) -> Callable:
    """The function the exercise's ``solution`` text defines, exec'd with what the lessons import."""
    namespace = {"math": math, "random": random, "Var": Var, "grad": grad, "jvp": jvp, "nn": nn,
                 "topological_order": topological_order, "hinge_loss": hinge_loss,
                 "SIGMOID": SIGMOID, "EXP": EXP, "central_difference": central_difference}
    names = re.findall(r"^def (\w+)", ex.solution, flags=re.MULTILINE)
    assert len(names) == 1, f"{ex.title}: the solution should define one function, got {names}"
    exec(ex.solution, namespace)
    return namespace[names[0]]


# ======================================================================
# The wrong answers, exercise by exercise
# ======================================================================
WRONG: dict[tuple[str, str], list[Callable]] = {}


def wrong(module: str, name: str):
    """Register the decorated function as a wrong answer to exercises.<module>.<name>."""
    def register(fn: Callable) -> Callable:
        WRONG.setdefault((module, name), []).append(fn)
        return fn
    return register


# ----------------------------------------------------------------------
# Lesson 01
# ----------------------------------------------------------------------
@wrong("lesson01", "ex01_1")
def square_doubles(x):
    return 2 * x


@wrong("lesson01", "ex01_1")
def square_with_xor(x):                      # ^ is xor in Python, not a power
    return x ^ 2


@wrong("lesson01", "ex01_1")
def square_keeps_the_sign(x):
    return x * abs(x)


@wrong("lesson01", "ex01_2")
def slope_returns_the_value(x):
    v = Var(x)
    y = v * v + 2 * v
    y.backward()
    return y.data


@wrong("lesson01", "ex01_2")
def slope_without_backward(x):
    v = Var(x)
    y = v * v + 2 * v
    return v.grad


@wrong("lesson01", "ex01_2")
def slope_forgets_the_linear_term(x):
    return 2 * x


@wrong("lesson01", "ex01_2")
def slope_returns_the_var(x):
    v = Var(x)
    (v * v + 2 * v).backward()
    return v


# ----------------------------------------------------------------------
# Lesson 02
# ----------------------------------------------------------------------
@wrong("lesson02", "ex_slope")
def f_prime_forgets_the_constant_slope(x):
    return 6 * x


@wrong("lesson02", "ex_slope")
def f_prime_forgets_the_power(x):
    return 3 * x - 4


@wrong("lesson02", "ex_slope")
def f_prime_sign_error(x):
    return 6 * x + 4


@wrong("lesson02", "ex_central")
def forward_difference(f, x, h=1e-5):
    return (f(x + h) - f(x)) / h


@wrong("lesson02", "ex_central")
def central_divided_by_h(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / h


@wrong("lesson02", "ex_central")
def backward_difference(f, x, h=1e-5):
    return (f(x) - f(x - h)) / h


@wrong("lesson02", "ex_central")
def central_with_a_coarse_default(f, x, h=1e-2):
    return (f(x + h) - f(x - h)) / (2 * h)


@wrong("lesson02", "ex_best_step")
def best_step_returns_the_error(f, dfdx, x, steps):
    return min(abs(central_difference(f, x, h) - dfdx(x)) for h in steps)


@wrong("lesson02", "ex_best_step")
def best_step_is_always_the_smallest(f, dfdx, x, steps):
    return min(steps)


@wrong("lesson02", "ex_best_step")
def best_step_is_the_largest_error(f, dfdx, x, steps):
    return max(steps, key=lambda h: abs(central_difference(f, x, h) - dfdx(x)))


@wrong("lesson02", "ex_best_step")
def best_step_with_a_forward_difference(f, dfdx, x, steps):
    return min(steps, key=lambda h: abs((f(x + h) - f(x)) / h - dfdx(x)))


@wrong("lesson02", "ex_partials")
def partials_forward_difference(f, point, h=1e-5):
    result = []
    for i in range(len(point)):
        up = list(point)
        up[i] += h
        result.append((f(*up) - f(*point)) / h)
    return result


@wrong("lesson02", "ex_partials")
def partials_shift_one_list(f, point, h=1e-5):
    up, down = list(point), list(point)          # made once: the shifts pile up
    result = []
    for i in range(len(point)):
        up[i] += h
        down[i] -= h
        result.append((f(*up) - f(*down)) / (2 * h))
    return result


@wrong("lesson02", "ex_partials")
def partials_divided_by_h(f, point, h=1e-5):
    result = []
    for i in range(len(point)):
        up, down = list(point), list(point)
        up[i] += h
        down[i] -= h
        result.append((f(*up) - f(*down)) / h)
    return result


@wrong("lesson02", "ex_partials")
def partials_moves_every_input_at_once(f, point, h=1e-5):
    up = [p + h for p in point]
    down = [p - h for p in point]
    return [(f(*up) - f(*down)) / (2 * h)] * len(point)


# ----------------------------------------------------------------------
# Lesson 03
# ----------------------------------------------------------------------
@wrong("lesson03", "ex03_1")
def count_every_path(root):
    return 1 + sum(count_every_path(p) for p in root.parents)


@wrong("lesson03", "ex03_1")
def count_only_op_nodes(root):
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(node.parents)
    return sum(1 for node in seen if node.parents)


@wrong("lesson03", "ex03_1")
def count_visits_without_a_set(root):
    count, stack = 0, [root]
    while stack:
        node = stack.pop()
        count += 1
        stack.extend(node.parents)
    return count


@wrong("lesson03", "ex03_1")
def count_distinct_labels(root):
    seen, stack, labels = set(), [root], set()
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            labels.add(node.label)
            stack.extend(node.parents)
    return len(labels)


@wrong("lesson03", "ex03_2")
def leaves_as_a_list_with_repeats(root):
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        if not node.parents:
            found.append(node.label)
        stack.extend(node.parents)
    return found


@wrong("lesson03", "ex03_2")
def leaves_among_the_parents_only(root):
    found, seen, stack = set(), set(), list(root.parents)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if not node.parents:
            found.add(node.label)
        stack.extend(node.parents)
    return found


@wrong("lesson03", "ex03_2")
def leaves_are_the_roots_parents(root):
    return {p.label for p in root.parents if not p.parents}


@wrong("lesson03", "ex03_3")
def forward_returns_the_stale_value(root):
    return root.data


@wrong("lesson03", "ex03_3")
def forward_evaluates_without_writing_data(root):
    """The right number, computed recursively, but no node's .data is ever updated."""
    def value(node):
        if not node.parents:
            return node.data
        return node.op.forward(*[value(p) for p in node.parents])
    return value(root)


@wrong("lesson03", "ex03_3")
def forward_in_reverse_order(root):
    for node in reversed(topological_order(root)):
        if node.parents:
            node.data = node.op.forward(*[p.data for p in node.parents])
    return root.data


@wrong("lesson03", "ex03_3")
def forward_recomputes_the_root_only(root):
    if root.parents:
        root.data = root.op.forward(*[p.data for p in root.parents])
    return root.data


@wrong("lesson03", "ex03_3")
def forward_writes_the_root_only(root):
    """Evaluates the right number but writes it to the root alone: the middle nodes stay stale."""
    def value(node):
        if not node.parents:
            return node.data
        return node.op.forward(*[value(p) for p in node.parents])
    root.data = value(root)
    return root.data


# ----------------------------------------------------------------------
# Lesson 04
# ----------------------------------------------------------------------
def _local_derivatives_with(**changed):
    def rules(op, a, b):
        table = {"+": (1.0, 1.0), "-": (1.0, -1.0), "*": (b, a), "/": (1 / b, -a / b ** 2)}
        if op == "**":
            table["**"] = (b * a ** (b - 1), a ** b * math.log(a))
        for key, rule in changed.items():
            table[{"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}[key]] = rule(a, b)
        return table[op]
    rules.__name__ = "local_derivatives_wrong_" + "_".join(changed)
    return rules


WRONG[("lesson04", "ex04_1")] = [
    _local_derivatives_with(mul=lambda a, b: (a, b)),                         # its own operand
    _local_derivatives_with(div=lambda a, b: (1 / b, a / b ** 2)),            # sign of ∂/∂b
    _local_derivatives_with(sub=lambda a, b: (1.0, 1.0)),                     # − as +
    _local_derivatives_with(pow=lambda a, b: (a ** (b - 1), a ** b * math.log(a))),   # forgets b·
    _local_derivatives_with(pow=lambda a, b: (b * a ** (b - 1), b * a ** (b - 1))),   # power rule for both
    _local_derivatives_with(div=lambda a, b: (1 / b, -1 / b ** 2)),           # forgets a
]


def _lecture(a, b, c, f, **changed):
    grads = {"a": f * b, "b": f * a, "c": f, "d": f, "e": f, "f": a * b + c}
    grads.update({k: rule(a, b, c, f) for k, rule in changed.items()})
    return grads


@wrong("lesson04", "ex04_2")
def lecture_forgets_f_on_the_way_back(a, b, c, f):
    return _lecture(a, b, c, f, a=lambda a, b, c, f: b, b=lambda a, b, c, f: a)


@wrong("lesson04", "ex04_2")
def lecture_stops_at_e(a, b, c, f):
    return _lecture(a, b, c, f, a=lambda a, b, c, f: f, b=lambda a, b, c, f: f)


@wrong("lesson04", "ex04_2")
def lecture_forgets_c_in_df(a, b, c, f):
    return _lecture(a, b, c, f, f=lambda a, b, c, f: a * b)


@wrong("lesson04", "ex04_2")
def lecture_swaps_a_and_b(a, b, c, f):
    return _lecture(a, b, c, f, a=lambda a, b, c, f: f * a, b=lambda a, b, c, f: f * b)


@wrong("lesson04", "ex04_2")
def lecture_seeds_d_with_1(a, b, c, f):
    return _lecture(a, b, c, f, d=lambda a, b, c, f: 1.0)


@wrong("lesson04", "ex04_3")
def tanh_backward_forgets_upstream(x, upstream):
    return 1 - math.tanh(x) ** 2


@wrong("lesson04", "ex04_3")
def tanh_backward_uses_x_not_tanh(x, upstream):
    return upstream * (1 - x ** 2)


@wrong("lesson04", "ex04_3")
def tanh_backward_sign_error(x, upstream):
    return upstream * (math.tanh(x) ** 2 - 1)


@wrong("lesson04", "ex04_3")
def tanh_backward_sigmoid_form(x, upstream):
    t = math.tanh(x)
    return upstream * t * (1 - t)


@wrong("lesson04", "ex04_3")
def tanh_backward_adds_upstream(x, upstream):
    return upstream + (1 - math.tanh(x) ** 2)


# ----------------------------------------------------------------------
# Lesson 05
# ----------------------------------------------------------------------
@wrong("lesson05", "ex_topo_sort")
def topo_reversed_breadth_first(root):
    order, seen, queue = [], {root}, [root]
    while queue:
        node = queue.pop(0)
        order.append(node)
        for parent in node.parents:
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return order[::-1]


@wrong("lesson05", "ex_topo_sort")
def topo_preorder(root):
    order, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        stack.extend(node.parents)
    return order


@wrong("lesson05", "ex_topo_sort")
def topo_reversed_preorder(root):
    return topo_preorder(root)[::-1]


@wrong("lesson05", "ex_topo_sort")
def topo_recursive(root):
    order, seen = [], set()

    def visit(node):
        if node in seen:
            return
        seen.add(node)
        for parent in node.parents:
            visit(parent)
        order.append(node)
    visit(root)
    return order


@wrong("lesson05", "ex_topo_sort")
def topo_without_done_check(root):
    order, stack = [], [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        else:
            stack.append((node, True))
            stack.extend((parent, False) for parent in node.parents)
    return order


def _local(node):
    return node.op.local_derivatives(*[p.data for p in node.parents], node.data)


@wrong("lesson05", "ex_backward")
def backward_assigns(root):
    root.grad = 1.0
    for node in reversed(topological_order(root)):
        if node.parents:
            for parent, d in zip(node.parents, _local(node)):
                parent.grad = node.grad * d


@wrong("lesson05", "ex_backward")
def backward_breadth_first_each_node_once(root):
    """Passes each node on when first reached, before every contribution has arrived."""
    root.grad += 1.0
    seen, queue = {root}, [root]
    while queue:
        node = queue.pop(0)
        if not node.parents:
            continue
        for parent, d in zip(node.parents, _local(node)):
            parent.grad += node.grad * d
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)


@wrong("lesson05", "ex_backward")
def backward_every_path(root):
    """Right numbers, by passing on along every path from the output: exponential work."""
    root.grad += 1.0
    stack = [(root, 1.0)]
    while stack:
        node, upstream = stack.pop()
        if node.parents:
            for parent, d in zip(node.parents, _local(node)):
                parent.grad += upstream * d
                stack.append((parent, upstream * d))


@wrong("lesson05", "ex_backward")
def backward_in_forward_order(root):
    root.grad += 1.0
    for node in topological_order(root):
        if node.parents:
            for parent, d in zip(node.parents, _local(node)):
                parent.grad += node.grad * d


@wrong("lesson05", "ex_backward")
def backward_without_the_seed(root):
    for node in reversed(topological_order(root)):
        if node.parents:
            for parent, d in zip(node.parents, _local(node)):
                parent.grad += node.grad * d


@wrong("lesson05", "ex_backward")
def backward_forgets_the_upstream_gradient(root):
    root.grad += 1.0
    for node in reversed(topological_order(root)):
        if node.parents:
            for parent, d in zip(node.parents, _local(node)):
                parent.grad += d


def _tangents(root, tangents, combine, order=topological_order):
    tangent = {}
    for node in order(root):
        if not node.parents:
            tangent[node] = tangents.get(node.label, 0.0)
        else:
            tangent[node] = combine(node, tangent)
    return tangent[root]


@wrong("lesson05", "ex_tangents")
def tangents_assign_per_edge(root, tangents):
    def last_edge_wins(node, tangent):
        for parent, d in zip(node.parents, _local(node)):
            value = tangent[parent] * d
        return value
    return _tangents(root, tangents, last_edge_wins)


@wrong("lesson05", "ex_tangents")
def tangents_forget_the_parents_tangent(root, tangents):
    return _tangents(root, tangents, lambda node, tangent: sum(_local(node)))


@wrong("lesson05", "ex_tangents")
def tangents_seed_every_leaf_with_1(root, tangents):
    every_leaf = {node.label: 1.0 for node in topological_order(root)}
    return _tangents(root, every_leaf, lambda node, tangent: sum(
        tangent[p] * d for p, d in zip(node.parents, _local(node))))


@wrong("lesson05", "ex_tangents")
def tangents_children_first(root, tangents):
    return _tangents(root, tangents, lambda node, tangent: sum(
        tangent.get(p, 0.0) * d for p, d in zip(node.parents, _local(node))),
        order=lambda r: list(reversed(topological_order(r))))


@wrong("lesson05", "ex_tangents")
def tangents_along_every_path(root, tangents):
    """Right numbers, from every path from a leaf to the output: exponential work."""
    total, stack = 0.0, [(root, 1.0)]
    while stack:
        node, product = stack.pop()
        if not node.parents:
            total += product * tangents.get(node.label, 0.0)
            continue
        for parent, d in zip(node.parents, _local(node)):
            stack.append((parent, product * d))
    return total


# ----------------------------------------------------------------------
# Lesson 06
# ----------------------------------------------------------------------
@wrong("lesson06", "ex_dual_mul")
def dual_mul_multiplies_tangents(p, q):
    (a, da), (b, db) = p, q
    return (a * b, da * db)


@wrong("lesson06", "ex_dual_mul")
def dual_mul_half_the_product_rule(p, q):
    (a, da), (b, db) = p, q
    return (a * b, a * db)


@wrong("lesson06", "ex_dual_mul")
def dual_mul_sign_error(p, q):
    (a, da), (b, db) = p, q
    return (a * b, a * db - da * b)


@wrong("lesson06", "ex_dual_mul")
def dual_mul_keeps_the_epsilon_squared(p, q):
    (a, da), (b, db) = p, q
    return (a * b + da * db, a * db + da * b)


@wrong("lesson06", "ex_dual_sin")
def dual_sin_forgets_the_tangent(p):
    a, da = p
    return (math.sin(a), math.cos(a))


@wrong("lesson06", "ex_dual_sin")
def dual_sin_sign_error(p):
    a, da = p
    return (math.sin(a), -math.cos(a) * da)


@wrong("lesson06", "ex_dual_sin")
def dual_sin_scales_the_sine(p):
    a, da = p
    return (math.sin(a), math.sin(a) * da)


def _unit(n, i):
    return [1.0 if j == i else 0.0 for j in range(n)]


@wrong("lesson06", "ex_gradient_by_jvp")
def gradient_one_jvp_along_ones(f, x):
    return [jvp(f, x, [1.0] * len(x))[1]] * len(x)


@wrong("lesson06", "ex_gradient_by_jvp")
def gradient_the_values(f, x):
    return [jvp(f, x, _unit(len(x), i))[0] for i in range(len(x))]


@wrong("lesson06", "ex_gradient_by_jvp")
def gradient_the_point_as_tangent(f, x):
    return [jvp(f, x, x)[1] * xi for xi in x]


@wrong("lesson06", "ex_gradient_by_jvp")
def gradient_unit_vectors_off_by_one(f, x):
    n = len(x)
    return [jvp(f, x, _unit(n, (i + 1) % n))[1] for i in range(n)]


@wrong("lesson06", "ex_gradient_by_jvp")
def gradient_one_sided_difference(f, x, h=1e-6):
    def value(point):
        return f(*[Var(p) for p in point]).data
    return [(value([xj + (h if j == i else 0.0) for j, xj in enumerate(x)]) - value(x)) / h
            for i in range(len(x))]


@wrong("lesson06", "ex_hessian")
def hessian_returns_the_gradient(f, point):
    xs = [Var(v) for v in point]
    return [[g.data for g in grad(f(*xs), xs)]]


@wrong("lesson06", "ex_hessian")
def hessian_diagonal_only(f, point):
    xs = [Var(v) for v in point]
    first = grad(f(*xs), xs, create_graph=True)
    n = len(xs)
    return [[grad(first[i], xs)[j].data if i == j else 0.0 for j in range(n)] for i in range(n)]


@wrong("lesson06", "ex_hessian")
def hessian_returns_vars(f, point):
    xs = [Var(v) for v in point]
    first = grad(f(*xs), xs, create_graph=True)
    return [list(grad(g, xs)) for g in first]


# ----------------------------------------------------------------------
# Lesson 07
# ----------------------------------------------------------------------
def _sigma(x):
    return 1 / (1 + math.exp(-x))


@wrong("lesson07", "ex_sigmoid_derivative")
def sigmoid_derivative_is_sigmoid(x):
    return _sigma(x)


@wrong("lesson07", "ex_sigmoid_derivative")
def sigmoid_derivative_sign_in_the_bracket(x):
    s = _sigma(x)
    return s * (1 + s)


@wrong("lesson07", "ex_sigmoid_derivative")
def sigmoid_derivative_forgets_the_square(x):
    e = math.exp(-x)
    return e / (1 + e)


@wrong("lesson07", "ex_sigmoid_derivative")
def sigmoid_derivative_of_tanh(x):
    return 1 - math.tanh(x) ** 2


def _neuron(x, w, b):
    xs, ws, bv = [Var(v) for v in x], [Var(v) for v in w], Var(b)
    n = bv
    for wi, xi in zip(ws, xs):
        n = n + wi * xi
    return xs, ws, bv, n


@wrong("lesson07", "ex_neuron_grads")
def neuron_forgets_the_tanh(x, w, b):
    xs, ws, bv, n = _neuron(x, w, b)
    n.backward()
    return {"w": [v.grad for v in ws], "b": bv.grad, "x": [v.grad for v in xs]}


@wrong("lesson07", "ex_neuron_grads")
def neuron_swaps_w_and_x(x, w, b):
    xs, ws, bv, n = _neuron(x, w, b)
    n.tanh().backward()
    return {"w": [v.grad for v in xs], "b": bv.grad, "x": [v.grad for v in ws]}


@wrong("lesson07", "ex_neuron_grads")
def neuron_bias_gradient_is_one(x, w, b):
    xs, ws, bv, n = _neuron(x, w, b)
    n.tanh().backward()
    return {"w": [v.grad for v in ws], "b": 1.0, "x": [v.grad for v in xs]}


@wrong("lesson07", "ex_tanh_via_exp")
def tanh_via_exp_forgets_the_2(x):
    e = x.exp()
    return (e - 1) / (e + 1)


@wrong("lesson07", "ex_tanh_via_exp")
def tanh_via_exp_on_floats(x):
    e = math.exp(2 * x.data)
    return (e - 1) / (e + 1)


@wrong("lesson07", "ex_tanh_via_exp")
def tanh_via_exp_upside_down(x):
    e = (2 * x).exp()
    return (1 - e) / (1 + e)


@wrong("lesson07", "ex_tanh_via_exp")
def tanh_via_exp_uses_tanh(x):
    return x.tanh()


# ----------------------------------------------------------------------
# Lesson 08
# ----------------------------------------------------------------------
@wrong("lesson08", "ex_linear")
def linear_forgets_the_bias(x, W, b):
    return [sum(w * xi for w, xi in zip(row, x)) for row in W]


@wrong("lesson08", "ex_linear")
def linear_transposed(x, W, b):
    # W read as one row per input: W[i][j] for input i and output j
    return [b_j + sum(W[i][j] * x[i] for i in range(len(x))) for j, b_j in enumerate(b)]


@wrong("lesson08", "ex_linear")
def linear_through_data(x, W, b):
    return [Var(b_j.data + sum(w.data * xi for w, xi in zip(row, x))) for row, b_j in zip(W, b)]


@wrong("lesson08", "ex_linear")
def linear_one_bias_for_all(x, W, b):
    return [b[0] + sum(w * xi for w, xi in zip(row, x)) for row in W]


@wrong("lesson08", "ex_count")
def count_forgets_the_biases(sizes, bias=True):
    return sum(n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


@wrong("lesson08", "ex_count")
def count_ignores_bias_false(sizes, bias=True):
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


@wrong("lesson08", "ex_count")
def count_biases_by_the_input(sizes, bias=True):
    return sum(n_in * n_out + (n_in if bias else 0) for n_in, n_out in zip(sizes[:-1], sizes[1:]))


@wrong("lesson08", "ex_count")
def count_neurons(sizes, bias=True):
    return sum(sizes)


@wrong("lesson08", "ex_build")
def build_seeds_every_layer(sizes, seed):
    layers = []
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out, rng=seed))
        if k < len(sizes) - 2:
            layers.append(nn.Tanh())
    return nn.Sequential(*layers)


@wrong("lesson08", "ex_build")
def build_squashes_the_last_layer(sizes, seed):
    gen = random.Random(seed)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out, rng=gen), nn.Tanh()]
    return nn.Sequential(*layers)


@wrong("lesson08", "ex_build")
def build_without_activations(sizes, seed):
    gen = random.Random(seed)
    return nn.Sequential(*[nn.Linear(n_in, n_out, rng=gen) for n_in, n_out in zip(sizes[:-1], sizes[1:])])


@wrong("lesson08", "ex_build")
def build_with_relu(sizes, seed):
    return nn.MLP(sizes[0], sizes[1:], activation="relu", rng=seed)


# ----------------------------------------------------------------------
# Lesson 09
# ----------------------------------------------------------------------
@wrong("lesson09", "ex_mse")
def mse_sums(pred, target):
    return sum((p - t) ** 2 for p, t in zip(pred, target))


@wrong("lesson09", "ex_mse")
def mse_absolute_error(pred, target):
    return sum((p - t).abs() for p, t in zip(pred, target)) / len(pred)


@wrong("lesson09", "ex_mse")
def mse_on_floats(pred, target):
    return sum((p.data - t) ** 2 for p, t in zip(pred, target)) / len(pred)


@wrong("lesson09", "ex_mse")
def mse_halved(pred, target):
    return sum((p - t) ** 2 for p, t in zip(pred, target)) / (2 * len(pred))


@wrong("lesson09", "ex_log_sigmoid")
def log_sigmoid_naive(x):
    return x.sigmoid().log()


@wrong("lesson09", "ex_log_sigmoid")
def log_sigmoid_one_formula(x):
    return -(1 + (-x).exp()).log()


@wrong("lesson09", "ex_log_sigmoid")
def log_sigmoid_log_of_one_plus(x):  # stable, but log(1 + 4.25e-18) rounds to 0 at x = 40
    if x.data >= 0:
        return -(1 + (-x).exp()).log()
    return x - (1 + x.exp()).log()


@wrong("lesson09", "ex_log_sigmoid")
def log_sigmoid_branches_swapped(x):
    if x.data < 0:
        return -(1 + (-x).exp()).log()
    return x - (1 + x.exp()).log()


@wrong("lesson09", "ex_hinge")
def hinge_sums(scores, labels):
    return sum((1 - y * s).relu() for s, y in zip(scores, labels))


@wrong("lesson09", "ex_hinge")
def hinge_ignores_the_label(scores, labels):
    return sum((1 - s).relu() for s in scores) / len(scores)


@wrong("lesson09", "ex_hinge")
def hinge_without_the_margin(scores, labels):
    return sum((-y * s).relu() for s, y in zip(scores, labels)) / len(scores)


@wrong("lesson09", "ex_hinge")
def hinge_sign_error(scores, labels):
    return sum((y * s - 1).relu() for s, y in zip(scores, labels)) / len(scores)


@wrong("lesson09", "ex_log_softmax")
def log_softmax_naive(logits):
    log_sum = sum(z.exp() for z in logits).log()
    return [z - log_sum for z in logits]


@wrong("lesson09", "ex_log_softmax")
def log_softmax_forgets_to_add_m_back(logits):
    m = max(z.data for z in logits)
    log_sum = sum((z - m).exp() for z in logits).log()
    return [z - log_sum for z in logits]


@wrong("lesson09", "ex_log_softmax")
def log_softmax_returns_softmax(logits):
    m = max(z.data for z in logits)
    exps = [(z - m).exp() for z in logits]
    total = sum(exps)
    return [e / total for e in exps]


# ----------------------------------------------------------------------
# Lesson 10
# ----------------------------------------------------------------------
@wrong("lesson10", "ex_momentum")
def momentum_steps_with_the_gradient(p, grad, buf, lr, momentum):
    new_buf = grad if buf is None else momentum * buf + grad
    return p - lr * grad, new_buf


@wrong("lesson10", "ex_momentum")
def momentum_with_dampening(p, grad, buf, lr, momentum):
    new_buf = grad if buf is None else momentum * buf + (1 - momentum) * grad
    return p - lr * new_buf, new_buf


@wrong("lesson10", "ex_momentum")
def momentum_returns_the_old_buffer(p, grad, buf, lr, momentum):
    new_buf = grad if buf is None else momentum * buf + grad
    return p - lr * new_buf, buf if buf is not None else grad


@wrong("lesson10", "ex_momentum")
def momentum_nesterov(p, grad, buf, lr, momentum):
    new_buf = grad if buf is None else momentum * buf + grad
    return p - lr * (grad + momentum * new_buf), new_buf


def _adam(p, grad, m, v, t, lr, beta1, beta2, eps, *, correct=True, t_shift=0, eps_inside=False,
          return_hats=False):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    t += t_shift
    m_hat = m / (1 - beta1 ** t) if correct else m
    v_hat = v / (1 - beta2 ** t) if correct else v
    step = m_hat / (math.sqrt(v_hat + eps) if eps_inside else math.sqrt(v_hat) + eps)
    if return_hats:
        return p - lr * step, m_hat, v_hat
    return p - lr * step, m, v


def _adam_wrong(**how):
    def adam_step(p, grad, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        return _adam(p, grad, m, v, t, lr, beta1, beta2, eps, **how)
    adam_step.__name__ = "adam_step_" + "_".join(how)
    return adam_step


WRONG[("lesson10", "ex_adam")] = [_adam_wrong(correct=False), _adam_wrong(t_shift=1),
                                  _adam_wrong(eps_inside=True), _adam_wrong(return_hats=True)]


@wrong("lesson10", "ex_cosine")
def cosine_without_pi(base_lr, t, T, eta_min=0.0):
    return eta_min + (base_lr - eta_min) * (1 + math.cos(t / T)) / 2


@wrong("lesson10", "ex_cosine")
def cosine_upside_down(base_lr, t, T, eta_min=0.0):
    return eta_min + (base_lr - eta_min) * (1 - math.cos(math.pi * t / T)) / 2


@wrong("lesson10", "ex_cosine")
def cosine_ignores_eta_min(base_lr, t, T, eta_min=0.0):
    return base_lr * (1 + math.cos(math.pi * t / T)) / 2


@wrong("lesson10", "ex_cosine")
def cosine_stops_at_T(base_lr, t, T, eta_min=0.0):
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * min(t, T) / T)) / 2


# ----------------------------------------------------------------------
# Lesson 11
# ----------------------------------------------------------------------
@wrong("lesson11", "ex_l2")
def l2_without_squares(weights, lam):
    return lam * sum(weights)


@wrong("lesson11", "ex_l2")
def l2_the_norm(weights, lam):
    return lam * math.sqrt(sum(w * w for w in weights))


@wrong("lesson11", "ex_l2")
def l2_halved(weights, lam):
    return lam / 2 * sum(w * w for w in weights)


@wrong("lesson11", "ex_l2")
def l1_instead(weights, lam):
    return lam * sum(abs(w) for w in weights)


@wrong("lesson11", "ex_weight_decay")
def decay_not_scaled_by_lr(p, grad, lr, wd):
    return p - lr * grad - wd * p


@wrong("lesson11", "ex_weight_decay")
def decay_sign_error(p, grad, lr, wd):
    return p - lr * (grad - wd * p)


@wrong("lesson11", "ex_weight_decay")
def decay_halved(p, grad, lr, wd):
    return p - lr * (grad + wd / 2 * p)


@wrong("lesson11", "ex_weight_decay")
def decay_of_the_gradient(p, grad, lr, wd):
    return p - lr * grad * (1 + wd)


def _adamw(p, grad, m, v, t, lr, wd, beta1, beta2, eps, *, decay="before"):
    if decay == "in the gradient":
        grad = grad + wd * p
    if decay == "before":
        p = p * (1 - lr * wd)
    if decay == "without lr":
        p = p * (1 - wd)
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    step = lr * (m / (1 - beta1 ** t)) / (math.sqrt(v / (1 - beta2 ** t)) + eps)
    if decay == "after":
        return (p - step) * (1 - lr * wd), m, v
    if decay == "scaled like the gradient":
        return p - step - lr * wd * p / (math.sqrt(v / (1 - beta2 ** t)) + eps), m, v
    return p - step, m, v


def _adamw_wrong(decay):
    def adamw_step(p, grad, m, v, t, lr, wd, beta1=0.9, beta2=0.999, eps=1e-8):
        return _adamw(p, grad, m, v, t, lr, wd, beta1, beta2, eps, decay=decay)
    adamw_step.__name__ = "adamw_step_decay_" + decay.replace(" ", "_")
    return adamw_step


WRONG[("lesson11", "ex_adamw")] = [_adamw_wrong(how) for how in (
    "in the gradient",            # Adam's weight_decay: the L2 penalty
    "none",                       # plain Adam
    "without lr",                 # p·(1 − wd)
    "after",                      # the decay of the new p
    "scaled like the gradient",   # decay divided by √v̂
)]


def _early_stopping(history, patience, *, improves=lambda loss, best: loss < best, wait=0):
    best_loss, best_epoch, waited = float("inf"), None, 0
    for epoch, loss in zip(history["epoch"], history["test_loss"]):
        if improves(loss, best_loss):
            best_loss, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience + wait:
                return epoch, best_epoch
    return history["epoch"][-1], best_epoch


@wrong("lesson11", "ex_early_stopping")
def early_stopping_looks_ahead(history, patience):
    losses = history["test_loss"]
    best = history["epoch"][losses.index(min(losses))]
    return _early_stopping(history, patience)[0], best


@wrong("lesson11", "ex_early_stopping")
def early_stopping_a_tie_improves(history, patience):
    return _early_stopping(history, patience, improves=lambda loss, best: loss <= best)


@wrong("lesson11", "ex_early_stopping")
def early_stopping_one_epoch_late(history, patience):
    return _early_stopping(history, patience, wait=1)


@wrong("lesson11", "ex_early_stopping")
def early_stopping_one_epoch_early(history, patience):
    return _early_stopping(history, patience, wait=-1)


@wrong("lesson11", "ex_early_stopping")
def early_stopping_keeps_the_last_epoch(history, patience):
    stop, _ = _early_stopping(history, patience)
    return stop, stop


@wrong("lesson11", "ex_early_stopping")
def early_stopping_returns_indices(history, patience):
    stop, best = _early_stopping(history, patience)
    return stop - 1, best - 1


# ----------------------------------------------------------------------
# Lesson 12
# ----------------------------------------------------------------------
def _norm(params):
    return math.sqrt(sum(p.grad ** 2 for p in params))


@wrong("lesson12", "ex_clip")
def clip_each_gradient_on_its_own(params, max_norm):
    norm = _norm(params)
    for p in params:
        p.grad = max(-max_norm, min(max_norm, p.grad))
    return norm


@wrong("lesson12", "ex_clip")
def clip_always_rescales(params, max_norm):
    norm = _norm(params)
    if norm > 0:
        for p in params:
            p.grad *= max_norm / norm
    return norm


@wrong("lesson12", "ex_clip")
def clip_by_the_l1_norm(params, max_norm):
    norm = sum(abs(p.grad) for p in params)
    if norm > max_norm:
        for p in params:
            p.grad *= max_norm / norm
    return norm


@wrong("lesson12", "ex_clip")
def clip_by_the_squared_norm(params, max_norm):
    norm = sum(p.grad ** 2 for p in params)
    if norm > max_norm:
        for p in params:
            p.grad *= max_norm / norm
    return norm


@wrong("lesson12", "ex_clip")
def clip_returns_the_norm_after(params, max_norm):
    norm = _norm(params)
    if norm > max_norm:
        for p in params:
            p.grad *= max_norm / norm
    return _norm(params)


@wrong("lesson12", "ex_clip")
def clip_a_copy(params, max_norm):
    norm = _norm(params)
    grads = [p.grad for p in params]
    if norm > max_norm:
        grads = [g * max_norm / norm for g in grads]
    return norm


@wrong("lesson12", "ex_clip")
def clip_scale_upside_down(params, max_norm):
    norm = _norm(params)
    if norm > max_norm:
        for p in params:
            p.grad *= norm / max_norm
    return norm


@wrong("lesson12", "ex_train_step")
def train_step_without_zero_grad(model, X, y, optimizer):
    loss = hinge_loss(model(X), y)
    loss.backward()
    optimizer.step()
    return loss.data


@wrong("lesson12", "ex_train_step")
def train_step_without_step(model, X, y, optimizer):
    optimizer.zero_grad()
    loss = hinge_loss(model(X), y)
    loss.backward()
    return loss.data


@wrong("lesson12", "ex_train_step")
def train_step_zeroes_before_stepping(model, X, y, optimizer):
    loss = hinge_loss(model(X), y)
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    return loss.data


@wrong("lesson12", "ex_train_step")
def train_step_returns_the_var(model, X, y, optimizer):
    optimizer.zero_grad()
    loss = hinge_loss(model(X), y)
    loss.backward()
    optimizer.step()
    return loss


# ----------------------------------------------------------------------
# Lesson 13
# ----------------------------------------------------------------------
def _gradcheck(difference, *, use_rtol=True, scale_by_analytic=False, first_only=False,
               default_eps=None):
    def central_gradcheck(f, x, analytic_grad, eps=1e-6, atol=1e-5, rtol=1e-4):
        eps = default_eps if default_eps is not None else eps
        for i in range(1 if first_only else len(x)):
            numeric = difference(f, x, i, eps)
            scale = abs(analytic_grad[i]) if scale_by_analytic else abs(numeric)
            if abs(analytic_grad[i] - numeric) > atol + (rtol * scale if use_rtol else 0.0):
                return False
        return True
    return central_gradcheck


def _shifted(x, i, d):
    point = list(x)
    point[i] += d
    return point


def _central(f, x, i, eps):
    return (f(*_shifted(x, i, eps)) - f(*_shifted(x, i, -eps))) / (2 * eps)


def _one_sided(f, x, i, eps):
    return (f(*_shifted(x, i, eps)) - f(*x)) / eps


WRONG[("lesson13", "ex13_1")] = [
    _gradcheck(_one_sided),                       # a forward difference
    _gradcheck(_central, use_rtol=False),         # atol only
    _gradcheck(_central, first_only=True),        # checks the first input alone
    _gradcheck(_central, default_eps=1e-6),       # ignores the eps it is given
]


def _numeric_hessian(second, mixed):
    def numeric_hessian(f, x, eps=1e-4):
        n = len(x)
        return [[second(f, x, i, eps) if i == j else mixed(f, x, i, j, eps) for j in range(n)]
                for i in range(n)]
    return numeric_hessian


def _at(f, x, moves):
    point = list(x)
    for i, d in moves:
        point[i] += d
    return f(*point)


def _second_central(f, x, i, e):
    return (_at(f, x, [(i, e)]) - 2 * f(*x) + _at(f, x, [(i, -e)])) / e ** 2


def _second_one_sided(f, x, i, e):
    return (_at(f, x, [(i, 2 * e)]) - 2 * _at(f, x, [(i, e)]) + f(*x)) / e ** 2


def _mixed_central(f, x, i, j, e):
    return (_at(f, x, [(i, e), (j, e)]) - _at(f, x, [(i, e), (j, -e)]) - _at(f, x, [(i, -e), (j, e)])
            + _at(f, x, [(i, -e), (j, -e)])) / (4 * e * e)


def _mixed_one_sided(f, x, i, j, e):
    return (_at(f, x, [(i, e), (j, e)]) - _at(f, x, [(i, e)]) - _at(f, x, [(j, e)]) + f(*x)) / (e * e)


def _mixed_zero(f, x, i, j, e):
    return 0.0


WRONG[("lesson13", "ex13_2")] = [
    _numeric_hessian(_second_one_sided, _mixed_one_sided),    # one-sided, first order in eps
    _numeric_hessian(_second_one_sided, _mixed_central),
    _numeric_hessian(_second_central, _mixed_one_sided),
    _numeric_hessian(_second_central, _mixed_zero),           # the diagonal only
]


@wrong("lesson13", "ex13_3")
def softplus_rule_as_given(a, out):
    return (1 / (1 + math.exp(a)),)


@wrong("lesson13", "ex13_3")
def softplus_rule_with_math_exp(a, out):
    return (1 / (1 + math.exp(-a)),)


@wrong("lesson13", "ex13_3")
def softplus_rule_sign_only(a, out):
    return (SIGMOID(-a),)


@wrong("lesson13", "ex13_3")
def softplus_rule_not_a_tuple(a, out):
    return SIGMOID(a)


@wrong("lesson13", "ex13_3")
def softplus_rule_with_the_output(a, out):
    return (EXP(out) / (1 + EXP(out)),)


# ======================================================================
# The tests
# ======================================================================
def test_every_exercise_of_lessons_01_to_13_has_wrong_answers():
    assert sorted(WRONG) == sorted(ALL)
    assert all(len(answers) >= 3 for answers in WRONG.values()), \
        {key: len(answers) for key, answers in WRONG.items() if len(answers) < 3}


@pytest.mark.parametrize("key", sorted(ALL), ids=lambda key: f"{key[0]}.{key[1]}")
def test_the_reference_solution_passes(key):
    ex = ALL[key]
    feedback = ex.feedback(solution_of(ex))
    assert feedback.ok, feedback.text()


CASES = [(key, fn) for key in sorted(WRONG) for fn in WRONG[key]]


@pytest.mark.parametrize("key, fn", CASES, ids=[f"{k[0]}.{k[1]}-{fn.__name__}" for k, fn in CASES])
def test_a_wrong_answer_is_rejected(key, fn):
    feedback = ALL[key].feedback(fn)
    assert not feedback.ok, f"{fn.__name__} passes {ALL[key].title}"
    assert feedback.status == "wrong"


# ----------------------------------------------------------------------
# The time limit that stops exponential answers (notebooks/exercises/common.py)
# ----------------------------------------------------------------------
def test_time_limit_stops_an_endless_loop_and_puts_back_the_handler_before():
    import signal
    import time

    from exercises.common import TimeLimitExceeded, time_limit

    before = signal.getsignal(signal.SIGALRM)
    started = time.monotonic()
    with pytest.raises(TimeLimitExceeded, match="stopped after 0.2 s"):
        with time_limit(0.2):
            while True:
                pass
    assert 0.15 < time.monotonic() - started < 2.0
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    with time_limit(5.0):                     # a quick block runs to its end
        done = sum(range(1000))
    assert done == 499500


@pytest.mark.parametrize("seconds", [0, -1.0, "2", True, float("nan")])
def test_time_limit_refuses_a_limit_that_is_not_a_positive_number(seconds):
    from exercises.common import time_limit

    with pytest.raises(ValueError, match="time_limit: seconds must be a positive number"):
        with time_limit(seconds):
            pass
