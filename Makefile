# The two commands of the README:
#   make run   installs into .venv and starts the service with embedded defaults
#   make test  installs into .venv (with test extras) and what the tests need on the machine
#              (.ci/install-deps), then runs the whole test suite
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench bench-api install deps-test

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# The product's modules compiled to bytecode, as pip does for an installed package (an editable
# install does not): where the environment sets PYTHONDONTWRITEBYTECODE=1 every command would
# otherwise compile ~100 modules again at each start (~0.2 s of CPU per process). Stale files only.
install: $(VENV)/.installed
	@$(BIN)/python -m compileall -q -j 0 domain renderers archive service bench > /dev/null

run: install
	$(BIN)/curit-docs serve --demo

# Debian packages of deploy/pacchetti-test.txt (installed when missing) and the local services
deps-test:
	bash .ci/install-deps

# Bytecode is written even where the environment says not to (PYTHONDONTWRITEBYTECODE=1): the suite
# starts hundreds of Python processes (workers, CLI, servers) that would each compile every module again.
test: install deps-test
	PYTHONDONTWRITEBYTECODE= PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -q -n 2 --dist loadgroup --durations=30

bench: install
	$(BIN)/python -m bench

bench-api: install
	$(BIN)/python -m bench api
