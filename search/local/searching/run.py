"""One search against one snapshot: match, filter, rank, facet, highlight, correct.

The text query gives a match mask and BM25 scores (search.local.searching.matching); filters are
cached masks from the columns; facets count each facet's own disjunctive mask; only
the page's documents are ever read from Whoosh's stored fields.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from search.facets import FACET_NAMES
from search.local.searching import facet_counts as facets
from search.local.searching.grouping import page_leaders, story_group
from search.local.searching.hits import make_hit, page_hit
from search.local.searching.matching import Evaluation, Match
from search.local.searching.more_like_this import like_query
from search.local.searching.ranking import ranked
from search.local.searching.semantic import (
    FUSION_DEPTH,
    fuse,
    neighbours,
    query_shape,
    word_feedback,
)
from search.local.searching.snapshot import Snapshot
from search.local.searching.strategy import text_match
from search.local.searching.timeline import month_timeline
from search.local.store.columns import Columns
from search.local.store.document_sets import DocumentSet
from search.request import SearchRequest
from search.results import FacetValue, Filters, SearchResult, no_facets, no_timeline

TIME_LIMIT = 3.0  # seconds one search may take before it is stopped (SearchTimeout)
SUGGEST_BELOW = 3  # offer "did you mean" when a query finds fewer results than this
FEW_MATCHES = 4  # under 1 / FEW_MATCHES of the documents, filters narrow match numbers
Mask = npt.NDArray[np.bool_]


def _match(snapshot: Snapshot, text: str, info: Evaluation) -> Match | None:
    """Return the text match, or None for an empty query (every live document, no score)."""
    if not text.strip():
        return None
    return snapshot.evaluator.evaluate(snapshot.parse(text), info)


def _filters(snapshot: Snapshot, request: SearchRequest) -> dict[str, Mask | None]:
    """Return each filter's mask (None where the request does not filter): one per
    keyword facet, and "date" for from/to."""
    columns = snapshot.columns
    masks: dict[str, Mask | None] = {
        name: columns.keyword_mask(name, values) if (values := request.selected(name)) else None
        for name in columns.keywords
    }
    masks["date"] = (
        columns.date_mask(request.date_from, request.date_to)
        if request.date_from or request.date_to
        else None
    )
    return masks


def _combine(base: Mask, *masks: Mask | None) -> Mask:
    result = base
    for mask in masks:
        if mask is not None:
            result = result & mask
    return result


def run_search(snapshot: Snapshot, request: SearchRequest, started: float) -> SearchResult:
    """Return the SearchResult of `request` against `snapshot`."""
    columns = snapshot.columns
    info = Evaluation(deadline=time.monotonic() + TIME_LIMIT, limit=TIME_LIMIT)
    text, left_out = _query_text(snapshot, request)
    f = _filters(snapshot, request)
    found = text_match(snapshot, text, request.match, info)
    match = found.match
    base = columns.alive if match is None else match.mask
    if request.like is not None:  # only documents sharing words, never the document itself
        base = np.zeros_like(columns.alive) if match is None else match.mask.copy()
        if left_out is not None:
            base[left_out] = False
    mode = _mode(snapshot, request, match)
    near: tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]] | None = None
    shape = query_shape(match, found.matching, len(found.words)) if mode == "hybrid" else None
    if mode != "keyword":
        within = columns.alive.copy()
        if left_out is not None:
            within[left_out] = False
        near = neighbours(snapshot, text, left_out, within, shape)
        near_mask = np.zeros_like(columns.alive)
        near_mask[near[0]] = True
        base = near_mask if mode == "semantic" else base | near_mask
    whole = DocumentSet(base)
    if match is not None and base is match.mask and match.docs is not None:
        whole = DocumentSet(base, match.docs)  # matched word by word: numbers at hand
    elif int(np.count_nonzero(base)) * FEW_MATCHES < columns.size:
        whole = DocumentSet(base, np.flatnonzero(base))  # few: filters narrow the numbers
    # every filter: its numbers serve both the ranking and the facets
    chosen = whole.narrowed([mask for mask in f.values() if mask is not None], columns.listed)
    total = len(chosen.numbers)
    related = None  # hybrid: the best every-word match's own words rank the candidates
    if shape is not None and left_out is None and request.effective_sort == "relevance":
        related = word_feedback(snapshot, shape, within, chosen.mask)
    sort = request.effective_sort
    start = (request.page - 1) * request.per_page
    terms = frozenset().union(*(info.terms.get(n, ()) for n in ("title", "excerpt", "body")))
    documents = None

    def rank(wanted: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        if near is None or sort != "relevance":
            return ranked(snapshot, chosen, match, sort, wanted, found.words, request.recency)
        if shape is None:  # semantic mode (a hybrid search always has a shape)
            keep = chosen.mask[near[0]]
            return near[0][keep][:wanted], near[1][keep][:wanted]
        final = chosen.mask
        matched = final if match is None else final & match.mask  # the keyword side only
        depth = max(wanted, FUSION_DEPTH)
        keyword, _ = ranked(snapshot, matched, match, sort, depth, found.words, request.recency)
        numbers, scores = fuse(keyword, near[0], final, shape, related)
        if len(numbers) < wanted:  # keyword matches beyond the fusion depth follow
            tail = keyword[~np.isin(keyword, numbers)]
            numbers = np.concatenate([numbers, tail])
            scores = np.concatenate([scores, np.zeros(len(tail), np.float32)])
        return numbers[:wanted], scores[:wanted]

    if request.group:
        leaders = page_leaders(
            snapshot,
            chosen.mask,
            start,
            start + request.per_page,
            lambda wanted: rank(wanted),
        )
        hits = [
            replace(
                make_hit(snapshot.stored(int(n)), float(score), terms),
                story=story_group(snapshot, int(n), chosen.mask, match, sort, terms),
            )
            for n, score in zip(leaders.numbers, leaders.scores, strict=True)
        ]
        documents, total = total, leaders.stories
    else:
        numbers, scores = rank(start + request.per_page)
        hits = [
            page_hit(snapshot, n, score, terms)
            for n, score in zip(numbers[start:].tolist(), scores[start:].tolist(), strict=True)
        ]
    facet_lists, dates = no_facets(), no_timeline()
    if request.facets:
        without = _disjunctive(whole, f, chosen, columns.listed)
        # disjunctive, as the year and month facets: without the dates
        undated_filters = without("date")
        per_slot = facets.month_counts(columns, undated_filters)
        facet_lists = _facets(columns, request, without, per_slot)
        dates = month_timeline(
            columns, undated_filters, per_slot, request.date_from, request.date_to
        )
    suggestion = None
    matched = total if documents is None else documents  # did-you-mean counts documents
    if match is not None and match.tiers is not None:  # relaxed: those holding every word
        matched = int(np.count_nonzero(match.tiers[chosen.numbers] > 0))
    if match is not None and request.like is None and matched < SUGGEST_BELOW:
        suggestion = _did_you_mean(snapshot, request, matched, f)
    return SearchResult(
        query=text,
        total=total,
        page=request.page,
        per_page=request.per_page,
        pages=max(1, math.ceil(total / request.per_page)) if total else 0,
        sort=sort,
        took_ms=round((time.perf_counter() - started) * 1000, 3),
        hits=hits,
        facets=facet_lists,
        filters=Filters.of(request),
        suggestion=suggestion,
        timeline=dates,
        generation=snapshot.name,
        partial=bool(info.capped),
        documents=documents,
        matching=found.matching,
        mode=mode,
    )


def _mode(snapshot: Snapshot, request: SearchRequest, match: Match | None) -> str:
    """Return the mode that runs: the requested one (hybrid by default) when the
    generation has vectors and there is something to search for, else keyword."""
    wanted = request.mode or "hybrid"
    if wanted == "keyword" or match is None or snapshot.vectors is None:
        return "keyword"
    return wanted


def _query_text(snapshot: Snapshot, request: SearchRequest) -> tuple[str, int | None]:
    """Return the query text to run, and for "more like this" the document to leave out
    (None, with an empty text, when the id names no document)."""
    if request.like is None:
        return request.q, None
    number = snapshot.number_of(request.like)
    if number is None:
        return "", None
    return like_query(snapshot, number), number


def _disjunctive(
    base: DocumentSet,
    f: dict[str, Mask | None],
    final: DocumentSet,
    listed: Callable[[Mask], npt.NDArray[np.int64]],
) -> Callable[[str], DocumentSet]:
    """Return `without(name)`: the documents of `base` passing every filter but `name`'s
    (a facet counts under the others). Facets counting the same documents (all of them,
    without filters) share one DocumentSet; `final` (every filter) is the ranking's;
    `listed`: a filter's documents (Columns.listed)."""
    active = tuple(name for name, mask in f.items() if mask is not None)
    sets = {active: final}

    def without(name: str) -> DocumentSet:
        others = tuple(other for other in active if other != name)
        found = sets.get(others)
        if found is None:
            found = sets[others] = base.narrowed(
                [mask for o in others if (mask := f[o]) is not None], listed
            )
        return found

    return without


