"""Request parameters from the outside (query string or CLI) into a SearchRequest.

One place for whitelists and bounds, shared by the JSON API, the page and the CLI;
every rejection is a BadQuery naming the parameter (DESIGN.md 5). Which parameters
filter, and repeat, comes from the facet registry (search.facets).

The JSON API is strict: an unknown parameter, or a single-valued one given twice, is
a 400 naming it, so a typo (`topics=`) never silently returns unfiltered results. The
page is lenient about unknown parameters (links get tracking tags appended), but not
about bad values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from search.date_math import (
    DURATION_PATTERN,
    MAX_AMOUNT,
    RELATIVE_PATTERN,
    DateMathError,
    duration_minutes,
    is_relative,
    resolve,
    utc_minute,
)
from search.errors import BadQuery
from search.facets import FILTER_PARAMS, KEYWORD_FACETS
from search.request import MATCHES, MODES, SORTS, SearchRequest

MAX_PER_PAGE = 100
RESULT_WINDOW = 10_000  # page * per_page may not pass this: deep paging costs, nobody reads it
MAX_QUERY_CHARS = 1_000  # longer `q` is rejected: no reader types it, an attacker might
MAX_VALUES = 50  # values of one repeatable filter parameter
MAX_VALUE_CHARS = 200
MAX_SUGGESTIONS = 20
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ID = re.compile(r"[0-9a-f]{16}")  # search.identity.doc_id's form
GROUPS = ("story", "none")
# Recency in relevance ordering when `recency` is not given: off, as on the judged
# queries no half-life tried raised held-out nDCG@10 (docs/RELEVANCE.md, "Recency").
RECENCY_DEFAULT = "off"
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


def parse_date(value: str | None, param: str, now: datetime | None = None) -> date | None:
    """Return a YYYY-MM-DD calendar date, or for a relative value (now, now-7d) the naive
    UTC instant it names at `now` (default: the current minute); raise BadQuery naming
    `param`. A date means the whole day; an instant, that minute."""
    if value is None or value.strip(BLANKS) == "":
        return None
    text = value.strip(BLANKS)
    if is_relative(text):
        try:
            return resolve(text, utc_minute(now))
        except DateMathError as error:
            raise BadQuery(f"{param} {text[:40]!r}: {error}", param=param) from None
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise BadQuery(
            f"{param} must be a date as YYYY-MM-DD or a relative date such as now-7d, "
            f"not {value[:40]!r}",
            param=param,
        ) from None


def _relative(value: str | None) -> str | None:
    """Return `value` as given when it is a relative date (for the answer's echo)."""
    text = (value or "").strip(BLANKS)
    return text if is_relative(text) else None


def _bound_minute(day: date, end: bool) -> datetime:
    """Return the first minute a `from` bound covers, or the last one a `to` covers."""
    if isinstance(day, datetime):
        return day
    start = datetime(day.year, day.month, day.day)
    return start + timedelta(days=1, minutes=-1) if end else start


def _values(values: Sequence[str], param: str) -> tuple[str, ...]:
    if not values:  # most filters of most requests
        return ()
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
    filters: Mapping[str, Sequence[str]] | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    sort: str | None = None,
    page: str | None = None,
    per_page: str | None = None,
    group: str | None = None,
    like: str | None = None,
    match: str | None = None,
    mode: str | None = None,
    recency: str | None = None,
    *,
    group_by_default: bool = False,
    now: datetime | None = None,
) -> SearchRequest:
    """Return the SearchRequest for raw parameter values; raise BadQuery naming a bad one.

    `group` is "story" (one hit per story) or "none"; absent, `group_by_default` says.
    `like` is a document id: search for documents like it (not combinable with `q`).
    Relative dates (from=now-7d) are resolved at `now` (default: the current minute).
    `recency` is a half-life (30d) or off: relevance decays with age (RECENCY_DEFAULT)."""
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
    now = utc_minute(now)  # one instant for both bounds
    start, end = parse_date(date_from, "from", now), parse_date(date_to, "to", now)
    if start and end and _bound_minute(start, end=False) > _bound_minute(end, end=True):
        said = f"{(date_from or '').strip(BLANKS)} = {start}" if _relative(date_from) else start
        until = f"{(date_to or '').strip(BLANKS)} = {end}" if _relative(date_to) else end
        raise BadQuery(f"from ({said}) is after to ({until})", param="from")
    grouping = (group or "").strip(BLANKS) or ("story" if group_by_default else "none")
    if grouping not in GROUPS:
        raise BadQuery(f"group must be story or none, not {grouping[:40]!r}", param="group")
    like = (like or "").strip(BLANKS) or None
    if like is not None and not _ID.fullmatch(like):
        raise BadQuery(f"like must be a document id, not {like[:40]!r}", param="like")
    if like is not None and text:
        raise BadQuery("give either q or like, not both", param="like")
    strategy = parse_choice(match, "match", MATCHES) or "most"
    chosen_mode = parse_choice(mode, "mode", MODES)
    return SearchRequest(
        group=grouping == "story",
        like=like,
        q=text,
        filters={name: _values((filters or {}).get(name, ()), name) for name in FILTER_PARAMS},
        date_from=start,
        date_to=end,
        relative_dates=(_relative(date_from), _relative(date_to)),
        sort=sort,
        page=number,
        per_page=size,
        match=strategy,
        mode=chosen_mode,
        recency=parse_recency(recency),
    )


