"""Learners' engines for the `check_engine` tests: one right, and one broken for each misconception.

Each is a micrograd-style class (``Value(x)``, ``.data``, ``.grad``,
``.backward()``, ops recording a ``_backward`` rule). `Value` is right; every
other class changes exactly one thing, the mistake it is named for, so
`check_engine` must name that mistake and only it.

`TapeValue` is right in another style, PyTorch's and MiniTorch's: an op
keeps what its backward step needs in a context object, and backward()
passes derivatives along in a dict and writes ``.grad`` on the leaves only.
"""

from __future__ import annotations

import math


class Value:
    """A right engine: accumulates with +=, visits nodes in reverse topological order without recursion,
    and starts every pass from zero in the intermediate nodes."""

    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)
        self._op = _op

    # how a rule adds a share of gradient to an operand
    @staticmethod
    def _send(node, share):
        node.grad += share

    def _wrap(self, other):
        return other if isinstance(other, type(self)) else type(self)(other)

    def __add__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self._send(self, out.grad)
            self._send(other, out.grad)
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self._send(self, other.data * out.grad)
            self._send(other, self.data * out.grad)
        out._backward = _backward
        return out

    def __pow__(self, exponent):
        out = type(self)(self.data ** exponent, (self,), "**")

        def _backward():
            self._send(self, exponent * self.data ** (exponent - 1) * out.grad)
        out._backward = _backward
        return out

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-self._wrap(other))

    def __truediv__(self, other):
        return self * self._wrap(other) ** -1

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return self._wrap(other) - self

    def __rtruediv__(self, other):
        return self._wrap(other) / self

    def _unary(self, value, slope, op):
        out = type(self)(value, (self,), op)

        def _backward():
            self._send(self, slope(out) * out.grad)
        out._backward = _backward
        return out

    def tanh(self):
        return self._unary(math.tanh(self.data), lambda out: 1 - out.data ** 2, "tanh")

    def exp(self):
        return self._unary(math.exp(self.data), lambda out: out.data, "exp")

    def relu(self):
        return self._unary(max(0.0, self.data), lambda out: float(out.data > 0), "relu")

    def log(self):
        return self._unary(math.log(self.data), lambda out: 1 / self.data, "log")

    def _order(self):
        """Every node, parents before children: a depth-first walk with a stack of its own."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev if child not in seen)
        return order

    def _start(self, order):
        for node in order:
            if node._prev:   # intermediate nodes start from zero; leaves keep accumulating
                node.grad = 0.0

    def backward(self):
        order = self._order()
        self._start(order)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


class OverwriteValue(Value):
    """overwrite-instead-of-accumulate: a rule sets an operand's gradient instead of adding to it."""

    @staticmethod
    def _send(node, share):
        node.grad = share


class NotTopologicalValue(Value):
    """not-topological: visits nodes breadth first from the output, not in reverse topological order."""

    def backward(self):
        order = self._order()
        self._start(order)
        self.grad = 1.0
        queue, seen = [self], {self}
        while queue:
            node = queue.pop(0)
            node._backward()
            for child in node._prev:
                if child not in seen:
                    seen.add(child)
                    queue.append(child)


class ForwardOrderValue(Value):
    """not-topological, another way: sorts the nodes, then forgets to reverse the order."""

    def backward(self):
        order = self._order()
        self._start(order)
        self.grad = 1.0
        for node in order:
            node._backward()


class RecursiveValue(Value):
    """recursion-limit: the topological sort calls itself once per node (as micrograd's does)."""

    def _order(self):
        order, seen = [], set()

        def visit(node):
            if node not in seen:
                seen.add(node)
                for child in node._prev:
                    visit(child)
                order.append(node)
        visit(self)
        return order


class WrongTanhValue(Value):
    """wrong-local-derivative:tanh: uses 1 - t where the slope of tanh is 1 - t²."""

    def tanh(self):
        return self._unary(math.tanh(self.data), lambda out: 1 - out.data, "tanh")


class StaleGradValue(Value):
    """grad-not-reset: a pass adds to whatever the intermediate nodes kept from the pass before."""

    def _start(self, order):
        pass


class MicrogradLikeValue(RecursiveValue, StaleGradValue):
    """Micrograd's own choices: a recursive sort and no reset (two codes)."""


