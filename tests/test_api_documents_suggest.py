"""/api/suggest, /api/documents/{id} and /healthz (DESIGN.md 5), in process: the app over
an index of the shared corpus, spoken to with Starlette's TestClient."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from api_contract import (
    HEALTH_KEYS,
    SUGGEST_KEYS,
    SUGGESTION_KEYS,
    SUGGESTION_KINDS,
    BuiltIndex,
    check_document,
    check_error,
    check_timestamp,
    ok_json,
)

SUGGEST_CASES: dict[str, dict[str, str]] = {
    "prefix": {"q": "fac"},
    "limit": {"q": "fac", "limit": "3"},
    "one-letter": {"q": "a", "limit": "20"},
    "empty": {},
    "nothing-matches": {"q": "zzqxjvwk"},
}


@pytest.mark.parametrize("params", SUGGEST_CASES.values(), ids=SUGGEST_CASES.keys())
def test_suggest_body_is_exactly_the_contract(
    corpus_app: httpx.Client, params: dict[str, str]
) -> None:
    body = ok_json(corpus_app.get("/api/suggest", params=params))
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
    corpus_app: httpx.Client, corpus_hits: list[dict[str, Any]]
) -> None:
    with_related = 0
    for hit in corpus_hits:
        response = corpus_app.get(f"/api/documents/{hit['id']}")
        document = ok_json(response)
        check_document(document)
        assert "etag" in response.headers
        same = ("id", "kind", "url", "title", "excerpt", "published", "provider", "topics", "image")
        assert {k: document[k] for k in same} == {k: hit[k] for k in same}
        with_related += bool(document["related"])
    assert with_related > 0, "the corpus has related coverage: some document must show it"


def test_unknown_document_is_a_404_json_error(corpus_app: httpx.Client) -> None:
    response = corpus_app.get("/api/documents/0000000000000000")
    assert response.json() == {
        "error": {
            "status": 404,
            "code": "not_found",
            "message": "no document with id '0000000000000000'",
            "param": None,
        }
    }
    check_error(response, 404, "not_found")


def test_healthz_says_what_is_served(corpus_app: httpx.Client, served_index: BuiltIndex) -> None:
    response = corpus_app.get("/healthz")
    body = ok_json(response)
    assert set(body) == HEALTH_KEYS
    assert body["status"] == "ok"
    assert body["documents"] == served_index.documents
    assert body["generation"] == served_index.generation
    check_timestamp(body["built_at"])
    assert body["built_at"] is not None
    assert body["vectors"] is False  # built without --embeddings: keyword mode
    assert response.headers["cache-control"] == "no-store"
