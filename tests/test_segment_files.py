"""The direct segment writer (search/local/store/segment_files.py) against Whoosh's own
writer: for the same documents, every term, posting (document, weight, positions), term
statistic, stored field and field length is the same, and Whoosh's own searcher gives
the same answers from either index."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from build_support import merged_documents
from segment_support import index_contents
from whoosh import index as whoosh_index
from whoosh.filedb.filetables import OrderedHashReader
from whoosh.filedb.structfile import BufferFile
from whoosh.index import TOC
from whoosh.qparser import MultifieldParser

from search.local.store.schema import article_fields, build_schema
from search.local.store.segment_files import write_segment
from search.local.store.w3_tables import terms_file
from search.model import Article

TOPICS = ["AI", "Space", "Machine Learning", "ai, too"]
QUERIES = [
    "alpha",
    "launch rocket",
    '"rocket launch"',
    "ai OR space",
    "title:recognition",
    "topic:vision",
    "provider:example",
    "facial recognition",
    "zebra",
    "common",
    '"common words"',
]


def whoosh_writer_index(folder: Path, documents: Sequence[Article]) -> None:
    """Index `documents` with Whoosh's own writer, one segment: the test oracle."""
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), build_schema())
    writer = ix.writer()
    for document in documents:
        writer.add_document(**article_fields(document))
    writer.commit(merge=False)
    ix.close()


def direct_index(folder: Path, documents: Sequence[Article]) -> None:
    """Index `documents` with write_segment, one segment."""
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), build_schema())
    segment = write_segment(folder, documents, ix.schema)
    TOC(ix.schema, [segment], 1).write(ix.storage, ix.indexname)
    ix.close()


def answers(folder: Path, queries: list[str]) -> list[list[tuple[str, float]]]:
    """Return each query's top 50 (id, score) from Whoosh's own searcher."""
    ix = whoosh_index.open_dir(str(folder))
    try:
        parser = MultifieldParser(["title", "excerpt", "body"], ix.schema)
        with ix.searcher() as searcher:
            return [
                [
                    (hit["id"], round(hit.score, 4))
                    for hit in searcher.search(parser.parse(q), limit=50)
                ]
                for q in queries
            ]
    finally:
        ix.close()


def generated_documents(count: int, seed: int = 7) -> list[Article]:
    """Return `count` documents with common words (many blocks per term), repeated words
    (weights above 1), Unicode, empty and long fields, and optional fields left out."""
    rng = random.Random(seed)
    words = ["common", "words", "rocket", "launch", "zebra", "naïve", "café", "über", "x2"]
    often = [40.0] * len(words)
    words += [f"w{n}" for n in range(300)]
    often += [1.0] * 300

    def text(most: int) -> str:
        return " ".join(rng.choices(words, often, k=rng.randint(0, most)))

    documents = []
    for number in range(count):
        title = text(12) or "untitled"
        excerpt = text(40)
        body = text(400) if number % 3 == 0 else ""
        documents.append(
            Article(
                key=f"https://example.com/{number}",
                kind="article" if number % 5 else "related",
                title=title,
                source=f"seeds/{number}.md",
                excerpt=excerpt,
                body=body,
                topics=tuple(
                    rng.sample(["AI", "Space", "Machine Learning", "ai, too"], k=number % 3)
                ),
                provider_name=rng.choice([None, "Example News", "Ünïcode Press"]),
                provider_domain=rng.choice([None, "example.com"]),
                published=datetime(2024, 1, 1 + number % 28) if number % 4 else None,
                url=f"https://example.com/{number}",
                quality=number % 100 if number % 2 else None,
                related=(f"https://other.org/{number}",) if number % 7 == 0 else (),
            )
        )
    return documents


def assert_same_index(old: Path, new: Path) -> None:
    """Fail with the first difference between two indexes' whole contents."""
    expected, found = index_contents(old), index_contents(new)
    assert found["documents"] == expected["documents"]
    assert found["totals"] == expected["totals"]
    assert found["lengths"] == expected["lengths"]
    assert found["stored"] == expected["stored"]
    assert sorted(found["terms"]) == sorted(expected["terms"])
    for key, value in expected["terms"].items():
        assert found["terms"][key] == value, key


def test_generated_documents_index_exactly_as_whoosh_writes_them(tmp_path: Path) -> None:
    documents = generated_documents(700)
    whoosh_writer_index(tmp_path / "old", documents)
    direct_index(tmp_path / "new", documents)
    assert_same_index(tmp_path / "old", tmp_path / "new")
    terms = index_contents(tmp_path / "new")["terms"]
    common = terms[("excerpt", b"common")][1]
    assert len(common) > 3 * 128  # several blocks
    assert {weight for _, weight, _ in common} >= {1.0, 2.0, 3.0}
    assert answers(tmp_path / "new", QUERIES) == answers(tmp_path / "old", QUERIES)


def test_literal_corpus_indexes_exactly_as_whoosh_writes_it(
    literal_seeds: Path, tmp_path: Path
) -> None:
    documents = merged_documents(literal_seeds)
    whoosh_writer_index(tmp_path / "old", documents)
    direct_index(tmp_path / "new", documents)
    assert_same_index(tmp_path / "old", tmp_path / "new")
    assert answers(tmp_path / "new", QUERIES) == answers(tmp_path / "old", QUERIES)


def test_real_corpus_indexes_exactly_as_whoosh_writes_it(corpus_dir: Path, tmp_path: Path) -> None:
    documents = merged_documents(corpus_dir)
    whoosh_writer_index(tmp_path / "old", documents)
    direct_index(tmp_path / "new", documents)
    assert_same_index(tmp_path / "old", tmp_path / "new")
    words = sorted({w for d in documents[:40] for w in d.title.lower().split() if w.isalpha()})
    queries = [*QUERIES, *words, " ".join(words[:3]), f'"{documents[0].title}"']
    expected = answers(tmp_path / "old", queries)
    assert sum(map(len, expected)) > 100  # the queries find things
    assert answers(tmp_path / "new", queries) == expected


def test_empty_segment_opens(tmp_path: Path) -> None:
    direct_index(tmp_path / "new", [])
    assert index_contents(tmp_path / "new")["documents"] == 0


@pytest.mark.parametrize("count", [1, 3, 1000, 20_000], ids=["one", "three", "1k", "20k"])
def test_terms_file_finds_every_key_and_no_other(count: int) -> None:
    keys = sorted({f"k{n * 7919 % 100_003}".encode() for n in range(count)})
    values = [key[::-1] for key in keys]
    data = terms_file(keys, values, {"f": 0})
    reader = OrderedHashReader(BufferFile(data), len(data))
    assert [reader[key] for key in keys] == values
    assert list(reader.keys()) == keys
    assert b"missing" not in reader
    assert reader.closest_key(b"k") == keys[0]
    assert reader.extras["fieldmap"] == {"f": 0}


def test_stored_fields_are_the_article_fields_whoosh_stores(tmp_path: Path) -> None:
    document = generated_documents(1)[0]
    direct_index(tmp_path / "new", [document])
    stored: dict[str, Any] = index_contents(tmp_path / "new")["stored"][0]
    schema = build_schema()
    expected = {
        name: value
        for name, value in article_fields(document).items()
        if schema[name].stored and value is not None
    }
    assert stored == expected
