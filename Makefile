# TRT: every target sets itself up on a fresh clone (.venv from pyproject.toml) before it runs.

VENV      := .venv
PY        := $(VENV)/bin/python
# The newest supported interpreter on PATH or under $(pyenv root)/versions/, unless PYTHON is given.
SUPPORTED := 3.14 3.13 3.12 3.11
PYTHON    ?= $(or $(shell scripts/python.sh $(SUPPORTED)),python3)
# The unit tests also run on a second interpreter, in its own venv: 3.13, or 3.11 when .venv is 3.13.
ALT_VERSION = $(if $(filter 3.13,$(shell $(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])')),3.11,3.13)
ALT_VENV    = .venv-$(ALT_VERSION)
CODE      := services shared emulators bench
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export BOT_WORKERS ?= 2

.PHONY: setup run test unit-alt lint ctl status money-report migrate catalog-check bench chaos clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

run: setup            ## start local Redis/PostgreSQL if needed, migrate, run supervisord in the foreground
	scripts/run.sh

test: setup lint      ## lint, type-check, the whole suite, then the unit tests on the second interpreter
	$(PY) -m pytest
	$(MAKE) --no-print-directory unit-alt

unit-alt: setup       ## the unit tests (no e2e, no chaos) on ALT_VERSION in $(ALT_VENV), skipped when not installed
	@alt="$$(scripts/python.sh $(ALT_VERSION))"; \
	if [ -z "$$alt" ]; then echo "unit-alt: no Python $(ALT_VERSION) installed; skipped"; exit 0; fi; \
	set -e; \
	test -x $(ALT_VENV)/bin/python || "$$alt" -m venv $(ALT_VENV); \
	if [ ! -e $(ALT_VENV)/.installed ] || [ pyproject.toml -nt $(ALT_VENV)/.installed ]; then \
	  $(ALT_VENV)/bin/python -m pip install -q --upgrade pip; \
	  $(ALT_VENV)/bin/python -m pip install -q -e '.[dev]'; \
	  touch $(ALT_VENV)/.installed; \
	fi; \
	$(ALT_VENV)/bin/python -m pytest -q -p no:cacheprovider --ignore=tests/e2e --ignore=tests/chaos -m 'not e2e'

lint: setup
	$(VENV)/bin/ruff check $(CODE) tests
	$(VENV)/bin/ruff format --check $(CODE) tests
	$(VENV)/bin/mypy

ctl: setup            ## make ctl ARGS="status" (any supervisorctl command)
	$(VENV)/bin/supervisorctl -c supervisor.conf $(ARGS)

status: setup         ## every program, host, leader, inbox, jobs; non-zero exit when something needs attention
	$(PY) -m shared.ops.status $(ARGS)

money-report: setup   ## per model: jobs, credits captured, KIE credits consumed, margin; flags uncovered KIE spend
	$(PY) -m shared.ops.money_report $(ARGS)

migrate: setup
	$(PY) -m shared.migrations

catalog-check: setup  ## validate catalog/registry.json offline; prints one JSON line
	$(PY) -m shared.catalog.check

chaos: setup          ## chaos suite (SIGKILLs, Redis/PostgreSQL restarts, hostile input); bench/results/chaos.json
	TRT_CHAOS=1 $(PY) -m pytest tests/chaos -q

bench: setup          ## benchmarks beside their baselines (BENCH="ingress catalog" runs only those); wrk drives ingress
	command -v wrk >/dev/null || (command -v apt-get >/dev/null && apt-get install -y -qq wrk >/dev/null) || true
	$(PY) -m bench $(BENCH)

clean:
	rm -rf var/log var/*.sock var/*.pid
