"""Run every benchmark, print the table and rewrite benchmarks/README.md.

    python -m benchmarks            # the full run (make bench), under ~3 minutes
    python -m benchmarks --quick    # a smoke test: fewer rounds, README untouched
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from typing import Optional, Sequence

from . import graphs, report, workloads
from .report import Row

OURS = "autodiff"
# Other engine's time per step / ours: the speed-ups we aim for.
SPEEDUP_TARGETS = {"micrograd": 10.0, "micrograd (gc off)": 1.5, "torch": 3.0}
CHAIN_BACKWARD_TARGET_S = 10.0  # "finishes in seconds"
BYTES_PER_NODE_TARGET = 200.0


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="3 rounds and a 100,000-node chain; do not rewrite the README")
    parser.add_argument("--rounds", type=int, help="timed rounds (default 21, quick 3)")
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = 3 if args.quick else 21
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    args.depth = 100_000 if args.quick else 1_000_000
    args.nodes = 100_000
    return args


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------
# Training step: interleaved rounds
# ----------------------------------------------------------------------
def time_steps(runs: dict[str, workloads.DemoTraining], rounds: int) -> dict[str, list[float]]:
    """Seconds per step of each run, taking turns: A B C D, A B C D, ... for ``rounds`` rounds."""
    for run in runs.values():  # warm-up, untimed
        run.step()
    times: dict[str, list[float]] = {name: [] for name in runs}
    for i in range(rounds):
        for name, run in runs.items():
            gc.collect()  # untimed: nobody pays for the previous engine's garbage
            start = time.perf_counter()
            run.step()
            times[name].append(time.perf_counter() - start)
        say(f"  round {i + 1}/{rounds}: " + ", ".join(
            f"{name} {1000 * t[-1]:.0f} ms" for name, t in times.items()))
    return times


def median_ratio(numerator: list[float], denominator: list[float]) -> float:
    """The median over rounds of numerator / denominator, pairing times of the same round."""
    return statistics.median(a / b for a, b in zip(numerator, denominator))


def step_rows(times: dict[str, list[float]]) -> list[Row]:
    """ms per step for every engine, then each engine's speed relative to ours."""
    rows = []
    for name, t in times.items():
        ms = [1000 * x for x in t]
        rows.append(Row(f"{name}: ms per training step",
                        f"{statistics.median(ms):.1f} ({min(ms):.1f}–{max(ms):.1f})"))
    for name, target in SPEEDUP_TARGETS.items():
        ratio = median_ratio(times[name], times[OURS])
        rows.append(Row(f"{name} / {OURS}", f"{ratio:.2f}×", f"≥ {target:g}×", ratio >= target))
    return rows


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
def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    import torch

    torch.set_num_threads(1)  # 0-d tensors gain nothing from threads

    say("checking that the four engines compute the same losses ...")
    workloads.check_engines_agree(steps=3)
    say(f"timing the training step, {args.rounds} interleaved rounds ...")
    runs = {engine.name: workloads.DemoTraining(engine) for engine in workloads.all_engines()}
    rows = step_rows(time_steps(runs, args.rounds))
    del runs
    say(f"timing a {args.depth:,}-node chain ...")
    rows += chain_rows(args.depth)
    say(f"measuring memory per node over {args.nodes:,} nodes ...")
    rows += memory_rows(args.nodes)

    info = report.machine_info()
    print(report.format_table(rows))
    print()
    print(report.format_machine(info))
    if not args.quick:
        path = report.write_readme(rows, info, args.rounds, args.depth, args.nodes)
        say(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
