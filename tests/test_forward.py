"""Forward mode: Dual numbers and jvp, checked against reverse mode and by hand."""

import gc
import math
import random

import numpy as np
import pytest

import autodiff
from autodiff import Dual, Var, grad, jvp


FUNCTIONS = [
    ("x*y + sin x", lambda x, y: x * y + x.sin(), [2.0, 3.0]),
    ("tanh, exp, div, pow", lambda x, y, z: (x * y).tanh() + z.exp() / (1 + x * x) + y ** 3,
     [0.3, -0.7, 1.1]),
    ("log sigmoid", lambda x: x.sigmoid().log(), [-0.4]),
    ("var exponent", lambda x, y: x ** y + 2 ** (x - y), [1.7, 0.6]),
    ("sqrt, cos, tan", lambda x, y: (x * x + y * y).sqrt() * x.cos() - (y / 3).tan(), [0.8, -1.9]),
    ("relu, abs, neg", lambda x, y: (x - y).relu() * abs(y) - (-x) * x, [1.2, -0.5]),
    ("module functions", lambda x, y: autodiff.exp(autodiff.tanh(x) * y)
     + autodiff.sqrt(autodiff.sigmoid(y)), [0.25, 1.5]),
    ("fan-out", lambda x: x * x * x - 2 * x + x / (x + 3), [1.3]),
]


def reverse(f, point):
    xs = [Var(v) for v in point]
    out = f(*xs)
    return out.data, [g.data for g in grad(out, xs)]


