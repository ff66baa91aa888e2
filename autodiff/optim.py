"""Optimizers: rules that turn gradients into parameter updates.

They have PyTorch's names, signatures, defaults and update formulas, so a
training loop written for ``torch.optim`` runs here line for line::

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for x, y in data:
        opt.zero_grad()          # gradients accumulate, so reset them first
        loss = loss_fn(model(x), y)
        loss.backward()          # fills p.grad for every parameter p
        opt.step()               # p.data <- the update rule below

Everything an optimizer knows lives in two places, as in PyTorch:

* ``param_groups``: a list with one dict holding ``"params"`` (the Vars, or
  the Tensors: every optimizer works on both, with the same code) and
  every hyperparameter (``"lr"``, ``"momentum"``, ...). A learning-rate
  scheduler changes ``param_groups[0]["lr"]``; ``opt.lr`` is a shortcut.
* ``state``: per-parameter memory, ``state[p]`` a dict such as
  ``{"momentum_buffer": 0.3}`` or ``{"step": 10, "exp_avg": ..., "exp_avg_sq": ...}``.
  Inspect it to see what the optimizer remembers between steps.

The arithmetic is PyTorch's single-tensor algorithm (``foreach=False``) in
float64, operation for operation, in the same order. Results still differ
from ``torch.optim`` in the last bit now and then: PyTorch's CPU kernels
compute ``p + α·g`` and ``lerp`` with a fused multiply-add (one rounding
where Python rounds twice). Over 100 steps the difference stays around
1e-16; the tests allow 1e-10.

A step is all or nothing: every new value is computed first and written
only if all of them are finite, so an overflowing step changes nothing.

The update rules are written with arithmetic only (and `_sqrt`), so they
run on a Var's float and on a Tensor's whole array alike: for a Tensor, the
state holds arrays of the parameter's shape.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, Callable, Iterable, Optional

import numpy as np

from .arguments import flag, in_range, non_negative, positive, real, type_name
from .tensor import Tensor
from .tensor.ops import all_finite
from .var import Var

__all__ = ["Optimizer", "SGD", "Adam", "RMSprop"]

ParamState = dict[str, Any]  # e.g. {"step": 3, "exp_avg": 0.1, "exp_avg_sq": 0.02}


# ----------------------------------------------------------------------
# Checking arguments
# ----------------------------------------------------------------------
def _param_list(owner: str, params: Iterable[Any]) -> list[Any]:
    """The parameters as a list of distinct leaf Vars or Tensors, or a clear error."""
    if isinstance(params, (Var, Tensor)):
        kind = type(params).__name__
        raise TypeError(f"{owner}: params must be an iterable of Vars or Tensors, got a single {kind}; "
                        f"write [{params.label or 'x'}]")
    if isinstance(params, (set, frozenset)):
        raise TypeError(f"{owner}: params must be an ordered iterable such as a list, got a {type(params).__name__} "
                        "(a set's order changes from run to run)")
    try:
        found = list(params)
    except TypeError:
        raise TypeError(f"{owner}: params must be an iterable of Vars or Tensors, got {type_name(params)}") from None
    if not found:
        raise ValueError(f"{owner} got an empty parameter list")
    seen: set[int] = set()
    for i, p in enumerate(found):
        if isinstance(p, dict):
            raise TypeError(f"{owner}: params[{i}] is a dict; parameter groups are not supported, pass the Vars")
        if not isinstance(p, (Var, Tensor)):
            raise TypeError(f"{owner}: params[{i}] must be a Var or a Tensor, got {type_name(p)}")
        if p.op is not None:
            raise ValueError(f"{owner}: params[{i}] is not a leaf (it was computed by {p.op.symbol!r}); "
                             "optimize the leaf it was computed from")
        if isinstance(p, Tensor) and not p.requires_grad:
            raise ValueError(f"{owner}: params[{i}] is a Tensor that does not require a gradient")
        if id(p) in seen:
            raise ValueError(f"{owner}: params[{i}] appears more than once in the parameter list")
        seen.add(id(p))
    return found


def _sqrt(x: Any) -> Any:
    """The square root of a float (math.sqrt) or of every element of an array (numpy.sqrt)."""
    return math.sqrt(x) if isinstance(x, float) else np.sqrt(x)


def _finite(x: Any) -> bool:
    """No inf or nan in a float or an array."""
    return math.isfinite(x) if isinstance(x, float) else all_finite(x)


def _lerp(start: float, end: float, weight: float) -> float:
    """``start + weight·(end − start)``, computed the way ``torch.lerp`` does.

    PyTorch picks the form that is more accurate for the weight at hand, so
    a weight of 1 gives exactly ``end``.
    """
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


# ----------------------------------------------------------------------
# The base class
# ----------------------------------------------------------------------
class Optimizer:
    """What every optimizer shares: parameters, hyperparameters, state, ``step()``.

    A subclass checks its hyperparameters, passes them as ``defaults`` and
    implements `_update`, the rule for one parameter.
    """

    def __init__(self, params: Iterable[Var], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = [
            {"params": _param_list(type(self).__name__, params), **defaults}
        ]
        self.state: defaultdict[Var, ParamState] = defaultdict(dict)

    @property
    def lr(self) -> float:
        """The learning rate, ``param_groups[0]["lr"]`` (what schedulers change).

        It may be set to any finite number >= 0 (a schedule may reach 0),
        though the constructor asks for lr > 0.
        """
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        self.param_groups[0]["lr"] = non_negative(value, f"{type(self).__name__}: lr")

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0, ready for the next ``backward()``."""
        for p in self.param_groups[0]["params"]:
            p.grad = 0.0

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        """Update every parameter once from its ``.grad``.

        ``closure``, if given, is called first (it should zero the gradients,
        compute the loss, call ``backward()`` and return the loss), and its
        result is returned, as in PyTorch.
        """
        loss = closure() if closure is not None else None
        group = self.param_groups[0]
        updates = []
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused below, in words
            for i, p in enumerate(group["params"]):
                state = dict(self.state.get(p, {}))  # a copy: nothing changes until all is computed
                value = self._update(p.data, p.grad, state, group)
                self._check_finite(i, value, state)
                updates.append((p, value, state))
        for p, value, state in updates:
            p._data = value  # checked above; the .data setter would check it a second time
            if state:
                self.state[p].update(state)
        return loss

    def _update(self, p: float, grad: float, state: ParamState, group: dict[str, Any]) -> float:
        """The new value of one parameter. ``state`` is its own state, updated in place."""
        raise NotImplementedError

    def _check_finite(self, i: int, value: Any, state: ParamState) -> None:
        numbers = [value, *(v for v in state.values() if isinstance(v, (float, np.ndarray)))]
        if not all(map(_finite, numbers)):
            shown = (f"new value {value!r}, state {state}" if isinstance(value, float)
                     else f"a Tensor of shape {np.shape(value)}")
            raise OverflowError(
                f"{type(self).__name__}.step: the update of params[{i}] is not finite "
                f"({shown}); nothing was changed. Is the learning rate too large?"
            )

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"


