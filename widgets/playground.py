"""`Playground`: train a small network on 2-D data and watch it learn, live, in Jupyter.

A TensorFlow-Playground-like classroom widget built on this kit's own engine::

    from widgets.playground import Playground
    p = Playground(dataset="spirals", classes=3, hidden=[16, 16], activation="relu")
    p                      # the widget: press Play, or drive it from Python:
    p.step(10)             # ten epochs
    p.history["test_acc"][-1]
    p.config               # 'data=spirals;classes=3;...;engine=tensor': paste it to a colleague
    q = Playground.from_config(p.config)   # the same run, bit for bit
    r = Playground(csv="my_points.csv")    # your own points: x1, x2, label

It trains on the tensor engine (`autodiff.tensor`) unless told
``engine="scalar"``, the engine of one `Var` per number.

The Playground is several modules, one job each: `widgets.playground_settings`
(the settings and the config string), `widgets.datasets_2d` (the points),
`widgets.training_engines` (a batch on either engine),
`widgets.training_session` (the run, with no widget in it),
`widgets.playground_messages` (the JSON the browser draws), this module (the
widget: it holds a session, sends the messages and applies the browser's
requests), ``playground.js`` and ``playground_draw.js`` (the browser), and
`widgets.playground_drawing` (the static PNG for where widgets don't run).
docs/playground.md is the full description.
"""

from __future__ import annotations

import os
import pathlib
import time
from typing import Any, Optional, Union

import numpy as np
import traitlets

from autodiff.arguments import is_int

from ._live import PlayingWidget, esm, png_picture, running_loop
from .browser_state import BrowserChecked, Refused, refused, short_repr
from .datasets_2d import MAX_CSV_BYTES, Data, Points, make_data, parse_csv_text, read_csv_points
from .playground_drawing import render_png
from .playground_messages import choices_message, frame_message, points_message
from .playground_settings import (ACTIVATIONS, DATASETS, ENGINES, LOSSES, OPTIMIZERS, SCHEDULES, Settings,
                                  float_text, parse_config)
from .training_session import GRID_SIZE, Measurement, TrainingSession

__all__ = ["Playground", "Settings", "parse_config", "GRID_SIZE", "DATASETS", "ACTIVATIONS", "LOSSES",
           "OPTIMIZERS", "SCHEDULES", "ENGINES", "choices_message", "points_message", "frame_message"]

HERE = pathlib.Path(__file__).parent

FRAME_INTERVAL = 1 / 60   # s: Play aims at 60 frames a second at most ...
MIN_PAUSE = 0.005         # s: ... and always gives the kernel at least this long between frames
SLICE_BUDGET = 0.012      # s: the training a frame does before it is drawn (see TrainingSession.train_for);
#                           with building and sending the frame (3 to 5 ms) and MIN_PAUSE, ~20 ms a frame
MAX_UNDRAWN = 2           # frames Play sends ahead of the view's "drawn" answers (see _play_frame) ...
UNSEEN_FRAME = 0.5        # s: ... unless no view has drawn for this long (none open, a hidden tab)
ACTIONS = ("play", "pause", "step", "reset", "regenerate", "set", "load", "load_csv", "drawn")   # the browser's requests
MAX_NAME = 200            # characters of a CSV file's name


