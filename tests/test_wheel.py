"""The wheel on its own: built, installed into a fresh venv (no -e, no clone), and used.

One test, marked slow, as a learner on a new laptop would go: build the wheel
(``python -m build``), make a fresh venv, ``pip install`` the wheel with its
[lab] and [check] extras under the pinned versions (constraints.txt: torch is
then the 2.13.0 CPU build, never a CUDA one), and then, in that venv only:

* ``autodiff-kit lessons`` copies the lessons and their exercises into a
  folder outside the clone, and nbval (strict, the kit's sanitizers) runs
  some of the copies there, importing the installed ``autodiff``;
* ``autodiff-kit doctor`` says "Ready for the lessons." (exit 0);
* ``autodiff-kit check``, the PyTorch cross-check, passes;
* the widgets' JS and CSS are in the installed package (not the clone's).

pip's cache (and torch's wheel on this machine's disk) keeps it off the
network. Measured on the 2-core machine, shared (load average 4 to 7): 257 s
in all, of which the venv and pip install 218 s (unpacking and compiling
torch and JupyterLab), nbval 19 s, doctor 7 s, check 7 s; about 2 minutes of
CPU time, so about 2 minutes on an idle machine. BUDGET only guards against a
runaway.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest

from autodiff_kit import lesson_notebooks

ROOT = Path(__file__).resolve().parents[1]
LESSONS_UNDER_NBVAL = ("01_setup.ipynb", "03_computation_graphs.ipynb",  # doctor(); graphs drawn
                       "15_a_digit_classifier.ipynb")                      # the shipped digits, torch
WIDGET_FILES = ("common.js", "stepper.js", "stepper.css", "playground.js", "playground.css",
                "optimizer_lab.js", "optimizer_lab.css", "engine_report.js", "engine_report.css")
NOT_SOURCE = (".git", ".venv", ".lockenv", "build", "*.egg-info", "__pycache__", ".pytest_cache",
              ".hypothesis", "test-output", "student", "demo-output", "output", "autodiff-lessons")
BUDGET = 420  # s for the whole test, a guard against a runaway (measured: see the module's doc)


def clean_env(tmp: Path) -> dict[str, str]:
    """This process's environment without anything pointing at the clone or its .venv."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "JUPYTER_PATH", "PYTEST_ADDOPTS"}}
    for name in ("config", "data", "runtime", "ipython"):
        (tmp / "jupyter" / name).mkdir(parents=True, exist_ok=True)
    env.update(JUPYTER_CONFIG_DIR=str(tmp / "jupyter" / "config"), JUPYTER_DATA_DIR=str(tmp / "jupyter" / "data"),
               JUPYTER_RUNTIME_DIR=str(tmp / "jupyter" / "runtime"), IPYTHONDIR=str(tmp / "jupyter" / "ipython"),
               JUPYTER_PLATFORM_DIRS="1")
    return env


def run(command: list, *, cwd: Path, env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, (f"{' '.join(map(str, command))} exited {done.returncode}\n"
                                  f"--- stdout ---\n{done.stdout[-4000:]}\n--- stderr ---\n{done.stderr[-4000:]}")
    return done


class Clock:
    """Seconds per phase, printed at the end (pytest -s shows them) and kept in the failure message."""

    def __init__(self):
        self.start = self.last = time.monotonic()
        self.phases: list[tuple[str, float]] = []

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.phases.append((name, now - self.last))
        self.last = now

    def __str__(self) -> str:
        return ", ".join(f"{name} {seconds:.0f} s" for name, seconds in self.phases) + \
            f"; in all {time.monotonic() - self.start:.0f} s"


@pytest.mark.slow
def test_the_wheel_installs_alone_and_runs_the_lessons(tmp_path):
    clock = Clock()
    env = clean_env(tmp_path)
    # 1. The wheel, built as `python -m build` builds it (this environment's setuptools), from a
    #    copy of the clone: setuptools' build/ folder there may hold files removed since.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", tmp_path / "dist", source],
        cwd=tmp_path, env=env)
    (wheel,) = (tmp_path / "dist").glob("autodiff_kit-*-py3-none-any.whl")
    clock.lap("build")

    # 2. A fresh venv, and the wheel with its extras, every version from the lock file.
    venv.EnvBuilder(with_pip=True).create(tmp_path / "venv")
    bindir = tmp_path / "venv" / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    kit = bindir / ("autodiff-kit.exe" if os.name == "nt" else "autodiff-kit")
    run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         f"{wheel}[lab,check]", "nbval", "pytest", "-c", ROOT / "constraints.txt"], cwd=tmp_path, env=env)
    clock.lap("venv and pip install")
    installed = tmp_path / "installed"
    installed.mkdir()
    torch_version = run([python, "-c", "from importlib.metadata import version; print(version('torch'))"],
                        cwd=installed, env=env)
    assert torch_version.stdout.strip() == "2.13.0+cpu"

    # 3. The widgets' front ends are in the installed package, not read from the clone.
    where = run([python, "-c", "import widgets, autodiff; print(widgets.__file__); print(autodiff.__file__)"],
                cwd=installed, env=env).stdout.split()
    package = Path(where[0]).parent
    assert (tmp_path / "venv") in package.parents and ROOT not in package.parents, where
    assert ROOT not in Path(where[1]).parents, where
    missing = [name for name in WIDGET_FILES if not (package / name).is_file()]
    assert not missing, f"not in the wheel: {missing}"
    assert "export default" in (package / "stepper.js").read_text(encoding="utf-8")

    # 4. The learner's copy of the lessons, and nbval strict on some of them, there.
    lessons = tmp_path / "my lessons"            # a space, as in many a Windows user folder
    done = run([kit, "lessons", lessons], cwd=tmp_path, env=env)
    assert "copied" in done.stdout
    assert sorted(p.name for p in lessons.glob("*.ipynb")) == sorted(p.name for p in lesson_notebooks(ROOT / "notebooks").values())
    assert sorted(p.name for p in (lessons / "exercises").glob("*.py")) == sorted(
        p.name for p in (ROOT / "notebooks" / "exercises").glob("*.py"))
    (lessons / "pytest.ini").write_text("[pytest]\n")   # not the clone's settings
    clock.lap("widgets' files, lessons copied")
    run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
         "--nbval-sanitize-with", ROOT / "tests" / "nbval_sanitize.cfg", *LESSONS_UNDER_NBVAL],
        cwd=lessons, env=env)
    clock.lap(f"nbval on {len(LESSONS_UNDER_NBVAL)} lessons")

    # 5. The set-up check and the cross-check, from the command line.
    done = run([kit, "doctor"], cwd=installed, env=env)
    assert "Ready for the lessons." in done.stdout and "graphviz-pure" in done.stdout
    clock.lap("doctor")
    done = run([python, "-m", "autodiff_kit", "check"], cwd=installed, env=env)
    assert done.stdout.strip()
    clock.lap("check")

    print(f"wheel test: {clock}")
    elapsed = time.monotonic() - clock.start
    assert elapsed < BUDGET, f"the wheel test took too long: {clock} (budget {BUDGET} s)"
