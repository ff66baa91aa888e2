"""Property tests: every op of the tensor engine against PyTorch, in float64.

For each op, on random shapes (broadcasting, size-1 axes and empty axes
included where the op allows them) and random values inside the op's domain,
`tensor_cases.check` compares the values, the gradients of a backward pass
with a random upstream gradient, and a Hessian-vector product through
``grad(..., create_graph=True)`` with PyTorch's, to 1e-10 relative (abs error
/ max(1, |torch's value|)). Forward mode (`autodiff.tensor.jvp`) is compared
with ``torch.func.jvp``.

The examples are derandomized (tests/conftest.py), so a failure seen once is
seen on every run.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as npst

import autodiff
from autodiff.tensor import Tensor, concat, jvp, linear, log_softmax, logsumexp, softmax, stack, where
from tensor_cases import (SEEDS, arrays, assert_close, away_from_tan_poles, away_from_zero, axes,
                          broadcastable, check, reals, reduced_count, shapes, t64, to_numpy, torch_dims)

torch = pytest.importorskip("torch")
F = torch.nn.functional

FEW, SOME, MANY = 25, 60, 120  # max_examples: the whole file runs in about 30 s on 2 shared cores


# ----------------------------------------------------------------------------
# Elementwise ops
# ----------------------------------------------------------------------------

# name -> (ours, torch's, the values an input takes)
UNARY = {
    "neg": (lambda x: -x, lambda t: -t, reals(-10, 10)),
    "exp": (Tensor.exp, torch.exp, reals(-20, 20)),
    "log": (Tensor.log, torch.log, reals(0.01, 100)),
    "log1p": (Tensor.log1p, torch.log1p, reals(-0.99, 100)),
    "sqrt": (Tensor.sqrt, torch.sqrt, reals(0.01, 100)),
    "tanh": (Tensor.tanh, torch.tanh, reals(-10, 10)),
    "sigmoid": (Tensor.sigmoid, torch.sigmoid, reals(-30, 30)),
    "relu": (Tensor.relu, torch.relu, away_from_zero(1e-3, 10)),
    "abs": (Tensor.abs, torch.abs, away_from_zero(1e-3, 10)),
    "builtin abs": (abs, torch.abs, away_from_zero(1e-3, 10)),
    "sin": (Tensor.sin, torch.sin, reals(-10, 10)),
    "cos": (Tensor.cos, torch.cos, reals(-10, 10)),
    "tan": (Tensor.tan, torch.tan, away_from_tan_poles()),
}


@pytest.mark.parametrize("name", list(UNARY))
@settings(max_examples=SOME)
@given(data=st.data(), seed=SEEDS)
def test_unary(name, data, seed):
    ours, theirs, values = UNARY[name]
    x = data.draw(arrays(shapes(), values), label="x")
    check(ours, theirs, [x], seed)


def test_every_scalar_op_has_a_property_test():
    names = {name.split()[-1] for name in UNARY} | set(BINARY) | {"pow"}
    assert set(autodiff.ops.OPS) <= names


# name -> (the operator, the values of a, of b)
BINARY = {
    "add": (lambda a, b: a + b, reals(-10, 10), reals(-10, 10)),
    "sub": (lambda a, b: a - b, reals(-10, 10), reals(-10, 10)),
    "mul": (lambda a, b: a * b, reals(-10, 10), reals(-10, 10)),
    "div": (lambda a, b: a / b, reals(-10, 10), away_from_zero(0.1, 10)),
    # a Tensor exponent needs a positive base; b = 0 exactly is left out, where
    # PyTorch's pow backward masks d/da to 0 and so loses ∂²/∂a∂b = 1/a.
    "pow": (lambda a, b: a ** b, reals(0.1, 5), away_from_zero(0.01, 3)),
}


@pytest.mark.parametrize("name", list(BINARY))
@settings(max_examples=MANY)
@given(data=st.data(), seed=SEEDS)
def test_binary(name, data, seed):
    """Both operands Tensors, or one a constant (a numpy array or a Python number), with broadcasting."""
    op, a_values, b_values = BINARY[name]
    a_shape, b_shape = data.draw(broadcastable(2), label="shapes")
    a = data.draw(arrays(a_shape, a_values), label="a")
    b = data.draw(arrays(b_shape, b_values), label="b")
    mode = data.draw(st.sampled_from(["tensors", "a constant", "b constant", "a number", "b number"]))
    if mode == "tensors":
        check(op, op, [a, b], seed)
    elif mode in ("a constant", "a number"):
        a = float(a.reshape(-1)[0]) if mode == "a number" and a.size else a
        check(lambda x: op(a, x), lambda t: op(a if isinstance(a, float) else t64(a), t), [b], seed)
    else:
        b = float(b.reshape(-1)[0]) if mode == "b number" and b.size else b
        check(lambda x: op(x, b), lambda t: op(t, b if isinstance(b, float) else t64(b)), [a], seed)


EXPONENTS = [2, 3, 0, 1, -1, -2, 0.5, 1.5, -0.5, 2.5, 2.0]


@settings(max_examples=MANY)
@given(data=st.data(), seed=SEEDS)
def test_pow_with_a_number_exponent(data, seed):
    n = data.draw(st.sampled_from(EXPONENTS), label="n")
    if float(n).is_integer():
        values = reals(-5, 5) if n >= 0 else away_from_zero(0.2, 5)
    else:
        values = reals(0.1, 5)
    x = data.draw(arrays(shapes(), values), label="x")
    check(lambda x: x ** n, lambda t: t ** n, [x], seed)


@pytest.mark.parametrize("exponent", [np.array([2.0, 3.0, 2.0]), Tensor([2.0, 3.0, 2.0], requires_grad=False)],
                         ids=["a numpy array", "a constant Tensor"])
def test_pow_with_a_constant_exponent_and_a_negative_base(exponent):
    """x ** [2, 3, 2] needs no log(x): only d/dx = n·x^(n-1) is asked for, as with x ** 2 (PyTorch agrees)."""
    n = exponent.data if isinstance(exponent, Tensor) else exponent
    check(lambda x: x ** exponent, lambda t: t ** t64(n), [np.array([-2.0, -0.5, 3.0])], seed=4)


@settings(max_examples=SOME)
@given(data=st.data(), seed=SEEDS)
def test_number_to_the_power_of_a_tensor(data, seed):
    c = data.draw(st.one_of(st.just(2.0), reals(0.1, 5)), label="c")
    x = data.draw(arrays(shapes(), reals(-3, 3)), label="x")
    check(lambda x: c ** x, lambda t: c ** t, [x], seed)


# ----------------------------------------------------------------------------
# Matrix products
# ----------------------------------------------------------------------------

@st.composite
def matmul_shapes(draw):
    """Vectors, matrices and stacks of matrices whose batch shapes broadcast; any size may be 0."""
    n, k, m = (draw(st.integers(0, 3)) for _ in range(3))
    a_batch, b_batch = draw(broadcastable(2, max_dims=2, max_side=3))
    a_kind = draw(st.sampled_from(["vector", "matrix", "batched"]))
    b_kind = draw(st.sampled_from(["vector", "matrix", "batched"]))
    a_shape = {"vector": (k,), "matrix": (n, k), "batched": a_batch + (n, k)}[a_kind]
    b_shape = {"vector": (k,), "matrix": (k, m), "batched": b_batch + (k, m)}[b_kind]
    return a_shape, b_shape


@settings(max_examples=MANY)
@given(data=st.data(), seed=SEEDS)
def test_matmul(data, seed):
    a_shape, b_shape = data.draw(matmul_shapes(), label="shapes")
    a = data.draw(arrays(a_shape, reals(-3, 3)), label="a")
    b = data.draw(arrays(b_shape, reals(-3, 3)), label="b")
    check(lambda x, y: x @ y, torch.matmul, [a, b], seed)


@settings(max_examples=FEW)
@given(data=st.data(), seed=SEEDS)
def test_matmul_with_a_constant(data, seed):
    a_shape, b_shape = data.draw(matmul_shapes(), label="shapes")
    a = data.draw(arrays(a_shape, reals(-3, 3)), label="a")
    b = data.draw(arrays(b_shape, reals(-3, 3)), label="b")
    check(lambda x: a @ x, lambda t: t64(a) @ t, [b], seed)  # numpy's @ defers to the Tensor
    check(lambda x: x @ b, lambda t: t @ t64(b), [a], seed)


@settings(max_examples=SOME)
@given(data=st.data(), seed=SEEDS)
def test_linear(data, seed):
    batch = data.draw(shapes(0, 2, 0, 3), label="batch")  # empty batches too
    n_in, n_out = data.draw(st.integers(1, 4), label="in"), data.draw(st.integers(1, 4), label="out")
    x = data.draw(arrays(batch + (n_in,), reals(-3, 3)), label="x")
    w = data.draw(arrays((n_out, n_in), reals(-3, 3)), label="weight")
    b = data.draw(arrays((n_out,), reals(-3, 3)), label="bias")
    check(linear, F.linear, [x, w, b], seed)


@pytest.mark.parametrize("x_shape, n_out", [((0,), 2), ((3,), 0), ((2, 2, 0), 3), ((2, 3, 4), 0),
                                            ((2, 0), 3), ((0, 3), 2), ((2, 3), 0)])
def test_linear_with_no_features(x_shape, n_out):
    """No input features or no outputs (an empty axis): PyTorch's linear allows both."""
    rng = np.random.default_rng(5)
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal((n_out, x_shape[-1])), rng.standard_normal(n_out)
    check(linear, F.linear, [x, w, b], seed=5)


