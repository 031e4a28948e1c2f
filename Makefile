# ms-monitor: the two commands users need are `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
RUN_DIR ?= .run
HAPI_PORT ?= 8080
export HAPI_RUN_DIR := $(abspath $(RUN_DIR))/hapi

.PHONY: install lock demo stop test lint typecheck unit integration bench hapi-build hapi-start hapi-stop clean

# the versions tested are the versions shipped: every dependency from the hashed lock file
$(VENV)/.installed: pyproject.toml requirements/test.lock
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --require-hashes -r requirements/test.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $@

# axe-core for the accessibility browser tests, from npm into node_modules (package-lock.json)
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

install: $(VENV)/.installed node_modules/.package-lock.json

## lock: pin every dependency with hashes (pip-tools): requirements/runtime.lock for the image,
## requirements/test.lock (runtime + test extra, same runtime pins) for `make install` and CI
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(RUN_DIR)/pip-tools/bin/pip-compile -q \
	--generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links
lock:
	python3 -m venv $(RUN_DIR)/pip-tools
	$(RUN_DIR)/pip-tools/bin/pip install -q pip-tools
	$(PIP_COMPILE) --upgrade -o requirements/runtime.lock pyproject.toml
	$(PIP_COMPILE) --upgrade --extra test -c requirements/runtime.lock -o requirements/test.lock \
		pyproject.toml

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
