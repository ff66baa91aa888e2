"""The class server (deploy/jupyterhub/) with 5 students and an instructor, all on 127.0.0.1.

The hub is started from the course's own ``jupyterhub_config.py``; only
environment variables point it at a temporary folder, free ports, the
shared-password login and servers run as this account. Then, in order:

1. every student and the instructor log in through the login form;
2. a student's ~/autodiff-lessons holds STUDENT copies (no solution region
   in a notebook, every exercise module's solutions withheld), the
   instructor's the full lessons; nbgrader's instructor tools (Formgrader,
   Courses, Create Assignment) answer in the instructor's server only, and
   only the instructor's JupyterLab loads their plugins;
3. each student's server runs lesson 03 (the student copy the config made
   in their home, ``exercises/`` beside it) cell by cell in a kernel of its
   own: no error, everything the lesson prints is what the stored lesson
   printed, and every check says "Not done yet";
4. an assignment goes round nbgrader's exchange: the instructor releases it,
   each student fetches and submits it from a kernel in their own server,
   the instructor collects five submissions, one per student;
5. stopping the hub leaves no process behind: no proxy, server or kernel.

Without ``configurable-http-proxy`` (``npm install -g
configurable-http-proxy@5.3.0``, as .ci/run does) the tests are skipped
loudly; on CI (CI=true) that is a failure.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from traitlets.config.loader import PyFileConfigLoader

from autodiff_kit import LESSON_GLOB
from autodiff_kit.assignments import COURSE_ID
from autodiff_kit.student import has_solutions
from browser.conftest import skip_or_fail
from hub_helpers import HUB_CONFIG, REPO, HubError, HubUser, Kernel, Result, start_hub, stop_hub
from test_student_leak import module_solutions

INSTRUCTOR = "instructor"
STUDENTS = [f"student{n}" for n in range(1, 6)]
LESSON = "03_computation_graphs.ipynb"
ASSIGNMENT = "lesson03"


# ------------------------------------------------- the config files, quickly

def load_config(name: str, monkeypatch, **env: str):
    """deploy/jupyterhub/<name> as JupyterHub or nbgrader loads it, with only ``env`` of our variables set."""
    for variable in [v for v in os.environ if v.startswith(("AUTODIFF_", "JUPYTERHUB_"))]:
        monkeypatch.delenv(variable)
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    return PyFileConfigLoader(name, path=str(HUB_CONFIG.parent)).load_config()


def test_the_hub_config_defaults_to_this_machine_only_and_holds_no_secret(monkeypatch):
    c = load_config("jupyterhub_config.py", monkeypatch)
    assert (c.JupyterHub.ip, c.JupyterHub.port) == ("127.0.0.1", 8000)
    assert c.JupyterHub.hub_ip == "127.0.0.1"
    assert c.ConfigurableHTTPProxy.api_url.startswith("http://127.0.0.1:")
    # JupyterHub's own defaults for login and servers (PAM, system users) unless asked
    assert "authenticator_class" not in c.JupyterHub and "spawner_class" not in c.JupyterHub
    for secret in ("cookie_secret", "api_tokens", "service_tokens"):
        assert secret not in c.JupyterHub
    assert "SharedPasswordAuthenticator" not in c
    # no password, token or secret is written as a literal in either file
    for name in ("jupyterhub_config.py", "nbgrader_config.py"):
        text = (HUB_CONFIG.parent / name).read_text()
        assert not re.search(r"(password|token|secret)\w*\s*=\s*[\"']", text, re.IGNORECASE), name
    # everyone's server: the kit's Python running singleuser.py, the lessons' folder, nbgrader's config
    assert c.Spawner.cmd == [sys.executable, str(HUB_CONFIG.parent / "singleuser.py")]
    assert c.Spawner.default_url == "/lab/tree/autodiff-lessons"
    environment = c.Spawner.environment.get_value({})
    assert environment["JUPYTER_CONFIG_PATH"] == str(HUB_CONFIG.parent)
    assert environment["AUTODIFF_EXCHANGE"] == "/srv/nbgrader/exchange"
    assert environment["PATH"].split(os.pathsep)[0] == os.path.dirname(sys.executable)


def test_the_hub_config_takes_its_passwords_and_people_from_the_environment(monkeypatch, tmp_path):
    c = load_config("jupyterhub_config.py", monkeypatch, AUTODIFF_HUB_AUTHENTICATOR="shared-password",
                    AUTODIFF_STUDENT_PASSWORD="s" * 12, AUTODIFF_ADMIN_PASSWORD="a" * 32,
                    AUTODIFF_INSTRUCTOR="teacher", AUTODIFF_STUDENTS="ana, ben,,",
                    AUTODIFF_HUB_HOMES=str(tmp_path))
    assert c.SharedPasswordAuthenticator.user_password == "s" * 12
    assert c.SharedPasswordAuthenticator.admin_password == "a" * 32
    assert c.Authenticator.admin_users.get_value(set()) == {"teacher"}
    assert c.Authenticator.allowed_users.get_value(set()) == {"teacher", "ana", "ben"}
    assert c.JupyterHub.spawner_class == "jupyterhub.spawner.SimpleLocalProcessSpawner"
    assert c.SimpleLocalProcessSpawner.home_dir_template == str(tmp_path / "{username}")


def test_nbgrader_files_a_submission_under_the_hub_name_except_for_the_instructor(monkeypatch):
    c = load_config("nbgrader_config.py", monkeypatch, JUPYTERHUB_USER="ana",
                    AUTODIFF_EXCHANGE="/tmp/exchange")
    assert (c.CourseDirectory.course_id, c.Exchange.root) == (COURSE_ID, "/tmp/exchange")
    assert c.CourseDirectory.student_id == "ana"
    c = load_config("nbgrader_config.py", monkeypatch, JUPYTERHUB_USER="instructor")
    assert "student_id" not in c.CourseDirectory  # nbgrader's default: every student
    assert c.Exchange.root == "/srv/nbgrader/exchange"


def singleuser_module():
    """deploy/jupyterhub/singleuser.py, imported from its file (it is no package of the kit)."""
    spec = importlib.util.spec_from_file_location("singleuser", HUB_CONFIG.parent / "singleuser.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_singleuser_tells_the_instructor_from_a_student_as_nbgrader_config_does():
    singleuser = singleuser_module()
    assert singleuser.is_instructor({"JUPYTERHUB_USER": "instructor"})           # the default name
    assert not singleuser.is_instructor({"JUPYTERHUB_USER": "ana"})
    assert singleuser.is_instructor({"JUPYTERHUB_USER": "teacher", "AUTODIFF_INSTRUCTOR": "teacher"})
    assert not singleuser.is_instructor({"JUPYTERHUB_USER": "instructor", "AUTODIFF_INSTRUCTOR": "teacher"})
    with pytest.raises(ValueError, match="JUPYTERHUB_USER is not set"):
        singleuser.is_instructor({"AUTODIFF_INSTRUCTOR": "teacher"})


def test_singleuser_switches_nbgraders_instructor_tools_by_role(tmp_path):
    singleuser = singleuser_module()
    off = ["--ServerApp.jpserver_extensions=nbgrader.server_extensions.formgrader=False",
           "--ServerApp.jpserver_extensions=nbgrader.server_extensions.course_list=False"]
    assert singleuser.extension_flags(False) == off
    assert singleuser.extension_flags(True) == [flag.replace("=False", "=True") for flag in off]
    # the student's tools stay: nothing about assignment_list or validate_assignment
    folder = singleuser.write_lab_config(tmp_path / "cfg", instructor=False)
    written = json.loads((folder / "labconfig" / "page_config.json").read_text())
    assert written == {"disabledExtensions": {"@jupyter/nbgrader:course-list": True,
                                              "@jupyter/nbgrader:create-assignment": True,
                                              "@jupyter/nbgrader:formgrader": True}}
    singleuser.write_lab_config(tmp_path / "cfg", instructor=True)                  # rewritten in place
    written = json.loads((folder / "labconfig" / "page_config.json").read_text())
    assert set(written["disabledExtensions"].values()) == {False}
    assert [p.name for p in (folder / "labconfig").iterdir()] == ["page_config.json"]  # no temporary left
    # the plugin ids are nbgrader 0.9.6's own, as its JupyterLab extension registers them
    bundle = "".join(p.read_text(errors="replace") for p in
                     (Path(sys.prefix) / "share/jupyter/labextensions/@jupyter/nbgrader/static").glob("*.js"))
    for plugin in singleuser.INSTRUCTOR_LAB_PLUGINS:
        assert f'"{plugin}"' in bundle, plugin
    enabled = json.loads((Path(sys.prefix) / "etc/jupyter/jupyter_server_config.d/nbgrader.json").read_text())
    assert set(singleuser.INSTRUCTOR_SERVER_EXTENSIONS) < set(enabled["ServerApp"]["jpserver_extensions"])


def test_singleuser_replaces_an_older_full_copy_with_student_copies_but_keeps_edits(tmp_path, capsys):
    """A home from before this fix holds the full lessons: every file the student never touched
    becomes the student copy; an edited one is kept, the student copy beside it."""
    singleuser = singleuser_module()
    lessons = tmp_path / "autodiff-lessons"
    singleuser.copy_lessons_for(tmp_path, instructor=True)
    edited = lessons / LESSON
    edited.write_text(edited.read_text().replace('"cells": [', '"cells": [ ', 1))
    report = singleuser.copy_lessons_for(tmp_path, instructor=False)
    assert f"{LESSON} has your edits" in report
    assert has_solutions(edited) and not has_solutions(lessons / LESSON.replace(".ipynb", ".updated.ipynb"))
    others = [path for path in lessons.glob(LESSON_GLOB) if path.name != LESSON and ".updated." not in path.name]
    assert len(others) > 10 and not [path.name for path in others if has_solutions(path)]
    assert not [path.name for path in (lessons / "exercises").glob("*.py") if module_solutions(path)]


def test_ci_installs_the_proxy_only_when_it_is_missing():
    script = (REPO / ".ci" / "run").read_text()
    assert ("command -v configurable-http-proxy >/dev/null 2>&1 || "
            "npm install -g configurable-http-proxy@5.3.0") in script
    assert script.index("need+=(npm)") < script.index("npm install -g")
    assert subprocess.run(["bash", "-n", str(REPO / ".ci" / "run")]).returncode == 0


# ------------------------------------------------------------------ fixtures

@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """The hub, stopped with everything it started when the module's tests are done (also on failure)."""
    if shutil.which("configurable-http-proxy") is None:
        skip_or_fail("configurable-http-proxy is not on PATH "
                     "(npm install -g configurable-http-proxy@5.3.0, as .ci/run does)", what="JUPYTERHUB TESTS")
    try:
        hub = start_hub(tmp_path_factory.mktemp("class-server"), INSTRUCTOR, STUDENTS)
    except (HubError, TimeoutError) as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield hub
    finally:
        left = stop_hub(hub)
        if left:
            print("killed after the hub had stopped:\n" + "\n".join(left))


