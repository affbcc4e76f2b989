# Remit — the two commands a fresh machine needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck layers unit bench bench-repository schemas format clean

# One virtual environment with the package (editable) and the dev tools; rebuilt when
# pyproject.toml changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(STAMP)
	$(BIN)/remit demo

test: lint typecheck layers unit

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

layers: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest -q -n 2

bench: $(STAMP) bench-repository
	$(BIN)/python benchmarks/collect.py
	$(BIN)/python benchmarks/assess.py

# Remit's backup repository against restic and borg (installs both from Debian if absent),
# then memory as data grows (1 GiB against 10 GiB).
bench-repository: $(STAMP)
	$(BIN)/python benchmarks/repository.py
	$(BIN)/python benchmarks/repository_memory.py

# The JSON Schemas of `--json` output, generated from the types in remit.cli.schemas.
schemas: $(STAMP)
	$(BIN)/python -m remit.cli.schemas docs/reference/schemas

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build src/*.egg-info
