"""Bad input: the right exception, a message naming the op and the culprit, no state change."""

import math

import numpy as np
import pytest

import autodiff
from autodiff import Var, grad
from autodiff.backprop import backward, topological_order


def snapshot(*vars_):
    """Everything observable about some Vars."""
    return [(v.data, v.grad, v.op, tuple(id(p) for p in v.parents), v.label) for v in vars_]


def assert_readable(message, *fragments):
    assert message.strip() != "math domain error"
    assert "math domain error" not in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


# ---------------------------------------------------------------------------
# Construction
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "bad, exc, fragments",
    [
        ("abc", TypeError, ["Var", "str", "'abc'"]),
        (None, TypeError, ["Var", "NoneType"]),
        (1j, TypeError, ["Var", "complex"]),
        ([1], TypeError, ["Var", "list", "[1]"]),
        ({}, TypeError, ["Var", "dict"]),
        (True, TypeError, ["Var", "bool", "True"]),
        (np.bool_(True), TypeError, ["Var", "bool"]),
        (float("nan"), ValueError, ["Var", "nan"]),
        (float("inf"), ValueError, ["Var", "inf"]),
        (-float("inf"), ValueError, ["Var", "-inf"]),
        (np.float64("nan"), ValueError, ["Var", "nan"]),
        (np.float32("inf"), ValueError, ["Var", "inf"]),
    ],
)
def test_bad_construction(bad, exc, fragments):
    with pytest.raises(exc) as info:
        Var(bad)
    assert_readable(str(info.value), *fragments)


def test_huge_int_names_var():
    # float(10**400) overflows; the error must still say who complained.
    with pytest.raises(OverflowError) as info:
        Var(10**400)
    assert_readable(str(info.value), "Var")


# ---------------------------------------------------------------------------
# Operators with non-numbers
# ---------------------------------------------------------------------------

def test_var_plus_string():
    x = Var(1.0)
    before = snapshot(x)
    with pytest.raises(TypeError) as info:
        x + "x"
    assert_readable(str(info.value), "add", "str", "'x'")
    assert snapshot(x) == before


def test_string_times_var():
    x = Var(2.0)
    before = snapshot(x)
    with pytest.raises(TypeError) as info:
        "x" * x
    assert_readable(str(info.value), "mul", "str", "'x'")
    assert snapshot(x) == before


@pytest.mark.parametrize("make", [
    lambda x: x - None,
    lambda x: None - x,
    lambda x: x / [2],
    lambda x: x * 1j,
    lambda x: x + True,
    lambda x: x ** "2",
    lambda x: "2" ** x,
    lambda x: x * float("nan"),
])
def test_operator_rejections_leave_operand_untouched(make):
    x = Var(2.0)
    x.grad = 0.5
    before = snapshot(x)
    with pytest.raises((TypeError, ValueError)) as info:
        make(x)
    message = str(info.value)
    assert_readable(message)
    assert any(name in message for name in ("add", "sub", "mul", "div", "pow")), message
    assert snapshot(x) == before


@pytest.mark.parametrize("attr", ["data", "grad"])
def test_setting_string_attribute(attr):
    x = Var(2.0)
    x.grad = 3.0
    before = snapshot(x)
    with pytest.raises(TypeError) as info:
        setattr(x, attr, "1.5")
    assert_readable(str(info.value), f"Var.{attr}", "str", "'1.5'")
    assert snapshot(x) == before


