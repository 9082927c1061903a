# citrusadmin: the two commands of the README, and a few helpers.
#   make demo   set up and run the whole console locally (SQLite + file broker unless
#               DATABASE_URL / REDIS_URL say otherwise)
#   make test   set up and run the whole suite against PostgreSQL and Redis
#   make screenshots  retake the README's screenshots (docs/screenshots/) with the browser tests
#   make lock   rewrite constraints.txt (the exact versions every install uses) from pyproject.toml

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: demo test screenshots venv lock services lint format bench-import bench-push bench-pages clean

# Every install takes its versions from constraints.txt, so each machine runs the same code.
$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

venv: $(BIN)/.installed

lock:
	PYTHON=$(PYTHON) bash scripts/lock.sh

demo: venv
	$(BIN)/python scripts/demo.py

services:
	bash scripts/ensure-services.sh

test: venv services
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/pytest $(PYTEST_ARGS)

# The browser tests write their PNGs to pytest's temporary directories; with UPDATE_SCREENSHOTS=1
# they write the README's copies instead.
screenshots: venv services
	UPDATE_SCREENSHOTS=1 DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
		REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} $(BIN)/pytest tests/browser $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmarks (run by hand on PostgreSQL + Redis; results go to BENCHMARKS.md).
BENCH_ENV = DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/citrusadmin_bench} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/14}

bench-import: venv services
	$(BENCH_ENV) $(BIN)/python bench/import_products.py --rows 1000000

bench-push: venv services
	$(BENCH_ENV) $(BIN)/python bench/push.py --products 100000

bench-pages: venv services
	$(BENCH_ENV) $(BIN)/python bench/pages.py --products 1000000 --batches 100000

clean:
	rm -rf $(VENV) var
