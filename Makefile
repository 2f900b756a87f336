# Two commands on a fresh machine with Python 3.11:
#   make run   - virtualenv, install, migrate, load Thanh Hóa's tree and demo data, serve on 127.0.0.1:5000
#   make test  - virtualenv, install, lint, the whole test suite (browser tests too where Chromium exists)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
export PORTAL_ENV ?= development

.PHONY: run test test-clock install catalogs setup-db lint system-deps clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(INSTALLED)

catalogs: install
	$(BIN)/pybabel -q compile -d translations

setup-db: catalogs
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi tenants sync thanh-hoa
	$(BIN)/flask --app wsgi demo load
	$(BIN)/flask --app wsgi criteria refresh

run: setup-db
	@echo "Portal: http://$(HOST):$(PORT)/ (log in with one of the demo logins above)"
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check portal tests bench

# Chromium for the browser tests, and WeasyPrint's libraries with a font holding every Vietnamese
# letter for the dossier and decision PDFs, from Debian's packages (needs root; a message otherwise).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	ldconfig -p | grep -q libpango-1.0.so.0 || missing="$$missing libpango-1.0-0"; \
	ldconfig -p | grep -q libpangoft2-1.0.so.0 || missing="$$missing libpangoft2-1.0-0"; \
	ldconfig -p | grep -q libharfbuzz-subset.so.0 || missing="$$missing libharfbuzz-subset0"; \
	fc-list 2>/dev/null | grep -q DejaVuSerif || missing="$$missing fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "missing:$$missing (not root: browser tests skipped, PDF tests fail)"; fi; \
	fi

test: catalogs lint system-deps
	PORTAL_ENV=testing $(BIN)/python -m pytest $(PYTEST_ARGS)

# The tests that decide on a day (marked `clock`), on a server running on UTC, at instants either side
# of Vietnam's midnight (17:00 UTC): today's, the year's last evening, the month's last evening.
CLOCK_INSTANTS ?= $(shell today=$$(date -u +%F); \
	month_end=$$(date -u -d "$$(date -u +%Y-%m-01) +1 month -1 day" +%F); \
	for day in $$today $$(date -u +%Y)-12-31 $$month_end; do echo $${day}T16:59:30+00:00 $${day}T17:00:30+00:00; done)
test-clock: catalogs
	@for at in $(CLOCK_INSTANTS); do \
	  echo "== the clock tests at $$at"; \
	  TZ=UTC PORTAL_ENV=testing $(BIN)/python -m pytest -q -m clock --clock=$$at || exit 1; \
	done

clean:
	rm -rf $(VENV) instance *.egg-info
