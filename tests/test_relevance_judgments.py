"""The judged set against the real corpus: every type's rule, the split and its record,
the file's own format, and the loader's refusals (the corpus documents and the queries:
conftest.py `documents` and `queries`)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from benchmarks.judgments import (
    HELD_OUT,
    JUDGMENTS,
    KINDS,
    ORIGINAL_KINDS,
    STORY_KINDS,
    TUNING,
    JudgmentError,
    Query,
    assign_splits,
    content_words,
    document_frequencies,
    dump,
    held_out_record,
    load_queries,
    title_words,
)
from search.identity import doc_id
from search.model import Article
from search.params import MAX_QUERY_CHARS


def test_judged_set_loads(queries: list[Query], documents: list[Article]) -> None:
    kinds = {kind: sum(1 for q in queries if q.kind == kind) for kind in KINDS}
    with_related = [d for d in documents if d.related]
    assert len(with_related) == 39  # MANIFEST.md: 39 files with a non-empty related list
    assert kinds["story"] == len(with_related)
    # Two of the 39 share a title; their headline and title_words queries are one each.
    assert len({d.title for d in with_related}) == 38
    assert kinds["headline"] == kinds["title_words"] == 38
    assert kinds["paraphrase"] + kinds["other_words"] >= 20
    assert sum(kinds[k] for k in ORIGINAL_KINDS) == 86  # the original set, unchanged
    assert all(kinds[kind] > 0 for kind in KINDS)
    for query in queries:
        assert query.grades, query.name
        assert set(query.grades.values()) <= {1, 2}
        if query.kind == "headline":
            assert len(query.q) <= MAX_QUERY_CHARS
        else:
            assert 1 <= len(query.q.split()) <= 10, query.q
        if query.kind in STORY_KINDS:  # coverage: the grade-1 documents, never empty here
            assert query.coverage == {d for d, g in query.grades.items() if g == 1} != set()
        else:
            assert query.coverage == frozenset(), query.name


def test_story_judgments_follow_the_related_lists(
    queries: list[Query], documents: list[Article]
) -> None:
    by_id = {d.id: d for d in documents}
    for query in (q for q in queries if q.kind == "story"):
        article = by_id[query.name.removeprefix("story-")]
        assert query.grades[article.id] == 2
        assert [i for i, g in query.grades.items() if g == 2] == [article.id]
        for key in article.related:
            assert query.grades[doc_id(key)] == 1
        # A few words of the title, not the whole title.
        assert len(query.q.split()) < len(article.title.split())


def test_rule_types_are_judged_as_their_story(
    queries: list[Query], documents: list[Article]
) -> None:
    by_id = {d.id: d for d in documents}
    stories = {q.name.removeprefix("story-"): q for q in queries if q.kind == "story"}
    frequencies = document_frequencies(documents)
    by_kind = {kind: [q for q in queries if q.kind == kind] for kind in KINDS}
    for headline, words in zip(by_kind["headline"], by_kind["title_words"], strict=True):
        articles = [i for i, g in headline.grades.items() if g == 2]
        assert all(by_id[i].title == headline.q for i in articles)  # the title, pasted
        assert words.grades == headline.grades
        assert words.q == title_words(headline.q, frequencies)
        assert set(words.q.split()) <= set(content_words(headline.q))
        assert len(words.q.split()) in (3, 4)
        # The story rule: the same judgments as the story query, once per article.
        merged: dict[str, int] = {}
        for article in articles:
            merged |= {d: g for d, g in stories[article].grades.items() if d not in articles}
        assert headline.grades == {**merged, **dict.fromkeys(articles, 2)}
    # The same-titled pair is one query with both articles at grade 2.
    assert sorted(len([g for g in q.grades.values() if g == 2]) for q in by_kind["headline"]) == (
        [1] * 37 + [2]
    )
    for paraphrase in by_kind["paraphrase"]:
        articles = [i for i, g in paraphrase.grades.items() if g == 2]
        headline = next(h for h in by_kind["headline"] if h.grades.get(articles[0]) == 2)
        assert paraphrase.grades == headline.grades
        shared = set(content_words(headline.q)) & set(content_words(paraphrase.q))
        assert len(shared) <= 1, (paraphrase.q, shared)


def test_other_words_reuse_a_hand_query_or_say_why(queries: list[Query]) -> None:
    data = json.loads(JUDGMENTS.read_text(encoding="utf-8"))
    hand = {q.name: q for q in queries if q.kind in ORIGINAL_KINDS}
    mine = {q.name: q for q in queries if q.kind == "other_words"}
    for entry in data["other_words"]:
        assert entry["why"]
        if "same_as" in entry:
            assert mine[entry["name"]].grades == hand[entry["same_as"]].grades
            assert mine[entry["name"]].q != hand[entry["same_as"]].q
        else:  # judged by hand: conservative, each one written down
            assert entry["why"].startswith("by hand:")
            assert all(judged["title"] for judged in entry["relevant"])


def test_split_is_stable_recorded_and_about_two_to_one(
    queries: list[Query], documents: list[Article]
) -> None:
    again = load_queries(documents)
    assert [(q.name, q.split) for q in again] == [(q.name, q.split) for q in queries]
    pairs = [(q.kind, q.q) for q in queries]
    shuffled = pairs[:]
    random.Random(7).shuffle(shuffled)
    assert assign_splits(shuffled) == assign_splits(pairs)  # no dependence on file order
    held = [q for q in queries if q.split == HELD_OUT]
    assert len(held) == 69 and len(queries) - len(held) == 144
    # The original 86 queries keep their split: 28 held-out, as before the new types.
    assert sum(1 for q in held if q.kind in ORIGINAL_KINDS) == 28
    for kind in KINDS:  # each kind contributes a third, rounded down, to the held-out part
        of_kind = [q for q in queries if q.kind == kind]
        assert sum(1 for q in of_kind if q.split == HELD_OUT) == len(of_kind) // 3
    assert {q.split for q in queries} == {TUNING, HELD_OUT}
    recorded = json.loads(JUDGMENTS.read_text(encoding="utf-8"))["held_out"]
    assert recorded == held_out_record(queries)


def test_the_file_is_in_its_own_format() -> None:
    # `python -m benchmarks.judgments --write` must not reformat what people wrote.
    text = JUDGMENTS.read_text(encoding="utf-8")
    assert dump(json.loads(text)) == text


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

    def hand_picked_title_words(data: dict[str, Any]) -> None:
        data["generated"][0]["title_words"] = "amazon machine learning"

    def moved_split(data: dict[str, Any]) -> None:
        data["held_out"]["topic"] = data["held_out"]["topic"][1:]

    def paraphrase_copies_the_title(data: dict[str, Any]) -> None:
        data["paraphrases"][0]["q"] = "amazon releases machine learning tool"

    def unknown_same_as(data: dict[str, Any]) -> None:
        data["other_words"][0]["same_as"] = "no-such-query"

    def no_reason(data: dict[str, Any]) -> None:
        data["other_words"][0]["why"] = ""

    for change, message in (
        (wrong_title, "judged as 'Something else'"),
        (unknown_id, "not in corpus"),
        (lost_story, "no story query"),
        (repeated_text, "must be unique"),
        (hand_picked_title_words, "generated queries differ"),
        (moved_split, "held-out record differs"),
        (paraphrase_copies_the_title, "shares"),
        (unknown_same_as, "no query 'no-such-query'"),
        (no_reason, "needs `why`"),
    ):
        with pytest.raises(JudgmentError, match=message):
            load_queries(documents, _write_judgments(tmp_path, change))
