# bcd35 — the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv: the one on PATH, else the one pip installs for this Python.
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen --no-sync
HOME_DIR ?= var
TEST_WORKERS ?= 2
YEAR ?= 2024

.PHONY: help setup run test lint unit e2e clean

help:
	@echo "make run    set everything up, load the demo inbox into a fresh ./var, report $(YEAR)"
	@echo "make test   the whole test suite (lint + pytest), as CI runs it"

.venv/.bcd35-synced: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| python3 -m pip install --quiet "uv>=0.9"
	$(UV) sync --frozen --python 3.11 --compile-bytecode  # .pyc now: imports ~2x faster
	@touch $@

# uv compiles the dependencies' bytecode, not the project's own (an editable install): compile
# it here, or every process compiles it again where Python may not write it (this machine sets
# PYTHONDONTWRITEBYTECODE); up to date, this takes a tenth of a second
setup: .venv/.bcd35-synced
	@$(RUN) python -m compileall -q bcd35 dags bench deploy

run: setup
	rm -rf $(HOME_DIR)
	$(RUN) bcd35 demo --home $(HOME_DIR)
	$(RUN) bcd35 run --home $(HOME_DIR)
	$(RUN) bcd35 report --year $(YEAR) --home $(HOME_DIR)

lint: setup
	$(RUN) ruff check .

test: lint
	bash scripts/ensure-chromium  # the browser tests of tests/ui need Debian's chromium
	# two workers (pytest-xdist), a test file each: most tests wait on a dbt or Airflow child
	# process, so both cores stay busy; the distributed suite runs next, on its own
	$(RUN) pytest -n $(TEST_WORKERS) --dist loadfile --ignore=tests/distributed
	$(MAKE) test-distributed
	$(MAKE) bench SIZE=small  # smoke check of the benchmark (night 1 through dag.test()), no timing asserts

clean:
	rm -rf var site .pytest_cache .ruff_cache

# --- analysts and the dbt project (docs/analyst.md) -----------------------------------------------
DOCS_PORT ?= 8080

SITE_DIR ?= site

.PHONY: sql docs docs-serve lint-sql test-dbt

sql: setup  ## read-only SQL shell (DuckDB CLI) on the published warehouse of $(HOME_DIR)
	$(RUN) python -m bcd35.sql shell --home $(HOME_DIR)

docs: setup  ## the docs site (MkDocs, docs/) into $(SITE_DIR)/, the dbt docs of $(HOME_DIR) into $(SITE_DIR)/dbt/
	$(RUN) mkdocs build --strict --quiet --site-dir $(SITE_DIR)
	$(RUN) python -m bcd35.sql docs --home $(HOME_DIR) --no-serve --out $(SITE_DIR)/dbt

docs-serve: docs  ## serve $(SITE_DIR)/ (the docs site and the dbt docs) on localhost:$(DOCS_PORT)
	$(RUN) python -m bcd35.sql serve --dir $(SITE_DIR) --port $(DOCS_PORT)

lint-sql: setup  ## sqlfluff (dbt templater) + project-shape rules (dbt-score, evaluator checks)
	$(RUN) python -m tests.dbt.lint all

test-dbt: setup  ## the dbt tests: lint, analyst queries, read-only shell, PostgreSQL build
	$(RUN) pytest tests/dbt -q

# --- performance benchmark (docs/performance.md) --------------------------------------------------
SIZE ?= small
BENCH_ARGS ?=

.PHONY: bench

bench: setup  ## the benchmark: make bench SIZE=small|province|national|all (results in bench/results/)
	$(RUN) python -m bench.run $(SIZE) $(BENCH_ARGS)

# --- operator: Airflow's UI and the browser tests (docs/operator.md) ------------------------------
PORT ?= 8080

.PHONY: up down test-ui

up: setup  ## Airflow's UI (standalone) over $(HOME_DIR) on http://127.0.0.1:$(PORT), in the background
	$(RUN) bcd35 up --home $(HOME_DIR) --port $(PORT)

down: setup  ## stop what `make up` started
	$(RUN) bcd35 down --home $(HOME_DIR)

test-ui: setup  ## browser tests (headless Debian chromium): the Airflow UI and the report page
	bash scripts/ensure-chromium
	$(RUN) pytest tests/ui -q

# --- production: Airflow on Celery workers with PostgreSQL (docs/production.md) -------------------
.PHONY: test-distributed

test-distributed: setup  ## PostgreSQL, Redis, api-server, scheduler, dag-processor, 2 Celery workers as processes
	scripts/test-distributed
