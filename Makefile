# crisis-pager: every command a newcomer needs. `make demo` and `make test` are the two
# that matter; each creates .venv on first use.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# aws-sam-cli has a venv of its own (tools/sam-requirements.txt says why).
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed

.PHONY: help install demo serve test unit component contract ladder lint typecheck template-check \
        openapi bench soak surge clean build

help:
	@echo "make demo            run the escalation ladder on the local stack (moto + fake Twilio)"
	@echo "make test            every check: lint, types, template, build, unit, component, ladder"
	@echo "make build           sam build into .aws-sam/build (what deploys; no Docker)"
	@echo "make serve           the API on http://127.0.0.1:8787 with the local stack behind it"
	@echo "make openapi         write docs/openapi.json from the code"
	@echo "make bench           measure cold imports, AWS calls and ladder wall time"
	@echo "make soak            chaos soak: SOAK_N (200) randomized incidents, faults, invariants"
	@echo "                     (SOAK_SEED, SOAK_ONLY=<n> SOAK_AT=<instant> to replay one, SOAK_EVIDENCE,"
	@echo "                     SOAK_CONCURRENCY, SOAK_SCALE,"
	@echo "                     SOAK_PROCESSES=2 for both cores, SOAK_BATCH incidents per stack)"
	@echo "make surge           300 crises across 30 programs at once: primaries paged once"

$(STAMP): pyproject.toml tools/find-python
	@test -x $(PY) || $$(tools/find-python) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

$(SAM_STAMP): tools/sam-requirements.txt tools/find-python
	@test -x $(SAM_VENV)/bin/python || $$(tools/find-python) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet -r tools/sam-requirements.txt
	@touch $(SAM_STAMP)

# sam's python3.12 builder (the functions) and layers/shared/Makefile (the layer) both run
# the python3.12 found on PATH: tools/find-python's, a pyenv one included, goes first.
build: $(SAM_STAMP)
	PATH="$$(dirname "$$(tools/find-python)"):$$PATH" SAM_CLI_TELEMETRY=0 \
	  $(SAM_VENV)/bin/sam build --cached

demo: $(STAMP)
	$(PY) -m local.demo

serve: $(STAMP)
	$(PY) -m local.serve

lint: $(STAMP)
	$(VENV)/bin/ruff check layers functions admin local tests benchmarks tools
	$(PY) tools/check_imports.py

typecheck: $(STAMP)
	$(VENV)/bin/mypy
	@# each function is its own module named app, its folder on the path as in Lambda
	@# (its API models beside it): one mypy run apiece
	@for f in functions/*/app.py; do \
	  MYPYPATH=$$(dirname $$f) $(VENV)/bin/mypy --no-error-summary $$f || exit 1; done
	@echo "functions/: no issues"

template-check: $(STAMP)
	$(PY) tools/check_template.py

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

component: $(STAMP)
	$(PY) -m pytest -q tests/component

contract: $(STAMP)
	$(PY) -m pytest -q tests/contract

ladder: $(STAMP)
	$(PY) -m pytest -q tests/ladder

test: $(STAMP) lint typecheck template-check build
	$(PY) -m pytest -q

openapi: $(STAMP)
	$(PY) -m local.openapi > docs/openapi.json
	@echo "wrote docs/openapi.json"

bench: $(STAMP)
	$(PY) -m benchmarks.run

soak: $(STAMP)
	$(PY) -m tests.soak

surge: $(STAMP)
	SOAK_MODE=surge $(PY) -m tests.soak

clean:
	rm -rf $(VENV) $(SAM_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .aws-sam
