"""The per-document tables of a generation: its columns (columns.py) and stories
(stories.py), in Whoosh's document-number order, made from a full build's documents or
from the stored fields of an updated index; with each document's text to embed."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from search.identity import doc_id
from search.local.store.column_files import Row, article_row, write_columns
from search.local.store.stories import StoryRow, write_stories
from search.local.store.vectors import embedded_text
from search.model import Article


def write_from_shares(job: tuple[Path, Sequence[Sequence[Article]], bool]) -> list[str | None]:
    """write_from_documents(folder, the shares' documents in order, embeddings), for a
    full build's forked child of its own: the memory it takes is given back when it
    exits instead of being kept by the build while its writers work."""
    folder, shares, embeddings = job
    return write_from_documents(folder, itertools.chain.from_iterable(shares), embeddings)


def write_from_documents(
    folder: Path, documents: Iterable[Article], embeddings: bool
) -> list[str | None]:
    """Save the tables of a full build, whose documents are numbered in list order;
    return each document's text to embed (with `embeddings`; else an empty list)."""
    stories: list[StoryRow] = []
    texts: list[str | None] = []

    def rows() -> Iterator[Row]:  # each document read once: it may be unpacked as it comes
        for document in documents:
            stories.append(_article_story(document))
            if embeddings:
                texts.append(embedded_text(document.title, document.excerpt))
            yield article_row(document)

    write_columns(folder, rows())
    write_stories(folder, stories)
    return texts


def write_from_index(folder: Path) -> list[str | None]:
    """Save the tables of the index in `folder` from its stored fields; return each
    document number's text to embed (None: deleted)."""
    ix = whoosh_index.open_dir(str(folder))
    try:
        with ix.reader() as reader:
            stored = [
                None if reader.is_deleted(number) else reader.stored_fields(number)
                for number in range(reader.doc_count_all())
            ]
    finally:
        ix.close()
    write_columns(folder, (article_row(s) for s in stored))
    write_stories(folder, [_stored_story(s) for s in stored])
    return [
        None if s is None else embedded_text(s.get("title") or "", s.get("excerpt") or "")
        for s in stored
    ]


def _article_story(article: Article) -> StoryRow:
    return StoryRow(
        article.id,
        article.title,
        article.provider_name,
        article.published,
        [doc_id(key) for key in article.related],
    )


def _stored_story(stored: dict[str, Any] | None) -> StoryRow:
    if stored is None:
        return StoryRow("", "", None, None, deleted=True)
    return StoryRow(
        stored["id"],
        stored.get("title") or "",
        stored.get("provider_name"),
        stored.get("published"),
        stored.get("related") or (),
    )
