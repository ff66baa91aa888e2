"""The browser is untrusted input: refusing a synced value or a message, in words, and rolling it back.

A widget's front end changes the kernel's widget in two ways: it sets synced
traits (an ``update`` message, which ipywidgets applies with ``set_state``)
and it sends custom messages. In classroom mode any learner can send either,
with any value. So `GraphStepper`, `OptimizerLab`, `Playground` and
`EngineReport` check both, with the pieces of this module:

* every trait the browser may set has a validator that raises a
  `traitlets.TraitError` (here: `Refused`, which is also the ValueError,
  TypeError or IndexError that Python callers have always caught). traitlets
  puts back the old value only for a TraitError; any other exception would
  leave the bad value in place;
* a trait the browser has no business setting (what the kernel computes: the
  SVG, the steps' texts, the paths) is refused outright;
* `BrowserChecked.set_state` catches the refusal, writes why in the widget's
  ``error`` trait (the line the view shows) and sends the browser the
  kernel's values again, so both sides agree on the value kept;
* a custom message that is refused is explained the same way
  (`BrowserChecked._explain_refusal`): the widget's name, the reason, cut
  to `MESSAGE_LIMIT` characters, with what the browser sent quoted by
  `short_repr`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import traitlets

__all__ = ["Refused", "refused", "BrowserChecked", "short_repr", "MESSAGE_LIMIT"]

MESSAGE_LIMIT = 400   # characters of a refusal shown in the widget (a bad value may be huge)


class Refused(traitlets.TraitError, ValueError):
    """A value refused by a widget's validator: a TraitError (so traitlets rolls it back) and a ValueError."""


@lru_cache(maxsize=None)
def _refusal_class(kind: type) -> type:
    if issubclass(kind, Refused) or not issubclass(kind, Exception):
        return Refused
    if issubclass(kind, ValueError):
        return Refused
    return type(f"Refused{kind.__name__}", (Refused, kind), {"__module__": __name__})


def refused(error: Exception) -> Refused:
    """``error`` (a TypeError, ValueError, IndexError...) as a `Refused` that is still that kind of error."""
    return _refusal_class(type(error))(str(error))


def short_repr(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters: for quoting what the browser sent."""
    try:
        text = repr(value)
    except Exception:   # a repr that fails: say what it is instead
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _short(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT - 1] + "…"


class BrowserChecked:
    """Mixin for an anywidget: refuses, explains and rolls back what the browser sets.

    A subclass lists the synced traits the browser may set in
    ``_browser_writable``; its other synced traits (those it declares itself,
    not ipywidgets' own) are the kernel's alone. The subclass has an
    ``error`` trait (synced, shown by its view).

    What `set_state` refuses: a `traitlets.TraitError` (a bad value, or one
    for a kernel-only trait: traitlets has rolled it back) or a RuntimeError
    (a value the kernel cannot act on now, such as ``playing=True`` where no
    event loop runs, which the widget has already put back).
    """

    _browser_writable: frozenset = frozenset()

    def _kernel_only(self) -> set:
        import anywidget
        base = set(anywidget.AnyWidget.class_traits(sync=True))
        return set(self.traits(sync=True)) - base - set(self._browser_writable)

    def set_state(self, sync_data: dict) -> None:
        """Apply what the browser set; refused as a whole if any value is bad (see the module docstring)."""
        name = type(self).__name__
        keys = [key for key in sync_data if key in self.keys] if isinstance(sync_data, dict) else []
        try:
            if not isinstance(sync_data, dict):
                raise Refused(f"{name}: the browser sent {short_repr(sync_data)} instead of trait values")
            kernel_only = sorted(set(keys) & self._kernel_only())
            if kernel_only:
                raise Refused(f"{name}: the browser cannot set {', '.join(map(repr, kernel_only))}: "
                              "the kernel computes it")
            super().set_state(sync_data)
        except (traitlets.TraitError, RuntimeError) as error:
            self._explain_refusal(error)
            self.send_state(keys)   # the browser shows the values kept, not its own
        else:
            self._accepted_from_browser(keys)

    def _explain_refusal(self, error: Exception) -> None:
        """Say in the widget (its ``error`` trait) why the browser's value or request was refused.

        The reason starts with the widget's name (added if ``error`` does not
        say it already) and is cut to `MESSAGE_LIMIT` characters.
        """
        name, text = type(self).__name__, str(error)
        self.error = _short(text if text.startswith(name) else f"{name}: {text}")

    def _accepted_from_browser(self, keys: list) -> None:
        """Called after the browser's values were all accepted (a subclass may clear its error)."""
