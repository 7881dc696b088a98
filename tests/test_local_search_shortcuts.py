"""The search path's caches and shortcuts against the long way: hits kept per
generation (never shown from an older one), facet counts looked up for few matches or
counted by popcount for many, and the relaxed requirement counted word by word."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from api_contract import BuiltIndex

from search.local import LocalBackend
from search.local import backend as backend_module
from search.local.searching import strategy
from search.local.searching.hits import make_hit
from search.local.searching.matching import Evaluator
from search.local.store import keyword_columns as columns_module
from search.local.store.build import build_index
from search.local.store.column_files import Row, write_columns
from search.local.store.columns import Columns
from search.local.store.document_sets import DocumentSet
from search.request import SearchRequest


def _seed(folder: Path, name: str, title: str) -> None:
    front = {
        "title": title,
        "excerpt": "Cameras arrive at railway hubs.",
        "topics": ["AI"],
        "provider": {"name": "Sky", "domain": "sky.com"},
        "publishedDateTime": "2023-09-02T17:26:00Z",
        "webUrl": f"https://news.example.com/{name}",
    }
    lines = ["---", *(f"{k}: {json.dumps(v)}" for k, v in front.items()), "---", ""]
    (folder / f"{name}.md").write_text("\n".join(lines), encoding="utf-8")


def test_hits_are_kept_per_generation_and_never_shown_from_an_older_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backend_module, "CHECK_INTERVAL", 0.0)  # look at CURRENT every time
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    seeds.mkdir()
    _seed(seeds, "one", "Facial recognition expands")
    _seed(seeds, "two", "Robots sort parcels")
    build_index(seeds, index, progress=False)
    engine = LocalBackend.open(index)
    request = SearchRequest(q="facial", mode="keyword")
    first = engine.search(request)
    again = engine.search(request)
    assert [h.title for h in first.hits] == ["Facial recognition expands"]
    assert again.hits[0] is first.hits[0], "a repeated search reuses the hit it made"
    # The same document (same URL, so the same id) rebuilt with another title: the
    # new generation shows the new title, with the same score as before.
    _seed(seeds, "one", "Facial recognition widens")
    build_index(seeds, index, progress=False)
    after = engine.search(request)
    assert after.generation != first.generation
    assert after.hits[0].score == first.hits[0].score  # so a kept hit would match its key
    assert [(h.id, h.title) for h in after.hits] == [
        (first.hits[0].id, "Facial recognition widens")
    ]
    with engine.snapshot() as snapshot:
        number = snapshot.number_of(first.hits[0].id)
        assert number is not None
        fresh = make_hit(snapshot.stored(number), after.hits[0].score, {"facial"})
    assert after.hits[0] == fresh
    engine.close()


def _rows(seed: int, size: int) -> list[Row]:
    rng = random.Random(seed)
    topics = ["AI", "Chips", "Policy", *[f"t{i}" for i in range(40)]]
    return [
        Row(
            {
                "provider": (f"P{rng.choice([0, 0, 1, *range(2, 60)])}",),
                "topic": tuple(rng.sample(topics, rng.randrange(0, 4))),
                "type": ("article",) if rng.random() < 0.9 else (),
            },
            None,
            deleted=rng.random() < 0.03,
        )
        for _ in range(size)
    ]


def test_few_and_many_matches_count_facets_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same seeded sets counted both ways (looked up, or popcount over bitsets and
    # gathered rare values), from no document to all of them.
    rows = _rows(3, 5000)
    write_columns(tmp_path, rows)
    columns = Columns.load(tmp_path)
    rng = np.random.default_rng(8)
    sets = [
        (rng.random(columns.size) < share) & columns.alive
        for share in (0.0, 0.0004, 0.003, 0.02, 0.1, 0.5, 1.0)
        for _ in range(3)
    ]
    counted: dict[int, list[list[list[int]]]] = {}
    for few_share in (0, 10**9):  # never looked up; always looked up
        monkeypatch.setattr(columns_module, "FEW_SHARE", few_share)
        counted[few_share] = [
            [column.counts(DocumentSet(mask)).tolist() for column in columns.keywords.values()]
            for mask in sets
        ]
    assert counted[0] == counted[10**9]
    typed = sum(
        1 for row, kept in zip(rows, sets[-1], strict=True) if kept and row.keywords["type"]
    )
    assert list(columns.keywords) == ["topic", "provider", "type"]
    assert counted[0][-1][2] == [typed]


def test_the_relaxed_requirement_is_counted_word_by_word() -> None:
    # _relaxed against a histogram of how many words each document holds.
    rng = np.random.default_rng(4)
    for trial in range(300):
        words = int(rng.integers(2, 17))
        held = (rng.random(2000) < rng.choice([0.001, 0.01, 0.05])) * rng.integers(
            0, words + 1, 2000
        )
        held = held.astype(np.int16)
        at_least = np.cumsum(np.bincount(held, minlength=words + 1)[::-1])[::-1]
        want = next((k for k in range(words, 1, -1) if at_least[k] >= strategy.RELAX_BELOW), 1)
        assert strategy._relaxed(held, words) == want, trial


def test_a_set_narrowed_by_its_numbers_equals_one_narrowed_mask_by_mask() -> None:
    # run_search narrows a few matches by their numbers (no pass over every document)
    # and many mask by mask: the same documents, in either form, on seeded sets.
    rng = np.random.default_rng(12)
    size = 3000
    for trial in range(50):
        base = rng.random(size) < rng.choice([0.001, 0.01, 0.2, 0.9])
        filters = [rng.random(size) < rng.choice([0.05, 0.5, 1.0]) for _ in range(trial % 4)]
        by_masks = DocumentSet(base).narrowed(filters)
        few = DocumentSet(base)
        few.numbers  # noqa: B018 (numbers at hand: narrowed by them)
        by_numbers = few.narrowed(filters)
        # a set known by its mask, narrowed through its fewest filter's listed documents
        # when they are few (the 0.05 filters: under 1 / FEW_LISTED of the documents)
        listed = DocumentSet(base).narrowed(filters, np.flatnonzero)
        want = np.flatnonzero(np.logical_and.reduce([base, *filters]))
        assert by_masks.numbers.tolist() == by_numbers.numbers.tolist() == want.tolist()
        assert listed.numbers.tolist() == want.tolist()
        assert np.array_equal(by_masks.mask, by_numbers.mask)
        assert np.array_equal(by_masks.mask, listed.mask)
        assert np.array_equal(DocumentSet.of_numbers(want, size).mask, by_masks.mask)


def test_columns_keep_the_listed_documents_of_their_filter_masks_only(tmp_path: Path) -> None:
    # Columns.listed keeps the documents of a cached (read-only) filter mask, found by
    # the mask itself; a writable mask, even with the same contents, is listed afresh.
    write_columns(tmp_path, _rows(5, 2000))
    columns = Columns.load(tmp_path)
    topic = next(iter(columns.keywords["topic"].index))
    mask = columns.keyword_mask("topic", [topic])
    want = np.flatnonzero(mask).tolist()
    assert want and columns.listed(mask).tolist() == want
    assert columns.listed(mask) is columns.listed(mask)  # kept
    copy = mask.copy()
    assert columns.listed(copy).tolist() == want
    assert columns.listed(copy) is not columns.listed(copy)  # not kept
    copy[want[0]] = False
    assert columns.listed(copy).tolist() == want[1:]


def _counting(taken: Counter[str], name: str, function: Any) -> Any:
    def counted(*args: Any) -> Any:
        taken[name] += 1
        return function(*args)

    return counted


def test_rare_words_matched_by_their_documents_answer_as_the_dense_way(
    corpus_index: BuiltIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Slots whose words few documents hold are matched from their documents (all rare,
    # or the rare ones first and the common ones read at those documents only); with
    # that turned off every slot is evaluated over every document. Seeded queries of one
    # to three words, rare and common mixed, under each strategy, filtered or not: the
    # same whole answers; relaxing beside a rare word adds it at its documents only.
    engine = LocalBackend.open(corpus_index.folder)
    rng = random.Random(21)
    with engine.snapshot() as snapshot:
        counts = snapshot.vocabulary.counts
        titles = [str(snapshot.stored(n)["title"]) for n in rng.sample(range(200), 150)]
    commonest = sorted(counts, key=lambda w: (-counts[w], w))[:2]
    requests = []
    for n, title in enumerate(titles):  # words of one title, so they meet somewhere
        words = [w for w in title.split() if len(w) > 3 and w.isalpha()] or ["robots"]
        text = " ".join(rng.sample(words, min(len(words), rng.choice([1, 2, 2, 3]))))
        if n % 2 == 0:  # a common word beside rare ones
            text += " " + rng.choice(commonest)
        match = ("all", "most", "any")[n % 3]
        filters = {"topic": ("AI",)} if n % 4 == 0 else {}
        requests.append(SearchRequest(q=text, mode="keyword", match=match, filters=filters))

    def answers() -> list[dict[str, object]]:
        out = []
        for request in requests:
            body = engine.search(request).as_json()
            body.pop("took_ms")
            out.append(body)
        return out

    taken: Counter[str] = Counter()
    for name in ("_by_few_slots", "_every_word_within"):
        monkeypatch.setattr(strategy, name, _counting(taken, name, getattr(strategy, name)))
    summed = strategy._held_and_scores

    def relaxing(snapshot: Any, slots: Any, parts: Any, info: Any) -> Any:
        if any(part is not None for part in parts):  # rare words added at their documents
            taken["relaxed beside a rare word"] += 1
        return summed(snapshot, slots, parts, info)

    monkeypatch.setattr(strategy, "_held_and_scores", relaxing)
    shortcut = answers()
    assert taken["_by_few_slots"] > 30 and taken["_every_word_within"] > 10, taken
    assert taken["relaxed beside a rare word"] > 10, taken
    engine.close()
    monkeypatch.setattr(Evaluator, "sparse", lambda self, q, info: None)
    engine = LocalBackend.open(corpus_index.folder)
    assert answers() == shortcut
    assert sum(1 for body in shortcut if body["total"]) > 100  # most queries find something
    engine.close()
