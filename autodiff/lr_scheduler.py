"""Learning-rate schedulers: change an optimizer's lr as training goes on.

They behave like ``torch.optim.lr_scheduler``: call ``scheduler.step()``
once per epoch, *after* ``optimizer.step()``::

    opt = SGD(params, lr=0.1)
    sched = StepLR(opt, step_size=30, gamma=0.1)   # lr 0.1 for epochs 0–29, 0.01 for 30–59, ...
    for epoch in range(100):
        train_one_epoch(opt)
        sched.step()                               # sets opt.param_groups[0]["lr"]

Constructing a scheduler records the optimizer's lr as ``initial_lr`` in its
parameter group (kept in ``base_lrs``), sets ``last_epoch = 0`` and sets the
lr for epoch 0. Each ``step()`` adds one to ``last_epoch`` and sets the lr
for that epoch; ``get_last_lr()`` returns it, as a one-item list like PyTorch.

Like PyTorch's, StepLR, ExponentialLR and CosineAnnealingLR compute the new
lr from the *current* one (so they can be chained, and a change you make to
the lr by hand carries on); the docstrings give the equivalent closed forms.
The lr sequences agree with PyTorch's to the last bit.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from .arguments import non_negative, positive, positive_int
from .optim import Optimizer

__all__ = ["LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR"]


class LRScheduler:
    """What every scheduler shares. A subclass implements `get_lr`.

    Write your own schedule as in PyTorch: subclass and return, from
    ``get_lr()``, a list with the lr for epoch ``self.last_epoch``.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: optimizer must be an autodiff.optim Optimizer "
                            f"(e.g. SGD), got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])  # the first scheduler's lr wins, as in PyTorch
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self.step()  # PyTorch's initial step: epoch 0

    def get_lr(self) -> list[float]:
        """The lr of each parameter group for epoch ``self.last_epoch``."""
        raise NotImplementedError

    def step(self) -> None:
        """Move to the next epoch and set the optimizer's lr for it."""
        self.last_epoch += 1
        lrs = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            group["lr"] = non_negative(lr, f"{type(self).__name__}: the lr for epoch {self.last_epoch}")
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The lr set by the latest ``step()`` (or by construction), as a list with one float."""
        return list(self._last_lr)

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr[0]!r})"


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs.

    lr(epoch) = base_lr · gamma^⌊epoch / step_size⌋
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = positive_int(step_size, f"{type(self).__name__}: step_size")
        self.gamma = positive(gamma, f"{type(self).__name__}: gamma")
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class ExponentialLR(LRScheduler):
    """Multiply the lr by ``gamma`` every epoch.

    lr(epoch) = base_lr · gamma^epoch
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = positive(gamma, f"{type(self).__name__}: gamma")
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class CosineAnnealingLR(LRScheduler):
    """Lower the lr from base_lr to ``eta_min`` along half a cosine over ``T_max`` epochs.

    lr(epoch) = eta_min + (base_lr − eta_min) · (1 + cos(π · epoch / T_max)) / 2

    After ``T_max`` epochs the cosine carries on, so the lr climbs back to
    base_lr at ``2·T_max`` (there are no sudden restarts).

    PyTorch computes each lr from the previous one, multiplying the distance
    to eta_min by the ratio of consecutive cosine terms; this code does the
    same. (The closed form above agrees to about 1e-13 relative.)
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = positive_int(T_max, f"{type(self).__name__}: T_max")
        self.eta_min = non_negative(eta_min, f"{type(self).__name__}: eta_min")
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        epoch, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if epoch == 0:
            return self._current_lrs()
        if (epoch - 1 - T) % (2 * T) == 0:
            # Just past a minimum the ratio below would be 0/0; step up from eta_min instead.
            return [lr + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for lr, base in zip(self._current_lrs(), self.base_lrs, strict=True)]
        ratio = (1 + math.cos(math.pi * epoch / T)) / (1 + math.cos(math.pi * (epoch - 1) / T))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]


class LambdaLR(LRScheduler):
    """Set the lr to base_lr times a factor you compute from the epoch.

    lr(epoch) = base_lr · lr_lambda(epoch)

    For example a linear warm-up over 10 epochs:
    ``LambdaLR(opt, lambda epoch: min(1.0, (epoch + 1) / 10))``.
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float]) -> None:
        if not callable(lr_lambda):
            raise TypeError(f"{type(self).__name__}: lr_lambda must be callable (epoch -> factor), "
                            f"got {type(lr_lambda).__name__}")
        self.lr_lambda = lr_lambda
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        factor = self.lr_lambda(self.last_epoch)
        factor = non_negative(factor, f"{type(self).__name__}: lr_lambda({self.last_epoch})")
        return [base * factor for base in self.base_lrs]
