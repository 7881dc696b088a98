"""GET /feed.atom, in process: any search as an Atom 1.0 feed, read back with a real
feed parser (feedparser): well-formed (bozo 0), the newest matching documents as
entries with the API's fields, filters honoured, hostile text escaped, conditional GET
(ETag and Last-Modified), and the API's 400s naming the parameter."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from html import unescape
from pathlib import Path
from typing import Any

import feedparser  # type: ignore[import-untyped]
import httpx
import pytest
from api_contract import app_client, check_error, check_security_headers, ok_json

from search.local.store.build import build_index
from search.results import Highlights, Hit, Provider
from search.web.atom import FeedHead, feed_xml

WriteSeed = Callable[..., Path]
ATOM_TYPE = "application/atom+xml; charset=utf-8"


def parse_feed(response: httpx.Response) -> Any:
    """Return the feedparser result of a 200 feed response, asserting it is well-formed."""
    assert response.status_code == 200, f"{response.status_code}: {response.text[:500]}"
    assert response.headers["content-type"] == ATOM_TYPE
    ET.fromstring(response.content)  # noqa: S314 (our own answer): well-formed to the stdlib too
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def newest_hits(client: httpx.Client, params: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """Return the API's newest `count` hits for the same search."""
    body = ok_json(
        client.get("/api/search", params={**params, "sort": "newest", "per_page": count})
    )
    hits: list[dict[str, Any]] = body["hits"]
    return hits


def check_entry(entry: Any, hit: dict[str, Any]) -> None:
    """Assert that a feed entry says what the API's hit says."""
    assert entry.id == f"urn:news-search:document:{hit['id']}"
    assert entry.title == hit["title"]
    assert entry.link == hit["url"]
    assert entry.get("summary", "") == hit["excerpt"]
    provider = hit["provider"]["name"] or hit["provider"]["domain"]
    if provider:
        assert entry.author_detail["name"] == provider
    assert [tag.term for tag in entry.get("tags", [])] == hit["topics"]
    if hit["published"]:
        published = datetime.fromisoformat(hit["published"]).astimezone(UTC)
        assert entry.published == published.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert entry.updated == entry.published


FEED_CASES: dict[str, dict[str, Any]] = {
    "browse": {},
    "words-and-topic": {"q": "facial recognition", "topic": "AI"},
    "two-types": {"type": ["video", "course"]},
    "dates": {"from": "2023-01-01", "to": "2023-06-30"},
    "provider-and-words": {"q": "data", "provider": "AWS", "match": "any"},
}


@pytest.mark.parametrize("params", FEED_CASES.values(), ids=FEED_CASES.keys())
def test_feed_entries_are_the_newest_hits_of_the_search(
    corpus_app: httpx.Client, params: dict[str, Any]
) -> None:
    response = corpus_app.get("/feed.atom", params=params)
    feed = parse_feed(response)
    check_security_headers(response)
    hits = newest_hits(corpus_app, params, 20)
    assert hits, "a case with no hits proves nothing"
    assert len(feed.entries) == len(hits) <= 20
    for entry, hit in zip(feed.entries, hits, strict=True):
        check_entry(entry, hit)
    newest = max(hit["published"] for hit in hits if hit["published"])
    assert feed.feed.updated == newest
    assert response.headers["last-modified"] == format_datetime(
        datetime.fromisoformat(newest), usegmt=True
    )


def test_feed_head_names_the_search_and_links_to_it(corpus_app: httpx.Client) -> None:
    params = {"q": "facial recognition", "topic": "AI", "per_page": "3", "sort": "oldest"}
    feed = parse_feed(corpus_app.get("/feed.atom", params=params))
    assert feed.feed.title == "News search: “facial recognition” · topic: AI"
    assert feed.feed.id.startswith("urn:news-search:feed:")
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == (
        "http://testserver/feed.atom?q=facial+recognition&topic=AI&per_page=3&sort=oldest"
    )
    page = links["alternate"].removeprefix("http://testserver")
    assert page == "/?q=facial+recognition&topic=AI&sort=newest&group=none"
    # sort is forced to newest; per_page is the entry count
    assert [e.id for e in feed.entries] == [
        f"urn:news-search:document:{hit['id']}"
        for hit in newest_hits(corpus_app, {"q": "facial recognition", "topic": "AI"}, 3)
    ]
    assert corpus_app.get(page).status_code == 200
    same = parse_feed(corpus_app.get("/feed.atom", params=params))
    assert same.feed.id == feed.feed.id, "a feed keeps its id"


