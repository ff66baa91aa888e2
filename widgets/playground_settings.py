"""The Playground's settings: every choice that defines a run, checked, and the config string.

`Settings` holds one run's choices (the keywords of ``Playground(...)`` and
``Playground.set(...)``); every value is checked as it is set, and the
settings as a whole must make sense together (`Settings.changed`).
`Settings.to_config` writes them as a line of text and `parse_config` reads
such a line back, exactly::

    s = Settings(dataset="spirals", classes=3)     # loss becomes "ce": see `Settings.changed`
    s.to_config()    # 'data=spirals;classes=3;noise=0.1;...;seed=0;engine=tensor'
    parse_config(s.to_config()) == s               # True

Three keys came after the first strings were shared: ``classes``,
``engine`` and ``csv``. Each is written only when it says something a
string without it could not: a string without ``classes`` has two classes,
one without ``csv`` generated data, and one without ``engine`` ran on the
scalar engine, the only engine there was. So every string saved before
these keys existed still means the run it meant, and a scalar run's string
is written as it always was. docs/playground.md lists every key.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Callable, Optional

from autodiff.arguments import integer, is_int, non_negative, positive, short_repr

__all__ = ["Settings", "parse_config", "float_text", "CHOICES", "DATASETS", "ACTIVATIONS", "LOSSES",
           "OPTIMIZERS", "SCHEDULES", "ENGINES", "TWO_CLASS_DATASETS", "MIN_CLASSES", "MAX_CLASSES",
           "MAX_LAYERS", "MAX_NEURONS", "MAX_POINTS", "DATA_SETTINGS"]

# The choices, each with the label the browser shows.
DATASETS = {"moons": "two moons", "circles": "circles", "xor": "XOR", "spirals": "spirals",
            "blobs": "Gaussian blobs", "csv": "your CSV file"}
ACTIVATIONS = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid"}
LOSSES = {"bce": "BCE with logits", "hinge": "hinge", "ce": "softmax cross-entropy"}
OPTIMIZERS = {"sgd": "SGD", "momentum": "SGD + momentum", "rmsprop": "RMSprop", "adam": "Adam"}
SCHEDULES = {"none": "constant", "step": "step ×0.5 / 50 ep", "exponential": "×0.99 per epoch",
             "cosine": "cosine, 200 epochs"}
ENGINES = {"tensor": "tensor (numpy arrays)", "scalar": "scalar (one Var per number)"}
# The setting each table gives the values of.
CHOICES = {"dataset": DATASETS, "activation": ACTIVATIONS, "loss": LOSSES, "optimizer": OPTIMIZERS,
           "schedule": SCHEDULES, "engine": ENGINES}

TWO_CLASS_DATASETS = ("moons", "circles", "xor")   # the others come with 2 to 5 classes
ONE_OUTPUT_LOSSES = ("bce", "hinge")               # a score per point: two classes only
MIN_CLASSES, MAX_CLASSES = 2, 5
MAX_LAYERS = 8          # hidden layers
MAX_NEURONS = 32        # per hidden layer
MAX_POINTS = 5000
MAX_BATCH = 10**6
# The whole-number settings: (least, greatest), None where there is no greatest.
WHOLE_NUMBERS = {"points": (4, MAX_POINTS), "batch_size": (1, MAX_BATCH), "data_seed": (0, None),
                 "seed": (0, None), "classes": (MIN_CLASSES, MAX_CLASSES)}
DATA_SETTINGS = ("dataset", "classes", "noise", "ratio", "points", "data_seed", "csv_digest")  # make the points
CSV_DIGEST = re.compile(r"^[0-9a-f]{12}$")   # the start of the SHA-256 of a CSV file's points


@dataclass(frozen=True)
class Settings:
    """Everything that defines a run. The field names are `Playground.set`'s keywords.

    ``csv_digest`` is not set by hand: loading a CSV file sets it (with
    ``dataset="csv"``) to the fingerprint of the file's points.
    """

    dataset: str = "moons"
    classes: int = 2
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
    engine: str = "tensor"
    csv_digest: str = ""

    def __post_init__(self) -> None:
        _check_together(self)

    def changed(self, **changes: Any) -> "Settings":
        """A copy with ``changes`` applied, every value checked first (an error names the bad one).

        Three settings follow the others when they are not among the changes:
        a dataset of two classes only (moons, circles, XOR) sets ``classes``
        to 2; more than two classes set ``loss`` to ``"ce"`` (bce and hinge
        give one score per point, which can only separate two classes); and
        a dataset other than "csv" clears ``csv_digest``. Given explicitly,
        a combination that does not fit is refused.
        """
        names = {f.name for f in fields(self)}
        for key in changes:
            if key not in names:
                raise TypeError(f"Playground: unknown setting {key!r}; the settings are {', '.join(sorted(names))}")
        values = {**asdict(self), **{key: _CHECKS[key](value) for key, value in changes.items()}}
        if "csv_digest" not in changes and values["dataset"] != "csv":
            values["csv_digest"] = ""
        if "classes" not in changes and values["dataset"] in TWO_CLASS_DATASETS:
            values["classes"] = 2
        if "loss" not in changes and values["classes"] > 2 and values["loss"] in ONE_OUTPUT_LOSSES:
            values["loss"] = "ce"
        return replace(self, **values)

    def same_data(self, other: "Settings") -> bool:
        """True when ``other`` makes the same points: only the network or the training differ."""
        return all(getattr(self, name) == getattr(other, name) for name in DATA_SETTINGS)

    @property
    def outputs(self) -> int:
        """The network's outputs: one score for bce and hinge, one logit per class for ce."""
        return 1 if self.loss in ONE_OUTPUT_LOSSES else self.classes

    @property
    def sizes(self) -> list[int]:
        """The layer sizes of the network, inputs and outputs included: [2, 8, 8, 1]."""
        return [2, *self.hidden, self.outputs]

    def to_config(self) -> str:
        """The config string: ``key=value`` pairs joined by ``;``, always in the same order.

        A key whose value is what its absence means (see the module docstring) is left out.
        """
        parts = []
        for key, (name, write, _, absent) in _CONFIG_KEYS.items():
            value = getattr(self, name)
            if absent is None or value != absent:
                parts.append(f"{key}={write(self) if key == 'net' else write(value)}")
        return ";".join(parts)

    def to_json(self) -> dict:
        """The settings as plain JSON, for the browser (``hidden`` as a list)."""
        values = asdict(self)
        values["hidden"] = list(self.hidden)
        return values


