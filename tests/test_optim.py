"""Optimizers and lr schedulers: they agree with torch.optim (float64) and reject bad input clearly.

Every expected value comes from PyTorch, run side by side from the same
starting point, or from the update formula written out here; none is a
number copied from this package's own output.
"""

from __future__ import annotations

import inspect
import math
import subprocess
import sys
from dataclasses import dataclass
from typing import Any, Callable, Optional

import pytest
import torch
import torch.optim.lr_scheduler

from autodiff import Var
from autodiff.check.training import (  # the cross-check's own problem and option sets
    OPTIMIZER_CHECKS, SCHEDULER_CHECKS, START, objective,
)
from autodiff.lr_scheduler import CosineAnnealingLR, ExponentialLR, LambdaLR, LRScheduler, StepLR
from autodiff.optim import SGD, Adam, Optimizer, RMSprop

STEPS = 100
SCHEDULE_STEPS = 300
TOL = 1e-10            # parameters after 100 steps: abs + rel
LR_RTOL = 1e-12        # learning rates over 300 epochs: rel


def close(a: float, b: float, tol: float = TOL) -> bool:
    return abs(a - b) <= tol + tol * abs(b)


@dataclass
class Run:
    """What happened in a training run: the parameters and the lr after each step."""

    optimizer: Any
    params: list[Any]
    trajectory: list[list[float]]
    lrs: list[float]
    scheduler: Any = None


def _run(params: list, value: Callable[[Any], float], make_optimizer: Callable,
         make_scheduler: Optional[Callable], steps: int) -> Run:
    """Train ``params`` (ours or torch's) on `objective`; the same loop for both libraries."""
    opt = make_optimizer(params)
    sched = make_scheduler(opt) if make_scheduler else None
    run = Run(opt, params, [], [], sched)
    for _ in range(steps):
        opt.zero_grad()
        objective(*params).backward()
        opt.step()
        if sched:
            sched.step()
        run.trajectory.append([value(p) for p in params])
        run.lrs.append(opt.param_groups[0]["lr"])
    return run


def run_ours(make_optimizer: Callable, make_scheduler: Optional[Callable] = None, steps: int = STEPS) -> Run:
    return _run([Var(v) for v in START], lambda p: p.data, make_optimizer, make_scheduler, steps)


def run_torch(make_optimizer: Callable, make_scheduler: Optional[Callable] = None, steps: int = STEPS) -> Run:
    params = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in START]
    return _run(params, lambda p: p.item(), make_optimizer, make_scheduler, steps)


def first_mismatch(ours: list[list[float]], theirs: list[list[float]], tol: float = TOL) -> Optional[str]:
    """None if the two trajectories agree at every step, else where they first differ."""
    assert len(ours) == len(theirs)
    for step, (a, b) in enumerate(zip(ours, theirs), start=1):
        for i, (x, y) in enumerate(zip(a, b)):
            if not close(x, y, tol):
                return f"step {step}, param {i}: ours {x!r}, torch {y!r}, difference {x - y:.3g}"
    return None


def check_named(prefix: str) -> tuple[str, Callable, Callable]:
    """The first optimizer check whose name starts with ``prefix``."""
    matches = [check for check in OPTIMIZER_CHECKS if check[0].startswith(prefix)]
    assert matches, f"no optimizer check named {prefix}..."
    return matches[0]


optimizer_ids = [name for name, _, _ in OPTIMIZER_CHECKS]
scheduler_ids = [name for name, _, _ in SCHEDULER_CHECKS]


# ----------------------------------------------------------------------
# Optimizers against torch.optim
# ----------------------------------------------------------------------
def test_the_checks_cover_every_optimizer_and_option():
    names = " ".join(optimizer_ids)
    for option in ("SGD(lr", "momentum=0.9", "dampening=0.1", "nesterov=True", "weight_decay=0.01",
                   "Adam(", "betas=(0.8, 0.9)", "eps=1e-06", "RMSprop(", "alpha=0.9"):
        assert option in names, option
    assert "Adam()" in optimizer_ids and "RMSprop()" in optimizer_ids  # the defaults themselves