# ---------------------------------------------------------------------------
# Domain errors in the forward pass
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "make, exc, fragments",
    [
        (lambda: Var(0.0).log(), ValueError, ["log", "0.0"]),
        (lambda: Var(-2.0).log(), ValueError, ["log", "-2.0"]),
        (lambda: autodiff.log(Var(-0.5)), ValueError, ["log", "-0.5"]),
        (lambda: autodiff.log(0), ValueError, ["log", "0.0"]),
        (lambda: Var(-1.0).sqrt(), ValueError, ["sqrt", "-1.0"]),
        (lambda: autodiff.sqrt(-4), ValueError, ["sqrt", "-4.0"]),
        (lambda: Var(1.0) / 0, ZeroDivisionError, ["div", "1.0", "0.0"]),
        (lambda: Var(1.0) / Var(0.0), ZeroDivisionError, ["div", "0.0"]),
        (lambda: 3 / Var(0.0), ZeroDivisionError, ["div", "3.0", "0.0"]),
        (lambda: Var(0.0) ** -1, ZeroDivisionError, ["pow", "-1.0"]),
        (lambda: Var(0.0) ** -0.5, ZeroDivisionError, ["pow", "-0.5"]),
        (lambda: Var(0.0) ** Var(-2.0), ZeroDivisionError, ["pow", "-2.0"]),
        (lambda: 0 ** Var(-2.0), ZeroDivisionError, ["pow", "-2.0"]),
        (lambda: Var(-8.0) ** (1 / 3), ValueError, ["pow", "-8.0"]),
        (lambda: Var(-2.0) ** Var(0.5), ValueError, ["pow", "-2.0", "0.5"]),
        (lambda: (-2.0) ** Var(0.5), ValueError, ["pow", "-2.0"]),
        (lambda: Var(710.0).exp(), OverflowError, ["exp", "710.0"]),
        (lambda: autodiff.exp(1000), OverflowError, ["exp", "1000.0"]),
        (lambda: Var(1e200) * Var(1e200), OverflowError, ["mul", "1e+200"]),
        (lambda: Var(1e200) * 1e200, OverflowError, ["mul", "1e+200"]),
        (lambda: Var(1.7e308) + Var(1.7e308), OverflowError, ["add", "1.7e+308"]),
        (lambda: Var(1e300) / 1e-300, OverflowError, ["div", "1e+300"]),
        (lambda: Var(10.0) ** 400, OverflowError, ["pow", "10.0"]),
        (lambda: Var(10.0) ** Var(400.0), OverflowError, ["pow", "10.0"]),
    ],
)
def test_forward_domain_errors(make, exc, fragments):
    with pytest.raises(exc) as info:
        make()
    assert_readable(str(info.value), *fragments)


def test_forward_error_records_nothing():
    x = Var(-1.0)
    y = x * 2
    before = snapshot(x, y)
    with pytest.raises(ValueError):
        y.log()
    assert snapshot(x, y) == before
    # the graph below y is still intact and works
    y.backward()
    assert x.grad == 2.0


# ---------------------------------------------------------------------------
# Errors in backward: no .grad changes, no stale marks
# ---------------------------------------------------------------------------

def test_backward_through_sqrt_at_zero():
    a, b, c = Var(0.0, label="a"), Var(3.0, label="b"), Var(2.0, label="c")
    s = a * b                 # 0
    r = s.sqrt()              # d/ds √s is 1/(2·0)
    out = r + c * b
    leaves_and_nodes = topological_order(out)
    before = [v.grad for v in leaves_and_nodes]
    with pytest.raises(ZeroDivisionError) as info:
        out.backward()
    assert_readable(str(info.value), "sqrt", "0.0")
    assert [v.grad for v in leaves_and_nodes] == before
    assert all(g == 0.0 for g in before)


def test_failed_backward_after_a_successful_one_keeps_grads():
    a, b = Var(0.0), Var(3.0)
    good = a * b + b           # d/da = b = 3, d/db = a + 1 = 1
    good.backward()
    assert (a.grad, b.grad) == (3.0, 1.0)
    bad = (a * b).sqrt() + b * b
    nodes = topological_order(bad)
    before = {id(v): v.grad for v in nodes}
    with pytest.raises(ZeroDivisionError) as info:
        bad.backward()
    assert "sqrt" in str(info.value)
    assert {id(v): v.grad for v in nodes} == before
    assert (a.grad, b.grad) == (3.0, 1.0)
    assert good.grad == 1.0


def test_failed_grad_changes_nothing():
    x = Var(0.0)
    x.grad = 4.0
    y = x.sqrt() * 2
    with pytest.raises(ZeroDivisionError, match="sqrt"):
        grad(y, [x])
    with pytest.raises(ZeroDivisionError, match="sqrt"):
        grad(y, [x], create_graph=True)
    assert x.grad == 4.0
    assert y.grad == 0.0


