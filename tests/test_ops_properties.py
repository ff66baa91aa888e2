"""Property tests: every op, and random expression graphs, against PyTorch (float64)
and against central differences.

Values, first derivatives and second derivatives (Hessians) must agree with
PyTorch to 1e-12 (relative or absolute: the two use different math libraries,
so results may differ in the last bit, e.g. for tanh). Inputs are drawn inside
each op's domain: positive where log/sqrt/a variable exponent need it, away
from tan's poles and from the kinks of abs and relu.
"""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff import Var, grad
from autodiff.check import gradcheck, op_derivatives, torch_op_derivatives
from autodiff.ops import OPS, power

torch = pytest.importorskip("torch")


def real(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def signed(lo, hi):
    """lo <= |x| <= hi, either sign: away from 0."""
    return st.tuples(real(lo, hi), st.booleans()).map(lambda t: -t[0] if t[1] else t[0])


@st.composite
def away_from_tan_poles(draw):
    k = draw(st.integers(-3, 3))
    u = draw(real(-1.4, 1.4))          # the poles are at ±π/2 ≈ ±1.5708 (+ kπ)
    return k * math.pi + u


# name -> (op, strategy of the operand tuple)
OP_DOMAINS = {
    "add": (OPS["add"], st.tuples(real(-100, 100), real(-100, 100))),
    "sub": (OPS["sub"], st.tuples(real(-100, 100), real(-100, 100))),
    "mul": (OPS["mul"], st.tuples(real(-100, 100), real(-100, 100))),
    "div": (OPS["div"], st.tuples(real(-100, 100), signed(0.01, 100))),
    # b == 0 exactly is left out of the comparison with PyTorch only: PyTorch's
    # pow backward masks d/da to 0 where b == 0, losing ∂²/∂a∂b = 1/a there
    # (see test_pow_mixed_partial_at_zero_exponent for that point, by hand).
    "pow": (OPS["pow"], st.tuples(real(0.1, 10), real(-3, 3).filter(lambda b: b != 0.0))),
    "neg": (OPS["neg"], st.tuples(real(-100, 100))),
    "exp": (OPS["exp"], st.tuples(real(-30, 30))),
    "log": (OPS["log"], st.tuples(real(1e-3, 1e3))),
    "log1p": (OPS["log1p"], st.tuples(real(-0.999, 1e3))),
    "sqrt": (OPS["sqrt"], st.tuples(real(1e-3, 1e3))),
    "sin": (OPS["sin"], st.tuples(real(-20, 20))),
    "cos": (OPS["cos"], st.tuples(real(-20, 20))),
    "tan": (OPS["tan"], st.tuples(away_from_tan_poles())),
    "tanh": (OPS["tanh"], st.tuples(real(-20, 20))),
    "sigmoid": (OPS["sigmoid"], st.tuples(real(-30, 30))),
    "relu": (OPS["relu"], st.tuples(signed(1e-3, 100))),
    "abs": (OPS["abs"], st.tuples(signed(1e-3, 100))),
    "pow2": (power(2), st.tuples(real(-10, 10))),
    "pow3": (power(3), st.tuples(real(-10, 10))),
    "pow-1": (power(-1), st.tuples(signed(0.1, 10))),
    "pow0.5": (power(0.5), st.tuples(real(1e-2, 100))),
    "pow0": (power(0), st.tuples(real(-10, 10))),
    "pow1": (power(1), st.tuples(real(-10, 10))),
}


def test_every_op_is_covered():
    covered = {op.name for op, _ in OP_DOMAINS.values()}
    assert set(OPS) <= covered
    for name, op in OPS.items():
        assert OP_DOMAINS[name][0] is op


def close(a, b, tol):
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


@pytest.mark.parametrize("name", sorted(OP_DOMAINS))
@settings(max_examples=60)
@given(data=st.data())
def test_op_matches_torch(name, data):
    op, domain = OP_DOMAINS[name]
    values = data.draw(domain, label="operands")
    value, first, hessian = op_derivatives(op, *values)
    t_value, t_first, t_hessian = torch_op_derivatives(op, *values)
    assert close(value, t_value, 1e-12), (value, t_value)
    assert len(first) == len(t_first) == op.arity
    for g, tg in zip(first, t_first):
        assert close(g, tg, 1e-12), (first, t_first)
    for row, t_row in zip(hessian, t_hessian):
        for h, th in zip(row, t_row):
            assert close(h, th, 1e-12), (hessian, t_hessian)


@pytest.mark.parametrize("name", sorted(OP_DOMAINS))
@settings(max_examples=30)
@given(data=st.data())
def test_op_matches_central_differences(name, data):
    op, domain = OP_DOMAINS[name]
    values = data.draw(domain, label="operands")
    assert gradcheck(lambda *xs: op(*xs), list(values))


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow"])
def test_binary_op_hessian_is_symmetric(name):
    _, _, h = op_derivatives(OPS[name], 1.5, -2.0)
    assert h[0][1] == pytest.approx(h[1][0], rel=1e-14, abs=0.0)


@pytest.mark.parametrize("a", [1.0, 2.0, 0.25])
def test_pow_mixed_partial_at_zero_exponent(a):
    # f = a^b at b = 0: ∂f/∂a = b·a^(b-1) = 0, ∂f/∂b = a^b·ln a = ln a,
    # ∂²f/∂a² = b(b-1)a^(b-2) = 0, ∂²f/∂a∂b = a^(b-1)(1 + b·ln a) = 1/a,
    # ∂²f/∂b² = a^b·ln²a = ln²a.
    value, first, hessian = op_derivatives(OPS["pow"], a, 0.0)
    assert value == 1.0
    assert first == [0.0, pytest.approx(math.log(a), rel=1e-15)]
    assert hessian[0][0] == 0.0
    assert hessian[0][1] == pytest.approx(1.0 / a, rel=1e-15)
    assert hessian[1][0] == pytest.approx(1.0 / a, rel=1e-15)
    assert hessian[1][1] == pytest.approx(math.log(a) ** 2, rel=1e-15, abs=0.0)


def test_known_values_against_formulas():
    # a few exact spot checks, independent of torch
    v, g, h = op_derivatives(OPS["mul"], 3.0, -4.0)
    assert (v, g, h) == (-12.0, [-4.0, 3.0], [[0.0, 1.0], [1.0, 0.0]])
    v, g, h = op_derivatives(OPS["div"], 3.0, 2.0)
    assert (v, g) == (1.5, [0.5, -0.75])
    assert h == [[0.0, -0.25], [-0.25, 0.75]]    # d²/db² a/b = 2a/b³
    v, g, h = op_derivatives(power(3), 2.0)
    assert (v, g, h) == (8.0, [12.0], [[12.0]])
    v, g, h = op_derivatives(OPS["exp"], 0.0)
    assert (v, g, h) == (1.0, [1.0], [[1.0]])


# ---------------------------------------------------------------------------
# Random expression graphs over 2-3 inputs, evaluated here and in PyTorch
# ---------------------------------------------------------------------------

class Engine:
    @staticmethod
    def const(c):
        return Var(c)

    add = staticmethod(lambda a, b: a + b)
    sub = staticmethod(lambda a, b: a - b)
    mul = staticmethod(lambda a, b: a * b)
    div_safe = staticmethod(lambda a, b: a / (1.5 + b.tanh()))
    pow_safe = staticmethod(lambda a, b: (1 + a.sigmoid()) ** b.tanh())
    neg = staticmethod(lambda a: -a)
    tanh = staticmethod(lambda a: a.tanh())
    sigmoid = staticmethod(lambda a: a.sigmoid())
    sin = staticmethod(lambda a: a.sin())
    cos = staticmethod(lambda a: a.cos())
    exp_tanh = staticmethod(lambda a: a.tanh().exp())
    log1p_sq = staticmethod(lambda a: (1 + a * a).log())
    sqrt1p_sq = staticmethod(lambda a: (a ** 2 + 1).sqrt())
    cube_sig = staticmethod(lambda a: (a.sigmoid() - 0.5) ** 3)


class Torch:
    @staticmethod
    def const(c):
        return torch.tensor(c, dtype=torch.float64)

    add = staticmethod(lambda a, b: a + b)
    sub = staticmethod(lambda a, b: a - b)
    mul = staticmethod(lambda a, b: a * b)
    div_safe = staticmethod(lambda a, b: a / (1.5 + torch.tanh(b)))
    # u ** v written as exp(v·log u): PyTorch's pow backward drops a
    # second-order term where the exponent is exactly 0 (tanh(0) = 0).
    pow_safe = staticmethod(lambda a, b: torch.exp(torch.tanh(b) * torch.log(1 + torch.sigmoid(a))))
    neg = staticmethod(lambda a: -a)
    tanh = staticmethod(torch.tanh)
    sigmoid = staticmethod(torch.sigmoid)
    sin = staticmethod(torch.sin)
    cos = staticmethod(torch.cos)
    exp_tanh = staticmethod(lambda a: torch.exp(torch.tanh(a)))
    log1p_sq = staticmethod(lambda a: torch.log(1 + a * a))
    sqrt1p_sq = staticmethod(lambda a: torch.sqrt(a ** 2 + 1))
    cube_sig = staticmethod(lambda a: (torch.sigmoid(a) - 0.5) ** 3)


BINARY = ["add", "sub", "mul", "div_safe", "pow_safe"]
UNARY = ["neg", "tanh", "sigmoid", "sin", "cos", "exp_tanh", "log1p_sq", "sqrt1p_sq", "cube_sig"]


@st.composite
def expressions(draw, n_inputs, depth=4):
    """A random expression tree: ("var", i), ("const", c) or (op name, *subtrees)."""
    choice = draw(st.integers(0, 9)) if depth > 0 else 0
    if choice == 0:
        if draw(st.integers(0, 3)) == 0:
            return ("const", draw(real(-2, 2)))
        return ("var", draw(st.integers(0, n_inputs - 1)))
    if choice <= 4:
        return (draw(st.sampled_from(UNARY)), draw(expressions(n_inputs, depth - 1)))
    return (draw(st.sampled_from(BINARY)),
            draw(expressions(n_inputs, depth - 1)), draw(expressions(n_inputs, depth - 1)))


def evaluate(tree, inputs, lib):
    kind = tree[0]
    if kind == "var":
        return inputs[tree[1]]
    if kind == "const":
        return lib.const(tree[1])
    args = [evaluate(t, inputs, lib) for t in tree[1:]]
    return getattr(lib, kind)(*args)


def engine_derivatives(tree, point):
    xs = [Var(v) for v in point]
    out = evaluate(tree, xs, Engine)
    first = grad(out, xs, create_graph=True)
    hessian = [[h.data for h in grad(g, xs)] for g in first]
    return out.data, [g.data for g in first], hessian


def torch_derivatives(tree, point):
    xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    out = evaluate(tree, xs, Torch)
    if not out.requires_grad:  # no input reached the output
        n = len(point)
        return out.item(), [0.0] * n, [[0.0] * n for _ in range(n)]
    first = torch.autograd.grad(out, xs, create_graph=True, allow_unused=True)
    hessian = []
    for g in first:
        if g is None or not g.requires_grad:
            hessian.append([0.0] * len(xs))
        else:
            row = torch.autograd.grad(g, xs, allow_unused=True, retain_graph=True)
            hessian.append([0.0 if h is None else h.item() for h in row])
    return out.item(), [0.0 if g is None else g.item() for g in first], hessian


@st.composite
def expression_and_point(draw):
    n = draw(st.integers(2, 3))
    tree = draw(expressions(n))
    point = draw(st.lists(real(-2, 2), min_size=n, max_size=n))
    return tree, point


TOL = 1e-10


def assert_all_close(ours, theirs, what):
    """Entrywise within TOL relative to the entry, or to the largest entry
    (so that a result cancelling to near 0 is judged on the scale it came from)."""
    scale = max([1.0] + [abs(t) for t in theirs])
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert math.isclose(a, b, rel_tol=TOL, abs_tol=TOL * scale), (what, i, ours, theirs)


@settings(max_examples=300)
@given(expression_and_point())
def test_random_graphs_match_torch(case):
    tree, point = case
    value, first, hessian = engine_derivatives(tree, point)
    t_value, t_first, t_hessian = torch_derivatives(tree, point)
    assert_all_close([value], [t_value], "value")
    assert_all_close(first, t_first, "gradient")
    assert_all_close([h for row in hessian for h in row],
                     [h for row in t_hessian for h in row], "hessian")
    # the engine's Hessian is symmetric up to rounding
    n = len(point)
    flat = [abs(h) for row in hessian for h in row]
    for i in range(n):
        for j in range(i):
            assert math.isclose(hessian[i][j], hessian[j][i], rel_tol=TOL,
                                abs_tol=TOL * max([1.0] + flat))


@settings(max_examples=40)
@given(expression_and_point())
def test_random_graphs_backward_matches_grad(case):
    tree, point = case
    xs = [Var(v) for v in point]
    out = evaluate(tree, xs, Engine)
    gs = grad(out, xs)
    out.backward()
    # backward sums into .grad per Var object; grad() returns per input
    for x, g in zip(xs, gs):
        assert x.grad == g.data


@settings(max_examples=40)
@given(expression_and_point())
def test_random_graphs_gradcheck(case):
    tree, point = case
    assert gradcheck(lambda *xs: evaluate(tree, list(xs), Engine), point)


def test_log1p_keeps_tiny_values_and_refuses_minus_one_and_below_in_words():
    from autodiff import Dual, Tensor, Var, log1p
    import numpy as np
    assert OPS["log1p"](4.2e-18) == 4.2e-18 and OPS["log"](1.0 + 4.2e-18) == 0.0
    x = Var(4.2e-18)
    y = x.log1p()
    y.backward()
    assert (y.data, x.grad) == (4.2e-18, 1.0)
    assert log1p(Dual(1.0, 2.0)).tangent == 1.0
    assert Tensor(np.array([4.2e-18, 1.0])).log1p().data.tolist() == [4.2e-18, math.log1p(1.0)]
    for bad in (-1.0, -2.5):
        with pytest.raises(ValueError, match=rf"log1p: input must be greater than -1, got {bad!r}"):
            OPS["log1p"](bad)
        with pytest.raises(ValueError, match="log1p: input must be greater than -1"):
            Var(bad).log1p()
        with pytest.raises(ValueError, match="log1p"):
            Tensor(np.array([0.5, bad])).log1p()
