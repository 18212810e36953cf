# Two entry points for a fresh machine: `make book` (the rendered book) and `make test` (the test suite).
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
WORKERS ?= 2
# cpu, cuda or auto: where `make results` trains (e.g. `make results DEVICE=cuda WORKERS=8`).
DEVICE ?= cpu
BIN := $(VENV)/bin
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
# Papermill runs each notebook with this limit per cell (seconds); the book build itself never executes code.
EXECUTION_TIMEOUT ?= 1800

.PHONY: setup test results notebooks html book clean-book

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install "$(TORCH)"
	$(BIN)/pip install -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (gdpd)"
	touch $@

test: setup
	$(BIN)/python -m pytest -q tests
	$(BIN)/python -m pytest -q --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider notebooks

# Presets whose grids `make results` completes (e.g. RESULT_PRESETS="book uea architectures zoo").
RESULT_PRESETS ?= book

# Compute whatever the presets' grids and the early-classification chapter lack in data/results (nothing, with the
# committed results): the early step scores banks of the book's students and aeon's peers on all five seeds.
results: setup
	for preset in $(RESULT_PRESETS); do $(BIN)/gdpd grid --preset $$preset --workers $(WORKERS) --device $(DEVICE) || exit 1; done
	$(BIN)/gdpd early --peer-seeds 1 24 300 49000 1001

# Execute every chapter with its default parameters against the store as it is.
notebooks: setup
	for nb in $(NOTEBOOKS); do \
	  $(BIN)/papermill --kernel python3 --execution-timeout $(EXECUTION_TIMEOUT) --no-progress-bar "$$nb" "$$nb" || exit 1; \
	done

# Render the HTML from the store as it is (no training beyond what a notebook computes on demand).
html: notebooks
	$(BIN)/jupyter-book build --all . -W -n --keep-going

# The whole book: compute what the store lacks for the book preset, then execute and render.
book: results
	$(MAKE) html

clean-book:
	rm -rf _build
