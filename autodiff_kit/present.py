"""Classroom mode: one lesson served by Voilà, the code hidden, the widgets live.

    python tools/present.py 12            what `make present LESSON=12` runs
    python tools/present.py 7 --port 8870

The lesson is its number, zero-padded or not (12, 07 and 7 all work); without
one, or with one that is not a lesson, the lessons are listed and the exit
status is 2. Voilà runs every cell of the lesson (a few seconds), then shows
the page: Markdown, outputs and widgets, no code.

The server listens on 127.0.0.1 only, with a fresh random token (printed in
the URL; a request without it is sent to the login page). It runs offline:
the widget front ends (ipywidgets, anywidget) come from this environment's
JupyterLab extensions (sys.prefix/share/jupyter/labextensions), and the page
carries a Content-Security-Policy that lets it load nothing but this server,
so the Font Awesome stylesheets Voilà's "lab" template links from a CDN are
refused by the browser without a request (the fonts are in Voilà's own
bundle). Voilà runs in this process: the token is in no command line.
Ctrl+C stops it, and the kernel with it.
"""

from __future__ import annotations

import argparse
import re
import secrets
import socket
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
DEFAULT_PORT = 8866  # Voilà's own default
HOST = "127.0.0.1"


def lessons() -> dict[int, Path]:
    """Every lesson by its number: notebooks/NN_name.ipynb."""
    found = {}
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        found[int(path.name[:2])] = path
    return found


def lesson_list() -> str:
    return "\n".join(f"  {path.name[:2]}  {path.name}" for path in lessons().values())


def resolve(lesson: str | None) -> Path:
    """The notebook of lesson ``lesson`` ("12", "07", "7"); `LookupError` (with the list) if none."""
    text = (lesson or "").strip()
    found = lessons()
    if re.fullmatch(r"[0-9]{1,3}", text) and int(text) in found:
        return found[int(text)]
    why = "no lesson given" if not text else f"there is no lesson {text!r}"
    raise LookupError(f"{why}: say which one, e.g. `make present LESSON=12`. The lessons:\n"
                      f"{lesson_list()}")


def content_security_policy(port: int) -> str:
    """Nothing but this server (and the page's own inline code, data: and blob: URLs)."""
    local = f"'self' http://{HOST}:{port} ws://{HOST}:{port}"
    return "; ".join([
        f"default-src {local}",
        f"script-src {local} 'unsafe-inline' 'unsafe-eval' blob: data:",  # anywidget imports a blob:
        f"style-src {local} 'unsafe-inline' blob: data:",
        f"img-src {local} data: blob:",
        f"font-src {local} data:",
        f"connect-src {local}",
        f"worker-src {local} blob:",
        "frame-ancestors 'self'",
    ])


def voila_arguments(notebook: Path, port: int, token: str) -> list[str]:
    """Voilà's command line: 127.0.0.1, this port only, the token, sources stripped, no browser."""
    return [
        str(notebook),
        "--no-browser",
        f"--Voila.ip={HOST}",
        f"--port={port}",
        "--Voila.port_retries=0",      # this port or nothing: the URL printed is the one served
        f"--token={token}",            # Voila.token; without it Voilà 0.5 asks for none
        "--strip_sources=True",        # no code cells (Voilà's default, said out loud)
    ]


def voila_config(port: int):
    """The settings no command-line flag can carry: the page's Content-Security-Policy."""
    from traitlets.config import Config

    config = Config()
    config.Voila.tornado_settings = {"headers": {"Content-Security-Policy": content_security_policy(port)}}
    return config


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lesson", nargs="?", help="the lesson's number: 12, 07 or 7")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    args = parser.parse_args(argv)

    try:
        notebook = resolve(args.lesson)
    except LookupError as error:
        print(error, file=sys.stderr)
        return 2
    if not port_is_free(args.port):
        print(f"port {args.port} of {HOST} is taken: choose another, "
              f"e.g. `make present LESSON={args.lesson} PORT={args.port + 1}`", file=sys.stderr)
        return 1

    token = secrets.token_hex(24)
    url = f"http://{HOST}:{args.port}/?token={token}"
    print(f"Lesson {notebook.name[:2]}: {notebook.relative_to(REPO)}, in classroom mode (code hidden).\n"
          f"Open (the page appears once every cell has run):\n\n    {url}\n\n"
          "Ctrl+C stops the server.", flush=True)

    from voila.app import Voila

    Voila.launch_instance(argv=voila_arguments(notebook, args.port, token), config=voila_config(args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
