"""search.local.searching.text_matches: a query text's match kept per generation, as its
documents (with their scores and tiers) when few match and nothing else scores, else as
the read-only dense arrays, within a byte budget; and searches answered from it exactly
as evaluated afresh."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from api_contract import BuiltIndex

from search.local import LocalBackend
from search.local.searching.matching import Evaluation, Match
from search.local.searching.or_cache import DENSE_SHARE
from search.local.searching.text_matches import KeptText, TextMatches, packed
from search.request import SearchRequest
from search.results import Matching

SIZE = 100
MATCHING = Matching("most", 2, 1, [], [])


def match(docs: list[int], tiers: list[int] | None = None, listed: bool = True) -> Match:
    """Return a Match of `docs` scored 1.5, 2.5, ... (and `tiers` of them, if given)."""
    mask = np.zeros(SIZE, np.bool_)
    mask[docs] = True
    scores = np.zeros(SIZE, np.float32)
    scores[docs] = np.arange(len(docs), dtype=np.float32) + 1.5
    tier_array = None
    if tiers is not None:
        tier_array = np.zeros(SIZE, np.int8)
        tier_array[docs] = tiers
    numbers = np.array(docs, np.int64) if listed else None
    return Match(mask, scores, tier_array, numbers)


def info() -> Evaluation:
    found = Evaluation()
    found.terms = {"title": {"cat", "cats"}}
    found.capped = ["title:ca*"]
    return found


def same(first: Match, second: Match) -> bool:
    """Return True when two Matches hold equal arrays (and list the same documents)."""
    pairs: list[tuple[Any, Any]] = [
        (first.mask, second.mask),
        (first.scores, second.scores),
        (first.tiers, second.tiers),
        (first.docs, second.docs),
    ]
    for one, other in pairs:
        if (one is None) != (other is None):
            return False
        if one is not None and not (np.array_equal(one, other) and one.dtype == other.dtype):
            return False
    return True


def test_a_few_documents_are_kept_as_documents_scores_and_tiers() -> None:
    original = match([3, 50, 97], tiers=[1, 0, 1])
    kept = packed(original, MATCHING, ["cat", "dog"], info())
    assert kept.mask is None and kept.docs is not None and kept.tiers is not None
    assert kept.docs.tolist() == [3, 50, 97] and kept.scores.tolist() == [1.5, 2.5, 3.5]
    assert kept.tiers.tolist() == [1, 0, 1]
    assert kept.nbytes == 3 * 8 + 3 * 4 + 3 * 1
    assert (kept.matching, kept.words, kept.capped) == (MATCHING, ("cat", "dog"), ("title:ca*",))
    assert kept.terms == {"title": frozenset({"cat", "cats"})}
    back = kept.match(SIZE)
    assert same(back, original)
    assert back.mask is not original.mask and back.mask.flags.writeable  # the search's own
    assert not kept.docs.flags.writeable and not kept.scores.flags.writeable


def test_documents_not_listed_stay_unlisted() -> None:
    original = match([4, 8], listed=False)
    kept = packed(original, None, ["cat"], Evaluation())
    assert kept.docs is not None and kept.docs.tolist() == [4, 8]
    assert same(kept.match(SIZE), original)  # docs None again: the search lists them itself


def test_a_score_outside_the_documents_keeps_the_arrays() -> None:
    """A deleted document keeps the score of a word its mask no longer shows: rebuilt
    from the documents, the scores would lose it."""
    original = match([3, 50])
    original.scores[7] = 9.0  # not in the mask
    kept = packed(original, None, ["cat"], Evaluation())
    assert kept.mask is original.mask and kept.scores is original.scores
    assert same(kept.match(SIZE), original)


def test_a_quarter_or_more_is_kept_as_the_arrays_themselves_read_only() -> None:
    original = match(list(range(0, SIZE, DENSE_SHARE)), tiers=[1] * (SIZE // DENSE_SHARE))
    kept = packed(original, None, ["cat"], Evaluation())
    assert kept.mask is original.mask and kept.tiers is original.tiers
    assert kept.nbytes == SIZE * (1 + 4 + 1) + (SIZE // DENSE_SHARE) * 8
    back = kept.match(SIZE)
    assert back.mask is original.mask and same(back, original)  # zero-copy
    assert not original.mask.flags.writeable and not original.scores.flags.writeable


def test_what_evaluating_found_is_added_to_each_search() -> None:
    kept = packed(match([1]), None, ["cat"], info())
    search = Evaluation()
    search.terms = {"title": {"dog"}, "body": {"cat"}}
    kept.add_to(search)
    kept.add_to(search)
    assert search.terms == {"title": {"dog", "cat", "cats"}, "body": {"cat"}}
    assert search.capped == ["title:ca*", "title:ca*"]


def entry(nbytes: int) -> KeptText:
    empty = np.zeros(0, np.int64)
    return KeptText(None, empty, np.zeros(0, np.float32), None, True, None, (), {}, (), nbytes)


def test_the_least_recently_used_go_first_past_the_budget() -> None:
    cache = TextMatches(budget=100)
    a, b, c = entry(40), entry(40), entry(40)
    cache.put("a", "most", a)
    cache.put("b", "most", b)
    assert cache.get("a", "most") is a  # now the most recently used
    assert cache.get("a", "all") is None  # another strategy, another match
    cache.put("c", "most", c)  # 120 bytes: "b" goes
    assert [cache.get(t, "most") for t in ("a", "b", "c")] == [a, None, c]
    cache.put("a", "most", entry(1))
    assert cache.get("a", "most") is a, "the first entry of a key is kept"


@pytest.fixture(scope="module")
def backends(corpus_index: BuiltIndex) -> tuple[LocalBackend, LocalBackend]:
    """Return two backends of the corpus index: one keeping text matches, one not."""
    keeping, afresh = LocalBackend.open(corpus_index.folder), LocalBackend.open(corpus_index.folder)
    with afresh.snapshot() as snapshot:
        snapshot.matches.get = lambda text, strategy: None  # type: ignore[method-assign]
    return keeping, afresh


def requests(texts: list[str], rng: random.Random) -> list[SearchRequest]:
    """Return seeded requests of `texts`: each strategy, typed halfway, filtered."""
    made = []
    for text in texts:
        for strategy in ("all", "most", "any"):
            made.append(SearchRequest(q=text, match=strategy, mode="keyword"))
        made.append(SearchRequest(q=text[: max(1, len(text) - 2)], mode="keyword"))
        made.append(SearchRequest(q=text, mode="keyword", filters={"topic": ("AI",)}, page=2))
        made.append(
            SearchRequest(q=text, mode="keyword", sort="newest", per_page=rng.randint(1, 30))
        )
    return made


def test_searches_answer_from_a_kept_match_as_evaluated_afresh(
    backends: tuple[LocalBackend, LocalBackend],
) -> None:
    """Seeded texts of words from the corpus's titles (rare ones relax under most), each
    asked twice in several forms: every answer equals the one evaluated afresh."""
    keeping, afresh = backends
    rng = random.Random(5)
    with keeping.snapshot() as snapshot:
        words = sorted(w for w in snapshot.vocabulary.counts if w.isalpha() and len(w) > 3)
    texts = [" ".join(rng.sample(words, rng.randint(1, 3))) for _ in range(40)]
    texts += ['"facial recognition"', "police AND camera", "robot*", "privacy -facebook"]
    relaxed = 0
    for request in requests(texts, rng) * 2:
        expected = afresh.search(request).as_json()
        found = keeping.search(request)
        relaxed += bool(found.matching and found.matching.required < found.matching.words)
        body = found.as_json()
        body.pop("took_ms")
        expected.pop("took_ms")
        assert body == expected, request
    assert relaxed >= 20  # the relaxed path, kept as documents and tiers, was taken
    with keeping.snapshot() as snapshot:
        assert len(snapshot.matches._entries) >= len(texts)
