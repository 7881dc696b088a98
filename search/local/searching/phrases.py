"""Phrase and adjacency lookups over the cached position keys of a generation.

A position key is document * POSITION_SPAN + position, sorted per term, so two words
are adjacent in a document exactly when key + 1 of the first is a key of the second:
a phrase is a chain of sorted intersections.

Proximity re-ranking asks, search after search, where the query's consecutive words stand
together among a window of documents: Adjacency finds that once among every document
holding both words and keeps it, when they are few (the rare words of most searches).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np
import numpy.typing as npt

from search.local.searching.blocks import POSITION_SPAN
from search.local.searching.postings import PostingCache

Keys = npt.NDArray[np.int64]
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
ADJACENT_ALL = 2_000  # documents holding every word, at most, for a phrase to be found in all
PHRASES_KEPT = 65_536  # phrases (field and words) whose documents are kept, per generation
KEPT_DOCUMENTS = 2_000_000  # documents kept over all those phrases (16 MB), per generation
_UNKNOWN: Any = object()  # a phrase not kept (None is kept: too many documents to look at)


def phrase_documents(
    postings: PostingCache, field: str, words: list[str], within: npt.NDArray[Any] | None = None
) -> Keys:
    """Return the (sorted, unique) documents where `words` follow each other in `field`;
    only documents of `within` (sorted, unique) are looked at when it is given."""
    # Only documents holding every word can hold the phrase: the postings (cached,
    # usually by the match itself) say which before any position is read, so a
    # proximity check of a result page looks only at the page's documents.
    candidates: npt.NDArray[Any] | None = within
    for word in dict.fromkeys(words):
        docs = postings.get(field, word)[0]
        candidates = docs if candidates is None else common(candidates, docs)
        if not len(candidates):
            return np.zeros(0, np.int64)
    assert candidates is not None
    keys = postings.positions(field, words[0])
    if len(candidates) * 4 < len(keys):  # few documents hold them all: look at those only
        keys = _keys_of(keys, candidates)
    for word in words[1:]:
        if not len(keys):
            break
        keys = common(keys + 1, postings.positions(field, word))
    return _unique_sorted(keys // POSITION_SPAN)


def common(values: npt.NDArray[Any], others: npt.NDArray[Any]) -> Keys:
    """Return the values of sorted unique `values` also in sorted unique `others`, as int64."""
    if len(values) > len(others):
        values, others = others, values
    values = values.astype(np.int64, copy=False)
    if len(values) * 16 < len(others):  # a few lookups: a binary search each
        # Looked up in the larger array's own type (int32 document numbers of a posting
        # list): casting it to int64 would copy all of it for a few lookups.
        at = np.searchsorted(others, _as_type_of(values, others))
        found = at < len(others)
        found[found] = others[at[found]] == values[found]
        return values[found]
    others = others.astype(np.int64, copy=False)
    # Similar sizes: merge the two sorted runs (a stable sort of two runs is one merge)
    # and keep what appears twice, in linear time instead of a search per value.
    merged = np.concatenate([values, others])
    merged.sort(kind="stable")
    twice: Keys = merged[1:][merged[1:] == merged[:-1]]
    return twice


def _as_type_of(values: Keys, others: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Return `values` (sorted int64) as int32 when `others` are int32 and every value
    fits (the same numbers), else as they are."""
    if others.dtype != np.int32 or not len(values):
        return values
    if int(values[0]) < INT32_MIN or int(values[-1]) > INT32_MAX:  # sorted: the extremes
        return values
    return values.astype(np.int32)


def _keys_of(keys: Keys, docs: npt.NDArray[Any]) -> Keys:
    """Return the position keys (sorted) that belong to the sorted documents `docs`."""
    docs = docs.astype(np.int64)
    low = np.searchsorted(keys, docs * POSITION_SPAN)
    high = np.searchsorted(keys, (docs + 1) * POSITION_SPAN)
    counts = high - low
    total = int(counts.sum())
    if not total:
        return keys[:0]
    # Each document's run of keys is keys[low:high]; gather them all in one indexing.
    starts = np.cumsum(counts) - counts
    return keys[np.repeat(low - starts, counts) + np.arange(total)]


def _unique_sorted(values: Keys) -> Keys:
    """Return the distinct values of a sorted array (np.unique would sort it again)."""
    if len(values) < 2:
        return values
    keep = np.empty(len(values), np.bool_)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


class Adjacency:
    """The documents where words follow each other in a field, kept per phrase when few
    documents hold all its words, so re-ranking a window is a lookup in them."""

    def __init__(self, postings: PostingCache) -> None:
        self.postings = postings
        self._kept: OrderedDict[tuple[str, ...], Keys | None] = OrderedDict()
        self._size = 0  # documents kept, over all phrases: bounded by KEPT_DOCUMENTS
        self._lock = threading.Lock()

    def documents(self, field: str, words: list[str], within: npt.NDArray[Any]) -> Keys:
        """Return the documents where `words` follow each other in `field`: all of those
        in `within` (sorted, unique) and, as phrase_documents may, maybe some others."""
        key = (field, *words)
        found = self._kept.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            found = self._everywhere(field, words)
            self._keep(key, found)
        if found is None:  # too many documents hold the words: look at `within` only
            return phrase_documents(self.postings, field, words, within)
        return common(within, found) if len(found) else found

    def _keep(self, key: tuple[str, ...], found: Keys | None) -> None:
        """Keep `found` for `key`, dropping the oldest phrases past the bounds."""
        with self._lock:
            if key in self._kept:  # another thread found it meanwhile
                return
            self._kept[key] = found
            self._size += 0 if found is None else len(found)
            while len(self._kept) > PHRASES_KEPT or self._size > KEPT_DOCUMENTS:
                _, dropped = self._kept.popitem(last=False)
                self._size -= 0 if dropped is None else len(dropped)

    def _everywhere(self, field: str, words: list[str]) -> Keys | None:
        """Return every document where `words` follow each other in `field`, or None when
        more than ADJACENT_ALL documents hold them all."""
        holding: npt.NDArray[Any] | None = None
        for word in dict.fromkeys(words):
            docs = self.postings.get(field, word)[0]
            holding = docs if holding is None else common(holding, docs)
        if holding is None or len(holding) > ADJACENT_ALL:
            return None
        return phrase_documents(self.postings, field, words, holding)