@pytest.mark.parametrize("name, ours, theirs", OPTIMIZER_CHECKS, ids=optimizer_ids)
def test_optimizer_matches_torch(name, ours, theirs):
    mine, torch_run = run_ours(ours), run_torch(theirs)
    assert first_mismatch(mine.trajectory, torch_run.trajectory) is None, first_mismatch(
        mine.trajectory, torch_run.trajectory
    )
    # the run is not trivial: the parameters really moved
    assert max(abs(a - b) for a, b in zip(torch_run.trajectory[-1], START)) > 1e-2


@pytest.mark.parametrize("name, ours, theirs", OPTIMIZER_CHECKS, ids=optimizer_ids)
def test_the_comparison_would_see_a_small_error(name, ours, theirs):
    """A learning rate off by one part in a million is caught: 1e-10 is a tight tolerance here."""

    def slightly_off(params):
        opt = ours(params)
        opt.lr = opt.lr * (1 + 1e-6)
        return opt

    assert first_mismatch(run_ours(slightly_off).trajectory, run_torch(theirs).trajectory) is not None


@pytest.mark.parametrize("name, ours, theirs", OPTIMIZER_CHECKS, ids=optimizer_ids)
def test_state_matches_torch(name, ours, theirs):
    mine, torch_run = run_ours(ours), run_torch(theirs)
    assert len(mine.optimizer.state) == len(torch_run.optimizer.state)
    for p, tp in zip(mine.params, torch_run.params):
        state, torch_state = mine.optimizer.state.get(p, {}), torch_run.optimizer.state.get(tp, {})
        assert set(state) == set(torch_state)
        for key, value in torch_state.items():
            assert close(state[key], float(value)), (key, state[key], float(value))


@pytest.mark.parametrize("name, ours, theirs", OPTIMIZER_CHECKS, ids=optimizer_ids)
def test_param_groups_hold_the_hyperparameters_torch_holds(name, ours, theirs):
    mine, torch_opt = ours([Var(1.0)]), theirs([torch.tensor(1.0, dtype=torch.float64, requires_grad=True)])
    assert len(mine.param_groups) == 1
    group, torch_group = mine.param_groups[0], torch_opt.param_groups[0]
    assert isinstance(group["params"], list)
    for key, value in group.items():
        if key != "params":
            assert value == torch_group[key], key
    assert mine.lr == group["lr"]


def test_adam_counts_its_steps():
    params = [Var(v) for v in START]
    opt = Adam(params, lr=0.05)
    for _ in range(STEPS):
        opt.zero_grad()
        objective(*params).backward()
        opt.step()
    for p in params:
        assert opt.state[p]["step"] == STEPS
        assert set(opt.state[p]) == {"step", "exp_avg", "exp_avg_sq"}


def test_sgd_momentum_buffer_starts_as_the_first_gradient():
    x = Var(3.0)
    opt = SGD([x], lr=0.1, momentum=0.9, weight_decay=0.5)
    assert x not in opt.state
    (x * x).backward()  # grad 6, plus weight decay 0.5·3
    opt.step()
    assert opt.state[x]["momentum_buffer"] == 6.0 + 0.5 * 3.0
    assert x.data == 3.0 - 0.1 * (6.0 + 0.5 * 3.0)


def test_sgd_without_momentum_keeps_no_state():
    run = run_ours(check_named("SGD(lr=0.0005)")[1])
    assert len(run.optimizer.state) == 0


