"""Query strings into engine requests: which parameters exist, and what repeating means.

The JSON API is strict: an unknown parameter, or a single-valued one given twice, is
a 400 naming it, so a typo (`topics=`) never silently returns unfiltered results. The
page is lenient about unknown parameters (links get tracking tags appended), but not
about bad values.
"""

from __future__ import annotations

from starlette.datastructures import QueryParams

from search.errors import BadQuery
from search.params import search_request
from search.results import SearchRequest

REPEATABLE = ("topic", "provider")
SINGLE = ("q", "from", "to", "sort", "page", "per_page", "group", "like")
SEARCH_PARAMS = (*SINGLE, *REPEATABLE)
SUGGEST_PARAMS = ("q", "limit")


def check_names(params: QueryParams, allowed: tuple[str, ...], repeatable: tuple[str, ...]) -> None:
    """Raise BadQuery for an unknown parameter or a repeated single-valued one."""
    seen: set[str] = set()
    for name, _ in params.multi_items():
        if name not in allowed:
            expected = (
                f"expected one of: {', '.join(allowed)}" if allowed else "none are accepted here"
            )
            raise BadQuery(f"unknown parameter {name[:40]!r}; {expected}", param=name[:40])
        if name in seen and name not in repeatable:
            raise BadQuery(f"parameter {name!r} may be given only once", param=name)
        seen.add(name)


def _last(params: QueryParams, name: str) -> str | None:
    values = params.getlist(name)
    return values[-1] if values else None


def parse_search(params: QueryParams, strict: bool) -> SearchRequest:
    """Return the SearchRequest of a query string (strict: the JSON API's rules).

    The page groups coverage of one story by default; the API only when asked
    (`group=story`), so its default body stays exactly DESIGN.md 5's."""
    if strict:
        check_names(params, SEARCH_PARAMS, REPEATABLE)
    return search_request(
        q=_last(params, "q"),
        topics=params.getlist("topic"),
        providers=params.getlist("provider"),
        date_from=_last(params, "from"),
        date_to=_last(params, "to"),
        sort=_last(params, "sort"),
        page=_last(params, "page"),
        per_page=_last(params, "per_page"),
        group=_last(params, "group"),
        like=_last(params, "like"),
        group_by_default=not strict,
    )
