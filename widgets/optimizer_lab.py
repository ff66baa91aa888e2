"""`OptimizerLab`: race optimizers across a loss surface, live, in Jupyter.

>>> from widgets.optimizer_lab import OptimizerLab
>>> lab = OptimizerLab("bowl", optimizers=("SGD", "Adam"), lr=0.05)
>>> lab.step(3)
3
>>> [round(v, 3) for v in lab.trajectories["SGD"][1]]      # after one step of SGD
[-4.75, 0.0]
>>> lab.diverged
{'SGD': False, 'Adam': False}

The lab is a few modules, one job each:

* `widgets.optimizer_race`: the race itself, with no Jupyter in it: the
  optimizers and schedules on offer, the steps (the lessons' training loop),
  divergence and its wording, the readout's texts, and the rule for every
  setting;
* this module: the widget. It holds a `Race`, builds a new one whenever a
  setting changes, and keeps the browser in step with it;
* `widgets.contours`: the surface's shading and contour lines, computed once
  per surface, for the browser and the picture alike;
* `widgets.optimizer_lab_drawing`: the static PNG, for where no kernel runs.

Steps run in the kernel; ``optimizer_lab.js`` only draws. Play is an asyncio
task on the kernel's own event loop (see `PlayingWidget`): each frame takes
``steps_per_frame`` steps, sends the browser only the new points, and sleeps,
so the kernel keeps handling Pause and the sliders between frames. Changing
any setting (surface, lr, momentum, betas, schedule, start, optimizers)
restarts the race from the start point; if Play is on, it goes on with the
new setting, as in the Playground. Reset and Step stop Play.

From Python: `step`, `reset`, `set`, `set_start`, `play`, `pause`; read
`trajectories`, `losses`, `diverged`, `status`, `current_lr`, and
`optimizer` (the live autodiff optimizer, to look at its ``state``).
Outside a live kernel the output shows a PNG of the current state and a
text summary.

docs/optimizer-lab.md has the rest: the optimizers on offer, the messages
between kernel and browser, and the DOM that the browser tests rely on.
"""

from __future__ import annotations

import base64
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

import traitlets

from autodiff.arguments import positive_int
from autodiff.optim import Optimizer
from autodiff.trace import format_number

from ._live import PlayingWidget, esm, png_picture
from .browser_state import BrowserChecked, refused, short_repr
from .contours import surface_payload
from .optimizer_lab_drawing import CONTOUR_COLOUR, HEAT_COLOURS, draw_png
from .optimizer_race import (
    LOSS_LIMIT, MAX_STEPS, OPTIMIZERS, POSITION_LIMIT, SCHEDULES, Hyper, Point, Race, check_beta,
    check_betas, check_lr, check_momentum, check_optimizers, check_schedule, check_start, point_text,
)
from .surfaces import Surface, get_surface, surface_names

# OptimizerLab, and the names this module offered before the race moved to widgets.optimizer_race.
__all__ = ["OptimizerLab", "OPTIMIZERS", "SCHEDULES", "Hyper", "LOSS_LIMIT", "POSITION_LIMIT",
           "MAX_STEPS", "surface_payload", "pack_points", "browser_surface"]

HERE = Path(__file__).parent
FRAME_SECONDS = 0.05     # Play: the pause between frames (20 frames a second at most)
SPEED_RANGE = (1, 50)    # Play: steps per frame
PATH_DIGITS = 6          # significant digits of the path points sent to the browser (it only draws them)
CONTOUR_DIGITS = 4       # ... of the contour lines' points (a pixel is about 1/550 of the window)


