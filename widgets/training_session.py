"""The Playground's model: one training run on 2-D toy data, with no widget in it.

`TrainingSession` is what `widgets.playground.Playground` trains and shows.
This module imports nothing from ipywidgets, so a run works as well in a
script, a test or a benchmark as behind the widget::

    from widgets.training_session import TrainingSession, parse_config
    run = TrainingSession(parse_config("data=circles;net=2-8-8-1;act=relu"))
    run.step(20)                   # twenty epochs; returns the last one's record
    run.history["test_acc"][-1]
    run.settings.to_config()       # the string that makes this very run again

What it holds:

* `Settings`: every choice that defines a run, each checked as it is set,
  and the config string that writes them all down (`Settings.to_config`,
  `parse_config`);
* the parts a run is built from: `make_data`, `make_optimizer`, `make_scheduler`;
* `TrainingSession`: the data, network, optimizer and schedule of one run,
  epochs of mini-batch training, and the per-epoch record;
* what a picture of the run needs: `TrainingSession.grid` (the network's
  scores over the plane) and `display_values` (those scores as shades).

docs/playground.md says exactly what an epoch is, what the record holds and
what every key of the config string means.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Callable, Optional

import numpy as np

from autodiff.arguments import integer, is_int, non_negative, positive, short_repr
from autodiff.data import batches, make_blobs, make_circles, make_moons, make_spirals, make_xor, train_test_split
from autodiff.losses import binary_cross_entropy_with_logits, hinge_loss, l2_penalty
from autodiff.lr_scheduler import CosineAnnealingLR, ExponentialLR, LRScheduler, StepLR
from autodiff.nn import MLP, Linear
from autodiff.optim import SGD, Adam, Optimizer, RMSprop
from autodiff.train import collector_paused

from .arrays import forward_array

__all__ = ["TrainingSession", "Settings", "Data", "parse_config", "float_text", "make_data", "make_optimizer",
           "make_scheduler", "targets_for", "loss_of_scores", "display_values", "CHOICES", "DATASETS",
           "ACTIVATIONS", "LOSSES", "OPTIMIZERS", "SCHEDULES", "GRID_SIZE", "MAX_LAYERS", "MAX_NEURONS"]

# The choices, each with the label the browser shows.
DATASETS = {"moons": "two moons", "circles": "circles", "xor": "XOR", "spirals": "spirals",
            "blobs": "Gaussian blobs"}
ACTIVATIONS = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid"}
LOSSES = {"bce": "BCE with logits", "hinge": "hinge"}
OPTIMIZERS = {"sgd": "SGD", "momentum": "SGD + momentum", "rmsprop": "RMSprop", "adam": "Adam"}
SCHEDULES = {"none": "constant", "step": "step ×0.5 / 50 ep", "exponential": "×0.99 per epoch",
             "cosine": "cosine, 200 epochs"}
# The setting each table gives the values of.
CHOICES = {"dataset": DATASETS, "activation": ACTIVATIONS, "loss": LOSSES, "optimizer": OPTIMIZERS,
           "schedule": SCHEDULES}

MAX_LAYERS = 8          # hidden layers
MAX_NEURONS = 32        # per hidden layer
MAX_POINTS = 5000
MAX_BATCH = 10**6
MAX_EPOCHS_PER_STEP = 10**6
# The whole-number settings: (least, greatest), None where there is no greatest.
WHOLE_NUMBERS = {"points": (4, MAX_POINTS), "batch_size": (1, MAX_BATCH), "data_seed": (0, None),
                 "seed": (0, None)}

MOMENTUM = 0.9
STEP_LR = {"step_size": 50, "gamma": 0.5}
EXPONENTIAL_LR = {"gamma": 0.99}
COSINE_LR = {"T_max": 200}
BLOB_CENTERS = ((-1.0, -1.0), (1.0, 1.0))
BLOB_STD = 0.3          # the blobs' std is BLOB_STD + noise
DATA_SETTINGS = ("dataset", "noise", "ratio", "points", "data_seed")   # the settings that make the points

GRID_SIZE = 50          # the decision-boundary picture: GRID_SIZE × GRID_SIZE model evaluations
RECORDED = ("epoch", "train_loss", "test_loss", "train_acc", "test_acc", "lr", "grad")   # the history's keys


# ----------------------------------------------------------------------
# Settings: every choice, checked, and the config string
# ----------------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    """Everything that defines a run. The field names are `Playground.set`'s keywords."""

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
        """A copy with ``changes`` applied, every value checked first (an error names the bad one)."""
        names = {f.name for f in fields(self)}
        for key in changes:
            if key not in names:
                raise TypeError(f"Playground: unknown setting {key!r}; the settings are {', '.join(sorted(names))}")
        return replace(self, **{key: _CHECKS[key](value) for key, value in changes.items()})

    def same_data(self, other: "Settings") -> bool:
        """True when ``other`` makes the same points: only the network or the training differ."""
        return all(getattr(self, name) == getattr(other, name) for name in DATA_SETTINGS)

    @property
    def sizes(self) -> list[int]:
        """The layer sizes of the network, inputs and output included: [2, 8, 8, 1]."""
        return [2, *self.hidden, 1]

    def to_config(self) -> str:
        """The config string: ``key=value`` pairs joined by ``;``, always in the same order."""
        return ";".join(f"{key}={write(getattr(self, name))}" for key, (name, write, _) in _CONFIG_KEYS.items())

    def to_json(self) -> dict:
        """The settings as plain JSON, for the browser (``hidden`` as a list)."""
        values = asdict(self)
        values["hidden"] = list(self.hidden)
        return values


