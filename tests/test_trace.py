"""autodiff.trace: the graph as data, the forward and backward schedules,
replay() against backward() bit for bit, errors, reevaluate() and format_number.

Expected values are worked out by hand (in the comments) or computed here
independently: a node's Var is found by walking the Var graph alongside the
trace (never through the trace's own order), reachability is a separate walk,
and local derivatives are evaluated straight from the op table.
"""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from autodiff import Var
from autodiff.backprop import topological_order
from autodiff.ops import DIV, MUL, POW, SQRT, TANH, power
from autodiff.trace import (
    BackwardStep, Contribution, ForwardStep, Trace, TraceEdge, TraceNode,
    format_number, grad_name, local_name, reevaluate, running_sum_text, seed_text, trace,
)

MINUS = "\N{MINUS SIGN}"


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def same(x: float, y: float) -> bool:
    """Bit-for-bit equality of two floats (so 0.0 and -0.0 differ)."""
    return type(x) is float and type(y) is float and x.hex() == y.hex()


def var_map(tr: Trace, root: Var) -> dict[str, Var]:
    """Trace id -> Var, found by walking the Vars alongside the trace's parent lists.

    Independent of the order trace() chose; also checks that the trace has the
    Var graph's shape: one id per Var object and operands in operand order.
    """
    found: dict[str, Var] = {tr.root.id: root}
    stack = [tr.root.id]
    while stack:
        node_id = stack.pop()
        v = found[node_id]
        node = tr.node(node_id)
        assert node.id == node_id
        assert len(node.parents) == len(v.parents)
        for pid, p in zip(node.parents, v.parents):
            if pid in found:
                assert found[pid] is p
            else:
                found[pid] = p
                stack.append(pid)
    assert len({id(v) for v in found.values()}) == len(found)  # one id per Var
    return found


def reachable(root: Var) -> set[int]:
    """id() of every Var root depends on, by a plain walk of .parents."""
    seen: dict[int, Var] = {}
    stack = [root]
    while stack:
        v = stack.pop()
        if id(v) not in seen:
            seen[id(v)] = v
            stack.extend(v.parents)
    return set(seen)


def shape(tr: Trace):
    """Everything about a trace except the numbers."""
    return ([(n.id, n.name, n.kind, n.op, n.parents) for n in tr.nodes], tr.edges)


def lecture():
    """L = (a·b)·a with a = 2, b = −3 and c = a·b labelled; L unlabelled."""
    a, b = Var(2.0, label="a"), Var(-3.0, label="b")
    c = a * b
    c.label = "c"
    return a, b, c, c * a


# ---------------------------------------------------------------------------
# Nodes: order, ids, names, kinds
# ---------------------------------------------------------------------------

def test_nodes_of_the_lecture_example():
    a, b, c, L = lecture()
    tr = trace(L)
    # Depth-first, operand a before b: a, b, then c = a·b, then L = c·a.
    assert tr.nodes == (
        TraceNode("n0", "a", "leaf", "", 2.0, ()),
        TraceNode("n1", "b", "leaf", "", -3.0, ()),
        TraceNode("n2", "c", "op", "*", -6.0, ("n0", "n1")),
        TraceNode("n3", "L", "output", "*", -12.0, ("n2", "n0")),
    )
    assert tr.root is tr.nodes[-1]
    assert [tr.node(f"n{i}").name for i in range(4)] == ["a", "b", "c", "L"]


def test_order_explores_operand_a_first_and_lists_shared_nodes_once():
    x, y = Var(1.0, label="x"), Var(2.0, label="y")
    s = x + y
    s.label = "s"
    p = y * s
    p.label = "p"
    L = p - x
    # From L: operand p first; from p: y (emitted first), then s, whose x
    # comes next; x as L's second operand is already listed.
    tr = trace(L)
    assert [n.name for n in tr.nodes] == ["y", "x", "s", "p", "L"]
    assert [n.id for n in tr.nodes] == ["n0", "n1", "n2", "n3", "n4"]
    assert tr.node("n2").parents == ("n1", "n0")   # s = x + y
    assert tr.node("n3").parents == ("n0", "n2")   # p = y · s
    assert tr.node("n4").parents == ("n3", "n1")   # L = p − x
    # the same order as the one backward() walks
    assert [id(v) for v in topological_order(L)] == [id(v) for v in (y, x, s, p, L)]


def test_order_is_stable_across_calls_and_rebuilds():
    def build():
        a, b = Var(0.5, label="a"), Var(1.5)
        t = (a * b).tanh()
        return (t + a) * (t - b.exp())

    first = trace(build())
    for _ in range(3):
        assert trace(build()) == first   # new objects, same trace
    root = build()
    assert trace(root) == trace(root)


