# Customer grading (客户分级): the commands a developer, a consultant and CI run.
# Needs only Python >= 3.11: the first target that needs it creates .venv and installs the project.
#
#   make report                          sample data, period 2025Q4
#   make report PERIOD=2011-11 DATA=../shared/data/online_retail.parquet [MAPPING=online_retail]
#   make test                            lint (ruff) and the whole test suite (notebook and real-data tests included)
#   make test-fast                       lint and the unit tests: the inner loop (well under a minute)

PYTHON ?= python3
PERIOD ?= 2025Q4
DATA ?= data/raw/sample
MAPPING ?=
PYTEST_ARGS ?=

VENV := .venv
BIN := $(VENV)/bin
# Stamps: the install reruns only when pyproject.toml changes.
INSTALLED := $(VENV)/.installed
INSTALLED_TEST := $(VENV)/.installed-test
SAMPLE_DIR := data/raw/sample
SAMPLE_STAMP := $(VENV)/.sample-data
PIP := $(BIN)/python -m pip --disable-pip-version-check

.DEFAULT_GOAL := help
.PHONY: help report test test-fast lint format lab bench clean FORCE

help:
	@echo "make report [PERIOD=$(PERIOD)] [DATA=$(DATA)] [MAPPING=name]  run every stage, HTML in reports/"
	@echo "make test                                  lint and run every test"
	@echo "make test-fast                             lint and run the unit tests (no notebooks, no real data)"
	@echo "make format                                format the code with ruff and apply its safe fixes"
	@echo "make lab                                   JupyterLab in notebooks/"
	@echo "make bench                                 run bench/run_bench.py"
	@echo "make clean                                 delete data/processed/ and reports/ outputs (never data/raw/)"

$(BIN)/pip:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "error: '$(PYTHON)' is missing or older than Python 3.11; install 3.11+ or pass PYTHON=/path/to/python3.11" >&2; \
	  exit 1; }
	@$(PYTHON) -m venv $(VENV) || { \
	  echo "error: could not create $(VENV) (on Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }

$(INSTALLED): pyproject.toml | $(BIN)/pip
	$(PIP) install -q -e .
	@touch $@

$(INSTALLED_TEST): pyproject.toml | $(BIN)/pip
	$(PIP) install -q -e '.[test]'
	@touch $@

# Generated once; regenerated when the folder has been deleted.
$(SAMPLE_STAMP): $(if $(wildcard $(SAMPLE_DIR)),,FORCE) | $(INSTALLED)
	rm -rf $(SAMPLE_DIR)
	$(BIN)/python -m helpers.sample_data --out $(SAMPLE_DIR)
	@test -d $(SAMPLE_DIR) || { echo "error: helpers.sample_data wrote no $(SAMPLE_DIR)" >&2; exit 1; }
	@touch $@

FORCE:

# The sample data are only made when the run reads them.
report: $(INSTALLED) $(if $(filter $(SAMPLE_DIR),$(patsubst %/,%,$(DATA))),$(SAMPLE_STAMP))
	$(BIN)/grading run --period "$(PERIOD)" --data "$(DATA)" $(if $(MAPPING),--mapping "$(MAPPING)")

LINTED := src tests bench

lint: $(INSTALLED_TEST)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: lint
	$(BIN)/python -m pytest -m "not slow and not notebook and not realdata" $(PYTEST_ARGS)

format: $(INSTALLED_TEST)
	$(BIN)/ruff format $(LINTED)
	$(BIN)/ruff check --fix $(LINTED)

lab: $(INSTALLED)
	cd notebooks && ../$(BIN)/jupyter lab

bench: $(INSTALLED)
	$(BIN)/python bench/run_bench.py

clean:
	find data/processed reports -mindepth 1 -maxdepth 1 ! -name .gitkeep -exec rm -rf {} +
