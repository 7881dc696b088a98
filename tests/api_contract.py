"""The HTTP contract (DESIGN.md 5) as checks shared by the HTTP test files.

Bodies are compared as whole structures: exact key sets of every object, the type of
every field, exact error bodies. Every check takes an `httpx.Client` or its response:
Starlette's TestClient is one (the in-process tests), and so is the client of a real
`search serve` (tests/http_support.py).
"""

from __future__ import annotations

import calendar
import contextlib
import html
import math
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from http_support import SEARCH_KEYS
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from starlette.exceptions import StarletteDeprecationWarning

from search.config import Settings
from search.web.app import create_app

if TYPE_CHECKING:
    from starlette.testclient import TestClient

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
KEYWORD_FACETS = ("topic", "provider", "type")  # values of a field; repeatable filters
FACET_NAMES = {*KEYWORD_FACETS, "year", "month"}
FACET_VALUE_KEYS = {"value", "count", "selected"}
FILTER_KEYS = {*KEYWORD_FACETS, "from", "to"}
# An answer says how plain words were matched when that differs from "every word as
# typed" (relaxed by match=most|any, widened by synonyms, long text cut to its rarest
# words): then, and only then, /api/search has this optional `matching` object.
MATCHING_KEYS = {"strategy", "words", "required", "synonyms", "dropped"}
MATCHES = {"all", "most", "any"}
SUGGEST_KEYS = {"query", "suggestions"}
SUGGESTION_KEYS = {"text", "kind"}
SUGGESTION_KINDS = {"query", "title", "topic", "provider"}
HEALTH_KEYS = {"status", "documents", "generation", "built_at", "vectors"}
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


@dataclass(frozen=True)
class BuiltIndex:
    """An index built once for the session (tests/conftest.py `corpus_index`)."""

    folder: Path  # what Settings.index_dir and `search serve --index` take
    generation: str
    documents: int
    opensearch: str | None = None  # the node's address when OpenSearch serves it

    def settings(self) -> dict[str, Any]:
        """Return the Settings fields that select this index's backend."""
        if self.opensearch is None:
            return {}
        return {
            "backend": "opensearch",
            "opensearch_url": self.opensearch,
            "opensearch_index": "corpus",
        }

    def cli_args(self) -> list[str]:
        """Return the command-line options that point `search` at this index."""
        if self.opensearch is None:
            return ["--index", str(self.folder)]
        return [
            "--backend",
            "opensearch",
            "--opensearch-url",
            self.opensearch,
            "--opensearch-index",
            "corpus",
        ]


# --- requests ----------------------------------------------------------------------------


@contextlib.contextmanager
def app_client(index_dir: Path, **settings: Any) -> Iterator[TestClient]:
    """Yield Starlette's TestClient of the web app over `index_dir`, in process.

    Entered with `with`, so the app's lifespan runs (the backend is opened and closed as
    under `search serve`); watch=False, as nothing publishes while it is open. An
    exception inside the app fails the request's test (raise_server_exceptions): the
    in-process form of "the server log shows no traceback"."""
    with warnings.catch_warnings():
        # Starlette 1.10 warns once, at import, that its TestClient would rather run on
        # httpx2; the project installs httpx, which it still fully supports.
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from starlette.testclient import TestClient

    app = create_app(Settings(index_dir=index_dir, **settings), watch=False)
    with TestClient(app) as client:
        yield client


def ok_json(response: httpx.Response) -> Any:
    """Return the JSON body of a 200 response (fail with the body otherwise)."""
    assert response.status_code == 200, f"{response.status_code}: {response.text[:500]}"
    assert response.headers["content-type"] == "application/json"
    return response.json()


def get_exact(client: httpx.Client, target: bytes) -> httpx.Response:
    """GET a request target whose bytes httpx sends unchanged (asserted first).

    For query strings: the test client and a real server both hand the query string's
    bytes to the app as sent. Paths are another matter (servers decode them; Starlette's
    TestClient decodes twice), so targets with odd paths go to a real server, raw_get."""
    request = client.build_request("GET", target.decode("ascii"))
    assert request.url.raw_path == target, (request.url.raw_path, target)
    return client.send(request)


def raw_get(client: httpx.Client, target: bytes) -> httpx.Response:
    """GET a request target exactly as given (no normalising of dots or escapes): for a
    real server only (httpcore sends the `target` extension; the TestClient ignores it)."""
    return client.get("/", extensions={"target": target})


def fetch_all_hits(client: httpx.Client) -> list[dict[str, Any]]:
    """Return every document of the index as a hit (empty query, all pages)."""
    hits: list[dict[str, Any]] = []
    page = 1
    while True:
        body = ok_json(client.get("/api/search", params={"per_page": "100", "page": str(page)}))
        hits += body["hits"]
        if page >= body["pages"]:
            return hits
        page += 1


def without_timing(body: dict[str, Any]) -> dict[str, Any]:
    """Return a body without `took_ms`, the one field that differs between equal answers."""
    return {k: v for k, v in body.items() if k != "took_ms"}


# --- values ------------------------------------------------------------------------------


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


# --- bodies ------------------------------------------------------------------------------


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
    """Assert the five facets: value objects, orders, and `selected` matching the filters."""
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
        if name in KEYWORD_FACETS:
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


def check_matching(matching: object) -> None:
    """Assert a `matching` object: exact keys, types, and that it had something to say."""
    assert isinstance(matching, dict) and set(matching) == MATCHING_KEYS, matching
    assert matching["strategy"] in MATCHES
    words, required = matching["words"], matching["required"]
    assert is_int(words) and is_int(required) and 1 <= required <= words, matching
    synonyms, dropped = matching["synonyms"], matching["dropped"]
    assert isinstance(synonyms, list) and isinstance(dropped, list)
    for pair in synonyms:
        assert isinstance(pair, list) and len(pair) == 2, pair
        said, also = pair
        assert isinstance(said, str) and said and isinstance(also, list) and also, pair
        assert all(isinstance(a, str) and a for a in also), pair
    assert all(isinstance(word, str) and word for word in dropped), dropped
    assert required < words or synonyms or dropped, "present only when worth saying"


def check_search_keys(body: object) -> None:
    """Assert the keys of an /api/search body (ungrouped): exactly SEARCH_KEYS, plus a
    well-formed `matching` when the answer has one."""
    assert isinstance(body, dict), body
    assert set(body) - {"matching", "mode"} == SEARCH_KEYS, sorted(body)
    assert body.get("mode", "hybrid") in ("hybrid", "semantic"), body.get("mode")
    if "matching" in body:
        check_matching(body["matching"])


def check_search_body(body: object, params: Mapping[str, str | list[str]] | None = None) -> None:
    """Assert a whole /api/search body: keys, types, paging arithmetic and echoed filters."""
    params = params or {}
    check_search_keys(body)
    assert isinstance(body, dict)
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
    for name in KEYWORD_FACETS:
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


# --- headers and the OpenAPI document ----------------------------------------------------


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
