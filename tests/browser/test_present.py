"""Classroom mode in a real browser: `make present LESSON=12` shows the lesson, no code, widgets live.

The server is started exactly as `make present LESSON=12 PORT=<free>` starts
it (tools/present.py, see voila.py), on 127.0.0.1 with a token; Chromium
opens the URL the script prints, in a tab of the session's browser
(conftest.py's ``browser_context``: one Playwright per process). Every
request to anything but this machine is refused and recorded
(`helpers.start_browser`), and the page's Content-Security-Policy refusals
are recorded too: classroom mode runs offline. Screenshots:
test-output/browser/present-*.png.

Without Chromium or Playwright the browser test is skipped with a loud
reason, except on CI (``CI=true``), where that is a failure (conftest.py's
``browser_prerequisites``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from .helpers import screenshot
from .voila import PRESENT, RENDER_TIMEOUT, REPO, PresentError, start_present, stop_present

SCREENSHOT_DIR = REPO / "test-output" / "browser"
LESSON = "12"  # the Playground: Voilà runs the lesson (≈10 s) before showing it

# Voilà's "lab" template links Font Awesome from a CDN; the page's
# Content-Security-Policy refuses these two without a request (the fonts are
# in Voilà's own bundle). Any other refusal is a failure.
TEMPLATE_CDN_LINKS = re.compile(
    r"^https://cdn\.jsdelivr\.net/npm/@fortawesome/fontawesome-free@(\^|%5E)5/css/(all|v4-shims)\.min\.css$")

# Every refusal of the Content-Security-Policy, kept by the page itself.
RECORD_CSP_REFUSALS = """
window.__cspRefused = [];
document.addEventListener('securitypolicyviolation',
    e => window.__cspRefused.push(e.blockedURI + ' (' + e.violatedDirective + ')'));
