"""draw_graph and GraphStepper on Tensor graphs (the kernel side), and stepper.js's tensor helpers under node.

Most tests use a small tensor MLP, with data x (1×3) and parameters W (3×2), b (2):

    n2 = x @ W;  h = n2 + b;  a = tanh(h);  sq = a ⊙ a;  L = Σ sq

Its nodes, in topological order: n0=x, n1=W, n2, n3=b, n4=h, n5=a, n6=sq,
n7=L. By hand: x @ W = [1·0.1 + 2·0.3 + 3·0.5, 1·0.2 − 2·0.4 + 3·0.6] =
[2.2, 1.2], h = [2.3, 1.0]. The backward phase has a step per op node that
passes a gradient on, after the seed: 1 + 5 = 6 steps; the forward phase has
5. Expected gradients come from PyTorch (float64), expected colours from the
Okabe-Ito rule written out again here; nothing is read back from the widget
to be compared with itself.

The JS tests run stepper.js (``GraphStepper._esm``) under node with the
``run_js`` fixture of tests/conftest.py (the harness tests/test_stepper.py
uses), and check that parseShape, shapeVerdict, valuesVerdict and viewState
give exactly what Python gives on a Tensor graph.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from comm_messages import send_state
from tensor_cases import MLP_B, MLP_W, MLP_X, small_mlp

from autodiff import Var
from autodiff.tensor import Tensor
from autodiff.trace import format_number

from widgets.graph import draw_graph
from widgets.render import render_svg
from widgets.stepper import QUIZ_NUMBERS, GraphStepper, parse_shape

NOT_YET = "grad: not computed yet"
NOT_NEEDED = "grad: not needed (a constant)"
X, W0, B0 = MLP_X, MLP_W, MLP_B
mlp = small_mlp


def torch_mlp(x=X, W=W0, b=B0):
    """The same in torch float64: every node's value and gradient, by name."""
    x = torch.tensor(x, dtype=torch.float64)
    W = torch.tensor(W, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    n2 = x @ W
    h = n2 + b
    a = torch.tanh(h)
    sq = a * a
    L = sq.sum()
    named = {"W": W, "b": b, "n2": n2, "h": h, "a": a, "sq": sq, "L": L}
    for t in named.values():
        t.retain_grad()
    L.backward()
    return ({k: t.detach().numpy() for k, t in named.items()},
            {k: t.grad.numpy() for k, t in named.items()})


def okabe_ito(values, scale=None):
    """The heatmap colours as tensor_boxes documents them, written out again: white to blue / vermillion."""
    values = np.asarray(values, dtype=float).reshape(1, -1) if np.ndim(values) < 2 else np.asarray(values)
    scale = np.abs(values).max() if scale is None else scale
    out = []
    for v in values.ravel():
        t = min(1.0, abs(v) / scale) if scale else 0.0
        target = (0xD5, 0x5E, 0x00) if v > 0 else (0x00, 0x72, 0xB2)
        out.append("#" + "".join(f"{round(255 - (255 - c) * t):02x}" for c in target))
    return out


def texts_of(svg):
    return [re.sub(r"&#160;", " ", t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


# ---------------------------------------------------------------------------
# draw_graph on Tensors
# ---------------------------------------------------------------------------

def test_draw_graph_shows_names_shapes_values_and_heatmaps():
    W = Tensor([[1.0, -1.0, 0.5], [0.0, 2.0, -2.0]], label="W")
    x = Tensor([1.0, 2.0, 3.0], label="x", requires_grad=False)
    y = W @ x
    y.label = "y"
    L = y.sum()
    L.label = "L"
    svg = render_svg(draw_graph(L, parameters=[W]))
    texts = texts_of(svg)
    # names with shapes; small tensors written out, big ones as a range; constants need no grad
    assert texts.index("W  2×3") < texts.index("data in [−2, 2]") < texts.index(NOT_YET)
    assert "x  3" in texts and "data [1, 2, 3]" in texts and NOT_NEEDED in texts
    assert "y  2" in texts and "data [0.5, −2]" in texts        # W @ x by hand: [1 − 2 + 1.5, 0 + 4 − 6]
    assert "L  scalar" in texts and "data −1.5" in texts
    # W has 6 > 4 numbers: a heatmap of its values (scale 2), and a grey one for its grad to come
    fills = re.findall(r'fill="(#[0-9a-f]{6})"', svg)
    data_colours = okabe_ito([[1.0, -1.0, 0.5], [0.0, 2.0, -2.0]])
    assert data_colours[:3] == ["#eaae80", "#80b8d8", "#f4d7bf"]   # 0.5, −0.5, 0.25 of the way
    assert fills[fills.index(data_colours[0]):][:6] == data_colours
    # ids: a box per node, an ellipse per op, an arrow per use
    for node_id in ("n0", "n1", "n2", "n3"):        # n0=W, n1=x, n2=y, n3=L
        assert svg.count(f'id="ad-{node_id}"') == 1
    assert 'id="ad-n0" class="node ad-node ad-kind-parameter"' in svg
    assert 'id="ad-n1" class="node ad-node ad-kind-leaf"' in svg
    assert svg.count("ad-opnode") == 2 and svg.count('id="ad-e') == 3

    L.backward()                                                 # grads now shown, W's as a heatmap
    svg = render_svg(draw_graph(L, parameters=[W]))
    texts = texts_of(svg)
    assert "grad in [1, 3]" in texts and "grad [1, 1]" in texts and "grad 1" in texts
    grad_colours = okabe_ito([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])  # ∂L/∂W = outer([1, 1], x)
    fills = re.findall(r'fill="(#[0-9a-f]{6})"', svg)
    assert grad_colours[2] == "#d55e00"
    assert any(fills[i:i + 6] == grad_colours for i in range(len(fills)))


def test_big_tensors_are_cut_with_an_ellipsis():
    big = Tensor(np.arange(300.0).reshape(20, 15) / 100, label="big")
    L = (big * big).sum()
    svg = render_svg(draw_graph(L))
    texts = texts_of(svg)
    assert "big  20×15" in texts and "data in [0, 2.99]" in texts
    assert "…" in texts and "⋮" in texts                       # 8 rows × 12 columns shown, then cut


# ---------------------------------------------------------------------------
# GraphStepper on a tensor MLP
# ---------------------------------------------------------------------------

def test_steps_and_nodes():
    L, t = mlp()
    s = GraphStepper(L, parameters=[t["W"], t["b"]])
    assert s.total_steps == 6 and repr(s) == "GraphStepper(8 nodes, phase='backward', step 0/6)"
    assert [n.name for n in s.trace.nodes] == ["x", "W", "n2", "b", "h", "a", "sq", "L"]
    kinds = [n["kind"] for n in s.data["nodes"]]
    assert kinds == ["leaf", "parameter", "op", "parameter", "op", "op", "op", "output"]
    assert s.data["engine"] == "tensor"
    s.set_phase("forward")
    assert s.total_steps == 5


def test_explanations_have_shapes_and_the_grads_are_torchs():
    L, t = mlp()
    s = GraphStepper(L, parameters=[t["W"], t["b"]])
    values, grads = torch_mlp()
    assert "grad(operand) always has the operand's shape" in s.explanation
    s.go_to(1)
    assert s.explanation == "Start at the output: L changes one-for-one with itself.\ngrad(L) = 1 (the seed)"
    s.go_to(2)
    assert s.explanation.startswith("L passes grad(L) (scalar) = 1 back to sq:\ngrad(sq) (1×2) += grad(L) (scalar)")
    s.go_to(5)   # h = n2 + b passes on: b was broadcast over the rows
    ex = s.explanation
    assert ex.startswith("h passes grad(h) (1×2) = [[") and "back to n2 and b:" in ex
    assert "grad(b) (2) += grad(h) (1×2)" in ex and "summed over axis 0" in ex
    s.go_to(6)
    ex = s.explanation
    assert "grad(W) (3×2) += xᵀ (3×1) · grad(n2) (1×2)" in ex
    assert ex.endswith("Backward pass complete: every node's grad now holds ∂L/∂node.")
    ids = {n.name: n.id for n in s.trace.nodes}
    for name in ("W", "b", "h", "a", "sq", "n2"):
        assert np.allclose(s.grads[ids[name]], grads[name], rtol=1e-12, atol=1e-15), name
    # what the boxes say: a small gradient written out, W's as a range, with a heatmap
    texts = s.view_state()["texts"]
    assert texts[ids["W"]][1] == (f"grad in [{format_number(grads['W'].min())}, "
                                  f"{format_number(grads['W'].max())}]")
    assert texts[ids["b"]][1] == f"grad [{format_number(grads['b'][0])}, {format_number(grads['b'][1])}]"
    assert texts[ids["x"]][1] == NOT_NEEDED
    assert texts[ids["W"]][0] == "data in [−0.4, 0.6]"
    colours = s.view_state()["colours"][ids["W"]]
    assert colours[0] == okabe_ito(W0) and colours[1] == okabe_ito(grads["W"])


def test_grads_appear_step_by_step_and_cells_start_grey():
    L, t = mlp()
    s = GraphStepper(L)
    ids = {n.name: n.id for n in s.trace.nodes}
    v = s.view_state()
    assert v["texts"][ids["W"]][1] == NOT_YET and v["colours"][ids["W"]][1] == ["#eeeeee"] * 6
    # the cells are in the SVG with their ids, data cells in colour, grad cells grey
    data_cells, grad_cells = s.data["nodes"][1]["cells"]
    assert len(data_cells) == len(grad_cells) == 6
    for k, colour in zip(data_cells, okabe_ito(W0)):
        assert f'id="ad-c{k}" class="ad-cell" fill="{colour}"' in s.svg
    for k in grad_cells:
        assert f'id="ad-c{k}" class="ad-cell" fill="#eeeeee"' in s.svg
    assert len(re.findall(r'id="ad-c\d+"', s.svg)) == 12
    for k in range(1, 6):
        s.go_to(k)
        assert s.view_state()["texts"][ids["W"]][1] == NOT_YET
    s.go_to(6)
    assert s.view_state()["texts"][ids["W"]][1].startswith("grad in [")
    # the static picture (GitHub, nbviewer) shows the final colours in those cells
    static = s.static_svg()
    _, grads = torch_mlp()
    for k, colour in zip(grad_cells, okabe_ito(grads["W"])):
        assert f'id="ad-c{k}" class="ad-cell" fill="{colour}"' in static


def test_forward_phase_shapes_and_unknowns():
    L, _ = mlp()
    s = GraphStepper(L, phase="forward")
    s.go_to(1)
    assert s.explanation == "n2 = x @ W\n    x (1×3), W (3×2) → n2 (1×2)\n    = [[2.2, 1.2]]"
    v = s.view_state()
    assert v["texts"]["n4"][0] == "data ?" and v["texts"]["n2"][0] == "data [[2.2, 1.2]]"
    s.go_to(5)
    assert s.explanation.endswith("Forward pass complete: L = "
                                  f"{format_number(float(np.sum(np.tanh([2.3, 1.0]) ** 2)))}. "
                                  "Switch to the backward phase for the gradients.")


# ---------------------------------------------------------------------------
# The two-stage quiz
# ---------------------------------------------------------------------------

def to_w_step(s):
    """Go to the step where n2 = x @ W passes ∂L/∂n2 back to W (the last one)."""
    s.go_to(s.total_steps - 1)
    assert s.data["backward"][s.step]["node"] == "n2"


def test_quiz_shape_wrong_is_refused_then_right_then_values():
    L, _ = mlp()
    s = GraphStepper(L, quiz=True)
    _, grads = torch_mlp()
    to_w_step(s)
    quiz = s.pending_quiz
    assert quiz["stage"] == "shape" and quiz["questions"] == ["What shape is grad(W)?"]
    assert "First, its shape." in quiz["prompt"]

    verdict = s.answer(["2×3"])                  # the transpose: a classic slip
    assert verdict == "Not quite: you said 2×3, but grad(W) always has the shape of W itself: 3×2."
    assert s.step == 5 and s.feedback == verdict
    assert s.pending_quiz["stage"] == "shape"    # refused: the shape is asked again

    verdict = s.answer(["(3, 2)"])
    assert verdict == "Right: grad(W) has the shape of W, 3×2."
    assert s.step == 5 and s.pending_quiz["stage"] == "values"
    assert s.pending_quiz["questions"] == ["grad(W) gets what from this step? 6 numbers, row by row"]

    wrong = grads["W"] * 2
    verdict = s.answer([wrong])                   # a wrong answer: a hint and one more try
    assert verdict.startswith("Not yet: you said [[") and "Hint: grad(W) (3×2) += " in verdict
    assert s.step == 5 and s.pending_quiz["stage"] == "values"
    verdict = s.answer([wrong])
    assert verdict.startswith("Not quite: you said [[")
    assert s.step == 6                            # then revealed, as the scalar quiz does


def test_quiz_values_right_with_rounded_text():
    L, _ = mlp()
    s = GraphStepper(L, quiz=True)
    _, grads = torch_mlp()
    to_w_step(s)
    s.answer(["3x2"])
    typed = "[" + ", ".join("[" + ", ".join(f"{v:.4f}" for v in row) + "]" for row in grads["W"]) + "]"
    verdict = s.answer([typed.replace("-", "−")])
    assert verdict.startswith("Right: grad(W) (3×2) += xᵀ (3×1) · grad(n2) (1×2) = [[")
    assert s.step == 6 and s.pending_quiz is None


def test_quiz_every_step_right_reaches_torchs_grads():
    L, _ = mlp()
    s = GraphStepper(L, quiz=True)
    values, grads = torch_mlp()
    s.next()                                           # the seed
    names = {n.id: n.name for n in s.trace.nodes}
    while s.step < s.total_steps:
        items = s.data["backward"][s.step]["quiz"]
        shapes = [grads[names[q["parent"]]].shape for q in items]
        assert "Right" in s.answer([" × ".join(map(str, sh)) if sh else "scalar" for sh in shapes])
        if s.pending_quiz is not None and s.pending_quiz["stage"] == "values":
            # what each operand receives from this step, by hand from torch's numbers
            node = names[s.data["backward"][s.step]["node"]]
            answers = []
            for q in items:
                parent = names[q["parent"]]
                if node == "sq":                        # sq = a ⊙ a: each use gives g ⊙ a
                    answers.append(grads["sq"] * values["a"])
                elif node == "h" and parent == "b":
                    answers.append(grads["h"].sum(axis=0))
                else:                                   # the whole gradient of the parent
                    answers.append(grads[parent])
            verdict = s.answer(answers)
            assert "Not quite" not in verdict, verdict
    ids = {n.name: n.id for n in s.trace.nodes}
    assert np.allclose(s.grads[ids["W"]], grads["W"], rtol=1e-12)


def test_quiz_bad_answers():
    L, _ = mlp()
    s = GraphStepper(L, quiz=True)
    to_w_step(s)
    with pytest.raises(ValueError, match=r"'three by two' is not a shape; write one like \(3, 2\)"):
        s.answer(["three by two"])
    with pytest.raises(ValueError, match="expected 1 answer"):
        s.answer(["3×2", "3×2"])
    s.answer(["3×2"])
    with pytest.raises(ValueError, match=r"expected 6 finite number\(s\) for grad\(W\)"):
        s.answer([[1.0, 2.0]])
    with pytest.raises(ValueError, match="expected 6 finite"):
        s.answer(["1 2 3 4 5 nan"])
    assert s.step == 5 and s.pending_quiz["stage"] == "values"
    s.go_to(0)
    with pytest.raises(RuntimeError, match="no quiz is pending"):
        s.answer(["scalar"])


def test_one_notation_in_every_tensor_text_and_quiz():
    """Issue 14 for Tensors: grad(W) (3×2) += xᵀ (3×1) · grad(n2) (1×2), and every quiz asks about grad(·)."""
    from test_stepper import assert_one_notation
    L, _ = mlp()
    s = GraphStepper(L, quiz=True)
    assert_one_notation(s)
    for step in s.trace.backward[1:]:
        for c in step.contributions:
            assert c.text.startswith(f"grad({s.trace.node(c.parent).name}) ("), c.text


def test_a_big_gradient_is_asked_its_shape_only():
    W = Tensor(np.linspace(-1, 1, 12).reshape(3, 4), label="W")
    L = (W * W).sum()
    L.label = "L"
    s = GraphStepper(L, quiz=True)
    assert 12 > QUIZ_NUMBERS
    s.next()   # the seed; next, L passes on to the node of W ⊙ W
    quiz = s.pending_quiz
    assert quiz["stage"] == "shape"
    assert s.answer(["3×4"]).startswith("Right")
    assert s.pending_quiz["stage"] == "shape"  # the next step's quiz: W ⊙ W
    assert s.answer(["3×4", "3 4"]) == ("Right: grad(W) has the shape of W, 3×4.\n"
                                        "Right: grad(W) has the shape of W, 3×4.")
    assert s.step == s.total_steps             # no numbers asked: the step is revealed


@pytest.mark.parametrize("text,shape", [
    ("3×2", (3, 2)), ("3x2", (3, 2)), ("3 X 2", (3, 2)), ("(3, 2)", (3, 2)), ("[3,2]", (3, 2)), ("3*2", (3, 2)),
    ("3", (3,)), ("(3,)", (3,)), ("scalar", ()), (" Scalar ", ()), ("()", ()), ("1×2×3", (1, 2, 3)),
    ("", None), ("abc", None), ("3.0", None), ("-3", None), ("3×", (3,)), ("×", None), ("²", None),
    ("٣", None), ("3×²", None), ((3, 2), (3, 2)), ([3, True], None), (None, None)])
def test_parse_shape(text, shape):
    assert parse_shape(text) == shape


# ---------------------------------------------------------------------------
# Inputs: arrays from Python; the browser cannot edit a tensor leaf
# ---------------------------------------------------------------------------

def test_set_input_with_an_array_recomputes_without_relayout():
    L, t = mlp()
    s = GraphStepper(L)
    svg = s.svg
    s.go_to(6)
    W1 = [[1.0, 0.0], [0.0, -1.0], [0.5, 0.5]]
    s.set_input("W", np.array(W1))
    assert s.svg == svg and s.step == 6 and s.error == ""
    assert np.array_equal(t["W"].data, W1)
    values, grads = torch_mlp(W=W1)
    assert np.allclose(t["h"].data, values["h"]) and np.allclose(L.data, values["L"])
    ids = {n.name: n.id for n in s.trace.nodes}
    assert np.allclose(s.grads[ids["W"]], grads["W"], rtol=1e-12)
    assert s.data["nodes"][1]["data_text"] == "data in [−1, 1]"
    s.set_input("x", [[0.0, 0.0, 1.0]])          # data can be changed too, and lists are arrays
    assert np.allclose(L.data, torch_mlp(x=[[0.0, 0.0, 1.0]], W=W1)[0]["L"])
    assert s.leaf_values == {}                   # no number boxes for a Tensor graph


def test_set_input_wrong_shape_or_values_change_nothing():
    L, t = mlp()
    s = GraphStepper(L)
    data, before = s.data, t["W"].data.copy()
    for name, value, error, match in [
        ("W", np.ones((2, 3)), ValueError, r"the value of W must have shape \(3, 2\), got \(2, 3\)"),
        ("W", 1.0, ValueError, r"must have shape \(3, 2\), got \(\)"),
        ("b", [1.0, np.nan], ValueError, "b"),
        ("W", "ones", TypeError, "expected numbers"),
        ("h", np.ones((1, 2)), ValueError, "'h' is not an input"),
    ]:
        with pytest.raises(error, match=match):
            s.set_input(name, value)
    assert np.array_equal(t["W"].data, before) and s.data == data


def test_a_browser_edit_of_a_tensor_leaf_is_refused():
    L, t = mlp()
    s = GraphStepper(L)
    data, before = s.data, t["W"].data.copy()
    send_state(s, leaf_values={"n1": 5.0})             # what a number box would send
    assert "the inputs of a Tensor graph are arrays" in s.error and "set_input" in s.error
    assert s.leaf_values == {}
    assert np.array_equal(t["W"].data, before) and s.data == data


def test_bad_constructor_arguments():
    L, t = mlp()
    with pytest.raises(TypeError, match="parameters must be Tensors, like the root, got Var"):
        GraphStepper(L, parameters=[Var(1.0)])
    with pytest.raises(TypeError, match="root must be a Var or a Tensor"):
        GraphStepper(np.ones(2))
    with pytest.raises(ValueError, match="shape"):
        GraphStepper(t["h"])


# ---------------------------------------------------------------------------
# stepper.js under node: the same as Python
# ---------------------------------------------------------------------------

RUNNER = """
import * as js from "./widget.mjs";
let input = "";
process.stdin.on("data", (chunk) => input += chunk);
process.stdin.on("end", () => {
  const job = JSON.parse(input);
  const out = {};
  out.shapes = job.shapes.map(js.parseShape);
  out.shapeVerdicts = job.shapeVerdicts.map(([items, texts]) => js.shapeVerdict(items, texts.map(js.parseShape)));
  out.valuesVerdicts = job.valuesVerdicts.map(([items, texts]) =>
    [false, true].map((lastTry) => js.valuesVerdict(items, texts.map(js.parseNumbers), lastTry)));
  out.states = job.graphs.map((data) => {
    const states = {};
    for (const phase of ["forward", "backward"]) {
      states[phase] = [];
      for (let k = 0; k <= data[phase].length; k++) states[phase].push(js.viewState(data, phase, k));
    }
    return states;
  });
  process.stdout.write(JSON.stringify(out));
});
"""

SHAPE_TEXTS = ["3×2", "3x2", "3 X 2", "(3, 2)", "[3,2]", "3*2", "3", "(3,)", "scalar", " Scalar ", "()", "[]",
               "1×2×3", "", "abc", "3.0", "-3", "3×", "×", "²", "٣", "3×²", "1e3", "0x3", " 2 , 3 "]


def test_js_agrees_with_python(run_js):
    L, _ = mlp()
    big_W = Tensor(np.linspace(-1, 1, 12).reshape(3, 4), label="W")
    big = (big_W * big_W).sum()
    steppers = [GraphStepper(L, quiz=True), GraphStepper(big, quiz=True)]
    shape_cases, value_cases = [], []
    for st in steppers:
        for k, step in enumerate(st.data["backward"]):
            items = step["quiz"]
            if not items:
                continue
            right = ["×".join(map(str, q["shape"])) or "scalar" for q in items]
            wrong = ["×".join(map(str, reversed(q["shape"]))) + "×1" for q in items]
            shape_cases += [(st, k, right), (st, k, wrong)]
            asked = [q for q in items if q["values"] is not None]
            if asked:
                right_values = [" ".join(repr(v) for v in q["values"]) for q in asked]
                wrong_values = ["[" + ", ".join(repr(v * 1.5 - 0.25) for v in q["values"]) + "]" for q in asked]
                tricky = [" ".join(["-0.0", "0.1", "−2.5e-7", "123456789"][: len(q["values"])] +
                                   ["0.30000000000000004"] * max(0, len(q["values"]) - 4)) for q in asked]
                value_cases += [(st, k, right_values), (st, k, wrong_values), (st, k, tricky)]
    job = {
        "shapes": SHAPE_TEXTS,
        "shapeVerdicts": [[st.data["backward"][k]["quiz"], texts] for st, k, texts in shape_cases],
        "valuesVerdicts": [[[q for q in st.data["backward"][k]["quiz"] if q["values"] is not None], texts]
                           for st, k, texts in value_cases],
        "graphs": [st.data for st in steppers],
    }
    out = run_js(GraphStepper._esm, RUNNER, job)

    assert out["shapes"] == [None if parse_shape(t) is None else list(parse_shape(t)) for t in SHAPE_TEXTS]
    for st, states in zip(steppers, out["states"]):
        for phase in ("forward", "backward"):
            assert states[phase] == [st.view_state(phase, k) for k in range(len(st.data[phase]) + 1)], phase
    assert len(shape_cases) >= 8 and len(value_cases) >= 6
    for (st, k, texts), js_text in zip(shape_cases, out["shapeVerdicts"]):
        st.go_to(k)
        assert js_text == st.answer(texts)
    for (st, k, texts), (first, last) in zip(value_cases, out["valuesVerdicts"]):
        st.go_to(k)
        items = st.data["backward"][k]["quiz"]
        st.answer(["×".join(map(str, q["shape"])) or "scalar" for q in items])
        assert st.pending_quiz["stage"] == "values"
        assert first == st.answer(texts)
        if st.step == k:                 # wrong numbers: a hint, then one more try shows them
            assert last == st.answer(texts)


def test_moving_away_from_a_half_answered_quiz_starts_it_again_at_the_shape():
    """The browser moves the widget through the synced ``step`` (and ``phase``): the quiz must not stay at "values"."""
    L, _ = mlp()
    s = GraphStepper(L, quiz=True)
    to_w_step(s)
    s.answer(["3×2"])
    assert s.pending_quiz["stage"] == "values"
    send_state(s, step=2)                      # a click on Back, Back, Back in the browser
    send_state(s, step=5)
    assert s.pending_quiz["stage"] == "shape"
    s.answer(["3×2"])
    s.set_phase("forward")
    s.set_phase("backward")
    s.go_to(0)
    send_state(s, step=5)
    assert s.pending_quiz["stage"] == "shape"
    s.answer(["3×2"])
    send_state(s, phase="forward")
    send_state(s, phase="backward")
    send_state(s, step=5)
    assert s.pending_quiz["stage"] == "shape"
