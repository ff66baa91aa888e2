"""Reverse mode: backward, topological_order, grad (incl. create_graph), depth, memory."""

import gc
import math

import pytest

from autodiff import Var, grad, topological_order


def karpathy():
    """L = (a*b + c) * f from Karpathy's micrograd lecture, every node labelled."""
    a = Var(2.0, label="a")
    b = Var(-3.0, label="b")
    c = Var(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Var(-2.0, label="f")
    L = d * f
    L.label = "L"
    return dict(a=a, b=b, c=c, e=e, d=d, f=f, L=L)


# Worked by hand: e = -6, d = 4, L = -8.
# dL/dL = 1, dL/df = d = 4, dL/dd = f = -2, dL/dc = dL/de = -2,
# dL/da = dL/de·b = 6, dL/db = dL/de·a = -4.
KARPATHY_GRADS = dict(L=1.0, f=4.0, d=-2.0, c=-2.0, e=-2.0, a=6.0, b=-4.0)


def test_karpathy_example_every_node():
    n = karpathy()
    assert (n["e"].data, n["d"].data, n["L"].data) == (-6.0, 4.0, -8.0)
    n["L"].backward()
    for name, expected in KARPATHY_GRADS.items():
        assert n[name].grad == expected, name


def test_backward_twice_accumulates_exactly_twice():
    n = karpathy()
    n["L"].backward()
    n["L"].backward()
    for name, expected in KARPATHY_GRADS.items():
        # intermediates too: micrograd would give e.g. dL/de = -4·... here
        assert n[name].grad == 2.0 * expected, name


def test_backward_three_times_on_a_deeper_graph():
    x = Var(0.5)
    h = (x * x).tanh()
    y = h * h + x
    t = math.tanh(0.25)
    dh = 2 * t                                         # dy/dh
    dx = dh * (1 - t * t) * 2 * 0.5 + 1.0              # dy/dx
    for k in (1, 2, 3):
        y.backward()
        assert y.grad == k * 1.0
        assert h.grad == pytest.approx(k * dh, rel=1e-15)
        assert x.grad == pytest.approx(k * dx, rel=1e-15)


def test_a_plus_a():
    a = Var(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0
    a2 = Var(3.0)
    (a2 * a2).backward()
    assert a2.grad == 6.0


def test_fan_out():
    x = Var(1.5)
    y = x * x + x.exp() + 3 * x + x / 2    # dy/dx = 2x + e^x + 3 + 1/2
    y.backward()
    assert x.grad == pytest.approx(2 * 1.5 + math.exp(1.5) + 3.5, rel=1e-15)


def test_diamond():
    x = Var(2.0)
    u = x * 3        # 6
    v = x.sin()      # sin 2
    w = u * v        # 3x·sin x
    z = w + u        # 3x·sin x + 3x
    z.backward()
    assert x.grad == pytest.approx(3 * math.sin(2.0) + 6.0 * math.cos(2.0) + 3.0, rel=1e-15)
    assert u.grad == pytest.approx(math.sin(2.0) + 1.0, rel=1e-15)
    assert v.grad == 6.0
    assert w.grad == 1.0


def test_backward_on_a_leaf():
    x = Var(4.0)
    x.backward()
    assert x.grad == 1.0


def test_wide_sum():
    xs = [Var(float(i)) for i in range(2000)]
    total = xs[0]
    for v in xs[1:]:
        total = total + v * v
    total.backward()
    assert xs[0].grad == 1.0
    for i, v in enumerate(xs[1:], start=1):
        assert v.grad == 2.0 * i


# ---------------------------------------------------------------------------
# topological_order
# ---------------------------------------------------------------------------

def reference_order(root):
    """Post-order depth-first walk, operand a before b (recursive: fine for small graphs)."""
    seen, out = set(), []

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        for p in node.parents:
            visit(p)
        out.append(node)

    visit(root)
    return out


def test_topological_order_properties():
    n = karpathy()
    order = topological_order(n["L"])
    assert order[-1] is n["L"]
    assert len(order) == 7
    assert len({id(v) for v in order}) == len(order)          # each node once
    position = {id(v): i for i, v in enumerate(order)}
    for v in order:
        for p in v.parents:
            assert position[id(p)] < position[id(v)]          # parents first
    assert {id(v) for v in order} == {id(v) for v in n.values()}


def test_topological_order_with_shared_nodes():
    x = Var(1.0, label="x")
    y = x * x
    z = (y + x) * (y - x) + y.exp()
    order = topological_order(z)
    assert sum(v is x for v in order) == 1
    assert sum(v is y for v in order) == 1
    position = {id(v): i for i, v in enumerate(order)}
    for v in order:
        for p in v.parents:
            assert position[id(p)] < position[id(v)]
    assert [id(v) for v in order] == [id(v) for v in reference_order(z)]


@pytest.mark.parametrize("make", [lambda a: a + a, lambda a: a * a, lambda a: (a * a).exp() * a])
def test_topological_order_repeated_operand_listed_once(make):
    a = Var(1.5, label="a")
    out = make(a)
    order = topological_order(out)
    assert sum(v is a for v in order) == 1, [v.label or v.op for v in order]
    assert len({id(v) for v in order}) == len(order)
    assert order[0] is a and order[-1] is out


def test_topological_order_is_deterministic():
    n = karpathy()
    first = topological_order(n["L"])
    second = topological_order(n["L"])
    assert [id(v) for v in first] == [id(v) for v in second]
    # the same on an identical, separately built graph
    assert [v.label for v in first] == [v.label for v in topological_order(karpathy()["L"])]
    # a before b, depth first, parents before children:
    assert [v.label for v in first] == ["a", "b", "e", "c", "d", "f", "L"]


def test_topological_order_changes_nothing():
    n = karpathy()
    topological_order(n["L"])
    assert all(v.grad == 0.0 for v in n.values())
    n["L"].backward()       # and leaves no marks that would hide nodes
    for name, expected in KARPATHY_GRADS.items():
        assert n[name].grad == expected


def test_topological_order_of_a_leaf():
    x = Var(1.0)
    order = topological_order(x)
    assert len(order) == 1 and order[0] is x


# ---------------------------------------------------------------------------
# grad()
# ---------------------------------------------------------------------------

def test_grad_returns_tuple_of_vars():
    x, y = Var(2.0), Var(5.0)
    out = x * y + x
    result = grad(out, [x, y])
    assert isinstance(result, tuple)
    assert len(result) == 2
    assert all(isinstance(g, Var) for g in result)
    assert result[0].data == 6.0    # y + 1
    assert result[1].data == 2.0    # x
    # without create_graph the results are plain leaves
    assert all(g.op is None and g.parents == () for g in result)


def test_grad_single_var_input():
    x = Var(3.0)
    result = grad(x * x, x)
    assert isinstance(result, tuple) and len(result) == 1
    assert result[0].data == 6.0


def test_grad_input_not_reached_is_zero_var():
    x, y, unused = Var(2.0), Var(5.0), Var(7.0)
    out = x * y
    gx, gu, gy = grad(out, [x, unused, y])
    assert isinstance(gu, Var) and gu.data == 0.0
    assert (gx.data, gy.data) == (5.0, 2.0)
    gx2, gu2 = grad(out, [x, unused], create_graph=True)
    assert isinstance(gu2, Var) and gu2.data == 0.0
    assert gx2.data == 5.0


def test_grad_does_not_touch_dot_grad():
    n = karpathy()
    n["a"].grad = 0.25
    grads = grad(n["L"], [n["a"], n["b"], n["e"]])
    assert [g.data for g in grads] == [6.0, -4.0, -2.0]
    assert n["a"].grad == 0.25
    for name in "bcdefL":
        assert n[name].grad == 0.0
    grad(n["L"], [n["a"]], create_graph=True)
    assert n["a"].grad == 0.25
    for name in "bcdefL":
        assert n[name].grad == 0.0


def test_grad_called_twice_gives_the_same():
    x = Var(0.3)
    y = (x * 2).sin() * x
    (g1,) = grad(y, [x])
    (g2,) = grad(y, [x])
    expected = 2 * math.cos(0.6) * 0.3 + math.sin(0.6)
    assert g1.data == pytest.approx(expected, rel=1e-15)
    assert g1.data == g2.data


def test_grad_with_respect_to_intermediate():
    n = karpathy()
    gd, ge = grad(n["L"], [n["d"], n["e"]])
    assert gd.data == -2.0 and ge.data == -2.0


def test_grad_of_output_itself():
    x = Var(2.0)
    y = x * 3
    (g,) = grad(y, [y])
    assert g.data == 1.0


# ---------------------------------------------------------------------------
# Higher derivatives: grad(create_graph=True)
# ---------------------------------------------------------------------------

def test_cube_derivatives():
    x = Var(3.0)
    y = x ** 3
    (d1,) = grad(y, [x], create_graph=True)
    assert d1.data == 27.0                     # 3x²
    assert d1.op is not None                         # has a graph of its own
    (d2,) = grad(d1, [x], create_graph=True)
    assert d2.data == 18.0                     # 6x
    (d3,) = grad(d2, [x], create_graph=True)
    assert d3.data == 6.0                      # 6
    (d4,) = grad(d3, [x])
    assert d4.data == 0.0
    assert x.grad == 0.0


def test_cube_via_mul_derivatives():
    x = Var(3.0)
    y = x * x * x
    (d1,) = grad(y, [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x])
    assert (d1.data, d2.data, d3.data) == (27.0, 18.0, 6.0)


def test_sin_derivative_cycle():
    x0 = 0.7
    x = Var(x0)
    y = x.sin()
    (d1,) = grad(y, [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x], create_graph=True)
    (d4,) = grad(d3, [x])
    assert d1.data == math.cos(x0)
    assert d2.data == -math.sin(x0)
    assert d3.data == -math.cos(x0)
    assert d4.data == math.sin(x0)


def test_mixed_partials_of_x_y_y():
    x, y = Var(2.0), Var(3.0)
    f = x * y * y
    gx, gy = grad(f, [x, y], create_graph=True)
    assert (gx.data, gy.data) == (9.0, 12.0)        # y², 2xy
    hxx, hxy = grad(gx, [x, y])
    hyx, hyy = grad(gy, [x, y])
    assert (hxx.data, hxy.data) == (0.0, 6.0)        # 0, 2y
    assert (hyx.data, hyy.data) == (6.0, 4.0)        # 2y, 2x
    # second derivative by backward() into .grad
    gy.backward()
    assert (x.grad, y.grad) == (6.0, 4.0)


def test_hessian_of_exp_product():
    x0, y0 = 0.5, -0.25
    x, y = Var(x0), Var(y0)
    f = (x * y).exp()
    gx, gy = grad(f, [x, y], create_graph=True)
    e = math.exp(x0 * y0)
    assert gx.data == pytest.approx(y0 * e, rel=1e-15)
    assert gy.data == pytest.approx(x0 * e, rel=1e-15)
    hxx, hxy = grad(gx, [x, y])
    hyx, hyy = grad(gy, [x, y])
    assert hxx.data == pytest.approx(y0 * y0 * e, rel=1e-15)
    assert hyy.data == pytest.approx(x0 * x0 * e, rel=1e-15)
    assert hxy.data == pytest.approx((1 + x0 * y0) * e, rel=1e-15)
    assert hyx.data == pytest.approx((1 + x0 * y0) * e, rel=1e-15)


def test_create_graph_on_linear_function_gives_constant_derivative():
    x = Var(2.0)
    y = 3 * x + 1
    (d1,) = grad(y, [x], create_graph=True)
    assert d1.data == 3.0
    (d2,) = grad(d1, [x])
    assert d2.data == 0.0


@pytest.mark.parametrize("b0, expected_da", [(0.0, 0.0), (1.0, 1.0), (2.0, 0.0), (3.0, 0.0)])
def test_pow_with_var_exponent_at_zero_base(b0, expected_da):
    # ∂(a^b)/∂a = b·a^(b-1): at a = 0 that is 0 for b = 0 (a^0 is 1 for every a),
    # 1 for b = 1 and 0 for b > 1, exactly as for a constant exponent (x ** 0,
    # x ** 1, ...) and as PyTorch gives. ∂(a^b)/∂b at a = 0, b >= 0 is taken as 0.
    a, b = Var(0.0), Var(b0)
    out = a ** b
    assert out.data == (1.0 if b0 == 0.0 else 0.0)
    out.backward()
    assert a.grad == expected_da
    assert b.grad == 0.0
    c = Var(0.0)
    (c ** b0).backward()           # the constant-exponent op agrees
    assert c.grad == expected_da


# ---------------------------------------------------------------------------
# Depth and memory
# ---------------------------------------------------------------------------

@pytest.mark.slow
def test_million_deep_graph():
    depth = 1_000_000
    x = Var(0.5)
    y = x
    for _ in range(depth):
        y = -y                      # one node per op
    assert y.data == 0.5            # an even number of negations
    y.backward()
    assert x.grad == 1.0
    assert y.grad == 1.0
    (g,) = grad(y, [x])
    assert g.data == 1.0
    del y, g                        # freeing a million-deep chain must not crash either


def _live_vars():
    return sum(1 for o in gc.get_objects() if type(o) is Var)


def test_no_reference_cycles():
    gc.collect()
    baseline = _live_vars()
    gc.disable()
    try:
        a, b = Var(0.3), Var(-1.2)
        out = (a * b).tanh() + (a.exp() * b).sin() + a ** 2 / (1 + b.sigmoid()) + 2 ** b
        out.backward()
        g = grad(out, [a, b], create_graph=True)
        h = [grad(gi, [a, b], create_graph=True) for gi in g]
        order = topological_order(h[0][1])
        assert _live_vars() > baseline + 20      # the graph is really there
        del a, b, out, g, h, order
        # reference counting alone freed every node ...
        assert _live_vars() == baseline
        # ... and the cycle collector finds nothing to do
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_no_reference_cycles_after_failed_backward():
    gc.collect()
    baseline = _live_vars()
    gc.disable()
    try:
        x = Var(0.0)
        y = x.sqrt() * 3
        try:
            y.backward()
        except ZeroDivisionError as error:
            message = str(error)
        assert "sqrt" in message
        del x, y
        assert _live_vars() == baseline
    finally:
        gc.enable()
