"""`GraphStepper`: step through the forward and backward passes of a graph, in Jupyter.

>>> from autodiff import Var
>>> from widgets.stepper import GraphStepper
>>> a, b = Var(2.0, label="a"), Var(-3.0, label="b")
>>> L = a * b; L.label = "L"
>>> s = GraphStepper(L)           # doctest: +SKIP  (the last line of a cell shows it)

The widget shows the graph (drawn once, by `widgets.graph.draw_graph`), a
toolbar (Reset, Back, Step, Play, a delay slider, the phase) and a panel
that explains each step with the chain rule. Stepping happens in the browser
(`stepper.js`), without a round trip to the kernel, so it stays quick on a
slow kernel and works while one is busy.

Everything the browser shows is worked out here, once, in Python: the SVG,
and for every step the explanation, the gradient texts and which nodes to
highlight (the ``data`` trait). The browser only picks the texts of step k
and sets CSS classes, so Python and the browser always show the same text,
and `explanation`, `grads` and `current` tell a lesson cell (or a test)
exactly what is on screen.

Steps:

* forward phase, steps 0..F (F op nodes): at step k the first k op nodes are
  computed ("lit"), the k-th is current, and values not computed yet read
  ``data ?``;
* backward phase, steps 0..B (B = ``len(trace.backward)``, the seed
  included): at step k the first k backward steps are applied and the
  gradients shown are ``trace.replay(k)``; nodes no gradient has reached yet
  read "grad: not computed yet". The current node is the one passing its
  gradient on; its operands are the "targets". A node is "done" once it has
  passed its gradient on (an op) or received its last contribution (a leaf).

Step 0 of each phase shows an introduction.

The keyboard: with the widget (or one of its buttons) focused, ← and → step
back and on and Space plays; the explanation is read out (aria-live). The
quiz gives a wrong answer a hint and one more try before it shows the
answer, and says in words why it cannot check an empty or unreadable box.
The browser is untrusted input: see `widgets.browser_state`.
"""

from __future__ import annotations

import html
import math
import pathlib
import re
from numbers import Real
from typing import Any, Iterable, Optional, Union

import graphviz
import traitlets

import numpy as np

from autodiff.backprop import topological_order
from autodiff.ops import OPERAND_NAMES
from autodiff.tensor import Tensor
from autodiff.tensor.tensor import as_array
from autodiff.tensor.trace import array_text, graph_order, shape_text
from autodiff.trace import BackwardStep, ForwardStep, Trace, format_number, grad_name, reevaluate
from autodiff.trace import trace as make_trace
from autodiff.var import Var

from . import tensor_boxes
from ._live import LiveWidget, esm, png_picture
from .browser_state import BrowserChecked, Refused, refused, short_repr
from .graph import NOT_COMPUTED, _record_text, stepper_drawing
from .render import render_png, render_svg
from .tensor_boxes import recolour, tag_cells
from .text import plural

__all__ = ["GraphStepper", "PHASES", "DATA_UNKNOWN", "GRAD_UNKNOWN", "is_close", "parse_shape",
           "QUIZ_NUMBERS"]

HERE = pathlib.Path(__file__).parent
PHASES = ("forward", "backward")
GRAD_UNKNOWN = NOT_COMPUTED   # "grad: not computed yet", as draw_graph writes it
DATA_UNKNOWN = "data ?"       # a value the forward pass has not reached (short: the box keeps its size)
SPEED_RANGE = (20, 10_000)    # Play's delay between steps, in ms
FEEDBACK_LIMIT = 20_000       # characters of a quiz verdict (the browser writes it too)

# Quiz tolerance: learners type rounded numbers ("-0.67" for −0.6667).
ABS_TOL = 1e-6
REL_TOL = 1e-3
QUIZ_NUMBERS = 6   # a Tensor quiz asks for the numbers of a gradient this small, after its shape
QUIZ_TRIES = 2     # a wrong answer gets a hint and one more try; the second wrong one shows the answer
TRY_AGAIN = "Try once more, or press Show me."


def is_close(answer: float, value: float) -> bool:
    """The quiz's test, the same in stepper.js: |answer − value| ≤ 1e-6 + 1e-3·|value|."""
    return abs(answer - value) <= ABS_TOL + REL_TOL * abs(value)


def _data_text(x: float) -> str:
    return f"data {format_number(x)}"


def _grad_text(x: float) -> str:
    return f"grad {format_number(x)}"


_SHAPE_SEPARATORS = re.compile(r"[\s,×x*]+")
_DIGITS = re.compile(r"[0-9]+")


def parse_shape(text: Any) -> Optional[tuple[int, ...]]:
    """A shape as a learner types it ("3×2", "3x2", "(3, 2)", "3", "scalar"), or None if it is not one.

    The same rule as ``parseShape`` in stepper.js. A tuple or list of ints is taken as it is.
    """
    if isinstance(text, (tuple, list)):
        ok = all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in text)
        return tuple(text) if ok else None
    if not isinstance(text, str):
        return None
    s = text.strip().lower()
    if s in ("scalar", "()", "[]"):
        return ()
    parts = [p for p in _SHAPE_SEPARATORS.split(re.sub(r"[()\[\]]", " ", s)) if p]
    if not parts or not all(_DIGITS.fullmatch(p) for p in parts):  # (not isdigit: "²" and "٣" are digits)
        return None
    return tuple(int(p) for p in parts)


