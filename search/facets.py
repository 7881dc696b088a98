"""The facet registry: every facet named once, as data.

Request parsing (which parameters filter, and repeat), the columns a backend stores,
counting, the answer's `facets` and `filters`, links on the page, the OpenAPI
document and the CLI all read FACETS. Adding a keyword facet is one entry here (and
the tests that show it); a backend that stores columns picks it up when it next
builds. An index built before a facet existed answers it with an empty list.

Two kinds:
- keyword: the values of one document field (a tuple for `multi` fields), matched
  case-insensitively, listed commonest first (then by name), at most LIST_LIMIT
  values plus every selected one. Filtering by several values ORs them.
- date: periods of `published` (year, month), chronological, filtered by `from`/`to`.

Every facet is disjunctive: it is counted under every filter but its own, so a reader
sees how many results ticking another value would add.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

LIST_LIMIT = 100  # values listed per keyword facet (selected ones always are)


@dataclass(frozen=True)
class Facet:
    """One facet: its name (the `facets` key, and the parameter that filters by it)."""

    name: str
    label: str  # heading on the page
    kind: Literal["keyword", "date"]
    field: str  # the document field it reads (an Article attribute, a stored field)
    multi: bool = False  # a document may have several values
    suggest: bool = False  # offered as completions of what a reader types
    description: str = ""  # for the OpenAPI document

    def values(self, document: Any) -> tuple[str, ...]:
        """Return this facet's values of `document` (an Article, or a mapping of its
        stored fields); empty when the field is missing or blank."""
        if isinstance(document, Mapping):
            raw = document.get(self.field)
        else:
            raw = getattr(document, self.field, None)
        if raw is None:
            return ()
        values = tuple(raw) if self.multi else (raw,)
        return tuple(v for v in values if isinstance(v, str) and v.strip())


FACETS: tuple[Facet, ...] = (
    Facet(
        "topic",
        "Topics",
        "keyword",
        field="topics",
        multi=True,
        suggest=True,
        description="Topics of the matching documents (a document may have several).",
    ),
    Facet(
        "provider",
        "Providers",
        "keyword",
        field="provider_name",
        suggest=True,
        description="Who published the matching documents.",
    ),
    Facet(
        "type",
        "Types",
        "keyword",
        field="type",
        description="What kind of item a document is: article, video, course, event...",
    ),
    Facet("year", "Years", "date", field="published", description="Publication years."),
    Facet("month", "Months", "date", field="published", description="Publication months."),
)

FACET_NAMES: tuple[str, ...] = tuple(f.name for f in FACETS)
KEYWORD_FACETS: tuple[Facet, ...] = tuple(f for f in FACETS if f.kind == "keyword")
FILTER_PARAMS: tuple[str, ...] = tuple(f.name for f in KEYWORD_FACETS)  # repeatable


def facet(name: str) -> Facet:
    """Return the facet called `name` (KeyError if there is none)."""
    for candidate in FACETS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)
