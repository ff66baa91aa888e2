"""Classroom mode (`make present`) under test: tools/present.py started and stopped.

* `start_present(lesson, base)`: ``python tools/present.py LESSON --port P``,
  the very command `make present LESSON=... PORT=P` runs, in a process group
  of its own, with every Jupyter folder under ``base``. It returns once the
  server answers, after checking that it refuses a request without the token
  (and with a wrong one). The token is read from the URL the script prints.
* `stop_present(server)`: SIGTERM (Voilà shuts its kernel down), then
  SIGKILL to the whole process group.

Only the stable part of helpers.py is used here (the browser itself);
everything about Voilà is in this file.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from .helpers import stop_process_group

REPO = Path(__file__).resolve().parents[2]
PRESENT = REPO / "tools" / "present.py"

START_TIMEOUT = 60  # s: until the script has printed its URL and Voilà answers
STOP_TIMEOUT = 20   # s: between SIGTERM and SIGKILL
RENDER_TIMEOUT = 90  # s: Voilà runs every cell before the page shows (each lesson ≤ 15 s)

_URL = re.compile(r"(http://127\.0\.0\.1:(\d+)/\?token=([0-9a-f]+))")


class PresentError(RuntimeError):
    """tools/present.py did not start, or answered without the token (the message says which)."""


@dataclass
class PresentServer:
    url: str        # as printed, token included
    base: str       # http://127.0.0.1:PORT
    token: str
    log: Path
    proc: subprocess.Popen

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def get(self, path: str, timeout: float = 10) -> tuple[int, dict, bytes]:
        """A plain GET, redirects not followed: (status, headers, body)."""
        parts = urllib.parse.urlsplit(self.base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def present_command(lesson: str, port: int) -> list[str]:
    """What `make present LESSON=<lesson> PORT=<port>` runs (the Makefile's recipe)."""
    return [sys.executable, str(PRESENT), lesson, "--port", str(port)]


def start_present(lesson: str, base: Path) -> PresentServer:
    """Classroom mode for ``lesson``, answering and refusing requests without the token."""
    for name in ("config", "data", "runtime", "ipython"):
        (base / name).mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(base / "config"), JUPYTER_DATA_DIR=str(base / "data"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"), IPYTHONDIR=str(base / "ipython"),
        JUPYTER_PLATFORM_DIRS="1", PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("JUPYTER_PREFER_ENV_PATH", None)
    log_path = base / "present.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(present_command(lesson, free_port()), cwd=REPO, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def fail(message: str):
        text = log_path.read_text(errors="replace")[-4000:]
        stop_present(PresentServer("", "", "", log_path, proc))
        raise PresentError(f"{message}\n--- tools/present.py's output ---\n{text}")

    deadline = time.monotonic() + START_TIMEOUT
    server = None
    while True:
        if proc.poll() is not None:
            fail(f"tools/present.py exited with {proc.returncode} before answering")
        if server is None:
            found = _URL.search(log_path.read_text(errors="replace"))
            if found:
                url, port, token = found.groups()
                server = PresentServer(url, f"http://127.0.0.1:{port}", token, log_path, proc)
        if server is not None:
            try:
                status, _, _ = server.get("/voila/static/voila.js", timeout=2)
                if status == 200:
                    break
            except OSError:
                pass
        if time.monotonic() > deadline:
            fail(f"no answer within {START_TIMEOUT}s" if server else "no URL printed")
        time.sleep(0.2)

    # Without the token, or with a wrong one, the lesson is not served: the
    # login page is (a redirect), and so is the kernels' REST API.
    for path in ("/", "/?token=" + "0" * len(server.token), "/api/kernels"):
        status, headers, body = server.get(path)
        if status not in (302, 403) or (status == 302 and "/login" not in headers.get("location", "")):
            fail(f"GET {path} without the right token answered {status} "
                 f"{headers.get('location', '')}, not a refusal")
    return server


def stop_present(server: PresentServer) -> None:
    """SIGTERM, then SIGKILL to the whole process group (the kernel included)."""
    stop_process_group(server.proc, STOP_TIMEOUT)
