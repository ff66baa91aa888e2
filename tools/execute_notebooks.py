"""Run lessons top to bottom in a fresh kernel and save them with their outputs.

    python tools/execute_notebooks.py notebooks/03_computation_graphs.ipynb [...]

Each notebook runs in its own fresh kernel (this Python's), from the
notebooks/ folder, as nbval runs it; the outputs and the widgets' state are
written back to the file (a temporary file, then a rename). Run it after
changing a lesson or anything it shows, then check with ``make test``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

TIMEOUT_S = 120  # per cell


def execute(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        nbformat.write(notebook, temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for path in args.notebooks:
        if not path.is_file():
            parser.error(f"no such notebook: {path}")
    for path in args.notebooks:
        print(f"running {path} ...", flush=True)
        execute(path.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
