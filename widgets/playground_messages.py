"""What the Playground's browser view is told: plain JSON built from a `TrainingSession`.

* `choices_message`: sent once: the options of every select, the limits,
  the class colours and markers, and the note that explains each panel;
* `points_message`: the points, sent when they change;
* `frame_message`: what to draw for the weights of this moment, sent after
  every slice of training;
* `gradient_note`: the words the gradient-flow panel shows when a layer's
  gradient is exactly zero (a line on a log scale would just vanish).

Numbers meant only for drawing are rounded, and every message is plain
JSON even for a network whose numbers blew up (no nan, no inf).
docs/playground.md describes each field.
"""

from __future__ import annotations

import base64
import math
from typing import Optional, Sequence

import numpy as np

from .datasets_2d import MAX_CSV_BYTES, Data
from .playground_settings import CHOICES, MAX_CLASSES, MAX_LAYERS, MAX_NEURONS, MIN_CLASSES, float_text
from .training_session import Measurement, TrainingSession, decision_map

__all__ = ["choices_message", "points_message", "frame_message", "metrics_message", "gradient_note",
           "NOTES", "CLASS_COLORS", "CLASS_MARKERS", "LR_CHOICES", "L2_CHOICES", "BATCH_CHOICES",
           "POINTS_CHOICES", "CURVE_POINTS"]

# Values offered by the selects (Python accepts any valid value; the browser adds it to the list).
LR_CHOICES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
L2_CHOICES = (0.0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1)
BATCH_CHOICES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 1024)
POINTS_CHOICES = (50, 100, 200, 500, 1000, 2000, 5000)

# One colour per class, from Okabe and Ito's palette for colour-blind readers, and one marker
# per class as well, so that no class is told apart by its colour alone.
CLASS_COLORS = ("#e69f00", "#0072b2", "#009e73", "#cc79a7", "#d55e00")   # orange, blue, green, purple, vermilion
CLASS_MARKERS = ("circle", "square", "triangle", "diamond", "triangle-down")

CURVE_POINTS = 300    # the curves sent to the browser keep at most this many epochs
DIGITS = 4            # decimals of the numbers sent for drawing
MAP_SHADES = 255      # the decision map's strengths are sent as whole numbers from 0 to this (one byte)

# "What am I looking at?": one short note per panel of the view.
NOTES = {
    "data": "The points the network learns from. Each class has its own colour and marker. Noise blurs "
            "the classes into each other; the training fraction says how many points the network trains on.",
    "network-controls": "The shape of the network: how many hidden layers, how many neurons in each, the "
                        "activation between them, and the seed that draws the first weights.",
    "training": "How the network learns: the loss it lowers, the optimizer and its learning rate, the L2 "
                "penalty on large weights, the points per step (batch size), and the engine: numpy Tensors, "
                "or one Var per number (the same arithmetic, far slower).",
    "network": "Each circle is a neuron and each line a weight: blue for a positive weight, orange for a "
               "negative one, thicker for a larger one.",
    "boundary": "The decision map: each pixel has the colour of the class the network predicts there, paler "
                "where it is less sure; the dark lines are the decision boundaries. Training points have a "
                "white rim, test points (never trained on) a dark one.",
    "loss": "The average loss on the training points (solid) and on the test points (dashed), measured at "
            "the end of each epoch. Both falling: the network learns. Training falling while test rises: "
            "it memorises the training points (over-fitting).",
    "confusion": "The test points by true class (rows) and predicted class (columns). The diagonal counts "
                 "the right answers; a large number off it is two classes the network mixes up.",
    "gradflow": "For each layer, the average size of ∂loss/∂w over the epoch, on a log scale. A line far "
                "below the others is a layer that barely learns (a vanishing gradient). A gradient of exactly 0 "
                "has no place on a log scale: the panel then says in words which layers got none, and why.",
}


def choices_message() -> dict:
    """The options of the selects as [value, label] pairs, the limits, the classes' looks, the notes."""
    options = {name: [[value, label] for value, label in table.items()] for name, table in CHOICES.items()}
    return {
        **options,
        "classes": [[k, str(k)] for k in range(MIN_CLASSES, MAX_CLASSES + 1)],
        "lr": [[v, float_text(v)] for v in LR_CHOICES],
        "l2": [[v, float_text(v)] for v in L2_CHOICES],
        "batch_size": [[v, str(v)] for v in BATCH_CHOICES],
        "points": [[v, str(v)] for v in POINTS_CHOICES],
        "limits": {"layers": MAX_LAYERS, "neurons": MAX_NEURONS, "csv_bytes": MAX_CSV_BYTES},
        "palette": {"colors": list(CLASS_COLORS), "markers": list(CLASS_MARKERS)},
        "notes": dict(NOTES),
    }


def points_message(d: Data) -> dict:
    """The points, sent when they change: {extent, classes, labels, train, test}, each point [x, y, class]."""
    return {
        "extent": list(d.extent),
        "classes": d.n_classes,
        "labels": list(d.labels),
        "train": _rounded(np.column_stack([d.X_train, d.c_train])),
        "test": _rounded(np.column_stack([d.X_test, d.c_test])),
    }


