# ordergraph: `make serve` and `make test` are the whole set-up on a new machine (Python 3.11+).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 1
# `make serve-postgres`: a local PostgreSQL server of its own (data folder, port) and the database it serves.
PG_PORT ?= 54329
PG_DATA ?= /tmp/ordergraph-pg-$(PG_PORT)
PG_DATABASE ?= ordergraph

.PHONY: install serve serve-postgres stop-postgres test lint bench migrate schema worker clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

serve: install
	$(BIN)/ordergraph migrate
	@if $(BIN)/ordergraph is-empty; then $(BIN)/ordergraph seed --demo; fi
	$(BIN)/ordergraph serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

# Starts (or reuses) a PostgreSQL server on loopback as .ci/start-postgres does, then `make serve` on it.
serve-postgres: install
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "PostgreSQL is not installed here: apt-get install postgresql, or see README.md (PostgreSQL) to use a server you have"; exit 1; }
	@.ci/start-postgres $(PG_DATA) $(PG_PORT) >/dev/null
	@psql -h 127.0.0.1 -p $(PG_PORT) -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$(PG_DATABASE)'" | grep -q 1 \
	  || psql -h 127.0.0.1 -p $(PG_PORT) -U postgres -qc 'CREATE DATABASE "$(PG_DATABASE)"'
	@echo "PostgreSQL in $(PG_DATA) on port $(PG_PORT); stop it with: make stop-postgres PG_DATA=$(PG_DATA)"
	@echo "tests on it too: ORDERGRAPH_TEST_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:$(PG_PORT)/ordergraph_test make test"
	$(MAKE) serve DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:$(PG_PORT)/$(PG_DATABASE)

stop-postgres:
	@bin_dir=$$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1); \
	if [ "$$(id -u)" = 0 ]; then runuser -u postgres -- $$bin_dir/pg_ctl -D $(PG_DATA) -m fast stop; \
	else $$bin_dir/pg_ctl -D $(PG_DATA) -m fast stop; fi

# SQLite always; PostgreSQL too when ORDERGRAPH_TEST_POSTGRES_URL is set (CI fails without it).
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy models resolvers schema

# The benchmarks' own extra (orjson for the raw floor) on top of the test set-up.
bench: install $(VENV)/.installed-bench
	$(BIN)/python -m benchmarks

$(VENV)/.installed-bench: pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	touch $@

migrate: install
	$(BIN)/ordergraph migrate

schema: install
	@$(BIN)/ordergraph schema

worker: install
	$(BIN)/ordergraph worker

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
