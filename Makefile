# EBOK: `make demo` starts the demo on http://127.0.0.1:8000, `make test` runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?= -n auto

.PHONY: install demo test lint format lock clean sample-invoice bench bench-install bench-quick

$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "EBOK needs Python 3.11 or newer"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/ebok demo

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The demo's first invoice as PDF (A4 and the meter reader's 80 mm receipt), for a look without a browser.
sample-invoice: install
	$(BIN)/ebok demo --no-serve
	$(BIN)/ebok invoice_pdf --first -o var/sample-invoice.pdf
	$(BIN)/ebok invoice_pdf --first --receipt -o var/sample-receipt.pdf

# Benchmarks (issue 11): each writes var/bench/<name>.json, report.py puts the table into docs/performance.md.
# Needs a PostgreSQL server (EBOK_BENCH_PG, default postgres://postgres@127.0.0.1:5432; each benchmark makes
# its own ebok_bench_* databases there) and about 40 minutes; bench-quick checks the scripts in a few.
BENCH_PG ?= $(or $(EBOK_BENCH_PG),postgres://postgres@127.0.0.1:5432)

bench-install: install
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev,bench]'
	@$(BIN)/python -c 'import psycopg, sys; psycopg.connect("$(BENCH_PG)/postgres").close()' \
		|| { echo "make bench needs PostgreSQL at $(BENCH_PG) (set EBOK_BENCH_PG)"; exit 1; }

bench: bench-install
	$(BIN)/python bench/bench_billing.py
	$(BIN)/python bench/bench_portal.py
	$(BIN)/python bench/bench_statements.py
	$(BIN)/python bench/bench_pdf.py
	$(BIN)/python bench/bench_scale.py --reuse --rate 50
	$(BIN)/python bench/report.py

bench-quick: bench-install
	$(BIN)/python bench/bench_billing.py --quick
	$(BIN)/python bench/bench_portal.py --quick
	$(BIN)/python bench/bench_statements.py --quick
	$(BIN)/python bench/bench_pdf.py --invoices 60
	$(BIN)/python bench/bench_scale.py --quick

lint: install
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .

# Re-pin every dependency (run after changing pyproject.toml) from a throw-away virtualenv.
lock:
	rm -rf /tmp/ebok-lock && $(PYTHON) -m venv /tmp/ebok-lock
	/tmp/ebok-lock/bin/python -m pip install --quiet --upgrade pip
	/tmp/ebok-lock/bin/python -m pip install --quiet -e '.[dev,bench]'
	/tmp/ebok-lock/bin/python -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock
	rm -rf /tmp/ebok-lock

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache *.egg-info
