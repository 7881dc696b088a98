"""GET /api/export: every document a search matches, streamed as CSV or JSON lines.

The first page is searched before the response starts, so a bad parameter or a missing
index is an ordinary JSON error, and the headers can say how many rows follow
(`X-Export-Rows`), the cap (`X-Export-Limit`) and whether it cut the export
(`X-Export-Truncated: true`). The later pages are searched as the body is sent, each
taking its turn with the other searches (web.turns), so an export holds one page in
memory and never keeps interactive searches waiting for long. How an export that meets
a new index generation ends: search/export.py.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from functools import partial

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Send

from search.errors import SearchError
from search.export import EXPORT_LIMIT, MEDIA_TYPES, ExportPlan, encode, header, page_request
from search.feed_params import parse_export
from search.request import SearchRequest
from search.web.api import backend_of
from search.web.turns import in_turn

LOG = logging.getLogger("search.export")


class ExportResponse(StreamingResponse):
    """A streamed body that, when it cannot be finished, ends without its last chunk:
    the connection closes and the client sees an incomplete download, never a short
    file that looks whole."""

    async def stream_response(self, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        try:
            async for chunk in self.body_iterator:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except SearchError as exc:  # a new generation, a timed-out page, the index gone
            LOG.warning("export stopped: %s", exc)
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def export_api(request: Request) -> Response:
    """Stream every hit of the search (up to EXPORT_LIMIT) as CSV or JSON lines."""
    search_request, export_format = parse_export(request.query_params)
    backend = backend_of(request)
    first = await in_turn(request, partial(backend.search, page_request(search_request, 1)))
    plan = ExportPlan(search_request, first, EXPORT_LIMIT)
    headers = {
        "Content-Disposition": f'attachment; filename="search-export.{export_format}"',
        "Cache-Control": "no-store",
        "X-Index-Generation": plan.generation,
        "X-Export-Limit": str(plan.limit),
        "X-Export-Rows": str(plan.rows),
    }
    if plan.truncated:
        headers["X-Export-Truncated"] = "true"
    if request.method == "HEAD":  # the headers say it all; no need to search every page
        response = Response(headers=headers, media_type=MEDIA_TYPES[export_format])
        del response.headers["content-length"]  # not 0: unknown until the rows are written
        return response
    return ExportResponse(
        _body(request, plan, search_request, export_format),
        headers=headers,
        media_type=MEDIA_TYPES[export_format],
    )


async def _body(
    request: Request, plan: ExportPlan, search_request: SearchRequest, export_format: str
) -> AsyncIterator[bytes]:
    """Yield the export: the first page (already searched), then each later one in turn."""
    backend = backend_of(request)
    yield header(export_format) + encode(plan.hits(1, plan.first), export_format)
    for page in plan.later_pages():
        result = await in_turn(request, partial(backend.search, page_request(search_request, page)))
        yield encode(plan.hits(page, result), export_format)
