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
from collections.abc import Callable, Iterable
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from whoosh.util.numeric import byte_to_length

from search.local.searching.blocks import read_term
from search.local.store.schema import TEXT_FIELDS
from search.local.whoosh_compat import length_bytes

K1 = 1.2  # BM25 term-frequency saturation (Whoosh's default)
B = {"title": 0.5, "topic": 0.3, "provider": 0.3}  # short fields: length says less
B_DEFAULT = 0.75
CACHE_POSTINGS = 12_000_000  # cached postings and positions (8 bytes each): at most ~96 MB
# Proximity re-ranking reads these fields' positions for most searches of two words or
# more: they are decoded with the postings, from the same blocks, instead of a second read.
POSITION_FIELDS = ("title", "excerpt")

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
        self._whole = not reader.has_deletions()  # no segment has deleted documents
        self._cache: OrderedDict[tuple[str, str, str], tuple[Any, ...]] = OrderedDict()
        self._cached = 0
        self.closed = False  # set (under the lock) when the reader is closed

    def doc_frequency(self, field: str, term: str) -> int:
        """Return how many documents hold `term` in `field`."""
        with self.lock:
            return int(self.reader.doc_frequency(field, term))

    def get(self, field: str, term: str) -> tuple[Docs, Scores]:
        """Return (sorted document numbers, BM25 contribution) of `term` in `field`."""
        hit = self._cache.get(("bm25", field, term))
        if hit is None:
            with self.lock:
                hit = self._load(field, term, field in POSITION_FIELDS)[0]
        return cast(tuple[Docs, Scores], hit)

    def positions(self, field: str, term: str) -> npt.NDArray[np.int64]:
        """Return the sorted keys document * POSITION_SPAN + position of `term` in `field`.

        Two words are adjacent in a document exactly when key + 1 of the first is a key
        of the second, so phrases become sorted lookups over these arrays."""
        hit = self._cache.get(("positions", field, term))
        if hit is None:
            with self.lock:
                hit = self._load(field, term, True)[1]
        assert hit is not None
        return cast(npt.NDArray[np.int64], hit[0])

    def warm(
        self, terms: Iterable[tuple[str, str]], min_docs: int, budget: int, stop: Callable[[], bool]
    ) -> int:
        """Load those of `terms` (field, term) held by at least `min_docs` documents, in
        turn, until `budget` postings and positions are cached or stop() says so; return
        how many were read."""
        loaded = 0
        for field, term in terms:
            if self._cached >= budget or stop():
                break
            with self.lock:  # taken per term, so searches slip in between
                if self.closed:
                    break
                if ("bm25", field, term) in self._cache:
                    continue
                if self.reader.doc_frequency(field, term) >= min_docs:
                    self._load(field, term, field in POSITION_FIELDS)
                    loaded += 1
        return loaded

    def _load(
        self, field: str, term: str, with_positions: bool
    ) -> tuple[tuple[Any, ...], tuple[Any, ...] | None]:
        """Return the (docs, scores) of a term and its (position keys,) if asked (else
        None), reading what is not cached from Whoosh, each block once (caller holds
        the lock)."""
        bm25_key, positions_key = ("bm25", field, term), ("positions", field, term)
        bm25, positions = self._cache.get(bm25_key), self._cache.get(positions_key)
        if bm25 is not None and (positions is not None or not with_positions):
            return bm25, positions
        parts = read_term(self.reader, field, term, want_values=with_positions)
        if bm25 is None:
            docs = np.zeros(0, np.int32)
            weights = np.zeros(0, np.float32)
            if parts:
                docs = np.concatenate([p.ids + offset for p, offset in parts]).astype(np.int32)
                weights = np.concatenate([p.weights for p, _ in parts])
            # Without deletions every document counted holds a posting: no second look-up.
            frequency = len(docs) if self._whole else int(self.reader.doc_frequency(field, term))
            bm25 = (docs, self._bm25(field, frequency, docs, weights))
            self._remember(bm25_key, bm25, len(docs))
        if with_positions and positions is None:
            keys = [p.position_keys(offset) for p, offset in parts]
            positions = (np.concatenate(keys) if keys else np.zeros(0, np.int64),)
            self._remember(positions_key, positions, len(positions[0]))
        return bm25, positions

    def _remember(self, key: tuple[str, str, str], value: tuple[Any, ...], size: int) -> None:
        """Cache `value` (caller holds the lock), evicting the least recently added."""
        for array in value:
            array.setflags(write=False)
        self._cache[key] = value
        self._cached += size
        while self._cached > CACHE_POSTINGS and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._cached -= len(old[0])

    def _bm25(self, field: str, frequency: int, docs: Docs, tf: Scores) -> Scores:
        idf = math.log(self.documents / (frequency + 1)) + 1.0
        b = B.get(field, B_DEFAULT)
        norm = K1 * ((1.0 - b) + b * self.lengths[field][docs] / self.average[field])
        scores: Scores = (idf * (tf * (K1 + 1.0)) / (tf + norm)).astype(np.float32)
        return scores


_BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)


def field_lengths(reader: Any, name: str, size: int) -> npt.NDArray[np.float32]:
    """Return every document's length in field `name`, as Whoosh's scorer sees it.

    Reads each segment's length column in one go. The obvious per-document call is
    10x slower, and for a field no document has (an empty body) it looks the missing
    column file up on disk once per document."""
    try:
        parts = []
        for segment, _ in reader.leaf_readers():
            raw = length_bytes(segment, name)
            count = segment.doc_count_all()
            if raw is None:
                parts.append(np.zeros(count, np.float32))
            else:
                parts.append(_BYTE_LENGTHS[raw])
        lengths = np.concatenate(parts) if parts else np.zeros(0, np.float32)
        if len(lengths) == size:
            return lengths
    except (AttributeError, TypeError, ValueError):  # another codec: the slow, public way
        pass
    return np.fromiter(
        (reader.doc_field_length(n, name, 0) or 0 for n in range(size)), np.float32, size
    )
