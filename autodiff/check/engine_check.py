"""`check_engine`: the learner's own micrograd-style engine, checked against ours.

The learner writes a class ``Value`` with ``Value(x)``, ``.data``, ``.grad``,
``.backward()`` and some of ``+ - * / **`` (with a number exponent),
``tanh()``, ``exp()``, ``relu()``, ``log()``. `check_engine(Value)` builds
the same graphs in that engine and in ours (`autodiff.Var`), runs
``backward()`` in both, and compares every node's value, then the leaves'
gradients. It returns an `EngineCheckReport`::

    report = check_engine(Value, seed=0)
    report.passed          # True when everything matched
    report.codes           # e.g. ["overwrite-instead-of-accumulate"]
    print(report)          # the misconceptions, with hints, and the first failing graph

What is judged
--------------
* **Every node's value, and every leaf's gradient.** A leaf's gradient is
  the answer backward() exists for. An intermediate node's ``.grad`` is the
  engine's own business: micrograd keeps it, PyTorch and MiniTorch keep
  gradients only on the leaves (an intermediate's stays 0, ``None``, or
  sits in a context object). Such an engine is right, and passes. When an
  engine does set intermediate gradients, they are still compared, only to
  point at the first wrong node of a failing graph.
* **Plain numbers on both sides of every binary op it defines**, ``a * 2.5``
  and ``2.5 * a``. This is a decision: Python numbers and PyTorch tensors
  take them, lesson 05b asks for ``__radd__`` and ``__rmul__``, and
  ``sum(values)`` and ``2 * x`` in a learner's own network need them. So an
  op that refuses a number (``2 * v`` raising TypeError because
  ``__rmul__`` is missing) fails the check, with a note that says so in
  words ("2.5 * a raised TypeError: define __rmul__"). An op the class does
  not define at all is skipped and listed instead: a missing feature, not a
  broken one.
* **tanh and exp at ±400**, where a formula that goes through ``exp(2x)``
  overflows though the op's value is finite (tanh(400) is 1): named
  ``wrong-value:tanh``, with a note about the overflow.

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

Two caveats to 1. An op the learner's engine makes from several nodes
(``a - b`` as ``a + (-b)``) is a small graph there, which a wrong order or an
overwritten gradient breaks too. So once 2 or 3 finds such a mistake, an op
failing alone names no wrong derivative; a note says which ops were not
judged. And an op built on another op (``a / b`` as ``a * b ** -1``) fails
alone whenever that other op does: the checker records which of the class's
op methods each op calls (`_built_from`), and an op that calls a failing op
is not blamed itself. The failing op it calls is named (``**``, which holds
the wrong rule), a note says ``/`` is built on it, and the first failing
graph shown is the ``**`` one.

Anything the learner's code raises is caught and reported with its type and
message; the check never raises the recursion limit. An op the class does
not define is skipped and listed, not a failure.
"""

from __future__ import annotations

import math
import random
import re
import sys
from dataclasses import dataclass
from typing import Any, Optional

from ..arguments import integer, is_real, positive_int, type_and_value
from .engine_graphs import (METHODS, OPS, REVERSED, GraphSpec, build, build_ours, chain_graph, constant_graphs,
                            expression, large_graphs, op_graphs, order_graphs, random_graph, reuse_graphs)
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
    built_from = _built_from(Value, checked)
    for op in checked:
        for spec in op_graphs(op):
            run.graph(spec)
    right, left = _number_sides(run, Value, checked, notes)
    for op in checked:
        for spec in large_graphs(op):
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
    codes, unjudged, excused = _diagnose(run.results, built_from)
    if unjudged:
        notes.append(f"the local derivatives of {' '.join(unjudged)} are not judged: they fail alone, but so "
                     "does any op your engine makes from several nodes (a - b as a + (-b)) while gradients "
                     "flow the wrong way. Check again once that is fixed.")
    notes += [_built_on_note(op, bases) for op, bases in excused.items()]
    failed_alone = {r.spec.op for r in run.results if r.spec.kind == "op" and r.failure is not None}
    notes += [note for r in run.results if r.spec.kind == "large" and r.failure is not None
              for note in [_large_note(r, r.spec.op in failed_alone)] if note]
    return EngineCheckReport(name, seed, checked, skipped, [misconception(c) for c in codes],
                             run.first_failure(set(excused)), len(run.results),
                             sum(r.failure is not None for r in run.results), run.errors, notes)


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


