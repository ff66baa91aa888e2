"""`widgets.Playground` in a real JupyterLab, clicked as a teacher would.

One notebook holds one playground per test (cells below). The DOM contract
checked (see docs/playground.md): root ``.ad-playground``;
``button[data-action=play|step|reset|regenerate|add-layer|remove-layer|neurons-plus|load-config|explain]``;
``select[data-role=dataset|classes]`` and the other selects; ``[data-role=epoch]``
("epoch N"); ``[data-role=metrics]``; ``canvas[data-role=boundary|loss|confusion|gradflow]``;
``[data-role=class-legend]`` (one ``[data-class]`` key per class); ``[data-role=class-accuracy]``;
``[data-role=note]`` (a panel's note); ``[data-role=network]`` (an SVG, one ``line`` per weight);
``[data-role=config]``; ``input[data-role=config-input]``; ``[data-role=error]``.

Screenshots land in test-output/browser/ (playground-*.png), and the timings
of the Pause test in test-output/browser/playground-timing.json.
"""

from __future__ import annotations

import json
import re

from widgets.playground_messages import CLASS_COLORS

from .helpers import SCREENSHOT_DIR, WidgetCells, WidgetNotebook, WidgetView, expect, screenshot, wait_until

# The notebook: one playground per test (see conftest.py, `nb`), in a tab tall
# enough for a whole widget in a screenshot.
WIDGETS = WidgetCells(
    "playground", ".ad-playground", setup="from widgets.playground import Playground",
    viewport={"width": 1400, "height": 1400}, cells={
        "play": "pg_play = Playground(dataset='moons', noise=0.1, hidden=[8, 8], lr=0.03)\npg_play",
        "data": "pg_data = Playground(dataset='moons')\npg_data",
        "trained": ("pg_show = Playground(dataset='circles', noise=0.05, hidden=[8, 8], activation='tanh', lr=0.03)\n"
                    "pg_show.step(40)\npg_show"),
        "deep": ("pg_deep = Playground(dataset='xor', hidden=[8, 8, 8, 8, 8], activation='sigmoid', optimizer='sgd', lr=0.3)\n"
                 "pg_deep.step(15)\npg_deep"),
        "dead": ("import numpy as np\npg_dead = Playground(activation='relu', hidden=[4, 3], points=60)\n"
                 "pg_dead.linear_layers[0].bias.data = np.full(4, -100.0)   # every ReLU of layer 1 dead\n"
                 "pg_dead.step(2)\npg_dead"),
        "fast": "pg_fast = Playground(points=1000, hidden=[16, 16])\npg_fast",
        "classes": ("pg_classes = Playground(dataset='moons', points=300, noise=0.05, hidden=[32, 32], "
                    "activation='relu', lr=0.01)\npg_classes"),
    },
)
PAUSE_WITHIN_MS = 100
# Counts the frames drawn: each draw writes the epoch counter (a childList mutation, even for the same
# text), and records when Play/Pause was clicked: the click event, on which the button sends its
# request (as every button, it acts when the mouse button is released).
WATCH_FRAMES = """root => {
  const log = { frames: [], seqs: [], clicks: [], wallClicks: [] };
  window.__pgLog = log;
  new MutationObserver(() => { log.frames.push(performance.now()); log.seqs.push(root.dataset.frame); })
    .observe(root.querySelector('[data-role="epoch"]'), { childList: true, characterData: true, subtree: true });
  root.querySelector('button[data-action="play"]')
    .addEventListener("click", () => { log.clicks.push(performance.now()); log.wallClicks.push(Date.now()); });
}"""
# The map's pixels by class: a pixel is white blended towards one class's colour (255 − pixel is a
# multiple of 255 − colour); pixels between two classes, on a line or a point are counted as neither.
COUNT_CLASS_PIXELS = """(canvas, colors) => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const bases = colors.map((h) => [1, 3, 5].map((i) => 255 - parseInt(h.slice(i, i + 2), 16)));
  const counts = colors.map(() => 0);
  for (let i = 0; i < data.length; i += 4) {
    const d = [255 - data[i], 255 - data[i + 1], 255 - data[i + 2]], n = Math.hypot(...d);
    if (n < 40) continue;                       // (nearly) white: a boundary, no class to tell
    let best = -1, bestCos = 0.995;
    bases.forEach((b, k) => {
      const cos = (d[0] * b[0] + d[1] * b[1] + d[2] * b[2]) / (n * Math.hypot(...b));
      if (cos > bestCos) { bestCos = cos; best = k; }
    });
    if (best >= 0) counts[best] += 1;
  }
  return { counts, pixels: canvas.width * canvas.height };
}"""
METRICS = re.compile(r"loss: train (?P<train>[0-9.]+) · test (?P<test>[0-9.]+)")


