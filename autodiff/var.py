"""`Var`: a scalar that remembers how it was computed.

Every arithmetic op on a `Var` returns a new `Var` whose ``parents`` are its
operands (in operand order, so ``(a + a).parents == (a, a)``) and whose
``op_def`` is the entry of the op table (`autodiff.ops`) that made it. That
chain of parents *is* the computation graph; ``backward()`` walks it from the
output back to the inputs.

Two design choices make this engine differ from micrograd:

* A node stores *which op* made it, not a closure. The derivative rule lives
  once, in the op table. So no node refers back to itself, a dropped graph is
  freed by reference counting alone, and Python's cyclic garbage collector has
  nothing to do.
* Parents are a tuple, not a set: the order of operations, and so every
  floating-point result, is the same in every process.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Optional

from .arithmetic import install_arithmetic
from .ops import Op, to_float

__all__ = ["Var", "no_grad", "is_grad_enabled"]

_grad_enabled = True


def is_grad_enabled() -> bool:
    """True unless inside a `no_grad()` block."""
    return _grad_enabled


@contextmanager
def no_grad() -> Iterator[None]:
    """A block in which ops compute values but record no graph.

    Use it for evaluation and for updating parameters::

        with no_grad():
            prediction = model(x)      # a plain value with no history
    """
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


class Var:
    """A scalar value in a computation graph.

    >>> a, b = Var(2.0, label="a"), Var(-3.0, label="b")
    >>> c = a * b + a
    >>> c.backward()
    >>> a.grad, b.grad           # dc/da = b + 1, dc/db = a
    (-2.0, 2.0)

    The operators (``+ - * / **``, unary ``-``, ``abs``) and the methods
    ``exp log sqrt sin cos tan tanh sigmoid relu`` are made from the op table
    by `install_arithmetic` (see the bottom of this module).
    """

    # _data, _grad: the value and the accumulated gradient (see the properties)
    # _op: the Op that made this node, None for a leaf
    # _a, _b: the operands (None where absent). Two slots instead of a tuple
    #     save an object per node, which matters for memory and for the
    #     garbage collector, whose work grows with the number of objects.
    # _g: scratch space used during one backward pass, None otherwise
    __slots__ = ("_data", "_grad", "label", "_op", "_a", "_b", "_g")

    __array_ufunc__ = None  # numpy scalars defer to us: np.float64(2) * x is a Var

    def __init__(self, data: float, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(f"Var: label must be a str, got {type(label).__name__}")
        self._data = to_float(data, "Var")
        self._grad = 0.0
        self.label = label
        self._op: Optional[Op] = None
        self._a = self._b = self._g = None

    # ------------------------------------------------------------------
    # Attributes
    # ------------------------------------------------------------------
    @property
    def data(self) -> float:
        """The value, a Python float. It can be set (e.g. by an optimizer)."""
        return self._data

    @data.setter
    def data(self, value: float) -> None:
        self._data = to_float(value, "Var.data")

    @property
    def grad(self) -> float:
        """d(output)/d(self), summed over every ``backward()`` call so far."""
        return self._grad

    @grad.setter
    def grad(self, value: float) -> None:
        self._grad = to_float(value, "Var.grad")

    @property
    def parents(self) -> tuple["Var", ...]:
        """The operands this node was computed from, in order: ``(a + a).parents == (a, a)``."""
        if self._a is None:
            return ()
        if self._b is None:
            return (self._a,)
        return (self._a, self._b)

    @property
    def op(self) -> str:
        """The symbol of the op that made this node ("*", "exp", ...), "" for a leaf."""
        return self._op.symbol if self._op is not None else ""

    @property
    def op_def(self) -> Optional[Op]:
        """The op-table entry that made this node (None for a leaf)."""
        return self._op

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Var(data={self._data!r}, grad={self._grad!r}{label})"

    def detach(self) -> "Var":
        """A new leaf with the same value and no history: gradients stop here."""
        return Var(self._data, self.label)

    def backward(self) -> None:
        """Add d(self)/d(node) to ``node.grad`` for every node of the graph.

        ``self`` is seeded with 1.0. Gradients *accumulate*: calling
        ``backward()`` twice adds them twice, as in PyTorch, so reset
        ``.grad`` (``zero_grad()`` on a module or optimizer) between steps.
        """
        from .backprop import backward

        backward(self)


# ----------------------------------------------------------------------
# Recording ops. These run once per arithmetic operation, so they are
# written for speed: operands that already are Vars are not re-checked.
# ----------------------------------------------------------------------
_new = object.__new__


def _node(data: float, op: Optional[Op], a: Optional[Var], b: Optional[Var]) -> Var:
    """A new node holding ``data``, made by ``op`` from ``a`` (and ``b``)."""
    node = _new(Var)
    node._data = data
    node._grad = 0.0
    node.label = ""
    node._g = None
    if _grad_enabled:
        node._op, node._a, node._b = op, a, b
    else:  # under no_grad() every result is a leaf
        node._op = node._a = node._b = None
    return node


def _constant(x: object, op: Op) -> Var:
    """Wrap a plain number met in an op (the 2 in ``x * 2``) as a leaf."""
    return _node(to_float(x, op.name, "a real number or a Var"), None, None, None)


def _overflow(op: Op, *operands: Var) -> OverflowError:
    values = ", ".join(repr(v._data) for v in operands)
    return OverflowError(f"{op.name}({values}) is too large for a float")


def _binary(op: Op, reflected: bool):
    """The method for ``x <op> other`` (or ``other <op> x`` when reflected)."""
    forward = op.forward

    def method(self: Var, other: object) -> Var:
        if not isinstance(other, Var):
            other = _constant(other, op)
        a, b = (other, self) if reflected else (self, other)
        out = forward(a._data, b._data)
        if out - out != 0.0:  # inf: checked here so no op can return one silently
            raise _overflow(op, a, b)
        return _node(out, op, a, b)

    return method


def _unary(op: Op):
    """The method for ``op(x)``."""
    forward = op.forward

    def method(self: Var) -> Var:
        out = forward(self._data)
        if out - out != 0.0:
            raise _overflow(op, self)
        return _node(out, op, self, None)

    return method


def _value(x: object) -> float:
    return x._data if isinstance(x, Var) else to_float(x, "comparison", "a real number or a Var")


install_arithmetic(Var, _binary, _unary, _value)
