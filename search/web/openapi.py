"""The OpenAPI 3.1 document of the service, written out by hand so it says exactly
what the API does (bounds, repeat rules, error shape); tests validate it and check
that every route appears in it."""

from __future__ import annotations

from functools import cache
from typing import Any

from search import __version__
from search.params import MAX_PER_PAGE, MAX_QUERY_CHARS, RESULT_WINDOW
from search.results import SORTS

STRING_OR_NULL = {"type": ["string", "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _param(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    # An empty single value (`sort=`, as a plain HTML form sends it) counts as not given.
    empty = {} if schema.get("type") == "array" else {"allowEmptyValue": True}
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        **empty,
        **extra,
    }


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


SEARCH_PARAMETERS = [
    _param(
        "q",
        "Query in the Whoosh query language; empty browses everything. Given once.",
        {"type": "string", "maxLength": MAX_QUERY_CHARS},
    ),
    _param(
        "topic",
        "Only documents with this topic (case-insensitive). Repeat for any of.",
        {"type": "array", "items": {"type": "string", "maxLength": 200}, "maxItems": 50},
        style="form",
        explode=True,
    ),
    _param(
        "provider",
        "Only documents from this provider (case-insensitive). Repeatable.",
        {"type": "array", "items": {"type": "string", "maxLength": 200}, "maxItems": 50},
        style="form",
        explode=True,
    ),
    _param(
        "from",
        "Published on or after this UTC date (YYYY-MM-DD).",
        {"type": "string", "format": "date"},
    ),
    _param(
        "to",
        "Published on or before this UTC date (YYYY-MM-DD).",
        {"type": "string", "format": "date"},
    ),
    _param(
        "sort",
        "Order: relevance (default with q), newest (default without), oldest.",
        {"type": "string", "enum": list(SORTS)},
    ),
    _param(
        "page",
        f"Page number; page * per_page may not exceed {RESULT_WINDOW}.",
        {"type": "integer", "minimum": 1, "maximum": RESULT_WINDOW, "default": 1},
    ),
    _param(
        "per_page",
        "Hits per page.",
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 10},
    ),
    _param(
        "group",
        "story: one hit per story (coverage of the same news by other outlets, linked by "
        "`related` lists or near-duplicate titles), the others in the hit's `story`; "
        "`total` and paging then count stories and `group.documents` counts documents.",
        {"type": "string", "enum": ["story", "none"], "default": "none"},
    ),
    _param(
        "like",
        "More like this: search for documents like the one with this id (its most "
        "telling title and excerpt words, OR-ed; the document itself is left out). "
        "Not combinable with q.",
        {"type": "string", "pattern": "^[0-9a-f]{16}$"},
    ),
]

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "code", "message", "param"],
                "properties": {
                    "status": {"type": "integer"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "param": {**STRING_OR_NULL, "description": "The offending parameter."},
                },
            }
        },
    },
    "Provider": {
        "type": "object",
        "required": ["name", "domain"],
        "properties": {"name": STRING_OR_NULL, "domain": STRING_OR_NULL},
    },
    "Hit": {
        "type": "object",
        "required": [
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
        ],
        "properties": {
            "id": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
            "kind": {"type": "string", "enum": ["article", "related"]},
            "url": {**STRING_OR_NULL, "format": "uri"},
            "title": {"type": "string"},
            "excerpt": {"type": "string"},
            "published": {
                **STRING_OR_NULL,
                "format": "date-time",
                "description": "ISO 8601 UTC ending in Z",
            },
            "provider": _ref("Provider"),
            "topics": {"type": "array", "items": {"type": "string"}},
            "image": STRING_OR_NULL,
            "score": {"type": "number"},
            "highlights": {
                "type": "object",
                "required": ["title", "excerpt"],
                "properties": {
                    "title": {
                        "type": "string",
                        "description": "HTML: <mark> around matches, everything else escaped",
                    },
                    "excerpt": {"type": "string"},
                },
            },
            "story": {**_ref("Story"), "description": "Only in grouped searches (group=story)"},
        },
    },
    "Story": {
        "type": "object",
        "required": ["id", "size", "more_count", "more"],
        "properties": {
            "id": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
            "size": {"type": "integer", "minimum": 1, "description": "Documents in the story"},
            "more_count": {
                "type": "integer",
                "minimum": 0,
                "description": "Other documents of the story matching the search",
            },
            "more": {
                "type": "array",
                "items": _ref("Hit"),
                "maxItems": 10,
                "description": "The first of them, in the search's order",
            },
        },
    },
    "FacetValue": {
        "type": "object",
        "required": ["value", "count", "selected"],
        "properties": {
            "value": {"type": "string"},
            "count": {"type": "integer", "minimum": 0},
            "selected": {"type": "boolean"},
        },
    },
    "SearchResult": {
        "type": "object",
        "required": [
            "query",
            "total",
            "page",
            "per_page",
            "pages",
            "sort",
            "took_ms",
            "hits",
            "facets",
            "filters",
            "suggestion",
        ],
        "properties": {
            "query": {
                "type": "string",
                "description": "q, or the query that `like` made",
            },
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 0},
            "sort": {"type": "string", "enum": list(SORTS)},
            "took_ms": {"type": "number"},
            "hits": {"type": "array", "items": _ref("Hit")},
            "facets": {
                "type": "object",
                "required": ["topic", "provider", "year", "month"],
                "description": "Disjunctive: each facet ignores its own filter.",
                "properties": {
                    name: {"type": "array", "items": _ref("FacetValue")}
                    for name in ("topic", "provider", "year", "month")
                },
            },
            "filters": {
                "type": "object",
                "required": ["topic", "provider", "from", "to"],
                "properties": {
                    "topic": {"type": "array", "items": {"type": "string"}},
                    "provider": {"type": "array", "items": {"type": "string"}},
                    "from": {**STRING_OR_NULL, "format": "date"},
                    "to": {**STRING_OR_NULL, "format": "date"},
                },
            },
            "suggestion": {**STRING_OR_NULL, "description": "Did you mean: a corrected q."},
            "group": {
                "type": "object",
                "description": "Only in grouped searches: `total` then counts stories.",
                "required": ["by", "documents"],
                "properties": {
                    "by": {"type": "string", "enum": ["story"]},
                    "documents": {"type": "integer", "minimum": 0},
                },
            },
        },
    },
    "Suggestions": {
        "type": "object",
        "required": ["query", "suggestions"],
        "properties": {
            "query": {"type": "string"},
            "suggestions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["text", "kind"],
                    "properties": {
                        "text": {"type": "string"},
                        "kind": {"type": "string", "enum": ["query", "title", "topic", "provider"]},
                    },
                },
            },
        },
    },
    "Document": {
        "type": "object",
        "required": [
            "id",
            "kind",
            "url",
            "title",
            "excerpt",
            "body",
            "published",
            "provider",
            "topics",
            "image",
            "category",
            "type",
            "quality",
            "related",
            "story",
        ],
        "properties": {
            "id": {"type": "string"},
            "kind": {"type": "string"},
            "url": STRING_OR_NULL,
            "title": {"type": "string"},
            "excerpt": {"type": "string"},
            "body": {"type": "string"},
            "published": {**STRING_OR_NULL, "format": "date-time"},
            "provider": _ref("Provider"),
            "topics": {"type": "array", "items": {"type": "string"}},
            "image": STRING_OR_NULL,
            "category": STRING_OR_NULL,
            "type": STRING_OR_NULL,
            "quality": {"type": ["integer", "null"]},
            "related": {"type": "array", "items": _ref("Hit")},
            "story": {
                "type": "object",
                "required": ["id", "size", "coverage"],
                "properties": {
                    "id": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
                    "size": {"type": "integer", "minimum": 1},
                    "coverage": {
                        "type": "array",
                        "items": _ref("Hit"),
                        "description": "The story's other documents, newest first",
                    },
                },
            },
        },
    },
    "Health": {
        "type": "object",
        "required": ["status", "documents", "generation", "built_at"],
        "properties": {
            "status": {"type": "string", "enum": ["ok"]},
            "documents": {"type": "integer"},
            "generation": {"type": "string"},
            "built_at": STRING_OR_NULL,
        },
    },
    "Unavailable": {
        "type": "object",
        "required": ["status", "error"],
        "properties": {
            "status": {"type": "string", "enum": ["unavailable"]},
            "error": {"type": "object", "description": "As in Error: says to run rebuild-index"},
        },
    },
}

