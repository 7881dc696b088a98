"""search.local.searching.blocks: a term's postings decoded a whole block at a time into
NumPy arrays (document numbers, weights, position keys), compared posting by posting
with what stock Whoosh's reader gives, and with postings listed by hand.

Three indexes (tests/engine_support.py): five literal articles; 300 generated notes,
whose common terms span several blocks of 128 postings; and the five articles updated
incrementally into two segments, one document deleted from the first.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from engine_support import (
    NOTES,
    names_of,
    number_of,
    open_reader,
    text_terms,
    whoosh_postings,
)

from search.local.searching.blocks import POSITION_SPAN, read_term
from search.local.store.schema import TEXT_FIELDS

Posting = tuple[int, float, list[int]]  # (document number, weight, positions)


@pytest.fixture(scope="module")
def tiny(tiny_generation: Path) -> Iterator[Any]:
    with open_reader(tiny_generation) as reader:
        yield reader


@pytest.fixture(scope="module")
def notes(notes_generation: Path) -> Iterator[Any]:
    with open_reader(notes_generation) as reader:
        yield reader


@pytest.fixture(scope="module")
def two(two_segment_generation: Path) -> Iterator[Any]:
    with open_reader(two_segment_generation) as reader:
        yield reader


def decoded(reader: Any, field: str, term: str, want_values: bool = True) -> list[Posting]:
    """Return the term's postings as read_term decodes them, in Whoosh's form."""
    found: list[Posting] = []
    for postings, offset in read_term(reader, field, term, want_values):
        assert postings.ids.dtype == np.int64 and postings.weights.dtype == np.float32
        assert len(postings.ids) == len(postings.weights)
        keys = postings.position_keys(offset)
        assert np.all(np.diff(keys) > 0), "position keys are sorted and distinct"
        documents, positions = keys // POSITION_SPAN, keys % POSITION_SPAN
        for number, weight in zip(postings.ids + offset, postings.weights, strict=True):
            at = positions[documents == number]
            found.append((int(number), float(weight), [int(p) for p in at]))
    return found


HAND_LISTED: dict[str, tuple[str, str, list[tuple[str, float, list[int]]]]] = {
    # Stop words leave no position: "in airports" follows "recognition" directly.
    "title-facial": (
        "title",
        "facial",
        [("airports", 1, [0]), ("faces", 1, [1]), ("split", 1, [0])],
    ),
    "title-recognit": (
        "title",
        "recognit",
        [("airports", 1, [1]), ("faces", 1, [0]), ("split", 1, [3])],
    ),
    "title-airport": ("title", "airport", [("airports", 1, [2]), ("robots", 1, [1])]),
    # One document: Whoosh keeps such postings inline, without a block.
    "excerpt-robot-three-times": ("excerpt", "robot", [("robots", 3, [0, 1, 3])]),
    "excerpt-market-twice": ("excerpt", "market", [("market", 2, [0, 3])]),
    "body-market": ("body", "market", [("market", 1, [0])]),
    "topic-ai": ("topic", "ai", [("airports", 1, [0]), ("faces", 1, [0])]),
    "provider-domain": ("provider", "reuters.com", [("airports", 1, [1]), ("robots", 1, [1])]),
}


@pytest.mark.parametrize(
    ("field", "term", "expected"), HAND_LISTED.values(), ids=HAND_LISTED.keys()
)
def test_known_terms_decode_to_the_hand_listed_postings(
    tiny: Any, field: str, term: str, expected: list[tuple[str, float, list[int]]]
) -> None:
    got = decoded(tiny, field, term)
    assert [(names_of(tiny, [n])[0], w, p) for n, w, p in got] == expected
    assert got == whoosh_postings(tiny, field, term)


def test_every_text_term_decodes_as_whoosh_reads_it(tiny: Any) -> None:
    terms = text_terms(tiny, TEXT_FIELDS)
    assert len(terms) > 40
    for field, term in terms:
        assert decoded(tiny, field, term) == whoosh_postings(tiny, field, term), (field, term)


def test_without_values_there_are_no_positions(tiny: Any) -> None:
    (postings, offset), *_ = read_term(tiny, "title", "facial", want_values=False)
    assert offset == 0 and postings.values == []
    assert postings.position_keys(offset).tolist() == []
    assert [(n, w) for n, w, _ in decoded(tiny, "title", "facial", want_values=False)] == [
        (n, w) for n, w, _ in whoosh_postings(tiny, "title", "facial")
    ]


def test_a_term_nobody_has_has_no_postings(tiny: Any) -> None:
    assert read_term(tiny, "title", "zzqxjvwk", want_values=True) == []
    assert read_term(tiny, "excerpt", "facial ", want_values=True) == []


def test_postings_over_several_blocks(notes: Any) -> None:
    """300 postings are three blocks (128, 128, 44): ids are delta-coded within each."""
    market = decoded(notes, "title", "market")
    assert market == [(n, 2.0, [0, 1]) if n % 5 == 0 else (n, 1.0, [0]) for n in range(NOTES)]
    assert decoded(notes, "title", "even") == [
        (n, 1.0, [2 if n % 5 else 3]) for n in range(0, NOTES, 2)
    ]
    assert decoded(notes, "excerpt", "beta") == [
        (n, 1.0, [1] if n % 4 == 0 else [0]) for n in range(NOTES)
    ]
    assert decoded(notes, "excerpt", "alpha") == [(n, 2.0, [0, 2]) for n in range(0, NOTES, 4)]
    assert decoded(notes, "title", "tag123") == [(123, 1.0, [1])]


def test_every_term_of_the_notes_decodes_as_whoosh_reads_it(notes: Any) -> None:
    terms = text_terms(notes, TEXT_FIELDS)
    assert len(terms) > NOTES
    for field, term in terms:
        assert decoded(notes, field, term) == whoosh_postings(notes, field, term), (field, term)


def test_segments_are_read_with_their_offsets(two: Any) -> None:
    """Segment 1 holds documents 0-4 (robots deleted), segment 2 documents 5-6."""
    assert [(offset, segment.doc_count_all()) for segment, offset in two.leaf_readers()] == [
        (0, 5),
        (5, 2),
    ]
    parts = read_term(two, "title", "airport", want_values=True)
    assert [offset for _, offset in parts] == [0, 5]
    assert names_of(two, [n for n, _, _ in decoded(two, "title", "airport")]) == [
        "airports",
        "robots",
    ]
    only_new = read_term(two, "title", "leav", want_values=True)
    assert [offset for _, offset in only_new] == [5]
    assert decoded(two, "title", "leav") == [(number_of(two, "robots"), 1.0, [1])]


def test_deleted_documents_are_never_decoded(two: Any) -> None:
    deleted = [n for n in range(two.doc_count_all()) if two.is_deleted(n)]
    assert len(deleted) == 1
    for field, term in text_terms(two, TEXT_FIELDS):
        got = decoded(two, field, term)
        assert got == whoosh_postings(two, field, term), (field, term)
        assert not {n for n, _, _ in got} & set(deleted), (field, term)
