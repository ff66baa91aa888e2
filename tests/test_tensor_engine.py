"""The tensor engine's behaviour: backward, grad, jvp, no_grad, detach, requires_grad;
its errors; float32; and its agreement with the scalar engine and with torch.optim.

* backward on a loss and, with a gradient, on any Tensor; gradients
  accumulate; a failed pass changes no ``.grad``; ``grad()`` touches none;
* constants, ``no_grad()`` and ``detach()`` record nothing to go back through;
* a 10,000-op chain, no reference cycles, the same numbers in every process;
* the errors of the kit's policy: a shape mismatch names the op and both
  shapes, a domain error the op, the value and its index, a bad type the
  type; an overflow raises OverflowError, never a silent inf or nan;
* float32 stays float32;
* the same MLP built on Vars and on Tensors gives the same loss and the same
  gradients, and their state dicts load into each other;
* every optimizer option set of `autodiff.check.training.OPTIMIZER_CHECKS`
  follows torch.optim on Tensor parameters.
"""

from __future__ import annotations

import gc
import os
import pathlib
import subprocess
import sys
import weakref

import numpy as np
import pytest

from autodiff import Var, losses, nn, no_grad
from autodiff.check.training import OPTIMIZER_CHECKS
from autodiff.grad_mode import is_grad_enabled
from autodiff.tensor import (Tensor, concat, grad, jvp, linear, log_softmax, logsumexp, softmax, stack,
                             where)
from autodiff.tensor import nn as tnn
from tensor_cases import assert_close, check, t64, to_numpy

torch = pytest.importorskip("torch")

REPO = pathlib.Path(__file__).resolve().parent.parent


def matrix(*shape, seed=0, lo=-2.0, hi=2.0):
    return np.random.default_rng(seed).uniform(lo, hi, size=shape)


# ----------------------------------------------------------------------------
# backward
# ----------------------------------------------------------------------------

def test_backward_of_a_shape_0_tensor_is_seeded_with_one():
    x = Tensor([[1.0, 2.0], [3.0, -4.0]])
    loss = (x * x).sum()
    assert loss.shape == ()
    loss.backward()
    assert np.array_equal(x.grad, [[2.0, 4.0], [6.0, -8.0]])
    assert np.array_equal(loss.grad, 1.0) and loss.grad.shape == ()


def test_backward_of_a_one_element_tensor_is_seeded_with_one():
    x = Tensor([[1.0, 2.0]])
    loss = (x * 3.0).sum(keepdims=True)
    assert loss.shape == (1, 1)
    loss.backward()
    assert np.array_equal(x.grad, [[3.0, 3.0]])


def test_backward_with_a_gradient():
    x = Tensor(matrix(2, 3))
    y = x * 3.0 + 1.0
    gradient = matrix(2, 3, seed=1)
    y.backward(gradient)
    assert np.array_equal(x.grad, 3.0 * gradient)
    assert np.array_equal(y.grad, gradient)
    gradient[0, 0] = 1e6  # the caller's array is not the Tensor's .grad
    assert y.grad[0, 0] != 1e6


def test_backward_without_the_gradient_names_the_shape():
    y = Tensor(matrix(2, 3)).exp()
    with pytest.raises(RuntimeError, match=r"backward: a Tensor of shape \(2, 3\) needs a gradient"):
        y.backward()


def test_backward_with_a_gradient_of_the_wrong_shape():
    y = Tensor(matrix(2, 3)).exp()
    with pytest.raises(ValueError, match=r"backward: gradient has shape \(3,\), the Tensor \(2, 3\)"):
        y.backward(np.ones(3))


def test_backward_of_a_constant_is_refused():
    c = Tensor([1.0, 2.0], requires_grad=False) * 2.0
    with pytest.raises(RuntimeError, match=r"backward: this Tensor does not require a gradient"):
        c.sum().backward()


def test_gradients_accumulate_exactly_twice_intermediates_too():
    x = Tensor(matrix(3, 2))
    h = x.tanh()
    loss = (h * x).sum() + (h ** 2).mean()
    loss.backward()
    once = {name: t.grad.copy() for name, t in [("x", x), ("h", h), ("loss", loss)]}
    assert np.any(once["x"] != 0) and np.any(once["h"] != 0)
    loss.backward()
    for name, t in [("x", x), ("h", h), ("loss", loss)]:
        assert np.array_equal(t.grad, 2.0 * once[name]), name


def test_gradients_of_two_outputs_add_up():
    x = Tensor([1.0, 2.0])
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    assert np.array_equal(x.grad, [3.0 + 2.0, 3.0 + 4.0])


def test_an_overflow_in_backward_changes_no_grad():
    a, b = Tensor([2.0]), Tensor([1.0])
    (a * b).sum().backward()
    before = a.grad.copy(), b.grad.copy()
    y = a * 1e300 + b                       # finite: 2e300 + 1
    with pytest.raises(OverflowError, match=r"backward: the gradient reaching .* is not finite"):
        y.backward(np.array([1e10]))        # a's gradient is 1e310
    assert np.array_equal(a.grad, before[0]) and np.array_equal(b.grad, before[1])
    assert np.array_equal(y.grad, [0.0])    # the root itself got nothing either


