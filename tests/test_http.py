"""The HTTP service (DESIGN.md 5) end to end: `search serve` as a real subprocess on a
loopback port, spoken to with httpx.

One server over an index of the shared corpus answers most tests; the no-index start,
the generation switch under load, CORS, escaping and several workers each get their own.
Bodies are compared as whole structures: exact key sets of every object, the type of
every field, exact error bodies.
"""

from __future__ import annotations

import calendar
import html
import math
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from http_support import SEARCH_KEYS, Server, rebuild_index, running_server
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from starlette.routing import Mount, Route

from benchmarks.generator import write_corpus
from search.config import Settings
from search.params import REPEATABLE, SEARCH_PARAMS, SUGGEST_PARAMS
from search.web.app import create_app

WriteSeed = Callable[..., Path]

HIT_KEYS = {
    "id",
    "kind",
    "url",
    "title",
    "excerpt",
    "published",
    "provider",
    "topics",
    "image",
    "score",
    "highlights",
}
DOCUMENT_KEYS = (HIT_KEYS - {"score", "highlights"}) | {
    "body",
    "category",
    "type",
    "quality",
    "related",
    "story",
}
STORY_COVERAGE_KEYS = {"id", "size", "coverage"}
PROVIDER_KEYS = {"name", "domain"}
HIGHLIGHT_KEYS = {"title", "excerpt"}
FACET_NAMES = {"topic", "provider", "year", "month"}
FACET_VALUE_KEYS = {"value", "count", "selected"}
FILTER_KEYS = {"topic", "provider", "from", "to"}
SUGGEST_KEYS = {"query", "suggestions"}
SUGGESTION_KEYS = {"text", "kind"}
SUGGESTION_KINDS = {"query", "title", "topic", "provider"}
HEALTH_KEYS = {"status", "documents", "generation", "built_at"}
ERROR_KEYS = {"status", "code", "message", "param"}
KINDS = {"article", "related"}
SORTS = {"relevance", "newest", "oldest"}

