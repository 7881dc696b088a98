"""Stories: which documents are coverage of one story, grouped search, more like this.

The story rules are checked on hand-made rows, then the fast build-time finder is
compared with a brute-force reading of the same rules (every pair) on the real corpus
and on seeded random rows full of near-duplicates. Grouped answers are compared with
the ungrouped answer of the same request, which fixes what grouping must return.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from search.local import LocalBackend
from search.local.searching.more_like_this import like_query
from search.local.store.build import build_index
from search.local.store.generations import current_generation
from search.local.store.stories import (
    SAME_STORY_WITHIN,
    STORIES,
    TITLE_SIMILARITY,
    StoryRow,
    find_stories,
    title_words,
)
from search.params import search_request
from search.results import Hit, SearchResult

DAY = datetime(2024, 3, 1, 12, 0)


def row(
    doc_id: str,
    title: str,
    provider: str | None = "A",
    days: float | None = 0,
    related: Sequence[str] = (),
    deleted: bool = False,
) -> StoryRow:
    published = DAY + timedelta(days=days) if days is not None else None
    return StoryRow(doc_id, title, provider, published, related, deleted)


# --- the rules, on hand-made rows --------------------------------------------------------

FACIAL = "Home Office seeks facial recognition technology for police"
FACIAL_AGAIN = "Home Office seeks new facial recognition technology for police forces"


@pytest.mark.parametrize(
    ("rows", "labels"),
    [
        pytest.param([row("b", "x", "A", related=["a"]), row("a", "y", "B")], [1, 1], id="related"),
        pytest.param(
            [row("b", "x", "A", related=["a"]), row("a", "y", "a")],
            [0, 1],
            id="related-same-outlet",
        ),
        pytest.param([row("a", "x", "A", related=["zz", "a"])], [0], id="unknown-and-self-related"),
        pytest.param([row("c", FACIAL, "A"), row("d", FACIAL_AGAIN, "B", 1)], [0, 0], id="near"),
        pytest.param(
            [row("c", FACIAL, "A"), row("d", FACIAL_AGAIN, "a")], [0, 1], id="same-outlet"
        ),
        pytest.param(
            [row("c", FACIAL, "A"), row("d", FACIAL_AGAIN, "B", 3.5)], [0, 1], id="days-apart"
        ),
        pytest.param(
            [row("c", FACIAL, "A"), row("d", FACIAL_AGAIN, "B", None)], [0, 0], id="one-undated"
        ),
        pytest.param(
            [row("c", FACIAL, None), row("d", FACIAL_AGAIN, None)], [0, 0], id="no-providers"
        ),
        pytest.param(
            [row("c", "Live updates", "A"), row("d", "Live updates", "B")], [0, 1], id="too-short"
        ),
        pytest.param(
            [row("c", "The AI of the week", "A"), row("d", "AI: the week", "B")],
            [0, 1],
            id="stop-words-do-not-count",
        ),
        pytest.param(
            [row("c", FACIAL, "A"), row("d", "Home Office buys police drones", "B")],
            [0, 1],
            id="not-similar-enough",
        ),
        pytest.param(
            [
                row("z", FACIAL, "A"),
                row("y", FACIAL_AGAIN, "B", 1),
                row("x", "Unrelated words entirely", "C", related=["y"]),
                row("w", "Something else", "D"),
            ],
            [2, 2, 2, 3],
            id="chain-named-by-smallest-id",
        ),
        pytest.param(
            [row("a", FACIAL, "A", deleted=True), row("b", FACIAL_AGAIN, "B", related=["a"])],
            [0, 1],
            id="deleted-alone",
        ),
    ],
)
def test_story_rules(rows: list[StoryRow], labels: list[int]) -> None:
    assert find_stories(rows).tolist() == labels


def test_title_words_drop_stop_words_letters_and_case() -> None:
    assert title_words("The A.I. of Apple's new iPhone: it's HERE") == {
        "apple",
        "new",
        "iphone",
        "here",
    }


# --- the fast finder against every pair --------------------------------------------------


def brute_force(rows: Sequence[StoryRow]) -> list[int]:
    """Return story labels by checking the rules on every pair of rows."""
    number = {r.id: n for n, r in enumerate(rows) if not r.deleted}
    linked: dict[int, set[int]] = defaultdict(set)

    def other_outlets(a: StoryRow, b: StoryRow) -> bool:
        return not (a.provider and b.provider and a.provider.lower() == b.provider.lower())

    for i, a in enumerate(rows):
        if a.deleted:
            continue
        for target in a.related:
            j = number.get(target)
            if j is not None and j != i and other_outlets(a, rows[j]):
                linked[i].add(j)
                linked[j].add(i)
        wa = title_words(a.title)
        for j in range(i + 1, len(rows)):
            b = rows[j]
            wb = title_words(b.title)
            if b.deleted or len(wa) < 3 or len(wb) < 3 or not other_outlets(a, b):
                continue
            if a.published and b.published and abs(a.published - b.published) > SAME_STORY_WITHIN:
                continue
            if len(wa & wb) / len(wa | wb) >= TITLE_SIMILARITY:
                linked[i].add(j)
                linked[j].add(i)
    labels = list(range(len(rows)))
    seen: set[int] = set()
    for start in range(len(rows)):
        if start in seen or rows[start].deleted:
            continue
        component, todo = {start}, [start]
        while todo:
            for nxt in linked[todo.pop()] - component:
                component.add(nxt)
                todo.append(nxt)
        seen |= component
        name = min(component, key=lambda n: rows[n].id)
        for member in component:
            labels[member] = name
    return labels


def random_rows(seed: int, count: int) -> list[StoryRow]:
    """Return rows where many titles are edits of earlier ones: near-duplicates and
    near-misses around the similarity threshold, across outlets and days."""
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(60)] + ["the", "of", "a", "x"]
    titles: list[str] = []
    for _ in range(count):
        if titles and rng.random() < 0.6:
            words = rng.choice(titles).split()
            for _ in range(rng.randint(0, 3)):
                edit = rng.random()
                if edit < 0.4 and len(words) > 1:
                    words.pop(rng.randrange(len(words)))
                elif edit < 0.8:
                    words.insert(rng.randrange(len(words) + 1), rng.choice(vocabulary))
                else:
                    rng.shuffle(words)
        else:
            words = rng.sample(vocabulary, rng.randint(2, 8))
        titles.append(" ".join(words))
    ids = [f"{rng.randrange(10**5):05d}{n:05d}" for n in range(count)]
    return [
        StoryRow(
            id=ids[n],
            title=title,
            provider=rng.choice(["A", "a", "B", "C", None]),
            published=None if rng.random() < 0.1 else DAY + timedelta(days=rng.random() * 12),
            related=[rng.choice(ids) for _ in range(rng.choice([0, 0, 0, 1, 2]))],
            deleted=rng.random() < 0.05,
        )
        for n, title in enumerate(titles)
    ]


@pytest.mark.parametrize("seed", range(4))
def test_finder_equals_brute_force_on_random_rows(seed: int) -> None:
    rows = random_rows(seed, 500)
    labels = find_stories(rows).tolist()
    assert labels == brute_force(rows)
    assert len(set(labels)) < 400, "the rows should hold many stories of several documents"


# --- a generation of the real corpus ------------------------------------------------------


@pytest.fixture(scope="module")
def engine(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBackend]:
    index = tmp_path_factory.mktemp("stories") / "index"
    build_index(corpus_dir, index)
    engine = LocalBackend.open(index)
    yield engine
    engine.close()


def every_hit(engine: LocalBackend, **params: Any) -> list[Hit]:
    """Return every hit of an ungrouped request, page after page."""
    hits: list[Hit] = []
    page = 1
    while True:
        result = engine.search(search_request(**params, per_page="100", page=str(page)))
        hits += result.hits
        if page >= result.pages:
            return hits
        page += 1


@pytest.fixture(scope="module")
def story_of(engine: LocalBackend) -> dict[str, str]:
    """Return {document id: story id} for every document, from /api/documents's view."""
    return {hit.id: engine.document(hit.id).story.id for hit in every_hit(engine)}


