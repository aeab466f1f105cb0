# Two commands on a fresh machine:  make run  (set up + main job)   make test  (set up + every test)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup run test test-fast notebooks results report bench clean-venv

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[all]"
	@touch $(STAMP)

# the main job: the whole chain on the embedded default data set (figures/ and results/default/)
run: setup
	$(PY) -m scribblegap run --config default

# unit tests + every notebook (nbval, CI-sized through the CI switch)
test: setup
	CI=1 $(PY) -m pytest

test-fast: setup
	$(PY) -m pytest tests -m "not slow" -o addopts=""

# regenerate the report (tables, figures, the README's results blocks) from the results files
report: setup
	$(PY) -m scribblegap report

# the measurements behind the README (hours on 2 cores; every stage resumes), then the report
results: setup
	$(PY) -m scribblegap run --config default-fast --no-progress
	$(PY) -m scribblegap run --config default-variant --no-progress
	$(PY) -m scribblegap run --config voc12-mini --no-progress
	$(PY) -m scribblegap run --config voc12-mini-fast --no-progress
	$(PY) -m scribblegap report

clean-venv:
	rm -rf $(VENV)
