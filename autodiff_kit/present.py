"""Classroom mode: one lesson served by Voilà, the code hidden, the widgets live.

    autodiff-kit present 12               what `make present LESSON=12` runs
    autodiff-kit present 7 --port 8870
    autodiff-kit present 4 --lessons my-lessons   a learner's (or a course's) copy

(``python tools/present.py 12`` in a clone runs the same code.)

The lesson is its number, zero-padded or not (12, 07 and 7 all work).
Without one (``make present``) the lessons are listed, with how to pick one,
and the exit status is 0; with one that is not a lesson, they are listed as
an error, exit status 2. Voilà runs every cell of the lesson (a few seconds), then shows
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
import secrets
import socket
import sys
from pathlib import Path

from . import find_lesson, lesson_id, lesson_notebooks

DEFAULT_PORT = 8866  # Voilà's own default
HOST = "127.0.0.1"


# How the error messages name the command: the CLI's way, or make's (tools/present.py).
EXAMPLE = "autodiff-kit present 12"
EXAMPLE_PORT = "autodiff-kit present {lesson} --port {port}"


def lessons(folder: Path | None = None) -> dict[str, Path]:
    """Every lesson in ``folder`` (default: the kit's own) by its id: "07" for 07_name.ipynb, "05b"."""
    return lesson_notebooks(folder)


def lesson_list(folder: Path | None = None) -> str:
    return "\n".join(f"  {number:<3} {path.name}" for number, path in lessons(folder).items())


def resolve(lesson: str | None, folder: Path | None = None, example: str = EXAMPLE) -> Path:
    """The notebook of lesson ``lesson`` ("12", "07", "7", "5b"); `LookupError` (with the list) if none."""
    text = (lesson or "").strip()
    found = lessons(folder)
    if not found:
        raise LookupError(f"{folder} has no lessons (NN_name.ipynb): copy them there first, "
                          f"`autodiff-kit lessons {folder}`")
    notebook = find_lesson(text, found) if text else None
    if notebook is not None:
        return notebook
    why = "no lesson given" if not text else f"there is no lesson {text!r}"
    raise LookupError(f"{why}: say which one, e.g. `{example}`. The lessons:\n"
                      f"{lesson_list(folder)}")


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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("lesson", nargs="?", help="the lesson's number: 12, 07 or 7 (none: list them)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    parser.add_argument("--lessons", type=Path, default=None, metavar="DIR",
                        help="a folder of lessons (from `autodiff-kit lessons`); default: the kit's own")


def run(args: argparse.Namespace, example: str = EXAMPLE, example_port: str = EXAMPLE_PORT) -> int:
    """Exit status: 0 served until Ctrl+C (or no lesson given: the list), 1 the port is taken, 2 no such lesson."""
    if not (args.lesson or "").strip():
        try:
            listed = lesson_list(args.lessons)
        except (FileNotFoundError, OSError) as error:
            print(error, file=sys.stderr)
            return 2
        if listed:
            print(f"Which lesson? Say its number, e.g. `{example}`. The lessons:\n{listed}")
            return 0
    try:
        notebook = resolve(args.lesson, args.lessons, example)
    except LookupError as error:
        print(error, file=sys.stderr)
        return 2
    if not 0 < args.port < 65536:
        print(f"--port {args.port}: a port is a number from 1 to 65535", file=sys.stderr)
        return 2
    if not port_is_free(args.port):
        print(f"port {args.port} of {HOST} is taken: choose another, e.g. "
              f"`{example_port.format(lesson=args.lesson, port=args.port + 1)}`", file=sys.stderr)
        return 1

    from voila.app import Voila  # before the URL is printed: no URL if Voilà is missing

    token = secrets.token_hex(24)
    url = f"http://{HOST}:{args.port}/?token={token}"
    print(f"Lesson {lesson_id(notebook)}: {notebook}, in classroom mode (code hidden).\n"
          f"Open (the page appears once every cell has run):\n\n    {url}\n\n"
          "Ctrl+C stops the server.", flush=True)

    Voila.launch_instance(argv=voila_arguments(notebook, args.port, token), config=voila_config(args.port))
    return 0


def main(argv: list[str] | None = None, example: str = EXAMPLE, example_port: str = EXAMPLE_PORT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return run(parser.parse_args(argv), example, example_port)
