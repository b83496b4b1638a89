# Quickstart targets: each creates .venv itself on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench mutate clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/speechdiff report samples/*.txt -o outputs/report.html

# line coverage of compare/ is printed at the end (files below 100% listed)
test: $(STAMP)
	$(BIN)/python -m pytest -q --cov=compare --cov-report=term:skip-covered --cov-fail-under=90

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# mutation testing of split, outline, markers, the key rule and the
# boilerplate rule (configured in pyproject.toml [tool.mutmut]; about 40 min on
# 2 cores); survivors are listed, then the counts (score = killed / (total -
# equivalent)); tests/MUTANTS.md says why the listed survivors are equivalent
mutate: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,mutate]'
	rm -rf mutants
	$(BIN)/mutmut run > mutants.log 2>&1 || (tail -20 mutants.log; exit 1)
	$(BIN)/mutmut results | grep -v ': killed' || true
	$(BIN)/mutmut export-cicd-stats > /dev/null && cat mutants/mutmut-cicd-stats.json && echo

clean:
	rm -rf $(VENV) build *.egg-info compare/__pycache__ tests/__pycache__
