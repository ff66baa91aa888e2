"""Graph drawing and `widgets.GraphStepper`: the one-time layout, and what one step costs.

* `mlp_graph(n)` builds a graph of exactly ``n`` nodes (``len(topological_order(root))``,
  the count `draw_graph`'s ``max_nodes`` compares with): one training example
  through a small tanh MLP, its squared error and an L2 penalty on a few weights.
* `time_layouts` times the layout the stepper does once, `draw_graph` +
  `render_svg`, with every Graphviz program found (system ``dot``, and
  ``graphviz-pure``), forcing each in turn.
* `time_python_steps` times `GraphStepper.next()` plus reading `.explanation`
  (which runs the whole `view_state` computation), at steps spread over the
  backward phase.
* `time_browser_steps` shows a stepper per graph in a private JupyterLab in
  Debian's Chromium (the browser tests' helpers, tests/browser/helpers.py) and
  times, with ``performance.now()`` in the page, a JS-dispatched click on Step
  until the DOM shows the new counter and highlight, and until the next frame
  has been drawn. Without Chromium or Playwright it says so and returns None.
  A frame of the 3,000-node graph takes over a second, so the clicks per graph also
  stop after a time budget (once `MIN_CLICKS` are in).

`draw_graph` lays out at most 2,000 nodes by default (a bigger graph is drawn
as a one-box summary), so every layout here passes ``max_nodes=MAX_NODES``,
and the steppers are given that SVG (`LaidOutStepper`).
"""

from __future__ import annotations

import math
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Callable, Iterator, Optional, Sequence

from autodiff import Var
from autodiff.backprop import topological_order
from autodiff.trace import trace as make_trace
from widgets import render
from widgets.graph import draw_graph
from widgets.render import Renderer, render_svg
from widgets.stepper import GraphStepper

__all__ = [
    "SIZES", "QUICK_SIZES", "MAX_NODES", "Settings", "MlpGraph", "mlp_graph", "renderers",
    "forced_renderer", "LayoutTiming", "layout", "time_layouts", "LaidOutStepper",
    "check_same_svg", "kernel_stepper", "time_python_steps", "BrowserTiming", "BrowserRun",
    "time_browser_steps", "Results", "run", "machine_info", "readme_fields", "percentile",
]

REPO = Path(__file__).resolve().parents[1]
SIZES = (50, 500, 3000)
QUICK_SIZES = (50, 500)
MAX_NODES = 5000   # passed to draw_graph: its default (2,000) would draw 3,000 nodes as a summary
WARMUP_CLICKS = 1  # untimed Step clicks in the browser before the timed ones, per graph
MIN_CLICKS = 3     # timed clicks per graph, however long they take


@dataclass(frozen=True)
class Settings:
    """How much of everything is measured (`full` for make bench, `quick` for --quick)."""

    sizes: tuple[int, ...]
    layout_rounds: dict[int, int]  # size -> rounds of (one layout per renderer)
    python_steps: int              # timed Python steps per graph
    browser_steps: int             # timed clicks per graph, at most ...
    browser_budget_s: float        # ... and no more once this long has gone by (at least MIN_CLICKS)
    browser: bool = True

    @classmethod
    def full(cls, browser: bool = True) -> "Settings":
        return cls(SIZES, {50: 3, 500: 3, 3000: 1}, 200, 50, 8.0, browser)

    @classmethod
    def quick(cls, browser: bool = True) -> "Settings":
        return cls(QUICK_SIZES, {50: 1, 500: 1}, 50, 15, 5.0, browser)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile: a value that was observed."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


# ----------------------------------------------------------------------
# The graphs
# ----------------------------------------------------------------------
@dataclass(frozen=True)
class MlpGraph:
    """``root`` = (mlp(x) − y)² + Σ w² over ``penalty`` weights; its shape, for the README."""

    root: Var
    parameters: tuple[Var, ...]
    inputs: int
    hidden: tuple[int, int]
    tanh_output: bool
    penalty: int

    @property
    def shape(self) -> str:
        out = "tanh" if self.tanh_output else "linear"
        penalty = (f"Σ w² over {self.penalty} weight{'s' * (self.penalty != 1)}" if self.penalty
                   else "no Σ w²")
        return f"MLP {self.inputs}-{self.hidden[0]}-{self.hidden[1]}-1 with a {out} output, {penalty}"


