"""JSON endpoints: /api/search, /api/suggest, /api/documents/{id}, /healthz."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections import OrderedDict
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from search.errors import BadQuery
from search.local.backend import Engine
from search.params import CONTROL, parse_int
from search.results import SearchRequest, SearchResult
from search.web.requests import SUGGEST_PARAMS, check_names, parse_search
from search.web.turns import in_turn

MAX_SUGGESTIONS = 20


def engine_of(request: Request) -> Engine:
    """Return the app's engine (opened by the lifespan)."""
    engine: Engine = request.app.state.engine
    return engine


def _validators(request: Request, generation: str) -> dict[str, str]:
    """Return the caching headers: an ETag of the generation and the request.

    Answers only change when a new generation is published, so a browser or proxy may
    keep one and revalidate it cheaply."""
    tag = hashlib.blake2b(
        f"{generation}\n{request.url.path}\n{request.url.query}".encode(), digest_size=12
    ).hexdigest()
    return {
        "ETag": f'"{tag}"',
        "Cache-Control": "public, no-cache",
        "X-Index-Generation": generation,
    }


def _fresh(request: Request, headers: dict[str, str]) -> bool:
    given = request.headers.get("if-none-match", "")
    return given.strip() == "*" or headers["ETag"] in given


def cached_json(request: Request, body: Any, generation: str, **extra: str) -> Response:
    """Return a JSON response with caching headers; 304 if the client's copy is fresh."""
    headers = _validators(request, generation)
    if _fresh(request, headers):
        return Response(status_code=304, headers=headers)
    return JSONResponse(body, headers={**headers, **extra})


class BodyCache:
    """Serialised /api/search bodies by (generation, request), split around took_ms.

    A repeated search then costs a dictionary lookup and two concatenations, on the
    event loop, with no thread hop and no JSON encoding. Only the event loop touches
    it, so it needs no lock."""

    SIZE = 4096
    MARK = b'"took_ms": -1.0'

    def __init__(self) -> None:
        self._bodies: OrderedDict[tuple[str, SearchRequest], tuple[bytes, bytes, bool]] = (
            OrderedDict()
        )

    def get(self, key: tuple[str, SearchRequest]) -> tuple[bytes, bytes, bool] | None:
        """Return (before took_ms, after it, partial) for a cached answer."""
        return self._bodies.get(key)

    def put(
        self, key: tuple[str, SearchRequest], result: SearchResult
    ) -> tuple[bytes, bytes, bool]:
        """Serialise `result`, keep it, and return its parts."""
        body = result.as_json()
        body["took_ms"] = -1.0
        encoded = json.dumps(body, ensure_ascii=False).encode("utf-8")
        before, _, after = encoded.partition(self.MARK)  # JSON strings escape '"': unique
        parts = (before + b'"took_ms": ', after, result.partial)
        self._bodies[key] = parts
        if len(self._bodies) > self.SIZE:
            self._bodies.popitem(last=False)
        return parts


async def search_api(request: Request) -> Response:
    """Ranked, faceted search: the DESIGN.md 5 body."""
    started = time.perf_counter()
    search_request = parse_search(request.query_params, strict=True)
    engine = engine_of(request)
    cache: BodyCache = request.app.state.bodies
    generation = engine.generation_name() or ""
    parts = cache.get((generation, search_request)) if engine.cache_enabled else None
    if parts is None:
        result = await in_turn(request, lambda: engine.search(search_request))
        generation = result.generation
        store = cache if engine.cache_enabled else BodyCache()
        parts = store.put((generation, search_request), result)
    headers = _validators(request, generation)
    if _fresh(request, headers):
        return Response(status_code=304, headers=headers)
    if parts[2]:
        headers["X-Search-Partial"] = "true"
    took = round((time.perf_counter() - started) * 1000, 3)
    return Response(
        parts[0] + str(took).encode() + parts[1], media_type="application/json", headers=headers
    )


async def suggest_api(request: Request) -> Response:
    """Search-as-you-type completions for a prefix."""
    params = request.query_params
    check_names(params, SUGGEST_PARAMS, ())
    prefix = CONTROL.sub(" ", params.get("q") or "").strip()
    if len(prefix) > 200:
        raise BadQuery("q is longer than 200 characters", param="q")
    limit = parse_int(params.get("limit"), "limit", 8, 1, MAX_SUGGESTIONS)
    engine = engine_of(request)

    def suggest() -> tuple[list[Any], str]:
        with engine.snapshot() as snapshot:
            return engine.suggest(prefix, limit, snapshot=snapshot), snapshot.name

    suggestions, generation = await in_turn(request, suggest)
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
            return engine.document(doc_id, snapshot=snapshot), snapshot.name

    detail, generation = await run_in_threadpool(lookup)
    return cached_json(request, detail.as_json(), generation)


async def healthz(request: Request) -> Response:
    """Liveness and what is being served: 200 with the generation, or 503 without an index."""
    body = await run_in_threadpool(engine_of(request).health)
    headers = {"Cache-Control": "no-store", "X-Index-Generation": str(body["generation"])}
    return JSONResponse(body, headers=headers)
