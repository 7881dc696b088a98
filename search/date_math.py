"""Relative dates as people ask for them: `now`, `now-7d`, `now-1M` (Elasticsearch's
date math, the subset without rounding or addition), and durations (`30d`, a half-life).

A relative value is resolved against the request time in UTC, to the minute (the
precision of the index's dates), so the same URL keeps meaning "the past week" as time
passes: links, bookmarks and feeds stay relative, while each answer (and the answer
cache's key) holds the resolved instant. Units are case-sensitive, as in
Elasticsearch: `M` is months, `m` (minutes) is not accepted.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta

MAX_AMOUNT = 1000  # now-1000y is still a valid year; larger amounts only overflow
UNITS = {"h": "hours", "d": "days", "w": "weeks", "M": "months", "y": "years"}
# The form, as the OpenAPI document states it: no leading zeros, 1..MAX_AMOUNT.
RELATIVE_PATTERN = r"now(-([1-9][0-9]{0,2}|1000)[hdwMy])?"
_RELATIVE = re.compile(r"now(?:-([0-9]+)([A-Za-z]))?")
DURATION_UNITS = {"h": 60, "d": 24 * 60, "w": 7 * 24 * 60}  # minutes; months and years vary
DURATION_PATTERN = r"([1-9][0-9]{0,2}|1000)[hdw]"
_DURATION = re.compile(r"([0-9]+)([A-Za-z]?)")


class DateMathError(ValueError):
    """A relative date that is not one of the accepted forms; the message says why."""


def is_relative(text: str) -> bool:
    """Return True when `text` is meant as a relative date (it starts with `now`)."""
    return text.startswith("now")


def utc_minute(moment: datetime | None = None) -> datetime:
    """Return `moment` (default: the current time) as naive UTC, cut to the minute."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(second=0, microsecond=0)


def _months_back(moment: datetime, months: int) -> datetime:
    """Return `moment` `months` calendar months earlier, the day clamped to the month's
    last (31 March minus one month is 28 or 29 February), as Elasticsearch does."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _amount(amount: str) -> int:
    """Return a whole amount 1..MAX_AMOUNT written without leading zeros; raise otherwise."""
    number = int(amount) if len(amount) <= 6 else MAX_AMOUNT + 1
    if not 1 <= number <= MAX_AMOUNT or amount[0] == "0":
        raise DateMathError(f"the amount must be a whole number from 1 to {MAX_AMOUNT}")
    return number


def duration_minutes(text: str) -> int:
    """Return the minutes of a duration such as 30d (units h, d, w); raise DateMathError."""
    found = _DURATION.fullmatch(text)
    if found is None:
        raise DateMathError("a duration is <N><unit>, such as 30d")
    amount, unit = found.groups()
    if unit not in DURATION_UNITS:
        units = ", ".join(DURATION_UNITS)
        raise DateMathError(f"the unit must be one of {units} (365d for a year), not {unit!r}")
    return _amount(amount) * DURATION_UNITS[unit]


def resolve(text: str, now: datetime) -> datetime:
    """Return the naive UTC instant `text` (now, now-<N><unit>) names at `now` (naive
    UTC); raise DateMathError saying what is wrong."""
    found = _RELATIVE.fullmatch(text)
    if found is None:
        raise DateMathError("a relative date is now or now-<N><unit>, such as now-7d")
    amount, unit = found.groups()
    if amount is None:
        return now
    if unit not in UNITS:
        raise DateMathError(f"the unit must be one of {', '.join(UNITS)} (M is months), not {unit}")
    number = _amount(amount)
    if unit == "M":
        return _months_back(now, number)
    if unit == "y":
        return _months_back(now, 12 * number)
    return now - timedelta(**{UNITS[unit]: number})
