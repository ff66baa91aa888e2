"""`OptimizerLab`: race optimizers across a loss surface, live, in Jupyter.

>>> from widgets.optimizer_lab import OptimizerLab
>>> lab = OptimizerLab("bowl", optimizers=("SGD", "Adam"), lr=0.05)
>>> lab.step(3)
3
>>> [round(v, 3) for v in lab.trajectories["SGD"][1]]      # after one step of SGD
[-4.75, 0.0]
>>> lab.diverged
{'SGD': False, 'Adam': False}

Several optimizers start from the same point of a 2-D surface (see
`widgets.surfaces`) and their paths are drawn at once on a contour plot.
Each is a real `autodiff.optim` optimizer moving two `Var`\\ s, ``x`` and
``y``; every step is

    optimizer.zero_grad(); loss = f(x, y); loss.backward(); optimizer.step()
    scheduler.step()                     # if a schedule is chosen

exactly the training loop of the lessons, so a trajectory is bit for bit
what that loop gives by hand (the tests check it).

The optimizers (all with the same learning rate ``lr``):

============  ==============================================================
SGD           ``SGD(lr)``: step against the gradient
Momentum      ``SGD(lr, momentum)``: heavy ball, a running sum of gradients
Nesterov      ``SGD(lr, momentum, nesterov=True)``: look-ahead momentum
              (with momentum 0 it is plain SGD, which PyTorch's flag refuses)
RMSprop       ``RMSprop(lr)``: divide by a running RMS of the gradient
Adam          ``Adam(lr, betas)``: momentum plus RMS scaling, bias-corrected
============  ==============================================================

An optimizer *diverges* when its loss leaves ±1e10, its position leaves
±1e6, or a number becomes too large for a float. It then stops, and its
readout says why in words ("diverged at step 37: the loss became too large
(4.2e+12)"); no readout ever shows nan.

Where things run: the contour grid is computed once per surface, in Python,
by the same function the optimizers differentiate, and drawn on a <canvas>
by ``optimizer_lab.js``. Steps run in the kernel. Play is an asyncio task on
the kernel's own event loop: it takes a few steps, pushes only the new
points to the browser (a custom message), and sleeps, so the kernel keeps
handling messages (Pause, a slider) between frames. Changing any setting
(surface, lr, momentum, betas, schedule, start, optimizers) restarts the
race from the start point.

From Python: `step`, `reset`, `set`, `set_start`, `play`, `pause`; read
`trajectories`, `losses`, `diverged`, `status`, `current_lr`, and
`optimizer` (the live autodiff optimizer, to look at its ``state``).
Outside a live kernel the output shows a PNG of the current state
(matplotlib) and a text summary.

DOM contract (what ``optimizer_lab.js`` builds; the browser tests rely on it):

* root ``.ad-optlab``;
* ``canvas[data-role="contour"]``: the plot; a click inside the plotted
  area sets the start point. Attributes ``data-plot-left``, ``data-plot-top``,
  ``data-plot-width``, ``data-plot-height`` give the plotted area in CSS
  pixels from the canvas' top-left corner; ``data-window`` is
  "x_min,x_max,y_min,y_max"; ``data-points`` is the total number of
  trajectory points drawn;
* ``button[data-action="step"]``, ``button[data-action="play"]`` (its text
  reads "▶ Play" or "⏸ Pause"), ``button[data-action="reset"]``;
* ``select[data-role="surface"]`` and ``select[data-role="schedule"]``;
* sliders ``input[type="range"]`` with ``data-role`` ``lr``, ``momentum``,
  ``beta1``, ``beta2``, ``start-x``, ``start-y``, ``speed``;
* ``[data-role="steps"]``: "step N";
* ``[data-role="readout"]``: a table with one row ``[data-optimizer="Adam"]``
  per optimizer (``data-status`` "running" or "diverged", ``data-points``
  the length of its drawn polyline), whose cells ``[data-field="loss"]``,
  ``"steps"``, ``"lr"``, ``"nearest"``, ``"status"`` show the texts of the
  ``readout`` trait;
* ``[data-role="notice"]`` (why Play stopped) and ``[data-role="error"]``.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import traitlets

from autodiff.arguments import in_range, one_of, positive, positive_int, real
from autodiff.lr_scheduler import CosineAnnealingLR, ExponentialLR, LRScheduler, StepLR
from autodiff.optim import SGD, Adam, Optimizer, RMSprop
from autodiff.trace import format_number
from autodiff.var import Var, no_grad

from ._live import PlayingWidget, esm, figure_png, png_picture
from .surfaces import Surface, get_surface, grid, surface_names

__all__ = ["OptimizerLab", "OPTIMIZERS", "SCHEDULES", "Hyper", "LOSS_LIMIT", "POSITION_LIMIT",
           "MAX_STEPS", "surface_payload"]

HERE = Path(__file__).parent
Point = tuple[float, float]

LOSS_LIMIT = 1e10        # |loss| beyond this: diverged
POSITION_LIMIT = 1e6     # |x| or |y| beyond this: diverged
REACHED = 1e-6           # closer than this to a minimum: "reached"
MAX_STEPS = 5000         # a race stops here (the paths are kept in memory and drawn)
FRAME_SECONDS = 0.05     # Play: the pause between frames (20 frames a second at most)
SPEED_RANGE = (1, 50)    # Play: steps per frame
GRID_SIZE = 121          # contour grid points along each axis
CONTOUR_LEVELS = 14
# The background, from low loss to high: pale, so coloured paths stand out.
HEAT_COLOURS = ("#ffffff", "#eef2f8", "#dbe3ef", "#c3cfe0")
CONTOUR_COLOUR = "#6f7d94"


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
    """How to build one optimizer of the race, and how to draw it.

    Colours are the Okabe–Ito palette (told apart with every common kind of
    colour blindness); each optimizer also has its own marker shape.
    """

    name: str
    colour: str
    marker: str       # a matplotlib marker; optimizer_lab.js draws the same shapes
    recipe: str       # how it is built, in words for the legend's tooltip
    build: Callable[[list[Var], Hyper], Optimizer] = field(repr=False)


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
    """A learning-rate schedule: its label and how to attach it to an optimizer."""

    name: str
    label: str
    build: Optional[Callable[[Optimizer], LRScheduler]] = field(repr=False)


SCHEDULES: dict[str, ScheduleSpec] = {s.name: s for s in (
    ScheduleSpec("none", "constant lr", None),
    ScheduleSpec("step", "step: halve every 100 steps", lambda o: StepLR(o, step_size=100, gamma=0.5)),
    ScheduleSpec("exponential", "exponential: ×0.99 every step", lambda o: ExponentialLR(o, gamma=0.99)),
    ScheduleSpec("cosine", "cosine: down to 0 over 500 steps", lambda o: CosineAnnealingLR(o, T_max=500)),
)}


# ----------------------------------------------------------------------
# Checking settings (one rule each, used by the constructor, set() and the traits)
# ----------------------------------------------------------------------
def _check_optimizers(names: Any) -> tuple[str, ...]:
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
        if name not in OPTIMIZERS:
            raise ValueError(f"OptimizerLab: unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")
    if len(set(names)) != len(names):
        raise ValueError(f"OptimizerLab: each optimizer may race once, got {names!r}")
    return names


def _check_lr(value: Any) -> float:
    return positive(value, "OptimizerLab: lr")


def _check_momentum(value: Any) -> float:
    return in_range(value, "OptimizerLab: momentum", 0, 1)


def _check_betas(value: Any) -> tuple[float, float]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"OptimizerLab: betas must be a pair (beta1, beta2), got {value!r}")
    return (in_range(value[0], "OptimizerLab: betas[0]", 0, 1), in_range(value[1], "OptimizerLab: betas[1]", 0, 1))


def _check_schedule(value: Any) -> str:
    return one_of("none" if value is None else value, "OptimizerLab: schedule", SCHEDULES)


def _check_start(surface: Surface, start: Any) -> Point:
    if not isinstance(start, (tuple, list)) or len(start) != 2:
        raise TypeError(f"OptimizerLab: start must be a point (x, y), got {start!r}")
    x, y = real(start[0], "OptimizerLab: start x"), real(start[1], "OptimizerLab: start y")
    if not surface.contains(x, y):
        x0, x1, y0, y1 = surface.window
        raise ValueError(f"OptimizerLab: start ({x:g}, {y:g}) is outside the {surface.name} window "
                         f"x in [{x0:g}, {x1:g}], y in [{y0:g}, {y1:g}]")
    return x, y


def _check_speed(value: Any) -> int:
    n = positive_int(value, "OptimizerLab: steps_per_frame")
    if n > SPEED_RANGE[1]:
        raise ValueError(f"OptimizerLab: steps_per_frame must be at most {SPEED_RANGE[1]}, got {n}")
    return n


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


# ----------------------------------------------------------------------
# What the browser draws for a surface (computed once per surface)
# ----------------------------------------------------------------------
def _ticks(low: float, high: float) -> list[float]:
    """Round tick values inside [low, high], about six of them."""
    from matplotlib.ticker import MaxNLocator

    values = MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
    return [float(round(v, 10)) for v in values if low - 1e-9 <= v <= high + 1e-9]


@lru_cache(maxsize=None)
def _shading(name: str) -> tuple[Any, Any, Any, Any, tuple[float, ...]]:
    """(xs, ys, Z, shade, levels): the grid, its shade in [0, 1] and the contour levels.

    With ``log_scale`` the shade and the levels are spaced evenly in
    log10(f − f_min), so a valley a thousand times lower than its walls
    still shows its contours; otherwise evenly in f.
    """
    import numpy as np

    s = get_surface(name)
    xs, ys, rows = grid(name, GRID_SIZE, GRID_SIZE)
    z = np.array(rows)
    if s.log_scale:
        floor = s.lowest if s.lowest is not None else float(z.min())
        spread = float(z.max()) - floor
        t = np.log10(z - floor + spread * 1e-7)
        low, high = float(np.percentile(t, 0.5)), float(t.max())
        levels_t = np.linspace(low, high, CONTOUR_LEVELS + 2)[1:-1]
        levels = tuple(float(v) for v in 10 ** levels_t + floor - spread * 1e-7)
    else:
        t = z
        low, high = float(z.min()), float(z.max())
        levels = tuple(float(v) for v in np.linspace(low, high, CONTOUR_LEVELS + 2)[1:-1])
    shade = np.clip((t - low) / (high - low), 0.0, 1.0)
    return np.array(xs), np.array(ys), z, shade, levels


def _contour_paths(name: str) -> list[dict]:
    """Each contour level as polylines [x0, y0, x1, y1, ...] in surface coordinates."""
    import contourpy

    xs, ys, z, _, levels = _shading(name)
    generator = contourpy.contour_generator(xs, ys, z)
    out = []
    for level in levels:
        lines = [[round(float(v), 5) for v in line.ravel()] for line in generator.lines(level)]
        out.append({"level": level, "lines": [line for line in lines if len(line) >= 4]})
    return out


@lru_cache(maxsize=None)
def surface_payload(name: str) -> dict:
    """Everything optimizer_lab.js needs to draw a surface: plain JSON, computed once.

    ``shade`` is the grid's shade as integers 0–255, row by row from y_min
    up; ``contours`` the contour lines; the rest says what and where.
    """
    s = get_surface(name)
    _, _, _, shade, _ = _shading(name)
    x0, x1, y0, y1 = s.window
    return {
        "name": s.name, "title": s.title, "formula": s.formula, "note": s.note,
        "window": list(s.window), "start": list(s.start), "lr": s.lr,
        "minima": [list(m) for m in s.minima], "saddle_points": [list(p) for p in s.saddle_points],
        "nx": GRID_SIZE, "ny": GRID_SIZE,
        "shade": [int(v) for v in (shade * 255).round().astype(int).ravel()],
        "contours": _contour_paths(name),
        "xticks": _ticks(x0, x1), "yticks": _ticks(y0, y1),
    }


def _point_text(p: Point) -> str:
    return f"({format_number(p[0])}, {format_number(p[1])})"


def _choices() -> dict:
    """The menus and colours, for the browser."""
    return {
        "surfaces": [{"name": n, "title": get_surface(n).title} for n in surface_names()],
        "schedules": [{"name": s.name, "label": s.label} for s in SCHEDULES.values()],
        "optimizers": {s.name: {"colour": s.colour, "marker": s.marker, "recipe": s.recipe}
                       for s in OPTIMIZERS.values()},
        "heat_colours": list(HEAT_COLOURS), "contour_colour": CONTOUR_COLOUR,
        "speed_range": list(SPEED_RANGE), "max_steps": MAX_STEPS,
    }


_UNSET: Any = object()


# ----------------------------------------------------------------------
# The widget
# ----------------------------------------------------------------------
class OptimizerLab(PlayingWidget):
    """Race several optimizers from one start point across a 2-D loss surface.

    * ``surface``: one of ``widgets.surfaces.SURFACES`` ("bowl", "rosenbrock",
      "saddle", "himmelblau", "wells");
    * ``optimizers``: which of ``OPTIMIZERS`` race, in the legend's order;
    * ``lr``: the learning rate of them all (default: the surface's own);
    * ``momentum``: for Momentum and Nesterov; ``betas``: for Adam;
    * ``schedule``: None / "none", "step", "exponential" or "cosine" (see `SCHEDULES`);
    * ``start``: the start point (default: the surface's own).

    Choosing another surface (in the browser, or ``lab.surface = ...``)
    also moves the start point and lr to that surface's defaults, unless
    `set` is given them too.
    """

    _esm = esm("optimizer_lab.js")
    _css = HERE / "optimizer_lab.css"
    frame_interval = min_pause = FRAME_SECONDS   # Play: steps_per_frame steps, then this pause

    surface = traitlets.Unicode("rosenbrock").tag(sync=True)
    optimizer_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    lr = traitlets.Float(0.001).tag(sync=True)
    momentum = traitlets.Float(0.9).tag(sync=True)
    beta1 = traitlets.Float(0.9).tag(sync=True)
    beta2 = traitlets.Float(0.999).tag(sync=True)
    schedule = traitlets.Unicode("none").tag(sync=True)
    start = traitlets.List(traitlets.Float(), minlen=2, maxlen=2).tag(sync=True)
    # playing: see PlayingWidget
    steps_per_frame = traitlets.Int(5).tag(sync=True)
    # Written by Python only:
    step_count = traitlets.Int(0).tag(sync=True)       # steps taken so far (by the longest run)
    paths = traitlets.Dict().tag(sync=True)            # name -> [[x, y], ...]; during Play, see _push
    readout = traitlets.List().tag(sync=True)          # one dict of texts per optimizer
    surface_data = traitlets.Dict().tag(sync=True)     # surface_payload(surface)
    choices = traitlets.Dict().tag(sync=True)          # menus, colours, limits
    notice = traitlets.Unicode("").tag(sync=True)      # why Play stopped
    # error (an unexpected failure during Play): see PlayingWidget

    def __init__(self, surface: str = "rosenbrock",
                 optimizers: tuple[str, ...] = ("SGD", "Momentum", "Nesterov", "RMSprop", "Adam"),
                 lr: Optional[float] = None, momentum: float = 0.9,
                 betas: tuple[float, float] = (0.9, 0.999), schedule: Optional[str] = None,
                 start: Optional[Point] = None, steps_per_frame: int = 5) -> None:
        s = get_surface(surface)
        settings = dict(
            surface=s.name, optimizer_names=list(_check_optimizers(optimizers)),
            lr=s.lr if lr is None else _check_lr(lr), momentum=_check_momentum(momentum),
            schedule=_check_schedule(schedule), start=list(s.start if start is None else _check_start(s, start)),
            steps_per_frame=_check_speed(steps_per_frame),
        )
        settings["beta1"], settings["beta2"] = _check_betas(betas)
        self._racers: list[Racer] = []
        self._count = 0          # steps taken (step_count is its synced copy)
        self._batch = 1          # no restarts while the traits are first set
        super().__init__(choices=_choices(), surface_data=surface_payload(s.name), **settings)
        self._batch = 0
        self.on_msg(self._on_browser_message)
        self.reset()

    # ------------------------------------------------------------------
    # Reading the race
    # ------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        """The racing optimizers, in the legend's order."""
        return tuple(self.optimizer_names)

    @property
    def loss_surface(self) -> Surface:
        """The `Surface` being raced on."""
        return get_surface(self.surface)

    @property
    def betas(self) -> tuple[float, float]:
        """Adam's (beta1, beta2)."""
        return (self.beta1, self.beta2)

    @property
    def hyper(self) -> Hyper:
        """The hyperparameters every optimizer of the race was built with."""
        return Hyper(self.lr, self.momentum, self.betas)

    @property
    def trajectories(self) -> dict[str, list[Point]]:
        """Each optimizer's positions: start first, then one (x, y) per step taken."""
        return {r.name: list(r.points) for r in self._racers}

    @property
    def losses(self) -> dict[str, list[float]]:
        """The loss at each point of each trajectory (inf where it is too large for a float)."""
        return {r.name: list(r.losses) for r in self._racers}

    @property
    def diverged(self) -> dict[str, bool]:
        """Which optimizers have stopped because they diverged."""
        return {r.name: not r.running for r in self._racers}

    @property
    def status(self) -> dict[str, str]:
        """Each optimizer's status in words: "running", or why it stopped."""
        return {r.name: r.failure or "running" for r in self._racers}

    @property
    def steps_taken(self) -> dict[str, int]:
        """How many steps each optimizer has taken (a diverged one stopped counting)."""
        return {r.name: r.steps for r in self._racers}

    @property
    def current_lr(self) -> dict[str, float]:
        """Each optimizer's learning rate now (a schedule changes it step by step)."""
        return {r.name: r.optimizer.lr for r in self._racers}

    def optimizer(self, name: str) -> Optimizer:
        """The live `autodiff.optim` optimizer called ``name``: look at its ``state``."""
        for r in self._racers:
            if r.name == name:
                return r.optimizer
        raise ValueError(f"OptimizerLab: no optimizer {name!r} in this race; it has {', '.join(self.names)}")

    # ------------------------------------------------------------------
    # Driving the race
    # ------------------------------------------------------------------
    def step(self, n: int = 1) -> int:
        """Take ``n`` steps with every optimizer still running; returns how many were taken.

        Fewer are taken when every optimizer has stopped, or at `MAX_STEPS`.
        """
        n = positive_int(n, "OptimizerLab.step: n")
        taken = self._advance(n)
        self._sync()
        return taken

    def reset(self) -> None:
        """Stop playing and start the race again from the start point, with the current settings."""
        s = self.loss_surface
        start = (self.start[0], self.start[1])
        self._racers = [new_racer(name, s, start, self.hyper, self.schedule) for name in self.names]
        self._count = 0
        with self.hold_sync():
            self.playing = False
            if self.surface_data.get("name") != s.name:
                self.surface_data = surface_payload(s.name)
            self.notice = ""
            self.error = ""
            self._sync()

    def set_start(self, x: float, y: float) -> None:
        """Move the start point to (x, y) (inside the plotted window) and restart."""
        self.set(start=(x, y))

    def set(self, *, surface: Optional[str] = None, optimizers: Optional[tuple[str, ...]] = None,
            lr: Optional[float] = None, momentum: Optional[float] = None,
            betas: Optional[tuple[float, float]] = None, schedule: Any = _UNSET,
            start: Optional[Point] = None, steps_per_frame: Optional[int] = None) -> None:
        """Change several settings at once (each checked first), then restart once.

        Arguments left out keep their value, except that a new ``surface``
        brings its own default ``lr`` and ``start`` unless they are given
        too. ``schedule=None`` means no schedule.
        """
        s = get_surface(surface) if surface is not None else self.loss_surface
        new: dict[str, Any] = {}
        if surface is not None:
            new.update(surface=s.name, lr=s.lr, start=list(s.start))
        if optimizers is not None:
            new["optimizer_names"] = list(_check_optimizers(optimizers))
        if lr is not None:
            new["lr"] = _check_lr(lr)
        if momentum is not None:
            new["momentum"] = _check_momentum(momentum)
        if betas is not None:
            new["beta1"], new["beta2"] = _check_betas(betas)
        if schedule is not _UNSET:
            new["schedule"] = _check_schedule(schedule)
        if start is not None:
            new["start"] = list(_check_start(s, start))
        if steps_per_frame is not None:
            new["steps_per_frame"] = _check_speed(steps_per_frame)
        with self._changing():
            for key in ("surface", *[k for k in new if k != "surface"]):   # the surface first
                if key in new:
                    setattr(self, key, new[key])

    # play(), pause(), close(): see PlayingWidget. Play takes steps_per_frame steps a frame,
    # until paused or until every optimizer has stopped.

    # ------------------------------------------------------------------
    # Stepping and telling the browser
    # ------------------------------------------------------------------
    def _can_step(self) -> bool:
        return self._count < MAX_STEPS and any(r.running for r in self._racers)

    def _advance(self, n: int) -> int:
        """Up to ``n`` steps of every running optimizer; how many were taken."""
        s = self.loss_surface
        taken = 0
        while taken < n and self._can_step():
            self._count += 1
            for racer in self._racers:
                if racer.running:
                    take_step(racer, s, self._count)
            taken += 1
        if self._count >= MAX_STEPS:
            self.notice = f"Stopped at {MAX_STEPS} steps, the most a race keeps: press Reset to race again."
        elif not any(r.running for r in self._racers):
            self.notice = "Every optimizer has stopped: change a setting or press Reset."
        return taken

    def _readout_row(self, r: Racer) -> dict:
        """The texts of one readout row (the browser shows them as they are)."""
        x, y = r.points[-1]
        loss = r.losses[-1]
        nearest = self.loss_surface.nearest_minimum(x, y)
        if nearest is None:
            nearest_text = "none: no minimum here"
        else:
            point, distance = nearest
            where = "reached" if distance < REACHED else f"{format_number(distance)} away"
            nearest_text = f"{_point_text(point)}, {where}"
        spec = OPTIMIZERS[r.name]
        return {
            "name": r.name, "colour": spec.colour, "marker": spec.marker, "recipe": spec.recipe,
            "loss": "too large" if loss == math.inf else format_number(loss),
            "steps": r.steps, "points": len(r.points), "lr": format_number(r.optimizer.lr),
            "position": _point_text((x, y)), "nearest": nearest_text,
            "status": "running" if r.running else "diverged", "message": r.failure or "running",
        }

    def _sync(self) -> None:
        """Send the browser everything: every path in full, and the readout."""
        with self.hold_sync():
            self.paths = {r.name: [list(p) for p in r.points] for r in self._racers}
            self.readout = [self._readout_row(r) for r in self._racers]
            self.step_count = self._count

    def _push(self, first: dict[str, int]) -> None:
        """Send the browser only the points added since index ``first[name]``, and the readout.

        The full ``paths`` trait is sent when Play stops; a view that misses
        a frame asks for everything again (the "resync" message).
        """
        points = {r.name: {"from": first[r.name], "xy": [list(p) for p in r.points[first[r.name]:]]}
                  for r in self._racers}
        self.send({"kind": "points", "points": points})
        with self.hold_sync():
            self.readout = [self._readout_row(r) for r in self._racers]
            self.step_count = self._count

    def _on_browser_message(self, _widget: Any, content: dict, _buffers: Any) -> None:
        """Buttons in the browser: Step, Reset, and a view asking for the paths again."""
        action = content.get("action") if isinstance(content, dict) else None
        if action == "step":
            self.playing = False
            self.step(1)
        elif action == "reset":
            self.reset()
        elif action == "resync":
            self.send({"kind": "paths", "paths": {r.name: [list(p) for p in r.points] for r in self._racers}})

    # ------------------------------------------------------------------
    # Settings changed (from Python or the browser)
    # ------------------------------------------------------------------
    @contextmanager
    def _changing(self) -> Iterator[None]:
        """Change several settings with one restart at the end instead of one per setting."""
        self._batch += 1
        try:
            with self.hold_sync():
                yield
        finally:
            self._batch -= 1
        if not self._batch:
            self.reset()

    @traitlets.validate("surface")
    def _valid_surface(self, proposal):
        return get_surface(proposal["value"]).name

    @traitlets.validate("optimizer_names")
    def _valid_optimizers(self, proposal):
        return list(_check_optimizers(proposal["value"]))

    @traitlets.validate("lr")
    def _valid_lr(self, proposal):
        return _check_lr(proposal["value"])

    @traitlets.validate("momentum")
    def _valid_momentum(self, proposal):
        return _check_momentum(proposal["value"])

    @traitlets.validate("beta1", "beta2")
    def _valid_beta(self, proposal):
        return in_range(proposal["value"], f"OptimizerLab: {proposal['trait'].name}", 0, 1)

    @traitlets.validate("schedule")
    def _valid_schedule(self, proposal):
        return _check_schedule(proposal["value"])

    @traitlets.validate("start")
    def _valid_start(self, proposal):
        return list(_check_start(get_surface(self.surface), proposal["value"]))

    @traitlets.validate("steps_per_frame")
    def _valid_speed(self, proposal):
        return _check_speed(proposal["value"])

    @traitlets.observe("surface")
    def _surface_changed(self, change) -> None:
        """A surface chosen alone brings its own lr and start point."""
        if self._batch:
            return
        s = get_surface(change["new"])
        with self._changing():
            self.lr = s.lr
            self.start = list(s.start)

    @traitlets.observe("optimizer_names", "lr", "momentum", "beta1", "beta2", "schedule", "start")
    def _setting_changed(self, change) -> None:
        if not self._batch:
            self.reset()

    # ------------------------------------------------------------------
    # Play (the task itself: see PlayingWidget)
    # ------------------------------------------------------------------
    def _can_play(self) -> bool:
        return self._can_step()

    def _before_play(self) -> None:
        self.notice = ""

    def _play_frame(self) -> None:
        """A few steps, and only their new points sent to the browser."""
        first = {r.name: len(r.points) for r in self._racers}
        self._advance(self.steps_per_frame)
        self._push(first)

    def _after_play(self) -> None:
        self._sync()       # the full paths, now that no more frames come

    # ------------------------------------------------------------------
    # Outside a live kernel: a picture and a few lines of text
    # ------------------------------------------------------------------
    def __repr__(self) -> str:
        s = self.loss_surface
        head = (f"OptimizerLab on {s.name}: f(x, y) = {s.formula}, start {_point_text(tuple(self.start))}, "
                f"lr {format_number(self.lr)}, momentum {format_number(self.momentum)}, "
                f"betas ({format_number(self.beta1)}, {format_number(self.beta2)}), "
                f"schedule {self.schedule}; step {self._count}")
        width = max(len(n) for n in self.names)
        lines = [head]
        for row in (self._readout_row(r) for r in self._racers):
            lines.append(f"  {row['name']:<{width}}  loss {row['loss']:<10} at {row['position']:<20} "
                         f"{row['steps']:>4} steps  {row['message']}")
        return "\n".join(lines)

    def static_png(self) -> bytes:
        """The contour plot with every path, as PNG bytes (matplotlib's Agg, no display needed)."""
        return draw_png(self.loss_surface, self.start, self._racers, self._count)

    def _static_picture(self) -> tuple[str, str]:
        """`static_png`: the contour plot with every path so far."""
        return png_picture(self.static_png())


# ----------------------------------------------------------------------
# The static picture (matplotlib)
# ----------------------------------------------------------------------
def _on_canvas(points: list[Point], window: tuple[float, float, float, float]) -> tuple[list[float], list[float]]:
    """The points as x and y lists, far-off points pulled in to ten windows away (still off the plot)."""
    x0, x1, y0, y1 = window
    dx, dy = 10 * (x1 - x0), 10 * (y1 - y0)
    return ([min(max(x, x0 - dx), x1 + dx) for x, _ in points],
            [min(max(y, y0 - dy), y1 + dy) for _, y in points])


def draw_png(surface: Surface, start: list[float], racers: list[Racer], step_count: int) -> bytes:
    """The contour plot, the start, the minima and every path with a legend, as PNG bytes.

    The same shading, contour levels, colours and markers as the browser,
    drawn in the same order: paths, then minima, then where each optimizer
    is now. The PNG carries no date or version: the same race, the same bytes.
    """
    import textwrap

    from matplotlib import patheffects
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    xs, ys, z, shade, levels = _shading(surface.name)
    window = surface.window
    fig = Figure(figsize=(7.5, 6.4), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    cmap = LinearSegmentedColormap.from_list("ad-heat", HEAT_COLOURS)
    ax.imshow(shade, origin="lower", extent=window, cmap=cmap, vmin=0, vmax=1,
              interpolation="bilinear", aspect="equal")
    ax.contour(xs, ys, z, levels=levels, colors=CONTOUR_COLOUR, linewidths=0.8, alpha=0.75,
               linestyles="solid")
    halo = [patheffects.Stroke(linewidth=4.5, foreground="white"), patheffects.Normal()]
    handles = []
    for r in racers:
        spec = OPTIMIZERS[r.name]
        px, py = _on_canvas(r.points, window)
        ax.plot(px, py, color=spec.colour, linewidth=2.2, path_effects=halo, zorder=5)
        ax.plot(px[-1:], py[-1:], linestyle="none", marker=spec.marker, markersize=10, zorder=7,
                markerfacecolor=spec.colour if r.running else "white", markeredgecolor="white" if r.running else spec.colour,
                markeredgewidth=1.5)
        loss = "too large" if r.losses[-1] == math.inf else format_number(r.losses[-1])
        label = f"{r.name}: loss {loss} after {r.steps} steps" if r.running else f"{r.name}: {r.failure}"
        handles.append(Line2D([], [], color=spec.colour, linewidth=2.2, marker=spec.marker, markersize=8,
                              markeredgecolor="white", label=label))
    for m in surface.minima:
        ax.plot(*m, marker="*", markersize=15, color="#1d2330", markeredgecolor="white", zorder=6)
    for p in surface.saddle_points:
        ax.plot(*p, marker="X", markersize=11, color="#1d2330", markeredgecolor="white", zorder=6)
    ax.plot(*start, marker="o", markersize=13, markerfacecolor="none", markeredgecolor="#1d2330",
            markeredgewidth=2.2, zorder=6)
    ax.set_xlim(window[0], window[1])
    ax.set_ylim(window[2], window[3])
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    formula = textwrap.fill(f"f(x, y) = {surface.formula}", 90)
    ax.set_title(f"{surface.title}, step {step_count}\n{formula}", fontsize=10)
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=1, fontsize=9,
              frameon=False)
    return figure_png(fig)