class View(WidgetView):
    """Locators inside one ``.ad-playground``."""

    parts = {"epoch": '[data-role="epoch"]', "metrics": '[data-role="metrics"]',
             "boundary": 'canvas[data-role="boundary"]', "loss": 'canvas[data-role="loss"]',
             "gradflow": '[data-role="gradflow"]', "network": '[data-role="network"]',
             "config": '[data-role="config"]', "error": '[data-role="error"]'}

    def select(self, role: str):
        return self.root.locator(f'select[data-role="{role}"]')

    def epoch_number(self) -> int:
        return int(self.epoch.inner_text().split()[-1])

    def train_loss(self) -> float:
        match = METRICS.search(self.metrics.inner_text())
        assert match, f"no losses in the metrics text {self.metrics.inner_text()!r}"
        return float(match["train"])

    def image(self, canvas=None) -> str:
        return (canvas or self.boundary).evaluate("c => c.toDataURL('image/png')")


def view(nb: WidgetNotebook, key: str) -> View:
    return View(nb.view(key))


# ---------------------------------------------------------------------------


def test_play_trains_until_pause(nb):
    v = view(nb, "play")
    for action in ("play", "step", "reset", "regenerate", "add-layer", "remove-layer"):
        expect(v.button(action)).to_have_count(1)
    expect(v.epoch).to_have_text("epoch 0")
    expect(v.config).to_have_text(re.compile(r"^data=moons;.*net=2-8-8-1;.*lr=0\.03;"))
    expect(v.network.locator("svg line")).to_have_count(2 * 8 + 8 * 8 + 8)
    wait_until(lambda: METRICS.search(v.metrics.inner_text()), 10, "the epoch-0 losses", page=nb.page)
    start_loss = v.train_loss()

    v.button("play").click()
    expect(v.button("play")).to_have_text("❚❚ Pause", timeout=5_000)
    wait_until(lambda: v.epoch_number() >= 3, 20, "the epoch counter to move while playing", page=nb.page)
    # The kernel answers while it trains: a cell runs in between frames.
    nb.kernel_says("print('kernel answers; playing =', pg_play.playing)", "kernel answers; playing = True")
    wait_until(lambda: v.epoch_number() >= 25, 40, "25 epochs of Play", page=nb.page)
    screenshot(nb.page, "playground-playing", v.root)

    v.button("play").click()
    expect(v.button("play")).to_have_text("▶ Play", timeout=5_000)
    nb.page.wait_for_timeout(500)           # a frame already under way may still land
    stopped_at = v.epoch_number()
    nb.page.wait_for_timeout(1_000)
    assert v.epoch_number() == stopped_at, "the epoch counter moved after Pause"
    assert v.train_loss() < 0.6 * start_loss, (start_loss, v.metrics.inner_text())

    # The kernel agrees with the page, and its loss fell too.
    nb.kernel_says("h = pg_play.history\n"
                   "print('kernel epoch', pg_play.epoch, 'fell', h['train_loss'][-1] < 0.6 * h['train_loss'][0])",
                   f"kernel epoch {stopped_at} fell True")
    screenshot(nb.page, "playground-paused", v.root)


