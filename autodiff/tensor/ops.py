"""The tensor op table: every operation on Tensors, each defined once.

A `TensorOp` is the tensor version of `autodiff.ops.Op`:

* ``forward``: the op on numpy arrays, with its checks of shapes and domain;
* ``vjp``: its vector-Jacobian product. Given ``g`` = ∂L/∂out (same shape as
  the output), it returns ∂L/∂input for each input: the chain rule for a
  whole array at once. A scalar op multiplies by a local derivative; a
  tensor op does whatever its Jacobian says, without ever building it
  (for ``a @ b``: ∂L/∂a = g · bᵀ and ∂L/∂b = aᵀ · g). ``needs`` says which
  inputs want a gradient (data does not): a VJP may skip the others and
  give None for them, as PyTorch's ``needs_input_grad`` lets it;
* ``texts``: each of those written for people, with the operands' names;
* ``torch_name``: the PyTorch function it must agree with.

A VJP is written with operators, methods that numpy arrays and Tensors both
have (``.T``, ``.sum``, ``.reshape``, ``.transpose``) and the ops of these
tables, which take arrays as well as Tensors. So the same rule runs on
arrays (a plain ``backward()``, fast) and on Tensors (``create_graph=True``:
the gradient has a graph of its own and can be differentiated again), as
the scalar rules run on floats and on Vars.

Most elementwise ops are the scalar ops applied to every element, and share
their rules: `elementwise` builds the tensor op from the scalar table, its
forward rule from ``Op.numpy`` and its VJP from ``Op.local_derivatives``.
Broadcasting is the one new idea there: an input that numpy stretched to
the output's shape was *used* many times, so its gradient is the sum of the
stretched copies' (`sum_to`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

import numpy as np

from .. import ops as scalar
from ..ops import Op

__all__ = [
    "TensorOp", "elementwise", "sum_to", "all_finite", "ELEMENTWISE",
    "MATMUL", "LINEAR", "SUM", "MEAN", "MAX", "RESHAPE", "TRANSPOSE", "BROADCAST_TO",
    "GETITEM", "SCATTER_ADD", "CONCAT", "STACK", "WHERE", "SOFTMAX", "LOG_SOFTMAX", "LOGSUMEXP",
    "CROSS_ENTROPY",
]

Arrays = tuple  # of np.ndarray (a plain backward) or of Tensors (create_graph)


@dataclass(frozen=True, slots=True, eq=False)
class TensorOp:
    """One differentiable operation on arrays (see the module docstring)."""

    name: str
    symbol: str                                   # what a graph node shows: "@", "sum"
    forward: Callable[[tuple, Any], np.ndarray]   # (arrays, params) -> array; refuses bad input
    vjp: Callable[..., tuple]                     # (g, inputs, out, params, needs) -> ∂L/∂input for each
    texts: tuple[str, ...]                        # each of those, written: "∂L/∂{a} = ∂L/∂{out} · {b}ᵀ"
    torch_name: str = ""                          # torch.<torch_name>, when not torch.<name>
    arity: Optional[int] = None                   # how many operands; None for any number
    checks_result: bool = False                   # can finite inputs give inf or nan? then look
    text: str = ""                                # the output, written: "{a} @ {b}"; "name({a})" if not given
    scalar: Optional[Op] = None                   # the scalar op it applies to every element, if it does

    def __post_init__(self) -> None:
        if not self.torch_name:
            object.__setattr__(self, "torch_name", self.name)
        if not self.text:
            object.__setattr__(self, "text", f"{self.name}({{a}})")

    @property
    def operand_names(self) -> tuple[str, ...]:
        """What the texts call each operand, read off their left-hand sides: ("a", "b") for "∂L/∂{a} = ..."."""
        return tuple(re.match(r"∂L/∂\{(\w+)\}", text).group(1) for text in self.texts)

    def __call__(self, *operands: Any, params: Any = None) -> Any:
        """On Tensors, record a node; on arrays, just compute (as VJPs on arrays do)."""
        for operand in operands:
            apply_op = getattr(operand, "apply_op", None)
            if apply_op is not None:
                return apply_op(self, *operands, params=params)
        return self.forward(tuple(np.asarray(x) for x in operands), params)

    def __repr__(self) -> str:
        return f"TensorOp({self.name})"


# ----------------------------------------------------------------------------
# Broadcasting, and the errors of a whole array
# ----------------------------------------------------------------------------

def sum_to(g: Any, shape: tuple[int, ...]) -> Any:
    """``g`` summed down to ``shape``: undoes numpy's broadcasting, for a gradient.

    An input of shape (3,) added to a (4, 3) array was used four times, once
    per row, so its gradient is the sum of the four rows' gradients.
    """
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and g.shape[extra + i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def all_finite(array: np.ndarray) -> bool:
    """True if no element is inf or nan: the sum is finite exactly then, unless it overflows.

    One sum costs less than isfinite(...).all(); only an overflowing sum
    needs the element-by-element look. (Callers that may meet huge numbers
    call it under ``np.errstate(over="ignore")``, so numpy does not warn.)
    """
    return bool(np.isfinite(array.sum())) or bool(np.isfinite(array).all())


def _first_bad(out: np.ndarray) -> tuple[int, ...]:
    """The index of the first element of ``out`` that is inf or nan."""
    return tuple(int(i) for i in np.argwhere(~np.isfinite(out))[0])


def _where(index: tuple[int, ...]) -> str:
    return f" at index {index}" if index else ""


def _refuse_bad_elements(op: Op, arrays: tuple, out: np.ndarray) -> None:
    """Raise the scalar op's own error for the first element it cannot compute, with its index.

    The scalar op knows its domain and words its errors (``log: input must
    be positive, got -1.0``); asking it about the one element that failed
    keeps that knowledge in one place.
    """
    index = _first_bad(out)
    values = [float(a[index]) if a.ndim else float(a) for a in np.broadcast_arrays(*arrays)]
    try:
        op.forward(*values)
        op.evaluate(*values)
    except (ArithmeticError, ValueError) as error:
        raise type(error)(f"{error}{_where(index)}") from None
    raise OverflowError(f"{op.name}: the result{_where(index)} ({', '.join(map(repr, values))}) "
                        f"is too large for {out.dtype}")


def _refuse_non_finite(name: str, out: np.ndarray) -> None:
    index = _first_bad(out)
    raise OverflowError(f"{name}: the result{_where(index)} is too large for {out.dtype}")


def _check_same_dtype(name: str, arrays: Sequence[np.ndarray]) -> None:
    dtypes = {a.dtype for a in arrays}
    if len(dtypes) > 1:
        raise TypeError(f"{name}: operands of different dtypes {sorted(str(d) for d in dtypes)}; "
                        "convert one of them (Tensor(..., dtype=...))")


# ----------------------------------------------------------------------------
# Elementwise ops: the scalar ops, on every element
# ----------------------------------------------------------------------------

def _broadcast_shape(name: str, arrays: Sequence[np.ndarray]) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        shapes = " and ".join(str(a.shape) for a in arrays)
        raise ValueError(f"{name}: shapes {shapes} cannot be broadcast together") from None


def elementwise(op: Op) -> TensorOp:
    """The tensor op that applies the scalar ``op`` to every element (with broadcasting).

    Its VJP multiplies ``g`` by the scalar rule's local derivative, computed
    on whole arrays, and sums each product down to its input's shape.
    """
    numpy_rule = op.numpy
    # Ops that can meet a domain error or overflow: numpy would warn before we refuse.
    careful = op.name in ("add", "sub", "mul", "div", "log", "log1p", "sqrt", "pow", "exp", "tan") or op.constant is not None
    # Finite inputs give finite outputs for these, so their results need no look (5 µs a call).
    always_finite = op.name in ("neg", "abs", "relu", "sigmoid", "tanh", "sin", "cos")

    def forward(arrays: tuple, params: Any) -> np.ndarray:
        if len(arrays) == 2:
            _broadcast_shape(op.name, arrays)
            if arrays[0].dtype != arrays[1].dtype:
                _check_same_dtype(op.name, arrays)
        if careful:  # domain errors: numpy would warn, then give inf or nan; we refuse instead
            with np.errstate(all="ignore"):
                out = numpy_rule(*arrays)
        else:
            out = numpy_rule(*arrays)
        if not always_finite and not np.isfinite(out).all():
            _refuse_bad_elements(op, arrays, out)
        return out

    def vjp(g: Any, inputs: Arrays, out: Any, params: Any, needs: tuple) -> tuple:
        local = op.local_derivatives(*inputs, out)
        grads = []
        for x, d, wanted in zip(inputs, local, needs):
            if not wanted:
                grads.append(None)
            elif type(d) is float and d == 1.0:  # a sum's slope: g passes on unchanged
                grads.append(sum_to(g, x.shape))
            elif type(d) is float and d == -1.0:
                grads.append(sum_to(-g, x.shape))
            else:
                if isinstance(d, np.ndarray) and d.dtype != g.dtype:  # a mask made of 0.0 and 1.0
                    d = d.astype(g.dtype)
                grads.append(sum_to(g * d, x.shape))
        return tuple(grads)

    return TensorOp(name=op.name, symbol=op.symbol, forward=forward, vjp=vjp, texts=_elementwise_texts(op),
                    torch_name=op.torch_name, arity=op.arity, text=_elementwise(op.text), scalar=op)


def _elementwise(text: str) -> str:
    """A scalar op's text, for whole arrays: a product of two of them is elementwise, ⊙."""
    return text.replace("·", " ⊙ ")


