"""A training loop, with a progress bar, a history and callbacks.

`fit` runs the loop every lesson writes by hand at first::

    for epoch in range(epochs):
        for X_batch, y_batch in batches(X, y, batch_size):
            optimizer.zero_grad()
            loss = loss_fn(model(X_batch), y_batch)
            loss.backward()
            optimizer.step()
        scheduler.step()

and records the loss and metrics of every epoch. Callbacks run after each
epoch, so a widget can redraw while the model trains.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional, Sequence

from tqdm.auto import tqdm

from .arguments import non_negative, positive_int, type_and_value
from .data import batches
from .losses import l2_penalty
from .nn import Module
from .tensor import Tensor
from .var import Var

__all__ = ["fit", "accuracy", "History", "EpochEnd", "collector_paused"]


def _values(x: Any) -> Any:
    """Plain floats in place of Vars, so kept predictions do not keep their graphs alive."""
    if isinstance(x, (list, tuple)):
        return [_values(item) for item in x]
    return x.data if isinstance(x, Var) else x


def _score(p: Any) -> Any:
    if isinstance(p, (list, tuple)) and len(p) == 1:
        p = p[0]
    return p.data if isinstance(p, Var) else p


def accuracy(predictions: Sequence[Any], targets: Sequence[Any], threshold: float = 0.0) -> float:
    """The fraction of samples classified correctly.

    * One score per sample and labels ±1: the predicted class is the sign of
      the score (hinge loss).
    * One score per sample and labels 0/1: class 1 when the score is above
      ``threshold`` (0 for logits; pass 0.5 for probabilities).
    * Several scores per sample: the class with the largest score.
    """
    predictions, targets = list(predictions), list(targets)
    if len(predictions) != len(targets):
        raise ValueError(f"accuracy: {len(predictions)} predictions but {len(targets)} targets")
    if not predictions:
        raise ValueError("accuracy: no predictions")
    targets = [_score(t) for t in targets]  # (B, 1) targets count as (B,)
    correct = 0
    signed = any(t == -1 for t in targets)
    for p, t in zip(predictions, targets):
        if isinstance(p, (list, tuple)) and len(p) > 1:
            scores = [_score(v) for v in p]
            guess = max(range(len(scores)), key=scores.__getitem__)
        elif signed:
            guess = 1 if _score(p) > 0 else -1
        else:
            guess = 1 if _score(p) > threshold else 0
        correct += guess == t
    return correct / len(predictions)


def _check_optimizer(optimizer: Any, params: list[Any]) -> None:
    """An optimizer that updates at least one of ``params``, or a clear error."""
    if not all(callable(getattr(optimizer, name, None)) for name in ("zero_grad", "step")) \
            or not hasattr(optimizer, "lr"):
        raise TypeError("fit: optimizer must be an optimizer such as SGD(model.parameters(), lr=0.1), "
                        f"got {type_and_value(optimizer)}")
    groups = getattr(optimizer, "param_groups", None)
    if not params or not isinstance(groups, list):
        return
    updated = {id(p) for group in groups for p in group.get("params", ())}
    if not any(id(p) in updated for p in params):
        raise ValueError("fit: the optimizer updates none of the model's parameters (was it made for "
                         "another model?); make it from this one: SGD(model.parameters(), lr=0.1)")


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the duration of a block.

    A training step allocates tens of thousands of graph nodes, and the
    collector runs after every few hundred allocations, scanning every
    object in the process each few thousand: most of micrograd's time goes
    there. Our graphs hold no reference cycles, so reference counting alone
    frees them, and the collector has nothing to find while a step runs.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@dataclass
class History:
    """What `fit` recorded, one entry per epoch."""

    loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.loss)


@dataclass
class EpochEnd:
    """What a callback receives after each epoch."""

    epoch: int          # 1 for the first epoch
    loss: float         # mean training loss over the epoch's batches
    metrics: dict[str, float]
    model: Module
    optimizer: Any
    history: History


def fit(
    model: Module,
    loss_fn: Callable[[Any, Any], Var],
    optimizer: Any,
    X: Sequence[Any],
    y: Sequence[Any],
    epochs: int,
    batch_size: Optional[int] = None,
    scheduler: Any = None,
    callbacks: Sequence[Callable[[EpochEnd], Any]] = (),
    l2: float = 0.0,
    metrics: Optional[dict[str, Callable[[Any, Any], float]]] = None,
    shuffle: bool = True,
    seed: int = 0,
    progress: bool = True,
) -> History:
    """Train ``model`` on (X, y) and return the `History`.

    ``batch_size=None`` trains on the full batch. ``l2`` adds
    ``l2_penalty(model.parameters(), l2)`` to the loss. ``metrics`` maps names
    to functions of (predictions, targets); by default ``accuracy``, computed
    on each batch's predictions before the update. ``scheduler.step()`` runs
    after every epoch. A callback that returns True stops training.
    The progress bar is tqdm's: a widget in Jupyter, text in a terminal.
    Each step runs with the cyclic garbage collector paused (see
    `collector_paused`); callbacks run with it on.

    ``optimizer`` must be an optimizer (``zero_grad``, ``step``, ``lr``)
    over some of the model's parameters: one made for another model's
    parameters is refused (it would train nothing, the losses staying flat),
    and so is a ``loss_fn`` that returns a number instead of a Var.
    """
    epochs = positive_int(epochs, "fit: epochs", type_error=ValueError)
    if not isinstance(model, Module):
        raise TypeError(f"fit: model must be an autodiff.nn.Module, got {type(model).__name__}")
    l2 = non_negative(l2, "fit: l2")
    X, y = list(X), list(y)
    size = batch_size if batch_size is not None else max(len(X), 1)
    metrics = {"accuracy": accuracy} if metrics is None else dict(metrics)
    history = History(metrics={name: [] for name in metrics})
    params = model.parameters()
    _check_optimizer(optimizer, params)
    model.train()

    bar = tqdm(range(1, epochs + 1), desc="training", unit="epoch", disable=not progress)
    for epoch in bar:
        history.lr.append(optimizer.lr)
        total, count, predictions, targets = 0.0, 0, [], []
        for X_batch, y_batch in batches(X, y, size, shuffle=shuffle, seed=seed + epoch):
            with collector_paused():
                optimizer.zero_grad()
                out = model(X_batch)
                loss = loss_fn(out, y_batch)
                if not isinstance(loss, (Var, Tensor)):
                    raise TypeError(f"fit: loss_fn must return the loss as a Var (or a Tensor), got "
                                    f"{type_and_value(loss)}; compute it from the model's outputs, "
                                    "e.g. with autodiff.losses.mse_loss")
                if l2:
                    loss = loss + l2_penalty(params, l2)
                loss.backward()
                optimizer.step()
            total += loss.data * len(X_batch)
            count += len(X_batch)
            predictions.extend(_values(out))
            targets.extend(y_batch)
        if scheduler is not None:
            scheduler.step()
        history.loss.append(total / count)
        values = {name: fn(predictions, targets) for name, fn in metrics.items()}
        for name, value in values.items():
            history.metrics[name].append(value)
        bar.set_postfix(loss=f"{history.loss[-1]:.4f}", **{k: f"{v:.3f}" for k, v in values.items()})
        event = EpochEnd(epoch, history.loss[-1], values, model, optimizer, history)
        if any([callback(event) is True for callback in callbacks]):
            break
    bar.close()
    return history
