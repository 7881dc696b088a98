"""What every engine of the search benchmark answers, in one comparable shape.

Each engine returns the number of matching documents, the ids of its top 10 and, when
facets were asked, the counts of the facets our answer has: topic, provider, type and
month (and year, which the peers sum from the months: our answer has it too, and a
year is twelve months). Counts are disjunctive in every engine, as ours are: with the
filtered workload's topic and date range, the topic facet is counted under the dates
only, the month and year facets under the topic only, provider and type under both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from search.results import SearchResult

Counts = dict[str, dict[str, int]]  # facet -> value -> matching documents
FACETS = ("topic", "provider", "type", "month", "year")


@dataclass(frozen=True)
class Answer:
    """One engine's answer: total matches, top-10 ids, facet counts (empty if not asked)."""

    total: int
    ids: list[str]
    facets: Counts = field(default_factory=dict)


@dataclass(frozen=True)
class Filters:
    """The filtered workload's topic and inclusive day range (None: unfiltered)."""

    topic: str | None = None
    start: date | None = None
    end: date | None = None

    @property
    def active(self) -> bool:
        """Return True when the topic and the range both apply."""
        return self.topic is not None and self.start is not None and self.end is not None


def with_years(counts: Counts) -> Counts:
    """Return `counts` with a year facet summed from its YYYY-MM month facet."""
    years: dict[str, int] = {}
    for month, count in counts.get("month", {}).items():
        years[month[:4]] = years.get(month[:4], 0) + count
    return {**counts, "year": years}


def pairs_to_counts(rows: Iterable[tuple[str, str | None, int]]) -> Counts:
    """Return Counts from (facet, value, count) rows, skipping missing values."""
    counts: Counts = {name: {} for name in FACETS if name != "year"}
    for name, value, count in rows:
        if value:
            counts[name][value] = count
    return with_years(counts)


def ours(result: SearchResult) -> Answer:
    """Return our SearchResult as an Answer (outside the timed path)."""
    facets: Counts = {}
    if any(result.facets.values()):
        facets = {  # a selected value is listed even when it counts 0: the peers list none
            name: {v.value: v.count for v in result.facets[name] if v.count} for name in FACETS
        }
    return Answer(result.total, [hit.id for hit in result.hits], facets)


def listed(counts: Mapping[str, int], limit: int) -> dict[str, int]:
    """Return the `limit` values our answer would list: commonest first, then by name."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold(), item[0]))
    return dict(ordered[:limit])
