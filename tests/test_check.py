"""autodiff.check: gradcheck (first and second order), its report, its arguments."""

import math

import pytest

from autodiff import Var
from autodiff.check import GradcheckError, gradcheck, op_derivatives, torch_op_derivatives
from autodiff.ops import MUL, SIN, Op


def _plain(a):
    """The value of a Var as a constant (no graph), or a float unchanged."""
    return a.detach() if isinstance(a, Var) else a


# x² whose local derivative 2x is right in value but detached from the graph:
# first derivatives are correct, second derivatives come out as 0 instead of 2.
DETACHED_SQUARE = Op(
    name="dsquare", symbol="dsq",
    forward=lambda a: a * a,
    local_derivatives=lambda a, out: (2.0 * _plain(a),),
    text="{a}²", derivative_texts=("2·{a}",),
    torch_name="square",
)

# x² with a first derivative that is 0.1% too large.
SLIGHTLY_WRONG_SQUARE = Op(
    name="wsquare", symbol="wsq",
    forward=lambda a: a * a,
    local_derivatives=lambda a, out: (2.002 * a,),
    text="{a}²", derivative_texts=("2·{a}",),
    torch_name="square",
)


@pytest.mark.parametrize("f, point", [
    (lambda x, y: x * y.sin(), [2.0, 0.5]),
    (lambda x: x.exp() / (1 + x * x), [0.3]),
    (lambda x, y, z: (x * y + z).tanh() * x.sigmoid() + (y * y + 1).log(), [0.4, -1.1, 0.7]),
    (lambda x, y: x ** y + y.sqrt() * x.cos(), [1.3, 2.2]),
    (lambda x, y: (x - y).relu() + abs(y) * x.tan(), [1.0, -0.5]),
    (lambda x: 3 * x ** 3 - 2 / x, [1.7]),
    (lambda x, y: 5.0, [1.0, 2.0]),                  # a constant: all zeros
    (lambda x, y: x, [1.0, 2.0]),
])
def test_gradcheck_passes_on_correct_functions(f, point):
    assert gradcheck(f, point) is True


def test_gradcheck_accepts_ints_and_tuples():
    assert gradcheck(lambda x, y: x * y, (2, 3)) is True


def test_gradcheck_reports_a_wrong_first_derivative():
    # reverse mode misses the term through the detached copy: it gives x, not 2x
    f = lambda x, y: x * x.detach() + y   # noqa: E731
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [1.5, 4.0])
    report = str(info.value)
    assert "gradcheck failed" in report
    assert "x = [1.5, 4.0]" in report
    rows = report.splitlines()[1:]
    first = [r for r in rows if "∂f/∂x[0]" in r]
    assert len(first) == 1
    assert "reverse mode 1.5" in first[0]
    # the central difference is 2x = 3, to about 1e-9
    numeric = float(first[0].split("central difference")[1])
    assert numeric == pytest.approx(3.0, rel=1e-8)
    assert not any("∂f/∂x[1]" in r for r in rows)       # ∂f/∂y = 1 is right
    assert isinstance(info.value, AssertionError)        # so pytest shows it as a failure


def test_gradcheck_raise_exception_false(capsys):
    f = lambda x: x * x.detach()   # noqa: E731
    assert gradcheck(f, [2.0], raise_exception=False) is False
    out = capsys.readouterr().out
    assert "gradcheck failed" in out
    assert "∂f/∂x[0]" in out
    assert "reverse mode 2" in out


def test_gradcheck_passes_quietly(capsys):
    assert gradcheck(lambda x: x * x, [2.0], raise_exception=False) is True
    assert capsys.readouterr().out == ""


def test_gradcheck_second_order_only_mismatch():
    # f = x²·y with x² made by DETACHED_SQUARE. Through create_graph the gradient
    # ∂f/∂x = (2x, a constant)·y no longer depends on x, so grad of grad gives
    # ∂²f/∂x² = 0 instead of 2y = 4. Every other entry is right:
    # ∂²f/∂x∂y = 2x = 3 (from ∂f/∂x = c·y), ∂²f/∂y∂x = 2x (from ∂f/∂y = x², whose
    # float derivative is right), ∂²f/∂y² = 0.
    f = lambda x, y: DETACHED_SQUARE(x) * y   # noqa: E731
    assert gradcheck(f, [1.5, 2.0], second_order=False) is True
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [1.5, 2.0])
    rows = str(info.value).splitlines()[1:]
    assert len(rows) == 1, rows
    (row,) = rows
    assert "∂²f/∂x[0]∂x[0]" in row
    assert "grad of grad 0 " in row
    numeric = float(row.split("central difference")[1])
    assert numeric == pytest.approx(4.0, rel=1e-6)


