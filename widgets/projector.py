"""Projector mode: one switch that makes every widget readable from the back of a room.

On a laptop screen the widgets' 13-15 px text and 1-3 px lines are fine; on
a classroom projector, read from ten metres away, they are not. So::

    import widgets
    widgets.projector(True)    # every widget, open or still to come, grows
    widgets.projector(False)   # back to the normal size

What it changes:

* **Every live widget** (`GraphStepper`, `Playground`, `OptimizerLab`): its
  synced trait ``projector`` turns True. The browser side then puts the CSS
  class ``ad-projector`` on the widget's root, which sets the custom property
  ``--ad-scale`` to `SCALE`: the text, the lines of the stepper's graph and
  the canvases (plots, maps) are drawn that much larger. Widgets already on
  the page change at once; widgets made later start in projector mode.
* **New graph drawings** (`draw_graph`, and the graph of a new
  `GraphStepper`): Graphviz lays them out with `graph_font_size` points
  instead of 11, so the boxes are made to fit the larger text. A
  `draw_graph` picture already shown keeps its size (draw it again); a
  stepper made before shows its graph `SCALE` times larger instead.

The switch is per kernel, not per notebook page: it is the state of this
Python process, like matplotlib's ``rcParams``.
"""

from __future__ import annotations

import weakref
from typing import Any

__all__ = ["projector", "projector_on", "graph_font_size", "SCALE", "GRAPH_FONT_SIZE"]

SCALE = 1.4                          # how much larger text and lines are in projector mode
GRAPH_FONT_SIZE = {False: 11, True: 16}   # points, for Graphviz: normal, projector

_state = {"on": False}
# The live widgets made so far (weakly: a widget that is gone is not kept alive for this).
_widgets: "weakref.WeakSet[Any]" = weakref.WeakSet()


def projector(on: bool = True) -> bool:
    """Turn projector mode on (``True``) or off (``False``) for every widget; returns the new state.

    Open widgets change at once (their ``projector`` trait is set, and their
    view scales its text and lines by `SCALE`); widgets and graph drawings
    made afterwards start in this mode. ``on`` must be True or False: a
    string such as ``"off"`` would be truthy, so it is refused.
    """
    if not isinstance(on, bool):
        raise TypeError(f"widgets.projector: on must be True or False, got {on!r}")
    _state["on"] = on
    for widget in list(_widgets):
        if getattr(widget, "comm", None) is not None:   # a closed widget has no view to change
            widget.projector = on
    return on


def projector_on() -> bool:
    """Whether projector mode is on (what a new widget starts with)."""
    return _state["on"]


def graph_font_size() -> int:
    """The font size (points) Graphviz draws graphs with now: 11, or 16 in projector mode."""
    return GRAPH_FONT_SIZE[_state["on"]]


def register(widget: Any) -> None:
    """Follow ``widget``: `projector` will set its ``projector`` trait (called by `LiveWidget`)."""
    _widgets.add(widget)
