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


# ---------------------------------------------------------------- the wheel's dependencies
# Direct requirements that only the kit's own development uses (tests, benchmarks, the build).
DEVELOPMENT_ONLY = {"pytest", "hypothesis", "nbval", "pytest-xdist", "playwright", "micrograd", "build"}


def project() -> dict:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def declared() -> dict[str, list]:
    """The wheel's dependencies by role: "core" and each extra, as packaging Requirements."""
    from packaging.requirements import Requirement

    meta = project()["project"]
    roles = {"core": meta["dependencies"], **meta["optional-dependencies"]}
    return {role: [Requirement(text) for text in texts] for role, texts in roles.items()}


def test_the_core_needs_numpy_only_and_the_extras_are_the_roles():
    roles = declared()
    assert set(roles) == {"core", "lab", "check", "course", "hub"}
    assert [r.name for r in roles["core"]] == ["numpy"]
    assert {r.name for r in roles["lab"]} >= {"jupyterlab", "ipywidgets", "anywidget", "matplotlib",
                                              "graphviz", "graphviz-pure", "tqdm"}
    assert [r.name for r in roles["check"]] == ["torch"]
    assert {r.name for r in roles["course"]} >= {"nbgrader", "voila"}
    assert {r.name for r in roles["hub"]} == {"autodiff-kit", "jupyterhub"}


def test_every_declared_range_admits_the_pinned_version():
    pins = pip_pins()
    for role, requirements in declared().items():
        for requirement in requirements:
            if requirement.name in pins:
                assert requirement.specifier.contains(pins[requirement.name], prereleases=True), (
                    f"[{role}] {requirement}: excludes the pin {requirement.name}=={pins[requirement.name]}")


def test_every_pinned_runtime_package_is_declared_in_the_wheel():
    names = {r.name for requirements in declared().values() for r in requirements}
    missing = set(pip_pins()) - DEVELOPMENT_ONLY - names
    assert not missing, f"pinned in requirements.txt, not declared in pyproject.toml: {sorted(missing)}"


def test_torch_is_held_below_the_next_release():
    """An open range would let pip take a newer torch: on Linux a CUDA build of several GB."""
    (torch,) = declared()["check"]
    assert torch.specifier.contains("2.13.0") and not torch.specifier.contains("2.14.0")


def test_the_wheel_lists_every_package_of_the_kit():
    packages = set(project()["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts)
             for top in ("autodiff", "widgets", "autodiff_kit") for init in (ROOT / top).rglob("__init__.py")}
    assert found <= packages, f"not in [tool.setuptools] packages: {sorted(found - packages)}"
    assert project()["tool"]["setuptools"]["package-dir"]["autodiff_kit.notebooks"] == "notebooks"
    assert project()["project"]["scripts"]["autodiff-kit"] == "autodiff_kit.cli:main"


def test_readme_shows_the_pip_route_too():
    text = (ROOT / "README.md").read_text()
    first = text.split("## ")[0]                                  # before the first section
    assert 'python -m pip install ".[lab]" -c constraints.txt' in first and "autodiff-kit lab" in first
    assert "Windows (PowerShell" in text and "macOS (Terminal" in text


# ---------------------------------------------------------------- a course's CI and Binder
def test_binder_has_environment_ymls_pins_and_installs_the_kit_after():
    def lines(path):
        return [l for l in (ROOT / path).read_text().splitlines() if l.strip() and not l.startswith("#")]

    assert lines("binder/environment.yml") == [l for l in lines("environment.yml") if l.strip() != "- -e ."]
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post_build and "overrides.json" in post_build


def test_the_course_workflow_runs_make_test_with_pips_cache():
    text = (ROOT / ".github" / "workflows" / "lessons.yml").read_text()
    assert "bash .ci/run" in text and "make test" in (ROOT / ".ci" / "run").read_text()
    assert "actions/cache" in text and "PIP_CACHE_DIR" in text
