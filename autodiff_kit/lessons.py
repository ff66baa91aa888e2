"""``autodiff-kit lessons [DIR]``: the lessons, copied into a folder the learner owns.

What is copied: every lesson ``NN_name.ipynb`` and the ``exercises/``
package the lessons import (``from exercises.lesson04 import ...``), so the
folder runs on its own. A file is never overwritten once the learner has
changed it. Each run compares three things for every file: the kit's
version, the file in DIR, and what was copied last time (its SHA-256, kept
in DIR/.autodiff-kit-lessons.json):

* no file in DIR: it is copied ("new");
* the same bytes as the kit's: nothing to do;
* the learner changed it and the kit's version is the one copied last time:
  kept, nothing to do ("yours");
* the learner never touched it and the kit has a newer version: replaced by
  the newer one ("updated"), since no work of the learner's is lost;
* the learner changed it *and* the kit has a newer version: the learner's
  file is kept and the new version goes beside it, ``NN_name.updated.ipynb``
  (``exercises/lessonNN.updated.py``), with a note saying so. Files named
  ``*.updated.*`` are the kit's and are rewritten by later runs.

Only pathlib and shutil: the same on Windows, macOS and Linux.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from . import LESSON_GLOB, lessons_source

MANIFEST = ".autodiff-kit-lessons.json"
DEFAULT_DIR = "autodiff-lessons"


@dataclass
class Copied:
    """What happened to one file: ``status`` is new, same, yours, updated or beside."""
    relative: str
    status: str
    beside: Path | None = None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def source_files(source: Path) -> list[Path]:
    """The lessons and their exercise modules, relative to ``source``."""
    files = [path.relative_to(source) for path in sorted(source.glob(LESSON_GLOB))]
    exercises = source / "exercises"
    if exercises.is_dir():
        files += [path.relative_to(source) for path in sorted(exercises.glob("*.py"))
                  if ".updated." not in path.name]
    return files


def beside_name(relative: Path) -> Path:
    """``04_x.ipynb`` -> ``04_x.updated.ipynb``; ``exercises/lesson04.py`` -> ``exercises/lesson04.updated.py``."""
    return relative.with_name(f"{relative.stem}.updated{relative.suffix}")


def _read_manifest(target: Path) -> dict[str, str]:
    path = target / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return {}  # a damaged record only means fewer files count as untouched
    return {str(k): str(v) for k, v in data.get("copied", {}).items()} if isinstance(data, dict) else {}


def copy_lessons(target: Path, source: Path | None = None) -> list[Copied]:
    """Copy the lessons from ``source`` (default: the kit's) into ``target``; see the module's doc."""
    source = lessons_source() if source is None else Path(source)
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{target} is a file, not a folder: choose another folder for the lessons")
    if target.resolve() == source.resolve():
        raise ValueError(f"{target} is where the kit keeps its own lessons: choose another folder")
    files = source_files(source)
    if not files:
        raise FileNotFoundError(f"no lessons in {source}")
    target.mkdir(parents=True, exist_ok=True)
    copied = _read_manifest(target)
    results = []
    for relative in files:
        key = relative.as_posix()
        origin, mine = source / relative, target / relative
        new = _sha256(origin)
        if not mine.exists():
            mine.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(origin, mine)
            copied[key] = new
            results.append(Copied(key, "new"))
            continue
        have = _sha256(mine)
        if have == new:
            copied[key] = new
            results.append(Copied(key, "same"))
        elif copied.get(key) == new:
            results.append(Copied(key, "yours"))          # edited by the learner; no newer version
        elif copied.get(key) == have:
            shutil.copyfile(origin, mine)                  # untouched by the learner: take the update
            copied[key] = new
            results.append(Copied(key, "updated"))
        else:
            beside = target / beside_name(relative)
            shutil.copyfile(origin, beside)
            results.append(Copied(key, "beside", beside))  # the learner's file keeps its record
    (target / MANIFEST).write_text(json.dumps({"copied": copied}, indent=1, sort_keys=True) + "\n",
                                   encoding="utf-8")
    return results


def report(results: list[Copied], target: Path) -> str:
    """What a run did, in a few lines, with a note for every update put beside a learner's file."""
    count = {status: sum(r.status == status for r in results)
             for status in ("new", "same", "yours", "updated", "beside")}
    lines = [f"Lessons in {target}: {count['new']} copied, {count['updated']} updated, "
             f"{count['same'] + count['yours']} unchanged"
             + (f" ({count['yours']} with your edits, kept)" if count["yours"] else "")
             + (f", {count['beside']} newer versions put beside your edited files" if count["beside"] else "")
             + "."]
    for result in results:
        if result.status == "beside":
            lines.append(f"  note: {result.relative} has your edits and the kit has a newer version; "
                         f"yours is untouched, the new one is {result.beside.name}")
    return "\n".join(lines)