@pytest.fixture(scope="module")
def people(hub):
    """Everyone logged in, each with their server started and ready: {name: HubUser}."""
    people = {name: HubUser(hub, name, hub.student_password) for name in STUDENTS}
    people[INSTRUCTOR] = HubUser(hub, INSTRUCTOR, hub.admin_password)
    with ThreadPoolExecutor(len(people)) as pool:  # each request waits up to 10 s for its server
        list(pool.map(HubUser.start_server, people.values()))
    try:
        for person in people.values():
            person.wait_for_server()
    except TimeoutError as error:
        pytest.fail(f"{error}\nend of the hub's log:\n{hub.log_tail()}", pytrace=False)
    return people


@pytest.fixture(scope="module")
def kernels(hub, people):
    """A kernel in each person's server, started in their home: {name: Kernel}.

    One each for all the tests: a kernel costs its server seconds of CPU to start.
    """
    with ThreadPoolExecutor(len(people)) as pool:
        kernels = dict(zip(people, pool.map(HubUser.start_kernel, people.values())))
    yield kernels
    if hub.proc.poll() is None:  # once the hub has stopped, so have the kernels
        for kernel in kernels.values():
            kernel.close()


def run_ok(kernel: Kernel, code: str, timeout: float = 60) -> str:
    """Run ``code`` in ``kernel``; its stdout, or a failure that shows the error."""
    result = kernel.run(code, timeout)
    assert result.error is None, f"{kernel.user.name}: {code[:200]}\nraised {result.error}"
    return result.stdout


