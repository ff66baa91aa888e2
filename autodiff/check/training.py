"""Cross-checks of optimizers and learning-rate schedules against torch.optim.

Each optimizer option set runs 100 steps on the same objective from the same
start in both libraries; the parameters must agree at every step. Each
schedule's learning rates must agree over 300 epochs. The option sets
themselves are listed once, next to the code they check, in
`autodiff.optim.OPTIMIZER_CHECKS` and `autodiff.lr_scheduler.SCHEDULER_CHECKS`.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

from ..lr_scheduler import CosineAnnealingLR, ExponentialLR, LambdaLR, LRScheduler, StepLR
from ..optim import SGD, Adam, Optimizer, RMSprop
from ..var import Var
from .report import Check, relative_error

__all__ = ["OPTIMIZER_CHECKS", "SCHEDULER_CHECKS", "optimizer_checks", "scheduler_checks"]

# ----------------------------------------------------------------------
# Option combinations to compare with torch.optim (tests and cross-check)
# ----------------------------------------------------------------------
def _optimizer_check(cls: type[Optimizer], **hyper: Any) -> tuple[str, Callable, Callable]:
    """(name, ours, torch's): two constructors taking a parameter list, same arguments.

    PyTorch is imported only when torch's constructor is called. It is asked
    for its single-tensor algorithm (``foreach=False``), which this module follows.
    """
    name = f"{cls.__name__}({', '.join(f'{k}={v!r}' for k, v in hyper.items())})"

    def ours(params: Iterable[Var]) -> Optimizer:
        return cls(params, **hyper)

    def torch_optimizer(params: Iterable[Any]) -> Any:
        import torch.optim

        return getattr(torch.optim, cls.__name__)(params, foreach=False, **hyper)

    return name, ours, torch_optimizer


OPTIMIZER_CHECKS: tuple[tuple[str, Callable, Callable], ...] = (
    _optimizer_check(SGD, lr=5e-4),
    _optimizer_check(SGD, lr=5e-4, momentum=0.9),
    _optimizer_check(SGD, lr=5e-4, momentum=0.9, dampening=0.1),
    _optimizer_check(SGD, lr=5e-4, momentum=0.9, nesterov=True),
    _optimizer_check(SGD, lr=5e-4, weight_decay=0.01),
    _optimizer_check(SGD, lr=5e-4, momentum=0.9, weight_decay=0.01),
    _optimizer_check(SGD, lr=5e-4, momentum=0.5, dampening=0.1, weight_decay=0.01),
    _optimizer_check(SGD, lr=5e-4, momentum=0.9, nesterov=True, weight_decay=0.01),
    _optimizer_check(Adam),
    _optimizer_check(Adam, lr=0.05),
    _optimizer_check(Adam, lr=0.05, betas=(0.8, 0.9)),
    _optimizer_check(Adam, lr=0.05, betas=(0.3, 0.999)),  # 1 − β₁ ≥ 0.5: lerp's other branch
    _optimizer_check(Adam, lr=0.05, eps=1e-6),
    _optimizer_check(Adam, lr=0.05, weight_decay=0.01),
    _optimizer_check(Adam, lr=0.05, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.01),
    _optimizer_check(RMSprop),
    _optimizer_check(RMSprop, lr=1e-3, momentum=0.9),
    _optimizer_check(RMSprop, alpha=0.9),
    _optimizer_check(RMSprop, weight_decay=0.01),
    _optimizer_check(RMSprop, lr=1e-3, alpha=0.9, momentum=0.9, weight_decay=0.01),
)


# ----------------------------------------------------------------------
# Schedules to compare with torch.optim.lr_scheduler (tests and cross-check)
# ----------------------------------------------------------------------
def _warmup(epoch: int) -> float:
    """Linear warm-up over 10 epochs, then constant."""
    return min(1.0, (epoch + 1) / 10)


def _inverse_time(epoch: int) -> float:
    return 1.0 / (1.0 + 0.05 * epoch)


def _scheduler_check(cls: type[LRScheduler], **args: Any) -> tuple[str, Callable, Callable]:
    """(name, ours, torch's): two constructors taking an optimizer, same arguments.

    PyTorch is imported only when torch's constructor is called.
    """
    shown = {k: getattr(v, "__name__", v) for k, v in args.items()}
    name = f"{cls.__name__}({', '.join(f'{k}={v}' for k, v in shown.items())})"

    def ours(optimizer: Optimizer) -> LRScheduler:
        return cls(optimizer, **args)

    def torch_scheduler(optimizer: Any) -> Any:
        import torch.optim.lr_scheduler

        return getattr(torch.optim.lr_scheduler, cls.__name__)(optimizer, **args)

    return name, ours, torch_scheduler


SCHEDULER_CHECKS: tuple[tuple[str, Callable, Callable], ...] = (
    _scheduler_check(StepLR, step_size=30),
    _scheduler_check(StepLR, step_size=7, gamma=0.5),
    _scheduler_check(ExponentialLR, gamma=0.97),
    _scheduler_check(CosineAnnealingLR, T_max=100),
    _scheduler_check(CosineAnnealingLR, T_max=40, eta_min=0.001),  # several cycles in 300 epochs
    _scheduler_check(CosineAnnealingLR, T_max=7),
    _scheduler_check(LambdaLR, lr_lambda=_warmup),
    _scheduler_check(LambdaLR, lr_lambda=_inverse_time),
)


STEPS = 100
SCHEDULE_EPOCHS = 300
START = (-1.2, 1.0, 2.0)


def objective(x: Any, y: Any, z: Any) -> Any:
    """Rosenbrock's banana in (x, y), a quadratic in z, and a term coupling x and z.

    Written with operators only, so it runs on Vars and on torch tensors alike.
    """
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2 + 2 * (z + 0.5) ** 2 + 0.5 * x * z


def _trajectory(params: list, optimizer: Any, value: Callable[[Any], float]) -> list[list[float]]:
    path = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        objective(*params).backward()
        optimizer.step()
        path.append([value(p) for p in params])
    return path


def optimizer_checks(tolerance: float) -> Iterator[Check]:
    import torch

    for name, ours, theirs in OPTIMIZER_CHECKS:
        mine = [Var(v) for v in START]
        tensors = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in START]
        error = relative_error(_trajectory(mine, ours(mine), lambda p: p.data),
                                      _trajectory(tensors, theirs(tensors), lambda p: p.item()))
        yield Check(f"optimizer {name}: {STEPS} steps", error, tolerance)


def _learning_rates(optimizer: Any, scheduler: Any) -> list[float]:
    rates = []
    for _ in range(SCHEDULE_EPOCHS):
        optimizer.step()
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
    return rates


def scheduler_checks(tolerance: float) -> Iterator[Check]:
    import torch

    for name, ours, theirs in SCHEDULER_CHECKS:
        mine = SGD([Var(1.0)], lr=0.1)
        tensor = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
        torch_sgd = torch.optim.SGD([tensor], lr=0.1)
        error = relative_error([_learning_rates(mine, ours(mine))],
                                      [_learning_rates(torch_sgd, theirs(torch_sgd))])
        yield Check(f"schedule {name}: {SCHEDULE_EPOCHS} epochs", error, tolerance)
