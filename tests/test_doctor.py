"""doctor(): the printed report is the same on every ready machine, and the
returned dict holds the details (renderer, versions, paths) and the problems.
"""

import os
import platform
import shutil
import sys
import types
from importlib import metadata

import IPython
import pytest

import autodiff
from widgets import doctor, graphviz_renderer
from widgets import render as render_module

# What a ready machine prints inside a Jupyter kernel (the first lesson's output).
READY_IN_A_KERNEL = """\
autodiff doctor
✓ Python: OK
✓ autodiff: OK
✓ widgets (ipywidgets, anywidget): OK
✓ Jupyter kernel: OK
✓ graph drawing (Graphviz): OK
✓ PyTorch (optional, for the cross-check): OK
Not checkable from Python: whether your notebook page can display widgets. If a
widget shows as plain text or as 'Error displaying widget', use JupyterLab 4 or
Notebook 7 (make lab does), or pip install jupyterlab_widgets, then reload the page.
Ready for the lessons.
"""


def run(capsys):
    findings = doctor()
    return findings, capsys.readouterr().out


def fake_ipython(monkeypatch, shell):
    """Make IPython's get_ipython() return ``shell`` (as it does inside a kernel)."""
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)


@pytest.fixture
def in_a_kernel(monkeypatch):
    fake_ipython(monkeypatch, types.SimpleNamespace(kernel=object()))


@pytest.fixture
def system_dot_on_path(monkeypatch, tmp_path):
    """The real system dot if there is one, else a `dot` that runs graphviz-pure."""
    if shutil.which("dot") is None:
        if os.name != "posix":
            pytest.skip("no system dot, and the stand-in is a /bin/sh script")
        fake = tmp_path / "dot"
        fake.write_text(f'#!/bin/sh\nexec "{render_module._find_graphviz_pure()}" "$@"\n')
        fake.chmod(0o755)
        monkeypatch.setenv("PATH", str(tmp_path))
    assert graphviz_renderer().name == "system dot"


def test_the_report_of_a_ready_machine(in_a_kernel, capsys):
    findings, out = run(capsys)
    assert out == READY_IN_A_KERNEL
    assert findings["ok"] is True


def test_the_report_is_the_same_with_system_dot_and_with_graphviz_pure(
        in_a_kernel, system_dot_on_path, monkeypatch, tmp_path, capsys):
    with_dot, out_with_dot = run(capsys)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with_pure, out_with_pure = run(capsys)
    assert with_dot["graphviz"]["renderer"] == "system dot"
    assert with_pure["graphviz"]["renderer"] == "graphviz-pure"
    assert with_dot["graphviz"]["path"] != with_pure["graphviz"]["path"]
    assert out_with_dot == out_with_pure == READY_IN_A_KERNEL


def test_the_dict_holds_the_details(monkeypatch, capsys):
    fake_ipython(monkeypatch, None)  # plain Python, even if another test started a shell
    findings, out = run(capsys)
    renderer = graphviz_renderer()
    assert set(findings) == {"python", "autodiff", "widgets", "jupyter", "graphviz", "torch", "ok"}
    assert findings["python"]["version"] == platform.python_version()
    assert findings["python"]["executable"] == sys.executable
    assert findings["autodiff"]["version"] == autodiff.__version__
    assert findings["widgets"]["ipywidgets"] == metadata.version("ipywidgets")
    assert findings["widgets"]["anywidget"] == metadata.version("anywidget")
    assert findings["graphviz"] == {"ok": True, "renderer": renderer.name, "version": renderer.version,
                                    "path": renderer.path, "problem": None}
    assert findings["torch"]["version"] == metadata.version("torch")
    # pytest is plain Python: no kernel, and doctor says so without calling it a blocker
    assert findings["jupyter"] == {"ok": False, "in_ipython": False, "in_kernel": False,
                                   "front_end": "unknown", "problem": findings["jupyter"]["problem"]}
    assert "· Jupyter kernel: this is plain Python: widgets show only in a notebook" in out
    assert findings["ok"] is True
    # the details are not printed
    for detail in (renderer.name, renderer.path, renderer.version, platform.python_version(),
                   metadata.version("ipywidgets"), sys.executable):
        assert detail not in out


def test_ipython_in_a_terminal_is_told_apart_from_a_kernel(monkeypatch, capsys):
    fake_ipython(monkeypatch, types.SimpleNamespace())  # a shell with no kernel
    findings, out = run(capsys)
    assert findings["jupyter"]["in_ipython"] and not findings["jupyter"]["in_kernel"]
    assert "· Jupyter kernel: this is IPython in a terminal" in out


def test_no_renderer_is_reported_with_the_fix(in_a_kernel, monkeypatch, capsys):
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    findings, out = run(capsys)
    assert findings["graphviz"]["ok"] is False and findings["graphviz"]["renderer"] is None
    assert findings["ok"] is False
    assert "✗ graph drawing (Graphviz): Cannot draw the graph" in out
    for fix in ("pip install graphviz-pure", "apt-get install graphviz", "conda install graphviz"):
        assert fix in out
    assert out.endswith("Not ready: fix the problems marked ✗ above, then run doctor() again.\n")


@pytest.mark.skipif(os.name != "posix", reason="uses a /bin/sh script as a stand-in dot")
def test_a_broken_renderer_is_reported(in_a_kernel, monkeypatch, tmp_path, capsys):
    broken = tmp_path / "dot"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    findings, out = run(capsys)
    assert findings["graphviz"]["renderer"] == "system dot" and not findings["graphviz"]["ok"]
    assert "failed to draw a test graph" in findings["graphviz"]["problem"]
    assert "✗ graph drawing (Graphviz): system dot" in out


def test_missing_widget_libraries_are_reported_with_the_fix(in_a_kernel, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "anywidget", None)  # makes `import anywidget` fail
    findings, out = run(capsys)
    assert findings["widgets"]["ok"] is False and findings["widgets"]["anywidget"] is None
    assert findings["widgets"]["ipywidgets"] == metadata.version("ipywidgets")
    assert findings["ok"] is False
    assert "✗ widgets (ipywidgets, anywidget): anywidget does not import" in out
    assert "pip install ipywidgets anywidget" in out


def test_missing_torch_is_optional(in_a_kernel, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)
    findings, out = run(capsys)
    assert findings["torch"]["ok"] is False
    assert findings["ok"] is True
    assert "· PyTorch (optional, for the cross-check): not usable" in out
    assert "pip install torch" in out
    assert out.endswith("Ready for the lessons.\n")
