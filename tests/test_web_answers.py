"""search.web.answers: the kept answer's JSON body, encoded by orjson, is the JSON the
standard library's encoder gives for the same answer (over the real corpus, in process)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import orjson
import pytest
from api_contract import BuiltIndex

from search.local import LocalBackend
from search.request import SearchRequest
from search.results import SearchResult
from search.web.answers import Answer

# Searches whose answers hold what an encoder may get wrong: no hits, many facets, a
# phrase, grouped stories, non-ASCII text, and a query holding the splice marker.
REQUESTS = [
    SearchRequest(),
    SearchRequest(q="facial recognition"),
    SearchRequest(q='"artificial intelligence"', filters={"topic": ("AI",)}),
    SearchRequest(q="chip", group=True, per_page=30),
    SearchRequest(q="zzqxv nothing matches"),
    SearchRequest(q='"took_ms":-1.0 café 東京 😀'),
]
# Strings and numbers at the edges of JSON: control characters, line and paragraph
# separators, quotes and backslashes, astral characters, floats in exponent form.
HOSTILE = '"took_ms":-1.0 \x00\x01\x1f\x7f \u2028\u2029 \\ " </script> é 😀'
NUMBERS = [0.0, -0.0, 0.1 + 0.2, 1e16, 1.5e-7, 123456789.125, 41.3]


@pytest.fixture(scope="module")
def backend(corpus_index: BuiltIndex) -> Iterator[LocalBackend]:
    """Yield the local backend over the shared corpus's index."""
    opened = LocalBackend.open(corpus_index.folder)
    try:
        yield opened
    finally:
        opened.close()


def body_of(answer: Answer, took_ms: float) -> bytes:
    """Return the body /api/search sends for `answer` (search.web.api.search_api)."""
    before, after = answer.json_parts()
    return before + str(took_ms).encode() + after


def standard(result: SearchResult, took_ms: float) -> Any:
    """Return the body the standard library's encoder gives, decoded."""
    body = result.as_json()
    body["took_ms"] = took_ms
    return json.loads(json.dumps(body, ensure_ascii=False).encode())


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: r.q or "everything")
def test_the_body_is_the_standard_encoders_json(
    backend: LocalBackend, request_: SearchRequest
) -> None:
    result = backend.search(request_)
    assert json.loads(body_of(Answer(result), 3.25)) == standard(result, 3.25)


def test_hostile_strings_and_edge_numbers_survive(backend: LocalBackend) -> None:
    found = backend.search(SearchRequest(q="facial recognition"))
    assert found.hits
    hits = [
        replace(hit, title=HOSTILE + hit.title, score=number)
        for hit, number in zip(found.hits, NUMBERS, strict=False)
    ]
    result = replace(found, query=HOSTILE, suggestion=HOSTILE, hits=hits)
    body = body_of(Answer(result), 0.5)
    decoded = json.loads(body)
    assert decoded == standard(result, 0.5)
    assert decoded["query"] == HOSTILE
    assert [hit["score"] for hit in decoded["hits"]] == NUMBERS[: len(hits)]
    assert body.count(b'"took_ms":') == 1  # the marker in the query was escaped
    assert "😀".encode() in body  # UTF-8 as is, not \\u escapes


@pytest.mark.parametrize("request_", REQUESTS[:4], ids=lambda r: r.q or "everything")
def test_facet_values_are_written_as_the_plain_body_writes_them(
    backend: LocalBackend, request_: SearchRequest
) -> None:
    result = backend.search(request_)
    assert any(result.facets.values())
    plain = result.as_json()
    plain["took_ms"] = 3.25
    # Byte for byte, key order included: the body as it was made before facet objects.
    assert body_of(Answer(result), 3.25) == orjson.dumps(plain)
