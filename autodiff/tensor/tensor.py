"""`Tensor`: an array that remembers how it was computed.

A Tensor is to a numpy array what a `Var` is to a float. Every op on
Tensors returns a new Tensor whose ``parents`` are its operands and whose
``op`` is the entry of the tensor op table (`autodiff.tensor.ops`) that made
it, with the op's own arguments (an axis, a shape, an index) in ``params``.
``backward()`` walks that graph from the output back, and each op's VJP
sends the gradient of a whole array to its operands at once.

What it shares with `Var`:

* the elementwise ops *are* the scalar op table's ops, on every element;
* ``no_grad()`` (`autodiff.grad_mode`) stops the recording for both;
* the walk, the all-or-nothing update of ``.grad`` and the errors follow
  the same rules (`autodiff.tensor.backprop`).

What is new: broadcasting, shapes, a dtype (float64 by default, float32 on
request), and ``requires_grad``. A Tensor made from your numbers requires a
gradient, as every Var does; a constant met in an op (the 2 in ``x * 2``, a
numpy array) does not, and neither does anything computed only from such
constants or under ``no_grad()``. Backward skips them all.
"""

from __future__ import annotations

from numbers import Real
from typing import Any, Optional, Sequence

import numpy as np

from .. import grad_mode, ops
from ..arguments import type_and_value
from ..var import Var
from . import backprop
from .ops import (CONCAT, ELEMENTWISE, GETITEM, MATMUL, MAX, MEAN, RESHAPE, STACK, SUM, TRANSPOSE,
                  TensorOp, _axes, all_finite, power)

__all__ = ["Tensor", "apply", "DTYPES"]

DTYPES = (np.float64, np.float32)  # the dtypes a Tensor can hold
_FLOATS = tuple(np.dtype(d) for d in DTYPES)

ADD, SUB, MUL, DIV = (ELEMENTWISE[op] for op in (ops.ADD, ops.SUB, ops.MUL, ops.DIV))
POW, NEG, ABS = ELEMENTWISE[ops.POW], ELEMENTWISE[ops.NEG], ELEMENTWISE[ops.ABS]


def as_array(data: Any, what: str, dtype: Any = None) -> np.ndarray:
    """``data`` as a finite float array of ``dtype`` (float64 by default), or a clear error."""
    if isinstance(data, Tensor):
        data = data._data
    if type(data) is np.ndarray and data.dtype in _FLOATS and (dtype is None or data.dtype == dtype):
        with np.errstate(over="ignore"):  # the common case, checked quickly
            finite = all_finite(data)
        if not finite:
            _refuse_non_finite(what, data)
        return data
    if dtype is not None and np.dtype(dtype) not in DTYPES:
        raise TypeError(f"{what}: dtype must be float64 or float32, got {np.dtype(dtype)}")
    if isinstance(data, (str, bytes)) or data is None:
        raise TypeError(f"{what}: expected numbers (a number, a list or a numpy array), got {type_and_value(data)}")
    if isinstance(data, Var):
        raise TypeError(f"{what}: a Tensor and a Var cannot be mixed: the two engines keep separate graphs "
                        f"(use the Var's number, var.data, or make both Tensors)")
    try:
        array = np.asarray(data)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{what}: {type_and_value(data)} is not a regular array of numbers ({error})") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{what}: expected numbers, got an array of {array.dtype}")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError(f"{what}: complex numbers are not supported")
    if array.dtype == bool:
        raise TypeError(f"{what}: expected numbers, got booleans (convert them: array.astype(float))")
    target = np.dtype(dtype) if dtype is not None else (
        array.dtype if array.dtype in DTYPES else np.dtype(np.float64))
    with np.errstate(over="ignore"):
        array = array.astype(target, copy=False)
        finite = all_finite(array)
    if not finite:
        _refuse_non_finite(what, array)
    return array


def _refuse_non_finite(what: str, array: np.ndarray) -> None:
    index = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
    raise ValueError(f"{what}: expected finite numbers, got {float(array[index])!r}"
                     + (f" at index {index}" if index else "") + " (or a number too large for the dtype)")