def _number_sides(run: "_Run", Value: type, checked: list[str], notes: list[str]
                  ) -> tuple[list[str], list[str]]:
    """Run ``op`` with a plain number on the right (``a * 2.5``), then on the left (``2.5 * a``), for
    each binary op; return the ops that take a number there: (right, left).

    A side that raises AttributeError or TypeError while the graph is made
    does not take numbers: that graph fails (see the module docstring: it
    is a decision), a note says in words what to define, and the random
    graphs put no number on that side. Anything else the learner's code
    raises is reported by the graph and the side stays in, as before.
    """
    right: list[str] = []
    left: list[str] = []
    for on_left, taking in ((False, right), (True, left)):
        for op in (op for op in checked if op in REVERSED):
            spec = constant_graphs(op, left=on_left)[0]
            result = run.graph(spec)
            if result.forward_raised and result.error_type in ("AttributeError", "TypeError"):
                notes.append(_refusal_note(Value, spec, op, on_left, result.failure.error))
            else:
                taking.append(op)
    return right, left


def _refusal_note(Value: type, spec: GraphSpec, op: str, on_left: bool, error: str) -> str:
    """Why ``2.5 * a`` (or ``a * 2.5``) raised, in words: which method to define or to fix."""
    code = expression(spec.steps[-1], spec.steps)
    kind = error.partition(":")[0]
    if on_left and not _defined(Value, REVERSED[op]):
        also = ", and so does sum() of Values (it starts from 0 + v)" if op == "+" else ""
        return (f"{code} raised {kind}: define {REVERSED[op]}. For a number on the left Python asks the number "
                f"first (float.{METHODS[op]}), which gives up, then calls your {REVERSED[op]}; without it "
                f"2 {op} v fails{also}.")
    method = REVERSED[op] if on_left else METHODS[op]
    return (f"{code} raised {error}: your {method} must take a plain number as the "
            f"{'left' if on_left else 'right'} operand, as Python numbers and PyTorch tensors do.")


def _built_from(Value: type, ops: list[str]) -> dict[str, frozenset[str]]:
    """For each op, the class's other op methods it calls while making its node: ``{"/": {"**", "*"}}``
    when ``__truediv__`` returns ``self * other ** -1``.

    Found by watching the calls (``sys.setprofile``) while the learner's
    engine makes one small graph of the op; the watcher in place before is
    put back after. Only Python functions are seen, so an op built some
    other way (a MiniTorch ``Function.apply``) is simply not linked.
    """
    code_ops: dict[Any, set[str]] = {}
    for op in ops:
        code = getattr(getattr(Value, METHODS[op], None), "__code__", None)
        if code is not None:
            code_ops.setdefault(code, set()).add(op)
    found: dict[str, frozenset[str]] = {}
    previous = sys.getprofile()
    for op in ops:
        calls: set[str] = set()

        def listen(frame: Any, event: str, arg: Any) -> None:
            if event == "call":
                calls.update(code_ops.get(frame.f_code, ()))

        sys.setprofile(listen)
        try:
            build(op_graphs(op)[0], Value)
        except Exception:   # what the learner's code raises is reported by the op's own graphs
            pass
        finally:
            sys.setprofile(previous)
        found[op] = frozenset(calls - {op})
    return found


def _built_on_note(op: str, bases: list[str]) -> str:
    many = len(bases) > 1
    names = " and ".join(bases)
    return (f"{op} is not blamed on its own: your {op} calls your {names} (it is built on "
            f"{'them' if many else 'it'}), and {names} fail{'' if many else 's'} alone, so {op} fails through "
            f"{'them' if many else 'it'}. Fix {names} first, then check again.")