def test_real_corpus_stories_follow_the_rules(engine: LocalBackend) -> None:
    with engine.snapshot() as snapshot:
        rows = []
        for number in range(snapshot.columns.size):
            stored = snapshot.stored(number)
            rows.append(
                StoryRow(
                    stored["id"],
                    stored.get("title") or "",
                    stored.get("provider_name"),
                    stored.get("published"),
                    stored.get("related") or (),
                )
            )
        saved = np.load(current_generation(engine.index_dir) / STORIES).tolist()  # type: ignore[operator]
    assert saved == brute_force(rows)
    sizes = sorted(np.unique(saved, return_counts=True)[1].tolist(), reverse=True)
    # 209 documents: 168 stories, 14 of them with more than one document
    assert (len(saved), len(sizes), sum(1 for s in sizes if s > 1)) == (209, 168, 14)


def test_documents_list_their_story(engine: LocalBackend, story_of: dict[str, str]) -> None:
    members: dict[str, set[str]] = defaultdict(set)
    for doc_id, story in story_of.items():
        members[story].add(doc_id)
    for doc_id, story in story_of.items():
        detail = engine.document(doc_id)
        coverage = [hit.id for hit in detail.story.coverage]
        assert set(coverage) == members[story] - {doc_id}
        assert detail.story.size == len(members[story])
        dates = [hit.published or "" for hit in detail.story.coverage]
        dated = [d for d in dates if d]
        assert dated == sorted(dated, reverse=True) and dates[: len(dated)] == dated


