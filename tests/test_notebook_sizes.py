"""Every lesson notebook is small enough to open quickly, in Jupyter and on GitHub (issue 12).

A saved notebook carries every live widget's synced state and a PNG beside
each widget (for untrusted readers). Lesson 10 once weighed 2.8 MB, mostly
its four OptimizerLabs' state written one number a line; the lab now sends
its drawing data packed (`widgets.optimizer_lab.pack_points`,
`browser_surface`) and saves a palette PNG. This holds every lesson to 1 MB.
"""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]*_*.ipynb"))
LIMIT = 1_000_000   # bytes
# Over the limit today, for a reason outside the OptimizerLab: its steppers' saved state (each a copy of
# stepper.js, the SVG and the graph's data) and an SVG beside each PNG. Strict: once it is fixed, this
# entry must go.
TOO_LARGE_TODAY = {"14_from_scalars_to_tensors": "1.26 MB: four steppers' saved state and SVG+PNG outputs"}


def test_the_lessons_are_found():
    assert len(LESSONS) >= 16 and any(p.name.startswith("10_") for p in LESSONS)


@pytest.mark.parametrize("path", [
    pytest.param(p, marks=pytest.mark.xfail(strict=True, reason=TOO_LARGE_TODAY[p.stem]))
    if p.stem in TOO_LARGE_TODAY else p for p in LESSONS], ids=[p.stem for p in LESSONS])
def test_each_lesson_is_at_most_a_megabyte(path):
    size = path.stat().st_size
    assert size <= LIMIT, f"{path.name} is {size:,} bytes; a lesson may be {LIMIT:,} at most"
