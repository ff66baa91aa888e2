"""What every server on the class server runs first: ``python singleuser.py [jupyterhub-singleuser's arguments]``.

The hub (``jupyterhub_config.py`` beside this file) starts each person's
server with this program, in the kit's environment. Before JupyterLab
starts, it decides who the person is and prepares their server:

* **A student** (anyone but the instructor) gets STUDENT copies of the
  lessons in ``~/autodiff-lessons``: what ``autodiff-kit student`` writes,
  every ``### BEGIN SOLUTION`` region replaced by the stub and every
  exercise module's solutions ``WITHHELD``. nbgrader's instructor tools are
  switched off in their server: the Formgrader and the Courses list (server
  extension and JupyterLab plugin each) and the Create Assignment sidebar.
  They keep the Assignments tab and Validate, which fetch, check and submit.
* **The instructor** (the user named ``AUTODIFF_INSTRUCTOR``, ``instructor``
  by default: the same rule as ``nbgrader_config.py``) gets the full
  self-study lessons, solutions included, and nbgrader's instructor tools
  switched on, whatever the environment's defaults are.

Either copy goes through `autodiff_kit.lessons.copy_lessons`, so a file the
person has changed is never overwritten (a newer version goes beside it).
A student whose home still holds full lessons from an older set-up gets
student copies in place of every file they never touched.

Switching the tools off is a matter of what JupyterLab shows; it is not a
wall. A student's server runs as the student, who could start another one
with other settings: what keeps grades safe is that the course folder, the
gradebook included, is in the instructor's home, which students cannot read
(each person a system account of their own, as with PAM or TLJH).

How the switches are set (nbgrader 0.9.6, JupyterLab 4): a server extension
by ``--ServerApp.jpserver_extensions=<module>=False`` on the command line,
which wins over the ``jupyter_server_config.d`` files that enable it; a
JupyterLab plugin by ``disabledExtensions`` in a ``labconfig/page_config.json``
that this program writes under ``~/.autodiff-kit/hub/`` and puts first on
``JUPYTER_CONFIG_PATH``, which wins over the environment's own page config.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Mapping

LESSONS_DIR = "autodiff-lessons"  # autodiff_kit.lessons.DEFAULT_DIR; jupyterhub_config.py opens JupyterLab there
CONFIG_DIR = Path(".autodiff-kit") / "hub"  # under the home: this server's Jupyter config

# nbgrader's instructor tools: its server extensions and its JupyterLab plugins.
# A student keeps assignment_list and validate_assignment (and their plugins).
INSTRUCTOR_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
)
INSTRUCTOR_LAB_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:create-assignment",
)


def is_instructor(environment: Mapping[str, str]) -> bool:
    """Is this server the instructor's? The hub's user name against ``AUTODIFF_INSTRUCTOR``."""
    user = environment.get("JUPYTERHUB_USER")
    if not user:
        raise ValueError("singleuser: JUPYTERHUB_USER is not set; this program runs under JupyterHub")
    return user == environment.get("AUTODIFF_INSTRUCTOR", "instructor")


def copy_lessons_for(home: Path, instructor: bool) -> str:
    """Copy the instructor's full lessons, or a student's copies, into ``home/autodiff-lessons``.

    A student's copies are made by ``autodiff-kit student`` into a temporary
    folder first, then copied across like the full lessons, so that the
    learner's own edits are kept. Returns the copy's report (one line, and
    a note per file put beside an edited one).
    """
    from autodiff_kit.lessons import copy_lessons, report

    target = home / LESSONS_DIR
    if instructor:
        return report(copy_lessons(target), target)
    from autodiff_kit import student

    with tempfile.TemporaryDirectory(prefix="autodiff-student-") as staging:
        copies = Path(staging) / "lessons"
        with contextlib.redirect_stdout(sys.stderr):  # its line per notebook goes to the server's log
            status = student.run(argparse.Namespace(dir=copies, source=None, force=False))
        if status == 2:
            raise OSError("autodiff-kit student could not make the student copies (see above)")
        text = report(copy_lessons(target, copies), target)
    if status:  # a lesson that could not be stripped is left out, never copied with its solutions
        text += "\n  note: some lessons could not be made into student copies and were left out"
    return text


def extension_flags(instructor: bool) -> list[str]:
    """The command-line flags switching nbgrader's instructor server extensions on or off."""
    return [f"--ServerApp.jpserver_extensions={name}={instructor}" for name in INSTRUCTOR_SERVER_EXTENSIONS]


def page_config(instructor: bool) -> dict:
    """JupyterLab's page config: nbgrader's instructor plugins disabled for a student, enabled for the instructor."""
    return {"disabledExtensions": {plugin: not instructor for plugin in INSTRUCTOR_LAB_PLUGINS}}


def write_lab_config(folder: Path, instructor: bool) -> Path:
    """Write ``folder/labconfig/page_config.json`` (atomically); return ``folder``, for JUPYTER_CONFIG_PATH."""
    labconfig = folder / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    target = labconfig / "page_config.json"
    fd, temporary = tempfile.mkstemp(dir=labconfig, prefix=".page_config.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(page_config(instructor), out, indent=1, sort_keys=True)
            out.write("\n")
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return folder


def prepare(home: Path, environment: dict[str, str]) -> list[str]:
    """Everything before JupyterLab starts; returns the flags to put in front of the server's arguments.

    Copies the lessons (a failure is reported and the server starts anyway:
    a learner without lessons can still work, a learner without a server
    cannot), writes the lab config and puts it first on
    ``environment["JUPYTER_CONFIG_PATH"]``.
    """
    from autodiff_kit.lab import OFFLINE_FLAGS

    instructor = is_instructor(environment)
    try:
        print(copy_lessons_for(home, instructor), file=sys.stderr)
    except OSError as error:
        print(f"autodiff-kit: the lessons were not copied: {error}", file=sys.stderr)
    folder = write_lab_config(home / CONFIG_DIR, instructor)
    environment["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        [str(folder)] + [p for p in environment.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p])
    return list(OFFLINE_FLAGS) + extension_flags(instructor)


def main() -> None:
    """Prepare this person's server, then run jupyterhub-singleuser with the flags in front of the hub's."""
    import runpy

    sys.argv[1:1] = prepare(Path.home(), os.environ)  # type: ignore[arg-type]  (os.environ is a mapping)
    sys.argv[0] = "jupyterhub-singleuser"
    runpy.run_module("jupyterhub.singleuser", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
