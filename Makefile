# TRT: every target sets itself up on a fresh clone (.venv from pyproject.toml) before it runs.

VENV      := .venv
PY        := $(VENV)/bin/python
PYTHON    ?= $(shell command -v python3.11 || command -v python3)
CODE      := services shared emulators bench
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export BOT_WORKERS ?= 2

.PHONY: setup run test lint ctl status money-report migrate catalog-check bench chaos clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

run: setup            ## start local Redis/PostgreSQL if needed, migrate, run supervisord in the foreground
	scripts/run.sh

test: setup lint      ## lint, type-check, then the whole suite
	$(PY) -m pytest

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
