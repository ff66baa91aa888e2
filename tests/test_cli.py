"""autodiff-kit, the command line: every command's --help, clear errors with their exit
codes, and `lessons` never overwriting a learner's work.

Most tests call `autodiff_kit.cli.main` in this process (argparse's --help and
errors raise SystemExit); a few run the real `autodiff-kit` and
`python -m autodiff_kit` as a learner would.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autodiff_kit import cli, doctor, lesson_notebooks, lessons_source
from autodiff_kit.lessons import MANIFEST, copy_lessons, report

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ("lessons", "lab", "present", "student", "assignments", "check", "doctor", "demo")
LESSON_COUNT = len(list(lesson_notebooks(ROOT / "notebooks").values()))
EXERCISE_COUNT = len(list((ROOT / "notebooks" / "exercises").glob("*.py")))


def kit(*argv, capsys) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `autodiff-kit ARGV`, run in this process."""
    try:
        status = cli.main([str(a) for a in argv])
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 2
    out, err = capsys.readouterr()
    return status, out, err


# ---------------------------------------------------------------- --help
def test_the_top_level_help_lists_every_command_and_the_exit_codes(capsys):
    status, out, _ = kit("--help", capsys=capsys)
    assert status == 0
    for name in COMMANDS:
        assert f"\n    {name} " in out or f"\n    {name}\n" in out, name
    for code in ("0  done", "1  the command ran", "2  bad usage", "3  a package"):
        assert code in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    status, out, err = kit(command, "--help", capsys=capsys)
    assert (status, err) == (0, "")
    assert out.startswith(f"usage: autodiff-kit {command} ")
    assert "exit status:" in out


def test_the_console_script_and_python_m_are_the_same_command():
    script = Path(sys.executable).with_name("autodiff-kit")
    if not script.exists():
        script = Path(sys.executable).with_name("autodiff-kit.exe")
    for command in ([str(script)], [sys.executable, "-m", "autodiff_kit"]):
        done = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=60)
        assert (done.returncode, done.stdout.strip()) == (0, "autodiff-kit 0.1.0"), done


# ---------------------------------------------------------------- bad usage: exit 2
@pytest.mark.parametrize("argv, words", [
    ([], "the following arguments are required: COMMAND"),
    (["nope"], "invalid choice: 'nope'"),
    (["check", "extra"], "unrecognized arguments: extra"),
    (["present", "12", "--port", "abc"], "argument --port: invalid int value: 'abc'"),
    (["student"], "the following arguments are required: DIR"),
    (["assignments"], "the following arguments are required: DIR"),
    (["lab", "--port"], "argument --port: expected one argument"),
])
def test_argparse_errors_say_what_is_wrong_and_exit_2(argv, words, capsys):
    status, out, err = kit(*argv, capsys=capsys)
    assert status == 2 and out == ""
    assert words in err and err.startswith("usage: autodiff-kit")


@pytest.mark.parametrize("lesson", ["99", "twelve"])
def test_present_an_unknown_lesson_lists_the_lessons(lesson, capsys):
    status, out, err = kit("present", lesson, capsys=capsys)
    assert status == 2 and "http://" not in out
    assert "autodiff-kit present 12" in err
    assert "01  01_setup.ipynb" in err and "16  16_what_a_gradient_costs.ipynb" in err


@pytest.mark.parametrize("lesson", [None, "", "  "])
def test_present_without_a_lesson_lists_them_and_exits_0(lesson, capsys):
    """`make present` with no LESSON: the list and how to pick one, not "Error 2" (issue 12)."""
    status, out, err = kit("present", capsys=capsys) if lesson is None else kit("present", lesson, capsys=capsys)
    assert status == 0 and err == "" and "http://" not in out
    assert "Which lesson? Say its number, e.g. `autodiff-kit present 12`" in out
    assert "01  01_setup.ipynb" in out and "16  16_what_a_gradient_costs.ipynb" in out


