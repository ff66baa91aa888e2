"""Two lessons, opened in JupyterLab as a learner would: run top to bottom, then their widgets used.

Lesson 04 (backpropagation by hand) steps its GraphStepper; lesson 12
(training end to end) steps its Playground. Each lesson is copied, with the
exercises package it imports, into the server's notebook folder.
"""

from __future__ import annotations

import shutil

from .helpers import REPO, Notebook, expect, new_tab, screenshot

VIEWPORT = {"width": 1280, "height": 1000}


def open_lesson(context, server, name: str) -> Notebook:
    """Copy lesson ``name`` into the server's folder, open it in a new tab and Run All."""
    shutil.copyfile(REPO / "notebooks" / name, server.root / name)
    exercises = server.root / "exercises"
    if not exercises.exists():
        shutil.copytree(REPO / "notebooks" / "exercises", exercises)
    nb = Notebook(new_tab(context, VIEWPORT), server, name)
    try:
        nb.open()
        nb.run_all()
    except BaseException:
        screenshot(nb.page, f"lesson-{name}-FAILED")
        raise
    assert nb.tracebacks() == []
    return nb


def first_view(nb: Notebook, selector: str):
    """The lesson's first widget view matching ``selector``, attached and scrolled to."""
    view = nb.panel.locator(selector).first
    view.wait_for(timeout=30_000)
    view.scroll_into_view_if_needed()
    return view


def test_backprop_lesson_runs_and_its_stepper_steps(browser_context, lab_server):
    nb = open_lesson(browser_context, lab_server, "04_backprop_by_hand.ipynb")
    stepper = first_view(nb, ".ad-stepper")
    counter = stepper.locator('[data-role="counter"]')
    stepper.locator('button[data-action="reset"]').click()  # the lesson's cells drove it to the end
    expect(counter).to_have_text("step 0 / 4")
    stepper.locator('button[data-action="step"]').click()
    stepper.locator('button[data-action="step"]').click()
    expect(counter).to_have_text("step 2 / 4")
    expect(stepper.locator('[data-role="explanation"]')).to_contain_text("grad(d) += grad(L) · ∂(d·f)/∂d = 1 × −2 = −2")
    expect(stepper.locator("g#ad-n6.ad-current")).to_have_count(1)
    screenshot(nb.page, "lesson-04-stepper", stepper)
    nb.page.close()


def test_training_lesson_runs_and_its_playground_steps(browser_context, lab_server):
    nb = open_lesson(browser_context, lab_server, "12_training_end_to_end.ipynb")
    playground = first_view(nb, ".ad-playground")
    epoch = playground.locator('[data-role="epoch"]')
    before = epoch.text_content().strip()
    playground.locator('button[data-action="step"]').click()
    expect(epoch).not_to_have_text(before)
    number = int(epoch.text_content().split()[-1])
    assert number == int(before.split()[-1]) + 1
    screenshot(nb.page, "lesson-12-playground", playground)
    nb.page.close()
