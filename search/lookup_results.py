"""What a backend's other calls return, as plain dataclasses: completions (/api/suggest),
its health (/healthz) and one document with its story (/api/documents/{id}).

As search.results, each class's `as_json` writes its body, and the OpenAPI schemas are
generated from the same fields and their `Doc` annotations (search.web.schemas).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from search.contract import ID_PATTERN, NOT_IN_BODY, Doc, doc
from search.results import Hit, Provider


@dataclass(frozen=True)
class Suggestion:
    """One search-as-you-type completion."""

    text: str
    kind: Annotated[str, doc(enum=["query", "title", "topic", "provider"])]


@dataclass(frozen=True)
class Suggestions:
    """The answer to /api/suggest, and the generation it came from."""

    query: str
    suggestions: list[Suggestion]
    generation: Annotated[str, NOT_IN_BODY] = ""

    def as_json(self) -> dict[str, object]:
        """Return the /api/suggest body."""
        return {
            "query": self.query,
            "suggestions": [{"text": s.text, "kind": s.kind} for s in self.suggestions],
        }


@dataclass(frozen=True)
class Health:
    """What a backend serves: the /healthz body."""

    status: Annotated[str, doc(enum=["ok"])]
    documents: int
    generation: str
    built_at: str | None
    vectors: Annotated[
        bool, doc("Whether the index has embeddings (else searches run in keyword mode)")
    ] = False
    problem: Annotated[
        str | None,
        Doc("Only when a newer generation is damaged: why it is not served", optional=True),
    ] = None

    def as_json(self) -> dict[str, object]:
        """Return the /healthz body (`problem` only when there is one)."""
        body: dict[str, object] = {
            "status": self.status,
            "documents": self.documents,
            "generation": self.generation,
            "built_at": self.built_at,
            "vectors": self.vectors,
        }
        if self.problem:
            body["problem"] = self.problem
        return body


@dataclass(frozen=True)
class DocumentDetail:
    """A document with every served field, and the story's other coverage."""

    id: str
    kind: str
    url: str | None
    title: str
    excerpt: str
    body: str
    published: Annotated[str | None, doc(format="date-time")]
    provider: Provider
    topics: list[str]
    image: str | None
    category: str | None
    type: str | None
    quality: int | None
    related: list[Hit]
    story: StoryCoverage
    generation: Annotated[str, NOT_IN_BODY] = ""  # the X-Index-Generation header

    @classmethod
    def of(
        cls,
        hit: Hit,
        stored: Mapping[str, Any],
        related: list[Hit],
        story: StoryCoverage,
        generation: str,
    ) -> DocumentDetail:
        """Return the detail of the document `hit` shows, with its `stored` fields' body,
        category, type and quality (any backend's stored document, as a mapping)."""
        return cls(
            id=hit.id,
            kind=hit.kind,
            url=hit.url,
            title=hit.title,
            excerpt=hit.excerpt,
            body=stored.get("body") or "",
            published=hit.published,
            provider=hit.provider,
            topics=hit.topics,
            image=hit.image,
            category=stored.get("category"),
            type=stored.get("type"),
            quality=stored.get("quality"),
            related=related,
            story=story,
            generation=generation,
        )

    def as_json(self) -> dict[str, object]:
        """Return the /api/documents/{id} body."""
        return {
            "id": self.id,
            "kind": self.kind,
            "url": self.url,
            "title": self.title,
            "excerpt": self.excerpt,
            "body": self.body,
            "published": self.published,
            "provider": {"name": self.provider.name, "domain": self.provider.domain},
            "topics": self.topics,
            "image": self.image,
            "category": self.category,
            "type": self.type,
            "quality": self.quality,
            "related": [hit.as_json() for hit in self.related],
            "story": {
                "id": self.story.id,
                "size": self.story.size,
                "coverage": [hit.as_json() for hit in self.story.coverage],
            },
        }


@dataclass(frozen=True)
class StoryCoverage:
    """The story a document belongs to, and the story's other coverage."""

    id: Annotated[str, doc(pattern=ID_PATTERN)]
    size: Annotated[int, doc(minimum=1)]
    coverage: Annotated[list[Hit], doc("The story's other documents, newest first")]
