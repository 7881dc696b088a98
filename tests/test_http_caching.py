"""Caching and protective headers, in process: ETags that revalidate to 304, security
headers on every response (errors and 414s included), no inline script or style, and
no CORS unless configured. The same headers over a real socket, and configured CORS,
are checked in tests/test_server.py."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from api_contract import check_security_headers, without_timing
from starlette.requests import Request

from search.web.api import path_and_query


@pytest.mark.parametrize(
    "path",
    ["/api/search?q=ai&topic=AI", "/api/suggest?q=fac", "/api/search", "/api/search?type=video"],
    ids=["search", "suggest", "browse", "type"],
)
def test_etag_revalidates_to_304(corpus_app: httpx.Client, path: str) -> None:
    first = corpus_app.get(path)
    etag = first.headers["etag"]
    assert re.fullmatch(r'(W/)?"[^"]+"', etag), etag
    assert first.headers["x-index-generation"]
    again = corpus_app.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["x-index-generation"] == first.headers["x-index-generation"]
    check_security_headers(again)
    other = corpus_app.get(path, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200
    assert without_timing(other.json()) == without_timing(first.json())
    assert other.headers["etag"] == etag


# Paths (as ASGI gives them: percent-decoded) and raw query strings, plain and not:
# every character request.url escapes, splits at, drops or strips.
TARGETS = [
    ("/api/search", b"q=ai&topic=AI"),
    ("/api/search", b""),
    ("/api/documents/0123456789abcdef", b""),
    ("/api/search", "q=caf\u00e9 \u6771".encode()),
    ("/api/search", b"q=a#b"),
    ("/api/search", b"q=a\tb\rc\nd"),
    ("/api/search", b"q=a%20"),
    ("/api/search", b"q=a "),
    ("/api/search", b"q=a\x00"),
    ("/api/search/ ", b""),
    ("/api/a?b#c\\d", b"q=1"),
    ("/api/a\tb", b""),
    ("//api/search", b"x=1"),
    ("/caf\u00e9", b""),
]


@pytest.mark.parametrize(("path", "query"), TARGETS)
def test_the_etag_namespath_and_query_as_the_url_does(path: str, query: bytes) -> None:
    scope = {
        "type": "http",
        "scheme": "http",
        "path": path,
        "query_string": query,
        "headers": [(b"host", b"testserver")],
        "server": ("testserver", 80),
    }
    url = Request(scope).url
    assert path_and_query(Request(scope)) == (url.path, url.query)


def test_etag_differs_between_requests(corpus_app: httpx.Client) -> None:
    tags = {
        corpus_app.get("/api/search", params=params).headers["etag"]
        for params in (
            {"q": "ai"},
            {"q": "data"},
            {"q": "ai", "page": "2"},
            {"topic": "AI"},
            {"type": "video"},
            {"type": "course"},
        )
    }
    assert len(tags) == 6


def test_document_etag_revalidates(
    corpus_app: httpx.Client, corpus_hits: list[dict[str, Any]]
) -> None:
    path = f"/api/documents/{corpus_hits[0]['id']}"
    etag = corpus_app.get(path).headers["etag"]
    assert corpus_app.get(path, headers={"If-None-Match": etag}).status_code == 304


SECURITY_PATHS = [
    "/api/search?q=ai",
    "/api/suggest?q=a",
    "/healthz",
    "/openapi.json",
    "/",
    "/?q=facial+recognition&topic=AI",
    "/?page=0",
    "/api/search?page=0",
    "/api/nope",
    "/nope",
    "/static/style.css",
    "/static/search.js",
]


@pytest.mark.parametrize("path", SECURITY_PATHS)
def test_security_headers_on_every_response(corpus_app: httpx.Client, path: str) -> None:
    check_security_headers(corpus_app.get(path))


def test_security_headers_on_the_414(corpus_app: httpx.Client) -> None:
    response = corpus_app.get("/api/search", params={"q": "x" * 9000})
    assert response.status_code == 414
    check_security_headers(response)


def test_oversized_page_url_gets_the_html_error_page(corpus_app: httpx.Client) -> None:
    response = corpus_app.get("/", params={"q": "x" * 9000})
    assert response.status_code == 414
    assert response.headers["content-type"].startswith("text/html")


def test_pages_need_no_inline_script_or_style(corpus_app: httpx.Client) -> None:
    """The CSP forbids inline script and style: the page must not rely on them."""
    page = corpus_app.get("/?q=facial+recognition&topic=AI").text
    assert re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page) is None
    assert re.search(r"\sstyle\s*=", page) is None
    assert re.search(r"\son[a-z]+\s*=", page) is None
    assert "<style" not in page


def test_no_cors_by_default(corpus_app: httpx.Client) -> None:
    response = corpus_app.get("/api/search?q=ai", headers={"Origin": "https://example.org"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
