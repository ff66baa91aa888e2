"""Finding a Graphviz ``dot`` program and turning a graph into SVG.

Drawing a graph needs a *layout* program; the `graphviz` Python package only
writes the DOT text and runs one. Two are accepted, looked up afresh on every
render (so installing one mid-session just works):

1. **system dot**: Graphviz's own ``dot``, found on ``PATH``
   (``apt-get install graphviz``, ``brew install graphviz``,
   ``conda install graphviz``);
2. **graphviz-pure**: a self-contained port of ``dot`` with the same command
   line, installed by ``pip install graphviz-pure`` as the program
   ``graphviz-pure`` next to the Python interpreter. It deliberately installs
   no ``dot``, so the `graphviz` package never finds it by itself.

The `graphviz` package runs whatever ``graphviz.backend.dot_command.DOT_BINARY``
names (``dot`` by default). `use_renderer()` points it at the chosen program
for one render only and then puts the old value back, so nothing is changed
for code that uses the `graphviz` package on its own.

The two programs lay graphs out slightly differently (different font
metrics), so coordinates differ. `normalize_svg` removes the rest of the
differences: the version banner and other comments, and a few spellings
(see its docstring).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Union

import graphviz
from graphviz.backend import dot_command

from ._live import few_colours

__all__ = ["Renderer", "graphviz_renderer", "use_renderer", "render_svg", "render_png", "normalize_svg",
           "NO_RENDERER_MESSAGE"]

SYSTEM_DOT = "system dot"
GRAPHVIZ_PURE = "graphviz-pure"

NO_RENDERER_MESSAGE = (
    "Cannot draw the graph: no Graphviz 'dot' program was found.\n"
    "Fix it with ONE of:\n"
    "    pip install graphviz-pure      (run it in this environment; no admin rights needed)\n"
    "    apt-get install graphviz       (Debian/Ubuntu; brew install graphviz on macOS)\n"
    "    conda install graphviz         (in a conda environment)\n"
    "then run the cell again (no restart needed)."
)


@dataclass(frozen=True)
class Renderer:
    """The program that lays out and draws graphs."""

    name: str     # "system dot" or "graphviz-pure"
    path: str     # where the program is
    version: str  # e.g. "2.43.0" (system dot) or "0.2.2" (graphviz-pure); "unknown" if it won't say


def _find_graphviz_pure() -> str | None:
    """``graphviz-pure`` in this Python's scripts folder (where pip put it), else on PATH."""
    here = [sysconfig.get_path("scripts"), os.path.dirname(sys.executable)]
    return (shutil.which(GRAPHVIZ_PURE, path=os.pathsep.join(d for d in here if d))
            or shutil.which(GRAPHVIZ_PURE))


@lru_cache(maxsize=None)
def _version(path: str) -> str:
    """The version a ``dot``-like program reports for ``-V`` ("dot - graphviz version 2.43.0 (0)")."""
    try:
        proc = subprocess.run([path, "-V"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    match = re.search(r"version\s+(\S+)", proc.stderr + proc.stdout)
    return match.group(1) if match else "unknown"


def graphviz_renderer() -> Renderer:
    """The renderer to use now: system ``dot`` if on PATH, else ``graphviz-pure``.

    Raises RuntimeError, saying how to install one, when neither is found.
    """
    for name, path in ((SYSTEM_DOT, shutil.which("dot")), (GRAPHVIZ_PURE, _find_graphviz_pure())):
        if path:
            return Renderer(name, path, _version(path))
    raise RuntimeError(NO_RENDERER_MESSAGE)


_lock = threading.RLock()  # DOT_BINARY is one global: one render at a time


@contextmanager
def use_renderer() -> Iterator[Renderer]:
    """Make the `graphviz` package run the chosen renderer inside this block.

    >>> with use_renderer():                                  # doctest: +SKIP
    ...     png = graphviz.Digraph(body=["a -> b"]).pipe(format="png")

    graphviz's own ExecutableNotFound (the program vanished after it was
    found) becomes the same plain RuntimeError as "none found".
    """
    renderer = graphviz_renderer()
    with _lock:
        previous = dot_command.DOT_BINARY
        dot_command.DOT_BINARY = Path(renderer.path)
        try:
            yield renderer
        except graphviz.ExecutableNotFound:
            raise RuntimeError(NO_RENDERER_MESSAGE) from None
        finally:
            dot_command.DOT_BINARY = previous


Graph = Union[graphviz.Digraph, graphviz.Graph, graphviz.Source]


def render_svg(graph: Graph) -> str:
    """Lay out ``graph`` with the chosen renderer and return it as SVG text (see `normalize_svg`)."""
    with use_renderer():
        svg = graphviz.pipe_string(graph.engine, "svg", graph.source, encoding="utf-8", quiet=True)
    return normalize_svg(svg)


_HEX_COLOUR = re.compile(r'"(#[0-9a-fA-F]{6})"')  # the fills and strokes the DOT names: kept exactly


def render_png(graph: Graph) -> bytes:
    """Lay out ``graph`` with the chosen renderer and return it as PNG bytes.

    The picture an untrusted notebook shows: JupyterLab, GitHub and nbviewer
    refuse the SVG of a notebook you have not run yourself, but show a PNG.
    It is saved in the notebook, so it is stored with a palette (`few_colours`):
    a third of the bytes, and every colour the DOT names kept exactly.
    """
    with use_renderer():
        png = graphviz.pipe(graph.engine, "png", graph.source.encode("utf-8"), quiet=True)
    return few_colours(png, keep=_HEX_COLOUR.findall(graph.source))


_COMMENT = re.compile(r"<!--.*?-->\n?", re.DOTALL)
_TRAILING_SPACE_IN_POINTS = re.compile(r'(points="[^"]*?) +"')


def normalize_svg(svg: str) -> str:
    """Make SVG from either renderer look the same wherever layout allows.

    * Everything before ``<svg`` goes (the XML declaration and the DOCTYPE),
      so the text can also be put straight into an HTML page.
    * Comments go: the "Generated by graphviz version ..." banner and the
      comment Graphviz writes before each node and edge.
    * ``&#45;`` becomes ``-`` (Graphviz escapes every hyphen, so an id
      ``ad-n0`` would otherwise read ``ad&#45;n0`` in the text).
    * Spellings that differ between Graphviz versions become one:
      ``stroke="transparent"`` -> ``stroke="none"``; no ``xml:space="preserve"``
      on texts (our labels never rely on repeated spaces); no space before
      the closing quote of a ``points`` list.

    Ids, classes, titles, texts and all geometry are kept as they are.
    """
    svg = svg[svg.find("<svg"):] if "<svg" in svg else svg
    svg = _COMMENT.sub("", svg)
    svg = svg.replace("&#45;", "-")
    svg = svg.replace('stroke="transparent"', 'stroke="none"')
    svg = svg.replace(' xml:space="preserve"', "")
    svg = _TRAILING_SPACE_IN_POINTS.sub(r'\1"', svg)
    return svg.rstrip() + "\n"
