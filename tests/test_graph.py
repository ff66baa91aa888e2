"""draw_graph and the renderer: SVG ids and classes, one edge per operand use,
grads before and after backward, colours, options, the size limit, and
rendering with system dot, with graphviz-pure only, and with neither.
"""

import base64
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import pytest
from graphviz.backend import dot_command

from autodiff import Var
from autodiff.trace import format_number, trace
from widgets import draw_graph, graphviz_renderer, render_svg
from widgets import render as render_module
from widgets.graph import COLUMN_PT, KIND_COLOURS, NOT_COMPUTED, OP_COLOUR, svg_width

SVG = "{http://www.w3.org/2000/svg}"
SHAPES = (f"{SVG}polygon", f"{SVG}ellipse", f"{SVG}path")
HAS_SYSTEM_DOT = shutil.which("dot") is not None
posix_only = pytest.mark.skipif(os.name != "posix", reason="uses a /bin/sh script as a stand-in dot")


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def groups(svg: str) -> dict[str, ET.Element]:
    """Every node and edge group of the SVG, by id."""
    root = ET.fromstring(svg)
    return {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("class") != "graph"}


def classes(group: ET.Element) -> set[str]:
    return set(group.get("class").split())


def texts(svg: str) -> list[str]:
    return [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]


def fill(group: ET.Element) -> str:
    """The fill colour of a node's outline shape."""
    return next(e for e in group if e.tag in SHAPES).get("fill")


def operand_edges(svg: str) -> list[str]:
    """Titles ("n0->n2_op") of the operand -> op arrows."""
    return [g.find(f"{SVG}title").text for g in groups(svg).values()
            if "ad-edge" in classes(g) and "ad-edge-out" not in classes(g)]


def example():
    """c = tanh((a*b)*a + w): leaves a, b, a parameter w, a reused operand."""
    a, b, w = Var(2.0, label="a"), Var(-3.0, label="b"), Var(0.5, label="w")
    c = ((a * b) * a + w).tanh()
    c.label = "c"
    return a, b, w, c


@pytest.fixture
def no_system_dot(monkeypatch, tmp_path):
    """PATH holds no dot: only graphviz-pure (found next to this Python) is left."""
    monkeypatch.setenv("PATH", str(tmp_path))
    assert shutil.which("dot") is None


@pytest.fixture
def no_renderer(monkeypatch):
    """Nothing named dot or graphviz-pure can be found anywhere."""
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)


# ---------------------------------------------------------------------------
# Ids and classes
# ---------------------------------------------------------------------------

def test_ids_are_the_trace_ids():
    a, b, w, c = example()
    t = trace(c, parameters=[w])
    found = groups(render_svg(draw_graph(c, parameters=[w])))
    ops = [n for n in t.nodes if n.op]
    expected = ({f"ad-{n.id}" for n in t.nodes}
                | {f"ad-{n.id}-op" for n in ops} | {f"ad-{n.id}-out" for n in ops}
                | {f"ad-e{k}" for k in range(len(t.edges))})
    assert set(found) == expected
    for k, edge in enumerate(t.edges):  # ad-e{k} is trace.edges[k]
        assert found[f"ad-e{k}"].find(f"{SVG}title").text == f"{edge.source}->{edge.target}_op"
    for n in ops:
        assert found[f"ad-{n.id}-out"].find(f"{SVG}title").text == f"{n.id}_op->{n.id}"


def test_svg_is_identical_across_renders_and_rebuilt_graphs():
    *_, c = example()
    first = render_svg(draw_graph(c))
    assert render_svg(draw_graph(c)) == first
    *_, c2 = example()  # new Vars, same computation
    assert render_svg(draw_graph(c2)) == first
    assert "ad-n0" in first and "&#45;" not in first