def _one_of(name: str, table: dict) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in table:
            raise ValueError(f"Playground: {name} must be one of {', '.join(table)}; got {short_repr(value)}")
        return value
    return check


def _whole_number(name: str, low: int, high: Optional[int]) -> Callable[[Any], int]:
    """An int from ``low`` to ``high``, or at least ``low`` when ``high`` is None."""
    def check(value: Any) -> int:
        number = integer(value, f"Playground: {name}")
        if high is None and number < low:
            raise ValueError(f"Playground: {name} must be >= {low}, got {number}")
        if high is not None and not low <= number <= high:
            raise ValueError(f"Playground: {name} must be from {low} to {high}, got {number}")
        return number
    return check


def _real_between(name: str, low: float, high: float, *, exclusive: bool = False) -> Callable[[Any], float]:
    """A float from ``low`` to ``high`` (0 <= low), or strictly between them when ``exclusive``."""
    def check(value: Any) -> float:
        number = non_negative(value, f"Playground: {name}")
        if not (low < number < high if exclusive else low <= number <= high):
            raise ValueError(f"Playground: {name} must be between {low} and {high}"
                             f"{', exclusive' if exclusive else ''}, got {short_repr(value)}")
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


# setting -> its check, which returns the value (as an int, a float, a tuple) or raises naming it
_CHECKS: dict[str, Callable[[Any], Any]] = {
    **{name: _one_of(name, table) for name, table in CHOICES.items()},
    **{name: _whole_number(name, low, high) for name, (low, high) in WHOLE_NUMBERS.items()},
    "noise": _real_between("noise", 0.0, 1.0),
    "ratio": _real_between("ratio (the training fraction)", 0, 1, exclusive=True),
    "lr": lambda value: positive(value, "Playground: lr"),
    "l2": lambda value: non_negative(value, "Playground: l2"),
    "hidden": _hidden,
}


def float_text(x: float) -> str:
    """Python's shortest exact repr, without a trailing ".0": 0.1, 1e-05, 0, 3.

    Read back with ``float``, it gives the very same number.
    """
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def _read_float(text: str) -> float:
    number = float(text)  # ValueError for text that is not a number
    if not math.isfinite(number):
        raise ValueError("not finite")
    return number


def _read_int(text: str) -> int:
    if not text.strip().lstrip("-").isdigit():
        raise ValueError("not an integer")
    return int(text)


def _read_net(text: str) -> tuple[int, ...]:
    parts = text.split("-")
    if len(parts) < 2 or parts[0] != "2" or parts[-1] != "1":
        raise ValueError("must read 2-…-1: 2 inputs, the hidden layer sizes, 1 output (2-1 for no hidden layer)")
    return tuple(_read_int(p) for p in parts[1:-1])


def _write_net(hidden: tuple[int, ...]) -> str:
    return "-".join(map(str, [2, *hidden, 1]))


# config key -> (Settings field, writer, reader), in the order the string lists them
_CONFIG_KEYS: dict[str, tuple[str, Callable[[Any], str], Callable[[str], Any]]] = {
    "data": ("dataset", str, str),
    "noise": ("noise", float_text, _read_float),
    "train": ("ratio", float_text, _read_float),
    "points": ("points", str, _read_int),
    "dseed": ("data_seed", str, _read_int),
    "net": ("hidden", _write_net, _read_net),
    "act": ("activation", str, str),
    "loss": ("loss", str, str),
    "opt": ("optimizer", str, str),
    "lr": ("lr", float_text, _read_float),
    "l2": ("l2", float_text, _read_float),
    "batch": ("batch_size", str, _read_int),
    "sched": ("schedule", str, str),
    "seed": ("seed", str, _read_int),
}


