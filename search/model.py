"""The project's plain data: an Article as seed files give it, and what parsing a file yields.

No YAML, no Whoosh: ingest/ makes these, every backend indexes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from operator import attrgetter

from search.identity import doc_id

KIND_ARTICLE = "article"
KIND_RELATED = "related"


@dataclass(frozen=True, slots=True)
class Article:
    """One searchable document, from its own seed file or from a `related` list.

    Slots, not a __dict__ per instance: a build holds every document (a third of the
    memory per document); pickled as its field values (__reduce__), twice as fast as
    the slots dataclass's own state methods, between forked build processes."""

    key: str
    kind: str
    title: str
    source: str  # seed path (relative, POSIX) of the file the record came from
    excerpt: str = ""
    body: str = ""
    topics: tuple[str, ...] = ()
    provider_name: str | None = None
    provider_domain: str | None = None
    published: datetime | None = None
    url: str | None = None
    image: str | None = None
    category: str | None = None
    type: str | None = None
    quality: int | None = None
    related: tuple[str, ...] = ()  # keys of the related coverage this article lists

    @property
    def id(self) -> str:
        """Return the public, URL-safe id derived from the key."""
        return doc_id(self.key)

    def __reduce__(self) -> tuple[Callable[..., Article], tuple[object, ...]]:
        return Article, _article_values(self)


_article_values = attrgetter(*(f.name for f in fields(Article)))


@dataclass(slots=True)
class ParsedFile:
    """What one seed file yields: its article, the related items it lists, and warnings."""

    article: Article
    related: list[Article] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __reduce__(self) -> tuple[Callable[..., ParsedFile], tuple[object, ...]]:
        # Pickled from each parsing child of a build: as its values, twice as fast
        return ParsedFile, (self.article, self.related, self.warnings)


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A seed file that gave no document, and why."""

    path: str
    reason: str


@dataclass
class IndexReport:
    """What a rebuild did; `search rebuild-index --json` prints exactly this."""

    generation: str
    documents: int
    kinds: dict[str, int]
    files_read: int
    files_skipped: list[SkippedFile]
    warnings: list[str]
    duplicates_merged: int
    duration_s: float
    incremental: bool
    added: int = 0
    updated: int = 0
    deleted: int = 0
    notes: list[str] = field(default_factory=list)