def test_every_node_has_kind_classes():
    a, b, w, c = example()
    t = trace(c, parameters=[w])
    found = groups(render_svg(draw_graph(c, parameters=[w])))
    for n in t.nodes:
        assert {"ad-node", f"ad-kind-{n.kind}"} <= classes(found[f"ad-{n.id}"])
        assert "ad-opnode" not in classes(found[f"ad-{n.id}"])
        if n.op:
            assert {"ad-node", "ad-kind-op", "ad-opnode"} <= classes(found[f"ad-{n.id}-op"])
    kinds = {n.kind for n in t.nodes}
    assert kinds == {"leaf", "parameter", "op", "output"}


# ---------------------------------------------------------------------------
# One edge per operand use
# ---------------------------------------------------------------------------

def test_a_plus_a_draws_two_edges():
    a = Var(3.0, label="a")
    svg = render_svg(draw_graph(a + a))
    assert operand_edges(svg) == ["n0->n1_op", "n0->n1_op"]
    assert svg.count('class="edge ') == 3  # two uses of a, and the op's result


def test_reused_operand_draws_one_edge_per_use():
    a, b = Var(2.0, label="a"), Var(-3.0, label="b")
    svg = render_svg(draw_graph((a * b) * a))
    assert sorted(operand_edges(svg)) == ["n0->n2_op", "n0->n3_op", "n1->n2_op", "n2->n3_op"]
    assert svg.count('class="edge ') == 6


# ---------------------------------------------------------------------------
# Fields: grads before and after backward, show=, labels
# ---------------------------------------------------------------------------

def test_grad_reads_not_computed_before_backward_and_numbers_after():
    a, b, w, c = example()
    before = texts(render_svg(draw_graph(c)))
    assert before.count(NOT_COMPUTED) == len(trace(c).nodes) == 7  # one per value
    assert not any(t.startswith("grad ") for t in before)
    c.backward()
    after = texts(render_svg(draw_graph(c)))
    assert NOT_COMPUTED not in after
    for v in (a, b, w, c):
        assert f"grad {format_number(v.grad)}" in after
    assert "grad 1" in after  # the seed
    assert f"data {format_number(c.data)}" in after


def test_show_selects_fields():
    *_, c = example()
    only_data = texts(render_svg(draw_graph(c, show=("data",))))
    assert all(t.startswith("data ") for t in only_data if t not in {"*", "+", "tanh"})
    assert "a" not in only_data
    assert texts(render_svg(draw_graph(c, show="grad"))).count(NOT_COMPUTED) == 7
    # the order of `show` does not matter: fields are always label, data, grad
    assert draw_graph(c, show=("grad", "label")).source == draw_graph(c, show=("label", "grad")).source


@pytest.mark.parametrize("show", [("label", "value"), (), "weights", ("Data",)])
def test_show_is_validated(show):
    *_, c = example()
    with pytest.raises(ValueError, match=r"show must name one or more of \('label', 'data', 'grad'\)"):
        draw_graph(c, show=show)


def test_record_characters_in_labels_are_shown_literally():
    x = Var(1.0, label='x|{y}<z> "q" \\n')
    svg = render_svg(draw_graph(x * 2.0))
    assert 'x|{y}<z> "q" \\n' in texts(svg)


def test_unlabelled_nodes_are_named_like_the_trace():
    a = Var(1.0)
    y = a.exp() * 2.0
    assert [t for t in texts(render_svg(draw_graph(y, show="label")))
            if t not in {"exp", "*"}] == [n.name for n in trace(y).nodes]


def test_a_graph_whose_backward_would_fail_can_still_be_drawn():
    y = Var(0.0, label="x").sqrt()  # d/dx sqrt(x) is infinite at 0
    with pytest.raises(ZeroDivisionError):
        trace(y)
    assert "sqrt" in texts(render_svg(draw_graph(y)))


def test_an_existing_trace_gives_the_names_and_kinds():
    a, b, w, c = example()
    c.label = ""
    t = trace(c, parameters=[b], output_name="loss")
    svg = render_svg(draw_graph(c, trace=t))
    assert "loss" in texts(svg)
    assert "ad-kind-parameter" in groups(svg)["ad-n1"].get("class")
    with pytest.raises(ValueError, match="not a trace of this root"):
        draw_graph(c, trace=trace(a * b))


