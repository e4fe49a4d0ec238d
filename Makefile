# Two commands set everything up on a fresh machine: `make run` and `make test`.
# Both create .venv and install the project with its dependencies on first use; `make test` adds the test extras.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
TEST_STAMP := $(VENV)/.installed-test-stamp

.PHONY: run test test-deps lint bench bench-routing bench-sim bench-reports bench-load bench-failover bench-web day-sim browser clean

# the product and its dependencies (what `make run` needs)
$(STAMP): setup.cfg setup.py
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

# and the test extras (pytest, hypothesis, import-linter, playwright) for `make test` and `make lint`
$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

## run: the engine, the web console and the simulated switch with demo traffic (SQLite)
run: $(STAMP)
	$(BIN)/callcenter run

## test: the whole suite (unit, integration through real ESL TCP, web, migrations on SQLite and PostgreSQL), on
## every core (pytest-xdist: a third of a serial run waits on sockets, timers and the browser); the timing-sensitive
## tests (accelerated clock, load benchmarks: xdist_group "timing") run one at a time
test: $(TEST_STAMP) test-deps lint
	$(BIN)/python -m pytest -q -n auto --dist loadgroup

## lint: import contracts (the domain core stays pure, the simulator stands alone)
lint: $(TEST_STAMP)
	$(BIN)/lint-imports

## bench: benchmarks that print figures (ESL parsing rate, routing decisions, simulator throughput, report times)
bench: $(STAMP) bench-routing bench-sim bench-reports
	$(BIN)/python benchmarks/bench_esl_parse.py

## bench-routing: routing decisions of the pure ACD core on a 1,000-agent floor (~30 s)
bench-routing: $(STAMP)
	$(BIN)/python benchmarks/bench_routing.py

## bench-sim: calls per second the simulated switch sustains with a minimal ACD (~2 min)
bench-sim: $(STAMP)
	$(BIN)/python benchmarks/bench_sim_throughput.py

## bench-reports: every standard report on a seeded year (3 million calls) on SQLite and PostgreSQL (CALLS=100000 to try)
bench-reports: $(STAMP)
	$(BIN)/python benchmarks/bench_reports.py $(if $(CALLS),--calls $(CALLS))

## bench-load: the engine under CPS calls/s on the simulated switch, figures as JSON (AGENTS=20 CPS=20 SECONDS=30 RING=1 TALK=3 PATIENCE=20 NOANSWER=0 ENGINE_ROOT=checkout; FS=host:port[:password] runs it on a real FreeSWITCH with SIPp, ENGINE_RT=1 with the engine real-time, CONTROLLER=mod_callcenter runs FreeSWITCH's own queue instead; WEBLOAD=8 has 8 clients log in to the console with wrong passwords meanwhile)
bench-load: $(STAMP)
	$(BIN)/python benchmarks/bench_load.py $(if $(AGENTS),--agents $(AGENTS)) $(if $(CPS),--cps $(CPS)) $(if $(SECONDS),--seconds $(SECONDS)) $(if $(RING),--ring $(RING)) $(if $(TALK),--talk $(TALK)) $(if $(PATIENCE),--patience $(PATIENCE)) $(if $(NOANSWER),--noanswer $(NOANSWER)) $(if $(ENGINE_ROOT),--engine-root $(ENGINE_ROOT)) $(if $(FS),--freeswitch $(FS)) $(if $(ENGINE_RT),--engine-rt-priority $(ENGINE_RT)) $(if $(CONTROLLER),--controller $(CONTROLLER)) $(if $(WEBLOAD),--web-load $(WEBLOAD))

## bench-failover: SIGKILL of the active engine at random moments beside a hot standby on a loaded simulated floor (IVR, queues, ringing, hold, callbacks); the database against the switch's record of every caller, as JSON (KILLS=5 SECONDS=90 CPS=1 AGENTS=12 SEED=12366; DB_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/test runs it on a scratch PostgreSQL database; ~4 min)
bench-failover: $(STAMP)
	$(BIN)/python benchmarks/bench_failover.py $(if $(KILLS),--kills $(KILLS)) $(if $(SECONDS),--seconds $(SECONDS)) $(if $(CPS),--cps $(CPS)) $(if $(AGENTS),--agents $(AGENTS)) $(if $(SEED),--seed $(SEED)) $(if $(DB_URL),--database-url $(DB_URL))

## bench-web: the console under 190 agent desktops, 10 supervisors, 30 page clients and a report user (month of agent statistics, monthly workbook) while callers arrive (DESKTOPS SUPERVISORS PAGE_CLIENTS SECONDS; DB_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/test runs it on a scratch database of that server; ~6 min); the last line is JSON
bench-web: $(STAMP)
	$(BIN)/python benchmarks/bench_web.py $(if $(DESKTOPS),--desktops $(DESKTOPS)) $(if $(SUPERVISORS),--supervisors $(SUPERVISORS)) $(if $(PAGE_CLIENTS),--page-clients $(PAGE_CLIENTS)) $(if $(SECONDS),--seconds $(SECONDS)) $(if $(DB_URL),--database-url $(DB_URL))

## day-sim: a working day of the 110-agent 12366 center on the simulated switch (~10 min; HOURS=3 for the morning)
day-sim: $(STAMP)
	$(BIN)/python benchmarks/day_simulation.py $(if $(HOURS),--hours $(HOURS))

## test-deps: what the suite needs from Debian: Chromium (browser tests) and ffmpeg (prompt conversion), when missing
test-deps:
	@missing=""; command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing (Debian packages)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

## browser: install Debian's Chromium (and ffmpeg) for the browser tests (part of make test)
browser: test-deps

clean:
	rm -rf $(VENV) data .pytest_cache
