"""After Run All, each widget a lesson shows is in the state its text describes.

A later cell that drives a widget (``go_to``, ``step``, ``set``, ``answer``,
``set_input``) must drive a widget of its own, not the one shown next to an
earlier text ("Press Step ▶ twice", "no L2", "50 steps at lr 0.06").

Each lesson runs top to bottom in a fresh kernel, as tools/execute_notebooks.py
runs it; a cell appended at the end then reads, in that same kernel, the
state of each widget shown by the cells named below (found by the model id in
the cell's output, so it is the widget on the page, whatever its variable).
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CELL_TIMEOUT = 120
VIEW = "application/vnd.jupyter.widget-view+json"

PROBE = '''
import json as _json
from ipywidgets.widgets.widget import _instances as _widgets

def _state(w):
    kind = type(w).__name__
    if kind == "GraphStepper":
        return {"kind": kind, "step": w.step, "phase": w.phase, "quiz": w.quiz,
                "leaves": {n: w.leaf_values.get(i) for i, n in
                           ((node.id, node.name) for node in w.trace.nodes) if i in w.leaf_values}}
    if kind == "OptimizerLab":
        return {"kind": kind, "surface": w.surface, "lr": w.lr, "schedule": w.schedule,
                "step_count": w.step_count}
    if kind == "Playground":
        return {"kind": kind, "settings": dict(w.settings), "epoch": w.epoch}
    return {"kind": kind}

print(_json.dumps({i: _state(_widgets[i]) for i in __MODEL_IDS__}))
'''

# lesson -> [(a piece of the source of the cell that shows the widget, the state its text describes)]
EXPECTED = {
    "01_setup.ipynb": [
        # "Press Step ▶ twice": the stepper starts at step 0
        ("widget_check = GraphStepper(z)", {"kind": "GraphStepper", "step": 0}),
    ],
    "03_computation_graphs.ipynb": [
        # "Press Step ▶ three times to compute e, then d, then L", with a = 2
        ('stepper = GraphStepper(L, phase="forward")',
         {"kind": "GraphStepper", "step": 0, "phase": "forward", "leaves": {"a": 2.0}}),
    ],
    "04_backprop_by_hand.ipynb": [
        # "Press Step ▶: the first step seeds grad(L) = 1"
        ("stepper = GraphStepper(L)\n", {"kind": "GraphStepper", "step": 0}),
        # "Predict every step this way, down to grad(a) and grad(b)"
        ("quiz = GraphStepper(L, quiz=True)", {"kind": "GraphStepper", "step": 0, "quiz": True}),
        # "Step through it ... the tanh step comes second"
        ("neuron = GraphStepper(o, parameters=[w1, w2, b])", {"kind": "GraphStepper", "step": 0}),
    ],
    "05_implementing_backward.ipynb": [
        # "press Step and see it receive −4 from L (step 2)"
        ("stepper = GraphStepper(L)", {"kind": "GraphStepper", "step": 0}),
    ],
    "07_a_neuron.ipynb": [
        # "Press Step: at step 2 the tanh node passes 1 × 0.5 back to n"
        ("stepper = GraphStepper(o2", {"kind": "GraphStepper", "step": 0}),
    ],
    "14_from_scalars_to_tensors.ipynb": [
        # "press ▶ or step with the arrows"
        ('stepper = GraphStepper(loss, phase="backward")', {"kind": "GraphStepper", "step": 0}),
    ],
    "10_optimizers_and_schedules.ipynb": [
        # "the lab has already taken 50 steps from (−5, 2.5) at its default lr, 0.06" on the bowl
        ('lab = OptimizerLab("bowl")',
         {"kind": "OptimizerLab", "surface": "bowl", "lr": 0.06, "schedule": "none", "step_count": 50}),
    ],
    "11_regularization.ipynb": [
        # "set up to over-fit ... and no L2. It has trained for 100 epochs"
        ("playground = Playground(", {"kind": "Playground", "settings": {"l2": 0.0}, "epoch": 100}),
    ],
}


def shown_widget(nb: nbformat.NotebookNode, piece: str) -> str:
    """The model id of the widget shown by the one code cell whose source contains ``piece``."""
    cells = [c for c in nb.cells if c.cell_type == "code" and piece in c.source]
    assert len(cells) == 1, f"{len(cells)} cells contain {piece!r}"
    views = [o.data[VIEW]["model_id"] for o in cells[0].outputs
             if o.output_type in ("display_data", "execute_result") and VIEW in o.get("data", {})]
    assert len(views) == 1, f"the cell with {piece!r} shows {len(views)} widgets"
    return views[0]


def run_and_probe(name: str) -> tuple[dict, dict]:
    """Run the lesson top to bottom; the state of each listed widget, by piece, after the last cell."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        ids = {piece: shown_widget(nb, piece) for piece, _ in EXPECTED[name]}
        probe = nbformat.v4.new_code_cell(PROBE.replace("__MODEL_IDS__", repr(sorted(set(ids.values())))))
        nb.cells.append(probe)
        client.execute_cell(probe, len(nb.cells) - 1)
    text = "".join(o.get("text", "") for o in probe.outputs if o.output_type == "stream")
    states = json.loads(text)
    return ids, states


def subset(expected: dict, actual: dict) -> dict:
    """The entries of ``expected`` that ``actual`` does not match (nested dicts compared key by key)."""
    wrong = {}
    for key, want in expected.items():
        got = actual.get(key)
        if isinstance(want, dict) and isinstance(got, dict):
            inner = subset(want, got)
            if inner:
                wrong[key] = inner
        elif isinstance(want, float) and isinstance(got, (int, float)):
            if abs(got - want) > 1e-12:
                wrong[key] = (want, got)
        elif got != want:
            wrong[key] = (want, got)
    return wrong


@pytest.mark.slow
@pytest.mark.parametrize("lesson", sorted(EXPECTED))
def test_each_widget_shows_what_its_text_says_after_run_all(lesson):
    ids, states = run_and_probe(lesson)
    problems = {}
    for piece, want in EXPECTED[lesson]:
        wrong = subset(want, states[ids[piece]])
        if wrong:
            problems[piece] = wrong
    assert not problems, f"{lesson}: widgets not in the state their text describes (want, got): {problems}"