class Tensor:
    """An array of numbers in a computation graph.

    >>> x = Tensor([[1.0, 2.0], [3.0, 4.0]], label="x")
    >>> y = (x * x).sum()          # 30
    >>> y.backward()
    >>> x.grad                     # dy/dx = 2x
    array([[2., 4.],
           [6., 8.]])
    """

    # _data: the values (a numpy array); _grad: the accumulated gradient, None until a backward
    # op, parents, params: the TensorOp that made it, its operands, its own arguments (None for a leaf)
    # requires_grad: whether backward computes a gradient for it
    # _pass_grad, _mark: scratch space of a backward pass and of a walk (backprop.py)
    __slots__ = ("_data", "_grad", "label", "op", "parents", "params", "requires_grad",
                 "_pass_grad", "_mark", "__weakref__")

    __array_ufunc__ = None  # numpy defers to us: array * tensor is a Tensor

    def __init__(self, data: Any, label: str = "", dtype: Any = None, requires_grad: bool = True) -> None:
        if not isinstance(label, str):
            raise TypeError(f"Tensor: label must be a str, got {type(label).__name__}")
        if not isinstance(requires_grad, bool):
            raise TypeError(f"Tensor: requires_grad must be True or False, got {type_and_value(requires_grad)}")
        self._data = np.array(as_array(data, "Tensor", dtype))  # its own copy, as torch.tensor makes
        self._grad: Optional[np.ndarray] = None
        self.label = label
        self.op: Optional[TensorOp] = None
        self.parents: tuple[Tensor, ...] = ()
        self.params: Any = None
        self.requires_grad = requires_grad
        self._mark: object = None

    # ------------------------------------------------------------------
    # Operators and methods: each records one op of the tensor table
    # ------------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor: return apply(ADD, self, other)
    def __radd__(self, other: Any) -> Tensor: return apply(ADD, other, self)
    def __sub__(self, other: Any) -> Tensor: return apply(SUB, self, other)
    def __rsub__(self, other: Any) -> Tensor: return apply(SUB, other, self)
    def __mul__(self, other: Any) -> Tensor: return apply(MUL, self, other)
    def __rmul__(self, other: Any) -> Tensor: return apply(MUL, other, self)
    def __truediv__(self, other: Any) -> Tensor: return apply(DIV, self, other)
    def __rtruediv__(self, other: Any) -> Tensor: return apply(DIV, other, self)
    def __matmul__(self, other: Any) -> Tensor: return apply(MATMUL, self, other)
    def __rmatmul__(self, other: Any) -> Tensor: return apply(MATMUL, other, self)
    def __rpow__(self, other: Any) -> Tensor: return apply(POW, other, self)
    def __neg__(self) -> Tensor: return apply(NEG, self)
    def __abs__(self) -> Tensor: return apply(ABS, self)

    def __pow__(self, exponent: Any) -> Tensor:
        """``self ** exponent``; a plain-number exponent is part of the op, as for `Var`."""
        if isinstance(exponent, Tensor) or isinstance(exponent, np.ndarray):
            return apply(POW, self, exponent)
        return apply(power(exponent), self)

    def exp(self) -> Tensor: return apply(ELEMENTWISE[ops.EXP], self)
    def log(self) -> Tensor: return apply(ELEMENTWISE[ops.LOG], self)
    def log1p(self) -> Tensor: return apply(ELEMENTWISE[ops.LOG1P], self)
    def sqrt(self) -> Tensor: return apply(ELEMENTWISE[ops.SQRT], self)
    def sin(self) -> Tensor: return apply(ELEMENTWISE[ops.SIN], self)
    def cos(self) -> Tensor: return apply(ELEMENTWISE[ops.COS], self)
    def tan(self) -> Tensor: return apply(ELEMENTWISE[ops.TAN], self)
    def tanh(self) -> Tensor: return apply(ELEMENTWISE[ops.TANH], self)
    def sigmoid(self) -> Tensor: return apply(ELEMENTWISE[ops.SIGMOID], self)
    def relu(self) -> Tensor: return apply(ELEMENTWISE[ops.RELU], self)
    def abs(self) -> Tensor: return apply(ABS, self)

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """The sum over ``axis`` (an int, a tuple of ints, or None for all)."""
        return apply(SUM, self, params=(_axes("sum", axis, self.ndim), _flag("sum", keepdims)))

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """The mean over ``axis`` (an int, a tuple of ints, or None for all)."""
        return apply(MEAN, self, params=(_axes("mean", axis, self.ndim), _flag("mean", keepdims)))

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """The largest element over ``axis``; its gradient is shared among ties (``torch.amax``)."""
        return apply(MAX, self, params=(_axes("max", axis, self.ndim), _flag("max", keepdims)))

    def reshape(self, *shape: Any) -> Tensor:
        """The same elements in a new shape: ``t.reshape(2, 3)`` or ``t.reshape((2, 3))``; -1 is inferred."""
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        for n in shape:
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
                raise TypeError(f"reshape: sizes must be ints, got {type_and_value(n)}")
        return apply(RESHAPE, self, params=tuple(int(n) for n in shape))

    def transpose(self, *axes: Any) -> Tensor:
        """The axes in a new order (all of them reversed when none are given), as numpy's transpose."""
        axes = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        if not axes:
            return apply(TRANSPOSE, self, params=None)
        checked = _axes("transpose", tuple(axes), self.ndim) if len(axes) == self.ndim else None
        if checked is None:
            raise ValueError(f"transpose: give all {self.ndim} axes of {self.shape}, got {axes}")
        return apply(TRANSPOSE, self, params=tuple(int(a) % self.ndim for a in axes))

    @property
    def T(self) -> Tensor:
        """The transpose: the axes reversed (rows and columns swapped for a matrix)."""
        return apply(TRANSPOSE, self, params=None)

    def __getitem__(self, index: Any) -> Tensor:
        """Indexing as numpy's: ints, slices, None, ``...``, integer and boolean arrays."""
        if isinstance(index, Tensor):
            raise TypeError("getitem: index with a numpy array or a list, not a Tensor (t[tensor.data])")
        return apply(GETITEM, self, params=_index(index))

    @staticmethod
    def apply_op(op: Any, *operands: Any, params: Any = None) -> Tensor:
        """How an op applies to Tensors: a scalar op (``ops.EXP(t)``) element by element, or a TensorOp."""
        if isinstance(op, ops.Op):
            return apply(ELEMENTWISE[op] if op in ELEMENTWISE else power(op.constant), *operands)
        return apply(op, *operands, params=params)

    # Comparisons give numpy arrays of booleans and record nothing, as Var's give bools.
    def __lt__(self, other: Any) -> np.ndarray: return self._data < _values(other)
    def __le__(self, other: Any) -> np.ndarray: return self._data <= _values(other)
    def __gt__(self, other: Any) -> np.ndarray: return self._data > _values(other)
    def __ge__(self, other: Any) -> np.ndarray: return self._data >= _values(other)

    # ------------------------------------------------------------------
    # Values and gradients
    # ------------------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """The values, a numpy array. Setting it (as an optimizer does) keeps the shape and dtype."""
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        array = as_array(value, "Tensor.data", self._data.dtype)
        if array.shape != self._data.shape:
            raise ValueError(f"Tensor.data: expected shape {self.shape}, got {array.shape}")
        self._data = np.array(array)  # its own copy: later changes to value do not reach it

    @property
    def grad(self) -> np.ndarray:
        """d(output)/d(self), summed over every ``backward()`` so far: zeros until one runs."""
        if self._grad is None:
            return np.zeros_like(self._data)
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        if isinstance(value, Real) and not isinstance(value, bool) and value == 0:
            self._grad = None  # zero_grad(): the zeros are made when next read
            return
        array = as_array(value, "Tensor.grad", self._data.dtype)
        try:
            self._grad = np.array(np.broadcast_to(array, self._data.shape))
        except ValueError:
            raise ValueError(f"Tensor.grad: expected shape {self.shape}, got {array.shape}") from None

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> int:
        return self._data.size

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    def __len__(self) -> int:
        if not self.ndim:
            raise TypeError("len() of a 0-d Tensor")
        return self.shape[0]

    def item(self) -> float:
        """The one number of a one-element Tensor, as a Python float."""
        if self.size != 1:
            raise ValueError(f"item: only a Tensor with one element has one number, this one has shape {self.shape}")
        return float(self._data.reshape(-1)[0])

    def numpy(self) -> np.ndarray:
        """A copy of the values, as a numpy array."""
        return self._data.copy()

    def detach(self) -> Tensor:
        """A new leaf with the same values and no history: gradients stop here."""
        return Tensor(self._data, self.label)

    def backward(self, gradient: Any = None) -> None:
        """Add d(self)/d(node) to ``node.grad`` for every node of the graph that requires a gradient.

        A one-element Tensor (a loss) is seeded with 1. Any other needs
        ``gradient``, an array of its shape: the result is then the gradient
        of (self · gradient).sum(), as in PyTorch. Gradients accumulate.
        """
        backprop.backward(self, gradient)

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="Tensor(")
        extras = "" if self._data.dtype == np.float64 else f", dtype={self._data.dtype}"
        if self.op is not None:
            extras += f", op={self.op.name}"
        elif not self.requires_grad:
            extras += ", requires_grad=False"
        if self.label:
            extras += f", label={self.label!r}"
        return f"Tensor({body}{extras})"

    def __bool__(self) -> bool:
        raise TypeError("the truth value of a Tensor is ambiguous: compare its values "
                        "(t.item() for one element, or (t > 0).any() / .all())")


