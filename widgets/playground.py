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

What one step is
----------------
``step(n)`` trains ``n`` **epochs**. An epoch is one pass over the training
set in mini-batches of ``batch_size`` (the last batch may be smaller;
a batch size at least the training set's size is full-batch gradient
descent). Epoch e (counted from 0) visits the training set in the order of
``autodiff.data.batches(X, y, batch_size, shuffle=True, seed=seed·1000003 + e)``,
so every epoch has its own order and every run is reproducible. Each
mini-batch is one optimizer step: zero the gradients, forward, loss
(+ ``l2_penalty(params, l2)``), backward, ``optimizer.step()``. The
learning-rate schedule, if any, steps once per epoch, after the epoch.
Play trains one epoch per frame.

What is recorded (``history``, one entry per epoch)
---------------------------------------------------
``epoch``, ``train_loss``, ``test_loss``, ``train_acc``, ``test_acc``, ``lr``
and ``grad``. The losses and accuracies are measured at the end of each epoch,
with the weights of that moment, on the whole training and test sets (the
data loss, without the L2 term), so the train and test curves are comparable.
``grad[e][k]`` is the mean |∂loss/∂w| over the weights of linear layer ``k``
(``k = 0`` is the first, input-side layer), averaged over the optimizer steps
of epoch ``e``: the gradient-flow panel. A deep sigmoid network shows its
first layers' gradients orders of magnitude below the last layer's (the
vanishing gradient); ReLU keeps them comparable.

The configuration string
------------------------
``config`` is ``key=value`` pairs joined by ``;``, always in this order::

    data=moons;noise=0.1;train=0.5;points=200;dseed=0;net=2-8-8-1;act=tanh;loss=bce;opt=adam;lr=0.03;l2=0;batch=16;sched=none;seed=0

=========  ===================================================  ===================
key        meaning                                               `set()` keyword
=========  ===================================================  ===================
data       moons, circles, xor, spirals or blobs (two Gaussian   ``dataset``
           blobs)