def test_feed_page_and_entry_count(corpus_app: httpx.Client) -> None:
    assert len(parse_feed(corpus_app.get("/feed.atom")).entries) == 20  # the default
    assert len(parse_feed(corpus_app.get("/feed.atom?per_page=")).entries) == 20
    assert len(parse_feed(corpus_app.get("/feed.atom?per_page=100")).entries) == 100
    second = parse_feed(corpus_app.get("/feed.atom", params={"per_page": 5, "page": 2}))
    hits = newest_hits(corpus_app, {}, 10)[5:]
    assert [e.id.rsplit(":", 1)[1] for e in second.entries] == [h["id"] for h in hits]


def test_feed_of_nothing_is_a_valid_empty_feed(corpus_app: httpx.Client) -> None:
    response = corpus_app.get("/feed.atom", params={"q": "zzqxjvwk"})
    feed = parse_feed(response)
    assert feed.entries == []
    built = ok_json(corpus_app.get("/healthz"))["built_at"]
    assert feed.feed.updated == built  # no entry: when the index was built
    assert parsedate_to_datetime(response.headers["last-modified"]) == datetime.fromisoformat(built)


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"sort": "bogus"}, "sort"),
        ({"per_page": "101"}, "per_page"),
        ({"per_page": "0"}, "per_page"),
        ({"topics": "AI"}, "topics"),
        ({"format": "csv"}, "format"),
        ({"q": ["a", "b"]}, "q"),
        ({"from": "2023-13-45"}, "from"),
        ({"page": "501"}, "page"),  # 501 * 20 entries is past the 10,000 window
        ({"like": "not-an-id"}, "like"),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, dict) else value,
)
def test_bad_feed_parameters_are_a_400_naming_them(
    corpus_app: httpx.Client, params: dict[str, Any], param: str
) -> None:
    response = corpus_app.get("/feed.atom", params=params)
    check_error(response, 400, "bad_parameter", param)
    assert response.headers["cache-control"] == "no-store"


def test_feed_revalidates_by_etag_and_by_date(corpus_app: httpx.Client) -> None:
    path = "/feed.atom?topic=AI"
    first = corpus_app.get(path)
    parse_feed(first)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert first.headers["etag"] != corpus_app.get("/api/search?topic=AI").headers["etag"]

    def status(**headers: str) -> int:
        response = corpus_app.get(path, headers=headers)
        if response.status_code == 304:
            assert response.content == b""
            assert response.headers["etag"] == etag
            assert response.headers["last-modified"] == modified
        return response.status_code

    earlier = format_datetime(parsedate_to_datetime(modified).replace(year=2000), usegmt=True)
    later = format_datetime(datetime(2100, 1, 1, tzinfo=UTC), usegmt=True)
    assert status(**{"If-None-Match": etag}) == 304
    assert status(**{"If-None-Match": '"other"'}) == 200
    assert status(**{"If-Modified-Since": modified}) == 304
    assert status(**{"If-Modified-Since": later}) == 304
    assert status(**{"If-Modified-Since": earlier}) == 200
    assert status(**{"If-Modified-Since": "not a date"}) == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
    assert status(**{"If-None-Match": '"other"', "If-Modified-Since": later}) == 200
    assert status(**{"If-None-Match": etag, "If-Modified-Since": earlier}) == 304


