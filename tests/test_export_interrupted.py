"""An export that meets a new index generation, in process: the rows of the first
generation are sent, and the body then ends without its last chunk (search/export.py),
which a client over a socket sees as an incomplete download (that, with a real rebuild:
tests/test_export_stream.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from api_contract import BuiltIndex, app_client
from starlette.types import Message
from test_export import read_csv

from search.backend import Backend
from search.errors import ExportInterrupted
from search.request import SearchRequest
from search.results import SearchResult
from search.web import export as web_export


class ChangingBackend:
    """A backend whose answers name a new generation from page `switch` on (as when a
    rebuild is published during an export)."""

    def __init__(self, backend: Backend, switch: int) -> None:
        self.backend, self.switch = backend, switch

    def search(self, request: SearchRequest) -> SearchResult:
        result = self.backend.search(request)
        if request.page >= self.switch:
            return replace(result, generation="g-published-meanwhile")
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)


def test_export_meeting_a_new_generation_ends_without_its_last_chunk(
    corpus_index: BuiltIndex,
) -> None:
    with app_client(corpus_index.folder) as http:
        state = http.app.state  # type: ignore[attr-defined]
        state.backend = ChangingBackend(state.backend, switch=2)
        response = http.get("/api/export")
        rows = read_csv(response)
        assert response.headers["x-export-rows"] == str(corpus_index.documents)
        assert len(rows) == 100 < corpus_index.documents  # the first page only


def test_an_interrupted_export_response_is_never_completed() -> None:
    """At the ASGI level: the last body message (more_body false) is never sent, so the
    server closes the connection and the client sees an incomplete body."""

    async def rows() -> AsyncIterator[bytes]:
        yield b"id\r\n"
        yield b"1\r\n"
        raise ExportInterrupted("g-1", "g-2", 1)

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "asgi": {"spec_version": "2.4"}, "method": "GET"}
    response = web_export.ExportResponse(rows(), media_type="text/csv")
    asyncio.run(response(scope, receive, send))
    assert [m["type"] for m in sent] == ["http.response.start", *["http.response.body"] * 2]
    assert all(m["more_body"] for m in sent[1:])