def _elementwise_texts(op: Op) -> tuple[str, ...]:
    """Each VJP of an elementwise op, written: ∂L/∂out times the scalar rule's local derivative."""
    texts = []
    for name, local in zip(scalar.OPERAND_NAMES, op.derivative_texts):
        if local == "1":
            rule = "∂L/∂{out}"
        elif local == "-1":
            rule = "−∂L/∂{out}"
        elif " " not in local and not local.startswith("-"):  # one term: ⊙ b, ⊙ exp(a)
            rule = f"∂L/∂{{out}} ⊙ {_elementwise(local)}"
        else:
            rule = f"∂L/∂{{out}} ⊙ ({_elementwise(local)})"
        texts.append(f"∂L/∂{{{name}}} = {rule}")
    return tuple(texts)


def _values(x: Any) -> np.ndarray:
    """The numbers of an array or a Tensor (for masks and checks, which have no gradient)."""
    return x if isinstance(x, np.ndarray) else x.data


def _pow_vjp(g: Any, inputs: Arrays, out: Any, params: Any, needs: tuple) -> tuple:
    """a ** b with a Tensor exponent: ∂/∂a = b·a^(b-1), ∂/∂b = a^b·log(a).

    The scalar rule handles a = 0 and a < 0 case by case; for whole arrays,
    the exponent's gradient asks for a positive base instead (``x ** 2``,
    with a number for the exponent, has no such limit, and neither does a
    constant exponent, whose gradient nobody wants).
    """
    a, b = inputs
    base = sum_to(g * (b * a ** (b - 1.0)), a.shape) if needs[0] else None
    if not needs[1]:
        return base, None
    bad = np.broadcast_to(_values(a) <= 0, out.shape)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        value = float(np.broadcast_to(_values(a), out.shape)[index])
        raise ValueError(f"pow: the derivative of a ** b with respect to a Tensor exponent b needs a "
                         f"positive base, got {value!r}{_where(index)}")
    return base, sum_to(g * (out * scalar.LOG(a)), b.shape)