# ----------------------------------------------------------------------------
# Reductions
# ----------------------------------------------------------------------------

def ties() -> st.SearchStrategy[float]:
    """Values that repeat often, so that a max has ties."""
    return st.one_of(reals(-10, 10), st.sampled_from([-1.0, 0.0, 2.5]))


@pytest.mark.parametrize("name", ["sum", "mean", "max"])
@settings(max_examples=MANY)
@given(data=st.data(), seed=SEEDS)
def test_reduction(name, data, seed):
    shape = data.draw(shapes(0, 4), label="shape")
    axis = data.draw(axes(len(shape)), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    if name != "sum" and reduced_count(shape, axis) == 0:
        shape = tuple(max(n, 1) for n in shape)  # the mean or max of no elements is no number
    x = data.draw(arrays(shape, ties()), label="x")
    dims = torch_dims(axis, len(shape))
    theirs = {"sum": lambda t: torch.sum(t, dim=dims, keepdim=keepdims),
              "mean": lambda t: torch.mean(t, dim=dims, keepdim=keepdims),
              "max": lambda t: torch.amax(t, dim=dims, keepdim=keepdims)}[name]
    check(lambda x: getattr(x, name)(axis=axis, keepdims=keepdims), theirs, [x], seed)


def test_max_shares_the_gradient_among_ties():
    x = Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    x.max(axis=1).backward(np.array([1.0, 3.0]))
    assert np.array_equal(x.grad, [[0.0, 0.5, 0.5], [1.0, 1.0, 1.0]])


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)])
def test_sum_over_empty_axes_is_zero(axis):
    x = Tensor(np.zeros((0, 3)))
    out = x.sum(axis=axis)
    expected = np.zeros((0, 3)).sum(axis=axis)
    assert out.shape == np.shape(expected) and np.array_equal(out.data, expected)
    out.backward(np.ones(out.shape))
    assert x.grad.shape == (0, 3)


