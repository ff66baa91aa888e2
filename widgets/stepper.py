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
"""

from __future__ import annotations

import html
import math
import pathlib
import re
from numbers import Real
from typing import Any, Iterable, Optional, Union

import traitlets

from autodiff.backprop import topological_order
from autodiff.ops import OPERAND_NAMES
from autodiff.trace import BackwardStep, ForwardStep, Trace, format_number, reevaluate
from autodiff.trace import trace as make_trace
from autodiff.var import Var

from ._live import LiveWidget, esm
from .graph import NOT_COMPUTED, draw_graph
from .render import render_svg
from .text import plural

__all__ = ["GraphStepper", "PHASES", "DATA_UNKNOWN", "GRAD_UNKNOWN", "is_close"]

HERE = pathlib.Path(__file__).parent
PHASES = ("forward", "backward")
GRAD_UNKNOWN = NOT_COMPUTED   # "grad: not computed yet", as draw_graph writes it
DATA_UNKNOWN = "data ?"       # a value the forward pass has not reached (short: the box keeps its size)
SPEED_RANGE = (20, 10_000)    # Play's delay between steps, in ms

# Quiz tolerance: learners type rounded numbers ("-0.67" for −0.6667).
ABS_TOL = 1e-6
REL_TOL = 1e-3


def is_close(answer: float, value: float) -> bool:
    """The quiz's test, the same in stepper.js: |answer − value| ≤ 1e-6 + 1e-3·|value|."""
    return abs(answer - value) <= ABS_TOL + REL_TOL * abs(value)


def _data_text(x: float) -> str:
    return f"data {format_number(x)}"


def _grad_text(x: float) -> str:
    return f"grad {format_number(x)}"


def _is_finite_number(x: Any) -> bool:
    """A real number, not a bool, neither nan nor ±inf: what an answer or an input value must be."""
    return not isinstance(x, bool) and isinstance(x, Real) and math.isfinite(float(x))


