"""Packed records (search/ingest/packed.py): the same sequence, read chunk by chunk."""

from __future__ import annotations

import pytest

from search.ingest.packed import CHUNK, Packed
from search.local.store.segments import split
from search.model import Article

ITEMS = [(number, f"item {number}") for number in range(2 * CHUNK + 7)]


def test_packed_is_the_same_sequence() -> None:
    packed = Packed(ITEMS)
    assert len(packed) == len(ITEMS)
    assert list(packed) == ITEMS
    assert [packed[i] for i in (0, CHUNK - 1, CHUNK, len(ITEMS) - 1, -1)] == [
        ITEMS[0],
        ITEMS[CHUNK - 1],
        ITEMS[CHUNK],
        ITEMS[-1],
        ITEMS[-1],
    ]
    assert packed[CHUNK - 2 : CHUNK + 3] == ITEMS[CHUNK - 2 : CHUNK + 3]
    assert packed[::CHUNK] == ITEMS[::CHUNK]


def test_out_of_range_and_empty() -> None:
    with pytest.raises(IndexError):
        Packed(ITEMS)[len(ITEMS)]
    with pytest.raises(IndexError):
        Packed(ITEMS)[-len(ITEMS) - 1]
    assert list(Packed([])) == []
    assert len(Packed([])) == 0


def test_split_gives_the_writers_contiguous_shares_in_order() -> None:
    documents = [Article(f"https://example.com/{n}", "article", f"T{n}", "a.md") for n in range(5)]
    shares = split(documents, workers=2)
    assert [list(share) for share in shares] == [documents[:3], documents[3:]]
    assert [len(share) for share in split(documents, workers=1)] == [5]