def test_an_error_midway_changes_no_grad():
    """The pow's VJP refuses a negative base after c has received its share: c's .grad stays."""
    c, a, b = Tensor([1.0, 2.0]), Tensor([-2.0, 3.0]), Tensor([2.0, 2.0])
    (c * 1.0).sum().backward()
    loss = (a ** b).sum() + (c * 5.0).sum()   # reversed order: c's branch first, then the pow
    with pytest.raises(ValueError, match=r"pow: .*positive base, got -2\.0 at index \(0,\)"):
        loss.backward()
    assert np.array_equal(c.grad, [1.0, 1.0])
    assert a._grad is None and b._grad is None
    (c * 5.0).sum().backward()               # nothing of the failed pass is left behind
    assert np.array_equal(c.grad, [6.0, 6.0])


# ----------------------------------------------------------------------------
# grad
# ----------------------------------------------------------------------------

def test_grad_leaves_grad_untouched():
    x, y = Tensor(matrix(2, 2)), Tensor(matrix(2, 2, seed=1))
    h = x * y
    (h.sum() * 2.0).backward()
    before = x.grad.copy(), y.grad.copy(), h.grad.copy()
    gx, gy = grad((h * x).sum(), [x, y])
    assert np.allclose(gx.data, 2 * x.data * y.data, rtol=1e-15) and np.allclose(gy.data, x.data ** 2, rtol=1e-15)
    assert np.array_equal(x.grad, before[0]) and np.array_equal(y.grad, before[1])
    assert np.array_equal(h.grad, before[2])
    assert not gx.requires_grad and not gy.requires_grad


@pytest.mark.parametrize("create_graph", [False, True])
def test_grad_gives_zeros_for_an_input_the_output_does_not_use(create_graph):
    x, unused = Tensor([1.0, 2.0]), Tensor([[1.0, 2.0, 3.0]])
    gx, gu = grad((x ** 3).sum(), [x, unused], create_graph=create_graph)
    assert np.array_equal(gx.data, [3.0, 12.0])
    assert gu.shape == (1, 3) and gu.dtype == np.float64 and np.array_equal(gu.data, np.zeros((1, 3)))
    assert unused._grad is None


def test_grad_of_grad():
    x = Tensor([0.5, -1.5])
    (g,) = grad((x ** 3).sum(), [x], create_graph=True)
    assert g.requires_grad
    (h,) = grad(g.sum(), [x])
    assert np.array_equal(h.data, 6.0 * x.data)
    assert x._grad is None


def test_grad_with_a_tensor_grad_output():
    x = Tensor([1.0, 2.0])
    u = Tensor([3.0, -1.0])
    (g,) = grad(x.exp(), [x], create_graph=True, grad_output=u)
    assert_close(g.data, u.data * np.exp(x.data), "u ⊙ exp(x)", 1e-15)
    (du,) = grad(g.sum(), [u])                       # the result is differentiable in u as well
    assert_close(du.data, np.exp(x.data), "d/du", 1e-15)


# ----------------------------------------------------------------------------
# Constants, no_grad, detach
# ----------------------------------------------------------------------------

def test_a_constant_gets_no_gradient():
    x, c = Tensor([1.0, 2.0]), Tensor([3.0, 4.0], requires_grad=False)
    loss = (x * c).sum()
    loss.backward()
    assert np.array_equal(x.grad, [3.0, 4.0])
    assert c._grad is None and np.array_equal(c.grad, [0.0, 0.0])
    made_of_constants = c * 2.0 + c.exp()
    assert not made_of_constants.requires_grad and made_of_constants.op is None
    assert made_of_constants.parents == ()


def test_python_numbers_and_numpy_arrays_are_constants():
    x = Tensor([0.5, 1.0, 1.5])
    a = np.array([1.0, -2.0, 3.0])
    results = [x * 2, 2 * x, x + a, a - x, a * x, x / a, 1 / x, 2 ** x, x ** a, np.float64(2.0) * x,
               a @ x, np.ones((2, 3)) @ x, where(x.data > 1, x, 0.0), concat([x, a]), stack([a, x])]
    for out in results:
        assert isinstance(out, Tensor) and out.requires_grad and out.op is not None
        constants = [p for p in out.parents if p is not x]
        assert constants and all(not p.requires_grad and p.op is None for p in constants), out.op.name
    loss = sum((out.sum() for out in results), Tensor(0.0, requires_grad=False))
    loss.backward()
    for out in results:
        for p in out.parents:
            if p is not x:
                assert p._grad is None


