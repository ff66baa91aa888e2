"""A class server for tests: deploy/jupyterhub/ started on 127.0.0.1, its users, their kernels.

* `start_hub`: ``jupyterhub -f deploy/jupyterhub/jupyterhub_config.py`` with
  every folder (database, homes, exchange) in a temporary folder, free ports,
  the shared-password login and servers run as this account
  (``AUTODIFF_HUB_HOMES``). `stop_hub` stops it and everything it started.
* `HubUser`: one person at the hub: logs in through the login form (real
  cookies), gets an API token with them, starts their server and talks to
  it through the proxy with the token.
* `Kernel`: a kernel in a user's server, driven over its websocket
  (Jupyter's messaging protocol, JSON frames): `Kernel.run` executes code
  and returns what it printed, displayed and raised.

Every wait is bounded and says what it waited for when it times out.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import psutil
import requests
import websocket

from browser.helpers import _free_port, wait_until

REPO = Path(__file__).resolve().parents[1]
HUB_CONFIG = REPO / "deploy" / "jupyterhub" / "jupyterhub_config.py"
HUB_START_TIMEOUT = 60
SERVER_START_TIMEOUT = 90
KERNEL_START_TIMEOUT = 120  # the websocket opens once the kernel answers; 6 start at once here
STOP_TIMEOUT = 30
HTTP_TIMEOUT = 30


class HubError(RuntimeError):
    """The hub, a user's server or a kernel did not do what was asked; the message says what."""


# ---------------------------------------------------------------------- hub

@dataclass
class Hub:
    """A running hub: its process, where it answers, its folders and its log."""

    proc: subprocess.Popen
    url: str
    base: Path
    homes: Path
    exchange: Path
    log: Path
    instructor: str
    students: list[str]
    student_password: str
    admin_password: str
    started: list[int] = field(default_factory=list)  # pids seen under the hub, for `stop_hub`

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def descendants(self) -> list[psutil.Process]:
        """Every process the hub started and that still runs (proxy, servers, kernels)."""
        try:
            return psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []


def start_hub(base: Path, instructor: str, students: list[str]) -> Hub:
    """JupyterHub from deploy/jupyterhub/ on 127.0.0.1, all its state under ``base``; waits until it answers."""
    homes, exchange, data = base / "homes", base / "exchange", base / "hub"
    for folder in (homes, exchange, data):
        folder.mkdir(parents=True)
    exchange.chmod(0o777)  # as nbgrader's docs ask of a shared exchange
    port = _free_port()
    student_password = secrets.token_urlsafe(12)
    admin_password = secrets.token_urlsafe(32)
    env = {
        **os.environ,
        # PATH as it is, without the kit's environment: the config must put it in front
        # for the servers (nbgrader runs alembic from there); the proxy is on PATH.
        "CONFIGPROXY_AUTH_TOKEN": secrets.token_hex(32),
        "AUTODIFF_HUB_IP": "127.0.0.1",
        "AUTODIFF_HUB_PORT": str(port),
        "AUTODIFF_HUB_API_PORT": str(_free_port()),
        "AUTODIFF_PROXY_API_PORT": str(_free_port()),
        "AUTODIFF_HUB_DATA": str(data),
        "AUTODIFF_HUB_HOMES": str(homes),
        "AUTODIFF_HUB_AUTHENTICATOR": "shared-password",
        "AUTODIFF_STUDENT_PASSWORD": student_password,
        "AUTODIFF_ADMIN_PASSWORD": admin_password,
        "AUTODIFF_INSTRUCTOR": instructor,
        "AUTODIFF_STUDENTS": ",".join(students),
        "AUTODIFF_EXCHANGE": str(exchange),
        "AUTODIFF_SINGLEUSER_PYTHON": sys.executable,
    }
    log = base / "jupyterhub.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(HUB_CONFIG)],
            cwd=data, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    hub = Hub(proc, f"http://127.0.0.1:{port}", base, homes, exchange, log, instructor,
              list(students), student_password, admin_password)

    def answers() -> bool:
        if proc.poll() is not None:
            raise HubError(f"JupyterHub exited with {proc.returncode}:\n{hub.log_tail()}")
        return requests.get(f"{hub.url}/hub/api", timeout=5).status_code == 200

    try:
        wait_until(answers, HUB_START_TIMEOUT, f"JupyterHub to answer at {hub.url}/hub/api")
    except (TimeoutError, HubError):
        stop_hub(hub)
        raise
    return hub


def stop_hub(hub: Hub) -> list[str]:
    """Stop the hub (it stops its users' servers and its proxy), then anything left; says what was left.

    The returned list names every process that was still running after the
    hub had exited and had to be killed: a test asserts it is empty.
    """
    hub.started.extend(p.pid for p in hub.descendants())
    if hub.proc.poll() is None:
        hub.proc.send_signal(signal.SIGTERM)
        try:
            hub.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            hub.proc.kill()
            hub.proc.wait(timeout=10)
    # The servers run in sessions of their own; their kernels are theirs.
    _, alive = psutil.wait_procs(_still_running(hub.started), timeout=STOP_TIMEOUT)
    left = [f"{p.pid} {' '.join(p.cmdline())[:120]}" for p in alive if p.is_running()]
    for process in alive:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    return left


def _still_running(pids: list[int]) -> list[psutil.Process]:
    running = []
    for pid in set(pids):
        try:
            running.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            pass
    return running


# --------------------------------------------------------------------- users

