"""The Playground's static picture: a training run drawn with matplotlib, for where no widget runs.

On GitHub, in nbviewer or in an HTML export there is no kernel, so the
Playground's output also carries a PNG (see `widgets._live.LiveWidget`).
`render_png` draws it from a `TrainingSession`, in the panels of the live
view: the decision map with the points, the train and test losses with the
confusion matrix under them, and the gradient flow. The class colours and
markers are those the browser gets (`widgets.playground_messages`), so the
picture and the live widget look alike.
"""

from __future__ import annotations

import textwrap

import numpy as np

from ._live import figure_png
from .playground_messages import CLASS_COLORS, CLASS_MARKERS, gradient_note
from .playground_settings import DATASETS
from .training_session import TrainingSession, decision_map

__all__ = ["render_png", "LAYER_COLORS", "MATPLOTLIB_MARKERS", "map_colors"]

# the gradient-flow lines, input side first (playground_draw.js has the same list)
LAYER_COLORS = ("#5e3c99", "#1b9e77", "#c51b7d", "#2c7fb8", "#8c510a", "#4d9221", "#e7298a", "#01665e", "#7f6a00")
MATPLOTLIB_MARKERS = {"circle": "o", "square": "s", "triangle": "^", "diamond": "D", "triangle-down": "v"}
INK, MUTED = "#1d2330", "#5b6472"
SATURATION = 0.7   # the map's strongest shade: the points must stand out from it


def map_colors(classes: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """RGB in [0, 1] for each pixel of the map: white blended towards its class's colour by its strength."""
    palette = np.array([[int(c[i:i + 2], 16) / 255 for i in (1, 3, 5)] for c in CLASS_COLORS])
    t = (np.nan_to_num(np.clip(strength, 0, 1)) * SATURATION)[..., None]
    return 1.0 + (palette[classes] - 1.0) * t


def render_png(session: TrainingSession, dpi: int = 80) -> bytes:
    """The run's current state: the map with the points, the losses, the confusion matrix, the gradient flow."""
    from matplotlib.figure import Figure   # a bare Figure draws with Agg, whatever the backend

    fig = Figure(figsize=(13, 5.4), dpi=dpi, layout="constrained")
    grid = fig.add_gridspec(2, 3, width_ratios=[1, 1.2, 1.2], height_ratios=[1.3, 1])
    ax_map, ax_grad = fig.add_subplot(grid[:, 0]), fig.add_subplot(grid[:, 2])
    ax_loss, ax_confusion = fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, 1])
    _draw_map(ax_map, session)
    _draw_losses(ax_loss, session)
    _draw_confusion(ax_confusion, session)
    _draw_gradient_flow(ax_grad, session)
    return figure_png(fig)


def _draw_map(ax, session: TrainingSession) -> None:
    settings, d = session.settings, session.data
    xmin, xmax, ymin, ymax = d.extent
    xs, ys, scores = session.grid()
    classes, strength = decision_map(settings.loss, scores)
    ax.imshow(map_colors(classes, strength), extent=d.extent, interpolation="bilinear")
    with np.errstate(all="ignore"):
        if scores.shape[-1] == 1:
            margins = [scores[..., 0]]
        else:   # the boundary of class c's region: where its logit equals the best of the others
            margins = [scores[..., c] - np.delete(scores, c, axis=-1).max(axis=-1) for c in range(scores.shape[-1])]
    for margin in margins:
        if np.nanmin(margin) < 0 < np.nanmax(margin):
            ax.contour(xs, ys, margin, levels=[0.0], colors=INK, linewidths=1.2)
    for c in range(d.n_classes):
        style = dict(c=CLASS_COLORS[c], marker=MATPLOTLIB_MARKERS[CLASS_MARKERS[c]], s=24, linewidths=0.8)
        train, test = d.X_train[d.c_train == c], d.X_test[d.c_test == c]
        ax.scatter(train[:, 0], train[:, 1], edgecolors="white", label=f"class {c}", **style)
        ax.scatter(test[:, 0], test[:, 1], edgecolors=INK, **style)
    name = DATASETS[settings.dataset] + (f", {d.n_classes} classes" if d.n_classes > 2 else "")
    ax.set(xlim=(xmin, xmax), ylim=(ymin, ymax), aspect="equal", title=f"{name}, epoch {session.epoch}")
    if d.n_classes > 2:
        ax.legend(fontsize="small", loc="upper right")


def _draw_losses(ax, session: TrainingSession) -> None:
    h = session.history
    ax.set(title="loss", xlabel="epoch")
    if not h["epoch"]:
        _say(ax, "not trained yet")
        return
    ax.plot(h["epoch"], h["train_loss"], color="#2b3445", label="train")
    ax.plot(h["epoch"], h["test_loss"], color="#b1387e", linestyle="--", label="test")
    ax.legend()


def _draw_confusion(ax, session: TrainingSession) -> None:
    """The test set's confusion matrix: rows are true classes, columns predicted ones."""
    m = session.measurement
    counts = np.array(m.confusion)
    rows = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows > 0)
    ax.imshow(share, cmap="Greys", vmin=0, vmax=1.6)
    k = len(counts)
    for t in range(k):
        for p in range(k):
            ax.text(p, t, str(counts[t, p]), ha="center", va="center", color="white" if share[t, p] > 0.9 else INK)
    labels = [f"{c}" if m.class_acc[c] is None else f"{c} ({m.class_acc[c]:.0%})" for c in range(k)]
    ax.set(xticks=range(k), yticks=range(k), xlabel="predicted class", ylabel="true class (test accuracy)",
           title=f"test points: confusion matrix, epoch {session.epoch}")
    ax.set_xticklabels([str(c) for c in range(k)])
    ax.set_yticklabels(labels, fontsize="small")


def _draw_gradient_flow(ax, session: TrainingSession) -> None:
    h, sizes = session.history, session.settings.sizes
    ax.set(title="gradient flow: mean |∂loss/∂w| per layer", xlabel="epoch", yscale="log")
    if not h["epoch"]:
        _say(ax, "not trained yet")
        return
    drawn = False
    for k, series in enumerate(zip(*h["grad"])):
        positive_only = [g if g > 0 else np.nan for g in series]
        drawn |= not all(np.isnan(positive_only))
        ax.plot(h["epoch"], positive_only, color=LAYER_COLORS[k % len(LAYER_COLORS)],
                label=f"layer {k + 1} ({sizes[k]}→{sizes[k + 1]})")
    if drawn:
        ax.legend(fontsize="small")
    else:   # nothing above 0 to draw: no scale to read either, only the note below
        ax.set(xlim=(0.5, h["epoch"][-1] + 0.5), yticks=[], yticklabels=[])
        ax.minorticks_off()
    note = gradient_note(session)
    if note:
        ax.text(0.5, 0.5, textwrap.fill(note, 46), ha="center", va="center", transform=ax.transAxes,
                color="#8a1c1c", fontsize="small", bbox={"facecolor": "white", "edgecolor": "#d9a3a3"})


def _say(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color=MUTED)
