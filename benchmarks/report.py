"""The results table, the machine description and benchmarks/README.md."""

from __future__ import annotations

import os
import platform
import textwrap
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
points (`autodiff.data.make_moons(100, noise=0.1, seed=0, labels=(-1, 1))`),
an MLP 2-16-16-1 (ReLU hidden layers, linear output), the SVM max-margin loss
plus 1e-4·Σp², zero the gradients, `backward()`, SGD update. The step is
written once with scalar operations only (`workloads.py`) and runs unchanged
on our `autodiff.Var`, on micrograd's `Value` as shipped, and on PyTorch 0-d
float64 tensors (one thread). All of them start from the same seeded
weights, and before anything is timed the run checks that their losses agree
to 1e-9 relative over {check_steps} steps. Two speed-ups against micrograd
0.1.0 are reported, each with both engines on the same terms: **(a)** as a
learner's own loop runs, with Python's cyclic garbage collector on for both
(`micrograd / autodiff`; target 8×, goal 10×), and **(b)** the computation
alone, with the collector off for both (`micrograd (gc off) / autodiff (gc
off)`; target 1.5×): for those two runs the collector is switched off before
the block's warm-up step and back on after its last timed step, so no
collection of any generation falls inside their times.

**Where (a) and (b) are timed: in lesson 12's kernel** (`learner_kernel.py`).
A learner trains this demo, or a loop like it, in lesson 12 (*Training end
to end*). So the benchmark starts that lesson's kernel as JupyterLab does
(ipykernel, via jupyter_client, in `notebooks/`), runs the lesson's first
code cell in it word for word (numpy, matplotlib, the kit's `autodiff` and
`widgets`, the lesson's exercises), checks that the kernel has the kit
loaded and not PyTorch, and times the four runs there, ours and micrograd's
taking turns. This matters because a full collection walks every object the
process tracks (see below), except those frozen with `gc.freeze()`. The
lesson's `import widgets` freezes, once, the objects the kernel has loaded
(about 120,000: IPython, ipykernel, numpy, matplotlib, the kit;
`widgets.collector`), as it does in every lesson's kernel, so that no full
collection walks them again; both engines run in that kernel. The
benchmark's own process is no kernel, freezes nothing, and has PyTorch
loaded as the third peer: about 190,000 objects for every full collection to
walk, 147,000 of them PyTorch's. Lessons 07, 09, 10 and 15 load PyTorch too,
so the table also gives (a) in the benchmark's own process, the worst case,
without a target, next to `torch / autodiff` (target 3×), for which PyTorch
must be loaded.

**Training epoch with each library's `nn.MLP`.** The same task, as each
library's user writes it (`mlp_epoch.py`): one full-batch epoch (one step)
of `autodiff.nn.MLP(2, [16, 16, 1])` with `autodiff.losses.hinge_loss` plus
`l2_penalty(params, 1e-4)` and `autodiff.optim.SGD` (zero_grad, forward on
the batch, loss, backward, step), against micrograd 0.1.0's own
`micrograd.nn.MLP(2, [16, 16, 1])` trained with its demo's loss (inputs
wrapped in `Value`, mean of `(1 + -yi*scorei).relu()` plus 1e-4·Σp²,
`model.zero_grad()`, `p.data -= lr * p.grad`). Both train on the training
step's data, start from the same weights and must agree to 1e-9 relative
over {check_steps} epochs; they are timed like the training step, the two taking
turns, and the table gives ms per epoch and the ratio micrograd / ours.

