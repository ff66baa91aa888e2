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

Without Chromium or Playwright the tests are skipped with a loud reason,
except on CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import os
import shutil

import pytest

from .helpers import (SCREENSHOT_DIR, BrowserUnavailable, LabServerError, browser_missing,
                      screenshot, start_browser, start_lab_server, stop_lab_server)


def skip_or_fail(reason: str) -> None:
    """Skip loudly; on CI (CI=true) a missing browser is a failure, not a skip."""
    reason = f"BROWSER TESTS NOT RUN: {reason}"
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


@pytest.fixture
def page(browser_context, lab_server, request):
    """A fresh tab; on failure a screenshot lands in test-output/browser/ and the kernels stop."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    tab = browser_context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.js_errors = errors
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        try:
            path = screenshot(tab, f"{request.node.name}-FAILED")
            print(f"\nscreenshot of the failure: {path}")
            if errors:
                print("page errors:\n" + "\n".join(errors))
            print("end of the server's log:\n" + lab_server.log.read_text(errors="replace")[-3000:])
        except Exception as error:  # the page may be gone
            print(f"\nno failure screenshot: {error}")
    tab.close()
    lab_server.shutdown_sessions()