def _mlp_nodes(inputs: int, h1: int, h2: int, tanh_output: bool) -> int:
    """Nodes of the MLP and its squared error, without the penalty.

    A neuron with m operands makes m weights, m products, m − 1 sums, a bias,
    the bias sum and (if tanh) the tanh: 3m + 2 nodes, 3m + 1 when linear.
    The squared error adds y, out − y and its square.
    """
    return inputs + h1 * (3 * inputs + 2) + h2 * (3 * h1 + 2) + (3 * h2 + 1 + tanh_output) + 3


def _plan(n: int) -> tuple[int, int, int, bool, int]:
    """(inputs, h1, h2, tanh output, penalty terms) totalling exactly ``n`` nodes, penalty smallest.

    Each penalty term w·w, added on, costs 2 nodes (the first one's sum is
    the one joining it to the loss).
    """
    best = None
    for inputs in range(2, 9):
        for h1 in range(1, 64):
            for h2 in range(1, h1 + 1):
                for tanh_output in (False, True):
                    rest = n - _mlp_nodes(inputs, h1, h2, tanh_output)
                    if rest < 0 or rest % 2:
                        continue
                    key = (rest, -inputs, -h2)
                    if best is None or key < best[0]:
                        best = (key, (inputs, h1, h2, tanh_output, rest // 2))
    if best is None or best[1][4] > best[1][0] * best[1][1]:  # more terms than first-layer weights
        raise ValueError(f"mlp_graph: cannot make a graph of exactly {n} nodes")
    return best[1]


def mlp_graph(n: int, seed: int = 0) -> MlpGraph:
    """A graph of exactly ``n`` nodes, of the kind a lesson steps through, built the same every time.

    One example ``x`` through an MLP inputs-h1-h2-1 whose neurons compute
    tanh(Σ wᵢ·hᵢ + b) (a chain of sums, as written by hand), the squared
    error (out − y)², plus Σ w² over the first weights to reach ``n`` exactly:
    a mix of *, +, −, tanh, with fan-out at every hidden value.
    """
    inputs, h1, h2, tanh_output, penalty = _plan(n)
    rng = Random(seed)
    xs = [Var(rng.uniform(-1.0, 1.0), label=f"x{i}") for i in range(inputs)]
    parameters: list[Var] = []

    def layer(values: list[Var], width: int, tanh: bool, name: str) -> list[Var]:
        out = []
        for j in range(width):
            total = None
            for i, v in enumerate(values):
                w = Var(rng.gauss(0.0, 1.0 / math.sqrt(len(values))), label=f"{name}w{j}.{i}")
                parameters.append(w)
                total = w * v if total is None else total + w * v
            b = Var(rng.uniform(-0.1, 0.1), label=f"{name}b{j}")
            parameters.append(b)
            total = total + b
            out.append(total.tanh() if tanh else total)
        return out

    hidden = layer(layer(xs, h1, True, "A"), h2, True, "B")
    out = layer(hidden, 1, tanh_output, "C")[0]
    out.label = "out"
    error = out - Var(0.5, label="y")
    root = error * error
    if penalty:
        squares = None
        for w in parameters[:penalty]:
            squares = w * w if squares is None else squares + w * w
        root = root + squares
    root.label = "L"
    graph = MlpGraph(root, tuple(parameters), inputs, (h1, h2), tanh_output, penalty)
    count = len(topological_order(root))
    if count != n:  # the formula and the builder disagree: a bug here
        raise AssertionError(f"mlp_graph({n}) built {count} nodes")
    return graph


# ----------------------------------------------------------------------
# Layout: draw_graph + render_svg, with each renderer
# ----------------------------------------------------------------------
def renderers() -> list[Renderer]:
    """Every Graphviz program on this machine, the one `render_svg` picks first."""
    found = []
    for name, path in ((render.SYSTEM_DOT, shutil.which("dot")),
                       (render.GRAPHVIZ_PURE, render._find_graphviz_pure())):
        if path:
            found.append(Renderer(name, path, render._version(path)))
    return found


@contextmanager
def forced_renderer(renderer: Renderer) -> Iterator[None]:
    """`render_svg` uses ``renderer`` inside this block, whatever else is installed."""
    chosen = render.graphviz_renderer
    render.graphviz_renderer = lambda: renderer
    try:
        yield
    finally:
        render.graphviz_renderer = chosen


@dataclass
class LayoutTiming:
    """Seconds for draw_graph and render_svg, per round, for one graph and one renderer."""

    renderer: Renderer
    nodes: int
    draw_s: list[float] = field(default_factory=list)
    render_s: list[float] = field(default_factory=list)
    svg: str = ""

    @property
    def total_s(self) -> list[float]:
        return [a + b for a, b in zip(self.draw_s, self.render_s)]


def layout(graph: MlpGraph) -> tuple[str, float, float]:
    """The stepper's SVG for ``graph`` (as GraphStepper draws it, but with max_nodes=MAX_NODES).

    Returns (svg, seconds in draw_graph, seconds in render_svg). The trace
    is made beforehand, untimed: the stepper makes it for its own use anyway.
    """
    trace = make_trace(graph.root, graph.parameters)
    start = time.perf_counter()
    drawing = draw_graph(graph.root, trace=trace, max_nodes=MAX_NODES)
    drawn = time.perf_counter()
    svg = render_svg(drawing)
    return svg, drawn - start, time.perf_counter() - drawn


def time_layouts(graphs: dict[int, MlpGraph], rounds: dict[int, int],
                 programs: Sequence[Renderer]) -> list[LayoutTiming]:
    """Per graph, ``rounds[size]`` rounds in which every renderer lays it out once, in turn."""
    timings = []
    for program in programs:  # one untimed run each: the program's files in the page cache
        with forced_renderer(program):
            layout(graphs[min(graphs)])
    for n, graph in graphs.items():
        mine = [LayoutTiming(program, n) for program in programs]
        for _ in range(rounds[n]):
            for timing in mine:
                with forced_renderer(timing.renderer):
                    timing.svg, draw_s, render_s = layout(graph)
                timing.draw_s.append(draw_s)
                timing.render_s.append(render_s)
        say(f"  {n:,} nodes: " + ", ".join(
            f"{t.renderer.name} {statistics.median(t.total_s):.2f} s" for t in mine))
        timings += mine
    return timings


# ----------------------------------------------------------------------
# Stepping in Python
# ----------------------------------------------------------------------
class LaidOutStepper(GraphStepper):
    """A `GraphStepper` given its SVG: the layout is timed apart, and made with max_nodes=MAX_NODES.

    The SVG must be `layout(graph)`'s for the same graph: then it is exactly
    what GraphStepper would draw (checked by `check_same_svg`).
    """

    def __init__(self, root: Var, parameters: Sequence[Var], svg: str, **kwargs) -> None:
        self._given_svg = svg
        super().__init__(root, parameters, **kwargs)

    def _draw(self, rankdir: str) -> str:
        return self._given_svg

    def _untrusted_picture(self) -> None:
        """No PNG beside the view: it would lay the graph out again (two minutes at 3,000 nodes).

        The PNG is for a reader of a saved lesson; this notebook is the benchmark's own.
        """
        return None


def check_same_svg(graph: MlpGraph, svg: str) -> None:
    """GraphStepper's own drawing of ``graph`` is ``svg`` (a graph under draw_graph's default max_nodes)."""
    if GraphStepper(graph.root, graph.parameters).svg != svg:
        raise AssertionError("layout() does not draw what GraphStepper draws")


def kernel_stepper(n: int, svg_path: str, start: int = 0) -> LaidOutStepper:
    """In the benchmark's notebook: the stepper of ``mlp_graph(n)`` at step ``start``, with a given SVG."""
    graph = mlp_graph(n)
    stepper = LaidOutStepper(graph.root, graph.parameters, Path(svg_path).read_text(encoding="utf-8"))
    stepper.go_to(start)
    return stepper


def time_python_steps(stepper: GraphStepper, steps: int) -> list[float]:
    """Seconds for ``next()`` + reading ``.explanation``, from steps spread over the backward phase.

    Before each timed step the stepper is put (untimed, with ``go_to``) at
    step ``i·B/steps`` of the B backward steps, so early and late steps,
    whose view states replay few and many gradient texts, both count.
    """
    last = stepper.total_steps
    times = []
    for i in range(steps):
        stepper.go_to(i * last // steps)
        start = time.perf_counter()
        stepper.next()
        stepper.explanation  # noqa: B018  (view_state, as a lesson cell would read it)
        times.append(time.perf_counter() - start)
    return times


# ----------------------------------------------------------------------
# Stepping in the browser
# ----------------------------------------------------------------------
# In the page: click Step, wait until the counter reads "step k+1 / B" and box
# currents[k] is classed ad-current (a MutationObserver; the widget updates the
# DOM inside the click, so usually at once), then until the next frame has been
# drawn (requestAnimationFrame, then a task: rendering follows the rAF
# callbacks). At the last step an untimed Reset starts the phase again.
MEASURE_JS = """
async (root, {steps, warmup, currents, budgetMs, minSteps}) => {
  const button = (action) => root.querySelector(`button[data-action="${action}"]`);
  const counter = root.querySelector('[data-role="counter"]');
  const graph = root.querySelector('[data-role="graph"]');
  const position = () => counter.textContent.match(/^step (\\d+) \\/ (\\d+)$/).slice(1).map(Number);
  const frame = () => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
  const until = (ready, what) => new Promise((done, fail) => {
    if (ready()) return done();
    const timer = setTimeout(() => { watch.disconnect(); fail(new Error(`timed out: ${what}`)); }, 20000);
    const watch = new MutationObserver(() => {
      if (ready()) { clearTimeout(timer); watch.disconnect(); done(); }
    });
    watch.observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  const dom = [], painted = [];
  let began = null;  // when the first timed click began
  for (let i = 0; i < warmup + steps; i++) {
    if (i === warmup) began = performance.now();
    if (i > warmup && dom.length >= minSteps && performance.now() - began > budgetMs) break;
    let [k, n] = position();
    if (k >= n) {
      button("reset").click();
      await until(() => position()[0] === 0, "Reset to show step 0");
      [k, n] = position();
    }
    // start on a quiet page: the last step's colour transitions over, just after a frame
    await Promise.all(root.getAnimations({ subtree: true }).map((a) => a.finished.catch(() => null)));
    await frame();
    const box = graph.querySelector(`g#ad-${currents[k]}`);
    const shown = () => counter.textContent === `step ${k + 1} / ${n}` && box.classList.contains("ad-current");
    const t0 = performance.now();
    button("step").click();
    await until(shown, `step ${k + 1} / ${n} with ${currents[k]} current`);
    const t1 = performance.now();
    await frame();
    const t2 = performance.now();
    if (i >= warmup) { dom.push(t1 - t0); painted.push(t2 - t0); }
  }
  return { dom, painted };
}
"""


@dataclass
class BrowserTiming:
    """Milliseconds per timed click on Step, for one graph: until the DOM shows it, until painted."""

    nodes: int
    start: int          # the step the timed clicks started from
    total_steps: int    # B, the backward phase's last step
    dom_ms: list[float]
    painted_ms: list[float]


@dataclass
class BrowserRun:
    timings: list[BrowserTiming]
    chromium: str       # the browser's version
    jupyterlab: str


def _browser_helpers():
    """tests/browser/helpers.py, which starts the lab and the browser for the browser tests too."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from tests.browser import helpers
    return helpers


def time_browser_steps(steppers: dict[int, GraphStepper], svgs: dict[int, str],
                       steps: int, budget_s: float) -> Optional[BrowserRun]:
    """Time up to ``steps`` clicks on Step per graph in JupyterLab in Chromium; None if it cannot run.

    Each graph gets a notebook of its own, run in a fresh kernel, which
    builds the graph again (`kernel_stepper`) with the SVG written to the
    lab's folder, so nothing is laid out twice. ``WARMUP_CLICKS`` untimed
    clicks come first; the timed ones lead up to the last backward step
    (where the view state is the longest to work out) or, for a graph with
    fewer steps, go round the phase again after an untimed Reset. They stop
    early once ``budget_s`` seconds have gone by and `MIN_CLICKS` are in.
    """
    helpers = _browser_helpers()
    reason = helpers.browser_missing()
    if reason:
        say(f"IN-BROWSER STEP NOT MEASURED (its rows are left out): {reason}")
        return None
    from importlib import metadata

    with tempfile.TemporaryDirectory(prefix="autodiff-bench-") as tmp:
        base = Path(tmp)
        (base / "lab").mkdir()
        say("  starting JupyterLab and Chromium ...")
        try:
            server = helpers.start_lab_server(base / "lab")
        except helpers.LabServerError as error:
            say(f"IN-BROWSER STEP NOT MEASURED (its rows are left out): {error}")
            return None
        try:
            try:
                browser = helpers.start_browser(base / "profile")
            except helpers.BrowserUnavailable as error:
                say(f"IN-BROWSER STEP NOT MEASURED (its rows are left out): {error}")
                return None
            try:
                page = browser.context.new_page()
                cdp = browser.context.new_cdp_session(page)
                version = cdp.send("Browser.getVersion")["product"]  # "HeadlessChrome/156.0.8078.108"
                cdp.detach()
                timings = _measure(helpers, server, page, steppers, svgs, steps, budget_s)
                page.close()
            finally:
                browser.close()
            if browser.blocked:
                say(f"  (refused requests to elsewhere: {browser.blocked})")
        finally:
            server.shutdown_sessions()
            helpers.stop_lab_server(server)
    return BrowserRun(timings, f"Chromium {version.rpartition('/')[2]} from {helpers.CHROMIUM}",
                      metadata.version("jupyterlab"))


def _measure(helpers, server, page, steppers: dict[int, GraphStepper], svgs: dict[int, str],
             steps: int, budget_s: float) -> list[BrowserTiming]:
    """One notebook per graph, opened, run and measured in turn in ``page``."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    timings = []
    for n, stepper in steppers.items():
        last = stepper.total_steps
        start = max(0, last - steps - WARMUP_CLICKS)
        (server.root / f"bench-{n}.svg").write_text(svgs[n], encoding="utf-8")
        name = server.write_notebook(f"stepper-{n}.ipynb", [
            "from benchmarks.stepper import kernel_stepper",
            f"s = kernel_stepper({n}, 'bench-{n}.svg', start={start})\ns",
        ])
        nb = helpers.Notebook(page, server, name)
        opening = time.perf_counter()
        nb.open()
        nb.run_all(timeout=180)
        view = nb.wait_widget_view(1, ".ad-stepper", timeout=60)
        counter = view.locator('[data-role="counter"]')
        helpers.wait_until(lambda: counter.inner_text() == f"step {start} / {last}", 30,
                           f"the {n}-node stepper to show step {start}", page=page)
        view.scroll_into_view_if_needed()
        currents = [s["node"] for s in stepper.data["backward"]]
        shown = time.perf_counter()
        result = view.evaluate(MEASURE_JS, {"steps": steps, "warmup": WARMUP_CLICKS,
                                            "currents": currents, "budgetMs": 1000 * budget_s,
                                            "minSteps": MIN_CLICKS})
        if errors:
            raise RuntimeError(f"errors in the page: {errors}")
        server.shutdown_sessions()  # this notebook's kernel
        timings.append(BrowserTiming(n, start, last, result["dom"], result["painted"]))
        say(f"  {n:,} nodes, {len(result['dom'])} clicks: median "
            f"{statistics.median(result['dom']):.2f} ms until the DOM shows the step, "
            f"{statistics.median(result['painted']):.1f} ms until the next frame "
            f"(shown after {shown - opening:.0f} s, clicked for {time.perf_counter() - shown:.0f} s)")
    return timings


# ----------------------------------------------------------------------
@dataclass
class Results:
    settings: Settings
    graphs: dict[int, MlpGraph]
    layouts: list[LayoutTiming]
    default_renderer: Optional[Renderer]   # the one render_svg (so the stepper) uses
    python_steps: dict[int, list[float]]
    browser: Optional[BrowserRun]


def run(settings: Settings, log: Callable[[str], None] = say) -> Results:
    """Everything above, for ``settings``."""
    graphs = {n: mlp_graph(n) for n in settings.sizes}
    programs = renderers()
    if not programs:
        raise RuntimeError(render.NO_RENDERER_MESSAGE)
    default = render.graphviz_renderer()
    log(f"timing the graph layout (draw_graph + render_svg, max_nodes={MAX_NODES}) with "
        + " and ".join(f"{p.name} {p.version}" for p in programs) + " ...")
    layouts = time_layouts(graphs, settings.layout_rounds, programs)
    svgs = {t.nodes: t.svg for t in layouts if t.renderer == default}
    check_same_svg(graphs[min(graphs)], svgs[min(graphs)])

    log(f"timing {settings.python_steps} GraphStepper steps in Python per graph ...")
    steppers = {n: LaidOutStepper(graph.root, graph.parameters, svgs[n]) for n, graph in graphs.items()}
    python_steps = {}
    for n, stepper in steppers.items():
        python_steps[n] = time_python_steps(stepper, settings.python_steps)
        stepper.go_to(0)
        log(f"  {n:,} nodes: median {1000 * statistics.median(python_steps[n]):.2f} ms")

    browser = None
    if settings.browser:
        log(f"timing {settings.browser_steps} clicks on Step per graph in JupyterLab in Chromium ...")
        browser = time_browser_steps(steppers, svgs, settings.browser_steps,
                                     settings.browser_budget_s)
    else:
        log("IN-BROWSER STEP NOT MEASURED (its rows are left out): --no-browser")
    for stepper in steppers.values():
        stepper.close()
    return Results(settings, graphs, layouts, default, python_steps, browser)


def machine_info(results: Results) -> dict[str, str]:
    """The Graphviz programs and the browser, for the README's machine list."""
    programs = ", ".join(
        f"{p.name} {p.version} ({p.path})" for p in dict.fromkeys(t.renderer for t in results.layouts))
    info = {"Graphviz": f"{programs}; render_svg (so GraphStepper) uses "
                        f"{results.default_renderer.name if results.default_renderer else 'none'}"}
    if results.browser is not None:
        info["Browser"] = f"{results.browser.chromium}, JupyterLab {results.browser.jupyterlab}"
    else:
        info["Browser"] = "not used (the in-browser step was not measured)"
    return info


def readme_fields(results: Results) -> dict[str, str]:
    """The numbers the README's explanation of these rows is written with."""
    s = results.settings

    def sizes(values) -> str:
        values = [f"{v:,}" for v in values]
        return ", ".join(values[:-1]) + " and " + values[-1] if len(values) > 1 else values[0]


    programs = list(dict.fromkeys(t.renderer for t in results.layouts))
    return {
        "sizes": sizes(s.sizes),
        "shapes": "; ".join(f"{n:,} nodes: {g.shape}" for n, g in results.graphs.items()),
        "renderers": " and ".join(f"{p.name} {p.version}" for p in programs),
        "default_renderer": results.default_renderer.name if results.default_renderer else "none",
        "max_nodes": f"{MAX_NODES:,}",
        "layout_rounds": (f"{sizes([s.layout_rounds[n] for n in s.sizes])} rounds for "
                          f"{sizes(s.sizes)} nodes"),
        "python_steps": str(s.python_steps),
        "browser_steps": str(s.browser_steps),
        "budget": f"{s.browser_budget_s:g}",
        "warmup": f"{WARMUP_CLICKS} untimed one" + ("s" if WARMUP_CLICKS != 1 else ""),
        "min_clicks": str(MIN_CLICKS),
        "browser": (f"{results.browser.chromium}, headless, with JupyterLab "
                    f"{results.browser.jupyterlab}" if results.browser
                    else "Chromium (not run this time)"),
    }
