# crisis-pager: every command a newcomer needs. `make demo` and `make test` are the two
# that matter; each creates .venv on first use.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help install demo serve test unit component ladder lint typecheck template-check \
        openapi bench clean

help:
	@echo "make demo            run the escalation ladder on the local stack (moto + fake Twilio)"
	@echo "make test            every check: lint, types, template, unit, component, ladder"
	@echo "make serve           the API on http://127.0.0.1:8787 with the local stack behind it"
	@echo "make openapi         write docs/openapi.json from the code"
	@echo "make bench           measure cold imports, AWS calls and ladder wall time"

$(STAMP): pyproject.toml tools/find-python
	@test -x $(PY) || $$(tools/find-python) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m local.demo

serve: $(STAMP)
	$(PY) -m local.serve

lint: $(STAMP)
	$(VENV)/bin/ruff check layers functions local tests benchmarks tools
	$(PY) tools/check_imports.py

typecheck: $(STAMP)
	$(VENV)/bin/mypy

template-check: $(STAMP)
	$(PY) tools/check_template.py

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

component: $(STAMP)
	$(PY) -m pytest -q tests/component

ladder: $(STAMP)
	$(PY) -m pytest -q tests/ladder

test: $(STAMP) lint typecheck template-check
	$(PY) -m pytest -q

openapi: $(STAMP)
	$(PY) -m local.openapi > docs/openapi.json
	@echo "wrote docs/openapi.json"

bench: $(STAMP)
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .aws-sam