def test_a_composite_with_constants_against_torch():
    a, m = np.array([1.0, -2.0, 3.0]), matrix(2, 3, seed=4)

    def ours(x):
        return (2.0 * x - a) * np.arange(3.0) / (1.5 + x ** 2) + 2 ** x + (m @ x).sum() - 1 / x

    def theirs(t):
        return ((2.0 * t - t64(a)) * t64(np.arange(3.0)) / (1.5 + t ** 2) + 2 ** t + (t64(m) @ t).sum() - 1 / t)

    check(ours, theirs, [np.array([0.5, -1.0, 1.5])], seed=1)


def test_data_as_a_numpy_array_in_linear():
    X = matrix(4, 3, seed=9)
    out = check(lambda w, b: linear(X, w, b), lambda w, b: torch.nn.functional.linear(t64(X), w, b),
                [matrix(2, 3, seed=10), matrix(2, seed=11)], seed=3)
    assert not out.parents[0].requires_grad


def test_no_grad_records_nothing():
    x = Tensor(matrix(2, 3))
    with no_grad():
        assert not is_grad_enabled()
        outs = [x * 2.0, x.exp(), x @ x.T, softmax(x), x.sum(), x[0], concat([x, x]), linear(x, x, x[:, 0])]
    assert is_grad_enabled()
    for out in outs:
        assert not out.requires_grad and out.op is None and out.parents == ()
    with pytest.raises(RuntimeError, match="does not require a gradient"):
        outs[-1].sum().backward()
    assert x._grad is None


def test_no_grad_is_restored_after_an_error():
    with pytest.raises(ValueError, match="log"):
        with no_grad():
            Tensor([-1.0]).log()
    assert is_grad_enabled()
    assert (Tensor([1.0]) * 2.0).requires_grad


def test_detach_stops_the_gradient():
    x = Tensor([0.5, -1.0])
    y = x.exp()
    d = y.detach()
    assert d.op is None and d.parents == () and np.array_equal(d.data, y.data)
    (d * y).sum().backward()            # d counts as a constant for x
    assert np.array_equal(x.grad, y.data * y.data)
    assert np.array_equal(y.grad, d.data)


# ----------------------------------------------------------------------------
# Depth, memory, determinism
# ----------------------------------------------------------------------------

def test_a_10000_op_chain():
    x = Tensor([1.0, -1.0])
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    expected = 1.0
    for _ in range(10_000):
        expected *= 1.0001
    assert np.array_equal(x.grad, [expected, expected])
    (g,) = grad(y.sum(), [x], create_graph=True)  # the pass with graphs is iterative too
    assert np.array_equal(g.data, [expected, expected])
    del y, g


def _live_tensors() -> int:
    return sum(1 for o in gc.get_objects() if type(o) is Tensor)


def test_no_reference_cycles():
    gc.collect()
    baseline = _live_tensors()
    gc.disable()
    try:
        x, w = Tensor(matrix(4, 3)), Tensor(matrix(3, 2, seed=1))
        hidden = (x @ w).tanh()
        alive = weakref.ref(hidden.data)   # (a Tensor has no __weakref__ slot: its array stands in)
        loss = losses.cross_entropy(hidden, [0, 1, 1, 0]) + softmax(hidden)[[0, 0], 1].sum()
        loss.backward()
        g = grad(loss, [x, w], create_graph=True)
        h = grad((g[0] * g[0]).sum(), [w])
        assert _live_tensors() > baseline + 20  # the graphs are really there
        del x, w, hidden, loss, g, h
        assert alive() is None                 # reference counting alone freed the intermediate ...
        assert _live_tensors() == baseline     # ... and every other node
        assert gc.collect() == 0               # and the cycle collector finds nothing to do
    finally:
        gc.enable()


def test_no_reference_cycles_after_a_failed_backward():
    gc.collect()
    baseline = _live_tensors()
    gc.disable()
    try:
        a, b = Tensor([-2.0]), Tensor([2.0])
        with pytest.raises(ValueError, match="pow"):
            (a ** b * 3.0).sum().backward()
        del a, b
        assert _live_tensors() == baseline
    finally:
        gc.enable()


DETERMINISM_SCRIPT = r'''
import hashlib
import numpy as np
from autodiff import losses
from autodiff.tensor import Tensor, grad
from autodiff.tensor import nn as tnn

model = tnn.MLP(3, [8, 8, 3], activation="tanh", rng=5)
X = Tensor(np.random.default_rng(1).standard_normal((16, 3)), requires_grad=False)
y = np.random.default_rng(2).integers(0, 3, 16)
loss = losses.cross_entropy(model(X), y)
loss.backward()
print("loss", loss.item().hex())
for name, p in model.named_parameters():
    print(name, hashlib.sha256(p.grad.tobytes()).hexdigest())
w = model.parameters()[0]
(g,) = grad(loss, [w], create_graph=True)
(h,) = grad((g * g).sum(), [w])
print("hvp", hashlib.sha256(h.data.tobytes()).hexdigest())
print("hash", hash("autodiff"))
'''


