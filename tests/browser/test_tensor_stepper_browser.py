"""`GraphStepper` on a Tensor graph and `widgets.unroll`, in a real JupyterLab, clicked as a learner would.

The graph is a small tensor MLP, with data x (1×3) and parameters W (3×2), b (2):

    n2 = x @ W;  h = n2 + b;  a = tanh(h);  sq = a ⊙ a;  L = Σ sq

Nodes in topological order: n0=x, n1=W, n2, n3=b, n4=h, n5=a, n6=sq, n7=L;
backward: the seed, then one step per op node, 6 in all (the last: n2 = x @ W
passing grad(n2) back to W). By hand, x @ W = [2.2, 1.2] and h = [2.3, 1.0]; the
gradients are computed here with PyTorch (float64), the heatmap colours with
the Okabe-Ito rule written out again (white to vermillion for positive
numbers), never read back from the widget.

The unroll view writes y = x @ W out entry by entry with the upstream
gradient g = [[1, −2]]: ∂L/∂W = xᵀ·g = [[1, −2], [2, −4], [3, −6]] by hand,
so the grid cell of W[2,1] must end up reading "−6".

Screenshots go to test-output/browser/; the best one of the tensor stepper is
also saved as docs/tensor-stepper.png for the README.
"""

from __future__ import annotations

import re
import shutil

import numpy as np

from .helpers import REPO, WidgetCells, WidgetView, expect, screenshot

BACKWARD_STEPS = 6
UNROLL_STEPS = 14   # L = Σ g·y over 2 entries, each y[0,j] a sum of 3 products: see tests/test_unroll.py
X = [[1.0, 2.0, 3.0]]
W0 = [[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]]
B0 = [0.1, -0.2]

SETUP = f'''\
import numpy as np
import widgets
from autodiff.tensor import Tensor
from widgets.stepper import GraphStepper

def mlp():
    x = Tensor({X}, label="x", requires_grad=False)
    W = Tensor({W0}, label="W")
    b = Tensor({B0}, label="b")
    h = x @ W + b; h.label = "h"
    a = h.tanh(); a.label = "a"
    sq = a * a; sq.label = "sq"
    L = sq.sum(); L.label = "L"
    return L, W, b

def lesson_y():
    x = Tensor({X}, label="x", requires_grad=False)
    W = Tensor({W0}, label="W")
    y = x @ W; y.label = "y"
    return y
'''

# widget "unroll": the notebook is unroll.ipynb (widgets/unroll.py, the newest piece, must exist)
WIDGETS = WidgetCells(
    "unroll", ".ad-stepper", setup=SETUP, viewport={"width": 1800, "height": 1100}, cells={
        "step": "L1, W1, b1 = mlp()\ns_tensor = GraphStepper(L1, parameters=[W1, b1])\ns_tensor",
        "quiz": "L2, W2, b2 = mlp()\ns_quiz = GraphStepper(L2, parameters=[W2, b2], quiz=True)\ns_quiz",
        "unroll": "u = widgets.unroll(lesson_y(), upstream=np.array([[1.0, -2.0]]))\nu",
    },
)


