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

.PHONY: setup test results chapters notebooks html book clean-book

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

# Presets whose grids `make results` completes (e.g. RESULT_PRESETS="paper book zoo").
RESULT_PRESETS ?= paper

# Compute whatever the presets' grids lack in data/results (resumable: stored cells are skipped).
results: setup
	for preset in $(RESULT_PRESETS); do $(BIN)/gdpd grid --preset $$preset --workers $(WORKERS) --device $(DEVICE) || exit 1; done

# Write the variant (ablation) chapters from their template and list (notebooks/templates), executing nothing.
chapters: setup
	$(BIN)/python notebooks/templates/variant_chapters.py

# Execute every chapter with its default parameters against the store as it is.
notebooks: chapters
	for nb in $(NOTEBOOKS); do \
	  $(BIN)/papermill --kernel python3 --execution-timeout $(EXECUTION_TIMEOUT) --no-progress-bar "$$nb" "$$nb" || exit 1; \
	done

# Render the HTML from the store as it is (no training beyond what a notebook computes on demand).
html: notebooks
	$(BIN)/jupyter-book build --all . -W -n --keep-going

# The whole book from the committed store: execute the chapters and render. Computing results is `make results`
# (hours to days on a CPU), never a side effect of building the book.
book: html

clean-book:
	rm -rf _build
