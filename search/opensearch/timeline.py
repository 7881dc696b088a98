"""The adaptive timeline on OpenSearch, from the same aggregations as the date facets.

The month histogram the year and month facets use also gives the timeline's months and
years; a `stats` aggregation beside it gives the first and last date for an open range.
Only a range short enough for daily bars (search.local.searching.timeline.DAY_SPAN)
costs one more request: a daily histogram of just that range.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from search.local.searching.timeline import (
    MINUTES_A_DAY,
    day_range,
    filled,
    interval_for,
    period_codes,
)
from search.request import SearchRequest
from search.results import Timeline

MS_A_DAY = MINUTES_A_DAY * 60 * 1000
Daily = Callable[[int, int], dict[int, int]]  # (first, last day number) -> {day: documents}


def month_codes(histogram: Mapping[str, Any]) -> dict[int, int]:
    """Return {months since 1970-01: documents} of a monthly date_histogram."""
    found: dict[int, int] = {}
    for bucket in histogram["buckets"]:
        year, month = (int(part) for part in bucket["key_as_string"].split("-"))
        found[(year - 1970) * 12 + month - 1] = int(bucket["doc_count"])
    return found


def timeline_of(dates: Mapping[str, Any], request: SearchRequest, daily: Daily) -> Timeline:
    """Return the timeline from the date aggregation (`values`: months, `span`: stats)."""
    span = dates["span"]
    seen = None
    if span.get("count"):
        seen = (int(span["min"] // MS_A_DAY), int(span["max"] // MS_A_DAY))
    days = day_range(seen, request.date_from, request.date_to)
    if days is None:
        return Timeline("year", [])
    interval = interval_for(*days)
    first, last = period_codes(interval, *days)
    if interval == "day":
        counts = daily(first, last)
    else:
        counts = month_codes(dates["values"])
        if interval == "year":
            years: dict[int, int] = {}
            for code, n in counts.items():
                years[code // 12] = years.get(code // 12, 0) + n
            counts = years
    return filled(interval, first, counts, last, request.date_from, request.date_to)
