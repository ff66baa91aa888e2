"""`Playground`: train a small network on 2-D toy data and watch it learn, live, in Jupyter.

A TensorFlow-Playground-like classroom widget built on this kit's own engine
(`autodiff.nn.MLP`, `autodiff.optim`, `autodiff.losses`)::

    from widgets.playground import Playground
    p = Playground(dataset="circles", hidden=[8, 8], activation="tanh")
    p                      # the widget: press Play, or drive it from Python:
    p.step(10)             # ten epochs
    p.history["test_loss"][-1]
    p.config               # 'data=circles;noise=0.1;...;seed=0': paste it to a colleague
    q = Playground.from_config(p.config)   # the same run, bit for bit

The Playground is three modules, one job each:

* `widgets.training_session`: the run itself (settings, config strings,
  data, training, the record), with no widget in it;
* this module: the widget, which holds a `TrainingSession`, turns it into
  messages for the browser (``playground.js`` draws them) and applies the
  browser's requests;
* `widgets.playground_drawing`: the static PNG shown where widgets don't run.

docs/playground.md is the full description: what an epoch is, the history,
the config string, the messages between kernel and browser, and the DOM
contract the browser tests rely on.
"""

from __future__ import annotations

import math
import pathlib
from typing import Any, Optional, Sequence

import numpy as np
import traitlets

from autodiff.lr_scheduler import LRScheduler
from autodiff.nn import MLP, Linear
from autodiff.optim import Optimizer

from ._live import PlayingWidget, esm, png_picture
from .playground_drawing import render_png
from .training_session import (ACTIVATIONS, CHOICES, DATASETS, GRID_SIZE, LOSSES, MAX_LAYERS, MAX_NEURONS,
                               OPTIMIZERS, SCHEDULES, Data, Settings, TrainingSession, display_values, float_text,
                               parse_config)

__all__ = ["Playground", "Settings", "parse_config", "GRID_SIZE", "DATASETS", "ACTIVATIONS",
           "LOSSES", "OPTIMIZERS", "SCHEDULES", "choices_message", "points_message", "frame_message"]

HERE = pathlib.Path(__file__).parent

# Values offered by the selects (Python accepts any valid value; the browser adds it to the list).
LR_CHOICES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
L2_CHOICES = (0.0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1)
BATCH_CHOICES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 1024)
POINTS_CHOICES = (50, 100, 200, 500, 1000)

CURVE_POINTS = 300    # the curves sent to the browser keep at most this many epochs
FRAME_INTERVAL = 0.1  # s: Play aims at one frame per FRAME_INTERVAL (10 fps at most) ...
MIN_PAUSE = 0.02      # s: ... and always gives the kernel at least this long between frames
DIGITS = 4            # decimals of the numbers sent for drawing