# ----------------------------------------------------------------------------
# Shapes: reshape, transpose, indexing, concat, stack, where
# ----------------------------------------------------------------------------

@st.composite
def reshapes(draw):
    """A shape and a new shape of the same size: axes merged, 1s inserted, maybe one -1."""
    shape = draw(shapes(0, 4))
    sizes = list(shape)
    merged = []
    for n in sizes:
        if merged and draw(st.booleans()):
            merged[-1] *= n
        else:
            merged.append(n)
    for _ in range(draw(st.integers(0, 2))):
        merged.insert(draw(st.integers(0, len(merged))), 1)
    if merged and draw(st.booleans()):
        i = draw(st.integers(0, len(merged) - 1))
        if math.prod(merged[:i] + merged[i + 1:]) != 0:  # else -1 cannot be inferred
            merged[i] = -1
    return shape, tuple(merged)


@settings(max_examples=SOME)
@given(data=st.data(), seed=SEEDS)
def test_reshape(data, seed):
    shape, new_shape = data.draw(reshapes(), label="shapes")
    x = data.draw(arrays(shape, reals(-10, 10)), label="x")
    as_tuple = data.draw(st.booleans(), label="as a tuple")
    ours = (lambda x: x.reshape(new_shape)) if as_tuple else (lambda x: x.reshape(*new_shape))
    check(ours, lambda t: t.reshape(new_shape), [x], seed)


