# dataward: `make run` serves everything on http://127.0.0.1:8000, `make test` checks it all.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export DATAWARD_TEST_DATABASE_URL ?= $(PG_URL)

.PHONY: run test lint bench install chromium pdf-libs wrk clean

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

# PDF notices need WeasyPrint's system libraries; the PDF tests read pages with poppler.
pdf-libs:
	@{ ldconfig -p | grep -q libpango-1.0.so.0 && ldconfig -p | grep -q libpangoft2-1.0.so.0 \
	  && ldconfig -p | grep -q libharfbuzz.so.0 && command -v pdftotext >/dev/null 2>&1; } || { \
	  echo "installing Pango, HarfBuzz and poppler-utils (PDF notices and their tests need them)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 \
	    libharfbuzz0b libharfbuzz-subset0 fonts-liberation poppler-utils >/dev/null; }

# The HTTP benchmarks load the server with wrk, a C load generator in its own process.
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "installing Debian wrk (the HTTP benchmarks need it)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

run: install
	$(BIN)/dataward serve

lint: install
	$(BIN)/ruff check src tests benchmarks migrations
	$(BIN)/ruff format --check src tests benchmarks migrations
	$(BIN)/mypy --strict src

test: install chromium pdf-libs lint
	$(BIN)/pytest -q -p no:cacheprovider

# Every benchmark prints its figures and a ratio to a baseline measured in the same run.
# The whole set takes about half an hour (a million audit rows, a million decisions, 100,000
# demo subjects, on SQLite and PostgreSQL); run one script alone for a quick figure.
bench: install pdf-libs wrk
	$(BIN)/python benchmarks/register_bench.py
	$(BIN)/python benchmarks/notice_bench.py
	$(BIN)/python benchmarks/crypto_bench.py
	$(BIN)/python benchmarks/audit_bench.py
	$(BIN)/python benchmarks/demo_bench.py
	$(BIN)/python benchmarks/outbox_bench.py
	$(BIN)/python benchmarks/decisions_bench.py
	$(BIN)/python benchmarks/erasure_files_bench.py

clean:
	rm -rf $(VENV) var/*.db var/*.db-*