def _large_note(result: "_Result", failed_alone: bool) -> str:
    """What went wrong at a large input (``a.tanh()`` at 400), overflow named when that is what it was;
    "" when it is no overflow and the op fails at small inputs too (its code says enough then)."""
    spec = result.spec
    x, op = spec.steps[0].value, spec.op
    ours = build_ours(spec)
    ours[-1].backward()
    rows = result.failure.rows
    non_finite = any(r.their_data is None or (r.their_grad is None and not result.failure.leaves_only)
                     for r in rows)
    if result.error_type == "OverflowError" or (result.failure.error == "" and non_finite):
        what = (f"raised {result.failure.error}" if result.failure.error
                else "gave a number that is not finite (inf or nan)")
        return (f"{op}({x:g}) overflowed in your engine: it {what}, where ours gives {op} = {ours[-1].data:.7g} "
                f"and slope {ours[0].grad:.7g}. A formula that goes through exp(x) or exp(2x) overflows once "
                "the exponent passes about 709 (exp(710) is beyond the largest float, about 1.8e308), even "
                f"where {op} itself is a moderate number: write it so that no step grows that large.")
    if failed_alone:
        return ""
    if result.failure.error:
        return f"{op}({x:g}): your engine raised {result.failure.error}, where ours gives {ours[-1].data:.7g}."
    return (f"{op}({x:g}) is wrong in your engine at this large input (see its graph), though right at the "
            "small inputs of the other graphs.")


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
    forward_raised: bool = False   # it raised while the graph was made (not in backward())
    stale: bool = False      # a second backward() gave other leaf gradients


class _Run:
    """The graphs run so far on the learner's class, and the errors its code raised."""

    def __init__(self, Value: type) -> None:
        self.Value = Value
        self.results: list[_Result] = []
        self.errors: list[str] = []
        self.raised_alone: set[str] = set()    # ops that raised in a graph of their own

    def first_failure(self, excused: frozenset[str] | set[str] = frozenset()) -> Optional[GraphFailure]:
        """The first graph that failed, passing over the graphs of one ``excused`` op alone (an op built
        on another failing op: the other one's graph is where the learner should look)."""
        failed = [r for r in self.results if r.failure is not None]
        shown = [r for r in failed if not (r.spec.kind in ("op", "large") and r.spec.op in excused)] or failed
        return shown[0].failure if shown else None

    def graph(self, spec: GraphSpec, twice: bool = False) -> _Result:
        result = self._run(spec, twice)
        if result.error_type:
            self.errors.append(f"{spec.title}: {result.failure.error}")
            if spec.kind == "op" and not spec.numbers:   # (a number refused is not the op failing)
                self.raised_alone.add(spec.op)
        self.results.append(result)
        return result

    def _run(self, spec: GraphSpec, twice: bool) -> _Result:
        ours = build_ours(spec)
        ours[-1].backward()
        try:
            theirs = build(spec, self.Value)
        except Exception as error:
            result = self._raised(spec, error, "the forward pass (building the graph)", ours, None)
            result.forward_raised = True
            return result
        try:
            theirs[-1].backward()
        except Exception as error:
            return self._raised(spec, error, "backward()", ours, theirs)
        rows, leaves_only = _compare(spec, ours, theirs)
        value_wrong = not all(r.data_ok for r in rows)
        grad_wrong = not all(r.grad_ok for r in rows if r.expression == LEAF)   # the leaves decide
        if value_wrong or grad_wrong:
            return _Result(spec, GraphFailure(spec, tuple(rows), _first_wrong(rows), "backward()",
                                              leaves_only=leaves_only),
                           value_wrong=value_wrong, grad_wrong=grad_wrong)
        if not twice:
            return _Result(spec)
        where = "a second backward() on the same graph, the leaves' .grad set to 0 before it"
        try:
            for i in spec.leaves():   # what a training loop's zero_grad() does: the leaves only
                theirs[i].grad = 0.0
            theirs[-1].backward()
        except Exception as error:
            return self._raised(spec, error, where, ours, theirs)
        rows, _ = _compare(spec, ours, theirs, intermediates=False)
        first = _first_wrong(rows)
        if first is None:
            return _Result(spec)
        return _Result(spec, GraphFailure(spec, tuple(rows), first, where, second_pass=True), stale=True)

    def _raised(self, spec: GraphSpec, error: Exception, where: str, ours: list, theirs: Optional[list]) -> _Result:
        """The learner's code raised: keep what it computed (values, if any) and what it raised."""
        rows = _compare(spec, ours, theirs, grads=False)[0] if theirs is not None else []
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


