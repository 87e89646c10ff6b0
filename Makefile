# Two commands for a new user: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast check lint typecheck bench system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,pictures]'
	touch $(STAMP)

# Seeds the demo campaign on first start, creates development keys, serves http://127.0.0.1:$(PORT)
# (`make run PORT=8080` for another port).
PORT ?= 8000
run: $(STAMP)
	bash scripts/system-deps.sh run
	$(BIN)/immunize run --port $(PORT)

# Static checks, then the whole suite; PostgreSQL is started by the tests themselves.
test: $(STAMP)
	bash scripts/system-deps.sh test
	$(MAKE) check
	$(BIN)/pytest

# Unit tests only (domain, credentials, verifier, keys): no store, no server, seconds.
test-fast: $(STAMP)
	$(BIN)/pytest tests/unit

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	bash scripts/system-deps.sh test
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) var/ .pytest_cache .mypy_cache .ruff_cache
