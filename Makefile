# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat pyproject.toml | sha256sum | cut -c1-12)

.PHONY: demo test lint unit integration e2e run run-stack bench faults system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): $(BIN)/python pyproject.toml clients/python/pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet -e clients/python
	touch $@

demo: $(STAMP)
	$(BIN)/ledger demo

# The HTTP API on the embedded SQLite store (./ledger.db); prints the URL and a dev key.
run: $(STAMP)
	$(BIN)/ledger serve --bind 127.0.0.1:8000

# Debian packages the test suite needs: pdftoppm renders the evidence PDF to PNG; chromium and its driver run
# the bundle's verify.html; openssl is the local timestamp authority of the anchor tests; nginx is the API's
# buffering front in the slow-client tests (RUNLEVEL=1 keeps the package from starting a daemon).
system-deps:
	@command -v pdftoppm >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1 \
	  && command -v chromedriver >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1 || { \
	  echo "installing poppler-utils (pdftoppm), chromium, chromium-driver, openssl"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    poppler-utils chromium chromium-driver openssl >/dev/null; }
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { \
	  echo "installing nginx-light"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; }

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/bandit -q -c pyproject.toml -r ledger application infrastructure projections api consumers ledger_cli evidence schemas dunning

test: $(DEV_STAMP) system-deps lint
	$(BIN)/pytest -q

unit: $(DEV_STAMP)
	$(BIN)/pytest -q tests/unit

integration: $(DEV_STAMP) system-deps
	$(BIN)/pytest -q tests/integration

e2e: $(DEV_STAMP) system-deps
	$(BIN)/pytest -q tests/e2e

# Broker (Tansu), API, command consumer, event relay and projections from Kafka; Ctrl-C stops them all.
run-stack: $(DEV_STAMP)
	$(BIN)/ledger dev up

bench: $(DEV_STAMP)
	$(BIN)/python -m bench

# Ten minutes of mixed faults against the full stack (PostgreSQL, Kafka, gunicorn, workers); prints the counts.
faults: $(DEV_STAMP)
	$(BIN)/python -m tests.faults.run --seconds 600 --outage 60

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache ledger.db* ledger-demo.db*
