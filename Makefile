# dataward: `make run` serves everything on http://127.0.0.1:8000, `make test` checks it all.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export DATAWARD_TEST_DATABASE_URL ?= $(PG_URL)

.PHONY: run test lint bench install chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Browser tests drive Debian's Chromium; Playwright's own download cannot work here.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium (browser tests need it)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

run: install
	$(BIN)/dataward serve

lint: install
	$(BIN)/ruff check src tests benchmarks migrations
	$(BIN)/ruff format --check src tests benchmarks migrations
	$(BIN)/mypy --strict src

test: install chromium lint
	$(BIN)/pytest -q -p no:cacheprovider

bench: install
	$(BIN)/python benchmarks/register_bench.py

clean:
	rm -rf $(VENV) var/*.db var/*.db-*