# One Python that runs several nbgrader commands, each the app that ``nbgrader
# COMMAND ASSIGNMENT`` runs: importing nbgrader costs seconds of CPU, paid once
# here for all the commands instead of once per ``nbgrader`` process. Each app
# is a singleton, cleared once it has run so that the next command can make its own.
NBGRADER_COMMANDS = """\
import json, sys
import nbgrader.apps
for command, assignment in json.loads(sys.argv[1]):
    App = nbgrader.apps.NbGraderApp.subcommands[command][0]
    app = App.instance()
    app.initialize([assignment])
    app.start()  # a failure exits with nbgrader's own status and message
    App.clear_instance()
    print(f"nbgrader {command} {assignment}: done")
"""


def nbgrader(kernel: Kernel, folder: str, *commands: tuple[str, str]) -> str:
    """Run ``(command, assignment)`` pairs of nbgrader from ``kernel``, in ``folder`` of its user's home.

    The kernel starts one Python for them all (`NBGRADER_COMMANDS`); it has
    the server's environment, so nbgrader reads the course's
    nbgrader_config.py there, and the one in ``folder``.
    """
    code = ("import json, os, subprocess, sys\n"
            f"done = subprocess.run([sys.executable, '-c', {NBGRADER_COMMANDS!r}, "
            f"json.dumps({list(commands)!r})], cwd=os.path.join(os.environ['HOME'], {folder!r}), "
            "capture_output=True, text=True, timeout=150)\n"
            "print(done.stdout + done.stderr)\n"
            "assert done.returncode == 0, f'nbgrader exited with {done.returncode}:\\n{done.stderr[-2000:]}'")
    return run_ok(kernel, code, timeout=180)


