"""The adaptive timeline: a histogram of publication dates whose interval fits the range
shown, so "the past week" gets days and a whole archive gets years.

The range is the date filter's (from/to, a relative one resolved); an open end is the
matching documents' first or last date. Counting follows the year and month facets'
rule: every filter but the dates applies, so a bucket counts what selecting it (its
from/to) would find, including the part of an edge period outside the filter.
"""

from __future__ import annotations

import calendar
import functools
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from search.local.searching.facet_counts import remembered
from search.local.store.column_files import NO_DATE
from search.local.store.columns import NEVER, Columns
from search.local.store.document_sets import DocumentSet
from search.results import Timeline, TimelineBucket

DAY_SPAN = 45  # days: up to a month and a half of daily bars
MONTH_SPAN = 731  # days: up to two years of monthly bars; years beyond
MAX_FILLED = 200  # periods listed with empty ones; past it (stray ancient dates) only the rest
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
EPOCH = date(1970, 1, 1)
_timelines: OrderedDict[tuple[object, ...], Timeline] = OrderedDict()
MINUTES_A_DAY = 24 * 60


def _day_number(bound: date) -> int:
    """Return days since 1970-01-01 of a date, or of a datetime's day."""
    day = bound.date() if isinstance(bound, datetime) else bound
    return (day - EPOCH).days


