"""`widgets.Playground` in a real JupyterLab, clicked as a teacher would.

One notebook holds one playground per test (cells below). The DOM contract
checked (see the docstring of widgets/playground.py): root ``.ad-playground``;
``button[data-action=play|step|reset|regenerate|add-layer|remove-layer|neurons-plus|load-config]``;
``select[data-role=dataset]`` and the other selects; ``[data-role=epoch]``
("epoch N"); ``[data-role=metrics]``; ``canvas[data-role=boundary|loss|gradflow]``;
``[data-role=network]`` (an SVG, one ``line`` per weight); ``[data-role=config]``;
``input[data-role=config-input]``; ``[data-role=error]``.

Screenshots land in test-output/browser/ (playground-*.png).
"""

from __future__ import annotations

import re

import pytest

from .helpers import REPO, Notebook, screenshot, wait_until

SETUP = "from widgets.playground import Playground"
# cell key -> source; each shows one playground
CELLS = {
    "play": "pg_play = Playground(dataset='moons', noise=0.1, hidden=[8, 8], lr=0.03)\npg_play",
    "data": "pg_data = Playground(dataset='moons')\npg_data",
    "trained": ("pg_show = Playground(dataset='circles', noise=0.05, hidden=[8, 8], activation='tanh', lr=0.03)\n"
                "pg_show.step(40)\npg_show"),
    "deep": ("pg_deep = Playground(dataset='xor', hidden=[8, 8, 8, 8, 8], activation='sigmoid', optimizer='sgd', lr=0.3)\n"
             "pg_deep.step(15)\npg_deep"),
}
CELL_INDEX = {key: i + 1 for i, key in enumerate(CELLS)}
METRICS = re.compile(r"loss: train (?P<train>[0-9.]+) · test (?P<test>[0-9.]+)")


def _expect():
    from playwright.sync_api import expect
    return expect


class View:
    """Locators inside one ``.ad-playground``."""

    def __init__(self, root):
        self.root = root
        self.epoch = root.locator('[data-role="epoch"]')
        self.metrics = root.locator('[data-role="metrics"]')
        self.boundary = root.locator('canvas[data-role="boundary"]')
        self.loss = root.locator('canvas[data-role="loss"]')
        self.gradflow = root.locator('[data-role="gradflow"]')
        self.network = root.locator('[data-role="network"]')
        self.config = root.locator('[data-role="config"]')
        self.error = root.locator('[data-role="error"]')

    def button(self, action: str, layer: int | None = None):
        extra = "" if layer is None else f'[data-layer="{layer}"]'
        return self.root.locator(f'button[data-action="{action}"]{extra}')

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


@pytest.fixture(scope="module")
def playground_notebook(browser_context, lab_server):
    """The notebook of playgrounds, opened and run once for this module."""
    if not (REPO / "widgets" / "playground.py").is_file():
        pytest.fail("widgets/playground.py does not exist", pytrace=False)
    tab = browser_context.new_page()
    tab.set_viewport_size({"width": 1400, "height": 1400})  # the whole widget fits, for the screenshots
    tab.js_errors = []
    tab.on("pageerror", lambda exc: tab.js_errors.append(str(exc)))
    nb = Notebook(tab, lab_server, lab_server.write_notebook("playground.ipynb", [SETUP, *CELLS.values()]))
    try:
        nb.open()
        nb.run_all()
        for index in CELL_INDEX.values():
            nb.wait_widget_view(index, ".ad-playground")
    except BaseException:
        screenshot(tab, "playground-notebook-FAILED")
        raise
    yield nb
    tab.close()
    lab_server.shutdown_sessions()


@pytest.fixture
def nb(playground_notebook, request):
    """The module's notebook; a screenshot when the test fails, and no JS errors allowed."""
    yield playground_notebook
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        print(f"\nscreenshot of the failure: {screenshot(playground_notebook.page, f'{request.node.name}-FAILED')}")
    errors = playground_notebook.page.js_errors
    assert not errors, f"errors in the page: {errors}"


def view(nb: Notebook, key: str) -> View:
    v = View(nb.wait_widget_view(CELL_INDEX[key], ".ad-playground"))
    v.root.scroll_into_view_if_needed()
    return v


# ---------------------------------------------------------------------------


def test_play_trains_until_pause(nb):
    expect = _expect()
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
    out = nb.run_new_cell("print('kernel answers; playing =', pg_play.playing)")
    expect(out).to_contain_text("kernel answers; playing = True", timeout=10_000)
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
    out = nb.run_new_cell("h = pg_play.history\n"
                          "print('kernel epoch', pg_play.epoch, 'fell', h['train_loss'][-1] < 0.6 * h['train_loss'][0])")
    expect(out).to_contain_text(f"kernel epoch {stopped_at} fell True", timeout=10_000)
    screenshot(nb.page, "playground-paused", v.root)


def test_dataset_select_redraws_the_boundary(nb):
    expect = _expect()
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
    out = nb.run_new_cell("print('kernel', pg_data.current.dataset, pg_data.current.hidden)")
    expect(out).to_contain_text("kernel circles (9, 8)", timeout=10_000)


def test_trained_views_for_the_projector(nb):
    """Screenshots to look at: a trained tanh net on circles, and a deep sigmoid net's gradient flow."""
    expect = _expect()
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