"""


def shot(page, name: str, locator=None):
    return screenshot(page, f"present-{name}", locator)


@pytest.fixture
def present(browser_prerequisites, tmp_path):
    """`make present LESSON=12` on a free port; stopped (its process group) afterwards."""
    try:
        server = start_present(LESSON, tmp_path / "voila")
    except PresentError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield server
    finally:
        stop_present(server)
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(server.log, SCREENSHOT_DIR / "present.log")
    assert server.proc.poll() is not None, "tools/present.py still running after stop_present"


# ----------------------------------------------------------------- the lesson

def test_lesson_12_in_classroom_mode(present, browser_context):
    from playwright.sync_api import expect

    blocked_before = len(browser_context.blocked_requests)  # the session's list
    page = browser_context.new_page()
    page.add_init_script(RECORD_CSP_REFUSALS)
    page.set_viewport_size({"width": 1280, "height": 1000})
    js_errors = []
    page.on("pageerror", lambda exc: js_errors.append(str(exc)))
    failed = False
    try:
        response = page.goto(present.url, timeout=RENDER_TIMEOUT * 1000)
        assert response.status == 200, response.status
        # The page's own headers: nothing but this server may be loaded.
        csp = response.headers.get("content-security-policy", "")
        assert csp.startswith(f"default-src 'self' {present.base} "), csp

        # The live widget: the Playground of the lesson, drawn by its anywidget front end.
        playground = page.locator(".ad-playground").first
        playground.wait_for(state="visible", timeout=RENDER_TIMEOUT * 1000)
        expect(page.locator("h1").first).to_be_visible()
        shot(page, "lesson12-top")

        # No code: the code cells have no input area (the Markdown cells' input
        # areas hold the rendered text), no prompt, no editor, and no source
        # text is anywhere on the page.
        code_cells = page.locator(".jp-CodeCell")
        assert code_cells.count() >= 10, code_cells.count()
        # (A Markdown cell may show a code block on purpose: `.jp-CodeCell` only.)
        for selector in (".jp-CodeCell .jp-InputArea", ".jp-InputPrompt", ".jp-OutputPrompt",
                         ".jp-CodeMirrorEditor", ".cm-editor", ".jp-InputArea-editor",
                         ".jp-CodeCell .highlight"):
            found = page.locator(selector).count()
            assert found == 0, f"{found} {selector} on the page: the code is not hidden"
        inputs = page.locator(".jp-InputArea:visible").count()
        markdown = page.locator(".jp-MarkdownCell .jp-InputArea .jp-RenderedMarkdown:visible").count()
        assert inputs == markdown > 0, f"{inputs} input areas shown, {markdown} of them Markdown"
        text = page.locator("body").inner_text()
        for source in ("from widgets import Playground", "Playground.from_config(CONFIG)",
                       "### BEGIN SOLUTION", "schedule = LambdaLR(optimizer,",
                       "# gradients accumulate: reset them"):
            assert source not in text, f"code on the page: {source!r}"
        # ... but the outputs are there: the printed lines and the Markdown.
        assert "the same history, every epoch, every number: True" in text, text[:2000]

        # Live: Step trains one more epoch in the kernel, and the page shows it.
        epoch = playground.locator('[data-role="epoch"]')
        expect(epoch).to_have_text("epoch 30")  # the lesson ran playground.step(30)
        metrics = playground.locator('[data-role="metrics"]')
        before = metrics.inner_text()
        playground.locator('button[data-action="step"]').click()
        expect(epoch).to_have_text("epoch 31", timeout=15_000)
        expect(metrics).not_to_have_text(before, timeout=15_000)
        playground.locator('button[data-action="step"]').click()
        expect(epoch).to_have_text("epoch 32", timeout=15_000)
        shot(page, "lesson12-playground", playground)

        # Offline: nothing but this server was asked for anything.
        blocked = browser_context.blocked_requests[blocked_before:]
        assert not blocked, f"the page tried to reach the outside: {blocked}"
        refused = page.evaluate("window.__cspRefused")
        unexpected = [r for r in refused if not TEMPLATE_CDN_LINKS.match(r.split(" ")[0])]
        assert not unexpected, f"refused by the Content-Security-Policy: {unexpected}"
        assert not js_errors, f"errors in the page: {js_errors}"
    except BaseException:
        failed = True
        raise
    finally:
        if failed:
            try:
                print(f"\nscreenshot of the failure: {shot(page, 'FAILED')}")
            except Exception as error:
                print(f"no failure screenshot: {error}")
            print("tools/present.py's output:\n" + present.log_tail())
        page.close()

    log = present.log_tail(20_000)
    assert "Traceback" not in log and "ERROR" not in log, log


# ------------------------------------------------- which lesson (no browser)

@pytest.mark.parametrize("lesson, notebook", [("12", "12_training_end_to_end.ipynb"),
                                              ("07", "07_a_neuron.ipynb"),
                                              ("7", "07_a_neuron.ipynb")])
def test_lesson_by_number_padded_or_not(lesson, notebook):
    sys.path.insert(0, str(PRESENT.parent))
    try:
        import present as present_module
    finally:
        sys.path.remove(str(PRESENT.parent))
    assert present_module.resolve(lesson).name == notebook


@pytest.mark.parametrize("argv, code", [([], 0), ([""], 0), (["99"], 2), (["twelve"], 2)])
def test_no_lesson_or_an_unknown_one_lists_the_lessons(argv, code):
    """No lesson asks which one (exit 0, on stdout); an unknown one is a usage error (exit 2, on stderr)."""
    done = subprocess.run([sys.executable, str(PRESENT), *argv], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == code, done
    said = done.stdout if code == 0 else done.stderr
    assert "make present LESSON=12" in said, said
    for n in ("01_setup.ipynb", "12_training_end_to_end.ipynb", "16_what_a_gradient_costs.ipynb"):
        assert n in said, said
    assert "http://" not in done.stdout  # no server started
