"""autodiff-kit's command line and the lessons it ships.

``autodiff-kit`` (or ``python -m autodiff_kit``) needs no ``make``: see
`autodiff_kit.cli`. This package imports nothing heavy: `lessons_source()`
finds the lessons, the rest is imported by the command that needs it.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["__version__", "lessons_source", "lesson_notebooks", "lesson_id", "find_lesson", "LESSON_GLOB"]

__version__ = "0.1.0"

_HERE = Path(__file__).resolve().parent
# A lesson is NN_name.ipynb, or NNx_name.ipynb for one inserted after lesson NN
# (05b_build_your_own_engine.ipynb comes after 05 and before 06). The glob finds
# candidates; `lesson_id` has the last word (it refuses e.g. NN_name.updated.ipynb).
LESSON_GLOB = "[0-9][0-9]*_*.ipynb"
_LESSON_FILE = re.compile(r"([0-9]{2}[a-z]?)_[^.]+\.ipynb")
_LESSON_ASKED = re.compile(r"(?:lesson)?0*([0-9]{1,2})([a-z]?)")


def lessons_source() -> Path:
    """The folder of the kit's own lessons (``NN_name.ipynb`` and ``exercises/``).

    Installed from a wheel they are the package ``autodiff_kit.notebooks``; in a
    clone of the kit (an editable install) they are ``notebooks/`` beside this
    package, where the README's links point.
    """
    for candidate in (_HERE / "notebooks", _HERE.parent / "notebooks"):
        if any(candidate.glob(LESSON_GLOB)):
            return candidate
    raise FileNotFoundError(
        f"the lessons are missing: neither {_HERE / 'notebooks'} nor {_HERE.parent / 'notebooks'} "
        "has NN_name.ipynb files. Reinstall: pip install --force-reinstall autodiff-kit")


def lesson_id(path: Path | str) -> str | None:
    """The lesson a notebook is: "05" for 05_implementing_backward.ipynb, "05b" for 05b_..., else None."""
    match = _LESSON_FILE.fullmatch(Path(path).name)
    return match.group(1) if match else None


def lesson_notebooks(folder: Path | None = None) -> dict[str, Path]:
    """Every lesson in ``folder`` (default: the kit's own) by its id ("05", "05b"), in reading order."""
    folder = lessons_source() if folder is None else Path(folder)
    found = {lesson_id(path): path for path in sorted(folder.glob(LESSON_GLOB))}
    found.pop(None, None)
    return dict(sorted(found.items()))


def find_lesson(asked: str, found: dict[str, Path]) -> Path | None:
    """The notebook of the lesson ``asked`` for ("7", "07", "5b", "05B", "lesson05b"), or None."""
    match = _LESSON_ASKED.fullmatch(str(asked).strip().lower())
    if not match:
        return None
    return found.get(f"{int(match.group(1)):02d}{match.group(2)}")