@pytest.mark.parametrize("mode", ["backward", "grad", "grad2"])
def test_no_stale_marks_after_failed_backward(mode):
    a, b = Var(0.0), Var(3.0)
    shared = a * b                           # used by the failing and the later graph
    bad = shared.sqrt() + a
    with pytest.raises(ZeroDivisionError):
        if mode == "backward":
            bad.backward()
        else:
            grad(bad, [a, b], create_graph=(mode == "grad2"))
    # a later backward on another graph sharing nodes sees every node
    later = shared * 2 + a * a + b       # d/da = 2b + 2a = 6, d/db = 2a + 1 = 1
    assert [v for v in topological_order(later)].count(shared) == 1
    later.backward()
    assert a.grad == 6.0
    assert b.grad == 1.0
    assert shared.grad == 2.0
    # and grad() agrees
    ga, gb = grad(later, [a, b])
    assert (ga.data, gb.data) == (6.0, 1.0)
    # and the failing graph still fails the same way (nothing half-done is cached)
    with pytest.raises(ZeroDivisionError):
        bad.backward()


def test_backward_overflowing_gradient():
    # the forward values are finite but d/dx (x·1e200·1e200...) is not
    x = Var(1e-300)
    y = x.log()                  # d/dx = 1e300
    z = y * 1e100                # the gradient reaching x is 1e400
    before = [v.grad for v in topological_order(z)]
    with pytest.raises(OverflowError) as info:
        z.backward()
    assert_readable(str(info.value), "too large")
    assert [v.grad for v in topological_order(z)] == before


def test_backward_overflowing_local_derivative_names_the_op():
    # x**-1 at 1e-200 is 1e200 (finite) but its local derivative -x**-2 = -1e400 is not.
    x = Var(1e-200)
    y = x ** -1
    assert y.data == 1e200
    with pytest.raises(OverflowError) as info:
        y.backward()
    assert x.grad == 0.0 and y.grad == 0.0
    assert_readable(str(info.value), "pow")
    with pytest.raises(OverflowError) as info:
        grad(y, [x])
    assert_readable(str(info.value), "pow")


def test_backward_accumulating_into_an_infinite_grad_is_refused():
    # .grad can never be set to inf; accumulation must not make it inf either.
    x = Var(0.5)
    x.grad = 1.7e308
    y = x * 1.7e308               # 8.5e307, finite; dy/dx = 1.7e308, finite
    with pytest.raises(OverflowError) as info:
        y.backward()
    assert_readable(str(info.value))
    assert x.grad == 1.7e308
    assert y.grad == 0.0
    assert math.isfinite(x.grad)


def test_backward_works_after_an_overflow_failure():
    x = Var(1e-300)
    y = x.log()
    with pytest.raises(OverflowError):
        (y * 1e100).backward()
    z = y * 2 + x                 # shares y and x with the failed graph
    z.backward()
    assert x.grad == pytest.approx(2e300 + 1.0, rel=1e-15)
    assert y.grad == 2.0


def test_backward_on_negative_base_with_var_exponent():
    # (-2)**y is real for integer y, but d/dy = (-2)**y·log(-2) is not.
    x, y = Var(-2.0), Var(2.0)
    z = x ** y
    assert z.data == 4.0
    with pytest.raises(ValueError) as info:
        z.backward()
    assert_readable(str(info.value), "pow", "-2.0")
    assert x.grad == 0.0 and y.grad == 0.0


@pytest.mark.parametrize("fn", [
    lambda v: backward(v),
    lambda v: grad(v, []),
    lambda v: topological_order(v),
])
def test_backward_on_non_var(fn):
    with pytest.raises(TypeError) as info:
        fn(3.0)
    assert_readable(str(info.value), "float")


def test_grad_with_bad_inputs():
    x = Var(1.0)
    y = x * 2
    with pytest.raises(TypeError) as info:
        grad(y, [x, 1.0])
    assert_readable(str(info.value), "grad", "inputs[1]", "float")
    assert x.grad == 0.0
    # the failed call left nothing behind
    (g,) = grad(y, [x])
    assert g.data == 2.0


def test_op_called_with_wrong_arity():
    from autodiff import ops
    with pytest.raises(TypeError, match="add"):
        ops.ADD(Var(1.0))
    with pytest.raises(TypeError, match="exp"):
        ops.EXP(1.0, 2.0)


def test_errors_are_not_bare_math_errors():
    # a sweep over every unary op at a bad or extreme point
    bad_inputs = [-1.0, 0.0, 1e308, -1e308, 710.0]
    for name in ["exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu"]:
        for value in bad_inputs:
            try:
                out = getattr(Var(value), name)()
            except (ValueError, OverflowError, ZeroDivisionError) as error:
                assert_readable(str(error), name)
            else:
                assert math.isfinite(out.data)