def test_step_with_a_closure_returns_the_loss_and_takes_the_same_step():
    name, ours, _ = check_named("Adam(lr=0.05, betas=(0.8")
    params = [Var(v) for v in START]
    opt = ours(params)

    def closure():
        opt.zero_grad()
        loss = objective(*params)
        loss.backward()
        return loss

    losses = [opt.step(closure).data for _ in range(STEPS)]
    reference = run_ours(ours)
    assert [p.data for p in params] == reference.trajectory[-1]
    assert losses[-1] == objective(*(Var(v) for v in reference.trajectory[-2])).data


def test_zero_grad_resets_every_parameter_and_nothing_else():
    a, b, other = Var(1.0), Var(2.0), Var(3.0)
    (a * b * other).backward()
    opt = SGD([a, b], lr=0.1)
    opt.zero_grad()
    assert (a.grad, b.grad) == (0.0, 0.0)
    assert other.grad == 1.0 * 2.0


def test_a_zero_gradient_leaves_plain_sgd_where_it_is_but_weight_decay_still_pulls():
    a, b = Var(2.0), Var(2.0)
    SGD([a], lr=0.1).step()
    SGD([b], lr=0.1, weight_decay=0.5).step()
    assert a.data == 2.0
    assert b.data == 2.0 - 0.1 * 0.5 * 2.0


def test_an_overflowing_step_changes_nothing():
    small, huge = Var(1.0), Var(1e300)
    opt = SGD([small, huge], lr=1e10, momentum=0.9)
    small.grad, huge.grad = 1.0, 1e300
    with pytest.raises(OverflowError, match=r"params\[1\].*nothing was changed"):
        opt.step()
    assert (small.data, huge.data) == (1.0, 1e300)
    assert len(opt.state) == 0


def test_params_may_be_a_generator_and_are_kept_as_a_list():
    params = [Var(v) for v in START]
    opt = RMSprop(p for p in params)
    assert opt.param_groups[0]["params"] == params
    opt.step()  # a second pass over the parameters still sees all of them
    assert len(opt.state) == len(params)


def test_lr_property_reads_and_writes_the_group():
    opt = SGD([Var(1.0)], lr=0.1)
    opt.lr = 0.25
    assert opt.param_groups[0]["lr"] == 0.25
    opt.param_groups[0]["lr"] = 0.5
    assert opt.lr == 0.5
    with pytest.raises(ValueError, match=r"SGD: lr must be >= 0, got -1"):
        opt.lr = -1


@pytest.mark.parametrize("ours, theirs", [
    (SGD, torch.optim.SGD), (Adam, torch.optim.Adam), (RMSprop, torch.optim.RMSprop),
    (StepLR, torch.optim.lr_scheduler.StepLR), (ExponentialLR, torch.optim.lr_scheduler.ExponentialLR),
    (CosineAnnealingLR, torch.optim.lr_scheduler.CosineAnnealingLR), (LambdaLR, torch.optim.lr_scheduler.LambdaLR),
], ids=lambda c: c.__name__)
def test_signature_is_a_prefix_of_torchs_with_the_same_defaults(ours, theirs):
    mine = list(inspect.signature(ours).parameters.values())
    torch_params = list(inspect.signature(theirs).parameters.values())[: len(mine)]
    assert [p.name for p in mine] == [p.name for p in torch_params]
    for p, tp in zip(mine, torch_params):
        assert p.default == tp.default, p.name


@pytest.mark.parametrize("ours, theirs", [
    (lambda p: SGD(p, lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.01, nesterov=True),
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.01, nesterov=True)),
    (lambda p: Adam(p, lr=0.01, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.0),
     lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.0)),
], ids=["SGD", "Adam"])
def test_repr_reads_like_torchs(ours, theirs):
    mine = repr(ours([Var(1.0)]))
    torch_lines = repr(theirs([torch.tensor(1.0, requires_grad=True)])).splitlines()
    assert mine.splitlines()[0] == torch_lines[0] and mine.splitlines()[-1] == ")"
    for line in mine.splitlines():
        assert line in torch_lines, line


# ----------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------
def x() -> list[Var]:
    return [Var(1.0)]


