# Two commands do all the set-up:  `make lab` (install, then open the course)
#                                  `make test` (install, then run every test)
# Both create .venv with Python 3.11 if it is absent and install the pinned requirements into it.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# What `make notebooks` strips and tests/test_hygiene.py verifies: stray metadata such as per-cell timings, but
# not the outputs, execution counts, cell ids or the saved widget state (metadata.widgets).
NBSTRIPOUT_FLAGS := --keep-output --keep-count --keep-id --keep-metadata-keys metadata.widgets
# MNIST (chapters 08 and 09, their tests and benchmarks): the verified copy beside the repository, as CI has it,
# when there is one and COURSE_DATA_DIR is not set; otherwise load_mnist looks in its cache and downloads.
SHARED_MNIST := $(abspath ../shared/data/mnist)
ifeq ($(COURSE_DATA_DIR),)
ifneq ($(wildcard $(SHARED_MNIST)/SHA256SUMS),)
export COURSE_DATA_DIR := $(SHARED_MNIST)
endif
endif

.PHONY: setup lab test test-fast notebooks benchmarks lock latest clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml binder/jupyterlab-overrides.json \
          binder/jupyter_server_config.json binder/ipython_kernel_config.json tools/install_jupyter_settings.py
	@test -x $(BIN)/python || { \
	    $(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' || \
	        { echo "error: the course needs Python 3.11 or newer; run: make PYTHON=/path/to/python3.11 $(MAKECMDGOALS)" >&2; exit 1; }; \
	    $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# What learners need (requirements.txt) and the test tools (requirements-dev.txt).
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@# JupyterLab: a notebook's kernel starts on opening (no "Select Kernel" dialog), no news pop-up; the server:
	@# saved explorers are stored as still pictures (course_lib.still_widgets); the kernel: a NameError says to run
	@# the cells above. See tools/install_jupyter_settings.py.
	$(BIN)/python tools/install_jupyter_settings.py
	@touch $(STAMP)

setup: $(STAMP)

# (As root, e.g. in a container, JupyterLab refuses to start without --allow-root.)
# Trusting the course's own notebooks lets JupyterLab draw their stored widgets before the cells are run.
# The server's root is the repository, so that the file browser shows the whole course (README.md, notebooks/,
# solutions/); it opens chapter 00. LAB_ARGS: extra options, e.g. make lab LAB_ARGS=--no-browser.
LAB_ARGS ?=
lab: setup
	$(BIN)/jupyter trust notebooks/*.ipynb > /dev/null
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root) --ServerApp.root_dir="$(CURDIR)" \
	    $(LAB_ARGS) notebooks/00_start_here.ipynb

# Unit tests, nbval over every notebook (strict), and the real-browser test.
test: setup
	$(BIN)/python -m pytest

# The same without the browser, Binder and JupyterHub checks, for a quick loop while writing code.
test-fast: setup
	$(BIN)/python -m pytest -m "not browser and not binder and not portability and not hub"

# Re-execute every notebook top to bottom in a fresh kernel and store its outputs.
# (nbconvert stores the widget state too, so a notebook opened before it is run still shows its widgets;
# tools/widget_fallback.py adds a still picture of each for a JupyterLab that cannot draw them, see README.)
# One notebook: make notebooks NB=03_bias.ipynb. tools/numeric_env.py pins numpy's CPU code path, as pytest does.
NB ?= *.ipynb
notebooks: setup
	cd notebooks && ../$(BIN)/python ../tools/numeric_env.py ../$(BIN)/jupyter nbconvert --to notebook --execute \
	    --inplace --ExecutePreprocessor.record_timing=False $(NB)
	cd notebooks && ../$(BIN)/nbstripout $(NBSTRIPOUT_FLAGS) $(NB)
	cd notebooks && ../$(BIN)/python ../tools/widget_fallback.py $(NB)

# The figures the issues ask for (widget latency, ...); not part of `make test`.
benchmarks: setup
	$(BIN)/python benchmarks/widget_latency.py
	$(BIN)/python benchmarks/widget_memory.py
	$(BIN)/python benchmarks/notebook_runtime.py
	$(BIN)/python benchmarks/mlp_epoch.py
	$(BIN)/python benchmarks/mnist_accuracy.py
	$(BIN)/python benchmarks/cnn_epoch.py
	$(BIN)/python benchmarks/cnn_accuracy.py

# Re-resolve the .in files into fully pinned .txt files (in a throw-away venv): requirements.in (what learners need)
# into requirements.txt; then requirements-dev.in (the test tools) and requirements-hub.in (a hub's single-user
# additions), each on top of it and constrained by it, into the packages they add.
LOCK := /tmp/course-lock
lock:
	rm -rf $(LOCK) && $(PYTHON) -m venv $(LOCK)
	$(LOCK)/bin/pip install --quiet -r requirements.in
	{ head -n 2 requirements.txt; $(LOCK)/bin/pip freeze --exclude-editable; } > requirements.txt.new
	mv requirements.txt.new requirements.txt
	for extra in dev hub; do \
	    $(LOCK)/bin/pip install --quiet -r requirements-$$extra.in -c requirements.txt && \
	    { head -n 2 requirements-$$extra.txt; $(LOCK)/bin/pip freeze --exclude-editable | grep -vxF -f requirements.txt; } \
	        > requirements-$$extra.txt.new && mv requirements-$$extra.txt.new requirements-$$extra.txt || exit 1; \
	    $(LOCK)/bin/pip uninstall --quiet -y -r requirements-$$extra.txt; \
	done

# Drift check, not part of `make test`: the newest release of every direct dependency (requirements.in without
# its pins) in a throw-away venv, then the tests; prints what changed and what broke (exit 1 if a test fails).
latest:
	$(PYTHON) tools/latest.py

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
