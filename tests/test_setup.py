"""The set-up files agree with each other: pip pins, the lock file, conda's environment.yml."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Where a package has another name on conda-forge.
CONDA_NAMES = {"torch": "pytorch", "graphviz": "python-graphviz"}


def pip_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def conda_pins() -> tuple[dict[str, str], dict[str, str]]:
    """(conda packages, pip packages) pinned in environment.yml."""
    conda, pip = {}, {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        m = re.match(r"^\s+- ([A-Za-z0-9_.-]+)(==|=)([^\s#]+)", line)
        if m:
            name, sep, version = m.groups()
            (pip if sep == "==" else conda)[name.lower()] = version
    return conda, pip


def test_every_requirement_is_pinned_exactly():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][^\s]*", line), line


def test_environment_yml_lists_the_same_pins_as_requirements():
    conda, pip = conda_pins()
    conda.pop("python")
    from_yml = {**pip, **{k: v for k, v in conda.items()}}
    expected = {CONDA_NAMES.get(name, name): version for name, version in pip_pins().items()}
    assert from_yml == expected


def test_environment_yml_brings_the_graphviz_binary():
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s+- graphviz\s*$", text, re.M)


def test_lock_file_agrees_with_requirements():
    locked = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if "==" in line:
            name, version = line.strip().split("==")
            locked[name.lower()] = version.split("+")[0]  # torch 2.13.0+cpu is torch 2.13.0
    for name, version in pip_pins().items():
        assert locked.get(name) == version, f"{name}: requirements {version}, lock {locked.get(name)}"


def test_readme_opens_with_the_two_commands():
    lines = [l.strip() for l in (ROOT / "README.md").read_text().splitlines()]
    commands = [l for l in lines if l.startswith("make ")]
    assert commands[:2] == ["make lab", "make test"]
