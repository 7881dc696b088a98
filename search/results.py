"""The backends' inputs and outputs as plain dataclasses; they serialise to DESIGN.md 5.

No engine object ever leaves a backend: views and the CLI get these. They are the one
source of the API's contract: each class's `as_json` writes the body, and the OpenAPI
schemas are generated from the same fields and their `Doc` annotations
(search.web.schemas); the tests check answers against that document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from search.contract import ID_PATTERN, NOT_IN_BODY, Doc, doc
from search.facets import FACET_NAMES, FILTER_PARAMS
from search.request import MATCHES, SORTS, SearchRequest


@dataclass(frozen=True)
class Provider:
    """Who published a document."""

    name: str | None
    domain: str | None


@dataclass(frozen=True)
class Highlights:
    """Title and excerpt as safe HTML: matched words in <mark>, all else escaped."""

    title: Annotated[str, doc("HTML: <mark> around matches, everything else escaped")]
    excerpt: Annotated[str, doc("HTML, as title")]


@dataclass(frozen=True)
class Hit:
    """One search result."""

    id: Annotated[str, doc(pattern=ID_PATTERN)]
    kind: Annotated[str, doc(enum=["article", "related"])]
    url: Annotated[str | None, doc(format="uri")]
    title: str
    excerpt: str
    published: Annotated[str | None, doc("ISO 8601 UTC ending in Z", format="date-time")]
    provider: Provider
    topics: list[str]
    image: str | None
    score: float
    highlights: Highlights
    story: Annotated[
        StoryGroup | None, Doc("Only in grouped searches (group=story)", optional=True)
    ] = None

    def as_json(self) -> dict[str, object]:
        """Return the DESIGN.md 5 hit object (with `story` when the search was grouped)."""
        body: dict[str, object] = {
            "id": self.id,
            "kind": self.kind,
            "url": self.url,
            "title": self.title,
            "excerpt": self.excerpt,
            "published": self.published,
            "provider": {"name": self.provider.name, "domain": self.provider.domain},
            "topics": self.topics,
            "image": self.image,
            "score": self.score,
            "highlights": {"title": self.highlights.title, "excerpt": self.highlights.excerpt},
        }
        if self.story is not None:
            body["story"] = self.story.as_json()
        return body


@dataclass(frozen=True)
class StoryGroup:
    """A grouped hit's story: its id, its size, and the other matching coverage."""

    id: Annotated[str, doc("The id of its member with the smallest id", pattern=ID_PATTERN)]
    size: Annotated[int, doc("Documents in the story, matching or not", minimum=1)]
    more_count: Annotated[int, doc("Other documents of the story matching the search", minimum=0)]
    more: Annotated[list[Hit], doc("The first of them, in the search's order", maxItems=10)]

    def as_json(self) -> dict[str, object]:
        """Return the `story` object of a grouped hit."""
        return {
            "id": self.id,
            "size": self.size,
            "more_count": self.more_count,
            "more": [hit.as_json() for hit in self.more],
        }


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet, its count under the other filters, and whether it is selected."""

    # The JSON object's keys, in this order: SearchResult.as_json(facet_objects=True)
    # leaves these objects to orjson, which writes a dataclass's fields as they stand.
    value: str
    count: Annotated[int, doc(minimum=0)]
    selected: bool = False


@dataclass(frozen=True)
class Filters:
    """The filters in force, as the request gave them."""

    values: Annotated[dict[str, list[str]], Doc(keys=FILTER_PARAMS, inline=True)] = field(
        default_factory=dict
    )  # keyword facet -> selected values
    from_: Annotated[str | None, Doc("YYYY-MM-DD, or relative as given (now-7d)", json="from")] = (
        None
    )
    to: Annotated[str | None, doc("YYYY-MM-DD, or relative as given (now)")] = None

    @classmethod
    def of(cls, request: SearchRequest) -> Filters:
        """Return the filters `request` asks for; relative dates (now-7d) as given, so
        links made from them stay relative."""
        given_from, given_to = request.relative_dates
        return cls(
            {name: list(request.selected(name)) for name in FILTER_PARAMS},
            given_from or (request.date_from.isoformat() if request.date_from else None),
            given_to or (request.date_to.isoformat() if request.date_to else None),
        )

    def as_json(self) -> dict[str, object]:
        """Return the DESIGN.md 5 `filters` object: every keyword facet's selected values
        (an empty list when none), then `from` and `to`."""
        body: dict[str, object] = {name: self.values.get(name, []) for name in FILTER_PARAMS}
        return {**body, "from": self.from_, "to": self.to}


@dataclass(frozen=True)
class TimelineBucket:
    """One period of the timeline, its count under the other filters, and the from/to
    values that select it."""

    key: Annotated[str, doc("YYYY, YYYY-MM or YYYY-MM-DD, by the interval")]
    label: Annotated[str, doc("For people: 2021, Mar 2021, 5 Mar 2021")]
    count: Annotated[int, doc(minimum=0)]
    from_: Annotated[str, Doc("The from value that selects it", json="from")]
    to: Annotated[str, doc("The to value that selects it")]
    selected: Annotated[bool, doc("from and to select exactly this period")] = False

    def as_json(self) -> dict[str, object]:
        """Return one bucket of the `timeline` object."""
        return {
            "key": self.key,
            "label": self.label,
            "count": self.count,
            "from": self.from_,
            "to": self.to,
            "selected": self.selected,
        }


TIMELINE_INTERVALS = ("day", "month", "year")


@dataclass(frozen=True)
class Timeline:
    """A date histogram whose interval fits the range shown: the date filter's, else
    the matching documents' (days within 45 days, months within 2 years, else years).
    Disjunctive like the year and month facets: counted under every filter but the
    dates, so a bucket counts what selecting it would find."""

    interval: Annotated[str, doc(enum=list(TIMELINE_INTERVALS))]
    buckets: Annotated[list[TimelineBucket], doc("Chronological; empty periods included")]

    def as_json(self) -> dict[str, object]:
        """Return the `timeline` object of an answer."""
        return {"interval": self.interval, "buckets": [b.as_json() for b in self.buckets]}


def no_timeline() -> Timeline:
    """Return the timeline of an answer that counted no facets: no buckets."""
    return Timeline("year", [])


def no_facets() -> dict[str, list[FacetValue]]:
    """Return the `facets` of an answer that counted none: every list empty."""
    return {name: [] for name in FACET_NAMES}


@dataclass(frozen=True)
class Matching:
    """How plain text was matched, when that is worth saying: the strategy relaxed it,
    synonyms widened it, or common words of a long text were left out."""

    strategy: Annotated[str, doc("The match parameter in force", enum=list(MATCHES))]
    words: Annotated[int, doc("Words (or synonym entries) scored", minimum=1)]
    required: Annotated[int, doc("How many of them a matching document holds", minimum=1)]
    synonyms: Annotated[
        list[tuple[str, list[str]]],
        Doc("Words of the query searched with their synonyms: [said, [also found]]"),
    ] = field(default_factory=list)
    dropped: Annotated[
        list[str], doc("Common words of a long text left out (at most 16 are scored)")
    ] = field(default_factory=list)

    @property
    def worth_saying(self) -> bool:
        """Return True when matching differed from requiring every word as typed."""
        return self.required < self.words or bool(self.synonyms or self.dropped)

    def as_json(self) -> dict[str, object]:
        """Return the `matching` object of an answer."""
        return {
            "strategy": self.strategy,
            "words": self.words,
            "required": self.required,
            "synonyms": [[said, list(also)] for said, also in self.synonyms],
            "dropped": self.dropped,
        }


@dataclass(frozen=True)
class SearchResult:
    """The answer to a SearchRequest: DESIGN.md 5's /api/search body."""

    query: Annotated[str, doc("q, or the query that `like` made")]
    total: Annotated[int, doc(minimum=0)]
    page: Annotated[int, doc(minimum=1)]
    per_page: Annotated[int, doc(minimum=1)]
    pages: Annotated[int, doc(minimum=0)]
    sort: Annotated[str, doc(enum=list(SORTS))]
    took_ms: float
    hits: list[Hit]
    facets: Annotated[
        dict[str, list[FacetValue]],
        Doc("Disjunctive: each facet ignores its own filter.", keys=FACET_NAMES),
    ]
    filters: Filters
    suggestion: Annotated[str | None, doc("Did you mean: a corrected q.")] = None
    timeline: Timeline = field(default_factory=no_timeline)
    generation: Annotated[str, NOT_IN_BODY] = ""  # the X-Index-Generation header
    partial: Annotated[bool, NOT_IN_BODY] = False  # X-Search-Partial: an expansion was cut
    documents: Annotated[  # grouped searches: matching documents (total counts stories)
        int | None,
        Doc(
            "Only in grouped searches: `total` then counts stories.",
            json="group",
            optional=True,
            schema=(
                ("type", "object"),
                ("required", ["by", "documents"]),
                (
                    "properties",
                    {
                        "by": {"type": "string", "enum": ["story"]},
                        "documents": {"type": "integer", "minimum": 0},
                    },
                ),
            ),
        ),
    ] = None
    matching: Annotated[
        Matching | None,
        Doc("Only when plain words matched otherwise than all as typed", optional=True),
    ] = None
    mode: Annotated[
        str,
        Doc(
            "Only when meaning counted: hybrid or semantic (absent: keyword)",
            optional=True,
            schema=(("enum", ["hybrid", "semantic"]),),
        ),
    ] = "keyword"

    def as_json(self, facet_objects: bool = False) -> dict[str, object]:
        """Return the JSON body of /api/search (generation and partial travel as response
        headers, so the body is exactly DESIGN.md 5). Written out rather than asdict():
        this runs for every answer, and asdict's deep copy costs several times more.
        A grouped search adds `group`: {"by": "story", "documents": matching documents}.

        `facet_objects`: the facet lists hold the FacetValue objects themselves, which
        orjson writes as the very objects written out here (its fields, in order), for
        an encoder that takes dataclasses (search.web.answers): a dict less per value,
        some 200 an answer."""
        facets = (
            dict(self.facets)  # the lists shared: for encoding, not for changing
            if facet_objects
            else {
                name: [{"value": v.value, "count": v.count, "selected": v.selected} for v in values]
                for name, values in self.facets.items()
            }
        )
        body: dict[str, object] = {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "pages": self.pages,
            "sort": self.sort,
            "took_ms": self.took_ms,
            "hits": [hit.as_json() for hit in self.hits],
            "facets": facets,
            "filters": self.filters.as_json(),
            "suggestion": self.suggestion,
            "timeline": self.timeline.as_json(),
        }
        if self.documents is not None:
            body["group"] = {"by": "story", "documents": self.documents}
        if self.matching is not None and self.matching.worth_saying:
            body["matching"] = self.matching.as_json()
        if self.mode != "keyword":
            body["mode"] = self.mode
        return body