def _run(hash_seed: int) -> tuple[list[str], str]:
    env = dict(os.environ, PYTHONHASHSEED=str(hash_seed))
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in [env.get("PYTHONPATH")] if p])
    result = subprocess.run([sys.executable, "-c", DETERMINISM_SCRIPT], env=env, capture_output=True,
                            text=True, timeout=120, cwd=str(REPO))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    return lines[:-1], lines[-1]


def test_the_same_numbers_in_two_processes():
    first, hash1 = _run(0)
    second, hash2 = _run(4242)
    assert hash1 != hash2                     # the hash seeds really differed
    assert len(first) == 1 + 6 + 1            # the loss, 6 parameter tensors, the hvp
    assert first == second


# ----------------------------------------------------------------------------
# float32
# ----------------------------------------------------------------------------

FLOAT32_FUNCTIONS = {
    "arithmetic with numbers": lambda x: (x * 2.5 + 1) / 3 - 0.5 ** x + x ** 2,
    "numpy float64 constants": lambda x: x * np.array([1.5, 2.0, 3.0]) + (np.ones((2, 2)) @ x) ** 2 - np.ones(3),
    "unary ops": lambda x: x.exp() + x.log() + x.sqrt() + x.sin() + x.cos() + x.tan() + x.tanh() + x.sigmoid()
    + x.relu() + abs(x) - x,
    "reductions": lambda x: x.sum() + x.mean(axis=0) + x.max(axis=-1, keepdims=True),
    "matmul, linear": lambda x: (x @ x.T).sum() + linear(x, x.T.T, x[:, 0]),
    "shapes": lambda x: concat([x.reshape(-1), x.T[::-1, 0]]) + stack([x[0], x[1, [2, 1, 0]]]).sum(axis=0).sum(),
    "where": lambda x: where(x.data > 0.5, x, 2.0),
    "softmax and friends": lambda x: softmax(x) + log_softmax(x, axis=0) + logsumexp(x, axis=1, keepdims=True),
    "losses": lambda x: losses.cross_entropy(x, [0, 2]) + losses.mse_loss(x, np.ones((2, 3)))
    + losses.binary_cross_entropy_with_logits(x, np.zeros((2, 3))) + losses.hinge_loss(x, np.ones((2, 3))),
}


@pytest.mark.parametrize("name", list(FLOAT32_FUNCTIONS))
def test_float32_stays_float32(name):
    f = FLOAT32_FUNCTIONS[name]
    x = Tensor(np.array([[0.25, 0.5, 0.75], [1.0, 0.3, 0.6]]), dtype=np.float32)
    out = f(x)
    assert out.dtype == np.float32
    out.backward(np.ones(out.shape, dtype=np.float32))
    assert x.grad.dtype == np.float32 and out.grad.dtype == np.float32
    (g,) = grad(out, [x], create_graph=True, grad_output=np.ones(out.shape))
    assert g.dtype == np.float32
    x64 = Tensor(x.data.astype(np.float64))
    (g64,) = grad(f(x64), [x64], grad_output=np.ones(out.shape))
    assert np.allclose(x.grad, g64.data, rtol=1e-4, atol=1e-4)  # the same gradient, in float32


MIXED_DTYPES = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "pow": lambda a, b: a ** b,
    "matmul": lambda a, b: a @ b,
    "where": lambda a, b: where(np.array([True, False]), a, b),
    "concat": lambda a, b: concat([a, b]),
}


@pytest.mark.parametrize("name", list(MIXED_DTYPES))
def test_mixing_float32_and_float64_tensors_is_refused_by_every_op(name):
    """matmul, where and concat refuse a float32 and a float64 Tensor together; so must the
    elementwise ops, or a float32 model silently turns float64."""
    a, b = Tensor([1.0, 2.0], dtype=np.float32), Tensor([3.0, 4.0])
    with pytest.raises(TypeError, match=rf"{name}: operands of different dtypes \['float32', 'float64'\]"):
        MIXED_DTYPES[name](a, b)


def test_a_float32_model_trains_in_float32():
    from autodiff.optim import Adam

    model = tnn.MLP(3, [4, 2], rng=0, dtype=np.float32)
    optimizer = Adam(model.parameters(), lr=0.01)
    X = Tensor(matrix(5, 3), dtype=np.float32, requires_grad=False)
    for _ in range(3):
        optimizer.zero_grad()
        loss = losses.cross_entropy(model(X), [0, 1, 1, 0, 1])
        assert loss.dtype == np.float32
        loss.backward()
        optimizer.step()
    for p in model.parameters():
        assert p.dtype == np.float32 and p.grad.dtype == np.float32
        assert all(v.dtype == np.float32 for v in optimizer.state[p].values() if isinstance(v, np.ndarray))


# ----------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------

def _x(*shape):
    return Tensor(np.ones(shape))


