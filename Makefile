# Two commands for a new user: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast check lint typecheck bench bench-table system-deps clean lock

LOCK := requirements.lock

# Every dependency from the lock file, each checked against its hashes; then the project itself,
# editable, without resolving anything again; `pip check` stops when the lock is out of date.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check  # a dependency pyproject.toml asks for but the lock lacks: run `make lock`
	touch $(STAMP)

# Re-resolve the dependencies of pyproject.toml (with the dev and pictures extras) into the lock
# file, with hashes. Run it after adding or changing a dependency, and commit both files.
lock:
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet pip-tools
	.venv-lock/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		--extra dev --extra pictures --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
		--output-file $(LOCK) pyproject.toml

# A first `make run` installs only what the platform runs with (scripts/run_requirements.py: the lock's
# runtime part, same pins and hashes; less than half the install without mypy, ruff, playwright, pytest),
# or nothing when `make test` installed everything already. pip does not byte-compile the packages
# (`--no-compile`: about 7 s of CPU here, a third of the install): `make run` compiles them in the
# background, one process beside the demo campaign (which uses one core), while the first start compiles
# only what it imports.
RUN_STAMP := $(VENV)/.installed-run
$(RUN_STAMP): pyproject.toml $(LOCK) scripts/run_requirements.py
	@if [ -f $(STAMP) ] && [ $(STAMP) -nt pyproject.toml ] && [ $(STAMP) -nt $(LOCK) ]; then touch $(RUN_STAMP); exit 0; fi; \
	set -ex; \
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); \
	$(BIN)/python scripts/run_requirements.py $(LOCK) pyproject.toml > $(VENV)/run-requirements.txt; \
	$(BIN)/pip install --quiet --no-compile --require-hashes -r $(VENV)/run-requirements.txt; \
	$(BIN)/pip install --quiet --no-compile --no-deps -e .; \
	rm -f $(VENV)/.compiled; \
	$(BIN)/pip check; \
	touch $(RUN_STAMP)

# Seeds the demo campaign on first start, creates development keys, serves http://127.0.0.1:$(PORT)
# (`make run PORT=8080` for another port).
PORT ?= 8000
run: $(RUN_STAMP)
	bash scripts/system-deps.sh run
	@test -f $(VENV)/.compiled || ( nice $(BIN)/python -m compileall -qq $(VENV)/lib >/dev/null 2>&1; \
		touch $(VENV)/.compiled ) &
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
	bash scripts/system-deps.sh bench
	$(BIN)/python benchmarks/run_all.py

# The goals table of docs/performance.md and the README, from the last `make bench` (var/bench/latest.json).
bench-table: $(STAMP)
	$(BIN)/python benchmarks/render_table.py --write

clean:
	rm -rf $(VENV) .venv-lock var/ .pytest_cache .mypy_cache .ruff_cache