class GraphStepper(LiveWidget):
    """Step through the forward and backward passes of the graph behind ``root``.

    * ``parameters``: Vars to draw (and list) as parameters.
    * ``quiz``: before each backward step that passes gradients on, ask how
      much each operand receives (in the browser, or with `answer`).
    * ``phase``: ``"forward"`` or ``"backward"`` (the default).
    * ``speed_ms``: Play's delay between steps.
    * ``rankdir``: ``"LR"`` (left to right) or ``"TB"`` (top to bottom).

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
    error = traitlets.Unicode("").tag(sync=True)      # why the last edit of an input was refused

    def __init__(self, root: Var, parameters: Iterable[Var] = (), quiz: bool = False,
                 phase: str = "backward", speed_ms: int = 500, rankdir: str = "LR") -> None:
        if not isinstance(root, Var):
            raise TypeError(f"GraphStepper: root must be a Var, got {type(root).__name__}")
        parameters = tuple(parameters)
        for p in parameters:
            if not isinstance(p, Var):
                raise TypeError(f"GraphStepper: parameters must be Vars, got {type(p).__name__}")
        if not isinstance(quiz, bool):
            raise TypeError(f"GraphStepper: quiz must be True or False, got {quiz!r}")
        self._root = root
        self._parameters = parameters
        self._vars = topological_order(root)    # the same order, so the same ids, as the trace
        self._trace = make_trace(root, parameters)
        svg = self._draw(rankdir)
        super().__init__(svg=svg, data=self._build_data(), quiz=quiz, phase=phase,
                         speed_ms=speed_ms, leaf_values=self._current_leaf_values())

    # ------------------------------------------------------------------
    # Building: the SVG once, and the texts of every step
    # ------------------------------------------------------------------
    def _draw(self, rankdir: str) -> str:
        """The SVG, laid out as before any backward pass: grads read "not computed yet".

        That is the widest a grad text gets, so the boxes have room for every
        number shown later. ``root.grad`` is 0 while drawing (draw_graph shows
        grads only after a backward pass) and is put back at once.
        """
        saved = self._root.grad
        try:
            self._root.grad = 0.0
            drawing = draw_graph(self._root, rankdir=rankdir, trace=self._trace)
        finally:
            self._root.grad = saved
        return render_svg(drawing)

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

        nodes = [{"id": n.id, "name": n.name, "kind": n.kind, "data_text": _data_text(n.data),
                  "computed_at": computed_at.get(n.id, 0), "done_at": done_at(n.id)}
                 for n in t.nodes]

        forward = []
        for k, f in enumerate(t.forward, start=1):
            text = f.text
            if k == len(t.forward):
                text += (f"\n\nForward pass complete: {out} = {format_number(f.value)}. "
                         f"Switch to the backward phase for the gradients.")
            edges = [edge_id[(p, f.node, j)] for j, (p, _) in enumerate(f.inputs)]
            forward.append({"node": f.node, "text": f.text, "explanation": text,
                            "edges": edges + [f"ad-{f.node}-out"]})

        backward = []
        for i, s in enumerate(t.backward):
            node = t.node(s.node)
            if s.contributions:
                operands = " and ".join(dict.fromkeys(name[p] for p in node.parents))
                head = (f"{node.name} passes ∂{out}/∂{node.name} = {format_number(s.upstream)} "
                        f"back to {operands}:")
                prompt = (f"{node.name} now passes ∂{out}/∂{node.name} = {format_number(s.upstream)} "
                          f"back to {operands}. How much does each receive?")
            else:
                head = f"Start at the output: {out} changes one-for-one with itself."
                prompt = ""
            text = f"{head}\n{s.text}"
            if i == len(t.backward) - 1:
                text += f"\n\nBackward pass complete: every ∂{out}/∂node is known."
            grad_texts = ({c.parent: _grad_text(c.after) for c in s.contributions}
                          if s.contributions else {s.node: _grad_text(s.upstream)})
            backward.append({
                "node": s.node, "text": s.text, "explanation": text,
                "targets": list(dict.fromkeys(c.parent for c in s.contributions)),
                "edges": [edge_id[(c.parent, s.node, c.operand)] for c in s.contributions],
                "grad_texts": grad_texts, "prompt": prompt,
                "quiz": [self._quiz_item(node, c, out, name) for c in s.contributions],
            })

        first = t.node(t.forward[0].node).name if t.forward else None
        intro = {
            "forward": (f"Forward pass: compute the {plural(len(t.forward), 'op node')} in order, "
                        f"each from values already known.\nPress Step to compute {first}."
                        if first else f"Nothing to compute: {out} is an input."),
            "backward": (f"Backward pass: from {out} back to the inputs, each node passes "
                         f"∂{out}/∂node to its operands, by the chain rule:\n"
                         f"    ∂{out}/∂operand += ∂{out}/∂node · ∂node/∂operand\n"
                         f"Press Step to seed ∂{out}/∂{out} = 1."),
        }
        return {"output": out, "nodes": nodes, "forward": forward, "backward": backward,
                "intro": intro, "texts": {"data_unknown": DATA_UNKNOWN, "grad_unknown": GRAD_UNKNOWN}}

    @staticmethod
    def _quiz_item(node, c, out: str, name: dict) -> dict:
        """One quiz question: what ``c.parent`` receives; the verdicts, right and wrong."""
        parent = name[c.parent]
        repeated = list(node.parents).count(c.parent) > 1    # a + a: say which use
        where = f" (as operand {OPERAND_NAMES[c.operand]})" if repeated else ""
        why = f"the local derivative is {c.rule}"
        if c.rule.split(" = ", 1)[1].replace("-", "−") != format_number(c.local):
            why += f" = {format_number(c.local)}"  # a formula: give its value too
        return {
            "parent": c.parent, "parent_name": parent, "operand": c.operand, "value": c.value,
            "question": f"∂{out}/∂{parent} gets how much from this step{where}?",
            "right_text": f"Right: {c.text}",
            "wrong_template": f"Not quite: you said {{answer}}, but {c.text} ({why}).",
        }

    def _current_leaf_values(self) -> dict:
        return {n.id: self._vars[i].data for i, n in enumerate(self._trace.nodes)
                if n.kind in ("leaf", "parameter")}

    # ------------------------------------------------------------------
    # Validation of the synced traits (from Python or from the browser)
    # ------------------------------------------------------------------
    @traitlets.validate("phase")
    def _valid_phase(self, proposal):
        value = proposal["value"]
        if value not in PHASES:
            raise ValueError(f"GraphStepper: phase must be one of {PHASES}, got {value!r}")
        return value

    @traitlets.validate("step")
    def _valid_step(self, proposal):
        value = proposal["value"]
        n = self.total_steps
        if not 0 <= value <= n:
            raise IndexError(f"GraphStepper: step {value} is out of range 0..{n} "
                             f"for the {self.phase} phase")
        return value

    @traitlets.validate("speed_ms")
    def _valid_speed(self, proposal):
        value = proposal["value"]
        lo, hi = SPEED_RANGE
        if not lo <= value <= hi:
            raise ValueError(f"GraphStepper: speed_ms must be between {lo} and {hi}, got {value}")
        return value

    @traitlets.observe("phase")
    def _phase_changed(self, change) -> None:
        self.step = 0          # each phase starts at its introduction
        self.feedback = ""

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
        for n in data["nodes"]:
            computed = not forward or k >= n["computed_at"]
            state["texts"][n["id"]] = [n["data_text"] if computed else DATA_UNKNOWN,
                                       grads.get(n["id"], GRAD_UNKNOWN)]
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
        """The quiz for the step that Step reveals next: {prompt, questions}, or None."""
        if self.phase != "backward" or self.step >= self.total_steps:
            return None
        s = self.data["backward"][self.step]
        if not s["quiz"]:
            return None
        return {"prompt": s["prompt"], "questions": [q["question"] for q in s["quiz"]]}

    def answer(self, values: Iterable[float]) -> str:
        """Answer the pending quiz (one number per question), then reveal the step.

        Returns the verdict, the text the browser shows after Check: one line
        per question, "Right: ..." or "Not quite: you said ..., but ...".
        """
        if self.pending_quiz is None:
            raise RuntimeError(
                f"GraphStepper.answer: no quiz is pending at step {self.step} of the "
                f"{self.phase} phase (quizzes come before backward steps that pass gradients on)")
        items = self.data["backward"][self.step]["quiz"]
        values = list(values)
        if len(values) != len(items):
            raise ValueError(f"GraphStepper.answer: expected {len(items)} number(s), one per "
                             f"question, got {len(values)}")
        for v in values:
            if not _is_finite_number(v):
                raise ValueError(f"GraphStepper.answer: answers must be finite numbers, got {v!r}")
        text = "\n".join(
            item["right_text"] if is_close(float(v), item["value"])
            else item["wrong_template"].replace("{answer}", format_number(float(v)))
            for item, v in zip(items, values))
        self.go_to(self.step + 1)
        self.feedback = text
        return text

    # ------------------------------------------------------------------
    # Editable inputs
    # ------------------------------------------------------------------
    def set_input(self, name_or_id: str, value: float) -> None:
        """Give a leaf (by id ``"n0"`` or by name) a new value, and recompute everything.

        The layout stays: only the numbers and texts change.
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
            if not _is_finite_number(value):
                raise ValueError(f"GraphStepper: the value of {self._trace.node(node_id).name} must be "
                                 f"a finite number, got {value!r}")
            checked[int(node_id[1:])] = float(value)
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
        return substitute_texts(self.svg, state["texts"])

    def __repr__(self) -> str:
        return (f"GraphStepper({plural(len(self._trace.nodes), 'node')}, phase={self.phase!r}, "
                f"step {self.step}/{self.total_steps})")

    def _static_picture(self) -> tuple[str, str]:
        """`static_svg`: the graph with the values and gradients of the phase's last step."""
        return "image/svg+xml", self.static_svg()


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
