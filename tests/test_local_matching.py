"""search.local.searching.matching: query trees evaluated into NumPy masks and scores.

Each query is a Whoosh query object built here (not parsed), evaluated against tiny
literal indexes (tests/engine_support.py), and compared three ways: with the documents
listed by hand, with the documents Whoosh's own searcher finds for the same tree, and
with scores added up from the PostingCache contributions of its terms.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from engine_support import alive_mask, make_evaluator, names_of, open_reader, whoosh_matches
from whoosh import query as wq

from search.errors import SearchTimeout
from search.local.searching.matching import MAX_EXPANSION, Evaluation, Evaluator, Match

# Title terms of the five articles (engine_support.SEEDS), by document number:
#   0 airports: facial recognit airport    1 faces: recognit facial express
#   2 market:   cloud market grow          3 robots: robot airport
#   4 split:    facial cream win recognit


def title(text: str, boost: float = 1.0) -> Any:
    return wq.Term("title", text, boost=boost)


CASES: dict[str, tuple[Any, list[str]]] = {
    "term": (title("facial"), ["airports", "faces", "split"]),
    "and": (wq.And([title("facial"), title("airport")]), ["airports"]),
    "or": (wq.Or([title("robot"), title("cloud")]), ["market", "robots"]),
    "and-not-child": (wq.And([title("facial"), wq.Not(title("airport"))]), ["faces", "split"]),
    "not": (wq.Not(title("facial")), ["market", "robots"]),
    "and-not": (wq.AndNot(title("recognit"), title("express")), ["airports", "split"]),
    "phrase": (wq.Phrase("title", ["facial", "recognit"]), ["airports"]),
    "phrase-excerpt": (wq.Phrase("excerpt", ["facial", "recognit"]), ["faces"]),
    "phrase-over-a-stop-word": (wq.Phrase("title", ["recognit", "airport"]), ["airports"]),
    "phrase-with-slop": (wq.Phrase("title", ["facial", "recognit"], slop=3), ["airports", "split"]),
    "prefix": (wq.Prefix("title", "recog"), ["airports", "faces", "split"]),
    "prefix-of-two-terms": (wq.Prefix("excerpt", "fac"), ["airports", "faces", "split"]),
    "wildcard": (wq.Wildcard("title", "*port"), ["airports", "robots"]),
    "fuzzy": (wq.FuzzyTerm("title", "facal", maxdist=1), ["airports", "faces", "split"]),
    "or-of-a-phrase": (
        wq.Or([wq.Term("excerpt", "robot"), wq.Phrase("title", ["facial", "recognit"])]),
        ["airports", "robots"],
    ),
    "and-maybe": (wq.AndMaybe(title("facial"), title("airport")), ["airports", "faces", "split"]),
    "require": (wq.Require(title("facial"), title("airport")), ["airports"]),
    "every": (wq.Every(), ["airports", "faces", "market", "robots", "split"]),
    "nothing": (wq.NullQuery, []),
    "unknown-word": (title("zzqxjvwk"), []),
}


@pytest.fixture(scope="module")
def tiny(tiny_generation: Path) -> Iterator[Any]:
    with open_reader(tiny_generation) as reader:
        yield reader


@pytest.fixture(scope="module")
def evaluator(tiny: Any) -> Evaluator:
    return make_evaluator(tiny)


def evaluate(evaluator: Evaluator, query: Any, info: Evaluation | None = None) -> Match:
    match = evaluator.evaluate(query, info or Evaluation())
    assert match.mask.dtype == np.bool_ and match.scores.dtype == np.float32
    assert match.mask.shape == match.scores.shape == (evaluator.size,)
    return match


def contribution(evaluator: Evaluator, field: str, term: str) -> Any:
    """Return the term's BM25 contributions as a dense array."""
    dense = np.zeros(evaluator.size, np.float32)
    docs, scores = evaluator.postings.get(field, term)
    dense[docs] = scores
    return dense


@pytest.mark.parametrize(("query", "expected"), CASES.values(), ids=CASES.keys())
def test_matches_are_the_hand_listed_and_whoosh_s(
    tiny: Any, evaluator: Evaluator, query: Any, expected: list[str]
) -> None:
    match = evaluate(evaluator, query)
    found = np.flatnonzero(match.mask).tolist()
    assert names_of(tiny, found) == expected
    if query is not wq.NullQuery:
        assert found == whoosh_matches(tiny, query)
    assert np.all(match.scores[~match.mask] == 0), "no score outside the match"
    assert np.all(match.scores >= 0)


def test_term_scores_are_the_cached_contributions_times_the_boost(evaluator: Evaluator) -> None:
    plain = evaluate(evaluator, title("facial")).scores
    assert np.array_equal(plain, contribution(evaluator, "title", "facial"))
    boosted = evaluate(evaluator, title("facial", boost=3.0)).scores
    assert np.allclose(boosted, 3 * plain)


def test_and_and_or_add_their_children_s_scores(evaluator: Evaluator) -> None:
    facial = contribution(evaluator, "title", "facial")
    airport = contribution(evaluator, "title", "airport")
    both = evaluate(evaluator, wq.And([title("facial"), title("airport")]))
    assert np.allclose(both.scores, np.where(both.mask, facial + airport, 0))
    either = evaluate(evaluator, wq.Or([title("facial"), title("airport")]))
    assert np.allclose(either.scores, facial + airport)
    assert np.array_equal(either.mask, (facial > 0) | (airport > 0))


