"""Stored fields of a document, turned into the Hit and DocumentDetail dataclasses."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Collection
from datetime import datetime
from typing import Any

import numpy as np

from search.local.searching.highlight import highlight
from search.local.searching.snapshot import Snapshot
from search.local.store.columns import date_key
from search.lookup_results import DocumentDetail, StoryCoverage
from search.results import Highlights, Hit, Provider

HITS_KEPT = 4096  # hits kept per generation: result pages of repeated queries repeat


@functools.lru_cache(maxsize=65_536)  # strftime costs a few microseconds; dates repeat
def iso_utc(value: datetime | None) -> str | None:
    """Return ISO 8601 UTC with a Z for a naive UTC datetime."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def page_hit(snapshot: Snapshot, number: int, score: float, terms: frozenset[str]) -> Hit:
    """Return make_hit of document `number` of `snapshot`, the one made before for the
    same score and terms (Hit is frozen, so answers may share it; kept per generation,
    so a rebuilt document is never shown as it was).

    The least recently shown hits go first: emptying the whole cache when full made
    every page of a busy server's next searches read and highlight its hits again."""
    key = (number, score, terms)
    kept = snapshot.hits
    hit = kept.get(key)
    if hit is not None:
        with contextlib.suppress(KeyError):  # another thread may have just evicted it
            kept.move_to_end(key)
        return hit
    hit = make_hit(snapshot.stored(number), score, terms)
    kept[key] = hit
    while len(kept) > HITS_KEPT:
        try:
            kept.popitem(last=False)
        except KeyError:  # emptied meanwhile by another thread
            break
    return hit


def make_hit(stored: dict[str, Any], score: float, terms: Collection[str]) -> Hit:
    """Return the Hit for one document's stored fields; `terms` are highlighted."""
    title = stored.get("title") or ""
    excerpt = stored.get("excerpt") or ""
    return Hit(
        id=stored["id"],
        kind=stored.get("kind") or "article",
        url=stored.get("url"),
        title=title,
        excerpt=excerpt,
        published=iso_utc(stored.get("published")),
        provider=Provider(stored.get("provider_name"), stored.get("provider_domain")),
        topics=list(stored.get("topics") or ()),
        image=stored.get("image"),
        score=round(float(score), 4),
        highlights=Highlights(highlight(title, terms), highlight(excerpt, terms)),
    )


def document_detail(snapshot: Snapshot, number: int, limit: int = 100) -> DocumentDetail:
    """Return the DocumentDetail of document `number`, with (up to `limit` of) the
    coverage it lists."""
    stored = snapshot.stored(number)
    related: list[Hit] = []
    for related_id in (stored.get("related") or ())[:limit]:
        other = snapshot.number_of(related_id)
        if other is not None and other != number:
            related.append(make_hit(snapshot.stored(other), 0.0, ()))
    hit = make_hit(stored, 0.0, ())
    story = story_coverage(snapshot, number, limit)
    return DocumentDetail.of(hit, stored, related, story, snapshot.name)


def story_coverage(snapshot: Snapshot, number: int, limit: int = 100) -> StoryCoverage:
    """Return the story of document `number` with (up to `limit` of) its other live
    documents, newest first (undated last)."""
    stories = snapshot.stories
    label = int(stories.labels[number])
    members = stories.members(label).astype(np.int64)
    others = members[snapshot.columns.alive[members] & (members != number)]
    published = snapshot.columns.published[others]
    ordered = others[np.lexsort((others, date_key(published)))][:limit]
    return StoryCoverage(
        id=str(snapshot.stored(label)["id"]),
        size=int(stories.sizes[label]),
        coverage=[make_hit(snapshot.stored(int(n)), 0.0, ()) for n in ordered],
    )
