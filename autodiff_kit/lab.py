"""``autodiff-kit lab [DIR]``: JupyterLab on the learner's copy of the lessons.

The lessons are first copied into DIR (default ``autodiff-lessons``) as
``autodiff-kit lessons DIR`` does: a new lesson arrives, a learner's edited
file is never overwritten. In a clone of the kit, ``autodiff-kit lab
notebooks`` opens the kit's own lessons, copying nothing.

``--root FOLDER`` serves FOLDER, which holds the lessons' folder, and opens
the lessons in it: ``make lab`` runs ``autodiff-kit lab notebooks --root .``,
so that the whole clone is in JupyterLab's file browser, ``student/`` copies
(``make student``) included, and the lessons are what it shows first.

JupyterLab runs as ``make lab`` always had it: on 127.0.0.1 only, with a
token (in the printed link), offline: no news feed, no update check, the
extension manager read-only (it would reach for PyPI). It runs in this
process; Ctrl+C stops it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import lessons_source
from .lessons import DEFAULT_DIR, copy_lessons, report

OFFLINE_FLAGS = (
    "--ServerApp.ip=127.0.0.1",
    "--LabApp.extension_manager=readonly",
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
)


def is_root() -> bool:
    """Root on a POSIX system (Jupyter then wants --allow-root); never on Windows."""
    geteuid = getattr(os, "geteuid", None)
    return geteuid is not None and geteuid() == 0


def lab_arguments(folder: Path, browser: bool, port: int | None, root: Path | None = None) -> list[str]:
    """JupyterLab's command line: served from ``root`` (default: ``folder``), opened on ``folder``.

    `ValueError` if ``folder`` is not inside ``root``.
    """
    if root is None:
        args = [*OFFLINE_FLAGS, f"--ServerApp.root_dir={folder}"]
    else:
        try:
            inside = Path(folder).resolve().relative_to(Path(root).resolve())
        except ValueError:
            raise ValueError(f"--root {root}: the lessons' folder {folder} is not inside it") from None
        args = [*OFFLINE_FLAGS, f"--ServerApp.root_dir={root}"]
        if inside.parts:
            args.append(f"--LabApp.default_url=/lab/tree/{inside.as_posix()}")
    if not browser:
        args.append("--no-browser")
    if port is not None:
        args += [f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]
    if is_root():
        args.append("--allow-root")
    return args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", nargs="?", type=Path, default=Path(DEFAULT_DIR), metavar="DIR",
                        help=f"the folder of your lessons (default: {DEFAULT_DIR}); created if needed")
    parser.add_argument("--no-browser", action="store_true",
                        help="do not open a browser; open the printed link yourself")
    parser.add_argument("--port", type=int, default=None, help="this port only (default: 8888 or the next free)")
    parser.add_argument("--root", type=Path, default=None, metavar="FOLDER",
                        help="serve FOLDER, which holds DIR, and open DIR in it "
                             "(make lab: --root . so that student/ opens too)")


def run(args: argparse.Namespace) -> int:
    """Exit status: JupyterLab's own (0 after Ctrl+C); 2 a bad folder or port."""
    folder: Path = args.dir
    if args.port is not None and not 0 < args.port < 65536:
        print(f"autodiff-kit lab: --port {args.port}: a port is a number from 1 to 65535", file=sys.stderr)
        return 2
    root = getattr(args, "root", None)
    try:
        argv = lab_arguments(folder, browser=not args.no_browser, port=args.port, root=root)
    except ValueError as error:
        print(f"autodiff-kit lab: {error}", file=sys.stderr)
        return 2
    from jupyterlab.labapp import LabApp  # ModuleNotFoundError: the CLI names the extra to install

    try:
        own = folder.resolve() == lessons_source().resolve()
    except FileNotFoundError:
        own = False
    if not own:
        try:
            print(report(copy_lessons(folder), folder), flush=True)
        except (OSError, ValueError) as error:
            print(f"autodiff-kit lab: {error}", file=sys.stderr)
            return 2
    LabApp.launch_instance(argv=argv)
    return 0
