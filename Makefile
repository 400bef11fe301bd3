# One toolchain: every recipe CI uses is here. `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: help venv install install-dev lock run demo test lint format typecheck bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

# Installs come from the lock files, so every machine and every CI run gets the versions the tests passed
# with; pyproject.toml keeps the ranges the code needs. `make lock` re-resolves them (Python 3.11, x86_64
# Linux). `python -m pip`, never `$(BIN)/pip`: a copied venv's pip script points at the old interpreter.
LOCK_TARGET := --python-version 3.11 --python-platform x86_64-manylinux_2_28 --custom-compile-command "make lock"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

venv: $(BIN)/python ## Create the virtual environment

install: venv ## Install cobase (runtime only) from requirements.lock
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .

install-dev: $(VENV)/.installed-dev ## Install cobase with the development dependencies from requirements-dev.lock

# A stamp: the lock is installed again only when it or pyproject.toml changed (not at every `make test`).
$(VENV)/.installed-dev: requirements-dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

lock: venv ## Re-resolve requirements.lock and requirements-dev.lock from pyproject.toml (with uv)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml $(LOCK_TARGET) -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra postgres $(LOCK_TARGET) -o requirements-dev.lock

run: install ## Install cobase and start the app (embedded SQLite; an empty store offers the demonstration data)
	$(BIN)/cobase app

demo: install ## Load the demonstration data into the demonstration store (no internet needed)
	$(BIN)/cobase demo

# mypy runs beside pytest, its report printed after the suite's: the suite leaves a core idle while it
# waits on subprocesses, servers and the browser. Either failing fails the target.
test: install-dev ## Install dev dependencies, lint, type-check and run the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy > $(VENV)/mypy.log 2>&1 & types=$$!; \
	$(BIN)/python -m pytest; suite=$$?; \
	wait $$types; typed=$$?; echo "mypy:"; cat $(VENV)/mypy.log; \
	exit $$(( suite || typed ))

lint: ## Lint and check formatting
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: ## Format the code
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

typecheck: ## Type-check cobase/
	$(BIN)/mypy

bench: ## Run the benchmarks
	$(BIN)/python bench/ingest.py

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
