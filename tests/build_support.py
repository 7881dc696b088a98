"""What a build of a seeds folder indexes and what it stored, and seed files' bytes:
helpers shared by the indexer, front-matter, corpus and crash tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from search.ingest.corpus import discover, merge, parse_files
from search.local.store import generations
from search.model import Article, ParsedFile

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024


def fm(front_matter: str, body: str = "") -> bytes:
    """Return the bytes of a seed file with this front matter and body."""
    return f"---\n{front_matter}---\n{body}".encode()


def merged_documents(seeds_dir: Path) -> list[Article]:
    """Return the documents a build of `seeds_dir` indexes (DESIGN.md 2.6, 2.7: discover,
    parse, merge)."""
    files, _ = discover(seeds_dir)
    parsed = [p for p in parse_files(files, progress=False) if isinstance(p, ParsedFile)]
    return merge(parsed).documents


def generation_documents(generation: Path) -> list[dict[str, Any]]:
    """Return the stored fields of every live document of a generation's Whoosh index."""
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(generation))
    try:
        with ix.searcher() as searcher:
            docs = [dict(d) for d in searcher.all_stored_fields()]
            assert searcher.doc_count() == len(docs)
    finally:
        ix.close()
    return docs


def stored_documents(index_dir: Path) -> list[dict[str, Any]]:
    """Return the stored fields of every document in the published generation."""
    folder = generations.current_generation(index_dir)
    assert folder is not None
    return generation_documents(folder)