def parse_config(text: str) -> Settings:
    """The `Settings` a config string describes (keys in any order, missing ones at their defaults).

    A ValueError names any bad part: a key that is unknown or given twice, a bad value.
    """
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
# Data, optimizer, schedule: built from the settings
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
    """The points of ``s.dataset``, split into train and test, and the square to show them in.

    A ValueError if ``s.points`` and ``s.ratio`` leave the training or the test set empty.
    """
    n, noise, seed = s.points, s.noise, s.data_seed
    if s.dataset == "blobs":
        X, y = make_blobs(n, centers=[list(c) for c in BLOB_CENTERS], cluster_std=BLOB_STD + noise, seed=seed)
    else:
        maker = {"moons": make_moons, "circles": make_circles, "xor": make_xor, "spirals": make_spirals}
        X, y = maker[s.dataset](n, noise=noise, seed=seed)
    try:
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=1 - s.ratio, seed=seed)
    except ValueError as error:
        raise ValueError(f"Playground: {s.points} points with a training ratio of {s.ratio} "
                         f"leave a set empty ({error})") from None
    return Data(np.array(X_train, dtype=float), np.array(X_test, dtype=float),
                np.array(y_train, dtype=int), np.array(y_test, dtype=int), _square_around(np.array(X, dtype=float)))


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


# ----------------------------------------------------------------------
# The session: one run, epoch after epoch
# ----------------------------------------------------------------------
class TrainingSession:
    """One run from epoch 0: the points, the network, its optimizer and schedule, and the record.

    ``TrainingSession(settings)`` makes the points from the settings;
    ``TrainingSession(settings, data)`` trains on ``data`` instead (the
    Playground passes the points it has when a change leaves them alone).
    The run's seed fixes the initial weights and the order of the
    mini-batches, so two sessions of the same settings and points train
    bit for bit alike. Changing a setting means a new session.
    """

    def __init__(self, settings: Settings = Settings(), data: Optional[Data] = None) -> None:
        self._data = make_data(settings) if data is None else data
        self._settings = settings
        self._targets = targets_for(settings.loss, self._data.c_train)
        self._X_rows = self._data.X_train.tolist()
        self._loss_fn = hinge_loss if settings.loss == "hinge" else binary_cross_entropy_with_logits
        self._model = MLP(2, [*settings.hidden, 1], activation=settings.activation, rng=settings.seed)
        self._params = self._model.parameters()
        self._optimizer = make_optimizer(settings, self._params)
        self._scheduler = make_scheduler(settings, self._optimizer)
        self._epoch = 0
        self._history: dict[str, list] = {key: [] for key in RECORDED}

    # ------------------------------------------------------------------
    # What there is to read
    # ------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        """The settings of this run."""
        return self._settings

    @property
    def data(self) -> Data:
        """The points, split: ``X_train``, ``X_test`` (N×2 arrays), ``c_train``, ``c_test`` (0/1)."""
        return self._data

    @property
    def targets(self) -> list[int]:
        """The training labels as the loss wants them: ±1 for hinge, 0/1 for BCE."""
        return list(self._targets)

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
    def linear_layers(self) -> list[Linear]:
        """The network's Linear layers, input side first: the layers of the gradient-flow panel."""
        return [m for m in self._model.layers if isinstance(m, Linear)]

    @property
    def epoch(self) -> int:
        """Epochs trained so far."""
        return self._epoch

    @property
    def history(self) -> dict[str, list]:
        """A copy of the per-epoch record: epoch, train/test loss and accuracy, lr, grad."""
        return {key: [_copied(v) for v in values] for key, values in self._history.items()}

    def evaluate(self) -> dict[str, float]:
        """Loss and accuracy of the current weights on the whole train and test sets."""
        d, loss = self._data, self._settings.loss
        with np.errstate(all="ignore"):   # a diverged network gives inf and nan: shown, not warned about
            s_train = forward_array(self._model, d.X_train)[:, 0]
            s_test = forward_array(self._model, d.X_test)[:, 0]
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
    # Training
    # ------------------------------------------------------------------
    def step(self, n: int = 1) -> dict[str, Any]:
        """Train ``n`` epochs and return the last epoch's record.

        An error in the arithmetic (a diverging run) propagates; the epochs
        trained before it stay in the record.
        """
        n = _whole_number("step: n", 1, MAX_EPOCHS_PER_STEP)(n)
        for _ in range(n):
            self._train_epoch()
        return {key: _copied(values[-1]) for key, values in self._history.items()}

    def _train_epoch(self) -> None:
        """One pass over the training set in mini-batches, then the schedule's step and the record."""
        s = self._settings
        weights = [[w for row in layer.weight for w in row] for layer in self.linear_layers]
        grad_sums, steps = [0.0] * len(weights), 0
        lr = self._optimizer.lr
        shuffle_seed = s.seed * 1_000_003 + self._epoch   # every epoch its own order, every run reproducible
        for X_batch, y_batch in batches(self._X_rows, self._targets, s.batch_size, shuffle=True, seed=shuffle_seed):
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


def _copied(value: Any) -> Any:
    """A record's value, with a list (the grad entry) copied so the caller cannot change the history."""
    return list(value) if isinstance(value, list) else value