class Playground(BrowserChecked, PlayingWidget):
    """A live decision-map playground: pick data, a network and a training recipe, press Play.

    ``Playground(**settings)``, ``Playground(config)``, or with your own points
    ``Playground(csv="points.csv", **settings)``: the keywords are `Settings`'
    fields. `step`, `set`, `reset`, `regenerate`, `load_config`, `load_csv`,
    `play` and `pause` drive it from Python exactly as its controls do;
    `history`, `model`, `data` and the rest read the run in progress,
    `session`. See docs/playground.md.
    """

    _esm = esm("playground_draw.js") + "\n// ---- widgets/playground.js\n" + (HERE / "playground.js").read_text(
        encoding="utf-8")
    _css = HERE / "playground.css"
    frame_interval = FRAME_INTERVAL
    min_pause = MIN_PAUSE
    slice_budget = SLICE_BUDGET   # Play: seconds of training per frame, at most

    settings = traitlets.Dict().tag(sync=True)   # Settings.to_json(): what the controls show
    choices = traitlets.Dict().tag(sync=True)    # the options of every select, the palette, the notes
    points = traitlets.Dict().tag(sync=True)     # the data: {extent, classes, labels, train, test}
    frame = traitlets.Dict().tag(sync=True)      # what to draw now (see frame_message)
    config = traitlets.Unicode("").tag(sync=True)
    # playing, error: see PlayingWidget (error: the last refused request, or why Play stopped)

    # The browser is untrusted input (widgets.browser_state): it sets only ``playing`` (True is Play,
    # False is Pause) and asks for every other change with a message (ACTIONS). A value for any other
    # synced trait is the kernel's: `BrowserChecked.set_state` refuses it, says why in ``error`` and
    # sends the browser the kernel's values again.
    _browser_writable = frozenset({"playing"})

    def __init__(self, config: Optional[str] = None, csv: Union[str, os.PathLike, None] = None,
                 **settings: Any) -> None:
        base = parse_config(config) if config is not None else Settings()
        points = read_csv_points(csv) if csv is not None else None
        if points is not None and base.dataset != "csv":
            base = base.changed(**_csv_settings(points))
        first = base.changed(**settings)
        super().__init__(choices=choices_message())
        self._csv: Optional[Points] = None   # the last CSV file's points
        self._until_epoch: Optional[int] = None   # a Step from the browser: Play until this epoch has ended
        self._sent = 0               # frames sent (each frame's "seq")
        self._drawn = 0              # the last frame a view has said it drew ...
        self._drawn_at = 0.0         # ... and when (time.perf_counter)
        self._last_sent = 0.0        # when the last frame was sent (time.perf_counter)
        self._behind = False         # trained since the last frame sent
        self._start(first, new_data=True, csv=points)
        self.on_msg(self._on_browser_message)

    @classmethod
    def from_config(cls, config: str, csv: Union[str, os.PathLike, None] = None) -> "Playground":
        """The playground a config string describes, at epoch 0 (ValueError naming a bad part).

        A run on a CSV file (``data=csv``) needs that file: ``csv=path``.
        """
        return cls(config=config, csv=csv)

    # ------------------------------------------------------------------
    # What a lesson reads: the run in progress
    # ------------------------------------------------------------------
    @property
    def session(self) -> TrainingSession:
        """The run in progress. A change of settings, Reset or Regenerate starts a new one."""
        return self._session

    @property
    def current(self) -> Settings:
        """The settings in force, as a `Settings`."""
        return self._session.settings

    @property
    def model(self) -> Any:
        """The network being trained (its weights are the live ones)."""
        return self._session.model

    @property
    def optimizer(self) -> Any:
        """The optimizer updating `model` (its ``state`` shows what it remembers)."""
        return self._session.optimizer

    @property
    def scheduler(self) -> Any:
        """The learning-rate schedule, or None when the lr is constant."""
        return self._session.scheduler

    @property
    def data(self) -> Data:
        """The points, split: ``X_train``, ``X_test`` (N×2 arrays), ``c_train``, ``c_test`` (class indices)."""
        return self._session.data

    @property
    def epoch(self) -> int:
        """Epochs trained to their end since the last reset."""
        return self._session.epoch

    @property
    def history(self) -> dict[str, list]:
        """A copy of the per-epoch record: epoch, train/test loss and accuracy, lr, grad."""
        return self._session.history

    @property
    def measurement(self) -> Measurement:
        """Losses, accuracies, per-class accuracy and confusion matrix at the end of the last epoch."""
        return self._session.measurement

    @property
    def linear_layers(self) -> list:
        """The network's Linear layers, input side first: the layers of the gradient-flow panel."""
        return self._session.linear_layers

    def evaluate(self) -> dict[str, float]:
        """Loss and accuracy of the current weights on the whole train and test sets."""
        return self._session.evaluate()

    def grid(self, size: int = GRID_SIZE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(xs, ys, scores)``: the network's outputs over the picture's square (see `TrainingSession.grid`)."""
        return self._session.grid(size)

    # ------------------------------------------------------------------
    # Driving it
    # ------------------------------------------------------------------
    def step(self, n: int = 1) -> dict[str, Any]:
        """Train until ``n`` more epochs have ended, redraw, and return the last epoch's record."""
        try:
            return self._session.step(n)
        finally:   # also after an error or Ctrl+C: the view shows where the run is
            self._push_frame()

    def set(self, **changes: Any) -> None:
        """Change settings (the keywords are `Settings`' fields) and reset, as a control does.

        Everything is checked first: a bad value raises and changes nothing.
        New points are made only when a setting of the data changed.
        ``dataset="csv"`` goes back to the last CSV file loaded.
        """
        if changes.get("dataset") == "csv" and "csv_digest" not in changes:
            if self._csv is None:
                raise ValueError("Playground: no CSV file is loaded: pick one in the Data panel, "
                                 "or call load_csv(path)")
            changes = {**_csv_settings(self._csv), **changes}
        new = self.current.changed(**changes)
        self._start(new, new_data=not new.same_data(self.current))

    def load_config(self, config: str) -> None:
        """Switch to the run a config string describes (epoch 0)."""
        self._start(parse_config(config), new_data=True)

    def load_csv(self, path: Union[str, os.PathLike]) -> None:
        """Train on the points of a CSV file with columns x1, x2, label (see `widgets.datasets_2d`)."""
        self._use_points(read_csv_points(path))

    def reset(self) -> None:
        """Stop playing, back to epoch 0: the same data, the same initial weights (the run's seed).

        Reset stops Play, as the OptimizerLab's does; a changed setting does
        not (Play goes on with it, from epoch 0).
        """
        with self.hold_sync():   # the new run and the stop reach the browser in one message
            self._start(self.current, new_data=False)
            self.playing = False

    def regenerate(self) -> None:
        """New points (the data seed goes up by one; for a CSV file, a new train/test split), at epoch 0.

        A changed setting of the data: Play goes on, with the new points.
        """
        self.set(data_seed=self.current.data_seed + 1)

    # play(), pause(), close(): see PlayingWidget.

    def _step_in_slices(self) -> None:
        """The Step button: train to the end of the epoch in progress, in Play's slices.

        An epoch can take minutes (the scalar engine, thousands of points), so
        the button does not block the kernel: it plays until the epoch ends
        (and Pause stops it, as it stops Play). With no event loop (a test,
        a script) it is `step`.
        """
        if running_loop() is None:
            self.step(1)
            return
        self._until_epoch = self.epoch + 1
        self.playing = True

    def _can_play(self) -> bool:
        return self._until_epoch is None or self.epoch < self._until_epoch

    def _after_play(self) -> None:
        self._until_epoch = None
        if self._behind:   # the view shows where Play stopped
            self._push_frame()

    def _play_frame(self) -> None:
        """One frame of Play: at most `slice_budget` seconds of training, then a redraw.

        A frame ends early when an epoch ends, so small runs show every
        epoch; an epoch longer than the budget is spread over several frames.
        An error pauses Play and is shown.

        The view says which frame it has drawn last ({"action": "drawn",
        "seq": n}; it draws only the newest of the frames that came since its
        last paint). While MAX_UNDRAWN frames wait to be drawn, Play waits
        too, neither training nor sending: a view slower than the kernel is
        not sent a queue of frames, which it would go on drawing long after
        Pause, and the view is never far behind the run. With no view drawing
        (none for UNSEEN_FRAME seconds: none open, a hidden tab), Play trains
        on and sends a frame every UNSEEN_FRAME seconds.
        """
        now = time.perf_counter()
        unseen = now - self._drawn_at >= UNSEEN_FRAME
        if self._sent - self._drawn >= MAX_UNDRAWN and not unseen:
            return
        try:
            self._session.train_for(self.slice_budget)
        except (ArithmeticError, ValueError) as error:
            self.error = (f"training stopped at epoch {self._session.epoch + 1}: {error} "
                          "(try a smaller learning rate, then Reset)")
            self.playing = False
        self._behind = True
        if not unseen or time.perf_counter() - self._last_sent >= UNSEEN_FRAME:
            self._push_frame()

    def _use_points(self, points: Points) -> None:
        """Switch to a CSV file's points, keeping the network and training settings (epoch 0)."""
        self._start(self.current.changed(**_csv_settings(points)), new_data=True, csv=points)

    def _start(self, settings: Settings, new_data: bool, csv: Optional[Points] = None) -> None:
        """A new session for ``settings`` at epoch 0 (new points if asked), and the browser told.

        The session is made first: if it cannot be (too few points for the
        ratio, a CSV file not loaded), the error is raised before anything has changed.
        """
        points = csv if csv is not None else self._csv
        data = make_data(settings, csv=points) if new_data else self._session.data
        self._session = TrainingSession(settings, data=data)
        if csv is not None:
            self._csv = csv
        with self.hold_sync():
            if self._until_epoch is not None:   # a Step in progress ends with its run (Play would go on)
                self._until_epoch = None
                self.playing = False
            self.error = ""
            self.settings = settings.to_json()
            self.config = settings.to_config()
            if new_data:
                self.points = points_message(data)
            self._push_frame()

    def _push_frame(self) -> None:
        self._sent += 1
        self.frame = {**frame_message(self._session), "seq": self._sent}
        self._last_sent = time.perf_counter()
        self._behind = False

    def _frame_drawn(self, seq: Any) -> None:
        """A view has drawn frame ``seq`` (and so every frame before it): Play may send more."""
        if not is_int(seq) or not 0 <= seq <= self._sent:
            raise Refused(f"Playground: 'drawn' needs 'seq', the number of a frame sent (0 to {self._sent}), "
                             f"got {short_repr(seq)}")
        self._drawn = max(self._drawn, int(seq))
        self._drawn_at = time.perf_counter()

    def _on_browser_message(self, widget: Any, content: Any, buffers: Any) -> None:
        """A control was used: {"action": one of ACTIONS, ...} (docs/playground.md lists them).

        A request that is not one of those (a `Refused`), or that is refused
        (a bad setting, config or CSV file: the error Python's own call
        raises), changes nothing: ``error`` says why
        (`BrowserChecked._explain_refusal`), and the browser is told to put
        its controls back.
        """
        try:
            action = content.get("action") if isinstance(content, dict) else None
            if action not in ACTIONS:
                raise Refused(f"Playground: unknown request {short_repr(content)}; "
                              f"the actions are {', '.join(ACTIONS)}")
            if action == "set":
                changes = content.get("changes")
                if not isinstance(changes, dict) or not all(isinstance(key, str) for key in changes):
                    raise refused(TypeError(f"Playground: 'set' needs changes as a dict of settings, "
                                            f"got {short_repr(changes)}"))
                self.set(**changes)
            elif action == "load":
                self.load_config(_text(content, "config", "a config string"))
            elif action == "load_csv":
                self._use_points(_uploaded_points(content))
            elif action == "drawn":
                self._frame_drawn(content.get("seq"))
            elif action == "step":
                self._step_in_slices()
            elif action == "play":
                self._until_epoch = None   # Play during a Step: play on
                self.play()
            else:
                getattr(self, action)()
        except (TypeError, ValueError, ArithmeticError, RuntimeError) as error:
            self._explain_refusal(error)
            self.send({"event": "rejected"})   # the browser puts its controls back

    # set_state (what the browser sets: only ``playing``, a bool): see BrowserChecked.

    # ------------------------------------------------------------------
    # Showing outside a live kernel
    # ------------------------------------------------------------------
    def __repr__(self) -> str:
        s, h = self.current, self._session.history
        data = s.dataset + (f" ({s.classes} classes)" if s.classes > 2 else "")
        text = (f"Playground({data}, {'-'.join(map(str, s.sizes))} {s.activation}, {s.loss}, {s.optimizer} "
                f"lr={float_text(s.lr)}; epoch {self.epoch}")
        if h["epoch"]:
            text += (f", train loss {h['train_loss'][-1]:.4f}, test loss {h['test_loss'][-1]:.4f}, "
                     f"test accuracy {h['test_acc'][-1]:.1%}")
        return text + ")\nconfig: " + self.config

    def to_png(self) -> bytes:
        """A picture of the current state (decision map, losses, confusion matrix, gradient flow)."""
        return render_png(self._session)

    def _static_picture(self) -> tuple[str, str]:
        """`to_png`: the decision map, the losses and the gradient flow now."""
        return png_picture(self.to_png())


def _csv_settings(points: Points) -> dict[str, Any]:
    """The settings a CSV file's points bring: the dataset, its fingerprint, its classes and size."""
    return {"dataset": "csv", "csv_digest": points.digest, "classes": points.n_classes, "points": len(points.X)}


def _text(content: dict, key: str, what: str) -> str:
    value = content.get(key)
    if not isinstance(value, str):
        raise refused(TypeError(f"Playground: {content.get('action')!r} needs {key!r}, {what}, "
                                f"got {short_repr(value)}"))
    return value


def _uploaded_points(content: dict) -> Points:
    """The points of a file the browser sent: {"action": "load_csv", "name": ..., "text": ...}, checked."""
    name = _text(content, "name", "the file's name")
    text = _text(content, "text", "the file's contents")
    if not name or len(name) > MAX_NAME or any(c in name for c in "/\\\0"):
        raise Refused(f"Playground: a CSV file's name must be 1 to {MAX_NAME} characters with no / or \\, "
                      f"got {short_repr(name)}")
    if len(text) > MAX_CSV_BYTES:   # (a character is at least one byte: too large before it is even encoded)
        raise Refused(f"{name} has more than {MAX_CSV_BYTES:,} characters; the Playground reads CSV files "
                      f"of up to {MAX_CSV_BYTES:,} bytes")
    return parse_csv_text(text, name)
