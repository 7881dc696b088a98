"""JSON endpoints: /api/search, /api/suggest, /api/documents/{id}, /healthz."""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from search.backend import Backend
from search.errors import BadQuery
from search.params import (
    CONTROL,
    MAX_SUGGESTIONS,
    SUGGEST_PARAMS,
    check_names,
    parse_int,
    parse_search,
)
from search.query_log import QueryLog, log_entry
from search.request import SearchRequest
from search.web.answers import Answer, Answers
from search.web.heap import Heap
from search.web.turns import in_turn


def backend_of(request: Request) -> Backend:
    """Return the app's backend (opened by the lifespan)."""
    backend: Backend = request.app.state.backend
    return backend


def answers_of(request: Request) -> Answers:
    """Return the app's one cache of answers."""
    answers: Answers = request.app.state.answers
    return answers


def path_and_query(request: Request) -> tuple[str, str]:
    """Return the request's path and query string as request.url gives them, without
    building the URL (which costs more than the rest of the tag) when they are plain.
    request.url escapes ? # and \\ in the path, splits a # off the query, drops tab, CR
    and LF anywhere, and strips control characters and spaces at its end."""
    path: str = request.scope["path"]
    query: bytes = request.scope.get("query_string", b"")
    last = query[-1:] or path[-1:].encode()
    if (
        not path.startswith("/")
        or last <= b" "
        or any(mark in path for mark in "?#\\\t\r\n")
        or any(mark in query for mark in b"#\t\r\n")
    ):
        return request.url.path, request.url.query
    return path, query.decode()


def _validators(
    request: Request, generation: str, search: SearchRequest | None = None
) -> dict[str, str]:
    """Return the caching headers: an ETag of the generation and the request.

    Answers only change when a new generation is published, so a browser or proxy may
    keep one and revalidate it cheaply; or, for a relative date (from=now-7d), when
    the minute it resolves to moves on, so the resolved range is part of the tag."""
    moving = ""
    if search is not None and any(search.relative_dates):
        moving = f"\n{search.date_from}\n{search.date_to}"
    path, query = path_and_query(request)
    tag = hashlib.blake2b(
        f"{generation}\n{path}\n{query}{moving}".encode(), digest_size=12
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


async def search_api(request: Request) -> Response:
    """Ranked, faceted search: the DESIGN.md 5 body."""
    started = time.perf_counter()
    search_request = parse_search(request.query_params, strict=True)
    answer = await search(request, search_request, source="api")
    headers = _validators(request, answer.result.generation, search_request)
    if _fresh(request, headers):
        return Response(status_code=304, headers=headers)
    if answer.result.partial:
        headers["X-Search-Partial"] = "true"
    before, after = answer.json_parts()
    took = round((time.perf_counter() - started) * 1000, 3)
    return Response(
        before + str(took).encode() + after, media_type="application/json", headers=headers
    )


async def search(
    request: Request, search_request: SearchRequest, source: str | None = None
) -> Answer:
    """Return the answer to `search_request`: kept, or searched in turn and kept. A
    search a person asked for names its `source` ("page" or "api") and goes into the
    query log; the page's own probes, feeds and exports give none and do not."""
    started = time.perf_counter()
    backend, answers = backend_of(request), answers_of(request)
    generation = backend.generation()
    answer = answers.get(generation, search_request)
    cached = answer is not None
    if answer is None:
        # Its time depends most on what its text matches in the generation answering it:
        # the same text's searches under other filters, sorts and pages (browsing one
        # query's facets and pages) take about as long (search.web.turns).
        key = (generation, *text_of(search_request)) if backend.in_process else None
        result = await in_turn(request, lambda: backend.search(search_request), key)
        answer = answers.put(search_request, result)
        heap: Heap | None = request.app.state.heap
        if heap is not None and result.generation != heap.settled_for:  # a new one served
            asyncio.get_running_loop().call_soon(heap.settle, result.generation)
    query_log: QueryLog | None = getattr(request.app.state, "query_log", None)
    if query_log is not None and source is not None:
        took = (time.perf_counter() - started) * 1000
        query_log.record(log_entry(search_request, answer.result, source, took, cached))
    return answer


def text_of(request: SearchRequest) -> tuple[object, ...]:
    """Return what a search matches by: its text, how its words match, its mode, `like`."""
    return (request.q, request.match, request.mode, request.like)


async def suggest_api(request: Request) -> Response:
    """Search-as-you-type completions for a prefix."""
    params = request.query_params
    check_names(params, SUGGEST_PARAMS, ())
    prefix = CONTROL.sub(" ", params.get("q") or "").strip()
    if len(prefix) > 200:
        raise BadQuery("q is longer than 200 characters", param="q")
    limit = parse_int(params.get("limit"), "limit", 8, 1, MAX_SUGGESTIONS)
    backend = backend_of(request)
    found = await in_turn(request, lambda: backend.suggest(prefix, limit))
    return cached_json(request, found.as_json(), found.generation)


async def document_api(request: Request) -> Response:
    """One document with all served fields and its related coverage."""
    if request.query_params:
        check_names(request.query_params, (), ())
    doc_id = request.path_params["doc_id"]
    backend = backend_of(request)
    detail = await run_in_threadpool(lambda: backend.document(doc_id))
    return cached_json(request, detail.as_json(), detail.generation)


async def healthz(request: Request) -> Response:
    """Liveness and what is being served: 200 with the generation, or 503 without an index."""
    health = await run_in_threadpool(backend_of(request).health)
    headers = {"Cache-Control": "no-store", "X-Index-Generation": health.generation}
    return JSONResponse(health.as_json(), headers=headers)