@settings(max_examples=SOME)
@given(data=st.data(), seed=SEEDS)
def test_transpose(data, seed):
    shape = data.draw(shapes(0, 4), label="shape")
    x = data.draw(arrays(shape, reals(-10, 10)), label="x")
    ndim = len(shape)
    reverse = tuple(reversed(range(ndim)))
    form = data.draw(st.sampled_from(["axes", "tuple", "none", ".T"]), label="form")
    if form in ("axes", "tuple"):
        perm = data.draw(st.permutations(range(ndim)), label="axes")
        given_axes = [a - ndim if data.draw(st.booleans()) else a for a in perm]  # negative ones too
        ours = ((lambda x: x.transpose(*given_axes)) if form == "axes"
                else (lambda x: x.transpose(tuple(given_axes))))
        check(ours, lambda t: t.permute(tuple(perm)), [x], seed)
    elif form == "none":
        check(lambda x: x.transpose(), lambda t: t.permute(reverse), [x], seed)
    else:
        check(lambda x: x.T, lambda t: t.permute(reverse), [x], seed)


@st.composite
def indexings(draw):
    """A shape and an index into it: ints, slices (negative steps too), None, ...,
    integer arrays (repeated indices too), boolean masks, and mixtures."""
    shape = draw(shapes(1, 3, 0, 5))
    ndim = len(shape)
    kind = draw(st.sampled_from(["basic", "int array", "int arrays", "list", "mask", "mixed"]))

    def int_array(n, array_shapes):
        if n == 0:
            return np.zeros((0,), dtype=np.intp)
        return draw(npst.arrays(np.intp, array_shapes, elements=st.integers(-n, n - 1)))

    if kind == "basic":
        return shape, draw(npst.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    if kind in ("int array", "list"):
        axis = draw(st.integers(0, ndim - 1))
        return shape, (slice(None),) * axis + (int_array(shape[axis], shapes(0, 2, 0, 4)),)
    if kind == "list" and shape[0] > 0:  # (the empty list: test_indexing_with_an_empty_list)
        n = shape[0]
        return shape, draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=5))
    if kind == "int arrays" and ndim >= 2:
        first, second = draw(broadcastable(2, max_dims=2, max_side=3))
        if shape[0] == 0 or shape[1] == 0:
            first = second = (0,)
        return shape, (int_array(shape[0], first), int_array(shape[1], second))
    if kind == "mask":
        k = draw(st.integers(1, ndim))
        mask = draw(npst.arrays(bool, shape[:k]))
        return shape, (mask if draw(st.booleans()) else (Ellipsis, draw(npst.arrays(bool, shape[-1:]))))
    # mixed: an integer array, a slice going backwards, and a new axis
    step = draw(st.sampled_from([-1, -2, 2]))
    rest = (slice(None, None, step), None) if ndim >= 2 else (None,)
    return shape, (int_array(shape[0], shapes(1, 1, 0, 3)),) + rest


def torch_indexing(index, shape):
    """PyTorch's result of numpy's ``x[index]``: numpy says which elements, torch gathers them.

    PyTorch's own slicing has no negative steps, so the positions of the
    elements numpy picks are gathered from the flattened tensor instead; the
    gradient of that gather adds up repeated positions, as it should.
    """
    positions = np.asarray(np.arange(math.prod(shape)).reshape(shape)[index])

    def theirs(t):
        flat = torch.as_tensor(np.ascontiguousarray(positions.reshape(-1)), dtype=torch.long)
        return t.reshape(-1)[flat].reshape(positions.shape)

    return theirs