ELEMENTWISE: dict[Op, TensorOp] = {op: elementwise(op) for op in scalar.OPS.values()}
ELEMENTWISE[scalar.POW] = TensorOp(
    name="pow", symbol="**", forward=ELEMENTWISE[scalar.POW].forward, vjp=_pow_vjp,
    texts=ELEMENTWISE[scalar.POW].texts, arity=2, text=ELEMENTWISE[scalar.POW].text, scalar=scalar.POW)


def power(n: float) -> TensorOp:
    """``a ** n`` for a constant ``n``, element by element (one cached op per exponent)."""
    op = scalar.power(n)
    if op not in ELEMENTWISE:
        ELEMENTWISE[op] = elementwise(op)
    return ELEMENTWISE[op]


# ----------------------------------------------------------------------------
# Matrix products
# ----------------------------------------------------------------------------

def _matmul(arrays: tuple, params: Any) -> np.ndarray:
    a, b = arrays
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least one dimension, got shapes {a.shape} and {b.shape}")
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not fit: "
                         f"{a.shape[-1]} columns against {b.shape[-2 if b.ndim > 1 else 0]} rows")
    _check_same_dtype("matmul", arrays)
    try:
        return a @ b
    except ValueError:  # the batch dimensions do not broadcast
        raise ValueError(f"matmul: the batch shapes of {a.shape} and {b.shape} cannot be broadcast") from None


def _swap_last(x: Any) -> Any:
    """The transpose of the last two axes (of each matrix in a stack)."""
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return x.transpose(*axes)


