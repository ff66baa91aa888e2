"""(a) and (b) are timed in lesson 12's kernel: check that the kernel is that one, and what it returns.

No timing is asserted, only where the steps ran and the shape of what comes back.
"""

import json
import re

import pytest

from benchmarks import learner_kernel

pytest.importorskip("micrograd.engine")


def test_the_setup_is_lesson_12s_first_cell_word_for_word_and_loads_no_torch():
    notebook = json.loads(learner_kernel.LESSON.read_text(encoding="utf-8"))
    first = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    setup = learner_kernel.lesson_setup()
    assert setup == "".join(first["source"])
    assert "from autodiff" in setup and "from widgets import" in setup
    assert not re.search(r"^\s*(import|from)\s+torch\b", setup, re.M)


def test_the_steps_are_timed_in_a_kernel_that_has_run_the_lesson_and_not_loaded_torch():
    timing = learner_kernel.time_training(rounds=1, steps=1, count_steps=1)
    assert timing.modules == {"torch": False, "autodiff": True, "widgets": True}
    assert set(timing.steps) == set(timing.wall) == set(timing.collect) == {
        "autodiff", "micrograd", "autodiff (gc off)", "micrograd (gc off)"}
    for blocks in timing.steps.values():
        assert len(blocks) == 1 and len(blocks[0]) == 1 and blocks[0][0] > 0.0
    assert set(timing.collections) == {"autodiff", "micrograd"}
    assert all(len(counts) == 3 for counts in timing.collections.values())
    assert timing.collections["micrograd"][0] > timing.collections["autodiff"][0] > 0
    # IPython, ipykernel, matplotlib, the kit: a kernel's worth, frozen by `import widgets`
    assert timing.frozen > 50_000 and timing.tracked > 0


def test_an_error_in_the_lessons_cell_is_raised_with_the_kernels_message(tmp_path):
    lesson = tmp_path / "lesson.ipynb"
    cell = {"cell_type": "code", "source": ["raise ValueError('no such data')"],
            "metadata": {}, "outputs": [], "execution_count": None}
    lesson.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    with pytest.raises(RuntimeError, match=r"lesson\.ipynb's first cell failed in the kernel: "
                                           r"ValueError: no such data"):
        learner_kernel.time_training(1, 1, 1, lesson=lesson)
