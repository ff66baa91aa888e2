"""Var: construction, attributes, operators, methods, comparisons, detach, no_grad, repr.

Expected values come from Python's own float arithmetic and the math module
(the same IEEE operations, so they are compared exactly), or from derivative
formulas worked by hand.
"""

import math
import operator

import numpy as np
import pytest

import autodiff
from autodiff import Var, is_grad_enabled, no_grad


def leaf_check(v, value):
    """v is a leaf holding exactly ``value``."""
    assert isinstance(v, Var)
    assert v.op is None
    assert v.parents == ()
    assert v.op is None
    assert type(v.data) is float
    assert v.data == value


# ---------------------------------------------------------------------------
# Construction
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "value, expected",
    [
        (3, 3.0),
        (-7, -7.0),
        (0, 0.0),
        (2.5, 2.5),
        (-0.125, -0.125),
        (10**15 + 1, 1000000000000001.0),
        (np.float64(1.25), 1.25),
        (np.float32(1.5), 1.5),
        (np.float32(0.1), float(np.float32(0.1))),  # the float32 value, widened exactly
        (np.int64(-4), -4.0),
        (np.int32(9), 9.0),
        (np.float16(0.5), 0.5),
    ],
)
def test_construction_stores_python_float(value, expected):
    v = Var(value)
    assert type(v.data) is float
    assert v.data == expected
    assert type(v.grad) is float
    assert v.grad == 0.0
    assert v.label == ""
    leaf_check(v, expected)


def test_float32_widening_is_exact_not_decimal_round_trip():
    # np.float32(0.1) is 0.100000001490116..., not 0.1
    v = Var(np.float32(0.1))
    assert v.data != 0.1
    assert v.data == 0.10000000149011612


def test_label():
    v = Var(1.0, label="weight")
    assert v.label == "weight"
    v.label = "w2"
    assert v.label == "w2"
    assert Var(1.0).label == ""


def test_label_must_be_str():
    with pytest.raises(TypeError, match="label"):
        Var(1.0, label=3)


# ---------------------------------------------------------------------------
# Attributes
# ---------------------------------------------------------------------------

def test_data_and_grad_are_settable_and_converted():
    v = Var(1.0)
    v.data = 4
    assert type(v.data) is float and v.data == 4.0
    v.data = np.float32(0.5)
    assert type(v.data) is float and v.data == 0.5
    v.grad = 3
    assert type(v.grad) is float and v.grad == 3.0
    v.grad = np.int64(-2)
    assert type(v.grad) is float and v.grad == -2.0
    v.grad = 0.0
    assert v.grad == 0.0


@pytest.mark.parametrize("attr", ["data", "grad"])
@pytest.mark.parametrize("bad, exc", [
    ("1.0", TypeError), (None, TypeError), (True, TypeError), (1j, TypeError),
    ([1.0], TypeError), (float("nan"), ValueError), (float("inf"), ValueError),
    (-float("inf"), ValueError),
])
def test_data_and_grad_setters_validate(attr, bad, exc):
    v = Var(2.0)
    v.grad = 5.0
    with pytest.raises(exc, match=f"Var.{attr}"):
        setattr(v, attr, bad)
    assert v.data == 2.0
    assert v.grad == 5.0


def test_setting_data_does_not_change_recorded_results():
    x = Var(2.0)
    y = x * 3
    x.data = 10.0
    assert y.data == 6.0
    z = x * 3
    assert z.data == 30.0


def test_grad_starts_at_zero_for_every_new_node():
    x = Var(2.0)
    y = x * x + 1
    for node in (x, y, y.parents[0], y.parents[1]):
        assert node.grad == 0.0
        assert type(node.grad) is float


def test_op_and_parents():
    a, b = Var(2.0), Var(5.0)
    assert a.op is None
    assert a.parents == ()

    s = a + a
    assert s.parents == (a, a)
    assert s.parents[0] is a and s.parents[1] is a
    assert isinstance(s.parents, tuple)

    d = a - b
    assert d.parents[0] is a and d.parents[1] is b
    d2 = b - a
    assert d2.parents[0] is b and d2.parents[1] is a
    assert d.data == -3.0 and d2.data == 3.0

    e = a.exp()
    assert e.op.symbol == "exp"
    assert len(e.parents) == 1 and e.parents[0] is a

    assert (a * b).op.symbol == "*"
    assert (a / b).op.symbol == "/"
    assert (a + b).op.symbol == "+"
    assert (a - b).op.symbol == "-"
    assert (a ** b).op.symbol == "**"
    assert (a ** 2).op.symbol == "**2"
    assert (a ** 0.5).op.symbol == "**0.5"
    assert (-a).op.symbol == "neg"
    assert abs(a).op.symbol == "abs"
    assert a.sigmoid().op.symbol == "σ"


