"""Frames per second of `widgets.Playground`'s Play, and how long Pause can wait, on the Python side.

    python -m benchmarks.playground              # the workloads on both engines, a few seconds each
    python -m benchmarks.playground --frames 30  # fewer frames

Play is a task on the kernel's event loop (`widgets._live.PlayingWidget`):
each frame trains for a slice of time (`Playground.slice_budget`), builds
what the browser draws and sends it, then sleeps until the next frame is
due. Here Play really runs, on an asyncio loop as in a kernel, and every
frame sent is timed:

* ``fps``: frames sent per second of Play (sleeps included);
* ``busy_ms``: the time a frame keeps the loop busy (train + build + send),
  median and worst. A click (Pause, a changed setting, a kernel interrupt
  between cells) waits at most for the frame in progress: the worst
  ``busy_ms`` is the longest Pause can wait in the kernel;
* ``train``, ``frame``, ``send``: one frame's parts, timed apart: the slice
  of training (`TrainingSession.train_for`), the message
  (`widgets.playground_messages.frame_message`: the decision map on
  GRID_SIZE² points, the metrics, the curves, the weights), and handing it
  to the widget plus ``json.dumps`` of it (the encoding Jupyter does).

The browser's drawing is not counted: it runs in another process, on
another core. Play sends a frame only when the view has drawn the ones
before (`Playground._play_frame`); here a view that draws at once is
assumed, so every frame is sent. The target (issue "Tensors in the classroom"): at least 30
frames per second at 1,000 points with a 2-16-16-1 network, on the tensor
engine, on a 2-core machine (the goal is 60); `TARGET_FPS` holds it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
from typing import Optional, Sequence

__all__ = ["playground_fps", "WORKLOADS", "TARGET_FPS", "GOAL_FPS", "STEPS", "rows", "main"]

TARGET_FPS = 30.0
GOAL_FPS = 60.0
# (points, hidden layers) on the tensor engine: the target's workload, and the classroom default
WORKLOADS: tuple[tuple[int, tuple[int, ...]], ...] = ((1000, (16, 16)), (200, (8, 8)))
STEPS = 60          # frames timed per workload
WARM_UP = 5         # frames played before the timing starts


def playground_fps(n_points: int, hidden: Sequence[int], steps: int = STEPS, engine: str = "tensor") -> dict:
    """Play ``steps`` frames (after WARM_UP) of one playground, and time them; the figures.

    Returns ``{"n_points", "hidden", "engine", "steps", "fps", "busy_ms", "busy_max_ms",
    "train_ms", "frame_ms", "send_ms", "epochs_per_s", "message_bytes"}``: the ms
    are medians per frame (``busy_max_ms`` the worst), ``message_bytes`` the
    size of one encoded frame. The playground is the default one otherwise
    (moons, noise 0.1, half the points for training, tanh, BCE, Adam lr 0.03,
    batch 16).
    """
    from widgets import playground as module

    p = module.Playground(points=n_points, hidden=list(hidden), engine=engine)
    sent: list[float] = []      # when each frame was sent
    busy: list[float] = []      # how long each frame kept the loop busy
    parts: dict[str, list[float]] = {"train": [], "frame": [], "send": []}
    size = 0
    session_train_for, push, build = p._session.train_for, p._push_frame, module.frame_message

    def timed_train(budget: float) -> bool:
        start = time.perf_counter()
        try:
            return session_train_for(budget)
        finally:
            parts["train"].append(time.perf_counter() - start)

    def timed_build(session):
        start = time.perf_counter()
        try:
            return build(session)
        finally:
            parts["frame"].append(time.perf_counter() - start)

    def timed_push() -> None:
        nonlocal size
        start = time.perf_counter()
        push()                                   # builds the frame (timed_build) and sends it
        size = len(json.dumps(p.frame, allow_nan=False))
        parts["send"].append(time.perf_counter() - start - parts["frame"][-1])
        p._frame_drawn(p.frame["seq"])           # drawn at once: see "a view that draws at once" above

    p._session.train_for = timed_train       # (instance attributes: the Playground itself is unchanged)
    p._push_frame = timed_push
    play_frame = p._play_frame

    def timed_frame() -> None:
        start = time.perf_counter()
        play_frame()
        end = time.perf_counter()
        busy.append(end - start)
        sent.append(end)
        if len(sent) >= WARM_UP + steps + 1:
            p.pause()

    p._play_frame = timed_frame
    epoch_at = {}

    async def play() -> None:
        p.play()
        while p.playing:
            if len(sent) == WARM_UP + 1 and "start" not in epoch_at:
                epoch_at["start"] = p.epoch + p.session.epoch_progress
            await asyncio.sleep(0.001)

    gc.collect()
    module.frame_message = timed_build
    try:
        asyncio.run(play())
    finally:
        module.frame_message = build
        p.close()
    timed = slice(WARM_UP + 1, None)        # frame WARM_UP's end is when the timing starts
    elapsed = sent[-1] - sent[WARM_UP]
    epochs = p.epoch + p.session.epoch_progress - epoch_at.get("start", 0.0)
    ms = {key: 1000 * statistics.median(values[timed]) for key, values in parts.items()}
    return {"n_points": n_points, "hidden": list(hidden), "engine": engine, "steps": steps,
            "fps": steps / elapsed, "busy_ms": 1000 * statistics.median(busy[timed]),
            "busy_max_ms": 1000 * max(busy[timed]), **{f"{key}_ms": value for key, value in ms.items()},
            "epochs_per_s": epochs / elapsed, "message_bytes": size}


def _net(result: dict) -> str:
    return "-".join(map(str, [2, *result["hidden"], 1]))


def describe(result: dict) -> str:
    """One line: "1000 points, 2-16-16-1, tensor: 41.3 fps, busy 17 ms (worst 25 ms) per frame ..."."""
    return (f"{result['n_points']} points, {_net(result)}, {result['engine']} engine: {result['fps']:.1f} fps; "
            f"a frame is busy {result['busy_ms']:.1f} ms (worst {result['busy_max_ms']:.1f} ms: the longest "
            f"Pause waits) = train {result['train_ms']:.1f} + frame {result['frame_ms']:.1f} + "
            f"send {result['send_ms']:.1f} ms; {result['epochs_per_s']:.1f} epochs/s; "
            f"{result['message_bytes'] / 1000:.0f} kB per frame")


def rows(results: Sequence[dict]) -> list:
    """`benchmarks.report.Row`s for the results table: the 1,000-point tensor workload has the target."""
    from .report import Row

    out = []
    for r in results:
        target = r["n_points"] == 1000 and r["hidden"] == [16, 16] and r.get("engine", "tensor") == "tensor"
        out.append(Row(f"Playground Play, {r['n_points']} points, {_net(r)}, {r.get('engine', 'tensor')} engine "
                       "(Python side)",
                       f"{r['fps']:.1f} fps; busy {r['busy_ms']:.0f} ms per frame, worst {r['busy_max_ms']:.0f} ms",
                       f">= {TARGET_FPS:g} fps (goal {GOAL_FPS:g})" if target else "",
                       r["fps"] >= TARGET_FPS if target else None))
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.playground", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=STEPS, help=f"timed frames per workload (default {STEPS})")
    args = parser.parse_args(argv)
    if args.frames < 1:
        parser.error("--frames must be at least 1")
    results = []
    for engine in ("tensor", "scalar"):
        for n_points, hidden in WORKLOADS:
            results.append(playground_fps(n_points, hidden, args.frames, engine))
            print(describe(results[-1]), flush=True)
    first = results[0]
    verdict = "met" if first["fps"] >= TARGET_FPS else "MISSED"
    print(f"target: >= {TARGET_FPS:g} fps for {first['n_points']} points, {_net(first)}, tensor engine: {verdict}")
    return 0 if first["fps"] >= TARGET_FPS else 1


if __name__ == "__main__":
    sys.exit(main())