def test_search_page_links_to_the_feed_of_its_search(corpus_app: httpx.Client) -> None:
    params = {"q": "facial recognition", "topic": "AI", "from": "2019-01-01", "utm_source": "x"}
    page = corpus_app.get("/", params=params)
    assert page.status_code == 200
    head = page.text.split("</head>")[0]
    alternates = re.findall(r'<link rel="alternate" type="application/atom\+xml"[^>]*>', head)
    assert len(alternates) == 1
    href = unescape(re.findall(r'href="([^"]*)"', alternates[0])[0])
    follow = re.findall(r'<a class="follow" href="([^"]*)"[^>]*>Follow this search</a>', page.text)
    assert [unescape(link) for link in follow] == [href]
    assert href == "/feed.atom?q=facial+recognition&from=2019-01-01&topic=AI"  # no utm_source
    feed = parse_feed(corpus_app.get(href))
    hits = newest_hits(corpus_app, {k: v for k, v in params.items() if k != "utm_source"}, 20)
    assert [e.id.rsplit(":", 1)[1] for e in feed.entries] == [h["id"] for h in hits]
    assert "<script>" not in head.split('src="/static/search.js" defer></script>')[1]
    assert parse_feed(corpus_app.get(_feed_link(corpus_app.get("/").text)))


def _feed_link(page: str) -> str:
    found = re.search(r'<a class="follow" href="([^"]*)"', page)
    assert found, "the page has no Follow this search link"
    return unescape(found.group(1))


HOSTILE = (
    "title: \"<script>alert('title')</script> Breaking & ]]> news\"\n"
    'excerpt: "An <img src=x onerror=alert(1)> excerpt & <b>bold</b> claims"\n'
    'webUrl: "https://example.com/script?a=1&b=<2>"\n'
    'topics: ["<script>alert(\'topic\')</script>", "R&D"]\n'
    'provider: {name: "<b>Evil</b> Media", domain: "evil.example"}\n'
    'publishedDateTime: "2024-03-01T10:00:00Z"\n'
)


def test_feed_escapes_hostile_documents(tmp_path: Path, write_seed: WriteSeed) -> None:
    write_seed("script.md", HOSTILE, "Body with <script>alert('body')</script> breaking text.\n")
    write_seed(
        "link.md",
        'title: "Breaking links"\nwebUrl: "javascript:alert(document.cookie)"\n'
        'publishedDateTime: "2024-03-02T10:00:00Z"\n',
    )
    index = tmp_path / "index"
    build_index(tmp_path / "seeds", index, progress=False)
    with app_client(index) as http:
        response = http.get("/feed.atom", params={"q": "breaking <script>"})
        feed = parse_feed(response)
        assert b"<script>" not in response.content and b"<img" not in response.content
        assert b"javascript:" not in response.content.lower()
        hits = newest_hits(http, {"q": "breaking <script>"}, 20)
        assert [e.title for e in feed.entries] == [
            "Breaking links",
            "<script>alert('title')</script> Breaking & ]]> news",
        ]
        link, script = feed.entries
        check_entry(script, hits[1])
        assert script.summary == "An <img src=x onerror=alert(1)> excerpt & <b>bold</b> claims"
        assert script.link == "https://example.com/script?a=1&b=<2>"
        assert script.author_detail == {"name": "<b>Evil</b> Media", "href": "https://evil.example"}
        # A link that is not http(s) is never sent: the entry links to the document instead.
        assert link.link == f"http://testserver/api/documents/{hits[0]['id']}"
        assert feed.feed.title == "News search: “breaking <script>”"


def test_feed_drops_characters_xml_cannot_hold() -> None:
    hit = Hit(
        id="0123456789abcdef",
        kind="article",
        url="https://example.com/a",
        title="bell\x07 escape\x1b nul\x00 lone\ud800 emoji\U0001f600 ok",
        excerpt="form\x0cfeed",
        published=None,
        provider=Provider(None, None),
        topics=["tab\there"],
        image=None,
        score=1.0,
        highlights=Highlights("", ""),
    )
    head = FeedHead("urn:x", "t\x01", "http://h/feed.atom", "http://h/", "http://h/api/documents/")
    built = datetime(2024, 5, 1, 12, 0, 30, tzinfo=UTC)
    document = feed_xml(head, [hit], fallback=built)
    feed = feedparser.parse(document)
    assert feed.bozo == 0, feed.get("bozo_exception")
    entry = feed.entries[0]
    assert entry.title == "bell escape nul lone emoji\U0001f600 ok"
    assert entry.summary == "formfeed"
    assert entry.updated == feed.feed.updated == "2024-05-01T12:00:30Z"  # undated: the build
    assert "published" not in entry
    assert "author" not in entry and feed.feed.author == "News search"  # the feed's, then