@settings(max_examples=MANY)
@given(data=st.data(), seed=SEEDS)
def test_indexing(data, seed):
    shape, index = data.draw(indexings(), label="shape, index")
    x = data.draw(arrays(shape, reals(-10, 10)), label="x")
    out = check(lambda x: x[index], torch_indexing(index, shape), [x], seed)
    assert np.array_equal(out.data, np.asarray(x[np.asarray(index) if isinstance(index, list) else index]))


# A few indices PyTorch takes as they are (no negative steps): its own indexing, directly.
DIRECT_INDICES = [
    1, -1, (slice(None), 0), (None, Ellipsis, slice(1, 3)), (Ellipsis, None),
    [0, 0, 2], np.array([[0, 1], [1, 0]]), (slice(1, None), [0, 0, 3]),
    np.array([True, False, True]), (np.array([0, 2]), np.array([3, 3])),
    (Ellipsis, np.array([False, True, True, False])), (slice(None), None, slice(None, None, 2)),
]


@pytest.mark.parametrize("index", DIRECT_INDICES, ids=repr)
def test_indexing_as_torch_indexes(index):
    x = np.random.default_rng(1).standard_normal((3, 4))
    torch_index = (tuple(torch.as_tensor(i) if isinstance(i, (np.ndarray, list)) else i for i in index)
                   if isinstance(index, tuple) else
                   torch.as_tensor(index) if isinstance(index, (np.ndarray, list)) else index)
    check(lambda x: x[index], lambda t: t[torch_index], [x], seed=7)


def test_indexing_with_an_empty_list():
    """``x[[]]`` picks nothing, as in numpy and PyTorch (the list holds no ints, but no floats either)."""
    x = np.arange(6.0).reshape(3, 2)
    assert x[[]].shape == tuple(torch.zeros(3, 2)[[]].shape) == (0, 2)
    check(lambda t: t[[]], lambda t: t[[]], [x], seed=2)


@st.composite
def concat_cases(draw):
    shape = draw(shapes(1, 3, 0, 3))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    sizes = draw(st.lists(st.integers(0, 3), min_size=1, max_size=4))
    pieces = []
    for n in sizes:
        piece_shape = list(shape)
        piece_shape[axis] = n
        pieces.append(draw(arrays(tuple(piece_shape), reals(-10, 10))))
    return axis, pieces


@settings(max_examples=SOME)
@given(case=concat_cases(), seed=SEEDS)
def test_concat(case, seed):
    axis, pieces = case
    check(lambda *xs: concat(list(xs), axis=axis), lambda *ts: torch.cat(ts, dim=axis), pieces, seed)


@st.composite
def stack_cases(draw):
    shape = draw(shapes(0, 3, 0, 3))
    axis = draw(st.integers(-len(shape) - 1, len(shape)))
    count = draw(st.integers(1, 4))
    return axis, [draw(arrays(shape, reals(-10, 10))) for _ in range(count)]


@settings(max_examples=SOME)
@given(case=stack_cases(), seed=SEEDS)
def test_stack(case, seed):
    axis, pieces = case
    check(lambda *xs: stack(list(xs), axis=axis), lambda *ts: torch.stack(ts, dim=axis), pieces, seed)


@settings(max_examples=SOME)
@given(data=st.data(), seed=SEEDS)
def test_where(data, seed):
    c_shape, x_shape, y_shape = data.draw(broadcastable(3), label="shapes")
    condition = data.draw(npst.arrays(bool, c_shape), label="condition")
    x = data.draw(arrays(x_shape, reals(-10, 10)), label="x")
    y = data.draw(arrays(y_shape, reals(-10, 10)), label="y")
    mode = data.draw(st.sampled_from(["tensors", "y a number", "x a constant"]), label="mode")
    tc = torch.as_tensor(condition)
    if mode == "tensors":
        check(lambda a, b: where(condition, a, b), lambda a, b: torch.where(tc, a, b), [x, y], seed)
    elif mode == "y a number":
        check(lambda a: where(condition, a, -1.5), lambda a: torch.where(tc, a, -1.5), [x], seed)
    else:
        check(lambda b: where(condition, x, b), lambda b: torch.where(tc, t64(x), b), [y], seed)


