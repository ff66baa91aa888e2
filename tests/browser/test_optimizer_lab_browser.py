"""`widgets.OptimizerLab` in a real JupyterLab, clicked as a learner would.

The DOM contract checked (see docs/optimizer-lab.md): root ``.ad-optlab``;
``canvas[data-role="contour"]`` with ``data-plot-left/top/width/height``,
``data-window`` and ``data-points``; ``button[data-action=step|play|reset]``;
``select[data-role=surface]``; ``[data-role=steps]`` ("step N");
``[data-role=readout]`` with a row ``tr[data-optimizer=NAME]`` per optimizer
(``data-status``, ``data-points``) and cells ``td[data-field=loss|steps|lr|nearest|status]``.

Expected values are worked out here by hand, not read from the widget:
k steps give k + 1 points per optimizer (the start is the first), so five
optimizers draw 5·(k + 1) points.

Screenshots land in test-output/browser/optlab-*.png.
"""

from __future__ import annotations

import re

import pytest

from .helpers import WidgetCells, WidgetNotebook, WidgetView, expect, screenshot, wait_until

OPTIMIZERS = ("SGD", "Momentum", "Nesterov", "RMSprop", "Adam")

# The notebook: one lab per test (see conftest.py, `nb`), in a tab tall enough
# for a whole lab in a screenshot.
WIDGETS = WidgetCells(
    "optimizer_lab", ".ad-optlab", setup="from widgets.optimizer_lab import OptimizerLab",
    viewport={"width": 1400, "height": 1500}, cells={
        "step": 'lab_step = OptimizerLab("bowl")\nlab_step',
        "click": 'lab_click = OptimizerLab("rosenbrock")\nlab_click',
        "play": 'lab_play = OptimizerLab("himmelblau", steps_per_frame=4)\nlab_play',
        "diverge": 'lab_div = OptimizerLab("bowl", lr=0.15)\nlab_div',
        "looks": 'lab_looks = OptimizerLab("rosenbrock")\nlab_looks',
        "controls": 'lab_ctl = OptimizerLab("bowl")\nlab_ctl',
        "refuse": 'lab_refuse = OptimizerLab("bowl")\nlab_refuse',
    },
)


class Lab(WidgetView):
    """Locators inside one ``.ad-optlab``."""

    parts = {"canvas": 'canvas[data-role="contour"]', "steps": '[data-role="steps"]',
             "surface": 'select[data-role="surface"]', "readout": '[data-role="readout"]'}

    def row(self, name: str):
        return self.readout.locator(f'tr[data-optimizer="{name}"]')

    def cell(self, name: str, field: str):
        return self.row(name).locator(f'td[data-field="{field}"]')

    def pixels(self) -> str:
        """The canvas as a data: URL, to tell whether anything was drawn differently."""
        return self.canvas.evaluate("c => c.toDataURL()")

    def plot_box(self) -> dict:
        """The plotted area (CSS px from the canvas' corner, as drawn) and the surface window."""
        box = self.canvas.evaluate("""c => ({left: +c.dataset.plotLeft, top: +c.dataset.plotTop,
            width: +c.dataset.plotWidth, height: +c.dataset.plotHeight,
            window: c.dataset.window.split(',').map(Number),
            drawnWidth: c.width / window.devicePixelRatio, shownWidth: c.getBoundingClientRect().width})""")
        return box


def lab(nb: WidgetNotebook, key: str) -> Lab:
    return Lab(nb.view(key))


# ---------------------------------------------------------------------------


def test_step_clicks_grow_every_path(nb):
    s = lab(nb, "step")

    # the contract's controls, and one readout row per optimizer at step 0
    for action in ("step", "play", "reset"):
        expect(s.button(action)).to_have_count(1)
    expect(s.button("play")).to_have_text("▶ Play")
    expect(s.surface).to_have_value("bowl")
    expect(s.steps).to_have_text("step 0")
    expect(s.readout.locator("tr[data-optimizer]")).to_have_count(len(OPTIMIZERS))
    for name in OPTIMIZERS:
        expect(s.cell(name, "steps")).to_have_text("0")
        expect(s.row(name)).to_have_attribute("data-points", "1")
        expect(s.row(name)).to_have_attribute("data-status", "running")
    # bowl x²/2 + 10·y² at the start (−5, 2.5): 12.5 + 62.5 = 75
    expect(s.cell("SGD", "loss")).to_have_text("75")
    expect(s.canvas).to_have_attribute("data-points", str(len(OPTIMIZERS)))
    before = s.pixels()

    for _ in range(3):
        s.button("step").click()
    expect(s.steps).to_have_text("step 3")
    for name in OPTIMIZERS:
        expect(s.cell(name, "steps")).to_have_text("3")
        expect(s.row(name)).to_have_attribute("data-points", "4")
    expect(s.canvas).to_have_attribute("data-points", str(4 * len(OPTIMIZERS)))
    # SGD, lr 0.06, by hand: x ← 0.94·x, y ← (1 − 1.2)·y = −0.2·y; after 3 steps
    # x = −5·0.94³ = −4.15292, y = 2.5·(−0.2)³ = −0.02: loss = x²/2 + 10y² = 8.6234 + 0.004 = 8.627
    expect(s.cell("SGD", "loss")).to_have_text("8.627")
    assert s.pixels() != before, "three steps drew nothing new on the canvas"
    screenshot(nb.page, "optlab-bowl-after-3-steps", s.root)

    nb.kernel_says("print('kernel', lab_step.step_count, len(lab_step.trajectories['Adam']), "
                   "[round(v, 6) for v in lab_step.trajectories['SGD'][3]])",
                   "kernel 3 4 [-4.15292, -0.02]")

    s.button("reset").click()
    expect(s.steps).to_have_text("step 0")
    expect(s.canvas).to_have_attribute("data-points", str(len(OPTIMIZERS)))