# ----------------------------------------------------------------------
# Recording ops
# ----------------------------------------------------------------------

def apply(op: TensorOp, *operands: Any, params: Any = None) -> Tensor:
    """Compute ``op`` on the operands' values, and record how: a new node of the graph.

    Plain numbers and numpy arrays among the operands become constants (of
    the Tensors' dtype) that need no gradient. The result records the graph
    only if some operand requires a gradient, and not under `no_grad`.
    """
    tensors = operands
    for x in operands:
        if type(x) is not Tensor:  # a constant among them: wrap each (rare in a model's forward)
            dtype = next((t._data.dtype for t in operands if isinstance(t, Tensor)), _FLOATS[0])
            tensors = tuple(t if isinstance(t, Tensor) else _constant(t, dtype, op) for t in operands)
            break
    if op.checks_result:  # it can overflow: look, and refuse in our words rather than numpy's warning
        with np.errstate(over="ignore", invalid="ignore"):
            out = op.forward(tuple([t._data for t in tensors]), params)
            finite = all_finite(out)
        if not finite:
            _refuse_overflow(op, out)
    else:
        out = op.forward(tuple([t._data for t in tensors]), params)
    node = Tensor.__new__(Tensor)
    node._data = out
    node._grad = None
    node.label = ""
    node._mark = None
    if (grad_mode.everywhere or grad_mode.is_grad_enabled()) and any([t.requires_grad for t in tensors]):
        node.op, node.parents, node.params, node.requires_grad = op, tensors, params, True
    else:
        node.op, node.parents, node.params, node.requires_grad = None, (), None, False
    return node


