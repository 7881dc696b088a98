"""A term's postings read out of a Whoosh segment into NumPy arrays, whole blocks at once.

Whoosh stores postings in blocks of up to 128: a pickled tuple of delta-coded ids,
weights and values. Its matcher decodes them one posting at a time in Python; here
each block's tuple is only unpickled (by Whoosh) and collected, and all the decoding
(ids, weights, the positions inside the values) is done once per term by NumPy.
The blocks are read through whoosh_compat (they are Whoosh's private state); matchers
without blocks (inlined postings of rare terms, or any other codec) are read through
the public matcher interface.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh.reading import TermNotFound

from search.local.whoosh_compat import raw_blocks, reads_blocks

POSITION_SPAN = 1 << 32  # positions are uint32, so document * span + position never collides


class Postings:
    """The raw postings of a term in one segment, in document order."""

    def __init__(self, matcher: Any, want_values: bool) -> None:
        self.ids: npt.NDArray[np.int64]
        self.weights: npt.NDArray[np.float32]
        self.values: list[bytes] = []  # each posting's value, when asked for
        deltas: list[int] = []
        sizes: list[int] = []
        weights: list[float] = []
        if reads_blocks(matcher):
            for ids, block_weights, values in raw_blocks(matcher):
                deltas += ids
                sizes.append(len(ids))
                weights += block_weights
                if want_values and values:
                    self.values += values
            # Ids are delta-coded from zero within each block: a running sum over all
            # blocks, less the sum at the start of each block.
            running = np.cumsum(np.asarray(deltas, dtype=np.int64))
            ends = np.cumsum(sizes)
            bases = np.concatenate([[0], running[ends[:-1] - 1]]) if sizes else running[:0]
            self.ids = running - np.repeat(bases, sizes)
        else:
            numbers: list[int] = []
            while matcher.is_active():
                numbers.append(matcher.id())
                weights.append(matcher.weight())
                if want_values:
                    self.values.append(matcher.value())
                matcher.next()
            self.ids = np.asarray(numbers, dtype=np.int64)
        self.weights = np.asarray(weights, dtype=np.float32)

    def position_keys(self, offset: int) -> npt.NDArray[np.int64]:
        """Return (document + offset) * POSITION_SPAN + position for every position.

        Each value is FastPositions' encoding: a 4-byte count, then the positions as
        little-endian uint32."""
        if not self.values:
            return np.zeros(0, np.int64)
        lengths = np.fromiter(map(len, self.values), np.int64, len(self.values)) // 4
        words = np.frombuffer(b"".join(self.values), dtype="<u4")
        keep = np.ones(len(words), np.bool_)
        keep[np.cumsum(lengths) - lengths] = False  # drop each value's count word
        docs = np.repeat(self.ids + offset, lengths - 1)
        return docs * POSITION_SPAN + words[keep].astype(np.int64)


def read_term(reader: Any, field: str, term: str, want_values: bool) -> list[tuple[Postings, int]]:
    """Return the postings of `term` in each segment of `reader` holding it, with the
    segment's first document number."""
    found: list[tuple[Postings, int]] = []
    for segment, offset in reader.leaf_readers():
        try:  # one look-up of the term, not a test of it first and a second to read it
            matcher = segment.postings(field, term)
        except TermNotFound:
            continue
        found.append((Postings(matcher, want_values), offset))
    return found
