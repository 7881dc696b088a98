"""The `type` facet over HTTP, in process: what kind of item a document is (article,
video, course...), counted in every /api/search body and filtered by the repeatable
`type` parameter like topic and provider.

The numbers are the shared corpus's (../shared/corpus/MANIFEST.md, "Values seen"): of
its 193 seed articles, 179 say `type: article`, 5 video, 3 forum, 2 conference,
2 course, 1 book and 1 collection; the 16 documents made from related coverage
(kind "related") are articles too. So 209 documents: 195 articles and 14 others.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
from api_contract import check_search_body, get_exact, ok_json

ALL_TYPES = [  # the type facet of every browse: commonest first, then by name
    {"value": "article", "count": 195, "selected": False},
    {"value": "video", "count": 5, "selected": False},
    {"value": "forum", "count": 3, "selected": False},
    {"value": "conference", "count": 2, "selected": False},
    {"value": "course", "count": 2, "selected": False},
    {"value": "book", "count": 1, "selected": False},
    {"value": "collection", "count": 1, "selected": False},
]
VIDEOS = [  # (title, published) of the corpus's five `type: video` files, newest first
    ("What is ChatGPT and How You Can Use It", "2022-12-15T11:51:30Z"),
    ("Governing at scale", "2021-02-01T16:00:24Z"),
    ("Power Apps portals improvements", "2021-01-22T18:12:14Z"),
    ("AI Builder: Receipt scanning", "2020-11-12T16:04:40Z"),
    ("Microsoft Power Apps | 2019 release wave 2 overview", "2019-08-19T21:00:10Z"),
]


def selecting(facet: list[dict[str, Any]], *values: str) -> list[dict[str, Any]]:
    """Return `facet` with exactly `values` selected (same order, same counts)."""
    return [{**v, "selected": v["value"] in values} for v in facet]


def search(client: httpx.Client, params: dict[str, str | list[str]]) -> dict[str, Any]:
    """Return the /api/search body of `params`, checked against the whole contract."""
    body: dict[str, Any] = ok_json(client.get("/api/search", params=params))
    check_search_body(body, params)
    return body


def every_id(client: httpx.Client, params: dict[str, str | list[str]]) -> list[str]:
    """Return the ids of every hit of `params` (one page of 100 is enough here)."""
    body = search(client, {**params, "per_page": "100"})
    assert body["pages"] <= 1
    return [hit["id"] for hit in body["hits"]]


def test_browse_counts_every_type(corpus_app: httpx.Client) -> None:
    body = search(corpus_app, {})
    assert body["total"] == 209 == sum(v["count"] for v in body["facets"]["type"])
    assert body["facets"]["type"] == ALL_TYPES
    assert body["filters"] == {"topic": [], "provider": [], "type": [], "from": None, "to": None}


def test_the_type_facet_counts_what_the_documents_say(
    corpus_app: httpx.Client, corpus_hits: list[dict[str, Any]]
) -> None:
    """Each document's own `type` (its /api/documents body), counted, is the facet."""
    types = Counter(
        ok_json(corpus_app.get(f"/api/documents/{hit['id']}"))["type"] for hit in corpus_hits
    )
    assert dict(types) == {v["value"]: v["count"] for v in ALL_TYPES}


def test_type_filter_keeps_only_that_type(corpus_app: httpx.Client) -> None:
    body = search(corpus_app, {"type": "video"})
    assert body["total"] == 5
    assert [(hit["title"], hit["published"]) for hit in body["hits"]] == VIDEOS
    assert body["filters"] == {
        "topic": [],
        "provider": [],
        "type": ["video"],
        "from": None,
        "to": None,
    }
    # Disjunctive: the type facet is counted without its own filter, so every other
    # type still shows how many results ticking it would add.
    assert body["facets"]["type"] == selecting(ALL_TYPES, "video")
    for hit in body["hits"]:
        assert ok_json(corpus_app.get(f"/api/documents/{hit['id']}"))["type"] == "video"
    # The other facets are counted under the type filter: five documents' worth.
    assert sum(v["count"] for v in body["facets"]["year"]) == 5
    assert body["facets"]["topic"] == [
        {"value": "Power Apps", "count": 4, "selected": False},
        {"value": "AI", "count": 1, "selected": False},
        {"value": "AI Builder", "count": 1, "selected": False},
        {"value": "Microsoft AI", "count": 1, "selected": False},
        {"value": "Portals", "count": 1, "selected": False},
    ]