UNAVAILABLE = _error("No index yet: run `search rebuild-index`.")
# Any path: the URL-length guard answers before routing (app.Guard).
TOO_LONG = _error("The query string is over 8 KB")
PAGE_TOO_LONG = {
    "description": "The page, saying the search is too long",
    "content": {"text/html": {"schema": {"type": "string"}}},
}
GENERATION = {
    "X-Index-Generation": {
        "schema": {"type": "string"},
        "required": True,
        "description": "The index generation that answered; the whole answer comes from it.",
    }
}
CACHED = {
    "ETag": {
        "schema": {"type": "string"},
        "required": True,
        "description": "Derived from the index generation and the request.",
    },
    **GENERATION,
}


@cache
def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI document (built once)."""

    def ok(schema: str, description: str) -> dict[str, Any]:
        return {
            "description": description,
            "headers": CACHED,
            "content": {"application/json": {"schema": _ref(schema)}},
        }

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "news-search",
            "version": __version__,
            "description": "Ranked, faceted full-text search over a news archive. "
            "Unknown parameters and repeated single-valued ones are answered with 400.",
        },
        "paths": {
            "/api/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Search documents",
                    "parameters": SEARCH_PARAMETERS,
                    "responses": {
                        "200": ok("SearchResult", "Hits, facets and filters"),
                        "304": {"description": "Not modified (If-None-Match)"},
                        "400": _error("A parameter is unusable; error.param names it"),
                        "414": TOO_LONG,
                        "503": UNAVAILABLE,
                    },
                }
            },
            "/api/suggest": {
                "get": {
                    "operationId": "suggest",
                    "summary": "Search-as-you-type completions",
                    "parameters": [
                        _param(
                            "q", "What has been typed so far.", {"type": "string", "maxLength": 200}
                        ),
                        _param(
                            "limit",
                            "Completions wanted.",
                            {"type": "integer", "minimum": 1, "maximum": 20, "default": 8},
                        ),
                    ],
                    "responses": {
                        "200": ok("Suggestions", "Completions, most useful first"),
                        "304": {"description": "Not modified"},
                        "400": _error("A parameter is unusable"),
                        "414": TOO_LONG,
                        "503": UNAVAILABLE,
                    },
                }
            },
            "/api/documents/{doc_id}": {
                "get": {
                    "operationId": "document",
                    "summary": "One document and its related coverage",
                    "parameters": [
                        {
                            "name": "doc_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": ok("Document", "The document"),
                        "304": {"description": "Not modified"},
                        "400": _error("Query parameters are not accepted here"),
                        "404": _error("No document has this id"),
                        "414": TOO_LONG,
                        "503": UNAVAILABLE,
                    },
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "What is being served",
                    "responses": {
                        "200": {
                            "description": "Serving",
                            "headers": GENERATION,
                            "content": {"application/json": {"schema": _ref("Health")}},
                        },
                        "414": TOO_LONG,
                        "503": {
                            "description": "No index yet",
                            "content": {"application/json": {"schema": _ref("Unavailable")}},
                        },
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        "414": TOO_LONG,
                    },
                }
            },
            "/": {
                "get": {
                    "operationId": "page",
                    "summary": "The search page (HTML)",
                    "parameters": SEARCH_PARAMETERS,
                    "responses": {
                        "200": {
                            "description": "The page",
                            "content": {"text/html": {"schema": {"type": "string"}}},
                        },
                        "400": {
                            "description": "The page, with the error explained",
                            "content": {"text/html": {"schema": {"type": "string"}}},
                        },
                        "414": PAGE_TOO_LONG,
                        "503": {
                            "description": "The page, saying there is no index yet",
                            "content": {"text/html": {"schema": {"type": "string"}}},
                        },
                    },
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }
