# certlab: `make demo` to see it work, `make lab` to study, `make test` for everything CI checks.
#
# `make setup`, `demo`, `lab`, `build` and `data` install the Python environment in $(VENV) and
# nothing system-wide: no apt-get, no sudo. Only the Spark notebook needs more (Java 17+); when
# Java is missing, `make setup` says so once and carries on. `make sysdeps` installs the Debian
# packages the test suite needs (Java, Chromium, PostgreSQL, bubblewrap); `make test` runs it first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Extra options for `make lab`, e.g. LAB_ARGS="--no-browser --port 8890".
LAB_ARGS ?=
export TF_CPP_MIN_LOG_LEVEL := 2
export MPLBACKEND := Agg
export OMP_WAIT_POLICY := PASSIVE
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup setup-dev sysdeps demo lab test test-fast lint build data clean labext labext-check

# The venv is (re)installed only when a requirements file or pyproject.toml changed.
$(BIN)/.installed: requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	@touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/python -m pip install -r requirements-dev.txt
	@touch $@

# Python only. Java is looked for, never installed: without it, one note says how to get it.
setup: $(BIN)/.installed
	@$(BIN)/python -m certlab.java

setup-dev: $(BIN)/.installed-dev

# Debian packages for the test suite, installed when missing (as root, or with sudo): Java 17 for
# PySpark, Chromium for the browser tests, a PostgreSQL server for the shared-gradebook tests,
# bubblewrap for the grading sandbox. Learners never need this.
sysdeps:
	@PYTHON="$(PYTHON)" bash scripts/sysdeps.sh

demo: setup
	$(BIN)/certlab build
	$(BIN)/certlab demo

lab: setup
	$(BIN)/jupyter lab --notebook-dir=. $(LAB_ARGS) notebooks/00_start_here.ipynb

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/certlab lint

build: setup
	$(BIN)/certlab build

data: setup
	$(BIN)/python -m certlab.datagen

test: sysdeps setup-dev lint labext-check
	@$(BIN)/python -m certlab.java --strict
	$(BIN)/certlab build --check
	$(BIN)/python -m certlab.datagen --check
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup --no-loadscope-reorder --durations=25

# The tests that execute no notebook: the loop to run while editing (about a minute).
test-fast: $(BIN)/.installed-dev
	$(BIN)/python -m pytest -q -m "not slow" -n 2 --durations=5

# The JupyterLab extension: TypeScript in labextension/, built assets committed in certlab/labextension/.
labext: setup
	cd labextension && npm ci --no-audit --no-fund && PATH="$(abspath $(BIN)):$$PATH" npm run build

# Rebuild in a temporary copy and compare with the committed assets (fails if they are stale).
labext-check: setup
	PATH="$(abspath $(BIN)):$$PATH" bash scripts/labext_check.sh

clean:
	rm -rf $(VENV) autograded/*/ submitted feedback gradebook.db .pytest_cache .ruff_cache