@pytest.mark.parametrize("name, f, point", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_jvp_matches_reverse_mode(name, f, point):
    value, gradient = reverse(f, point)
    rng = random.Random(name)
    directions = [[1.0 if i == j else 0.0 for j in range(len(point))] for i in range(len(point))]
    directions += [[rng.uniform(-2, 2) for _ in point] for _ in range(3)]
    for v in directions:
        fx, jv = jvp(f, point, v)
        assert fx == value                       # the same ops on the same floats
        expected = math.fsum(g * vi for g, vi in zip(gradient, v))
        assert jv == pytest.approx(expected, rel=1e-13, abs=1e-14)


def test_jvp_hand_example():
    fx, jv = jvp(lambda x, y: x * y + x.sin(), [2.0, 3.0], [1.0, 0.0])
    assert fx == 6.0 + math.sin(2.0)
    assert jv == 3.0 + math.cos(2.0)
    fx, jv = jvp(lambda x, y: x * y + x.sin(), [2.0, 3.0], [0.0, 1.0])
    assert jv == 2.0


def test_jvp_is_linear_in_the_tangent():
    f = FUNCTIONS[1][1]
    point = FUNCTIONS[1][2]
    _, j1 = jvp(f, point, [1.0, 0.0, 0.0])
    _, j2 = jvp(f, point, [0.0, 1.0, 0.0])
    _, j3 = jvp(f, point, [0.0, 0.0, 1.0])
    _, jall = jvp(f, point, [2.0, -1.0, 0.5])
    assert jall == pytest.approx(2 * j1 - j2 + 0.5 * j3, rel=1e-13)


@pytest.mark.parametrize("constant", [5, 2.5, np.float64(-1.25), np.int64(3)])
def test_jvp_constant_function(constant):
    fx, jv = jvp(lambda x, y: constant, [1.0, 2.0], [1.0, 1.0])
    assert type(fx) is float and fx == float(constant)
    assert jv == 0.0


def test_jvp_function_ignoring_an_input():
    fx, jv = jvp(lambda x, y: y * y, [1.0, 3.0], [1.0, 0.0])
    assert (fx, jv) == (9.0, 0.0)
    fx, jv = jvp(lambda x, y: y * y, [1.0, 3.0], [0.0, 1.0])
    assert (fx, jv) == (9.0, 6.0)


def test_jvp_bad_return_value():
    with pytest.raises(TypeError, match="jvp"):
        jvp(lambda x: "nope", [1.0], [1.0])


@pytest.mark.parametrize("primals, tangents", [([1.0, 2.0], [1.0]), ([1.0], [1.0, 0.0]), ([], [1.0])])
def test_jvp_length_mismatch(primals, tangents):
    with pytest.raises(ValueError) as info:
        jvp(lambda *xs: xs[0], primals, tangents)
    message = str(info.value)
    assert "jvp" in message
    assert str(len(primals)) in message and str(len(tangents)) in message


def test_jvp_not_callable():
    with pytest.raises(TypeError, match="jvp.*callable"):
        jvp(3.0, [1.0], [1.0])


def test_jvp_bad_primal():
    with pytest.raises(TypeError, match="Dual"):
        jvp(lambda x: x, ["a"], [1.0])
    with pytest.raises(ValueError, match="Dual"):
        jvp(lambda x: x, [float("nan")], [1.0])


def test_jvp_is_true_forward_mode():
    seen = []

    def f(x, y):
        seen.extend(type(a) for a in (x, y))
        out = x * y + x.exp()
        seen.append(type(out))
        return out

    gc.collect()
    before = sum(1 for o in gc.get_objects() if type(o) is Var)
    fx, jv = jvp(f, [1.0, 2.0], [1.0, 0.0])
    after = sum(1 for o in gc.get_objects() if type(o) is Var)
    assert seen == [Dual, Dual, Dual]
    assert after == before
    assert fx == 2.0 + math.e
    assert jv == 2.0 + math.e


# ---------------------------------------------------------------------------
# Dual arithmetic
# ---------------------------------------------------------------------------

def pair(d):
    assert isinstance(d, Dual)
    return d.primal, d.tangent


def test_dual_construction():
    d = Dual(2)
    assert (d.primal, d.tangent) == (2.0, 0.0)
    assert type(d.primal) is float and type(d.tangent) is float
    d = Dual(np.float32(0.5), np.int64(3))
    assert (d.primal, d.tangent) == (0.5, 3.0)
    assert type(d.primal) is float and type(d.tangent) is float
    assert repr(Dual(1.5, -2.0)) == "Dual(primal=1.5, tangent=-2.0)"


def test_dual_arithmetic_with_numbers():
    x = Dual(2.0, 1.0)
    assert pair(x + 3) == (5.0, 1.0)
    assert pair(3 + x) == (5.0, 1.0)
    assert pair(x - 3) == (-1.0, 1.0)
    assert pair(3 - x) == (1.0, -1.0)
    assert pair(x * 3) == (6.0, 3.0)
    assert pair(3 * x) == (6.0, 3.0)
    assert pair(x / 4) == (0.5, 0.25)
    assert pair(4 / x) == (2.0, -1.0)              # d(4/x) = -4/x²
    assert pair(x ** 2) == (4.0, 4.0)
    assert pair(x ** 3) == (8.0, 12.0)
    assert pair(x ** -1) == (0.5, -0.25)
    assert pair(x ** 0) == (1.0, 0.0)
    assert pair(-x) == (-2.0, -1.0)
    assert pair(abs(Dual(-2.0, 1.0))) == (2.0, -1.0)
    assert pair(np.float64(3.0) * x) == (6.0, 3.0)
    p, t = pair(2 ** Dual(3.0, 1.0))
    assert p == 8.0
    assert t == pytest.approx(8.0 * math.log(2.0), rel=1e-15)


def test_dual_arithmetic_with_duals():
    x, y = Dual(2.0, 1.0), Dual(3.0, -1.0)
    assert pair(x + y) == (5.0, 0.0)
    assert pair(x - y) == (-1.0, 2.0)
    assert pair(x * y) == (6.0, 3.0 * 1.0 + 2.0 * -1.0)
    p, t = pair(x / y)
    assert p == 2.0 / 3.0
    assert t == pytest.approx(1.0 / 3.0 - 2.0 * -1.0 / 9.0, rel=1e-15)
    p, t = pair(x ** y)          # x^y: y·x^(y-1)·ẋ + x^y·ln x·ẏ
    assert p == 8.0
    assert t == pytest.approx(3.0 * 4.0 * 1.0 + 8.0 * math.log(2.0) * -1.0, rel=1e-15)


def test_dual_comparisons():
    x = Dual(2.0, 100.0)
    assert x > 1 and x < 3 and 1 < x and x >= Dual(2.0, -5.0) and x <= 2.0
    assert not (x > Dual(2.0))


@pytest.mark.parametrize("name, x0, d", [
    ("exp", 0.0, lambda x: math.exp(x)),
    ("exp", 0.7, lambda x: math.exp(x)),
    ("log", 2.0, lambda x: 1 / x),
    ("sqrt", 4.0, lambda x: 0.5 / math.sqrt(x)),
    ("sin", 0.5, math.cos),
    ("cos", 0.5, lambda x: -math.sin(x)),
    ("tan", 0.5, lambda x: 1 / math.cos(x) ** 2),
    ("tanh", 0.5, lambda x: 1 / math.cosh(x) ** 2),
    ("sigmoid", 0.5, lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2),
    ("relu", 0.5, lambda x: 1.0),
    ("relu", -0.5, lambda x: 0.0),
])
def test_module_functions_on_duals(name, x0, d):
    out = getattr(autodiff, name)(Dual(x0, 2.0))
    assert isinstance(out, Dual)
    p, t = pair(out)
    assert p == getattr(Var(x0), name)().data
    assert t == pytest.approx(2.0 * d(x0), rel=1e-14, abs=0.0)
    # the method spelling gives the identical result
    assert pair(getattr(Dual(x0, 2.0), name)()) == (p, t)


def test_exp_of_dual_exact():
    assert pair(autodiff.exp(Dual(0.0, 1.0))) == (1.0, 1.0)


def test_dual_errors():
    with pytest.raises(TypeError, match="Dual"):
        Dual("a")
    with pytest.raises(TypeError, match="add.*str"):
        Dual(1.0) + "x"
    with pytest.raises(TypeError, match="add"):
        Dual(1.0) + Var(1.0)
    with pytest.raises(ValueError, match="log"):
        Dual(0.0, 1.0).log()
    with pytest.raises(ZeroDivisionError, match="div"):
        Dual(1.0, 1.0) / 0
    with pytest.raises(OverflowError, match="exp"):
        Dual(800.0).exp()
    with pytest.raises(OverflowError, match="tangent.*mul"):
        Dual(1.0, 1e308) * 10


def test_jvp_overflowing_local_derivative_names_the_op():
    # 1e-200 ** -1 = 1e200 is finite, its derivative -1e400 is not
    with pytest.raises(OverflowError) as info:
        jvp(lambda x: x ** -1, [1e-200], [1.0])
    assert "pow" in str(info.value), str(info.value)


# ---------------------------------------------------------------------------
# Tags: jvp inside jvp (no perturbation confusion)
# ---------------------------------------------------------------------------
def _nested_jvp(outer, inner, x0, y0):
    """d/dx [outer(x, d/dy inner(x, y) at y0)] at x0, by forward mode inside forward mode."""
    def g(x):
        return outer(x, jvp(lambda y: inner(x, y), [y0], [1.0])[1])
    return jvp(g, [x0], [1.0])


def _nested_grad(outer, inner, x0, y0):
    """The same by reverse mode inside reverse mode."""
    x, y = Var(x0), Var(y0)
    (d_inner,) = grad(inner(x, y), [y], create_graph=True)
    out = outer(x, d_inner)
    (d_outer,) = grad(out, [x])
    return out.data, d_outer.data


@pytest.mark.parametrize("outer, inner", [
    (lambda x, d: x * d, lambda x, y: x + y),                      # 1, not 2
    (lambda x, d: x * d, lambda x, y: x * y * y),
    (lambda x, d: (x * d).sin(), lambda x, y: (x * y).exp()),
    (lambda x, d: d / x, lambda x, y: (x - y).tanh() * x),
    (lambda x, d: d ** 2 + x, lambda x, y: x ** 3 * y.log()),
    (lambda x, d: d, lambda x, y: y),                              # the inner derivative is a number
])
def test_nested_jvp_agrees_with_nested_grad(outer, inner):
    value, derivative = _nested_jvp(outer, inner, 0.7, 1.3)
    expected_value, expected_derivative = _nested_grad(outer, inner, 0.7, 1.3)
    assert value == pytest.approx(expected_value, rel=1e-12, abs=1e-15)
    assert derivative == pytest.approx(expected_derivative, rel=1e-12, abs=1e-15)
    assert type(value) is float and type(derivative) is float


def test_forward_over_forward_gives_second_and_third_derivatives():
    def d(f):
        return lambda x: jvp(f, [x], [1.0])[1]
    cube = lambda y: y * y * y  # noqa: E731
    assert d(cube)(2.0) == 12.0 and d(d(cube))(2.0) == 12.0 and d(d(d(cube)))(2.0) == 6.0
    assert d(d(lambda y: y.sin()))(0.5) == pytest.approx(-math.sin(0.5), rel=1e-15)


def test_each_jvp_gets_a_larger_tag_and_a_dual_by_hand_has_tag_0():
    tags = []
    jvp(lambda x: tags.append(x.tag) or x, [1.0], [1.0])
    jvp(lambda x: tags.append(x.tag) or jvp(lambda y: tags.append(y.tag) or y, [x], [1.0])[1], [1.0], [1.0])
    assert tags[0] < tags[1] < tags[2]
    assert Dual(1.0).tag == 0
    assert repr(Dual(Dual(1.0, 2.0, 1), 3.0, 2)) == (
        "Dual(primal=Dual(primal=1.0, tangent=2.0, tag=1), tangent=3.0, tag=2)")


def test_a_dual_refuses_a_bad_tag_and_parts_of_its_own_or_a_larger_tag():
    for tag in (-1, 1.5, "1", True):
        with pytest.raises(TypeError, match="Dual: tag must be a whole number >= 0"):
            Dual(1.0, 0.0, tag)
    with pytest.raises(ValueError, match="Dual: a Dual of tag 1 cannot hold one of tag 1"):
        Dual(Dual(1.0, 0.0, 1), 0.0, 1)
    with pytest.raises(ValueError, match="Dual tangent: a Dual of tag 1 cannot hold one of tag 2"):
        Dual(1.0, Dual(1.0, 0.0, 2), 1)


def test_a_nested_duals_truth_and_comparisons_are_its_values():
    zero = Dual(Dual(0.0, 1.0, 1), 2.0, 2)
    assert not zero and bool(Dual(Dual(-0.5, 0.0, 1), 0.0, 2))
    assert zero < 1.0 and zero < Dual(0.5) and not (zero > 0.0)


def test_an_inner_function_that_ignores_its_input_returns_the_outer_dual_as_a_constant():
    def inner_value(x):  # f(y) = x·x does not depend on y: its value is x², its derivative 0
        value, slope = jvp(lambda y: x * x, [3.0], [1.0])
        assert slope == 0.0
        return value
    assert jvp(inner_value, [5.0], [1.0]) == (25.0, 10.0)


def test_an_overflow_inside_a_nested_jvp_names_the_op():
    with pytest.raises(OverflowError, match="exp"):
        jvp(lambda x: jvp(lambda y: (y * x * 1e3).exp(), [x], [1.0])[1], [1.0], [1.0])