def test_click_on_the_map_moves_the_start(nb):
    s = lab(nb, "click")
    s.button("step").click()
    expect(s.steps).to_have_text("step 1")
    box = s.plot_box()
    assert box["window"] == [-2, 2, -1, 3]
    scale = box["shownWidth"] / box["drawnWidth"]   # the canvas may be shown narrower than drawn

    # aim at the surface point (0.5, 2.0); a click lands on a whole pixel, about 0.007 away at most
    x0, x1, y0, y1 = box["window"]
    cx = box["left"] + (0.5 - x0) / (x1 - x0) * box["width"]
    cy = box["top"] + (y1 - 2.0) / (y1 - y0) * box["height"]
    before = s.pixels()
    s.canvas.click(position={"x": cx * scale, "y": cy * scale})
    # the race restarts from there: step 0, one point per optimizer
    expect(s.steps).to_have_text("step 0")
    expect(s.canvas).to_have_attribute("data-points", str(len(OPTIMIZERS)))
    assert s.pixels() != before
    screenshot(nb.page, "optlab-rosenbrock-start-clicked", s.root)

    out = nb.kernel_says("print('start', *lab_click.start, lab_click.step_count)", "start")
    x, y, steps = out.inner_text().split("start", 1)[1].split()
    x, y = float(x), float(y)
    assert abs(x - 0.5) < 0.02 and abs(y - 2.0) < 0.02, f"clicked (0.5, 2.0), the kernel's start is ({x}, {y})"
    assert steps == "0"
    # the readout's loss is Rosenbrock's at that start, (1 − x)² + 100·(y − x²)², to 4 digits
    loss = (1 - x) ** 2 + 100 * (y - x * x) ** 2     # about 306.5
    expect(s.cell("Adam", "loss")).to_have_text(f"{loss:.4g}")

    # a click outside the plotted area (on the axis labels) changes nothing
    s.canvas.click(position={"x": 5, "y": 5})
    nb.kernel_says("print('still', *lab_click.start)", f"still {x} {y}")

    # the surface menu: saddle, with its own window and start
    s.surface.select_option("saddle")
    expect(s.canvas).to_have_attribute("data-window", "-2,2,-1.5,1.5")
    nb.kernel_says("print('now', lab_click.surface, lab_click.start)", "now saddle [-1.8, 0.02]")


def test_play_streams_points_then_pause_stops(nb):
    s = lab(nb, "play")
    s.button("play").click()
    expect(s.button("play")).to_have_text("Pause", timeout=5_000)
    icon = s.button("play").locator("span.ad-icon-pause")       # two bars drawn in CSS, not U+23F8
    size = icon.evaluate("el => { const r = el.getBoundingClientRect(), cs = getComputedStyle(el); "
                         "return [r.width, r.height, parseFloat(cs.borderLeftWidth), parseFloat(cs.borderRightWidth)]; }")
    assert size[0] >= 6 and size[1] >= 6 and size[2] >= 2 and size[3] >= 2, size
    screenshot(nb.page, "optimizer-lab-pause-icon", s.button("play"))
    wait_until(lambda: int(s.steps.inner_text().split()[1]) >= 40, 20,
               "Play to pass step 40", page=nb.page)
    s.button("play").click()
    expect(s.button("play")).to_have_text("▶ Play", timeout=5_000)
    nb.page.wait_for_timeout(500)   # a frame in flight lands
    shown = int(s.steps.inner_text().split()[1])
    assert shown >= 40 and shown % 4 == 0, f"4 steps per frame, yet the view shows step {shown}"
    for name in OPTIMIZERS:
        expect(s.cell(name, "steps")).to_have_text(str(shown))
        expect(s.row(name)).to_have_attribute("data-points", str(shown + 1))
    screenshot(nb.page, "optlab-himmelblau-after-play", s.root)
    # the kernel stepped exactly as far as the view shows, and has stopped
    nb.kernel_says("import asyncio; await asyncio.sleep(0.3)\n"
                   "print('kernel', lab_play.step_count, lab_play.playing, len(lab_play.trajectories['SGD']))",
                   f"kernel {shown} False {shown + 1}")


