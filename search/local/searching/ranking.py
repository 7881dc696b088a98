"""Proximity re-ranking: documents where the query's words stand together rank higher.

BM25 scores words independently, so "facial ... recognition" scattered over a title
and an excerpt can outscore the title "Facial recognition expands". For queries of
two or more plain words, the best RERANK_WINDOW documents by BM25 get a bonus when
consecutive query words are adjacent in their title or excerpt. The window is fixed,
so the final order stays one total order and paging stays consistent.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from whoosh.analysis import STOP_WORDS

from search.local.searching.matching import Match
from search.local.searching.query_parser import plain_words
from search.local.searching.recency import decay
from search.local.store.column_files import NO_DATE
from search.local.store.document_sets import DocumentSet
from search.local.store.schema import stem_word

if TYPE_CHECKING:
    from search.local.searching.snapshot import Snapshot

Mask = npt.NDArray[np.bool_]
RERANK_WINDOW = 100  # documents re-ranked: a first page or ten, never the long tail
TITLE_BONUS = 0.6  # of the window's best score, when the words stand together in the title
EXCERPT_BONUS = 0.4  # ... in the excerpt
# Recency: a bonus of RECENCY_BONUS (of the window's best score) for a document as new as
# the generation's newest, halving every RECENCY_HALF_LIFE days. Off: on the judged set
# every weight tried cost held-out nDCG (docs/RELEVANCE.md), so it stays a knob.
RECENCY_BONUS = 0.0
RECENCY_HALF_LIFE = 365.0


def query_stems(text: str) -> list[str]:
    """Return the stems of the plain words of a query, in order (stop words left out)."""
    if any(mark in text for mark in ('"', ":", "*", "~", "(")):
        return []  # explicit syntax: the reader said what they meant
    words = [w.lower() for _, _, w in plain_words(text)]
    return [stem_word(w) for w in words if w not in STOP_WORDS]


def freshness(
    published: npt.NDArray[np.int64], window: npt.NDArray[np.int64], missing: int
) -> npt.NDArray[np.float32] | None:
    """Return the freshness of the `window` documents (None while RECENCY_BONUS is off):
    1 for one as new as the newest dated document (`published`: minute stamps, `missing`
    for none), halving every RECENCY_HALF_LIFE days before it; 0 when undated."""
    if RECENCY_BONUS <= 0:
        return None
    stamps = published[window]
    dated = published[published != missing]
    newest = int(dated.max()) if len(dated) else 0
    age_days = np.maximum(newest - stamps, 0) / (24 * 60)
    fresh = np.power(0.5, age_days / RECENCY_HALF_LIFE).astype(np.float32)
    fresh[stamps == missing] = 0.0
    return fresh


def rerank(
    numbers: npt.NDArray[np.int64],
    scores: npt.NDArray[np.float32],
    stems: list[str],
    adjacent: Callable[[str, list[str], npt.NDArray[np.int64]], npt.NDArray[np.int64]],
    fresh: npt.NDArray[np.float32] | None = None,
    tiers: npt.NDArray[np.int8] | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Return the window (numbers, scores) re-ordered with proximity bonuses added, and
    the recency bonus when RECENCY_BONUS is on (`fresh`: freshness() of the window).

    `adjacent(field, [a, b], docs)` gives the documents of `docs` (sorted) where word a
    is followed by word b. `tiers` (relaxed matching): higher tiers stay first."""
    if (len(stems) < 2 and fresh is None) or len(numbers) < 2:
        return numbers, scores
    share = np.zeros(len(numbers), np.float32)
    if fresh is not None:
        share += RECENCY_BONUS * fresh
    pairs = list(itertools.pairwise(stems))
    window = np.sort(numbers)
    for field, bonus in (("title", TITLE_BONUS), ("excerpt", EXCERPT_BONUS)):
        for first, second in pairs:
            together = adjacent(field, [first, second], window)
            if len(together):  # none adjacent (most pairs): 0.0 for every document
                share += bonus * holding(numbers, together) / len(pairs)
    boosted = (scores + float(scores.max()) * share).astype(np.float32)
    order = np.argsort(-boosted, kind="stable")  # stable: ties keep the BM25 order
    if tiers is not None:
        order = order[np.argsort(-tiers[order], kind="stable")]
    return numbers[order], boosted[order]


def ranked(
    snapshot: Snapshot,
    final: Mask | DocumentSet,
    match: Match | None,
    sort: str,
    wanted: int,
    words: list[str] | None = None,
    half_life: int | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Return the first `wanted` document numbers of `final` in the sort order, and scores.

    The order is total (score with proximity bonus, then newest, then document number),
    so consecutive pages never repeat or skip a document. `final` may be a DocumentSet
    whose numbers the facets share. `half_life` (minutes): relevance scores decay with
    age (search.local.searching.recency)."""
    columns = snapshot.columns
    chosen = final if isinstance(final, DocumentSet) else DocumentSet(final)
    if sort != "relevance" or match is None:
        order = columns.newest_first if sort != "oldest" else columns.oldest_first
        ranked: npt.NDArray[np.int64] = order[chosen.mask[order]][:wanted]
        scores = match.scores[ranked] if match is not None else np.zeros(len(ranked), np.float32)
        return ranked, scores
    stems = query_stems(" ".join(words or ()))
    depth = max(wanted, RERANK_WINDOW if stems else 0)
    numbers, scores = by_score(columns, chosen, match, depth, half_life)
    if stems:
        window = min(RERANK_WINDOW, len(numbers))
        fresh = freshness(columns.published, numbers[:window], NO_DATE)
        tiers = match.tiers[numbers[:window]] if match.tiers is not None else None
        head, head_scores = rerank(
            numbers[:window],
            scores[:window],
            stems,
            snapshot.evaluator.adjacency.documents,
            fresh,
            tiers,
        )
        numbers = np.concatenate([head, numbers[window:]])
        scores = np.concatenate([head_scores, scores[window:]])
    return numbers[:wanted], scores[:wanted]


def holding(numbers: npt.NDArray[np.int64], found: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Return np.isin(numbers, found) for `found` sorted and not empty: a binary search
    each, without np.isin's sorting of both (a window of 100 against a few)."""
    at = np.searchsorted(found, numbers)
    np.minimum(at, len(found) - 1, out=at)
    held: npt.NDArray[np.bool_] = found[at] == numbers
    return held


def by_score(
    columns: Any,
    final: Mask | DocumentSet,
    match: Match,
    wanted: int,
    half_life: int | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Return the best `wanted` of `final` by tier then score (decayed by age when
    `half_life` is given), newest first among equals."""
    candidates = (final if isinstance(final, DocumentSet) else DocumentSet(final)).numbers
    scores = match.scores[candidates]
    if half_life is not None:
        scores = scores * decay(columns.published, candidates, half_life)
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