def test_gradcheck_report_lists_first_and_second_order_rows():
    # x·x.detach(): reverse mode gives ∂f/∂x = x.detach() (true: 2x). The second
    # order check differentiates that gradient: through the graph it is a constant
    # (grad of grad 0), by central differences of the reverse-mode gradient it is 1.
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: x * x.detach(), [1.25])
    rows = str(info.value).splitlines()[1:]
    assert len(rows) == 2, rows
    assert "∂f/∂x[0]" in rows[0] and "reverse mode 1.25" in rows[0]
    assert "∂²f/∂x[0]∂x[0]" in rows[1] and "grad of grad 0 " in rows[1]
    assert float(rows[1].split("central difference")[1]) == pytest.approx(1.0, rel=1e-6)


def test_gradcheck_tolerances_are_used():
    f = lambda x: SLIGHTLY_WRONG_SQUARE(x)   # noqa: E731
    with pytest.raises(GradcheckError, match="∂f/∂x\\[0\\]"):
        gradcheck(f, [3.0], second_order=False)            # 0.1% > rtol 1e-4
    assert gradcheck(f, [3.0], rtol=1e-2, second_order=False) is True
    assert gradcheck(f, [3.0], atol=0.1, rtol=0.0, second_order=False) is True


@pytest.mark.parametrize("kwargs, exc, fragment", [
    (dict(f=lambda x: x, inputs=[]), ValueError, "empty"),
    (dict(f=lambda x: x, inputs=[1.0], eps=0.0), ValueError, "eps"),
    (dict(f=lambda x: x, inputs=[1.0], eps=-1e-6), ValueError, "eps"),
    (dict(f=lambda x: x, inputs=[1.0], eps=float("nan")), ValueError, "eps"),
    (dict(f=3.0, inputs=[1.0]), TypeError, "callable"),
    (dict(f=None, inputs=[1.0]), TypeError, "callable"),
    (dict(f=lambda x: x, inputs=["1.0"]), TypeError, "str"),
    (dict(f=lambda x: x, inputs=[float("inf")]), ValueError, "inf"),
])
def test_gradcheck_bad_arguments(kwargs, exc, fragment):
    f = kwargs.pop("f")
    inputs = kwargs.pop("inputs")
    with pytest.raises(exc) as info:
        gradcheck(f, inputs, **kwargs)
    assert "gradcheck" in str(info.value)
    assert fragment in str(info.value)


def test_gradcheck_function_returning_non_number():
    with pytest.raises(TypeError, match="gradcheck"):
        gradcheck(lambda x: "x", [1.0])


# ---------------------------------------------------------------------------
# op_derivatives / torch_op_derivatives: the references themselves
# ---------------------------------------------------------------------------

def test_op_derivatives_by_hand():
    value, first, hessian = op_derivatives(MUL, 3.0, -4.0)
    assert value == -12.0
    assert first == [-4.0, 3.0]
    assert hessian == [[0.0, 1.0], [1.0, 0.0]]
    value, first, hessian = op_derivatives(SIN, 0.5)
    assert value == math.sin(0.5)
    assert first == [math.cos(0.5)]
    assert hessian == [[-math.sin(0.5)]]


def test_torch_op_derivatives_by_hand():
    pytest.importorskip("torch")
    value, first, hessian = torch_op_derivatives(MUL, 3.0, -4.0)
    assert value == -12.0
    assert first == [-4.0, 3.0]
    assert hessian == [[0.0, 1.0], [1.0, 0.0]]
    value, first, hessian = torch_op_derivatives(SIN, 0.5)
    assert value == pytest.approx(math.sin(0.5), rel=1e-15)
    assert first == [pytest.approx(math.cos(0.5), rel=1e-15)]
    assert hessian == [[pytest.approx(-math.sin(0.5), rel=1e-15)]]