def test_divergence_is_reported_in_words(nb):
    s = lab(nb, "diverge")
    nb.run_new_cell("lab_div.step(30);")
    # SGD at lr 0.15: y ← (1 − 0.15·20)·y = −2·y; 10·y² passes 1e10 when |y| > 31623,
    # 2.5·2^k > 31623 first at k = 14
    expect(s.row("SGD")).to_have_attribute("data-status", "diverged", timeout=10_000)
    expect(s.cell("SGD", "status")).to_contain_text("diverged at step 14: the loss became too large")
    expect(s.cell("SGD", "steps")).to_have_text("14")
    expect(s.row("Adam")).to_have_attribute("data-status", "running")
    expect(s.cell("Adam", "steps")).to_have_text("30")
    text = s.root.inner_text()
    assert not re.search(r"\bnan\b|\binf", text, re.IGNORECASE), f"nan/inf shown:\n{text}"
    screenshot(nb.page, "optlab-bowl-divergence", s.root)


def test_sliders_and_the_schedule_menu_reach_the_kernel(nb):
    s = lab(nb, "controls")
    s.button("step").click()
    expect(s.steps).to_have_text("step 1")
    slider = lambda role: s.root.locator(f'input[type="range"][data-role="{role}"]')  # noqa: E731
    slider("lr").fill("-2")             # the lr slider is log10(lr): 10^−2
    expect(s.cell("SGD", "lr")).to_have_text("0.01")
    expect(s.steps).to_have_text("step 0")                    # a new setting restarts the race
    slider("momentum").fill("0.5")
    slider("beta2").fill("2")           # −log10(1 − β₂) = 2: β₂ = 0.99
    slider("start-x").fill("1")
    s.root.locator('select[data-role="schedule"]').select_option("cosine")
    nb.kernel_says("print('ctl', lab_ctl.lr, lab_ctl.momentum, lab_ctl.beta2, lab_ctl.start, lab_ctl.schedule)",
                   "ctl 0.01 0.5 0.99 [1.0, 2.5] cosine")
    # and the optimizers really got them
    nb.kernel_says("o = lab_ctl.optimizer('Momentum').param_groups[0]; a = lab_ctl.optimizer('Adam').param_groups[0]\n"
                   "print('groups', o['lr'], o['momentum'], a['betas'])",
                   "groups 0.01 0.5 (0.9, 0.99)")


@pytest.mark.parametrize("surface, steps", [("rosenbrock", 400), ("himmelblau", 150), ("wells", 150),
                                            ("saddle", 60), ("bowl", 40)])
def test_each_surface_draws_its_race(nb, surface, steps):
    """Every surface, stepped from Python: the view follows, and a screenshot to look at."""
    s = lab(nb, "looks")
    nb.run_new_cell(f"lab_looks.set(surface={surface!r}); lab_looks.step({steps});")
    expect(s.surface).to_have_value(surface, timeout=10_000)
    expect(s.steps).to_have_text(f"step {steps}")
    counts = nb.run_new_cell("print('points', *(len(p) for p in lab_looks.trajectories.values()))")
    expect(counts).to_contain_text("points")
    expected = [int(n) for n in counts.inner_text().split("points", 1)[1].split()]
    assert len(expected) == len(OPTIMIZERS)
    for name, n in zip(OPTIMIZERS, expected):
        expect(s.row(name)).to_have_attribute("data-points", str(n))
    assert "nan" not in s.readout.inner_text().lower()
    screenshot(nb.page, f"optlab-{surface}", s.root)


def test_a_refused_value_from_the_browser_is_explained_in_the_widget(nb):
    """Issue 12: lab.set_state({'surface': 'nope'}) (what a front end can send) is rolled back, and said."""
    s = lab(nb, "refuse")
    error = s.root.locator('[data-role="error"]')
    s.button("step").click()
    expect(s.steps).to_have_text("step 1")
    nb.kernel_says("lab_refuse.set_state({'surface': 'nope'}); print('kernel', lab_refuse.surface, "
                   "lab_refuse.step(1))", "kernel bowl 1")
    expect(error).to_be_visible()
    expect(error).to_contain_text("OptimizerLab: unknown surface 'nope'; choose one of bowl, rosenbrock")
    expect(s.surface).to_have_value("bowl")
    expect(s.steps).to_have_text("step 2")
    screenshot(nb.page, "optlab-refused-from-the-browser", s.root)
    s.button("step").click()                       # still working; the Step message clears the line
    expect(s.steps).to_have_text("step 3")
    expect(error).to_be_hidden()