BAD_OPTIMIZER_ARGS = [
    (lambda: SGD(x(), lr=0), ValueError, r"SGD: lr must be > 0, got 0"),
    (lambda: SGD(x(), lr=-0.1), ValueError, r"SGD: lr must be > 0, got -0\.1"),
    (lambda: Adam(x(), lr=0.0), ValueError, r"Adam: lr must be > 0, got 0\.0"),
    (lambda: RMSprop(x(), lr=-1e-3), ValueError, r"RMSprop: lr must be > 0, got -0\.001"),
    (lambda: SGD(x(), lr="0.1"), TypeError, r"SGD: lr must be a real number, got str"),
    (lambda: SGD(x(), lr=True), TypeError, r"SGD: lr must be a real number, got bool"),
    (lambda: SGD(x(), lr=math.inf), ValueError, r"SGD: lr must be finite, got inf"),
    (lambda: SGD(x(), lr=math.nan), ValueError, r"SGD: lr must be finite, got nan"),
    (lambda: SGD(x(), lr=0.1, momentum=-0.5), ValueError, r"SGD: momentum must be >= 0, got -0\.5"),
    (lambda: SGD(x(), lr=0.1, weight_decay=-1), ValueError, r"SGD: weight_decay must be >= 0, got -1"),
    (lambda: SGD(x(), lr=0.1, nesterov=True), ValueError, r"SGD: nesterov=True requires momentum > 0"),
    (lambda: SGD(x(), lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError,
     r"SGD: nesterov=True requires .*dampening == 0.*dampening=0\.1"),
    (lambda: SGD(x(), lr=0.1, momentum=0.9, nesterov="yes"), TypeError, r"SGD: nesterov must be True or False"),
    (lambda: Adam(x(), betas=(1.0, 0.999)), ValueError, r"Adam: betas\[0\] must be in \[0, 1\), got 1\.0"),
    (lambda: Adam(x(), betas=(0.9, -0.1)), ValueError, r"Adam: betas\[1\] must be in \[0, 1\), got -0\.1"),
    (lambda: Adam(x(), betas=(0.9,)), TypeError, r"Adam: betas must be a pair"),
    (lambda: Adam(x(), betas=0.9), TypeError, r"Adam: betas must be a pair"),
    (lambda: Adam(x(), eps=-1e-8), ValueError, r"Adam: eps must be >= 0, got -1e-08"),
    (lambda: Adam(x(), weight_decay=-0.01), ValueError, r"Adam: weight_decay must be >= 0"),
    (lambda: RMSprop(x(), alpha=1.0), ValueError, r"RMSprop: alpha must be in \[0, 1\), got 1\.0"),
    (lambda: RMSprop(x(), alpha=-0.1), ValueError, r"RMSprop: alpha must be in \[0, 1\)"),
    (lambda: RMSprop(x(), momentum=-0.9), ValueError, r"RMSprop: momentum must be >= 0"),
    (lambda: RMSprop(x(), eps=-1.0), ValueError, r"RMSprop: eps must be >= 0"),
    (lambda: SGD([], lr=0.1), ValueError, r"SGD got an empty parameter list"),
    (lambda: Adam(v for v in []), ValueError, r"Adam got an empty parameter list"),
    (lambda: SGD([Var(1.0), 2.0], lr=0.1), TypeError, r"SGD: params\[1\] must be a Var or a Tensor, got float"),
    (lambda: Adam([torch.tensor(1.0)]), TypeError, r"Adam: params\[0\] must be a Var or a Tensor, got torch.Tensor"),
    (lambda: SGD([{"params": x()}], lr=0.1), TypeError, r"params\[0\] is a dict; parameter groups are not supported"),
    (lambda: SGD(Var(1.0), lr=0.1), TypeError, r"SGD: params must be an iterable of Vars or Tensors, got a single Var"),
    (lambda: SGD(3, lr=0.1), TypeError, r"SGD: params must be an iterable of Vars or Tensors, got int"),
    (lambda: SGD({Var(1.0)}, lr=0.1), TypeError, r"SGD: params must be an ordered iterable.*got a set"),
    (lambda: SGD([Var(1.0) * 2], lr=0.1), ValueError, r"SGD: params\[0\] is not a leaf"),
]


def _duplicated() -> SGD:
    v = Var(1.0)
    return SGD([v, Var(2.0), v], lr=0.1)


BAD_OPTIMIZER_ARGS.append((_duplicated, ValueError, r"SGD: params\[2\] appears more than once"))


@pytest.mark.parametrize("make, error, message", BAD_OPTIMIZER_ARGS, ids=[m for _, _, m in BAD_OPTIMIZER_ARGS])
def test_bad_optimizer_arguments_are_rejected_clearly(make, error, message):
    with pytest.raises(error, match=message):
        make()


def sgd() -> SGD:
    return SGD([Var(1.0)], lr=0.1)


BAD_SCHEDULER_ARGS = [
    (lambda: StepLR(sgd(), step_size=0), ValueError, r"StepLR: step_size must be a positive int, got 0"),
    (lambda: StepLR(sgd(), step_size=-3), ValueError, r"StepLR: step_size must be a positive int, got -3"),
    (lambda: StepLR(sgd(), step_size=2.5), TypeError, r"StepLR: step_size must be a positive int, got float"),
    (lambda: StepLR(sgd(), step_size=True), TypeError, r"StepLR: step_size must be a positive int, got bool"),
    (lambda: StepLR(sgd(), step_size=10, gamma=0), ValueError, r"StepLR: gamma must be > 0, got 0$"),
    (lambda: StepLR(sgd(), step_size=10, gamma=-0.5), ValueError, r"StepLR: gamma must be > 0, got -0\.5"),
    (lambda: ExponentialLR(sgd(), gamma=math.nan), ValueError, r"ExponentialLR: gamma must be finite, got nan"),
    (lambda: ExponentialLR(sgd(), gamma="0.9"), TypeError, r"ExponentialLR: gamma must be a real number, got str"),
    (lambda: CosineAnnealingLR(sgd(), T_max=0), ValueError, r"CosineAnnealingLR: T_max must be a positive int"),
    (lambda: CosineAnnealingLR(sgd(), T_max=10.0), TypeError, r"CosineAnnealingLR: T_max must be a positive int"),
    (lambda: CosineAnnealingLR(sgd(), T_max=10, eta_min=-1e-3), ValueError,
     r"CosineAnnealingLR: eta_min must be >= 0, got -0\.001"),
    (lambda: LambdaLR(sgd(), lr_lambda=0.5), TypeError, r"LambdaLR: lr_lambda must be callable.*got float"),
    (lambda: LambdaLR(sgd(), lr_lambda=lambda epoch: "fast"), TypeError,
     r"LambdaLR: lr_lambda\(0\) must be a real number, got str"),
    (lambda: LambdaLR(sgd(), lr_lambda=lambda epoch: -1.0), ValueError,
     r"LambdaLR: lr_lambda\(0\) must be >= 0, got -1\.0"),
    (lambda: StepLR(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), step_size=3), TypeError,
     r"StepLR: optimizer must be an autodiff.optim Optimizer .*got SGD"),
    (lambda: ExponentialLR(None, gamma=0.9), TypeError, r"ExponentialLR: optimizer must be .*got NoneType"),
]