def test_present_checks_its_port_and_its_folder(tmp_path, capsys):
    status, _, err = kit("present", "12", "--port", "0", capsys=capsys)
    assert status == 2 and "a port is a number from 1 to 65535" in err
    status, _, err = kit("present", "12", "--lessons", tmp_path, capsys=capsys)
    assert status == 2 and f"autodiff-kit lessons {tmp_path}" in err


def test_present_finds_a_lesson_in_a_learners_folder(tmp_path):
    from autodiff_kit import present

    copy_lessons(tmp_path / "mine")
    assert present.resolve("7", tmp_path / "mine") == tmp_path / "mine" / "07_a_neuron.ipynb"
    assert present.resolve("07").name == "07_a_neuron.ipynb"
    assert present.resolve("5b").name == present.resolve("lesson05B").name == "05b_build_your_own_engine.ipynb"
    assert present.resolve("5").name == "05_implementing_backward.ipynb"


def test_lab_refuses_a_bad_port_before_starting(capsys):
    status, _, err = kit("lab", "--port", "70000", capsys=capsys)
    assert status == 2 and "a port is a number from 1 to 65535" in err


def test_lessons_into_a_file_is_an_error(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    status, _, err = kit("lessons", tmp_path / "file", capsys=capsys)
    assert status == 2 and "is a file, not a folder" in err


def test_student_folder_errors(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    status, _, err = kit("student", tmp_path / "file", capsys=capsys)
    assert status == 2 and "is a file, not a folder" in err
    status, _, err = kit("student", tmp_path / "out", "--from", tmp_path / "nowhere", capsys=capsys)
    assert status == 2 and "no such folder" in err
    status, _, err = kit("student", tmp_path / "out", "--from", tmp_path, capsys=capsys)
    assert status == 2 and "has no lessons" in err


# ---------------------------------------------------------------- student
def demo_lessons(folder: Path, *, bad: bool = False) -> Path:
    folder.mkdir(parents=True)
    source = "def f():\n    ### BEGIN SOLUTION\n    return 1\n" + ("" if bad else "    ### END SOLUTION\n")
    nbformat.write(new_notebook(cells=[new_code_cell(source)]), folder / "01_demo.ipynb")
    (folder / "exercises").mkdir()
    (folder / "exercises" / "lesson01.py").write_text("X = 1\n")
    return folder


def test_student_writes_copies_and_the_exercises_and_never_mixes_into_a_full_folder(tmp_path, capsys):
    source, out = demo_lessons(tmp_path / "course"), tmp_path / "student"
    status, stdout, err = kit("student", out, "--from", source, capsys=capsys)
    assert (status, err) == (0, "")
    assert "01_demo.ipynb: 1 solution removed" in stdout
    assert "BEGIN SOLUTION" not in (out / "01_demo.ipynb").read_text()
    assert (out / "exercises" / "lesson01.py").read_text() == "X = 1\n"
    status, _, err = kit("student", out, "--from", source, capsys=capsys)
    assert status == 2 and "already has notebooks" in err and "--force" in err
    status, _, _ = kit("student", out, "--from", source, "--force", capsys=capsys)
    assert status == 0


def test_student_with_unpaired_markers_exits_1_naming_the_cell(tmp_path, capsys):
    source = demo_lessons(tmp_path / "course", bad=True)
    status, _, err = kit("student", tmp_path / "out", "--from", source, capsys=capsys)
    assert status == 1
    assert "01_demo.ipynb, cell 1, line 2: BEGIN SOLUTION without an END SOLUTION" in err


# ---------------------------------------------------------------- a missing package: exit 3
def test_a_missing_package_names_the_extra_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)      # as if PyTorch were not installed
    status, out, err = kit("check", capsys=capsys)
    assert status == 3 and out == ""
    assert "needs 'torch', which is not installed" in err
    assert 'pip install "autodiff-kit[check]"' in err


# ---------------------------------------------------------------- lessons never overwrite
def test_lessons_copies_every_lesson_and_exercise_module(tmp_path, capsys):
    target = tmp_path / "my lessons"
    status, out, err = kit("lessons", target, capsys=capsys)
    assert (status, err) == (0, "")
    assert f"{LESSON_COUNT + EXERCISE_COUNT} copied" in out
    assert f'Open them with: autodiff-kit lab "{target}"' in out           # a space: quoted
    for path in [*lesson_notebooks(ROOT / "notebooks").values(), *(ROOT / "notebooks" / "exercises").glob("*.py")]:
        copy = target / path.relative_to(ROOT / "notebooks")
        assert copy.read_bytes() == path.read_bytes(), copy


def test_lessons_run_again_keeps_the_learners_edit(tmp_path, capsys):
    target = tmp_path / "lessons"
    assert kit("lessons", target, capsys=capsys)[0] == 0
    lesson = target / "04_backprop_by_hand.ipynb"
    nb = nbformat.read(lesson, as_version=4)
    nb.cells.append(new_code_cell("my_answer = 42"))
    nbformat.write(nb, lesson)
    edited = lesson.read_bytes()
    (target / "exercises" / "lesson04.py").write_text("# my notes\n", encoding="utf-8")

    status, out, _ = kit("lessons", target, capsys=capsys)
    assert status == 0
    assert lesson.read_bytes() == edited
    assert (target / "exercises" / "lesson04.py").read_text(encoding="utf-8") == "# my notes\n"
    assert "0 copied, 0 updated" in out and "(2 with your edits, kept)" in out
    assert not list(target.rglob("*.updated.*"))          # nothing new in the kit: nothing beside


def test_an_update_goes_beside_an_edited_lesson_and_replaces_an_untouched_one(tmp_path):
    kit_v1 = tmp_path / "kit"
    shutil.copytree(lessons_source(), kit_v1, ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "lessons"
    copy_lessons(target, kit_v1)
    mine = target / "04_backprop_by_hand.ipynb"
    mine.write_bytes(mine.read_bytes().replace(b'"cells": [', b'"cells": [\n  ', 1))  # the learner's edit
    edited = mine.read_bytes()

    # the kit's next version changes lessons 02 and 04, and adds a lesson
    for name in ("02_derivatives.ipynb", "04_backprop_by_hand.ipynb"):
        nb = nbformat.read(kit_v1 / name, as_version=4)
        nb.cells.append(new_code_cell("print('new in v2')"))
        nbformat.write(nb, kit_v1 / name)
    nbformat.write(new_notebook(), kit_v1 / "17_new.ipynb")

    results = copy_lessons(target, kit_v1)
    status = {r.relative: r.status for r in results}
    assert status["04_backprop_by_hand.ipynb"] == "beside"
    assert status["02_derivatives.ipynb"] == "updated"
    assert status["17_new.ipynb"] == "new"
    assert mine.read_bytes() == edited                                       # never overwritten
    beside = target / "04_backprop_by_hand.updated.ipynb"
    assert beside.read_bytes() == (kit_v1 / "04_backprop_by_hand.ipynb").read_bytes()
    assert (target / "02_derivatives.ipynb").read_bytes() == (kit_v1 / "02_derivatives.ipynb").read_bytes()
    text = report(results, target)
    assert "1 copied, 1 updated" in text
    assert ("note: 04_backprop_by_hand.ipynb has your edits and the kit has a newer version; "
            "yours is untouched, the new one is 04_backprop_by_hand.updated.ipynb") in text

    # run again: still the learner's file, the .updated copy refreshed, nothing else
    again = {r.relative: r.status for r in copy_lessons(target, kit_v1)}
    assert again["04_backprop_by_hand.ipynb"] == "beside" and mine.read_bytes() == edited
    assert again["02_derivatives.ipynb"] == "same"
    assert "04_backprop_by_hand.updated.ipynb" not in again                  # never copied as a lesson
    assert json.loads((target / MANIFEST).read_text())["copied"]["17_new.ipynb"]


def test_lessons_refuses_the_kits_own_folder():
    with pytest.raises(ValueError, match="where the kit keeps its own lessons"):
        copy_lessons(lessons_source())


# ---------------------------------------------------------------- doctor
@pytest.mark.parametrize("system, machine, fix, wheel", [
    ("Windows", "AMD64", "winget install graphviz", "Windows x64"),
    ("Darwin", "arm64", "brew install graphviz", "macOS 11+ on Apple silicon"),
    ("Linux", "x86_64", "sudo apt install graphviz", "Linux x86_64 (glibc 2.17+ or musl)"),
    ("Linux", "armv7l", "sudo apt install graphviz", None),
])
def test_doctor_gives_the_fix_for_this_os(monkeypatch, system, machine, fix, wheel):
    monkeypatch.setattr(doctor.platform, "system", lambda: system)
    monkeypatch.setattr(doctor.platform, "machine", lambda: machine)
    assert doctor.graphviz_pure_wheel() == wheel
    findings = {"python": {"ok": True}, "widgets": {"ok": False}, "graphviz": {"ok": False},
                "torch": {"ok": False}}
    lines = "\n".join(doctor.fix_lines(findings))
    assert fix in lines
    assert ('install --force-reinstall graphviz-pure' in lines) == (wheel is not None)
    assert 'install "autodiff-kit[lab]"' in lines and 'install "autodiff-kit[check]"' in lines
    assert "python:" not in lines                                          # only what is broken


def test_doctor_from_the_command_line_exits_0_on_a_ready_machine(capsys):
    status, out, _ = kit("doctor", capsys=capsys)
    assert status == 0
    assert "Ready for the lessons." in out
    assert "graphviz-pure (the pip-installed dot) has wheels for Windows (x64, ARM64), macOS" in out


# ---------------------------------------------------------------- cross-platform
def test_the_package_makes_no_posix_only_calls():
    """Paths through pathlib, no shell, no os.system, no `id -u`; geteuid only behind getattr."""
    for path in (ROOT / "autodiff_kit").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"system", "popen", "fork", "geteuid", "getuid"}:
                assert isinstance(node.value, ast.Name) and node.value.id == "platform", (path.name, node.attr)
            if isinstance(node, ast.keyword) and node.arg == "shell":
                pytest.fail(f"{path.name}: shell=")
        assert "id -u" not in text and "os.path" not in text, path.name


# ---------------------------------------------------------------- lab, for real
def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_lab_serves_the_copied_lessons_on_127_0_0_1_with_a_token_and_offline(tmp_path):
    import os
    import re
    import time
    import urllib.error
    import urllib.request

    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_PREFER_ENV_PATH"}
    for name in ("config", "data", "runtime", "ipython"):
        (tmp_path / name).mkdir()
    env.update(JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_DATA_DIR=str(tmp_path / "data"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), IPYTHONDIR=str(tmp_path / "ipython"),
               JUPYTER_PLATFORM_DIRS="1")
    port, log = free_port(), tmp_path / "lab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "autodiff_kit", "lab", tmp_path / "mine",
                                 "--no-browser", "--port", str(port)],
                                cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline, token = time.monotonic() + 90, None
        while token is None:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            found = re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=([0-9a-f]+)", log.read_text())
            token = found and found.group(1)
            time.sleep(0.5)
        base = f"http://127.0.0.1:{port}"

        def get(path: str) -> tuple[int, str]:
            try:
                with urllib.request.urlopen(base + path, timeout=20) as response:
                    return response.status, response.read().decode()
            except urllib.error.HTTPError as error:
                return error.code, ""

        assert get("/api/contents")[0] == 403                                   # no token, no entry
        status, body = get(f"/api/contents?token={token}")
        assert status == 200 and "04_backprop_by_hand.ipynb" in body             # the learner's copy
        assert json.loads(get(f"/lab/api/news?token={token}")[1]) == {"news": []}  # offline
        assert json.loads(get(f"/lab/api/update?token={token}")[1]) == {"notification": None}
        assert "Extension Manager is 'readonly'" in log.read_text()
        assert (tmp_path / "mine" / "exercises" / "lesson04.py").is_file()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
