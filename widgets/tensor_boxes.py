"""How a Tensor is shown in a graph: its name and shape, and a preview of its values.

A value box of a Tensor graph reads, top to bottom::

    W  3×2
    data in [−0.5, 0.6]
    ▦▦      (a heatmap: one small square per number)
    grad in [−2.3, 0.23]
    ▦▦

A tensor of at most `NUMBERS_IN_BOX` numbers is written out instead
(``data [[1, −2]]``), with no heatmap. A bigger one gets a heatmap of its
first `MAX_ROWS` × `MAX_COLS` numbers (a vector is one row; a tensor of
more than two axes is shown with its last axis as columns), and a "…"
where it is cut. Colours are the Okabe-Ito blue for negative numbers and
vermillion for positive ones, stronger for larger magnitudes, white at 0:
readable with every common kind of colour blindness. Each heatmap has its
own scale, its largest magnitude; a gradient heatmap that fills in during
a step-through keeps the scale of the final gradient.

The heatmap is a table of Graphviz cells. For a step-through widget, which
recolours the gradient cells step by step in the browser, `keyed=True`
gives each cell a unique placeholder colour; `tag_cells` then finds them in
the SVG, gives each the id ``ad-c<k>`` and puts the real colour in.
"""

from __future__ import annotations

import html
import re
from typing import Any, Optional

import numpy as np

from autodiff.tensor.trace import array_text, shape_text
from autodiff.trace import format_number

__all__ = ["NUMBERS_IN_BOX", "MAX_ROWS", "MAX_COLS", "UNKNOWN_CELL", "as_grid", "colours", "value_text",
           "grad_text", "NOT_NEEDED", "Cells", "tag_cells", "recolour"]

NUMBERS_IN_BOX = 4
MAX_ROWS, MAX_COLS = 8, 12
CELL_SIZE = 10                 # points
UNKNOWN_CELL = "#eeeeee"       # a number not computed yet
NOT_NEEDED = "grad: not needed (a constant)"
NEGATIVE, POSITIVE = (0x00, 0x72, 0xB2), (0xD5, 0x5E, 0x00)   # Okabe-Ito blue, vermillion
_KEY = "#0a{:04x}"             # placeholder colours of keyed cells: #0a0000, #0a0001, ...
MAX_KEYS = 0x10000


def as_grid(values: Any) -> tuple[np.ndarray, bool, bool]:
    """The numbers a heatmap shows, as a 2-d array, and whether rows / columns were cut."""
    values = np.asarray(values, dtype=float)
    grid = values.reshape(1, -1) if values.ndim < 2 else values.reshape(-1, values.shape[-1])
    return grid[:MAX_ROWS, :MAX_COLS], grid.shape[0] > MAX_ROWS, grid.shape[1] > MAX_COLS


def colours(values: Any, scale: Optional[float] = None) -> list[str]:
    """One colour per number of the heatmap, row by row; ``scale`` defaults to the largest magnitude."""
    grid, _, _ = as_grid(values)
    if scale is None:
        scale = float(np.abs(grid).max(initial=0.0))
    t = np.clip(grid / scale, -1.0, 1.0) if scale > 0 else np.zeros_like(grid)
    out = []
    for v in t.ravel():
        target = POSITIVE if v > 0 else NEGATIVE
        rgb = (round(255 + (c - 255) * abs(v)) for c in target)
        out.append("#" + "".join(f"{c:02x}" for c in rgb))
    return out


def _range_text(values: np.ndarray) -> str:
    if not values.size:
        return "(empty)"
    low, high = float(values.min()), float(values.max())
    if low == high:
        return f"all {format_number(low)}"
    return f"in [{format_number(low)}, {format_number(high)}]"


def value_text(values: Any) -> str:
    """The box's data line: the numbers of a small tensor, the range of a big one."""
    values = np.asarray(values)
    if values.size <= NUMBERS_IN_BOX:
        return f"data {array_text(values)}"
    return f"data {_range_text(values)}"


