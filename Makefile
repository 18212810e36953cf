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
# Executed chapters and the book's sources as rendered: build outputs, never the committed files.
EXECUTED := _build/notebooks
SOURCES := _build/sources
# What changes at every execution (papermill's timestamps and durations, per-cell timing) is stripped from an
# executed chapter; its outputs stay.
STRIP_RUN_METADATA := $(BIN)/nbstripout --keep-output --keep-count --keep-id \
	--extra-keys "metadata.papermill cell.metadata.papermill"

.PHONY: setup test results chapters notebooks html book update-notebooks clean-book

# The kernels that execute the chapters (papermill, nbval) log errors only: ipykernel's notice that a local kernel
# talks over TCP without encryption, printed once per chapter, is nothing a reader of the build can act on.
KERNEL_CONFIG := $(VENV)/etc/ipython/ipython_kernel_config.py

$(KERNEL_CONFIG): $(VENV)/.installed
	mkdir -p $(dir $@)
	echo 'c.IPKernelApp.log_level = "ERROR"' > $@

setup: $(VENV)/.installed $(KERNEL_CONFIG)

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

# The unit tests alone, while editing: every test but the integration tests marked `slow` (tests/conftest.py).
# `make test` runs them all, then nbval, as CI does.
.PHONY: test-fast
test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow" tests

# Presets whose grids `make results` completes (e.g. RESULT_PRESETS="paper-released-teacher book zoo"), and the store
# it fills: the book's, named explicitly, since every command that names no store writes the user store instead.
RESULT_PRESETS ?= paper-released-teacher
RESULTS ?= data/results

# Compute whatever the presets' grids lack in $(RESULTS) (resumable: stored cells are skipped).
results: setup
	for preset in $(RESULT_PRESETS); do \
	  $(BIN)/gdpd grid --preset $$preset --workers $(WORKERS) --device $(DEVICE) --results $(RESULTS) || exit 1; \
	done

# Execute every chapter with its default parameters against the store as it is, into $(EXECUTED). Chapters run in
# notebooks/, whose matplotlibrc keeps figures byte-stable (SOURCE_DATE_EPOCH fixes the date an SVG or PDF would
# carry); they read the book's store and write whatever they compute to the user store. The committed notebooks are
# left untouched.
notebooks: setup
	mkdir -p $(EXECUTED)
	for nb in $(abspath $(NOTEBOOKS)); do \
	  SOURCE_DATE_EPOCH=0 $(BIN)/papermill --kernel python3 --cwd notebooks --execution-timeout $(EXECUTION_TIMEOUT) \
	    --no-progress-bar "$$nb" "$(abspath $(EXECUTED))/$$(basename $$nb)" || exit 1; \
	done
	$(STRIP_RUN_METADATA) $(EXECUTED)/*.ipynb

# Render the HTML from the executed chapters: the book's sources are laid out in $(SOURCES) with the executed
# notebooks in place of the committed ones, and built into _build/html.
html: notebooks
	rm -rf $(SOURCES)
	mkdir -p $(SOURCES)/notebooks
	cp -R _config.yml _toc.yml _static book $(SOURCES)/
	cp $(EXECUTED)/*.ipynb $(SOURCES)/notebooks/
	$(BIN)/jupyter-book build --all $(SOURCES) --path-output . -W -n --keep-going

# The whole book from the committed store: execute the chapters and render. Computing results is `make results`
# (hours to days on a CPU), never a side effect of building the book; nothing tracked by git changes.
book: html

# Maintainers: write the variant (ablation) chapters from their template and list (notebooks/templates), executing
# nothing; a test checks that the committed chapters are what this writes.
chapters: setup
	$(BIN)/python notebooks/templates/variant_chapters.py

# Maintainers: execute the chapters and copy them over the committed ones (nbval's reference outputs and what a
# repository browser shows), to be reviewed and committed.
update-notebooks: chapters
	$(MAKE) notebooks
	cp $(EXECUTED)/*.ipynb notebooks/

clean-book:
	rm -rf _build