def test_and_maybe_adds_the_optional_part_require_does_not(evaluator: Evaluator) -> None:
    facial = contribution(evaluator, "title", "facial")
    airport = contribution(evaluator, "title", "airport")
    maybe = evaluate(evaluator, wq.AndMaybe(title("facial"), title("airport")))
    assert np.allclose(maybe.scores, np.where(facial > 0, facial + airport, 0))
    required = evaluate(evaluator, wq.Require(title("facial"), title("airport")))
    assert np.allclose(required.scores, np.where(required.mask, facial, 0))


def test_not_scores_nothing(evaluator: Evaluator) -> None:
    assert not evaluate(evaluator, wq.Not(title("facial"))).scores.any()
    kept = evaluate(evaluator, wq.AndNot(title("recognit"), title("express")))
    recognit = contribution(evaluator, "title", "recognit")
    assert np.allclose(kept.scores, np.where(kept.mask, recognit, 0))


def test_a_phrase_scores_as_the_sum_of_its_words_where_it_occurs(evaluator: Evaluator) -> None:
    words = contribution(evaluator, "title", "facial") + contribution(
        evaluator, "title", "recognit"
    )
    phrase = evaluate(evaluator, wq.Phrase("title", ["facial", "recognit"]))
    assert np.allclose(phrase.scores, np.where(phrase.mask, words, 0))
    assert phrase.mask.sum() == 1


def test_evaluation_records_the_terms_that_matched(evaluator: Evaluator) -> None:
    info = Evaluation()
    evaluate(
        evaluator,
        wq.And([wq.Prefix("title", "recog"), wq.Or([title("facial"), title("zzqxjvwk")])]),
        info,
    )
    assert info.terms == {"title": {"recognit", "facial"}}
    assert info.capped == []
    phrase = Evaluation()
    evaluate(evaluator, wq.Phrase("excerpt", ["facial", "recognit"], slop=2), phrase)
    assert phrase.terms == {"excerpt": {"facial", "recognit"}}


def test_an_or_is_kept_and_answers_the_same_again(evaluator: Evaluator) -> None:
    query = wq.Or([title("cloud"), wq.Prefix("title", "rob")])
    first_info, again_info = Evaluation(), Evaluation()
    first = evaluate(evaluator, query, first_info)
    assert evaluator.ors.get(query) is not None
    # An equal tree built anew is the same key: Whoosh queries compare by value.
    again = evaluate(evaluator, wq.Or([title("cloud"), wq.Prefix("title", "rob")]), again_info)
    assert np.array_equal(first.mask, again.mask) and np.array_equal(first.scores, again.scores)
    assert first_info.terms == again_info.terms == {"title": {"cloud", "robot"}}


def test_expansions_are_capped(notes_generation: Path) -> None:
    """tag000...tag299: 300 terms for the prefix, of which MAX_EXPANSION are searched."""
    with open_reader(notes_generation) as reader:
        info = Evaluation()
        match = make_evaluator(reader).evaluate(wq.Prefix("title", "tag"), info)
        assert info.capped == ["title:tag"]
        assert int(match.mask.sum()) == MAX_EXPANSION == len(info.terms["title"])
        assert sorted(info.terms["title"]) == [f"tag{n:03d}" for n in range(MAX_EXPANSION)]


def test_a_search_past_its_deadline_is_stopped(evaluator: Evaluator) -> None:
    late = Evaluation(deadline=time.monotonic() - 1, limit=0.25)
    with pytest.raises(SearchTimeout, match=r"0\.25 s"):
        evaluator.evaluate(wq.Or([title("market"), title("grow"), title("zzqxjvwk")]), late)


def test_deleted_documents_never_match(two_segment_generation: Path) -> None:
    with open_reader(two_segment_generation) as reader:
        evaluator = make_evaluator(reader)
        alive = alive_mask(reader)
        assert alive.tolist().count(False) == 1
        for query in (wq.Every(), wq.Not(title("facial")), title("airport"), title("robot")):
            match = evaluator.evaluate(query, Evaluation())
            assert not (match.mask & ~alive).any(), query
            assert np.flatnonzero(match.mask).tolist() == whoosh_matches(reader, query), query
        airport = evaluator.evaluate(title("airport"), Evaluation())
        assert names_of(reader, np.flatnonzero(airport.mask)) == ["airports", "robots"]


def test_an_and_of_ors_kept_as_documents_is_the_dense_and(
    tiny: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The AND of ORs kept as documents and scores (the shortcut) gives the mask and the
    float32 scores of the dense AND of its children's arrays (the long way), whether
    the ORs are kept as documents or dense."""
    words = ["facial", "recognit", "airport", "robot", "cloud", "market", "zzqxjvwk"]

    def either(word: str) -> Any:
        return wq.Or([title(word, 3.0), wq.Term("excerpt", word, boost=1.5)])

    for share in (0, 10**9):  # every OR kept as documents; every OR matching any kept dense
        monkeypatch.setattr("search.local.searching.or_cache.DENSE_SHARE", share)
        shortcut, long_way = make_evaluator(tiny), make_evaluator(tiny)
        for first, second in ((a, b) for a in words for b in words if a != b):
            query = wq.And([either(first), either(second), either("facial")])
            mask = np.ones(long_way.size, np.bool_)
            scores = np.zeros(long_way.size, np.float32)
            for child in query.subqueries:
                match = long_way.evaluate(child, Evaluation())
                mask &= match.mask
                scores += match.scores
            scores[~mask] = 0
            found = evaluate(shortcut, query)
            assert np.array_equal(found.mask, mask & alive_mask(tiny)), (first, second)
            assert found.scores.tobytes() == scores.tobytes(), (first, second)
        kept = [shortcut.ors.get(either(word)) for word in words[:-1]]  # all match something
        assert all(entry is not None and (entry.docs is None) == (share > 0) for entry in kept)
