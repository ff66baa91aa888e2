# Two commands set everything up on a fresh machine with python3:
#   make lab    create .venv, install, open JupyterLab on the lessons
#   make test   create .venv, install, run every test (nbval included)
# Every other target is a thin call of the kit's own command line,
# `autodiff-kit` (autodiff_kit/cli.py), which needs no make: on Windows or
# macOS, `pip install autodiff-kit[lab]` and the same commands work.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/python -m pip
KIT    := $(BIN)/autodiff-kit

.PHONY: lab test bench demo check clean lock venv student present assignments

venv: $(STAMP)

# The venv is (re)built whenever the pins change.
$(STAMP): requirements.txt constraints.txt pyproject.toml config/jupyterlab-overrides.json
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet -r requirements.txt -c constraints.txt
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp config/jupyterlab-overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	$(BIN)/python -c "import matplotlib.font_manager"  # build the font cache now, not inside a lesson
	touch $(STAMP)

# JupyterLab runs offline: no news or update checks, no extension manager
# reaching for PyPI. It listens on 127.0.0.1 only, with a token (autodiff_kit/lab.py).
# It serves the whole clone (so student/ copies open too) and shows notebooks/ first.
lab: $(STAMP)
	$(KIT) lab notebooks --root . --no-browser

# Classroom mode: one lesson served by Voila, code hidden, widgets live, e.g.
# `make present LESSON=12` (07 or 7 work too; no LESSON lists them, exit 0). Like the
# lab: 127.0.0.1 only, a fresh token in the URL printed, offline. PORT=8870
# when 8866 is taken.
present: $(STAMP)
	$(KIT) present $(LESSON) $(if $(PORT),--port $(PORT),)

# Two runs: first everything that needs no browser, on both cores (pytest-xdist,
# each file kept on one worker, so a notebook's cells run in order in one
# kernel); then the real-browser tests and the class server, one at a time.
SERIAL := tests/browser tests/test_jupyterhub.py
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile $(addprefix --ignore=,$(SERIAL))
	$(BIN)/python -m pytest $(SERIAL)

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# micrograd's demo on this engine: a progress bar, the accuracy, a picture.
demo: $(STAMP)
	$(KIT) demo --out demo-output

# Every op, module, loss, optimizer and schedule against PyTorch.
check: $(STAMP)
	$(KIT) check

# Student copies of the lessons in student/ (git-ignored): the solutions between
# ### BEGIN SOLUTION and ### END SOLUTION replaced by a stub, outputs cleared.
student: $(STAMP)
	$(KIT) student student --from notebooks --force

# The lessons as an nbgrader course in course/ (git-ignored): source/lessonNN/ with
# graded tests and hidden tests, then release/lessonNN/ by nbgrader generate_assignment.
# LESSONS="03 05" for some of them. The instructor's workflow: docs/instructor.md.
assignments: $(STAMP)
	$(KIT) assignments course --release --force $(if $(LESSONS),--lessons $(LESSONS),)

# Re-pin every transitive dependency from a fresh install of requirements.txt.
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/python -m pip install --quiet -r requirements.txt
	.lockenv/bin/python -m pip freeze --exclude-editable | grep -v '^autodiff-kit' > constraints.txt
	rm -rf .lockenv

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info benchmarks/output demo-output test-output student course
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