def _parse_numbers(value: Any) -> Optional[list[float]]:
    """A learner's numbers for a tensor: an array-like, or text such as "[[1, -2], [0.5, 3]]"; None if not numbers."""
    if isinstance(value, str):
        parts = [p for p in re.split(r"[\s,;()\[\]]+", value.replace("−", "-")) if p]
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            return None
    else:
        try:
            numbers = [float(x) for x in np.asarray(value, dtype=float).ravel()]
        except (TypeError, ValueError):
            return None
    return numbers if numbers and all(math.isfinite(x) for x in numbers) else None


def _is_finite_number(x: Any) -> bool:
    """A real number, not a bool, neither nan nor ±inf: what an answer or an input value must be."""
    return not isinstance(x, bool) and isinstance(x, Real) and math.isfinite(float(x))


class GraphStepper(BrowserChecked, LiveWidget):
    """Step through the forward and backward passes of the graph behind ``root``.

    * ``parameters``: Vars to draw (and list) as parameters.
    * ``quiz``: before each backward step that passes gradients on, ask how
      much each operand receives (in the browser, or with `answer`).
    * ``phase``: ``"forward"`` or ``"backward"`` (the default).
    * ``speed_ms``: Play's delay between steps.
    * ``rankdir``: ``"LR"`` (left to right), ``"TB"`` (top to bottom) or ``"auto"`` (see `widgets.draw_graph`).

    The leaves' values can be changed (the number boxes under the graph, or
    `set_input`): the graph is recomputed and re-traced, but not laid out
    again, so nothing moves.
    """

    _esm = esm("stepper.js")
    _css = HERE / "stepper.css"

    svg = traitlets.Unicode("").tag(sync=True)        # laid out once, never redrawn
    data = traitlets.Dict().tag(sync=True)            # every text of every step (see _build_data)
    phase = traitlets.Unicode("backward").tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)
    playing = traitlets.Bool(False).tag(sync=True)
    speed_ms = traitlets.Int(500).tag(sync=True)
    quiz = traitlets.Bool(False).tag(sync=True)
    leaf_values = traitlets.Dict().tag(sync=True)     # leaf id -> its value (editable)
    feedback = traitlets.Unicode("").tag(sync=True)   # the quiz's last verdict
    error = traitlets.Unicode("").tag(sync=True)      # why the browser's last change was refused

    # What the browser may set (widgets.browser_state): its controls, the inputs, the quiz's verdict.
    # Everything else (svg, data, quiz, error) is the kernel's.
    _browser_writable = frozenset({"phase", "step", "playing", "speed_ms", "leaf_values", "feedback"})

    def __init__(self, root: Union[Var, Tensor], parameters: Iterable[Union[Var, Tensor]] = (),
                 quiz: bool = False, phase: str = "backward", speed_ms: int = 500,
                 rankdir: str = "LR", grids: Iterable[tuple[str, Any]] = ()) -> None:
        kind = Tensor if isinstance(root, Tensor) else Var
        if not isinstance(root, (Var, Tensor)):
            raise TypeError(f"GraphStepper: root must be a Var or a Tensor, got {type(root).__name__}")
        parameters = tuple(parameters)
        for p in parameters:
            if not isinstance(p, kind):
                raise TypeError(f"GraphStepper: parameters must be {kind.__name__}s, like the root, "
                                f"got {type(p).__name__}")
        if not isinstance(quiz, bool):
            raise TypeError(f"GraphStepper: quiz must be True or False, got {quiz!r}")
        self._root = root
        self._parameters = parameters
        self._tensors = kind is Tensor
        # the same order, so the same ids, as the trace
        self._vars = graph_order(root) if self._tensors else topological_order(root)
        self._trace = make_trace(root, parameters)
        self._quiz_stage = "shape" if self._tensors else "values"
        self._grids = self._check_grids(grids)
        self._attempts = 0    # wrong answers so far to the pending quiz (one more try before revealing)
        svg = self._draw(rankdir)
        super().__init__(svg=svg, data=self._build_data(), quiz=quiz, phase=phase,
                         speed_ms=speed_ms, leaf_values=self._current_leaf_values())
        self.on_msg(self._on_browser_message)

    # ------------------------------------------------------------------
    # Building: the SVG once, and the texts of every step
    # ------------------------------------------------------------------
    def _draw(self, rankdir: str) -> str:
        """The SVG, laid out as before any backward pass: grads read "not computed yet".

        That is the widest a grad text gets, so the boxes have room for every
        number shown later. For a Tensor graph, the heatmap cells get their
        ids (``ad-c<k>``; ``self._cells`` lists each node's).
        """
        widest = {}
        if self._tensors:  # room for the widest grad text each box will show
            for step in self._trace.backward:
                shown = [(c.parent, c.after) for c in step.contributions] or [(step.node, step.upstream)]
                for node_id, value in shown:
                    text = tensor_boxes.grad_text(value)
                    if len(text) > len(widest.get(node_id, GRAD_UNKNOWN)):
                        widest[node_id] = text
        drawing, keys = stepper_drawing(self._root, self._trace, rankdir, widest)
        self._cells = drawing.cells
        self._drawing = drawing   # for the PNG of an untrusted notebook (`_untrusted_picture`)
        self._real_colours = keys.real if keys is not None else []
        svg = render_svg(drawing)
        return tag_cells(svg, keys.real) if keys is not None else svg

    def _check_grids(self, grids: Iterable[tuple[str, Any]]) -> list[dict]:
        """``grids``: (title, array of Vars of this graph) pairs, as {title, ids} rows of node ids."""
        index = {id(v): f"n{i}" for i, v in enumerate(self._vars)}
        checked = []
        for item in grids:
            if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
                raise TypeError(f"GraphStepper: grids must be (title, array of Vars) pairs, got {item!r}")
            title, entries = item
            entries = np.asarray(entries, dtype=object)
            rows = entries.reshape(1, -1) if entries.ndim < 2 else entries.reshape(-1, entries.shape[-1])
            for v in rows.ravel():
                if id(v) not in index:
                    raise ValueError(f"GraphStepper: grid {title!r} holds {v!r}, which is not a node of this graph")
            checked.append({"title": title, "ids": [[index[id(v)] for v in row] for row in rows]})
        return checked

    def grid_values(self) -> list[np.ndarray]:
        """The numbers each grid shows now: its nodes' gradients at this step (0 where none has arrived)."""
        grads = self.grads
        return [np.array([[float(grads[i]) for i in row] for row in grid["ids"]]) for grid in self._grids]

    def _value_text(self, value: Any) -> str:
        return tensor_boxes.value_text(value) if self._tensors else _data_text(value)

    def _gradient_text(self, value: Any) -> str:
        return tensor_boxes.grad_text(value) if self._tensors else _grad_text(value)

    def _build_data(self) -> dict:
        """Everything the browser shows, as plain JSON (the ``data`` trait).

        nodes:    [{id, name, kind, data_text, computed_at, done_at}]: computed_at is
                  the forward step at which an op node's value appears (0 for leaves),
                  done_at the backward step from which the node is done (None: never)
        forward:  [{node, text, explanation, edges}]
        backward: [{node, text, explanation, targets, edges, grad_texts, prompt, quiz}]
        intro:    {phase: text shown at step 0}
        texts:    the placeholders for values not computed yet
        """
        t = self._trace
        out = t.root.name
        name = {n.id: n.name for n in t.nodes}
        edge_id = {(e.source, e.target, e.operand): f"ad-e{k}" for k, e in enumerate(t.edges)}

        computed_at = {f.node: k + 1 for k, f in enumerate(t.forward)}
        last_own: dict[str, int] = {}   # the last backward step a node runs itself
        last_in: dict[str, int] = {}    # the last backward step that adds to a node's grad
        for i, s in enumerate(t.backward):
            last_own[s.node] = i
            for c in s.contributions:
                last_in[c.parent] = i

        def done_at(node_id: str) -> Optional[int]:
            if node_id in last_own:            # done once its own (last) step is past
                k = last_own[node_id] + 2
            elif node_id in last_in:           # a leaf: done once its last contribution is in
                k = last_in[node_id] + 1
            else:
                return None
            return k

        nodes = [{"id": n.id, "name": n.name, "kind": n.kind, "data_text": self._value_text(n.data),
                  "computed_at": computed_at.get(n.id, 0), "done_at": done_at(n.id)}
                 for n in t.nodes]
        final = t.replay()
        if self._tensors:
            for node, n, v in zip(nodes, t.nodes, self._vars):
                data_cells, grad_cells = self._cells[n.id]
                node["cells"] = [data_cells, grad_cells]
                node["data_colours"] = tensor_boxes.colours(n.data) if data_cells else []
                node["no_grad"] = None if v.requires_grad else tensor_boxes.NOT_NEEDED

        def grad_colours(node_id: str, value: Any) -> dict:
            if not self._tensors or not self._cells[node_id][1]:
                return {}
            scale = float(np.abs(np.asarray(final[node_id])).max(initial=0.0))
            return {node_id: tensor_boxes.colours(value, scale)}

        forward = []
        for k, f in enumerate(t.forward, start=1):
            text = f.text
            if k == len(t.forward):
                value = array_text(f.value) if self._tensors else format_number(f.value)
                text += (f"\n\nForward pass complete: {out} = {value}. "
                         f"Switch to the backward phase for the gradients.")
            edges = [edge_id[(p, f.node, j)] for j, (p, _) in enumerate(f.inputs)]
            forward.append({"node": f.node, "text": f.text, "explanation": text,
                            "edges": edges + [f"ad-{f.node}-out"]})

        backward = []
        for i, s in enumerate(t.backward):
            node = t.node(s.node)
            grad_of = grad_name(node.name) + (f" ({shape_text(node.shape)})" if self._tensors else "")
            if s.contributions:
                operands = " and ".join(dict.fromkeys(name[c.parent] for c in s.contributions))
                head = f"{node.name} passes {grad_of} = {self._upstream_text(s.upstream)} back to {operands}:"
                prompt = (f"{node.name} now passes {grad_of} = {self._upstream_text(s.upstream)} "
                          f"back to {operands}. " + ("What does each receive? First, its shape."
                                                     if self._tensors else "How much does each receive?"))
            else:
                head = f"Start at the output: {out} changes one-for-one with itself."
                prompt = ""
            text = f"{head}\n{s.text}"
            if i == len(t.backward) - 1:
                text += f"\n\nBackward pass complete: every node's grad now holds ∂{out}/∂node."
            grad_texts, colours = {}, {}
            if s.contributions:
                for c in s.contributions:
                    grad_texts[c.parent] = self._gradient_text(c.after)
                    colours.update(grad_colours(c.parent, c.after))
            else:
                grad_texts[s.node] = self._gradient_text(s.upstream)
                colours.update(grad_colours(s.node, s.upstream))
            quiz = self._tensor_quiz_item if self._tensors else self._quiz_item
            step = {
                "node": s.node, "text": s.text, "explanation": text,
                "targets": list(dict.fromkeys(c.parent for c in s.contributions)),
                "edges": [edge_id[(c.parent, s.node, c.operand)] for c in s.contributions],
                "grad_texts": grad_texts, "prompt": prompt,
                "quiz": [quiz(node, c, name, s.upstream) for c in s.contributions],
            }
            if self._tensors:
                step["grad_colours"] = colours
            backward.append(step)

        first = t.node(t.forward[0].node).name if t.forward else None
        intro = {
            "forward": (f"Forward pass: compute the {plural(len(t.forward), 'op node')} in order, "
                        f"each from values already known.\nPress Step to compute {first}."
                        if first else f"Nothing to compute: {out} is an input."),
            "backward": (f"Backward pass: from {out} back to the inputs. Each node's {grad_name('node')} "
                         f"starts at 0 and adds up what reaches it; once the pass is over it holds "
                         f"∂{out}/∂node. A node whose grad is complete passes it to its operands, "
                         f"by the chain rule:\n"
                         f"    {grad_name('operand')} += {grad_name('node')} · ∂(node's formula)/∂operand\n"
                         + ("For Tensors, each op's VJP does that for a whole array at once; "
                            f"{grad_name('operand')} always has the operand's shape.\n" if self._tensors else "")
                         + f"Press Step to seed {grad_name(out)} = 1."),
        }
        texts = {"data_unknown": DATA_UNKNOWN, "grad_unknown": GRAD_UNKNOWN}
        if self._tensors:
            texts["cell_unknown"] = tensor_boxes.UNKNOWN_CELL
        return {"output": out, "engine": "tensor" if self._tensors else "scalar", "nodes": nodes,
                "forward": forward, "backward": backward, "intro": intro, "texts": texts,
                "grids": self._grids}

    def _upstream_text(self, value: Any) -> str:
        if not self._tensors:
            return format_number(value)
        return array_text(value) if np.size(value) <= tensor_boxes.NUMBERS_IN_BOX else "(an array)"

    @staticmethod
    def _quiz_item(node, c, name: dict, upstream: float) -> dict:
        """One quiz question: what ``c.parent`` receives; the verdicts: right, wrong (a hint and one
        more try: ``retry_template``), and wrong again (the answer and why)."""
        parent = name[c.parent]
        repeated = list(node.parents).count(c.parent) > 1    # a + a: say which use
        where = f" (as operand {OPERAND_NAMES[c.operand]})" if repeated else ""
        why = f"the local derivative is {c.rule}"
        if c.rule.split(" = ", 1)[1].replace("-", "−") != format_number(c.local):
            why += f" = {format_number(c.local)}"  # a formula: give its value too
        return {
            "parent": c.parent, "parent_name": parent, "grad_name": grad_name(parent), "operand": c.operand,
            "value": c.value,
            "question": f"{grad_name(parent)} gets how much from this step{where}?",
            "right_text": f"Right: {c.text}",
            "retry_template": (f"Not yet: you said {{answer}} for {grad_name(parent)}{where}. Hint: multiply "
                               f"{grad_name(node.name)} = {format_number(upstream)} by the local derivative "
                               f"{c.rule}. {TRY_AGAIN}"),
            "wrong_template": f"Not quite: you said {{answer}}, but {c.text} ({why}).",
        }

    @staticmethod
    def _tensor_quiz_item(node, c, name: dict, upstream: Any) -> dict:
        """A Tensor quiz question, in two parts: the shape of what ``c.parent`` receives, then its numbers.

        The numbers are asked only for a gradient of at most `QUIZ_NUMBERS` numbers.
        """
        parent = name[c.parent]
        repeated = list(node.parents).count(c.parent) > 1
        where = f" (as operand {c.operand + 1})" if repeated else ""
        shape = list(np.shape(c.value))
        rule = c.text.split("\n", 1)[0]
        result = f"{rule} = {array_text(c.value)}" if np.size(c.value) <= tensor_boxes.NUMBERS_IN_BOX * 4 else rule
        small = np.size(c.value) <= QUIZ_NUMBERS
        grad = grad_name(parent)
        return {
            "parent": c.parent, "parent_name": parent, "grad_name": grad, "operand": c.operand,
            "shape": shape,
            "shape_question": f"What shape is {grad}{where}?",
            "shape_right_text": f"Right: {grad} has the shape of {parent}, {shape_text(tuple(shape))}.",
            "shape_wrong_template": (f"Not quite: you said {{answer}}, but {grad} always has the "
                                     f"shape of {parent} itself: {shape_text(tuple(shape))}."),
            "values": [float(x) for x in np.ravel(c.value)] if small else None,
            "question": (f"{grad} gets what from this step{where}? "
                         f"{plural(int(np.size(c.value)), 'number')}, row by row"),
            "right_text": f"Right: {result}",
            "retry_template": f"Not yet: you said {{answer}} for {grad}{where}. Hint: {rule}. {TRY_AGAIN}",
            "wrong_template": f"Not quite: you said {{answer}}, but {result}.",
        }

    def _current_leaf_values(self) -> dict:
        """Each input's value, for the number boxes under the graph (none for a Tensor graph:
        its inputs are arrays, changed from Python with `set_input`)."""
        if self._tensors:
            return {}
        return {n.id: self._vars[i].data for i, n in enumerate(self._trace.nodes)
                if n.kind in ("leaf", "parameter")}

    # ------------------------------------------------------------------
    # Validation of the synced traits (from Python or from the browser)
    # ------------------------------------------------------------------
    # Each raises `Refused`, a TraitError, so that traitlets keeps the old value; it is also the
    # ValueError (IndexError for a step) that Python callers catch.
    @traitlets.validate("phase")
    def _valid_phase(self, proposal):
        value = proposal["value"]
        if value not in PHASES:
            raise Refused(f"GraphStepper: phase must be one of {PHASES}, got {short_repr(value)}")
        return value

    @traitlets.validate("step")
    def _valid_step(self, proposal):
        value = proposal["value"]
        n = self.total_steps
        if not 0 <= value <= n:
            raise refused(IndexError(f"GraphStepper: step {short_repr(value)} is out of range 0..{n} "
                                     f"for the {self.phase} phase"))
        return value

    @traitlets.validate("speed_ms")
    def _valid_speed(self, proposal):
        value = proposal["value"]
        lo, hi = SPEED_RANGE
        if not lo <= value <= hi:
            raise Refused(f"GraphStepper: speed_ms must be between {lo} and {hi} (Play's delay, in ms), "
                          f"got {short_repr(value)}")
        return value

    @traitlets.validate("feedback")
    def _valid_feedback(self, proposal):
        value = proposal["value"]
        if len(value) > FEEDBACK_LIMIT:
            raise Refused(f"GraphStepper: a quiz verdict has at most {FEEDBACK_LIMIT} characters, "
                          f"got {len(value)}")
        return value

    @traitlets.validate("leaf_values")
    def _valid_leaf_values(self, proposal):
        """The inputs' values: known leaves, finite numbers (a Tensor graph's arrays are set from Python)."""
        value = proposal["value"]
        current = self._current_leaf_values()
        if value == current:
            return value
        if self._tensors:
            raise Refused("GraphStepper: the inputs of a Tensor graph are arrays; change one from Python, "
                          "e.g. stepper.set_input('W', new_values)")
        leaves = {n.id: n.name for n in self._trace.nodes if n.kind in ("leaf", "parameter")}
        for key, number in value.items():
            if key not in leaves:
                raise Refused(f"GraphStepper: {short_repr(key)} is not an input of this graph; "
                              f"the inputs are {', '.join(leaves)}")
            if not _is_finite_number(number):
                raise Refused(f"GraphStepper: the value of {leaves[key]} must be a finite number, "
                              f"got {short_repr(number)}")
        return value

    def _on_browser_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """The stepper's view sends no messages (it sets traits): any that comes is refused, in words."""
        self.error = (f"GraphStepper: ignored a message from the browser ({short_repr(content)}): "
                      "the stepper takes none")

    def _accepted_from_browser(self, keys: list) -> None:
        if "leaf_values" not in keys:   # (an input's own refusal stays until the next edit)
            self.error = ""

    @traitlets.observe("phase")
    def _phase_changed(self, change) -> None:
        self.step = 0          # each phase starts at its introduction
        self.feedback = ""
        self._quiz_stage = "shape" if self._tensors else "values"

    @traitlets.observe("step")
    def _step_changed(self, change) -> None:
        """Moved (here or in the browser): a half-answered quiz starts again at its first stage."""
        self._quiz_stage = "shape" if self._tensors else "values"
        self._attempts = 0

    @traitlets.observe("leaf_values")
    def _leaf_values_changed(self, change) -> None:
        """A value typed in the browser: apply it, or say why not and put the old one back."""
        wanted = change["new"]
        current = self._current_leaf_values()
        if wanted == current:
            return
        try:
            self._apply_inputs({k: v for k, v in wanted.items() if current.get(k) != v})
        except (TypeError, ValueError, ArithmeticError) as error:
            self.error = str(error)
            self.leaf_values = current
        else:
            self.error = ""

    # ------------------------------------------------------------------
    # Where we are
    # ------------------------------------------------------------------
    @property
    def trace(self) -> Trace:
        """The trace of the graph with its current values."""
        return self._trace

    @property
    def total_steps(self) -> int:
        """The last step of the current phase: F op nodes forward, B backward steps."""
        return len(self._steps(self.phase))

    def _steps(self, phase: str) -> tuple:
        return self._trace.forward if phase == "forward" else self._trace.backward

    @property
    def current(self) -> Union[ForwardStep, BackwardStep, None]:
        """The step shown (a ForwardStep or BackwardStep of `trace`), None at step 0."""
        return self._steps(self.phase)[self.step - 1] if self.step else None

    @property
    def explanation(self) -> str:
        """Exactly the text of the explanation panel."""
        return self.view_state()["explanation"]

    @property
    def grads(self) -> dict[str, float]:
        """Each node's gradient as shown: ``trace.replay(step)`` (all 0 in the forward phase)."""
        return self._trace.replay(self.step if self.phase == "backward" else 0)

    def view_state(self, phase: Optional[str] = None, k: Optional[int] = None) -> dict:
        """What the widget shows at step ``k`` of ``phase`` (now, by default).

        The same computation as ``viewState`` in stepper.js (a test checks
        that both agree): the explanation; the texts of each value box;
        the nodes current, lit (computed, forward), done and target; the
        arrows carrying values or gradients ("flow").
        """
        phase = self.phase if phase is None else phase
        k = self.step if k is None else k
        data = self.data
        steps = data[phase]
        forward = phase == "forward"
        state = {"current": None, "lit": [], "done": [], "targets": [], "flow": [], "texts": {}}
        grads = {}
        if not forward:
            for s in steps[:k]:
                grads.update(s["grad_texts"])
        colours = {}
        if not forward:
            for s in steps[:k]:
                colours.update(s.get("grad_colours", {}))
        if "cells" in data["nodes"][0]:
            state["colours"] = {}
        for n in data["nodes"]:
            computed = not forward or k >= n["computed_at"]
            state["texts"][n["id"]] = [n["data_text"] if computed else DATA_UNKNOWN,
                                       grads.get(n["id"], n.get("no_grad") or GRAD_UNKNOWN)]
            if "colours" in state:
                unknown = data["texts"]["cell_unknown"]
                data_cells, grad_cells = n["cells"]
                state["colours"][n["id"]] = [
                    n["data_colours"] if computed else [unknown] * len(data_cells),
                    colours.get(n["id"], [unknown] * len(grad_cells))]
            if forward and n["computed_at"] and computed:
                state["lit"].append(n["id"])
            if not forward and n["done_at"] is not None and k >= n["done_at"]:
                state["done"].append(n["id"])
        if k:
            s = steps[k - 1]
            state["current"] = s["node"]
            state["flow"] = list(s["edges"])
            state["targets"] = [] if forward else list(s["targets"])
        state["explanation"] = steps[k - 1]["explanation"] if k else data["intro"][phase]
        return state

    # ------------------------------------------------------------------
    # Moving (the browser does the same without asking the kernel)
    # ------------------------------------------------------------------
    def go_to(self, k: int) -> None:
        """Show step ``k`` (0 to `total_steps`) of the current phase."""
        if isinstance(k, bool) or not isinstance(k, int):
            raise TypeError(f"GraphStepper.go_to: step must be an int, got {type(k).__name__}")
        self.step = k            # validated: IndexError naming the range
        self.feedback = ""
        self._quiz_stage = "shape" if self._tensors else "values"

    def next(self) -> None:
        """One step on (nothing at the last step). Skips the quiz: see `answer`."""
        if self.step < self.total_steps:
            self.go_to(self.step + 1)

    def back(self) -> None:
        """One step back (nothing at step 0)."""
        if self.step > 0:
            self.go_to(self.step - 1)

    def reset(self) -> None:
        """Back to step 0 of the current phase, and stop playing."""
        self.playing = False
        self.go_to(0)

    def set_phase(self, name: str) -> None:
        """Switch to the ``"forward"`` or ``"backward"`` phase, at its step 0."""
        with self.hold_sync():   # the browser gets phase and step together
            self.playing = False
            self.phase = name    # validated: ValueError listing the choices
            self.step = 0

    # ------------------------------------------------------------------
    # The quiz
    # ------------------------------------------------------------------
    @property
    def pending_quiz(self) -> Optional[dict]:
        """The quiz for the step that Step reveals next: {prompt, stage, questions}, or None.

        A Var graph's quiz has one stage, "values". A Tensor graph's asks the
        "shape" of each gradient first, then the "values" of the small ones.
        """
        if self.phase != "backward" or self.step >= self.total_steps:
            return None
        s = self.data["backward"][self.step]
        if not s["quiz"]:
            return None
        if self._quiz_stage == "shape":
            questions = [q["shape_question"] for q in s["quiz"]]
        else:
            questions = [q["question"] for q in s["quiz"] if not self._tensors or q["values"] is not None]
        return {"prompt": s["prompt"], "stage": self._quiz_stage, "questions": questions}

    def answer(self, values: Iterable[Any]) -> str:
        """Answer the pending quiz (one answer per question), then reveal the step.

        A Var graph takes one number per question. A Tensor graph takes, at
        the "shape" stage, one shape per question (``(3, 2)`` or the text a
        learner types, "3×2"), and then, at the "values" stage, one array (or
        text such as "[[1, 2], [3, 4]]") per question: the step is revealed
        after the last stage. A wrong shape is refused: the verdict says
        which shape it is, and the shapes are asked again.

        A wrong answer (numbers) is not revealed at once: the verdict gives a
        hint ("Not yet: ... Hint: ...") and the question stays; a second
        wrong answer reveals the step, with the right numbers and why.

        Returns the verdict, the text the browser shows after Check: one line
        per question, "Right: ...", "Not yet: ..." or "Not quite: you said ..., but ...".
        """
        quiz = self.pending_quiz
        if quiz is None:
            raise RuntimeError(
                f"GraphStepper.answer: no quiz is pending at step {self.step} of the "
                f"{self.phase} phase (quizzes come before backward steps that pass gradients on)")
        items = self.data["backward"][self.step]["quiz"]
        if quiz["stage"] == "values" and self._tensors:
            items = [q for q in items if q["values"] is not None]
        values = list(values)
        if len(values) != len(items):
            raise ValueError(f"GraphStepper.answer: expected {len(items)} answer(s), one per "
                             f"question, got {len(values)}")
        if quiz["stage"] == "shape":
            text, right = self._check_shapes(items, values)
            if not right:  # refused: the verdict says why, and the shapes are asked again
                self.feedback = text
                return text
            if any(q["values"] is not None for q in items):
                self._quiz_stage = "values"
                self.feedback = text
                return text
        else:
            last_try = self._attempts + 1 >= QUIZ_TRIES
            if self._tensors:
                text, right = self._check_tensor_values(items, values, last_try)
            else:
                for v in values:
                    if not _is_finite_number(v):
                        raise ValueError(f"GraphStepper.answer: answers must be finite numbers, got {v!r}")
                right = all(is_close(float(v), item["value"]) for item, v in zip(items, values))
                wrong = "wrong_template" if last_try else "retry_template"
                text = "\n".join(
                    item["right_text"] if is_close(float(v), item["value"])
                    else item[wrong].replace("{answer}", format_number(float(v)))
                    for item, v in zip(items, values))
            if not right and not last_try:   # a hint, and the same question again
                self._attempts += 1
                self.feedback = text
                return text
        self.go_to(self.step + 1)
        self.feedback = text
        return text

    @staticmethod
    def _check_shapes(items: list[dict], answers: list[Any]) -> tuple[str, bool]:
        """The verdict on the shapes, and whether every one is right."""
        shapes = [parse_shape(a) for a in answers]
        for a, shape in zip(answers, shapes):
            if shape is None:
                raise ValueError(f"GraphStepper.answer: {a!r} is not a shape; write one like (3, 2), "
                                 "'3×2', '3' or 'scalar'")
        right = [list(shape) == item["shape"] for item, shape in zip(items, shapes)]
        return "\n".join(
            item["shape_right_text"] if ok else item["shape_wrong_template"].replace("{answer}", shape_text(shape))
            for item, shape, ok in zip(items, shapes, right)), all(right)

    @staticmethod
    def _check_tensor_values(items: list[dict], answers: list[Any], last_try: bool) -> tuple[str, bool]:
        """The verdict on the numbers (a hint if not ``last_try``), and whether every one is right."""
        lines, all_right = [], True
        for item, a in zip(items, answers):
            numbers = _parse_numbers(a)
            if numbers is None or len(numbers) != len(item["values"]):
                raise ValueError(f"GraphStepper.answer: expected {len(item['values'])} finite number(s) for "
                                 f"{item['grad_name']}, got {a!r}")
            right = all(is_close(x, v) for x, v in zip(numbers, item["values"]))
            all_right = all_right and right
            typed = array_text(np.reshape(numbers, item["shape"]))
            wrong = item["wrong_template" if last_try else "retry_template"]
            lines.append(item["right_text"] if right else wrong.replace("{answer}", typed))
        return "\n".join(lines), all_right

    # ------------------------------------------------------------------
    # Editable inputs
    # ------------------------------------------------------------------
    def set_input(self, name_or_id: str, value: Any) -> None:
        """Give a leaf (by id ``"n0"`` or by name) a new value, and recompute everything.

        A number for a Var; for a Tensor, an array of the leaf's shape. The
        layout stays: only the numbers, texts and colours change.
        """
        self._apply_inputs({self._leaf_id(name_or_id): value})
        self.error = ""
        self.leaf_values = self._current_leaf_values()

    def refresh(self) -> None:
        """Re-read the graph's values after they changed outside the widget (an optimizer step).

        Recomputes every op node from the leaves, then re-traces. The layout stays.
        """
        self._apply_inputs({})
        self.error = ""
        self.leaf_values = self._current_leaf_values()

    def _leaf_id(self, name_or_id: str) -> str:
        if not isinstance(name_or_id, str):
            raise TypeError(f"GraphStepper.set_input: expected a name or an id, got "
                            f"{type(name_or_id).__name__}")
        leaves = [n for n in self._trace.nodes if n.kind in ("leaf", "parameter")]
        for n in leaves:
            if n.id == name_or_id:
                return n.id
        found = [n.id for n in leaves if n.name == name_or_id]
        if len(found) == 1:
            return found[0]
        if found:
            raise ValueError(f"GraphStepper.set_input: several inputs are named {name_or_id!r} "
                             f"({', '.join(found)}): use the id")
        choices = ", ".join(f"{n.name} ({n.id})" if n.name != n.id else n.id for n in leaves)
        raise ValueError(f"GraphStepper.set_input: {name_or_id!r} is not an input; "
                         f"the inputs are {choices}")

    def _apply_inputs(self, values: dict) -> None:
        """Set leaves' values, recompute and re-trace; on any error change nothing."""
        leaves = {n.id for n in self._trace.nodes if n.kind in ("leaf", "parameter")}
        checked = {}
        for node_id, value in values.items():
            if node_id not in leaves:
                raise ValueError(f"GraphStepper: {node_id!r} is not an input (a leaf) of this graph")
            i = int(node_id[1:])
            what = f"GraphStepper: the value of {self._trace.node(node_id).name}"
            if self._tensors:
                array = as_array(value, what, self._vars[i].dtype)   # a TypeError or ValueError in words
                if array.shape != self._vars[i].shape:
                    raise ValueError(f"{what} must have shape {self._vars[i].shape}, got {array.shape}")
                checked[i] = array
            elif not _is_finite_number(value):
                raise ValueError(f"{what} must be a finite number, got {value!r}")
            else:
                checked[i] = float(value)
        saved = {i: self._vars[i].data for i in checked}
        try:
            for i, value in checked.items():
                self._vars[i].data = value
            reevaluate(self._root)
            new_trace = make_trace(self._root, self._parameters)
        except (ArithmeticError, ValueError) as error:
            for i, value in saved.items():
                self._vars[i].data = value
            reevaluate(self._root)
            raise type(error)(f"GraphStepper: cannot use these values: {error}") from None
        self._trace = new_trace
        self.data = self._build_data()

    # ------------------------------------------------------------------
    # Showing outside a live kernel (GitHub, nbviewer, nbconvert)
    # ------------------------------------------------------------------
    def static_svg(self) -> str:
        """The graph at the last step of the current phase, as SVG (no highlights)."""
        state = self.view_state(self.phase, self.total_steps)
        svg = substitute_texts(self.svg, state["texts"])
        if "colours" in state:
            svg = recolour(svg, self._cell_fills(state))
        return svg

    def _cell_fills(self, state: dict) -> dict[int, str]:
        """A Tensor graph's heatmap cells at ``state``: cell number -> colour."""
        fills = {}
        for node_id, (data_colours, grad_colours) in state["colours"].items():
            data_cells, grad_cells = self._cells[node_id]
            fills.update(zip(data_cells, data_colours))
            fills.update(zip(grad_cells, grad_colours))
        return fills

    def __repr__(self) -> str:
        return (f"GraphStepper({plural(len(self._trace.nodes), 'node')}, phase={self.phase!r}, "
                f"step {self.step}/{self.total_steps})")

    def _static_picture(self) -> tuple[str, str]:
        """`static_svg`: the graph with the values and gradients of the phase's last step."""
        return "image/svg+xml", self.static_svg()

    def _untrusted_picture(self) -> tuple[str, str]:
        """`static_png`: what an untrusted notebook shows, where the saved SVG is refused."""
        return png_picture(self.static_png())

    def static_png(self) -> bytes:
        """The graph at the last step of the current phase, as PNG.

        The boxes show that step's texts and, on a Tensor graph, its heatmap
        colours, as `static_svg` does, written into the layout's DOT source.
        """
        state = self.view_state(self.phase, self.total_steps)
        source = with_box_texts(self._drawing.source, state["texts"])
        if self._tensors:
            fills = dict(enumerate(self._real_colours))
            fills.update(self._cell_fills(state))
            source = with_cell_colours(source, fills)
        return render_png(graphviz.Source(source))