def test_op_symbols_come_from_the_op_table():
    x = Var(0.5)
    from autodiff import ops
    for name, op in ops.OPS.items():
        if op.arity == 1:
            y = op(x)
        else:
            y = op(x, Var(0.25))
        assert y.op is op
        assert y.op is op


# ---------------------------------------------------------------------------
# Binary operators with a Var or a plain number on either side
# ---------------------------------------------------------------------------

BINARY = [
    ("+", operator.add, lambda a, b: (1.0, 1.0)),
    ("-", operator.sub, lambda a, b: (1.0, -1.0)),
    ("*", operator.mul, lambda a, b: (b, a)),
    ("/", operator.truediv, lambda a, b: (1.0 / b, -a / (b * b))),
]

NUMBERS = [3, 2.5, np.float64(-1.5), np.int64(4), np.float32(0.75)]


@pytest.mark.parametrize("symbol, fn, partials", BINARY)
def test_binary_var_var(symbol, fn, partials):
    a, b = Var(1.75), Var(-0.5)
    y = fn(a, b)
    assert isinstance(y, Var)
    assert y.op.symbol == symbol
    assert y.parents[0] is a and y.parents[1] is b
    assert y.data == fn(1.75, -0.5)
    y.backward()
    da, db = partials(1.75, -0.5)
    assert a.grad == pytest.approx(da, rel=1e-15)
    assert b.grad == pytest.approx(db, rel=1e-15)


@pytest.mark.parametrize("number", NUMBERS)
@pytest.mark.parametrize("symbol, fn, partials", BINARY)
def test_binary_var_number(symbol, fn, partials, number):
    a = Var(1.75)
    y = fn(a, number)
    assert isinstance(y, Var)
    assert y.op.symbol == symbol
    assert y.parents[0] is a
    leaf_check(y.parents[1], float(number))
    assert y.data == fn(1.75, float(number))
    y.backward()
    da, _ = partials(1.75, float(number))
    assert a.grad == pytest.approx(da, rel=1e-15)


@pytest.mark.parametrize("number", NUMBERS)
@pytest.mark.parametrize("symbol, fn, partials", BINARY)
def test_binary_number_var(symbol, fn, partials, number):
    b = Var(1.75)
    y = fn(number, b)
    assert isinstance(y, Var), type(y)
    assert y.op.symbol == symbol
    leaf_check(y.parents[0], float(number))
    assert y.parents[1] is b
    assert y.data == fn(float(number), 1.75)
    y.backward()
    _, db = partials(float(number), 1.75)
    assert b.grad == pytest.approx(db, rel=1e-15)


def test_builtin_sum_of_vars():
    xs = [Var(float(i)) for i in range(1, 5)]
    total = sum(xs)                  # starts from 0 + xs[0]: __radd__
    assert isinstance(total, Var)
    assert total.data == 10.0
    total.backward()
    assert [x.grad for x in xs] == [1.0, 1.0, 1.0, 1.0]


def test_constant_exponent():
    x = Var(3.0)
    y = x ** 2
    assert y.op.symbol == "**2"
    assert len(y.parents) == 1 and y.parents[0] is x  # the exponent is part of the op
    assert y.data == 9.0
    y.backward()
    assert x.grad == 6.0

    x = Var(4.0)
    y = x ** 0.5
    assert y.data == 2.0
    y.backward()
    assert x.grad == 0.25  # 1 / (2·√4)

    x = Var(2.0)
    y = x ** -1
    assert y.data == 0.5
    y.backward()
    assert x.grad == -0.25

    x = Var(-2.0)
    y = x ** np.int64(3)
    assert y.data == -8.0
    y.backward()
    assert x.grad == 12.0


def test_var_exponent():
    x, n = Var(2.0), Var(3.0)
    y = x ** n
    assert y.op.symbol == "**"
    assert y.parents[0] is x and y.parents[1] is n
    assert y.data == 8.0
    y.backward()
    assert x.grad == 12.0                                     # n·x^(n-1)
    assert n.grad == pytest.approx(8.0 * math.log(2.0), rel=1e-15)  # x^n·ln x


def test_number_to_the_var():
    n = Var(3.0)
    y = 2 ** n
    assert isinstance(y, Var)
    assert y.op.symbol == "**"
    leaf_check(y.parents[0], 2.0)
    assert y.parents[1] is n
    assert y.data == 8.0
    y.backward()
    assert n.grad == pytest.approx(8.0 * math.log(2.0), rel=1e-15)

    m = Var(0.5)
    z = np.float64(9.0) ** m
    assert isinstance(z, Var)
    assert z.data == 3.0