# --------------------------------------------------------------------- tests

@pytest.mark.slow
def test_everyone_logs_in_and_gets_a_server_of_their_own(hub, people):
    for name, person in people.items():
        model = person.hub_api("GET", f"/users/{name}").json()
        assert model["name"] == name
        assert model["admin"] is (name == INSTRUCTOR)
        assert model["servers"][""]["ready"]
        # the config copied the lessons into each home, exercises beside them
        listing = person.server_api("GET", "/contents/autodiff-lessons").json()
        names = {item["name"] for item in listing["content"]}
        assert {LESSON, "exercises"} <= names, names
    # a student cannot reach another student's server
    other = people[STUDENTS[0]].session.get(f"{hub.url}/user/{STUDENTS[1]}/api/contents",
                                            allow_redirects=False, timeout=30)
    assert other.status_code in (302, 403, 404), other.status_code


def lessons_in_home(hub, name: str) -> tuple[dict[str, bool], dict[str, int]]:
    """What ~/autodiff-lessons holds for ``name``: {notebook: has a solution region?}, {module: its solutions}."""
    folder = hub.homes / name / "autodiff-lessons"
    notebooks = {path.name: has_solutions(path) for path in sorted(folder.glob(LESSON_GLOB))}
    modules = {path.name: len(module_solutions(path)) for path in sorted((folder / "exercises").glob("*.py"))}
    return notebooks, modules


@pytest.mark.slow
def test_students_get_student_copies_and_the_instructor_the_solutions(hub, people):
    kit = sorted(path.name for path in (REPO / "notebooks").glob(LESSON_GLOB))
    teacher_notebooks, teacher_modules = lessons_in_home(hub, INSTRUCTOR)
    assert sorted(teacher_notebooks) == kit
    with_solutions = [name for name, solved in teacher_notebooks.items() if solved]
    assert len(with_solutions) >= len(kit) // 2, with_solutions   # the self-study lessons, solutions in
    assert sum(teacher_modules.values()) > 30, teacher_modules
    for name in STUDENTS:
        notebooks, modules = lessons_in_home(hub, name)
        assert sorted(notebooks) == kit and sorted(modules) == sorted(teacher_modules), name
        assert not [lesson for lesson, solved in notebooks.items() if solved], name
        assert not [module for module, count in modules.items() if count], name
        folder = hub.homes / name / "autodiff-lessons"
        assert "WITHHELD" in (folder / "exercises" / f"{ASSIGNMENT}.py").read_text()
        assert "raise NotImplementedError()" in (folder / LESSON).read_text()   # the stub, where 3.x's answer was
        # the same files through the student's own server, as JupyterLab lists them
        listing = people[name].server_api("GET", "/contents/autodiff-lessons/exercises").json()
        assert {item["name"] for item in listing["content"]} >= set(modules), name


@pytest.mark.slow
def test_only_the_instructor_has_nbgraders_instructor_tools(people):
    instructor_plugins = {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:course-list",
                          "@jupyter/nbgrader:create-assignment"}
    for name, person in people.items():
        disabled = set(person.lab_page_config()["disabledExtensions"])
        # the server extensions: the Formgrader and the course list answer, or are not there
        formgrader = person.server_page("/formgrader")  # redirects to its first tab
        courses = person.server_page("/formgraders").status_code
        if name == INSTRUCTOR:
            assert not disabled & instructor_plugins, disabled
            assert formgrader.status_code == 302, formgrader.status_code
            assert f"/user/{name}/formgrader/" in formgrader.headers["Location"]
            assert courses == 200
        else:
            assert instructor_plugins <= disabled, (name, disabled)
            assert (formgrader.status_code, courses) == (404, 404), name
        # everyone keeps the Assignments tab and Validate
        assert not {"@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:validate-assignment"} & disabled