SHAPE_ERRORS = [
    ("add", lambda: _x(2, 3) + _x(4), r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast"),
    ("sub with an array", lambda: _x(2, 3) - np.ones(4), r"sub: shapes \(2, 3\) and \(4,\) cannot be broadcast"),
    ("mul", lambda: _x(3) * _x(2, 2), r"mul: shapes \(3,\) and \(2, 2\) cannot be broadcast"),
    ("div", lambda: _x(5, 1, 2) / _x(5, 3), r"div: shapes \(5, 1, 2\) and \(5, 3\) cannot be broadcast"),
    ("pow", lambda: _x(2) ** _x(3), r"pow: shapes \(2,\) and \(3,\) cannot be broadcast"),
    ("matmul", lambda: _x(2, 3) @ _x(4, 5), r"matmul: shapes \(2, 3\) and \(4, 5\) do not fit"),
    ("matmul vectors", lambda: _x(3) @ _x(4), r"matmul: shapes \(3,\) and \(4,\) do not fit"),
    ("matmul batch", lambda: _x(2, 3, 4) @ _x(3, 4, 5), r"matmul: the batch shapes of \(2, 3, 4\) and \(3, 4, 5\)"),
    ("matmul 0-d", lambda: _x() @ _x(3),
     r"matmul: both operands need at least one dimension, got shapes \(\) and \(3,\)"),
    ("linear", lambda: linear(_x(2, 3), _x(4, 5), _x(4)),
     r"linear: input \(2, 3\), weight \(4, 5\) and bias \(4,\) do not fit"),
    ("concat", lambda: concat([_x(2, 3), _x(2, 4)]), r"concat: shapes \(2, 3\), \(2, 4\) differ outside axis 0"),
    ("stack", lambda: stack([_x(2, 3), _x(2, 4)]), r"stack: shapes \(2, 3\), \(2, 4\) differ"),
    ("where", lambda: where(np.ones((2, 3), bool), _x(4), 0.0), r"where: shapes \(2, 3\) and \(4,\)"),
    ("reshape", lambda: _x(2, 3).reshape(4, 2), r"reshape: cannot reshape \(2, 3\) \(6 elements\) to \(4, 2\)"),
    ("transpose", lambda: _x(2, 3).transpose(0), r"transpose: give all 2 axes of \(2, 3\), got \(0,\)"),
    ("sum axis", lambda: _x(2, 3).sum(axis=2), r"sum: axis 2 is out of range"),
    ("softmax axis", lambda: softmax(_x(2, 3), axis=-3),
     r"softmax: axis -3 is out of range for a Tensor of shape \(2, 3\)"),
    ("mse_loss", lambda: losses.mse_loss(_x(3), [1.0, 2.0]),
     r"mse_loss: input has shape \(3,\) but target has shape \(2,\)"),
    ("cross_entropy", lambda: losses.cross_entropy(_x(3, 4), [0, 1]),
     r"cross_entropy: input has 3 samples but target has shape \(2,\)"),
]


@pytest.mark.parametrize("name, make, message", SHAPE_ERRORS, ids=[e[0] for e in SHAPE_ERRORS])
def test_a_shape_mismatch_names_the_op_and_the_shapes(name, make, message):
    with pytest.raises(ValueError, match=message):
        make()


DOMAIN_ERRORS = [
    ("log of a negative", lambda: Tensor([[1.0, -2.0]]).log(), ValueError,
     r"log: input must be positive, got -2\.0 at index \(0, 1\)"),
    ("log of 0", lambda: Tensor([3.0, 0.0]).log(), ValueError,
     r"log: input must be positive, got 0\.0 at index \(1,\)"),
    ("sqrt of a negative", lambda: Tensor([4.0, -2.0]).sqrt(), ValueError,
     r"sqrt: input must not be negative, got -2\.0 at index \(1,\)"),
    ("division by zero", lambda: Tensor([1.0, 2.0]) / Tensor([1.0, 0.0]), ZeroDivisionError,
     r"div: division by zero \(2\.0 / 0\.0\) at index \(1,\)"),
    ("a number divided by zero", lambda: 1.0 / Tensor([[1.0], [0.0]]), ZeroDivisionError,
     r"div: division by zero \(1\.0 / 0\.0\) at index \(1, 0\)"),
    ("division by a zero constant", lambda: Tensor([1.0, 2.0]) / np.array([0.0, 1.0]), ZeroDivisionError,
     r"div: division by zero \(1\.0 / 0\.0\) at index \(0,\)"),
    ("0 to a negative power", lambda: Tensor([1.0, 0.0]) ** -1, ZeroDivisionError,
     r"pow: 0\.0 cannot be raised to a negative power \(-1\.0\) at index \(1,\)"),
    ("a negative base to a fractional power", lambda: Tensor([-1.0]) ** 0.5, ValueError,
     r"pow: a negative base \(-1\.0\) to a fractional power \(0\.5\) is not a real number at index \(0,\)"),
    ("mean of nothing", lambda: Tensor(np.zeros((0, 2))).mean(axis=0), ValueError, r"mean: the mean of no elements"),
    ("max of nothing", lambda: Tensor(np.zeros((0, 2))).max(), ValueError, r"max: the max of no elements"),
    ("a class out of range", lambda: losses.cross_entropy(_x(2, 4), [0, 5]), IndexError,
     r"cross_entropy: target\[1\] = 5 is out of range for 4 classes"),
    ("an index out of range", lambda: _x(3)[5], IndexError, r"getitem: index 5 is out of bounds.*\(shape \(3,\)\)"),
    ("inf as data", lambda: Tensor([1.0, np.inf]), ValueError,
     r"Tensor: expected finite numbers, got (np\.float64\()?inf\)? at index \(1,\)"),
    ("nan as data", lambda: Tensor([[np.nan]]), ValueError,
     r"Tensor: expected finite numbers, got (np\.float64\()?nan\)? at index \(0, 0\)"),
    ("nan as a constant", lambda: _x(2) + np.array([0.0, np.nan]), ValueError,
     r"add: expected finite numbers, got (np\.float64\()?nan\)? at index \(1,\)"),
]


@pytest.mark.parametrize("name, make, error, message", DOMAIN_ERRORS, ids=[e[0] for e in DOMAIN_ERRORS])
def test_a_domain_error_names_the_op_the_value_and_the_index(name, make, error, message):
    with pytest.raises(error, match=message):
        make()


TYPE_ERRORS = [
    ("a string as data", lambda: Tensor("abc"), r"Tensor: expected numbers .*got str 'abc'"),
    ("None as data", lambda: Tensor(None), r"Tensor: expected numbers .*got NoneType"),
    ("complex data", lambda: Tensor([1 + 2j]), r"Tensor: complex numbers are not supported"),
    ("booleans", lambda: Tensor([True, False]), r"Tensor: expected numbers, got booleans"),
    ("objects", lambda: Tensor([object()]), r"Tensor: expected numbers, got an array of object"),
    ("an int dtype", lambda: Tensor([1.0], dtype=np.int32), r"Tensor: dtype must be float64 or float32, got int32"),
    ("a string operand", lambda: _x(2) + "a", r"add: expected numbers .*got str 'a'"),
    ("None as an operand", lambda: _x(2) * None, r"mul: expected numbers .*got NoneType"),
    ("a list of strings", lambda: _x(2) @ ["a", "b"], r"matmul: expected numbers, got an array of <U1"),
    ("a float axis", lambda: _x(2, 3).sum(axis=1.5), r"sum: axis must be an int or a tuple of ints, got float"),
    ("a keepdims that is not a bool", lambda: _x(2).max(keepdims=1), r"max: keepdims must be True or False, got int"),
    ("a float size", lambda: _x(2).reshape(2.5), r"reshape: sizes must be ints, got float 2\.5"),
    ("a Tensor index", lambda: _x(3)[Tensor([0.0])], r"getitem: index with a numpy array or a list, not a Tensor"),
    ("a float condition", lambda: where(np.ones(2), _x(2), 0.0),
     r"where: the condition must be booleans, got an array of float64"),
    ("softmax of an array", lambda: softmax(np.ones(3)), r"softmax: expected a Tensor, got ndarray"),
    ("concat of a Tensor", lambda: concat(_x(2, 2)), r"concat: expected a list of tensors, got Tensor"),
    ("grad for an array", lambda: grad(_x(2).sum(), [np.ones(2)]),
     r"grad: inputs\[0\] must be a Tensor, got ndarray"),
    ("grad of an array", lambda: grad(np.ones(2), [_x(2)]), r"grad: expected a Tensor, got ndarray"),
    ("requires_grad as a string", lambda: Tensor([1.0], requires_grad="yes"),
     r"requires_grad must be True or False, got str"),
    ("a label that is not a str", lambda: Tensor([1.0], label=3), r"Tensor: label must be a str, got int"),
    ("a string gradient", lambda: _x(2).exp().backward("abc"), r"backward: gradient: expected numbers .*got str"),
    ("float class indices", lambda: losses.cross_entropy(_x(2, 3), [0.5, 1.0]),
     r"cross_entropy: target must be class indices \(ints\), got an array of float64"),
    ("float32 @ float64", lambda: Tensor([1.0], dtype=np.float32) @ Tensor([1.0]),
     r"matmul: operands of different dtypes \['float32', 'float64'\]"),
    ("the truth of a Tensor", lambda: bool(_x(2)), r"the truth value of a Tensor is ambiguous"),
    ("a Tensor times a Var", lambda: _x(2) * Var(2.0), r"^mul: a Tensor and a Var cannot be mixed"),
    ("a Var plus a Tensor", lambda: Var(2.0) + _x(2), r"^add: expected a real number or a Var, got Tensor"),
    ("jvp of a non-callable", lambda: jvp(3, [np.ones(2)], [np.ones(2)]), r"jvp: f must be callable, got int"),
    ("jvp returning an array", lambda: jvp(lambda x: x.data, [np.ones(2)], [np.ones(2)]),
     r"jvp: f must return a Tensor, got ndarray"),
]


@pytest.mark.parametrize("name, make, message", TYPE_ERRORS, ids=[e[0] for e in TYPE_ERRORS])
def test_a_bad_type_names_the_type(name, make, message):
    with pytest.raises(TypeError, match=message):
        make()


OVERFLOWS = [
    ("exp", lambda: Tensor([1.0, 1000.0]).exp(), r"exp: exp\(1000\.0\) is too large for a float .*at index \(1,\)"),
    ("mul", lambda: Tensor([1e10]) * 1e300,
     r"mul\(10000000000\.0, 1e\+300\) is too large for a float at index \(0,\)"),
    ("add", lambda: Tensor([1.7e308]) + Tensor([1.7e308]), r"add\(1\.7e\+308, 1\.7e\+308\) is too large"),
    ("pow, a number exponent", lambda: Tensor([1e200]) ** 2, r"pow"),
    ("pow, a number base", lambda: 10.0 ** Tensor([1.0, 400.0]), r"pow.*at index \(1,\)"),
    ("div", lambda: Tensor([1e300]) / 1e-10, r"div"),
    ("float32 mul", lambda: Tensor([1e30], dtype=np.float32) * 1e10, r"mul.*float32"),
    ("sum", lambda: Tensor([1e308, 1e308]).sum(), r"sum: the result is too large for float64"),
    ("mean", lambda: Tensor([1.7e308, 1.7e308]).mean(), r"mean"),
    ("matmul", lambda: Tensor([1e308, 1e308]) @ Tensor([1e308, 1.0]), r"matmul: the result is too large"),
    ("linear", lambda: linear(Tensor([[1e308, 1e308]]), Tensor([[10.0, 1.0]]), Tensor([0.0])),
     r"linear: the result at index \(0, 0\) is too large"),
    ("log_softmax", lambda: log_softmax(Tensor([1e308, -1e308])), r"log_softmax"),
]


@pytest.mark.parametrize("name, make, message", OVERFLOWS, ids=[e[0] for e in OVERFLOWS])
def test_an_overflow_raises_overflow_error(name, make, message):
    with pytest.raises(OverflowError, match=message):
        make()


def test_grad_refuses_an_overflowing_gradient():
    x = Tensor([1.0, 2.0])
    with pytest.raises(OverflowError, match=r"grad: the gradient of an input of shape \(2,\) is not finite"):
        grad(x * 1e300, [x], grad_output=np.array([1.0, 1e10]))  # 1e310
    with pytest.raises(OverflowError, match=r"mul"):             # with create_graph: the op that overflows
        grad(x * 1e300, [x], create_graph=True, grad_output=np.array([1.0, 1e10]))


def test_grad_with_create_graph_refuses_an_overflowing_gradient():
    """Repeated indices add their gradients up: 1e308 + 1e308 is no float64; never a silent inf."""
    x = Tensor([1.0])
    y = x[[0, 0]]
    with pytest.raises(OverflowError):
        grad(y, [x], create_graph=True, grad_output=np.array([1e308, 1e308]))


# ----------------------------------------------------------------------------
# The tensor engine agrees with the scalar engine
# ----------------------------------------------------------------------------

BATCH = np.random.default_rng(3).uniform(-2, 2, size=(6, 3))
TARGETS = {
    "mse": np.random.default_rng(4).standard_normal(6),
    "bce with logits": np.array([0.0, 1.0, 1.0, 0.0, 0.25, 1.0]),
    "bce": np.array([0.0, 1.0, 1.0, 0.0, 0.25, 1.0]),
    "hinge": np.array([1.0, -1.0, 1.0, 1.0, 1.0, -1.0]),
    "cross_entropy": np.array([0, 2, 1, 1, 0, 2]),
}


def _loss(name, outputs, reduction):
    """The loss of a batch of model outputs: lists of Vars (B, k), or a Tensor (B, k)."""
    y = TARGETS[name]
    if name == "mse":
        return losses.mse_loss(outputs, y if isinstance(outputs, Tensor) else y.tolist(), reduction)
    if name == "bce with logits":
        return losses.binary_cross_entropy_with_logits(outputs, y if isinstance(outputs, Tensor) else y.tolist(),
                                                       reduction)
    if name == "bce":
        p = outputs.sigmoid() if isinstance(outputs, Tensor) else [[o.sigmoid() for o in row] for row in outputs]
        return losses.binary_cross_entropy(p, y if isinstance(outputs, Tensor) else y.tolist(), reduction)
    if name == "hinge":
        return losses.hinge_loss(outputs, y if isinstance(outputs, Tensor) else y.tolist(), reduction)
    return losses.cross_entropy(outputs, y if isinstance(outputs, Tensor) else y.tolist(), reduction)


def _twins(activation, n_out, seed=11):
    return (nn.MLP(3, [5, 4, n_out], activation=activation, rng=seed),
            tnn.MLP(3, [5, 4, n_out], activation=activation, rng=seed))


def _scalar_values(tree):
    return np.array(nn._tree_map(lambda v: v.data, tree))


def _scalar_grads(tree):
    return np.array(nn._tree_map(lambda v: v.grad, tree))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("loss_name", list(TARGETS))
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "identity"])
def test_the_same_mlp_on_both_engines(activation, loss_name, reduction):
    scalar, tensor = _twins(activation, 3 if loss_name == "cross_entropy" else 1)
    scalar_loss = _loss(loss_name, scalar(BATCH.tolist()), reduction)
    tensor_loss = _loss(loss_name, tensor(Tensor(BATCH, requires_grad=False)), reduction)
    assert isinstance(scalar_loss, Var) and isinstance(tensor_loss, Tensor) and tensor_loss.shape == ()
    assert_close(tensor_loss.item(), scalar_loss.data, "loss", 1e-12)
    scalar_loss.backward()
    tensor_loss.backward()
    tensors = dict(tensor.named_tensors())
    assert list(tensors) == [name for name, _ in scalar.named_tensors()]
    for name, tree in scalar.named_tensors():
        assert_close(tensors[name].grad, _scalar_grads(tree), f"gradient of {name}", 1e-12)
        assert np.any(tensors[name].grad != 0), name


