"""The Playground's model: one training run on 2-D data, with no widget in it.

`TrainingSession` is what `widgets.playground.Playground` trains and shows.
This module imports nothing from ipywidgets, so a run works as well in a
script, a test or a benchmark as behind the widget::

    from widgets.training_session import TrainingSession, parse_config
    run = TrainingSession(parse_config("data=circles;net=2-8-8-1;act=relu;engine=tensor"))
    run.step(20)                   # twenty epochs; returns the last one's record
    run.history["test_acc"][-1]
    run.settings.to_config()       # the string that makes this very run again

A run is built from parts that each have a module of their own:

* `widgets.playground_settings`: `Settings` and the config string;
* `widgets.datasets_2d`: the points (generated, or from a CSV file) and the split;
* `widgets.training_engines`: the network, the optimizer and how one batch
  is trained, on the scalar engine or the tensor engine.

This module adds the run itself: epochs of mini-batches, the per-epoch
record, and the measurements a picture needs (`measure`, `grid`).

**Training in slices.** An epoch is cut into pieces of work (a batch, or a
part of a big scalar batch; then the end of the epoch). `train_for(budget)`
does pieces until the epoch ends or the time is up, and returns; the next
call goes on with the very next piece. So Play can draw a frame and answer
a click every few tens of milliseconds however long an epoch takes, and a
run trained in slices is bit for bit the run trained by `step` in one go.
A piece that is interrupted (an exception, Ctrl+C) is redone from the start
of its batch next time: nothing is counted twice.

docs/playground.md says exactly what an epoch is, what the record holds and
what every key of the config string means.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

from autodiff.arguments import integer
from autodiff.metrics import confusion_matrix, per_class_accuracy

from .datasets_2d import BLOB_CENTERS, Data, make_data
from .playground_settings import (ACTIVATIONS, CHOICES, DATASETS, ENGINES, LOSSES, MAX_LAYERS, MAX_NEURONS,
                                  OPTIMIZERS, SCHEDULES, Settings, float_text, parse_config)
from .training_engines import Engine, Pieces, make_engine, make_optimizer, make_scheduler, targets_for

__all__ = ["TrainingSession", "Measurement", "Settings", "Data", "parse_config", "float_text", "make_data",
           "make_optimizer", "make_scheduler", "targets_for", "loss_of_scores", "predicted_classes",
           "decision_map", "CHOICES", "DATASETS", "ACTIVATIONS", "LOSSES", "OPTIMIZERS", "SCHEDULES", "ENGINES",
           "BLOB_CENTERS", "GRID_SIZE", "MAX_LAYERS", "MAX_NEURONS", "RECORDED"]

GRID_SIZE = 50          # the decision map: GRID_SIZE × GRID_SIZE model evaluations
RECORDED = ("epoch", "train_loss", "test_loss", "train_acc", "test_acc", "lr", "grad")   # the history's keys
MAX_EPOCHS_PER_STEP = 10**6


# ----------------------------------------------------------------------
# Scores: losses, predictions and the decision map, in numpy
# ----------------------------------------------------------------------
def loss_of_scores(loss: str, scores: np.ndarray, classes: np.ndarray) -> float:
    """The mean data loss of scores (N, outputs) against class indices, in numpy."""
    with np.errstate(all="ignore"):   # a diverged network gives inf and nan: shown, not warned about
        if loss == "ce":
            top = scores.max(axis=1, keepdims=True)
            log_sum = np.log(np.exp(scores - top).sum(axis=1)) + top[:, 0]
            return float(np.mean(log_sum - scores[np.arange(len(classes)), classes]))
        s = scores[:, 0]
        if loss == "hinge":
            return float(np.mean(np.maximum(0.0, 1.0 - (2 * classes - 1) * s)))
        return float(np.mean(np.logaddexp(0.0, s) - s * classes))


def predicted_classes(scores: np.ndarray) -> np.ndarray:
    """The class each row of scores picks: score > 0 for one output, the largest logit for several."""
    if scores.shape[-1] == 1:
        return (scores[..., 0] > 0).astype(int)
    return np.argmax(np.nan_to_num(scores, nan=-np.inf), axis=-1)


def decision_map(loss: str, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(classes, strength)``: the class each score row picks, and how clearly, in [0, 1].

    The strength comes from the margin m between the winning class and the
    runner-up (for one output, m = |score|): tanh(m / 2) = 2·sigmoid(m) − 1
    for the logistic losses (bce, ce), and m clipped to the margin 1 for hinge.
    A strength of 0 is the boundary itself.
    """
    with np.errstate(all="ignore"):
        if scores.shape[-1] == 1:
            margin = np.abs(scores[..., 0])
        else:
            top_two = np.sort(scores, axis=-1)[..., -2:]
            margin = top_two[..., 1] - top_two[..., 0]
        strength = np.minimum(margin, 1.0) if loss == "hinge" else np.tanh(margin / 2)
    return predicted_classes(scores), strength


