"""Query insights from the query log (search.query_log): the commonest queries, those
that found nothing, and the slowest, over a period; `search stats --queries`.

Searches are grouped by their text with case and spacing folded (`Facial  AI` and
`facial ai` are one query, shown as first typed); a "more like this" search is
`like:<id>` and browsing without text is `(no text)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from search.date_math import DateMathError, duration_minutes, utc_minute
from search.errors import BadQuery
from search.query_log import read_entries

BROWSE = "(no text)"
SHOWN_CHARS = 60  # of a query in the tables (--json has it whole)


@dataclass
class QueryCount:
    """One query's searches over the period."""

    query: str
    searches: int = 0
    zero: int = 0  # searches that found nothing
    results: int = 0  # results of its latest search
    slowest_ms: float = 0.0
    slowest_at: str = ""  # when its slowest search ran (UTC)
    last_at: str = ""

    def as_json(self) -> dict[str, Any]:
        """Return the query's counts as a JSON object."""
        return {
            "query": self.query,
            "searches": self.searches,
            "zero_results": self.zero,
            "results": self.results,
            "slowest_ms": self.slowest_ms,
            "slowest_at": self.slowest_at,
            "last_at": self.last_at,
        }


@dataclass
class QueryStats:
    """The insights of one period: totals, and the three lists (at most `limit` each)."""

    since: str  # the period as asked (7d), or "all"
    searches: int = 0
    queries: int = 0  # distinct queries
    first_at: str | None = None
    last_at: str | None = None
    top: list[QueryCount] = field(default_factory=list)
    zero: list[QueryCount] = field(default_factory=list)
    slowest: list[QueryCount] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """Return the `search stats --queries --json` object."""
        return {
            "since": self.since,
            "searches": self.searches,
            "queries": self.queries,
            "first_at": self.first_at,
            "last_at": self.last_at,
            "top": [q.as_json() for q in self.top],
            "zero_results": [q.as_json() for q in self.zero],
            "slowest": [q.as_json() for q in self.slowest],
        }


def query_key(entry: Mapping[str, Any]) -> tuple[str, str]:
    """Return (grouping key, display form) of a logged search."""
    if entry.get("like"):
        shown = f"like:{entry['like']}"
    else:
        shown = " ".join(str(entry.get("q") or "").split()) or BROWSE
    return shown.casefold(), shown


def query_stats(entries: Iterable[Mapping[str, Any]], since: str, limit: int) -> QueryStats:
    """Return the insights of `entries` (read_entries, oldest first): the `limit` commonest
    queries, those with most searches finding nothing, and the slowest by their slowest
    search; ties go to the query seen first."""
    stats = QueryStats(since)
    counts: dict[str, QueryCount] = {}
    for entry in entries:
        key, shown = query_key(entry)
        count = counts.setdefault(key, QueryCount(shown))
        total, took, at = (
            int(entry.get("total") or 0),
            float(entry.get("took_ms") or 0),
            entry["ts"],
        )
        count.searches += 1
        count.zero += total == 0
        count.results, count.last_at = total, at
        if took > count.slowest_ms or not count.slowest_at:
            count.slowest_ms, count.slowest_at = took, at
        stats.searches += 1
        stats.first_at = stats.first_at or at
        stats.last_at = at
    found = list(counts.values())  # in order of first search: sorted() keeps it for ties
    stats.queries = len(found)
    stats.top = sorted(found, key=lambda q: -q.searches)[:limit]
    stats.zero = sorted((q for q in found if q.zero), key=lambda q: -q.zero)[:limit]
    stats.slowest = sorted(found, key=lambda q: -q.slowest_ms)[:limit]
    return stats


def insights(folder: Path, since: str, limit: int) -> QueryStats:
    """Return the insights of the query log in `folder` over the past `since` (a duration
    such as 7d, or "all"); raise BadQuery naming `since` when it is neither."""
    cutoff = None
    if since != "all":
        try:
            cutoff = utc_minute() - timedelta(minutes=duration_minutes(since))
        except DateMathError as exc:
            raise BadQuery(f"since must be all or a duration: {exc}", param="since") from None
    return query_stats(read_entries(folder, cutoff), since, limit)


def format_stats(stats: QueryStats) -> str:
    """Return the insights as plain-text tables."""
    period = "everything kept" if stats.since == "all" else f"the past {stats.since}"
    lines = [f"{stats.searches} searches, {stats.queries} distinct queries, over {period}"]
    if stats.first_at:
        lines[0] += f" ({stats.first_at} to {stats.last_at})"
    sections = (
        ("Top queries", stats.top, ("searches", "results"), lambda q: (q.searches, q.results)),
        ("Zero-result queries", stats.zero, ("searches", "last"), lambda q: (q.zero, q.last_at)),
        (
            "Slowest queries",
            stats.slowest,
            ("ms", "at"),
            lambda q: (f"{q.slowest_ms:.1f}", q.slowest_at),
        ),
    )
    for title, rows, (first, second), cells in sections:
        lines += ["", f"{title}:"]
        if not rows:
            lines.append("  (none)")
            continue
        shown = [_cell(q.query) for q in rows]
        width = max(len("query"), *(len(text) for text in shown))
        lines.append(f"  {'query':<{width}}  {first:>8}  {second}")
        for q, text in zip(rows, shown, strict=True):
            one, two = cells(q)
            lines.append(f"  {text:<{width}}  {one!s:>8}  {two}")
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Return a query as a table shows it: unprintable characters (a terminal's escape
    sequences) as U+FFFD, cut to SHOWN_CHARS with an ellipsis."""
    safe = "".join(c if c.isprintable() else "\ufffd" for c in text)
    return safe if len(safe) <= SHOWN_CHARS else safe[: SHOWN_CHARS - 1] + "…"
