"""Checking derivatives: against finite differences, and against PyTorch.

`gradcheck` needs nothing but this package. It compares reverse mode with
central differences,

    ∂f/∂x_i  ≈  (f(x + ε·e_i) − f(x − ε·e_i)) / 2ε       (error of order ε²),

and the second derivatives from grad-of-grad with central differences of the
(already checked) gradient, the way ``torch.autograd.gradgradcheck`` does.

`op_derivatives` and `torch_op_derivatives` compute an op's value, first and
second derivatives in this engine and in PyTorch (float64), for the tests and
the cross-check. PyTorch is imported only when those are called.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from ..backprop import grad
from ..ops import Op, to_float
from ..var import Var, no_grad

__all__ = ["gradcheck", "GradcheckError", "op_derivatives", "torch_op_derivatives"]


class GradcheckError(AssertionError):
    """Reverse mode and finite differences disagree; the message has the table."""


def _value(f: Callable[..., Any], point: Sequence[float]) -> float:
    with no_grad():
        out = f(*(Var(x) for x in point))
    return out.data if isinstance(out, Var) else to_float(out, "gradcheck (the value f returned)")


def _central_difference(g: Callable[[list[float]], float], x: list[float], i: int, eps: float) -> float:
    up, down = list(x), list(x)
    up[i] += eps
    down[i] -= eps
    return (g(up) - g(down)) / (2.0 * eps)


def _close(a: float, b: float, atol: float, rtol: float) -> bool:
    return abs(a - b) <= atol + rtol * abs(b)


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[float],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    second_order: bool = True,
    raise_exception: bool = True,
) -> bool:
    """Check reverse-mode derivatives of ``f`` at ``inputs`` against finite differences.

    ``f`` takes one Var per input and returns a Var, using any ops. Returns
    True when every first (and, with ``second_order``, every second)
    derivative agrees within ``atol + rtol·|numerical|``. Otherwise raises
    `GradcheckError` with a table of the disagreements, or returns False and
    prints the table when ``raise_exception=False``.

    >>> gradcheck(lambda x, y: x * y.sin(), [2.0, 0.5])
    True
    """
    if not callable(f):
        raise TypeError(f"gradcheck: f must be callable, got {type(f).__name__}")
    x = [to_float(v, "gradcheck") for v in inputs]
    if not x:
        raise ValueError("gradcheck: inputs must not be empty")
    if not eps > 0:
        raise ValueError(f"gradcheck: eps must be positive, got {eps!r}")

    def gradient(point: list[float], create_graph: bool = False) -> tuple[Var, tuple[Var, ...]]:
        variables = [Var(v, label=f"x[{i}]") for i, v in enumerate(point)]
        out = f(*variables)
        if not isinstance(out, Var):
            out = Var(to_float(out, "gradcheck (the value f returned)"))
        return variables, grad(out, variables, create_graph=create_graph)

    rows: list[str] = []
    variables, first = gradient(x, create_graph=second_order)
    for i, analytic in enumerate(first):
        numeric = _central_difference(lambda p: _value(f, p), x, i, eps)
        if not _close(analytic.data, numeric, atol, rtol):
            rows.append(f"  ∂f/∂x[{i}]        reverse mode {analytic.data:<24.17g} "
                        f"central difference {numeric:.17g}")
    if second_order:
        for i, g_i in enumerate(first):
            analytic_row = grad(g_i, variables)
            for j, analytic in enumerate(analytic_row):
                numeric = _central_difference(lambda p: gradient(p)[1][i].data, x, j, eps)
                if not _close(analytic.data, numeric, atol, rtol):
                    rows.append(f"  ∂²f/∂x[{i}]∂x[{j}]  grad of grad {analytic.data:<24.17g} "
                                f"central difference {numeric:.17g}")
    if not rows:
        return True
    report = (f"gradcheck failed at x = {x} (eps={eps}, atol={atol}, rtol={rtol}):\n"
              + "\n".join(rows))
    if raise_exception:
        raise GradcheckError(report)
    print(report)
    return False


# ----------------------------------------------------------------------------
# One op, in this engine and in PyTorch
# ----------------------------------------------------------------------------

def op_derivatives(op: Op, *values: float) -> tuple[float, list[float], list[list[float]]]:
    """``op``'s value, gradient and Hessian at ``values``, by this engine's reverse mode."""
    inputs = [Var(v) for v in values]
    out = op(*inputs)
    first = grad(out, inputs, create_graph=True)
    hessian = [[h.data for h in grad(g, inputs)] for g in first]
    return out.data, [g.data for g in first], hessian


def torch_op_derivatives(op: Op, *values: float) -> tuple[float, list[float], list[list[float]]]:
    """The same as `op_derivatives`, computed by PyTorch in float64 (``torch.<op.torch_name>``)."""
    import torch

    inputs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    fn = getattr(torch, op.torch_name)
    extra = () if op.constant is None else (op.constant,)  # n in x ** n
    out = fn(*inputs, *extra)
    first = torch.autograd.grad(out, inputs, create_graph=True)
    hessian = []
    for g in first:
        if g.requires_grad:
            row = torch.autograd.grad(g, inputs, allow_unused=True)
            hessian.append([0.0 if h is None else h.item() for h in row])
        else:  # the derivative is a constant
            hessian.append([0.0] * len(inputs))
    return out.item(), [g.item() for g in first], hessian
