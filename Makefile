# Two commands set everything up on a fresh machine: `make run` and `make test`.
# Both create .venv and install the project with its dependencies on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint bench browser clean

$(STAMP): setup.cfg setup.py
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## run: the engine, the web console and the simulated switch with demo traffic (SQLite)
run: $(STAMP)
	$(BIN)/callcenter run

## test: the whole suite (unit, integration through real ESL TCP, web, migrations on SQLite and PostgreSQL)
test: $(STAMP) lint
	$(BIN)/python -m pytest -q

## lint: import contracts (the domain core stays pure, the simulator stands alone)
lint: $(STAMP)
	$(BIN)/lint-imports

## bench: benchmarks that print figures (ESL parsing rate, simulator throughput)
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_esl_parse.py

## browser: install Debian's Chromium for the browser tests (they are skipped without it)
browser:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

clean:
	rm -rf $(VENV) data .pytest_cache
