"""Lesson 14 in JupyterLab: run top to bottom, then its unrolled matrix product stepped to the end.

The grid under the unrolled graph of y = x @ W (x = [1, 2, 3], L = Σ y) must
fill in with ∂L/∂Wᵢⱼ = xᵢ: the rows 1, 2 and 3, as the lesson derives.
"""

from __future__ import annotations

from .helpers import expect, screenshot
from .test_lessons_browser import first_view, open_lesson


def test_the_tensor_lesson_runs_and_its_unrolled_product_fills_its_grid(browser_context, lab_server):
    nb = open_lesson(browser_context, lab_server, "14_from_scalars_to_tensors.ipynb")
    first_view(nb, ".ad-stepper")
    views = nb.panel.locator(".ad-stepper")
    product = views.nth(1)                   # the second unroll view of the lesson: y = x @ W
    product.scroll_into_view_if_needed()
    expect(product).to_contain_text("y = x @ W")
    counter = product.locator('[data-role="counter"]')
    expect(counter).to_have_text("step 0 / 14")
    cells = product.locator('[data-role="grid"]').last.locator("td")
    expect(cells).to_have_text(["?"] * 6)
    for _ in range(14):
        product.locator('button[data-action="step"]').click()
    expect(counter).to_have_text("step 14 / 14")
    expect(cells).to_have_text(["1", "1", "2", "2", "3", "3"])
    expect(product.locator(".ad-grid-note").last).to_contain_text("xᵀ · grad(y)")
    screenshot(nb.page, "lesson-14-unroll", product)
    nb.page.close()
