"""JSON endpoints: /api/search, /api/suggest, /api/documents/{id}, /healthz."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from search.engine import Engine
from search.errors import BadQuery
from search.params import parse_int
from search.web.requests import SUGGEST_PARAMS, check_names, parse_search

MAX_SUGGESTIONS = 20


def engine_of(request: Request) -> Engine:
    """Return the app's engine (opened by the lifespan)."""
    engine: Engine = request.app.state.engine
    return engine


def cached_json(request: Request, body: Any, generation: str, **headers: str) -> Response:
    """Return a JSON response with an ETag of the generation and the request; 304 if fresh.

    Answers only change when a new generation is published, so a browser or proxy may
    keep one and revalidate it cheaply."""
    tag = hashlib.blake2b(
        f"{generation}\n{request.url.path}\n{request.url.query}".encode(), digest_size=12
    ).hexdigest()
    etag = f'"{tag}"'
    common = {"ETag": etag, "Cache-Control": "public, no-cache", "X-Index-Generation": generation}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=common)
    return JSONResponse(body, headers={**common, **headers})


async def search_api(request: Request) -> Response:
    """Ranked, faceted search: the DESIGN.md 5 body."""
    search_request = parse_search(request.query_params, strict=True)
    result = await run_in_threadpool(engine_of(request).search, search_request)
    extra = {"X-Search-Partial": "true"} if result.partial else {}
    return cached_json(request, result.as_json(), result.generation, **extra)


async def suggest_api(request: Request) -> Response:
    """Search-as-you-type completions for a prefix."""
    params = request.query_params
    check_names(params, SUGGEST_PARAMS, ())
    prefix = (params.get("q") or "").strip()
    if len(prefix) > 200:
        raise BadQuery("q is longer than 200 characters", param="q")
    limit = parse_int(params.get("limit"), "limit", 8, 1, MAX_SUGGESTIONS)
    engine = engine_of(request)

    def suggest() -> tuple[list[Any], str]:
        with engine.snapshot() as snapshot:
            return engine.suggest(prefix, limit), snapshot.name

    suggestions, generation = await run_in_threadpool(suggest)
    body = {"query": prefix, "suggestions": [dataclasses.asdict(s) for s in suggestions]}
    return cached_json(request, body, generation)


async def document_api(request: Request) -> Response:
    """One document with all served fields and its related coverage."""
    if request.query_params:
        check_names(request.query_params, (), ())
    doc_id = request.path_params["doc_id"]
    engine = engine_of(request)

    def lookup() -> tuple[Any, str]:
        with engine.snapshot() as snapshot:
            return engine.document(doc_id), snapshot.name

    detail, generation = await run_in_threadpool(lookup)
    return cached_json(request, dataclasses.asdict(detail), generation)


async def healthz(request: Request) -> Response:
    """Liveness and what is being served: 200 with the generation, or 503 without an index."""
    body = await run_in_threadpool(engine_of(request).health)
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