GROUPED_CASES = {
    "words": {"q": "facial recognition"},
    "browse": {},
    "filtered": {"q": "artificial intelligence", "filters": {"topic": ["AI"]}},
    "oldest": {"q": "recognition", "sort": "oldest"},
    "newest-dates": {"sort": "newest", "date_from": "2019-12-01", "date_to": "2019-12-31"},
    "providers": {"filters": {"provider": ["Sky", "The Guardian", "Computer Weekly"]}},
}


@pytest.mark.parametrize("params", GROUPED_CASES.values(), ids=GROUPED_CASES.keys())
def test_grouped_search_is_the_ungrouped_one_folded(
    engine: LocalBackend, story_of: dict[str, str], params: dict[str, Any]
) -> None:
    flat = every_hit(engine, **params)
    flat_result = engine.search(search_request(**params))
    leaders: list[Hit] = []
    others: dict[str, list[Hit]] = defaultdict(list)
    for hit in flat:  # the first hit of each story leads it; the rest follow in order
        if story_of[hit.id] in others or any(story_of[h.id] == story_of[hit.id] for h in leaders):
            others[story_of[hit.id]].append(hit)
        else:
            leaders.append(hit)
            others[story_of[hit.id]] = []
    assert len(leaders) < len(flat), "a case without a grouped story proves little"
    grouped: list[Hit] = []
    result: SearchResult | None = None
    page = 1
    while result is None or page <= result.pages:
        result = engine.search(
            search_request(**params, group="story", per_page="4", page=str(page))
        )
        assert (result.total, result.documents) == (len(leaders), len(flat))
        assert result.facets == flat_result.facets  # facets count documents either way
        grouped += result.hits
        page += 1
    assert [h.id for h in grouped] == [h.id for h in leaders]
    sort = flat_result.sort
    for hit in grouped:
        story = hit.story
        assert story is not None and story.id == story_of[hit.id]
        assert story.size == sum(1 for s in story_of.values() if s == story.id)
        expected = others[story.id]
        assert story.more_count == len(expected)
        if sort == "relevance":  # best score first (proximity may reorder the flat list)
            assert {h.id for h in story.more} == {h.id for h in expected[:10]}
            scores = [h.score for h in story.more]
            assert scores == sorted(scores, reverse=True)
        else:  # dates are a total order: exactly the ungrouped order
            assert [h.id for h in story.more] == [h.id for h in expected[:10]]


