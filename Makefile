# The two commands: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
WEB_INSTALLED := web/node_modules/.package-lock.json
WEB_BUILD := web/dist/index.html
WEB_SOURCES := $(shell find web/src web/index.html web/vite.config.ts web/package.json -type f 2>/dev/null)

.PHONY: run test test-python faults bench eval install chromium schema clean

run: install $(WEB_BUILD)
	scripts/with-redis scripts/run

test: install $(WEB_BUILD) chromium
	scripts/with-redis scripts/test $(PYTEST_ARGS)

# The Python suite alone (CI's PostgreSQL leg).
test-python: install
	scripts/with-redis scripts/test-python $(PYTEST_ARGS)

# The fault suite (a few minutes): kills, freezes and restarts real processes, then
# renders docs/reliability.md from its figures ($VAR_DIR/faults/latest.json), even
# when a scenario failed; the exit status is pytest's.
faults: install
	status=0; scripts/with-redis $(PY) -m pytest faults/ $(PYTEST_ARGS) || status=$$?; \
	$(PY) -m faults.report; exit $$status

# The event pipeline benchmark (a few minutes); figures in bench/results/latest.json.
bench: install
	scripts/with-redis $(PY) -m bench $(BENCH_ARGS)

# The quality of the seeded agents on the embedded model (a few minutes): prints the table of
# docs/quality.md, figures in $$VAR_DIR/evals/latest.json; fails when a target is missed.
eval: install
	$(PY) -m evals $(EVAL_ARGS)

install: $(VENV)/.installed $(WEB_INSTALLED)

$(VENV)/.installed: requirements.txt requirements-agents.txt requirements-nodeps.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	touch $@

# `npm install` rather than `npm ci`: with npm 11, `ci` rejects a lock file that
# omits other platforms' optional packages (rollup's), which npm itself writes.
# With the lock in sync, install gets exactly the locked versions.
$(WEB_INSTALLED): web/package-lock.json
	cd web && npm install --no-audit --no-fund --loglevel=error
	touch $@

$(WEB_BUILD): $(WEB_INSTALLED) $(WEB_SOURCES)
	cd web && npm run build --silent

chromium:
	scripts/ensure-chromium

# Regenerate the committed OpenAPI schema after changing the API.
schema: install
	DEBUG=1 $(PY) manage.py spectacular --file docs/openapi.yaml --validate --fail-on-warn
	DEBUG=1 $(PY) manage.py spectacular --urlconf langgraph.urls --custom-settings langgraph.schema.SETTINGS \
		--file docs/langgraph-openapi.yaml --validate --fail-on-warn
	cd web && npm run gen:api --silent

clean:
	rm -rf $(VENV) var web/node_modules web/dist