**Timing: steady state, in interleaved blocks.** A learner's training loop
runs its steps back to back, so that is what is timed. The engines take
turns in blocks, A B C D, A B C D, ... for {rounds} rounds, so a slow or noisy
moment of the shared machine hits every engine alike. A block is one untimed
warm-up step, then {steps} timed steps back to back, with nothing between them
but reading the clock: no `gc.collect()`. So everything Python's cyclic
garbage collector does during those steps is in the times. Its collections
are triggered by allocation counts, not by cycles, so they land inside the
steps of every engine, ours included, and a full collection walks every
object in the process (in the benchmark's own process, PyTorch's too).
micrograd's reference cycles left by its own previous steps in
the block (for the first timed step, the warm-up step's) are freed by those
collections and charged to micrograd, as they would be in a real loop.

`gc.collect()` runs only between blocks, untimed, so one engine's leftover
garbage is not charged to the next. The last row of each benchmark gives the
median time of that collection after each engine's blocks. Ours and
PyTorch's leave no cycles, so for them it is just the cost of walking the
process's objects; micrograd leaves the cycles of its last step only (as
many as its first timed step freed from the warm-up step), and with the
collector off, those of every step of its block.

**The clock is the process's CPU time** (`time.process_time`), read before
and after each step. This machine is shared: other processes take its two
CPUs at random moments, and the wall clock would charge their time to
whichever step was running. A step runs on one thread, so on an idle
machine the two clocks agree; everything the step does itself, the
collector's work included, is CPU time and is counted. The table gives,
per engine, the median time per step over all {rounds} × {steps} timed steps
(min–max in brackets), and each ratio is plainly the ratio of two of those
medians: micrograd's median step over ours, nothing averaged. The row after
the ratios gives them again by the wall clock, for comparison.

**What the collector does in the step.** Python's cyclic collector starts
a young collection (generation 0) each time the objects it tracks have
grown by 700; after every 11 young collections the next is of generation
1, and after every 11 of those the next is a full one (if the objects that
survived since the last full one are at least a quarter of those it
kept), which walks every tracked object in the process (the table counts
them, and the collections per step of both engines, untimed, over a few
steps after the timing). A float is not tracked, so our graph node
is one tracked object and micrograd's `Value` seven (itself, its dict,
its set of parents, its `_backward` closure and the closure's cells).
One step of the demo makes about 65,800 nodes, so at the collector's
defaults about two of our steps in three contain a full collection: our
median step contains one. Its cost is mostly that of walking the rest of
the process, the same for every engine; micrograd's
seven objects per node start about seven times as many collections, and
its full ones also walk its own graph and the cycles it leaves.

**The teaching core.** `autodiff/ops.py`, `var.py` and `backprop.py` hold
the op table, `Var` and reverse mode. Their code lines (not blank, not
comments, not docstrings) are counted with Python's tokenizer; before the
teach-first rewrite the same job took 464 code lines in four files (ops.py
176, var.py 100, arithmetic.py 50, backprop.py 138; 795 lines with the
prose). The reverse pass itself is `backprop.backpropagate`: its lines are
counted from `def` to its last line, docstring included.

**Graph size.** A chain `y = tanh(y * w)` {depth:,} nodes deep (only
Var-Var ops, so no constant nodes) is built and differentiated once.
Bytes per node is the growth of `tracemalloc`'s traced memory while
{nodes:,} `Var * Var` product nodes are built and kept alive, divided by
{nodes:,}; micrograd's `Value` is measured the same way for comparison."""