def test_like_is_its_query_without_the_document(
    engine: LocalBackend, story_of: dict[str, str]
) -> None:
    with engine.snapshot() as snapshot:
        for doc_id in list(story_of)[:40]:
            number = snapshot.number_of(doc_id)
            assert number is not None
            text = like_query(snapshot, number)
            assert text, doc_id
            like = every_hit(engine, like=doc_id)
            plain = every_hit(engine, q=text)
            assert engine.search(search_request(like=doc_id)).query == text
            # The same documents; the order may differ a little, as proximity re-ranks
            # the first 100 and leaving one document out changes which 100 those are.
            assert sorted(h.id for h in like) == sorted(h.id for h in plain if h.id != doc_id)
            assert len(like) == len(plain) - 1  # the document matches its own words


def test_like_finds_the_rest_of_the_story(engine: LocalBackend, story_of: dict[str, str]) -> None:
    members: dict[str, set[str]] = defaultdict(set)
    for doc_id, story in story_of.items():
        members[story].add(doc_id)
    in_stories = [doc_id for doc_id, story in story_of.items() if len(members[story]) > 1]
    found = sum(
        1
        for doc_id in in_stories
        if {h.id for h in engine.search(search_request(like=doc_id)).hits}
        & (members[story_of[doc_id]] - {doc_id})
    )
    # Measured: 52 of the 55 documents of a story find another of its documents in their
    # top 10 (the 3 others are related items with one-line titles and no excerpt).
    assert (found, len(in_stories)) == (52, 55)


def test_like_of_an_unknown_document_finds_nothing(engine: LocalBackend) -> None:
    result = engine.search(search_request(like="0123456789abcdef"))
    assert (result.total, result.hits, result.query) == (0, [], "")


def seed(title: str, provider: str, day: int) -> str:
    return (
        f'title: "{title}"\n'
        f"publishedDateTime: 2024-03-{day:02d}T10:00:00Z\n"
        f"webUrl: https://{provider}.example/{day}-{len(title)}\n"
        f"provider: {{name: {provider}, domain: {provider}.example}}\n"
    )


def test_incremental_builds_find_stories_again(
    seeds_dir: Path, write_seed: Any, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    write_seed("a.md", seed(FACIAL, "Alpha", 1))
    write_seed("b.md", seed("Chip export rules tighten again", "Beta", 1))
    build_index(seeds_dir, index)
    engine = LocalBackend.open(index)
    try:
        assert engine.search(search_request(group="story")).total == 2
        write_seed("c.md", seed(FACIAL_AGAIN, "Gamma", 2))
        report = build_index(seeds_dir, index, incremental=True)
        assert (report.incremental, report.added) == (True, 1)
        engine._refresh(blocking=True)
        result = engine.search(search_request(q="facial", group="story"))
        assert (result.total, result.documents) == (1, 2)
        (hit,) = result.hits
        assert hit.story is not None and [h.title for h in hit.story.more] == [
            ({FACIAL, FACIAL_AGAIN} - {hit.title}).pop()
        ]
        (seeds_dir / "a.md").unlink()
        build_index(seeds_dir, index, incremental=True)
        engine._refresh(blocking=True)
        result = engine.search(search_request(group="story"))
        assert (result.total, result.documents) == (2, 2)
        assert all(h.story is not None and h.story.size == 1 for h in result.hits)
    finally:
        engine.close()
