"""The build benchmark builds the same documents with every engine: ours, tantivy and
SQLite FTS5 each index every document of a small generated corpus, and the report
holds each engine's figures for every round."""

from __future__ import annotations

import pytest

from benchmarks.generator import write_corpus
from benchmarks.peer_builds import ENGINES, compare
from search.ingest.corpus import discover, merge, parse_files
from search.model import ParsedFile

FILES = 200


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, object], int]:
    root = tmp_path_factory.mktemp("peer-builds")
    write_corpus(root / "seeds", FILES, seed=7)
    files, _ = discover(root / "seeds")
    parsed = [r for r in parse_files(files) if isinstance(r, ParsedFile)]
    return compare(root / "seeds", root / "work", pairs=1), len(merge(parsed).documents)


def test_every_engine_builds_every_document(result: tuple[dict[str, object], int]) -> None:
    measured, documents = result
    runs = measured["runs"]
    assert isinstance(runs, dict)
    assert {engine: [r["documents"] for r in runs[engine]] for engine in ENGINES} == {
        engine: [documents] for engine in ENGINES
    }
    for engine in ENGINES:
        (run,) = runs[engine]
        assert run["index_mb"] > 0
        assert run["peak_pss_mb"] > 0
        assert run["cpu_s"] > 0
        # ours is timed end to end only; the peers also after parsing
        assert (run["index_seconds"] is None) == (engine == "ours")