def test_both_engines_draw_the_same_initial_weights():
    scalar, tensor = _twins("tanh", 2, seed=123)
    assert scalar.state_dict() == tensor.state_dict()
    for name, tree in scalar.named_tensors():
        assert np.array_equal(dict(tensor.named_tensors())[name].data, _scalar_values(tree))


def test_state_dicts_load_into_the_other_engine():
    scalar, tensor = nn.MLP(3, [4, 2], rng=1), tnn.MLP(3, [4, 2], rng=2)
    assert scalar.state_dict() != tensor.state_dict()
    tensor.load_state_dict(scalar.state_dict())
    assert tensor.state_dict() == scalar.state_dict()
    out_s, out_t = scalar(BATCH.tolist()), tensor(Tensor(BATCH))
    assert_close(out_t.data, [[v.data for v in row] for row in out_s], "outputs after loading", 1e-12)

    other = nn.MLP(3, [4, 2], rng=3)
    tensor2 = tnn.MLP(3, [4, 2], rng=4)
    other.load_state_dict(tensor2.state_dict())
    assert other.state_dict() == tensor2.state_dict()
    for p in tensor.parameters():
        assert p.dtype == np.float64 and p.op is None and p.requires_grad


# ----------------------------------------------------------------------------
# Optimizers on Tensors against torch.optim
# ----------------------------------------------------------------------------