# ----------------------------------------------------------------------
# The optimizers
# ----------------------------------------------------------------------
class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (``torch.optim.SGD``).

    With g = ∂loss/∂p, λ = weight_decay, μ = momentum, τ = dampening,
    γ = lr, one step is::

        g ← g + λ·p                          (if λ ≠ 0)
        b ← g            on the first step    (if μ ≠ 0)
        b ← μ·b + (1 − τ)·g   afterwards
        g ← g + μ·b      if nesterov, else  g ← b
        p ← p − γ·g

    ``b`` is ``state[p]["momentum_buffer"]``: a running sum of past gradients
    that keeps the parameter moving in a consistent direction.
    """

    def __init__(
        self,
        params: Iterable[Var],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        name = type(self).__name__
        momentum = non_negative(momentum, f"{name}: momentum")
        dampening = real(dampening, f"{name}: dampening")
        nesterov = flag(nesterov, f"{name}: nesterov")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(f"{name}: nesterov=True requires momentum > 0 and dampening == 0, "
                             f"got momentum={momentum!r}, dampening={dampening!r}")
        defaults = {
            "lr": positive(lr, f"{name}: lr"),
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": non_negative(weight_decay, f"{name}: weight_decay"),
            "nesterov": nesterov,
        }
        super().__init__(params, defaults)

    def _update(self, p: float, grad: float, state: ParamState, group: dict[str, Any]) -> float:
        momentum = group["momentum"]
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p
        if momentum != 0:
            if "momentum_buffer" not in state:
                buf = grad
            else:
                buf = state["momentum_buffer"] * momentum + (1 - group["dampening"]) * grad
            state["momentum_buffer"] = buf
            grad = grad + momentum * buf if group["nesterov"] else buf
        return p - group["lr"] * grad


class Adam(Optimizer):
    """Adam: momentum plus a per-parameter step size (``torch.optim.Adam``).

    With g = ∂loss/∂p, step t = 1, 2, ..., β₁, β₂ = betas, λ = weight_decay,
    γ = lr, one step is::

        g ← g + λ·p                              (if λ ≠ 0)
        m ← β₁·m + (1 − β₁)·g                    running mean of g   ("exp_avg")
        v ← β₂·v + (1 − β₂)·g²                   running mean of g²  ("exp_avg_sq")
        m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)    undo the bias of starting at 0
        p ← p − γ·m̂ / (√v̂ + eps)

    The step is about γ in size whatever the scale of the gradient. PyTorch
    computes the last line as ``p − (γ/(1 − β₁ᵗ))·m / (√v/√(1 − β₂ᵗ) + eps)``
    and the mean as ``m + (1 − β₁)·(g − m)``; so does this code.
    """

    def __init__(
        self,
        params: Iterable[Var],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        name = type(self).__name__
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        defaults = {
            "lr": positive(lr, f"{name}: lr"),
            "betas": (in_range(betas[0], f"{name}: betas[0]", 0, 1), in_range(betas[1], f"{name}: betas[1]", 0, 1)),
            "eps": non_negative(eps, f"{name}: eps"),
            "weight_decay": non_negative(weight_decay, f"{name}: weight_decay"),
        }
        super().__init__(params, defaults)

    def _update(self, p: float, grad: float, state: ParamState, group: dict[str, Any]) -> float:
        beta1, beta2 = group["betas"]
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p
        t = state["step"] = state.get("step", 0) + 1
        m = state["exp_avg"] = _lerp(state.get("exp_avg", 0.0), grad, 1 - beta1)
        v = state["exp_avg_sq"] = state.get("exp_avg_sq", 0.0) * beta2 + (1 - beta2) * grad * grad
        step_size = group["lr"] / (1 - beta1**t)
        denom = _sqrt(v) / (1 - beta2**t) ** 0.5 + group["eps"]
        return p - step_size * m / denom


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root mean square (``torch.optim.RMSprop``).

    With g = ∂loss/∂p, α = alpha, λ = weight_decay, μ = momentum, γ = lr,
    one step is::

        g ← g + λ·p                          (if λ ≠ 0)
        s ← α·s + (1 − α)·g²                 running mean of g²  ("square_avg")
        d = √s + eps
        b ← μ·b + g/d,  p ← p − γ·b          if μ > 0 (b starts at 0: "momentum_buffer")
        p ← p − γ·g/d                        otherwise

    Unlike Adam there is no bias correction: s starts at 0, so the first
    steps are large (about γ/√(1 − α)).
    """

    def __init__(
        self,
        params: Iterable[Var],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
    ) -> None:
        name = type(self).__name__
        defaults = {
            "lr": positive(lr, f"{name}: lr"),
            "alpha": in_range(alpha, f"{name}: alpha", 0, 1),
            "eps": non_negative(eps, f"{name}: eps"),
            "weight_decay": non_negative(weight_decay, f"{name}: weight_decay"),
            "momentum": non_negative(momentum, f"{name}: momentum"),
        }
        super().__init__(params, defaults)

    def _update(self, p: float, grad: float, state: ParamState, group: dict[str, Any]) -> float:
        alpha, momentum, lr = group["alpha"], group["momentum"], group["lr"]
        state["step"] = state.get("step", 0) + 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p
        s = state["square_avg"] = state.get("square_avg", 0.0) * alpha + (1 - alpha) * grad * grad
        d = _sqrt(s) + group["eps"]
        if momentum > 0:
            buf = state["momentum_buffer"] = state.get("momentum_buffer", 0.0) * momentum + grad / d
            return p - lr * buf
        return p - lr * grad / d
