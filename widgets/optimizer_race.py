"""The race behind `OptimizerLab`: optimizers stepping across a 2-D loss surface, no widget needed.

>>> from widgets.surfaces import get_surface
>>> race = Race(get_surface("bowl"), ("SGD", "Adam"), start=(-5.0, 2.5), hyper=Hyper(0.05, 0.9, (0.9, 0.999)))
>>> race.advance(3)
3
>>> [round(v, 3) for v in race.trajectories["SGD"][1]]      # after one step of SGD
[-4.75, 0.0]
>>> race.status
{'SGD': 'running', 'Adam': 'running'}

Each racer is a real `autodiff.optim` optimizer moving two `Var`\\ s, ``x``
and ``y``, from the same start point, with the same hyperparameters
(`Hyper`). One step of a racer is the training loop of the lessons:

    optimizer.zero_grad(); loss = f(x, y); loss.backward(); optimizer.step()
    scheduler.step()                     # if a schedule is chosen

so a trajectory is bit for bit what that loop gives by hand.

A racer *diverges* when its loss leaves ±`LOSS_LIMIT`, its position leaves
±`POSITION_LIMIT`, or a number becomes too large for a float. It then stops,
and its status says why in words ("diverged at step 37: the loss became too
large (4.2e+12)"); no text ever shows nan. A race ends at `MAX_STEPS`.

The ``check_*`` functions are the rules for each setting of a race; the
widget applies them to its constructor, `OptimizerLab.set` and the values
the browser sends, so every way in refuses a bad value with the same words.
This module imports nothing of Jupyter: it runs, and is tested, on its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

from autodiff.arguments import in_range, one_of, positive, real
from autodiff.lr_scheduler import CosineAnnealingLR, ExponentialLR, LRScheduler, StepLR
from autodiff.optim import SGD, Adam, Optimizer, RMSprop
from autodiff.trace import format_number
from autodiff.var import Var, no_grad

from .surfaces import Surface

__all__ = ["Race", "Racer", "Hyper", "OptimizerSpec", "OPTIMIZERS", "ScheduleSpec", "SCHEDULES",
           "LOSS_LIMIT", "POSITION_LIMIT", "REACHED", "MAX_STEPS", "check_optimizers", "check_lr",
           "check_momentum", "check_beta", "check_betas", "check_schedule", "check_start", "point_text"]

Point = tuple[float, float]

LOSS_LIMIT = 1e10        # |loss| beyond this: diverged
POSITION_LIMIT = 1e6     # |x| or |y| beyond this: diverged
REACHED = 1e-6           # closer than this to a minimum: "reached"
MAX_STEPS = 5000         # a race stops here (the paths are kept in memory and drawn)


# ----------------------------------------------------------------------
# The optimizers and the schedules on offer
# ----------------------------------------------------------------------
@dataclass(frozen=True)
class Hyper:
    """The hyperparameters shared by every optimizer in a race."""

    lr: float
    momentum: float
    betas: tuple[float, float]


@dataclass(frozen=True)
class OptimizerSpec:
    """How to build one optimizer of the race, and how it looks wherever it is shown.

    Colours are the Okabe–Ito palette (told apart with every common kind of
    colour blindness); each optimizer also has its own marker shape.
    """

    name: str
    colour: str
    marker: str       # a matplotlib marker; optimizer_lab.js draws the same shapes
    recipe: str       # how it is built, in words for the legend's tooltip
    build: Callable[[list[Var], Hyper], Optimizer] = field(repr=False)


# Nesterov with momentum 0 is plain SGD: PyTorch's flag refuses that case, so it is left off.
OPTIMIZERS: dict[str, OptimizerSpec] = {s.name: s for s in (
    OptimizerSpec("SGD", "#0072B2", "o", "SGD(lr)",
                  lambda p, h: SGD(p, lr=h.lr)),
    OptimizerSpec("Momentum", "#E69F00", "s", "SGD(lr, momentum)",
                  lambda p, h: SGD(p, lr=h.lr, momentum=h.momentum)),
    OptimizerSpec("Nesterov", "#009E73", "^", "SGD(lr, momentum, nesterov=True)",
                  lambda p, h: SGD(p, lr=h.lr, momentum=h.momentum, nesterov=h.momentum > 0)),
    OptimizerSpec("RMSprop", "#CC79A7", "D", "RMSprop(lr)",
                  lambda p, h: RMSprop(p, lr=h.lr)),
    OptimizerSpec("Adam", "#D55E00", "p", "Adam(lr, betas)",
                  lambda p, h: Adam(p, lr=h.lr, betas=h.betas)),
)}


@dataclass(frozen=True)
class ScheduleSpec:
    """A learning-rate schedule: its label, what it does, and how to attach it to an optimizer.

    The label is what the lab's menu shows: short enough to be read whole in
    it (at most `LABEL_WIDTH` characters); the description is the option's tooltip.
    """

    name: str
    label: str
    description: str
    build: Optional[Callable[[Optimizer], LRScheduler]] = field(repr=False)


LABEL_WIDTH = 18   # characters: what the lab's schedule menu shows whole at its narrowest
SCHEDULES: dict[str, ScheduleSpec] = {s.name: s for s in (
    ScheduleSpec("none", "constant lr", "the same lr at every step", None),
    ScheduleSpec("step", "step ×0.5 / 100", "step: the lr halves every 100 steps",
                 lambda o: StepLR(o, step_size=100, gamma=0.5)),
    ScheduleSpec("exponential", "exponential ×0.99", "exponential: the lr × 0.99 at every step",
                 lambda o: ExponentialLR(o, gamma=0.99)),
    ScheduleSpec("cosine", "cosine, 500 steps", "cosine: the lr goes down to 0 over 500 steps",
                 lambda o: CosineAnnealingLR(o, T_max=500)),
)}


# ----------------------------------------------------------------------
# Checking settings: one rule each, the value to use or a clear error
# ----------------------------------------------------------------------
def check_optimizers(names: Any) -> tuple[str, ...]:
    """Names from `OPTIMIZERS`, each at most once (one name alone is fine too)."""
    if isinstance(names, str):
        names = (names,)
    try:
        names = tuple(names)
    except TypeError:
        raise TypeError(f"OptimizerLab: optimizers must be names such as ('SGD', 'Adam'), "
                        f"got {type(names).__name__}") from None
    if not names:
        raise ValueError(f"OptimizerLab: choose at least one optimizer from {', '.join(OPTIMIZERS)}")
    for name in names:
        if not isinstance(name, str) or name not in OPTIMIZERS:
            shown = repr(name) if len(repr(name)) <= 40 else repr(name)[:39] + "…"
            raise ValueError(f"OptimizerLab: unknown optimizer {shown}; choose from {', '.join(OPTIMIZERS)}")
    if len(set(names)) != len(names):
        repeated = [n for n in OPTIMIZERS if names.count(n) > 1]
        raise ValueError(f"OptimizerLab: each optimizer may race once, got {len(names)} names "
                         f"({', '.join(repeated)} more than once)")
    return names


def check_lr(value: Any) -> float:
    """A learning rate: a finite real number above 0."""
    return positive(value, "OptimizerLab: lr")


def check_momentum(value: Any) -> float:
    """A momentum in [0, 1)."""
    return in_range(value, "OptimizerLab: momentum", 0, 1)


def check_beta(value: Any, name: str) -> float:
    """One of Adam's betas, in [0, 1); ``name`` says which in the error."""
    return in_range(value, f"OptimizerLab: {name}", 0, 1)


