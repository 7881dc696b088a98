"""The search parameters as /feed.atom and /api/export read them: /api/search's, as
strictly, with a feed's default size and order, and an export's format; and the
OpenAPI description of both (search.web.openapi)."""

from __future__ import annotations

from dataclasses import replace

from search.errors import BadQuery
from search.params import (
    BLANKS,
    REPEATABLE,
    RESULT_WINDOW,
    SEARCH_PARAMETERS,
    Param,
    QueryString,
    check_names,
    last_value,
    parse_choice,
    parse_search,
)
from search.request import SearchRequest

FEED_ENTRIES = 20  # entries in a feed when per_page is not given
EXPORT_FORMATS = ("csv", "jsonl")  # the first is the default
_SEARCH = {p.name: p for p in SEARCH_PARAMETERS}
_IGNORED = "Accepted (and checked) as by /api/search, then ignored"
_FEED_CHANGES = {
    "sort": Param("sort", f"{_IGNORED}: a feed is newest first.", _SEARCH["sort"].schema),
    "per_page": Param(
        "per_page",
        "Entries: the newest matching documents.",
        {**_SEARCH["per_page"].schema, "default": FEED_ENTRIES},
    ),
}
FEED_PARAMETERS = tuple(_FEED_CHANGES.get(p.name, p) for p in SEARCH_PARAMETERS)
EXPORT_PARAMETERS: tuple[Param, ...] = (
    *(
        Param(p.name, f"{_IGNORED}: an export has every hit.", p.schema)
        if p.name in ("page", "per_page")
        else p
        for p in SEARCH_PARAMETERS
    ),
    Param(
        "format",
        "csv: a header row, topics joined with '; ', a ' before any cell a spreadsheet "
        "would run as a formula; jsonl: one JSON object per line.",
        {"type": "string", "enum": list(EXPORT_FORMATS), "default": EXPORT_FORMATS[0]},
    ),
)
EXPORT_PARAMS = tuple(p.name for p in EXPORT_PARAMETERS)


def parse_feed(params: QueryString) -> SearchRequest:
    """Return the SearchRequest of /feed.atom: /api/search's strict rules, newest first,
    FEED_ENTRIES entries unless per_page says otherwise."""
    request = parse_search(params, strict=True)
    if not last_value(params, "per_page"):  # absent or empty: the feed's default
        if request.page * FEED_ENTRIES > RESULT_WINDOW:
            message = f"page * per_page (here {FEED_ENTRIES}) may not exceed {RESULT_WINDOW}"
            raise BadQuery(message, param="page")
        request = replace(request, per_page=FEED_ENTRIES)
    return replace(request, sort="newest")


def parse_export(params: QueryString) -> tuple[SearchRequest, str]:
    """Return the search of /api/export and its format: /api/search's strict rules
    (page and per_page are checked, the export then pages itself), plus `format`."""
    check_names(params, EXPORT_PARAMS, REPEATABLE)
    chosen = (
        parse_choice(last_value(params, "format"), "format", EXPORT_FORMATS) or EXPORT_FORMATS[0]
    )
    request = parse_search(params, strict=False)  # names checked above, with `format`
    if not (last_value(params, "group") or "").strip(BLANKS):  # strict=False groups by default
        request = replace(request, group=False)
    return request, chosen