def torch_grads():
    import torch
    x = torch.tensor(X, dtype=torch.float64)
    W = torch.tensor(W0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(B0, dtype=torch.float64, requires_grad=True)
    (torch.tanh(x @ W + b) ** 2).sum().backward()
    return W.grad.numpy(), b.grad.numpy()


def number(x: float) -> str:
    """4 significant digits and a real minus sign, as the kit writes numbers (written out again here)."""
    text = f"{x:.4g}"
    return "0" if text == "-0" else text.replace("-", "−")


def okabe_ito(values):
    values = np.asarray(values, dtype=float)
    scale = np.abs(values).max()
    out = []
    for v in values.ravel():
        target = (0xD5, 0x5E, 0x00) if v > 0 else (0x00, 0x72, 0xB2)
        out.append("#" + "".join(f"{round(255 - (255 - c) * abs(v) / scale):02x}" for c in target))
    return out


class Stepper(WidgetView):
    parts = {"graph": '[data-role="graph"]', "counter": '[data-role="counter"]',
             "explanation": '[data-role="explanation"]', "quiz": '[data-role="quiz"]',
             "feedback": '[data-role="quiz-feedback"]', "grids": '[data-role="grids"]',
             "inputs": '[data-role="inputs"]'}

    def node(self, node_id: str):
        return self.graph.locator(f"svg g#ad-{node_id}")

    def field(self, node_id: str, word: str):
        return self.node(node_id).locator("text").filter(has_text=re.compile(f"^{word}")).last

    def cells(self, node_id: str):
        return self.node(node_id).locator(".ad-cell")

    def fills(self, node_id: str):
        """The colour each heatmap cell of a box is painted with: the computed style, as seen (CSS included)."""
        rgb = self.cells(node_id).evaluate_all("cs => cs.map(c => getComputedStyle(c).fill)")
        return ["#" + "".join(f"{int(n):02x}" for n in re.findall(r"\d+", c)) for c in rgb]

    def answers(self):
        return self.quiz.locator('input[data-role="quiz-answer"]')


def has_class(cls: str):
    return re.compile(rf"(^|\s){re.escape(cls)}(\s|$)")


def step_to(s: Stepper, k: int, total: int) -> None:
    for i in range(1, k + 1):
        s.button("step").click()
        expect(s.counter).to_have_text(f"step {i} / {total}")


# ---------------------------------------------------------------------------


def test_stepping_a_tensor_graph_shows_shapes_and_fills_the_heatmap(nb):
    s = Stepper(nb.view("step"))
    gW, gb = torch_grads()
    expect(s.counter).to_have_text(f"step 0 / {BACKWARD_STEPS}")
    # boxes: name and shape, values; W (6 numbers) has a heatmap of 6 data cells and 6 grad cells
    expect(s.node("n1").locator("text").first).to_have_text(re.compile(r"^W\s+3×2$"))
    expect(s.field("n1", "data")).to_have_text("data in [−0.4, 0.6]")
    expect(s.field("n2", "data")).to_have_text("data [[2.2, 1.2]]")          # x @ W by hand
    expect(s.field("n0", "grad")).to_have_text("grad: not needed (a constant)")
    expect(s.cells("n1")).to_have_count(12)
    fills = s.fills("n1")
    assert fills[:6] == okabe_ito(W0)
    assert fills[6:] == ["#eeeeee"] * 6                                         # no gradient yet
    expect(s.inputs).to_be_hidden()                                             # arrays: no number boxes

    step_to(s, 5, BACKWARD_STEPS)
    # h = n2 + b passes on: b's gradient is summed over the broadcast rows
    expect(s.explanation).to_contain_text("grad(b) (2) += grad(h) (1×2)")
    expect(s.explanation).to_contain_text("summed over axis 0")
    expect(s.field("n3", "grad")).to_have_text(f"grad [{number(gb[0])}, {number(gb[1])}]")
    expect(s.field("n1", "grad")).to_have_text("grad: not computed yet")

    s.button("step").click()
    expect(s.counter).to_have_text(f"step {BACKWARD_STEPS} / {BACKWARD_STEPS}")
    expect(s.explanation).to_contain_text("grad(W) (3×2) += xᵀ (3×1) · grad(n2) (1×2)")
    expect(s.explanation).to_contain_text("Backward pass complete")
    expect(s.node("n2")).to_have_class(has_class("ad-current"))
    expect(s.node("n1")).to_have_class(has_class("ad-target"))
    expect(s.field("n1", "grad")).to_have_text(f"grad in [{number(gW.min())}, {number(gW.max())}]")
    fills = s.fills("n1")
    assert fills[6:] == okabe_ito(gW), (fills[6:], okabe_ito(gW))
    assert fills[6 + 5] == "#d55e00"                    # the largest gradient, full vermillion
    path = screenshot(nb.page, "tensor-stepper-complete", s.root)
    (REPO / "docs").mkdir(exist_ok=True)
    shutil.copyfile(path, REPO / "docs" / "tensor-stepper.png")

    # Back: W's gradient goes away again, its cells grey
    s.button("back").click()
    expect(s.field("n1", "grad")).to_have_text("grad: not computed yet")
    assert s.fills("n1")[6:] == ["#eeeeee"] * 6


def test_tensor_quiz_asks_the_shape_then_the_numbers(nb):
    s = Stepper(nb.view("quiz"))
    gW, _ = torch_grads()
    s.button("step").click()                                # the seed: nothing to ask
    for k in range(2, BACKWARD_STEPS):                      # each step asks first: "Show me" skips it
        s.button("step").click()
        expect(s.quiz).to_be_visible()
        s.quiz.locator('button[data-action="skip"]').click()
        expect(s.counter).to_have_text(f"step {k} / {BACKWARD_STEPS}")
    s.button("step").click()
    expect(s.quiz).to_be_visible()
    expect(s.quiz).to_contain_text("First, its shape.")
    expect(s.quiz).to_contain_text("What shape is grad(W)?")
    expect(s.answers()).to_have_count(1)

    s.answers().first.fill("2×3")                          # the transpose: refused
    s.quiz.locator('button[data-action="check"]').click()
    expect(s.feedback).to_have_text("Not quite: you said 2×3, but grad(W) always has the shape of W itself: 3×2.")
    expect(s.quiz).to_be_visible()
    expect(s.quiz).to_contain_text("What shape is grad(W)?")   # asked again
    expect(s.answers().first).to_have_class(has_class("ad-invalid"))
    expect(s.counter).to_have_text(f"step {BACKWARD_STEPS - 1} / {BACKWARD_STEPS}")
    screenshot(nb.page, "tensor-quiz-shape-refused", s.root)

    s.answers().first.fill("3x2")
    s.answers().first.press("Enter")
    expect(s.feedback).to_have_text("Right: grad(W) has the shape of W, 3×2.")
    expect(s.quiz).to_contain_text("grad(W) gets what from this step? 6 numbers, row by row")
    expect(s.counter).to_have_text(f"step {BACKWARD_STEPS - 1} / {BACKWARD_STEPS}")

    typed = "[" + ", ".join("[" + ", ".join(f"{v:.4f}" for v in row) + "]" for row in gW) + "]"
    s.answers().first.fill(typed)
    s.quiz.locator('button[data-action="check"]').click()
    expect(s.feedback).to_contain_text("Right: grad(W) (3×2) += xᵀ (3×1) · grad(n2) (1×2) = [[")
    expect(s.feedback).not_to_contain_text("Not quite")
    expect(s.counter).to_have_text(f"step {BACKWARD_STEPS} / {BACKWARD_STEPS}")
    expect(s.quiz).to_be_hidden()
    screenshot(nb.page, "tensor-quiz-right", s.root)


def test_unroll_fills_the_grid_entry_by_entry(nb):
    s = Stepper(nb.view("unroll"))
    expected = np.array([[1.0], [2.0], [3.0]]) @ np.array([[1.0, -2.0]])    # xᵀ·g, by hand
    grid = s.grids.locator('table[data-role="grid"]')
    expect(grid).to_have_count(1)
    expect(s.grids).to_contain_text("grad(W) (3×2), entry by entry")
    expect(s.grids).to_contain_text("the tensor VJP in one go: xᵀ · grad(y) = [[1, −2], [2, −4], [3, −6]]")
    cell = grid.locator("tr").nth(2).locator("td").nth(1)                   # W[2,1]
    expect(grid.locator("td")).to_have_count(6)
    expect(cell).to_have_text("?")
    node_id = cell.get_attribute("data-node")
    expect(s.node(node_id).locator("text").first).to_have_text("W[2,1]")
    expect(s.explanation).to_contain_text("y = x @ W, unrolled")

    seen_partial = False
    for k in range(1, UNROLL_STEPS + 1):
        s.button("step").click()
        expect(s.counter).to_have_text(f"step {k} / {UNROLL_STEPS}")
        texts = grid.locator("td").all_text_contents()
        if "?" in texts and any(t != "?" for t in texts):
            seen_partial = True
    assert seen_partial, "the grid should fill in over several steps"
    expect(cell).to_have_text(number(expected[2, 1]))                        # −6
    assert grid.locator("td").all_text_contents() == [number(v) for v in expected.ravel()]
    expect(cell).to_have_class(has_class("ad-grid-done"))
    expect(s.field(node_id, "grad")).to_have_text(f"grad {number(expected[2, 1])}")
    screenshot(nb.page, "unroll-grid-filled", s.root)
    nb.kernel_says("print('kernel', u.step, u.grid_values()[0].tolist())",
                   f"kernel {UNROLL_STEPS} {expected.tolist()}")
