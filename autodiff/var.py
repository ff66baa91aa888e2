"""`Var`: a scalar that remembers how it was computed.

Every arithmetic op on a `Var` returns a new `Var` whose ``parents`` are its
operands (in operand order, so ``(a + a).parents == (a, a)``) and whose
``op`` is the entry of the op table (`autodiff.ops`) that made it. That chain
of parents *is* the computation graph; ``backward()`` walks it from the
output back to the inputs (`autodiff.backprop`).

Two design choices make this engine differ from micrograd:

* A node stores *which op* made it, not a closure. The derivative rule lives
  once, in the op table. So no node refers back to itself, a dropped graph is
  freed by reference counting alone, and Python's cyclic garbage collector has
  nothing to do.
* Parents are a tuple, not a set: the order of operations, and so every
  floating-point result, is the same in every process.

Truth and equality, decided as close to PyTorch as a graph of nodes allows:

* ``bool(x)`` is the truth of its value, as ``bool`` of a one-element
  tensor is: ``bool(Var(0.0))`` is False, so ``if loss:`` means "if the
  loss is not zero".
* ``x == y`` for two Vars asks whether they are *the same node*, as ``is``
  does, and ``hash(x)`` goes by identity too. The engine and the widgets
  keep nodes in sets and dicts and find them in lists (``node in
  reached``, ``parents.count(p)``), which a value-based ``==`` would break:
  two different nodes often hold the same value. PyTorch's ``==`` gives a
  tensor of results instead, which a scalar cannot.
* ``x == 1.0`` (a Var and a number, either way round, and ``!=``) raises a
  TypeError that says to compare ``x.data == 1.0``: it used to be a silent
  False, a trap. The order comparisons ``<``, ``<=``, ``>``, ``>=`` compare
  values, with numbers too.
"""

from __future__ import annotations

from math import isfinite
from typing import Any, Optional

from . import backprop, grad_mode
from .arguments import compared_with_number, is_real, no_modular_power, to_float
from .grad_mode import is_grad_enabled, no_grad
from .ops import (ABS, ADD, COS, DIV, EXP, LOG, LOG1P, MUL, NEG, POW, RELU, SIGMOID, SIN, SQRT, SUB, TAN,
                  TANH, Op, power)

__all__ = ["Var", "apply", "unary", "binary", "no_grad", "is_grad_enabled"]

