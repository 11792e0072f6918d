# ordergraph: `make serve` and `make test` are the whole set-up on a new machine (Python 3.11+).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install serve test lint bench migrate schema worker clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

serve: install
	$(BIN)/ordergraph migrate
	@if $(BIN)/ordergraph is-empty; then $(BIN)/ordergraph seed --demo; fi
	$(BIN)/ordergraph serve --host $(HOST) --port $(PORT)

# SQLite always; PostgreSQL too when ORDERGRAPH_TEST_POSTGRES_URL is set (CI fails without it).
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy models resolvers schema

# Every workload on SQLite, and on PostgreSQL too when ORDERGRAPH_BENCH_POSTGRES_URL names a database it may
# empty; BENCH_ARGS picks workloads and stores (`make bench BENCH_ARGS="admin_list --stores sqlite"`).
bench: install
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

migrate: install
	$(BIN)/ordergraph migrate

schema: install
	@$(BIN)/ordergraph schema

worker: install
	$(BIN)/ordergraph worker

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