def parse_recency(value: str | None) -> int | None:
    """Return the half-life in minutes of a `recency` value (None for off; absent or
    blank: RECENCY_DEFAULT), or raise BadQuery naming the parameter."""
    text = (value or "").strip(BLANKS) or RECENCY_DEFAULT
    if text == "off":
        return None
    try:
        return duration_minutes(text)
    except DateMathError as error:
        raise BadQuery(f"recency must be off or a half-life: {error}", param="recency") from None


def parse_choice(value: str | None, param: str, allowed: tuple[str, ...]) -> str | None:
    """Return one of `allowed` (None when absent or blank); raise BadQuery otherwise."""
    value = (value or "").strip(BLANKS) or None
    if value is not None and value not in allowed:
        raise BadQuery(
            f"{param} must be one of {', '.join(allowed)}, not {value[:40]!r}", param=param
        )
    return value


@dataclass(frozen=True)
class Param:
    """One query parameter as the API documents it (the OpenAPI document is made of these)."""

    name: str
    description: str
    schema: dict[str, Any]
    repeatable: bool = False


DATE_SCHEMA = {"type": "string", "pattern": f"^({_DATE.pattern}|{RELATIVE_PATTERN})$"}
_VALUES = {"type": "array", "items": {"type": "string", "maxLength": MAX_VALUE_CHARS}}
SEARCH_PARAMETERS: tuple[Param, ...] = (
    Param(
        "q",
        'Query: words (stemmed, English), "phrases", AND/OR/NOT, field:word (title, '
        "excerpt, topic, provider), prefix*, fuzzy~; empty browses everything. Given once.",
        {"type": "string", "maxLength": MAX_QUERY_CHARS},
    ),
    *(
        Param(
            f.name,
            f"Only documents whose {f.name} is this value (case-insensitive). Repeat for any of.",
            {**_VALUES, "maxItems": MAX_VALUES},
            repeatable=True,
        )
        for f in KEYWORD_FACETS
    ),
    Param(
        "from",
        "Published on or after this UTC date (YYYY-MM-DD: from its first minute), or this "
        f"instant: now, or now-<N><unit> (N 1..{MAX_AMOUNT}; unit h hours, d days, w weeks, "
        "M months, y years), resolved against the request time in UTC to the minute; "
        "`filters` echoes the relative form.",
        DATE_SCHEMA,
    ),
    Param(
        "to",
        "Published on or before this UTC date (YYYY-MM-DD: to its last minute), or this "
        "instant (now, now-<N><unit>, as for from).",
        DATE_SCHEMA,
    ),
    Param(
        "sort",
        "Order: relevance (default with q), newest (default without), oldest.",
        {"type": "string", "enum": list(SORTS)},
    ),
    Param(
        "page",
        f"Page number; page * per_page may not exceed {RESULT_WINDOW}.",
        {"type": "integer", "minimum": 1, "maximum": RESULT_WINDOW, "default": 1},
    ),
    Param(
        "per_page",
        "Hits per page.",
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 10},
    ),
    Param(
        "group",
        "story: one hit per story (coverage of the same news by other outlets, linked by "
        "`related` lists or near-duplicate titles), the others in the hit's `story`; "
        "`total` and paging then count stories and `group.documents` counts documents.",
        {"type": "string", "enum": list(GROUPS), "default": "none"},
    ),
    Param(
        "match",
        "How plain words match. all: every word is required. most (default): documents "
        "holding every word rank first; when fewer than 10 in the index hold them all, the "
        "required number drops one word at a time (rarest words kept) until 10 match or one word "
        "is left, and documents holding more of the words rank above those holding fewer. "
        "any: documents holding any word. `total`, paging and facets count exactly the "
        "documents that meet the requirement. Quotes, AND/OR/NOT, +/-, field: and "
        "wildcards keep their strict meaning.",
        {"type": "string", "enum": list(MATCHES), "default": "most"},
    ),
    Param(
        "mode",
        "keyword: BM25 only. semantic: nearest documents by meaning (sentence embeddings "
        "of title and excerpt). hybrid: both, fused. Default: hybrid when the index has "
        "embeddings, else keyword.",
        {"type": "string", "enum": list(MODES)},
    ),
    Param(
        "recency",
        "Relevance ordering favours newer documents: each score is multiplied by "
        "0.5 ** (age / half-life), as Elasticsearch's function_score exp decay; age is "
        "counted from the newest matching document, undated documents as the oldest. A "
        f"half-life is <N><unit> (N 1..{MAX_AMOUNT}; h hours, d days, w weeks), such as "
        f"30d; off turns it off. Default: {RECENCY_DEFAULT}. Keyword scores only (in hybrid "
        "mode, the keyword side of the fusion).",
        {
            "type": "string",
            "pattern": f"^(off|{DURATION_PATTERN})$",
            "default": RECENCY_DEFAULT,
        },
    ),
    Param(
        "like",
        "More like this: search for documents like the one with this id (its most "
        "telling title and excerpt words, OR-ed; the document itself is left out). "
        "Not combinable with q.",
        {"type": "string", "pattern": "^[0-9a-f]{16}$"},
    ),
)
SUGGEST_PARAMETERS: tuple[Param, ...] = (
    Param("q", "What has been typed so far.", {"type": "string", "maxLength": 200}),
    Param(
        "limit",
        "Completions wanted.",
        {"type": "integer", "minimum": 1, "maximum": MAX_SUGGESTIONS, "default": 8},
    ),
)
REPEATABLE = tuple(p.name for p in SEARCH_PARAMETERS if p.repeatable)
SEARCH_PARAMS = tuple(p.name for p in SEARCH_PARAMETERS)
SUGGEST_PARAMS = tuple(p.name for p in SUGGEST_PARAMETERS)