class Var:
    """A scalar value in a computation graph.

    >>> a, b = Var(2.0, label="a"), Var(-3.0, label="b")
    >>> c = a * b + a
    >>> c.backward()
    >>> a.grad, b.grad           # dc/da = b + 1, dc/db = a
    (-2.0, 2.0)
    """

    # _data, _grad: the value and the accumulated gradient (see the properties)
    # op: the Op that made this node, None for a leaf
    # _a, _b: its operands, named as the op table names them (see `parents`);
    #     None where there is none
    # _pass_grad: the gradient a backward pass has sent to this node so far (backprop.py)
    # _mark: the mark the latest walk over the graph left on it (backprop.topological_order)
    #
    # Why two slots for the operands and not a tuple: a tuple is a second object
    # per node for Python's cyclic garbage collector to track, and in a training
    # loop with the collector on that doubles its work: micrograd's demo step
    # took ~300 ms with a tuple and ~185 ms with the two slots (benchmarks, (a)).
    __slots__ = ("_data", "_grad", "label", "op", "_a", "_b", "_pass_grad", "_mark")

    __array_ufunc__ = None  # numpy scalars defer to us: np.float64(2) * x is a Var

    def __init__(self, data: float, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(f"Var: label must be a str, got {type(label).__name__}")
        self._data = to_float(data, "Var")
        self._grad = 0.0
        self.label = label
        self.op: Optional[Op] = None
        self._a: Optional[Var] = None
        self._b: Optional[Var] = None
        self._mark: object = None

    # ------------------------------------------------------------------
    # Operators: each records one op of the table (see `unary` and `binary` below).
    # ``x + y`` calls ``x.__add__(y)``; ``2 + x`` calls ``x.__radd__(2)``.
    # ------------------------------------------------------------------
    def __add__(self, other: Any) -> Var: return binary(ADD, self, other)
    def __radd__(self, other: Any) -> Var: return binary(ADD, other, self)
    def __sub__(self, other: Any) -> Var: return binary(SUB, self, other)
    def __rsub__(self, other: Any) -> Var: return binary(SUB, other, self)
    def __mul__(self, other: Any) -> Var: return binary(MUL, self, other)
    def __rmul__(self, other: Any) -> Var: return binary(MUL, other, self)
    def __truediv__(self, other: Any) -> Var: return binary(DIV, self, other)
    def __rtruediv__(self, other: Any) -> Var: return binary(DIV, other, self)
    def __rpow__(self, other: Any) -> Var: return binary(POW, other, self)
    def __neg__(self) -> Var: return unary(NEG, self)
    def __abs__(self) -> Var: return unary(ABS, self)

    def __pow__(self, exponent: Any, modulo: Any = None) -> Var:
        """``self ** exponent``. A plain-number exponent is part of the op: ``x**2`` has one operand."""
        if modulo is not None:
            raise no_modular_power(self, exponent, modulo)
        if isinstance(exponent, Var):
            return binary(POW, self, exponent)
        return unary(power(exponent), self)

    def exp(self) -> Var: return unary(EXP, self)
    def log(self) -> Var: return unary(LOG, self)
    def log1p(self) -> Var: return unary(LOG1P, self)
    def sqrt(self) -> Var: return unary(SQRT, self)
    def sin(self) -> Var: return unary(SIN, self)
    def cos(self) -> Var: return unary(COS, self)
    def tan(self) -> Var: return unary(TAN, self)
    def tanh(self) -> Var: return unary(TANH, self)
    def sigmoid(self) -> Var: return unary(SIGMOID, self)
    def relu(self) -> Var: return unary(RELU, self)

    @staticmethod
    def apply_op(op: Op, *operands: Any) -> Var:
        """How ``op(...)`` applies to Vars: ``ops.EXP(x)`` is ``x.exp()``."""
        return apply(op, *operands)

    # Truth and equality: see the module docstring.
    def __bool__(self) -> bool: return self._data != 0.0

    def __eq__(self, other: Any) -> Any:
        """``x == y`` is ``x is y`` for two Vars; with a number it raises (compare ``x.data``)."""
        if is_real(other):
            raise compared_with_number(self, other, "data")
        return self is other if isinstance(other, Var) else NotImplemented

    __hash__ = object.__hash__  # by identity, as ==: nodes are kept in sets and dicts

    # Order comparisons look at the values and record nothing.
    def __lt__(self, other: Any) -> bool: return self._data < _value(other)
    def __le__(self, other: Any) -> bool: return self._data <= _value(other)
    def __gt__(self, other: Any) -> bool: return self._data > _value(other)
    def __ge__(self, other: Any) -> bool: return self._data >= _value(other)

    # ------------------------------------------------------------------
    # Value, gradient, history
    # ------------------------------------------------------------------
    @property
    def parents(self) -> tuple[Var, ...]:
        """The operands this node was computed from, in order: ``(a + a).parents == (a, a)``."""
        if self._a is None:
            return ()
        if self._b is None:
            return (self._a,)
        return (self._a, self._b)

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

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Var(data={self._data!r}, grad={self._grad!r}{label})"

    def detach(self) -> Var:
        """A new leaf with the same value and no history: gradients stop here."""
        return Var(self._data, self.label)

    def backward(self) -> None:
        """Add d(self)/d(node) to ``node.grad`` for every node of the graph.

        ``self`` is seeded with 1.0. Gradients *accumulate*: calling
        ``backward()`` twice adds them twice, as in PyTorch, so reset
        ``.grad`` (``zero_grad()`` on a module or optimizer) between steps.
        """
        backprop.backward(self)


def unary(op: Op, a: Var) -> Var:
    """``op(a)``: compute the value, and record how it was made."""
    return _record(op, op.forward(a._data), a, None)


def binary(op: Op, a: Any, b: Any) -> Var:
    """``a <op> b``: compute the value, and record how it was made.

    A plain number on either side (the 2 in ``x * 2``) becomes a leaf.
    """
    if type(a) is not Var:
        a = _constant(a, op)
    if type(b) is not Var:
        b = _constant(b, op)
    return _record(op, op.forward(a._data, b._data), a, b)


def apply(op: Op, *operands: Any) -> Var:
    """Any op of the table on Vars (or plain numbers): ``apply(EXP, x)`` is ``x.exp()``."""
    if op.arity == 1:
        (a,) = operands
        return unary(op, a if type(a) is Var else _constant(a, op))
    return binary(op, *operands)


def _record(op: Op, data: float, a: Var, b: Optional[Var]) -> Var:
    """A new node holding ``data``, made by ``op`` from ``a`` (and ``b``); a leaf under `no_grad`.

    This runs once per op, so it is written for speed. It checks ``data`` as
    `Op.evaluate` does, inline (calling evaluate costs ~5 ms per step of
    micrograd's demo), and makes the node without `Var.__init__`, whose
    checks are done already (they would cost another ~10 ms per step), by
    ``object.__new__(Var)``: ``Var.__new__(Var)`` is the same call found
    through the class, and took 2.5 ms more per step (36.3 ms forward, not
    33.8).
    """
    if not isfinite(data):  # e.g. 1e308 * 10: refuse it rather than return inf
        raise op.too_large(*[x._data for x in (a, b) if x is not None])
    out = object.__new__(Var)
    out._data = data
    out._grad = 0.0
    out._mark = None
    out.label = ""
    if grad_mode.everywhere or grad_mode.is_grad_enabled():  # (everywhere: no thread is in no_grad)
        out.op, out._a, out._b = op, a, b
    else:
        out.op = out._a = out._b = None
    return out


def _constant(x: Any, op: Op) -> Var:
    """A plain number met in an op, as a leaf."""
    return Var(to_float(x, op.name, "a real number or a Var"))


def _value(x: Any) -> float:
    return x._data if isinstance(x, Var) else to_float(x, "comparison", "a real number or a Var")
