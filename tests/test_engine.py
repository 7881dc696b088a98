"""The engine on a tiny literal corpus: ranking, query language, paging, sorting, escaping."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index

from search.errors import BadQuery, DocumentNotFound, IndexMissing, SearchTimeout
from search.local import LocalBackend
from search.local.store.build import build_index
from search.local.store.generations import current_generation
from search.params import search_request
from search.request import SearchRequest

# Six short articles; the ranking tests below depend on exactly these words.
ARTICLES: list[dict[str, Any]] = [
    {
        "name": "title-match",
        "title": "Facial recognition expands in stations",
        "excerpt": "Cameras arrive at railway hubs.",
        "topics": ["Computer Vision", "AI"],
        "provider": {"name": "The Guardian", "domain": "theguardian.com"},
        "publishedDateTime": "2023-09-02T17:26:00Z",
    },
    {
        "name": "excerpt-match",
        "title": "Police buy new cameras",
        "excerpt": "The contract covers facial recognition software for patrols.",
        "topics": ["Computer Vision"],
        "provider": {"name": "Sky", "domain": "sky.com"},
        "publishedDateTime": "2023-08-30T17:46:00Z",
    },
    {
        "name": "scattered",
        "title": "Recognition awards for facial surgeons",
        "excerpt": "A facial clinic gets national recognition.",
        "topics": ["Health"],
        "provider": "The Guardian",
        "publishedDateTime": "2021-03-01T09:00:00Z",
    },
    {
        "name": "chips",
        "title": "Chip export rules tighten",
        "excerpt": "TSMC and Nvidia face new limits on AI hardware exports.",
        "topics": ["AI Hardware", "ai"],
        "provider": {"name": "Reuters", "domain": "reuters.com"},
        "publishedDateTime": "2022-10-07T12:00:00Z",
    },
    {
        "name": "undated",
        "title": "<script>alert('x')</script> facial guide",
        "excerpt": "Escaping <b>matters</b> & so do entities.",
        "topics": ["AI"],
        "provider": {"name": "Blog <i>", "domain": "example.org"},
    },
    {
        "name": "robots",
        "title": "Robots learn to sort parcels",
        "excerpt": "Warehouse robotics with machine learning.",
        "topics": ["Robotics", "Machine Learning"],
        "provider": {"name": "Reuters", "domain": "reuters.com"},
        "publishedDateTime": "2021-03-01T09:00:00Z",
    },
]


def _write(seeds: Path, article: dict[str, Any]) -> None:
    data = {k: v for k, v in article.items() if k != "name"}
    data["webUrl"] = f"https://news.example.com/{article['name']}"
    lines = ["---", *(f"{k}: {json.dumps(v)}" for k, v in data.items()), "---", ""]
    (seeds / f"{article['name']}.md").write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    seeds = tmp_path_factory.mktemp("seeds")
    for article in ARTICLES:
        _write(seeds, article)
    folder = tmp_path_factory.mktemp("index")
    build_index(seeds, folder, progress=False)
    return folder


@pytest.fixture(scope="module")
def engine(index_dir: Path) -> Iterator[LocalBackend]:
    engine = LocalBackend.open(index_dir)
    yield engine
    engine.close()


def names(engine: LocalBackend, request: SearchRequest) -> list[str]:
    """Return the article names of the hits, in order."""
    return [hit.url.rsplit("/", 1)[1] for hit in engine.search(request).hits if hit.url]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("facial recognition", ["title-match", "scattered", "excerpt-match"]),
        ('"facial recognition"', ["title-match", "excerpt-match"]),
        ("chip", ["chips"]),
        ("chips", ["chips"]),  # stemming: chips -> chip
        ("topic:robotics", ["robots"]),
        ("provider:reuters", ["chips", "robots"]),
        ("facial NOT police", ["title-match", "scattered", "undated"]),
        ("robots OR tsmc", ["chips", "robots"]),
        ("recogn*", ["scattered", "title-match", "excerpt-match"]),  # in two fields beats one
        ("title:cameras", ["excerpt-match"]),
        ("excerpt:cameras", ["title-match"]),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_ranking_and_query_language(engine: LocalBackend, q: str, expected: list[str]) -> None:
    got = names(engine, SearchRequest(q=q))
    if q.startswith(("facial NOT", "robots OR", "provider:")):
        assert sorted(got) == sorted(expected)  # equal scores: compare the sets
    else:
        assert got == expected


def test_title_match_outranks_excerpt_match(engine: LocalBackend) -> None:
    hits = engine.search(SearchRequest(q="facial recognition")).hits
    order = [h.url.rsplit("/", 1)[1] for h in hits if h.url]
    assert order.index("title-match") < order.index("excerpt-match")
    assert hits[0].score > hits[-1].score > 0


def test_phrase_beats_scattered_words(engine: LocalBackend) -> None:
    got = names(engine, SearchRequest(q='"facial recognition" OR (facial recognition)'))
    assert got.index("title-match") < got.index("scattered")


def test_match_sets_equal_whoosh(engine: LocalBackend, index_dir: Path) -> None:
    """Our NumPy evaluation matches exactly the documents Whoosh's own searcher finds."""
    folder = current_generation(index_dir)
    assert folder is not None
    ix = whoosh_index.open_dir(str(folder))
    queries = [
        "facial",
        "facial recognition",
        '"facial recognition"',
        "facial NOT police",
        "robots OR tsmc",
        "recogn*",
        "topic:ai",
        "provider:guardian",
        "ai AND NOT chip",
        "(facial OR chip) AND NOT scattered",
        "warehous~",
    ]
    with engine.snapshot() as snapshot, ix.searcher() as searcher:
        for q in queries:
            tree = snapshot.parser.parse(q)
            expected = {hit["id"] for hit in searcher.search(tree, limit=None)}
            result = engine.search(SearchRequest(q=q, per_page=100))
            assert {hit.id for hit in result.hits} == expected, q
            assert result.total == len(expected), q


