"""`check_engine`: the learner's own micrograd-style engine, checked against ours.

The learner writes a class ``Value`` with ``Value(x)``, ``.data``, ``.grad``,
``.backward()`` and some of ``+ - * / **`` (with a number exponent),
``tanh()``, ``exp()``, ``relu()``, ``log()``. `check_engine(Value)` builds
the same graphs in that engine and in ours (`autodiff.Var`), runs
``backward()`` in both, and compares every node's value, then its gradient.
It returns an `EngineCheckReport`::

    report = check_engine(Value, seed=0)
    report.passed          # True when everything matched
    report.codes           # e.g. ["overwrite-instead-of-accumulate"]
    print(report)          # the misconceptions, with hints, and the first failing graph

How a misconception is told apart from the others
-------------------------------------------------
Each kind of graph (`engine_graphs`) isolates one thing, so the evidence
points to one cause:

1. every op alone on fresh leaves (``L = a * b``): a wrong value or gradient
   there can only be that op's forward step or local derivative;
2. one leaf used twice by one op (``x * x``, ``x + x``): the visiting order
   cannot matter in a single op, so a wrong gradient, with the op right
   alone, means a rule *sets* ``.grad`` instead of adding to it;
3. a node used near the output and far from it (``h + f(f(f(h)))``): with
   every op right and accumulation right, a wrong gradient means the nodes
   were not visited in (reverse) topological order;
4. every random graph run twice, the leaves' ``.grad`` set to 0 in between,
   as a training loop's ``zero_grad()`` would: different leaf gradients the
   second time mean backward() added to the stale gradients that
   intermediate nodes kept from the first run;
5. a chain 5,000 ops deep: RecursionError means a recursive walk.

One caveat to 1: an op the learner's engine makes from several nodes
(``a - b`` as ``a + (-b)``) is a small graph there, which a wrong order or an
overwritten gradient breaks too. So once 2 or 3 finds such a mistake, an op
failing alone names no wrong derivative; a note says which ops were not
judged.

Anything the learner's code raises is caught and reported with its type and
message; the check never raises the recursion limit. An op the class does
not define is skipped and listed, not a failure.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from typing import Any, Optional

from ..arguments import integer, is_real, positive_int, type_and_value
from .engine_graphs import (METHODS, OPS, REVERSED, GraphSpec, build, build_ours, chain_graph, constant_graphs,
                            expression, op_graphs, order_graphs, random_graph, reuse_graphs)
from .engine_misconceptions import misconception, sort_key
from .engine_report import LEAF, EngineCheckReport, GraphFailure, NodeRow
from .report import relative_error

__all__ = ["check_engine", "TOLERANCE"]

# Two engines that are both right compute the same real numbers in float64, and
# differ only by rounding: a different but equivalent formula (tanh through exp,
# x ** -1 for 1 / x) or another order of adding up gradient shares costs a few
# units in the last place (~1e-16) per op. Our graphs are small, well conditioned
# (values at most 100, domains away from poles and kinks) and the deep chain only
# adds, so rounding stays far below 1e-12; a mistake (a missing share, a wrong
# sign, a factor of 2) is off by far more than 1e-9. Relative to max(1, |ours|).
TOLERANCE = 1e-9

RANDOM_GRAPHS = 20
CHAIN_DEPTH = 5000

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")   # object addresses change every run: not in a report
STRUCTURAL = {"overwrite-instead-of-accumulate", "not-topological"}   # mistakes in how gradients flow
_MISSING = re.compile(r"unsupported operand type|bad operand type|object has no attribute '__")


def check_engine(Value: Any, seed: int = 0, graphs: int = RANDOM_GRAPHS, depth: int = CHAIN_DEPTH
                 ) -> EngineCheckReport:
    """Check a micrograd-style class against `autodiff.Var` on many graphs; see the module docstring.

    * ``Value``: the learner's class (not an instance);
    * ``seed``: makes the random graphs: the same seed gives the same graphs
      and the same report;
    * ``graphs``: how many random graphs; ``depth``: how deep the chain is.
    """
    _check_class(Value)
    seed = integer(seed, "check_engine: seed")
    graphs = positive_int(graphs, "check_engine: graphs")
    depth = positive_int(depth, "check_engine: depth")
    name = Value.__name__
    try:
        probe = Value(1.5)
    except Exception as error:   # the learner's constructor: report it, not a crash
        return EngineCheckReport(name, seed, [], [], [], None, 0, 0, [f"{name}(1.5): {_error_text(error)}"])
    _check_contract(probe)

    run = _Run(Value)
    notes: list[str] = []
    checked = [op for op in OPS if _defined(Value, METHODS[op]) and _usable(Value, op, notes)]
    skipped = [op for op in OPS if op not in checked]
    for op in checked:
        for spec in op_graphs(op):
            run.graph(spec)
    right, left = _number_sides(Value, checked, notes)
    for op in right:
        for spec in constant_graphs(op, left=False):
            run.graph(spec)
    for op in left:
        for spec in constant_graphs(op, left=True):
            run.graph(spec)
    for op in ("+", "*"):
        if op in checked:
            for spec in reuse_graphs(op):
                run.graph(spec)
    usable = [op for op in checked if op not in run.raised_alone]   # an op that raises alone would only repeat it
    order = order_graphs(usable)
    if not order:
        notes.append("no graph with a node used twice at different depths: that needs one of + * - /")
    for spec in order:
        run.graph(spec, twice=True)
    rng = random.Random(seed)
    for k in range(1, graphs + 1):
        spec = random_graph(rng, usable, left, right, k) if usable else None
        if spec is not None:
            run.graph(spec, twice=True)
    chain = chain_graph(usable, depth, rng)
    if chain is None:
        notes.append("no deep chain: it needs one of + * - relu tanh /")
    else:
        run.graph(chain)
    codes, unjudged = _diagnose(run.results)
    if unjudged:
        notes.append(f"the local derivatives of {' '.join(unjudged)} are not judged: they fail alone, but so "
                     "does any op your engine makes from several nodes (a - b as a + (-b)) while gradients "
                     "flow the wrong way. Check again once that is fixed.")
    return EngineCheckReport(name, seed, checked, skipped, [misconception(c) for c in codes],
                             run.first_failure(), len(run.results), sum(r.failure is not None for r in run.results),
                             run.errors, notes)


# ----------------------------------------------------------------------------
# The learner's class: is it one, and which ops does it have?
# ----------------------------------------------------------------------------

def _check_class(Value: Any) -> None:
    if not isinstance(Value, type):
        hint = " (pass the class itself, Value, not an instance Value(1.0))" if hasattr(Value, "backward") else ""
        raise TypeError(f"check_engine: expected a class such as micrograd's Value, got {type_and_value(Value)}"
                        f"{hint}")


def _check_contract(probe: Any) -> None:
    """Value(x) must have .data, .grad and .backward(): without them nothing can be compared."""
    missing = [what for what, ok in ((".data", hasattr(probe, "data")), (".grad", hasattr(probe, "grad")),
                                     (".backward()", callable(getattr(probe, "backward", None)))) if not ok]
    if missing:
        raise TypeError(f"check_engine: {type(probe).__name__}(1.5) has no {' and no '.join(missing)}; "
                        "the checker needs Value(x) with .data, .grad and .backward(), as in micrograd")


def _defined(Value: type, method: str) -> bool:
    """True when the class (or a base other than object) defines ``method``."""
    return getattr(Value, method, None) is not None and getattr(object, method, None) is None


def _usable(Value: type, op: str, notes: list[str]) -> bool:
    """Try ``op`` once on small Values: False (with a note) when it needs a method the class lacks.

    ``x - y`` written as ``x + (-y)`` needs ``__neg__``, for one. Anything
    else the learner's code raises keeps the op in: its graphs report it.
    """
    try:
        build(op_graphs(op)[0], Value)
    except Exception as error:
        if _is_missing_method(error):
            notes.append(f"{op} is defined but needs a method the class lacks ({_error_text(error)}): skipped")
            return False
    return True


def _is_missing_method(error: Exception) -> bool:
    """An AttributeError or TypeError saying a method is not there (not a bug inside one that is)."""
    return isinstance(error, (AttributeError, TypeError)) and bool(_MISSING.search(str(error)))


def _number_sides(Value: type, checked: list[str], notes: list[str]) -> tuple[list[str], list[str]]:
    """The binary ops that take a plain number on the right (``v * 2``), and on the left (``2 * v``).

    An AttributeError or TypeError means "numbers are not taken there" (a
    note, not a failure); anything else the learner's code raises is tried
    again, and reported, by the graph with that number.
    """
    right, left, refused = [], [], []
    for op in (op for op in checked if op in REVERSED):
        for side, ops, method in (("right", right, None), ("left", left, REVERSED[op])):
            if method is not None and not _defined(Value, method):
                refused.append(f"2 {op} v")
                continue
            try:
                build(constant_graphs(op, left=side == "left")[0], Value)
            except (AttributeError, TypeError):
                refused.append(f"v {op} 2" if side == "right" else f"2 {op} v")
                continue
            except Exception:
                pass
            ops.append(op)
    if refused:
        notes.append(f"numbers not taken in {', '.join(refused)}: graphs use numbers only where the class takes them")
    return right, left


# ----------------------------------------------------------------------------
# Running graphs on both engines
# ----------------------------------------------------------------------------

@dataclass
class _Result:
    """One graph's outcome."""

    spec: GraphSpec
    failure: Optional[GraphFailure] = None
    value_wrong: bool = False
    grad_wrong: bool = False
    error_type: str = ""     # the type of what the learner's code raised, if anything
    stale: bool = False      # a second backward() gave other leaf gradients


