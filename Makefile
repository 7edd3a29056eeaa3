# PO Portal — `make run` serves the demo, `make test` runs every test (browser tests included).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app portal
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-deep mutation mutation-security mutation-services install browser pdf-libs migrate check bench bench-http clean serve setup install-runtime

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: pdf-libs $(STAMP)

## Production install: the portal and its runtime dependencies only (no test tools), `pip install .`.
install-runtime: pdf-libs
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check .

## Debian's Chromium for the browser tests (Playwright cannot download its own browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

## Pango for WeasyPrint (PDF statements): Debian's libraries, installed only when missing.
pdf-libs:
	@/sbin/ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || { \
	  echo "Installing Debian's pango for the PDF statements..."; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; }

## Serve the portal with demo data on http://$(HOST):$(PORT) (embedded PostgreSQL unless DATABASE_URL is set).
run: $(STAMP)
	$(FLASK) db upgrade
	$(FLASK) demo load
	@echo "Serving on http://$(HOST):$(PORT)/ — sign in with one of the demo users above."
	PORTAL_COOKIE_SECURE=$${PORTAL_COOKIE_SECURE:-0} $(FLASK) run --host $(HOST) --port $(PORT)

## Production: gunicorn with gunicorn.conf.py (PORTAL_BIND, WEB_CONCURRENCY …); migrates first.
serve:
	@test -x $(BIN)/gunicorn || $(MAKE) install-runtime
	$(FLASK) db upgrade
	$(BIN)/gunicorn -c gunicorn.conf.py

## First run on a real server: reference data, a first branch and the first administrator (idempotent).
setup:
	@test -x $(BIN)/flask || $(MAKE) install-runtime
	$(FLASK) db upgrade
	$(FLASK) setup

## Every test: unit, integration, web and browser (TEST_DATABASE_URL picks the server; default: a private one),
## on TEST_WORKERS processes (pytest-xdist; each its own throwaway database; 1 to run them in one process).
TEST_WORKERS ?= 2
test: $(STAMP) browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

## The model-based money test with many more and longer random sequences (minutes, not seconds).
test-deep: $(STAMP)
	MONEY_MODEL=deep $(BIN)/python -m pytest -p no:cacheprovider -q tests/integration/test_money_model.py tests/integration/test_contract_model.py $(PYTEST_ARGS)

## Mutation testing of the pure rules (portal/domain) with the unit tests; not part of `make test`.
mutation: $(STAMP)
	$(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results

migrate: $(STAMP)
	$(FLASK) db upgrade

## Migrations match the models.
check: $(STAMP)
	$(FLASK) db upgrade && $(FLASK) db check

bench: $(STAMP)
	for b in bench/[a-z]*.py; do case $$b in *common.py|*http.py|*floor.py|*explain.py|*profile.py) ;; *) $(BIN)/python -m bench.$$(basename $$b .py);; esac; done

## Pages over HTTP against a SELECT 1 floor; DATABASE_URL must hold `flask demo scale` data.
bench-http: $(STAMP)
	$(BIN)/python -m bench.http $(BENCH_ARGS)

## The database-backed mutation runs copy each mutant's test database from this one, migrated once per run
## (TEST_TEMPLATE_DATABASE, see conftest.py) instead of migrating per mutant.
MUTATION_TEMPLATE ?= mut_template

## Mutation testing of the permission rules and server-side sessions (mutmut; slow, minutes to an hour).
MUTATION_SECURITY := build/mutation-security
# e.g. SECURITY_MUTANTS="'portal.authz.*' 'portal.domain.*'" for the pure rules alone (the services' mutants run web tests)
SECURITY_MUTANTS ?=
mutation-security: $(STAMP)
	rm -rf $(MUTATION_SECURITY) && mkdir -p $(MUTATION_SECURITY)
	cp -r portal tests conftest.py migrations $(MUTATION_SECURITY)/
	cp tests/mutation_security.toml $(MUTATION_SECURITY)/pyproject.toml
	cd $(MUTATION_SECURITY) && $(abspath $(BIN))/python -m tests.template_db $(MUTATION_TEMPLATE)
	cd $(MUTATION_SECURITY) && TEST_TEMPLATE_DATABASE=$(MUTATION_TEMPLATE) $(abspath $(BIN))/mutmut run --max-children 1 $(SECURITY_MUTANTS); \
		$(abspath $(BIN))/mutmut results

## Mutation testing of the money path in the services (posting, funding, documents) with the tests that drive it.
MUTATION_SERVICES := build/mutation-services
# the check-and-write functions (each mutant runs the database tests that reach it); SERVICES_MUTANTS= runs all three files
SERVICES_MUTANTS ?= 'portal.services.posting.x__credit_floor__mutmut_*' 'portal.services.documents.x__check_credit_size__mutmut_*' \
	'portal.services.documents.x_credit_left__mutmut_*' 'portal.services.documents.x_carried_po__mutmut_*'
mutation-services: $(STAMP)
	rm -rf $(MUTATION_SERVICES) && mkdir -p $(MUTATION_SERVICES)
	cp -r portal tests conftest.py migrations $(MUTATION_SERVICES)/
	cp tests/mutation_services.toml $(MUTATION_SERVICES)/pyproject.toml
	cd $(MUTATION_SERVICES) && $(abspath $(BIN))/python -m tests.template_db $(MUTATION_TEMPLATE)
	cd $(MUTATION_SERVICES) && TEST_TEMPLATE_DATABASE=$(MUTATION_TEMPLATE) $(abspath $(BIN))/mutmut run --max-children 1 $(SERVICES_MUTANTS); \
		$(abspath $(BIN))/mutmut results

clean:
	rm -rf $(VENV) .pytest_cache