def test_empty_query_browses_newest_first_with_undated_last(engine: LocalBackend) -> None:
    result = engine.search(SearchRequest())
    assert result.sort == "newest"
    assert result.total == len(ARTICLES)
    dates = [hit.published for hit in result.hits]
    assert dates[-1] is None
    assert [d for d in dates if d] == sorted((d for d in dates if d), reverse=True)
    oldest = [h.published for h in engine.search(SearchRequest(sort="oldest")).hits]
    assert oldest[-1] is None
    assert [d for d in oldest if d] == sorted(d for d in oldest if d)


def test_filters_and_disjunctive_facets(engine: LocalBackend) -> None:
    request = SearchRequest(filters={"topic": ("computer vision",), "provider": ("REUTERS", "sky")})
    result = engine.search(request)
    assert names(engine, request) == ["excerpt-match"]
    topic = [(f.value, f.count, f.selected) for f in result.facets["topic"]]
    # topic counts ignore the topic filter: Sky or Reuters documents, by topic
    assert topic == [
        ("AI", 1, False),
        ("AI Hardware", 1, False),
        ("Computer Vision", 1, True),
        ("Machine Learning", 1, False),
        ("Robotics", 1, False),
    ]
    provider = [(f.value, f.count, f.selected) for f in result.facets["provider"]]
    # a selected value with no documents still shows, under its display name, to be unticked
    assert provider == [("Sky", 1, True), ("The Guardian", 1, False), ("Reuters", 0, True)]
    years = [(f.value, f.count) for f in result.facets["year"]]
    assert years == [("2023", 1)]
    assert result.filters.as_json() == {
        "topic": ["computer vision"],
        "provider": ["REUTERS", "sky"],
        "type": [],
        "from": None,
        "to": None,
    }


def test_date_range_is_inclusive_and_excludes_undated(engine: LocalBackend) -> None:
    request = SearchRequest(date_from=date(2021, 3, 1), date_to=date(2022, 10, 7))
    assert sorted(names(engine, request)) == ["chips", "robots", "scattered"]
    year = engine.search(SearchRequest(date_from=date(2021, 1, 1), date_to=date(2021, 12, 31)))
    assert [(f.value, f.selected) for f in year.facets["year"]] == [
        ("2021", True),
        ("2022", False),
        ("2023", False),
    ]
    assert [(f.value, f.count) for f in year.facets["month"]] == [
        ("2021-03", 2),
        ("2022-10", 1),
        ("2023-08", 1),
        ("2023-09", 1),
    ]


def test_highlights_escape_everything_but_marks(engine: LocalBackend) -> None:
    hit = engine.search(SearchRequest(q="facial guide")).hits[0]
    assert hit.title == "<script>alert('x')</script> facial guide"
    assert hit.highlights.title == (
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; <mark>facial</mark> <mark>guide</mark>"
    )
    assert hit.highlights.excerpt == "Escaping &lt;b&gt;matters&lt;/b&gt; &amp; so do entities."


def test_paging_never_repeats_or_drops(engine: LocalBackend) -> None:
    for q in ("", "facial OR ai OR reuters"):
        whole = [h.id for h in engine.search(SearchRequest(q=q, per_page=100)).hits]
        paged = []
        for page in range(1, 5):
            paged += [h.id for h in engine.search(SearchRequest(q=q, page=page, per_page=2)).hits]
        assert paged == whole
        assert len(set(whole)) == len(whole)


