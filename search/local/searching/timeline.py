"""The adaptive timeline: a histogram of publication dates whose interval fits the range
shown, so "the past week" gets days and a whole archive gets years.

The range is the date filter's (from/to, a relative one resolved); an open end is the
matching documents' first or last date. Counting follows the year and month facets'
rule: every filter but the dates applies, so a bucket counts what selecting it (its
from/to) would find, including the part of an edge period outside the filter.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from search.local.store.columns import NO_DATE
from search.results import Timeline, TimelineBucket

DAY_SPAN = 45  # days: up to a month and a half of daily bars
MONTH_SPAN = 731  # days: up to two years of monthly bars; years beyond
MAX_FILLED = 200  # periods listed with empty ones; past it (stray ancient dates) only the rest
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
EPOCH = date(1970, 1, 1)
MINUTES_A_DAY = 24 * 60


def _day_number(bound: date) -> int:
    """Return days since 1970-01-01 of a date, or of a datetime's day."""
    day = bound.date() if isinstance(bound, datetime) else bound
    return (day - EPOCH).days


def _month_numbers(days: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Return months since 1970-01 of day numbers."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


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
    low = _day_number(start) if start is not None else None
    high = _day_number(end) if end is not None else None
    seen = (int(days.min()), int(days.max())) if len(days) else (None, None)
    low = low if low is not None else seen[0] if seen[0] is not None else high
    high = high if high is not None else seen[1] if seen[1] is not None else low
    if low is None or high is None:  # nothing dated and no range: nothing to draw
        return Timeline("year", [])
    if start is None:  # an open start never passes the end, nor an open end the start
        low = min(low, high)
    high = max(high, low)
    interval = interval_for(low, high)
    window = np.array([low, high], dtype=np.int64)
    if interval == "day":
        codes, (first, last) = days, window.tolist()
    else:
        codes, (first, last) = _month_numbers(days), _month_numbers(window).tolist()
        if interval == "year":
            codes, first, last = codes // 12, first // 12, last // 12
    inside = codes[(codes >= first) & (codes <= last)] - first
    counts = np.bincount(inside, minlength=last - first + 1)
    listed = range(len(counts)) if len(counts) <= MAX_FILLED else np.flatnonzero(counts).tolist()
    chosen = (start, end) if type(start) is date and type(end) is date else None
    buckets = []
    for offset in listed:
        key, label, begins, ends = _period(interval, first + offset)
        buckets.append(
            TimelineBucket(
                key,
                label,
                int(counts[offset]),
                begins.isoformat(),
                ends.isoformat(),
                chosen == (begins, ends),
            )
        )
    return Timeline(interval, buckets)
