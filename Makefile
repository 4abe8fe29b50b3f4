# The two commands that matter: `make run` and `make test`. Everything else they need is set up here.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test bench load lint format install clean docs

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

## Start NATS (embedded unless EXPO_NATS_URL is set), migrate, start every service; Ctrl-C stops all.
run: $(STAMP)
	$(BIN)/expo run

## The whole suite against real nats-server processes and temporary databases. Tests mostly
## wait on the bus, so several workers share the cores well; system tests keep to one worker.
PYTEST_ARGS ?= -n 4 --dist loadgroup
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Benchmarks print figures next to a baseline measured in the same run; they never fail on timing.
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

## A sustained load (5 minutes by default, bounded) against the whole stack: zero errors and
## flat memory, or it fails. Options: make load LOAD_ARGS="--help".
load: $(STAMP)
	$(BIN)/python -m benchmarks.load $(LOAD_ARGS)

## The contracts, written from the code: docs/openapi/<service>.json and docs/asyncapi/<service>.json
## (what each service serves at /openapi.json and /asyncapi) and docs/events.md. A test fails
## while they are out of date.
docs: $(STAMP)
	$(BIN)/python -m shared.contract_docs

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache
