"""The mistakes `check_engine` can name: each a code, what it means in plain words, and a hint.

The hints lead toward the fix without writing it out: the learner should
still find it.

========================================  ===================================================
code                                      the evidence
========================================  ===================================================
``wrong-value:<op>``                      one op alone computes a different value (or, at
                                          ±400, overflows where ours is finite)
``wrong-local-derivative:<op>``           one op alone: right value, wrong leaf gradients
                                          (an op built on a failing op is not blamed)
``overwrite-instead-of-accumulate``       ``x * x`` or ``x + x`` wrong while the op alone is right
``not-topological``                       ``L = h + f(f(f(h)))`` wrong while every op alone is right
``grad-not-reset``                        a second ``backward()`` on the same graph, leaves
                                          zeroed, gives different leaf gradients
``recursion-limit``                       RecursionError (on the 5,000-deep chain)
========================================  ===================================================
"""

from __future__ import annotations

from dataclasses import dataclass

from .engine_graphs import OPS

__all__ = ["Misconception", "misconception", "sort_key", "CODE_ORDER"]

# The order codes are listed in: the earliest cause first (a wrong value spoils every gradient after it).
CODE_ORDER = ("wrong-value", "wrong-local-derivative", "overwrite-instead-of-accumulate", "not-topological",
              "grad-not-reset", "recursion-limit")


@dataclass(frozen=True)
class Misconception:
    """A named mistake: ``code`` (e.g. ``"wrong-local-derivative:tanh"``), what it means, and a hint."""

    code: str
    explanation: str
    hint: str

    def text(self) -> str:
        return f"{self.code}\n  {self.explanation}\n  Hint: {self.hint}"


_TEXTS = {
    "overwrite-instead-of-accumulate": (
        "When a node is used more than once (x * x, a + a, or one node feeding two later ones), every use "
        "sends it a share of the gradient, and the shares must be added up. Your engine keeps only one "
        "share: some backward rule sets an operand's .grad where it should add to it.",
        "Take x = 3 and L = x * x. By hand, dL/dx is 6; what does your engine put in x.grad? Now read how each "
        "of your backward rules changes the .grad of its operands: what happens to a value already there?"),
    "not-topological": (
        "A node may pass its gradient on only once it holds the whole of it: once every node computed from "
        "it has sent its share. Your backward() visits some node too early, before all the nodes that use "
        "it, so part of its gradient arrives after it has already passed the gradient on.",
        "Write down the order in which your backward() runs each node's rule for L = h + f(f(f(h))). When "
        "h's rule runs, has f(h) run yet? Which order of the nodes would make sure it always has?"),
    "grad-not-reset": (
        "Your backward() adds to whatever .grad the intermediate nodes kept from an earlier backward() on the "
        "same graph. Zeroing the parameters (zero_grad) and calling backward() again then gives wrong "
        "gradients. Micrograd itself does this too: it is harmless when the graph is built afresh for every "
        "step, as in micrograd's own training loop, and wrong whenever backward() runs twice on one graph.",
        "Call L.backward(), set the leaves' .grad to 0, and call L.backward() again. Print an intermediate "
        "node's .grad just before the second pass starts: what should a pass start from?"),
    "recursion-limit": (
        "On a chain of thousands of ops your engine raised RecursionError. A function that calls itself once "
        "per node runs out of Python's call stack after about sys.getrecursionlimit() levels (1,000 by "
        "default), and real networks make graphs deeper than that.",
        "Could you walk the graph with a list of your own, holding the nodes still to visit, instead of a "
        "function calling itself? Raising the recursion limit only moves the wall (and can crash Python)."),
}

_OP_HINTS = {
    "+": "How much does a + b change when a changes by a small amount? And when b does?",
    "-": "a - b goes down when b goes up: does your rule for b say so?",
    "*": "In a * b, how fast does the product change with a? It depends on the other operand.",
    "/": "a / b depends on b too: write a / b as a * b**-1 and work out the slope for b.",
    "**": "Try x ** 2, x ** 3 and x ** -1 by hand: the slope of x**n is n times x to which power?",
    "tanh": "The slope of t = tanh(x) can be written with t itself; check it at x = 0, where it is 1.",
    "exp": "What is the slope of exp at x = 0? At x = 1? Compare those slopes with exp(0) and exp(1).",
    "relu": "What is the slope of relu for a negative input? And for a positive one? Which value decides?",
    "log": "How fast does log(x) grow at x = 2? At x = 0.5? The slope depends on x.",
}


def _op_texts(kind: str, op: str) -> tuple[str, str]:
    if kind == "wrong-value":
        return (f"With a single {op} on fresh leaves, the value your engine computes differs from ours: the "
                f"forward step of {op} is wrong, so every gradient that depends on it is wrong too.",
                f"Compare your {op} with Python's math module (or plain arithmetic) on two or three numbers.")
    return (f"With a single {op} on fresh leaves, the values agree but the gradients your engine sends to the "
            f"operands do not: the local derivative in your backward rule for {op} is wrong.",
            f"{_OP_HINTS[op]} You can check a slope numerically: (f(x + h) - f(x - h)) / (2h) with h = 1e-6.")


def misconception(code: str) -> Misconception:
    """The `Misconception` for ``code``, e.g. ``"overwrite-instead-of-accumulate"`` or ``"wrong-value:log"``."""
    kind, _, op = code.partition(":")
    if kind in ("wrong-value", "wrong-local-derivative") and op in _OP_HINTS:
        return Misconception(code, *_op_texts(kind, op))
    if code in _TEXTS:
        return Misconception(code, *_TEXTS[code])
    raise ValueError(f"misconception: unknown code {code!r}; the codes are {CODE_ORDER} "
                     "(wrong-value and wrong-local-derivative followed by ':<op>')")


def sort_key(code: str) -> tuple[int, int]:
    """Where ``code`` goes in a report: by `CODE_ORDER`, and ops in the order of `engine_graphs.OPS`."""
    kind, _, op = code.partition(":")
    return CODE_ORDER.index(kind), OPS.index(op) if op in OPS else -1
