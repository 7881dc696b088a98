"""search.local.searching.phrases: phrases as chains of sorted intersections over the
position keys (document * POSITION_SPAN + position) of a generation's PostingCache.

Phrases are checked against tiny literal indexes (tests/engine_support.py), with the
documents listed by hand and with what Whoosh's own Phrase query finds; `common`, the
sorted intersection under it, against NumPy's intersect1d on both of its strategies;
Adjacency, which proximity re-ranking asks, against phrases within each window.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from engine_support import NOTES, names_of, open_reader, whoosh_matches
from whoosh import query as wq

from search.local.searching import phrases
from search.local.searching.phrases import ADJACENT_ALL, Adjacency, common, phrase_documents
from search.local.searching.postings import PostingCache
from search.local.searching.ranking import EXCERPT_BONUS, TITLE_BONUS, holding, rerank

# Positions of the articles' title and excerpt terms (engine_support.SEEDS):
#   airports: title facial 0 recognit 1 airport 2; excerpt airport 0 adopt 1 face 2 scan 3
#   faces:    title recognit 0 facial 1 express 2; excerpt facial 0 recognit 1 research 2
#   split:    title facial 0 cream 1 win 2 recognit 3;
#             excerpt facial 1 clinic 2 get 3 nation 4 recognit 5 ("A" is too short)
#   robots:   excerpt robot 0 robot 1 more 2 robot 3 learn 4 recognit 5
PHRASES: dict[str, tuple[str, list[str], list[str]]] = {
    "two-words": ("title", ["facial", "recognit"], ["airports"]),
    "the-other-order": ("title", ["recognit", "facial"], ["faces"]),
    "over-a-stop-word": ("title", ["recognit", "airport"], ["airports"]),
    "three-words": ("title", ["facial", "recognit", "airport"], ["airports"]),
    "in-the-excerpt": ("excerpt", ["facial", "recognit"], ["faces"]),
    "a-word-twice": ("excerpt", ["robot", "robot"], ["robots"]),
    "a-word-three-times": ("excerpt", ["robot", "robot", "robot"], []),
    "words-apart": ("title", ["facial", "win"], []),
    "one-word": ("title", ["recognit"], ["airports", "faces", "split"]),
    "an-unknown-word": ("title", ["facial", "zzqxjvwk"], []),
    "across-fields": ("title", ["airport", "adopt"], []),
}


@pytest.fixture(scope="module")
def tiny(tiny_generation: Path) -> Iterator[Any]:
    with open_reader(tiny_generation) as reader:
        yield reader


@pytest.fixture(scope="module")
def postings(tiny: Any) -> PostingCache:
    return PostingCache(tiny, tiny.doc_count_all())


@pytest.mark.parametrize(("field", "words", "expected"), PHRASES.values(), ids=PHRASES.keys())
def test_phrases_are_the_hand_listed_and_whoosh_s(
    tiny: Any, postings: PostingCache, field: str, words: list[str], expected: list[str]
) -> None:
    found = phrase_documents(postings, field, words)
    assert found.dtype == np.int64
    assert names_of(tiny, found) == expected
    assert found.tolist() == whoosh_matches(tiny, wq.Phrase(field, words))


def test_within_gives_the_same_answer_for_its_documents(postings: PostingCache) -> None:
    """`within` narrows the work, not the answer's meaning: for its documents the answer
    is the one without it, and nothing outside the full answer is ever named. (Documents
    outside `within` may be named when they are cheap to keep: the proximity re-ranking,
    its caller, looks its own window up in the answer.)"""
    subsets = [[n for n in range(5) if mask >> n & 1] for mask in range(32)]
    for field, words, _ in PHRASES.values():
        full = set(phrase_documents(postings, field, words).tolist())
        for subset in subsets:
            within = np.array(subset, np.int64)
            got = set(phrase_documents(postings, field, words, within).tolist())
            assert got <= full, (words, subset)
            assert got & set(subset) == full & set(subset), (words, subset)


def test_a_phrase_found_twice_in_a_document_names_it_once(notes_generation: Path) -> None:
    """Excerpts of every fourth note are "alpha beta alpha": beta-alpha once, alpha twice."""
    with open_reader(notes_generation) as reader:
        postings = PostingCache(reader, reader.doc_count_all())
        every_fourth = list(range(0, NOTES, 4))
        assert phrase_documents(postings, "excerpt", ["alpha", "beta"]).tolist() == every_fourth
        assert phrase_documents(postings, "excerpt", ["beta", "alpha"]).tolist() == every_fourth
        found = phrase_documents(postings, "excerpt", ["alpha", "beta", "alpha"])
        assert found.tolist() == every_fourth
        assert found.tolist() == whoosh_matches(reader, wq.Phrase("excerpt", ["alpha", "beta"]))
        # A few candidate documents among many positions: only theirs are looked at, so
        # only they can be named.
        within = np.array([4, 8, 9, 200])
        assert phrase_documents(postings, "excerpt", ["alpha", "beta"], within).tolist() == [
            4,
            8,
            200,
        ]
        # "market market" opens every fifth title.
        fifth = phrase_documents(postings, "title", ["market", "market"])
        assert fifth.tolist() == list(range(0, NOTES, 5))


def sorted_unique(values: list[int]) -> Any:
    return np.array(sorted(set(values)), np.int64)


@pytest.mark.parametrize(
    ("small", "large"),
    [
        ([3, 7, 100], list(range(0, 2000, 7))),  # a few lookups: binary search
        (list(range(0, 300, 3)), list(range(0, 300, 2))),  # similar sizes: one merge
        ([], [1, 2, 3]),
        ([5], [5]),
        ([1, 2], [3, 4]),
        ([0, 10**15, 2**40], [2**40, 10**15]),  # position keys are large int64s
    ],
    ids=["binary-search", "merge", "empty", "one-in-both", "disjoint", "large-keys"],
)
def test_common_is_the_sorted_intersection(small: list[int], large: list[int]) -> None:
    a, b = sorted_unique(small), sorted_unique(large)
    expected = np.intersect1d(a, b).tolist()
    for values, others in ((a, b), (b, a)):
        got = common(values, others)
        assert got.dtype == np.int64 and got.tolist() == expected


def test_common_takes_other_integer_types(postings: PostingCache) -> None:
    docs = postings.get("title", "facial")[0]  # int32 document numbers
    assert docs.dtype == np.int32
    other = np.array([0, 1, 2, 3], np.int64)
    got = common(docs, other)
    assert got.dtype == np.int64
    assert got.tolist() == np.intersect1d(docs, other).tolist()
    # a few int64 values looked up in many int32 ones (in their type when they fit):
    # the sorted intersection, values beyond int32 included
    rng = np.random.default_rng(5)
    many = np.unique(rng.integers(0, 2**31 - 1, 5000)).astype(np.int32)
    for few in (
        np.unique(np.concatenate([rng.choice(many, 20), rng.integers(0, 2**31 - 1, 20)])),
        np.array([-(2**40), int(many[3]), int(many[-1]), 2**31 - 1, 2**40], np.int64),
        np.zeros(0, np.int64),
    ):
        few = few.astype(np.int64)
        want = np.intersect1d(few, many.astype(np.int64)).tolist()
        for a, b in ((few, many), (many, few)):
            got = common(a, b)
            assert got.dtype == np.int64 and got.tolist() == want


def test_holding_is_isin_for_sorted_found() -> None:
    rng = np.random.default_rng(9)
    for trial in range(200):
        numbers = rng.permutation(rng.integers(0, 300, int(rng.integers(1, 120))))
        found = np.unique(rng.integers(-5, 320, int(rng.integers(1, 40))))
        want = np.isin(numbers, found)
        assert holding(numbers, found).tolist() == want.tolist(), trial


def test_proximity_reranking_equals_adding_every_pairs_bonus(postings: PostingCache) -> None:
    # rerank skips pairs adjacent nowhere in the window and tests membership by binary
    # search: the same order and scores as adding each pair's np.isin bonus, 0 or not.
    def adjacent(field: str, words: list[str], docs: np.ndarray) -> np.ndarray:
        return phrase_documents(postings, field, words, docs)

    documents = np.arange(postings.size)
    rng = np.random.default_rng(3)
    stem_lists = [["facial", "recognit", "airport"], ["recognit", "facial"], ["robot", "robot"]]
    stem_lists += [["zzqxjvwk", "facial"], ["facial", "win", "cream"]]
    for stems in stem_lists:
        for _ in range(5):
            numbers = rng.permutation(documents).astype(np.int64)
            scores = rng.random(len(numbers)).astype(np.float32)
            share = np.zeros(len(numbers), np.float32)
            pairs = list(itertools.pairwise(stems))
            window = np.sort(numbers)
            for field, bonus in (("title", TITLE_BONUS), ("excerpt", EXCERPT_BONUS)):
                for first, second in pairs:
                    together = adjacent(field, [first, second], window)
                    share += bonus * np.isin(numbers, together) / len(pairs)
            boosted = (scores + float(scores.max()) * share).astype(np.float32)
            order = np.argsort(-boosted, kind="stable")
            got_numbers, got_scores = rerank(numbers, scores, stems, adjacent)
            assert got_numbers.tolist() == numbers[order].tolist()
            assert got_scores.tobytes() == boosted[order].tobytes()


@pytest.mark.parametrize("limit", [ADJACENT_ALL, 0], ids=["kept-everywhere", "within-only"])
def test_adjacency_answers_as_the_phrase_within_each_window(
    tiny: Any, postings: PostingCache, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    """Adjacency.documents, found once among every document holding the words (or, past
    ADJACENT_ALL of them, among each window), gives phrase_documents(within)'s documents
    of the window for every phrase of PHRASES and every window of the tiny index's
    documents, asked twice."""
    monkeypatch.setattr(phrases, "ADJACENT_ALL", limit)
    adjacency = Adjacency(postings)
    documents = list(range(tiny.doc_count_all()))
    windows = [
        np.array(window, np.int64)
        for size in range(len(documents) + 1)
        for window in itertools.combinations(documents, size)
    ]
    for _ in range(2):
        for field, words, _ in PHRASES.values():
            for window in windows:
                # phrase_documents may also name documents outside a large `within`
                # (it narrows the work, not the answer): compare inside the window
                expected = np.intersect1d(phrase_documents(postings, field, words, window), window)
                found = adjacency.documents(field, words, window)
                assert found.dtype == np.int64
                assert np.intersect1d(found, window).tolist() == expected.tolist()
    kept = adjacency._kept[("title", "facial", "recognit")]
    assert (kept is None) == (limit == 0)
    assert kept is None or names_of(tiny, kept) == ["airports"]


def test_adjacency_keeps_at_most_its_budget_of_documents_oldest_dropped_first(
    postings: PostingCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past KEPT_DOCUMENTS documents over all phrases, the oldest phrases are dropped
    (one document each here: "one-word" alone holds three), and answers stay right."""
    monkeypatch.setattr(phrases, "KEPT_DOCUMENTS", 3)
    adjacency = Adjacency(postings)
    everything = np.arange(postings.size, dtype=np.int64)
    for name in ("two-words", "the-other-order", "in-the-excerpt", "one-word"):
        field, words, _ = PHRASES[name]
        found = adjacency.documents(field, words, everything)
        assert found.tolist() == phrase_documents(postings, field, words).tolist()
    assert list(adjacency._kept) == [("title", "recognit")]
    assert adjacency._size == 3
