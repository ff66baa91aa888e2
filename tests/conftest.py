"""Shared test set-up: a deterministic Hypothesis profile, and `run_js` (widget JS under node)."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# derandomize=True: the same examples on every run and every machine, so a
# failure seen once is seen again. No example database is written either.
settings.register_profile(
    "autodiff-deterministic",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("autodiff-deterministic")


# ---------------------------------------------------------------------------
# Running a widget's browser code under node
# ---------------------------------------------------------------------------

def node_executable() -> str:
    """node (or nodejs) on PATH, else the node that ships with Playwright.

    Without one the test is skipped, loudly; on CI (``CI=true``) that is a failure.
    """
    found = shutil.which("node") or shutil.which("nodejs")
    if not found:
        try:
            import playwright  # ships a node of its own
            candidate = Path(playwright.__file__).parent / "driver" / "node"
            found = str(candidate) if candidate.is_file() else None
        except ImportError:
            found = None
    if not found:
        reason = "node is needed to test the widgets' JavaScript"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return found


@pytest.fixture
def run_js(tmp_path):
    """``run_js(module, runner, job=None)``: run ``runner`` under node; what it printed, as JSON.

    ``module`` is the source of a widget's ES module, as the browser gets it
    (a widget class's ``_esm``: common.js and the widget's own file); the
    runner imports it as ``./widget.mjs``. ``job`` (if any) reaches the
    runner as JSON on its stdin.
    """
    node = node_executable()

    def run(module: str, runner: str, job=None):
        (tmp_path / "widget.mjs").write_text(module, encoding="utf-8")
        (tmp_path / "run.mjs").write_text(runner, encoding="utf-8")
        proc = subprocess.run([node, "run.mjs"], input="" if job is None else json.dumps(job),
                              text=True, capture_output=True, cwd=tmp_path, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    return run
