"""search.local.searching.postings: a generation's term postings as (document numbers,
BM25 contributions) and position keys, cached; and the field lengths BM25 reads.

Compared with stock Whoosh on tiny literal indexes (tests/engine_support.py): the
documents with Whoosh's reader, the scores with Whoosh's own BM25F scorer set to the
engine's parameters, the lengths with Whoosh's per-document calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from engine_support import names_of, open_reader, text_terms, whoosh_postings
from whoosh import query as wq
from whoosh import scoring
from whoosh.searching import Searcher

from search.local.searching.blocks import POSITION_SPAN
from search.local.searching.postings import B_DEFAULT, K1, B, PostingCache, field_lengths
from search.local.store.schema import TEXT_FIELDS


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


def cache_of(reader: Any) -> PostingCache:
    return PostingCache(reader, reader.doc_count_all())


def whoosh_bm25(reader: Any, field: str, term: str) -> dict[int, float]:
    """Return {document: score} of `term` by Whoosh's BM25F with the engine's K1 and Bs."""
    weighting = scoring.BM25F(B=B_DEFAULT, K1=K1, **{f"{name}_B": b for name, b in B.items()})
    scores: dict[int, float] = {}
    with Searcher(reader, weighting=weighting, closereader=False) as searcher:
        matcher = wq.Term(field, term).matcher(searcher)
        while matcher.is_active():
            scores[int(matcher.id())] = float(matcher.score())
            matcher.next()
    return scores


@pytest.mark.parametrize("index", ["tiny", "notes"])
def test_scores_are_whoosh_bm25f(index: str, request: pytest.FixtureRequest) -> None:
    """Without deleted documents, every term's contributions are Whoosh's BM25F scores."""
    reader = request.getfixturevalue(index)
    postings = cache_of(reader)
    for field, term in text_terms(reader, TEXT_FIELDS):
        docs, scores = postings.get(field, term)
        assert docs.dtype == np.int32 and scores.dtype == np.float32
        expected = whoosh_bm25(reader, field, term)
        assert docs.tolist() == list(expected), (field, term)
        assert np.allclose(scores, list(expected.values()), rtol=1e-5), (field, term)


def test_shorter_fields_and_repeated_words_score_higher(tiny: Any, notes: Any) -> None:
    docs, scores = cache_of(tiny).get("title", "facial")
    assert names_of(tiny, docs) == ["airports", "faces", "split"]
    # Three title words in airports and faces, four in split: the shorter field says more.
    assert scores[0] == pytest.approx(scores[1]) and scores[2] < scores[0]
    # Note 10's title is "market market tag010 even", note 2's "market tag002 even".
    docs, scores = cache_of(notes).get("title", "market")
    assert docs[[2, 10]].tolist() == [2, 10] and scores[10] > scores[2] > 0


def test_documents_and_positions_match_whoosh_across_segments(two: Any) -> None:
    postings = cache_of(two)
    for field, term in text_terms(two, TEXT_FIELDS):
        expected = whoosh_postings(two, field, term)
        docs, scores = postings.get(field, term)
        assert docs.tolist() == [n for n, _, _ in expected], (field, term)
        assert np.all(scores > 0) and np.all(np.isfinite(scores))
        keys = [n * POSITION_SPAN + p for n, _, positions in expected for p in positions]
        assert postings.positions(field, term).tolist() == keys, (field, term)


def test_deleted_documents_leave_the_counts(two: Any) -> None:
    postings = cache_of(two)
    assert postings.documents == two.doc_count() == 6
    docs, _ = postings.get("title", "robot")
    assert names_of(two, docs) == ["robots"]
    assert not two.is_deleted(int(docs[0]))


def test_position_keys_by_hand(tiny: Any) -> None:
    postings = cache_of(tiny)
    keys = postings.positions("excerpt", "robot")
    (robots,) = postings.get("excerpt", "robot")[0]
    assert [divmod(int(k), POSITION_SPAN) for k in keys] == [(robots, 0), (robots, 1), (robots, 3)]


def test_a_term_nobody_has_is_empty(tiny: Any) -> None:
    postings = cache_of(tiny)
    docs, scores = postings.get("title", "zzqxjvwk")
    assert (docs.tolist(), scores.tolist()) == ([], [])
    assert postings.positions("title", "zzqxjvwk").tolist() == []
    assert postings.doc_frequency("title", "zzqxjvwk") == 0


def test_doc_frequency_is_whoosh_s(tiny: Any) -> None:
    postings = cache_of(tiny)
    for field, term in text_terms(tiny, TEXT_FIELDS):
        assert postings.doc_frequency(field, term) == tiny.doc_frequency(field, term)
    assert postings.doc_frequency("title", "recognit") == 3


def test_answers_are_cached_read_only_arrays(tiny: Any) -> None:
    postings = cache_of(tiny)
    first = postings.get("title", "airport")
    assert postings.get("title", "airport")[0] is first[0]
    assert postings.positions("title", "airport") is postings.positions("title", "airport")
    for array in (*first, postings.positions("title", "airport")):
        assert not array.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0
    # Positions asked first, then scores: both from one read, both right.
    other = cache_of(tiny)
    assert other.positions("body", "market").tolist() == [2 * POSITION_SPAN + 0]
    assert other.get("body", "market")[0].tolist() == [2]


def test_warm_reads_the_terms_of_enough_documents_once(tiny: Any) -> None:
    postings = cache_of(tiny)
    terms = text_terms(tiny, TEXT_FIELDS)
    common = [(f, t) for f, t in terms if tiny.doc_frequency(f, t) >= 2]
    assert 0 < len(common) < len(terms)
    assert postings.warm(terms, 2, budget=10**6, stop=lambda: False) == len(common)
    assert postings.warm(terms, 2, budget=10**6, stop=lambda: False) == 0, "already cached"
    for field, term in common:
        assert postings.get(field, term)[0].tolist() == [
            n for n, _, _ in whoosh_postings(tiny, field, term)
        ]


def test_warm_stops_when_told_or_out_of_budget(tiny: Any) -> None:
    terms = text_terms(tiny, TEXT_FIELDS)
    assert cache_of(tiny).warm(terms, 1, budget=10**6, stop=lambda: True) == 0
    assert cache_of(tiny).warm(terms, 1, budget=0, stop=lambda: False) == 0
    # A budget of one posting: the first term fills it.
    assert cache_of(tiny).warm(terms, 1, budget=1, stop=lambda: False) == 1


@pytest.mark.parametrize("index", ["tiny", "two"])
def test_field_lengths_are_whoosh_s(index: str, request: pytest.FixtureRequest) -> None:
    reader = request.getfixturevalue(index)
    size = reader.doc_count_all()
    for name in TEXT_FIELDS:
        expected = [reader.doc_field_length(n, name) or 0 for n in range(size)]
        lengths = field_lengths(reader, name, size)
        assert lengths.dtype == np.float32 and lengths.tolist() == expected, name


def test_field_lengths_by_hand(tiny: Any) -> None:
    size = tiny.doc_count_all()
    assert names_of(tiny, range(size)) == ["airports", "faces", "market", "robots", "split"]
    assert field_lengths(tiny, "title", size).tolist() == [3, 3, 3, 2, 4]
    # Only airports and market have a body ("at", "the" are stop words).
    assert field_lengths(tiny, "body", size).tolist() == [3, 0, 3, 0, 0]


@pytest.mark.parametrize("index", ["tiny", "notes"])
def test_without_deletions_the_postings_count_the_documents(
    index: str, request: pytest.FixtureRequest
) -> None:
    """A generation without deleted documents takes each term's document frequency from
    its postings (no second look-up): the same scores, to the bit, as asking Whoosh."""
    reader = request.getfixturevalue(index)
    shortcut, long_way = cache_of(reader), cache_of(reader)
    assert shortcut._whole
    long_way._whole = False  # as with deletions: reader.doc_frequency
    for field, term in text_terms(reader, TEXT_FIELDS):
        docs, scores = shortcut.get(field, term)
        assert len(docs) == reader.doc_frequency(field, term), (field, term)
        assert scores.tobytes() == long_way.get(field, term)[1].tobytes(), (field, term)


def test_with_deletions_whoosh_counts_the_documents(two: Any) -> None:
    assert not cache_of(two)._whole  # its deleted robots still count in Whoosh's figures
