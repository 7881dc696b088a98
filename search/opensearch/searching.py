"""One SearchRequest as OpenSearch request bodies, and their responses as a SearchResult.

The text query (search.opensearch.text_query) scores; the filters go in `post_filter`, so
each facet is one aggregation filtered by every filter but its own (disjunctive, like
the local columns); months are a `date_histogram` and years are summed from them, as
locally. A grouped search collapses on the story id and counts stories with a
`cardinality` aggregation (exact below its 40,000 precision threshold).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from search.facets import FACET_NAMES, KEYWORD_FACETS, LIST_LIMIT
from search.local.searching.facet_counts import date_facets
from search.local.searching.grouping import MORE_SHOWN
from search.opensearch.mapping import key_field
from search.opensearch.timeline import Daily, month_codes, timeline_of
from search.request import SearchRequest
from search.results import (
    FacetValue,
    Filters,
    Highlights,
    Hit,
    Matching,
    Provider,
    SearchResult,
    StoryGroup,
    no_facets,
    no_timeline,
)

Query = dict[str, Any]
ID = re.compile(r"[0-9a-f]{16}")  # search.identity.doc_id's form
TIER_BOOST = 1000.0  # added to documents holding every word when matching relaxed
TERMS_SIZE = 10_000  # keyword values counted per facet: all of them, so counts are exact
_HIGHLIGHT = {
    "pre_tags": ["<mark>"],
    "post_tags": ["</mark>"],
    "encoder": "html",  # the text around the marks is escaped by OpenSearch
    "require_field_match": False,
    "fields": {"title": {"number_of_fragments": 0}, "excerpt": {"number_of_fragments": 0}},
}
HIT_FIELDS = [
    "id",
    "kind",
    "url",
    "title",
    "excerpt",
    "published",
    "provider_name",
    "provider_domain",
    "topics",
    "image",
    "story",
    "story_size",
]


def filter_clauses(request: SearchRequest) -> dict[str, Query | None]:
    """Return each filter's clause (None where the request does not filter): one per
    keyword facet, and "date" for from/to (an inclusive range of whole UTC days)."""
    clauses: dict[str, Query | None] = {}
    for facet in KEYWORD_FACETS:
        values = request.selected(facet.name)
        clauses[facet.name] = (
            {"terms": {key_field(facet.field): sorted({v.casefold() for v in values})}}
            if values
            else None
        )
    bounds: dict[str, str] = {}
    if request.date_from:
        bounds["gte"] = _instant(request.date_from)
    if request.date_to:  # the first instant after: the next day, or the next minute
        bounds["lt"] = _instant(request.date_to, after=True)
    clauses["date"] = {"range": {"published": bounds}} if bounds else None
    return clauses


def _instant(bound: date, after: bool = False) -> str:
    """Return a date filter's bound as an ISO instant: midnight UTC starting a day, or a
    relative date's minute (a naive UTC datetime), or the first instant after either."""
    if isinstance(bound, datetime):
        moment = bound + timedelta(minutes=1) if after else bound
    else:
        day = bound + timedelta(days=1) if after else bound
        moment = datetime(day.year, day.month, day.day)
    return moment.strftime("%Y-%m-%dT%H:%M:00Z")


def _all(clauses: Sequence[Query | None]) -> Query:
    chosen = [c for c in clauses if c is not None]
    return {"bool": {"filter": chosen}} if chosen else {"match_all": {}}


