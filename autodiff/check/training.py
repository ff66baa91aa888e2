"""Cross-checks of optimizers and learning-rate schedules against torch.optim.

Each optimizer option set runs 100 steps on the same objective from the same
start in both libraries; the parameters must agree at every step. Each
schedule's learning rates must agree over 300 epochs. The option sets
themselves are listed once, next to the code they check, in
`autodiff.optim.OPTIMIZER_CHECKS` and `autodiff.lr_scheduler.SCHEDULER_CHECKS`.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from ..lr_scheduler import SCHEDULER_CHECKS
from ..optim import OPTIMIZER_CHECKS, SGD
from ..var import Var
from .crosscheck import Check, relative_error

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