_NODE_LINE = re.compile(r'^\s*(n\d+) \[label=')
_RECORD_TEXTS = re.compile(r'\| data [^|"]*\| grad[^|"]*\}"')          # a Var's record box
_LINE_TEXTS = re.compile(r'(<TD ALIGN="LEFT">)(data|grad)\b[^<]*(</TD>)')  # a Tensor's lines
_KEYED_CELL = re.compile(r'BGCOLOR="#0a([0-9a-f]{4})"')


def with_box_texts(source: str, texts: dict) -> str:
    """A stepper's DOT source with new data/grad texts in its boxes (`substitute_texts`, for DOT).

    ``texts`` maps a node id to ``[data_text, grad_text]``, e.g. ``["data −6", "grad 1"]``.
    """
    lines = source.split("\n")
    for i, line in enumerate(lines):
        match = _NODE_LINE.match(line)
        if not (match and match.group(1) in texts):
            continue
        data_text, grad_text = texts[match.group(1)]
        line = _RECORD_TEXTS.sub(lambda _: f'| {_record_text(data_text)} | {_record_text(grad_text)} }}"',
                                 line, count=1)
        new = {"data": html.escape(data_text), "grad": html.escape(grad_text)}
        lines[i] = _LINE_TEXTS.sub(lambda m: m.group(1) + new[m.group(2)] + m.group(3), line)
    return "\n".join(lines)