# ----------------------------------------------------------------------------
# Softmax and friends, cross-entropy
# ----------------------------------------------------------------------------

def logits() -> st.SearchStrategy[float]:
    """Ordinary logits, and large ones (about ±1000) where a naive exp overflows."""
    return st.one_of(reals(-10, 10), reals(990, 1000), reals(-1000, -990))


@st.composite
def along_an_axis(draw):
    """A shape with at least one element along ``axis`` (other axes may be empty), and the axis."""
    shape = list(draw(shapes(1, 3, 0, 4)))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    shape[axis] = max(shape[axis], 1)
    return tuple(shape), axis


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@settings(max_examples=MANY)
@given(data=st.data(), seed=SEEDS)
def test_softmax(name, data, seed):
    shape, axis = data.draw(along_an_axis(), label="shape, axis")
    x = data.draw(arrays(shape, logits()), label="x")
    ours = {"softmax": softmax, "log_softmax": log_softmax}[name]
    theirs = {"softmax": torch.softmax, "log_softmax": torch.log_softmax}[name]
    check(lambda x: ours(x, axis=axis), lambda t: theirs(t, dim=axis), [x], seed)


@settings(max_examples=MANY)
@given(data=st.data(), seed=SEEDS)
def test_logsumexp(data, seed):
    shape, axis = data.draw(along_an_axis(), label="shape, axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    x = data.draw(arrays(shape, logits()), label="x")
    check(lambda x: logsumexp(x, axis=axis, keepdims=keepdims),
          lambda t: torch.logsumexp(t, dim=axis, keepdim=keepdims), [x], seed)


@pytest.mark.parametrize("values", [[1000.0, -1000.0, 999.0], [-1000.0, -1000.0], [1000.0, 1000.0, 1000.0]])
def test_large_logits(values):
    for ours, theirs in [(softmax, torch.softmax), (log_softmax, torch.log_softmax),
                         (logsumexp, torch.logsumexp)]:
        check(lambda x: ours(x, axis=0), lambda t: theirs(t, 0), [np.array(values)], seed=3)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_over_an_empty_axis_is_empty(name):
    """PyTorch gives an empty result for an empty axis; so must we (not numpy's own error)."""
    ours = {"softmax": softmax, "log_softmax": log_softmax}[name]
    theirs = {"softmax": torch.softmax, "log_softmax": torch.log_softmax}[name]
    x = Tensor(np.zeros((3, 0)))
    out = ours(x, axis=-1)
    assert out.shape == tuple(theirs(torch.zeros(3, 0, dtype=torch.float64), dim=-1).shape) == (3, 0)
    out.backward(np.zeros((3, 0)))
    assert x.grad.shape == (3, 0)


def test_logsumexp_over_an_empty_axis_is_refused_by_name():
    """PyTorch gives -inf; the kit never returns an inf, and its errors name the op."""
    with pytest.raises(ValueError, match=r"logsumexp"):
        logsumexp(Tensor(np.zeros((3, 0))), axis=-1)


@settings(max_examples=MANY)
@given(data=st.data(), seed=SEEDS)
def test_cross_entropy(data, seed):
    reduction = data.draw(st.sampled_from(["mean", "sum", "none"]), label="reduction")
    classes = data.draw(st.integers(1, 5), label="classes")
    batched = data.draw(st.booleans(), label="batched")
    if batched:
        n = data.draw(st.integers(1, 5), label="n")
        x = data.draw(arrays((n, classes), logits()), label="logits")
        targets = np.array(data.draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)))
    else:  # one sample: logits (C,) and one class index
        x = data.draw(arrays((classes,), logits()), label="logits")
        targets = np.array(data.draw(st.integers(0, classes - 1)))
    check(lambda x: autodiff.losses.cross_entropy(x, targets, reduction=reduction),
          lambda t: F.cross_entropy(t, torch.as_tensor(targets), reduction=reduction), [x], seed)


