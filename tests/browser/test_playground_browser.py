"""`widgets.Playground` in a real JupyterLab, clicked as a teacher would.

One notebook holds one playground per test (cells below). The DOM contract
checked (see docs/playground.md): root ``.ad-playground``;
``button[data-action=play|step|reset|regenerate|add-layer|remove-layer|neurons-plus|load-config]``;
``select[data-role=dataset]`` and the other selects; ``[data-role=epoch]``
("epoch N"); ``[data-role=metrics]``; ``canvas[data-role=boundary|loss|gradflow]``;
``[data-role=network]`` (an SVG, one ``line`` per weight); ``[data-role=config]``;
``input[data-role=config-input]``; ``[data-role=error]``.

Screenshots land in test-output/browser/ (playground-*.png).
"""

from __future__ import annotations

import re

from .helpers import WidgetCells, WidgetNotebook, WidgetView, expect, screenshot, wait_until

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
    },
)
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
