"""The OpenAPI document (/openapi.json), in process: a valid OpenAPI 3 document that
describes every route, every parameter and exactly the keys of every body, and that
real responses (200, 400, 404, 414) validate against."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_contract import (
    DOCUMENT_KEYS,
    ERROR_KEYS,
    FACET_NAMES,
    FACET_VALUE_KEYS,
    FILTER_KEYS,
    HEALTH_KEYS,
    HIT_KEYS,
    PROVIDER_KEYS,
    SUGGEST_KEYS,
    ok_json,
    validate_response,
)
from http_support import SEARCH_KEYS
from openapi_spec_validator import validate as validate_openapi
from starlette.routing import Mount, Route

from search.config import Settings
from search.params import REPEATABLE, SEARCH_PARAMS, SUGGEST_PARAMS
from search.web.app import create_app


@pytest.fixture(scope="module")
def openapi_doc(corpus_app: httpx.Client) -> dict[str, Any]:
    """Return the served OpenAPI document."""
    response = corpus_app.get("/openapi.json")
    assert response.status_code == 200
    doc: dict[str, Any] = response.json()
    return doc


def test_openapi_json_is_served(corpus_app: httpx.Client) -> None:
    doc = ok_json(corpus_app.get("/openapi.json"))
    assert doc["openapi"].startswith("3.")
    assert {"/api/search", "/api/suggest", "/api/documents/{doc_id}", "/healthz"} <= set(
        doc["paths"]
    )


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
    # group and story: grouped searches only; matching: when plain words matched otherwise
    # than all as typed; mode: when meaning counted (hybrid or semantic); problem: when a
    # newer generation is damaged and an older one is served (tests/test_checksums.py)
    optional = {
        "SearchResult": {"group", "matching", "mode"},
        "Hit": {"story"},
        "Health": {"problem"},
    }
    for name, keys in expected.items():
        assert set(schemas[name]["properties"]) == keys | optional.get(name, set()), name
        assert set(schemas[name]["required"]) == keys, name
    assert set(schemas["Error"]["properties"]["error"]["properties"]) == ERROR_KEYS
    result = schemas["SearchResult"]["properties"]
    assert set(result["facets"]["properties"]) == FACET_NAMES
    assert result["filters"] == {"$ref": "#/components/schemas/Filters"}
    assert set(schemas["Filters"]["properties"]) == FILTER_KEYS
    assert set(schemas["Filters"]["required"]) == FILTER_KEYS


def test_real_responses_match_the_openapi_schemas(
    corpus_app: httpx.Client, openapi_doc: dict[str, Any], corpus_hits: list[dict[str, Any]]
) -> None:
    checks: list[tuple[str, httpx.Response]] = [
        ("/api/search", corpus_app.get("/api/search")),
        ("/api/search", corpus_app.get("/api/search", params={"q": "facial recognition"})),
        (
            "/api/search",
            corpus_app.get(
                "/api/search", params={"topic": "AI", "from": "2023-01-01", "to": "2023-12-31"}
            ),
        ),
        ("/api/search", corpus_app.get("/api/search", params={"type": ["video", "course"]})),
        ("/api/search", corpus_app.get("/api/search", params={"type": "podcast"})),
        ("/api/search", corpus_app.get("/api/search", params={"sort": "bogus"})),
        ("/api/search", corpus_app.get("/api/search", params={"q": "x" * 9000})),
        ("/api/search", corpus_app.get("/api/search", params={"group": "story", "q": "facial"})),
        ("/api/search", corpus_app.get("/api/search", params={"group": "story", "per_page": 50})),
        ("/api/search", corpus_app.get("/api/search", params={"like": corpus_hits[0]["id"]})),
        ("/api/suggest", corpus_app.get("/api/suggest", params={"q": "fac"})),
        ("/api/suggest", corpus_app.get("/api/suggest", params={"limit": "0"})),
        ("/api/documents/{doc_id}", corpus_app.get("/api/documents/0000000000000000")),
        ("/api/documents/{doc_id}", corpus_app.get("/api/documents/x", params={"a": "b"})),
        ("/healthz", corpus_app.get("/healthz")),
        ("/openapi.json", corpus_app.get("/openapi.json")),
    ]
    related = 0
    for hit in corpus_hits:
        response = corpus_app.get(f"/api/documents/{hit['id']}")
        if response.json()["related"] and response.json()["story"]["coverage"] and related < 3:
            checks.append(("/api/documents/{doc_id}", response))
            related += 1
    assert related == 3
    statuses = set()
    for path, response in checks:
        validate_response(openapi_doc, path, response)
        statuses.add(response.status_code)
    assert statuses == {200, 400, 404, 414}