def test_dataset_select_redraws_the_boundary(nb):
    v = view(nb, "data")
    wait_until(lambda: METRICS.search(v.metrics.inner_text()), 10, "the first frame", page=nb.page)
    before = v.image()
    assert before.startswith("data:image/png;base64,") and len(before) > 1000

    v.select("dataset").select_option("circles")
    expect(v.config).to_contain_text("data=circles", timeout=10_000)
    wait_until(lambda: v.image() != before, 10, "the boundary canvas to change", page=nb.page)
    expect(v.select("dataset")).to_have_value("circles")
    expect(v.epoch).to_have_text("epoch 0")
    screenshot(nb.page, "playground-circles", v.root)

    # Step trains one epoch; + neuron grows layer 1 and the diagram with it.
    v.button("step").click()
    expect(v.epoch).to_have_text("epoch 1", timeout=10_000)
    v.button("neurons-plus", layer=0).click()
    expect(v.root.locator('[data-role="neurons"][data-layer="0"]')).to_have_text("9", timeout=10_000)
    expect(v.network.locator("svg line")).to_have_count(2 * 9 + 9 * 8 + 8)
    expect(v.epoch).to_have_text("epoch 0")                 # a change resets
    expect(v.config).to_contain_text("net=2-9-8-1")

    # A bad config string is refused, with the reason shown, and nothing changes.
    v.root.locator('input[data-role="config-input"]').fill("data=moons;lr=-1")
    v.button("load-config").click()
    expect(v.error).to_contain_text("lr=-1", timeout=10_000)
    expect(v.config).to_contain_text("data=circles")
    nb.kernel_says("print('kernel', pg_data.current.dataset, pg_data.current.hidden)", "kernel circles (9, 8)")


def test_trained_views_for_the_projector(nb):
    """Screenshots to look at: a trained tanh net on circles, and a deep sigmoid net's gradient flow."""
    v = view(nb, "trained")
    expect(v.epoch).to_have_text("epoch 40")
    wait_until(lambda: METRICS.search(v.metrics.inner_text()), 10, "the losses", page=nb.page)
    assert v.train_loss() < 0.5
    blank = nb.page.evaluate("() => { const c = document.createElement('canvas'); c.width = 330; c.height = 170;"
                             " return c.toDataURL('image/png'); }")
    assert v.image(v.loss) != blank and v.image(v.gradflow.first) != blank
    screenshot(nb.page, "playground-circles-trained", v.root)

    d = view(nb, "deep")
    expect(d.epoch).to_have_text("epoch 15")
    expect(d.root.locator(".ad-pg-legend .ad-pg-key", has_text="layer 6 (8→1)")).to_have_count(1)
    screenshot(nb.page, "playground-deep-sigmoid", d.root)

    # No gradient at all: the panel says so in words, instead of going blank.
    z = view(nb, "dead")
    expect(z.epoch).to_have_text("epoch 2")
    note = z.root.locator('[data-role="gradflow-note"]')
    expect(note).to_be_visible()
    expect(note).to_contain_text("No gradient reached layers 1–3 in epoch 2")
    expect(note).to_contain_text("all 4 ReLUs of hidden layer 1 output 0 for every training point")
    screenshot(nb.page, "playground-dead-relus", z.root)


