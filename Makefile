# chiso: the two commands of the README's quick start are `make demo` and `make test`.
# Both work on a fresh machine: they create .venv and install chiso into it first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CHISO := $(VENV)/bin/chiso
DEMO_DATA ?= data/demo
OUT ?= output/demo

.PHONY: demo test bench install clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "chiso needs Python 3.11 or newer: install it (apt-get install python3) or run make PYTHON=/path/to/python3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "could not create $(VENV): on Debian run 'apt-get update && apt-get install -y python3-venv'"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $@

$(DEMO_DATA)/dataset.json: | $(VENV)/.installed
	$(CHISO) generate --out $(DEMO_DATA)

## The main job: demo province → scores for the latest month, ranking printed, tables written.
demo: $(VENV)/.installed $(DEMO_DATA)/dataset.json
	$(CHISO) score --data $(DEMO_DATA) --period latest --level unit -o "$(OUT)/scores-unit-{period}.csv"
	$(CHISO) score --data $(DEMO_DATA) --period latest --level indicator -o "$(OUT)/scores-indicator-{period}.csv"

## The tests (library tests run with warnings as errors, see pyproject.toml).
test: $(VENV)/.installed
	$(PY) -m pytest -q -W error

## Benchmarks (scripts that print figures, not tests): 2 M-dossier province-year.
bench: $(VENV)/.installed
	$(PY) benchmarks/bench_generate.py --out data/bench
	$(PY) benchmarks/bench_score.py --data data/bench

clean:
	rm -rf $(VENV) output data/demo data/bench