# ---------------------------------------------------------------------------
# What the browser draws, packed small
# ---------------------------------------------------------------------------
# A saved notebook keeps every synced trait of every lab, written one JSON number per line: a
# lab's shading grid alone (121 x 121 numbers) took 200 kB of lesson 10. The browser only draws
# these numbers, so they travel as short text instead: points as "x,y x,y ..." rounded to a
# few significant digits (far finer than a pixel), and the shading as base64 bytes. The kernel's
# own numbers (trajectories, losses, the readout) are never rounded.
def _number_text(value: float, digits: int) -> str:
    """``value`` to ``digits`` significant digits, as JavaScript's Number() reads it back."""
    text = f"{value:.{digits}g}"
    return {"inf": "Infinity", "-inf": "-Infinity", "nan": "NaN"}.get(text, text)


def pack_points(points: Iterable[tuple[float, float]], digits: int = PATH_DIGITS) -> str:
    """Points as the text optimizer_lab.js draws from (its ``unpackPoints``): "x,y x,y ...".

    >>> pack_points([(-5.0, 2.5), (-4.88000000024, 2.380000000024)])
    '-5,2.5 -4.88,2.38'
    """
    return " ".join(f"{_number_text(x, digits)},{_number_text(y, digits)}" for x, y in points)


@lru_cache(maxsize=None)
def browser_surface(name: str) -> dict:
    """`surface_payload` packed for the ``surface_data`` trait: computed once per surface.

    ``shade`` becomes the grid's bytes (0-255, row by row from y_min up) in base64, and each
    contour line (``[x0, y0, x1, y1, ...]``) a `pack_points` text; the rest is as it was.
    """
    data = surface_payload(name)
    contours = [{"level": c["level"],
                 "lines": [pack_points(zip(line[0::2], line[1::2]), CONTOUR_DIGITS) for line in c["lines"]]}
                for c in data["contours"]]
    return {**data, "shade": base64.b64encode(bytes(data["shade"])).decode("ascii"), "contours": contours}


def _check_speed(value: Any) -> int:
    """Play's steps per frame: a whole number from 1 to the top of `SPEED_RANGE`."""
    n = positive_int(value, "OptimizerLab: steps_per_frame")
    if n > SPEED_RANGE[1]:
        raise ValueError(f"OptimizerLab: steps_per_frame must be at most {SPEED_RANGE[1]}, got {n}")
    return n


# The rule for each trait that the browser (or ``lab.lr = ...``) may set: the same rules as the
# constructor's and `OptimizerLab.set`'s. A rule gets the proposed value and the surface raced on,
# which only the start point needs (it must lie inside the surface's window).
_TRAIT_CHECKS: dict[str, Callable[[Any, Surface], Any]] = {
    "surface": lambda value, _: get_surface(value).name,
    "optimizer_names": lambda value, _: list(check_optimizers(value)),
    "lr": lambda value, _: check_lr(value),
    "momentum": lambda value, _: check_momentum(value),
    "beta1": lambda value, _: check_beta(value, "beta1"),
    "beta2": lambda value, _: check_beta(value, "beta2"),
    "schedule": lambda value, _: check_schedule(value),
    "start": lambda value, surface: list(check_start(surface, value)),
    "steps_per_frame": lambda value, _: _check_speed(value),
}


def _choices() -> dict:
    """The menus and colours, for the browser."""
    return {
        "surfaces": [{"name": n, "title": get_surface(n).title} for n in surface_names()],
        "schedules": [{"name": s.name, "label": s.label, "description": s.description}
                      for s in SCHEDULES.values()],
        "optimizers": {s.name: {"colour": s.colour, "marker": s.marker, "recipe": s.recipe}
                       for s in OPTIMIZERS.values()},
        "heat_colours": list(HEAT_COLOURS), "contour_colour": CONTOUR_COLOUR,
        "speed_range": list(SPEED_RANGE), "max_steps": MAX_STEPS,
    }


_UNSET: Any = object()
BROWSER_ACTIONS = ("step", "reset", "resync")   # the custom messages the view sends