def _matmul_vjp(g: Any, inputs: Arrays, out: Any, params: Any, needs: tuple) -> tuple:
    a, b = inputs
    if a.ndim == 1 and b.ndim == 1:  # a dot product: out is one number
        return (g * b if needs[0] else None), (g * a if needs[1] else None)
    if a.ndim == 1:  # a row vector times matrices: as a (1, k) matrix
        g_rows = g.reshape(g.shape[:-1] + (1, g.shape[-1]))
        grad_a = sum_to(g_rows @ _swap_last(b), (1, a.shape[0])).reshape(a.shape) if needs[0] else None
        return grad_a, (sum_to(a.reshape((a.shape[0], 1)) @ g_rows, b.shape) if needs[1] else None)
    if b.ndim == 1:  # matrices times a column vector: as a (k, 1) matrix
        g_columns = g.reshape(g.shape + (1,))
        grad_b = sum_to(_swap_last(a) @ g_columns, (b.shape[0], 1)).reshape(b.shape) if needs[1] else None
        return (sum_to(g_columns @ b.reshape((1, b.shape[0])), a.shape) if needs[0] else None), grad_b
    return (sum_to(g @ _swap_last(b), a.shape) if needs[0] else None,
            sum_to(_swap_last(a) @ g, b.shape) if needs[1] else None)


MATMUL = TensorOp(
    name="matmul", symbol="@", forward=_matmul, vjp=_matmul_vjp,
    texts=("∂L/∂{a} = ∂L/∂{out} · {b}ᵀ", "∂L/∂{b} = {a}ᵀ · ∂L/∂{out}"), arity=2, checks_result=True,
    text="{a} @ {b}")


def _linear(arrays: tuple, params: Any) -> np.ndarray:
    x, w, b = arrays
    if w.ndim != 2 or b.shape != (w.shape[0],) or x.ndim < 1 or x.shape[-1] != w.shape[1]:
        raise ValueError(f"linear: input {x.shape}, weight {w.shape} and bias {b.shape} do not fit: "
                         "weight (out, in), bias (out,), input (..., in)")
    _check_same_dtype("linear", arrays)
    out = x @ w.T
    out += b
    return out


def _linear_vjp(g: Any, inputs: Arrays, out: Any, params: Any, needs: tuple) -> tuple:
    x, w, b = inputs
    g2 = g if g.ndim == 2 else g.reshape((math.prod(g.shape[:-1]), g.shape[-1]))  # the samples, as rows
    x2 = x if x.ndim == 2 else x.reshape((math.prod(x.shape[:-1]), x.shape[-1]))
    return (g @ w if needs[0] else None,   # data (the usual x) needs none: no matmul
            g2.T @ x2 if needs[1] else None,
            g2.sum(axis=0) if needs[2] else None)


LINEAR = TensorOp(
    name="linear", symbol="linear", forward=_linear, vjp=_linear_vjp,
    texts=("∂L/∂{x} = ∂L/∂{out} · {W}", "∂L/∂{W} = ∂L/∂{out}ᵀ · {x}", "∂L/∂{b} = Σ_rows ∂L/∂{out}"),
    torch_name="nn.functional.linear", arity=3, checks_result=True, text="{x} @ {W}ᵀ + {b}")


# ----------------------------------------------------------------------------
# Reductions: sum, mean, max
# ----------------------------------------------------------------------------

def _axes(name: str, axis: Any, ndim: int) -> Optional[tuple[int, ...]]:
    """``axis`` (None, an int or a tuple of ints) as a tuple of non-negative axes, checked."""
    if axis is None:
        return None
    given = axis if isinstance(axis, tuple) else (axis,)
    axes = []
    for a in given:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"{name}: axis must be an int or a tuple of ints, got {type(a).__name__}")
        if not -ndim <= a < ndim:
            raise ValueError(f"{name}: axis {a} is out of range for an array of {ndim} dimension(s)")
        axes.append(int(a) % ndim)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: axis {axis} repeats an axis")
    return tuple(sorted(axes))