TENSOR_EXPLANATION = """\
**The tensor engine: a digits epoch in three libraries (`tensor_epoch.py`).**
One training epoch of an MLP 64-128-64-10 (ReLU hidden layers, logits out)
on the 1,797 8×8 digits ({source}; pixels divided by 16), with
cross-entropy and Adam (lr 1e-3, betas (0.9, 0.999), eps 1e-8), in
{batches} batches of 64 (the last one of 5) in one fixed shuffled order, every
array float32, on the CPU. It is written once per library, as its user
writes the loop (zero the gradients, the loss of the model's output,
`backward()`, the optimizer's `step()`, `loss.item()`): **ours**,
`autodiff.tensor.nn.MLP` with `autodiff.losses.cross_entropy` (the fused
op) and `autodiff.optim.Adam`; **torch**, `nn.Sequential` of `Linear` and
`ReLU` with `F.cross_entropy` and `torch.optim.Adam` (its defaults
otherwise); and **numpy by hand**, the same net's forward pass, backward
pass and Adam written out with numpy arrays, no graph and no checks: the
floor for an engine on numpy. The three start from the same float32
weights (PyTorch's default, uniform on ±1/√in, drawn once by
`autodiff.nn.initial_weights` from one seeded `random.Random`) and train on
the same batches, each in its own container made before any timing: for
ours, what `autodiff.tensor.data.batches(X, y, 64, shuffle=True, seed=0)`
gives (Tensors that need no gradient), for the others the same rows as
torch tensors and as arrays. Before anything
is timed the run trains each for an epoch and checks every batch's loss
against ours, to {tolerance} relative: float32 rounds to 6e-8, the libraries
sum their matrix products in different orders (OpenBLAS, MKL), and Adam
carries the differences from step to step; the largest difference is in
the table.

**One thread for everything:** `torch.set_num_threads(1)` for PyTorch (MKL
and OpenMP), and numpy's BLAS ({blas}, as `numpy.show_config()` names it)
held to one thread for the whole of these measurements: by threadpoolctl
when it is installed, otherwise through the OpenBLAS library numpy loaded
(its own `set_num_threads`, read back to check; without either the run
stops and says so). Without that, OpenBLAS would share the larger products
among the machine's CPUs. The other benchmarks are left as they were.

**Timing:** as for the training step, in interleaved blocks of {steps}
back-to-back epochs, ours, torch, numpy, for {rounds} rounds ({factor} times as
many as the other benchmarks: an epoch takes only tens of ms). The table
gives each library's ms per epoch, median (min–max) over all timed epochs,
and the ratios ours / torch (target ≤ 1×, goal ≤ 0.5×) and ours / numpy by
hand (goal ≤ 1.6×), each the ratio of the two libraries' median times per
epoch. **The cyclic garbage collector is on** for all three: this is
the loop as a learner writes and runs it, so the rule is "what a learner
sees". Here it also costs next to nothing: a batch makes six graph nodes,
freed by reference counting when the next batch's loss replaces the last
(a Tensor graph has no cycles), so the collector rarely starts, and then
only on young objects (the table counts its collections per epoch, with
`gc.callbacks`, over {phase_epochs} epochs).

**Where the time goes:** a second, untimed pass over {phase_epochs} epochs reads
the clock between the parts of each library's batch: forward (the model
and the loss), backward, and optimizer (`step()`, `zero_grad()` and
`loss.item()`); the table gives the median of each per epoch. **Graph
size:** a chain `y = tanh(y * w)` of {depth} ops on shape-(4,) float32
Tensors, then `.sum()`, built and differentiated once; and bytes per tensor
node, the growth of `tracemalloc`'s traced memory while {nodes} products
`y = y * w` of shape-(4,) float32 Tensors are built and kept alive, divided
by {nodes}: the Tensor object, its tuple of parents, its ndarray (the
object, its shape and strides) and the array's 16 bytes of numbers, all
counted (numpy reports its buffers to tracemalloc)."""

