"""One search against one snapshot: match, filter, rank, facet, highlight, correct.

The text query gives a match mask and BM25 scores (search.local.searching.matching); filters are
cached masks from the columns; facets count each facet's own disjunctive mask; only
the page's documents are ever read from Whoosh's stored fields.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from search.facets import FACET_NAMES, KEYWORD_FACETS
from search.local.searching import facet_counts as facets
from search.local.searching.grouping import page_leaders, story_group
from search.local.searching.hits import make_hit
from search.local.searching.matching import Evaluation, Match
from search.local.searching.more_like_this import like_query
from search.local.searching.query_parser import plain_words
from search.local.searching.ranking import RERANK_WINDOW, freshness, query_stems, rerank
from search.local.searching.semantic import FUSION_DEPTH, fuse, neighbours
from search.local.searching.snapshot import Snapshot
from search.local.searching.strategy import text_match
from search.local.store.columns import NO_DATE, Columns
from search.results import (
    FacetValue,
    Filters,
    Hit,
    SearchRequest,
    SearchResult,
    Suggestion,
    no_facets,
)

TIME_LIMIT = 3.0  # seconds one search may take before it is stopped (SearchTimeout)
SUGGEST_BELOW = 3  # offer "did you mean" when a query finds fewer results than this
Mask = npt.NDArray[np.bool_]
SUGGESTED = tuple(f.name for f in KEYWORD_FACETS if f.suggest)  # facets offered as completions


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
    if mode != "keyword":
        within = columns.alive.copy()
        if left_out is not None:
            within[left_out] = False
        near = neighbours(snapshot, text, left_out, within)
        near_mask = np.zeros_like(columns.alive)
        near_mask[near[0]] = True
        base = near_mask if mode == "semantic" else base | near_mask
    final = _combine(base, *f.values())
    total = int(np.count_nonzero(final))
    sort = request.effective_sort
    start = (request.page - 1) * request.per_page
    terms = set().union(*(info.terms.get(name, set()) for name in ("title", "excerpt", "body")))
    documents = None

    def rank(wanted: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        if near is None or sort != "relevance":
            return _ranked(snapshot, final, match, sort, wanted, found.words)
        if mode == "semantic":
            keep = final[near[0]]
            return near[0][keep][:wanted], near[1][keep][:wanted]
        matched = final if match is None else final & match.mask  # the keyword side only
        keyword, _ = _ranked(snapshot, matched, match, sort, max(wanted, FUSION_DEPTH), found.words)
        numbers, scores = fuse(keyword, near[0], final)
        if len(numbers) < wanted:  # keyword matches beyond the fusion depth follow
            tail = keyword[~np.isin(keyword, numbers)]
            numbers = np.concatenate([numbers, tail])
            scores = np.concatenate([scores, np.zeros(len(tail), np.float32)])
        return numbers[:wanted], scores[:wanted]

    if request.group:
        leaders = page_leaders(
            snapshot,
            final,
            start,
            start + request.per_page,
            lambda wanted: rank(wanted),
        )
        hits = [
            replace(
                make_hit(snapshot.stored(int(n)), float(score), terms),
                story=story_group(snapshot, int(n), final, match, sort, terms),
            )
            for n, score in zip(leaders.numbers, leaders.scores, strict=True)
        ]
        documents, total = total, leaders.stories
    else:
        numbers, scores = rank(start + request.per_page)
        hits = [
            make_hit(snapshot.stored(int(n)), float(score), terms)
            for n, score in zip(numbers[start:], scores[start:], strict=True)
        ]
    facet_lists = _facets(columns, request, base, f) if request.facets else no_facets()
    suggestion = None
    matched = total if documents is None else documents  # did-you-mean counts documents
    if match is not None and match.tiers is not None:  # relaxed: those holding every word
        matched = int(np.count_nonzero(final & (match.tiers > 0)))
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


def _facets(
    columns: Columns, request: SearchRequest, base: Mask, f: dict[str, Mask | None]
) -> dict[str, list[FacetValue]]:
    """Return every facet, each counted without its own filter (disjunctive)."""

    def without(name: str) -> Mask:
        return _combine(base, *(mask for other, mask in f.items() if other != name))

    found: dict[str, list[FacetValue]] = {}
    for name, column in columns.keywords.items():
        counts = column.counts(without(name))
        found[name] = facets.keyword_facet(column, counts, request.selected(name))
    months = facets.month_counts(columns, without("date"))
    found["year"], found["month"] = facets.date_facets(months, request.date_from, request.date_to)
    return {name: found[name] for name in FACET_NAMES}


def _ranked(
    snapshot: Snapshot,
    final: Mask,
    match: Match | None,
    sort: str,
    wanted: int,
    words: list[str] | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Return the first `wanted` document numbers of `final` in the sort order, and scores.

    The order is total (score with proximity bonus, then newest, then document number),
    so consecutive pages never repeat or skip a document."""
    columns = snapshot.columns
    if sort != "relevance" or match is None:
        order = columns.newest_first if sort != "oldest" else columns.oldest_first
        ranked: npt.NDArray[np.int64] = order[final[order]][:wanted]
        scores = match.scores[ranked] if match is not None else np.zeros(len(ranked), np.float32)
        return ranked, scores
    stems = query_stems(" ".join(words or ()))
    numbers, scores = _by_score(columns, final, match, max(wanted, RERANK_WINDOW if stems else 0))
    if stems:
        window = min(RERANK_WINDOW, len(numbers))
        fresh = freshness(columns.published, numbers[:window], NO_DATE)
        tiers = match.tiers[numbers[:window]] if match.tiers is not None else None
        head, head_scores = rerank(
            numbers[:window],
            scores[:window],
            stems,
            snapshot.evaluator.phrase_documents,
            fresh,
            tiers,
        )
        numbers = np.concatenate([head, numbers[window:]])
        scores = np.concatenate([head_scores, scores[window:]])
    return numbers[:wanted], scores[:wanted]