@dataclass(frozen=True)
class Measurement:
    """Losses and accuracies of one set of weights on the whole train and test sets.

    ``class_acc[c]``: the test accuracy on the points of class c (None when
    the test set has none); ``confusion[t][p]``: how many test points of
    class t the network puts in class p.
    """

    train_loss: float
    test_loss: float
    train_acc: float
    test_acc: float
    class_acc: tuple[Optional[float], ...]
    confusion: tuple[tuple[int, ...], ...]

    def summary(self) -> dict[str, float]:
        """The four numbers the history records: train/test loss and accuracy."""
        return {"train_loss": self.train_loss, "test_loss": self.test_loss,
                "train_acc": self.train_acc, "test_acc": self.test_acc}


@dataclass
class _EpochInProgress:
    """An epoch being trained: its batches, how many are done, and the gradient flow so far."""

    batches: list
    lr: float                                       # the learning rate it trains with
    done: int = 0
    flow: list[float] = field(default_factory=list)   # per layer: Σ over the done batches of mean |∂L/∂w|

    def add(self, flow: list[float]) -> None:
        self.flow = flow if not self.flow else [a + b for a, b in zip(self.flow, flow)]
        self.done += 1


# ----------------------------------------------------------------------
# The session: one run, epoch after epoch
# ----------------------------------------------------------------------
class TrainingSession:
    """One run from epoch 0: the points, the engine (network, optimizer, schedule), and the record.

    ``TrainingSession(settings)`` makes the points from the settings;
    ``TrainingSession(settings, data)`` trains on ``data`` instead (the
    Playground passes the points it has when a change leaves them alone, and
    the points of a CSV file). The run's seed fixes the initial weights and
    the order of the mini-batches, so two sessions of the same settings and
    points train bit for bit alike. Changing a setting means a new session.
    """

    def __init__(self, settings: Settings = Settings(), data: Optional[Data] = None) -> None:
        self._data = make_data(settings) if data is None else data
        if self._data.n_classes != settings.classes:
            raise ValueError(f"Playground: the points have {self._data.n_classes} classes but the settings say "
                             f"classes={settings.classes}")
        self._settings = settings
        self._engine = make_engine(settings)
        self._targets = targets_for(settings.loss, self._data.c_train)
        self._epoch = 0
        self._history: dict[str, list] = {key: [] for key in RECORDED}
        self._current: Optional[_EpochInProgress] = None
        self._pieces: Optional[Pieces] = None            # the batch in progress
        self._measurement = self.measure()

    # ------------------------------------------------------------------
    # What there is to read
    # ------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        """The settings of this run."""
        return self._settings

    @property
    def data(self) -> Data:
        """The points, split: ``X_train``, ``X_test`` (N×2 arrays), ``c_train``, ``c_test`` (class indices)."""
        return self._data

    @property
    def targets(self) -> list[int]:
        """The training labels as the loss wants them: ±1 for hinge, 0/1 for BCE, class indices for ce."""
        return list(self._targets)

    @property
    def engine(self) -> Engine:
        """The engine training the network (`widgets.training_engines`)."""
        return self._engine

    @property
    def model(self) -> Any:
        """The network being trained (its weights are the live ones): an `autodiff.nn.MLP` or its tensor twin."""
        return self._engine.model

    @property
    def optimizer(self) -> Any:
        """The optimizer updating `model` (its ``state`` shows what it remembers)."""
        return self._engine.optimizer

    @property
    def scheduler(self) -> Any:
        """The learning-rate schedule, or None when the lr is constant."""
        return self._engine.scheduler

    @property
    def linear_layers(self) -> list:
        """The network's Linear layers, input side first: the layers of the gradient-flow panel."""
        return self._engine.linear_layers

    @property
    def epoch(self) -> int:
        """Epochs trained to their end so far."""
        return self._epoch

    @property
    def epoch_progress(self) -> float:
        """How much of the epoch in progress is done, from 0 to 1 (0 between epochs)."""
        current = self._current
        return current.done / len(current.batches) if current is not None else 0.0

    @property
    def history(self) -> dict[str, list]:
        """A copy of the per-epoch record: epoch, train/test loss and accuracy, lr, grad."""
        return {key: [_copied(v) for v in values] for key, values in self._history.items()}

    @property
    def measurement(self) -> Measurement:
        """The `Measurement` taken at the end of the last epoch (at epoch 0: of the first weights)."""
        return self._measurement

    def measure(self) -> Measurement:
        """Losses and accuracies of the current weights on the whole train and test sets, now."""
        d, loss, k = self._data, self._settings.loss, self._data.n_classes
        s_train, s_test = self._engine.scores(d.X_train), self._engine.scores(d.X_test)
        p_train, p_test = predicted_classes(s_train), predicted_classes(s_test)
        confusion = confusion_matrix(d.c_test, p_test, num_classes=k)
        class_acc = per_class_accuracy(confusion)   # nan for a class with no test point
        return Measurement(
            train_loss=loss_of_scores(loss, s_train, d.c_train),
            test_loss=loss_of_scores(loss, s_test, d.c_test),
            train_acc=float(np.mean(p_train == d.c_train)),
            test_acc=float(np.mean(p_test == d.c_test)),
            class_acc=tuple(None if np.isnan(a) else float(a) for a in class_acc),
            confusion=tuple(tuple(int(n) for n in row) for row in confusion),
        )

    def evaluate(self) -> dict[str, float]:
        """Loss and accuracy of the current weights on the whole train and test sets."""
        return self.measure().summary()

    def grid(self, size: int = GRID_SIZE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(xs, ys, scores)``: the network's outputs at every (xs[j], ys[i]), as one array operation.

        ``scores`` has shape (size, size, outputs); ``ys`` runs from the top of
        the picture down, so ``scores[i, j]`` is the pixel in row i, column j.
        """
        xmin, xmax, ymin, ymax = self._data.extent
        xs, ys = np.linspace(xmin, xmax, size), np.linspace(ymax, ymin, size)
        gx, gy = np.meshgrid(xs, ys)
        scores = self._engine.scores(np.column_stack([gx.ravel(), gy.ravel()]))
        return xs, ys, scores.reshape(size, size, -1)

    # ------------------------------------------------------------------
    # Training
    # ------------------------------------------------------------------
    def step(self, n: int = 1) -> dict[str, Any]:
        """Train until ``n`` more epochs have ended, and return the last one's record.

        An epoch that Play left half done counts as one. An error in the
        arithmetic (a diverging run) propagates; what was trained before it stays.
        """
        n = integer(n, "step: n")
        if not 1 <= n <= MAX_EPOCHS_PER_STEP:
            raise ValueError(f"step: n must be from 1 to {MAX_EPOCHS_PER_STEP}, got {n}")
        ended = 0
        while ended < n:
            ended += self._next_piece()
        return {key: _copied(values[-1]) for key, values in self._history.items()}

    def train_for(self, budget: float, clock: Callable[[], float] = time.perf_counter) -> bool:
        """Train piece after piece until the epoch ends or ``budget`` seconds are used; True if it ended.

        At least one piece is done. After each, the time used so far plus
        the time that piece took (a guess at the next one's) is compared
        with the budget, so a slice rarely runs over it by much. ``clock``
        gives the time in seconds (tests pass one that ticks by itself).
        """
        start = clock()
        while True:
            before = clock()
            if self._next_piece():
                return True
            now = clock()
            if (now - start) + (now - before) > budget:
                return False

    def _next_piece(self) -> bool:
        """Do the next piece of work of the epoch in progress; True if it was the end of the epoch."""
        if self._current is None:
            self._current = self._begin_epoch()
        current = self._current
        if current.done == len(current.batches):
            self._end_epoch(current)
            return True
        if self._pieces is None:
            self._pieces = self._engine.train_batch(current.batches[current.done])
        try:
            flow = next(self._pieces)
        except BaseException:
            self._pieces = None   # the batch starts again from its beginning (zero_grad first)
            raise
        if flow is not None:   # the batch's optimizer step is done
            self._pieces = None
            current.add(flow)
        return False

    def _begin_epoch(self) -> _EpochInProgress:
        """The batches of the next epoch. Epoch e (from 0) is shuffled by seed·1000003 + e."""
        seed = self._settings.seed * 1_000_003 + self._epoch   # every epoch its own order, every run reproducible
        return _EpochInProgress(self._engine.epoch_batches(self._data.X_train, self._targets, seed),
                                lr=self._engine.optimizer.lr)

    def _end_epoch(self, current: _EpochInProgress) -> None:
        """Measure, then record: the schedule's step, the history, the epoch count."""
        measurement = self.measure()
        grads = [total / current.done for total in current.flow]
        if self._engine.scheduler is not None:
            self._engine.scheduler.step()
        h = self._history
        h["epoch"].append(self._epoch + 1)
        for key, value in measurement.summary().items():
            h[key].append(value)
        h["lr"].append(current.lr)
        h["grad"].append(grads)
        self._measurement = measurement
        self._epoch += 1
        self._current = None


def _copied(value: Any) -> Any:
    """A record's value, with a list (the grad entry) copied so the caller cannot change the history."""
    return list(value) if isinstance(value, list) else value