def test_type_filter_ignores_case_and_echoes_as_given(corpus_app: httpx.Client) -> None:
    videos = every_id(corpus_app, {"type": "video"})
    for case in ("VIDEO", "Video", "vIdEo"):
        body = search(corpus_app, {"type": case})
        assert [hit["id"] for hit in body["hits"]] == videos
        assert body["filters"]["type"] == [case]
        assert body["facets"]["type"] == selecting(ALL_TYPES, "video")
    # Blanks around a value are dropped; one value given twice in two cases is one
    # filter, echoed as first given.
    for values, echoed in (([" video "], ["video"]), (["Video", "VIDEO"], ["Video"])):
        body = ok_json(corpus_app.get("/api/search", params={"type": values}))
        assert body["filters"]["type"] == echoed
        assert [hit["id"] for hit in body["hits"]] == videos
        assert body["facets"]["type"] == selecting(ALL_TYPES, "video")


def test_repeated_type_values_are_ored(corpus_app: httpx.Client) -> None:
    videos = every_id(corpus_app, {"type": "video"})
    courses = every_id(corpus_app, {"type": "course"})
    assert (len(videos), len(courses)) == (5, 2)
    body = search(corpus_app, {"type": ["video", "course"], "per_page": "100"})
    assert body["total"] == 7
    assert {hit["id"] for hit in body["hits"]} == set(videos) | set(courses)
    assert body["facets"]["type"] == selecting(ALL_TYPES, "video", "course")
    # The same search written as a raw query string.
    raw = ok_json(get_exact(corpus_app, b"/api/search?type=video&type=course&per_page=100"))
    assert [hit["id"] for hit in raw["hits"]] == [hit["id"] for hit in body["hits"]]


def test_unknown_type_matches_nothing_but_is_listed_selected(corpus_app: httpx.Client) -> None:
    body = search(corpus_app, {"type": "podcast"})
    assert (body["total"], body["pages"], body["hits"]) == (0, 0, [])
    assert body["filters"]["type"] == ["podcast"]
    # Listed last (no documents), selected, so the reader sees it and can untick it.
    assert body["facets"]["type"] == [
        *ALL_TYPES,
        {"value": "podcast", "count": 0, "selected": True},
    ]
    assert all(v["count"] == 0 for v in body["facets"]["topic"])
    # ORed with a known one, it adds nothing.
    both = search(corpus_app, {"type": ["podcast", "video"]})
    assert both["total"] == 5
    assert both["facets"]["type"] == [
        *selecting(ALL_TYPES, "video"),
        {"value": "podcast", "count": 0, "selected": True},
    ]


def test_type_facet_is_counted_under_every_other_filter(corpus_app: httpx.Client) -> None:
    """With topic and type both filtered, each facet is counted under the other only."""
    topic_only = search(corpus_app, {"topic": "AI"})
    type_only = search(corpus_app, {"type": "video"})
    both = search(corpus_app, {"topic": "AI", "type": "video"})
    assert both["facets"]["type"] == selecting(topic_only["facets"]["type"], "video")
    assert both["facets"]["topic"] == selecting(type_only["facets"]["topic"], "AI")
    video_and_ai = [v["count"] for v in topic_only["facets"]["type"] if v["value"] == "video"]
    assert [both["total"]] == video_and_ai == [1]
    assert [(hit["title"], hit["published"]) for hit in both["hits"]] == VIDEOS[:1]


def test_type_narrows_a_word_search(corpus_app: httpx.Client) -> None:
    """match=all: every word required, so which documents match does not depend on the
    filters (match=most relaxes a search that finds too few, filtered or not)."""
    words = search(corpus_app, {"q": "power apps", "match": "all", "per_page": "100"})
    typed = search(
        corpus_app, {"q": "power apps", "match": "all", "type": "video", "per_page": "100"}
    )
    counts = {v["value"]: v["count"] for v in words["facets"]["type"]}
    assert sum(counts.values()) == words["total"], "every document has exactly one type"
    assert words["pages"] == 1
    assert typed["total"] == counts["video"] == 4
    assert typed["facets"]["type"] == selecting(words["facets"]["type"], "video")
    # The typed hits are the word search's video hits, in the same (relevance) order.
    videos = set(every_id(corpus_app, {"type": "video"}))
    assert [hit["id"] for hit in typed["hits"]] == [
        hit["id"] for hit in words["hits"] if hit["id"] in videos
    ]