def test_bad_arguments():
    with pytest.raises(TypeError, match="expected a Var"):
        draw_graph(3.0)
    with pytest.raises(ValueError, match="max_nodes"):
        draw_graph(Var(1.0), max_nodes=0)


# ---------------------------------------------------------------------------
# Colours and layout direction
# ---------------------------------------------------------------------------

def test_each_kind_has_its_own_colour():
    a, b, w, c = example()
    t = trace(c, parameters=[w])
    found = groups(render_svg(draw_graph(c, parameters=[w])))
    by_kind = {n.kind: fill(found[f"ad-{n.id}"]) for n in t.nodes}
    assert by_kind == KIND_COLOURS
    op_fills = {fill(g) for g in found.values() if "ad-opnode" in classes(g)}
    assert op_fills == {OP_COLOUR}
    assert len(set(by_kind.values()) | op_fills) == 5


def test_parameters_are_coloured_as_parameters():
    a, b, w, c = example()
    plain = groups(render_svg(draw_graph(c)))
    as_param = groups(render_svg(draw_graph(c, parameters=[w])))
    w_id = next(f"ad-{n.id}" for n in trace(c).nodes if n.name == "w")
    assert fill(plain[w_id]) == KIND_COLOURS["leaf"]
    assert fill(as_param[w_id]) == KIND_COLOURS["parameter"]


def svg_size(svg: str) -> tuple[float, float]:
    root = ET.fromstring(svg)
    return float(root.get("width")[:-2]), float(root.get("height")[:-2])


def test_rankdir_lays_out_left_to_right_or_top_to_bottom():
    x = Var(1.0, label="x")
    y = x.tanh().exp().sin()
    width, height = svg_size(render_svg(draw_graph(y)))
    assert width > 3 * height
    width, height = svg_size(render_svg(draw_graph(y, rankdir="TB")))
    assert height > 3 * width


@pytest.mark.parametrize("rankdir", ["RL", "lr", "", None, "AUTO"])
def test_rankdir_is_validated(rankdir):
    with pytest.raises(ValueError, match=r"rankdir must be one of \('LR', 'TB', 'auto'\), got"):
        draw_graph(Var(1.0), rankdir=rankdir)


def chain(n: int) -> Var:
    """x, then n ops in a row (×1.5 and +1 in turn): n ranks wide left to right."""
    y = Var(0.5, label="x")
    for i in range(n):
        y = y * 1.5 if i % 2 == 0 else y + 1.0
    return y


def test_svg_width_reads_graphvizs_width_in_points():
    assert svg_width('<svg width="1232pt" height="80pt" viewBox="0 0 1232 80">') == 1232.0
    assert svg_width(render_svg(draw_graph(chain(3)))) == svg_size(render_svg(draw_graph(chain(3))))[0]
    with pytest.raises(ValueError, match="svg_width: no width in points"):
        svg_width('<svg width="100%">')


def test_auto_rankdir_turns_a_graph_too_wide_for_the_column_top_to_bottom():
    y = chain(12)
    across = svg_width(render_svg(draw_graph(y)))
    down = svg_width(render_svg(draw_graph(y, rankdir="TB")))
    assert across > COLUMN_PT and down < across
    auto = draw_graph(y, rankdir="auto")
    assert auto.graph_attr["rankdir"] == "TB"
    assert render_svg(auto) == render_svg(draw_graph(y, rankdir="TB"))


def test_auto_rankdir_keeps_a_graph_that_fits_left_to_right():
    a, b = Var(2.0, label="a"), Var(-3.0, label="b")
    y = a * b   # one op: about 570 pt
    assert svg_width(render_svg(draw_graph(y))) <= COLUMN_PT
    auto = draw_graph(y, rankdir="auto")
    assert auto.graph_attr["rankdir"] == "LR"
    assert render_svg(auto) == render_svg(draw_graph(y))


