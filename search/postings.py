"""BM25 term contributions as NumPy arrays, loaded from Whoosh once per term and cached.

For one generation, a term's BM25 contribution to each document that holds it depends
only on constants of the generation (document frequency, field lengths), so it is
computed once when the term is first searched and kept: a query then costs a few
vectorised additions over arrays instead of Whoosh's per-posting Python loop.
The formula is Whoosh's BM25F (whoosh.scoring.bm25), term by term and field by field.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import byte_to_length

from search.schema import TEXT_FIELDS

K1 = 1.2  # BM25 term-frequency saturation (Whoosh's default)
B = {"title": 0.5, "topic": 0.3, "provider": 0.3}  # short fields: length says less
B_DEFAULT = 0.75
CACHE_POSTINGS = 8_000_000  # cached postings and positions (8 bytes each): at most ~64 MB

POSITION_SPAN = 1 << 32  # positions are uint32, so document * span + position never collides
Docs = npt.NDArray[np.int32]
Scores = npt.NDArray[np.float32]


class PostingCache:
    """Term postings of one generation's reader as (document numbers, BM25 contributions)."""

    def __init__(self, reader: Any, size: int) -> None:
        self.reader = reader
        self.size = size
        self.lock = threading.Lock()  # a Whoosh reader is not safe to share between threads
        self.lengths: dict[str, npt.NDArray[np.float32]] = {}
        self.average: dict[str, float] = {}
        live = max(reader.doc_count(), 1)
        for name in TEXT_FIELDS:
            self.lengths[name] = field_lengths(reader, name, size)
            self.average[name] = (reader.field_length(name) / live) or 1.0
        self.documents = live
        self._cache: OrderedDict[tuple[str, str, str], tuple[Any, ...]] = OrderedDict()
        self._cached = 0

    def doc_frequency(self, field: str, term: str) -> int:
        """Return how many documents hold `term` in `field`."""
        with self.lock:
            return int(self.reader.doc_frequency(field, term))

    def get(self, field: str, term: str) -> tuple[Docs, Scores]:
        """Return (sorted document numbers, BM25 contribution) of `term` in `field`."""
        key = ("bm25", field, term)
        hit = self._cache.get(key)
        if hit is None:
            with self.lock:
                hit = self._cache.get(key)
                if hit is None:
                    docs, weights = self._read(field, term)
                    frequency = int(self.reader.doc_frequency(field, term))
                    hit = (docs, self._bm25(field, frequency, docs, weights))
                    self._remember(key, hit, len(docs))
        return cast(tuple[Docs, Scores], hit)

    def positions(self, field: str, term: str) -> npt.NDArray[np.int64]:
        """Return the sorted keys document * POSITION_SPAN + position of `term` in `field`.

        Two words are adjacent in a document exactly when key + 1 of the first is a key
        of the second, so phrases become sorted lookups over these arrays."""
        key = ("positions", field, term)
        hit = self._cache.get(key)
        if hit is None:
            with self.lock:
                hit = self._cache.get(key)
                if hit is None:
                    keys = self._read_positions(field, term)
                    hit = (keys,)
                    self._remember(key, hit, len(keys))
        return cast(npt.NDArray[np.int64], hit[0])

    def _remember(self, key: tuple[str, str, str], value: tuple[Any, ...], size: int) -> None:
        """Cache `value` (caller holds the lock), evicting the least recently added."""
        for array in value:
            array.setflags(write=False)
        self._cache[key] = value
        self._cached += size
        while self._cached > CACHE_POSTINGS and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._cached -= len(old[0])

    def _read_positions(self, field: str, term: str) -> npt.NDArray[np.int64]:
        parts: list[npt.NDArray[np.int64]] = []
        for segment, offset in self.reader.leaf_readers():
            if (field, term) not in segment:
                continue
            matcher = segment.postings(field, term)
            while matcher.is_active():
                if hasattr(matcher, "_read_values") and hasattr(matcher, "_next_block"):
                    matcher._read_ids()
                    matcher._read_values()
                    ids, values = list(matcher._ids), list(matcher._values)
                    matcher._next_block()
                else:
                    ids, values = [matcher.id()], [matcher.value()]
                    matcher.next()
                counts = np.fromiter(((len(v) - 4) // 4 for v in values), np.int64, len(values))
                raw = np.frombuffer(b"".join(v[4:] for v in values), dtype="<u4")
                docs = np.repeat(np.asarray(ids, dtype=np.int64) + offset, counts)
                parts.append(docs * POSITION_SPAN + raw.astype(np.int64))
        if not parts:
            return np.zeros(0, np.int64)
        return np.concatenate(parts)

    def _bm25(self, field: str, frequency: int, docs: Docs, tf: Scores) -> Scores:
        idf = math.log(self.documents / (frequency + 1)) + 1.0
        b = B.get(field, B_DEFAULT)
        norm = K1 * ((1.0 - b) + b * self.lengths[field][docs] / self.average[field])
        scores: Scores = (idf * (tf * (K1 + 1.0)) / (tf + norm)).astype(np.float32)
        return scores

    def _read(self, field: str, term: str) -> tuple[Docs, Scores]:
        """Read every posting of the term from each segment (caller holds the lock)."""
        id_parts: list[Any] = []
        weight_parts: list[Any] = []
        for segment, offset in self.reader.leaf_readers():
            if (field, term) not in segment:
                continue
            matcher = segment.postings(field, term)
            ids, weights = _drain(matcher)
            id_parts.append(np.asarray(ids, dtype=np.int64) + offset)
            weight_parts.append(np.asarray(weights, dtype=np.float32))
        if not id_parts:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        return (
            np.concatenate(id_parts).astype(np.int32),
            np.concatenate(weight_parts).astype(np.float32),
        )


_BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)


def field_lengths(reader: Any, name: str, size: int) -> npt.NDArray[np.float32]:
    """Return every document's length in field `name`, as Whoosh's scorer sees it.

    Reads each segment's length column in one go. The obvious per-document call is
    10x slower, and for a field no document has (an empty body) it looks the missing
    column file up on disk once per document."""
    try:
        parts = []
        for segment, _ in reader.leaf_readers():
            column = segment._perdoc._cached_reader(_lenfield(name), LENGTHS_COLUMN)
            count = segment.doc_count_all()
            if column is None:
                parts.append(np.zeros(count, np.float32))
            else:
                raw = np.frombuffer(column.load().tobytes(), dtype=np.uint8)
                parts.append(_BYTE_LENGTHS[raw])
        lengths = np.concatenate(parts) if parts else np.zeros(0, np.float32)
        if len(lengths) == size:
            return lengths
    except (AttributeError, TypeError, ValueError):  # another codec: the slow, public way
        pass
    return np.fromiter(
        (reader.doc_field_length(n, name, 0) or 0 for n in range(size)), np.float32, size
    )


def _drain(matcher: Any) -> tuple[list[int], list[float]]:
    """Return all (ids, weights) of a leaf matcher, a block at a time where Whoosh allows."""
    ids: list[int] = []
    weights: list[float] = []
    blockwise = all(
        hasattr(matcher, name) for name in ("_read_ids", "_read_weights", "_next_block")
    )
    while matcher.is_active():
        if blockwise:
            matcher._read_ids()
            matcher._read_weights()
            ids.extend(matcher._ids)
            weights.extend(matcher._weights)
            matcher._next_block()
        else:
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
    return ids, weights
