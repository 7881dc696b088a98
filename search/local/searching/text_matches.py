"""Text matches kept per generation: what a query text matches under one strategy.

A reader repeats a text with other filters, pages and sorts (ticking a facet, paging,
a date range), and its match does not depend on them. Each word's match is kept already
(or_cache), but combining them still costs 0.1 to 0.3 ms a search: under match=most a
relaxed text counts the words every candidate holds and ranks tiers, over hundreds or
thousands of documents. So the combined match is kept too, bounded in bytes: as its
documents, scores and tiers when under a quarter of the documents match (and nothing
outside them scores), else as the dense arrays themselves, read-only. Each search gets
its own dense arrays back from the documents, so nothing it does reaches a kept entry.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from search.local.searching.matching import Evaluation, Match
from search.local.searching.or_cache import DENSE_SHARE
from search.results import Matching

CACHE_BYTES = 32 << 20  # per generation: a few thousand relaxed texts, a few dozen dense ones


@dataclass(frozen=True)
class KeptText:
    """One text's match, packed: dense (`mask` set) or as its documents (`docs`), with
    the scores and tiers of those documents; how it was matched, its words, and what
    evaluating it added to an Evaluation (terms to highlight, capped expansions)."""

    mask: npt.NDArray[np.bool_] | None
    docs: npt.NDArray[np.int64] | None  # packed: always; dense: Match.docs
    scores: npt.NDArray[np.float32]
    tiers: npt.NDArray[np.int8] | None
    has_docs: bool  # the match came with its documents listed (Match.docs)
    matching: Matching | None
    words: tuple[str, ...]
    terms: dict[str, frozenset[str]]
    capped: tuple[str, ...]
    nbytes: int

    def match(self, size: int) -> Match:
        """Return the kept match as a Match of fresh arrays (dense ones shared, read-only)."""
        listed = self.docs if self.has_docs else None
        if self.mask is not None:
            return Match(self.mask, self.scores, self.tiers, listed)
        assert self.docs is not None
        mask = np.zeros(size, np.bool_)
        mask[self.docs] = True
        scores = np.zeros(size, np.float32)
        scores[self.docs] = self.scores
        tiers = None
        if self.tiers is not None:
            tiers = np.zeros(size, np.int8)
            tiers[self.docs] = self.tiers
        return Match(mask, scores, tiers, listed)

    def add_to(self, info: Evaluation) -> None:
        """Add the terms and capped expansions evaluating the text found to `info`."""
        for field, found in self.terms.items():
            info.terms.setdefault(field, set()).update(found)
        info.capped += self.capped


def packed(match: Match, matching: Matching | None, words: list[str], info: Evaluation) -> KeptText:
    """Return `match` packed for keeping (its arrays must not change afterwards), with
    how it was matched, its `words` and what `info` gathered evaluating it."""
    size = len(match.mask)
    listed = match.docs is not None
    terms = {field: frozenset(found) for field, found in info.terms.items()}
    said, capped = tuple(words), tuple(info.capped)
    docs = match.docs if match.docs is not None else np.flatnonzero(match.mask)
    scores, tiers = match.scores[docs], None if match.tiers is None else match.tiers[docs]
    few = len(docs) * DENSE_SHARE < size
    # Dense arrays rebuilt from the documents have zeros elsewhere: kept so only when
    # the match's own arrays have too (a deleted document may keep the score of a word).
    if few and _zero_outside(match, scores, tiers):
        nbytes = _read_only(docs, scores, tiers)
        return KeptText(None, docs, scores, tiers, listed, matching, said, terms, capped, nbytes)
    nbytes = _read_only(match.mask, match.scores, match.tiers, match.docs)
    dense = (match.mask, match.docs, match.scores, match.tiers)
    return KeptText(*dense, listed, matching, said, terms, capped, nbytes)


def _read_only(*arrays: npt.NDArray[Any] | None) -> int:
    """Make `arrays` (those not None) read-only; return their bytes."""
    total = 0
    for array in arrays:
        if array is not None:
            array.setflags(write=False)
            total += array.nbytes
    return total


def _zero_outside(
    match: Match, scores: npt.NDArray[np.float32], tiers: npt.NDArray[np.int8] | None
) -> bool:
    """Return True when `match` scores and tiers nothing outside its documents (whose
    `scores` and `tiers` are given)."""
    if np.count_nonzero(match.scores) != np.count_nonzero(scores):
        return False
    if match.tiers is None or tiers is None:
        return True
    return int(np.count_nonzero(match.tiers)) == int(np.count_nonzero(tiers))


class TextMatches:
    """Packed text matches by (text, strategy), the least recently used going first."""

    def __init__(self, budget: int = CACHE_BYTES) -> None:
        self.budget = budget
        self._entries: OrderedDict[tuple[str, str], KeptText] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, text: str, strategy: str) -> KeptText | None:
        """Return the kept match of `text` under `strategy`, or None."""
        key = (text, strategy)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, text: str, strategy: str, kept: KeptText) -> None:
        """Keep `kept` as the match of `text` under `strategy`."""
        key = (text, strategy)
        with self._lock:
            if key in self._entries:  # another thread may have just kept it
                return
            self._entries[key] = kept
            self._bytes += kept.nbytes
            while self._bytes > self.budget and len(self._entries) > 1:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.nbytes
