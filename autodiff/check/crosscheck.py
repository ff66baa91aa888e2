"""The PyTorch cross-check: every op, module, loss, optimizer and schedule against torch (float64),
for the scalar engine and the tensor engine.

``python -m autodiff.check`` runs it, prints one row per check, and exits
non-zero if any check fails. PyTorch is used here and nowhere else in the
engine; it is imported only when the checks run.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterator

from .. import losses, nn, ops
from ..var import Var
from .formulas import formula_checks
from .gradcheck import op_derivatives, torch_op_derivatives
from .report import Check, relative_error
from .tensor_checks import tensor_module_checks, tensor_op_checks
from .training import optimizer_checks, scheduler_checks

__all__ = ["Check", "run_all_checks"]

OP_TOLERANCE = 1e-12      # relative: values may differ in the last bit between math libraries
MODULE_TOLERANCE = 1e-12
OPTIMIZER_TOLERANCE = 1e-10
SCHEDULER_TOLERANCE = 1e-12

# Points at which every op is compared; points outside an op's domain are skipped.
OP_POINTS = [(0.4, 2.1), (1.7, -0.6), (-1.3, 0.7), (2.2, 1.5)]
CONSTANT_EXPONENTS = (2.0, 3.0, -1.0, 0.5, 0.0, 1.0)


# ----------------------------------------------------------------------------
# Ops, to second order
# ----------------------------------------------------------------------------

def op_checks() -> Iterator[Check]:
    all_ops = list(ops.OPS.values()) + [ops.power(n) for n in CONSTANT_EXPONENTS]
    for op in all_ops:
        worst, tried = 0.0, 0
        for point in OP_POINTS:
            values = point[: op.arity]
            try:
                ours = op_derivatives(op, *values)
            except (ValueError, ZeroDivisionError):
                continue  # outside the op's domain
            worst = max(worst, relative_error(list(ours), list(torch_op_derivatives(op, *values))))
            tried += 1
        yield Check(f"op {op.name}: value, gradient, Hessian ({tried} points)",
                    worst if tried else math.inf, OP_TOLERANCE)


# ----------------------------------------------------------------------------
# Modules: forward and parameter gradients
# ----------------------------------------------------------------------------

def _to_torch(module: nn.Module) -> Any:
    """The same module in torch.nn, with the same parameter values."""
    import torch

    if isinstance(module, nn.Linear):
        layer = torch.nn.Linear(module.in_features, module.out_features,
                                bias=module.bias is not None, dtype=torch.float64)
        with torch.no_grad():
            layer.weight.copy_(torch.tensor(module.state_dict()["weight"], dtype=torch.float64))
            if module.bias is not None:
                layer.bias.copy_(torch.tensor(module.state_dict()["bias"], dtype=torch.float64))
        return layer
    if isinstance(module, nn.MLP):
        return _to_torch(module.layers)
    if isinstance(module, nn.Sequential):
        return torch.nn.Sequential(*(_to_torch(m) for m in module))
    simple = {nn.ReLU: torch.nn.ReLU, nn.Tanh: torch.nn.Tanh,
              nn.Sigmoid: torch.nn.Sigmoid, nn.Identity: torch.nn.Identity}
    return simple[type(module)]()


def _module_cases() -> Iterator[tuple[str, nn.Module, int]]:
    yield "Linear(3, 2)", nn.Linear(3, 2, rng=1), 3
    yield "Linear(3, 2, bias=False)", nn.Linear(3, 2, bias=False, rng=2), 3
    for activation in nn.ACTIVATIONS:
        yield f"MLP(2, [4, 3, 2], activation={activation!r})", nn.MLP(2, [4, 3, 2], activation=activation, rng=3), 2


def module_checks() -> Iterator[Check]:
    import torch

    for name, module, nin in _module_cases():
        batch = [[math.sin(1.3 * i + j) * 2.0 for j in range(nin)] for i in range(5)]
        out = module(batch)
        loss = sum((o * o * 0.5 + o for row in out for o in row), Var(0.0))
        module.zero_grad()
        loss.backward()
        theirs = _to_torch(module)
        t_out = theirs(torch.tensor(batch, dtype=torch.float64))
        (t_out * t_out * 0.5 + t_out).sum().backward()
        ours_values = [[o.data for o in row] for row in out]
        our_grads = [p.grad for p in module.parameters()]
        their_grads = [g for p in theirs.parameters() for g in p.grad.flatten().tolist()]
        error = max(relative_error(ours_values, t_out.tolist()), relative_error(our_grads, their_grads))
        yield Check(f"module {name}: forward and parameter gradients", error, MODULE_TOLERANCE)


# ----------------------------------------------------------------------------
# Losses: value and gradient
# ----------------------------------------------------------------------------

def _loss_cases() -> Iterator[tuple[str, Callable, Callable, list, list]]:
    import torch
    import torch.nn.functional as F

    scores = [0.3, -1.2, 2.5, 0.01, -35.0, 40.0]
    probabilities = [0.3, 0.9, 0.5, 0.01, 0.999, 0.2]
    signs = [1.0, -1.0, 1.0, -1.0, 1.0, -1.0]
    bits = [1.0, 0.0, 1.0, 0.0, 1.0, 0.25]
    for reduction in ("mean", "sum"):
        yield (f"mse_loss ({reduction})", lambda x, y, r=reduction: losses.mse_loss(x, y, r),
               lambda x, y, r=reduction: F.mse_loss(x, y, reduction=r), scores, signs)
        yield (f"binary_cross_entropy ({reduction})",
               lambda x, y, r=reduction: losses.binary_cross_entropy(x, y, r),
               lambda x, y, r=reduction: F.binary_cross_entropy(x, y, reduction=r), probabilities, bits)
        yield (f"binary_cross_entropy_with_logits ({reduction})",
               lambda x, y, r=reduction: losses.binary_cross_entropy_with_logits(x, y, r),
               lambda x, y, r=reduction: F.binary_cross_entropy_with_logits(x, y, reduction=r), scores, bits)
        yield (f"hinge_loss ({reduction})", lambda x, y, r=reduction: losses.hinge_loss(x, y, r),
               lambda x, y, r=reduction: getattr(torch.clamp(1 - y * x, min=0), r)(), scores, signs)


def _cross_entropy_check(reduction: str) -> Check:
    import torch
    import torch.nn.functional as F

    logits = [[0.2, -1.0, 3.0], [100.0, 0.0, -50.0], [1.0, 1.0, 1.0], [-2.0, 0.5, 0.25]]
    classes = [2, 1, 0, 1]
    ours = [[Var(v) for v in row] for row in logits]
    loss = losses.cross_entropy(ours, classes, reduction)
    loss.backward()
    theirs = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    t_loss = F.cross_entropy(theirs, torch.tensor(classes), reduction=reduction)
    t_loss.backward()
    error = max(relative_error(loss.data, t_loss.item()),
                relative_error([[v.grad for v in row] for row in ours], theirs.grad.tolist()))
    return Check(f"loss cross_entropy ({reduction}): value and gradient", error, MODULE_TOLERANCE)


def loss_checks() -> Iterator[Check]:
    import torch

    for name, ours_fn, torch_fn, inputs, targets in _loss_cases():
        ours = [Var(v) for v in inputs]
        loss = ours_fn(ours, targets)
        loss.backward()
        theirs = torch.tensor(inputs, dtype=torch.float64, requires_grad=True)
        t_loss = torch_fn(theirs, torch.tensor(targets, dtype=torch.float64))
        t_loss.backward()
        error = max(relative_error(loss.data, t_loss.item()),
                    relative_error([v.grad for v in ours], theirs.grad.tolist()))
        yield Check(f"loss {name}: value and gradient", error, MODULE_TOLERANCE)
    for reduction in ("mean", "sum"):
        yield _cross_entropy_check(reduction)


# ----------------------------------------------------------------------------
# Running everything
# ----------------------------------------------------------------------------

def all_checks() -> Iterator[Check]:
    yield from formula_checks()
    yield from op_checks()
    yield from module_checks()
    yield from loss_checks()
    yield from optimizer_checks(OPTIMIZER_TOLERANCE)
    yield from scheduler_checks(SCHEDULER_TOLERANCE)
    yield from tensor_op_checks()
    yield from tensor_module_checks()


def run_all_checks(verbose: bool = True) -> bool:
    """Run every cross-check against PyTorch; print a row per check; True if all pass."""
    try:
        import torch  # noqa: F401
    except ImportError:
        print("The cross-check needs PyTorch, which is not installed here. "
              "Run `make test` (it installs the pinned CPU build), or `pip install torch`.")
        return False
    passed = True
    if verbose:
        print(f"{'check':<75} {'rel error':>10} {'tolerance':>9}  result")
    for check in all_checks():
        passed &= check.ok
        if verbose:
            print(check.row())
    return passed