def _month_numbers(days: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Return months since 1970-01 of day numbers."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


@functools.lru_cache(maxsize=8192)  # periods repeat from search to search
def _period(interval: str, code: int) -> tuple[str, str, date, date]:
    """Return the key, label, first and last day of period `code` of `interval`."""
    if interval == "day":
        day = EPOCH + timedelta(days=code)
        return day.isoformat(), f"{day.day} {MONTHS[day.month - 1]} {day.year}", day, day
    if interval == "month":
        year, month = 1970 + code // 12, code % 12 + 1
        last = date(year, month, calendar.monthrange(year, month)[1])
        return f"{year:04d}-{month:02d}", f"{MONTHS[month - 1]} {year}", date(year, month, 1), last
    year = 1970 + code
    return f"{year:04d}", f"{year}", date(year, 1, 1), date(year, 12, 31)


def interval_for(first_day: int, last_day: int) -> str:
    """Return the interval that fits a range of day numbers: day, month or year."""
    span = last_day - first_day + 1
    return "day" if span <= DAY_SPAN else "month" if span <= MONTH_SPAN else "year"


def timeline(published: npt.NDArray[np.int64], start: date | None, end: date | None) -> Timeline:
    """Return the timeline of documents with minute stamps `published` (NO_DATE for
    undated; the documents passing every filter but the dates) over start..end."""
    days = published[published != NO_DATE] // MINUTES_A_DAY
    seen = (int(days.min()), int(days.max())) if len(days) else None
    return _timeline_of(seen, days, lambda: _month_numbers(days), start, end)


def counted_timeline(
    columns: Columns, numbers: npt.NDArray[np.int64], start: date | None, end: date | None
) -> Timeline:
    """Return timeline() of documents `numbers`, from the columns' day numbers and month
    codes (computed once per generation, not once per search; an undated document's
    sort below every period, so nothing is filtered out first)."""
    days = columns.day[numbers]
    first = int(columns.day_or_max[numbers].min(initial=NEVER))
    seen = (first, int(days.max())) if first != NEVER else None
    return _timeline_of(seen, days, lambda: columns.month_or_min[numbers], start, end)


def _timeline_of(
    seen: tuple[int, int] | None,
    days: npt.NDArray[np.int64],
    months: Callable[[], npt.NDArray[np.int64]],
    start: date | None,
    end: date | None,
) -> Timeline:
    """Return the timeline of documents whose first and last day are `seen`, with day
    numbers `days` and month codes `months()` (undated ones below every period)."""
    span = day_range(seen, start, end)
    if span is None:  # nothing dated and no range: nothing to draw
        return Timeline("year", [])
    interval = interval_for(*span)
    first, last = period_codes(interval, *span)
    codes = days if interval == "day" else months()
    if interval == "year":
        codes = codes // 12
    inside = codes[(codes >= first) & (codes <= last)] - first
    counts = np.bincount(inside, minlength=last - first + 1)
    return _counted(interval, first, last, counts, start, end)


def month_timeline(
    columns: Columns,
    found: DocumentSet,
    per_slot: npt.NDArray[np.int64],
    start: date | None,
    end: date | None,
) -> Timeline:
    """Return counted_timeline(columns, found.numbers, start, end) from `per_slot`, the
    documents of `found` per month slot (facet_counts.month_counts): the first and last
    dated documents are looked for within their months only (and only for an open end),
    and only a timeline of days counts the documents again."""
    dated = np.flatnonzero(per_slot[1:]) + 1
    seen = None
    # Both ends given (most searches): the range is theirs, the documents' edges unused.
    if len(dated) and (start is None or end is None):
        seen = (
            _edge_day(columns, found, int(dated[0]), 0),
            _edge_day(columns, found, int(dated[-1]), -1),
        )
    span = day_range(seen, start, end)
    if span is None or interval_for(*span) == "day":
        numbers = found.numbers
        return _timeline_of(
            seen, columns.day[numbers], lambda: columns.month_or_min[numbers], start, end
        )
    interval = interval_for(*span)
    first, last = period_codes(interval, *span)
    codes = np.arange(len(per_slot) - 1, dtype=np.int64) + columns.first_month  # slots 1...
    if interval == "year":
        codes = codes // 12
    inside = (codes >= first) & (codes <= last)
    weights = per_slot[1:][inside]
    counts = np.bincount(codes[inside] - first, weights, minlength=last - first + 1)
    return _counted(interval, first, last, counts.astype(np.int64), start, end)


def _edge_day(columns: Columns, found: DocumentSet, slot: int, end: int) -> int:
    """Return the day of the first (`end` 0) or last (-1) document of `found` in month
    `slot`, which holds at least one."""
    dated, starts = columns.month_runs
    run = dated[starts[slot] : starts[slot + 1]]
    return int(columns.day[run[found.mask[run]][end]])


def _counted(
    interval: str,
    first: int,
    last: int,
    counts: npt.NDArray[np.int64],
    start: date | None,
    end: date | None,
) -> Timeline:
    """Return the Timeline of `counts` by period code first..last (the one made before
    for equal counts, copied)."""
    chosen = (start, end) if type(start) is date and type(end) is date else None
    key = (interval, first, last, counts.tobytes(), chosen)  # equal counts: the same buckets

    def make() -> Timeline:
        found = {first + i: c for i, c in enumerate(counts.tolist()) if c}
        return filled(interval, first, found, last, start, end)

    made: Timeline = remembered(_timelines, key, make)
    return Timeline(made.interval, list(made.buckets))


def day_range(
    seen: tuple[int, int] | None, start: date | None, end: date | None
) -> tuple[int, int] | None:
    """Return the first and last day number the timeline covers: the date filter's
    bounds, an open end taken from `seen` (the first and last day of the dated documents
    passing the other filters); None when there is nothing to draw."""
    low = _day_number(start) if start is not None else None
    high = _day_number(end) if end is not None else None
    low = low if low is not None else seen[0] if seen is not None else high
    high = high if high is not None else seen[1] if seen is not None else low
    if low is None or high is None:
        return None
    if start is None:  # an open start never passes the end, nor an open end the start
        low = min(low, high)
    return low, max(high, low)


def period_codes(interval: str, low: int, high: int) -> tuple[int, int]:
    """Return the first and last period code (days, months or years since 1970) of the
    day numbers low..high."""
    if interval == "day":
        return low, high
    first, last = _month_numbers(np.array([low, high], dtype=np.int64)).tolist()
    return (first // 12, last // 12) if interval == "year" else (first, last)


def filled(
    interval: str,
    first: int,
    counts: dict[int, int],
    last: int,
    start: date | None,
    end: date | None,
) -> Timeline:
    """Return the Timeline of `counts` by period code over first..last: every period
    listed (empty ones too, up to MAX_FILLED of them; past that only the counted ones),
    the one start..end names exactly marked selected."""
    size = last - first + 1
    listed = (
        range(first, last + 1)
        if size <= MAX_FILLED
        else sorted(c for c in counts if first <= c <= last)
    )
    chosen = (start, end) if type(start) is date and type(end) is date else None
    buckets = []
    for code in listed:
        *_, begins, ends = _period(interval, code)
        buckets.append(_bucket(interval, code, counts.get(code, 0), chosen == (begins, ends)))
    return Timeline(interval, buckets)


@functools.lru_cache(maxsize=65_536)  # frozen, so equal buckets are shared across answers
def _bucket(interval: str, code: int, count: int, selected: bool) -> TimelineBucket:
    """Return the TimelineBucket of period `code` of `interval`."""
    key, label, begins, ends = _period(interval, code)
    return TimelineBucket(key, label, count, begins.isoformat(), ends.isoformat(), selected)