class HubUser:
    """One person at the hub, logged in through the login form; then an API token for the rest."""

    def __init__(self, hub: Hub, name: str, password: str):
        self.hub, self.name = hub, name
        self.session = requests.Session()
        self.token = self._log_in(password)
        self.session.headers["Authorization"] = f"token {self.token}"

    def _log_in(self, password: str) -> str:
        """POST the login form with its _xsrf token (real cookies), then make a token with them."""
        login = f"{self.hub.url}/hub/login"
        self.session.get(login, timeout=HTTP_TIMEOUT).raise_for_status()
        xsrf = self.session.cookies.get("_xsrf", path="/hub/")
        reply = self.session.post(login, data={"username": self.name, "password": password, "_xsrf": xsrf},
                                  allow_redirects=False, timeout=HTTP_TIMEOUT)
        if reply.status_code != 302 or not any(c.name.startswith("jupyterhub-session") for c in
                                                self.session.cookies):
            raise HubError(f"{self.name} could not log in: {reply.status_code} {reply.text[:300]}")
        # Logging in ties a new _xsrf cookie to the session: API calls with the cookie send it back.
        xsrf = reply.cookies.get("_xsrf") or xsrf
        reply = self.session.post(f"{self.hub.url}/hub/api/users/{self.name}/tokens",
                                  json={"note": "test", "expires_in": 3600},
                                  headers={"X-XSRFToken": xsrf}, timeout=HTTP_TIMEOUT)
        if reply.status_code != 201:
            raise HubError(f"{self.name}: no API token with the login cookie: "
                           f"{reply.status_code} {reply.text[:300]}")
        return reply.json()["token"]

    def hub_api(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, f"{self.hub.url}/hub/api{path}", timeout=HTTP_TIMEOUT, **kwargs)

    def server_api(self, method: str, path: str, **kwargs) -> requests.Response:
        """A request to this user's own server, through the proxy: /user/<name>/api<path>."""
        reply = self.session.request(method, f"{self.hub.url}/user/{self.name}/api{path}",
                                     timeout=HTTP_TIMEOUT, **kwargs)
        if reply.status_code >= 400:
            raise HubError(f"{method} /user/{self.name}/api{path}: {reply.status_code} {reply.text[:300]}")
        return reply

    def server_page(self, path: str) -> requests.Response:
        """A page of this user's own server (not its API), through the proxy: /user/<name><path>.

        Any status is returned as it is: a test may expect a 404.
        """
        return self.session.get(f"{self.hub.url}/user/{self.name}{path}", allow_redirects=False,
                                timeout=HTTP_TIMEOUT)

    def lab_page_config(self) -> dict:
        """The page config JupyterLab serves this user (the JSON in its /lab page's jupyter-config-data)."""
        page = self.server_page("/lab")
        found = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                          page.text, re.DOTALL)
        if page.status_code != 200 or not found:
            raise HubError(f"{self.name}'s /lab: {page.status_code}, no jupyter-config-data: {page.text[:300]}")
        return json.loads(found.group(1))

    def start_server(self) -> None:
        """Ask the hub for this user's server; `wait_for_server` waits for it."""
        reply = self.hub_api("POST", f"/users/{self.name}/server")
        if reply.status_code not in (201, 202):
            raise HubError(f"{self.name}'s server did not start: {reply.status_code} {reply.text[:300]}")

    def server_ready(self) -> bool:
        model = self.hub_api("GET", f"/users/{self.name}").json()
        server = model.get("servers", {}).get("")
        return bool(server and server.get("ready"))

    def wait_for_server(self, timeout: float = SERVER_START_TIMEOUT) -> None:
        wait_until(self.server_ready, timeout, f"{self.name}'s server to be ready", interval=0.5)

    def start_kernel(self, path: str = "") -> "Kernel":
        """A Python kernel in this user's server, its working folder ``path`` (relative to the home)."""
        model = self.server_api("POST", "/kernels", json={"name": "python3", "path": path}).json()
        return Kernel(self, model["id"])


# ------------------------------------------------------------------- kernels

@dataclass
class Result:
    """What one execution produced: stdout, the text/plain of what was shown, and any error."""

    stdout: str = ""
    shown: list[str] = field(default_factory=list)
    error: Optional[str] = None


class Kernel:
    """A kernel in a user's server, over /user/<name>/api/kernels/<id>/channels."""

    def __init__(self, user: HubUser, kernel_id: str):
        self.user, self.id = user, kernel_id
        url = user.hub.url.replace("http://", "ws://", 1)
        try:
            self.ws = websocket.create_connection(
                f"{url}/user/{user.name}/api/kernels/{kernel_id}/channels",
                header=[f"Authorization: token {user.token}"], timeout=KERNEL_START_TIMEOUT)
        except websocket.WebSocketTimeoutException:
            raise TimeoutError(f"{user.name}'s kernel {kernel_id} did not answer on its websocket "
                               f"within {KERNEL_START_TIMEOUT}s") from None
        self.session = uuid.uuid4().hex

    def run(self, code: str, timeout: float = 60) -> Result:
        """Execute ``code``; collect its output until the kernel is idle again (at most ``timeout`` s)."""
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": self.session,
                       "username": self.user.name, "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
        }))
        result, deadline = Result(), time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.user.name}'s kernel: no idle after {timeout}s for:\n{code[:300]}")
            self.ws.settimeout(left)
            message = json.loads(self.ws.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                if content["name"] == "stdout":
                    result.stdout += content["text"]
            elif kind in ("execute_result", "display_data"):
                result.shown.append(content["data"].get("text/plain", ""))
            elif kind == "error":
                result.error = f"{content['ename']}: {content['evalue']}\n" + "\n".join(content["traceback"])
            elif kind == "status" and content["execution_state"] == "idle":
                return result

    def close(self) -> None:
        """Close the websocket and shut the kernel down."""
        try:
            self.ws.close()
        finally:
            self.user.server_api("DELETE", f"/kernels/{self.id}")
