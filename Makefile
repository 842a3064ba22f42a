# bcd35 — the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv: the one on PATH, else the one pip installs for this Python.
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen --no-sync
HOME_DIR ?= var
YEAR ?= 2024

.PHONY: help setup run test lint unit e2e clean

help:
	@echo "make run    set everything up, load the demo inbox into a fresh ./var, report $(YEAR)"
	@echo "make test   the whole test suite (lint + pytest), as CI runs it"

.venv/.bcd35-synced: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| python3 -m pip install --quiet "uv>=0.9"
	$(UV) sync --frozen --python 3.11
	@touch $@

setup: .venv/.bcd35-synced

run: setup
	rm -rf $(HOME_DIR)
	$(RUN) bcd35 demo --home $(HOME_DIR)
	$(RUN) bcd35 run --home $(HOME_DIR)
	$(RUN) bcd35 report --year $(YEAR) --home $(HOME_DIR)

lint: setup
	$(RUN) ruff check .

test: lint
	$(RUN) pytest

clean:
	rm -rf var .pytest_cache .ruff_cache