class _Run:
    """The graphs run so far on the learner's class, and the errors its code raised."""

    def __init__(self, Value: type) -> None:
        self.Value = Value
        self.results: list[_Result] = []
        self.errors: list[str] = []
        self.raised_alone: set[str] = set()    # ops that raised in a graph of their own

    def first_failure(self) -> Optional[GraphFailure]:
        return next((r.failure for r in self.results if r.failure is not None), None)

    def graph(self, spec: GraphSpec, twice: bool = False) -> _Result:
        result = self._run(spec, twice)
        if result.error_type:
            self.errors.append(f"{spec.title}: {result.failure.error}")
            if spec.kind == "op":
                self.raised_alone.add(spec.op)
        self.results.append(result)
        return result

    def _run(self, spec: GraphSpec, twice: bool) -> _Result:
        ours = build_ours(spec)
        ours[-1].backward()
        try:
            theirs = build(spec, self.Value)
        except Exception as error:
            return self._raised(spec, error, "the forward pass (building the graph)", ours, None)
        try:
            theirs[-1].backward()
        except Exception as error:
            return self._raised(spec, error, "backward()", ours, theirs)
        rows = _compare(spec, ours, theirs, leaves_only=False)
        first = _first_wrong(rows)
        if first is not None:
            return _Result(spec, GraphFailure(spec, rows, first, "backward()"),
                           value_wrong=not all(r.data_ok for r in rows), grad_wrong=not all(r.grad_ok for r in rows))
        if not twice:
            return _Result(spec)
        where = "a second backward() on the same graph, the leaves' .grad set to 0 before it"
        try:
            for i in spec.leaves():   # what a training loop's zero_grad() does: the leaves only
                theirs[i].grad = 0.0
            theirs[-1].backward()
        except Exception as error:
            return self._raised(spec, error, where, ours, theirs)
        rows = _compare(spec, ours, theirs, leaves_only=True)
        first = _first_wrong(rows)
        if first is None:
            return _Result(spec)
        return _Result(spec, GraphFailure(spec, rows, first, where, second_pass=True), stale=True)

    def _raised(self, spec: GraphSpec, error: Exception, where: str, ours: list, theirs: Optional[list]) -> _Result:
        """The learner's code raised: keep what it computed (values, if any) and what it raised."""
        rows = _compare(spec, ours, theirs, leaves_only=False, grads=False) if theirs is not None else []
        failure = GraphFailure(spec, tuple(rows), _first_wrong(rows), where, _error_text(error))
        return _Result(spec, failure, value_wrong=not all(r.data_ok for r in rows), error_type=type(error).__name__)


