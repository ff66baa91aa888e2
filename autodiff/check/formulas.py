"""Checking the formulas the lessons show against the rules the engine runs.

Every op in the table is written twice: as code (``forward`` and
``local_derivatives``) and as text for people (``text`` and
``derivative_texts``, e.g. ``∂(a·b)/∂a = b``). The text is what a learner
reads in the graph drawings and the step-through panels, so it must say
what the code does. `formula_errors` evaluates each text at sample points
and compares it with the code.

The texts are written in a small notation of our own: ``·`` for a product,
``^`` and ``²`` for powers, ``√a``, ``|a|``, ``σ(a)``, the functions exp,
log, sin, cos, tan, tanh, relu and sign, and cases such as ``1 if a > 0 else
0`` or ``0 if a = 0 else ...``.
`evaluate` reads exactly that notation: it rewrites it as a Python
expression and walks the expression's syntax tree, allowing numbers, the
operands, arithmetic, comparisons and those functions, and nothing else.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from typing import Any, Callable, Iterator, Mapping, Sequence

from .. import ops
from ..ops import OPERAND_NAMES, Op
from .report import Check

__all__ = ["evaluate", "to_python", "NotationError", "formula_errors", "formula_checks", "all_ops",
           "SAMPLE_POINTS", "FORMULA_TOLERANCE"]

FORMULA_TOLERANCE = 1e-12  # relative: the text and the rule may round differently

# Points at which every formula is evaluated; points outside an op's domain are skipped.
SAMPLE_POINTS: tuple[tuple[float, float], ...] = (
    (0.4, 2.1), (1.7, -0.6), (-1.3, 0.7), (2.2, 1.5), (-0.25, -3.0), (3.0, 2.0), (-2.0, 3.0),
    (0.0, 2.0), (1.5, 0.0), (0.0, 0.0),  # zeros: where rules have their special cases
)
CONSTANT_EXPONENTS = (2.0, 3.0, -1.0, 0.5, -1.5, 0.0, 1.0)


class NotationError(ValueError):
    """A text that is not written in the notation `evaluate` reads."""


def _sign(x: float) -> float:
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


FUNCTIONS: dict[str, Callable[[float], float]] = {
    "exp": math.exp, "log": math.log, "sqrt": math.sqrt, "sin": math.sin, "cos": math.cos,
    "tan": math.tan, "tanh": math.tanh, "sigmoid": lambda x: 1.0 / (1.0 + math.exp(-x)),
    "relu": lambda x: max(x, 0.0), "sign": _sign, "abs": abs,
}

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_COMPARE = {ast.Gt: operator.gt, ast.Lt: operator.lt, ast.GtE: operator.ge, ast.LtE: operator.le,
            ast.Eq: operator.eq}

# Our notation, rewritten as Python, in this order.
_REWRITES = (
    (re.compile(r"√(\w+|\([^()]*\))"), r"sqrt(\1)"),  # √a, √(a + b)
    (re.compile(r"\|([^|]+)\|"), r"abs(\1)"),         # |a|
    (re.compile(r"σ"), "sigmoid"),
    (re.compile(r"·"), "*"),
    (re.compile(r"²"), "**2"),
    (re.compile(r"\^"), "**"),
    (re.compile(r"−"), "-"),
    (re.compile(r"(?<![<>=!])=(?!=)"), "=="),          # "0 if a = 0 else ..."
)


def to_python(text: str) -> str:
    """Our notation as a Python expression: ``"1 / (2·√a)"`` -> ``"1 / (2*sqrt(a))"``."""
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text


def evaluate(text: str, values: Mapping[str, float]) -> float:
    """The value of a formula written in our notation, with ``values`` for its names.

    >>> evaluate("b·a^(b-1)", {"a": 2.0, "b": 3.0})
    12.0
    """
    try:
        tree = ast.parse(to_python(text), mode="eval")
    except SyntaxError:
        raise NotationError(f"formula {text!r}: cannot read it") from None
    return float(_value(tree.body, values, text))


def _value(node: ast.AST, values: Mapping[str, float], text: str) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.Name) and node.id in values:
        return values[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_value(node.left, values, text), _value(node.right, values, text))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_value(node.operand, values, text))
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
            and len(node.args) == 1 and not node.keywords):
        return FUNCTIONS[node.func.id](_value(node.args[0], values, text))
    if isinstance(node, ast.IfExp):
        chosen = node.body if _value(node.test, values, text) else node.orelse
        return _value(chosen, values, text)
    if (isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE):
        return _COMPARE[type(node.ops[0])](_value(node.left, values, text),
                                           _value(node.comparators[0], values, text))
    raise NotationError(f"formula {text!r}: cannot read {ast.unparse(node)!r}")


def all_ops() -> list[Op]:
    """Every op of the table, and the powers with a constant exponent."""
    return list(ops.OPS.values()) + [ops.power(n) for n in CONSTANT_EXPONENTS]


def formula_errors(op: Op, points: Sequence[Sequence[float]] = SAMPLE_POINTS) -> tuple[float, int]:
    """The largest relative difference between ``op``'s texts and its rules, and how many points were tried.

    At each point inside the op's domain, the output text is compared with
    ``forward`` and each derivative text with ``local_derivatives``. A text
    that gives no number there (log of a negative number, say) counts as an
    infinite error; one that is not in the notation raises `NotationError`.
    """
    worst, tried = 0.0, 0
    for point in points:
        inputs = list(point[: op.arity])
        try:
            out = op.forward(*inputs)
            local = op.local_derivatives(*inputs, out)
        except (ArithmeticError, ValueError):
            continue  # outside the op's domain
        names = dict(zip(OPERAND_NAMES, inputs))
        pairs = [(op.text, out)] + list(zip(op.derivative_texts, local))
        for template, expected in pairs:
            try:
                shown = evaluate(ops.fill(template), names)
            except NotationError:
                raise
            except (ArithmeticError, ValueError, TypeError):  # no real number here
                shown = math.inf
            error = abs(shown - expected) / max(1.0, abs(expected))
            worst = max(worst, error if math.isfinite(error) else math.inf)
        tried += 1
    return worst, tried


def formula_checks() -> Iterator[Check]:
    """One row per op: do its formulas, evaluated, give its rules' numbers?"""
    for op in all_ops():
        worst, tried = formula_errors(op)
        formulas = "; ".join(op.formula(i) for i in range(op.arity))
        yield Check(f"formula {op.name}: {formulas} ({tried} points)",
                    worst if tried else math.inf, FORMULA_TOLERANCE)
