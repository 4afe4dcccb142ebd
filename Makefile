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

$(STAMP): requirements.txt pyproject.toml binder/jupyterlab-overrides.json binder/jupyter_server_config.json \
          binder/ipython_kernel_config.json tools/install_jupyter_settings.py
	@test -x $(BIN)/python || { \
	    $(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' || \
	        { echo "error: the course needs Python 3.11 or newer; run: make PYTHON=/path/to/python3.11 $(MAKECMDGOALS)" >&2; exit 1; }; \
	    $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@# Start a notebook's kernel on opening instead of asking with a "Select Kernel" dialog.
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp binder/jupyterlab-overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	@# Saved explorers are stored as still pictures (course_lib.still_widgets); a NameError says to run the cells above.
	$(BIN)/python tools/install_jupyter_settings.py
	@touch $(STAMP)

setup: $(STAMP)

# (As root, e.g. in a container, JupyterLab refuses to start without --allow-root.)
# Trusting the course's own notebooks lets JupyterLab draw their stored widgets before the cells are run.
lab: setup
	$(BIN)/jupyter trust notebooks/*.ipynb > /dev/null
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root) notebooks/00_start_here.ipynb

# Unit tests, nbval over every notebook (strict), and the real-browser test.
test: setup
	$(BIN)/python -m pytest

# The same without the browser and the Binder checks, for a quick loop while writing code.
test-fast: setup
	$(BIN)/python -m pytest -m "not browser and not binder and not portability"

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

# Re-resolve requirements.in into the fully pinned requirements.txt (in a throw-away venv).
lock:
	rm -rf /tmp/course-lock && $(PYTHON) -m venv /tmp/course-lock
	/tmp/course-lock/bin/pip install --quiet -r requirements.in
	{ head -n 2 requirements.txt; /tmp/course-lock/bin/pip freeze --exclude-editable; } > requirements.txt.new
	mv requirements.txt.new requirements.txt

# Drift check, not part of `make test`: the newest release of every direct dependency (requirements.in without
# its pins) in a throw-away venv, then the tests; prints what changed and what broke (exit 1 if a test fails).
latest:
	$(PYTHON) tools/latest.py

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