def sort_of(sort: str) -> list[Any]:
    """Return the OpenSearch sort for one of our sorts (ties: by id, as locally)."""
    if sort == "relevance":
        return ["_score", {"published": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]
    order = "desc" if sort == "newest" else "asc"
    return [{"published": {"order": order, "missing": "_last"}}, {"id": "asc"}]


def facet_aggregations(request: SearchRequest, clauses: dict[str, Query | None]) -> Query:
    """Return one filtered aggregation per facet, each under every filter but its own."""

    def others(name: str) -> Query:
        return _all([c for other, c in clauses.items() if other != name])

    aggs: Query = {}
    for facet in KEYWORD_FACETS:
        terms = {"field": key_field(facet.field), "size": TERMS_SIZE}
        aggs[facet.name] = {"filter": others(facet.name), "aggs": {"values": {"terms": terms}}}
    histogram = {
        "field": "published",
        "calendar_interval": "month",
        "format": "yyyy-MM",
        "min_doc_count": 1,
    }
    aggs["months"] = {
        "filter": others("date"),
        "aggs": {
            "values": {"date_histogram": histogram},
            "span": {"stats": {"field": "published"}},
        },
    }
    return aggs


def search_body(
    request: SearchRequest, query: Query, clauses: dict[str, Query | None], start: int
) -> Query:
    """Return the body of the search (hits, total, and facets unless turned off)."""
    sort = request.effective_sort
    body: Query = {
        "query": query,
        "post_filter": _all(list(clauses.values())),
        "from": start,
        "size": request.per_page,
        "track_total_hits": True,
        "sort": sort_of(sort),
        "track_scores": True,
        "_source": HIT_FIELDS,
        "highlight": _HIGHLIGHT,
    }
    if request.facets:
        body["aggs"] = facet_aggregations(request, clauses)
    return body


def grouped_body(
    request: SearchRequest, query: Query, clauses: dict[str, Query | None], start: int
) -> Query:
    """Return the body of a grouped search: one hit per story, the story's other matching
    documents as inner hits, and the number of stories. The filters go in the query
    here, since inner hits do not see a post_filter."""
    sort = sort_of(request.effective_sort)
    chosen = [c for c in clauses.values() if c is not None]
    return {
        "query": {"bool": {"must": [query], "filter": chosen}} if chosen else query,
        "from": start,
        "size": request.per_page,
        "track_total_hits": True,
        "sort": sort,
        "track_scores": True,
        "_source": HIT_FIELDS,
        "highlight": _HIGHLIGHT,
        "collapse": {
            "field": "story",
            "inner_hits": {
                "name": "more",
                "size": MORE_SHOWN + 1,
                "sort": sort,
                "_source": HIT_FIELDS,
                "highlight": _HIGHLIGHT,
                "track_scores": True,
            },
        },
        "aggs": {"stories": {"cardinality": {"field": "story", "precision_threshold": 40000}}},
    }


UNDATED_WEIGHT = 0.0  # recency: an undated document ranks after every dated one


def with_recency(query: Query, half_life_minutes: int, origin: str | None) -> Query:
    """Return `query` with its scores times 0.5 ** (age / half-life): Elasticsearch's
    `exp` decay, as the local backend's recency= (search.local.searching.recency). Ages
    count from the index's newest date (`origin`; "now" for an index built without it)."""
    decay = {
        "origin": origin or "now",
        "scale": f"{half_life_minutes}m",
        "decay": 0.5,
    }
    dated = {"exists": {"field": "published"}}
    return {
        "function_score": {
            "query": query,
            "functions": [
                {"filter": dated, "exp": {"published": decay}},
                {"filter": {"bool": {"must_not": [dated]}}, "weight": UNDATED_WEIGHT},
            ],
            "score_mode": "multiply",
            "boost_mode": "multiply",
        }
    }


def make_hit(raw: Mapping[str, Any], relaxed: bool) -> Hit:
    """Return the Hit of one OpenSearch hit (its highlights, else the escaped text)."""
    source = raw["_source"]
    title, excerpt = source.get("title") or "", source.get("excerpt") or ""
    marked = raw.get("highlight") or {}
    score = float(raw.get("_score") or 0.0)
    if relaxed and score >= TIER_BOOST:
        score -= TIER_BOOST
    return Hit(
        id=source["id"],
        kind=source.get("kind") or "article",
        url=source.get("url"),
        title=title,
        excerpt=excerpt,
        published=source.get("published"),
        provider=Provider(source.get("provider_name"), source.get("provider_domain")),
        topics=list(source.get("topics") or ()),
        image=source.get("image"),
        score=round(score, 4),
        highlights=Highlights(
            "".join(marked.get("title") or []) or html.escape(title),
            "".join(marked.get("excerpt") or []) or html.escape(excerpt),
        ),
    )


def grouped_hit(raw: Mapping[str, Any], relaxed: bool) -> Hit:
    """Return a grouped search's hit with its story and the story's other matches."""
    hit = make_hit(raw, relaxed)
    inner = raw.get("inner_hits", {}).get("more", {}).get("hits", {})
    others = [h for h in inner.get("hits", []) if h["_source"]["id"] != hit.id]
    matching = int(inner.get("total", {}).get("value", 1))
    source = raw["_source"]
    story = StoryGroup(
        id=source.get("story") or hit.id,
        size=int(source.get("story_size") or 1),
        more_count=max(0, matching - 1),
        more=[make_hit(h, relaxed) for h in others[:MORE_SHOWN]],
    )
    return replace(hit, story=story)


def facets_of(
    aggregations: Mapping[str, Any],
    request: SearchRequest,
    display: Mapping[str, Mapping[str, str]],
) -> dict[str, list[FacetValue]]:
    """Return every facet's values from the aggregations, ordered as the local backend
    orders them: keyword values by count then name (selected ones always listed), dates
    chronologically."""
    found: dict[str, list[FacetValue]] = {}
    for facet in KEYWORD_FACETS:
        names = display.get(facet.name, {})
        buckets = aggregations[facet.name]["values"]["buckets"]
        counts = {names.get(b["key"], b["key"]): int(b["doc_count"]) for b in buckets}
        found[facet.name] = keyword_values(counts, request.selected(facet.name), names)
    months = month_codes(aggregations["months"]["values"])
    found["year"], found["month"] = date_facets(months, request.date_from, request.date_to)
    return {name: found[name] for name in FACET_NAMES}


def keyword_values(
    counts: Mapping[str, int], selected: Sequence[str], names: Mapping[str, str]
) -> list[FacetValue]:
    """Return a keyword facet's values: by count, then name (casefolded, then as is),
    the first LIST_LIMIT and every selected one (under its display name, count 0 when
    nothing matches it)."""
    chosen = {s.casefold() for s in selected}
    order = sorted(counts, key=lambda name: (-counts[name], name.casefold(), name))
    listed = order[:LIST_LIMIT] + [n for n in order[LIST_LIMIT:] if n.casefold() in chosen]
    shown = [FacetValue(n, counts[n], n.casefold() in chosen) for n in listed]
    seen = {v.value.casefold() for v in shown}
    for value in selected:
        name = names.get(value.casefold(), value)
        if name.casefold() not in seen:
            seen.add(name.casefold())
            shown.append(FacetValue(name, 0, True))
    return shown


def result_of(
    request: SearchRequest,
    response: Mapping[str, Any],
    facet_response: Mapping[str, Any] | None,
    *,
    query_text: str,
    index: str,
    display: Mapping[str, Mapping[str, str]],
    matching: Matching | None,
    took_ms: float,
    suggestion: str | None = None,
    daily: Daily | None = None,
) -> SearchResult:
    """Return the SearchResult of a search's response (and, for a grouped search, the
    response that counted its facets)."""
    relaxed = matching is not None and matching.required < matching.words
    total = int(response["hits"]["total"]["value"])
    documents = None
    if request.group:
        documents = total
        total = int(response["aggregations"]["stories"]["value"])
        hits = [grouped_hit(h, relaxed) for h in response["hits"]["hits"]]
    else:
        hits = [make_hit(h, relaxed) for h in response["hits"]["hits"]]
    aggregations = (facet_response or response).get("aggregations")
    facets = facets_of(aggregations, request, display) if request.facets and aggregations else None
    dates = no_timeline()
    if request.facets and aggregations and daily is not None:
        dates = timeline_of(aggregations["months"], request, daily)
    return SearchResult(
        query=query_text,
        total=total,
        page=request.page,
        per_page=request.per_page,
        pages=max(1, math.ceil(total / request.per_page)) if total else 0,
        sort=request.effective_sort,
        took_ms=took_ms,
        hits=hits,
        facets=facets or no_facets(),
        filters=Filters.of(request),
        suggestion=suggestion,
        timeline=dates,
        generation=index,
        documents=documents,
        matching=matching,
    )
