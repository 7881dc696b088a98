"""The parallel writer (DESIGN.md 3): forked writers give the documents, numbers and
answers one writer gives, and their generation takes incremental updates."""

from __future__ import annotations

from pathlib import Path

import pytest
from build_support import merged_documents
from indexer_support import ids_by_number, search_ids, stored_documents
from whoosh import index as whoosh_index

from benchmarks.generator import write_corpus
from search.local.store import segments as writers
from search.local.store.schema import build_schema
from search.local.whoosh_compat import index_segments
from search.model import Article


@pytest.fixture(scope="module")
def generated_articles(tmp_path_factory: pytest.TempPathFactory) -> list[Article]:
    seeds = tmp_path_factory.mktemp("parallel") / "seeds"
    write_corpus(seeds, 700, seed=17)
    return merged_documents(seeds)


def write_folder(folder: Path, documents: list[Article], workers: int) -> list[str]:
    """Write `documents` with `workers` writers into `folder`; return the checkpoints seen."""
    folder.mkdir()
    seen: list[str] = []
    writers.write_all(folder, documents, progress=False, checkpoint=seen.append, workers=workers)
    return seen


def test_parallel_writers_give_the_same_documents(
    generated_articles: list[Article], tmp_path: Path
) -> None:
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    assert write_folder(serial, generated_articles, workers=1) == ["half-indexed", "indexed"]
    assert write_folder(parallel, generated_articles, workers=2) == ["half-indexed", "indexed"]

    serial_docs = stored_documents(serial)
    assert serial_docs == stored_documents(parallel)
    # document numbers follow the list, part after part (the per-document columns rely on it)
    in_order = [d.id for d in generated_articles]
    assert ids_by_number(serial) == ids_by_number(parallel) == in_order
    assert len(serial_docs) == len(generated_articles)
    assert set(serial_docs) == {d.id for d in generated_articles}
    for text in ("data", "cloud OR model", "topic:ai", '"machine learning"', "excerpt:market"):
        assert search_ids(serial, text) == search_ids(parallel, text), text
    assert sorted(search_ids(serial, "topic:ai", limit=None)) == sorted(
        d.id for d in generated_articles if any("ai" in t.lower().split() for t in d.topics)
    )

    # the parts were merged into the generation: several segments, no part folders left
    ix = whoosh_index.open_dir(str(parallel))
    try:
        assert len(index_segments(ix)) >= 2
        assert ix.schema.names() == build_schema().names()
    finally:
        ix.close()
    assert [p.name for p in parallel.iterdir() if p.is_dir()] == []


def test_parallel_generation_accepts_incremental_updates(
    generated_articles: list[Article], tmp_path: Path
) -> None:
    parallel = tmp_path / "parallel"
    write_folder(parallel, generated_articles, workers=2)
    updated = tmp_path / "updated"
    updated.mkdir()
    first, last = generated_articles[0], generated_articles[-1]
    changed = Article(key=first.key, kind=first.kind, title="Replaced title", source=first.source)
    writers.update(parallel, updated, [changed], [last.id], lambda stage: None, frozenset())
    docs = stored_documents(updated)
    assert len(docs) == len(generated_articles) - 1
    assert docs[first.id]["title"] == "Replaced title"
    assert last.id not in docs
    assert len(stored_documents(parallel)) == len(generated_articles)  # untouched