def test_unlabelled_nodes_are_named_by_their_ids_and_the_output_by_output_name():
    x, y = Var(3.0), Var(4.0)
    L = x * y + x
    tr = trace(L)
    assert [(n.id, n.name) for n in tr.nodes] == [("n0", "n0"), ("n1", "n1"), ("n2", "n2"), ("n3", "L")]
    tr = trace(L, output_name="loss")
    assert tr.root.name == "loss"
    assert tr.backward[0].text == "grad(loss) = 1 (the seed)"
    assert tr.backward[1].contributions[1].text.startswith("grad(n0) += grad(loss) · ∂(n2 + n0)/∂n0 = ")


def test_a_labelled_output_keeps_its_label():
    x = Var(3.0, label="x")
    y = x * x
    y.label = "y"
    tr = trace(y, output_name="loss")
    assert tr.root.name == "y"
    assert tr.backward[0].text == "grad(y) = 1 (the seed)"


def test_kinds_with_parameters():
    a, b, c, L = lecture()
    tr = trace(L, parameters=[a])
    assert [n.kind for n in tr.nodes] == ["parameter", "leaf", "op", "output"]
    # any iterable will do, e.g. a generator
    tr = trace(L, parameters=(p for p in (a, b)))
    assert [n.kind for n in tr.nodes] == ["parameter", "parameter", "op", "output"]
    # parameters are recognised by identity, not by value
    tr = trace(L, parameters=[Var(2.0, label="a")])
    assert [n.kind for n in tr.nodes] == ["leaf", "leaf", "op", "output"]
    # a parameter outside the graph changes nothing
    assert trace(L, parameters=[Var(9.0)]) == trace(L)


def test_a_lone_leaf_is_the_output():
    x = Var(5.0)
    tr = trace(x, parameters=[x])
    assert tr.nodes == (TraceNode("n0", "L", "output", "", 5.0, ()),)
    assert tr.edges == () and tr.forward == ()
    assert tr.backward == (BackwardStep("n0", 1.0, (), "grad(L) = 1 (the seed)"),)
    assert tr.replay() == {"n0": 1.0}
    assert tr.replay(0) == {"n0": 0.0}


# ---------------------------------------------------------------------------
# Edges: one per use of an operand
# ---------------------------------------------------------------------------

def test_a_plus_a_has_two_edges():
    a = Var(3.0, label="a")
    tr = trace(a + a)
    assert tr.node("n1").parents == ("n0", "n0")
    assert tr.edges == (TraceEdge("n0", "n1", 0), TraceEdge("n0", "n1", 1))


def test_edges_of_a_times_b_times_a():
    *_, L = lecture()
    assert trace(L).edges == (
        TraceEdge("n0", "n2", 0), TraceEdge("n1", "n2", 1),
        TraceEdge("n2", "n3", 0), TraceEdge("n0", "n3", 1),
    )


def test_unary_op_has_one_edge():
    x = Var(0.5, label="x")
    tr = trace((x ** 2).tanh())
    assert tr.edges == (TraceEdge("n0", "n1", 0), TraceEdge("n1", "n2", 0))


# ---------------------------------------------------------------------------
# Forward schedule
# ---------------------------------------------------------------------------

def test_forward_schedule_of_the_lecture_example():
    *_, L = lecture()
    assert trace(L).forward == (
        ForwardStep("n2", "*", (("n0", 2.0), ("n1", -3.0)), -6.0, "c = a·b = 2·(−3) = −6"),
        ForwardStep("n3", "*", (("n2", -6.0), ("n0", 2.0)), -12.0, "L = c·a = (−6)·2 = −12"),
    )


def test_forward_texts_of_other_ops():
    x, y = Var(2.0, label="x"), Var(3.0, label="y")
    cases = [
        (x / y, "q = x / y = 2 / 3 = 0.6667"),
        (x ** y, "q = x^y = 2^3 = 8"),
        (x ** 2, "q = x^2 = 2^2 = 4"),
        (x.exp(), "q = exp(x) = exp(2) = 7.389"),
        (x.tanh(), "q = tanh(x) = tanh(2) = 0.964"),
        (x.sigmoid(), "q = σ(x) = σ(2) = 0.8808"),
        (x - y, f"q = x {MINUS} y = 2 {MINUS} 3 = {MINUS}1"),
    ]
    for q, text in cases:
        q.label = "q"
        (step,) = trace(q).forward
        assert step.text == text


def test_forward_text_does_not_substitute_inside_names():
    # names that contain the letters a and b are substituted once, not again
    alpha, beta = Var(2.0, label="alpha"), Var(5.0, label="beta")
    q = alpha * beta
    q.label = "q"
    (step,) = trace(q).forward
    assert step.text == "q = alpha·beta = 2·5 = 10"


