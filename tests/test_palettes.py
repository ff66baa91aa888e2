"""The widgets' colours (issue 12): colour-blind-safe palettes, and no meaning carried by colour alone.

The palettes are the ones their docstrings and comments promise: Okabe-Ito
(Okabe & Ito, "Color Universal Design", 2008), whose eight colours stay
distinguishable with every common colour blindness. Beside the colours, each
state or series also differs in something else (a shape, a dash, a weight),
checked here in the code that draws it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from widgets.graph import KIND_COLOURS
from widgets.optimizer_race import OPTIMIZERS
from widgets.playground_messages import CLASS_COLORS, CLASS_MARKERS

WIDGETS = Path(__file__).resolve().parents[1] / "widgets"

# The Okabe-Ito palette, by the names its authors give (black left out).
OKABE_ITO = {"orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermilion": "#D55E00", "reddish purple": "#CC79A7"}


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def lightening(base: str, light: str) -> float:
    """How far ``light`` is from ``base`` towards white (0: base, 1: white); fails if it is not such a mix."""
    b, c = rgb(base), rgb(light)
    # the least-squares t of c = b + t·(255 − b), then every channel within 5 of that mix
    t = sum((ci - bi) * (255 - bi) for bi, ci in zip(b, c)) / sum((255 - bi) ** 2 for bi in b)
    mix = [bi + t * (255 - bi) for bi in b]
    assert max(abs(m - ci) for m, ci in zip(mix, c)) <= 5, f"{light} is not {base} mixed with white"
    return t


def css(name: str) -> str:
    return (WIDGETS / name).read_text(encoding="utf-8")


# ------------------------------------------------------------- the palettes

def test_graph_fills_are_okabe_ito_lightened_as_documented():
    # widgets/graph.py's table: leaf sky blue, parameter orange, output green, op white
    for kind, base in (("leaf", "sky blue"), ("parameter", "orange"), ("output", "bluish green")):
        t = lightening(OKABE_ITO[base], KIND_COLOURS[kind])
        assert 0.6 <= t <= 0.8, f"{kind}: lightened by {t:.2f}, black text needs about 0.7"
    assert KIND_COLOURS["op"] == "#ffffff"


def test_optimizer_paths_are_okabe_ito_each_with_its_own_marker():
    colours = [spec.colour.upper() for spec in OPTIMIZERS.values()]
    assert colours == [OKABE_ITO[n] for n in ("blue", "orange", "bluish green", "reddish purple", "vermilion")]
    markers = [spec.marker for spec in OPTIMIZERS.values()]
    assert len(set(markers)) == len(markers), "two optimizers share a marker: only colour tells them apart"


def test_playground_classes_are_okabe_ito_each_with_its_own_marker():
    assert [c.upper() for c in CLASS_COLORS] == [OKABE_ITO[n] for n in
                                                ("orange", "blue", "bluish green", "reddish purple", "vermilion")]
    assert len(set(CLASS_MARKERS)) == len(CLASS_MARKERS) == len(CLASS_COLORS)


def test_stepper_states_are_blue_orange_and_green_as_documented():
    sheet = css("stepper.css")
    colour = dict(re.findall(r"--ad-(current|target|done):\s*(#[0-9a-fA-F]{6})", sheet))
    assert colour == {"current": "#1f5fd6", "target": "#e07b00", "done": "#5a9f55"}
    # current and target, the two shown at once, differ in lightness too (not only in hue)
    luminance = {k: sum(w * c for w, c in zip((0.2126, 0.7152, 0.0722), rgb(v))) for k, v in colour.items()}
    assert luminance["target"] - luminance["current"] > 40


# ------------------------------------------------------- not colour alone

def rule(sheet: str, selector: str) -> str:
    match = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", sheet)
    assert match, f"no rule for {selector}"
    return match.group(1)


def test_the_stepper_marks_its_states_by_more_than_colour():
    sheet = css("stepper.css")
    assert "font-weight: bold" in rule(sheet, ".ad-graph g.ad-current > text")
    assert "stroke-width" in rule(sheet, ".ad-graph g.ad-current > polygon:first-of-type")
    target = rule(sheet, ".ad-graph g.ad-target > polygon:first-of-type")
    assert "stroke-dasharray" in target and "stroke-width" in target
    # and in words, for who does not see the drawing: the node table's state column
    js = css("stepper.js")
    for words in ('"current step"', '"receives a gradient now"', '"done"', '"computed"'):
        assert words in js


def test_the_playground_dashes_negative_weights_and_the_test_loss():
    js = css("playground_draw.js")
    assert re.search(r'if \(w < 0\) line\.setAttribute\("stroke-dasharray"', js)
    assert re.search(r"y: c\.test_loss, color: TEST_COLOR, dash: true", css("playground.js"))


@pytest.mark.parametrize("name", ["stepper.css", "optimizer_lab.css", "playground.css"])
def test_every_widget_shows_its_keyboard_focus(name):
    assert re.search(r":focus-visible\s*\{[^}]*outline: [23]px solid", css(name)), f"{name}: no visible focus"
