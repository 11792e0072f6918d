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

.PHONY: install serve serve-postgres stop-postgres test lint bench migrate schema update-schema worker clean

GRAPHIQL_STAMP := graphiql/node_modules/.installed

install: $(STAMP) $(GRAPHIQL_STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# GraphiQL's files (GET /graphql) from the npm registry, at the versions graphiql/package-lock.json pins.
$(GRAPHIQL_STAMP): graphiql/package.json graphiql/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "make install: npm is not installed. GraphiQL's files come from the npm registry:" \
		"install Node.js 18+ with npm (e.g. apt-get install nodejs npm), then run make install again." >&2; exit 1; }
	npm ci --omit=dev --no-audit --no-fund --loglevel=error --prefix graphiql
	touch $(GRAPHIQL_STAMP)

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

# SQLite always; PostgreSQL too when ORDERGRAPH_TEST_POSTGRES_URL is set (CI fails without it). In
# TEST_PROCESSES processes (pytest-xdist; each makes its own stores and template databases); 0: one process.
TEST_PROCESSES ?= 2
test: install
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy models resolvers schema

# Every workload on SQLite, and on PostgreSQL too when ORDERGRAPH_BENCH_POSTGRES_URL names a database it may
# empty; BENCH_ARGS picks workloads and stores (`make bench BENCH_ARGS="admin_list --stores sqlite"`).
bench: install $(VENV)/.installed-bench
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

$(VENV)/.installed-bench: pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	touch $@

migrate: install
	$(BIN)/ordergraph migrate

schema: install
	@$(BIN)/ordergraph schema

# The committed SDL (schema.graphql), written again from what the service serves; a test fails when it is stale.
update-schema: install
	$(BIN)/ordergraph schema > schema.graphql

worker: install
	$(BIN)/ordergraph worker

clean:
	rm -rf $(VENV) graphiql/node_modules *.egg-info .pytest_cache .mypy_cache .ruff_cache
