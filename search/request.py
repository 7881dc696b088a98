"""A search request as every backend receives it: normalised, validated, hashable.

search.params makes these from a query string or CLI arguments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

SORTS = ("relevance", "newest", "oldest")
MATCHES = ("all", "most", "any")  # matching strategies for plain words (README "Matching")
MODES = ("keyword", "hybrid", "semantic")


@dataclass(frozen=True)
class SearchRequest:
    """A normalised search: the query text, filters, sort and page."""

    q: str = ""
    # keyword facet name -> values selected (ORed); compared and hashed through _filter_key
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict, hash=False, compare=False)
    # A day (whole) or, for a relative value such as now-7d, a naive UTC datetime (that
    # minute): the resolved range, so cached answers expire as "now" moves.
    date_from: date | None = None
    date_to: date | None = None
    relative_dates: tuple[str | None, str | None] = (None, None)  # as given, for the echo
    sort: str | None = None  # None: relevance when q is given, else newest
    page: int = 1
    per_page: int = 10
    facets: bool = True  # False: skip facet counting (lists come back empty)
    group: bool = False  # True: one hit per story, the others under it (local grouping)
    like: str | None = None  # a document id: search for documents like it instead of q
    match: str = "most"  # plain words: "all" required, "most" (relax when few hold all), "any"
    mode: str | None = None  # "keyword", "hybrid", "semantic"; None: hybrid when vectors exist
    recency: int | None = None  # half-life in minutes: relevance decays with age; None: off
    _filter_key: tuple[tuple[str, tuple[str, ...]], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        chosen = {name: tuple(values) for name, values in self.filters.items() if values}
        object.__setattr__(self, "filters", MappingProxyType(chosen))
        object.__setattr__(self, "_filter_key", tuple(sorted(chosen.items())))

    def selected(self, facet: str) -> tuple[str, ...]:
        """Return the values of keyword facet `facet` the request filters by."""
        return tuple(self.filters.get(facet, ()))

    @property
    def effective_sort(self) -> str:
        """Return the sort in force: the requested one, else DESIGN.md 4's default."""
        return self.sort or ("relevance" if self.q.strip() or self.like else "newest")