# ---------------------------------------------------------------------------
# Backward schedule
# ---------------------------------------------------------------------------

def test_backward_schedule_of_the_lecture_example():
    *_, L = lecture()
    seed, at_L, at_c = trace(L).backward
    assert seed == BackwardStep("n3", 1.0, (), "grad(L) = 1 (the seed)")

    # L = c·a: grad(c) gets a = 2, grad(a) gets c = −6
    assert at_L.node == "n3" and at_L.upstream == 1.0
    assert at_L.contributions == (
        Contribution("n2", 0, 2.0, "∂(a·b)/∂a = b", 2.0, 0.0, 2.0,
                     "grad(c) += grad(L) · ∂(c·a)/∂c = 1 × 2 = 2", "∂(c·a)/∂c = a"),
        Contribution("n0", 1, -6.0, "∂(a·b)/∂b = a", -6.0, 0.0, -6.0,
                     "grad(a) += grad(L) · ∂(c·a)/∂a = 1 × −6 = −6", "∂(c·a)/∂a = c"),
    )
    assert at_L.text == "grad(c) += grad(L) · ∂(c·a)/∂c = 1 × 2 = 2\ngrad(a) += grad(L) · ∂(c·a)/∂a = 1 × −6 = −6"

    # c = a·b with grad(c) = 2: ∂(a·b)/∂a = b = −3 (a's second contribution), ∂(a·b)/∂b = a = 2
    assert at_c.node == "n2" and at_c.upstream == 2.0
    assert at_c.contributions == (
        Contribution("n0", 0, -3.0, "∂(a·b)/∂a = b", -6.0, -6.0, -12.0,
                     "grad(a) += grad(c) · ∂(a·b)/∂a = 2 × −3 = −6; running sum grad(a) = −6 + −6 = −12",
                     "∂(a·b)/∂a = b"),
        Contribution("n1", 1, 2.0, "∂(a·b)/∂b = a", 4.0, 0.0, 4.0,
                     "grad(b) += grad(c) · ∂(a·b)/∂b = 2 × 2 = 4", "∂(a·b)/∂b = a"),
    )
    # d/da (a·b·a) = 2ab = −12, d/db = a² = 4, dL/dc = a = 2
    assert trace(L).replay() == {"n0": -12.0, "n1": 4.0, "n2": 2.0, "n3": 1.0}


def test_backward_of_a_plus_a_shows_the_running_sum_on_the_second_use():
    a = Var(3.0, label="a")
    seed, step = trace(a + a).backward
    first, second = step.contributions
    assert (first.operand, first.local, first.value, first.before, first.after) == (0, 1.0, 1.0, 0.0, 1.0)
    assert (second.operand, second.local, second.value, second.before, second.after) == (1, 1.0, 1.0, 1.0, 2.0)
    assert first.text == "grad(a) += grad(L) · ∂(a + a)/∂a = 1 × 1 = 1"
    assert second.text == "grad(a) += grad(L) · ∂(a + a)/∂a = 1 × 1 = 1; running sum grad(a) = 1 + 1 = 2"
    assert first.formula == "∂(a + b)/∂a = 1" and second.formula == "∂(a + b)/∂b = 1"
    assert first.rule == second.rule == "∂(a + a)/∂a = 1"


# ---------------------------------------------------------------------------
# One notation for the accumulated gradient, another for the local derivative (issue 14)
# ---------------------------------------------------------------------------

def test_the_notation_helpers():
    assert grad_name("c") == "grad(c)" and grad_name("W[0,1]") == "grad(W[0,1])"
    assert local_name("c + a", "c") == "∂(c + a)/∂c"
    assert seed_text("L") == "grad(L) = 1 (the seed)"
    assert running_sum_text("c", "−4", "−6", "−10") == "running sum grad(c) = −4 + −6 = −10"
    assert running_sum_text("W", "the earlier ones", "this one") == "running sum grad(W) = the earlier ones + this one"


def _notation_graphs() -> list[Var]:
    """Graphs with every shape of step: fan-out into a leaf and into an op node, a + a, unary ops, a chain."""
    a, b = Var(2.0, label="a"), Var(-3.0, label="b")
    c = a * b; c.label = "c"
    d = c + a; d.label = "d"
    L = d * c; L.label = "L"                    # the example: c reaches L twice
    x = Var(0.5, label="x")
    t = x.tanh(); t.label = "t"
    y = (t * t + t / x) ** 2; y.label = "y"
    u = Var(1.5)                                # unlabelled: named by id
    return [L, a + a, y, (u.exp() - u).sigmoid() * 3.0]


