"""Request parameters from the outside (query string or CLI) into a SearchRequest.

One place for whitelists and bounds, shared by the JSON API, the page and the CLI;
every rejection is a BadQuery naming the parameter (DESIGN.md 5).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from search.errors import BadQuery
from search.results import SORTS, SearchRequest

MAX_PER_PAGE = 100
RESULT_WINDOW = 10_000  # page * per_page may not pass this: deep paging costs, nobody reads it
MAX_QUERY_CHARS = 1_000  # longer `q` is rejected: no reader types it, an attacker might
MAX_VALUES = 50  # values of one repeatable filter parameter
MAX_VALUE_CHARS = 200
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ID = re.compile(r"[0-9a-f]{16}")  # search.identity.doc_id's form
GROUPS = ("story", "none")
# Spaces a pasted or typed value may carry; str.strip() would also eat control characters
# such as \x1e and pass a value the OpenAPI document says is invalid.
BLANKS = " \t"


def parse_int(value: str | None, param: str, default: int, low: int, high: int) -> int:
    """Return `value` as an int within low..high, or raise BadQuery naming `param`."""
    if value is None or value == "":
        return default
    text = value.strip(BLANKS)
    if not re.fullmatch(r"[+-]?[0-9]+", text):  # ASCII digits only: int() takes any script's
        raise BadQuery(f"{param} must be a whole number, not {value[:40]!r}", param=param)
    number = int(text) if len(text) <= 12 else (high + 1 if text[0] != "-" else low - 1)
    if not low <= number <= high:
        raise BadQuery(f"{param} must be between {low} and {high}, not {number}", param=param)
    return number


def parse_date(value: str | None, param: str) -> date | None:
    """Return a YYYY-MM-DD calendar date, or raise BadQuery naming `param`."""
    if value is None or value.strip(BLANKS) == "":
        return None
    text = value.strip(BLANKS)
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise BadQuery(
            f"{param} must be a date as YYYY-MM-DD, not {value[:40]!r}", param=param
        ) from None


def _values(values: Sequence[str], param: str) -> tuple[str, ...]:
    # Bounds apply to what the client sent, before cleaning, as the OpenAPI document says.
    if len(values) > MAX_VALUES:
        raise BadQuery(f"at most {MAX_VALUES} values of {param} are allowed", param=param)
    if any(len(v) > MAX_VALUE_CHARS for v in values):
        raise BadQuery(f"a {param} value is longer than {MAX_VALUE_CHARS} characters", param=param)
    cleaned = [CONTROL.sub("", v).strip() for v in values]
    cleaned = [v for v in cleaned if v]
    unique: dict[str, str] = {}
    for value in cleaned:  # matching ignores case, so AI and ai are one filter
        unique.setdefault(value.casefold(), value)
    return tuple(unique.values())


def search_request(
    q: str | None = None,
    topics: Sequence[str] = (),
    providers: Sequence[str] = (),
    date_from: str | None = None,
    date_to: str | None = None,
    sort: str | None = None,
    page: str | None = None,
    per_page: str | None = None,
    group: str | None = None,
    like: str | None = None,
    *,
    group_by_default: bool = False,
) -> SearchRequest:
    """Return the SearchRequest for raw parameter values; raise BadQuery naming a bad one.

    `group` is "story" (one hit per story) or "none"; absent, `group_by_default` says.
    `like` is a document id: search for documents like it (not combinable with `q`)."""
    raw = q or ""
    if len(raw) > MAX_QUERY_CHARS:  # as sent: trailing spaces count, as the OpenAPI says
        raise BadQuery(
            f"q is {len(raw)} characters long; the limit is {MAX_QUERY_CHARS}", param="q"
        )
    text = CONTROL.sub(" ", raw).strip()
    if sort is not None and sort.strip(BLANKS) == "":
        sort = None
    if sort is not None and sort not in SORTS:
        raise BadQuery(f"sort must be one of {', '.join(SORTS)}, not {sort[:40]!r}", param="sort")
    size = parse_int(per_page, "per_page", 10, 1, MAX_PER_PAGE)
    number = parse_int(page, "page", 1, 1, RESULT_WINDOW)
    if number * size > RESULT_WINDOW:
        raise BadQuery(
            f"page * per_page may not exceed {RESULT_WINDOW} (got {number} * {size}); "
            "narrow the search instead",
            param="page",
        )
    start, end = parse_date(date_from, "from"), parse_date(date_to, "to")
    if start and end and start > end:
        raise BadQuery(f"from ({start}) is after to ({end})", param="from")
    grouping = (group or "").strip(BLANKS) or ("story" if group_by_default else "none")
    if grouping not in GROUPS:
        raise BadQuery(f"group must be story or none, not {grouping[:40]!r}", param="group")
    like = (like or "").strip(BLANKS) or None
    if like is not None and not _ID.fullmatch(like):
        raise BadQuery(f"like must be a document id, not {like[:40]!r}", param="like")
    if like is not None and text:
        raise BadQuery("give either q or like, not both", param="like")
    return SearchRequest(
        group=grouping == "story",
        like=like,
        q=text,
        topics=_values(topics, "topic"),
        providers=_values(providers, "provider"),
        date_from=start,
        date_to=end,
        sort=sort,
        page=number,
        per_page=size,
    )
