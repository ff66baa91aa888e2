"""The results table, the machine description and benchmarks/README.md."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Optional

__all__ = ["Row", "format_table", "machine_info", "write_readme", "README"]

README = Path(__file__).resolve().parent / "README.md"


@dataclass(frozen=True)
class Row:
    """One line of the results table; ``met`` is None for a figure without a target."""

    measurement: str
    result: str
    target: str = ""
    met: Optional[bool] = None

    @property
    def status(self) -> str:
        if self.met is None:
            return ""
        return "met" if self.met else "**missed**"


def format_table(rows: list[Row]) -> str:
    """A Markdown table, its columns padded so it also reads well in a terminal."""
    header = ("Measurement", "Result", "Target", "Status")
    cells = [header] + [(r.measurement, r.result, r.target, r.status) for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]

    def line(values: tuple[str, ...]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule] + [line(c) for c in cells[1:]])


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what `platform` knows."""
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                return text.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> dict[str, str]:
    """What the figures were measured on."""
    return {
        "CPU": cpu_model(),
        "Cores": f"{os.cpu_count()} logical CPUs",
        "OS": platform.platform(),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "torch": _version("torch"),
        "micrograd": _version("micrograd"),
        "numpy": _version("numpy"),
        "Date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def format_machine(info: dict[str, str]) -> str:
    """The machine description as a Markdown list."""
    return "\n".join(f"- {key}: {value}" for key, value in info.items())


EXPLANATION = """\
**Training step.** One full-batch step of micrograd's demo: 100 two-moons
points, an MLP 2-16-16-1 (ReLU hidden layers, linear output), the SVM
max-margin loss plus 1e-4·Σp², zero the gradients, `backward()`, SGD update.
The step is written once with scalar operations only (`workloads.py`) and
runs unchanged on our `autodiff.Var`, on micrograd's `Value` as shipped, on
micrograd with the cyclic garbage collector paused during the step, and on
PyTorch 0-d float64 tensors (one thread). All four start from the same seeded
weights, and before anything is timed the run checks that their losses agree
to 1e-9 relative over 3 steps.

**Timing.** The engines take turns within one process (A B C D, A B C D, ...)
for {rounds} rounds after one untimed warm-up step each, so a slow or noisy
moment of the machine hits every engine alike. `gc.collect()` runs, untimed,
before every timed step, so one engine's leftover garbage (micrograd leaves
reference cycles) is not charged to the next; this also means micrograd's
graph is freed outside the timing, while ours and PyTorch's are freed inside
it. The table gives each engine's median time per step (min–max in brackets)
and, for each ratio, the median over rounds of the ratio of the two engines'
times in the same round. micrograd's time with the collector on also depends on how many
objects the whole process holds, since its collections walk them all: here
PyTorch is loaded, as it must be to time it alongside.

**Graph size.** A chain `y = tanh(y * w)` {depth:,} nodes deep (only
Var-Var ops, so no constant nodes) is built and differentiated once.
Bytes per node is the growth of `tracemalloc`'s traced memory while
{nodes:,} `Var * Var` product nodes are built and kept alive, divided by
{nodes:,}; micrograd's `Value` is measured the same way for comparison."""


def render_readme(rows: list[Row], info: dict[str, str], rounds: int,
                  depth: int, nodes: int) -> str:
    """The whole README: what is measured, the table, the machine."""
    explanation = EXPLANATION.format(rounds=rounds, depth=depth, nodes=nodes)
    return (
        "# Benchmarks\n\n"
        "Written by `make bench` (`python -m benchmarks`); edit `benchmarks/report.py`,\n"
        "not this file. `python -m benchmarks --quick` is a smoke test that leaves it alone.\n\n"
        f"{explanation}\n\n"
        "## Results\n\n"
        f"{format_table(rows)}\n\n"
        "## Machine\n\n"
        f"{format_machine(info)}\n"
    )


def write_readme(rows: list[Row], info: dict[str, str], rounds: int,
                 depth: int, nodes: int) -> Path:
    """Rewrite benchmarks/README.md with these results."""
    README.write_text(render_readme(rows, info, rounds, depth, nodes), encoding="utf-8")
    return README
