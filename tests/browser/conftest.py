"""Real-browser tests: a private JupyterLab server, Debian's Chromium driven by Playwright.

* ``lab_server`` (session): ``jupyter lab`` on a free localhost port with a
  random token, every Jupyter directory (config, data, runtime, workspaces,
  user settings) in a temporary folder, nothing that phones home (no news,
  no update check, a read-only extension manager). The lab extensions of
  ipywidgets and anywidget are still found through ``sys.prefix``.
* ``browser_context`` (session): Chromium from ``/usr/bin/chromium``
  (never a downloaded Playwright browser), headless, a fresh profile.
  Every request to anything but the local server is refused and recorded.
* ``page`` (per test): a new tab; a screenshot is saved when the test fails.
* ``widget_notebook`` (per module) and ``nb`` (per test): for a module of
  widget tests, the notebook its ``WIDGETS`` (a `helpers.WidgetCells`)
  describes, opened and run once; ``nb`` adds a screenshot when the test
  fails, and fails the test if the page had any JavaScript error.

Without Chromium or Playwright the tests are skipped with a loud reason,
except on CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import os
import shutil

import pytest

from .helpers import (REPO, SCREENSHOT_DIR, BrowserUnavailable, LabServerError, browser_missing,
                      new_tab, open_widget_notebook, screenshot, start_browser, start_lab_server,
                      stop_lab_server)


def skip_or_fail(reason: str, what: str = "BROWSER TESTS") -> None:
    """Skip loudly; on CI (CI=true) a missing prerequisite is a failure, not a skip."""
    reason = f"{what} NOT RUN: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------- server

@pytest.fixture(scope="session")
def lab_server(tmp_path_factory, browser_prerequisites):
    """See `helpers.start_lab_server`; its log is kept in test-output/browser/ afterwards."""
    base = tmp_path_factory.mktemp("lab")
    # The screenshots of an earlier run would be mistaken for this one's.
    for old in SCREENSHOT_DIR.glob("*.png"):
        old.unlink(missing_ok=True)
    try:
        server = start_lab_server(base)
    except LabServerError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield server
    finally:
        stop_lab_server(server)
        # kept for a post-mortem: the temporary folder goes away
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(server.log, SCREENSHOT_DIR / "jupyter-lab.log")


# -------------------------------------------------------------------- browser

@pytest.fixture(scope="session")
def browser_prerequisites():
    """Chromium at /usr/bin/chromium and the Playwright package, or a loud skip (a failure on CI)."""
    reason = browser_missing()
    if reason:
        skip_or_fail(reason)


@pytest.fixture(scope="session")
def browser_context(browser_prerequisites, lab_server, tmp_path_factory):
    """See `helpers.start_browser`: ``context.blocked_requests`` lists the refused requests."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    try:
        browser = start_browser(profile)
    except BrowserUnavailable as error:
        skip_or_fail(str(error))
    try:
        yield browser.context
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def failed(request) -> bool:
    """Whether the test of ``request`` failed (its call, not its set-up)."""
    report = getattr(request.node, "report_call", None)
    return report is not None and report.failed


def screenshot_failure(tab, request) -> None:
    """A screenshot named after the failed test, in test-output/browser/, and where it is."""
    try:
        print(f"\nscreenshot of the failure: {screenshot(tab, f'{request.node.name}-FAILED')}")
    except Exception as error:  # the page may be gone
        print(f"\nno failure screenshot: {error}")


@pytest.fixture
def page(browser_context, lab_server, request):
    """A fresh tab; on failure a screenshot lands in test-output/browser/ and the kernels stop."""
    tab = new_tab(browser_context)
    yield tab
    if failed(request):
        screenshot_failure(tab, request)
        if tab.js_errors:
            print("page errors:\n" + "\n".join(tab.js_errors))
        print("end of the server's log:\n" + lab_server.log.read_text(errors="replace")[-3000:])
    tab.close()
    lab_server.shutdown_sessions()


# ------------------------------------------------------------ widget notebooks

@pytest.fixture(scope="module")
def widget_notebook(browser_context, lab_server, request):
    """The notebook of the test module's ``WIDGETS``, opened and run once for the module."""
    spec = request.module.WIDGETS
    if not spec.source.is_file():
        pytest.fail(f"{spec.source.relative_to(REPO)} does not exist: there is no widget to test", pytrace=False)
    nb = open_widget_notebook(browser_context, lab_server, spec)
    yield nb
    nb.page.close()
    lab_server.shutdown_sessions()


@pytest.fixture
def nb(widget_notebook, request):
    """The module's widget notebook; a screenshot when the test fails, and no JS errors allowed."""
    yield widget_notebook
    if failed(request):
        screenshot_failure(widget_notebook.page, request)
    errors = widget_notebook.page.js_errors
    assert not errors, f"errors in the page: {errors}"