def frame_message(session: TrainingSession) -> dict:
    """Everything drawn for the session's current weights (docs/playground.md lists the fields)."""
    xs, ys, scores = session.grid()
    classes, strength = decision_map(session.settings.loss, scores)
    h = session.history
    keep = _downsample(len(h["epoch"]))
    layers = session.linear_layers
    grads = [[h["grad"][i][k] for i in keep] for k in range(len(layers))]
    return {
        "epoch": session.epoch,
        "progress": round(session.epoch_progress, 3),
        "grid": {"size": len(xs), "classes": _bytes(classes),
                 "strength": _bytes(np.round(np.nan_to_num(strength) * MAP_SHADES))},
        "metrics": {**metrics_message(session.measurement), "lr": session.optimizer.lr},
        "curves": {
            "epoch": [h["epoch"][i] for i in keep],
            "train_loss": _curve([h["train_loss"][i] for i in keep]),
            "test_loss": _curve([h["test_loss"][i] for i in keep]),
            "grad": [_curve(g, digits=None) for g in grads],   # full precision: a log scale
        },
        "network": {"sizes": session.settings.sizes, "weights": [_rounded(w) for w in session.engine.weight_arrays()]},
        "gradient_note": gradient_note(session),
    }


def metrics_message(m: Measurement) -> dict:
    """A `Measurement` as JSON: losses and accuracies (None where not finite), per class, confusion."""
    return {**{key: _finite_or_none(value) for key, value in m.summary().items()},
            "class_acc": list(m.class_acc), "confusion": [list(row) for row in m.confusion]}


# ----------------------------------------------------------------------
# Gradients that are exactly zero
# ----------------------------------------------------------------------
def gradient_note(session: TrainingSession) -> str:
    """Words for the gradient-flow panel when some layer's gradient was exactly 0 all through the last epoch.

    Empty when every layer got some gradient. Otherwise it names the layers
    and, when it can tell, why: a hidden layer whose units all pass no
    gradient back for any training point (dead ReLUs, saturated tanh or
    sigmoid units), or a hinge loss that is already 0 everywhere.
    """
    h = session.history
    if not h["grad"]:
        return ""
    zero = [k + 1 for k, g in enumerate(h["grad"][-1]) if g == 0.0]
    if not zero:
        return ""
    which = f"layer {zero[0]}" if len(zero) == 1 else f"layers {_ranges(zero)}"
    return (f"No gradient reached {which} in epoch {h['epoch'][-1]}: ∂loss/∂w was exactly 0 for every "
            f"weight there, so those weights did not move. {_why_no_gradient(session)}")


def _why_no_gradient(session: TrainingSession) -> str:
    s = session.settings
    try:
        outputs = session.engine.hidden_outputs(session.data.X_train)
    except (ArithmeticError, ValueError):
        outputs = []
    for i, out in enumerate(outputs):
        if s.activation == "relu":
            silent = np.all(out == 0.0, axis=0)
        else:   # a saturated tanh is exactly ±1 and a saturated sigmoid exactly 0 or 1: slope 0
            silent = np.all(np.abs(out) == 1.0, axis=0) if s.activation == "tanh" else \
                np.all((out == 0.0) | (out == 1.0), axis=0)
        if silent.all():
            what = (f"all {out.shape[1]} ReLUs of hidden layer {i + 1} output 0 for every training point: "
                    "they are dead, and a dead ReLU passes no gradient back (its slope is 0)"
                    if s.activation == "relu" else
                    f"all {out.shape[1]} {s.activation} units of hidden layer {i + 1} are saturated for every "
                    "training point, where their slope is 0")
            return (f"The reason: {what}. Try Reset with another init seed, a smaller learning rate, "
                    "or another activation.")
    if s.loss == "hinge" and session.measurement.train_loss == 0.0:
        return "The hinge loss is 0: every training point is beyond the margin, so there is nothing left to learn."
    return "The units between them and the loss pass no gradient back for any training point."


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 5] as "1–3 and 5"."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts = [f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


# ----------------------------------------------------------------------
# Numbers for JSON
# ----------------------------------------------------------------------
def _bytes(values: np.ndarray) -> str:
    """Whole numbers from 0 to 255, one byte each, in base64: the map's 2,500 cells in 3,336 characters.

    (As a JSON list of numbers they would take over 10,000, and encoding and
    decoding them a good part of each frame's time.)
    """
    return base64.b64encode(np.clip(values, 0, 255).astype(np.uint8).tobytes()).decode("ascii")


def _rounded(values: np.ndarray, digits: int = DIGITS) -> list:
    """Numbers rounded to ``digits`` decimals, as (nested) lists for JSON (nan → 0, ±inf → ±1e6)."""
    return np.round(np.nan_to_num(values, nan=0.0, posinf=1e6, neginf=-1e6), digits).tolist()


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