class QueryString(Protocol):
    """A parsed query string (Starlette's QueryParams is one)."""

    def multi_items(self) -> list[tuple[str, str]]:
        """Return every (name, value) pair in order."""
        ...

    def getlist(self, key: str) -> list[str]:
        """Return every value of `key`."""
        ...


def check_names(params: QueryString, allowed: tuple[str, ...], repeatable: tuple[str, ...]) -> None:
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


def last_value(params: QueryString, name: str) -> str | None:
    """Return the last value of `name` in `params` (None when absent)."""
    values = params.getlist(name)
    return values[-1] if values else None


def parse_search(params: QueryString, strict: bool, now: datetime | None = None) -> SearchRequest:
    """Return the SearchRequest of a query string (strict: the JSON API's rules), its
    relative dates resolved at `now` (default: the current minute).

    The page groups coverage of one story by default; the API only when asked
    (`group=story`), so its default body stays exactly DESIGN.md 5's."""
    if strict:
        check_names(params, SEARCH_PARAMS, REPEATABLE)
    given: dict[str, list[str]] = {}  # one pass over the pairs, not one per name
    for name, value in params.multi_items():
        given.setdefault(name, []).append(value)
    last = {name: values[-1] for name, values in given.items()}
    return search_request(
        q=last.get("q"),
        filters={name: given.get(name, ()) for name in REPEATABLE},
        date_from=last.get("from"),
        date_to=last.get("to"),
        sort=last.get("sort"),
        page=last.get("page"),
        per_page=last.get("per_page"),
        group=last.get("group"),
        like=last.get("like"),
        match=last.get("match"),
        mode=last.get("mode"),
        recency=last.get("recency"),
        group_by_default=not strict,
        now=now,
    )