class OptimizerLab(BrowserChecked, PlayingWidget):
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
    paths = traitlets.Dict().tag(sync=True)            # name -> pack_points text; during Play, see _push
    readout = traitlets.List().tag(sync=True)          # one dict of texts per optimizer
    surface_data = traitlets.Dict().tag(sync=True)     # browser_surface(surface)
    choices = traitlets.Dict().tag(sync=True)          # menus, colours, limits
    notice = traitlets.Unicode("").tag(sync=True)      # why Play stopped
    # error (an unexpected failure during Play): see PlayingWidget

    _race: Race   # the race under way: reset() builds a new one from the settings

    # What the browser may set (widgets.browser_state): the settings and Play. The rest is the kernel's.
    _browser_writable = frozenset({*_TRAIT_CHECKS, "playing"})

    def __init__(self, surface: str = "rosenbrock",
                 optimizers: tuple[str, ...] = ("SGD", "Momentum", "Nesterov", "RMSprop", "Adam"),
                 lr: Optional[float] = None, momentum: float = 0.9,
                 betas: tuple[float, float] = (0.9, 0.999), schedule: Optional[str] = None,
                 start: Optional[Point] = None, steps_per_frame: int = 5) -> None:
        s = get_surface(surface)
        settings = dict(
            surface=s.name, optimizer_names=list(check_optimizers(optimizers)),
            lr=s.lr if lr is None else check_lr(lr), momentum=check_momentum(momentum),
            schedule=check_schedule(schedule), start=list(s.start if start is None else check_start(s, start)),
            steps_per_frame=_check_speed(steps_per_frame),
        )
        settings["beta1"], settings["beta2"] = check_betas(betas)
        self._batch = 1          # no restarts while the traits are first set
        super().__init__(choices=_choices(), surface_data=browser_surface(s.name), **settings)
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
        return self._race.trajectories

    @property
    def losses(self) -> dict[str, list[float]]:
        """The loss at each point of each trajectory (inf where it is too large for a float)."""
        return self._race.losses

    @property
    def diverged(self) -> dict[str, bool]:
        """Which optimizers have stopped because they diverged."""
        return self._race.diverged

    @property
    def status(self) -> dict[str, str]:
        """Each optimizer's status in words: "running", or why it stopped."""
        return self._race.status

    @property
    def steps_taken(self) -> dict[str, int]:
        """How many steps each optimizer has taken (a diverged one stopped counting)."""
        return self._race.steps_taken

    @property
    def current_lr(self) -> dict[str, float]:
        """Each optimizer's learning rate now (a schedule changes it step by step)."""
        return self._race.current_lr

    def optimizer(self, name: str) -> Optimizer:
        """The live `autodiff.optim` optimizer called ``name``: look at its ``state``."""
        return self._race.optimizer(name)

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
        self._restart(stop=True)

    def _restart(self, stop: bool) -> None:
        """A new race from the start point. Reset stops Play; a new setting does not (Play goes on
        with it, as in the Playground)."""
        s = self.loss_surface
        self._race = Race(s, self.names, (self.start[0], self.start[1]), self.hyper, self.schedule)
        with self.hold_sync():
            if stop:
                self.playing = False
            if self.surface_data.get("name") != s.name:
                self.surface_data = browser_surface(s.name)
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
            new["optimizer_names"] = list(check_optimizers(optimizers))
        if lr is not None:
            new["lr"] = check_lr(lr)
        if momentum is not None:
            new["momentum"] = check_momentum(momentum)
        if betas is not None:
            new["beta1"], new["beta2"] = check_betas(betas)
        if schedule is not _UNSET:
            new["schedule"] = check_schedule(schedule)
        if start is not None:
            new["start"] = list(check_start(s, start))
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
    def _advance(self, n: int) -> int:
        """Up to ``n`` steps of the race; once it can go no further, the notice says why."""
        taken = self._race.advance(n)
        if self._race.stop_reason:
            self.notice = self._race.stop_reason
        return taken

    def _packed_paths(self) -> dict[str, str]:
        """Every path in full, packed for the browser (`pack_points`)."""
        return {name: pack_points(points) for name, points in self._race.paths().items()}

    def _sync(self) -> None:
        """Send the browser everything: every path in full, and the readout."""
        with self.hold_sync():
            self.paths = self._packed_paths()
            self.readout = self._race.readout()
            self.step_count = self._race.count

    def _push(self, first: dict[str, int]) -> None:
        """Send the browser only the points added since index ``first[name]``, and the readout.

        The full ``paths`` trait is sent when Play stops; a view that misses
        a frame asks for everything again (the "resync" message).
        """
        points = {name: {"from": new["from"], "xy": pack_points(new["xy"])}
                  for name, new in self._race.points_since(first).items()}
        self.send({"kind": "points", "points": points})
        with self.hold_sync():
            self.readout = self._race.readout()
            self.step_count = self._race.count

    def _on_browser_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Buttons in the browser: Step, Reset, and a view asking for the paths again.

        Anything else is refused, and the widget says so (the browser is untrusted input).
        """
        action = content.get("action") if isinstance(content, dict) else None
        if not isinstance(content, dict) or set(content) != {"action"} or action not in BROWSER_ACTIONS:
            self.error = (f"OptimizerLab: ignored a message from the browser ({short_repr(content)}); "
                          f"it understands {{'action': a}} with a one of {', '.join(BROWSER_ACTIONS)}")
        elif action == "step":
            self.playing = False
            self.error = ""
            self.step(1)
        elif action == "reset":
            self.reset()
        elif action == "resync":
            self.send({"kind": "paths", "paths": self._packed_paths()})

    def _accepted_from_browser(self, keys: list) -> None:
        self.error = ""

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
            self._restart(stop=False)

    @traitlets.validate(*_TRAIT_CHECKS)
    def _check_trait(self, proposal: dict) -> Any:
        """Every setting's new value passes its rule in `_TRAIT_CHECKS` (or the change is refused).

        A refusal is a `Refused` (a TraitError, so traitlets keeps the old value), which is
        also the ValueError or TypeError the rule raised.
        """
        check = _TRAIT_CHECKS[proposal["trait"].name]
        try:
            return check(proposal["value"], self.loss_surface)
        except (TypeError, ValueError) as error:
            raise refused(error) from None

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
            self._restart(stop=False)

    # ------------------------------------------------------------------
    # Play (the task itself: see PlayingWidget)
    # ------------------------------------------------------------------
    def _can_play(self) -> bool:
        return self._race.can_step

    def _before_play(self) -> None:
        self.notice = ""

    def _play_frame(self) -> None:
        """A few steps, and only their new points sent to the browser."""
        first = self._race.path_lengths()
        self._advance(self.steps_per_frame)
        self._push(first)

    def _after_play(self) -> None:
        self._sync()       # the full paths, now that no more frames come

    # ------------------------------------------------------------------
    # Outside a live kernel: a picture and a few lines of text
    # ------------------------------------------------------------------
    def __repr__(self) -> str:
        s = self.loss_surface
        head = (f"OptimizerLab on {s.name}: f(x, y) = {s.formula}, start {point_text(tuple(self.start))}, "
                f"lr {format_number(self.lr)}, momentum {format_number(self.momentum)}, "
                f"betas ({format_number(self.beta1)}, {format_number(self.beta2)}), "
                f"schedule {self.schedule}; step {self._race.count}")
        width = max(len(n) for n in self.names)
        lines = [head]
        for row in self._race.readout():
            lines.append(f"  {row['name']:<{width}}  loss {row['loss']:<10} at {row['position']:<20} "
                         f"{row['steps']:>4} steps  {row['message']}")
        return "\n".join(lines)

    def static_png(self) -> bytes:
        """The contour plot with every path, as PNG bytes (matplotlib's Agg, no display needed)."""
        return draw_png(self._race)

    def _static_picture(self) -> tuple[str, str]:
        """`static_png`: the contour plot with every path so far."""
        return png_picture(self.static_png())
