"""Driving JupyterLab in a real browser: the server's REST API, notebooks, cells, screenshots.

Every wait here has an explicit timeout, and a failure says what was awaited.

Starting and stopping are plain functions, used by the pytest fixtures
(conftest.py) and by the stepper benchmark (benchmarks/stepper.py) alike:

* `browser_missing()`: why the browser cannot run here (None when it can);
* `start_lab_server(base)` / `stop_lab_server(server)`: a private
  ``jupyter lab`` on 127.0.0.1 with a token, every Jupyter folder under ``base``;
* `start_browser(profile)`: Debian's Chromium under Playwright, headless,
  refusing every request that is not to this machine; ``.close()`` it.

Driving a notebook (`Notebook`), and the set-up every widget's browser tests
share: a notebook of one widget per cell (`WidgetCells`), opened in a new tab
(`new_tab`) and run once per test module (`open_widget_notebook`, used by
the fixtures ``widget_notebook`` and ``nb`` of conftest.py), then each
widget's view by its cell's key (`WidgetNotebook.view`).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

import nbformat

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO / "test-output" / "browser"

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

KERNEL_TIMEOUT = 60    # s: a kernel starting, or becoming idle again
OPEN_TIMEOUT = 60      # s: the lab page with the notebook in it
RUN_TIMEOUT = 90       # s: every cell of a notebook run
VIEW_TIMEOUT = 30      # s: a widget view attached to the page

_CODE_PROMPT_DONE = re.compile(r"^\[\d+\]:$")


def expect(actual, *args, **kwargs):
    """Playwright's ``expect``, imported when first used: without Playwright the tests skip first."""
    from playwright.sync_api import expect as playwright_expect
    return playwright_expect(actual, *args, **kwargs)


def screenshot(page, name: str, locator=None) -> Path:
    """Save a PNG in test-output/browser/ (of ``locator`` only, when given) and return its path."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    if locator is not None:
        locator.scroll_into_view_if_needed(timeout=5_000)
        locator.screenshot(path=str(path), timeout=10_000)
    else:
        page.screenshot(path=str(path), timeout=10_000)
    return path


class WaitAborted(AssertionError):
    """Raised by a `wait_until` predicate to stop waiting at once (e.g. a cell failed)."""


def wait_until(predicate: Callable[[], object], timeout: float, what: str, interval: float = 0.1,
               page=None):
    """Poll ``predicate`` until it returns something truthy; fail with ``what`` after ``timeout`` s.

    With ``page``, the pauses are Playwright's own (``page.wait_for_timeout``),
    so the browser's events keep being handled while Python waits: a bare
    ``time.sleep`` would hold up anything the sync API handles in Python.
    """
    deadline = time.monotonic() + timeout
    last_error: Optional[BaseException] = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except WaitAborted:
            raise
        except Exception as error:  # e.g. the server not answering yet
            last_error = error
        if time.monotonic() > deadline:
            extra = f" (last error: {last_error!r})" if last_error else ""
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}{extra}")
        if page is not None:
            page.wait_for_timeout(interval * 1000)
        else:
            time.sleep(interval)


@dataclass
class LabServer:
    """A running ``jupyter lab``: where it is, its token, its notebook folder."""

    url: str
    token: str
    root: Path
    log: Path
    proc: subprocess.Popen

    def api(self, method: str, path: str, body: object = None, timeout: float = 10):
        """One REST call with the token; the decoded JSON answer (None when empty)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def lab_url(self, notebook: str, reset: bool = True) -> str:
        """The lab with ``notebook`` open; ``reset``: in a fresh workspace.

        Without ``reset`` the lab restores the tabs of the last page (and
        starts their kernels too).
        """
        query = ("reset&" if reset else "") + f"token={self.token}"
        return f"{self.url}/lab/tree/{urllib.parse.quote(notebook)}?{query}"

    def session(self, notebook: str) -> Optional[dict]:
        """The server's session for this notebook, if any."""
        for s in self.api("GET", "/api/sessions"):
            if s.get("path") == notebook or s.get("notebook", {}).get("path") == notebook:
                return s
        return None

    def kernel_state(self, notebook: str) -> Optional[str]:
        """The execution state the server knows for this notebook's kernel (None: no kernel yet)."""
        s = self.session(notebook)
        if not s or not s.get("kernel"):
            return None
        kernel = self.api("GET", f"/api/kernels/{s['kernel']['id']}")
        return kernel.get("execution_state")

    def shutdown_sessions(self) -> None:
        """Stop every session and its kernel (between tests, so that kernels do not pile up)."""
        try:
            for s in self.api("GET", "/api/sessions"):
                self.api("DELETE", f"/api/sessions/{s['id']}", timeout=30)
        except Exception as error:  # the server may already be stopping
            print(f"could not shut the sessions down: {error!r}")

    def write_notebook(self, name: str, cells: Iterable[str]) -> str:
        """A notebook of code cells (each a source string) for the python3 kernel; its path."""
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python",
        }
        nb.metadata["language_info"] = {"name": "python"}
        nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
        nbformat.validate(nb)
        path = self.root / name
        nbformat.write(nb, str(path))
        return name