def test_every_accumulation_is_written_grad_and_every_local_derivative_in_the_ops_own_terms():
    """Issue 14: ``grad(c) += grad(d) · ∂(c + a)/∂c``: the left side and the upstream are accumulated
    gradients, written grad(·); the factor is the op's formula, never a node's name; and no text writes
    ∂<out>/∂<node> (nor ∂<node>/∂<node>) for a gradient."""
    for root in _notation_graphs():
        tr = trace(root)
        order = topological_order(root)          # the trace's order: node n<i> is order[i]
        names = [n.name for n in tr.nodes]
        assert tr.backward[0].text == f"grad({tr.root.name}) = 1 (the seed)"
        seen = set()
        for step in tr.backward[1:]:
            node, v = tr.node(step.node), order[int(step.node[1:])]
            operands = [tr.node(p).name for p in node.parents]
            for c in step.contributions:
                parent = tr.node(c.parent).name
                local = f"∂({v.op.write(*operands)})/∂{parent}"
                assert c.text.startswith(f"grad({parent}) += grad({node.name}) · {local} = "), c.text
                assert c.rule == f"{local} = {v.op.write_derivative(c.operand, *operands)}"
                running = f"; running sum grad({parent}) = {format_number(c.before)} + " \
                          f"{format_number(c.value)} = {format_number(c.after)}"
                assert c.text.endswith(running) == (c.parent in seen) == ("running sum" in c.text), c.text
                seen.add(c.parent)
                for first in names:
                    for second in names:
                        assert f"∂{first}/∂{second}" not in c.text, (c.text, first, second)


def test_the_outputs_local_derivative_is_not_circular():
    """At the output L, "∂L/∂d" would name both the gradient and the local derivative (issue 12):
    the gradient is grad(d), the local derivative is written in the op's own terms, ∂(d·f)/∂d = f."""
    d, f = Var(4.0, label="d"), Var(-2.0, label="f")
    L = d * f; L.label = "L"
    _, step = trace(L).backward
    assert [c.text for c in step.contributions] == ["grad(d) += grad(L) · ∂(d·f)/∂d = 1 × −2 = −2",
                                                    "grad(f) += grad(L) · ∂(d·f)/∂f = 1 × 4 = 4"]
    assert [c.rule for c in step.contributions] == ["∂(d·f)/∂d = f", "∂(d·f)/∂f = d"]
    x = Var(0.5, label="x")
    y = x.tanh(); y.label = "y"
    _, step = trace(y, output_name="L").backward
    assert step.contributions[0].text.startswith("grad(x) += grad(y) · ∂(tanh(x))/∂x = 1 × ")
    assert step.contributions[0].rule == "∂(tanh(x))/∂x = 1 - tanh(x)²"
    # no line anywhere reads ∂N/∂N · ∂N/∂… (nor any ∂N/∂ at all: the output appears as grad(N))
    for root in (L, y, lecture()[-1]):
        for s in trace(root).backward:
            for c in s.contributions:
                head = c.text.split(" = ")[0]
                out = trace(root).root.name
                assert f"∂{out}/∂" not in head, c.text


def test_running_sum_on_an_intermediate_node_used_twice():
    x = Var(0.5, label="x")
    t = x.tanh()
    t.label = "t"
    L = t * t + t          # t reaches L three times
    tr = trace(L)
    texts = [c.text for s in tr.backward for c in s.contributions if c.parent == "n1"]
    assert len(texts) == 3
    assert "running sum" not in texts[0]
    assert "running sum grad(t)" in texts[1] and "running sum grad(t)" in texts[2]
    # dL/dt = 2t + 1
    assert tr.replay()["n1"] == pytest.approx(2 * math.tanh(0.5) + 1, rel=1e-15)


def test_rules_in_the_graphs_names():
    x, y = Var(2.0, label="x"), Var(3.0, label="y")
    cases = [
        (x / y, ["∂q/∂x = 1 / y", "∂q/∂y = -x / y²"]),
        (x ** y, ["∂q/∂x = 0 if y = 0 else y·x^(y-1)", "∂q/∂y = 0 if x = 0 else x^y·log(x)"]),
        (x ** 2, ["∂q/∂x = 2·x"]),
        (x ** 3, ["∂q/∂x = 3·x^2"]),
        (x.tanh(), ["∂q/∂x = 1 - tanh(x)²"]),
        (x.sigmoid(), ["∂q/∂x = σ(x)·(1 - σ(x))"]),
        (x.relu(), ["∂q/∂x = 1 if x > 0 else 0"]),
        (x.tan(), ["∂q/∂x = 1 + tan(x)²"]),
        (x - y, ["∂q/∂x = 1", "∂q/∂y = -1"]),
    ]
    for q, rules in cases:
        q.label = "q"
        # in the op's own terms, ∂(x / y)/∂x = 1 / y, never ∂q/∂x: inside the graph and at the output
        written = [rule.replace("∂q/∂", f"∂({q.op.write('x', 'y')})/∂") for rule in rules]
        out = q * 1.0
        assert [c.rule for c in trace(out).backward[2].contributions] == written
        assert [c.rule for c in trace(q).backward[1].contributions] == written
    alpha, beta = Var(2.0, label="alpha"), Var(5.0, label="beta")
    q = alpha * beta
    q.label = "q"
    assert [c.rule for c in trace(q).backward[1].contributions] == ["∂(alpha·beta)/∂alpha = beta",
                                                                   "∂(alpha·beta)/∂beta = alpha"]