@pytest.mark.parametrize("make, error, message", BAD_SCHEDULER_ARGS, ids=[m for _, _, m in BAD_SCHEDULER_ARGS])
def test_bad_scheduler_arguments_are_rejected_clearly(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_a_bad_lambda_value_later_is_caught_at_that_epoch():
    opt = sgd()
    sched = LambdaLR(opt, lambda epoch: 1.0 if epoch < 3 else math.inf)
    sched.step(), sched.step()
    with pytest.raises(ValueError, match=r"lr_lambda\(3\) must be finite"):
        sched.step()
    assert opt.lr == 0.1


# ----------------------------------------------------------------------
# Schedulers against torch.optim.lr_scheduler
# ----------------------------------------------------------------------
def lr_sequences(make_ours: Callable, make_torch: Callable, steps: int = SCHEDULE_STEPS):
    """(ours, torch's): [(last_epoch, get_last_lr(), group lr)] at construction and after each step."""
    opt = SGD([Var(1.0)], lr=0.1)
    torch_opt = torch.optim.SGD([torch.tensor(1.0, dtype=torch.float64, requires_grad=True)], lr=0.1)
    sched, torch_sched = make_ours(opt), make_torch(torch_opt)
    mine, theirs = [], []
    for step in range(steps + 1):
        if step:
            opt.step(), torch_opt.step()  # torch wants optimizer.step() first
            sched.step(), torch_sched.step()
        mine.append((sched.last_epoch, sched.get_last_lr(), opt.param_groups[0]["lr"]))
        theirs.append((torch_sched.last_epoch, torch_sched.get_last_lr(), torch_opt.param_groups[0]["lr"]))
    return mine, theirs, sched, torch_sched


def assert_same_schedule(mine, theirs):
    for (epoch, last, lr), (t_epoch, t_last, t_lr) in zip(mine, theirs, strict=True):
        assert epoch == t_epoch
        assert len(last) == len(t_last) == 1 and isinstance(last[0], float)
        assert math.isclose(last[0], t_last[0], rel_tol=LR_RTOL, abs_tol=1e-300), (epoch, last, t_last)
        assert math.isclose(lr, t_lr, rel_tol=LR_RTOL, abs_tol=1e-300), (epoch, lr, t_lr)


def test_the_checks_cover_every_scheduler():
    names = " ".join(scheduler_ids)
    for cls in (StepLR, ExponentialLR, CosineAnnealingLR, LambdaLR):
        assert cls.__name__ + "(" in names
    assert "eta_min" in names


@pytest.mark.parametrize("name, ours, theirs", SCHEDULER_CHECKS, ids=scheduler_ids)
def test_scheduler_matches_torch(name, ours, theirs):
    mine, torch_seq, sched, torch_sched = lr_sequences(ours, theirs)
    assert_same_schedule(mine, torch_seq)
    assert sched.base_lrs == torch_sched.base_lrs
    assert sched.optimizer.param_groups[0]["initial_lr"] == torch_sched.optimizer.param_groups[0]["initial_lr"]
    assert len({lr for _, _, lr in mine}) > 2  # the lr really changes


@pytest.mark.parametrize("name, ours, theirs", SCHEDULER_CHECKS, ids=scheduler_ids)
def test_the_schedule_comparison_would_see_a_small_error(name, ours, theirs):
    def slightly_off(opt):
        sched = ours(opt)
        sched.base_lrs = [lr * (1 + 1e-9) for lr in sched.base_lrs]
        opt.lr = opt.lr * (1 + 1e-9)
        return sched

    mine, torch_seq, _, _ = lr_sequences(slightly_off, theirs)
    with pytest.raises(AssertionError):
        assert_same_schedule(mine, torch_seq)


@pytest.mark.parametrize("scheduler", SCHEDULER_CHECKS, ids=scheduler_ids)
@pytest.mark.parametrize("optimizer", [check_named("SGD(lr=0.0005, momentum=0.9"),
                                       check_named("Adam(lr=0.05"), check_named("RMSprop(")],
                         ids=lambda check: check[0])
def test_scheduler_drives_optimizer_like_torch(optimizer, scheduler):
    (_, ours, theirs), (_, sched_ours, sched_theirs) = optimizer, scheduler
    mine, torch_run = run_ours(ours, sched_ours), run_torch(theirs, sched_theirs)
    assert first_mismatch(mine.trajectory, torch_run.trajectory) is None, first_mismatch(
        mine.trajectory, torch_run.trajectory
    )
    assert all(math.isclose(a, b, rel_tol=LR_RTOL, abs_tol=1e-300) for a, b in zip(mine.lrs, torch_run.lrs))


def test_two_schedulers_and_a_manual_change_chain_like_torch():
    """Schedulers multiply the *current* lr, so they compose, and a hand-set lr carries on."""

    def build(opt, lib):
        return [lib.StepLR(opt, step_size=5, gamma=0.5), lib.ExponentialLR(opt, gamma=0.9),
                lib.CosineAnnealingLR(opt, T_max=12, eta_min=0.001)]

    import autodiff.lr_scheduler as ours_lib

    opt = SGD([Var(1.0)], lr=0.1)
    torch_opt = torch.optim.SGD([torch.tensor(1.0, requires_grad=True)], lr=0.1)
    scheds, torch_scheds = build(opt, ours_lib), build(torch_opt, torch.optim.lr_scheduler)
    for epoch in range(60):
        if epoch == 30:
            opt.lr = torch_opt.param_groups[0]["lr"] = 0.05
        opt.step(), torch_opt.step()
        for s, ts in zip(scheds, torch_scheds):
            s.step(), ts.step()
        assert math.isclose(opt.lr, torch_opt.param_groups[0]["lr"], rel_tol=LR_RTOL), epoch
        assert [s.get_last_lr()[0] for s in scheds] == pytest.approx(
            [ts.get_last_lr()[0] for ts in torch_scheds], rel=LR_RTOL
        )
    assert opt.param_groups[0]["initial_lr"] == 0.1  # the first scheduler's record is kept


def test_constructing_a_scheduler_sets_epoch_zero():
    opt = SGD([Var(1.0)], lr=0.2)
    sched = LambdaLR(opt, lambda epoch: 0.5 ** (epoch + 1))
    assert sched.last_epoch == 0
    assert opt.lr == sched.get_last_lr()[0] == 0.2 * 0.5
    assert sched.base_lrs == [0.2] and opt.param_groups[0]["initial_lr"] == 0.2
    sched.step()
    assert sched.last_epoch == 1 and opt.lr == 0.2 * 0.25


def test_a_custom_scheduler_only_needs_get_lr():
    class Halving(LRScheduler):
        def get_lr(self):
            return [base / 2 ** self.last_epoch for base in self.base_lrs]

    opt = SGD([Var(1.0)], lr=1.0)
    sched = Halving(opt)
    for _ in range(3):
        sched.step()
    assert opt.lr == sched.get_last_lr()[0] == 1.0 / 8


# ----------------------------------------------------------------------
# The checks are importable without torch
# ----------------------------------------------------------------------
def test_importing_optim_lr_scheduler_and_their_checks_does_not_import_torch():
    code = ("import sys, autodiff.optim, autodiff.lr_scheduler, autodiff.check.training; "
            "assert 'torch' not in sys.modules, 'torch was imported'; "
            "assert isinstance(autodiff.check.training.OPTIMIZER_CHECKS, tuple); "
            "assert isinstance(autodiff.check.training.SCHEDULER_CHECKS, tuple)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_checks_build_working_optimizers_on_both_sides():
    for name, ours, theirs in OPTIMIZER_CHECKS:
        assert isinstance(ours([Var(1.0)]), Optimizer), name
        assert isinstance(theirs([torch.zeros((), requires_grad=True)]), torch.optim.Optimizer), name
    for name, ours, theirs in SCHEDULER_CHECKS:
        assert isinstance(ours(SGD([Var(1.0)], lr=0.1)), LRScheduler), name
        torch_opt = torch.optim.SGD([torch.zeros((), requires_grad=True)], lr=0.1)
        assert isinstance(theirs(torch_opt), torch.optim.lr_scheduler.LRScheduler), name
