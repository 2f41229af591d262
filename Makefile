# The README's commands. `make run` starts the portal with demo data; `make test` runs every check.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test test-postgres lint bench setup system system-test mirror checkov lock clean

# A fresh virtualenv with the pinned dependencies; rebuilt when requirements.txt changes.
$(VENV)/.installed: requirements.txt
	python3.11 -m venv $(VENV) 2>/dev/null || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	$(VENV)/bin/pip install --quiet --no-deps -e .  # the portalctl command (pyproject [project.scripts])
	touch $@

# checkov (static analysis of the Terraform) in its own virtualenv: its dependency pins clash with
# the portal's. `manage.py blueprints check` runs it from here (CHECKOV_BIN).
CHECKOV_VENV := .venv-checkov
$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	python3.11 -m venv $(CHECKOV_VENV) 2>/dev/null || python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet -r requirements-checkov.txt
	touch $@

checkov: $(CHECKOV_VENV)/.installed

system:
	bash scripts/system-packages.sh

# The test suite also drives Debian's Chromium (browser tests) and starts its own PostgreSQL
# cluster (the database-outage test), in the SQLite pass too.
system-test:
	bash scripts/system-packages.sh chromium postgresql

mirror: $(VENV)/.installed
	$(PY) scripts/terraform_mirror.py

setup: $(VENV)/.installed system mirror checkov
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py blueprints sync
	$(PY) manage.py policy sync

run: setup
	exec $(PY) scripts/run.py

# The pure packages (no Django, no Celery): import-linter keeps them pure (contracts in
# pyproject.toml) and mypy checks them strictly.
MYPY_PATHS := blueprints portal/costs/engine portal/policies/engine portal/requests/policy.py workers/runner drills portalctl

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo
	$(VENV)/bin/mypy $(MYPY_PATHS)

# pytest exits 5 when no test ran; make treats every non-zero exit as a failure.
test: $(VENV)/.installed system-test mirror checkov lint
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py blueprints check
	$(VENV)/bin/pytest

bench: setup
	$(PY) -m bench

lock:
	python3 -m venv /tmp/portal-lock-venv && /tmp/portal-lock-venv/bin/pip install -q -r requirements.in
	(echo "# Pinned lock of requirements.in (pip freeze). Regenerate: make lock"; /tmp/portal-lock-venv/bin/pip freeze) > requirements.txt

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) data

# The same suite against a throwaway PostgreSQL 15 (as CI runs it).
test-postgres:
	bash scripts/with-postgres.sh $(MAKE) test