def _kept_shape(shape: tuple[int, ...], axes: Optional[tuple[int, ...]]) -> tuple[int, ...]:
    """The shape of a reduction with keepdims=True: 1 on every reduced axis."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _sum(arrays: tuple, params: Any) -> np.ndarray:
    (x,), (axes, keepdims) = arrays, params
    return np.asarray(x.sum(axis=axes, keepdims=keepdims))


def _sum_vjp(g: Any, inputs: Arrays, out: Any, params: Any, needs: tuple) -> tuple:
    (x,), (axes, keepdims) = inputs, params
    return (BROADCAST_TO(g.reshape(_kept_shape(x.shape, axes)), params=x.shape),)


SUM = TensorOp(name="sum", symbol="sum", forward=_sum, vjp=_sum_vjp,
               texts=("∂L/∂{a} = ∂L/∂{out}, copied along the summed axes",), arity=1, checks_result=True)


def _count(shape: tuple[int, ...], axes: Optional[tuple[int, ...]]) -> int:
    return math.prod(shape) if axes is None else math.prod(shape[i] for i in axes)


def _mean(arrays: tuple, params: Any) -> np.ndarray:
    (x,), (axes, keepdims) = arrays, params
    if _count(x.shape, axes) == 0:
        raise ValueError(f"mean: the mean of no elements (shape {x.shape}, axis {axes}) is not a number")
    return np.asarray(x.mean(axis=axes, keepdims=keepdims))


def _mean_vjp(g: Any, inputs: Arrays, out: Any, params: Any, needs: tuple) -> tuple:
    (x,), (axes, keepdims) = inputs, params
    share = BROADCAST_TO(g.reshape(_kept_shape(x.shape, axes)), params=x.shape)
    return (share * (1.0 / _count(x.shape, axes)),)


MEAN = TensorOp(name="mean", symbol="mean", forward=_mean, vjp=_mean_vjp,
                texts=("∂L/∂{a} = ∂L/∂{out} / n, copied along the averaged axes",), arity=1,
                checks_result=True)


def _max(arrays: tuple, params: Any) -> np.ndarray:
    (x,), (axes, keepdims) = arrays, params
    if _count(x.shape, axes) == 0:
        raise ValueError(f"max: the max of no elements (shape {x.shape}, axis {axes}) is not defined")
    return np.asarray(x.max(axis=axes, keepdims=keepdims))


def _max_vjp(g: Any, inputs: Arrays, out: Any, params: Any, needs: tuple) -> tuple:
    """The gradient goes to the largest elements, shared equally among ties (``torch.amax``)."""
    (x,), (axes, keepdims) = inputs, params
    kept = _kept_shape(x.shape, axes)
    x_values = _values(x)
    winners = (x_values == _values(out).reshape(kept))
    share = (winners / winners.sum(axis=axes, keepdims=True)).astype(x_values.dtype)
    return (BROADCAST_TO(g.reshape(kept), params=x.shape) * share,)


MAX = TensorOp(name="max", symbol="max", forward=_max, vjp=_max_vjp,
               texts=("∂L/∂{a} = ∂L/∂{out} where {a} is largest (shared among ties), else 0",),
               torch_name="amax", arity=1)


# ----------------------------------------------------------------------------
# Shapes: reshape, transpose, broadcast, indexing, joining
# ----------------------------------------------------------------------------

def _reshape(arrays: tuple, params: Any) -> np.ndarray:
    (x,), shape = arrays, params
    try:
        return x.reshape(shape)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape {x.shape} ({x.size} elements) to {shape}") from None


RESHAPE = TensorOp(name="reshape", symbol="reshape", forward=_reshape,
                   vjp=lambda g, inputs, out, shape, needs: (g.reshape(inputs[0].shape),),
                   texts=("∂L/∂{a} = ∂L/∂{out} reshaped back",), arity=1)


def _transpose(arrays: tuple, params: Any) -> np.ndarray:
    (x,), axes = arrays, params
    if axes is not None and sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of the {x.ndim} axes of {x.shape}")
    return x.transpose(axes)


def _transpose_vjp(g: Any, inputs: Arrays, out: Any, axes: Any, needs: tuple) -> tuple:
    if axes is None:
        return (g.transpose(),)
    return (g.transpose(*np.argsort(axes)),)


TRANSPOSE = TensorOp(name="transpose", symbol="ᵀ", forward=_transpose, vjp=_transpose_vjp,
                     texts=("∂L/∂{a} = ∂L/∂{out} transposed back",), torch_name="permute", arity=1,
                     text="{a}ᵀ")


def _broadcast_to(arrays: tuple, params: Any) -> np.ndarray:
    (x,), shape = arrays, params
    try:
        return np.broadcast_to(x, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast {x.shape} to {shape}") from None


BROADCAST_TO = TensorOp(name="broadcast_to", symbol="broadcast", forward=_broadcast_to,
                        vjp=lambda g, inputs, out, shape, needs: (sum_to(g, inputs[0].shape),),
                        texts=("∂L/∂{a} = ∂L/∂{out} summed over the copies",), arity=1)


def _getitem(arrays: tuple, index: Any) -> np.ndarray:
    (x,) = arrays
    try:
        return np.asarray(x[index])
    except IndexError as error:
        raise IndexError(f"getitem: {error} (shape {x.shape})") from None


def _scatter_add(arrays: tuple, params: Any) -> np.ndarray:
    """Zeros of ``shape`` with ``g`` added at ``index``: a repeated index gets each share."""
    (g,), (index, shape) = arrays, params
    out = np.zeros(shape, dtype=g.dtype)
    np.add.at(out, index, g)
    return out


GETITEM = TensorOp(name="getitem", symbol="[]", forward=_getitem,
                   vjp=lambda g, inputs, out, index, needs: (SCATTER_ADD(g, params=(index, inputs[0].shape)),),
                   texts=("∂L/∂{a} = ∂L/∂{out} put back where it was taken from, 0 elsewhere",),
                   torch_name="index", arity=1, text="{a}[index]")

SCATTER_ADD = TensorOp(name="scatter_add", symbol="scatter", forward=_scatter_add,
                       vjp=lambda g, inputs, out, params, needs: (GETITEM(g, params=params[0]),),
                       texts=("∂L/∂{a} = ∂L/∂{out} taken at the index",), torch_name="index_put", arity=1,
                       checks_result=True)


def _axis(name: str, axis: Any, ndim: int) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{name}: axis must be an int, got {type(axis).__name__}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}: axis {axis} is out of range for {ndim} dimension(s)")
    return int(axis) % ndim


def _concat(arrays: tuple, axis: Any) -> np.ndarray:
    if not arrays:
        raise ValueError("concat: needs at least one tensor")
    _check_same_dtype("concat", arrays)
    axis = _axis("concat", axis, arrays[0].ndim)
    for a in arrays:
        if a.ndim != arrays[0].ndim or a.shape[:axis] + a.shape[axis + 1:] != \
                arrays[0].shape[:axis] + arrays[0].shape[axis + 1:]:
            shapes = ", ".join(str(x.shape) for x in arrays)
            raise ValueError(f"concat: shapes {shapes} differ outside axis {axis}")
    return np.concatenate(arrays, axis=axis)


def _concat_vjp(g: Any, inputs: Arrays, out: Any, axis: Any, needs: tuple) -> tuple:
    axis = axis % out.ndim
    grads, start = [], 0
    for x in inputs:
        index = (slice(None),) * axis + (slice(start, start + x.shape[axis]),)
        grads.append(GETITEM(g, params=index))
        start += x.shape[axis]
    return tuple(grads)


CONCAT = TensorOp(name="concat", symbol="concat", forward=_concat, vjp=_concat_vjp,
                  texts=("∂L/∂{a} = its own slice of ∂L/∂{out}",), torch_name="cat")


def _stack(arrays: tuple, axis: Any) -> np.ndarray:
    if not arrays:
        raise ValueError("stack: needs at least one tensor")
    _check_same_dtype("stack", arrays)
    if any(a.shape != arrays[0].shape for a in arrays):
        raise ValueError(f"stack: shapes {', '.join(str(a.shape) for a in arrays)} differ")
    return np.stack(arrays, axis=_axis("stack", axis, arrays[0].ndim + 1))


def _stack_vjp(g: Any, inputs: Arrays, out: Any, axis: Any, needs: tuple) -> tuple:
    axis = axis % out.ndim
    return tuple(GETITEM(g, params=(slice(None),) * axis + (i,)) for i in range(len(inputs)))


STACK = TensorOp(name="stack", symbol="stack", forward=_stack, vjp=_stack_vjp,
                 texts=("∂L/∂{a} = its own slice of ∂L/∂{out}",))


def _where_forward(arrays: tuple, condition: np.ndarray) -> np.ndarray:
    x, y = arrays
    _broadcast_shape("where", (condition, x, y))
    _check_same_dtype("where", arrays)
    return np.where(condition, x, y)


def _where_vjp(g: Any, inputs: Arrays, out: Any, condition: np.ndarray, needs: tuple) -> tuple:
    x, y = inputs
    picked = np.broadcast_to(condition, out.shape).astype(out.dtype)
    return sum_to(g * picked, x.shape), sum_to(g * (1.0 - picked), y.shape)


WHERE = TensorOp(name="where", symbol="where", forward=_where_forward, vjp=_where_vjp,
                 texts=("∂L/∂{a} = ∂L/∂{out} where the condition holds, else 0",
                        "∂L/∂{b} = ∂L/∂{out} where it does not, else 0"), arity=2,
                 text="where(condition, {a}, {b})")


# ----------------------------------------------------------------------------
# Softmax and friends: stable for large logits
# ----------------------------------------------------------------------------

def _logsumexp(arrays: tuple, params: Any) -> np.ndarray:
    (x,), (axis, keepdims) = arrays, params
    if x.shape[axis] == 0:
        raise ValueError(f"logsumexp: axis {axis} of shape {x.shape} is empty: the log of a sum of "
                         "nothing is -inf, not a number")
    m = x.max(axis=axis, keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m  # exp of numbers <= 0: no overflow
    return out if keepdims else out.squeeze(axis)


def _logsumexp_vjp(g: Any, inputs: Arrays, out: Any, params: Any, needs: tuple) -> tuple:
    (x,), (axis, keepdims) = inputs, params
    if not keepdims:  # put the reduced axis back, to broadcast against x
        kept = out.shape[:axis] + (1,) + out.shape[axis:]
        g, out = g.reshape(kept), out.reshape(kept)
    return (g * scalar.EXP(x - out),)  # ∂/∂x logsumexp(x) = softmax(x)


LOGSUMEXP = TensorOp(name="logsumexp", symbol="logsumexp", forward=_logsumexp, vjp=_logsumexp_vjp,
                     texts=("∂L/∂{a} = ∂L/∂{out} · softmax({a})",), arity=1)


def _log_softmax(arrays: tuple, axis: Any) -> np.ndarray:
    (x,) = arrays
    if x.size == 0:  # nothing to normalise: an empty result, as PyTorch gives
        return x.copy()
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _log_softmax_vjp(g: Any, inputs: Arrays, out: Any, axis: Any, needs: tuple) -> tuple:
    return (g - scalar.EXP(out) * g.sum(axis=axis, keepdims=True),)


LOG_SOFTMAX = TensorOp(name="log_softmax", symbol="log_softmax", forward=_log_softmax,
                       vjp=_log_softmax_vjp,
                       texts=("∂L/∂{a} = ∂L/∂{out} − softmax({a}) · Σ ∂L/∂{out}",), arity=1,
                       checks_result=True)


def _softmax(arrays: tuple, axis: Any) -> np.ndarray:
    (x,) = arrays
    if x.size == 0:  # nothing to normalise: an empty result, as PyTorch gives
        return x.copy()
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _softmax_vjp(g: Any, inputs: Arrays, out: Any, axis: Any, needs: tuple) -> tuple:
    return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)


SOFTMAX = TensorOp(name="softmax", symbol="softmax", forward=_softmax, vjp=_softmax_vjp,
                   texts=("∂L/∂{a} = {out} ⊙ (∂L/∂{out} − Σ {out} ⊙ ∂L/∂{out})",), arity=1)


def _cross_entropy(arrays: tuple, targets: np.ndarray) -> np.ndarray:
    """The mean over rows of −log softmax(logits)[row, target]."""
    (logits,) = arrays
    log_p = _log_softmax((logits,), 1)
    return np.asarray(-log_p[np.arange(len(targets)), targets].mean(), dtype=logits.dtype)


def _cross_entropy_vjp(g: Any, inputs: Arrays, out: Any, targets: np.ndarray, needs: tuple) -> tuple:
    (logits,) = inputs
    n = logits.shape[0]
    one_hot = np.zeros(logits.shape, dtype=_values(logits).dtype)
    one_hot[np.arange(n), targets] = 1.0
    return ((SOFTMAX(logits, params=1) - one_hot) * (g * (1.0 / n)),)


CROSS_ENTROPY = TensorOp(name="cross_entropy", symbol="CE", forward=_cross_entropy, vjp=_cross_entropy_vjp,
                         texts=("∂L/∂{a} = (softmax({a}) − one_hot(targets)) · ∂L/∂{out} / n",),
                         torch_name="nn.functional.cross_entropy", arity=1,
                         text="cross_entropy({a}, targets)")
