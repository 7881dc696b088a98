"""The search page at `/`: rendered on the server, so it works without JavaScript;
static/search.js enhances it (search as you type, suggestions) when it can run."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from search.errors import SearchError
from search.facets import FILTER_PARAMS, KEYWORD_FACETS
from search.params import parse_search
from search.request import SearchRequest
from search.results import SearchResult
from search.web import api, cards, links, offers


def _globals(request: Request) -> dict[str, Any]:
    """Return what every page shows: the operator's notice (`search serve --notice`)."""
    return {"notice": getattr(request.app.state, "notice", "")}


TEMPLATES = Jinja2Templates(
    directory=Path(__file__).parent / "templates", context_processors=[_globals]
)
FACET_SHOWN = 8  # values shown before "Show N more"
STATE = ("sort", "group", "match", "mode")  # settings a new search keeps (with the filters)


def took(milliseconds: float, cached: bool) -> str:
    """Return how long the answer took, as the summary says it ("cached" for a kept one)."""
    if cached:
        return "cached"
    if milliseconds < 0.1:
        return "under 0.1 ms"
    return f"{milliseconds:.0f} ms" if milliseconds >= 10 else f"{milliseconds:.1f} ms"


def _context(pairs: links.Pairs, result: SearchResult) -> dict[str, Any]:
    unit, bars = links.timeline(pairs, result)
    now = datetime.now(UTC).replace(tzinfo=None)
    facets = [
        (f.name, f.label, links.facet_links(pairs, f.name, result.facets.get(f.name, [])))
        for f in KEYWORD_FACETS
    ]
    return {
        "result": result,
        "cards": cards.cards(result.hits, now, lambda doc_id: links.url([("like", doc_id)])),
        "grouping": links.grouping_link(pairs, grouped=result.documents is not None),
        "keyword_facets": [(name, label, values) for name, label, values in facets if values],
        "chips": links.chips(pairs),
        "clear_all": links.url([(k, v) for k, v in pairs if k in ("q", "sort")]),
        "presets": links.date_presets(pairs),
        "timeline_unit": unit,
        "bars": bars,
        "pager": links.page_links(pairs, result),
        "sorts": links.sort_links(pairs, result.sort),
        "suggestion_url": links.url([*links.without(pairs, "q", "page"), ("q", result.suggestion)])
        if result.suggestion
        else None,
        "facet_shown": FACET_SHOWN,
    }


def _form(request: Request) -> dict[str, Any]:
    """Return the form fields of the URL's state: the header form searches new words with
    the filters and dates kept; the date form in the filters keeps the words instead."""
    too_long = len(request.scope.get("query_string", b"")) > 8_192  # refused: start afresh
    params = QueryParams() if too_long else request.query_params
    settings = [(name, params.get(name, "")) for name in STATE]
    if params.get("group") != "none":
        settings = [(k, v) for k, v in settings if k != "group"]  # grouping is the default
    kept = [
        *((name, v) for name in FILTER_PARAMS for v in params.getlist(name)),
        *((k, v) for k, v in settings if v),
    ]
    dates = [(k, params.get(k, "")) for k in ("from", "to")]
    words = [(k, params.get(k, "")) for k in ("q", "like")]
    return {
        "q": params.get("q", ""),
        "from_": params.get("from", ""),
        "to": params.get("to", ""),
        "like": params.get("like", ""),
        "match": params.get("match", ""),
        "mode": params.get("mode", ""),
        "kept": [*kept, *((k, v) for k, v in dates if v)],  # hidden in the header form
        "dated": [*((k, v) for k, v in words if v), *kept],  # hidden in the date form
    }


async def search_page(request: Request) -> Response:
    """The search page: results, facets, timeline and paging for the URL's state."""
    pairs = list(request.query_params.multi_items())
    try:
        search_request: SearchRequest = parse_search(request.query_params, strict=False)
        backend = api.backend_of(request)
        cached = api.answers_of(request).get(backend.generation(), search_request) is not None
        started = time.perf_counter()
        result = (await api.search(request, search_request, source="page")).result
        elapsed = (time.perf_counter() - started) * 1000
        found = [] if result.total else await offers.offers(request, pairs, result)
    except SearchError as exc:
        return error_page(request, exc.status_code, str(exc))
    context = {
        "form": _form(request),
        "took": took(elapsed, cached),
        "offers": found,
        **_context(pairs, result),
    }
    return TEMPLATES.TemplateResponse(request, "search.html", context)


def error_page(request: Request, status: int, message: str) -> Response:
    """Return the page with a friendly message instead of results."""
    headline = {
        400: "That search could not be run",
        404: "Nothing here",
        414: "That search is too long",
        503: "The search index is not ready yet",
    }.get(status, "Something went wrong")
    context = {"form": _form(request), "status": status, "headline": headline, "message": message}
    return TEMPLATES.TemplateResponse(request, "error.html", context, status_code=status)
