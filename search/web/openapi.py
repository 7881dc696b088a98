"""The OpenAPI 3.1 document of the service: the routes, with the parameters from
search.params and the answer schemas generated from search.results (web/schemas.py).
Tests validate the document, check that every route appears in it, and check real
answers against it."""

from __future__ import annotations

from functools import cache
from typing import Any

from search import __version__, feed_params, params
from search.export import CSV_COLUMNS, EXPORT_LIMIT, MEDIA_TYPES
from search.params import Param
from search.web.schemas import answer_schemas

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


REPEATED = {"style": "form", "explode": True}  # topic=a&topic=b


def _params(params: tuple[Param, ...]) -> list[dict[str, Any]]:
    return [
        _param(
            p.name,
            p.description,
            p.schema,
            **({"style": "form", "explode": True} if p.repeatable else {}),
        )
        for p in params
    ]


SEARCH_PARAMETERS = _params(params.SEARCH_PARAMETERS)

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
    **answer_schemas(),
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

LAST_MODIFIED = {
    "Last-Modified": {
        "schema": {"type": "string"},
        "description": "The newest entry's publication time, or when the index was built.",
    }
}
EXPORTED = {
    **GENERATION,
    "X-Export-Limit": {
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
        "required": True,
        "description": f"The most rows an export has: {EXPORT_LIMIT}.",
    },
    "X-Export-Rows": {
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
        "required": True,
        "description": "The rows that follow (fewer only if the export is interrupted).",
    },
    "X-Export-Truncated": {
        "schema": {"type": "string", "enum": ["true"]},
        "description": "Present when the search matches more documents than the limit.",
    },
    "Content-Disposition": {
        "schema": {"type": "string"},
        "required": True,
        "description": 'attachment; filename="search-export.csv" (or .jsonl)',
    },
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
                    "parameters": _params(params.SUGGEST_PARAMETERS),
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
            "/feed.atom": {
                "get": {
                    "operationId": "feed",
                    "summary": "The newest documents of a search, as an Atom 1.0 feed",
                    "description": "Takes /api/search's parameters, as strictly; always newest "
                    "first. Conditional GET: If-None-Match, or If-Modified-Since.",
                    "parameters": _params(feed_params.FEED_PARAMETERS),
                    "responses": {
                        "200": {
                            "description": "The feed: one entry per hit",
                            "headers": {**CACHED, **LAST_MODIFIED},
                            "content": {"application/atom+xml": {"schema": {"type": "string"}}},
                        },
                        "304": {"description": "Not modified (If-None-Match, If-Modified-Since)"},
                        "400": _error("A parameter is unusable; error.param names it"),
                        "414": PAGE_TOO_LONG,
                        "503": UNAVAILABLE,
                    },
                }
            },
            "/api/export": {
                "get": {
                    "operationId": "export",
                    "summary": "Every document a search matches, as CSV or JSON lines",
                    "description": f"Streams up to {EXPORT_LIMIT:,} rows (X-Export-Limit), in "
                    "the search's order, all from one index generation; past the limit it is "
                    "cut (X-Export-Truncated). CSV columns: "
                    f"{', '.join(CSV_COLUMNS)}. A JSON line is a hit without highlights, "
                    "image and story. If a new index generation is published meanwhile, the "
                    "body ends early without its last chunk (an incomplete download): run "
                    "the export again.",
                    "parameters": _params(feed_params.EXPORT_PARAMETERS),
                    "responses": {
                        "200": {
                            "description": "The rows, streamed",
                            "headers": EXPORTED,
                            "content": {
                                media.split(";")[0]: {"schema": {"type": "string"}}
                                for media in MEDIA_TYPES.values()
                            },
                        },
                        "400": _error("A parameter is unusable; error.param names it"),
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