def _facets(
    columns: Columns,
    request: SearchRequest,
    without: Callable[[str], DocumentSet],
    per_slot: npt.NDArray[np.int64],
) -> dict[str, list[FacetValue]]:
    """Return every facet, each counted without its own filter (disjunctive);
    `per_slot`: the month counts of without("date")."""
    found: dict[str, list[FacetValue]] = {}
    for name, column in columns.keywords.items():
        counts = column.counts(without(name))
        found[name] = facets.keyword_facet(column, counts, request.selected(name))
    found["year"], found["month"] = facets.counted_date_facets(
        columns, without("date"), request.date_from, request.date_to, per_slot
    )
    return {name: found[name] for name in FACET_NAMES}


def _did_you_mean(
    snapshot: Snapshot, request: SearchRequest, total: int, f: dict[str, Mask | None]
) -> str | None:
    """Return the query with misspelt words corrected, if that finds more results.

    Words the index holds (in any field) and words glued to digits or hyphens (GPT-3)
    are never corrected: Vocabulary.correct_text."""
    text = request.q
    corrected = snapshot.corrected(text)
    if corrected == text:
        return None
    match = _match(snapshot, corrected, Evaluation())
    if match is None:
        return None
    found = int(np.count_nonzero(_combine(match.mask, *f.values())))
    return corrected if found > total else None