def check_betas(value: Any) -> tuple[float, float]:
    """Adam's pair (beta1, beta2)."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"OptimizerLab: betas must be a pair (beta1, beta2), got {value!r}")
    return check_beta(value[0], "betas[0]"), check_beta(value[1], "betas[1]")


def check_schedule(value: Any) -> str:
    """A name from `SCHEDULES`; None means "none"."""
    return one_of("none" if value is None else value, "OptimizerLab: schedule", SCHEDULES)


def check_start(surface: Surface, start: Any) -> Point:
    """A point (x, y) inside the plotted window of ``surface``."""
    if not isinstance(start, (tuple, list)) or len(start) != 2:
        raise TypeError(f"OptimizerLab: start must be a point (x, y), got {start!r}")
    x, y = real(start[0], "OptimizerLab: start x"), real(start[1], "OptimizerLab: start y")
    if not surface.contains(x, y):
        x0, x1, y0, y1 = surface.window
        raise ValueError(f"OptimizerLab: start ({x:g}, {y:g}) is outside the {surface.name} window "
                         f"x in [{x0:g}, {x1:g}], y in [{y0:g}, {y1:g}]")
    return x, y


# ----------------------------------------------------------------------
# One optimizer in the race
# ----------------------------------------------------------------------
@dataclass
class Racer:
    """One optimizer moving (x, y) on the surface, and everything it has done.

    ``points[k]`` is the position after k steps (``points[0]`` the start),
    ``losses[k]`` the loss there (inf if too large for a float), and
    ``lrs[k]`` the learning rate step k + 1 used. ``failure`` says why it
    stopped ("" while it runs).
    """

    name: str
    x: Var
    y: Var
    optimizer: Optimizer
    scheduler: Optional[LRScheduler]
    points: list[Point]
    losses: list[float]
    lrs: list[float] = field(default_factory=list)
    failure: str = ""

    @property
    def steps(self) -> int:
        return len(self.points) - 1

    @property
    def running(self) -> bool:
        return not self.failure


def loss_at(surface: Surface, x: float, y: float) -> float:
    """The loss at (x, y), computed by the same Var ops as a step; inf if too large for a float."""
    try:
        with no_grad():
            return surface(Var(x), Var(y)).data
    except OverflowError:
        return math.inf


def new_racer(name: str, surface: Surface, start: Point, hyper: Hyper, schedule: str) -> Racer:
    """A fresh optimizer at ``start``, with its schedule (if any) attached."""
    x, y = Var(start[0], label="x"), Var(start[1], label="y")
    optimizer = OPTIMIZERS[name].build([x, y], hyper)
    build_schedule = SCHEDULES[schedule].build
    scheduler = build_schedule(optimizer) if build_schedule else None
    return Racer(name, x, y, optimizer, scheduler, [start], [loss_at(surface, *start)])


def divergence(t: int, loss: float, x: float, y: float) -> str:
    """Why step ``t`` counts as diverging, in words ("" if it does not)."""
    if loss == math.inf:
        return f"diverged at step {t}: the loss became too large for a float"
    if loss > LOSS_LIMIT:
        return f"diverged at step {t}: the loss became too large ({format_number(loss)})"
    if loss < -LOSS_LIMIT:
        return (f"diverged at step {t}: the loss fell below {format_number(-LOSS_LIMIT)} and keeps "
                f"falling (this surface has no minimum)")
    if max(abs(x), abs(y)) > POSITION_LIMIT:
        return f"diverged at step {t}: it ran far off the map (|x| or |y| above {format_number(POSITION_LIMIT)})"
    return ""


def take_step(racer: Racer, surface: Surface, t: int) -> None:
    """Step ``t`` of one optimizer: the gradient by backward(), one update, the schedule's step.

    Any number too large for a float, or a loss or position beyond the
    limits, ends the racer's run with a message saying so.
    """
    optimizer = racer.optimizer
    try:
        optimizer.zero_grad()
        loss = surface(racer.x, racer.y)
        loss.backward()
    except OverflowError:
        racer.failure = f"diverged at step {t}: the gradient became too large for a float"
        return
    lr = optimizer.lr
    try:
        optimizer.step()
    except OverflowError:   # the optimizer changed nothing
        racer.failure = f"diverged at step {t}: the update was too large for a float"
        return
    if racer.scheduler is not None:
        racer.scheduler.step()
    x, y = racer.x.data, racer.y.data
    new_loss = loss_at(surface, x, y)
    racer.points.append((x, y))
    racer.losses.append(new_loss)
    racer.lrs.append(lr)
    racer.failure = divergence(t, new_loss, x, y)


def point_text(p: Point) -> str:
    """A point as the readout writes it: "(−1.5, 2.5)"."""
    return f"({format_number(p[0])}, {format_number(p[1])})"


# ----------------------------------------------------------------------
# The race: every racer, stepped together
# ----------------------------------------------------------------------
class Race:
    """Optimizers racing from one start point across one surface, all with the same settings.

    The settings are taken as given: check them first with the ``check_*``
    functions. ``count`` is the number of steps taken so far by the longest
    run (a racer that diverged stopped counting its own).
    """

    def __init__(self, surface: Surface, names: Sequence[str], start: Point, hyper: Hyper,
                 schedule: str = "none") -> None:
        self.surface = surface
        self.start = start
        self.hyper = hyper
        self.schedule = schedule
        self.racers = [new_racer(name, surface, start, hyper, schedule) for name in names]
        self.count = 0

    @property
    def names(self) -> tuple[str, ...]:
        """The racing optimizers, in the legend's order."""
        return tuple(r.name for r in self.racers)

    # ------------------------------------------------------------------
    # Stepping
    # ------------------------------------------------------------------
    @property
    def can_step(self) -> bool:
        """True while some racer still runs and the race is below `MAX_STEPS`."""
        return self.count < MAX_STEPS and any(r.running for r in self.racers)

    def advance(self, n: int) -> int:
        """Up to ``n`` steps of every racer still running; returns how many were taken."""
        taken = 0
        while taken < n and self.can_step:
            self.count += 1
            for racer in self.racers:
                if racer.running:
                    take_step(racer, self.surface, self.count)
            taken += 1
        return taken

    @property
    def stop_reason(self) -> str:
        """Why the race can take no more steps, in words ("" while it can)."""
        if self.count >= MAX_STEPS:
            return f"Stopped at {MAX_STEPS} steps, the most a race keeps: press Reset to race again."
        if not any(r.running for r in self.racers):
            return "Every optimizer has stopped: change a setting or press Reset."
        return ""

    # ------------------------------------------------------------------
    # Reading the race
    # ------------------------------------------------------------------
    @property
    def trajectories(self) -> dict[str, list[Point]]:
        """Each optimizer's positions: start first, then one (x, y) per step taken."""
        return {r.name: list(r.points) for r in self.racers}

    @property
    def losses(self) -> dict[str, list[float]]:
        """The loss at each point of each trajectory (inf where it is too large for a float)."""
        return {r.name: list(r.losses) for r in self.racers}

    @property
    def diverged(self) -> dict[str, bool]:
        """Which optimizers have stopped because they diverged."""
        return {r.name: not r.running for r in self.racers}

    @property
    def status(self) -> dict[str, str]:
        """Each optimizer's status in words: "running", or why it stopped."""
        return {r.name: r.failure or "running" for r in self.racers}

    @property
    def steps_taken(self) -> dict[str, int]:
        """How many steps each optimizer has taken (a diverged one stopped counting)."""
        return {r.name: r.steps for r in self.racers}

    @property
    def current_lr(self) -> dict[str, float]:
        """Each optimizer's learning rate now (a schedule changes it step by step)."""
        return {r.name: r.optimizer.lr for r in self.racers}

    def optimizer(self, name: str) -> Optimizer:
        """The live `autodiff.optim` optimizer called ``name``: look at its ``state``."""
        for r in self.racers:
            if r.name == name:
                return r.optimizer
        raise ValueError(f"OptimizerLab: no optimizer {name!r} in this race; it has {', '.join(self.names)}")

    # ------------------------------------------------------------------
    # What the browser is sent (plain JSON)
    # ------------------------------------------------------------------
    def paths(self) -> dict[str, list[list[float]]]:
        """Every path in full: name -> [[x, y], ...]."""
        return {r.name: [list(p) for p in r.points] for r in self.racers}

    def path_lengths(self) -> dict[str, int]:
        """How many points each path has now: where the next new points will begin."""
        return {r.name: len(r.points) for r in self.racers}

    def points_since(self, first: dict[str, int]) -> dict[str, dict]:
        """Each path's points from index ``first[name]`` on, with that index: name -> {"from", "xy"}."""
        return {r.name: {"from": first[r.name], "xy": [list(p) for p in r.points[first[r.name]:]]}
                for r in self.racers}

    def readout(self) -> list[dict]:
        """One row of texts per optimizer, in the legend's order (`readout_row`)."""
        return [self.readout_row(r) for r in self.racers]

    def readout_row(self, r: Racer) -> dict:
        """The texts of one readout row (the browser shows them as they are), with its colour and marker."""
        x, y = r.points[-1]
        loss = r.losses[-1]
        nearest = self.surface.nearest_minimum(x, y)
        if nearest is None:
            nearest_text = "none: no minimum here"
        else:
            point, distance = nearest
            where = "reached" if distance < REACHED else f"{format_number(distance)} away"
            nearest_text = f"{point_text(point)}, {where}"
        spec = OPTIMIZERS[r.name]
        return {
            "name": r.name, "colour": spec.colour, "marker": spec.marker, "recipe": spec.recipe,
            "loss": "too large" if loss == math.inf else format_number(loss),
            "steps": r.steps, "points": len(r.points), "lr": format_number(r.optimizer.lr),
            "position": point_text((x, y)), "nearest": nearest_text,
            "status": "running" if r.running else "diverged", "message": r.failure or "running",
        }