def _error_text(error: BaseException) -> str:
    """``Type: message``, without object addresses, and not too long.

    A RecursionError's message says where the stack ran out ("while calling
    a Python object", "in comparison"), which can change from run to run; it
    is cut to what it means, so the same engine gets the same report.
    """
    if isinstance(error, RecursionError):
        return "RecursionError: maximum recursion depth exceeded"
    message = _ADDRESS.sub("", str(error))
    if len(message) > 300:
        message = message[:299] + "…"
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _number(x: Any) -> Optional[float]:
    """A value the learner's engine holds, as a float; None when it is not a finite real number."""
    if type(x) is float:   # the usual case, first (is_real asks the numbers ABCs: slow on a 5,000-deep chain)
        return x if math.isfinite(x) else None
    if not is_real(x):
        return None
    number = float(x)
    return number if math.isfinite(number) else None


def _read(node: Any, attribute: str) -> Optional[float]:
    """``node.data`` or ``node.grad`` of the learner's engine as a float; None if it is no number (or raises)."""
    try:
        return _number(getattr(node, attribute))
    except Exception:   # a property of the learner's that raises: no number to compare
        return None


def _close(theirs: Optional[float], ours: float) -> bool:
    return theirs is not None and relative_error(theirs, ours) <= TOLERANCE