def test_auto_rankdir_keeps_left_to_right_when_top_to_bottom_is_no_narrower():
    # 16 inputs summed pairwise: 4 ranks of ops, too wide for the column either way, wider top to bottom
    level = [Var(float(i), label=f"x{i}") for i in range(16)]
    while len(level) > 1:
        level = [level[i] + level[i + 1] for i in range(0, len(level), 2)]
    total = level[0]
    across = svg_width(render_svg(draw_graph(total)))
    assert COLUMN_PT < across < svg_width(render_svg(draw_graph(total, rankdir="TB")))
    assert draw_graph(total, rankdir="auto").graph_attr["rankdir"] == "LR"


def test_a_stepper_can_lay_its_graph_out_automatically():
    from autodiff import Tensor
    from widgets.stepper import GraphStepper

    assert svg_width(GraphStepper(chain(12), rankdir="auto").svg) == svg_width(
        GraphStepper(chain(12), rankdir="TB").svg)
    # a Tensor graph: the heatmap cells are keyed once, whichever layout is kept
    x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    y = x
    for _ in range(8):
        y = (y * 1.5).tanh()
    auto, down = GraphStepper(y.sum(), rankdir="auto"), GraphStepper(y.sum(), rankdir="TB")
    assert auto.svg == down.svg


# ---------------------------------------------------------------------------
# The size limit
# ---------------------------------------------------------------------------

def test_a_huge_graph_gives_a_quick_small_summary_and_a_warning():
    x = Var(1.0, label="x")
    for _ in range(100_000):
        x = -x
    start = time.perf_counter()
    with pytest.warns(UserWarning, match=r"graph has 100,001 nodes, more than max_nodes=2000") as caught:
        dot = draw_graph(x)
    assert time.perf_counter() - start < 1.0
    assert "neg ×100,000" in str(caught[0].message)
    svg = render_svg(dot)
    assert len(svg) < 5000
    assert list(groups(svg)) == ["ad-summary"]
    assert "graph has 100,001 nodes" in " ".join(texts(svg))


def test_max_nodes_is_the_largest_graph_drawn_in_full(recwarn):
    x = Var(1.0)
    y = x.exp().exp()  # 3 nodes
    assert "ad-n2" in groups(render_svg(draw_graph(y, max_nodes=3)))
    assert not recwarn.list
    with pytest.warns(UserWarning, match="graph has 3 nodes"):
        assert "ad-n2" not in groups(render_svg(draw_graph(y, max_nodes=2)))


# ---------------------------------------------------------------------------
# Renderers
# ---------------------------------------------------------------------------

@pytest.mark.skipif(not HAS_SYSTEM_DOT, reason="no system Graphviz dot on this machine")
def test_system_dot_is_used_when_on_path():
    renderer = graphviz_renderer()
    assert renderer.name == "system dot"
    assert renderer.path == shutil.which("dot")
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", renderer.version)
    *_, c = example()
    assert "ad-n0" in groups(render_svg(draw_graph(c)))