def test_unary_minus_and_abs():
    x = Var(-2.5)
    y = -x
    assert y.op.symbol == "neg" and y.data == 2.5 and y.parents[0] is x
    y.backward()
    assert x.grad == -1.0

    x = Var(-2.5)
    y = abs(x)
    assert y.op.symbol == "abs" and y.data == 2.5
    y.backward()
    assert x.grad == -1.0

    x = Var(4.0)
    y = abs(x)
    assert y.data == 4.0
    y.backward()
    assert x.grad == 1.0


def test_numpy_scalar_on_the_left_gives_a_var():
    x = Var(2.0)
    for y in (np.float64(3.0) * x, np.float64(3.0) + x, np.int64(3) - x, np.float32(3.0) / x):
        assert isinstance(y, Var)
    assert (np.float64(3.0) * x).data == 6.0
    assert (np.int64(3) - x).data == 1.0


def test_a_number_constant_gets_no_gradient_path():
    x = Var(3.0)
    y = x * 2 + 1
    y.backward()
    assert x.grad == 2.0
    mul_node, one = y.parents
    two = mul_node.parents[1]
    # constants are leaves; they receive gradients like any leaf but are not x
    assert two is not x and one is not x
    assert two.grad == 3.0
    assert one.grad == 1.0


# ---------------------------------------------------------------------------
# Methods and module-level functions
# ---------------------------------------------------------------------------

def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


# name, point, value formula, derivative formula
UNARY = [
    ("exp", 0.7, math.exp, math.exp),
    ("log", 2.5, math.log, lambda x: 1.0 / x),
    ("sqrt", 6.25, math.sqrt, lambda x: 0.5 / math.sqrt(x)),
    ("sin", 0.9, math.sin, math.cos),
    ("cos", 0.9, math.cos, lambda x: -math.sin(x)),
    ("tan", 0.4, math.tan, lambda x: 1.0 / math.cos(x) ** 2),
    ("tanh", -0.8, math.tanh, lambda x: 1.0 / math.cosh(x) ** 2),
    ("sigmoid", -1.3, _sigmoid, lambda x: _sigmoid(x) * (1.0 - _sigmoid(x))),
    ("sigmoid", 2.1, _sigmoid, lambda x: _sigmoid(x) * (1.0 - _sigmoid(x))),
    ("relu", 1.5, lambda x: max(x, 0.0), lambda x: 1.0),
    ("relu", -1.5, lambda x: max(x, 0.0), lambda x: 0.0),
]


@pytest.mark.parametrize("name, x0, f, df", UNARY)
def test_methods(name, x0, f, df):
    x = Var(x0)
    y = getattr(x, name)()
    assert isinstance(y, Var)
    assert y.parents == (x,) and y.parents[0] is x
    assert y.op.name == name
    assert y.data == pytest.approx(f(x0), rel=2e-16, abs=0.0)
    y.backward()
    assert x.grad == pytest.approx(df(x0), rel=1e-14, abs=0.0)


@pytest.mark.parametrize("name, x0, f, df", UNARY)
def test_module_functions_on_vars(name, x0, f, df):
    x = Var(x0)
    y = getattr(autodiff, name)(x)
    assert isinstance(y, Var)
    assert y.op.name == name
    assert y.parents[0] is x
    assert y.data == getattr(Var(x0), name)().data
    y.backward()
    assert x.grad == pytest.approx(df(x0), rel=1e-14, abs=0.0)


@pytest.mark.parametrize("name, x0, f, df", UNARY)
@pytest.mark.parametrize("kind", [float, np.float64, np.float32])
def test_module_functions_on_plain_numbers(name, x0, f, df, kind):
    x = kind(x0)
    y = getattr(autodiff, name)(x)
    assert type(y) is float
    assert y == pytest.approx(f(float(x)), rel=2e-16, abs=0.0)


def test_module_functions_on_ints():
    assert autodiff.exp(0) == 1.0 and type(autodiff.exp(0)) is float
    assert autodiff.log(1) == 0.0
    assert autodiff.sqrt(9) == 3.0 and type(autodiff.sqrt(9)) is float
    assert autodiff.relu(-3) == 0.0 and type(autodiff.relu(-3)) is float
    assert autodiff.relu(3) == 3.0 and type(autodiff.relu(3)) is float
    assert autodiff.sin(0) == 0.0
    assert autodiff.cos(0) == 1.0
    assert autodiff.tanh(0) == 0.0
    assert autodiff.sigmoid(0) == 0.5
    assert autodiff.tan(np.int64(0)) == 0.0


