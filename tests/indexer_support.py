"""The indexer tests' shared parts (tests/test_indexer_*.py): reading a generation's
Whoosh index, and a small literal corpus (written by conftest.py `literal_seeds`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from build_support import generation_documents
from whoosh import index as whoosh_index
from whoosh.qparser import QueryParser

from search.local.store import generations

WriteSeed = Callable[..., Path]
StoredDocs = dict[str, dict[str, Any]]


# --- helpers -----------------------------------------------------------------------------


def stored_documents(generation: Path) -> StoredDocs:
    """Return {id: stored fields} of every live document of a generation's Whoosh index."""
    docs = generation_documents(generation)
    by_id = {d["id"]: d for d in docs}
    assert len(by_id) == len(docs), "duplicate ids in the index"
    return by_id


def ids_by_number(folder: Path) -> list[str]:
    """Return the stored ids in Whoosh document-number order."""
    ix = whoosh_index.open_dir(str(folder))
    try:
        with ix.reader() as reader:
            return [reader.stored_fields(n)["id"] for n in range(reader.doc_count_all())]
    finally:
        ix.close()


def looked_up(generation: Path, ids: list[str]) -> dict[str, dict[str, Any] | None]:
    """Return {id: the stored fields of the document Snapshot.number_of finds for it
    (None: none)}: the lookup of document pages and related coverage."""
    from search.local.searching.snapshot import Snapshot

    snapshot = Snapshot(generation)
    try:
        found = {doc_id: snapshot.number_of(doc_id) for doc_id in ids}
        return {
            doc_id: None if number is None else snapshot.stored(number)
            for doc_id, number in found.items()
        }
    finally:
        snapshot.retire()


def search_ids(generation: Path, text: str, limit: int | None = 20) -> list[str]:
    """Return the ids of the top hits for a query over title and excerpt, in rank order."""
    ix = whoosh_index.open_dir(str(generation))
    try:
        with ix.searcher() as searcher:
            query = QueryParser("title", ix.schema).parse(text)
            return [hit["id"] for hit in searcher.search(query, limit=limit)]
    finally:
        ix.close()


def current(index_dir: Path) -> Path:
    """Return the current generation folder, failing if there is none."""
    folder = generations.current_generation(index_dir)
    assert folder is not None
    return folder


def summary(docs: StoredDocs) -> set[tuple[str, str, str, str]]:
    """Return {(id, key, title, kind)} of stored documents."""
    return {(d["id"], d["key"], d["title"], d["kind"]) for d in docs.values()}


def folders(index_dir: Path) -> set[str]:
    return {p.name for p in index_dir.iterdir() if generations.is_generation_name(p.name)}


# --- a small literal corpus --------------------------------------------------------------


ALPHA = """title: "Alpha launch"
excerpt: "The alpha rocket launch went well."
webUrl: "https://Example.com/alpha/?utm_source=feed"
publishedDateTime: "2024-01-02T03:04:05Z"
topics: [AI, Space]
provider: {name: Example News, domain: example.com}
related:
  - title: "Alpha coverage"
    webUrl: "https://other.org/cov-1"
    publishedDateTime: "2024-01-03T00:00:00Z"
  - title: "Beta as related"
    webUrl: "https://example.com/beta"
"""
BETA = 'title: "Beta"\nwebUrl: "https://example.com/beta"\npublishedDateTime: "2024-02-01"\n'
GAMMA_OLD = (
    'title: "Gamma older"\nwebUrl: "https://example.com/gamma"\n'
    'publishedDateTime: "2023-01-01T00:00:00Z"\n'
)
GAMMA_NEW = (
    'title: "Gamma newer"\nwebUrl: "https://example.com/gamma#section"\n'
    'publishedDateTime: "2023-06-01T00:00:00Z"\n'
)
LOCAL = 'title: "Local note"\npublishedDateTime: "nonsense"\n'

EXPECTED = {
    ("https://example.com/alpha", "Alpha launch", "article"),
    ("https://other.org/cov-1", "Alpha coverage", "related"),
    ("https://example.com/beta", "Beta", "article"),
    ("https://example.com/gamma", "Gamma newer", "article"),
    ("path:e.md", "Local note", "article"),
}


def write_literal_seeds(write_seed: WriteSeed) -> None:
    """Write seed files with related items, duplicates, a warning and a bad file."""
    write_seed("a.md", ALPHA, "Alpha body text about propulsion.\n")
    write_seed("b.md", BETA)
    write_seed("c.md", GAMMA_OLD)
    write_seed("sub/d.md", GAMMA_NEW)
    write_seed("e.md", LOCAL)
    write_seed("bad.md", raw=b"---\ntitle: [unclosed\n---\n")
    write_seed("notes/readme.rst", "title: not a seed\n")
    write_seed(".hidden/x.md", "title: hidden\n")
