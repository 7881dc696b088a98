"""Evaluated ORs, kept per generation: a word or a phrase searched over every text field.

A plain query word becomes an OR of that word (and, for the last word, its prefix
expansions) over five fields, a quoted phrase an OR of five phrases: evaluating those
is most of a search's matching time, and readers repeat the same words. So the result
of each OR is kept, bounded in bytes: dense arrays when a quarter of the documents or
more match (zero-copy to use, and smaller than a sparse list by then), else the
matching documents and their scores.

Entries are found by the node's repr, not by Whoosh's own hash: that XORs a node's
parts, so a word searched over an even number of fields cancels out of it and the ORs
of different words collide (a lookup then compared hundreds of trees, ~0.3 ms). The
nodes of cached plans recur as the same objects, so each is keyed once, by identity.
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
KNOWN_NODES = 8192  # query nodes whose key is remembered by identity (parsed trees are kept)


class _Key:
    """A query node as a dictionary key: hashed by its repr, equal by value."""

    __slots__ = ("hash", "node", "text")

    def __init__(self, node: Any) -> None:
        self.node = node
        self.text = repr(node)
        self.hash = hash(self.text)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and self.text == other.text and bool(self.node == other.node)


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
        self._entries: OrderedDict[_Key, Entry] = OrderedDict()
        self._known: dict[int, tuple[Any, _Key | None]] = {}  # id(node) -> (node, its key)
        self._bytes = 0
        self._lock = threading.Lock()

    def _key(self, node: Any) -> _Key | None:
        """Return the key of query node `node` (None: it cannot be hashed, so is never
        kept), made once per node object."""
        known = self._known.get(id(node))
        if known is not None and known[0] is node:
            return known[1]
        try:
            hash(node)
        except TypeError:
            key = None
        else:
            key = _Key(node)
        if len(self._known) >= KNOWN_NODES:  # bounded: nodes come and go with parsed trees
            self._known.clear()
        self._known[id(node)] = (node, key)  # holding the node keeps its id unique
        return key

    def get(self, node: Any) -> Entry | None:
        """Return the entry of query node `node`, or None."""
        key = self._key(node)
        return self._entries.get(key) if key is not None else None

    def put(
        self,
        node: Any,
        mask: npt.NDArray[np.bool_],
        scores: npt.NDArray[np.float32],
        terms: dict[str, set[str]],
        capped: list[str],
    ) -> Entry:
        """Keep the match of query node `node` (its arrays must not change afterwards);
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
        key = self._key(node)
        if key is not None:
            with self._lock:
                if key not in self._entries:  # another thread may have just kept it
                    self._entries[key] = entry
                    self._bytes += entry.nbytes
                while self._bytes > self.budget and len(self._entries) > 1:
                    _, evicted = self._entries.popitem(last=False)
                    self._bytes -= evicted.nbytes
        return entry

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