def test_formulas_come_from_the_op_table():
    x, y = Var(2.0, label="x"), Var(3.0, label="y")
    for q, op in [(x / y, DIV), (x * y, MUL), (x ** y, POW), (x.tanh(), TANH), (x.sqrt(), SQRT),
                  (x ** 3, power(3))]:
        contributions = trace(q).backward[1].contributions
        assert [c.formula for c in contributions] == [op.formula(k) for k in range(op.arity)]
    (c,) = trace(x ** 3).backward[1].contributions
    assert c.formula == "∂(a^3)/∂a = 3·a^2"
    assert c.local == 12.0                      # 3·2²
    q0, q1 = trace(x / y).backward[1].contributions
    assert q1.formula == "∂(a / b)/∂b = -a / b²"
    assert q0.local == 1 / 3 and q1.local == -(2 / 3) / 3


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

def test_undefined_local_derivative_names_the_op():
    x = Var(0.0, label="x")
    y = x.sqrt() * 2.0      # sqrt(0) = 0 is fine; its slope 1/(2·√0) is not
    with pytest.raises(ZeroDivisionError) as info:
        trace(y)
    message = str(info.value)
    assert "sqrt" in message and "a=0.0" in message and "∂(√a)/∂a = 1 / (2·√a)" in message
    # backward() refuses the same graph with the same kind of error
    with pytest.raises(ZeroDivisionError, match="sqrt"):
        y.backward()


def test_pow_with_negative_base_has_no_exponent_slope():
    x, n = Var(-2.0, label="x"), Var(2.0, label="n")
    y = x ** n              # (−2)² = 4 is fine; d/dn needs log(−2)
    assert y.data == 4.0
    with pytest.raises(ValueError, match=r"pow.*a=-2\.0"):
        trace(y)


@pytest.mark.parametrize("thing", [2.0, 3, None, "x", [Var(1.0)]])
def test_trace_of_a_non_var_is_a_type_error(thing):
    with pytest.raises(TypeError, match=rf"^trace: expected a Var or a Tensor, got {type(thing).__name__}$"):
        trace(thing)


def test_the_parameters_of_a_var_graph_must_be_vars():
    from autodiff.tensor import Tensor
    x = Var(2.0, label="x")
    with pytest.raises(TypeError, match=r"^trace: the parameters of a Var graph must be Vars, got Tensor$"):
        trace(x * x, parameters=[Tensor([1.0])])
    assert trace(x * x, parameters=[x]).nodes[0].kind == "parameter"


def test_overflowing_gradient_is_refused_like_backward():
    a, b = Var(1e300, label="a"), Var(1e-300, label="b")
    L = (a * b) * a          # dL/db = a² = 1e600: too large
    with pytest.raises(OverflowError):
        L.backward()
    with pytest.raises(OverflowError):
        trace(L)


# ---------------------------------------------------------------------------
# reevaluate
# ---------------------------------------------------------------------------

def test_reevaluate_the_lecture_example():
    a, b, c, L = lecture()
    before = trace(L)
    a.data, b.data = 1.0, 5.0
    assert reevaluate(L) is None
    assert (c.data, L.data) == (5.0, 5.0)          # 1·5, then 5·1
    after = trace(L)
    assert shape(after) == shape(before)
    # d/da = 2ab = 10, d/db = a² = 1, dL/dc = a = 1
    assert after.replay() == {"n0": 10.0, "n1": 1.0, "n2": 1.0, "n3": 1.0}
    a2, b2 = Var(1.0, label="a"), Var(5.0, label="b")
    c2 = a2 * b2
    c2.label = "c"
    assert after == trace(c2 * a2)


def test_reevaluate_leaves_grads_and_parents_alone():
    a, b, c, L = lecture()
    L.backward()
    grads = [v.grad for v in (a, b, c, L)]
    parents = [tuple(map(id, v.parents)) for v in (a, b, c, L)]
    a.data = 4.0
    reevaluate(L)
    assert [v.grad for v in (a, b, c, L)] == grads == [-12.0, 4.0, 2.0, 1.0]
    assert [tuple(map(id, v.parents)) for v in (a, b, c, L)] == parents
    assert (c.data, L.data) == (-12.0, -48.0)