def _check_together(s: Settings) -> None:
    """Refuse settings that do not fit together (each value on its own was checked already)."""
    if s.dataset in TWO_CLASS_DATASETS and s.classes != 2:
        raise ValueError(f"Playground: {s.dataset} has two classes; classes={s.classes} needs spirals, "
                         "blobs or a CSV file")
    if s.classes > 2 and s.loss in ONE_OUTPUT_LOSSES:
        raise ValueError(f"Playground: loss={s.loss!r} gives one score per point, which separates two classes; "
                         f"{s.classes} classes need loss='ce' (softmax cross-entropy)")
    if (s.dataset == "csv") != bool(s.csv_digest):
        raise ValueError("Playground: dataset='csv' and csv_digest go together: load a CSV file with "
                         "load_csv(path), which sets both")


# ----------------------------------------------------------------------
# Checking one value
# ----------------------------------------------------------------------
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


def _csv_digest(value: Any) -> str:
    if not isinstance(value, str) or not (value == "" or CSV_DIGEST.match(value)):
        raise ValueError(f"Playground: csv_digest must be 12 hexadecimal digits (or empty), got {short_repr(value)}")
    return value


# setting -> its check, which returns the value (as an int, a float, a tuple) or raises naming it
_CHECKS: dict[str, Callable[[Any], Any]] = {
    **{name: _one_of(name, table) for name, table in CHOICES.items()},
    **{name: _whole_number(name, low, high) for name, (low, high) in WHOLE_NUMBERS.items()},
    "noise": _real_between("noise", 0.0, 1.0),
    "ratio": _real_between("ratio (the training fraction)", 0, 1, exclusive=True),
    "lr": lambda value: positive(value, "Playground: lr"),
    "l2": lambda value: non_negative(value, "Playground: l2"),
    "hidden": _hidden,
    "csv_digest": _csv_digest,
}


