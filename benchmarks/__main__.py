"""Run every benchmark, print the table and rewrite benchmarks/README.md.

    python -m benchmarks               # the full run (make bench), under ~5 minutes
    python -m benchmarks --quick       # a smoke test: fewer rounds, README untouched
    python -m benchmarks --no-browser  # without the in-browser GraphStepper step
    python -m benchmarks --training    # only the training step (and its collector counts)
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Optional, Protocol, Sequence

from . import graphs, learner_kernel, mlp_epoch, playground, report, stepper, teaching_core, tensor_epoch, workloads
from .report import Row

OURS = "autodiff"
# (other engine, ours, target): the other's time per step / ours, and the speed-up we aim for.
# (a) as a learner's loop runs, the collector on for both; (b) compute only, off for both.
# Both are timed in lesson 12's kernel (learner_kernel.py), where a learner trains this demo.
SPEEDUP_TARGETS: tuple[tuple[str, str, Optional[float]], ...] = (
    ("micrograd", "autodiff", 8.0),                      # (a); the goal is 10
    ("micrograd (gc off)", "autodiff (gc off)", 1.5),   # (b)
)
# In the benchmark's own process, with PyTorch loaded (as in lessons 07, 09, 10 and 15).
TORCH_PROCESS_RATIOS: tuple[tuple[str, str, Optional[float]], ...] = (
    ("torch", "autodiff", 3.0),
    ("micrograd", "autodiff", None),                     # (a) with PyTorch's objects to walk
)
IN_KERNEL = "training step, in lesson 12's kernel"
IN_PROCESS = "training step, PyTorch loaded"
# The nn.MLP epoch: micrograd's time per epoch / ours, reported without a target.
EPOCH_RATIOS = ((mlp_epoch.MicrogradEpoch.name, mlp_epoch.AutodiffEpoch.name, None),)
# Timing: ROUNDS rounds; in each, every run does a block of one warm-up and STEPS timed steps.
# A ratio is of two per-step medians over all ROUNDS × STEPS steps (`per_step_ratio`). Our
# step with the collector on is one of two kinds, with or without a full collection, so
# ROUNDS × STEPS is large enough that the median is the common kind: 32 steps, not 20.
ROUNDS, STEPS = 8, 4
QUICK_ROUNDS, QUICK_STEPS = 1, 1
CHECK_STEPS, QUICK_CHECK_STEPS = 3, 1  # steps over which the engines' losses must agree
COUNT_STEPS, QUICK_COUNT_STEPS = 6, 1  # untimed steps over which collections are counted
CHAIN_BACKWARD_TARGET_S = 10.0  # "finishes in seconds"
BYTES_PER_NODE_TARGET = 200.0
# The tensor engine's digits epoch (tensor_epoch.py): ours / other, with (target, goal) each;
# None where the issue gives no target. An epoch takes tens of ms, so TENSOR_ROUND_FACTOR times
# as many rounds as the other benchmarks.
TENSOR_RATIOS: tuple[tuple[str, Optional[float], float], ...] = (
    (tensor_epoch.TorchEpoch.name, 1.0, 0.5),
    (tensor_epoch.NumpyEpoch.name, None, 1.6),
)
TENSOR_ROUND_FACTOR = 3
TENSOR_PHASE_EPOCHS, QUICK_TENSOR_PHASE_EPOCHS = 10, 2  # the phase split and the collection counts
TENSOR_CHAIN_DEPTH = 10_000
TENSOR_NODES = 10_000
# Graph drawing and GraphStepper, at TARGET_NODES nodes: the layout (each renderer), and the
# 95th percentile of the in-browser step.
TARGET_NODES = 500
LAYOUT_TARGET_S = 0.5
BROWSER_STEP_TARGET_MS = 50.0


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_ROUNDS} round of {QUICK_STEPS} step, {QUICK_CHECK_STEPS} step "
                             "of agreement checks and a 100,000-node chain; do not rewrite the README")
    parser.add_argument("--rounds", type=int,
                        help=f"rounds of blocks (default {ROUNDS}, quick {QUICK_ROUNDS})")
    parser.add_argument("--steps", type=int,
                        help=f"timed steps per block (default {STEPS}, quick {QUICK_STEPS})")
    parser.add_argument("--training", action="store_true",
                        help="only the training step: its timing, its collector counts and the "
                             "objects per node; do not rewrite the README")
    parser.add_argument("--no-browser", action="store_true",
                        help="leave out the GraphStepper step in JupyterLab in Chromium "
                             "(left out anyway, saying why, when Chromium or Playwright is missing)")
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = QUICK_ROUNDS if args.quick else ROUNDS
    if args.steps is None:
        args.steps = QUICK_STEPS if args.quick else STEPS
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    args.check_steps = QUICK_CHECK_STEPS if args.quick else CHECK_STEPS
    args.count_steps = QUICK_COUNT_STEPS if args.quick else COUNT_STEPS
    args.depth = 100_000 if args.quick else 1_000_000
    args.nodes = 100_000
    make = stepper.Settings.quick if args.quick else stepper.Settings.full
    args.stepper = make(browser=not args.no_browser)
    return args


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------
# Training step and epoch: interleaved blocks of back-to-back steps
# ----------------------------------------------------------------------
class Run(Protocol):
    """Anything trained one step at a time: a `workloads.DemoTraining`, a `mlp_epoch` run."""

    def step(self) -> float: ...


# The clock of every step: the CPU time of this process, not the wall clock. On a shared machine
# other processes take the CPU at random moments, and the wall clock charges their time to
# whichever step was running: in one run here, at a load of 7 on 2 CPUs, our step took 3.3 times
# its CPU time by the wall clock and micrograd's 3.4 times. A step runs on one thread, so on an
# idle machine the two clocks agree; the table also gives the ratios by the wall clock.
CLOCK = time.process_time


@dataclass
class Blocks:
    """What `time_blocks` measured, in seconds, for each run (by name)."""

    steps: dict[str, list[list[float]]]  # per round, every timed step of that round's block (CLOCK)
    collect: dict[str, list[float]]      # per round, the untimed gc.collect() after the block (CLOCK)
    wall: dict[str, list[list[float]]] = field(default_factory=dict)  # the steps by the wall clock


def time_block(run: Run, steps: int) -> tuple[list[float], list[float]]:
    """One untimed warm-up step, then ``steps`` timed steps back to back; seconds per step.

    Each step is timed by `CLOCK` (the process's CPU time) and by the wall
    clock: the two lists, in that order.

    Nothing runs between the timed steps but reading the clock, so whatever
    the cyclic garbage collector does during them (collections triggered by
    allocation counts, and the cycles left by this run's earlier steps) is
    timed, as in a training loop. A run whose ``collector_off`` is true gets
    the whole block, warm-up included, with the collector off: its times are
    the computation alone.
    """
    collector_off = getattr(run, "collector_off", False)
    if collector_off:
        gc.disable()
    try:
        run.step()
        times, wall = [], []
        for _ in range(steps):
            start, wall_start = CLOCK(), time.perf_counter()
            run.step()
            times.append(CLOCK() - start)
            wall.append(time.perf_counter() - wall_start)
    finally:
        if collector_off:
            gc.enable()
    return times, wall


def time_blocks(runs: dict[str, Run], rounds: int, steps: int) -> Blocks:
    """Blocks of ``steps`` timed steps, taking turns: A B C D, A B C D, ... for ``rounds`` rounds.

    `gc.collect()` runs before the first block and after every block, outside
    the step times, so no run is charged for garbage another run left
    behind. How long each of those collections took is kept apart.
    """
    blocks = Blocks({name: [] for name in runs}, {name: [] for name in runs}, {name: [] for name in runs})
    gc.collect()
    for i in range(rounds):
        for name, run in runs.items():
            times, wall = time_block(run, steps)
            blocks.steps[name].append(times)
            blocks.wall[name].append(wall)
            start = CLOCK()
            gc.collect()
            blocks.collect[name].append(CLOCK() - start)
        say(f"  round {i + 1}/{rounds}, mean ms per step (then gc.collect() after the block): "
            + ", ".join(f"{name} {1000 * statistics.fmean(blocks.steps[name][-1]):.0f} "
                        f"({1000 * blocks.collect[name][-1]:.0f})" for name in runs))
    return blocks


def per_step_ratio(numerator: list[list[float]], denominator: list[list[float]]) -> float:
    """The median time per step of one run over that of another, each over all its timed steps.

    Plainly the ratio of the two medians the table shows: no means, and no
    ratio taken round by round.
    """
    return (statistics.median(t for block in numerator for t in block)
            / statistics.median(t for block in denominator for t in block))


def step_rows(blocks: Blocks, per: str = "training step",
              ratios: Sequence[tuple[str, str, Optional[float]]] = SPEEDUP_TARGETS) -> list[Row]:
    """ms ``per`` step for every run, the ``ratios`` (other / ours, target), the collections.

    The ms are the median (min–max) over every timed step of every block, by
    `CLOCK`; a ratio is `per_step_ratio` (of those medians), and a ratio whose
    target is None is reported without one. Then, if the blocks have wall-clock
    times, the same ratios by the wall clock. The last row gives, per run, the
    median time of the untimed gc.collect() after its blocks: walking the
    process's objects, plus freeing any cycles the run left behind.
    """
    rows = []
    for name, run_blocks in blocks.steps.items():
        ms = [1000 * t for block in run_blocks for t in block]
        rows.append(Row(f"{name}: ms per {per}",
                        f"{statistics.median(ms):.1f} ({min(ms):.1f}–{max(ms):.1f})"))
    for name, ours, target in ratios:
        ratio = per_step_ratio(blocks.steps[name], blocks.steps[ours])
        label, result = f"{name} / {ours} ({per})", f"{ratio:.2f}×"
        if target is None:
            rows.append(Row(label, result))
        else:
            rows.append(Row(label, result, f"≥ {target:g}×", ratio >= target))
    if ratios and blocks.wall:
        rows.append(Row(f"the same ratios by the wall clock ({per})", " · ".join(
            f"{name} / {ours} {per_step_ratio(blocks.wall[name], blocks.wall[ours]):.2f}×"
            for name, ours, _ in ratios)))
    rows.append(Row(f"untimed gc.collect() after each block, median ms ({per})", " · ".join(
        f"{name} {1000 * statistics.median(t):,.0f}" for name, t in blocks.collect.items())))
    return rows


# ----------------------------------------------------------------------
# What the cyclic garbage collector does in the training step
# ----------------------------------------------------------------------
def collector_rows(counts: dict[str, Sequence[float]], count_steps: int, tracked_in_process: int,
                   where: str = "lesson 12's kernel") -> list[Row]:
    """Collections per step (collector on, at its defaults), and the objects each one walks.

    ``counts`` gives, per engine, its collections of generations 0, 1 and 2
    per step over ``count_steps`` steps (`workloads.collections_per_call`), counted ``where`` the
    training step was timed, whose tracked objects ``tracked_in_process``
    counts. A young collection walks the objects made since the last one; a
    full one (generation 2) walks every tracked object in the process. So the
    two engines' tracked objects per graph node, and how often a full
    collection falls inside a step, explain most of the gap between (a) and (b).
    """
    from micrograd.engine import Value

    per_node = {OURS: graphs.tracked_objects_per_node(), "micrograd": graphs.tracked_objects_per_node(Value)}
    return [
        Row(f"cyclic collections per training step, generations 0 / 1 / 2, in {where} "
            f"(over {count_steps} step{'s' * (count_steps != 1)})",
            " · ".join(f"{name} {' / '.join(f'{n:.3g}' for n in c)}" for name, c in counts.items())),
        Row("objects the cyclic collector tracks, per graph node",
            " · ".join(f"{name} {n:g}" for name, n in per_node.items())),
        Row(f"objects the cyclic collector tracks in {where}, as the training step is timed",
            f"{tracked_in_process:,}"),
    ]


def tracked_objects() -> int:
    """How many objects the cyclic collector tracks in this process now, after a full collection."""
    gc.collect()
    return len(gc.get_objects())


# ----------------------------------------------------------------------
# Graph size
# ----------------------------------------------------------------------
def chain_rows(depth: int) -> list[Row]:
    chain = graphs.time_deep_chain(depth)
    return [
        Row(f"{depth:,}-node chain: forward", f"{chain.forward_s:.2f} s"),
        Row(f"{depth:,}-node chain: backward", f"{chain.backward_s:.2f} s",
            f"< {CHAIN_BACKWARD_TARGET_S:g} s", chain.backward_s < CHAIN_BACKWARD_TARGET_S),
    ]


def memory_rows(nodes: int) -> list[Row]:
    from micrograd.engine import Value

    ours = graphs.bytes_per_node(n=nodes)
    theirs = graphs.bytes_per_node(Value, n=nodes)
    return [
        Row(f"{OURS}: bytes per graph node", f"{ours:.0f}",
            f"≤ {BYTES_PER_NODE_TARGET:g}", ours <= BYTES_PER_NODE_TARGET),
        Row("micrograd: bytes per graph node", f"{theirs:.0f}"),
    ]


# ----------------------------------------------------------------------
# The tensor engine: a digits epoch in three libraries, a chain, bytes per node
# ----------------------------------------------------------------------
def tensor_rows(args: argparse.Namespace) -> tuple[list[Row], dict[str, str]]:
    """The rows of `tensor_epoch`'s measurements, and the README's fields for them.

    All of it with numpy's BLAS on one thread (PyTorch's is set by `main`),
    and the collector on for all three libraries, as a learner's loop runs.
    """
    rounds = TENSOR_ROUND_FACTOR * args.rounds
    phase_epochs = QUICK_TENSOR_PHASE_EPOCHS if args.quick else TENSOR_PHASE_EPOCHS
    with tensor_epoch.one_blas_thread() as blas:
        data = tensor_epoch.digits()
        say(f"checking that the three libraries compute the same losses over an epoch of the digits "
            f"({data.source}; numpy's BLAS: {blas}) ...")
        worst = tensor_epoch.check_epochs_agree(tensor_epoch.all_epochs(data))
        say(f"timing a digits epoch in each library, {rounds} round{'s' * (rounds != 1)} of "
            f"interleaved blocks of {args.steps} epoch{'s' * (args.steps != 1)} ...")
        runs = {run.name: run for run in tensor_epoch.all_epochs(data)}
        blocks = time_blocks(runs, rounds, args.steps)
        say(f"splitting each library's epoch into its phases, {phase_epochs} epochs ...")
        phases = {run.name: tensor_epoch.phase_times(run, phase_epochs)
                  for run in tensor_epoch.all_epochs(data)}
        collections = {run.name: tensor_epoch.collections_per_epoch(run, phase_epochs)
                       for run in tensor_epoch.all_epochs(data)}
        say(f"timing a {TENSOR_CHAIN_DEPTH:,}-op tensor chain and measuring bytes per tensor node ...")
        chain = tensor_epoch.time_chain(TENSOR_CHAIN_DEPTH)
        node_bytes = tensor_epoch.bytes_per_node(TENSOR_NODES)

    ours = tensor_epoch.OursEpoch.name
    rows = step_rows(blocks, "digits epoch", ratios=())  # ms per epoch of each, then gc.collect()
    ratio_rows = []
    for other, target, goal in TENSOR_RATIOS:
        ratio = per_step_ratio(blocks.steps[ours], blocks.steps[other])
        label, result = f"{ours} / {other}, digits epoch (goal ≤ {goal:g}×)", f"{ratio:.2f}×"
        ratio_rows.append(Row(label, result) if target is None
                          else Row(label, result, f"≤ {target:g}×", ratio <= target))
    rows[len(runs):len(runs)] = ratio_rows
    rows.append(Row("digits epoch: largest relative difference of a batch's loss from ours, first epoch",
                    f"{worst:.1e}", f"≤ {tensor_epoch.REL_TOL:g}", worst <= tensor_epoch.REL_TOL))
    for name, (forward, backward, update) in phases.items():
        rows.append(Row(f"{name}: ms per digits epoch in forward · backward · optimizer",
                        f"{1000 * forward:.1f} · {1000 * backward:.1f} · {1000 * update:.1f}"))
    rows.append(Row("cyclic collections per digits epoch, generations 0 / 1 / 2", " · ".join(
        f"{name} {' / '.join(f'{n:g}' for n in counts)}" for name, counts in collections.items())))
    rows += [
        Row(f"{chain.depth:,}-op tensor chain: forward", f"{chain.forward_s:.3f} s"),
        Row(f"{chain.depth:,}-op tensor chain: backward", f"{chain.backward_s:.3f} s"),
        Row(f"{ours}: bytes per tensor node (shape (4,) float32)", f"{node_bytes:.0f}"),
    ]
    fields = {
        "source": data.source, "batches": str(len(runs[ours].batches)),
        "blas": tensor_epoch.blas_description(), "blas_threads": blas,
        "tolerance": f"{tensor_epoch.REL_TOL:g}", "rounds": str(rounds), "steps": str(args.steps),
        "factor": str(TENSOR_ROUND_FACTOR), "phase_epochs": str(phase_epochs),
        "depth": f"{chain.depth:,}", "nodes": f"{TENSOR_NODES:,}",
    }
    return rows, fields


# ----------------------------------------------------------------------
# Graph drawing and GraphStepper
# ----------------------------------------------------------------------
def _spread(values: list[float], unit: str, digits: int) -> str:
    """The median and the 95th percentile of ``values`` (nearest rank: an observed value)."""
    return (f"median {statistics.median(values):.{digits}f} {unit}, "
            f"p95 {stepper.percentile(values, 95):.{digits}f} {unit}")


def stepper_rows(results: stepper.Results) -> list[Row]:
    """Layout per graph and renderer, then the Python step, then the in-browser step (if measured)."""
    rows = []
    for t in results.layouts:
        used = " (GraphStepper's)" if t.renderer == results.default_renderer else ""
        over = f", max_nodes={stepper.MAX_NODES:,}" if t.nodes > 2000 else ""
        label = (f"layout (draw_graph + render_svg), {t.nodes:,} nodes{over}: "
                 f"{t.renderer.name} {t.renderer.version}{used}")
        total = t.total_s
        median = statistics.median(total)
        result = f"{median:.2f} s" + (f" ({min(total):.2f}–{max(total):.2f})" if len(total) > 1 else "")
        if t.nodes == TARGET_NODES:
            rows.append(Row(label, result, f"≤ {LAYOUT_TARGET_S:g} s", median <= LAYOUT_TARGET_S))
        else:
            rows.append(Row(label, result))
    for n, times in results.python_steps.items():
        rows.append(Row(f"GraphStepper step in Python, {n:,} nodes: next() + .explanation",
                        _spread([1000 * t for t in times], "ms", 2)))
    if results.browser is not None:
        for what, attribute in (("click → DOM shows the step", "dom_ms"),
                                ("click → next frame drawn", "painted_ms")):
            for t in results.browser.timings:
                times = getattr(t, attribute)
                label = f"GraphStepper step in Chromium, {t.nodes:,} nodes: {what}"
                result = f"{_spread(times, 'ms', 1)} ({len(times)} clicks)"
                if t.nodes == TARGET_NODES:
                    p95 = stepper.percentile(times, 95)
                    rows.append(Row(label, result, f"p95 ≤ {BROWSER_STEP_TARGET_MS:g} ms",
                                    p95 <= BROWSER_STEP_TARGET_MS))
                else:
                    rows.append(Row(label, result))
    return rows


# ----------------------------------------------------------------------
def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    import torch

    torch.set_num_threads(1)  # 0-d tensors gain nothing from threads

    say("checking that the engines compute the same losses ...")
    workloads.check_engines_agree(steps=args.check_steps)
    blocks = (f"{args.rounds} round{'s' * (args.rounds != 1)} of interleaved blocks of "
              f"{args.steps} timed step{'s' * (args.steps != 1)}")
    say(f"timing the training step in lesson 12's kernel, {blocks}, then counting the "
        f"collector's collections over {args.count_steps} step{'s' * (args.count_steps != 1)} ...")
    kernel = learner_kernel.time_training(args.rounds, args.steps, args.count_steps)
    if kernel.modules != {"torch": False, "autodiff": True, "widgets": True}:
        raise RuntimeError(f"lesson 12's kernel should have the kit loaded and not torch: {kernel.modules}")
    rows = step_rows(Blocks(kernel.steps, kernel.collect, kernel.wall), IN_KERNEL)
    rows += collector_rows(kernel.collections, args.count_steps, kernel.tracked)
    rows.append(Row("objects frozen in lesson 12's kernel by its `import widgets` (widgets.collector), "
                    "which no collection walks", f"{kernel.frozen:,}"))
    say(f"timing the training step in this process, PyTorch loaded, {blocks} ...")
    runs = {engine.name: workloads.DemoTraining(engine)
            for engine in (workloads.autodiff_engine(), workloads.micrograd_engine(), workloads.torch_engine())}
    in_process = tracked_objects()
    rows += step_rows(time_blocks(runs, args.rounds, args.steps), IN_PROCESS, TORCH_PROCESS_RATIOS)
    rows.append(Row("objects the cyclic collector tracks in this process, PyTorch loaded", f"{in_process:,}"))
    del runs
    if args.training:
        print(report.format_table(rows))
        return 0
    say("checking that both nn.MLPs compute the same losses ...")
    mlp_epoch.check_epochs_agree(epochs=args.check_steps)
    say(f"timing a training epoch with each library's nn.MLP, {blocks} ...")
    epochs = {run.name: run for run in mlp_epoch.all_epochs()}
    rows += step_rows(time_blocks(epochs, args.rounds, args.steps), "epoch", EPOCH_RATIOS)
    del epochs
    say(f"timing a {args.depth:,}-node chain ...")
    rows += chain_rows(args.depth)
    say(f"measuring memory per node over {args.nodes:,} nodes ...")
    rows += memory_rows(args.nodes)
    rows += teaching_core.rows()
    new_rows, tensor_fields = tensor_rows(args)
    rows += new_rows
    stepper_results = stepper.run(args.stepper)
    rows += stepper_rows(stepper_results)
    say("timing Playground frames ...")
    frames = 5 if args.quick else playground.STEPS
    rows += playground.rows([playground.playground_fps(n, hidden, frames) for n, hidden in playground.WORKLOADS])

    info = report.machine_info()
    info.update(stepper.machine_info(stepper_results))
    info["numpy's BLAS"] = f"{tensor_fields['blas_threads']} for the tensor engine's benchmarks"
    print(report.format_table(rows))
    print()
    print(report.format_machine(info))
    if not args.quick:
        path = report.write_readme(rows, info, args.rounds, args.steps, args.check_steps,
                                   args.depth, args.nodes, stepper.readme_fields(stepper_results),
                                   tensor_fields)
        say(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
