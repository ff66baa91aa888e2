"""Timing the training step where a learner's loop runs: in a lesson's Jupyter kernel.

Ratio (a) is "as a learner's own loop runs". A learner runs micrograd's demo
step, or their own loop like it, in lesson 12 (*Training end to end*), in
that lesson's kernel: ipykernel, started in ``notebooks/`` as JupyterLab
starts it, after the lesson's first cell (numpy, matplotlib, the kit's
`autodiff` and `widgets`, the lesson's exercises). So that is where (a) and
(b) are timed: `time_training` starts such a kernel with jupyter_client, runs
lesson 12's first code cell in it, word for word, and then times the steps
in it with the same code as the rest of the benchmarks
(`benchmarks.__main__.time_blocks`), ours and micrograd's taking turns.

Why it matters: every full collection of Python's cyclic garbage collector
walks every object the process tracks, except those frozen. In a kernel, the
lesson's ``import widgets`` freezes the objects the kernel has loaded
(`widgets.collector`), for both engines alike. The benchmark's own process is
not a kernel, freezes nothing, and has PyTorch loaded (a third peer): about
190,000 objects to walk. Lessons 07, 09, 10 and 15 load PyTorch too (when
before ``widgets``, its objects are frozen with the rest), so the benchmark
also reports the ratio in its own process, next to torch's, as the worst
case.
"""

from __future__ import annotations

import json
import queue
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "notebooks" / "12_training_end_to_end.ipynb"
MARKER = "BENCHMARK-RESULT "  # the line of the kernel's output that carries the results
TIMEOUT_S = 3600.0            # the whole run in the kernel; a step takes ~1.5 s at most

__all__ = ["KernelTiming", "lesson_setup", "time_training", "run_code"]


@dataclass
class KernelTiming:
    """What `time_training` measured in the lesson's kernel (seconds, as `time_blocks` gives them)."""

    steps: dict[str, list[list[float]]]   # per engine, per round, every timed step (CPU time)
    wall: dict[str, list[list[float]]]    # the same steps by the wall clock
    collect: dict[str, list[float]]       # per engine, the untimed gc.collect() after each block
    collections: dict[str, list[float]]   # per engine, collections of generations 0, 1, 2 per step
    tracked: int                          # objects the collector tracks in the kernel, before timing
    frozen: int                           # objects frozen by the kit (widgets.collector), which it skips
    modules: dict[str, bool]              # whether the kernel had loaded torch, autodiff, widgets


def lesson_setup(lesson: Path = LESSON) -> str:
    """The lesson's first code cell, word for word: what its kernel has run before any loop."""
    notebook = json.loads(lesson.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            return "".join(cell["source"])
    raise ValueError(f"lesson_setup: {lesson.name} has no code cell")


# Run in the kernel after the lesson's cell. {root}, {rounds}... are filled in by `time_training`.
_TIMING_CODE = """
import gc as _gc, json as _json, sys as _sys
_sys.path.insert(0, {root!r})
from benchmarks import workloads as _workloads
from benchmarks.__main__ import time_blocks as _time_blocks, tracked_objects as _tracked_objects
_engines = [_workloads.autodiff_engine(), _workloads.micrograd_engine(),
            _workloads.autodiff_engine(collector_off=True), _workloads.micrograd_engine(collector_off=True)]
_runs = {{engine.name: _workloads.DemoTraining(engine) for engine in _engines}}
_tracked = _tracked_objects()
_blocks = _time_blocks(_runs, {rounds}, {steps})
del _runs
_counts = {{engine.name: _workloads.collections_per_call(_workloads.DemoTraining(engine).step, {count_steps})
           for engine in _engines[:2]}}
print({marker!r} + _json.dumps(dict(
    steps=_blocks.steps, wall=_blocks.wall, collect=_blocks.collect, collections=_counts,
    tracked=_tracked, frozen=_gc.get_freeze_count(), modules={{m: m in _sys.modules for m in ("torch", "autodiff", "widgets")}})))
"""


def time_training(rounds: int, steps: int, count_steps: int, lesson: Path = LESSON) -> KernelTiming:
    """Time (a) and (b) in a fresh kernel of ``lesson``, after its first cell.

    The kernel's progress lines (``round 1/8 ...``) are passed on to this
    process's stderr. An error in the kernel is raised here as a
    RuntimeError with the kernel's own message.
    """
    from jupyter_client.manager import start_new_kernel

    code = _TIMING_CODE.format(root=str(ROOT), rounds=rounds, steps=steps,
                               count_steps=count_steps, marker=MARKER)
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(lesson.parent))
    try:
        run_code(client, lesson_setup(lesson), f"{lesson.name}'s first cell")
        output = run_code(client, code, "the timing")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    for line in output.splitlines():
        if line.startswith(MARKER):
            return KernelTiming(**json.loads(line[len(MARKER):]))
    raise RuntimeError(f"time_training: the kernel printed no results: {output[-500:]!r}")


def run_code(client: Any, code: str, what: str) -> str:
    """Execute ``code`` in the kernel and wait; return its stdout, raise its error."""
    msg_id = client.execute(code)
    deadline = time.monotonic() + TIMEOUT_S
    stdout: list[str] = []
    while True:
        try:
            message = client.get_iopub_msg(timeout=max(1.0, deadline - time.monotonic()))
        except queue.Empty:
            raise RuntimeError(f"time_training: {what} took over {TIMEOUT_S:g} s in the kernel") from None
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "stream" and content["name"] == "stdout":
            stdout.append(content["text"])
        elif kind == "stream":
            print(content["text"], end="", file=sys.stderr, flush=True)
        elif kind == "error":
            raise RuntimeError(f"time_training: {what} failed in the kernel: "
                               f"{content['ename']}: {content['evalue']}")
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(stdout)
