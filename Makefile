# Inclusion Ledger: `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help
.PHONY: help install demo test lint bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

# Installing says what it does on stderr, so that `make bench` prints only JSON on stdout.
$(STAMP): pyproject.toml
	@echo "installing into $(VENV)" >&2
	@$(PYTHON) -m venv $(VENV) >&2
	@$(BIN)/pip install --quiet --upgrade pip >&2
	@$(BIN)/pip install --quiet -e '.[dev]' >&2
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with its dev tools

demo: $(STAMP) ## write the Northmoor scenario into ./ledger-data/ledger.db (FORCE=1 replaces it)
	$(BIN)/inclusion-ledger demo $(if $(FORCE),--force,)

test: $(STAMP) ## run the whole test suite (PostgreSQL tests use 127.0.0.1:5432, database test)
	$(BIN)/pytest

lint: $(STAMP) ## ruff, mypy --strict and the import-linter layer contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP) ## benchmarks against stock eventsourcing (one JSON document on stdout); N=events
	@$(BIN)/python -m tests.benchmarks.append $(if $(N),--events $(N),)

clean: ## remove the virtualenv, caches and the demo ledger
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis ledger-data