def _by_score(
    columns: Any, final: Mask, match: Match, wanted: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Return the best `wanted` of `final` by tier then score, newest first among equals."""
    candidates = np.flatnonzero(final)
    scores = match.scores[candidates]
    # Tiers (documents holding every word of a relaxed search) rank first: fold them
    # into the key the selection uses, above any score.
    tiers = match.tiers[candidates] if match.tiers is not None else None
    key = scores if tiers is None else tiers * (float(scores.max(initial=0)) + 1.0) + scores
    if len(candidates) > wanted:
        # Keep everything tied with the wanted-th key, so ties are broken below, not here.
        threshold = np.partition(key, len(key) - wanted)[len(key) - wanted]
        keep = key >= threshold
        candidates, scores, key = candidates[keep], scores[keep], key[keep]
    published = columns.published[candidates]
    order = np.lexsort((candidates, -published, -key))[:wanted]
    return candidates[order], scores[order]


def _did_you_mean(
    snapshot: Snapshot, request: SearchRequest, total: int, f: dict[str, Mask | None]
) -> str | None:
    """Return the query with misspelt words corrected, if that finds more results.

    Words the index holds (in any field) and words glued to digits or hyphens (GPT-3)
    are never corrected: Vocabulary.correct_text."""
    text = request.q
    corrected = snapshot.vocabulary.correct_text(text, plain_words(text), snapshot.holds)
    if corrected == text:
        return None
    match = _match(snapshot, corrected, Evaluation())
    if match is None:
        return None
    found = int(np.count_nonzero(_combine(match.mask, *f.values())))
    return corrected if found > total else None


def suggest_for(snapshot: Snapshot, prefix: str, limit: int) -> list[Suggestion]:
    """Return completions for what a reader has typed so far, most useful first.

    Topics and providers whose names start with the text come first (they become
    filters), then the commonest words completing the last word, then titles."""
    typed = " ".join(prefix.split())
    if not typed:
        return []
    folded = typed.casefold()
    found: list[Suggestion] = []
    columns = snapshot.columns
    for kind in SUGGESTED:
        names, counts = columns.keywords[kind].names, snapshot.name_counts[kind]
        matches = [
            (int(counts[i]), name)
            for i, name in enumerate(names)
            if _starts_a_word(name.casefold(), folded)
        ]
        matches.sort(key=lambda item: (-item[0], item[1]))
        found += [Suggestion(name, kind) for _, name in matches[:3]]
    head, _, last = typed.rpartition(" ")
    for word, _count in snapshot.vocabulary.complete(last, limit):
        text = f"{head} {word}".strip()
        if text.casefold() != folded or word.casefold() == last.casefold():
            found.append(Suggestion(text, "query"))
    found += _title_suggestions(snapshot, typed, limit)
    unique: dict[tuple[str, str], Suggestion] = {}
    for suggestion in found:
        unique.setdefault((suggestion.kind, suggestion.text.casefold()), suggestion)
    return list(unique.values())[:limit]


def _starts_a_word(name: str, typed: str) -> bool:
    return name.startswith(typed) or f" {typed}" in f" {name}"


def _title_suggestions(snapshot: Snapshot, typed: str, limit: int) -> list[Suggestion]:
    words = [w for w in typed.split() if w.isalnum()]
    if not words:
        return []
    query = " ".join(f"title:{w}" for w in words[:-1]) + f" title:{words[-1]}*"
    info = Evaluation()
    try:
        match = snapshot.evaluator.evaluate(snapshot.parse(query), info)
    except Exception:  # a completion is a nicety: never fail the keystroke
        return []
    numbers, _ = _ranked(snapshot, match.mask, match, "relevance", 3)
    titles: list[Hit] = [make_hit(snapshot.stored(int(n)), 0.0, ()) for n in numbers]
    return [Suggestion(hit.title, "title") for hit in titles][:limit]