@posix_only
def test_dot_on_path_is_preferred_to_graphviz_pure(monkeypatch, tmp_path):
    """Any `dot` on PATH counts as system dot (here a stand-in that runs graphviz-pure)."""
    pure = render_module._find_graphviz_pure()
    fake = tmp_path / "dot"
    fake.write_text(f'#!/bin/sh\nexec "{pure}" "$@"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    renderer = graphviz_renderer()
    assert (renderer.name, renderer.path) == ("system dot", str(fake))
    assert "ad-n0" in groups(render_svg(draw_graph(Var(1.0) * 2.0)))


def test_graphviz_pure_is_used_without_system_dot(no_system_dot):
    renderer = graphviz_renderer()
    assert renderer.name == "graphviz-pure"
    assert Path(renderer.path).parent == Path(sys.executable).parent
    assert re.fullmatch(r"\d+\.\d+\.\d+", renderer.version)
    *_, c = example()
    svg = render_svg(draw_graph(c))
    assert svg.startswith("<svg") and "ad-n6" in groups(svg)


def test_jupyter_display_uses_the_chosen_renderer(no_system_dot):
    *_, c = example()
    dot = draw_graph(c)
    bundle = dot._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml", "image/png"]   # the PNG for an untrusted notebook
    assert bundle["image/svg+xml"] == render_svg(dot)
    png = dot._repr_mimebundle_(include=["image/png"])["image/png"]
    assert base64.b64decode(png).startswith(b"\x89PNG")
    assert dot_command.DOT_BINARY == Path("dot")  # the graphviz package is left as it was


def test_plain_graphviz_graphs_render_too(no_system_dot):
    svg = render_svg(graphviz.Digraph(body=["a -> b"]))
    assert [g.find(f"{SVG}title").text for g in groups(svg).values()] == ["a", "b", "a->b"]


def test_no_renderer_gives_a_plain_runtime_error(no_renderer):
    *_, c = example()
    dot = draw_graph(c)  # building the graph needs no renderer
    for attempt in (lambda: render_svg(dot), dot._repr_mimebundle_, graphviz_renderer,
                    lambda: dot.pipe(format="svg")):
        with pytest.raises(RuntimeError) as caught:
            attempt()
        assert not isinstance(caught.value, graphviz.ExecutableNotFound)
        message = str(caught.value)
        for fix in ("pip install graphviz-pure", "apt-get install graphviz", "conda install graphviz"):
            assert fix in message
    assert dot_command.DOT_BINARY == Path("dot")


def test_a_renderer_that_vanished_gives_the_same_error(monkeypatch, tmp_path):
    gone = render_module.Renderer("system dot", str(tmp_path / "dot"), "2.43.0")
    monkeypatch.setattr(render_module, "graphviz_renderer", lambda: gone)
    with pytest.raises(RuntimeError, match="pip install graphviz-pure") as caught:
        render_svg(draw_graph(Var(1.0)))
    assert not isinstance(caught.value, graphviz.ExecutableNotFound)
    assert dot_command.DOT_BINARY == Path("dot")


@pytest.mark.skipif(not HAS_SYSTEM_DOT, reason="needs system dot to compare with")
def test_both_renderers_differ_only_in_numbers(monkeypatch, tmp_path):
    """After normalize_svg, system dot and graphviz-pure write the same SVG up to coordinates."""
    a, b, w, c = example()
    c.backward()
    with_system = render_svg(draw_graph(c, parameters=[w]))
    monkeypatch.setenv("PATH", str(tmp_path))
    with_pure = render_svg(draw_graph(c, parameters=[w]))
    assert with_system != with_pure  # the layouts differ...

    def shape(svg):
        return re.sub(r"-?\d+(\.\d+)?", "N", svg)

    assert shape(with_system) == shape(with_pure)  # ...and nothing else does


def test_normalize_svg_removes_renderer_specifics():
    raw = (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"\n "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
        "<!-- Generated by graphviz version 2.43.0 (0)\n -->\n"
        '<svg width="8pt" height="8pt">\n'
        "<!-- n0 -->\n"
        '<g id="ad&#45;n0" class="node ad&#45;node">\n'
        '<polygon fill="white" stroke="transparent" points="0,0 1,1 "/>\n'
        '<text xml:space="preserve" x="1">data &#45;6 &amp; &lt;x&gt;</text>\n'
        "</g>\n</svg>\n\n"
    )
    assert render_module.normalize_svg(raw) == (
        '<svg width="8pt" height="8pt">\n'
        '<g id="ad-n0" class="node ad-node">\n'
        '<polygon fill="white" stroke="none" points="0,0 1,1"/>\n'
        '<text x="1">data -6 &amp; &lt;x&gt;</text>\n'
        "</g>\n</svg>\n"
    )


def test_the_graphviz_pure_lookup_finds_the_program_next_to_python(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    found = render_module._find_graphviz_pure()
    assert found is not None and Path(found).parent == Path(sys.executable).parent
    assert os.access(found, os.X_OK)


def test_autodiff_never_imports_widgets():
    code = ("import sys, autodiff, autodiff.trace, autodiff.check, autodiff.demo; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'widgets'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout
    assert out.strip() == "[]"
