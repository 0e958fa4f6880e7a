# The two commands: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test bench install schema clean

run: install
	scripts/with-redis scripts/run

test: install
	scripts/with-redis scripts/test $(PYTEST_ARGS)

# The event pipeline benchmark (a few minutes); figures in bench/results/latest.json.
bench: install
	scripts/with-redis $(PY) -m bench $(BENCH_ARGS)

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Regenerate the committed OpenAPI schema after changing the API.
schema: install
	DEBUG=1 $(PY) manage.py spectacular --file docs/openapi.yaml --validate --fail-on-warn

clean:
	rm -rf $(VENV) var
