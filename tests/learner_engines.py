"""Learners' engines for the `check_engine` tests: one right, and one broken for each misconception.

Each is a micrograd-style class (``Value(x)``, ``.data``, ``.grad``,
``.backward()``, ops recording a ``_backward`` rule). `Value` is right; every
other class changes exactly one thing, the mistake it is named for, so
`check_engine` must name that mistake and only it.
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
        return other if isinstance(other, Value) else type(self)(other)

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
    """A right engine with only + and * (every other op is skipped)."""

    def __init__(self, data, _children=()):
        self.data = data
        self.grad = 0.0
        self._prev = _children
        self._backward = lambda: None

    def __add__(self, other):
        out = AddMulValue(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        out = AddMulValue(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

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