class AddMulValue:
    """A right engine with only + and * (every other op is skipped), numbers taken on either side."""

    def __init__(self, data, _children=()):
        self.data = data
        self.grad = 0.0
        self._prev = _children
        self._backward = lambda: None

    def __add__(self, other):
        other = other if isinstance(other, AddMulValue) else AddMulValue(other)
        out = AddMulValue(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, AddMulValue) else AddMulValue(other)
        out = AddMulValue(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def backward(self):
        order = Value._order(self)   # the same walk as Value's
        for node in order:
            if node._prev:
                node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


class WrongExpValueValue(Value):
    """wrong-value:exp: the forward step of exp is wrong (exp(x) + 1)."""

    def exp(self):
        return self._unary(math.exp(self.data) + 1, lambda out: out.data - 1, "exp")


class RaisingLogValue(Value):
    """log raises a ValueError of the learner's own: reported, not taken for a missing op."""

    def log(self):
        raise ValueError("log is not finished yet")


class PowPrecedenceValue(Value):
    """wrong-local-derivative:** through operator precedence: ``n * x ** n - 1 * g`` is
    ``(n * x**n) - (1 * g)``, not ``n * x**(n - 1) * g``. Value's ``/`` is ``a * b ** -1``, so ``/``
    fails alone too; the blame belongs to ``**``."""

    def __pow__(self, exponent):
        out = type(self)(self.data ** exponent, (self,), "**")

        def _backward():
            self._send(self, exponent * self.data ** exponent - 1 * out.grad)
        out._backward = _backward
        return out


# No ``__rmul__``: ``2 * v`` raises TypeError (``v * 2`` still works). Value's methods, all but that one,
# in a class of its own (a subclass would inherit __rmul__).
NoRmulValue = type("NoRmulValue", (), {k: v for k, v in vars(Value).items()
                                       if k not in ("__rmul__", "__dict__", "__weakref__")})
NoRmulValue.__doc__ = "Value without __rmul__: 2 * v raises TypeError, v * 2 works."


class OverflowingTanhValue(Value):
    """tanh as (e^2x - 1) / (e^2x + 1), micrograd's formula: right for small x, OverflowError at x = 400."""

    def tanh(self):
        e = math.exp(2 * self.data)
        return self._unary((e - 1) / (e + 1), lambda out: 1 - out.data ** 2, "tanh")


class Saved:
    """What an op keeps for its backward step (MiniTorch calls it a context): numbers by name."""

    def __init__(self, **numbers):
        self.__dict__.update(numbers)


class TapeValue:
    """A right engine that keeps gradients on the leaves only, as PyTorch and MiniTorch do.

    An op's node records its inputs, a ``Saved`` context and a rule that
    turns the gradient arriving at the node into one share per input.
    backward() orders the nodes without recursion, passes the shares along
    in a dict keyed by node, and adds them into ``.grad`` only at the
    leaves: an intermediate node's ``.grad`` stays None, as a non-leaf
    tensor's does in PyTorch.
    """

    def __init__(self, data):
        self.data = float(data)
        self.grad = None
        self._inputs = ()
        self._rule = None
        self._saved = None

    @classmethod
    def _lift(cls, x):
        return x if isinstance(x, TapeValue) else cls(x)

    def _node(self, value, inputs, rule, **saved):
        out = type(self)(value)
        out._inputs, out._rule, out._saved = tuple(inputs), rule, Saved(**saved)
        return out

    def __add__(self, other):
        other = self._lift(other)
        return self._node(self.data + other.data, (self, other), lambda s, g: (g, g))

    def __mul__(self, other):
        other = self._lift(other)
        return self._node(self.data * other.data, (self, other), self._mul_rule, a=self.data, b=other.data)

    @staticmethod
    def _mul_rule(saved, g):
        return g * saved.b, g * saved.a

    def __pow__(self, n):
        return self._node(self.data ** n, (self,), lambda s, g: (g * s.n * s.x ** (s.n - 1),), x=self.data, n=n)

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __truediv__(self, other):
        return self * self._lift(other) ** -1

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return self._lift(other) - self

    def __rtruediv__(self, other):
        return self._lift(other) / self

    def tanh(self):
        t = math.tanh(self.data)
        return self._node(t, (self,), self._tanh_rule, t=t)

    @staticmethod
    def _tanh_rule(saved, g):
        return (g * (1 - saved.t ** 2),)

    def exp(self):
        e = math.exp(self.data)
        return self._node(e, (self,), lambda s, g: (g * s.e,), e=e)

    def relu(self):
        return self._node(max(0.0, self.data), (self,), lambda s, g: (g * (s.x > 0),), x=self.data)

    def log(self):
        return self._node(math.log(self.data), (self,), lambda s, g: (g / s.x,), x=self.data)

    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((x, False) for x in node._inputs)
        pending = {id(self): 1.0}
        for node in reversed(order):
            g = pending.pop(id(node), 0.0)
            if node._rule is None:   # a leaf: the only place a gradient is kept
                node.grad = (node.grad or 0.0) + g
                continue
            for x, share in zip(node._inputs, node._rule(node._saved, g)):
                pending[id(x)] = pending.get(id(x), 0.0) + share


class TapeWrongTanhValue(TapeValue):
    """wrong-local-derivative:tanh in a leaves-only engine: 1 - t where the slope is 1 - t²."""

    @staticmethod
    def _tanh_rule(saved, g):
        return (g * (1 - saved.t),)


class TapeWrongMulValue(TapeValue):
    """wrong-local-derivative:* in a leaves-only engine (each operand gets its own value, not the
    other's). Its - (through -b = b * -1) and / (a * b ** -1) call * and fail with it: only * is blamed."""

    @staticmethod
    def _mul_rule(saved, g):
        return g * saved.a, g * saved.b