STEPPER_EXPLANATION = """\
**Graph drawing and `GraphStepper` (`stepper.py`).** Graphs of exactly
{sizes} nodes (Vars, `len(topological_order(root))`: what `draw_graph`'s
`max_nodes` counts; the drawing adds an op ellipse per op node), built the
same every time by `stepper.mlp_graph`: one example through a tanh MLP
whose neurons compute tanh(Σ wᵢ·hᵢ + b) as a chain of sums, the squared
error (out − y)², and Σ w² over as many first weights as make the count
exact, so a mix of `*`, `+`, `−` and `tanh` with fan-out at every hidden
value ({shapes}). *Layout* is the one-time work of the stepper:
`draw_graph(root, trace=...)` + `render_svg`, timed with every Graphviz
program found ({renderers}), each forced in turn; `render_svg`, so the
stepper, uses {default_renderer}. `draw_graph` draws a graph of more than
`max_nodes` (default 2,000) nodes as a one-box summary, so the benchmark
passes `max_nodes={max_nodes}`, to the layout and, through the SVG it hands
to the steppers (`LaidOutStepper`), to the steps. The figure is the median
of {layout_rounds} (min–max in brackets), the renderers taking turns.
*Python step*: `next()` then reading `.explanation` (which works out the
whole `view_state`), {python_steps} times per graph from positions spread
over the backward phase (reached, untimed, with `go_to`). *In-browser
step*: each stepper alone in a notebook of a private JupyterLab, started by
the browser tests' own helpers (tests/browser/helpers.py), in {browser}
(`--disable-gpu`, a 1400×1000 viewport, as in the tests). In the page,
`performance.now()` is read around a JS-dispatched `click()` on Step; the
DOM shows the step when the counter reads the new step and the step's node
is classed `ad-current` (the widget updates the DOM inside the click; a
MutationObserver would catch it later), and the *next frame* is drawn when
a `requestAnimationFrame` callback and the task after it have run. Every
click starts just after a frame, once the previous step's 0.15 s colour
transitions are over. Up to {browser_steps} timed clicks per graph, after
{warmup}, lead up to the last backward step (the longest view
state), going round again after an untimed Reset on a graph with fewer
steps; they stop after {budget} s once {min_clicks} are in, which leaves the
3,000-node graph, whose frames take over a second, only a few. Python and
browser steps give the median and the 95th percentile (nearest rank).
The gap between the two browser figures is Chromium's own work for the
frame (style, layout, paint and compositing of the SVG, rendered in
software here), not the widget's script. Targets, at 500 nodes: layout
≤ 0.5 s with each renderer; the in-browser step's 95th percentile ≤ 50 ms,
checked both until the DOM shows the step (the step as defined) and until
the next frame is drawn (what the learner sees). Without Chromium or
Playwright (or with `--no-browser`) the in-browser rows are left out, and
the run says why."""


def _paragraph(template: str, fields: dict[str, str]) -> str:
    """A template filled with figures of any length, each of its paragraphs wrapped again."""
    return "\n\n".join(textwrap.fill(" ".join(text.split()), width=76, break_long_words=False,
                                     break_on_hyphens=False)
                       for text in template.format(**fields).split("\n\n"))


def render_readme(rows: list[Row], info: dict[str, str], rounds: int, steps: int,
                  check_steps: int, depth: int, nodes: int,
                  stepper: Optional[dict[str, str]] = None,
                  tensor: Optional[dict[str, str]] = None) -> str:
    """The whole README: what is measured, the table, the machine.

    ``stepper``: the fields of STEPPER_EXPLANATION (`stepper.readme_fields`);
    ``tensor``: those of TENSOR_EXPLANATION (`benchmarks.__main__.tensor_rows`);
    without them that paragraph is left out.
    """
    explanation = EXPLANATION.format(rounds=rounds, steps=steps, check_steps=check_steps,
                                     depth=depth, nodes=nodes)
    if tensor is not None:
        explanation += "\n\n" + _paragraph(TENSOR_EXPLANATION, tensor)
    if stepper is not None:
        explanation += "\n\n" + _paragraph(STEPPER_EXPLANATION, stepper)
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


def write_readme(rows: list[Row], info: dict[str, str], rounds: int, steps: int,
                 check_steps: int, depth: int, nodes: int,
                 stepper: Optional[dict[str, str]] = None,
                 tensor: Optional[dict[str, str]] = None) -> Path:
    """Rewrite benchmarks/README.md with these results (atomically: a new file, then a rename)."""
    text = render_readme(rows, info, rounds, steps, check_steps, depth, nodes, stepper, tensor)
    temporary = README.with_name(f".{README.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, README)
    finally:
        temporary.unlink(missing_ok=True)
    return README
