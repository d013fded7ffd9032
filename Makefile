# Set-up, main job, tests and benchmarks. Every target creates .venv on first use.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
OUT    ?= out/default

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP)

## The main job: the default scenario, written to $(OUT)
run: $(STAMP)
	$(PY) -m sim run --out $(OUT)

## Lint, then the whole test suite (unit, integration, CLI, notebooks)
test: $(STAMP)
	$(VENV)/bin/ruff check sim models tests benchmarks scripts
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check sim models tests benchmarks scripts

## Speed and memory of the engine (figures printed, never asserted)
bench: $(STAMP)
	$(PY) benchmarks/bench_engine.py --households 1000000

clean:
	rm -rf $(VENV) out .pytest_cache
