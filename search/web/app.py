"""The app factory: `create_app()` assembles routes, middleware, error handlers, lifespan.

Serve with `search serve`, or `uvicorn --factory search.web.app:create_app`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from search.backend import open_backend
from search.config import Settings
from search.errors import SearchError
from search.query_log import QueryLog, default_folder
from search.web import api, export, feed, pages, turns
from search.web.answers import Answers
from search.web.heap import Heap
from search.web.openapi import openapi_document

LOG = logging.getLogger("search.web")
STATIC = Path(__file__).parent / "static"
MAX_QUERY_STRING = 8_192  # bytes; a longer URL is abuse, not a search
SECURITY_HEADERS = {
    # The page loads its own script and style only: no inline script, no third parties.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}
# As ASGI sends them: lower-case names, bytes (made once, not per response).
_SECURITY = [(name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]


def error_body(status: int, code: str, message: str, param: str | None = None) -> dict[str, object]:
    """Return the one JSON error shape of DESIGN.md 5."""
    return {"error": {"status": status, "code": code, "message": message, "param": param}}


def wants_json(request: Request) -> bool:
    """Return True when the error should be JSON (the API, health and OpenAPI paths)."""
    path = request.url.path
    return path.startswith("/api/") or path in ("/healthz", "/openapi.json")


async def on_search_error(request: Request, exc: Exception) -> Response:
    """Render a SearchError as the JSON error, or as the page with a friendly message."""
    assert isinstance(exc, SearchError)
    status, param = exc.status_code, getattr(exc, "param", None)
    if request.url.path == "/healthz" and status == 503:
        body = {"status": "unavailable", **error_body(status, exc.code, str(exc))}
        return JSONResponse(body, status_code=503, headers={"Cache-Control": "no-store"})
    if wants_json(request):
        return JSONResponse(
            error_body(status, exc.code, str(exc), param),
            status_code=status,
            headers={"Cache-Control": "no-store"},
        )
    return pages.error_page(request, status, str(exc))


async def on_http_error(request: Request, exc: Exception) -> Response:
    """Render 404, 405 and friends in the same two shapes."""
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    if wants_json(request):
        return JSONResponse(
            error_body(exc.status_code, code, str(exc.detail)),
            status_code=exc.status_code,
            headers=dict(exc.headers or {}),
        )
    return pages.error_page(request, exc.status_code, str(exc.detail))


async def on_unexpected(request: Request, exc: Exception) -> Response:
    """Last resort: a generic 500 in the right shape, never a traceback."""
    message = "internal error; the server log has the details"
    if wants_json(request):
        return JSONResponse(error_body(500, "internal_error", message), status_code=500)
    return pages.error_page(request, 500, message)


class Guard:
    """ASGI middleware: security headers on every response; oversized URLs refused."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [pair for pair in _SECURITY if pair[0] not in present]
                message["headers"] = headers
            await send(message)

        if len(scope.get("query_string", b"")) > MAX_QUERY_STRING:
            message = f"the query string exceeds {MAX_QUERY_STRING} bytes"
            request = Request(scope)
            response: Response = (
                JSONResponse(error_body(414, "uri_too_long", message), status_code=414)
                if wants_json(request)
                else pages.error_page(request, 414, message)
            )
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


async def openapi(request: Request) -> Response:
    """The OpenAPI 3 description of this service."""
    return JSONResponse(openapi_document(), headers={"Cache-Control": "public, max-age=300"})


ROUTES = [
    Route("/", pages.search_page, name="search_page"),
    Route("/api/search", api.search_api, name="search_api"),
    Route("/api/suggest", api.suggest_api, name="suggest_api"),
    Route("/api/documents/{doc_id}", api.document_api, name="document_api"),
    Route("/api/export", export.export_api, name="export_api"),
    Route("/feed.atom", feed.feed_atom, name="feed"),
    Route("/healthz", api.healthz, name="healthz"),
    Route("/openapi.json", openapi, name="openapi"),
    Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
]


def _query_log(settings: Settings) -> QueryLog | None:
    """Return the started query log of `settings`, or None when it is off or its folder
    cannot be written (then said in the server log: searching goes on without it)."""
    if not settings.query_log:
        return None
    folder = settings.query_log_dir or default_folder(settings.index_dir)
    try:
        return QueryLog(folder).start()
    except OSError as exc:
        LOG.warning("query log off: cannot write %s: %s", folder, exc.strerror or exc)
        return None


def create_app(settings: Settings | None = None, *, watch: bool = True) -> Starlette:
    """Return the ASGI app for `settings` (default: from the environment)."""
    settings = settings or Settings.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        backend = open_backend(settings)
        app.state.heap = None
        if watch:  # a server: tests' apps leave the process's collector alone
            backend.warm()  # before the first request, so no request queues behind it
            backend.watch()
            app.state.heap = Heap()
            app.state.heap.settle(backend.generation())
        app.state.backend = backend
        app.state.answers = Answers(enabled=settings.result_cache)
        app.state.search_slots = asyncio.Semaphore(settings.search_slots)  # web.turns
        app.state.searchers = turns.searchers()
        app.state.timings = turns.Timings()
        app.state.notice = settings.notice  # web.pages shows it on every page
        app.state.query_log = _query_log(settings)
        try:
            yield
        finally:
            if app.state.query_log is not None:
                app.state.query_log.close()
            app.state.searchers.shutdown(wait=False, cancel_futures=True)
            backend.close()
            if app.state.heap is not None:
                app.state.heap.release()

    middleware = [Middleware(Guard)]
    if settings.cors_origins:  # off unless configured: the API is same-origin by default
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET"],
                expose_headers=["ETag", "X-Index-Generation", "X-Search-Partial"],
            )
        )
    return Starlette(
        routes=ROUTES,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={
            SearchError: on_search_error,
            HTTPException: on_http_error,
            Exception: on_unexpected,
        },
    )
