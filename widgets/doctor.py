"""`doctor()`: can this machine show the lessons? A check with a fix for every problem.

Run it first in a new environment::

    from widgets import doctor
    doctor();          # the ; stops Jupyter from also showing the returned dict

Why the printed report names no versions, paths or renderer. The first lesson
runs ``doctor()`` and its output is checked (nbval) against the output saved in
the notebook, on machines that differ: one has Graphviz's own ``dot``,
another only ``graphviz-pure``; versions and paths differ too. So everything
that works prints as one fixed line, ``✓ <topic>: OK``, and the details
(which renderer, versions, paths) go only into the returned dict. A line
with details is printed only for a problem, and then the output *should*
differ from the saved one: the notebook check fails where the machine is not
ready, and says why.
"""

from __future__ import annotations

import importlib
import platform
import sys
from importlib import metadata
from typing import Any, Callable

import graphviz

import autodiff

from .render import graphviz_renderer, render_svg

__all__ = ["doctor"]

Finding = dict[str, Any]

FRONT_END_NOTE = (
    "Not checkable from Python: whether your notebook page can display widgets. If a\n"
    "widget shows as plain text or as 'Error displaying widget', use JupyterLab 4 or\n"
    "Notebook 7 (make lab does), or pip install jupyterlab_widgets, then reload the page."
)


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _importable(module: str) -> tuple[bool, str | None]:
    """(True, None) if ``module`` imports, else (False, why not)."""
    try:
        importlib.import_module(module)
    except Exception as error:  # a broken install raises anything, not only ImportError
        return False, f"{type(error).__name__}: {error}"
    return True, None


def _check_python() -> Finding:
    version = platform.python_version()
    ok = sys.version_info >= (3, 11)
    problem = None if ok else (
        f"this is Python {version}; the kit needs 3.11 or newer. "
        "Fix: make a new environment with Python 3.11 (make lab does)")
    return {"ok": ok, "version": version, "executable": sys.executable, "problem": problem}


def _check_autodiff() -> Finding:
    return {"ok": True, "version": autodiff.__version__,
            "location": getattr(autodiff, "__file__", None), "problem": None}


def _check_widgets() -> Finding:
    found: Finding = {}
    missing = []
    for name in ("ipywidgets", "anywidget"):
        ok, why = _importable(name)
        found[name] = _version(name) if ok else None
        if not ok:
            missing.append(f"{name} does not import ({why})")
    problem = None if not missing else (
        "; ".join(missing) + ". Fix: pip install ipywidgets anywidget, then restart the kernel")
    return {"ok": not missing, **found, "problem": problem}


def _check_jupyter() -> Finding:
    """Is this a Jupyter kernel? Whether a page is attached to it cannot be known."""
    shell = None
    if "IPython" in sys.modules:  # never import IPython just to find out it is not running
        shell = sys.modules["IPython"].get_ipython()
    in_kernel = shell is not None and getattr(shell, "kernel", None) is not None
    if in_kernel:
        problem = None
    elif shell is not None:
        problem = "this is IPython in a terminal: widgets show only in a notebook"
    else:
        problem = "this is plain Python: widgets show only in a notebook"
    return {"ok": in_kernel, "in_ipython": shell is not None, "in_kernel": in_kernel,
            "front_end": "unknown", "problem": problem}


def _check_graphviz() -> Finding:
    """Find a renderer and draw a two-node graph with it."""
    try:
        renderer = graphviz_renderer()
    except RuntimeError as error:
        return {"ok": False, "renderer": None, "version": None, "path": None,
                "problem": str(error)}
    found = {"renderer": renderer.name, "version": renderer.version, "path": renderer.path}
    try:
        render_svg(graphviz.Digraph(body=["a -> b"]))
    except Exception as error:
        return {"ok": False, **found, "problem": (
            f"{renderer.name} ({renderer.path}) failed to draw a test graph: {error}. "
            "Fix: pip install --force-reinstall graphviz-pure, or reinstall Graphviz")}
    return {"ok": True, **found, "problem": None}


def _check_torch() -> Finding:
    ok, why = _importable("torch")
    problem = None if ok else (
        f"not usable ({why}); only the cross-check with PyTorch needs it. Fix: pip install torch")
    return {"ok": ok, "version": _version("torch") if ok else None, "problem": problem}


# (key, topic printed, the check, needed for the lessons?)
CHECKS: tuple[tuple[str, str, Callable[[], Finding], bool], ...] = (
    ("python", "Python", _check_python, True),
    ("autodiff", "autodiff", _check_autodiff, True),
    ("widgets", "widgets (ipywidgets, anywidget)", _check_widgets, True),
    ("jupyter", "Jupyter kernel", _check_jupyter, False),
    ("graphviz", "graph drawing (Graphviz)", _check_graphviz, True),
    ("torch", "PyTorch (optional, for the cross-check)", _check_torch, False),
)


def doctor() -> dict[str, Any]:
    """Check this machine, print a short report, and return the findings.

    The dict has one entry per check (``python``, ``autodiff``, ``widgets``,
    ``jupyter``, ``graphviz``, ``torch``), each with ``ok``, ``problem``
    (None, or what is wrong and the fix) and details (versions, paths, the
    renderer's name), and ``ok``: True when everything the lessons need works
    (the Jupyter kernel and PyTorch are not counted).
    """
    findings: dict[str, Any] = {}
    lines = ["autodiff doctor"]
    for key, topic, check, needed in CHECKS:
        finding = findings[key] = check()
        mark = "✓" if finding["ok"] else "✗" if needed else "·"
        lines.append(f"{mark} {topic}: {'OK' if finding['ok'] else finding['problem']}")
    findings["ok"] = all(findings[key]["ok"] for key, _, _, needed in CHECKS if needed)
    lines.append(FRONT_END_NOTE)
    lines.append("Ready for the lessons." if findings["ok"] else
                 "Not ready: fix the problems marked ✗ above, then run doctor() again.")
    print("\n".join(lines))
    return findings
