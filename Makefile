# Two commands on a fresh machine with Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 2

.PHONY: run test soak lint install dev clean bench bench-instructions

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

## run: install, create or upgrade the SQLite database, add demo data if new, serve with
## gunicorn, and deliver mail (to instance/outbox/*.eml unless SMTP is configured)
# Links in mail (sign-up, password, files) point at this server unless told otherwise.
run: export TICKETDESK_BASE_URL ?= http://$(HOST):$(PORT)
run: install
	$(BIN)/ticketdesk init
	$(BIN)/ticketdesk demo --if-new
	$(BIN)/ticketdesk worker & trap 'kill $$! 2>/dev/null' EXIT; \
	$(BIN)/ticketdesk serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

## test: install the dev extras and run the whole suite
test: dev
	$(BIN)/ruff check ticketdesk tests
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## soak: the long form of the fault and fuzz runs (50 crash trials, 300 fuzz examples each)
soak: dev
	TICKETDESK_CRASH_TRIALS=50 TICKETDESK_FUZZ_EXAMPLES=300 TICKETDESK_LOST_UPDATE_PAIRS=1000 \
	$(BIN)/python -m pytest tests/hardening tests/fuzz $(PYTEST_ARGS)

## bench: seed a fresh database (SIZE=10k|100k|1m, DB=sqlite|postgres), serve it, measure
SIZE ?= 10k
DB   ?= sqlite
bench: install
	$(BIN)/python -m bench --size $(SIZE) --db $(DB)

## bench-instructions: instructions per request under valgrind, which load does not move
bench-instructions: install
	$(BIN)/python -m bench.instructions --size $(SIZE)

lint: dev
	$(BIN)/ruff check ticketdesk tests
	$(BIN)/ruff format --check ticketdesk tests

clean:
	rm -rf $(VENV) instance test-artifacts
