"""Frames per second of `widgets.Playground`'s Play, measured on the Python side.

    python -m benchmarks.playground            # both workloads, a few seconds each
    python -m benchmarks.playground --steps 5  # fewer frames

One frame of Play is what the kernel does between two sleeps: train one
epoch, then build and send what the browser draws. Each is timed apart:

* ``train``: one epoch of mini-batch training on the scalar engine
  (``Playground.session.step()``: forward, loss, backward and an optimizer
  step per batch, and the end-of-epoch losses and accuracies);
* ``frame``: the heatmap grid (one ``forward_array`` call on GRID_SIZE²
  points), the metrics, the curves and the weights, as a dict
  (`widgets.playground.frame_message`);
* ``send``: handing it to the widget (the traitlet assignment, which
  ipywidgets serialises into an update message; without a kernel the comm
  drops it) plus ``json.dumps`` of the frame, the encoding Jupyter would do.

The browser's drawing is not counted: it runs in another process, on
another core. The classroom target is at least 5 frames per second for 200
points and a 2-8-8-1 network on a 2-core machine; `TARGET_FPS` holds it.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from typing import Optional, Sequence

__all__ = ["playground_fps", "WORKLOADS", "TARGET_FPS", "rows", "main"]

TARGET_FPS = 5.0
# (points, hidden layers): the classroom default, and a bigger one for comparison
WORKLOADS: tuple[tuple[int, tuple[int, ...]], ...] = ((200, (8, 8)), (1000, (16, 16)))
STEPS = 20


def playground_fps(n_points: int, hidden: Sequence[int], steps: int = STEPS) -> dict:
    """Time ``steps`` frames of Play (after one warm-up frame) for one playground; the figures.

    Returns ``{"n_points", "hidden", "steps", "train_ms", "frame_ms", "send_ms",
    "total_ms", "fps", "message_bytes"}``: the ms are means per frame, ``fps``
    is 1000 / ``total_ms``, ``message_bytes`` the size of one encoded frame.
    The playground is the default one otherwise (moons, noise 0.1, half the
    points for training, tanh, BCE, Adam lr 0.03, batch 16).
    """
    from widgets.playground import Playground, frame_message

    p = Playground(points=n_points, hidden=list(hidden))
    times: dict[str, list[float]] = {"train": [], "frame": [], "send": []}
    size = 0
    gc.collect()
    for i in range(steps + 1):
        t0 = time.perf_counter()
        p.session.step()
        t1 = time.perf_counter()
        frame = frame_message(p.session)
        t2 = time.perf_counter()
        p.frame = frame
        size = len(json.dumps(frame, allow_nan=False))
        t3 = time.perf_counter()
        if i > 0:   # the first frame warms up
            for key, (start, end) in {"train": (t0, t1), "frame": (t1, t2), "send": (t2, t3)}.items():
                times[key].append(1000 * (end - start))
    p.close()
    means = {f"{key}_ms": statistics.fmean(values) for key, values in times.items()}
    total = sum(means.values())
    return {"n_points": n_points, "hidden": list(hidden), "steps": steps, **means,
            "total_ms": total, "fps": 1000 / total, "message_bytes": size}


def describe(result: dict) -> str:
    """One line: "200 points, 2-8-8-1: 15.2 fps (train 45.1 + frame 12.0 + send 8.3 ms; 24 kB)"."""
    net = "-".join(map(str, [2, *result["hidden"], 1]))
    return (f"{result['n_points']} points, {net}: {result['fps']:.1f} fps "
            f"(train {result['train_ms']:.1f} + frame {result['frame_ms']:.1f} + send {result['send_ms']:.1f} ms "
            f"per frame; {result['message_bytes'] / 1000:.0f} kB per frame)")


def rows(results: Sequence[dict]) -> list:
    """`benchmarks.report.Row`s for the results table: the first workload has the 5 fps target."""
    from .report import Row

    out = []
    for i, r in enumerate(results):
        net = "-".join(map(str, [2, *r["hidden"], 1]))
        target = i == 0
        out.append(Row(f"Playground Play, {r['n_points']} points, {net} (Python side)",
                       f"{r['fps']:.1f} fps ({r['total_ms']:.0f} ms per frame)",
                       f">= {TARGET_FPS:g} fps" if target else "",
                       r["fps"] >= TARGET_FPS if target else None))
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.playground", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=STEPS, help=f"timed frames per workload (default {STEPS})")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    results = []
    for n_points, hidden in WORKLOADS:
        results.append(playground_fps(n_points, hidden, args.steps))
        print(describe(results[-1]), flush=True)
    first = results[0]
    verdict = "met" if first["fps"] >= TARGET_FPS else "MISSED"
    print(f"target: >= {TARGET_FPS:g} fps for {first['n_points']} points, "
          f"2-{'-'.join(map(str, first['hidden']))}-1: {verdict}")
    return 0 if first["fps"] >= TARGET_FPS else 1


if __name__ == "__main__":
    sys.exit(main())
