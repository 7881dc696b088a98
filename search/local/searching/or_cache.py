"""Evaluated ORs, kept per generation: a word or a phrase searched over every text field.

A plain query word becomes an OR of that word (and, for the last word, its prefix
expansions) over five fields, a quoted phrase an OR of five phrases: evaluating those
is most of a search's matching time, and readers repeat the same words. So the result
of each OR is kept, bounded in bytes: dense arrays when a quarter of the documents or
more match (zero-copy to use, and smaller than a sparse list by then), else the
matching documents and their scores.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

CACHE_BYTES = 48 << 20  # per generation
DENSE_SHARE = 4  # kept dense when at least 1 / DENSE_SHARE of the documents match


@dataclass(frozen=True)
class Entry:
    """One evaluated OR: its match (dense, or as documents and scores), the terms that
    matched by field, and the expansions that were capped."""

    mask: npt.NDArray[np.bool_] | None
    docs: npt.NDArray[np.int64] | None
    scores: npt.NDArray[np.float32]
    terms: dict[str, frozenset[str]]
    capped: tuple[str, ...]
    nbytes: int


class OrCache:
    """Evaluated ORs by query node (Whoosh queries compare and hash by value)."""

    def __init__(self, size: int, budget: int = CACHE_BYTES) -> None:
        self.size = size
        self.budget = budget
        self._entries: OrderedDict[Any, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Any) -> Entry | None:
        """Return the entry of query node `key`, or None."""
        try:
            return self._entries.get(key)
        except TypeError:  # a node that cannot be hashed is never kept
            return None

    def put(
        self,
        key: Any,
        mask: npt.NDArray[np.bool_],
        scores: npt.NDArray[np.float32],
        terms: dict[str, set[str]],
        capped: list[str],
    ) -> Entry:
        """Keep the match of query node `key` (its arrays must not change afterwards);
        return the entry."""
        found = {field: frozenset(words) for field, words in terms.items()}
        if int(np.count_nonzero(mask)) * DENSE_SHARE >= self.size:
            mask.setflags(write=False)
            scores.setflags(write=False)
            entry = Entry(mask, None, scores, found, tuple(capped), mask.nbytes + scores.nbytes)
        else:
            docs = np.flatnonzero(mask)
            kept = scores[docs]
            entry = Entry(None, docs, kept, found, tuple(capped), docs.nbytes + kept.nbytes)
        if self._hashable(key):
            with self._lock:
                if key not in self._entries:  # another thread may have just kept it
                    self._entries[key] = entry
                    self._bytes += entry.nbytes
                while self._bytes > self.budget and len(self._entries) > 1:
                    _, evicted = self._entries.popitem(last=False)
                    self._bytes -= evicted.nbytes
        return entry

    @staticmethod
    def _hashable(key: Any) -> bool:
        try:
            hash(key)
        except TypeError:
            return False
        return True

    def arrays(self, entry: Entry) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float32]]:
        """Return (mask, scores) of an entry as dense arrays (read-only when kept dense)."""
        if entry.mask is not None:
            return entry.mask, entry.scores
        assert entry.docs is not None
        mask = np.zeros(self.size, np.bool_)
        mask[entry.docs] = True
        scores = np.zeros(self.size, np.float32)
        scores[entry.docs] = entry.scores
        return mask, scores
