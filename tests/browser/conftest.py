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

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .helpers import REPO, SCREENSHOT_DIR, LabServer, screenshot

# Debian's Chromium; never a browser downloaded by Playwright. (The variable
# is for checking the skip/fail logic, or a machine that has it elsewhere.)
CHROMIUM = os.environ.get("AUTODIFF_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Any URL that is not this machine's (nor data:, blob:, about:).
EXTERNAL = re.compile(r"^(?!(https?|wss?)://(127\.0\.0\.1|localhost)(:[0-9]+)?/|data:|blob:|about:)")
SERVER_START_TIMEOUT = 90  # seconds until /api/status answers
SERVER_STOP_TIMEOUT = 20   # seconds between SIGTERM and SIGKILL


def skip_or_fail(reason: str) -> None:
    """Skip loudly; on CI (CI=true) a missing browser is a failure, not a skip."""
    reason = f"BROWSER TESTS NOT RUN: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


# --------------------------------------------------------------------- server

@pytest.fixture(scope="session")
def lab_server(tmp_path_factory, browser_prerequisites):
    base = tmp_path_factory.mktemp("lab")
    root = base / "notebooks"
    config_dir, data_dir, runtime_dir = base / "config", base / "data", base / "runtime"
    workspaces, settings = base / "workspaces", base / "user-settings"
    for d in (root, config_dir, data_dir, runtime_dir, workspaces, settings):
        d.mkdir()

    # Nothing phones home: no news feed, no update check, no PyPI look-ups.
    _write_json(config_dir / "jupyter_server_config.json", {
        "LabApp": {
            "news_url": None,
            "check_for_updates_class": "jupyterlab.handlers.announcements.NeverCheckForUpdate",
            "extension_manager": "readonly",
        },
    })
    _write_json(settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings",
                {"fetchNews": "false", "checkForUpdates": False})

    # The screenshots of an earlier run would be mistaken for this one's.
    for old in SCREENSHOT_DIR.glob("*.png"):
        old.unlink(missing_ok=True)

    port, token = _free_port(), secrets.token_hex(24)
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(config_dir),
        JUPYTER_DATA_DIR=str(data_dir),
        JUPYTER_RUNTIME_DIR=str(runtime_dir),
        JUPYTER_PLATFORM_DIRS="1",
        IPYTHONDIR=str(base / "ipython"),
        # The kernels inherit this: `autodiff` and `widgets` from this checkout.
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("JUPYTER_PREFER_ENV_PATH", None)
    cmd = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        f"--LabApp.workspaces_dir={workspaces}", f"--LabApp.user_settings_dir={settings}",
        "--ServerApp.allow_root=True",  # CI runs as root
    ]
    log_path = base / "jupyter-lab.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    server = LabServer(url=f"http://127.0.0.1:{port}", token=token, root=root, log=log_path, proc=proc)

    def log_tail() -> str:
        return log_path.read_text(errors="replace")[-4000:]

    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        if proc.poll() is not None:
            log.close()
            pytest.fail(f"jupyter lab exited with {proc.returncode} before answering:\n{log_tail()}",
                        pytrace=False)
        try:
            status = server.api("GET", "/api/status", timeout=2)
            if "started" in status:
                break
        except (urllib.error.URLError, ConnectionError, OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            _stop(proc)
            log.close()
            pytest.fail(f"jupyter lab did not answer /api/status within {SERVER_START_TIMEOUT}s:\n"
                        f"{log_tail()}", pytrace=False)
        time.sleep(0.2)
    # Without the token the server must refuse: the token really is in force.
    try:
        urllib.request.urlopen(f"{server.url}/api/status", timeout=5)
        pytest.fail("jupyter lab answered /api/status without the token", pytrace=False)
    except urllib.error.HTTPError as error:
        assert error.code == 403, error
    try:
        yield server
    finally:
        _stop(proc)
        log.close()
        # kept for a post-mortem: the temporary folder goes away
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log_path, SCREENSHOT_DIR / "jupyter-lab.log")


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM (the server shuts its kernels down), then SIGKILL to the whole group on timeout."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=SERVER_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    # Any kernel left behind in the server's process group goes too.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# -------------------------------------------------------------------- browser

@pytest.fixture(scope="session")
def browser_prerequisites():
    """Chromium at /usr/bin/chromium and the Playwright package, or a loud skip (a failure on CI)."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        skip_or_fail(f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium); "
                     "no Playwright browser is ever downloaded")
    try:
        import playwright.sync_api  # noqa: F401
    except Exception as error:  # ImportError, or a broken install
        skip_or_fail(f"playwright cannot be imported ({type(error).__name__}: {error}); "
                     "pip install -r requirements.txt -c constraints.txt")


@pytest.fixture(scope="session")
def browser_context(browser_prerequisites, lab_server, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    blocked: list[str] = []

    try:
        pw = sync_playwright().start()
    except Exception as error:
        skip_or_fail(f"playwright could not start ({type(error).__name__}: {error})")
    try:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000}, timeout=60_000,
        )
    except Exception as error:
        pw.stop()
        skip_or_fail(f"Chromium at {CHROMIUM} did not start under Playwright: {error}")

    # Only requests to anything but this machine reach the handler: the
    # pattern is matched inside the browser driver, so local traffic never
    # waits for Python (with the sync API a handler runs only while Python is
    # inside a Playwright call).
    def refuse(route):
        blocked.append(route.request.url)
        route.abort()

    context.route(EXTERNAL, refuse)
    context.set_default_timeout(30_000)
    context.blocked_requests = blocked  # for the tests to check
    try:
        yield context
    finally:
        try:
            context.close()
        finally:
            pw.stop()
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