def _compare(spec: GraphSpec, ours: list, theirs: list, leaves_only: bool, grads: bool = True) -> list[NodeRow]:
    """Every node in both engines. ``leaves_only``: judge only the leaves' gradients (after a second pass,
    an intermediate node's .grad is the engine's own business); ``grads=False``: values only."""
    rows = []
    for step, our, their in zip(spec.steps, ours, theirs):
        data = _read(their, "data")
        grad = _read(their, "grad") if grads else None
        judged = grads and (not leaves_only or not step.op)
        made_by = expression(step, spec.steps) if step.op else LEAF
        rows.append(NodeRow(step.name, made_by, our.data, data, our.grad, grad,
                            _close(data, our.data), _close(grad, our.grad) if judged else True))
    return rows


def _first_wrong(rows: list[NodeRow]) -> Optional[str]:
    """The first wrong value in forward order; else the first wrong gradient in backward order."""
    for row in rows:
        if not row.data_ok:
            return row.name
    for row in reversed(rows):
        if not row.grad_ok:
            return row.name
    return None


# ----------------------------------------------------------------------------
# From evidence to misconceptions
# ----------------------------------------------------------------------------

def _diagnose(results: list[_Result]) -> tuple[list[str], list[str]]:
    """The codes the evidence supports (see the module docstring), in `sort_key` order, each once; and the
    ops whose local derivatives could not be judged.

    An op the learner's engine makes from several nodes (``a - b`` as
    ``a + (-b)``, ``a / b`` as ``a * b**-1``) is a small graph of its own
    there, so a wrong order or an overwritten gradient can make it fail
    alone. Once either of those is found, a failing op alone is no longer
    evidence of a wrong local derivative: it is left out, and named as not
    judged.
    """
    codes: set[str] = set()
    derivatives: set[str] = set()
    for r in results:
        if r.spec.kind == "op":
            if r.value_wrong:   # (then backward() may well have raised: the value explains it)
                codes.add(f"wrong-value:{r.spec.op}")
            elif r.grad_wrong and not r.error_type:
                derivatives.add(r.spec.op)
    bad_ops = derivatives | {code.partition(":")[2] for code in codes}
    if any(r.spec.kind == "reuse" and r.grad_wrong and r.spec.op not in bad_ops for r in results):
        codes.add("overwrite-instead-of-accumulate")
    elif any(r.spec.kind == "order" and r.grad_wrong and not r.value_wrong and not (r.spec.ops_used & bad_ops)
             for r in results):
        codes.add("not-topological")
    unjudged = sorted(derivatives, key=OPS.index) if codes & STRUCTURAL else []
    if not unjudged:
        codes.update(f"wrong-local-derivative:{op}" for op in derivatives)
    if any(r.stale for r in results):
        codes.add("grad-not-reset")
    if any(r.error_type == "RecursionError" for r in results):
        codes.add("recursion-limit")
    return sorted(codes, key=sort_key), unjudged