# ----------------------------------------------------------------------
# The config string
# ----------------------------------------------------------------------
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


def _read_net(text: str) -> tuple[tuple[int, ...], int]:
    """``2-8-8-1`` as the hidden sizes and the outputs, ``((8, 8), 1)``; checked against the rest later."""
    parts = text.split("-")
    if len(parts) < 2 or parts[0] != "2":
        raise ValueError("must read 2-…-outputs: 2 inputs, the hidden layer sizes, then the outputs (2-1: none hidden)")
    return tuple(_read_int(p) for p in parts[1:-1]), _read_int(parts[-1])


def _write_net(s: Settings) -> str:
    return "-".join(map(str, s.sizes))


# config key -> (Settings field, writer, reader, absent): in the order the string lists them.
# ``absent`` is what a string without the key means (None: the key is always written, and
# a string without it takes the field's default).
_CONFIG_KEYS: dict[str, tuple[str, Callable[[Any], str], Callable[[str], Any], Any]] = {
    "data": ("dataset", str, str, None),
    "csv": ("csv_digest", str, str, ""),
    "classes": ("classes", str, _read_int, 2),
    "noise": ("noise", float_text, _read_float, None),
    "train": ("ratio", float_text, _read_float, None),
    "points": ("points", str, _read_int, None),
    "dseed": ("data_seed", str, _read_int, None),
    "net": ("hidden", _write_net, _read_net, None),
    "act": ("activation", str, str, None),
    "loss": ("loss", str, str, None),
    "opt": ("optimizer", str, str, None),
    "lr": ("lr", float_text, _read_float, None),
    "l2": ("l2", float_text, _read_float, None),
    "batch": ("batch_size", str, _read_int, None),
    "sched": ("schedule", str, str, None),
    "seed": ("seed", str, _read_int, None),
    "engine": ("engine", str, str, "scalar"),
}


def parse_config(text: str) -> Settings:
    """The `Settings` a config string describes (keys in any order).

    A missing key takes the field's default, except ``classes``, ``csv`` and
    ``engine``, which take what their absence means (2 classes, generated
    data, the scalar engine). A ValueError names any bad part: a key that
    is unknown or given twice, a bad value, a network whose outputs do not
    fit the loss and the classes.
    """
    if not isinstance(text, str):
        raise TypeError(f"Playground config: expected a string, got {type(text).__name__}")
    values: dict[str, Any] = {}
    outputs: Optional[tuple[int, str]] = None   # the net's last size, and the part that gave it
    for part in (p.strip() for p in text.strip().split(";")):
        if not part:
            continue
        key, sep, raw = (s.strip() for s in part.partition("="))
        if not sep:
            raise ValueError(f"Playground config: {part!r} is not key=value")
        if key not in _CONFIG_KEYS:
            raise ValueError(f"Playground config: unknown key {key!r} in {part!r}; "
                             f"the keys are {', '.join(_CONFIG_KEYS)}")
        name, _, read, _ = _CONFIG_KEYS[key]
        if name in values:
            raise ValueError(f"Playground config: {key!r} is given twice")
        try:
            value = read(raw)
            if key == "net":
                value, last = value
                outputs = (last, part)
            values[name] = _CHECKS[name](value)
        except (TypeError, ValueError) as error:
            raise ValueError(f"Playground config: bad value in {part!r}: {error}") from None
    for name, _, _, absent in _CONFIG_KEYS.values():
        if absent is not None:
            values.setdefault(name, absent)
    try:
        settings = Settings().changed(**values)
    except ValueError as error:
        raise ValueError(f"Playground config: {error}") from None
    if outputs is not None and outputs[0] != settings.outputs:
        raise ValueError(f"Playground config: {outputs[1]!r} ends in {outputs[0]} output(s), but "
                         f"loss={settings.loss} with {settings.classes} classes needs {settings.outputs}")
    return settings
