"""Errors and hostile input, in process: every bad parameter is a 400 naming it, with an
exact message; hostile queries and query strings are answered, never a 5xx; unknown
routes and methods get the JSON error (API) or the HTML page (elsewhere).

Request targets whose query strings must reach the app byte for byte go through
get_exact, which asserts httpx sends them unchanged. Targets with odd *paths* (encoded
traversals) are decoded by the server itself, so they are sent to a real one
(tests/test_server.py).
"""

from __future__ import annotations

import httpx
import pytest
from api_contract import (
    SUGGEST_KEYS,
    check_error,
    check_facets,
    check_hit,
    check_search_keys,
    get_exact,
    ok_json,
)

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
        "from must be a date as YYYY-MM-DD or a relative date such as now-7d, not '2023-13-45'",
    ),
    (
        "from-february-30",
        "/api/search?from=2023-02-30",
        "from",
        "from must be a date as YYYY-MM-DD or a relative date such as now-7d, not '2023-02-30'",
    ),
    (
        "to-not-a-date",
        "/api/search?to=not-a-date",
        "to",
        "to must be a date as YYYY-MM-DD or a relative date such as now-7d, not 'not-a-date'",
    ),
    (
        "from-relative-minutes",
        "/api/search?from=now-7m",
        "from",
        "from 'now-7m': the unit must be one of h, d, w, M, y (M is months), not m",
    ),
    (
        "to-relative-too-far",
        "/api/search?to=now-1001y",
        "to",
        "to 'now-1001y': the amount must be a whole number from 1 to 1000",
    ),
    (
        "from-relative-future",
        "/api/search?from=now%2B1d",
        "from",
        "from 'now+1d': a relative date is now or now-<N><unit>, such as now-7d",
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
        "unknown parameter 'topics'; expected one of: q, topic, provider, type, from, to, "
        "sort, page, per_page, group, match, mode, recency, like",
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
        "long-type",
        "/api/search?type=" + "v" * 201,
        "type",
        "a type value is longer than 200 characters",
    ),
    (
        "fifty-one-types",
        "/api/search?" + "&".join(f"type=t{n}" for n in range(51)),
        "type",
        "at most 50 values of type are allowed",
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
        "to must be a date as YYYY-MM-DD or a relative date such as now-7d, not '\\x1e'",
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
    corpus_app: httpx.Client, target: str, param: str, message: str
) -> None:
    response = get_exact(corpus_app, target.encode())
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
def test_hostile_query_is_answered_never_a_5xx(corpus_app: httpx.Client, q: str) -> None:
    response = corpus_app.get("/api/search", params={"q": q})
    assert response.status_code in (200, 400), response.text[:500]
    if response.status_code == 400:
        check_error(response, 400, "bad_parameter", "q")
    else:
        body = ok_json(response)
        check_search_keys(body)
        check_facets(body["facets"], body["filters"])
        for hit in body["hits"]:
            check_hit(hit)
    page = corpus_app.get("/", params={"q": q})
    assert page.status_code == response.status_code, page.text[-2000:]
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    suggest = corpus_app.get("/api/suggest", params={"q": q})
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
    b"/api/search?type=%00&type=%20&type=",
    b"/api/search?q=%0d%0aSet-Cookie:%20x=1",
    b"/api/suggest?q=%FF",
    b"/api/suggest?q=%00%1b",
    b"/api/suggest?q=" + b"%F0%9F%98%80" * 50,
]


@pytest.mark.parametrize(
    "target", RAW_HOSTILE_TARGETS, ids=[t.decode() for t in RAW_HOSTILE_TARGETS]
)
def test_raw_hostile_query_strings_are_answered(corpus_app: httpx.Client, target: bytes) -> None:
    response = get_exact(corpus_app, target)
    assert response.status_code == 200, response.text[:500]
    body = ok_json(response)
    if target.startswith(b"/api/suggest"):
        assert set(body) == SUGGEST_KEYS
    else:
        check_search_keys(body)
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize(
    ("target", "param"),
    [(b"/api/search?%%%=1", "%%%"), (b"/api/search?=x", ""), (b"/api/search?Q=ai", "Q")],
    ids=["percent-name", "empty-name", "upper-case-name"],
)
def test_odd_parameter_names_are_named_in_the_400(
    corpus_app: httpx.Client, target: bytes, param: str
) -> None:
    check_error(get_exact(corpus_app, target), 400, "bad_parameter", param)


def test_unknown_api_route_is_a_404_json_error(corpus_app: httpx.Client) -> None:
    response = corpus_app.get("/api/nope")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"status": 404, "code": "not_found", "message": "Not Found", "param": None}
    }
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize("path", ["/nope", "/static/nope.css"])
def test_unknown_page_route_is_a_404_html_page(corpus_app: httpx.Client, path: str) -> None:
    response = corpus_app.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Nothing here" in response.text
    assert "import" not in response.text


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_on_the_api_are_405(corpus_app: httpx.Client, method: str) -> None:
    response = corpus_app.request(method, "/api/search", content=b"q=ai")
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
