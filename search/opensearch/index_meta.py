"""What a built index says of itself in its mapping's `_meta`: facet display names and
counts, the synonyms list it was built with, and the build's report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from search.synonyms import Synonyms


@dataclass(frozen=True)
class IndexMeta:
    """One index's metadata, read once per index."""

    display: dict[str, dict[str, str]]  # facet -> casefolded value -> display name
    counts: dict[str, dict[str, int]]  # facet -> display name -> documents
    synonyms: Synonyms
    documents: int
    built_at: str | None = None
    build: dict[str, Any] = field(default_factory=dict)
    newest: str | None = None  # the newest publication date: recency's origin

    @classmethod
    def of(cls, meta: Mapping[str, Any], documents: int) -> IndexMeta:
        """Return the metadata of an index from its `_meta` and its document count."""
        build = dict(meta.get("build") or {})
        return cls(
            display={k: dict(v) for k, v in (meta.get("display") or {}).items()},
            counts={k: dict(v) for k, v in (meta.get("counts") or {}).items()},
            synonyms=Synonyms.parse(meta.get("synonyms") or "", "index synonyms"),
            documents=documents,
            built_at=build.get("built_at"),
            build=build,
            newest=build.get("newest"),
        )
