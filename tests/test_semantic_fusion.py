"""Hybrid search's fusion rules on hand-made rankings (search.local.searching.semantic):
weighted reciprocal rank fusion, every-word matches first, the semantic lead when no
document holds every word, the word-feedback ranking, and the feedback document."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from search.local.searching import semantic
from search.local.searching.semantic import Shape, feedback_document, fuse, semantic_weight

SIZE = 20
Mask = npt.NDArray[np.bool_]


@pytest.fixture(autouse=True)
def knobs(monkeypatch: pytest.MonkeyPatch) -> None:
    # the rules, not the tuned values: fixed numbers the expected orders are worked from
    for name, value in {
        "RRF_K": 60,
        "WEIGHT_MATCHED": 1.0,
        "WEIGHT_LONG": 0.5,
        "LONG_WORDS": 8,
        "WEIGHT_UNMATCHED": 30.0,
        "TIER_WORDS": 1,
        "WORD_FEEDBACK": 2.0,
    }.items():
        monkeypatch.setattr(semantic, name, value)


def mask(*numbers: int) -> Mask:
    found = np.zeros(SIZE, np.bool_)
    found[list(numbers)] = True
    return found


KEYWORD = np.array([10, 11, 12], np.int64)
SEMANTIC = np.array([12, 13, 14], np.int64)
EVERYTHING = np.ones(SIZE, np.bool_)


@pytest.mark.parametrize(
    ("shape", "final", "expected"),
    [
        # 12 is in both lists (1/63 + 1/61); 10 (1/61) before 13 (1/62) before 14 (1/63);
        # 11 holds every word, so it leads although its fused score is lowest but one
        (Shape(2, mask(11)), EVERYTHING, [11, 12, 10, 13, 14]),
        # every keyword match holds every word (a query of one word): all of them first
        (Shape(1, mask(10, 11, 12)), EVERYTHING, [12, 10, 11, 13, 14]),
        # no document holds every word: semantic weighs 30, keyword only breaks ties
        (Shape(3, mask()), EVERYTHING, [12, 13, 14, 10, 11]),
        # no keyword match at all (a misspelling): the semantic order
        (Shape(1, None), EVERYTHING, [12, 13, 14, 10, 11]),
        # ranks are counted among the documents that pass the filters: without 12,
        # 13 is first of the semantic list (30/61) and 10 of the keyword list (1/61)
        (Shape(2, mask()), mask(10, 11, 13, 14), [13, 14, 10, 11]),
    ],
    ids=["every-word-first", "one-word", "paraphrase", "no-keyword-match", "filtered"],
)
def test_fusion_order(shape: Shape, final: Mask, expected: list[int]) -> None:
    numbers, scores = fuse(KEYWORD, SEMANTIC, final, shape)
    assert numbers.tolist() == expected
    assert len(scores) == len(expected)


def test_the_word_feedback_ranking_joins_the_fusion_with_its_weight() -> None:
    # keyword 10, 11, 12 and semantic 12, 13, 14 as above; 10 holds every word (so it
    # leads); the article's own words rank 14, 11, 16 (weight 2): 14 = 1/63 + 2/61 leads
    # 11 = 1/62 + 2/62, then 12 (1/63 + 1/61) and 13 (1/62); 16 is filtered away
    related = np.array([14, 11, 16], np.int64)
    final = mask(10, 11, 12, 13, 14)
    numbers, scores = fuse(KEYWORD, SEMANTIC, final, Shape(2, mask(10)), related)
    assert numbers.tolist() == [10, 14, 11, 12, 13]
    expected = [1 / 61, 1 / 63 + 2 / 61, 1 / 62 + 2 / 62, 1 / 63 + 1 / 61, 1 / 62]
    assert scores.tolist() == pytest.approx(expected)
    # unfiltered, 16 (2/63) comes between 12 (1/63 + 1/61) and 10 (1/61)
    numbers, _ = fuse(KEYWORD, SEMANTIC, EVERYTHING, Shape(2, mask(13)), related)
    assert numbers.tolist() == [13, 14, 11, 12, 16, 10]


def test_the_semantic_weight_follows_the_keyword_side() -> None:
    assert semantic_weight(Shape(2, mask(3)), EVERYTHING) == 1.0
    assert semantic_weight(Shape(9, mask(3)), EVERYTHING) == 0.5  # pasted text
    assert semantic_weight(Shape(2, mask(3)), mask(4)) == 30.0  # filtered away
    assert semantic_weight(Shape(2, None), EVERYTHING) == 30.0


def test_feedback_takes_the_best_scored_every_word_match_within_the_filter() -> None:
    scores = np.zeros(SIZE, np.float32)
    scores[[2, 5, 7]] = [3.0, 9.0, 4.0]
    shape = Shape(2, mask(2, 7), scores)  # 5 scores best but lacks a word
    assert feedback_document(shape, EVERYTHING) == 7
    assert feedback_document(shape, mask(2, 5)) == 2
    assert feedback_document(shape, mask(5)) is None
    assert feedback_document(Shape(2, None), EVERYTHING) is None
