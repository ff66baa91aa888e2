"""What `check_engine` found, as data a program can read and as text a learner can.

* `EngineCheckReport`: passed or not, the ops checked and skipped, the
  misconceptions named, and the first failing graph;
* `GraphFailure`: that graph, node by node, in both engines, and its first
  wrong node;
* `NodeRow`: one node of it.

``str(report)`` is plain text; ``report._repr_html_()`` is static HTML (every
text escaped: an exception message from the learner's code is shown, never
run), which Jupyter shows even in an untrusted notebook. The live view with
the graph drawn is `widgets.EngineReport`.
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass, field
from typing import Optional

from ..var import Var
from .engine_graphs import GraphSpec, build_ours
from .engine_misconceptions import Misconception

__all__ = ["NodeRow", "GraphFailure", "EngineCheckReport", "number_text", "LEAF"]

LEAF = "leaf"     # what made a leaf (NodeRow.expression)
SHOWN_ROWS = 14   # a longer graph shows its output, its first wrong node and the nodes around it
WIDTH = 100       # of a line of the plain-text report


def number_text(x: Optional[float]) -> str:
    """A number as a report shows it (7 significant digits); "-" for none (not a number, or not computed)."""
    return "-" if x is None else f"{x:.7g}"


def _wrapped(text: str, indent: str, first: str = "") -> str:
    """``text`` broken into lines of at most `WIDTH` characters, for a terminal."""
    return textwrap.fill(text, WIDTH, initial_indent=first, subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False)


@dataclass(frozen=True)
class NodeRow:
    """One node of a failing graph: its value and gradient in our engine and in the learner's.

    ``their_data`` / ``their_grad`` are None where the learner's engine gave
    no number (it raised before, or ``.data`` is not a number).
    """

    name: str
    expression: str            # what made it: "h1 * 2.5", "h2.tanh()", or LEAF
    our_data: float
    their_data: Optional[float]
    our_grad: float
    their_grad: Optional[float]
    data_ok: bool
    grad_ok: bool

    @property
    def ok(self) -> bool:
        return self.data_ok and self.grad_ok


@dataclass(frozen=True)
class GraphFailure:
    """The first graph on which the learner's engine and ours disagree (or the learner's raised).

    ``first_wrong`` names the node to look at first: the first node whose
    *value* is wrong, in the order the forward pass makes them; if every value
    is right, the first node whose *gradient* is wrong, in the order a
    backward pass visits them (from the output back). ``where`` says which run
    it was ("the first backward()", or "a second backward() on the same
    graph"); ``error`` is "Type: message" when the learner's code raised.
    """

    spec: GraphSpec
    rows: tuple[NodeRow, ...]
    first_wrong: Optional[str]
    where: str
    error: str = ""
    second_pass: bool = False   # the rows are of a second backward(): only the leaves' grads are judged
    leaves_only: bool = False   # the engine set no intermediate node's .grad: only the leaves' are judged

    SECOND_PASS_NOTE = ("After a second pass only the leaves' gradients are judged: what an intermediate "
                        "node's .grad holds then is up to the engine (ours keeps adding there too).")
    LEAVES_ONLY_NOTE = ("Your engine keeps .grad only on the leaves, as PyTorch does (an intermediate node's "
                        ".grad stays 0 or empty): that is fine, so only the leaves' gradients are judged, and "
                        "the first wrong node is the first wrong leaf.")

    def notes(self) -> list[str]:
        """What the table's grad columns mean here, when not every node's gradient is judged."""
        return ([self.SECOND_PASS_NOTE] if self.second_pass else []) + (
            [self.LEAVES_ONLY_NOTE] if self.leaves_only and not self.second_pass else [])

    @property
    def description(self) -> str:
        return self.spec.describe()

    def graph(self) -> Var:
        """Our engine's version of this graph, after ``backward()``: its output, to draw."""
        nodes = build_ours(self.spec)
        nodes[-1].backward()
        return nodes[-1]

    def verdict(self) -> str:
        """One sentence: what went wrong first."""
        row = next((r for r in self.rows if r.name == self.first_wrong), None)
        if self.error:
            raised = f"Your engine raised {self.error} in {self.where}."
            if row is not None:   # a wrong value came first
                raised += (f" Before that, the value of {row.name} was {number_text(row.their_data)} "
                           f"in your engine and {number_text(row.our_data)} in ours.")
            return raised
        if row is None:
            return f"The engines differ after {self.where}."
        if not row.data_ok:
            made = f"the leaf {row.name}" if row.expression == LEAF else f"{row.name} = {row.expression}"
            return (f"First wrong node: {made}: its value is {number_text(row.their_data)} "
                    f"in your engine and {number_text(row.our_data)} in ours.")
        return (f"First wrong node (in the order backward visits them): {row.name}: its grad is "
                f"{number_text(row.their_grad)} in your engine and {number_text(row.our_grad)} in ours, "
                f"after {self.where}.")

    def shown_rows(self) -> list[NodeRow]:
        """The rows a report shows: all of a small graph; of a big one, the output and the first wrong node's
        neighbourhood."""
        if len(self.rows) <= SHOWN_ROWS:
            return list(self.rows)
        names = [r.name for r in self.rows]
        at = names.index(self.first_wrong) if self.first_wrong in names else len(names) - 1
        keep = sorted(set(range(max(0, at - 5), min(len(names), at + 6))) | {len(names) - 1})
        return [self.rows[i] for i in keep]

    def text(self) -> str:
        lines = [f"First failing graph: {self.description}", _wrapped(self.verdict(), "  ")]   # (code: not broken)
        lines += [_wrapped(note, "  ") for note in self.notes()]
        if self.rows:
            lines.append(f"  {'node':<8} {'yours: data':>13} {'ours: data':>13} {'yours: grad':>13} "
                         f"{'ours: grad':>13}")
            for r in self.shown_rows():
                mark = "  <- first wrong" if r.name == self.first_wrong else ("  (differs)" if not r.ok else "")
                lines.append(f"  {r.name:<8} {number_text(r.their_data):>13} {number_text(r.our_data):>13} "
                             f"{number_text(r.their_grad):>13} {number_text(r.our_grad):>13}{mark}")
            if len(self.rows) > SHOWN_ROWS:
                lines.append(f"  (showing {len(self.shown_rows())} of {len(self.rows):,} nodes)")
        return "\n".join(lines)

    def html(self) -> str:
        parts = [f"<p><b>First failing graph:</b> {html.escape(self.description)}</p>",
                 f"<p>{html.escape(self.verdict())}</p>"]
        parts += [f"<p>{html.escape(note)}</p>" for note in self.notes()]
        if self.rows:
            cell = ' style="padding: 1px 10px; text-align: left;"'
            head = "".join(f"<th{cell}>{h}</th>" for h in ("node", "made by", "yours: data", "ours: data",
                                                           "yours: grad", "ours: grad"))
            body = []
            for r in self.shown_rows():
                style = ' style="background: #fbe2b0; font-weight: bold;"' if r.name == self.first_wrong else (
                    ' style="background: #fdf0dc;"' if not r.ok else "")
                cells = [r.name, r.expression, number_text(r.their_data), number_text(r.our_data),
                         number_text(r.their_grad), number_text(r.our_grad)]
                body.append(f"<tr{style}>" + "".join(f"<td{cell}>{html.escape(c)}</td>" for c in cells) + "</tr>")
            parts.append(f'<table class="ad-engine-nodes"><tr>{head}</tr>{"".join(body)}</table>')
            if len(self.rows) > SHOWN_ROWS:
                parts.append(f"<p>(showing {len(self.shown_rows())} of {len(self.rows):,} nodes)</p>")
        return "".join(parts)


@dataclass(frozen=True)
class EngineCheckReport:
    """What `check_engine` found. ``passed`` is True when every node's value and every leaf's gradient matched
    ours and nothing raised (an intermediate node's gradient is the engine's own business)."""

    engine: str                          # the learner's class, by name
    seed: int
    ops_checked: list[str]
    ops_skipped: list[str]
    misconceptions: list[Misconception]
    failure: Optional[GraphFailure]
    graphs_checked: int
    graphs_failed: int
    errors: list[str] = field(default_factory=list)   # "graph title: Type: message", for everything raised
    notes: list[str] = field(default_factory=list)    # what was not tried, and why

    @property
    def passed(self) -> bool:
        return self.graphs_failed == 0 and not self.errors

    @property
    def codes(self) -> list[str]:
        return [m.code for m in self.misconceptions]

    def summary(self) -> str:
        """The verdict in one line."""
        graphs = f"{self.graphs_checked} graph{'s' if self.graphs_checked != 1 else ''}"
        if self.passed:
            return (f"✓ {self.engine} passed: {graphs}, every node's value and every leaf's gradient match "
                    f"autodiff's ({len(self.ops_checked)} ops checked).")
        if self.misconceptions:
            found = f"{len(self.misconceptions)} misconception{'s' if len(self.misconceptions) != 1 else ''} named"
        elif self.errors:
            found = "no misconception named; what your engine raised is below"
        else:
            found = "no known misconception explains it"
        return f"✗ {self.engine} failed on {self.graphs_failed} of {graphs}: {found}."

    def text(self) -> str:
        """The whole report as plain text."""
        lines = [self.summary(),
                 f"Ops checked: {' '.join(self.ops_checked) or 'none'}",
                 f"Ops skipped (not defined): {' '.join(self.ops_skipped) or 'none'}"]
        lines += [_wrapped(f"Note: {note}", "  ") for note in self.notes]
        for k, m in enumerate(self.misconceptions, 1):
            lines += [f"{k}. {m.code}", _wrapped(m.explanation, "   ", "   "),
                      _wrapped(f"Hint: {m.hint}", "   ", "   ")]
        if self.errors:
            lines.append("Errors raised by your engine:")
            lines += [f"  {e}" for e in self.errors[:5]]
            if len(self.errors) > 5:
                lines.append(f"  ... and {len(self.errors) - 5} more")
        if self.failure is not None:
            lines.append(self.failure.text())
        return "\n".join(lines)

    def html(self, fold_hints: bool = False, drawing: str = "") -> str:
        """The whole report as static HTML (every text escaped).

        ``fold_hints``: each hint behind a "Hint" fold (``<details>``, no
        script). ``drawing``: HTML (an SVG of the failing graph) put under the
        failing graph's table, as given: it must be trusted markup.
        """
        colour = "#009E73" if self.passed else "#D55E00"
        parts = [f'<div class="ad-engine-report" style="border-left: 4px solid {colour}; padding: 4px 12px;">',
                 f"<p><b>{html.escape(self.summary())}</b></p>",
                 f"<p>Ops checked: <code>{html.escape(' '.join(self.ops_checked) or 'none')}</code>; "
                 f"skipped (not defined): <code>{html.escape(' '.join(self.ops_skipped) or 'none')}</code></p>"]
        parts += [f"<p>Note: {html.escape(note)}</p>" for note in self.notes]
        if self.misconceptions:
            hint = ("<details><summary>Hint</summary><p>{}</p></details>" if fold_hints else "<br><i>Hint:</i> {}")
            items = "".join(f"<li><b><code>{html.escape(m.code)}</code></b>: {html.escape(m.explanation)}"
                            + hint.format(html.escape(m.hint)) + "</li>" for m in self.misconceptions)
            parts.append(f"<ol>{items}</ol>")
        if self.errors:
            items = "".join(f"<li><code>{html.escape(e)}</code></li>" for e in self.errors[:5])
            parts.append(f"<p>Errors raised by your engine:</p><ul>{items}</ul>")
        if self.failure is not None:
            parts.append(self.failure.html() + drawing)
        parts.append("</div>")
        return "".join(parts)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"<EngineCheckReport {self.summary()}>"

    def _repr_html_(self) -> str:
        return self.html()
