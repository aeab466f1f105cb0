# Two commands on a fresh machine:  make run  (set up + main job)   make test  (set up + every test)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup run test test-fast notebooks notebooks-smoke lab results report bench clean-venv

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[all]"
	@touch $(STAMP)

# the main job: the whole chain on the embedded default data set (figures/ and results/default/)
run: setup
	$(PY) -m scribblegap run --config default

# the import contracts (stages import only earlier stages), unit tests, the tiny chain, every notebook (nbval,
# CI-sized through the CI switch) and the browser test
test: setup
	$(VENV)/bin/lint-imports
	CI=1 $(PY) -m pytest

# the unit tests alone (no chain, no notebooks, no browser): about a minute and a half
test-fast: setup
	$(PY) -m pytest tests -m "not slow and not browser" -o addopts="-p no:cacheprovider"

# execute every notebook in full mode and store its outputs in the .ipynb (minutes: the notebooks read the
# recorded results); prints each one's wall time and size, fails when one raises or exceeds 2 MB
notebooks: setup
	$(PY) -m scribblegap notebooks execute

# the same in CI mode (CI=1, minutes), outputs not stored: a quick look that every notebook runs
notebooks-smoke: setup
	$(PY) -m scribblegap notebooks execute --smoke

# JupyterLab on the notebooks; with jupytext each .ipynb and its .py copy stay in sync on save
lab: setup
	$(VENV)/bin/jupyter lab notebooks/ $$(if [ "$$(id -u)" = 0 ]; then echo --allow-root; fi)

# regenerate the report (tables, figures, the README's results blocks) from the results files
report: setup
	$(PY) -m scribblegap report

# the measurements behind the README (hours on 2 cores; every stage resumes), then the report
results: setup
	$(PY) -m scribblegap run --config voc12-mini --no-progress
	$(PY) -m scribblegap run --config voc12-mini-scratch --no-progress
	$(PY) -m scribblegap run --config voc12-mini-scratch-fast --no-progress
	$(PY) -m scribblegap run --config default --no-progress
	$(PY) -m scribblegap run --config hard-fast --no-progress
	$(PY) -m scribblegap run --config hard-variant --no-progress
	$(PY) -m scribblegap report

# speed benchmarks on this machine (results/bench_train_cpu*.json, results/voc12-mini/simulator.json)
bench: setup
	$(PY) scripts/bench_train.py --presets cpu-fast cpu-pretrained --threads 1 2 --side-by-side 2 --json results/bench_train_cpu_presets.json
	$(PY) scripts/bench_simulator.py

clean-venv:
	rm -rf $(VENV)