def _constant(x: Any, dtype: np.dtype, op: TensorOp) -> Tensor:
    """A number or an array met in an op, as a constant Tensor of ``dtype``."""
    if isinstance(x, np.ndarray) and x.dtype == bool:
        x = x.astype(dtype)
    try:
        data = as_array(x, op.name, dtype)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{error} (an operand of {op.name})") from None
    constant = Tensor.__new__(Tensor)
    constant._data, constant._grad, constant.label, constant._mark = data, None, "", None
    constant.op, constant.parents, constant.params, constant.requires_grad = None, (), None, False
    return constant


def _refuse_overflow(op: TensorOp, out: np.ndarray) -> None:
    index = tuple(int(i) for i in np.argwhere(~np.isfinite(out))[0])
    where = f" at index {index}" if index else ""
    raise OverflowError(f"{op.name}: the result{where} is too large for {out.dtype}")


def _values(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name}: keepdims must be True or False, got {type_and_value(value)}")
    return value


def _index(index: Any) -> Any:
    """An index, with lists turned into arrays (so ``t[[0, 2]]`` picks rows, as in numpy)."""
    if isinstance(index, list):
        return _index_array(index)
    if isinstance(index, tuple):
        return tuple(_index_array(i) if isinstance(i, list) else i for i in index)
    return index


def _index_array(items: list) -> np.ndarray:
    """A list of indices as an array; an empty list picks nothing (an int array, not numpy's floats)."""
    return np.asarray(items, dtype=np.intp) if not items else np.asarray(items)


def concat(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """The tensors joined along an existing ``axis`` (``torch.cat``)."""
    return apply(CONCAT, *_tensor_list("concat", tensors), params=axis)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """The tensors, all of one shape, stacked along a new ``axis`` (``torch.stack``)."""
    return apply(STACK, *_tensor_list("stack", tensors), params=axis)


def _tensor_list(name: str, tensors: Any) -> list:
    if isinstance(tensors, (Tensor, np.ndarray)) or not isinstance(tensors, Sequence):
        raise TypeError(f"{name}: expected a list of tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{name}: needs at least one tensor")
    return list(tensors)
