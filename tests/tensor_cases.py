"""What the tensor-engine tests share: strategies for shapes and values, and
`check`, which compares one function of Tensors with its PyTorch twin.

`check` compares, in float64 and to a relative tolerance of 1e-10 (abs error
/ max(1, |torch's value|), element by element):

* the values;
* the gradients of a ``backward(u)`` with a random upstream gradient ``u``
  (and those of ``grad(..., create_graph=True, grad_output=u)``);
* a Hessian-vector product: the gradient of Σᵢ (gᵢ · vᵢ).sum(), where gᵢ are
  the create_graph gradients and vᵢ random directions, against the same
  computed with ``torch.autograd.grad(..., create_graph=True)``. Where the
  gradient does not depend on the inputs at all (a linear op), both sides
  give zeros.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as npst

from autodiff.tensor import Tensor, grad

TOL = 1e-10
SEEDS = st.integers(0, 2**32 - 1)  # for the random upstream gradients and directions


# ----------------------------------------------------------------------------
# Comparing numbers
# ----------------------------------------------------------------------------

def error(ours: Any, theirs: Any) -> float:
    """max |ours − theirs| / max(1, |theirs|), element by element (nan if either has a nan)."""
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape, f"shape {ours.shape}, torch's {theirs.shape}"
    if ours.size == 0:
        return 0.0
    return float(np.max(np.abs(ours - theirs) / np.maximum(1.0, np.abs(theirs))))


def assert_close(ours: Any, theirs: Any, what: str, tol: float = TOL) -> None:
    e = error(ours, theirs)
    assert e <= tol, f"{what}: relative error {e!r} > {tol:g}\nours:  {ours!r}\ntorch: {theirs!r}"


def to_numpy(t: Any) -> np.ndarray:
    return t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else np.asarray(t)  # (force: a ZeroTensor)


def t64(a: Any, requires_grad: bool = False) -> torch.Tensor:
    array = np.array(a, dtype=np.float64, order="C")  # a copy: torch takes no negative strides
    return torch.tensor(array, dtype=torch.float64, requires_grad=requires_grad)


# ----------------------------------------------------------------------------
# The check
# ----------------------------------------------------------------------------

def _torch_zeros_for_none(grads: Sequence[Any], like: Sequence[torch.Tensor]) -> list:
    return [torch.zeros_like(x) if g is None else g for g, x in zip(grads, like)]


def check(ours: Callable[..., Tensor], theirs: Callable[..., torch.Tensor], inputs: Sequence[np.ndarray],
          seed: int, tol: float = TOL, second_order: bool = True) -> Tensor:
    """``ours(*Tensors)`` against ``theirs(*torch tensors)``: values, gradients, Hessian-vector products.

    Every input is differentiated; put constants in the closures. Returns our output.
    """
    rng = np.random.default_rng(seed)
    inputs = [np.asarray(a, dtype=np.float64) for a in inputs]
    xs = [Tensor(a) for a in inputs]
    ts = [t64(a, requires_grad=True) for a in inputs]
    out, tout = ours(*xs), theirs(*ts)
    assert isinstance(out, Tensor), f"got {type(out).__name__}, not a Tensor"
    assert out.dtype == np.float64
    assert out.requires_grad and out.op is not None
    assert_close(out.data, to_numpy(tout), "value", tol)

    # First order: backward with a random upstream gradient.
    u = np.asarray(rng.standard_normal(out.shape), dtype=np.float64)
    out.backward(u)
    tgrads = _torch_zeros_for_none(
        torch.autograd.grad(tout, ts, t64(u), create_graph=True, allow_unused=True), ts)
    for i, (x, tg) in enumerate(zip(xs, tgrads)):
        assert x.grad.dtype == np.float64 and x.grad.shape == x.shape
        assert_close(x.grad, to_numpy(tg), f"gradient of input {i} (backward)", tol)
    if not second_order:
        return out

    # The same gradients as Tensors with a graph, then their own derivative along v.
    gs = grad(out, xs, create_graph=True, grad_output=u)
    for i, (g, tg) in enumerate(zip(gs, tgrads)):
        assert isinstance(g, Tensor) and g.shape == xs[i].shape
        assert_close(g.data, to_numpy(tg), f"gradient of input {i} (grad, create_graph)", tol)
    vs = [np.asarray(rng.standard_normal(a.shape), dtype=np.float64) for a in inputs]
    total = Tensor(0.0, requires_grad=False)
    for g, v in zip(gs, vs):
        total = total + (g * v).sum()
    hvps = grad(total, xs) if total.requires_grad else [Tensor(np.zeros_like(a)) for a in inputs]
    ttotal = sum((tg * t64(v)).sum() for tg, v in zip(tgrads, vs))
    if isinstance(ttotal, torch.Tensor) and ttotal.requires_grad:
        thvps = _torch_zeros_for_none(torch.autograd.grad(ttotal, ts, allow_unused=True), ts)
    else:
        thvps = [torch.zeros_like(x) for x in ts]
    for i, (h, th) in enumerate(zip(hvps, thvps)):
        assert_close(h.data, to_numpy(th), f"Hessian-vector product, input {i}", tol)
    return out


# ----------------------------------------------------------------------------
# Strategies
# ----------------------------------------------------------------------------

def reals(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def away_from_zero(lo: float, hi: float) -> st.SearchStrategy[float]:
    """lo <= |x| <= hi, either sign."""
    return st.tuples(reals(lo, hi), st.booleans()).map(lambda t: -t[0] if t[1] else t[0])


def away_from_tan_poles() -> st.SearchStrategy[float]:
    """k·π + u with |u| <= 1.4: the poles are at ±π/2 + kπ."""
    return st.tuples(st.integers(-3, 3), reals(-1.4, 1.4)).map(lambda t: t[0] * math.pi + t[1])


def arrays(shape: Any, elements: st.SearchStrategy[float]) -> st.SearchStrategy[np.ndarray]:
    return npst.arrays(np.float64, shape, elements=elements)


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 0, max_side: int = 4) -> st.SearchStrategy:
    """Shapes with size-1 and empty (size-0) axes among them."""
    return npst.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable(num_shapes: int, max_dims: int = 3, max_side: int = 4) -> st.SearchStrategy:
    """Shapes that broadcast together (size-1 and size-0 axes included)."""
    return npst.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=0, max_dims=max_dims,
                                              min_side=0, max_side=max_side).map(lambda b: b.input_shapes)


@st.composite
def axes(draw: Any, ndim: int) -> Any:
    """None, an int or a non-empty tuple of distinct ints, negative ones included."""
    if ndim == 0:
        return None
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        return None
    chosen = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim if kind == "tuple" else 1,
                           unique=True))
    chosen = [a - ndim if draw(st.booleans()) else a for a in chosen]
    return chosen[0] if kind == "int" else tuple(chosen)


def torch_dims(axis: Any, ndim: int) -> tuple[int, ...]:
    """A numpy ``axis`` as torch's ``dim`` (None: every axis)."""
    if axis is None:
        return tuple(range(ndim))
    return axis if isinstance(axis, tuple) else (axis,)


def reduced_count(shape: tuple[int, ...], axis: Any) -> int:
    return math.prod(shape[a] for a in torch_dims(axis, len(shape)))


# ----------------------------------------------------------------------
# A small labelled graph the trace and stepper tests step through
# ----------------------------------------------------------------------
MLP_X = [[1.0, 2.0, 3.0]]
MLP_W = [[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]]
MLP_B = [0.1, -0.2]


def small_mlp(x: Any = MLP_X, W: Any = MLP_W, b: Any = MLP_B) -> tuple[Any, dict[str, Any]]:
    """h = x @ W + b; a = tanh(h); L = Σ a⊙a, with x (1×3) data, W (3×2) and b (2) parameters.

    Returns L and every node by its label.
    """
    from autodiff.tensor import Tensor

    x = Tensor(x, label="x", requires_grad=False)
    W = Tensor(W, label="W")
    b = Tensor(b, label="b")
    h = x @ W + b
    h.label = "h"
    a = h.tanh()
    a.label = "a"
    sq = a * a
    sq.label = "sq"
    L = sq.sum()
    L.label = "L"
    return L, {"x": x, "W": W, "b": b, "h": h, "a": a, "sq": sq, "L": L}
