# gongdan: `make demo` serves the demo, `make test` runs every test (see README).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
# pytest-xdist workers for `make test` (each gets its own PostgreSQL database), and how tests are
# shared out: worksteal lets a worker that runs dry take half of the other's queue
TEST_WORKERS ?= auto
TEST_DIST ?= worksteal
PLUGINS := $(sort $(wildcard plugins/*/setup.cfg))
PLUGIN_DIRS := $(patsubst %/setup.cfg,%,$(PLUGINS))
STAMP := $(VENV)/.installed

.PHONY: install demo test lint format bench clean docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel

$(STAMP): $(BIN)/python setup.cfg $(PLUGINS)
	$(BIN)/pip install -q -e ".[test]" $(addprefix -e ,$(PLUGIN_DIRS))
	touch $(STAMP)

install: $(STAMP)

# the demo is rebuilt on every start (its gateway simulator and shops are started with it)
demo: install
	rm -f demo.db demo.db-wal demo.db-shm
	GONGDAN_DATABASE_URL=sqlite:///demo.db $(BIN)/gongdan demo --port $(PORT)

# Bytecode is cached (under build/pycache, not beside the sources) even where the environment sets
# PYTHONDONTWRITEBYTECODE: otherwise each pytest worker and each of the hundreds of Python
# processes the tests start compiles every module of the tree again, and pytest rewrites the
# asserts of every test module again.
PYCACHE ?= $(CURDIR)/build/pycache

test: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX=$(PYCACHE) $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist $(TEST_DIST) $(PYTEST_ARGS)

# the documentation site (MkDocs, strict: a broken link or anchor fails) into build/docs
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

# benchmarks run as modules (python -m bench.NAME) so bench/http.py cannot shadow the stdlib
bench: install
	for b in $(filter-out bench/__init__.py bench/common.py,$(wildcard bench/*.py)); do \
	  $(BIN)/python -m bench.$$(basename $$b .py) || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info demo.db*