def test_pause_stops_play_within_100_ms_at_1000_points(nb):
    """Play at 1,000 points (2-16-16-1, the tensor engine), then Pause, three times.

    What is timed is the widget's part: from the click (the browser's clock)
    to the moment the kernel has stopped Play (an observer of ``playing``, on
    the kernel's clock: the same machine, so the same wall clock). Play works
    in slices of about 12 ms, so a Pause waits at most one slice plus the
    trip through JupyterLab's websocket; the median of the three must be
    within 100 ms. Frames already on their way when Pause lands are still
    drawn; how late, and the rate the page drew at, go to
    test-output/browser/playground-timing.json, as information.
    """
    v = view(nb, "fast")
    wait_until(lambda: METRICS.search(v.metrics.inner_text()), 10, "the first frame", page=nb.page)
    v.root.evaluate(WATCH_FRAMES)
    nb.kernel_says("import time\n"
                   "pause_times = []\n"
                   "pg_fast.observe(lambda change: pause_times.append(time.time()) if not change['new'] else None,\n"
                   "                names='playing')\n"
                   "print('watching Pause')", "watching Pause")
    latencies, rates, late_frames = [], [], []
    for cycle in range(3):
        v.button("play").click()
        expect(v.button("play")).to_have_text("❚❚ Pause", timeout=5_000)
        start_epoch = v.epoch_number()
        wait_until(lambda: v.epoch_number() >= start_epoch + 3, 20, "3 epochs of Play", page=nb.page)
        nb.page.wait_for_timeout(1_500)                      # frames drawn for a while: the rate

        v.button("play").click()                             # Pause
        expect(v.button("play")).to_have_text("▶ Play", timeout=5_000)
        nb.page.wait_for_timeout(500)
        stopped_at = v.epoch_number()
        nb.page.wait_for_timeout(1_000)
        assert v.epoch_number() == stopped_at, "the epoch counter moved after Pause"
        out = nb.kernel_says(f"print('pauses', len(pause_times), repr(pause_times[-1]), pg_fast.playing)",
                             f"pauses {cycle + 1} ")
        handled = float(out.inner_text().split()[2])
        assert out.inner_text().split()[3] == "False"

        log = nb.page.evaluate("window.__pgLog")
        click, click_wall = log["clicks"][-1], log["wallClicks"][-1] / 1000
        latencies.append(round((handled - click_wall) * 1000, 1))
        playing = [t for t in log["frames"] if log["clicks"][-2] + 500 <= t <= click]
        rates.append(round((len(playing) - 1) / ((playing[-1] - playing[0]) / 1000), 1) if len(playing) > 1 else 0.0)
        late_frames.append([round(t - click, 1) for t in log["frames"] if t > click])
    timing = {"pause_ms_click_to_kernel": latencies, "frames_per_second_drawn": rates,
              "frames_drawn_after_pause_ms": late_frames}
    (SCREENSHOT_DIR / "playground-timing.json").write_text(json.dumps(timing, indent=1), encoding="utf-8")
    assert min(rates) >= 3, timing      # Play really played (benchmarks/playground.py measures the kernel's rate)
    assert all(latency > 0 for latency in latencies), timing   # the clocks agree: the click came first
    assert sorted(latencies)[1] <= PAUSE_WITHIN_MS, f"Pause took effect {sorted(latencies)[1]} ms after the click (median): {timing}"
    screenshot(nb.page, "playground-paused-1000-points", v.root)


def test_three_classes_get_three_colours(nb):
    """Spirals with three arms: the map is painted in three class colours, with a 3×3 confusion matrix."""
    v = view(nb, "classes")
    wait_until(lambda: METRICS.search(v.metrics.inner_text()), 10, "the first frame", page=nb.page)
    expect(v.select("classes")).to_be_disabled()         # moons have two classes
    v.select("dataset").select_option("spirals")
    expect(v.config).to_contain_text("data=spirals", timeout=10_000)
    expect(v.select("classes")).to_be_enabled()
    v.select("classes").select_option("3")
    expect(v.config).to_contain_text("classes=3", timeout=10_000)
    expect(v.config).to_contain_text("net=2-32-32-3;act=relu;loss=ce")
    expect(v.root.locator('[data-role="class-legend"] [data-class]')).to_have_count(3)
    v.button("play").click()
    wait_until(lambda: v.epoch_number() >= 60, 60, "60 epochs of Play", page=nb.page)
    v.button("play").click()
    expect(v.button("play")).to_have_text("▶ Play", timeout=5_000)
    nb.page.wait_for_timeout(300)

    found = v.boundary.evaluate(COUNT_CLASS_PIXELS, list(CLASS_COLORS))
    shares = [count / found["pixels"] for count in found["counts"]]
    assert all(share >= 0.05 for share in shares[:3]), shares    # three classes, each with its own colour
    assert all(share < 0.005 for share in shares[3:]), shares    # and no fourth or fifth
    accuracy = v.root.locator('[data-role="class-accuracy"]')
    expect(accuracy).to_contain_text(re.compile(r"0: [0-9.]+% · . 1: [0-9.]+% · . 2: [0-9.]+%"))
    assert v.root.locator('canvas[data-role="confusion"]').evaluate("c => c.height") > 0

    # The notes: hidden, then shown by "? What am I looking at"
    notes = v.root.locator('[data-role="note"]')
    expect(notes.first).to_be_hidden()
    v.button("explain").click()
    expect(notes.filter(has_text="predicted class (columns)")).to_be_visible()
    assert notes.count() >= 7
    screenshot(nb.page, "playground-three-spirals", v.root)
    v.button("explain").click()
    expect(notes.first).to_be_hidden()
    screenshot(nb.page, "playground-multiclass", v.root)
    nb.kernel_says("print('kernel', pg_classes.current.classes, pg_classes.history['test_acc'][-1] > 0.8)",
                   "kernel 3 True")
