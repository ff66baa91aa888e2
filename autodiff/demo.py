"""micrograd's demo, on this engine: ``python -m autodiff.demo [--out DIR]``.

A two-layer MLP learns to separate the two moons: 100 points, MLP(2, [16, 16, 1]),
max-margin (hinge) loss plus 1e-4·L2, 100 full-batch SGD steps with the learning
rate falling linearly from 1.0 to 0.1. It prints the accuracy and writes a
picture of the decision boundary.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from .data import make_moons
from .losses import hinge_loss
from .lr_scheduler import LambdaLR
from .nn import MLP
from .optim import SGD
from .train import History, accuracy, fit
from .var import no_grad

STEPS = 100
GRID = 60  # the picture's score grid: GRID × GRID points, each through the model


def train_demo(progress: bool = True, seed: int = 1) -> tuple[MLP, list, list, History]:
    """Train the demo model; returns (model, X, y, history)."""
    X, y = make_moons(100, noise=0.1, seed=seed, labels=(-1, 1))
    model = MLP(2, [16, 16, 1], rng=seed)
    optimizer = SGD(model.parameters(), lr=1.0)
    schedule = LambdaLR(optimizer, lambda step: 1.0 - 0.9 * step / STEPS)
    history = fit(model, hinge_loss, optimizer, X, y, epochs=STEPS, scheduler=schedule,
                  l2=1e-4, shuffle=False, progress=progress)
    return model, X, y, history


def plot_decision_boundary(model: MLP, X: list, y: list, path: Path) -> None:
    """Colour the plane by the model's score and draw the points on top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = np.array(X)
    (x0, y0), (x1, y1) = points.min(axis=0) - 0.5, points.max(axis=0) + 0.5
    gx, gy = np.meshgrid(np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID))
    with no_grad():  # values only: no graph is kept
        outputs = model(np.c_[gx.ravel(), gy.ravel()].tolist())
    scores = np.array([row[0].data for row in outputs]).reshape(gx.shape)
    fig, ax = plt.subplots(figsize=(5, 4), dpi=100)
    ax.contourf(gx, gy, scores > 0, levels=1, cmap="coolwarm", alpha=0.35)
    ax.contour(gx, gy, scores, levels=[0.0], colors="k", linewidths=1)
    ax.scatter(points[:, 0], points[:, 1], c=y, cmap="coolwarm", edgecolors="k", s=25)
    ax.set_title("decision boundary after 100 SGD steps")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autodiff.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo-output", help="folder for the picture (default: demo-output)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    start = time.perf_counter()
    model, X, y, history = train_demo()
    seconds = time.perf_counter() - start
    final = accuracy(model(X), y)
    picture = out / "decision_boundary.png"
    plot_decision_boundary(model, X, y, picture)
    print(f"trained in {seconds:.1f} s: loss {history.loss[-1]:.4f}, training accuracy {final:.0%}")
    print(f"decision boundary written to {picture}")
    return 0 if final == 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