ID = re.compile(r"[0-9a-f]{16}")
UTC_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")
YEAR = re.compile(r"\d{4}")
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
MARK = re.compile(r"</?mark>")
SAFE_REFERRER_POLICIES = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}
REBUILD_HINT = "run `search rebuild-index`"


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_report(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Return the rebuild report of an index of the shared corpus (index path under "index")."""
    index = tmp_path_factory.mktemp("corpus") / "index"
    report = rebuild_index(corpus_dir, index)
    report["index"] = index
    return report


@pytest.fixture(scope="module")
def server(
    corpus_report: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """Run one server over the corpus index for the whole module."""
    log = tmp_path_factory.mktemp("corpus-server") / "server.log"
    with running_server(corpus_report["index"], log) as running:
        yield running
        # Whatever the module sent, the server never failed inside (no 500 hidden by a retry).
        printed = running.log()
        assert "Traceback" not in printed and '" 500 ' not in printed, printed[-5000:]


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    """Return an HTTP client of the corpus server."""
    with server.client() as http:
        yield http


@pytest.fixture(scope="module")
def openapi_doc(client: httpx.Client) -> dict[str, Any]:
    """Return the served OpenAPI document."""
    response = client.get("/openapi.json")
    assert response.status_code == 200
    doc: dict[str, Any] = response.json()
    return doc


@pytest.fixture(scope="module")
def all_hits(client: httpx.Client) -> list[dict[str, Any]]:
    """Return every document of the corpus index as a hit (empty query, all pages)."""
    hits: list[dict[str, Any]] = []
    page = 1
    while True:
        body = ok_json(client.get("/api/search", params={"per_page": "100", "page": str(page)}))
        hits += body["hits"]
        if page >= body["pages"]:
            return hits
        page += 1


# --- helpers -----------------------------------------------------------------------------


def ok_json(response: httpx.Response) -> Any:
    """Return the JSON body of a 200 response (fail with the body otherwise)."""
    assert response.status_code == 200, f"{response.status_code}: {response.text[:500]}"
    assert response.headers["content-type"] == "application/json"
    return response.json()


def is_int(value: object) -> bool:
    """Return True for a JSON integer (bool is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """Return True for a JSON number (bool is not one)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_optional_str(value: object) -> bool:
    """Return True for a string or null."""
    return value is None or isinstance(value, str)


def check_timestamp(value: object) -> None:
    """Assert `value` is null or an ISO 8601 UTC timestamp ending in Z."""
    if value is None:
        return
    assert isinstance(value, str) and UTC_TIMESTAMP.fullmatch(value), value
    datetime.fromisoformat(value.replace("Z", "+00:00"))  # a real date and time


def check_provider(provider: object) -> None:
    """Assert the provider object: exactly name and domain, each a string or null."""
    assert isinstance(provider, dict) and set(provider) == PROVIDER_KEYS
    assert is_optional_str(provider["name"]) and is_optional_str(provider["domain"])


def check_highlight(marked: object, plain: str) -> None:
    """Assert highlight HTML is `plain`, escaped, with only <mark> tags added."""
    assert isinstance(marked, str)
    bare = MARK.sub("", marked)
    assert "<" not in bare and ">" not in bare, marked
    assert html.unescape(bare) == plain


def check_hit(hit: object) -> None:
    """Assert one hit has exactly the DESIGN.md 5 keys and field types."""
    assert isinstance(hit, dict) and set(hit) == HIT_KEYS, hit
    assert isinstance(hit["id"], str) and ID.fullmatch(hit["id"]), hit["id"]
    assert hit["kind"] in KINDS
    assert is_optional_str(hit["url"]) and is_optional_str(hit["image"])
    assert isinstance(hit["title"], str) and hit["title"]
    assert isinstance(hit["excerpt"], str)
    check_timestamp(hit["published"])
    check_provider(hit["provider"])
    assert isinstance(hit["topics"], list)
    assert all(isinstance(t, str) and t for t in hit["topics"])
    assert is_number(hit["score"]) and hit["score"] >= 0
    highlights = hit["highlights"]
    assert isinstance(highlights, dict) and set(highlights) == HIGHLIGHT_KEYS
    check_highlight(highlights["title"], hit["title"])
    check_highlight(highlights["excerpt"], hit["excerpt"])


def period_bounds(label: str) -> tuple[str, str]:
    """Return the first and last day of a `YYYY` or `YYYY-MM` facet value."""
    if YEAR.fullmatch(label):
        return f"{label}-01-01", f"{label}-12-31"
    year, month = (int(part) for part in label.split("-"))
    last = calendar.monthrange(year, month)[1]
    return f"{label}-01", f"{label}-{last:02d}"


def check_facets(facets: object, filters: Mapping[str, Any]) -> None:
    """Assert the four facets: value objects, orders, and `selected` matching the filters."""
    assert isinstance(facets, dict) and set(facets) == FACET_NAMES
    for name, values in facets.items():
        assert isinstance(values, list)
        for value in values:
            assert isinstance(value, dict) and set(value) == FACET_VALUE_KEYS, value
            assert isinstance(value["value"], str) and value["value"]
            assert is_int(value["count"]) and value["count"] >= 0
            assert isinstance(value["selected"], bool)
        labels = [v["value"] for v in values]
        assert len(labels) == len(set(labels)), f"{name} repeats a value"
        if name in ("topic", "provider"):
            order = [(-v["count"], v["value"].casefold(), v["value"]) for v in values]
            assert order == sorted(order), f"{name} not ordered by count, then name"
            chosen = {f.casefold() for f in filters[name]}
            assert [v["selected"] for v in values] == [
                label.casefold() in chosen for label in labels
            ]
        else:
            pattern = YEAR if name == "year" else MONTH
            assert all(pattern.fullmatch(label) for label in labels), labels
            assert labels == sorted(labels), f"{name} not chronological"
            # A period is selected when from/to are exactly its first and last day.
            assert [v["selected"] for v in values] == [
                (filters["from"], filters["to"]) == period_bounds(label) for label in labels
            ]


def check_search_body(body: object, params: Mapping[str, str | list[str]] | None = None) -> None:
    """Assert a whole /api/search body: keys, types, paging arithmetic and echoed filters."""
    params = params or {}
    assert isinstance(body, dict) and set(body) == SEARCH_KEYS, body
    for name in ("total", "page", "per_page", "pages"):
        assert is_int(body[name]), (name, body[name])
    assert isinstance(body["query"], str)
    assert body["sort"] in SORTS
    assert is_number(body["took_ms"]) and body["took_ms"] >= 0
    assert body["suggestion"] is None or (
        isinstance(body["suggestion"], str) and body["suggestion"]
    )
    total, page, per_page = body["total"], body["page"], body["per_page"]
    assert page == int(str(params.get("page", "1")))
    assert per_page == int(str(params.get("per_page", "10")))
    assert body["pages"] == math.ceil(total / per_page)
    assert isinstance(body["hits"], list)
    assert len(body["hits"]) == max(0, min(per_page, total - (page - 1) * per_page))
    for hit in body["hits"]:
        check_hit(hit)
    ids = [hit["id"] for hit in body["hits"]]
    assert len(ids) == len(set(ids))
    q = str(params.get("q", ""))
    assert body["query"] == q.strip()
    assert body["sort"] == params.get("sort", "relevance" if q.strip() else "newest")
    filters = body["filters"]
    assert isinstance(filters, dict) and set(filters) == FILTER_KEYS
    for name in ("topic", "provider"):
        given = params.get(name, [])
        assert filters[name] == ([given] if isinstance(given, str) else given)
    assert filters["from"] == params.get("from") and filters["to"] == params.get("to")
    check_facets(body["facets"], filters)


def check_error(
    response: httpx.Response, status: int, code: str, param: str | None = None
) -> dict[str, Any]:
    """Assert the one JSON error shape with these values; return the `error` object."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert set(error) == ERROR_KEYS
    assert (error["status"], error["code"], error["param"]) == (status, code, param)
    assert isinstance(error["message"], str) and error["message"]
    return error


def check_document(document: object) -> None:
    """Assert a /api/documents/{id} body: exact keys, types, related coverage as hits."""
    assert isinstance(document, dict) and set(document) == DOCUMENT_KEYS, document
    assert isinstance(document["id"], str) and ID.fullmatch(document["id"])
    assert document["kind"] in KINDS
    for name in ("url", "image", "category", "type"):
        assert is_optional_str(document[name]), name
    for name in ("title", "excerpt", "body"):
        assert isinstance(document[name], str), name
    assert document["title"]
    check_timestamp(document["published"])
    check_provider(document["provider"])
    assert isinstance(document["topics"], list)
    assert all(isinstance(t, str) for t in document["topics"])
    assert document["quality"] is None or is_int(document["quality"])
    assert isinstance(document["related"], list)
    for hit in document["related"]:
        check_hit(hit)
    related_ids = [hit["id"] for hit in document["related"]]
    assert document["id"] not in related_ids, "a document is not its own related coverage"
    assert len(related_ids) == len(set(related_ids))
    story = document["story"]
    assert isinstance(story, dict) and set(story) == STORY_COVERAGE_KEYS
    assert ID.fullmatch(story["id"]) and is_int(story["size"])
    for hit in story["coverage"]:
        check_hit(hit)
    coverage_ids = [hit["id"] for hit in story["coverage"]]
    assert document["id"] not in coverage_ids, "a document is not its own coverage"
    assert story["size"] == len(set(coverage_ids)) + 1 == len(coverage_ids) + 1
    assert story["id"] == min([document["id"], *coverage_ids]), "named by its smallest id"


def without_timing(body: dict[str, Any]) -> dict[str, Any]:
    """Return a body without `took_ms`, the one field that differs between equal answers."""
    return {k: v for k, v in body.items() if k != "took_ms"}


def raw_get(client: httpx.Client, target: bytes) -> httpx.Response:
    """GET a request target exactly as given (no normalising of dots or escapes)."""
    return client.get("/", extensions={"target": target})


class HitTitles(HTMLParser):
    """Collects the text of each result title (`<li class="hit">` ... `<h3>`) of the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.titles: list[str] = []
        self._in_hit = False
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "li":
            self._in_hit = "hit" in classes
        elif tag == "h3" and self._in_hit:
            self._in_title = True
            self.titles.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h3":
            self._in_title = False
        elif tag == "li":
            self._in_hit = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.titles[-1] += data


def page_titles(page: str) -> list[str]:
    """Return the result titles of a search page, as text (markup and escapes undone)."""
    parser = HitTitles()
    parser.feed(page)
    parser.close()
    return parser.titles


def page_total(page: str) -> int:
    """Return the result count the page states."""
    found = re.search(r"<strong>([\d,]+)</strong> (?:results?|stor(?:y|ies))", page)
    assert found, "the page states no result count"
    return int(found.group(1).replace(",", ""))


def check_security_headers(response: httpx.Response) -> None:
    """Assert the security headers every response carries."""
    headers = response.headers
    policy = headers.get("content-security-policy", "")
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in policy, (directive, policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("referrer-policy") in SAFE_REFERRER_POLICIES
    assert headers.get("x-frame-options") == "DENY"


def schema_validator(doc: Mapping[str, Any], path: str, status: int, media: str) -> Any:
    """Return a JSON Schema validator for the response the OpenAPI document declares."""
    operation = doc["paths"][path]["get"]
    declared = operation["responses"][str(status)]
    assert media in declared["content"], (path, status, list(declared["content"]))

    def escape(part: str) -> str:
        return part.replace("~", "~0").replace("/", "~1")

    pointer = "/".join(
        escape(p) for p in ("paths", path, "get", "responses", str(status), "content", media)
    )
    resource: Resource[Any] = DRAFT202012.create_resource(dict(doc))
    registry: Registry[Any] = Registry().with_resource("urn:openapi", resource)
    return Draft202012Validator(
        {"$ref": f"urn:openapi#/{pointer}/schema"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def validate_response(doc: Mapping[str, Any], path: str, response: httpx.Response) -> None:
    """Validate a real response against the schema the OpenAPI document gives for it."""
    media = response.headers["content-type"].split(";")[0]
    schema_validator(doc, path, response.status_code, media).validate(response.json())


# --- 1. the contract ---------------------------------------------------------------------

SEARCH_CASES: dict[str, dict[str, str | list[str]]] = {
    "browse": {},
    "words": {"q": "facial recognition"},
    "words-and-topic": {"q": "facial recognition", "topic": "AI"},
    "topic-case-insensitive": {"topic": "ai"},
    "two-topics": {"topic": ["Computer Vision", "Robotics"]},
    "provider": {"provider": "AWS", "sort": "oldest"},
    "provider-case-insensitive": {"provider": "aws"},
    "dates": {"from": "2023-01-01", "to": "2023-12-31", "sort": "oldest"},
    "page-2": {"q": "data", "page": "2", "per_page": "5"},
    "past-the-last-page": {"q": "facial recognition", "page": "50"},
    "no-match": {"q": "zzqxjvwk"},
    "spaces-around-q": {"q": "  cloud  ", "sort": "newest"},
}


@pytest.mark.parametrize("params", SEARCH_CASES.values(), ids=SEARCH_CASES.keys())
def test_search_body_is_exactly_the_contract(
    client: httpx.Client, params: dict[str, str | list[str]]
) -> None:
    response = client.get("/api/search", params=params)
    check_search_body(ok_json(response), params)
    assert response.headers["cache-control"] == "public, no-cache"


def test_search_filters_narrow_and_facets_count(client: httpx.Client) -> None:
    everything = ok_json(client.get("/api/search"))
    topic = everything["facets"]["topic"][0]
    filtered = ok_json(client.get("/api/search", params={"topic": topic["value"]}))
    assert filtered["total"] == topic["count"] <= everything["total"]
    assert all(topic["value"] in hit["topics"] for hit in filtered["hits"])
    year = everything["facets"]["year"][-1]["value"]
    dated = ok_json(
        client.get(
            "/api/search",
            params={"from": f"{year}-01-01", "to": f"{year}-12-31", "per_page": "100"},
        )
    )
    assert dated["total"] == everything["facets"]["year"][-1]["count"]
    assert all(hit["published"].startswith(year) for hit in dated["hits"])


def test_every_document_is_a_well_formed_hit(
    all_hits: list[dict[str, Any]], corpus_report: dict[str, Any]
) -> None:
    assert len(all_hits) == corpus_report["documents"]
    assert len({hit["id"] for hit in all_hits}) == len(all_hits)
    for hit in all_hits:
        check_hit(hit)
    assert {hit["kind"] for hit in all_hits} == KINDS
    published = [hit["published"] for hit in all_hits if hit["published"]]
    assert published == sorted(published, reverse=True), "browse is newest first"


def test_highlights_mark_the_matched_words(client: httpx.Client) -> None:
    body = ok_json(client.get("/api/search", params={"q": "facial recognition"}))
    assert body["hits"]
    for hit in body["hits"]:
        marked = hit["highlights"]["title"] + hit["highlights"]["excerpt"]
        words = {w.casefold() for w in re.findall(r"<mark>(.*?)</mark>", marked)}
        assert words and words <= {"facial", "recognition"}, words


SUGGEST_CASES: dict[str, dict[str, str]] = {
    "prefix": {"q": "fac"},
    "limit": {"q": "fac", "limit": "3"},
    "one-letter": {"q": "a", "limit": "20"},
    "empty": {},
    "nothing-matches": {"q": "zzqxjvwk"},
}


@pytest.mark.parametrize("params", SUGGEST_CASES.values(), ids=SUGGEST_CASES.keys())
def test_suggest_body_is_exactly_the_contract(client: httpx.Client, params: dict[str, str]) -> None:
    body = ok_json(client.get("/api/suggest", params=params))
    assert set(body) == SUGGEST_KEYS
    assert body["query"] == params.get("q", "")
    assert isinstance(body["suggestions"], list)
    assert len(body["suggestions"]) <= int(params.get("limit", "8"))
    for suggestion in body["suggestions"]:
        assert isinstance(suggestion, dict) and set(suggestion) == SUGGESTION_KEYS
        assert isinstance(suggestion["text"], str) and suggestion["text"]
        assert suggestion["kind"] in SUGGESTION_KINDS
    if params.get("q") == "fac":
        texts = [s["text"].casefold() for s in body["suggestions"]]
        assert texts and all(t.startswith("fac") for t in texts), texts


def test_every_document_is_served_with_its_related_coverage(
    client: httpx.Client, all_hits: list[dict[str, Any]]
) -> None:
    with_related = 0
    for hit in all_hits:
        response = client.get(f"/api/documents/{hit['id']}")
        document = ok_json(response)
        check_document(document)
        assert "etag" in response.headers
        same = ("id", "kind", "url", "title", "excerpt", "published", "provider", "topics", "image")
        assert {k: document[k] for k in same} == {k: hit[k] for k in same}
        with_related += bool(document["related"])
    assert with_related > 0, "the corpus has related coverage: some document must show it"


def test_unknown_document_is_a_404_json_error(client: httpx.Client) -> None:
    response = client.get("/api/documents/0000000000000000")
    assert response.json() == {
        "error": {
            "status": 404,
            "code": "not_found",
            "message": "no document with id '0000000000000000'",
            "param": None,
        }
    }
    check_error(response, 404, "not_found")


TRAVERSALS = [
    b"/api/documents/..%2F..%2Fetc%2Fpasswd",
    b"/api/documents/..%2f..%2f..%2f..%2fetc%2fpasswd",
    b"/api/documents/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    b"/api/documents/%2e%2e/%2e%2e/etc/passwd",
    b"/api/documents/../../etc/passwd",
    b"/api/documents/..%252F..%252Fetc%252Fpasswd",
    b"/api/documents/..%5c..%5cetc%5cpasswd",
    b"/api/documents/..\\..\\etc\\passwd",
    b"/api/documents/....//....//etc/passwd",
    b"/api/documents/%2Fetc%2Fpasswd",
    b"/api/documents/%00",
    b"/api/documents/..%00",
    b"/api/documents/%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afetc%c0%afpasswd",
    b"/api/documents/..%2F..%2F..%2Fwork%2Fmain%2Fpyproject.toml",
    b"/api/documents/CURRENT",
]


@pytest.mark.parametrize("target", TRAVERSALS, ids=[t.decode() for t in TRAVERSALS])
def test_encoded_traversal_ids_are_404_never_file_content(
    client: httpx.Client, target: bytes
) -> None:
    response = raw_get(client, target)
    check_error(response, 404, "not_found")
    assert "root:" not in response.text and "[project]" not in response.text


def test_healthz_says_what_is_served(client: httpx.Client, corpus_report: dict[str, Any]) -> None:
    response = client.get("/healthz")
    body = ok_json(response)
    assert set(body) == HEALTH_KEYS
    assert body["status"] == "ok"
    assert body["documents"] == corpus_report["documents"]
    assert body["generation"] == corpus_report["generation"]
    check_timestamp(body["built_at"])
    assert body["built_at"] is not None
    assert response.headers["cache-control"] == "no-store"


def test_openapi_json_is_served(client: httpx.Client) -> None:
    doc = ok_json(client.get("/openapi.json"))
    assert doc["openapi"].startswith("3.")
    assert {"/api/search", "/api/suggest", "/api/documents/{doc_id}", "/healthz"} <= set(
        doc["paths"]
    )


def test_date_filters_echo_as_given(client: httpx.Client) -> None:
    body = ok_json(client.get("/api/search", params={"from": "2023-01-01", "to": "2023-03-31"}))
    assert body["filters"] == {
        "topic": [],
        "provider": [],
        "from": "2023-01-01",
        "to": "2023-03-31",
    }
    for hit in body["hits"]:
        day = date.fromisoformat(hit["published"][:10])
        assert date(2023, 1, 1) <= day <= date(2023, 3, 31)


def test_query_string_encodings_agree(client: httpx.Client) -> None:
    """`+` and `%20` both mean a space; the same search in either form answers the same."""
    plus = ok_json(raw_get(client, b"/api/search?q=facial+recognition"))
    percent = ok_json(raw_get(client, b"/api/search?q=facial%20recognition"))
    encoded = ok_json(client.get("/api/search?" + urlencode({"q": "facial recognition"})))
    assert [h["id"] for h in plus["hits"]] == [h["id"] for h in percent["hits"]]
    assert [h["id"] for h in plus["hits"]] == [h["id"] for h in encoded["hits"]]


# --- 2. errors and hostile input ---------------------------------------------------------

BAD_PARAMETERS: list[tuple[str, str, str, str]] = [
    # (id, path with query string, param named, exact message)
    (
        "sort-bogus",
        "/api/search?sort=bogus",
        "sort",
        "sort must be one of relevance, newest, oldest, not 'bogus'",
    ),
    (
        "from-impossible-date",
        "/api/search?from=2023-13-45",
        "from",
        "from must be a date as YYYY-MM-DD, not '2023-13-45'",
    ),
    (
        "from-february-30",
        "/api/search?from=2023-02-30",
        "from",
        "from must be a date as YYYY-MM-DD, not '2023-02-30'",
    ),
    (
        "to-not-a-date",
        "/api/search?to=not-a-date",
        "to",
        "to must be a date as YYYY-MM-DD, not 'not-a-date'",
    ),
    (
        "from-after-to",
        "/api/search?from=2024-01-02&to=2024-01-01",
        "from",
        "from (2024-01-02) is after to (2024-01-01)",
    ),
    ("page-0", "/api/search?page=0", "page", "page must be between 1 and 10000, not 0"),
    ("page-negative", "/api/search?page=-1", "page", "page must be between 1 and 10000, not -1"),
    ("page-abc", "/api/search?page=abc", "page", "page must be a whole number, not 'abc'"),
    ("page-float", "/api/search?page=1.5", "page", "page must be a whole number, not '1.5'"),
    (
        "per-page-0",
        "/api/search?per_page=0",
        "per_page",
        "per_page must be between 1 and 100, not 0",
    ),
    (
        "per-page-101",
        "/api/search?per_page=101",
        "per_page",
        "per_page must be between 1 and 100, not 101",
    ),
    (
        "result-window",
        "/api/search?page=1001&per_page=10",
        "page",
        "page * per_page may not exceed 10000 (got 1001 * 10); narrow the search instead",
    ),
    ("repeated-q", "/api/search?q=a&q=b", "q", "parameter 'q' may be given only once"),
    (
        "repeated-page",
        "/api/search?page=1&page=2",
        "page",
        "parameter 'page' may be given only once",
    ),
    (
        "unknown-topics",
        "/api/search?topics=AI",
        "topics",
        "unknown parameter 'topics'; expected one of: "
        "q, from, to, sort, page, per_page, group, like, topic, provider",
    ),
    (
        "group-bogus",
        "/api/search?group=outlet",
        "group",
        "group must be story or none, not 'outlet'",
    ),
    ("like-not-an-id", "/api/search?like=../x", "like", "like must be a document id, not '../x'"),
    (
        "like-and-q",
        "/api/search?like=0123456789abcdef&q=ai",
        "like",
        "give either q or like, not both",
    ),
    (
        "repeated-group",
        "/api/search?group=story&group=none",
        "group",
        "parameter 'group' may be given only once",
    ),
    (
        "suggest-limit-0",
        "/api/suggest?q=a&limit=0",
        "limit",
        "limit must be between 1 and 20, not 0",
    ),
    (
        "suggest-limit-abc",
        "/api/suggest?limit=abc",
        "limit",
        "limit must be a whole number, not 'abc'",
    ),
    (
        "suggest-limit-21",
        "/api/suggest?limit=21",
        "limit",
        "limit must be between 1 and 20, not 21",
    ),
    (
        "suggest-unknown",
        "/api/suggest?prefix=a",
        "prefix",
        "unknown parameter 'prefix'; expected one of: q, limit",
    ),
    (
        "suggest-repeated-q",
        "/api/suggest?q=a&q=b",
        "q",
        "parameter 'q' may be given only once",
    ),
    (
        "long-topic",
        "/api/search?topic=" + "x" * 300,
        "topic",
        "a topic value is longer than 200 characters",
    ),
    (
        "sixty-topics",
        "/api/search?" + "&".join(f"topic=t{n}" for n in range(60)),
        "topic",
        "at most 50 values of topic are allowed",
    ),
    (
        "long-provider",
        "/api/search?provider=" + "p" * 201,
        "provider",
        "a provider value is longer than 200 characters",
    ),
    (
        "q-1001-chars",
        "/api/search?q=" + "%C3%A9" * 1001,
        "q",
        "q is 1001 characters long; the limit is 1000",
    ),
    # Bounds count what was sent, before control characters and blanks are cleaned away,
    # as the OpenAPI document's maxLength and maxItems say (found by schemathesis).
    (
        "q-1001-chars-mostly-spaces",
        "/api/search?q=ai" + "+" * 999,
        "q",
        "q is 1001 characters long; the limit is 1000",
    ),
    (
        "long-topic-of-control-characters",
        "/api/search?topic=AI" + "%01" * 199,
        "topic",
        "a topic value is longer than 200 characters",
    ),
    (
        "to-a-control-character",
        "/api/search?to=%1E",
        "to",
        "to must be a date as YYYY-MM-DD, not '\\x1e'",
    ),
    (
        "page-with-a-control-character",
        "/api/search?page=2%1F",
        "page",
        "page must be a whole number, not '2\\x1f'",
    ),
    (
        "fifty-one-empty-providers",
        "/api/search?" + "&".join(["provider="] * 51),
        "provider",
        "at most 50 values of provider are allowed",
    ),
]


@pytest.mark.parametrize(
    ("target", "param", "message"),
    [case[1:] for case in BAD_PARAMETERS],
    ids=[case[0] for case in BAD_PARAMETERS],
)
def test_bad_parameter_is_a_400_naming_it(
    client: httpx.Client, target: str, param: str, message: str
) -> None:
    response = raw_get(client, target.encode())
    assert response.status_code == 400
    assert response.json() == {
        "error": {"status": 400, "code": "bad_parameter", "message": message, "param": param}
    }
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"


HOSTILE_QUERIES = {
    "unbalanced-quote": '"facial recognition',
    "unbalanced-quotes": 'a "b "c',
    "open-paren": "(facial OR",
    "close-paren": "facial)) recognition",
    "lone-star": "*",
    "inner-star": "*a*",
    "star-field": "title:*",
    "field-without-term": "title:",
    "unknown-field": "secured:true",
    "colon": ":",
    "bare-operators": "AND OR NOT",
    "not-only": "NOT",
    "fuzzy-huge": "a~99",
    "range-open": "[a TO",
    "braces": "{}",
    "caret": "facial^",
    "boost-garbage": "facial^abc",
    "backslash": "\\",
    "nul": "\x00",
    "escape": "\x1b[31mred",
    "emoji": "\U0001f600 \U0001f9d1\u200d\U0001f4bb",
    "right-to-left": "\u05e9\u05dc\u05d5\u05dd \u0627\u0644\u0630\u0643\u0627\u0621",
    "rtl-override": "\u202eevil",
    "sql": "'; DROP TABLE documents; --",
    "sql-or": "' OR '1'='1",
    "shell": "$(rm -rf /) `id` | cat /etc/passwd; echo $HOME",
    "percent-garbage": "%%%ZZ%",
    "html": "<script>alert(1)</script>",
    "many-words": " ".join(["recognition"] * 150),
    "deep-parens": "(" * 200 + "a" + ")" * 200,
    "many-ors": " OR ".join(f"w{n}" for n in range(150)),
    "many-wildcards": " ".join(f"{c}*" for c in "abcdefghijklmnopqrstuvwxyz"),
    "1000-chars": "x" * 1000,
}


@pytest.mark.parametrize("q", HOSTILE_QUERIES.values(), ids=HOSTILE_QUERIES.keys())
def test_hostile_query_is_answered_never_a_5xx(client: httpx.Client, q: str) -> None:
    response = client.get("/api/search", params={"q": q})
    assert response.status_code in (200, 400), response.text[:500]
    if response.status_code == 400:
        check_error(response, 400, "bad_parameter", "q")
    else:
        body = ok_json(response)
        assert set(body) == SEARCH_KEYS
        check_facets(body["facets"], body["filters"])
        for hit in body["hits"]:
            check_hit(hit)
    page = client.get("/", params={"q": q})
    assert page.status_code == response.status_code, page.text[-2000:]
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    suggest = client.get("/api/suggest", params={"q": q})
    assert suggest.status_code in (200, 400), suggest.text[:500]
    if suggest.status_code == 400:
        check_error(suggest, 400, "bad_parameter", "q")
    else:
        assert set(suggest.json()) == SUGGEST_KEYS


RAW_HOSTILE_TARGETS = [
    b"/api/search?q=%ZZ",
    b"/api/search?q=%",
    b"/api/search?q=%FF%FE%FD",
    b"/api/search?q=%C0%80",
    b"/api/search?q=%ED%A0%80",
    b"/api/search?q",
    b"/api/search?&&&",
    b"/api/search?q=a;b",
    b"/api/search?topic=%00",
    b"/api/search?topic=&provider=",
    b"/api/search?q=%0d%0aSet-Cookie:%20x=1",
    b"/api/suggest?q=%FF",
    b"/api/suggest?q=%00%1b",
    b"/api/suggest?q=" + b"%F0%9F%98%80" * 50,
]


@pytest.mark.parametrize(
    "target", RAW_HOSTILE_TARGETS, ids=[t.decode() for t in RAW_HOSTILE_TARGETS]
)
def test_raw_hostile_query_strings_are_answered(client: httpx.Client, target: bytes) -> None:
    response = raw_get(client, target)
    assert response.status_code == 200, response.text[:500]
    body = ok_json(response)
    assert set(body) == (SUGGEST_KEYS if target.startswith(b"/api/suggest") else SEARCH_KEYS)
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize(
    ("target", "param"),
    [(b"/api/search?%%%=1", "%%%"), (b"/api/search?=x", ""), (b"/api/search?Q=ai", "Q")],
    ids=["percent-name", "empty-name", "upper-case-name"],
)
def test_odd_parameter_names_are_named_in_the_400(
    client: httpx.Client, target: bytes, param: str
) -> None:
    check_error(raw_get(client, target), 400, "bad_parameter", param)


def test_a_10000_character_q_is_refused_as_json(client: httpx.Client) -> None:
    response = client.get("/api/search", params={"q": "x" * 10_000})
    assert response.status_code in (400, 414)
    if response.status_code == 400:
        check_error(response, 400, "bad_parameter", "q")
    else:
        check_error(response, 414, "uri_too_long")


def test_unknown_api_route_is_a_404_json_error(client: httpx.Client) -> None:
    response = client.get("/api/nope")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"status": 404, "code": "not_found", "message": "Not Found", "param": None}
    }
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize("path", ["/nope", "/static/nope.css", "/static/..%2F..%2Fapp.py"])
def test_unknown_page_route_is_a_404_html_page(client: httpx.Client, path: str) -> None:
    response = raw_get(client, path.encode())
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Nothing here" in response.text
    assert "import" not in response.text


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_on_the_api_are_405(client: httpx.Client, method: str) -> None:
    response = client.request(method, "/api/search", content=b"q=ai")
    assert response.json() == {
        "error": {
            "status": 405,
            "code": "method_not_allowed",
            "message": "Method Not Allowed",
            "param": None,
        }
    }
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]


# --- 3. no index yet ---------------------------------------------------------------------


@pytest.mark.parametrize("folder_exists", [True, False], ids=["empty-folder", "missing-folder"])
def test_server_without_index_answers_503_then_serves_once_built(
    tmp_path: Path,
    corpus_dir: Path,
    folder_exists: bool,
    openapi_doc: dict[str, Any],
) -> None:
    index = tmp_path / "index"
    if folder_exists:
        index.mkdir()
    with running_server(index, tmp_path / "server.log") as server, server.client() as http:
        health = http.get("/healthz")
        assert health.status_code == 503
        message = "no search index has been built yet: run `search rebuild-index`"
        assert health.json() == {
            "status": "unavailable",
            "error": {"status": 503, "code": "index_missing", "message": message, "param": None},
        }
        validate_response(openapi_doc, "/healthz", health)
        for path in ("/api/search", "/api/search?q=ai", "/api/suggest?q=a", "/api/documents/x"):
            error = check_error(http.get(path), 503, "index_missing")
            assert REBUILD_HINT in error["message"]
        validate_response(openapi_doc, "/api/search", http.get("/api/search"))
        page = http.get("/")
        assert page.status_code == 503
        assert page.headers["content-type"].startswith("text/html")
        assert not page.text.lstrip().startswith("{")
        assert "The search index is not ready yet" in page.text
        assert "search rebuild-index" in page.text
        check_security_headers(page)
        # A bad parameter is still the client's fault, index or not.
        check_error(http.get("/api/search?page=0"), 400, "bad_parameter", "page")

        report = rebuild_index(corpus_dir, index)
        deadline = time.monotonic() + 5.0
        while (health := http.get("/healthz")).status_code != 200:
            assert time.monotonic() < deadline, f"still {health.status_code}:\n{server.log()}"
            time.sleep(0.1)
        assert health.json()["generation"] == report["generation"]
        body = ok_json(http.get("/api/search"))
        assert body["total"] == report["documents"]
        assert http.get("/").status_code == 200


# --- 4. new generations picked up under load ---------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One answer seen by a load client."""

    started: float
    ended: float
    generation: str
    what: str  # which request: "browse", "market", "ai-topic" or "health"
    total: int


LOAD_REQUESTS: dict[str, tuple[str, dict[str, str]]] = {
    "browse": ("/api/search", {"per_page": "1"}),
    "market": ("/api/search", {"q": "market"}),
    "ai-topic": ("/api/search", {"q": "cloud OR data", "topic": "AI", "sort": "oldest"}),
    "health": ("/healthz", {}),
}


def load_client(
    server: Server, answers: list[Answer], failures: list[str], stop: threading.Event
) -> None:
    """Send a steady stream of requests until `stop`; record every answer and failure."""
    with server.client(timeout=10.0) as http:
        while not stop.is_set():
            for what, (path, params) in LOAD_REQUESTS.items():
                started = time.monotonic()
                try:
                    response = http.get(path, params=params)
                    ended = time.monotonic()
                    if response.status_code != 200:
                        failures.append(f"{what}: {response.status_code} {response.text[:200]}")
                        continue
                    body = response.json()
                    if what == "health":
                        generation, total = body["generation"], body["documents"]
                    else:
                        generation, total = response.headers["x-index-generation"], body["total"]
                    answers.append(Answer(started, ended, generation, what, total))
                except Exception as exc:  # every failure is collected and asserted
                    failures.append(f"{what}: {exc!r}")
                stop.wait(0.005)  # a steady stream, not a flood: the builder needs the CPU


def test_new_generations_are_picked_up_under_load(tmp_path: Path) -> None:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_corpus(seeds / "base", 500, seed=7)
    reports = [rebuild_index(seeds, index)]
    answers: list[Answer] = []
    failures: list[str] = []
    stop = threading.Event()
    published: list[float] = []  # when each rebuild after the first had returned
    with running_server(index, tmp_path / "server.log") as server, server.client() as http:
        etags = [http.get("/api/search", params={"q": "market"}).headers["etag"]]
        threads = [
            threading.Thread(target=load_client, args=(server, answers, failures, stop))
            for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.5)
            for round_ in range(2):
                write_corpus(seeds / f"more-{round_}", 60, seed=100 + round_)
                reports.append(rebuild_index(seeds, index))
                published.append(time.monotonic())
                generation = reports[-1]["generation"]
                deadline = time.monotonic() + 4.0
                while not any(a.generation == generation for a in answers):
                    assert time.monotonic() < deadline, f"{generation} never served"
                    time.sleep(0.05)
                time.sleep(0.5)
                etags.append(http.get("/api/search", params={"q": "market"}).headers["etag"])
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        stale = http.get("/api/search", params={"q": "market"}, headers={"If-None-Match": etags[0]})
        assert stale.status_code == 200 and stale.headers["etag"] == etags[-1]

    assert failures == [], failures[:10]
    generations = [r["generation"] for r in reports]
    documents = {r["generation"]: r["documents"] for r in reports}
    assert len(set(generations)) == 3
    assert documents[generations[0]] < documents[generations[1]] < documents[generations[2]]
    assert len(set(etags)) == 3, "the ETag changes with the generation"
    assert {a.generation for a in answers} == set(generations)

    for number, generation in enumerate(generations[1:]):
        first_seen = min(a.ended for a in answers if a.generation == generation)
        assert first_seen - published[number] <= 2.0, "picked up more than 2 s after publish"
        # Once served, never an older generation again (one process, one engine).
        older = set(generations[: number + 1])
        late = [a for a in answers if a.started > first_seen and a.generation in older]
        assert late == [], late[:3]
        settled = published[number] + 2.0
        assert all(a.generation not in older for a in answers if a.started > settled)

    totals: dict[tuple[str, str], set[int]] = {}
    for answer in answers:
        totals.setdefault((answer.generation, answer.what), set()).add(answer.total)
    for (generation, what), seen in totals.items():
        assert len(seen) == 1, f"{what} answered {seen} within {generation}"
        if what in ("browse", "health"):
            assert seen == {documents[generation]}, (generation, what)
    counts = {what: len([a for a in answers if a.what == what]) for what in LOAD_REQUESTS}
    assert min(counts.values()) >= 20, counts


# --- 5. caching, security headers, CORS --------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/search?q=ai&topic=AI", "/api/suggest?q=fac", "/api/search"],
    ids=["search", "suggest", "browse"],
)
def test_etag_revalidates_to_304(client: httpx.Client, path: str) -> None:
    first = client.get(path)
    etag = first.headers["etag"]
    assert re.fullmatch(r'(W/)?"[^"]+"', etag), etag
    assert first.headers["x-index-generation"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["x-index-generation"] == first.headers["x-index-generation"]
    check_security_headers(again)
    other = client.get(path, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200
    assert without_timing(other.json()) == without_timing(first.json())
    assert other.headers["etag"] == etag


def test_etag_differs_between_requests(client: httpx.Client) -> None:
    tags = {
        client.get("/api/search", params=params).headers["etag"]
        for params in ({"q": "ai"}, {"q": "data"}, {"q": "ai", "page": "2"}, {"topic": "AI"})
    }
    assert len(tags) == 4


def test_document_etag_revalidates(client: httpx.Client, all_hits: list[dict[str, Any]]) -> None:
    path = f"/api/documents/{all_hits[0]['id']}"
    etag = client.get(path).headers["etag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304


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
def test_security_headers_on_every_response(client: httpx.Client, path: str) -> None:
    check_security_headers(client.get(path))


def test_security_headers_on_the_414(client: httpx.Client) -> None:
    response = client.get("/api/search", params={"q": "x" * 9000})
    assert response.status_code == 414
    check_security_headers(response)


def test_oversized_page_url_gets_the_html_error_page(client: httpx.Client) -> None:
    response = client.get("/", params={"q": "x" * 9000})
    assert response.status_code == 414
    assert response.headers["content-type"].startswith("text/html")


def test_pages_need_no_inline_script_or_style(client: httpx.Client) -> None:
    """The CSP forbids inline script and style: the page must not rely on them."""
    page = client.get("/?q=facial+recognition&topic=AI").text
    assert re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page) is None
    assert re.search(r"\sstyle\s*=", page) is None
    assert re.search(r"\son[a-z]+\s*=", page) is None
    assert "<style" not in page


def test_no_cors_by_default(client: httpx.Client) -> None:
    response = client.get("/api/search?q=ai", headers={"Origin": "https://example.org"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_cors_when_configured(tmp_path: Path, corpus_report: dict[str, Any]) -> None:
    env = {"SEARCH_CORS_ORIGINS": "https://example.org"}
    with (
        running_server(corpus_report["index"], tmp_path / "server.log", env=env) as server,
        server.client() as http,
    ):
        allowed = http.get("/api/search?q=ai", headers={"Origin": "https://example.org"})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://example.org"
        assert "origin" in allowed.headers.get("vary", "").lower(), "public answers vary by Origin"
        exposed = {
            h.strip().lower() for h in allowed.headers["access-control-expose-headers"].split(",")
        }
        assert {"etag", "x-index-generation"} <= exposed
        other = http.get("/api/search?q=ai", headers={"Origin": "https://evil.example"})
        assert other.status_code == 200
        assert "access-control-allow-origin" not in other.headers
        preflight = http.options(
            "/api/search",
            headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://example.org"
        assert "GET" in preflight.headers["access-control-allow-methods"]
        refused = http.options(
            "/api/search",
            headers={"Origin": "https://example.org", "Access-Control-Request-Method": "DELETE"},
        )
        assert refused.status_code == 400


# --- 6. OpenAPI --------------------------------------------------------------------------


def test_openapi_document_is_valid(openapi_doc: dict[str, Any]) -> None:
    validate_openapi(openapi_doc)


def starlette_path(path: str) -> str:
    """Return a Starlette route path in OpenAPI's form (`{name:int}` -> `{name}`)."""
    return re.sub(r"\{(\w+)(:\w+)?\}", r"{\1}", path)


def test_openapi_describes_every_route(openapi_doc: dict[str, Any], tmp_path: Path) -> None:
    app = create_app(Settings(index_dir=tmp_path / "index"), watch=False)
    routes = [r for r in app.routes if not isinstance(r, Mount)]
    assert routes and all(isinstance(r, Route) for r in routes)
    documented = openapi_doc["paths"]
    served: set[str] = set()
    for route in routes:
        assert isinstance(route, Route)
        path = starlette_path(route.path)
        served.add(path)
        assert path in documented, f"{path} is not in the OpenAPI document"
        methods = {m.lower() for m in route.methods or ()} - {"head"}
        assert methods == set(documented[path]), path
        path_params = {
            p["name"] for p in documented[path]["get"].get("parameters", []) if p["in"] == "path"
        }
        assert path_params == set(route.param_convertors), path
    assert served == set(documented), "the document describes a route that does not exist"


@pytest.mark.parametrize(
    ("path", "accepted"),
    [("/api/search", SEARCH_PARAMS), ("/", SEARCH_PARAMS), ("/api/suggest", SUGGEST_PARAMS)],
    ids=["search", "page", "suggest"],
)
def test_openapi_describes_every_parameter(
    openapi_doc: dict[str, Any], path: str, accepted: tuple[str, ...]
) -> None:
    parameters = openapi_doc["paths"][path]["get"]["parameters"]
    by_name = {p["name"]: p for p in parameters}
    assert len(by_name) == len(parameters), "a parameter is described twice"
    assert set(by_name) == set(accepted)
    for name, parameter in by_name.items():
        assert parameter["in"] == "query"
        assert parameter.get("description"), name
        assert "schema" in parameter, name
        repeatable = name in REPEATABLE
        assert (parameter["schema"].get("type") == "array") == repeatable, name
        if repeatable:
            assert parameter.get("explode") is True and parameter.get("style") == "form"


def test_openapi_schemas_have_exactly_the_contract_keys(openapi_doc: dict[str, Any]) -> None:
    schemas = openapi_doc["components"]["schemas"]
    expected = {
        "SearchResult": SEARCH_KEYS,
        "Hit": HIT_KEYS,
        "Provider": PROVIDER_KEYS,
        "FacetValue": FACET_VALUE_KEYS,
        "Suggestions": SUGGEST_KEYS,
        "Document": DOCUMENT_KEYS,
        "Health": HEALTH_KEYS,
    }
    optional = {"SearchResult": {"group"}, "Hit": {"story"}}  # grouped searches only
    for name, keys in expected.items():
        assert set(schemas[name]["properties"]) == keys | optional.get(name, set()), name
        assert set(schemas[name]["required"]) == keys, name
    assert set(schemas["Error"]["properties"]["error"]["properties"]) == ERROR_KEYS
    result = schemas["SearchResult"]["properties"]
    assert set(result["facets"]["properties"]) == FACET_NAMES
    assert set(result["filters"]["properties"]) == FILTER_KEYS


def test_real_responses_match_the_openapi_schemas(
    client: httpx.Client, openapi_doc: dict[str, Any], all_hits: list[dict[str, Any]]
) -> None:
    checks: list[tuple[str, httpx.Response]] = [
        ("/api/search", client.get("/api/search")),
        ("/api/search", client.get("/api/search", params={"q": "facial recognition"})),
        (
            "/api/search",
            client.get(
                "/api/search", params={"topic": "AI", "from": "2023-01-01", "to": "2023-12-31"}
            ),
        ),
        ("/api/search", client.get("/api/search", params={"sort": "bogus"})),
        ("/api/search", client.get("/api/search", params={"q": "x" * 9000})),
        ("/api/search", client.get("/api/search", params={"group": "story", "q": "facial"})),
        ("/api/search", client.get("/api/search", params={"group": "story", "per_page": 50})),
        ("/api/search", client.get("/api/search", params={"like": all_hits[0]["id"]})),
        ("/api/suggest", client.get("/api/suggest", params={"q": "fac"})),
        ("/api/suggest", client.get("/api/suggest", params={"limit": "0"})),
        ("/api/documents/{doc_id}", client.get("/api/documents/0000000000000000")),
        ("/api/documents/{doc_id}", client.get("/api/documents/x", params={"a": "b"})),
        ("/healthz", client.get("/healthz")),
        ("/openapi.json", client.get("/openapi.json")),
    ]
    related = 0
    for hit in all_hits:
        response = client.get(f"/api/documents/{hit['id']}")
        if response.json()["related"] and response.json()["story"]["coverage"] and related < 3:
            checks.append(("/api/documents/{doc_id}", response))
            related += 1
    assert related == 3
    statuses = set()
    for path, response in checks:
        validate_response(openapi_doc, path, response)
        statuses.add(response.status_code)
    assert statuses == {200, 400, 404, 414}


# --- 7. the page -------------------------------------------------------------------------

PAGE_CASES: dict[str, dict[str, str]] = {
    "words-and-topic": {"q": "facial recognition", "topic": "AI"},
    "second-page": {"q": "facial recognition", "topic": "AI", "page": "2", "per_page": "3"},
    "every-article": {"q": "facial recognition", "group": "none"},
    "browse": {},
    "oldest-25": {"topic": "AI", "sort": "oldest", "per_page": "25"},
    "dates": {"from": "2023-06-01", "to": "2023-09-30"},
}


@pytest.mark.parametrize("params", PAGE_CASES.values(), ids=PAGE_CASES.keys())
def test_page_shows_the_same_hits_as_the_api(client: httpx.Client, params: dict[str, str]) -> None:
    # The page groups coverage of one story unless told not to; the API when asked.
    api = ok_json(client.get("/api/search", params={"group": "story", **params}))
    page = client.get("/", params=params)
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert api["hits"], "a case with no hits proves nothing"
    assert page_titles(page.text) == [hit["title"] for hit in api["hits"]]
    assert page_total(page.text) == api["total"]


def test_page_ignores_unknown_parameters_like_tracking_tags(client: httpx.Client) -> None:
    api = ok_json(client.get("/api/search", params={"q": "ai"}))
    page = client.get("/", params={"q": "ai", "utm_source": "newsletter", "fbclid": "x"})
    assert page.status_code == 200
    assert page_titles(page.text) == [hit["title"] for hit in api["hits"]]


@pytest.mark.parametrize(
    "start",
    ["/?q=facial+recognition&topic=AI", "/?topic=AI&from=2023-01-01&to=2023-12-31&page=2"],
    ids=["words-and-topic", "dated-second-page"],
)
def test_every_link_on_the_page_works(client: httpx.Client, start: str) -> None:
    """Facet toggles, chips, sorts, pager and timeline bars are all URLs of working pages."""
    page = client.get(start)
    assert page.status_code == 200
    links = {html.unescape(h) for h in re.findall(r'href="([^"]*)"', page.text)}
    local = sorted(link for link in links if link.startswith("/"))
    assert len(local) > 10, local
    broken = [(link, status) for link in local if (status := client.get(link).status_code) != 200]
    assert broken == []


@pytest.mark.parametrize(
    "params",
    [
        {"page": "0"},
        {"sort": "bogus"},
        {"from": "2023-13-45"},
        {"per_page": "101"},
        {"page": "1001", "per_page": "10"},
        {"from": "2024-02-02", "to": "2024-01-01"},
        {"q": "x" * 1001},
        {"topic": "t" * 300},
        {"sort": "<script>alert(1)</script>"},
    ],
    ids=[
        "page-0",
        "sort",
        "date",
        "per-page",
        "window",
        "from-after-to",
        "long-q",
        "long-topic",
        "script-sort",
    ],
)
def test_bad_parameters_give_a_friendly_400_page(
    client: httpx.Client, params: dict[str, str]
) -> None:
    api_error = check_error(
        client.get("/api/search", params=params), 400, "bad_parameter", next(iter(params))
    )
    page = client.get("/", params=params)
    assert page.status_code == 400
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "That search could not be run" in page.text
    assert api_error["message"] in html.unescape(page.text)
    assert "<script>alert" not in page.text
    assert "Traceback" not in page.text


def test_page_escapes_a_reflected_query(client: httpx.Client) -> None:
    q = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    page = client.get("/", params={"q": q})
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "<img src=x" not in page.text
    assert "&lt;script&gt;" in page.text


@pytest.fixture
def hostile_seeds(write_seed: WriteSeed, seeds_dir: Path) -> Path:
    """Return seeds whose titles and links try to inject markup and script."""
    write_seed(
        "script.md",
        "title: \"<script>alert('title')</script> Breaking news\"\n"
        'excerpt: "An <img src=x onerror=alert(1)> excerpt & <b>bold</b> claims"\n'
        'webUrl: "https://example.com/script"\n'
        "topics: [\"<script>alert('topic')</script>\"]\n"
        'provider: {name: "<b>Evil</b> Media", domain: "evil.example"}\n'
        'publishedDateTime: "2024-03-01T10:00:00Z"\n',
        "Body with <script>alert('body')</script> breaking text.\n",
    )
    write_seed(
        "link.md",
        'title: "Breaking links"\n'
        'webUrl: "javascript:alert(document.cookie)"\n'
        'images: ["javascript:alert(2)"]\n'
        'publishedDateTime: "2024-03-02T10:00:00Z"\n',
    )
    return seeds_dir


def test_page_escapes_document_markup(tmp_path: Path, hostile_seeds: Path) -> None:
    index = tmp_path / "index"
    report = rebuild_index(hostile_seeds, index)
    assert report["documents"] == 2
    with running_server(index, tmp_path / "server.log") as server, server.client() as http:
        api = ok_json(http.get("/api/search", params={"q": "breaking"}))
        titles = sorted(hit["title"] for hit in api["hits"])
        assert titles == ["<script>alert('title')</script> Breaking news", "Breaking links"]
        for params in ({"q": "breaking"}, {}, {"q": "script"}):
            page = http.get("/", params=params)
            assert page.status_code == 200
            text = page.text
            assert "<script>alert" not in text
            assert "<img src=x" not in text and "<b>" not in text
            assert "&lt;script&gt;" in text
            assert 'href="javascript:' not in text.lower()
            assert 'src="javascript:' not in text.lower()
            # Only the page's own script tag.
            assert re.findall(r"<script[^>]*>", text) == ['<script src="/static/search.js" defer>']
        page = http.get("/", params={"q": "breaking"})
        assert sorted(page_titles(page.text)) == titles


# --- 8. several workers ------------------------------------------------------------------


def test_serve_with_two_workers(tmp_path: Path, corpus_report: dict[str, Any]) -> None:
    log = tmp_path / "server.log"
    with running_server(corpus_report["index"], log, workers=2) as server, server.client() as http:
        for params in ({"q": "ai"}, {}, {"topic": "AI"}, {"q": "facial recognition"}) * 2:
            check_search_body(ok_json(http.get("/api/search", params=params)), params)
        health = ok_json(http.get("/healthz"))
        assert health["generation"] == corpus_report["generation"]
        deadline = time.monotonic() + 10.0
        while server.log().count("Application startup complete") < 2:
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.1)
    assert server.process.returncode == 0, server.log()
    assert not server.leftovers, "a worker outlived the server it belongs to"