def test_sigmoid_does_not_overflow_at_extremes():
    assert autodiff.sigmoid(-800.0) == 0.0
    assert autodiff.sigmoid(800.0) == 1.0
    y = Var(-800.0).sigmoid()
    assert y.data == 0.0


def test_module_functions_reject_non_numbers():
    with pytest.raises(TypeError, match="exp"):
        autodiff.exp("1")
    with pytest.raises(TypeError, match="log"):
        autodiff.log(True)


# ---------------------------------------------------------------------------
# Comparisons
# ---------------------------------------------------------------------------

def test_comparisons():
    a, b, c = Var(1.0), Var(2.0), Var(2.0)
    assert a < b and a <= b and b > a and b >= a
    assert not (b < a) and not (b <= a) and not (a > b) and not (a >= b)
    assert b <= c and b >= c and not (b < c) and not (b > c)
    # numbers on either side
    assert a < 1.5 and 0.5 < a and a <= 1 and 1 <= a and a >= 1 and 1 >= a
    assert b > np.float64(1.5) and np.float64(2.5) > b
    assert np.int64(3) > b
    assert not (a > 1.0)
    for r in (a < b, a <= 1, 1 >= a, np.float64(2.5) > b):
        assert type(r) is bool


def test_comparison_records_nothing():
    a = Var(1.0)
    before = (a.data, a.grad, a.parents, a.op)
    assert (a < 2) is True
    assert (a.data, a.grad, a.parents, a.op) == before


def test_comparison_with_non_number_raises():
    a = Var(1.0)
    with pytest.raises(TypeError, match="comparison.*str"):
        a < "2"
    with pytest.raises(TypeError, match="comparison.*NoneType"):
        a >= None


def test_vars_are_hashable_by_identity():
    a, b = Var(1.0), Var(1.0)
    assert a == a
    assert len({a, b, a}) == 2


# ---------------------------------------------------------------------------
# detach
# ---------------------------------------------------------------------------

def test_detach():
    x = Var(3.0, label="x")
    y = x * 2
    d = y.detach()
    leaf_check(d, 6.0)
    assert d is not y
    assert d.grad == 0.0
    y.grad = 7.0
    assert d.grad == 0.0  # its own grad, not shared


def test_detach_stops_gradient():
    x = Var(3.0)
    y = x * x.detach()   # d/dx = x.detach() only: 3, not 6
    y.backward()
    assert y.data == 9.0
    assert x.grad == 3.0


def test_detach_keeps_label():
    assert Var(1.0, label="w").detach().label == "w"


# ---------------------------------------------------------------------------
# no_grad
# ---------------------------------------------------------------------------

def test_no_grad_results_are_leaves():
    x = Var(2.0)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        y = x * 3 + x.exp()
        z = x ** 2
        w = 2 ** x
    assert is_grad_enabled()
    for v in (y, z, w):
        leaf_check(v, v.data)
    assert y.data == 6.0 + math.exp(2.0)
    assert z.data == 4.0
    assert w.data == 4.0
    y.backward()
    assert x.grad == 0.0
    assert y.grad == 1.0


def test_no_grad_nested():
    assert is_grad_enabled()
    with no_grad():
        with no_grad():
            assert not is_grad_enabled()
        assert not is_grad_enabled()  # the outer block is still active
        leaf_check(Var(1.0) * 2, 2.0)
    assert is_grad_enabled()
    y = Var(1.0) * 2
    assert y.op.symbol == "*"


def test_no_grad_restores_on_exception():
    with pytest.raises(RuntimeError, match="boom"):
        with no_grad():
            raise RuntimeError("boom")
    assert is_grad_enabled()

    with pytest.raises(ValueError):
        with no_grad():
            with no_grad():
                Var(-1.0).log()
    assert is_grad_enabled()
    assert (Var(1.0) + 1).op.symbol == "+"


# ---------------------------------------------------------------------------
# repr
# ---------------------------------------------------------------------------

def test_repr():
    assert repr(Var(2.0)) == "Var(data=2.0, grad=0.0)"
    assert repr(Var(-0.1, label="w")) == "Var(data=-0.1, grad=0.0, label='w')"
    x = Var(3)
    (x * 5).backward()
    assert repr(x) == "Var(data=3.0, grad=5.0)"
    # repr round-trips the exact float
    v = Var(0.1 + 0.2)
    assert repr(v) == "Var(data=0.30000000000000004, grad=0.0)"
