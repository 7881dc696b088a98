"""/api/search (DESIGN.md 5), in process: the app over an index of the shared corpus,
spoken to with Starlette's TestClient (tests/conftest.py `corpus_app`).

Bodies are compared as whole structures (tests/api_contract.py): exact key sets of
every object, the type of every field, echoed filters, facet orders and selections.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from api_contract import KINDS, BuiltIndex, check_hit, check_search_body, get_exact, ok_json

SEARCH_CASES: dict[str, dict[str, str | list[str]]] = {
    "browse": {},
    "words": {"q": "facial recognition"},
    "words-and-topic": {"q": "facial recognition", "topic": "AI"},
    "topic-case-insensitive": {"topic": "ai"},
    "two-topics": {"topic": ["Computer Vision", "Robotics"]},
    "provider": {"provider": "AWS", "sort": "oldest"},
    "provider-case-insensitive": {"provider": "aws"},
    "type": {"type": "video"},
    "type-case-insensitive": {"type": "VIDEO", "sort": "oldest"},
    "two-types": {"type": ["video", "course"]},
    "words-and-type": {"q": "data", "type": "article"},
    "dates": {"from": "2023-01-01", "to": "2023-12-31", "sort": "oldest"},
    "page-2": {"q": "data", "page": "2", "per_page": "5"},
    "past-the-last-page": {"q": "facial recognition", "page": "50"},
    "no-match": {"q": "zzqxjvwk"},
    "spaces-around-q": {"q": "  cloud  ", "sort": "newest"},
}


@pytest.mark.parametrize("params", SEARCH_CASES.values(), ids=SEARCH_CASES.keys())
def test_search_body_is_exactly_the_contract(
    corpus_app: httpx.Client, params: dict[str, str | list[str]]
) -> None:
    response = corpus_app.get("/api/search", params=params)
    check_search_body(ok_json(response), params)
    assert response.headers["cache-control"] == "public, no-cache"


def test_search_filters_narrow_and_facets_count(corpus_app: httpx.Client) -> None:
    everything = ok_json(corpus_app.get("/api/search"))
    topic = everything["facets"]["topic"][0]
    filtered = ok_json(corpus_app.get("/api/search", params={"topic": topic["value"]}))
    assert filtered["total"] == topic["count"] <= everything["total"]
    assert all(topic["value"] in hit["topics"] for hit in filtered["hits"])
    year = everything["facets"]["year"][-1]["value"]
    dated = ok_json(
        corpus_app.get(
            "/api/search",
            params={"from": f"{year}-01-01", "to": f"{year}-12-31", "per_page": "100"},
        )
    )
    assert dated["total"] == everything["facets"]["year"][-1]["count"]
    assert all(hit["published"].startswith(year) for hit in dated["hits"])


def test_every_document_is_a_well_formed_hit(
    corpus_hits: list[dict[str, Any]], served_index: BuiltIndex
) -> None:
    assert len(corpus_hits) == served_index.documents
    assert len({hit["id"] for hit in corpus_hits}) == len(corpus_hits)
    for hit in corpus_hits:
        check_hit(hit)
    assert {hit["kind"] for hit in corpus_hits} == KINDS
    published = [hit["published"] for hit in corpus_hits if hit["published"]]
    assert published == sorted(published, reverse=True), "browse is newest first"


def test_highlights_mark_the_matched_words(corpus_app: httpx.Client) -> None:
    body = ok_json(corpus_app.get("/api/search", params={"q": "facial recognition"}))
    assert body["hits"]
    # The words searched: those typed, and the synonyms the answer says it searched too.
    searched = {"facial", "recognition"}
    for _, also in body.get("matching", {}).get("synonyms", []):
        searched |= {word.casefold() for phrase in also for word in phrase.split()}
    for hit in body["hits"]:
        marked = hit["highlights"]["title"] + hit["highlights"]["excerpt"]
        words = {w.casefold() for w in re.findall(r"<mark>(.*?)</mark>", marked)}
        assert words and words <= searched, words


def test_date_filters_echo_as_given(corpus_app: httpx.Client) -> None:
    body = ok_json(corpus_app.get("/api/search", params={"from": "2023-01-01", "to": "2023-03-31"}))
    assert body["filters"] == {
        "topic": [],
        "provider": [],
        "type": [],
        "from": "2023-01-01",
        "to": "2023-03-31",
    }
    for hit in body["hits"]:
        day = date.fromisoformat(hit["published"][:10])
        assert date(2023, 1, 1) <= day <= date(2023, 3, 31)


def test_query_string_encodings_agree(corpus_app: httpx.Client) -> None:
    """`+` and `%20` both mean a space; the same search in either form answers the same."""
    plus = ok_json(get_exact(corpus_app, b"/api/search?q=facial+recognition"))
    percent = ok_json(get_exact(corpus_app, b"/api/search?q=facial%20recognition"))
    encoded = ok_json(corpus_app.get("/api/search?" + urlencode({"q": "facial recognition"})))
    assert [h["id"] for h in plus["hits"]] == [h["id"] for h in percent["hits"]]
    assert [h["id"] for h in plus["hits"]] == [h["id"] for h in encoded["hits"]]
