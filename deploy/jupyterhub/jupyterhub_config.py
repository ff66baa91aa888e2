"""JupyterHub for a course on the autodiff kit: ``jupyterhub -f deploy/jupyterhub/jupyterhub_config.py``.

What a class gets from this file:

* **The kit's environment for everyone.** Each single-user server is
  JupyterLab started by the Python that has the kit installed (``pip install
  "autodiff-kit[hub]"`` puts the hub and the kit in one environment),
  through ``singleuser.py`` beside this file. Before the server starts, a
  **student** gets STUDENT copies of the lessons in ``~/autodiff-lessons``
  (as ``autodiff-kit student`` writes them: no solution) and none of
  nbgrader's instructor tools (Formgrader, Courses, Create Assignment); the
  **instructor** gets the full lessons and the tools. A file the person
  changed is never overwritten, and JupyterLab opens in that folder.
* **Offline.** JupyterLab gets the kit's offline flags (``autodiff_kit.lab.
  OFFLINE_FLAGS``: no news feed, no update check, a read-only extension
  manager); the hub's own pages are served from the hub, no CDN.
* **nbgrader's exchange.** The students' and the instructor's nbgrader read
  ``nbgrader_config.py`` beside this file: one course id, one shared exchange
  directory. The instructor is the hub's admin.
* **Safe defaults.** The hub listens on 127.0.0.1:8000; put a TLS reverse
  proxy in front of it, or set ``AUTODIFF_HUB_IP``. No secret is written in
  this file: JupyterHub reads its own from the environment
  (``JPY_COOKIE_SECRET`` or a cookie-secret file, ``CONFIGPROXY_AUTH_TOKEN``),
  and so does the shared-password login below.

Everything a deployment (or a test) changes is an environment variable:

================================= ==========================================================
``AUTODIFF_HUB_IP``               address to listen on (``127.0.0.1``)
``AUTODIFF_HUB_PORT``             port (``8000``)
``AUTODIFF_HUB_API_PORT``         the hub's API port, on 127.0.0.1 (``8081``)
``AUTODIFF_PROXY_API_PORT``       the proxy's API port, on 127.0.0.1 (``8001``)
``AUTODIFF_HUB_DATA``             folder for the hub's database, cookie secret and proxy
                                  pid file (default: JupyterHub's, the current folder)
``AUTODIFF_INSTRUCTOR``           the instructor's user name, the hub's admin (``instructor``)
``AUTODIFF_STUDENTS``             comma-separated user names allowed to log in (default:
                                  none is named; the authenticator decides, see below)
``AUTODIFF_HUB_AUTHENTICATOR``    an authenticator name, e.g. ``shared-password`` or ``pam``
                                  (default: JupyterHub's, PAM: the machine's accounts)
``AUTODIFF_STUDENT_PASSWORD``     with ``shared-password``: the students' password (8+ chars)
``AUTODIFF_ADMIN_PASSWORD``       with ``shared-password``: the instructor's (32+ chars)
``AUTODIFF_HUB_HOMES``            a folder: run every server as the hub's own account, with
                                  ``HOMES/<user name>`` as its home (no system users;
                                  for a test or a one-person trial, never for a real class)
``AUTODIFF_SINGLEUSER_PYTHON``    the Python of everyone's servers (default: this one)
``AUTODIFF_SINGLEUSER_SCRIPT``    the program they run first (``singleuser.py`` beside this
                                  file; under TLJH, /etc/jupyter/autodiff_singleuser.py)
``AUTODIFF_COURSE_ID``            nbgrader's course id (the kit's: ``autodiff-kit``)
``AUTODIFF_EXCHANGE``             nbgrader's exchange folder (``/srv/nbgrader/exchange``)
``AUTODIFF_NBGRADER_CONFIG_DIR``  the folder of the course's ``nbgrader_config.py`` (this
                                  file's folder; under TLJH, /etc/jupyter, found anyway)
================================= ==========================================================

Under The Littlest JupyterHub (the hub runs in /opt/tljh/hub, which has no
kit), copy this file into /opt/tljh/config/jupyterhub_config.d/: TLJH keeps
its own address, authenticator and spawner, and the students' servers use
the kit in TLJH's user environment; singleuser.py goes to
/etc/jupyter/autodiff_singleuser.py. See README.md beside this file.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821  (JupyterHub defines get_config while it loads this file)

HERE = Path(__file__).resolve().parent
UNDER_TLJH = importlib.util.find_spec("tljh") is not None
TLJH_USER_PYTHON = "/opt/tljh/user/bin/python"
LESSONS_DIR = "autodiff-lessons"  # where singleuser.py copies the lessons

INSTRUCTOR = os.environ.get("AUTODIFF_INSTRUCTOR", "instructor")
EXCHANGE = os.environ.get("AUTODIFF_EXCHANGE", "/srv/nbgrader/exchange")
SINGLEUSER_PYTHON = os.environ.get("AUTODIFF_SINGLEUSER_PYTHON") or (
    TLJH_USER_PYTHON if UNDER_TLJH else sys.executable)


def _names(variable: str) -> set[str]:
    """The user names in a comma-separated environment variable (blanks dropped)."""
    return {name.strip() for name in os.environ.get(variable, "").split(",") if name.strip()}


# ------------------------------------------------------------ who may log in

# Added to what is there already: under TLJH, `tljh-config add-item users.admin` and
# `users.allowed` keep working.
c.Authenticator.admin_users.add(INSTRUCTOR)
students = _names("AUTODIFF_STUDENTS")
if students:
    c.Authenticator.allowed_users.update(students | {INSTRUCTOR})

# ----------------------------------------- the hub itself (TLJH has its own)

if not UNDER_TLJH:
    c.JupyterHub.ip = os.environ.get("AUTODIFF_HUB_IP", "127.0.0.1")
    c.JupyterHub.port = int(os.environ.get("AUTODIFF_HUB_PORT", "8000"))
    # The hub's API and the proxy's API stay on this machine.
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = int(os.environ.get("AUTODIFF_HUB_API_PORT", "8081"))
    c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:" + os.environ.get(
        "AUTODIFF_PROXY_API_PORT", "8001")

    data = os.environ.get("AUTODIFF_HUB_DATA")
    if data:
        c.JupyterHub.db_url = f"sqlite:///{Path(data) / 'jupyterhub.sqlite'}"
        c.JupyterHub.cookie_secret_file = str(Path(data) / "jupyterhub_cookie_secret")
        c.ConfigurableHTTPProxy.pid_file = str(Path(data) / "jupyterhub-proxy.pid")

    authenticator = os.environ.get("AUTODIFF_HUB_AUTHENTICATOR")
    if authenticator:
        c.JupyterHub.authenticator_class = authenticator
    if authenticator == "shared-password":
        # Secrets come from the environment, never from this file.
        c.SharedPasswordAuthenticator.user_password = os.environ.get("AUTODIFF_STUDENT_PASSWORD")
        c.SharedPasswordAuthenticator.admin_password = os.environ.get("AUTODIFF_ADMIN_PASSWORD")

    homes = os.environ.get("AUTODIFF_HUB_HOMES")
    if homes:
        c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
        c.SimpleLocalProcessSpawner.home_dir_template = str(Path(homes) / "{username}")
        if os.geteuid() == 0:  # a container or CI runs as root: every server then does too
            c.Spawner.args = ["--ServerApp.allow_root=True"]

# ------------------------------------------------ everyone's single-user server

# Each server runs singleuser.py (beside this file) in the kit's environment:
# a student gets STUDENT copies of the lessons in ~/autodiff-lessons (no
# solution) and no nbgrader instructor tools; the instructor gets the full
# lessons and the tools. Then it starts jupyterhub-singleuser with the kit's
# offline flags in front of the arguments JupyterHub passes. See its docstring.
# Under TLJH it is copied to /etc/jupyter, which every account can read.
SINGLEUSER_SCRIPT = os.environ.get("AUTODIFF_SINGLEUSER_SCRIPT") or (
    "/etc/jupyter/autodiff_singleuser.py" if UNDER_TLJH else str(HERE / "singleuser.py"))
c.Spawner.cmd = [SINGLEUSER_PYTHON, SINGLEUSER_SCRIPT]
c.Spawner.default_url = f"/lab/tree/{LESSONS_DIR}"
if not UNDER_TLJH:  # (TLJH puts its user environment on PATH itself)
    # The kit's environment's commands come first in a student's terminal and
    # kernel: nbgrader, autodiff-kit, and alembic, which nbgrader runs to make a
    # gradebook. The hub's own PATH may not have them: a hub started as
    # /opt/autodiff/bin/jupyterhub, without activating that environment.
    c.Spawner.environment.update({"PATH": os.pathsep.join(
        [str(Path(SINGLEUSER_PYTHON).parent), os.environ.get("PATH", os.defpath)])})
# nbgrader, in a student's server, reads these variables (nbgrader_config.py) ...
c.Spawner.environment.update({"AUTODIFF_EXCHANGE": EXCHANGE, "AUTODIFF_INSTRUCTOR": INSTRUCTOR})
if os.environ.get("AUTODIFF_COURSE_ID"):
    c.Spawner.environment.update({"AUTODIFF_COURSE_ID": os.environ["AUTODIFF_COURSE_ID"]})
# ... and finds nbgrader_config.py beside this file (under TLJH: in /etc/jupyter).
nbgrader_config_dir = os.environ.get("AUTODIFF_NBGRADER_CONFIG_DIR") or (
    None if UNDER_TLJH else str(HERE))
if nbgrader_config_dir:
    c.Spawner.environment.update({"JUPYTER_CONFIG_PATH": nbgrader_config_dir})
# A class that logs in at once starts its servers together: on a busy
# machine each may take a minute or more to answer.
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
