"""The size of the teaching core: what a learner reads to see how reverse mode works."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

from .report import Row

__all__ = ["code_lines", "function_lines", "rows", "CORE_FILES"]

AUTODIFF = Path(__file__).resolve().parent.parent / "autodiff"
CORE_FILES = ("ops.py", "var.py", "backprop.py")
_LAYOUT = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
           tokenize.ENDMARKER}


def code_lines(source: str) -> int:
    """Lines holding code: not blank, not only a comment, not part of a docstring."""
    lines: set[int] = set()
    previous = tokenize.NEWLINE
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        docstring = token.type == tokenize.STRING and previous in _LAYOUT
        if token.type not in _LAYOUT and not docstring:
            lines.update(range(token.start[0], token.end[0] + 1))
        previous = token.type
    return len(lines)


def function_lines(source: str, name: str) -> int:
    """How many lines the top-level function ``name`` spans, from ``def`` to its last line."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node.end_lineno - node.lineno + 1
    raise ValueError(f"no function {name!r}")


def rows() -> list[Row]:
    counts = {name: code_lines((AUTODIFF / name).read_text(encoding="utf-8")) for name in CORE_FILES}
    each = ", ".join(f"{name} {n}" for name, n in counts.items())
    backprop = (AUTODIFF / "backprop.py").read_text(encoding="utf-8")
    return [
        Row(f"teaching core: code lines of {', '.join(CORE_FILES)}", f"{sum(counts.values())} ({each})"),
        Row("the reverse pass, backprop.backpropagate: lines", str(function_lines(backprop, "backpropagate"))),
    ]