def lesson_cells() -> list[nbformat.NotebookNode]:
    return [cell for cell in nbformat.read(REPO / "notebooks" / LESSON, as_version=4).cells
            if cell.cell_type == "code"]


def run_lesson(kernel: Kernel) -> list[Result]:
    """Every code cell of the lesson in the student's home copy, in order, run from its folder; what each did."""
    user = kernel.user
    stored = user.server_api("GET", f"/contents/autodiff-lessons/{LESSON}").json()["content"]
    cells = [cell for cell in stored["cells"] if cell["cell_type"] == "code"]
    run_ok(kernel, "import os\nos.chdir(os.path.join(os.environ['HOME'], 'autodiff-lessons'))")
    try:
        results = [kernel.run("".join(cell["source"])) for cell in cells]
        assert all(result.error is None for result in results), [r.error for r in results if r.error]
        return results
    finally:
        run_ok(kernel, "os.chdir(os.environ['HOME'])")


@pytest.mark.slow
def test_lesson03_runs_in_each_students_server(kernels):
    expected = ["".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")
                for cell in lesson_cells()]
    assert any("Var(data=-8.0" in text for text in expected)  # the lesson's L = (a·b + c)·f
    checks = [index for index, cell in enumerate(lesson_cells()) if ".check(" in cell.source]
    assert len(checks) >= 3
    with ThreadPoolExecutor(len(STUDENTS)) as pool:
        ran = dict(zip(STUDENTS, pool.map(run_lesson, [kernels[name] for name in STUDENTS])))
    for name, results in ran.items():
        assert [result.stdout for result in results] == expected, f"{name}'s lesson 03 printed something else"
        for index in checks:  # a student copy: no answer yet, so no check passes
            assert "Not done yet" in "".join(results[index].shown), (name, index, results[index].shown)


@pytest.mark.slow
def test_an_assignment_goes_round_nbgraders_exchange(hub, kernels):
    teacher = kernels[INSTRUCTOR]
    # the kit's course (make assignments), written by the instructor's own server
    made = run_ok(teacher, "from pathlib import Path\n"
                           "from autodiff_kit.assignments import write_source\n"
                           "print(write_source(Path.home() / 'course', ['03']))")
    assert made.strip() == repr([ASSIGNMENT])
    nbgrader(teacher, "course", ("generate_assignment", ASSIGNMENT), ("release_assignment", ASSIGNMENT))
    assert (hub.exchange / COURSE_ID / "outbound" / ASSIGNMENT / LESSON).is_file()

    def fetch_and_submit(name: str) -> str:
        return nbgrader(kernels[name], "", ("fetch_assignment", ASSIGNMENT), ("submit", ASSIGNMENT))

    with ThreadPoolExecutor(len(STUDENTS)) as pool:
        list(pool.map(fetch_and_submit, STUDENTS))
    for name in STUDENTS:  # each fetched the lesson, its exercises beside it, into their own home
        assert (hub.homes / name / ASSIGNMENT / LESSON).is_file()
        assert (hub.homes / name / ASSIGNMENT / "exercises" / f"{ASSIGNMENT}.py").is_file()
    inbound = sorted(p.name.split("+")[0] for p in (hub.exchange / COURSE_ID / "inbound").iterdir())
    assert inbound == STUDENTS  # one submission each, under the student's hub name

    nbgrader(teacher, "course", ("collect", ASSIGNMENT))
    submitted = hub.homes / INSTRUCTOR / "course" / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == STUDENTS
    for name in STUDENTS:
        notebook = nbformat.read(submitted / name / ASSIGNMENT / LESSON, as_version=4)
        assert any("nbgrader" in cell.metadata for cell in notebook.cells), name


@pytest.mark.slow
def test_stopping_the_hub_leaves_nothing_behind(hub, people, kernels):
    running = hub.descendants()
    # the proxy, and a server and a kernel for each person
    assert len(running) >= 1 + 2 * len(people), [p.cmdline() for p in running]
    left = stop_hub(hub)
    assert left == [], "still running after the hub stopped:\n" + "\n".join(left)
    assert hub.proc.returncode is not None
    assert all(not p.is_running() for p in running)
