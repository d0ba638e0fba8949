# Backbone. Every target creates the virtual environment first if it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast e2e lint format clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## make demo: install, migrate the SQLite database, load the demo initiative, serve on 127.0.0.1:8000
demo: $(STAMP)
	$(BIN)/backbone demo

## make test: every test — unit and browser (needs Debian's chromium at /usr/bin/chromium)
test: $(STAMP)
	$(BIN)/python -m pytest

## make test-fast: everything but the browser tests
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not e2e"

## make lint: formatting and lint checks (ruff)
lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make bench: the benchmark suite on SQLite and PostgreSQL (127.0.0.1:5432, user postgres),
## written to docs/benchmarks.md. Smaller: make bench BENCH_OBSERVATIONS=1000000
BENCH_OBSERVATIONS ?= 10000000
BENCH_IMPORT_ROWS  ?= 1000000
BENCH_DATABASES    ?= sqlite,postgresql
bench: $(STAMP)
	$(BIN)/python -m bench.run --observations $(BENCH_OBSERVATIONS) \
		--import-rows $(BENCH_IMPORT_ROWS) --databases $(BENCH_DATABASES)

clean:
	rm -rf $(VENV) var .pytest_cache
