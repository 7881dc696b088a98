"""GET /feed.atom: any search as an Atom feed of its newest matching documents.

The parameters are /api/search's, read as strictly (search.feed_params.parse_feed); the feed
is always newest first and has 20 entries unless per_page says otherwise. Its answer
comes through the one cache of answers, like the page's and the API's.

Conditional GET, as feed readers poll: an `ETag` of the generation and the request (as
the API's; If-None-Match), and `Last-Modified`, the newest entry's publication time or,
without dated entries, when the index was built (If-Modified-Since, used only without
If-None-Match, as RFC 9110 says). A feed reader sending only If-Modified-Since learns of
new entries, not of an older document added or a title corrected by a rebuild: the
ETag does. Errors are the API's JSON error, naming the parameter: a feed reader shows
none of them, and a program reads the JSON.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from search.errors import SearchError
from search.feed_params import parse_feed
from search.request import SearchRequest
from search.results import Filters
from search.web import api, links
from search.web.atom import FeedHead, feed_xml, newest, parse_time

MEDIA_TYPE = "application/atom+xml; charset=utf-8"


async def feed_atom(request: Request) -> Response:
    """The newest documents of the search in the query string, as Atom 1.0."""
    try:
        search_request = replace(parse_feed(request.query_params), facets=False)
        result = (await api.search(request, search_request)).result
        modified = newest(result.hits)
        built: datetime | None = None
        if modified is None or any(parse_time(hit.published) is None for hit in result.hits):
            health = await run_in_threadpool(api.backend_of(request).health)
            built = parse_time(health.built_at)
    except SearchError as exc:
        from search.web.app import error_body  # here: app imports this module

        status, param = exc.status_code, getattr(exc, "param", None)
        error = error_body(status, exc.code, str(exc), param)
        return JSONResponse(error, status_code=status, headers={"Cache-Control": "no-store"})
    modified = modified or built
    headers = api._validators(request, result.generation, search_request)  # the API's
    if modified is not None:
        headers["Last-Modified"] = format_datetime(modified.replace(microsecond=0), usegmt=True)
    if _not_modified(request, headers, modified):
        return Response(status_code=304, headers=headers)
    head = _head(request, search_request, result.query)
    body = feed_xml(head, result.hits, fallback=built or modified or datetime.now(UTC))
    return Response(body, media_type=MEDIA_TYPE, headers=headers)


def _not_modified(request: Request, headers: dict[str, str], modified: datetime | None) -> bool:
    """Return True when the client's copy is current (RFC 9110 13.2.2's order)."""
    if "if-none-match" in request.headers:
        return api._fresh(request, headers)
    since = request.headers.get("if-modified-since")
    if since is None or modified is None:
        return False
    try:
        known = parsedate_to_datetime(since)
    except (TypeError, ValueError):  # unreadable: as if absent
        return False
    known = known.replace(tzinfo=UTC) if known.tzinfo is None else known
    return modified.replace(microsecond=0) <= known


def _head(request: Request, search: SearchRequest, query: str) -> FeedHead:
    """Return the feed's id, title and links for this request."""
    base = str(request.base_url).rstrip("/")
    kept = [
        (name, value)
        for name, value in request.query_params.multi_items()
        if name not in ("page", "per_page", "sort", "group")
    ]
    if search.q or search.like:  # the page's default order is then relevance
        kept.append(("sort", "newest"))
    kept.append(("group", "story" if search.group else "none"))  # the page groups unless told
    digest = hashlib.blake2b(
        f"{request.url.path}?{request.url.query}".encode(), digest_size=12
    ).hexdigest()
    return FeedHead(
        id=f"urn:news-search:feed:{digest}",
        title=feed_title(search, query),
        self_url=str(request.url),
        page_url=base + links.url(kept),
        documents_url=f"{base}/api/documents/",
    )


def feed_title(search: SearchRequest, query: str) -> str:
    """Return a title saying what the feed follows: the words and every filter."""
    if search.like:
        said = f"like {search.like} ({query})" if query else f"like {search.like}"
    else:
        said = f"“{search.q}”" if search.q else "everything"
    parts = [said]
    parts += [f"{name}: {', '.join(values)}" for name, values in search.filters.items()]
    if search.date_from or search.date_to:
        given = Filters.of(search)  # a relative date as asked: "now-7d to …"
        parts.append(f"{given.from_ or '…'} to {given.to or '…'}")
    return "News search: " + " · ".join(parts)
