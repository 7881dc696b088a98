"""The relevance evaluation's metrics and query forms, against values computed by hand,
and the rules that generate queries, on hand-made examples."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.judgments import content_words, document_frequencies, title_words
from benchmarks.relevance import (
    coverage_at,
    dcg,
    fts5_match,
    ndcg_at,
    or_query,
    recall_at,
    reciprocal_rank,
)

# --- metrics against values computed by hand --------------------------------------------


# Judged: a and d are the story (grade 2), b and c related (grade 1); x and y unjudged (0).
GRADES = {"a": 2, "b": 1, "c": 1, "d": 2}
RANKED = ["a", "x", "b", "y", "c"]


def test_dcg_uses_exponential_gain_and_log2_discount() -> None:
    # rank 1: (2^2 - 1) / log2(2) = 3; rank 2: 0; rank 3: (2^1 - 1) / log2(4) = 0.5
    assert dcg([2, 0, 1]) == pytest.approx(3.5)
    assert dcg([]) == 0.0


def test_ndcg_on_a_hand_computed_example() -> None:
    # DCG  = 3/log2(2) + 0 + 1/log2(4) + 0 + 1/log2(6)          = 3 + 0.5 + 0.386853 = 3.886853
    # IDCG = 3/log2(2) + 3/log2(3) + 1/log2(4) + 1/log2(5)     (ideal order 2, 2, 1, 1)
    #      = 3 + 1.892789 + 0.5 + 0.430677                      = 5.823466
    # nDCG@10 = 3.886853 / 5.823466                              = 0.667447
    assert ndcg_at(RANKED, GRADES) == pytest.approx(0.667447, abs=1e-6)
    # Cut at 3: DCG = 3 + 0.5; IDCG = 3 + 1.892789 + 0.5 -> 3.5 / 5.392789 = 0.649015
    assert ndcg_at(RANKED, GRADES, k=3) == pytest.approx(0.649015, abs=1e-6)
    # The ideal order scores 1; nothing relevant found scores 0; no judgments score 0.
    assert ndcg_at(["a", "d", "b", "c"], GRADES) == pytest.approx(1.0)
    assert ndcg_at(["x", "y"], GRADES) == 0.0
    assert ndcg_at(["a"], {}) == 0.0


def test_ndcg_rewards_the_story_above_related_coverage() -> None:
    # [b, a]: DCG = 1/log2(2) + 3/log2(3) = 1 + 1.892789 = 2.892789 (b, then a)
    # ideal over {a: 2, b: 1}: 3 + 1/log2(3) = 3.630930 -> 2.892789 / 3.630930 = 0.796707
    assert ndcg_at(["b", "a"], {"a": 2, "b": 1}) == pytest.approx(0.796707, abs=1e-6)
    assert ndcg_at(["a", "b"], {"a": 2, "b": 1}) == pytest.approx(1.0)


def test_recall_and_reciprocal_rank_by_hand() -> None:
    # Relevant {a, b, c, d}; found a, b, c in the first ten: 3 / 4.
    assert recall_at(RANKED, GRADES) == pytest.approx(0.75)
    # In the first two only a: 1 / 4.
    assert recall_at(RANKED, GRADES, k=2) == pytest.approx(0.25)
    # The first relevant document is at rank 1: 1 / 1; with x, y first it is b at rank 3.
    assert reciprocal_rank(RANKED, GRADES) == 1.0
    assert reciprocal_rank(["x", "y", "b"], GRADES) == pytest.approx(1 / 3)
    # Beyond the cut, or nothing relevant: 0.
    assert reciprocal_rank(["x", "y", "b"], GRADES, k=2) == 0.0
    assert recall_at(["x"], GRADES) == 0.0


def test_coverage_counts_only_the_related_coverage() -> None:
    # The story's coverage is {b, c} (its grade-1 documents); finding the article a
    # itself does not count. RANKED has b and c: 2 / 2; only the first two: 0 / 2.
    coverage = frozenset({"b", "c"})
    assert coverage_at(RANKED, coverage) == 1.0
    assert coverage_at(RANKED, coverage, k=2) == 0.0
    assert coverage_at(["a", "x", "y", "c"], coverage) == 0.5
    assert coverage_at(RANKED, frozenset()) is None  # not a story type: no figure


def test_query_forms_for_the_retry_and_for_fts5() -> None:
    assert or_query("self-driving cars") == "self-driving OR cars"
    assert or_query('"home office" facial') == '"home office" OR facial'
    assert fts5_match("self-driving cars") == '"self" "driving" "cars"'
    assert fts5_match('"home office" facial') == '"home office" "facial"'
    assert fts5_match('"home office" facial', any_word=True) == '"home office" OR "facial"'
    assert fts5_match("alzheimer's drugs") == '"alzheimer" "s" "drugs"'
    assert fts5_match("") == '""'
    # A pasted headline: its punctuation is no syntax in either form.
    headline = (
        "Revealed: Home Office secretly lobbied for \u2018spy\u2019 company | AND NEAR(x) title:*"
    )
    assert or_query(headline) == (
        "Revealed OR Home OR Office OR secretly OR lobbied OR for OR spy OR company OR and "
        "OR NEAR OR x OR title"
    )
    assert fts5_match(headline, any_word=True).count(" OR ") == 11
    assert ":" not in fts5_match(headline) and "*" not in fts5_match(headline)


# --- the rules that generate queries, on hand-made examples --------------------------------


def test_content_words_drop_stop_words_numbers_and_possessives() -> None:
    assert content_words("Amazon\u2019s Face Recognition Matched 28 Members, says U.S. study") == [
        "amazon",
        "face",
        "recognition",
        "matched",
        "members",
        "says",
        "study",
    ]
    assert content_words("Why is it that you can't? AI-generated, MT9638") == [
        "ai",
        "generated",
        "mt9638",
    ]


def test_title_words_are_the_rarest_in_title_order() -> None:
    frequencies = {"global": 18, "machine": 38, "translation": 6, "market": 22, "cagr": 4}
    frequencies |= {"forecast": 8, "period": 2}
    title = "The global machine translation market at a CAGR of over 19% during the forecast period"
    # Rarest: period (2), cagr (4), translation (6); printed in title order.
    assert title_words(title, frequencies) == "translation cagr period"
    # Ties go to the earlier word; unknown words count as rarest.
    assert title_words("alpha beta gamma delta", {"alpha": 1, "beta": 1, "gamma": 1}) == (
        "alpha beta delta"
    )
    # Nine or more content words: four words. Fewer than three: all of them.
    long = "one two three four five six seven eight nine"
    assert len(title_words(long, {}).split()) == 4
    assert title_words("Hour of Low-Code", {}) == "hour low code"
    assert title_words("Deep Learning", {}) == "deep learning"


def test_document_frequencies_count_documents_not_occurrences() -> None:
    def article(title: str, excerpt: str) -> Any:
        return type("A", (), {"title": title, "excerpt": excerpt})()

    found = document_frequencies([article("Robot robot", "robot arm"), article("Arm", "")])
    assert found == {"robot": 1, "arm": 2}
