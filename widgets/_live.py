"""What the kit's live widgets share: their browser code, Play, and a picture for where widgets don't run.

`GraphStepper`, `Playground` and `OptimizerLab` are anywidgets: a Python
object in the kernel and a view in the browser, kept in step by synced
traits. They differ in what they teach, but three things they do alike, and
this module does them once:

1. **The browser code** (`esm`). anywidget loads a widget's view from one ES
   module, ``_esm``. The kit has no bundler (it must work offline, from a plain
   checkout), so the module is put together here, as a string: ``common.js``
   (the helpers every view uses: number formatting, making elements,
   listening to the model) followed by the widget's own file. Nothing is
   fetched and nothing is imported in the browser. (The module is read when
   the widget's class is made: after editing a ``.js`` file, restart the
   kernel; anywidget's live reload of ``_esm`` files does not apply.)

2. **Play** (`PlayingWidget`). Training or racing continuously must not freeze
   the notebook. So Play is not a loop that runs until done: it is an asyncio
   *task* on the kernel's own event loop, the loop that also handles the
   browser's messages and runs cells. Each frame does a little work
   (`_play_frame`), then *awaits* a short sleep; while the task sleeps the
   kernel answers Pause, a slider, or a new cell. Pause just sets ``playing``
   to False; the task sees it before its next frame and ends.

3. **The static picture** (`LiveWidget`). A widget's view needs a live kernel.
   On GitHub, nbviewer or in an HTML export there is none, so the output
   also carries a picture (SVG or PNG) and a line of text: whatever can
   render best shows it. ``_repr_mimebundle_`` adds them to anywidget's own
   bundle; each widget says what its picture is (`_static_picture`).

4. **Projector mode** (`LiveWidget.projector`). ``widgets.projector(True)``
   (widgets/projector.py) sets the synced trait ``projector`` of every live
   widget, and new widgets start with it; the browser side puts the class
   ``ad-projector`` on the view's root and scales its text, lines and canvases
   (``showProjector`` in common.js).
"""

from __future__ import annotations

import asyncio
import base64
import io
from pathlib import Path
from typing import Any, Optional, Sequence

import anywidget
import traitlets

from .projector import GRAPH_FONT_SIZE, SCALE, projector_on, register

__all__ = ["esm", "LiveWidget", "PlayingWidget", "png_picture", "figure_png", "few_colours", "PALETTE_SIZE",
           "running_loop"]

HERE = Path(__file__).parent
COMMON_JS = HERE / "common.js"


def esm(name: str) -> str:
    """The ES module of a widget's view: ``common.js``, then ``name`` (a file next to this one).

    The two are joined as text, so the widget's file uses the helpers of
    ``common.js`` as if it had defined them, and keeps its own
    ``export default { render }``. The files are read once, when the widget's
    class is made. In front of them go two lines from Python: the projector
    mode's scale (``PROJECTOR_SCALE``, `widgets.projector.SCALE`) and the
    graphs' normal font size (``GRAPH_FONT_SIZE``, points).
    """
    parts = [f"// ---- widgets/projector.py\nconst PROJECTOR_SCALE = {SCALE};  // widgets.projector.SCALE\n"
             f"const GRAPH_FONT_SIZE = {GRAPH_FONT_SIZE[False]};  // widgets.projector.GRAPH_FONT_SIZE[False]"]
    for path in (COMMON_JS, HERE / name):
        parts.append(f"// ---- widgets/{path.name}\n{path.read_text(encoding='utf-8')}")
    return "\n".join(parts)


def png_picture(png: bytes) -> tuple[str, str]:
    """A PNG as a `LiveWidget._static_picture`: its MIME type and its bytes in base64."""
    return "image/png", base64.b64encode(png).decode("ascii")


