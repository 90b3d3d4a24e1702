# chiso: the two commands of the README's quick start are `make demo` and `make test`.
# Both work on a fresh machine: they create .venv and install chiso into it first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CHISO := $(VENV)/bin/chiso
DEMO_DATA ?= data/demo
OUT ?= output/demo

.PHONY: demo test bench install clean browser import-demo

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "chiso needs Python 3.11 or newer: install it (apt-get install python3) or run make PYTHON=/path/to/python3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "could not create $(VENV): on Debian run 'apt-get update && apt-get install -y python3-venv'"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $@

$(DEMO_DATA)/dataset.json: | $(VENV)/.installed
	$(CHISO) generate --out $(DEMO_DATA)

## The main job: demo province → scores for the latest month (ranking printed, tables written),
## then the monthly batch of offline HTML reports for every unit; prints the path of index.html.
demo: $(VENV)/.installed $(DEMO_DATA)/dataset.json
	$(CHISO) score --data $(DEMO_DATA) --period latest --level unit -o "$(OUT)/scores-unit-{period}.csv"
	$(CHISO) score --data $(DEMO_DATA) --period latest --level indicator -o "$(OUT)/scores-indicator-{period}.csv"
	$(CHISO) reports --config parameters/reports/monthly-demo.yaml

## The tests (library tests run with warnings as errors, see pyproject.toml); the browser tests
## need Debian's Chromium, installed here when missing (as root) or named with the exact fix.
test: $(VENV)/.installed browser
	$(PY) -m pytest -q -W error

browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	  else \
	    echo "The browser tests need Chromium: run 'sudo apt-get update && sudo apt-get install -y chromium fonts-dejavu-core'"; exit 1; \
	  fi; }

## Import path end to end: a synthetic one-stop export (Excel + CSV, Vietnamese headers) → chiso
## import → data quality and reconciliation with the portal's (simulated) counts.
SAMPLE_EXPORT ?= data/sample-export
IMPORTED ?= data/imported
import-demo: $(VENV)/.installed
	$(PY) scripts/make_sample_export.py --out $(SAMPLE_EXPORT)
	$(CHISO) import --source $(SAMPLE_EXPORT) --mapping parameters/mappings/mot-cua-example.yaml --out $(IMPORTED)
	$(CHISO) quality --data $(IMPORTED) --period latest
	$(PY) scripts/make_portal_counts.py --data $(IMPORTED) --period 2025-06 --out $(OUT)/portal-counts-2025-06.csv
	$(CHISO) reconcile --data $(IMPORTED) --portal $(OUT)/portal-counts-2025-06.csv --period 2025-06

## Benchmarks (scripts that print figures, not tests): 2 M-dossier province-year.
bench: $(VENV)/.installed
	$(PY) benchmarks/bench_generate.py --out data/bench
	$(PY) benchmarks/bench_score.py --data data/bench

clean:
	rm -rf $(VENV) output data/demo data/bench data/bench-import data/sample-export data/imported
