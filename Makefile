# Spec -> generated client -> safe client; mock serves the spec; contract_tests checks all of it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NPM_DIR := scripts/npm
SPECTRAL := $(NPM_DIR)/node_modules/.bin/spectral
PORT ?= 8080
REPORTS := $(or $(FGS_REPORTS_DIR),reports)
PYTEST := $(BIN)/pytest
# Three workers on two cores: the conftest keeps the timing tests on one worker, where they mostly wait;
# the other two keep both cores busy meanwhile (with two, a core idled a third of the time).
PYTEST_WORKERS ?= 3
SITE_DIR ?= site
# Bytecode caching makes repeated pytest runs (the suite runs itself in child processes) much faster.
unexport PYTHONDONTWRITEBYTECODE

.DEFAULT_GOAL := help
.PHONY: help install generate check-generated lint typecheck docs test unit pytest contract mock bench

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

install: ## Create .venv with the pinned Python packages, and the pinned Node tools
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	npm ci --prefix $(NPM_DIR) --no-audit --no-fund --loglevel=error

generate: ## Rebuild generated/fgs_client from spec/openapi.yaml
	scripts/generate.sh

check-generated: ## Fail if generated/fgs_client is not what the spec produces
	scripts/check_generated.sh

lint: ## ruff on hand-written code, Spectral (spectral:oas) on the spec
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(SPECTRAL) lint spec/openapi.yaml --ruleset spec/.spectral.yaml --fail-severity hint --quiet

typecheck: ## mypy --strict on hand-written and generated code
	$(BIN)/mypy
	$(BIN)/mypy --strict generated/fgs_client

docs: ## Build the documentation site into $(SITE_DIR)/, offline; any warning fails
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir $(SITE_DIR)

# Side by side: pytest leaves a core idle about a third of the time (its tests wait on servers and child
# processes), enough for the other steps. Each of those prints its output whole when it ends; pytest's
# streams as it runs (a recursive make line is not synchronised). -k: every step runs and reports.
test: ## Everything CI runs: drift, lint, types, the site, all tests
	@$(MAKE) --no-print-directory -k -j --output-sync=target check-generated lint typecheck docs contract unit

unit: ## The tests under contract_tests/ (pytest, over $(PYTEST_WORKERS) workers)
	@$(MAKE) --no-print-directory --output-sync=none pytest

pytest:
	$(PYTEST) -p no:schemathesis -n $(PYTEST_WORKERS) --dist loadgroup --junitxml=$(REPORTS)/junit-unit.xml

contract: ## Conformance suite (fgs-conformance) against FGS_ENDPOINT, or the embedded mock when unset
	$(BIN)/fgs-conformance --junit-xml $(REPORTS)/junit-contract.xml --report $(REPORTS)/contract-summary.md

mock: ## Serve the mock endpoint on 127.0.0.1:$(PORT)
	$(BIN)/python -m fgs_mock --port $(PORT)

bench: ## Benchmarks against the alternatives; writes reports/bench.md and reports/bench.png
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } \
		|| { echo "bench needs wrk (apt-get install wrk)"; exit 1; }
	$(BIN)/python scripts/bench.py