def test_did_you_mean(engine: LocalBackend) -> None:
    result = engine.search(SearchRequest(q="facail recognition", match="all"))
    assert result.total == 0
    assert result.suggestion == "facial recognition"
    # relaxed, the search finds "recognition" alone; no document holds both words as
    # typed, so the correction is still offered
    relaxed = engine.search(SearchRequest(q="facail recognition"))
    assert relaxed.total > 0
    assert relaxed.suggestion == "facial recognition"
    assert engine.search(SearchRequest(q="facial recognition")).suggestion is None


def test_suggest_completes_topics_providers_words_and_titles(engine: LocalBackend) -> None:
    got = [(s.text, s.kind) for s in engine.suggest("rob", 8).suggestions]
    assert got == [
        ("Robotics", "topic"),
        ("robotics", "query"),
        ("robots", "query"),
        ("Robots learn to sort parcels", "title"),
    ]
    assert engine.suggest("   ", 8).suggestions == []


def test_document_lookup(engine: LocalBackend) -> None:
    hit = engine.search(SearchRequest(q="chip")).hits[0]
    detail = engine.document(hit.id)
    assert (detail.title, detail.topics, detail.provider.name) == (
        "Chip export rules tighten",
        ["AI Hardware", "ai"],
        "Reuters",
    )
    with pytest.raises(DocumentNotFound):
        engine.document("0000000000000000")


@pytest.mark.parametrize("field", ["id", "kind", "topic_key", "provider_key", "url", "key"])
def test_internal_fields_are_plain_words(engine: LocalBackend, field: str) -> None:
    # Only the text fields a reader may name are fields; `kind:article` or `id:...` are
    # words, so an OR with them still finds the other side (it found nothing, or raised
    # KeyError for `id:`, while the internal fields were open to queries)
    robots = engine.search(SearchRequest(q="robots", per_page=50))
    either = engine.search(SearchRequest(q=f"{field}:zzqx OR robots", per_page=50))
    assert [h.id for h in either.hits] == [h.id for h in robots.hits]
    assert robots.total > 0
    with engine.snapshot() as snapshot:
        tree = snapshot.parser.parse(f"{field}:article")
    assert {name for name, _ in tree.iter_all_terms()} == {
        "title",
        "excerpt",
        "body",
        "topic",
        "provider",
    }


def test_hostile_queries_never_raise_unexpectedly(engine: LocalBackend) -> None:
    for q in [
        '"unbalanced',
        "((a",
        "*",
        "*a*",
        "title:",
        "AND",
        "NOT",
        "~",
        "a~9",
        "😀",
        "מה נשמע",
        "'; DROP TABLE x; --",
        "$(rm -rf /)",
        "a" * 900,
        "\u202e",
    ]:
        result = engine.search(search_request(q))
        assert result.total >= 0


def test_too_many_terms_is_a_bad_query(engine: LocalBackend) -> None:
    with pytest.raises(BadQuery) as error:
        engine.search(SearchRequest(q=" OR ".join(f"w{i}" for i in range(40))))
    assert error.value.param == "q"


def test_missing_index_then_published(tmp_path: Path) -> None:
    engine = LocalBackend.open(tmp_path / "index")
    with pytest.raises(IndexMissing):
        engine.search(SearchRequest())
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    _write(seeds, ARTICLES[0])
    build_index(seeds, tmp_path / "index", progress=False)
    assert engine.search(SearchRequest()).total == 1  # no restart needed


def test_last_word_is_also_a_prefix_while_typing(engine: LocalBackend) -> None:
    # match=all: what the prefix adds, without relaxation (tiny corpus: most relaxes)
    typing = names(engine, SearchRequest(q="facial recog", match="all"))
    assert sorted(typing) == sorted(
        names(engine, SearchRequest(q="facial recognition", match="all"))
    )
    # a finished word (trailing space) or explicit syntax is taken as written
    assert names(engine, SearchRequest(q="facial recog ", match="all")) == []
    assert names(engine, SearchRequest(q='"facial recog"')) == []


def test_a_search_past_its_time_limit_is_stopped(
    engine: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    import search.local.searching.run

    monkeypatch.setattr(search.local.searching.run, "TIME_LIMIT", -1.0)
    with pytest.raises(SearchTimeout) as error:
        engine.search(SearchRequest(q="facial OR chip"))
    assert error.value.status_code == 503
    assert error.value.param == "q"