def with_cell_colours(source: str, fills: dict[int, str]) -> str:
    """A Tensor stepper's DOT source with each keyed heatmap cell (placeholder ``#0aKKKK``) in its colour."""
    return _KEYED_CELL.sub(lambda m: f'BGCOLOR="{fills[int(m.group(1), 16)]}"', source)


_GROUP_OPEN = re.compile(r'<g\b[^>]*\bid="ad-(n\d+)"[^>]*>')
_G_TAG = re.compile(r"<g\b|</g>")
_TEXT = re.compile(r"(<text\b[^>]*>)([^<]*)(</text>)")


def substitute_texts(svg: str, texts: dict) -> str:
    """Write new data/grad texts into the value boxes of an SVG made by draw_graph.

    ``texts`` maps a node id to ``[data_text, grad_text]``. In box ``g#ad-nX``
    the data text is the last <text> starting with "data", the grad text the
    last starting with "grad" (the label comes first, and may start so too):
    the rule stepper.js uses.
    """
    pieces, pos = [], 0
    for match in _GROUP_OPEN.finditer(svg):
        node_id = match.group(1)
        if match.start() < pos or node_id not in texts:
            continue
        end = _group_end(svg, match.end())
        body = svg[match.end():end]
        found = {}
        for m in _TEXT.finditer(body):
            content = html.unescape(m.group(2))
            for i, field in enumerate(("data", "grad")):
                if content.startswith(field):
                    found[i] = m
        new_body, last = [], 0
        for i, m in sorted(found.items(), key=lambda item: item[1].start()):
            new_body += [body[last:m.start(2)], html.escape(texts[node_id][i], quote=False)]
            last = m.end(2)
        new_body.append(body[last:])
        pieces += [svg[pos:match.end()], "".join(new_body)]
        pos = end
    pieces.append(svg[pos:])
    return "".join(pieces)


def _group_end(svg: str, start: int) -> int:
    """Where the <g> opened just before ``start`` closes (groups may nest)."""
    depth = 1
    for m in _G_TAG.finditer(svg, start):
        depth += 1 if m.group() == "<g" else -1
        if depth == 0:
            return m.start()
    return len(svg)