# ------------------------------------------------------ starting and stopping

class LabServerError(RuntimeError):
    """``jupyter lab`` did not start, or answered without the token (the message says which)."""


class BrowserUnavailable(RuntimeError):
    """Chromium or Playwright is missing, or Chromium would not start (the message says why)."""


def browser_missing() -> Optional[str]:
    """Why the real browser cannot run here: Chromium or Playwright missing; None if both are there."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return (f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium); "
                "no Playwright browser is ever downloaded")
    try:
        import playwright.sync_api  # noqa: F401
    except Exception as error:  # ImportError, or a broken install
        return (f"playwright cannot be imported ({type(error).__name__}: {error}); "
                "pip install -r requirements.txt -c constraints.txt")
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def start_lab_server(base: Path) -> LabServer:
    """``jupyter lab`` on a free localhost port with a random token, answering; its `LabServer`.

    Every Jupyter directory (config, data, runtime, workspaces, user
    settings) and the notebook folder are made under ``base`` (an empty
    folder), and nothing phones home (no news, no update check, a read-only
    extension manager). The lab extensions of ipywidgets and anywidget are
    still found through ``sys.prefix``; the kernels import `autodiff`,
    `widgets` (and `benchmarks`) from this checkout. Raises `LabServerError`
    (with the end of the server's log) if it does not answer in time, and
    if it answers without the token. Stop it with `stop_lab_server`.
    """
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
    with open(log_path, "wb") as log:  # the server keeps its own handle
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    server = LabServer(url=f"http://127.0.0.1:{port}", token=token, root=root, log=log_path, proc=proc)

    def log_tail() -> str:
        return log_path.read_text(errors="replace")[-4000:]

    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise LabServerError(f"jupyter lab exited with {proc.returncode} before answering:\n"
                                 f"{log_tail()}")
        try:
            status = server.api("GET", "/api/status", timeout=2)
            if "started" in status:
                break
        except (urllib.error.URLError, ConnectionError, OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            stop_lab_server(server)
            raise LabServerError(f"jupyter lab did not answer /api/status within "
                                 f"{SERVER_START_TIMEOUT}s:\n{log_tail()}")
        time.sleep(0.2)
    # Without the token the server must refuse: the token really is in force.
    try:
        urllib.request.urlopen(f"{server.url}/api/status", timeout=5)
    except urllib.error.HTTPError as error:
        if error.code != 403:
            stop_lab_server(server)
            raise LabServerError(f"jupyter lab answered /api/status without the token with "
                                 f"{error.code}, not 403") from None
    else:
        stop_lab_server(server)
        raise LabServerError("jupyter lab answered /api/status without the token")
    return server


def stop_process_group(proc: subprocess.Popen, timeout: float) -> None:
    """SIGTERM (a server shuts its kernels down), then SIGKILL to the whole group on timeout.

    Any kernel left behind in the process group goes too.
    """
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def stop_lab_server(server: LabServer) -> None:
    """Stop JupyterLab and everything it started."""
    stop_process_group(server.proc, SERVER_STOP_TIMEOUT)


@dataclass
class Browser:
    """Chromium under Playwright: ``context`` opens tabs; ``blocked`` lists every refused URL."""

    playwright: Any
    context: Any
    blocked: list[str] = field(default_factory=list)

    def close(self) -> None:
        try:
            self.context.close()
        finally:
            self.playwright.stop()


def start_browser(profile: Path) -> Browser:
    """Chromium from `CHROMIUM` (never a downloaded Playwright browser), headless, profile ``profile``.

    Every request to anything but this machine is refused and recorded in
    ``Browser.blocked`` (also ``context.blocked_requests``). Raises
    `BrowserUnavailable` if Playwright or Chromium does not start.
    """
    from playwright.sync_api import sync_playwright

    try:
        pw = sync_playwright().start()
    except Exception as error:
        raise BrowserUnavailable(f"playwright could not start ({type(error).__name__}: {error})") from None
    try:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000}, timeout=60_000,
        )
    except Exception as error:
        pw.stop()
        raise BrowserUnavailable(f"Chromium at {CHROMIUM} did not start under Playwright: {error}") from None
    browser = Browser(pw, context)

    # Only requests to anything but this machine reach the handler: the
    # pattern is matched inside the browser driver, so local traffic never
    # waits for Python (with the sync API a handler runs only while Python is
    # inside a Playwright call).
    def refuse(route):
        browser.blocked.append(route.request.url)
        route.abort()

    context.route(EXTERNAL, refuse)
    context.set_default_timeout(30_000)
    context.blocked_requests = browser.blocked  # for the tests to check
    return browser


class Notebook:
    """One notebook open in a lab tab, driven the way a learner would."""

    def __init__(self, page, server: LabServer, name: str):
        self.page, self.server, self.name = page, server, name
        self.panel = None  # set by open(): this notebook's panel

    # -- opening, kernel -------------------------------------------------

    def open(self) -> "Notebook":
        self.page.goto(self.server.lab_url(self.name), timeout=OPEN_TIMEOUT * 1000)
        # The tab of this notebook, current; its data-id is the id of its panel.
        tab = self.page.locator(
            '#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current[data-type="document-title"]'
        ).filter(has_text=self.name).first
        tab.wait_for(timeout=OPEN_TIMEOUT * 1000)
        self.panel = self.page.locator(f'[id="{tab.get_attribute("data-id")}"]')
        self.panel.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=OPEN_TIMEOUT * 1000)
        self.wait_kernel_idle()
        return self

    def wait_kernel_idle(self, timeout: float = KERNEL_TIMEOUT) -> None:
        """Idle for real: the server has a kernel for this notebook, idle, and the toolbar agrees.

        The page can show "idle" before any kernel exists, so the REST API is
        asked first; then the notebook's own toolbar must name the kernel and
        show it idle.
        """
        wait_until(lambda: self.server.kernel_state(self.name) == "idle", timeout,
                   f"the server to report an idle kernel for {self.name}", interval=0.2,
                   page=self.page)
        toolbar = self.panel.locator(".jp-NotebookPanel-toolbar")
        toolbar.locator(".jp-Toolbar-kernelName", has_text="Python 3").wait_for(timeout=timeout * 1000)
        toolbar.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(
            timeout=timeout * 1000)

    # -- running ---------------------------------------------------------

    def run_all(self, timeout: float = RUN_TIMEOUT) -> None:
        """Run > Run All Cells from the menu bar, then wait until every code cell has run.

        The wait reads the prompts (and the errors) as ``textContent``: JupyterLab
        skips rendering cells out of view (``content-visibility``) and their
        ``innerText`` is empty, so a notebook of tall widgets would never look
        finished.
        """
        self.panel.locator(".jp-Notebook").click(position={"x": 5, "y": 5})  # focus the notebook
        self.page.get_by_role("menuitem", name="Run", exact=True).click()
        self.page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        self.wait_all_executed(timeout)

    def _texts(self, selector: str) -> list[str]:
        """The ``textContent`` of every match, stripped: cells out of view too (see `run_all`)."""
        return self.panel.locator(selector).evaluate_all("els => els.map(e => e.textContent.trim())")

    def code_prompts(self) -> list[str]:
        return self._texts(".jp-CodeCell .jp-InputArea-prompt")

    def tracebacks(self) -> list[str]:
        """The texts of the error outputs (tracebacks) shown in the notebook."""
        outputs = self._texts('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        return [t for t in outputs if "Traceback" in t]

    def wait_all_executed(self, timeout: float = RUN_TIMEOUT) -> None:
        """Every code cell has an execution count, and the kernel is idle again.

        A cell that fails stops Run All, so a traceback ends the wait at once.
        """
        def done():
            errors = self.tracebacks()
            if errors:
                raise WaitAborted(f"a cell of {self.name} failed:\n" + "\n".join(errors))
            prompts = self.code_prompts()
            return prompts and all(_CODE_PROMPT_DONE.match(p) for p in prompts)

        wait_until(done, timeout, f"every code cell of {self.name} to have run", interval=0.2,
                   page=self.page)
        self.wait_kernel_idle(timeout)

    def cell(self, index: int):
        """Cell ``index`` (0-based, counting every cell) of this notebook."""
        return self.panel.locator(".jp-Notebook .jp-Cell").nth(index)

    def output(self, index: int):
        return self.cell(index).locator(".jp-OutputArea")

    def wait_widget_view(self, index: int, selector: str, timeout: float = VIEW_TIMEOUT):
        """The widget view in cell ``index``'s output, attached and visible; its locator."""
        view = self.output(index).locator(selector).first
        view.scroll_into_view_if_needed(timeout=timeout * 1000)
        view.wait_for(state="visible", timeout=timeout * 1000)
        return view

    def run_new_cell(self, source: str, timeout: float = RUN_TIMEOUT):
        """Add a code cell at the end, type ``source`` into it, run it (Shift+Enter); its output area."""
        count = self.panel.locator(".jp-Cell").count()
        last = self.cell(count - 1)
        last.locator(".jp-InputPrompt").click()  # select the last cell (command mode)
        self.page.keyboard.press("Escape")
        self.page.keyboard.press("b")            # insert a cell below, as a learner would
        new = self.cell(count)
        new.wait_for(timeout=10_000)
        new.locator(".cm-content").click()
        self.page.keyboard.insert_text(source)
        self.page.keyboard.press("Shift+Enter")
        wait_until(lambda: _CODE_PROMPT_DONE.match(new.locator(".jp-InputArea-prompt").text_content().strip()),
                   timeout, f"the new cell to run (source {source!r})", interval=0.1, page=self.page)
        self.wait_kernel_idle(timeout)
        return new.locator(".jp-OutputArea")

    def kernel_says(self, source: str, expected: str, timeout: float = 10):
        """Run ``source`` in a new cell (`run_new_cell`); its output must come to contain ``expected``.

        Returns the output area, to read more from it.
        """
        out = self.run_new_cell(source)
        expect(out).to_contain_text(expected, timeout=timeout * 1000)
        return out


# ---------------------------------------------------------- widget notebooks

def new_tab(context, viewport: Optional[dict] = None):
    """A new tab of ``context``; ``tab.js_errors`` collects the page's uncaught errors."""
    tab = context.new_page()
    if viewport:
        tab.set_viewport_size(viewport)
    tab.js_errors = []
    tab.on("pageerror", lambda exc: tab.js_errors.append(str(exc)))
    return tab


@dataclass(frozen=True)
class WidgetCells:
    """The notebook of a module of widget tests: a set-up cell, then one cell per widget view.

    ``widget`` names the widget's module (``"stepper"``: widgets/stepper.py,
    which must exist; the notebook is stepper.ipynb). ``cells`` maps a key (a
    test's name for its widget, such as "play") to the source of the cell that
    shows it, so that each test gets a widget of its own. ``selector`` finds a
    view's root (``.ad-stepper``); ``viewport``, if given, is the tab's size
    (tall enough for a whole widget in a screenshot).
    """

    widget: str
    selector: str
    setup: str
    cells: dict[str, str]
    viewport: Optional[dict] = None

    @property
    def notebook(self) -> str:
        return f"{self.widget}.ipynb"

    @property
    def source(self) -> Path:
        """The widget's Python file."""
        return REPO / "widgets" / f"{self.widget}.py"

    def index(self, key: str) -> int:
        """The index of the cell that shows widget ``key`` (the set-up cell is 0)."""
        return 1 + list(self.cells).index(key)


class WidgetNotebook(Notebook):
    """The notebook of a `WidgetCells`, written to the server's folder."""

    def __init__(self, page, server: LabServer, spec: WidgetCells):
        super().__init__(page, server, server.write_notebook(spec.notebook, [spec.setup, *spec.cells.values()]))
        self.spec = spec

    def view(self, key: str):
        """The root of widget ``key``'s view, attached, visible and scrolled to."""
        root = self.wait_widget_view(self.spec.index(key), self.spec.selector)
        root.scroll_into_view_if_needed()
        return root


def open_widget_notebook(context, server: LabServer, spec: WidgetCells) -> WidgetNotebook:
    """A new tab with the notebook of ``spec`` open, every cell run and every widget view shown.

    A failure (a cell's traceback, a view that never shows) leaves a
    screenshot ``<widget>-notebook-FAILED.png`` in test-output/browser/.
    """
    nb = WidgetNotebook(new_tab(context, spec.viewport), server, spec)
    try:
        nb.open()
        nb.run_all()  # fails at once, with the traceback, if a cell fails (the widget's import too)
        for key in spec.cells:
            nb.wait_widget_view(spec.index(key), spec.selector)
    except BaseException:
        screenshot(nb.page, f"{spec.widget}-notebook-FAILED")
        raise
    return nb


class WidgetView:
    """Locators inside one widget view; ``root`` is the view's root element.

    ``parts`` (a subclass's table: attribute name -> CSS selector inside the
    view) become attributes: with ``parts = {"counter": '[data-role="counter"]'}``,
    ``view.counter`` is that element's locator.
    """

    parts: dict[str, str] = {}

    def __init__(self, root):
        self.root = root
        for name, selector in self.parts.items():
            setattr(self, name, root.locator(selector))

    def button(self, action: str, **data: object):
        """``button[data-action=action]``, narrowed by ``data-*`` attributes: ``button("neurons-plus", layer=0)``."""
        extra = "".join(f'[data-{key}="{value}"]' for key, value in data.items())
        return self.root.locator(f'button[data-action="{action}"]{extra}')
