"""Issue 12, "lessons that read right", item 8: the small things.

* a hint whose code ends in a stray "." (exercise 4.3, hint 3);
* the OptimizerLab's schedule menu cut its labels ("exponential: ×0.9");
* long code lines cut off in lessons 07, 09, 10, 12, 14, 15 and 16;
* a changed setting stopped the OptimizerLab's Play but not the Playground's:
  now both go on playing, with the new setting; and Reset stops Play in both
  (the Playground's went on playing);
* ``make present`` without a lesson ended in "Error 2";
* ``python -m autodiff.check`` (``make check``) had no summary line;
* ``make lab`` served only notebooks/, so student/ copies could not be opened.

(The menus' numbers in order: tests/test_playground.py,
test_js_a_value_from_python_goes_in_its_place_in_a_menu.)
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autodiff_kit import LESSON_GLOB
from widgets.exercise import Exercise
from widgets.optimizer_lab import OptimizerLab
from widgets.optimizer_race import LABEL_WIDTH, SCHEDULES
from widgets.playground import Playground

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(NOTEBOOKS))  # the lessons import their exercises as `exercises`


# ---------------------------------------------------------------------------
# Hints: no code with a stray "." at its end
# ---------------------------------------------------------------------------
EXERCISE_MODULES = sorted(p.stem for p in (NOTEBOOKS / "exercises").glob("lesson[0-9][0-9]*.py"))


def stray_dots(hint: str) -> list[str]:
    """The code spans of ``hint`` that end in a "." that is not code.

    Code that ends in "." (but not an ellipsis, "..."), and a hint that is a
    code span and a full stop, which reads as the code's last character.
    """
    found = [code for code in re.findall(r"`([^`]*)`", hint)
             if code.rstrip().endswith(".") and not code.rstrip().endswith("...")]
    whole = re.fullmatch(r"\s*`([^`]*)`\s*\.\s*", hint)
    if whole:
        found.append(whole.group(1) + "`.")
    return found


def test_stray_dots_finds_what_it_should():
    assert stray_dots("`return upstream * (1 - math.tanh(x) ** 2)`.") == [
        "return upstream * (1 - math.tanh(x) ** 2)`."]
    assert stray_dots("Then `x.grad.`") == ["x.grad."]
    assert stray_dots("It is `1 - t ** 2`.") == []             # a sentence that ends with code
    assert stray_dots('`if op == "+": ...` and so on') == []   # an ellipsis is code
    assert stray_dots("`return upstream * (1 - math.tanh(x) ** 2)`") == []


@pytest.mark.parametrize("module", EXERCISE_MODULES)
def test_no_hint_has_code_ending_in_a_stray_dot(module):
    exercises = importlib.import_module(f"exercises.{module}")
    bad = [(name, k + 1, code)
           for name, ex in vars(exercises).items() if isinstance(ex, Exercise)
           for k, hint in enumerate(ex.hints) for code in stray_dots(hint)]
    assert bad == []


def test_exercise_4_3_hint_3_has_no_stray_dot():
    # Its code used to end in a full stop; since the hint ladders (issue 14) it gives the idea in words.
    from exercises.lesson04 import ex04_3
    assert stray_dots(ex04_3.hints[2]) == [] and not ex04_3.hints[2].rstrip().endswith("`.")


# ---------------------------------------------------------------------------
# The OptimizerLab's schedule menu: labels read whole
# ---------------------------------------------------------------------------
def test_schedule_labels_fit_the_menu_and_the_tooltip_says_the_rest():
    lab = OptimizerLab("bowl")
    menu = lab.choices["schedules"]
    assert [s["name"] for s in menu] == list(SCHEDULES) == ["none", "step", "exponential", "cosine"]
    for s in menu:
        assert len(s["label"]) <= LABEL_WIDTH, s          # "exponential: ×0.99 every step" was cut
        assert s["description"] and s["description"] != s["label"]
    labels = {s["name"]: s["label"] for s in menu}
    assert "exponential" in labels["exponential"] and "0.99" in labels["exponential"]
    assert "cosine" in labels["cosine"] and "500" in labels["cosine"]
    assert "0.5" in labels["step"] and "100" in labels["step"]
    assert "title: s.description" in OptimizerLab._esm    # the option's tooltip


# ---------------------------------------------------------------------------
# Code lines in the lessons: at most 100 characters (longer ones are cut off)
# ---------------------------------------------------------------------------
LINE_LIMIT = 100
LESSONS = sorted(p.name for p in NOTEBOOKS.glob(LESSON_GLOB))


def long_code_lines(lesson: str) -> list[tuple[int, int]]:
    notebook = json.loads((NOTEBOOKS / lesson).read_text(encoding="utf-8"))
    return [(k, len(line)) for k, cell in enumerate(notebook["cells"]) if cell["cell_type"] == "code"
            for line in "".join(cell["source"]).splitlines() if len(line) > LINE_LIMIT]


@pytest.mark.parametrize("lesson", LESSONS)
def test_no_code_line_is_longer_than_100_characters(lesson):
    assert long_code_lines(lesson) == []          # (cell, length) of each longer line


def test_every_lesson_is_checked():
    assert {"05b_build_your_own_engine.ipynb", "09_losses.ipynb", "16_what_a_gradient_costs.ipynb"} <= set(LESSONS)


# ---------------------------------------------------------------------------
# A changed setting: the run restarts, and Play goes on (both widgets)
# ---------------------------------------------------------------------------
def test_a_new_setting_restarts_the_optimizer_lab_and_play_goes_on():
    lab = OptimizerLab("himmelblau", steps_per_frame=2)
    lab.send = lambda content, buffers=None: None

    async def scenario():
        lab.play()
        while lab.step_count < 6:
            await asyncio.sleep(0.005)
        lab.lr = 0.01                       # as a slider does
        restarted = lab.step_count
        assert lab.playing
        while lab.step_count < 4:
            await asyncio.sleep(0.005)
        assert lab.playing and lab.lr == 0.01
        lab.set(schedule="cosine", momentum=0.8)
        assert lab.playing and lab.step_count == 0
        lab.reset()                         # Reset stops Play
        assert not lab.playing
        await asyncio.sleep(0.1)
        return restarted

    restarted = asyncio.run(scenario())
    assert restarted == 0 and lab.step_count == 0 and not lab.playing


def test_a_new_setting_restarts_the_playground_and_play_goes_on():
    p = Playground(points=60, hidden=[4, 4])

    async def scenario():
        p.play()
        while p.epoch < 2:
            await asyncio.sleep(0.005)
        p.set(lr=0.1)
        assert p.epoch == 0 and p.playing
        while p.epoch < 1:
            await asyncio.sleep(0.005)
        assert p.playing and p.current.lr == 0.1
        p.regenerate()                      # new points: a changed setting too
        assert p.playing and p.epoch == 0 and p.current.data_seed == 1
        p.pause()

    asyncio.run(scenario())
    assert not p.playing


def test_reset_stops_play_in_both_widgets():
    """Reset is "back to the start, and stop", in the Playground as in the OptimizerLab."""
    p = Playground(points=60, hidden=[4, 4])
    lab = OptimizerLab("himmelblau", steps_per_frame=2)
    lab.send = lambda content, buffers=None: None

    async def scenario():
        p.play()
        lab.play()
        while p.epoch < 2 or lab.step_count < 4:
            await asyncio.sleep(0.005)
        p._on_browser_message(p, {"action": "reset"}, [])   # the Reset button
        lab.reset()
        assert not p.playing and not lab.playing
        await asyncio.sleep(0.1)            # Play's next frame would have trained
        assert p.epoch == 0 and lab.step_count == 0

    asyncio.run(scenario())
    assert not p.playing and p.epoch == 0 and p.error == ""


def test_the_docs_say_so():
    lab_doc = (ROOT / "docs" / "optimizer-lab.md").read_text(encoding="utf-8")
    playground_doc = (ROOT / "docs" / "playground.md").read_text(encoding="utf-8")
    for doc in (lab_doc, playground_doc):
        assert "Play goes on with the new setting" in " ".join(doc.split())


# ---------------------------------------------------------------------------
# make present, make check, make lab
# ---------------------------------------------------------------------------
def run(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_present_without_a_lesson_lists_them_and_exits_0():
    result = run("-m", "autodiff_kit", "present")
    assert result.returncode == 0, result.stderr
    assert "Which lesson? Say its number, e.g. `autodiff-kit present 12`" in result.stdout
    assert "01  01_setup.ipynb" in result.stdout and "12  12_training_end_to_end.ipynb" in result.stdout
    assert result.stderr == ""


def test_make_present_without_a_lesson_is_no_error():
    result = subprocess.run(["make", "--no-print-directory", "-o", ".venv/.installed", "present"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Error" not in result.stdout + result.stderr
    assert "16  16_what_a_gradient_costs.ipynb" in result.stdout


def test_present_an_unknown_lesson_is_still_an_error():
    result = run("-m", "autodiff_kit", "present", "99")
    assert result.returncode == 2 and "there is no lesson '99'" in result.stderr


def test_check_summary_line():
    from autodiff.check.report import Check, summary
    assert summary([Check("a", 0.0, 1e-12)] * 126) == "126 checks: 126 passed, 0 failed"
    assert summary([Check("a", 0.0, 1e-12), Check("b", 1.0, 1e-12), Check("c", 2.0, 1e-12)]) == (
        "3 checks: 1 passed, 2 failed: b, c")


def test_check_module_ends_with_its_summary(monkeypatch, capsys):
    from autodiff.check import __main__ as check_main
    from autodiff.check import crosscheck
    from autodiff.check.report import Check
    checks = [Check("a", 0.0, 1e-12), Check("b", 3e-12, 1e-12)]
    monkeypatch.setattr(crosscheck, "all_checks", lambda: iter(checks))
    assert check_main.main() == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split() == ["check", "rel", "error", "tolerance", "result"]
    assert lines[1:3] == [c.row() for c in checks]
    assert lines[3] == "2 checks: 1 passed, 1 failed: b"
    checks.pop()
    assert check_main.main() == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "1 checks: 1 passed, 0 failed"


def test_make_lab_serves_the_clone_and_opens_the_lessons():
    from autodiff_kit.lab import OFFLINE_FLAGS, lab_arguments
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\t$(KIT) lab notebooks --root . --no-browser\n" in makefile
    args = lab_arguments(Path("notebooks"), browser=False, port=None, root=Path("."))
    assert args[:len(OFFLINE_FLAGS)] == list(OFFLINE_FLAGS)        # 127.0.0.1, offline
    assert "--ServerApp.root_dir=." in args                          # student/ is inside
    assert "--LabApp.default_url=/lab/tree/notebooks" in args       # the lessons first
    assert "--no-browser" in args and not any("token" in a for a in args)   # the token stays on
    assert "--ServerApp.ip=127.0.0.1" in args
    # without --root: the folder itself, as before
    assert "--ServerApp.root_dir=notebooks" in lab_arguments(Path("notebooks"), False, None)
    with pytest.raises(ValueError, match="is not inside it"):
        lab_arguments(Path("/tmp"), False, None, root=ROOT)


def test_lab_refuses_a_root_that_does_not_hold_the_lessons(tmp_path):
    result = run("-m", "autodiff_kit", "lab", str(ROOT / "notebooks"), "--root", str(tmp_path))
    assert result.returncode == 2 and "is not inside it" in result.stderr


# ---------------------------------------------------------------------------
# Static drawings stay legible where JupyterLab fits them to the column
# ---------------------------------------------------------------------------
COLUMN_PX = 968          # the notebook column at JupyterLab's default width (issue 12's measure)
DRAWING_FONT_PT = 11     # widgets.graph's font size for a drawing
SMALLEST_TEXT_PX = 9     # below this, a drawing's text is not read comfortably


def drawing_widths_pt(lesson: str) -> list[tuple[int, int]]:
    """(cell, width in pt) of each saved static drawing (an SVG output that is not a widget's)."""
    notebook = json.loads((NOTEBOOKS / lesson).read_text(encoding="utf-8"))
    widths = []
    for k, cell in enumerate(notebook["cells"]):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/svg+xml" in data and "application/vnd.jupyter.widget-view+json" not in data:
                match = re.search(r'<svg width="(\d+)pt"', "".join(data["image/svg+xml"]))
                widths.append((k, int(match.group(1))))
    return widths


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_saved_drawing_is_legible_at_the_columns_width(lesson):
    """JupyterLab shrinks an image wider than the column (max-width: 100%), text and all."""
    def text_px(width_pt: int) -> float:
        scale = min(1.0, COLUMN_PX / (width_pt * 96 / 72))
        return DRAWING_FONT_PT * 96 / 72 * scale
    assert [(k, w) for k, w in drawing_widths_pt(lesson) if text_px(w) < SMALLEST_TEXT_PX] == []
