# IkeNei database tasks. Needs only Python 3.11+ and make: the first target run
# creates .venv and installs the project into it. Configuration comes from the
# environment or .env (see README); with no DB_HOST/DATABASE_URL an embedded
# PostgreSQL under .ikenei/ is used.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
IKENEI := $(BIN)/ikenei
STAMP := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: backup backup-list backup-verify restore help install migrate rollback migrations-status migrations-unlock seed-prod seed-dev seed-scale \
	db-verify retention-run hypopg db-start db-stop db-status db-url psql keys-rotate keys-status test test-db test-drills bench bench-scale lint

help: ## list the targets
	@echo "usage: make TARGET"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' \
		$(MAKEFILE_LIST)
	@echo
	@echo "  rollback takes STEPS=n (default 1) or ALL=1; test takes PYTEST_ARGS=..."
	@echo "  restore takes TARGET=DIR and TO_TIME=... | TO_NAME=... | ID=...; backup-verify DRILL=1"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "error: Python 3.11+ is required ($(PYTHON) is $$($(PYTHON) --version 2>&1))" >&2; \
		  exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	@touch $@

install: $(STAMP) ## create .venv and install the project with its dev tools

migrate: $(STAMP) ## create the database if missing and apply pending migrations
	$(IKENEI) migrate

rollback: $(STAMP) ## roll back migrations: STEPS=n (default 1) or ALL=1
	$(IKENEI) rollback $(if $(filter-out 0,$(ALL)),--all,$(if $(STEPS),--steps $(STEPS)))

migrations-status: $(STAMP) ## list applied and pending migrations
	$(IKENEI) migrations status

migrations-unlock: $(STAMP) ## remove the lock left by an interrupted migration run
	$(IKENEI) migrations unlock

seed-prod: $(STAMP) ## load reference data (roles, categories, settings)
	$(IKENEI) seed prod

seed-dev: $(STAMP) ## load reference data plus sample data for development
	$(IKENEI) seed dev

seed-scale: $(STAMP) ## generated data at scale (a tenth of the full size; see README, Performance)
	$(IKENEI) seed scale

db-verify: $(STAMP) ## check the database against the expected schema
	$(IKENEI) verify

keys-rotate: $(STAMP) ## re-encrypt sensitive text under the current PII_ENCRYPTION_KEY (resumable)
	$(IKENEI) keys rotate

retention-run: $(STAMP) ## apply the retention policies (idempotent; counts per policy)
	$(IKENEI) retention run

keys-status: $(STAMP) ## which encryption keys the stored sensitive text uses
	$(IKENEI) keys status

PG_MAJOR ?= 15
hypopg: ## install HypoPG for the index advisor on a Debian PostgreSQL server (PG_MAJOR=15)
	@dpkg-query -W -f='$${Status}' postgresql-$(PG_MAJOR)-hypopg 2>/dev/null | grep -q "install ok installed" || \
		{ apt-get update -qq && apt-get install -y -qq postgresql-$(PG_MAJOR)-hypopg; } || \
		{ echo "error: could not install postgresql-$(PG_MAJOR)-hypopg" >&2; exit 1; }
	@echo "postgresql-$(PG_MAJOR)-hypopg is installed"

backup: $(STAMP) ## take a backup (incremental where the server supports it; see README)
	$(IKENEI) backup run

backup-list: $(STAMP) ## every backup, the recoverable window, what is where
	$(IKENEI) backup list

backup-verify: $(STAMP) ## check every backup and the WAL archive; DRILL=1 also restores and checks the data
	$(IKENEI) backup verify $(if $(filter-out 0,$(DRILL)),--drill)

restore: $(STAMP) ## TARGET=DIR, and TO_TIME=... | TO_NAME=... | ID=... (default: the latest point)
	@test -n "$(TARGET)" || { echo "error: make restore needs TARGET=DIR (a new or empty directory)" >&2; exit 2; }
	$(IKENEI) backup restore --target "$(TARGET)" $(if $(TO_TIME),--to-time "$(TO_TIME)",$(if $(TO_NAME),--to-name "$(TO_NAME)",$(if $(ID),--id "$(ID)",--latest)))

db-start: $(STAMP) ## start the embedded PostgreSQL (.ikenei/)
	$(IKENEI) db start

db-stop: $(STAMP) ## stop the embedded PostgreSQL
	$(IKENEI) db stop

db-status: $(STAMP) ## is the configured server up?
	$(IKENEI) db status

db-url: $(STAMP) ## print the configured database's URL (without password)
	$(IKENEI) db url

psql: $(STAMP) ## open psql on the configured database
	$(IKENEI) psql

test: $(STAMP) ## run the test suite against a real PostgreSQL
	$(BIN)/pytest $(PYTEST_ARGS)

test-db: test ## same as test

test-drills: $(STAMP) ## the slow drills and figures (markers backup_drills, scale_drills; a few minutes)
	$(BIN)/pytest -m "backup_drills or scale_drills" $(PYTEST_ARGS)

bench: $(BENCH_STAMP) ## run the benchmarks
	$(BIN)/python -m bench

bench-scale: $(STAMP) ## every key path at a tenth and at the full size of `seed scale` (loads them once)
	$(BIN)/python -m bench.scale

lint: $(STAMP) ## ruff, and mypy --strict on the package (configured in pyproject.toml)
	$(BIN)/ruff check ikenei tests bench
	$(BIN)/mypy --strict ikenei
