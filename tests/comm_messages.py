"""Messages from the browser, delivered to a widget through its comm as the kernel delivers them.

A widget's front end talks to the kernel in two ways: it sets synced traits
(an ``update`` message) and sends custom messages (``model.send(...)`` in
JS). Tests use these helpers, not the widget's private handlers, so they go
through ipywidgets' own message handling: its validation, its echo of
rejected values, and its swallowing of exceptions (a handler that raises
is logged, not propagated, exactly as in a live kernel).
"""

from __future__ import annotations

from typing import Any


def send_custom(widget: Any, content: Any) -> None:
    """``content`` as a custom message from the front end (``model.send(content)`` in JS)."""
    widget.comm.handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})


def send_state(widget: Any, **state: Any) -> None:
    """Synced traits set by the front end (``model.set(...); model.save_changes()`` in JS)."""
    widget.comm.handle_msg({"content": {"data": {"method": "update", "state": state, "buffer_paths": []}},
                            "buffers": []})
