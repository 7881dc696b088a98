"""Phrase and adjacency lookups over the cached position keys of a generation.

A position key is document * POSITION_SPAN + position, sorted per term, so two words
are adjacent in a document exactly when key + 1 of the first is a key of the second:
a phrase is a chain of sorted intersections.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from search.local.searching.blocks import POSITION_SPAN
from search.local.searching.postings import PostingCache

Keys = npt.NDArray[np.int64]
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


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
