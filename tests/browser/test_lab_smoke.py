"""JupyterLab in a real browser: the lab loads its widget extensions, the kernel is this
checkout's Python, and an ipywidgets Button round-trips through the kernel."""

from __future__ import annotations

import sys

from .helpers import REPO, Notebook, screenshot

SMOKE_CELLS = [
    "import sys, autodiff\nprint(sys.executable)\nprint(autodiff.__file__)",
    "import ipywidgets as w\n"
    "count = w.IntText(value=0, description='clicks')\n"
    "label = w.Label(value='clicked 0 times')\n"
    "button = w.Button(description='Click me')\n"
    "def on_click(_):\n"
    "    count.value += 1\n"
    "    label.value = f'clicked {count.value} times'\n"
    "button.on_click(on_click)\n"
    "w.VBox([button, count, label])",
]


def test_widgets_render_and_round_trip(page, lab_server, browser_context):
    from playwright.sync_api import expect

    nb = Notebook(page, lab_server, lab_server.write_notebook("smoke.ipynb", SMOKE_CELLS)).open()

    # The lab extensions of ipywidgets and anywidget are found (through sys.prefix).
    config = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent)")
    extensions = {e["name"] for e in config.get("federated_extensions", [])}
    assert {"@jupyter-widgets/jupyterlab-manager", "anywidget"} <= extensions, extensions

    # Nothing phones home: the news feed is off, no update check, news never fetched.
    assert config.get("news", {}).get("disabled") is True, config.get("news")
    assert lab_server.api("GET", "/lab/api/update") == {"notification": None}
    notification = lab_server.api("GET", "/lab/api/settings/@jupyterlab/apputils-extension:notification")
    assert notification["settings"]["fetchNews"] == "false", notification["settings"]
    assert notification["settings"]["checkForUpdates"] is False, notification["settings"]

    nb.run_all()

    # The kernel is this venv's Python, and it imports this checkout's autodiff.
    out = nb.output(0).inner_text()
    assert sys.executable in out, out
    assert str(REPO / "autodiff" / "__init__.py") in out and "Error" not in out, out

    view = nb.wait_widget_view(1, ".widget-vbox")
    button = view.locator("button.widget-button", has_text="Click me")
    label = view.locator(":scope > .widget-label")  # the Label (not the IntText's own label)
    number = view.locator(".widget-text input")
    expect(label).to_have_text("clicked 0 times")

    button.click()
    expect(label).to_have_text("clicked 1 times", timeout=10_000)
    expect(number).to_have_value("1")
    button.click()
    expect(label).to_have_text("clicked 2 times", timeout=10_000)
    screenshot(page, "lab_smoke-after-two-clicks")

    # ... and the kernel saw both clicks.
    printed = nb.run_new_cell("print('kernel count', count.value)")
    expect(printed).to_contain_text("kernel count 2", timeout=10_000)

    assert not page.js_errors, page.js_errors
    assert not browser_context.blocked_requests, (
        f"the page tried to reach the outside: {browser_context.blocked_requests}")
    log = lab_server.log.read_text(errors="replace")
    assert "Failed to get announcements" not in log and "Traceback" not in log, log[-3000:]
