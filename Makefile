# Supportdesk: `make run` serves the desk with demo data, `make test` checks everything.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PYTEST := $(BIN)/pytest -q

.DEFAULT_GOAL := help
.PHONY: help install run test lint format test-sqlite test-postgres bench system-packages translations

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(VENV)/.run-deps: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e .
	touch $@

$(VENV)/.test-deps: $(VENV)/.run-deps
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

install: $(VENV)/.run-deps translations ## create .venv and install the pinned dependencies

translations: $(VENV)/.run-deps ## compile the .po catalogues to .mo files (polib: no GNU gettext)
	$(BIN)/supportdesk compile_translations

run: install ## migrate the embedded database, load the demo world if empty, serve on :8000
	$(BIN)/supportdesk migrate --no-input
	$(BIN)/supportdesk demo --if-empty
	$(BIN)/supportdesk run

lint: $(VENV)/.test-deps ## ruff, type check, import layers, Django checks, migrations up to date
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	SUPPORTDESK_VAR=$$(mktemp -d) $(BIN)/mypy supportdesk
	$(BIN)/supportdesk check
	$(BIN)/supportdesk makemigrations --check --dry-run

format: $(VENV)/.test-deps ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

system-packages: ## Dovecot (IMAP), Chromium (browser), DejaVu (PDF), gettext (catalogue check); without apt they skip, saying so
	@command -v dovecot >/dev/null 2>&1 || test -x /usr/sbin/dovecot || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd) \
	  >/dev/null 2>&1 || echo "dovecot-imapd could not be installed: the IMAP tests will skip"
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core) \
	  >/dev/null 2>&1 || echo "fonts-dejavu-core could not be installed: the PDF font test will skip"
	@command -v xgettext >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext) \
	  >/dev/null 2>&1 || echo "gettext could not be installed: the catalogue extraction test will skip"
	@command -v chromium >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	  >/dev/null 2>&1 || echo "chromium could not be installed: the browser tests will skip"

test-sqlite: $(VENV)/.test-deps system-packages translations
	@echo "== tests on SQLite"
	SUPPORTDESK_VAR=$$(mktemp -d) $(PYTEST)

test-postgres: $(VENV)/.test-deps system-packages translations
	@echo "== tests on a throwaway PostgreSQL server (skipped, with a message, without binaries)"
	SUPPORTDESK_VAR=$$(mktemp -d) SUPPORTDESK_TEST_DB=postgres $(PYTEST) -p tests.postgres_server

test: lint ## install test dependencies, lint, run the tests on SQLite and PostgreSQL (side by side)
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

bench: $(VENV)/.test-deps ## run the benchmarks in bench/ (slow; prints figures beside the peers')
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test,bench]'
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done
