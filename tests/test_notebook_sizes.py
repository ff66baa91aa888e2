"""Every lesson notebook is small enough to open quickly, in Jupyter and on GitHub (issue 12).

A saved notebook carries every live widget's synced state and a PNG beside
each widget (for untrusted readers). Lesson 10 once weighed 2.8 MB, mostly
its four OptimizerLabs' state written one number a line; the lab now sends
its drawing data packed (`widgets.optimizer_lab.pack_points`,
`browser_surface`) and saves a palette PNG. Lesson 14 weighed 1.26 MB, half of
it the PNGs of its graph drawings and steppers; those are palette PNGs too now
(`widgets.render.render_png`). This holds every lesson to 1 MB.
"""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]*_*.ipynb"))
LIMIT = 1_000_000   # bytes


def test_the_lessons_are_found():
    assert len(LESSONS) >= 16 and any(p.name.startswith("10_") for p in LESSONS)


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_each_lesson_is_at_most_a_megabyte(path):
    size = path.stat().st_size
    assert size <= LIMIT, f"{path.name} is {size:,} bytes; a lesson may be {LIMIT:,} at most"
