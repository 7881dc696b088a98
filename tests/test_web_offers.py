"""search.web.offers: what a zero-hit search offers instead, and that each offer is
searched before it is shown (over the real corpus, in process)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlencode

import httpx
import pytest
from api_contract import ok_json

from search.results import Filters, SearchResult, no_facets
from search.web.offers import candidates


def _zero(suggestion: str | None = None) -> SearchResult:
    return SearchResult(
        query="",
        total=0,
        page=1,
        per_page=10,
        pages=0,
        sort="relevance",
        took_ms=1.0,
        hits=[],
        facets=no_facets(),
        filters=Filters(),
        suggestion=suggestion,
    )


def test_candidates_in_order_spelling_relaxed_then_filters() -> None:
    pairs = [
        ("q", "facal recogniton"),
        ("match", "all"),
        ("topic", "AI"),
        ("type", "video"),
        ("from", "2024-01-01"),
        ("page", "3"),
    ]
    base = [p for p in pairs if p[0] != "page"]  # an offer starts at page 1
    rest = [("match", "all"), ("topic", "AI"), ("type", "video"), ("from", "2024-01-01")]
    filters = [("topic", "AI"), ("type", "video"), ("from", "2024-01-01")]
    assert candidates(pairs, _zero("facial recognition")) == [
        ("spelling", "facial recognition", [*rest, ("q", "facial recognition")]),
        ("relax", "Match most of your words", [("q", "facal recogniton"), *filters]),
        ("relax", "Search without “facal”", [*rest, ("q", "recogniton")]),
        ("relax", "Search without “recogniton”", [*rest, ("q", "facal")]),
        ("filter", "Remove topic: AI", [p for p in base if p != ("topic", "AI")]),
        ("filter", "Remove type: video", [p for p in base if p != ("type", "video")]),
        ("filter", "Remove the dates", [p for p in base if p[0] != "from"]),
        ("filter", "Remove every filter", [("q", "facal recogniton"), ("match", "all")]),
    ]


def test_candidates_for_quotes_and_long_queries() -> None:
    assert candidates([("q", '"facial robot"')], _zero()) == [
        ("relax", "Search facial robot without quotes", [("q", "facial robot")])
    ]
    long = "one two three four five six"
    assert candidates([("q", long)], _zero()) == [
        ("relax", "Match any of your words", [("q", long), ("match", "any")])
    ]
    assert candidates([("q", long), ("match", "any")], _zero()) == []
    assert candidates([("q", "single")], _zero()) == []


def _offers(page: str) -> list[tuple[str, str, str, str]]:
    """Return (kind, text, href, count) of each offer of a zero-hit page."""
    found = re.findall(
        r'<li class="offer (\w+)"><a href="([^"]*)">(.*?)</a> <span class="count">([^<]*)</span>',
        page,
    )
    return [
        (kind, unescape(re.sub(r"<[^>]+>", "", text)), unescape(href), count)
        for kind, href, text, count in found
    ]


def _count(client: httpx.Client, href: str) -> str:
    body = ok_json(client.get("/api/search?" + href.removeprefix("/?") + "&group=story"))
    total = body["total"]
    return f"{total:,} {'story' if total == 1 else 'stories'}"


@pytest.mark.parametrize(
    ("params", "kinds"),
    [
        ({"q": "facal recogniton"}, ["spelling"]),
        ({"q": "facial recognition", "topic": "Robotics"}, ["filter"]),
        ({"q": "facial recognition", "from": "2024-01-01"}, ["filter"]),
        ({"q": "facial recognition zzyzx", "match": "all", "topic": "AI"}, ["relax", "relax"]),
    ],
    ids=["spelling", "topic", "dates", "relaxed"],
)
def test_a_zero_hit_page_offers_only_what_finds_something(
    corpus_app: httpx.Client, params: dict[str, str], kinds: list[str]
) -> None:
    assert ok_json(corpus_app.get("/api/search", params=params))["total"] == 0
    page = corpus_app.get("/", params=params)
    assert page.status_code == 200
    offers = _offers(page.text)
    assert [kind for kind, _, _, _ in offers] == kinds
    for _, _, href, count in offers:
        assert count == _count(corpus_app, href)  # the count is what the link finds
        assert corpus_app.get(href).status_code == 200
    # every candidate that finds nothing was left out, not offered as a dead end
    tried = {href for _, _, href, _ in offers}
    for _, _, changed in candidates(list(params.items()), _zero()):
        href = "/?" + urlencode(changed)
        if href not in tried:
            assert ok_json(corpus_app.get("/api/search?" + urlencode(changed)))["total"] == 0
    assert "None" not in re.sub(r"<[^>]+>", " ", page.text)  # no empty facet says "None"
