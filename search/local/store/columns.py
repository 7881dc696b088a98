"""Per-document columns of a generation, for exact filters, facets and date sorting.

Built once when a generation is written (columns.npz + columns.json beside the Whoosh
files) and loaded once per generation by the engine, so a search never walks stored
fields: a filter is a cached boolean mask, a facet is one np.bincount over the
matching documents, and date order is a precomputed permutation.
Row i describes Whoosh document number i.
"""

from __future__ import annotations

import functools
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ARRAYS = "columns.npz"
NAMES = "columns.json"
MASK_CACHE = 128  # filter masks kept (one byte per document each)
NO_DATE = np.iinfo(np.int64).min  # minutes since 1970 of a document without a date
EPOCH = datetime(1970, 1, 1)
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Row:
    """What the columns need from one document."""

    topics: Sequence[str]
    provider: str | None
    published: datetime | None
    deleted: bool = False


def _display_names(counter: dict[str, Counter[str]]) -> tuple[list[str], dict[str, int]]:
    """Return (display names in id order, {casefolded name: id}); the commonest spelling wins."""
    keys = sorted(counter)
    names = [counter[key].most_common(1)[0][0] for key in keys]
    return names, {key: number for number, key in enumerate(keys)}


def write_columns(folder: Path, rows: Iterable[Row]) -> None:
    """Compute the columns of `rows` (in document-number order) and save them in `folder`."""
    rows = list(rows)
    topic_spellings: dict[str, Counter[str]] = {}
    provider_spellings: dict[str, Counter[str]] = {}
    for row in rows:
        for topic in row.topics:
            topic_spellings.setdefault(topic.casefold(), Counter())[topic] += 1
        if row.provider:
            provider_spellings.setdefault(row.provider.casefold(), Counter())[row.provider] += 1
    topics, topic_ids = _display_names(topic_spellings)
    providers, provider_ids = _display_names(provider_spellings)
    count = len(rows)
    published = np.full(count, NO_DATE, dtype=np.int64)
    provider = np.full(count, -1, dtype=np.int32)
    alive = np.ones(count, dtype=np.bool_)
    topic_doc: list[int] = []
    topic_id: list[int] = []
    for number, row in enumerate(rows):
        alive[number] = not row.deleted
        if row.published is not None:
            published[number] = int((row.published - EPOCH).total_seconds() // 60)
        if row.provider:
            provider[number] = provider_ids[row.provider.casefold()]
        for topic in dict.fromkeys(t.casefold() for t in row.topics):
            topic_doc.append(number)
            topic_id.append(topic_ids[topic])
    np.savez(
        folder / ARRAYS,
        published=published,
        provider=provider,
        alive=alive,
        topic_doc=np.array(topic_doc, dtype=np.int32),
        topic_id=np.array(topic_id, dtype=np.int32),
    )
    (folder / NAMES).write_text(
        json.dumps({"topics": topics, "providers": providers}, ensure_ascii=False),
        encoding="utf-8",
    )


def _month_code(minutes: IntArray) -> npt.NDArray[np.int32]:
    """Return months since 1970-01 for each minute stamp (-1 for no date)."""
    dated = minutes != NO_DATE
    months = np.full(minutes.shape, -1, dtype=np.int32)
    as_months = minutes[dated].astype("datetime64[m]").astype("datetime64[M]").astype(np.int64)
    months[dated] = as_months.astype(np.int32)
    return months


def date_key(published: IntArray, oldest: bool = False) -> IntArray:
    """Return sort keys that put dated documents newest first (or oldest first) and
    undated ones last."""
    dated = published != NO_DATE
    return np.where(dated, published if oldest else -published, np.iinfo(np.int64).max)


def month_label(code: int) -> str:
    """Return 'YYYY-MM' for a month code."""
    return f"{1970 + code // 12:04d}-{code % 12 + 1:02d}"


def minutes_of(day: date) -> int:
    """Return the minute stamp of midnight UTC at the start of `day`."""
    return int((datetime(day.year, day.month, day.day) - EPOCH).total_seconds() // 60)


HEAD_SHARE = 64  # a topic in 1 / HEAD_SHARE of the documents or more is counted by bitset


@dataclass(frozen=True)
class TopicSets:
    """The topic column arranged for counting: each common topic as a bitset over the
    documents (counting one is an AND and a popcount of N / 64 words), the rare ones as
    (document, topic) pairs (counting them costs one lookup per pair)."""

    head: npt.NDArray[np.intp]  # topic ids with a bitset
    bits: npt.NDArray[np.uint64]  # (len(head), words): packed bits, as np.packbits packs
    tail_doc: npt.NDArray[np.int32]
    tail_id: npt.NDArray[np.int32]


def _topic_sets(columns: Columns) -> TopicSets:
    per_topic = np.bincount(columns.topic_id, minlength=len(columns.topics))
    head = np.flatnonzero(per_topic * HEAD_SHARE >= max(columns.size, 1))
    rows = []
    for topic in head:
        mask = np.zeros(columns.size, np.bool_)
        mask[columns.topic_doc[columns.topic_id == topic]] = True
        rows.append(packed_bits(mask))
    words = (columns.size + 63) // 64
    bits = np.stack(rows) if rows else np.zeros((0, words), np.uint64)
    tail = ~np.isin(columns.topic_id, head)
    return TopicSets(head, bits, columns.topic_doc[tail], columns.topic_id[tail])


def packed_bits(mask: BoolArray) -> npt.NDArray[np.uint64]:
    """Return `mask` as bits in 64-bit words (zero bits past the end)."""
    packed = np.packbits(mask)
    padded = np.zeros((len(mask) + 63) // 64 * 8, np.uint8)
    padded[: len(packed)] = packed
    return padded.view(np.uint64)


def name_order(names: list[str]) -> npt.NDArray[np.intp]:
    """Return each name's place in the order facets list names by (casefolded, as is)."""
    rank = np.empty(len(names), np.intp)
    rank[sorted(range(len(names)), key=lambda i: (names[i].casefold(), names[i]))] = np.arange(
        len(names)
    )
    return rank


@dataclass
class Columns:
    """The loaded columns of one generation, with cached filter masks."""

    topics: list[str]  # display names by topic id
    providers: list[str]  # display names by provider id
    published: IntArray
    provider: npt.NDArray[np.int32]
    alive: BoolArray
    topic_doc: npt.NDArray[np.int32]
    topic_id: npt.NDArray[np.int32]
    month: npt.NDArray[np.int32] = field(init=False)
    newest_first: npt.NDArray[np.int64] = field(init=False)
    oldest_first: npt.NDArray[np.int64] = field(init=False)
    topic_index: dict[str, int] = field(init=False)
    provider_index: dict[str, int] = field(init=False)
    _masks: dict[tuple[str, tuple[int, ...]], BoolArray] = field(init=False)
    _lock: threading.Lock = field(init=False)

    def __post_init__(self) -> None:
        self.month = _month_code(self.published)
        # Undated documents go last in both orders; ties keep document order.
        self.newest_first = np.argsort(date_key(self.published), kind="stable")
        self.oldest_first = np.argsort(date_key(self.published, oldest=True), kind="stable")
        self.topic_index = {name.casefold(): n for n, name in enumerate(self.topics)}
        self.provider_index = {name.casefold(): n for n, name in enumerate(self.providers)}
        self._masks = {}
        self._lock = threading.Lock()
        for array in (self.published, self.provider, self.alive, self.topic_doc, self.topic_id):
            array.setflags(write=False)

    @classmethod
    def load(cls, folder: Path) -> Columns:
        """Return the columns saved in a generation folder."""
        names: dict[str, Any] = json.loads((folder / NAMES).read_text(encoding="utf-8"))
        with np.load(folder / ARRAYS) as arrays:
            return cls(
                topics=list(names["topics"]),
                providers=list(names["providers"]),
                published=arrays["published"],
                provider=arrays["provider"],
                alive=arrays["alive"],
                topic_doc=arrays["topic_doc"],
                topic_id=arrays["topic_id"],
            )

    @functools.cached_property
    def topic_rank(self) -> npt.NDArray[np.intp]:
        """Return name_order(topics)."""
        return name_order(self.topics)

    @functools.cached_property
    def provider_rank(self) -> npt.NDArray[np.intp]:
        """Return name_order(providers)."""
        return name_order(self.providers)

    @functools.cached_property
    def topic_sets(self) -> TopicSets:
        """Return the topic column arranged for counting (built on first use)."""
        return _topic_sets(self)

    @property
    def size(self) -> int:
        """Return the number of document numbers (deleted ones included)."""
        return int(self.alive.shape[0])

    def topic_mask(self, ids: Sequence[int]) -> BoolArray:
        """Return the cached mask of documents having any of the topic ids."""

        def build(chosen: tuple[int, ...]) -> BoolArray:
            mask = np.zeros(self.size, dtype=np.bool_)
            mask[self.topic_doc[np.isin(self.topic_id, chosen)]] = True
            return mask

        return self._cached_mask("topic", tuple(sorted(ids)), build)

    def provider_mask(self, ids: Sequence[int]) -> BoolArray:
        """Return the cached mask of documents from any of the provider ids."""
        chosen = tuple(sorted(ids))
        return self._cached_mask("provider", chosen, lambda ids: np.isin(self.provider, ids))

    def _cached_mask(
        self, kind: str, ids: tuple[int, ...], build: Callable[[tuple[int, ...]], BoolArray]
    ) -> BoolArray:
        """Return the mask `build(ids)` of kind `kind`, built once (the cache is bounded)."""
        key = (kind, ids)
        mask = self._masks.get(key)
        if mask is None:
            mask = build(key[1])
            mask.setflags(write=False)
            with self._lock:
                if len(self._masks) > MASK_CACHE:  # bounded: filter combinations are user input
                    self._masks.clear()
                self._masks[key] = mask
        return mask

    def date_mask(self, start: date | None, end: date | None) -> BoolArray:
        """Return the (cached) mask of dated documents published on days start..end
        (inclusive)."""

        def build(bounds: tuple[int, ...]) -> BoolArray:
            mask: BoolArray = np.not_equal(self.published, NO_DATE)
            if start is not None:
                mask &= self.published >= minutes_of(start)
            if end is not None:
                mask &= self.published < minutes_of(end) + 24 * 60
            return mask

        # The ordinals, with -1 for an open end, name the period for the cache.
        bounds = (start.toordinal() if start else -1, end.toordinal() if end else -1)
        return self._cached_mask("date", bounds, build)
