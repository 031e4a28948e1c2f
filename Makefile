# ms-monitor: the two commands users need are `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
RUN_DIR ?= .run
HAPI_PORT ?= 8080
export HAPI_RUN_DIR := $(abspath $(RUN_DIR))/hapi

.PHONY: install demo stop test lint typecheck unit integration bench hapi-build hapi-start hapi-stop clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

# axe-core for the accessibility browser tests, from npm into node_modules (package-lock.json)
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

install: $(VENV)/.installed node_modules/.package-lock.json

## demo: HAPI FHIR with the synthetic cohort, Redis, a worker, the SMART EHR sandbox and the app
demo: install
	bash launch/demo/demo.sh start

stop:
	bash launch/demo/demo.sh stop

## test: everything CI runs
test: install lint typecheck
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

unit: install
	$(PY) -m pytest -m "not integration"

integration: install
	$(PY) -m pytest -m integration

bench: install
	$(PY) -m bench

hapi-build:
	bash launch/hapi/hapi.sh build

hapi-start:
	bash launch/hapi/hapi.sh start --port $(HAPI_PORT) --db file:$(abspath $(RUN_DIR))/hapi-db/h2

hapi-stop:
	bash launch/hapi/hapi.sh stop

clean: stop
	rm -rf $(RUN_DIR) launch/hapi/target
