"""The Playground's static picture: a training run drawn with matplotlib, for where no widget runs.

On GitHub, in nbviewer or in an HTML export there is no kernel, so the
Playground's output also carries a PNG (see `widgets._live.LiveWidget`).
`render_png` draws it from a `TrainingSession`, in three panels that mirror
the live view: the decision boundary with the points, the train and test
losses, and the gradient flow. The colours are the browser's
(playground.js), so the picture and the live widget look alike.
"""

from __future__ import annotations

import numpy as np

from ._live import figure_png
from .training_session import DATASETS, TrainingSession, display_values

__all__ = ["render_png", "ORANGE", "BLUE", "LAYER_COLORS"]

ORANGE, BLUE = "#f28e2b", "#1f6fd1"   # class 0 (label −1), class 1 (label +1): as in the browser
# the gradient-flow lines, input side first (playground.js has the same list)
LAYER_COLORS = ("#5e3c99", "#1b9e77", "#c51b7d", "#2c7fb8", "#8c510a", "#4d9221", "#e7298a", "#01665e", "#7f6a00")


def render_png(session: TrainingSession, dpi: int = 80) -> bytes:
    """Three panels of the run's current state: the boundary with the points, the losses, the gradient flow."""
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.figure import Figure   # a bare Figure draws with Agg, whatever the backend

    fig = Figure(figsize=(13, 4.2), dpi=dpi, layout="constrained")
    ax_map, ax_loss, ax_grad = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1.2, 1.2]})
    settings, d = session.settings, session.data
    xmin, xmax, ymin, ymax = d.extent
    _, _, scores = session.grid()
    shades = LinearSegmentedColormap.from_list("playground", [ORANGE, "#ffffff", BLUE])
    ax_map.imshow(display_values(settings.loss, scores), extent=d.extent, cmap=shades, vmin=-1.6, vmax=1.6,
                  interpolation="bilinear")
    xs, ys = np.linspace(xmin, xmax, scores.shape[1]), np.linspace(ymax, ymin, scores.shape[0])
    if scores.min() < 0 < scores.max():
        ax_map.contour(xs, ys, scores, levels=[0.0], colors="#1d2330", linewidths=1.2)
    colors = np.array([ORANGE, BLUE])
    ax_map.scatter(d.X_train[:, 0], d.X_train[:, 1], c=colors[d.c_train], s=22, edgecolors="white", linewidths=0.8)
    ax_map.scatter(d.X_test[:, 0], d.X_test[:, 1], c=colors[d.c_test], s=22, edgecolors="#1d2330", linewidths=0.8)
    ax_map.set(xlim=(xmin, xmax), ylim=(ymin, ymax), aspect="equal",
               title=f"{DATASETS[settings.dataset]}, epoch {session.epoch}")

    h = session.history
    ax_loss.set(title="loss", xlabel="epoch")
    ax_grad.set(title="gradient flow: mean |∂loss/∂w| per layer", xlabel="epoch", yscale="log")
    if h["epoch"]:
        ax_loss.plot(h["epoch"], h["train_loss"], color="#2b3445", label="train")
        ax_loss.plot(h["epoch"], h["test_loss"], color="#b1387e", linestyle="--", label="test")
        ax_loss.legend()
        sizes = settings.sizes
        for k, series in enumerate(zip(*h["grad"])):
            positive_only = [g if g > 0 else np.nan for g in series]
            ax_grad.plot(h["epoch"], positive_only, color=LAYER_COLORS[k % len(LAYER_COLORS)],
                         label=f"layer {k + 1} ({sizes[k]}→{sizes[k + 1]})")
        ax_grad.legend(fontsize="small")
    else:
        for ax in (ax_loss, ax_grad):
            ax.text(0.5, 0.5, "not trained yet", ha="center", va="center", transform=ax.transAxes, color="#5b6472")
    return figure_png(fig)
