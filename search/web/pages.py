"""The search page at `/`: rendered on the server, so it works without JavaScript;
static/search.js enhances it (search as you type, suggestions) when it can run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from search.errors import SearchError
from search.facets import FILTER_PARAMS, KEYWORD_FACETS
from search.identity import is_web_url
from search.params import parse_search
from search.request import SearchRequest
from search.results import SearchResult
from search.web import api, links

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.filters["safe_link"] = lambda value: value if value and is_web_url(value) else None
FACET_SHOWN = 8  # values shown before "show more"


def _context(request: Request, pairs: links.Pairs, result: SearchResult) -> dict[str, Any]:
    unit, bars = links.timeline(pairs, result)
    return {
        "result": result,
        "hits": [
            {
                "hit": hit,
                "title": Markup(hit.highlights.title),  # noqa: S704 (highlight() escaped it)
                "excerpt": Markup(hit.highlights.excerpt),  # noqa: S704
                "more": [
                    (other, Markup(other.highlights.title))  # noqa: S704
                    for other in (hit.story.more if hit.story else [])
                ],
                "like": links.url([("like", hit.id)]),
            }
            for hit in result.hits
        ],
        "grouping": links.grouping_link(pairs, grouped=result.documents is not None),
        "keyword_facets": [
            (f.name, f.label, links.facet_links(pairs, f.name, result.facets.get(f.name, [])))
            for f in KEYWORD_FACETS
        ],
        "chips": links.chips(pairs),
        "clear_all": links.url([(k, v) for k, v in pairs if k in ("q", "sort")]),
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
    if len(request.scope.get("query_string", b"")) > 8_192:
        return {
            "q": "",
            "sort": "",
            "from_": "",
            "to": "",
            "selected": [],
            "group": "",
            "like": "",
            "match": "",
            "mode": "",
        }
    params = request.query_params
    return {
        "q": params.get("q", ""),
        "sort": params.get("sort", ""),
        "from_": params.get("from", ""),
        "to": params.get("to", ""),
        "selected": [(name, v) for name in FILTER_PARAMS for v in params.getlist(name)],
        "group": params.get("group", "") if params.get("group") == "none" else "",
        "like": params.get("like", ""),
        "match": params.get("match", ""),
        "mode": params.get("mode", ""),
    }


async def search_page(request: Request) -> Response:
    """The search page: results, facets, timeline and paging for the URL's state."""
    pairs = list(request.query_params.multi_items())
    try:
        search_request: SearchRequest = parse_search(request.query_params, strict=False)
        result = (await api.search(request, search_request)).result
    except SearchError as exc:
        return error_page(request, exc.status_code, str(exc))
    context = {"form": _form(request), **_context(request, pairs, result)}
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
