"""autodiff-kit's command line and the lessons it ships.

``autodiff-kit`` (or ``python -m autodiff_kit``) needs no ``make``: see
`autodiff_kit.cli`. This package imports nothing heavy: `lessons_source()`
finds the lessons, the rest is imported by the command that needs it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["__version__", "lessons_source", "lesson_notebooks"]

__version__ = "0.1.0"

_HERE = Path(__file__).resolve().parent
LESSON_GLOB = "[0-9][0-9]_*.ipynb"


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


def lesson_notebooks(folder: Path | None = None) -> dict[int, Path]:
    """Every lesson in ``folder`` (default: the kit's own) by its number."""
    folder = lessons_source() if folder is None else Path(folder)
    return {int(path.name[:2]): path for path in sorted(folder.glob(LESSON_GLOB))}