X_OPT = np.random.default_rng(5).uniform(-1, 1, size=(5, 3))
Y_OPT = np.random.default_rng(6).uniform(-1, 1, size=(5, 4))
W0, B0 = np.random.default_rng(7).uniform(-1, 1, size=(3, 4)), np.random.default_rng(8).uniform(-1, 1, size=4)


def _objective(W, b, X, Y):
    """Written with operators and methods both libraries have."""
    prediction = (X @ W + b).tanh()
    return ((prediction - Y) ** 2).sum() + 0.1 * (W ** 2).sum() + ((b - 0.5) ** 4).sum()


@pytest.mark.parametrize("name, ours, theirs", OPTIMIZER_CHECKS, ids=[c[0] for c in OPTIMIZER_CHECKS])
def test_optimizers_on_tensors_follow_torch(name, ours, theirs):
    W, b = Tensor(W0.copy()), Tensor(B0.copy())
    tW, tb = t64(W0, requires_grad=True), t64(B0, requires_grad=True)
    mine, torch_opt = ours([W, b]), theirs([tW, tb])
    tX, tY = t64(X_OPT), t64(Y_OPT)
    for step in range(50):
        mine.zero_grad()
        torch_opt.zero_grad()
        _objective(W, b, X_OPT, Y_OPT).backward()
        _objective(tW, tb, tX, tY).backward()
        mine.step()
        torch_opt.step()
        assert_close(W.data, to_numpy(tW), f"{name}: W after step {step + 1}")
        assert_close(b.data, to_numpy(tb), f"{name}: b after step {step + 1}")
    assert not np.array_equal(W.data, W0)
    for p, tp in [(W, tW), (b, tb)]:
        assert p.op is None and p.dtype == np.float64
        state, torch_state = mine.state[p], torch_opt.state[tp]
        assert set(state) == set(torch_state), name
        for key, value in state.items():
            if key == "step":
                assert value == 50
            else:
                assert isinstance(value, np.ndarray) and value.shape == p.shape and value.dtype == np.float64
                assert_close(value, to_numpy(torch_state[key]), f"{name}: state {key}")