def figure_png(fig: Any) -> bytes:
    """A matplotlib Figure as PNG bytes, with no date or version in them: the same state, the same bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


PALETTE_SIZE = 128  # colours in a saved PNG (64 shows bands in the OptimizerLab's shading; 256 is 15% larger)


def few_colours(png: bytes, keep: Sequence[str] = ()) -> bytes:
    """``png`` again, with a palette of `PALETTE_SIZE` colours: ``keep`` exactly, the rest chosen by Pillow.

    A palette PNG stores one byte per pixel instead of four, and compresses far
    better: a graph drawing or an OptimizerLab race takes about a third of the
    bytes, which matters for a picture saved in a notebook beside its live
    view. The colours that carry meaning (an optimizer's, a node's fill) are
    put in the palette as they are, the rest of it is Pillow's median cut of
    the picture, and each pixel takes its nearest palette colour (Pillow's own
    mapping is coarser and would shift a kept colour by a few units). So no
    kept colour changes and none takes on another's; the smooth shading and
    the anti-aliased edges share the others. No dithering: the same picture,
    the same bytes.
    """
    import numpy as np
    from PIL import Image, ImageColor

    rgb = Image.open(io.BytesIO(png)).convert("RGB")
    fixed = list(dict.fromkeys(ImageColor.getrgb(c) for c in keep))[:PALETTE_SIZE // 2]
    chosen = rgb.quantize(colors=PALETTE_SIZE - len(fixed), method=Image.Quantize.MEDIANCUT,
                          dither=Image.Dither.NONE).getpalette()
    palette = np.array(fixed + [tuple(chosen[i:i + 3]) for i in range(0, len(chosen), 3)],
                       dtype=np.int32)[:PALETTE_SIZE]
    pixels = np.asarray(rgb, dtype=np.int32)
    codes = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
    colours, where = np.unique(codes, return_inverse=True)
    channels = np.stack([colours >> 16, (colours >> 8) & 255, colours & 255], axis=1)
    nearest = np.empty(len(colours), dtype=np.uint8)
    for start in range(0, len(colours), 4096):  # (colours × palette) distances, a block at a time
        block = channels[start:start + 4096, None, :] - palette[None, :, :]
        nearest[start:start + 4096] = (block * block).sum(axis=2).argmin(axis=1)  # ties: the first
    picture = Image.fromarray(nearest[where].reshape(codes.shape), mode="P")
    picture.putpalette(palette.flatten().tolist())
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()


def running_loop() -> Optional[asyncio.AbstractEventLoop]:
    """The asyncio loop running in this thread, or None.

    In a Jupyter kernel, cells and widget messages are both handled on the
    kernel's loop, so Play started from either finds it.
    """
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class LiveWidget(anywidget.AnyWidget):
    """An anywidget whose output also holds a picture and a line of text (``repr``).

    ``projector`` (synced, set by the kernel only): the view draws its text and
    lines larger for a classroom projector; see `widgets.projector`.
    """

    projector = traitlets.Bool().tag(sync=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        register(self)

    @traitlets.default("projector")
    def _projector_default(self) -> bool:
        return projector_on()

    def set_state(self, sync_data: dict) -> None:
        """What the browser sets; ``projector`` is refused (a TraitError): only `widgets.projector` switches it."""
        if isinstance(sync_data, dict) and "projector" in sync_data:
            raise traitlets.TraitError(f"{type(self).__name__}: the browser cannot set 'projector': "
                                       "widgets.projector(True) or (False) in the kernel switches it")
        super().set_state(sync_data)

    def _static_picture(self) -> tuple[str, str]:
        """The picture of the current state: (MIME type, data), e.g. ``("image/svg+xml", svg)``."""
        raise NotImplementedError

    def _untrusted_picture(self) -> Optional[tuple[str, str]]:
        """A second picture for a notebook that is not trusted, or None (the static picture will do).

        A saved SVG or HTML is refused there (JupyterLab, GitHub, nbviewer), a PNG is
        shown, so a widget whose static picture is SVG also gives a PNG.
        """
        return None

    def _repr_mimebundle_(self, **kwargs: Any):
        """The live widget, and a picture and a line of text for where widgets don't run."""
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        data = dict(data or {})
        for picture in (self._static_picture(), self._untrusted_picture()):
            if picture is not None:
                data[picture[0]] = picture[1]
        data["text/plain"] = repr(self)
        return data, metadata


class PlayingWidget(LiveWidget):
    """A `LiveWidget` with Play: frames of work on the kernel's event loop, until paused.

    A subclass says what one frame is (`_play_frame`) and may say when there
    is nothing left to play (`_can_play`), what to do as Play starts
    (`_before_play`) and once it stops (`_after_play`). ``frame_interval`` is the
    time one frame aims to take, work and sleep together; ``min_pause`` is
    the least sleep after a frame, however long its work took, so that the
    kernel always has a moment for messages and cells.
    """

    playing = traitlets.Bool(False).tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)   # what went wrong last (a refused change, why Play stopped)

    frame_interval = 0.1   # s
    min_pause = 0.02       # s
    _task: Optional[asyncio.Task] = None   # the Play task while it runs

    def play(self) -> None:
        """Play until `pause`: the same as ``playing = True``, or the Play button.

        Needs a running asyncio event loop: Jupyter's kernel has one. Outside
        a kernel, call ``step(n)``.
        """
        self.playing = True

    def pause(self) -> None:
        """Stop playing after the current frame (what was done stays)."""
        self.playing = False

    def close(self) -> None:
        """Stop playing, then close the widget."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
        if self.comm is not None:
            self.playing = False
        super().close()

    # What a subclass fills in -------------------------------------------
    def _play_frame(self) -> None:
        """One frame of Play: a little work, and the view told about it."""
        raise NotImplementedError

    def _can_play(self) -> bool:
        """False when Play has nothing left to do (Play then stops by itself)."""
        return True

    def _before_play(self) -> None:
        """Called as Play starts."""

    def _after_play(self) -> None:
        """Called whenever ``playing`` turns False."""

    # The machinery --------------------------------------------------------
    @traitlets.observe("playing")
    def _playing_changed(self, change: dict) -> None:
        if change["new"]:
            self._start_playing()
        else:
            self._after_play()

    def _start_playing(self) -> None:
        """Start the Play task on the running event loop, unless it is still running."""
        if self._task is not None and not self._task.done():
            return   # paused and played again before the task noticed: it carries on
        if not self._can_play():
            self.playing = False
            return
        loop = running_loop()
        if loop is None:
            self.playing = False
            raise RuntimeError(f"{type(self).__name__}.play needs a running asyncio event loop, as in a "
                               "Jupyter kernel; elsewhere call step(n)")
        self._before_play()
        self._task = loop.create_task(self._play_loop())

    async def _play_loop(self) -> None:
        """Frames until paused, closed (``comm`` is None), or nothing is left to play."""
        loop = asyncio.get_running_loop()
        try:
            while self.playing and self.comm is not None and self._can_play():
                start = loop.time()
                self._play_frame()
                spent = loop.time() - start
                await asyncio.sleep(max(self.min_pause, self.frame_interval - spent))
        except asyncio.CancelledError:
            raise
        except Exception as error:   # show it instead of dying silently in the background
            self.error = f"Play stopped: {type(error).__name__}: {error}"
        finally:
            self._task = None
            if self.playing:
                self.playing = False
