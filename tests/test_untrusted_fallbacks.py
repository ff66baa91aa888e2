"""A notebook nobody has run yet still shows its graphs (issue 12: untrusted notebooks).

JupyterLab, GitHub and nbviewer refuse the saved SVG (and HTML scripts) of a
notebook that is not trusted, and a saved widget shows only its line of text.
They do show a PNG. So every drawing and every widget also carries a picture
that renders untrusted: a PNG (graphs, steppers, plots), or plain HTML (the
EngineReport's text and table).
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest

from autodiff import Tensor, Var
from autodiff_kit import lesson_notebooks
from widgets import GraphStepper, draw_graph
from widgets.stepper import with_box_texts, with_cell_colours

ROOT = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def png_of(bundle: dict) -> bytes:
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(PNG_SIGNATURE)
    return png


def lecture() -> Var:
    a, b = Var(2.0, label="a"), Var(-3.0, label="b")
    c = a * b
    c.label = "c"
    L = c + a
    L.label = "L"
    return L


def test_a_drawing_carries_svg_and_png():
    bundle = draw_graph(lecture())._repr_mimebundle_()
    assert bundle["image/svg+xml"].startswith("<svg")
    png_of(bundle)
    assert list(draw_graph(lecture())._repr_mimebundle_(include=["image/svg+xml"])) == ["image/svg+xml"]


def test_a_stepper_carries_a_png_of_its_last_step():
    stepper = GraphStepper(lecture())
    data, _ = stepper._repr_mimebundle_()
    assert {WIDGET_VIEW, "image/svg+xml", "image/png", "text/plain"} <= set(data)
    png_of(data)


def test_the_png_source_has_the_texts_of_the_last_step():
    stepper = GraphStepper(lecture())
    texts = stepper.view_state("backward", stepper.total_steps)["texts"]
    source = with_box_texts(stepper._drawing.source, texts)
    assert "not computed" not in source
    assert "{ a | data 2 | grad −2 }" in source and "{ b | data −3 | grad 2 }" in source
    untouched = with_box_texts(stepper._drawing.source, {})
    assert untouched == stepper._drawing.source


def test_a_record_special_character_in_a_text_is_escaped():
    source = '\tn0 [label="{ x | data 1 | grad: not computed yet }" shape=record]'
    assert with_box_texts(source, {"n0": ["data {1}", "grad |2|"]}) == (
        '\tn0 [label="{ x | data \\{1\\} | grad \\|2\\| }" shape=record]')


def test_a_tensor_stepper_png_has_every_cell_coloured_and_its_texts():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, label="x")
    stepper = GraphStepper((x * 2).sum())
    png_of(stepper._repr_mimebundle_()[0])
    state = stepper.view_state("backward", stepper.total_steps)
    fills = dict(enumerate(stepper._real_colours))
    fills.update(stepper._cell_fills(state))
    source = with_cell_colours(with_box_texts(stepper._drawing.source, state["texts"]), fills)
    assert not re.search(r'BGCOLOR="#0a[0-9a-f]{4}"', source)   # no placeholder left
    assert "not computed" not in source and "grad all 2" in source


# ----------------------------------------------------------------------
# The saved lessons
# ----------------------------------------------------------------------
LESSONS = list(lesson_notebooks(ROOT / "notebooks").values())


def outputs_without_an_untrusted_picture(notebook: Path) -> list[str]:
    """Each output that an untrusted notebook would show as bare text: where and what it has."""
    missing = []
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    for k, cell in enumerate(cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/svg+xml" in data and "image/png" not in data:
                missing.append(f"cell {k}: SVG without PNG")
            if WIDGET_VIEW in data and not {"image/png", "text/html"} & set(data):
                missing.append(f"cell {k}: a widget with only {sorted(set(data) - {WIDGET_VIEW})}")
    return missing


@pytest.mark.parametrize("notebook", LESSONS, ids=[p.name[:3].rstrip("_") for p in LESSONS])
def test_every_saved_drawing_and_widget_has_a_picture_an_untrusted_notebook_shows(notebook):
    assert outputs_without_an_untrusted_picture(notebook) == []


def test_a_graphs_png_is_a_palette_png_that_keeps_the_colours_the_dot_names():
    import io

    import graphviz
    from PIL import Image

    from widgets._live import PALETTE_SIZE
    from widgets.render import render_png

    source = ('digraph { a [shape=box style=filled fillcolor="#dbeafe" color="#1d4ed8"]; '
              'b [style=filled fillcolor="#fde68a"]; a -> b [color="#b91c1c"] }')
    image = Image.open(io.BytesIO(render_png(graphviz.Source(source))))
    assert image.mode == "P" and len(image.getcolors()) <= PALETTE_SIZE
    used = {colour for _, colour in image.convert("RGB").getcolors(PALETTE_SIZE)}
    assert {(0xdb, 0xea, 0xfe), (0xfd, 0xe6, 0x8a)} <= used   # the fills, exactly