# ----------------------------------------------------------------------------
# Forward mode: jvp against torch.func.jvp
# ----------------------------------------------------------------------------

def _mixed_ours(x, y):
    joined = concat([x[::-1], y], axis=1).max(axis=1)
    picked = (x.sin() / (y.abs() + 1.0))[[0, 0, 2]].sum(axis=1)
    return stack([joined, picked])


def _mixed_torch(x, y):
    joined = torch.cat([x.flip(0), y], dim=1).amax(dim=1)
    picked = (x.sin() / (y.abs() + 1.0))[[0, 0, 2]].sum(dim=1)
    return torch.stack([joined, picked])


# (name, f on our Tensors, the same f on torch tensors, the primals' shapes); primals in [0.2, 1.5]
COMPOSITES = [
    ("tanh(x @ W) softmax",
     lambda x, W: softmax((x @ W).tanh(), axis=-1),
     lambda x, W: torch.softmax(torch.tanh(x @ W), dim=-1), [(3, 4), (4, 5)]),
    ("logsumexp(x·e^y + Σx²)",
     lambda x, y: logsumexp(x * y.exp() + (x ** 2).sum(axis=0, keepdims=True), axis=0),
     lambda x, y: torch.logsumexp(x * y.exp() + (x ** 2).sum(dim=0, keepdim=True), dim=0), [(4, 3), (3,)]),
    ("linear, relu, mean, log_softmax",
     lambda x, w, b: log_softmax(linear(x, w - 0.7, b).relu() + 0.1, axis=0).mean(axis=1),
     lambda x, w, b: torch.log_softmax(torch.relu(F.linear(x, w - 0.7, b)) + 0.1, dim=0).mean(dim=1),
     [(5, 3), (4, 3), (4,)]),
    ("indexing, concat, stack, max", _mixed_ours, _mixed_torch, [(3, 2), (3, 2)]),
    ("where, reshape, transpose, pow",
     lambda x: where(x.data > 0.8, x ** 3, (2.0 ** x) * x.cos()).reshape(2, -1).T.sqrt(),
     lambda x: torch.where(x > 0.8, x ** 3, (2.0 ** x) * x.cos()).reshape(2, -1).T.sqrt(), [(2, 3)]),
]


@pytest.mark.parametrize("name, ours, theirs, primal_shapes", COMPOSITES, ids=[c[0] for c in COMPOSITES])
def test_jvp_against_torch_func(name, ours, theirs, primal_shapes):
    rng = np.random.default_rng(11)
    primals = [rng.uniform(0.2, 1.5, size=s) for s in primal_shapes]  # positive, for the sqrt
    tangents = [rng.standard_normal(s) for s in primal_shapes]
    out, tangent_out = jvp(ours, primals, tangents)
    t_out, t_tangent = torch.func.jvp(theirs, tuple(t64(p) for p in primals), tuple(t64(v) for v in tangents))
    assert isinstance(out, np.ndarray) and isinstance(tangent_out, np.ndarray)
    assert_close(out, to_numpy(t_out), f"{name}: value")
    assert_close(tangent_out, to_numpy(t_tangent), f"{name}: J·v")


def test_jvp_of_a_function_that_ignores_its_input_is_zero():
    out, tangent = jvp(lambda x: Tensor([1.0, 2.0], requires_grad=False) * 3.0, [np.ones(2)], [np.ones(2)])
    assert np.array_equal(out, [3.0, 6.0]) and np.array_equal(tangent, [0.0, 0.0])


def test_jvp_is_linear_in_the_tangent():
    f = lambda x: (x * x).exp().sum(axis=0)  # noqa: E731
    x, v = np.array([[0.1, 0.2], [0.3, -0.4]]), np.array([[1.0, -2.0], [0.5, 0.25]])
    _, once = jvp(f, [x], [v])
    _, twice = jvp(f, [x], [2 * v])
    assert_close(twice, 2 * once, "J·(2v) = 2·J·v", 1e-14)