def test_reevaluate_reports_a_domain_error_like_a_fresh_build():
    x = Var(1.0, label="x")
    y = x.log()
    x.data = -1.0
    with pytest.raises(ValueError, match="log"):
        reevaluate(y)
    with pytest.raises(ValueError, match="log"):
        Var(-1.0).log()


def test_reevaluate_overflow_is_reported_like_a_fresh_build():
    a, b = Var(1.0, label="a"), Var(1.0, label="b")
    s = a + 1.0
    L = s * b
    a.data, b.data = 1e200, 1e200
    with pytest.raises(OverflowError, match="mul"):
        Var(1e200 + 1.0) * Var(1e200)
    with pytest.raises(OverflowError, match="mul"):
        reevaluate(L)
    assert (s.data, L.data) == (2.0, 2.0)  # nothing changed


def test_reevaluate_of_a_non_var_is_a_type_error():
    with pytest.raises(TypeError):
        reevaluate(1.0)


# ---------------------------------------------------------------------------
# Random graphs (Hypothesis, derandomized in conftest.py)
# ---------------------------------------------------------------------------

BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b, "div": lambda a, b: a / b, "pow": lambda a, b: a ** b,
}
UNARY = {
    "neg": lambda a: -a, "abs": abs,
    "exp": Var.exp, "log": Var.log, "sqrt": Var.sqrt, "sin": Var.sin, "cos": Var.cos,
    "tan": Var.tan, "tanh": Var.tanh, "sigmoid": Var.sigmoid, "relu": Var.relu,
    "sq": lambda a: a ** 2, "cube": lambda a: a ** 3, "inv": lambda a: a ** -1,
    "root": lambda a: a ** 0.5, "pow0": lambda a: a ** 0, "pow1": lambda a: a ** 1,
    # a plain number on either side becomes an unlabelled constant leaf
    "times2.5": lambda a: a * 2.5, "1.5-": lambda a: 1.5 - a,
    "/-2": lambda a: a / -2.0, "2**": lambda a: 2.0 ** a,
}
KINDS = sorted(BINARY) + sorted(UNARY)

leaf_values = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)


@st.composite
def programs(draw):
    """Leaf values, then ops whose operands are any earlier node (so fan-out is common)."""
    leaves = draw(st.lists(leaf_values, min_size=1, max_size=4))
    steps = draw(st.lists(
        st.tuples(st.sampled_from(KINDS), st.integers(0, 99), st.integers(0, 99)),
        min_size=3, max_size=16))
    labels = draw(st.lists(st.booleans(), min_size=len(leaves) + len(steps),
                           max_size=len(leaves) + len(steps)))
    return leaves, steps, labels


def build(program, values=None, strict=False):
    """Build the graph; returns (root, leaves, resolved steps).

    An op whose forward rule refuses its operands is replaced by tanh of the
    first operand (never when ``strict``: then the error propagates).
    """
    leaves_data, steps, labels = program
    values = leaves_data if values is None else values
    pool = [Var(x, label=f"x{i}" if labels[i] else "") for i, x in enumerate(values)]
    leaves = list(pool)
    resolved = []
    for n, (kind, i, j) in enumerate(steps):
        # operand a is one of the two newest nodes (deep graphs), b any node (fan-out)
        a, b = pool[len(pool) - 1 - i % min(2, len(pool))], pool[j % len(pool)]
        try:
            v = BINARY[kind](a, b) if kind in BINARY else UNARY[kind](a)
        except (ArithmeticError, ValueError):
            if strict:
                raise
            kind, v = "tanh", a.tanh()
        resolved.append((kind, i, j))
        v.label = f"v{n}" if labels[len(leaves_data) + n] else ""
        pool.append(v)
    return pool[-1], leaves, resolved


def backward_succeeds(root: Var) -> bool:
    """Run backward() on a fresh graph; False when it refuses the graph."""
    try:
        root.backward()
    except (ArithmeticError, ValueError):
        return False
    return True