def _compare(spec: GraphSpec, ours: list, theirs: list, intermediates: Optional[bool] = None,
             grads: bool = True) -> tuple[list[NodeRow], bool]:
    """Every node in both engines, and whether the engine kept gradients only on the leaves.

    The leaves' gradients are always judged; the intermediate nodes' ones
    when ``intermediates`` is True, never when False (after a second pass
    they are the engine's own business), and when None only if the engine
    set any (some intermediate .grad is a number other than 0): a
    PyTorch-style engine leaves them at 0 or None, and is not wrong for it.
    ``grads=False``: values only.
    """
    grads_read = [_read(their, "grad") if grads else None for their in theirs]
    kept = any(g not in (None, 0.0) for step, g in zip(spec.steps, grads_read) if step.op)
    if intermediates is None:
        intermediates = kept
    rows = []
    for step, our, their, grad in zip(spec.steps, ours, theirs, grads_read):
        data = _read(their, "data")
        judged = grads and (intermediates or not step.op)
        made_by = expression(step, spec.steps) if step.op else LEAF
        rows.append(NodeRow(step.name, made_by, our.data, data, our.grad, grad,
                            _close(data, our.data), _close(grad, our.grad) if judged else True))
    return rows, grads and not kept


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

def _diagnose(results: list[_Result], built_from: dict[str, frozenset[str]]
              ) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """The codes the evidence supports (see the module docstring), in `sort_key` order, each once; the
    ops whose local derivatives could not be judged; and the ops not blamed because they are built on
    a failing op, each with the failing ops it calls.

    An op the learner's engine makes from several nodes (``a - b`` as
    ``a + (-b)``, ``a / b`` as ``a * b**-1``) is a small graph of its own
    there, so a wrong order or an overwritten gradient can make it fail
    alone. Once either of those is found, a failing op alone is no longer
    evidence of a wrong local derivative: it is left out, and named as not
    judged.

    An op that calls another failing op (``built_from``) is not blamed
    either: a wrong value there explains a wrong value and a wrong gradient
    in it, a wrong derivative only a wrong gradient. Two ops calling each
    other are both blamed (neither is the one underneath).
    """
    codes: set[str] = set()
    values: set[str] = set()
    derivatives: set[str] = set()
    for r in results:
        if r.spec.kind not in ("op", "large"):
            continue
        # A wrong value explains whatever backward() did after it. At ±400 raising is evidence too (an
        # OverflowError there is the formula's), while an op that raises at its usual inputs is only
        # reported: nothing says which step is wrong.
        large = r.spec.kind == "large"
        if r.value_wrong or (large and r.forward_raised):
            values.add(r.spec.op)
        elif (r.grad_wrong and not r.error_type) or (large and r.error_type):
            derivatives.add(r.spec.op)
    bad_ops = values | derivatives
    if any(r.spec.kind == "reuse" and r.grad_wrong and r.spec.op not in bad_ops for r in results):
        codes.add("overwrite-instead-of-accumulate")
    elif any(r.spec.kind == "order" and r.grad_wrong and not r.value_wrong and not (r.spec.ops_used & bad_ops)
             for r in results):
        codes.add("not-topological")

    def under(op: str, failing: set[str]) -> list[str]:
        """The failing ops ``op`` is built on (and that are not built on ``op`` in turn)."""
        return [b for b in OPS if b in failing and b in built_from.get(op, ()) and op not in built_from.get(b, ())]

    unjudged = sorted(derivatives, key=OPS.index) if codes & STRUCTURAL else []
    if unjudged:
        derivatives = set()   # no derivative is blamed then, nor excused: all are named as not judged
    failing = values | derivatives
    excused: dict[str, list[str]] = {}
    for op in sorted(failing, key=OPS.index):
        value_bases = under(op, values) if op in values else []
        grad_bases = under(op, failing) if op in derivatives else []
        if (op not in values or value_bases) and (op not in derivatives or grad_bases):
            excused[op] = sorted(set(value_bases) | set(grad_bases), key=OPS.index)
    codes.update(f"wrong-value:{op}" for op in values - set(excused))
    codes.update(f"wrong-local-derivative:{op}" for op in derivatives - set(excused))
    if any(r.stale for r in results):
        codes.add("grad-not-reset")
    if any(r.error_type == "RecursionError" for r in results):
        codes.add("recursion-limit")
    return sorted(codes, key=sort_key), unjudged, excused
