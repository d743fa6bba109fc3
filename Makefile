# Two entry points for newcomers:  make run   and   make test
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
PIP     = $(PY) -m pip

.PHONY: run test install install-test lint typecheck imports bench worker beat clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade --quiet pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## Embedded default: SQLite, eager tasks, demo data, http://127.0.0.1:8000
run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:8000

## The whole test suite (SQLite unless DATABASE_URL is set; service tests skip with a reason unless REQUIRE_SERVICES=1)
test: $(VENV)/.installed-test
	$(PY) -m pytest $(PYTEST_ARGS)

## schemathesis per role (--checks all) against a DEBUG=0 server on PostgreSQL with the demo data (a few minutes)
.PHONY: fuzz
fuzz: $(VENV)/.installed-test
	PY=$(PY) tests/fuzz/run_schemathesis.sh

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(VENV)/bin/mypy .

imports: $(VENV)/.installed-test
	$(VENV)/bin/lint-imports

worker: $(VENV)/.installed
	$(VENV)/bin/celery -A trust_portal worker --loglevel=INFO

beat: $(VENV)/.installed
	$(VENV)/bin/celery -A trust_portal beat --loglevel=INFO

clean:
	rm -rf $(VENV) staticfiles db.sqlite3*