noise      noise std (for blobs: the blobs' std is 0.3 + noise)  ``noise``
train      fraction of the points used for training              ``ratio``
points     number of points, train and test together            ``points``
dseed      the data's seed (Regenerate adds one)                ``data_seed``
net        layer sizes: 2 inputs, the hidden layers, 1 output    ``hidden``
           (``2-1`` is a linear model)
act        relu, tanh or sigmoid                                 ``activation``
loss       hinge (labels ±1) or bce (BCE with logits, 0/1)       ``loss``
opt        sgd, momentum (SGD, momentum 0.9), rmsprop, adam      ``optimizer``
lr         learning rate                                         ``lr``
l2         L2 strength λ: the loss gets λ·Σw²                    ``l2``
batch      mini-batch size                                       ``batch_size``
sched      none, step (×0.5 every 50 epochs), exponential        ``schedule``
           (×0.99 per epoch), cosine (to 0 over 200 epochs)
seed       the seed of the initial weights and of the shuffling  ``seed``
=========  ===================================================  ===================

Floats are written as Python's shortest exact ``repr`` (``1e-05``), so a
string read back gives the very same numbers. `from_config` accepts the
keys in any order, spaces around them, and leaves missing keys at their
defaults; an unknown key, a repeated key or a bad value raises a ValueError
naming it.

The picture
-----------
The decision-boundary heatmap is the *current* model evaluated on a
`GRID_SIZE` × `GRID_SIZE` grid at once, with ``forward_array(model, ...)`` (numpy,
no graph): `grid` gives the scores. The browser gets "display values" in
[-1, 1] (for bce ``2·sigmoid(s) − 1``, for hinge ``s`` clipped to the
margin [-1, 1]) and paints them on a <canvas>: orange for class 0 (label −1),
blue for class 1 (label +1), white at the boundary. Train points are drawn
with a white rim, test points with a dark one.

DOM contract (stable: the browser tests use it)
-----------------------------------------------
* root ``.ad-playground``;
* ``button[data-action=…]``: ``play`` (its text is "▶ Play" or "❚❚ Pause"),
  ``step``, ``reset``, ``regenerate``, ``add-layer``, ``remove-layer``,
  ``neurons-plus`` / ``neurons-minus`` (with ``data-layer="0"``, ``"1"``, …),
  ``copy-config``, ``load-config``;
* ``select[data-role=…]``: ``dataset``, ``points``, ``activation``, ``loss``,
  ``optimizer``, ``lr``, ``l2``, ``batch_size``, ``schedule``;
  ``input[type=range][data-role=noise|ratio]``; ``input[type=number][data-role=seed]``;
  ``[data-role=neurons][data-layer=i]`` (the size of hidden layer i);
* ``[data-role=epoch]``: "epoch 12"; ``[data-role=metrics]``: losses and accuracies;
* ``canvas[data-role=boundary]``, ``canvas[data-role=loss]``,
  ``[data-role=gradflow]`` (a canvas), ``[data-role=network]`` (an SVG whose
  ``line[data-weight]`` edges are blue for w > 0, orange for w < 0, wider for larger |w|);
* ``[data-role=config]``: the config string; ``input[data-role=config-input]``
  takes one to load; ``[data-role=error]``: the last refused change.

The browser never changes the settings itself: each control sends
``{"action": "set", "changes": {...}}`` to the kernel, which applies it with
`set` (or refuses it, in ``error``), so Python and the page always agree.
"""

from __future__ import annotations

import math
import pathlib
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Callable, Optional, Sequence

import numpy as np
import traitlets

from autodiff.arguments import integer, is_int, non_negative, positive, short_repr
from autodiff.data import batches, make_blobs, make_circles, make_moons, make_spirals, make_xor, train_test_split
from autodiff.losses import binary_cross_entropy_with_logits, hinge_loss, l2_penalty
from autodiff.lr_scheduler import CosineAnnealingLR, ExponentialLR, LRScheduler, StepLR
from autodiff.nn import MLP, Linear
from autodiff.optim import SGD, Adam, Optimizer, RMSprop
from autodiff.train import collector_paused

from ._live import PlayingWidget, esm, figure_png, png_picture
from .arrays import forward_array

__all__ = ["Playground", "Settings", "parse_config", "GRID_SIZE", "DATASETS", "ACTIVATIONS",
           "LOSSES", "OPTIMIZERS", "SCHEDULES"]

HERE = pathlib.Path(__file__).parent

# The choices, each with the label the browser shows.
DATASETS = {"moons": "two moons", "circles": "circles", "xor": "XOR", "spirals": "spirals",
            "blobs": "Gaussian blobs"}
ACTIVATIONS = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid"}
LOSSES = {"bce": "BCE with logits", "hinge": "hinge"}
OPTIMIZERS = {"sgd": "SGD", "momentum": "SGD + momentum", "rmsprop": "RMSprop", "adam": "Adam"}
SCHEDULES = {"none": "constant", "step": "step ×0.5 / 50 ep", "exponential": "×0.99 per epoch",
             "cosine": "cosine, 200 epochs"}
# Values offered by the selects (Python accepts any valid value; the browser adds it to the list).
LR_CHOICES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
L2_CHOICES = (0.0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1)
BATCH_CHOICES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 1024)
POINTS_CHOICES = (50, 100, 200, 500, 1000)

MAX_LAYERS = 8        # hidden layers
MAX_NEURONS = 32      # per hidden layer
MAX_POINTS = 5000
MOMENTUM = 0.9
STEP_LR = {"step_size": 50, "gamma": 0.5}
EXPONENTIAL_LR = {"gamma": 0.99}
COSINE_LR = {"T_max": 200}
BLOB_CENTERS = ((-1.0, -1.0), (1.0, 1.0))
BLOB_STD = 0.3        # the blobs' std is BLOB_STD + noise

GRID_SIZE = 50        # the heatmap: GRID_SIZE × GRID_SIZE model evaluations per frame
CURVE_POINTS = 300    # the curves sent to the browser keep at most this many epochs
FRAME_INTERVAL = 0.1  # s: Play aims at one frame per FRAME_INTERVAL (10 fps at most) ...
MIN_PAUSE = 0.02      # s: ... and always gives the kernel at least this long between frames
DIGITS = 4            # decimals of the numbers sent for drawing


# ----------------------------------------------------------------------
# Settings: every control, checked, and the config string
# ----------------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    """Everything that defines a run. Field names are `Playground.set`'s keywords."""

    dataset: str = "moons"
    noise: float = 0.1
    ratio: float = 0.5
    points: int = 200
    data_seed: int = 0
    hidden: tuple[int, ...] = (8, 8)
    activation: str = "tanh"
    loss: str = "bce"
    optimizer: str = "adam"
    lr: float = 0.03
    l2: float = 0.0
    batch_size: int = 16
    schedule: str = "none"
    seed: int = 0

    def changed(self, **changes: Any) -> "Settings":
        """A copy with ``changes`` applied and every value checked (errors name the bad one)."""
        names = {f.name for f in fields(self)}
        for key in changes:
            if key not in names:
                raise TypeError(f"Playground: unknown setting {key!r}; the settings are {', '.join(sorted(names))}")
        return replace(self, **{key: _CHECKS[key](value) for key, value in changes.items()})

    @property
    def sizes(self) -> list[int]:
        """The layer sizes of the network, inputs and output included: [2, 8, 8, 1]."""
        return [2, *self.hidden, 1]

    def to_config(self) -> str:
        """The config string (see the module docstring)."""
        return ";".join(f"{key}={_CONFIG_KEYS[key][1](getattr(self, name))}"
                        for key, name in _CONFIG_ORDER)

    def to_json(self) -> dict:
        """The settings as plain JSON for the browser (``hidden`` as a list)."""
        values = asdict(self)
        values["hidden"] = list(self.hidden)
        return values


def _choice(table: dict, name: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in table:
            raise ValueError(f"Playground: {name} must be one of {', '.join(table)}; got {short_repr(value)}")
        return value
    return check


def _in_range(name: str, low: float, high: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        number = non_negative(value, f"Playground: {name}")
        if not low <= number <= high:
            raise ValueError(f"Playground: {name} must be between {low} and {high}, got {short_repr(value)}")
        return number
    return check


def _ratio(value: Any) -> float:
    number = non_negative(value, "Playground: ratio (the training fraction)")
    if not 0.0 < number < 1.0:
        raise ValueError(f"Playground: ratio (the training fraction) must be between 0 and 1, "
                         f"exclusive, got {short_repr(value)}")
    return number


def _count(name: str, low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        number = integer(value, f"Playground: {name}")
        if not low <= number <= high:
            raise ValueError(f"Playground: {name} must be from {low} to {high}, got {number}")
        return number
    return check


def _hidden(value: Any) -> tuple[int, ...]:
    """Hidden layer sizes: a list of up to MAX_LAYERS ints from 1 to MAX_NEURONS ([] is linear)."""
    if is_int(value):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"Playground: hidden must be a list of layer sizes such as [8, 8], got {short_repr(value)}")
    if len(value) > MAX_LAYERS:
        raise ValueError(f"Playground: at most {MAX_LAYERS} hidden layers, got {len(value)}")
    sizes = []
    for i, n in enumerate(value):
        if not is_int(n):
            raise TypeError(f"Playground: hidden layer {i + 1} size must be an int, got {short_repr(n)}")
        if not 1 <= n <= MAX_NEURONS:
            raise ValueError(f"Playground: hidden layer {i + 1} has {n} neurons; "
                             f"each layer needs 1 to {MAX_NEURONS}")
        sizes.append(int(n))
    return tuple(sizes)


def _seed(name: str) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        number = integer(value, f"Playground: {name}")
        if number < 0:
            raise ValueError(f"Playground: {name} must be >= 0, got {number}")
        return number
    return check


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "dataset": _choice(DATASETS, "dataset"),
    "noise": _in_range("noise", 0.0, 1.0),
    "ratio": _ratio,
    "points": _count("points", 4, MAX_POINTS),
    "data_seed": _seed("data_seed"),
    "hidden": _hidden,
    "activation": _choice(ACTIVATIONS, "activation"),
    "loss": _choice(LOSSES, "loss"),
    "optimizer": _choice(OPTIMIZERS, "optimizer"),
    "lr": lambda v: positive(v, "Playground: lr"),
    "l2": lambda v: non_negative(v, "Playground: l2"),
    "batch_size": _count("batch_size", 1, 10**6),
    "schedule": _choice(SCHEDULES, "schedule"),
    "seed": _seed("seed"),
}


def _float_text(x: float) -> str:
    """Python's shortest exact repr, without a trailing ".0": 0.1, 1e-05, 0, 3."""
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def _parse_float(text: str) -> float:
    number = float(text)  # ValueError for text that is not a number
    if not math.isfinite(number):
        raise ValueError("not finite")
    return number


def _parse_int(text: str) -> int:
    if not text.strip().lstrip("-").isdigit():
        raise ValueError("not an integer")
    return int(text)


def _parse_net(text: str) -> tuple[int, ...]:
    parts = text.split("-")
    if len(parts) < 2 or parts[0] != "2" or parts[-1] != "1":
        raise ValueError("must read 2-…-1: 2 inputs, the hidden layer sizes, 1 output (2-1 for no hidden layer)")
    return tuple(_parse_int(p) for p in parts[1:-1])


# config key -> (Settings field, writer, reader)
_CONFIG_KEYS: dict[str, tuple[str, Callable[[Any], str], Callable[[str], Any]]] = {
    "data": ("dataset", str, str),
    "noise": ("noise", _float_text, _parse_float),
    "train": ("ratio", _float_text, _parse_float),
    "points": ("points", str, _parse_int),
    "dseed": ("data_seed", str, _parse_int),
    "net": ("hidden", lambda h: "-".join(map(str, [2, *h, 1])), _parse_net),
    "act": ("activation", str, str),
    "loss": ("loss", str, str),
    "opt": ("optimizer", str, str),
    "lr": ("lr", _float_text, _parse_float),
    "l2": ("l2", _float_text, _parse_float),
    "batch": ("batch_size", str, _parse_int),
    "sched": ("schedule", str, str),
    "seed": ("seed", str, _parse_int),
}
_CONFIG_ORDER = [(key, spec[0]) for key, spec in _CONFIG_KEYS.items()]


def parse_config(text: str) -> Settings:
    """The `Settings` a config string describes; a ValueError naming any bad part."""
    if not isinstance(text, str):
        raise TypeError(f"Playground config: expected a string, got {type(text).__name__}")
    values: dict[str, Any] = {}
    for part in (p.strip() for p in text.strip().split(";")):
        if not part:
            continue
        key, sep, raw = (s.strip() for s in part.partition("="))
        if not sep:
            raise ValueError(f"Playground config: {part!r} is not key=value")
        if key not in _CONFIG_KEYS:
            raise ValueError(f"Playground config: unknown key {key!r} in {part!r}; "
                             f"the keys are {', '.join(_CONFIG_KEYS)}")
        name, _, read = _CONFIG_KEYS[key]
        if name in values:
            raise ValueError(f"Playground config: {key!r} is given twice")
        try:
            values[name] = _CHECKS[name](read(raw))
        except (TypeError, ValueError) as error:
            raise ValueError(f"Playground config: bad value in {part!r}: {error}") from None
    return Settings().changed(**values)


# ----------------------------------------------------------------------
# Data, model, optimizer: built from the settings
# ----------------------------------------------------------------------
@dataclass
class Data:
    """A dataset split for training: points as (N, 2) arrays, classes as 0/1 arrays."""

    X_train: np.ndarray
    X_test: np.ndarray
    c_train: np.ndarray
    c_test: np.ndarray
    extent: tuple[float, float, float, float]   # the square shown: xmin, xmax, ymin, ymax


def make_data(s: Settings) -> Data:
    """The points of ``s.dataset``, split into train and test, and the square to show them in."""
    n, noise, seed = s.points, s.noise, s.data_seed
    if s.dataset == "blobs":
        X, y = make_blobs(n, centers=[list(c) for c in BLOB_CENTERS], cluster_std=BLOB_STD + noise, seed=seed)
    else:
        maker = {"moons": make_moons, "circles": make_circles, "xor": make_xor, "spirals": make_spirals}
        X, y = maker[s.dataset](n, noise=noise, seed=seed)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=1 - s.ratio, seed=seed)
    X_all = np.array(X, dtype=float)
    return Data(np.array(X_train, dtype=float), np.array(X_test, dtype=float),
                np.array(y_train, dtype=int), np.array(y_test, dtype=int), _square_around(X_all))


def _square_around(X: np.ndarray) -> tuple[float, float, float, float]:
    """A square with every point inside and a margin, so both axes have the same scale."""
    low, high = X.min(axis=0), X.max(axis=0)
    center = (low + high) / 2
    half = float(np.max(high - low)) / 2 * 1.15 + 0.15
    return (float(center[0] - half), float(center[0] + half), float(center[1] - half), float(center[1] + half))


def targets_for(loss: str, classes: np.ndarray) -> list[int]:
    """The labels a loss wants: ±1 for hinge, 0/1 for BCE."""
    return [2 * int(c) - 1 for c in classes] if loss == "hinge" else [int(c) for c in classes]


def make_optimizer(s: Settings, params: list) -> Optimizer:
    """The optimizer ``s.optimizer`` names, at learning rate ``s.lr`` (other hyperparameters: PyTorch's defaults)."""
    if s.optimizer == "sgd":
        return SGD(params, lr=s.lr)
    if s.optimizer == "momentum":
        return SGD(params, lr=s.lr, momentum=MOMENTUM)
    if s.optimizer == "rmsprop":
        return RMSprop(params, lr=s.lr)
    return Adam(params, lr=s.lr)


def make_scheduler(s: Settings, optimizer: Optimizer) -> Optional[LRScheduler]:
    """The learning-rate schedule ``s.schedule`` names (stepped once per epoch), or None for a constant lr."""
    if s.schedule == "step":
        return StepLR(optimizer, **STEP_LR)
    if s.schedule == "exponential":
        return ExponentialLR(optimizer, **EXPONENTIAL_LR)
    if s.schedule == "cosine":
        return CosineAnnealingLR(optimizer, **COSINE_LR)
    return None


def loss_of_scores(loss: str, scores: np.ndarray, classes: np.ndarray) -> float:
    """The mean data loss of scores (logits) against 0/1 classes, in numpy."""
    if loss == "hinge":
        return float(np.mean(np.maximum(0.0, 1.0 - (2 * classes - 1) * scores)))
    return float(np.mean(np.logaddexp(0.0, scores) - scores * classes))


def display_values(loss: str, scores: np.ndarray) -> np.ndarray:
    """Scores as shades in [-1, 1]: 2·sigmoid(s) − 1 for bce, s clipped to the margin for hinge."""
    if loss == "hinge":
        return np.clip(scores, -1.0, 1.0)
    return np.tanh(scores / 2)


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


# ----------------------------------------------------------------------
# The widget
# ----------------------------------------------------------------------
class Playground(PlayingWidget):
    """A live decision-boundary playground: pick data, a network and a training recipe, press Play.

    ``Playground(**settings)`` or ``Playground.from_config(text)``; see the
    module docstring for the settings, the config string, what ``step`` does
    and what ``history`` holds.
    """

    _esm = esm("playground.js")
    _css = HERE / "playground.css"
    frame_interval = FRAME_INTERVAL   # Play: one epoch per frame
    min_pause = MIN_PAUSE

    settings = traitlets.Dict().tag(sync=True)   # Settings.to_json(): what the controls show
    choices = traitlets.Dict().tag(sync=True)    # the options of every select, with labels
    points = traitlets.Dict().tag(sync=True)     # the data: {extent, train, test}, sent on reset
    frame = traitlets.Dict().tag(sync=True)      # what to draw now (see _frame)
    config = traitlets.Unicode("").tag(sync=True)
    # playing, error: see PlayingWidget (error: the last refused change, or why Play stopped)

    def __init__(self, config: Optional[str] = None, **settings: Any) -> None:
        base = parse_config(config) if config is not None else Settings()
        first = base.changed(**settings)
        super().__init__(choices=_choices())
        self._start(first, new_data=True)
        self.on_msg(self._on_browser_message)

    @classmethod
    def from_config(cls, config: str) -> "Playground":
        """The playground a config string describes, at epoch 0 (ValueError naming a bad part)."""
        return cls(config=config)

    # ------------------------------------------------------------------
    # What a lesson reads
    # ------------------------------------------------------------------
    @property
    def model(self) -> MLP:
        """The network being trained (its weights are the live ones)."""
        return self._model

    @property
    def optimizer(self) -> Optimizer:
        """The optimizer updating `model` (its ``state`` shows what it remembers)."""
        return self._optimizer

    @property
    def scheduler(self) -> Optional[LRScheduler]:
        """The learning-rate schedule, or None when the lr is constant."""
        return self._scheduler

    @property
    def data(self) -> Data:
        """The points, split: ``X_train``, ``X_test`` (N×2 arrays), ``c_train``, ``c_test`` (0/1)."""
        return self._data

    @property
    def epoch(self) -> int:
        """Epochs trained since the last reset."""
        return self._epoch

    @property
    def history(self) -> dict[str, list]:
        """A copy of the per-epoch record: epoch, train/test loss and accuracy, lr, grad."""
        return {key: [list(v) if isinstance(v, list) else v for v in values]
                for key, values in self._history.items()}

    @property
    def current(self) -> Settings:
        """The settings in force, as a `Settings`."""
        return self._settings

    @property
    def linear_layers(self) -> list[Linear]:
        """The network's Linear layers, input side first: the layers of the gradient-flow panel."""
        return [m for m in self._model.layers if isinstance(m, Linear)]

    def evaluate(self) -> dict[str, float]:
        """Loss and accuracy of the current weights on the whole train and test sets."""
        d, loss = self._data, self._settings.loss
        with np.errstate(all="ignore"):   # a diverged network gives inf and nan: shown, not warned about
            return self._metrics(loss, forward_array(self._model, d.X_train)[:, 0],
                                 forward_array(self._model, d.X_test)[:, 0])

    def _metrics(self, loss: str, s_train: np.ndarray, s_test: np.ndarray) -> dict[str, float]:
        d = self._data
        return {
            "train_loss": loss_of_scores(loss, s_train, d.c_train),
            "test_loss": loss_of_scores(loss, s_test, d.c_test),
            "train_acc": float(np.mean((s_train > 0) == (d.c_train == 1))),
            "test_acc": float(np.mean((s_test > 0) == (d.c_test == 1))),
        }

    def grid(self, size: int = GRID_SIZE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(xs, ys, scores)``: the model's score at every (xs[j], ys[i]), one forward_array call.

        ``ys`` runs from the top of the picture down, so ``scores[i, j]`` is
        the pixel in row i, column j.
        """
        xmin, xmax, ymin, ymax = self._data.extent
        xs, ys = np.linspace(xmin, xmax, size), np.linspace(ymax, ymin, size)
        gx, gy = np.meshgrid(xs, ys)
        with np.errstate(all="ignore"):
            scores = forward_array(self._model, np.column_stack([gx.ravel(), gy.ravel()]))
        return xs, ys, scores[:, 0].reshape(size, size)

    # ------------------------------------------------------------------
    # Driving it
    # ------------------------------------------------------------------
    def step(self, n: int = 1) -> dict[str, Any]:
        """Train ``n`` epochs, redraw once, and return the last epoch's record."""
        n = _count("step: n", 1, 10**6)(n)
        for _ in range(n):
            self._train_epoch()
        self._push_frame()
        return {key: values[-1] for key, values in self._history.items()}

    def set(self, **changes: Any) -> None:
        """Change settings (the keywords are `Settings`' fields) and reset, as a UI change does.

        Everything is checked first: a bad value raises and changes nothing.
        """
        new = self._settings.changed(**changes)
        data_changed = any(getattr(new, k) != getattr(self._settings, k)
                           for k in ("dataset", "noise", "ratio", "points", "data_seed"))
        self._start(new, new_data=data_changed)

    def load_config(self, config: str) -> None:
        """Switch to the run a config string describes (epoch 0)."""
        self._start(parse_config(config), new_data=True)

    def reset(self) -> None:
        """Back to epoch 0: the same data, the same initial weights (the run's seed)."""
        self._start(self._settings, new_data=False)

    def regenerate(self) -> None:
        """New points (the data seed goes up by one), then reset."""
        self.set(data_seed=self._settings.data_seed + 1)

    # play(), pause(), close(): see PlayingWidget. Play trains one epoch per frame.

    def _play_frame(self) -> None:
        """One frame of Play: an epoch and a redraw; an error pauses and is shown."""
        try:
            self._train_epoch()
        except (ArithmeticError, ValueError) as error:
            self.error = (f"training stopped at epoch {self._epoch + 1}: {error} "
                          "(try a smaller learning rate, then Reset)")
            self.playing = False
        self._push_frame()

    # ------------------------------------------------------------------
    # Training
    # ------------------------------------------------------------------
    def _start(self, s: Settings, new_data: bool) -> None:
        """Start the run of settings ``s`` at epoch 0: new data if asked, a new model, optimizer, schedule.

        The data is made first: if it cannot be (too few points for the
        ratio), the error is raised before anything has changed.
        """
        if new_data:
            try:
                data = make_data(s)
            except ValueError as error:
                raise ValueError(f"Playground: {s.points} points with a training ratio of {s.ratio} "
                                 f"leave a set empty ({error})") from None
            self._data = data
        self._settings = s
        self._targets = targets_for(s.loss, self._data.c_train)
        self._X_rows = self._data.X_train.tolist()
        self._loss_fn = hinge_loss if s.loss == "hinge" else binary_cross_entropy_with_logits
        self._model = MLP(2, [*s.hidden, 1], activation=s.activation, rng=s.seed)
        self._params = self._model.parameters()
        self._optimizer = make_optimizer(s, self._params)
        self._scheduler = make_scheduler(s, self._optimizer)
        self._epoch = 0
        self._history: dict[str, list] = {key: [] for key in
                                          ("epoch", "train_loss", "test_loss", "train_acc", "test_acc", "lr", "grad")}
        with self.hold_sync():
            self.error = ""
            self.settings = s.to_json()
            self.config = s.to_config()
            if new_data:
                self.points = self._points_message()
            self._push_frame()

    def _shuffle_seed(self) -> int:
        """The seed of the batch order of the coming epoch: the run's seed and the epoch number."""
        return self._settings.seed * 1_000_003 + self._epoch

    def _train_epoch(self) -> None:
        """One pass over the training set in mini-batches, then record the epoch."""
        s = self._settings
        weights = [[w for row in layer.weight for w in row] for layer in self.linear_layers]
        grad_sums, steps = [0.0] * len(weights), 0
        lr = self._optimizer.lr
        for X_batch, y_batch in batches(self._X_rows, self._targets, s.batch_size,
                                        shuffle=True, seed=self._shuffle_seed()):
            with collector_paused():
                self._optimizer.zero_grad()
                loss = self._loss_fn(self._model(X_batch), y_batch)
                if s.l2:
                    loss = loss + l2_penalty(self._params, s.l2)
                loss.backward()
                for k, layer in enumerate(weights):
                    grad_sums[k] += sum(abs(w.grad) for w in layer) / len(layer)
                self._optimizer.step()
            steps += 1
        if self._scheduler is not None:
            self._scheduler.step()
        self._epoch += 1
        self._record(lr, [g / steps for g in grad_sums])

    def _record(self, lr: float, grads: list[float]) -> None:
        h = self._history
        h["epoch"].append(self._epoch)
        for key, value in self.evaluate().items():
            h[key].append(value)
        h["lr"].append(lr)
        h["grad"].append(grads)

    # ------------------------------------------------------------------
    # What the browser gets
    # ------------------------------------------------------------------
    def _points_message(self) -> dict:
        d = self._data
        return {
            "extent": list(d.extent),
            "train": _rounded(np.column_stack([d.X_train, d.c_train])),
            "test": _rounded(np.column_stack([d.X_test, d.c_test])),
        }

    def _frame(self) -> dict:
        """Everything drawn for the current weights, as plain JSON.

        grid:    {size, values}: display values in [-1, 1], row by row from the top
        epoch, metrics: the current losses and accuracies, lr
        curves:  {epoch, train_loss, test_loss, grad} (grad: one list per layer),
                 at most CURVE_POINTS epochs, evenly spread
        network: {sizes, weights}: weights[k][i][j] from neuron j of layer k to neuron i of k+1
        """
        _, _, scores = self.grid()
        metrics = {key: _finite_or_none(value) for key, value in self.evaluate().items()}
        metrics["lr"] = self._optimizer.lr
        h = self._history
        keep = _downsample(len(h["epoch"]))
        layers = len(self.linear_layers)
        grads = [[h["grad"][i][k] for i in keep] for k in range(layers)]
        return {
            "epoch": self._epoch,
            "grid": {"size": GRID_SIZE, "values": _rounded(display_values(self._settings.loss, scores).ravel())},
            "metrics": metrics,
            "curves": {
                "epoch": [h["epoch"][i] for i in keep],
                "train_loss": _curve([h["train_loss"][i] for i in keep]),
                "test_loss": _curve([h["test_loss"][i] for i in keep]),
                "grad": [_curve(g, digits=None) for g in grads],   # full precision: a log scale
            },
            "network": {
                "sizes": self._settings.sizes,
                "weights": [_rounded(np.array([[w.data for w in row] for row in layer.weight]))
                            for layer in self.linear_layers],
            },
        }

    def _push_frame(self) -> None:
        self.frame = self._frame()

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
        s, h = self._settings, self._history
        net = "-".join(map(str, s.sizes))
        text = (f"Playground({s.dataset}, {net} {s.activation}, {s.loss}, {s.optimizer} lr={_float_text(s.lr)}; "
                f"epoch {self._epoch}")
        if h["epoch"]:
            text += (f", train loss {h['train_loss'][-1]:.4f}, test loss {h['test_loss'][-1]:.4f}, "
                     f"test accuracy {h['test_acc'][-1]:.1%}")
        return text + ")\nconfig: " + self.config

    def to_png(self) -> bytes:
        """A picture of the current state (boundary, loss curves, gradient flow), with matplotlib's Agg."""
        return render_png(self)

    def _static_picture(self) -> tuple[str, str]:
        """`to_png`: the boundary, the losses and the gradient flow now."""
        return png_picture(self.to_png())


def _choices() -> dict:
    """The options of the selects: [value, label] pairs."""
    def pairs(table: dict) -> list:
        return [[k, v] for k, v in table.items()]
    return {
        "dataset": pairs(DATASETS), "activation": pairs(ACTIVATIONS), "loss": pairs(LOSSES),
        "optimizer": pairs(OPTIMIZERS), "schedule": pairs(SCHEDULES),
        "lr": [[v, _float_text(v)] for v in LR_CHOICES],
        "l2": [[v, _float_text(v)] for v in L2_CHOICES],
        "batch_size": [[v, str(v)] for v in BATCH_CHOICES],
        "points": [[v, str(v)] for v in POINTS_CHOICES],
        "limits": {"layers": MAX_LAYERS, "neurons": MAX_NEURONS},
    }


# ----------------------------------------------------------------------
# The static picture (image/png), for GitHub, nbviewer and nbconvert
# ----------------------------------------------------------------------
ORANGE, BLUE = "#f28e2b", "#1f6fd1"   # class 0 (label −1), class 1 (label +1): as in the browser
# the gradient-flow lines, input side first (playground.js has the same list)
LAYER_COLORS = ("#5e3c99", "#1b9e77", "#c51b7d", "#2c7fb8", "#8c510a", "#4d9221", "#e7298a", "#01665e", "#7f6a00")


def render_png(p: Playground, dpi: int = 80) -> bytes:
    """Three panels of ``p``'s current state: the boundary with the points, the losses, the gradient flow."""
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.figure import Figure   # a bare Figure draws with Agg, whatever the backend

    fig = Figure(figsize=(13, 4.2), dpi=dpi, layout="constrained")
    ax_map, ax_loss, ax_grad = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1.2, 1.2]})
    d = p.data
    xmin, xmax, ymin, ymax = d.extent
    _, _, scores = p.grid()
    shades = LinearSegmentedColormap.from_list("playground", [ORANGE, "#ffffff", BLUE])
    ax_map.imshow(display_values(p.current.loss, scores), extent=d.extent, cmap=shades, vmin=-1.6, vmax=1.6,
                  interpolation="bilinear")
    xs, ys = np.linspace(xmin, xmax, scores.shape[1]), np.linspace(ymax, ymin, scores.shape[0])
    if scores.min() < 0 < scores.max():
        ax_map.contour(xs, ys, scores, levels=[0.0], colors="#1d2330", linewidths=1.2)
    colors = np.array([ORANGE, BLUE])
    ax_map.scatter(d.X_train[:, 0], d.X_train[:, 1], c=colors[d.c_train], s=22, edgecolors="white", linewidths=0.8)
    ax_map.scatter(d.X_test[:, 0], d.X_test[:, 1], c=colors[d.c_test], s=22, edgecolors="#1d2330", linewidths=0.8)
    ax_map.set(xlim=(xmin, xmax), ylim=(ymin, ymax), aspect="equal",
               title=f"{DATASETS[p.current.dataset]}, epoch {p.epoch}")

    h = p._history
    ax_loss.set(title="loss", xlabel="epoch")
    ax_grad.set(title="gradient flow: mean |∂loss/∂w| per layer", xlabel="epoch", yscale="log")
    if h["epoch"]:
        ax_loss.plot(h["epoch"], h["train_loss"], color="#2b3445", label="train")
        ax_loss.plot(h["epoch"], h["test_loss"], color="#b1387e", linestyle="--", label="test")
        ax_loss.legend()
        sizes = p.current.sizes
        for k, series in enumerate(zip(*h["grad"])):
            positive_only = [g if g > 0 else np.nan for g in series]
            ax_grad.plot(h["epoch"], positive_only, color=LAYER_COLORS[k % len(LAYER_COLORS)],
                         label=f"layer {k + 1} ({sizes[k]}→{sizes[k + 1]})")
        ax_grad.legend(fontsize="small")
    else:
        for ax in (ax_loss, ax_grad):
            ax.text(0.5, 0.5, "not trained yet", ha="center", va="center", transform=ax.transAxes, color="#5b6472")
    return figure_png(fig)
