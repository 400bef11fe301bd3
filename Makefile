# One toolchain: every recipe CI uses is here. `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: help venv install install-dev run demo test lint format typecheck bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

venv: $(BIN)/python ## Create the virtual environment

install: venv ## Install cobase (runtime only)
	$(BIN)/pip install --quiet -e .

install-dev: venv ## Install cobase with the development dependencies
	$(BIN)/pip install --quiet -e ".[dev]"

run: install ## Install cobase and start the app (embedded SQLite; an empty store offers the demonstration data)
	$(BIN)/cobase app

demo: install ## Load the demonstration data into the demonstration store (no internet needed)
	$(BIN)/cobase demo

test: install-dev ## Install dev dependencies, lint, and run the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

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