class Playground(PlayingWidget):
    """A live decision-boundary playground: pick data, a network and a training recipe, press Play.

    ``Playground(**settings)`` or ``Playground.from_config(text)``: the
    keywords are `Settings`' fields. `step`, `set`, `reset`, `regenerate`,
    `load_config`, `play` and `pause` drive it from Python exactly as its
    buttons do; `history`, `model`, `data` and the rest read the run in
    progress, `session`. See docs/playground.md.
    """

    _esm = esm("playground.js")
    _css = HERE / "playground.css"
    frame_interval = FRAME_INTERVAL   # Play: one epoch per frame
    min_pause = MIN_PAUSE

    settings = traitlets.Dict().tag(sync=True)   # Settings.to_json(): what the controls show
    choices = traitlets.Dict().tag(sync=True)    # the options of every select, with labels
    points = traitlets.Dict().tag(sync=True)     # the data: {extent, train, test}, sent when it changes
    frame = traitlets.Dict().tag(sync=True)      # what to draw now (see frame_message)
    config = traitlets.Unicode("").tag(sync=True)
    # playing, error: see PlayingWidget (error: the last refused change, or why Play stopped)

    def __init__(self, config: Optional[str] = None, **settings: Any) -> None:
        base = parse_config(config) if config is not None else Settings()
        first = base.changed(**settings)
        super().__init__(choices=choices_message())
        self._start(first, new_data=True)
        self.on_msg(self._on_browser_message)

    @classmethod
    def from_config(cls, config: str) -> "Playground":
        """The playground a config string describes, at epoch 0 (ValueError naming a bad part)."""
        return cls(config=config)

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
    def model(self) -> MLP:
        """The network being trained (its weights are the live ones)."""
        return self._session.model

    @property
    def optimizer(self) -> Optimizer:
        """The optimizer updating `model` (its ``state`` shows what it remembers)."""
        return self._session.optimizer

    @property
    def scheduler(self) -> Optional[LRScheduler]:
        """The learning-rate schedule, or None when the lr is constant."""
        return self._session.scheduler

    @property
    def data(self) -> Data:
        """The points, split: ``X_train``, ``X_test`` (N×2 arrays), ``c_train``, ``c_test`` (0/1)."""
        return self._session.data

    @property
    def epoch(self) -> int:
        """Epochs trained since the last reset."""
        return self._session.epoch

    @property
    def history(self) -> dict[str, list]:
        """A copy of the per-epoch record: epoch, train/test loss and accuracy, lr, grad."""
        return self._session.history

    @property
    def linear_layers(self) -> list[Linear]:
        """The network's Linear layers, input side first: the layers of the gradient-flow panel."""
        return self._session.linear_layers

    def evaluate(self) -> dict[str, float]:
        """Loss and accuracy of the current weights on the whole train and test sets."""
        return self._session.evaluate()

    def grid(self, size: int = GRID_SIZE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(xs, ys, scores)``: the model's score over the picture's square (see `TrainingSession.grid`)."""
        return self._session.grid(size)

    # ------------------------------------------------------------------
    # Driving it
    # ------------------------------------------------------------------
    def step(self, n: int = 1) -> dict[str, Any]:
        """Train ``n`` epochs, redraw once, and return the last epoch's record."""
        record = self._session.step(n)
        self._push_frame()
        return record

    def set(self, **changes: Any) -> None:
        """Change settings (the keywords are `Settings`' fields) and reset, as a UI change does.

        Everything is checked first: a bad value raises and changes nothing.
        New points are made only when a setting of the data changed.
        """
        new = self.current.changed(**changes)
        self._start(new, new_data=not new.same_data(self.current))

    def load_config(self, config: str) -> None:
        """Switch to the run a config string describes (epoch 0)."""
        self._start(parse_config(config), new_data=True)

    def reset(self) -> None:
        """Back to epoch 0: the same data, the same initial weights (the run's seed)."""
        self._start(self.current, new_data=False)

    def regenerate(self) -> None:
        """New points (the data seed goes up by one), then reset."""
        self.set(data_seed=self.current.data_seed + 1)

    # play(), pause(), close(): see PlayingWidget. Play trains one epoch per frame.

    def _play_frame(self) -> None:
        """One frame of Play: an epoch and a redraw; an error pauses and is shown."""
        try:
            self._session.step()
        except (ArithmeticError, ValueError) as error:
            self.error = (f"training stopped at epoch {self._session.epoch + 1}: {error} "
                          "(try a smaller learning rate, then Reset)")
            self.playing = False
        self._push_frame()

    def _start(self, settings: Settings, new_data: bool) -> None:
        """A new session for ``settings`` at epoch 0 (new points if asked), and the browser told.

        The session is made first: if it cannot be (too few points for the
        ratio), the error is raised before anything has changed.
        """
        self._session = TrainingSession(settings, data=None if new_data else self._session.data)
        with self.hold_sync():
            self.error = ""
            self.settings = settings.to_json()
            self.config = settings.to_config()
            if new_data:
                self.points = points_message(self._session.data)
            self._push_frame()

    def _push_frame(self) -> None:
        self.frame = frame_message(self._session)

    def _on_browser_message(self, widget: Any, content: Any, buffers: Any) -> None:
        """A control was used: {"action": "play" | "pause" | "step" | "reset" | "regenerate"
        | "set" (with "changes") | "load" (with "config")}."""
        if not isinstance(content, dict):
            return
        action = content.get("action")
        try:
            if action == "set":
                self.set(**dict(content.get("changes") or {}))
            elif action == "load":
                self.load_config(str(content.get("config", "")))
            elif action in ("play", "pause", "step", "reset", "regenerate"):
                getattr(self, action)()
        except (TypeError, ValueError, ArithmeticError, RuntimeError) as error:
            self.error = str(error)
            self.send({"event": "rejected"})   # the browser puts its controls back

    # ------------------------------------------------------------------
    # Showing outside a live kernel
    # ------------------------------------------------------------------
    def __repr__(self) -> str:
        s, h = self.current, self._session.history
        net = "-".join(map(str, s.sizes))
        text = (f"Playground({s.dataset}, {net} {s.activation}, {s.loss}, {s.optimizer} lr={float_text(s.lr)}; "
                f"epoch {self.epoch}")
        if h["epoch"]:
            text += (f", train loss {h['train_loss'][-1]:.4f}, test loss {h['test_loss'][-1]:.4f}, "
                     f"test accuracy {h['test_acc'][-1]:.1%}")
        return text + ")\nconfig: " + self.config

    def to_png(self) -> bytes:
        """A picture of the current state (boundary, loss curves, gradient flow), with matplotlib's Agg."""
        return render_png(self._session)

    def _static_picture(self) -> tuple[str, str]:
        """`to_png`: the boundary, the losses and the gradient flow now."""
        return png_picture(self.to_png())


# ----------------------------------------------------------------------
# What the browser gets: plain JSON, numbers rounded for drawing
# ----------------------------------------------------------------------
def choices_message() -> dict:
    """The options of the selects, as [value, label] pairs, and the limits of the layer buttons."""
    options = {name: [[value, label] for value, label in table.items()] for name, table in CHOICES.items()}
    return {
        **options,
        "lr": [[v, float_text(v)] for v in LR_CHOICES],
        "l2": [[v, float_text(v)] for v in L2_CHOICES],
        "batch_size": [[v, str(v)] for v in BATCH_CHOICES],
        "points": [[v, str(v)] for v in POINTS_CHOICES],
        "limits": {"layers": MAX_LAYERS, "neurons": MAX_NEURONS},
    }


def points_message(d: Data) -> dict:
    """The points, sent when they change: {extent, train, test}, each point as [x, y, class]."""
    return {
        "extent": list(d.extent),
        "train": _rounded(np.column_stack([d.X_train, d.c_train])),
        "test": _rounded(np.column_stack([d.X_test, d.c_test])),
    }


def frame_message(session: TrainingSession) -> dict:
    """Everything drawn for the session's current weights, sent after every epoch.

    grid:    {size, values}: display values in [-1, 1], row by row from the top
    epoch, metrics: the current losses and accuracies (None where not finite), lr
    curves:  {epoch, train_loss, test_loss, grad} (grad: one list per layer),
             at most CURVE_POINTS epochs, evenly spread
    network: {sizes, weights}: weights[k][i][j] from neuron j of layer k to neuron i of k+1
    """
    _, _, scores = session.grid()
    metrics = {key: _finite_or_none(value) for key, value in session.evaluate().items()}
    metrics["lr"] = session.optimizer.lr
    h = session.history
    keep = _downsample(len(h["epoch"]))
    layers = session.linear_layers
    grads = [[h["grad"][i][k] for i in keep] for k in range(len(layers))]
    return {
        "epoch": session.epoch,
        "grid": {"size": GRID_SIZE, "values": _rounded(display_values(session.settings.loss, scores).ravel())},
        "metrics": metrics,
        "curves": {
            "epoch": [h["epoch"][i] for i in keep],
            "train_loss": _curve([h["train_loss"][i] for i in keep]),
            "test_loss": _curve([h["test_loss"][i] for i in keep]),
            "grad": [_curve(g, digits=None) for g in grads],   # full precision: a log scale
        },
        "network": {
            "sizes": session.settings.sizes,
            "weights": [_rounded(np.array([[w.data for w in row] for row in layer.weight])) for layer in layers],
        },
    }


def _rounded(values: np.ndarray) -> list:
    """Numbers rounded to DIGITS decimals, as (nested) lists for JSON (nan → 0, ±inf → ±1e6)."""
    return np.round(np.nan_to_num(values, nan=0.0, posinf=1e6, neginf=-1e6), DIGITS).tolist()


def _finite_or_none(x: float) -> Optional[float]:
    return x if math.isfinite(x) else None


def _curve(values: Sequence[float], digits: Optional[int] = DIGITS) -> list[Optional[float]]:
    """A curve for the browser: numbers (rounded to ``digits`` decimals), None where not finite."""
    return [(round(v, digits) if digits is not None else v) if math.isfinite(v) else None for v in values]


def _downsample(n: int, keep: int = CURVE_POINTS) -> list[int]:
    """Indices of at most ``keep`` evenly spread items of ``n``, the first and last included."""
    if n <= keep:
        return list(range(n))
    return sorted({round(i * (n - 1) / (keep - 1)) for i in range(keep)})
