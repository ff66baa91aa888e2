"""The formulas the lessons show (``∂(a·b)/∂a = b``) say what the engine computes.

Each op's texts are evaluated at random points with `autodiff.check.formulas`
and compared with its forward and local-derivative rules; and a table with a
wrong formula in it (a mutation) must be caught.
"""

import dataclasses
import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autodiff import ops
from autodiff.check.formulas import (
    FORMULA_TOLERANCE, NotationError, all_ops, evaluate, formula_errors, to_python,
)
from autodiff.ops import OPERAND_NAMES, fill

ALL_OPS = all_ops()
IDS = [op.name for op in ALL_OPS]
# Zero, and numbers of moderate size either side of it: away from underflow (b² = 0 for b = 1e-200).
values = st.one_of(st.just(0.0), st.floats(min_value=1e-3, max_value=20.0),
                   st.floats(min_value=-20.0, max_value=-1e-3))


def relative(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(b))


@pytest.mark.parametrize("op", ALL_OPS, ids=IDS)
@given(a=values, b=values)
def test_every_formula_gives_the_rules_numbers(op, a, b):
    inputs = [a, b][: op.arity]
    try:
        out = op.forward(*inputs)
        local = op.local_derivatives(*inputs, out)
    except (ArithmeticError, ValueError):
        assume(False)  # outside the op's domain
    assume(math.isfinite(out) and all(math.isfinite(d) for d in local))
    names = dict(zip(OPERAND_NAMES, inputs))
    assert relative(evaluate(fill(op.text), names), out) <= 1e-9, op.write()
    for i, expected in enumerate(local):
        assert relative(evaluate(fill(op.derivative_texts[i]), names), expected) <= 1e-9, op.formula(i)


@pytest.mark.parametrize("op", ALL_OPS, ids=IDS)
def test_formula_errors_of_the_table_are_within_tolerance(op):
    worst, tried = formula_errors(op)
    assert tried >= 3, f"{op.name}: only {tried} sample points in its domain"
    assert worst <= FORMULA_TOLERANCE


def _mutations(template: str, arity: int) -> list[str]:
    """Wrong versions of a formula: negated, doubled, plus one, operands swapped, another op's."""
    wrong = [f"-({template})", f"2·({template})", f"{template} + 1"]
    if arity == 2:
        wrong.append(template.replace("{a}", "{tmp}").replace("{b}", "{a}").replace("{tmp}", "{b}"))
    wrong += [text for other in ops.UNARY_OPS for text in other.derivative_texts if text != template]
    return wrong


def _same_everywhere(first: str, second: str, arity: int) -> bool:
    """True if two formulas agree at every sample point (then a "mutation" is no mutation)."""
    for a in (0.3, 1.7, -1.2, 2.5):
        for b in (0.6, -2.2, 1.9)[: max(1, arity)]:
            names = {"a": a, "b": b}
            values = []
            for text in (first, second):
                try:
                    values.append(evaluate(fill(text), names))
                except (ArithmeticError, ValueError, TypeError):  # no value here
                    values.append(None)
            if None in values:
                if values != [None, None]:
                    return False
            elif relative(*values) > 1e-12:
                return False
    return True


@pytest.mark.parametrize("op", ALL_OPS, ids=IDS)
def test_a_wrong_formula_is_caught(op):
    caught = 0
    for i, template in enumerate(op.derivative_texts):
        for wrong in _mutations(template, op.arity):
            if _same_everywhere(wrong, template, op.arity):
                continue
            texts = op.derivative_texts[:i] + (wrong,) + op.derivative_texts[i + 1:]
            mutated = dataclasses.replace(op, derivative_texts=texts)
            worst, _ = formula_errors(mutated)
            assert worst > FORMULA_TOLERANCE, f"{op.name}: {wrong!r} in place of {template!r} was not caught"
            caught += 1
    assert caught >= 3


def test_the_issues_own_mutation_is_caught():
    # the displayed derivative of sin changed to -cos(a): the check must fail
    mutated = dataclasses.replace(ops.SIN, derivative_texts=("-cos({a})",))
    assert formula_errors(mutated)[0] > 0.1
    wrong_output = dataclasses.replace(ops.TANH, text="sinh({a})")
    with pytest.raises(NotationError, match="cannot read"):  # not our notation at all
        formula_errors(wrong_output)


@pytest.mark.parametrize("text, python", [
    ("a·b", "a*b"),
    ("-a / b²", "-a / b**2"),
    ("b·a^(b-1)", "b*a**(b-1)"),
    ("1 / (2·√a)", "1 / (2*sqrt(a))"),
    ("|a|", "abs(a)"),
    ("σ(a)·(1 - σ(a))", "sigmoid(a)*(1 - sigmoid(a))"),
    ("3·a^-2", "3*a**-2"),
    ("0 if a = 0 else a^b·log(a)", "0 if a == 0 else a**b*log(a)"),
])
def test_notation_reads_as_python(text, python):
    assert to_python(text) == python


@pytest.mark.parametrize("text", [
    "__import__('os')", "a.real", "open('x')", "[a]", "a if b else", "exp(a, b)", "c + 1", "lambda: 1",
])
def test_the_evaluator_reads_only_the_notation(text):
    with pytest.raises(NotationError, match="cannot read"):
        evaluate(text, {"a": 1.0, "b": 2.0})