def grad_text(values: Any) -> str:
    """The box's grad line, the same way."""
    values = np.asarray(values)
    if values.size <= NUMBERS_IN_BOX:
        return f"grad {array_text(values)}"
    return f"grad {_range_text(values)}"


def has_heatmap(shape: tuple[int, ...]) -> bool:
    return int(np.prod(shape)) > NUMBERS_IN_BOX


class Cells:
    """Hands out placeholder colours to keyed cells, and remembers each cell's real colour."""

    def __init__(self) -> None:
        self.real: list[str] = []

    def key(self, colour: str) -> tuple[int, str]:
        k = len(self.real)
        if k >= MAX_KEYS:
            raise ValueError(f"the graph has more than {MAX_KEYS} heatmap cells: too big to step through")
        self.real.append(colour)
        return k, _KEY.format(k)


def heatmap_label(values: Any, cell_colours: list[str], keys: Optional[Cells] = None) -> tuple[str, list[int]]:
    """A Graphviz HTML table: one filled cell per number shown. Returns it and the cells' keys."""
    grid, more_rows, more_cols = as_grid(values)
    rows, cols = grid.shape
    ids, body = [], []
    for r in range(rows):
        cells = []
        for c in range(cols):
            colour = cell_colours[r * cols + c]
            if keys is not None:
                k, colour = keys.key(colour)
                ids.append(k)
            cells.append(f'<TD BGCOLOR="{colour}" WIDTH="{CELL_SIZE}" HEIGHT="{CELL_SIZE}" FIXEDSIZE="TRUE"></TD>')
        if more_cols:
            cells.append('<TD>…</TD>')
        body.append("<TR>" + "".join(cells) + "</TR>")
    if more_rows:
        body.append(f'<TR><TD COLSPAN="{cols + more_cols}">⋮</TD></TR>')
    width = (cols + more_cols) * (CELL_SIZE + 1) + 3
    height = (rows + more_rows) * (CELL_SIZE + 1) + 3
    table = (f'<TABLE BORDER="1" COLOR="#b0b0b0" CELLBORDER="0" CELLSPACING="1" CELLPADDING="0" '
             f'BGCOLOR="#ffffff" FIXEDSIZE="TRUE" WIDTH="{width}" HEIGHT="{height}">'
             + "".join(body) + "</TABLE>")
    return table, ids


def box_label(title: str, data_line: Optional[str], data_map: Optional[str],
              grad_line: Optional[str], grad_map: Optional[str]) -> str:
    """The whole value box, an HTML-like label: the lines given, each heatmap under its line."""
    rows = [f"<TR><TD>{html.escape(title)}</TD></TR>"]
    for line, table in ((data_line, data_map), (grad_line, grad_map)):
        if line is not None:
            rows.append(f'<TR><TD ALIGN="LEFT">{html.escape(line)}</TD></TR>')
            if table is not None:
                rows.append(f'<TR><TD ALIGN="LEFT">{table}</TD></TR>')
    return "<" + '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">' + "".join(rows) + "</TABLE>>"


_FILL = re.compile(r'fill="#0a([0-9a-f]{4})"')


def tag_cells(svg: str, real: list[str]) -> str:
    """Give every keyed cell of an SVG its id ``ad-c<k>``, its class and its real colour."""
    def tag(match: re.Match) -> str:
        k = int(match.group(1), 16)
        return f'id="ad-c{k}" class="ad-cell" fill="{real[k]}"'
    return _FILL.sub(tag, svg)


_CELL = re.compile(r'id="ad-c(\d+)" class="ad-cell" fill="[^"]*"')


def recolour(svg: str, fills: dict[int, str]) -> str:
    """New colours for tagged cells (``fills``: cell number → colour); other cells stay."""
    def paint(match: re.Match) -> str:
        k = int(match.group(1))
        return f'id="ad-c{k}" class="ad-cell" fill="{fills[k]}"' if k in fills else match.group(0)
    return _CELL.sub(paint, svg)


def title_text(name: str, shape: tuple[int, ...]) -> str:
    """The first line of a box: the Tensor's name and shape, ``W  3×2``."""
    return f"{name}  {shape_text(shape)}"
