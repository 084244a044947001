# Two commands: `make run` serves the demo charter, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_TEST_DEPS := tests/interop/node_modules/.installed
STATIC_DEPS := static/node_modules/.installed

.PHONY: run test check lint format install node-test-deps static-deps chromium static bench clean

run: $(STAMP)
	$(BIN)/charter-drafts migrate
	$(BIN)/charter-drafts serve --demo

test: check $(NODE_TEST_DEPS) $(STATIC_DEPS) chromium
	cd static && npm test
	$(BIN)/pytest

# ruff; the layers as import contracts (pyproject.toml); the domain's and the server's types, strictly.
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/mypy --strict charter_drafts server

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# The browser tests drive Debian's Chromium (never a browser downloaded by a test tool); the
# export tests read PDFs with poppler's pdftotext.
chromium:
	@command -v chromium >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 || { \
		echo "installing Debian's chromium and poppler-utils for the tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null; \
	}

node-test-deps: $(NODE_TEST_DEPS)

$(NODE_TEST_DEPS): tests/interop/package.json tests/interop/package-lock.json
	cd tests/interop && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The browser client's packages (exact versions from its lock file): the bundle's sources,
# its unit tests and axe-core for the accessibility tests.
static-deps: $(STATIC_DEPS)

$(STATIC_DEPS): static/package.json static/package-lock.json
	cd static && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Rebuilds the committed browser bundle (static/dist); only needed after changing static/src.
# tests/test_bundle.py fails when the committed bundle differs from a fresh build.
static: $(STATIC_DEPS)
	cd static && npm run build

bench: $(STAMP)
	$(BIN)/python bench/fanout.py

clean:
	rm -rf $(VENV) tests/interop/node_modules static/node_modules .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