@settings(max_examples=150)
@given(program=programs(), data=st.data())
def test_random_graph_nodes_names_kinds_edges(program, data):
    root, leaves, _ = build(program)
    params = [v for v in leaves if data.draw(st.booleans())]
    output_name = data.draw(st.sampled_from(["L", "loss", "J"]))
    try:
        tr = trace(root, parameters=params, output_name=output_name)
    except (ArithmeticError, ValueError):
        assume(False)
    var = var_map(tr, root)

    # every node root depends on, each once
    assert {id(v) for v in var.values()} == reachable(root)
    assert len(tr.nodes) == len(var)
    # ids n0.. in order; parents before children; root last
    for i, node in enumerate(tr.nodes):
        assert node.id == f"n{i}"
        assert all(int(p[1:]) < i for p in node.parents)
    assert tr.root.id == f"n{len(tr.nodes) - 1}" and var[tr.root.id] is root
    # names, kinds, ops, data
    param_ids = {id(p) for p in params}
    for node in tr.nodes:
        v = var[node.id]
        assert same(node.data, v.data)
        assert node.op == (v.op.symbol if v.op else "")
        if v is root:
            assert node.name == (v.label or output_name) and node.kind == "output"
        else:
            assert node.name == (v.label or node.id)
            expected = "op" if v.parents else ("parameter" if id(v) in param_ids else "leaf")
            assert node.kind == expected
    # one edge per operand use, in node order then operand order
    expected_edges = [TraceEdge(p, n.id, k) for n in tr.nodes for k, p in enumerate(n.parents)]
    assert list(tr.edges) == expected_edges
    assert len(tr.edges) == sum(len(var[n.id].parents) for n in tr.nodes)
    # stable: again, and on a graph built afresh from the same program
    assert trace(root, parameters=params, output_name=output_name) == tr
    root2, leaves2, _ = build(program)
    params2 = [leaves2[k] for k, v in enumerate(leaves) if id(v) in param_ids]
    assert trace(root2, parameters=params2, output_name=output_name) == tr


@settings(max_examples=150)
@given(program=programs())
def test_random_graph_forward_schedule(program):
    root, _, _ = build(program)
    try:
        tr = trace(root)
    except (ArithmeticError, ValueError):
        assume(False)
    var = var_map(tr, root)
    op_nodes = [n.id for n in tr.nodes if var[n.id].op is not None]
    assert [s.node for s in tr.forward] == op_nodes
    computed = {n.id for n in tr.nodes if not var[n.id].parents}
    for step in tr.forward:
        v = var[step.node]
        assert step.op == v.op.symbol
        assert [i for i, _ in step.inputs] == list(tr.node(step.node).parents)
        for (pid, value), p in zip(step.inputs, v.parents):
            assert pid in computed          # evaluation order: inputs are ready
            assert same(value, p.data)
        assert same(step.value, v.data)
        assert same(step.value, v.op.forward(*(p.data for p in v.parents)))
        assert step.text.startswith(f"{tr.node(step.node).name} = ")
        assert step.text.endswith(f" = {format_number(v.data)}")
        computed.add(step.node)


@settings(max_examples=200)
@given(program=programs())
def test_random_graph_backward_schedule_and_replay(program):
    root, _, _ = build(program)
    try:
        tr = trace(root)
    except (ArithmeticError, ValueError) as error:
        # trace refuses exactly when backward() refuses, with the same kind of error
        event("undefined local derivative")
        with pytest.raises(type(error)):
            root.backward()
        return
    var = var_map(tr, root)
    assume(backward_succeeds(root))    # backward() refused: gradient overflow
    event(f"{len(tr.nodes) // 5 * 5}+ nodes")
    uses = [c.parent for s in tr.backward for c in s.contributions]
    event("fan-out" if len(uses) > len(set(uses)) else "no fan-out")

    # replay() is exactly backward(), bit for bit, for every node
    replayed = tr.replay()
    assert set(replayed) == {n.id for n in tr.nodes}
    for node_id, g in replayed.items():
        assert same(g, var[node_id].grad), (node_id, g, var[node_id].grad)

    # the seed, then one step per op node in reverse topological order
    seed, *steps = tr.backward
    assert (seed.node, seed.upstream, seed.contributions) == (tr.root.id, 1.0, ())
    out = tr.root.name
    assert seed.text == f"grad({out}) = 1 (the seed)"
    assert [s.node for s in steps] == [n.id for n in reversed(tr.nodes) if var[n.id].op is not None]

    # replay(k) step by step, and every number of every contribution
    assert tr.replay(0) == {n.id: 0.0 for n in tr.nodes}
    assert tr.replay(len(tr.backward)) == replayed
    seen = set()                       # parents that have had a contribution
    done = set()                       # nodes whose step has run
    for k, step in enumerate(tr.backward):
        now, then = tr.replay(k), tr.replay(k + 1)
        if k == 0:
            expected = dict(now, **{step.node: 1.0})
        else:
            v = var[step.node]
            node = tr.node(step.node)
            # the upstream gradient is complete: it is the node's final gradient
            assert same(step.upstream, now[step.node])
            assert same(step.upstream, v.grad)
            inputs = [p.data for p in v.parents]
            locals_ = v.op.local_derivatives(*inputs, v.data)
            assert len(step.contributions) == len(v.parents)
            expected = dict(now)
            for c, k_expected, local, pid in zip(step.contributions, range(2), locals_, node.parents):
                assert c.operand == k_expected and c.parent == pid
                assert same(c.local, float(local))
                assert c.formula == v.op.formula(c.operand)
                assert same(c.value, step.upstream * c.local)
                assert same(c.before, expected[pid])
                expected[pid] = expected[pid] + c.value
                assert same(c.after, expected[pid])
                assert same(c.after, c.before + c.value)
                name, parent_name = node.name, tr.node(pid).name
                # the local derivative: the op written out, ∂(a·b)/∂a, wherever the node is
                of = f"({v.op.write(*(tr.node(p).name for p in node.parents))})"
                assert c.rule.startswith(f"∂{of}/∂{parent_name} = ")
                assert c.text.startswith(
                    f"grad({parent_name}) += grad({name}) · ∂{of}/∂{parent_name} = "
                    f"{format_number(step.upstream)} × {format_number(c.local)} = {format_number(c.value)}")
                running = (f"; running sum grad({parent_name}) = {format_number(c.before)} + "
                           f"{format_number(c.value)} = {format_number(c.after)}")
                if pid in seen:
                    assert c.text.endswith(running)
                else:
                    assert "running sum" not in c.text
                seen.add(pid)
            assert step.text == "\n".join(c.text for c in step.contributions)
            done.add(step.node)
        assert then.keys() == expected.keys()
        for node_id in then:
            assert same(then[node_id], expected[node_id])
        # a node's gradient never changes once its step has run (monotone schedule)
        for node_id in done:
            assert same(then[node_id], replayed[node_id])


