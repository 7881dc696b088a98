"""The relevance evaluation: its metrics by hand, the judged set against the real corpus,
the split, and one whole run of `python -m benchmarks relevance` (a few seconds)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks import relevance
from benchmarks.judgments import (
    HELD_OUT,
    JUDGMENTS,
    KINDS,
    TUNING,
    JudgmentError,
    Query,
    assign_splits,
    load_documents,
    load_queries,
)
from benchmarks.relevance import (
    dcg,
    fts5_match,
    ndcg_at,
    or_query,
    recall_at,
    reciprocal_rank,
)
from search.identity import doc_id
from search.local import LocalBackend
from search.local.searching import postings
from search.local.searching import ranking as proximity
from search.local.store import schema
from search.local.store.build import build_index
from search.model import Article
from search.params import search_request

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


def test_query_forms_for_the_retry_and_for_fts5() -> None:
    assert or_query("self-driving cars") == "self-driving OR cars"
    assert or_query('"home office" facial') == '"home office" OR facial'
    assert fts5_match("self-driving cars") == '"self" "driving" "cars"'
    assert fts5_match('"home office" facial') == '"home office" "facial"'
    assert fts5_match('"home office" facial', any_word=True) == '"home office" OR "facial"'
    assert fts5_match("alzheimer's drugs") == '"alzheimer" "s" "drugs"'
    assert fts5_match("") == '""'


# --- the judged set on the real corpus ---------------------------------------------------


@pytest.fixture(scope="module")
def documents(corpus_dir: Path) -> list[Article]:
    return load_documents(corpus_dir)


@pytest.fixture(scope="module")
def queries(documents: list[Article]) -> list[Query]:
    return load_queries(documents)


def test_judged_set_loads(queries: list[Query], documents: list[Article]) -> None:
    kinds = {kind: sum(1 for q in queries if q.kind == kind) for kind in KINDS}
    with_related = [d for d in documents if d.related]
    assert len(with_related) == 39  # MANIFEST.md: 39 files with a non-empty related list
    assert kinds["story"] == len(with_related)
    assert len(queries) - kinds["story"] >= 25  # hand-written and hand-judged
    assert all(kinds[kind] > 0 for kind in KINDS)
    for query in queries:
        assert query.grades, query.name
        assert set(query.grades.values()) <= {1, 2}
        assert 1 <= len(query.q.split()) <= 5, query.q


def test_story_judgments_follow_the_related_lists(
    queries: list[Query], documents: list[Article]
) -> None:
    by_id = {d.id: d for d in documents}
    stories = [q for q in queries if q.kind == "story"]
    for query in stories:
        article = by_id[query.name.removeprefix("story-")]
        assert query.grades[article.id] == 2
        assert [i for i, g in query.grades.items() if g == 2] == [article.id]
        for key in article.related:
            assert query.grades[doc_id(key)] == 1
        # A few words of the title, not the whole title.
        assert len(query.q.split()) < len(article.title.split())


def test_every_judged_id_exists_in_the_built_index(
    queries: list[Query], corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    index_dir = tmp_path_factory.mktemp("relevance-index")
    build_index(corpus_dir, index_dir, progress=False)
    engine = LocalBackend.open(index_dir)
    try:
        judged = sorted({i for q in queries for i in q.grades})
        titles = {i: engine.document(i).title for i in judged}  # raises if one is missing
    finally:
        engine.close()
    assert len(titles) == len(judged) > 100


def test_split_is_stable_and_about_two_to_one(
    queries: list[Query], documents: list[Article]
) -> None:
    again = load_queries(documents)
    assert [(q.name, q.split) for q in again] == [(q.name, q.split) for q in queries]
    pairs = [(q.kind, q.q) for q in queries]
    shuffled = pairs[:]
    random.Random(7).shuffle(shuffled)
    assert assign_splits(shuffled) == assign_splits(pairs)  # no dependence on file order
    held = [q for q in queries if q.split == HELD_OUT]
    assert len(held) == 28 and len(queries) - len(held) == 58
    for kind in KINDS:  # each kind contributes a third, rounded down, to the held-out part
        of_kind = [q for q in queries if q.kind == kind]
        assert sum(1 for q in of_kind if q.split == HELD_OUT) == len(of_kind) // 3
    assert {q.split for q in queries} == {TUNING, HELD_OUT}


def _write_judgments(tmp_path: Path, change: Any) -> Path:
    data = json.loads(JUDGMENTS.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "judgments.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_loader_rejects_judgments_that_do_not_fit_the_corpus(
    tmp_path: Path, documents: list[Article]
) -> None:
    def wrong_title(data: dict[str, Any]) -> None:
        data["queries"][0]["relevant"][0]["title"] = "Something else"

    def unknown_id(data: dict[str, Any]) -> None:
        data["queries"][0]["relevant"][0]["id"] = "0000000000000000"

    def lost_story(data: dict[str, Any]) -> None:
        del data["story_queries"][0]

    def repeated_text(data: dict[str, Any]) -> None:
        data["queries"][1]["q"] = data["queries"][0]["q"]

    for change, message in (
        (wrong_title, "judged as 'Something else'"),
        (unknown_id, "not in corpus"),
        (lost_story, "no story query"),
        (repeated_text, "must be unique"),
    ):
        with pytest.raises(JudgmentError, match=message):
            load_queries(documents, _write_judgments(tmp_path, change))


# --- one whole run -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def result(corpus_dir: Path) -> dict[str, Any]:
    return relevance.evaluate(corpus_dir)


def test_evaluation_runs_on_the_real_corpus(result: dict[str, Any]) -> None:
    assert result["queries"] == {TUNING: 58, HELD_OUT: 28}
    assert set(result["tables"]) == {TUNING, HELD_OUT, "all"}
    for split, per_system in result["tables"].items():
        assert list(per_system) == list(relevance.SYSTEMS)
        for row in per_system.values():
            assert row["queries"] == (86 if split == "all" else result["queries"][split])
            for metric in relevance.METRICS:
                assert 0.0 <= row[metric] <= 1.0
    for row in result["per_query"]:
        for system in relevance.SYSTEMS:
            top = row["systems"][system]["top"]
            assert len(top) <= 10 and len(set(top)) == len(top)
    text = relevance.format_relevance(result)
    assert "held-out" in text and "textbook-whoosh" in text
    json.dumps(result)  # the --json output


def test_ours_is_at_least_as_good_as_the_baselines(result: dict[str, Any]) -> None:
    # A guard against ranking regressions: on the whole set, our engine must not rank
    # worse than SQLite FTS5 or textbook Whoosh (docs/RELEVANCE.md has the numbers).
    table = result["tables"]["all"]
    for baseline in ("sqlite-fts5", "textbook-whoosh"):
        assert table["ours"]["ndcg@10"] >= table[baseline]["ndcg@10"]
        assert table["ours"]["mrr"] >= table[baseline]["mrr"]


def test_evaluation_is_deterministic(result: dict[str, Any], corpus_dir: Path) -> None:
    again = relevance.evaluate(corpus_dir)
    assert again["per_query"] == result["per_query"]
    assert again["tables"] == result["tables"]


# --- the tuning machinery ------------------------------------------------------------------


@pytest.fixture
def product_knobs() -> Iterator[dict[str, float]]:
    before = relevance.current_knobs()
    yield before
    assert relevance.current_knobs() == before


def test_knobs_are_applied_and_restored(product_knobs: dict[str, float]) -> None:
    changed = {
        "weight.title": 5.0,
        "k1": 0.9,
        "b.title": 0.25,
        "b.default": 0.5,
        "bonus.title": 1.0,
        "bonus.excerpt": 0.0,
        "recency.bonus": 0.3,
        "recency.half_life": 30.0,
    }
    with relevance.applied(changed):
        assert (proximity.RECENCY_BONUS, proximity.RECENCY_HALF_LIFE) == (0.3, 30.0)
        assert schema.FIELD_WEIGHTS["title"] == 5.0
        assert postings.K1 == 0.9 and postings.B["title"] == 0.25
        assert postings.B_DEFAULT == 0.5
        assert proximity.TITLE_BONUS == 1.0 and proximity.EXCERPT_BONUS == 0.0
        assert relevance.current_knobs() == {**product_knobs, **changed}
    with pytest.raises(ValueError, match="unknown knob"), relevance.applied({"nope": 1.0}):
        pass
    assert set(relevance.GRID) <= set(product_knobs)


def test_freshness_halves_every_half_life(product_knobs: dict[str, float]) -> None:
    day = 24 * 60
    published = np.array([1000 * day, 1000 * day - 365 * day, -1, 1000 * day - 730 * day])
    window = np.array([0, 1, 2, 3])
    assert proximity.freshness(published, window, -1) is None  # off in the product
    with relevance.applied({"recency.bonus": 0.2, "recency.half_life": 365.0}):
        fresh = proximity.freshness(published, window, -1)
    assert fresh is not None and fresh.tolist() == [1.0, 0.5, 0.0, 0.25]


def test_recency_bonus_can_lift_a_newer_match(
    write_seed: Any, seeds_dir: Path, tmp_path: Path, product_knobs: dict[str, float]
) -> None:
    write_seed("old.md", 'title: "Robot arm robot"\npublishedDateTime: 2015-01-01T00:00:00Z\n')
    write_seed("new.md", 'title: "Robot arm"\npublishedDateTime: 2025-01-01T00:00:00Z\n')
    build_index(seeds_dir, tmp_path / "index")
    orders = []
    for bonus in (0.0, 1.0):
        with relevance.applied({"recency.bonus": bonus}):
            engine = LocalBackend.open(tmp_path / "index")
            try:
                hits = engine.search(search_request("robot")).hits
            finally:
                engine.close()
        orders.append([hit.title for hit in hits])
    # BM25 prefers the older title (two robots); a full recency bonus outweighs that.
    assert orders == [["Robot arm robot", "Robot arm"], ["Robot arm", "Robot arm robot"]]