@settings(max_examples=150)
@given(program=programs(), new_values=st.lists(leaf_values, min_size=4, max_size=4))
def test_random_graph_reevaluate_equals_a_fresh_build(program, new_values):
    root, leaves, resolved = build(program)
    before = trace_or_none(root)
    values = new_values[:len(leaves)]
    fixed = (program[0], resolved, program[2])
    try:
        fresh_root, _, _ = build(fixed, values, strict=True)
    except (ArithmeticError, ValueError):
        assume(False)
    for leaf, x in zip(leaves, values):
        leaf.data = x
    grads = {id(v): v.grad for v in _all_vars(root)}
    parents = {id(v): tuple(map(id, v.parents)) for v in _all_vars(root)}
    reevaluate(root)
    # graph's shape and gradients untouched
    assert {id(v): tuple(map(id, v.parents)) for v in _all_vars(root)} == parents
    assert {id(v): v.grad for v in _all_vars(root)} == grads
    # every value equals the fresh build's, bit for bit
    new, fresh = trace_or_none(root), trace_or_none(fresh_root)
    assert (new is None) == (fresh is None)
    for v, w in zip(_values_in_order(root), _values_in_order(fresh_root)):
        assert same(v, w)
    if new is not None:
        assert new == fresh
        if before is not None:
            assert shape(new) == shape(before)


def trace_or_none(root: Var):
    try:
        return trace(root)
    except (ArithmeticError, ValueError):
        return None


def _all_vars(root: Var) -> list[Var]:
    seen, out, stack = set(), [], [root]
    while stack:
        v = stack.pop()
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
            stack.extend(v.parents)
    return out


def _values_in_order(root: Var) -> list[float]:
    """Data of every node, in a fixed walk order that depends on the shape only."""
    return [v.data for v in _all_vars(root)]


# ---------------------------------------------------------------------------
# format_number
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("x, text", [
    (0.0, "0"),
    (-0.0, "0"),
    (1.0, "1"),
    (-6.0, "−6"),
    (0.5, "0.5"),
    (3.14159265, "3.142"),
    (2 / 3, "0.6667"),
    (-2 / 3, "−0.6667"),
    (1234.0, "1234"),
    (12345.678, "1.235e+04"),
    (-12345.678, "−1.235e+04"),
    (9999.5, "1e+04"),
    (1e-5, "1e−05"),
    (-1.5e-7, "−1.5e−07"),
    (0.0001234, "0.0001234"),
    (0.1 + 0.2, "0.3"),
    (-5e-324, "−4.941e−324"),   # tiny but negative: not shown as 0
])
def test_format_number(x, text):
    assert format_number(x) == text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_format_number_properties(x):
    text = format_number(x)
    assert "-" not in text
    assert text.startswith(MINUS) == (x < 0)
    mantissa = text.lstrip(MINUS).split("e")[0]
    assert len(mantissa.replace(".", "").lstrip("0")) <= 4
    back = Decimal(text.replace(MINUS, "-"))   # Decimal: 1.798e+308 is no float
    assert abs(back - Decimal(x)) <= Decimal(5e-4) * abs(Decimal(x))
