"""Semantic and hybrid search: documents near the query in meaning, fused with BM25.

    semantic  the SEMANTIC_K documents nearest the query (sentence embeddings of title
              and excerpt, search.local.store.vectors), best first
    hybrid    the keyword match plus those neighbours, ordered by weighted reciprocal
              rank fusion of the keyword ranking and the semantic one (as OpenSearch's
              hybrid query and Elasticsearch's RRF do), with three rules from the keyword
              side (docs/RELEVANCE.md, "Hybrid search"):
              - documents holding every word of the query rank first (TIER_WORDS): a
                provider's name or an exact title is a signal vectors do not see;
              - the query's vector leans toward the best such document's (FEEDBACK):
                its neighbours are the other coverage of the story it found;
              - when no document holds every word (other words, a paraphrase), the
                semantic ranking leads (WEIGHT_UNMATCHED);
              - the best such document's own rarest words rank the candidates once
                more, a third list in the fusion (WORD_FEEDBACK);
              - pasted text (LONG_WORDS words or more) leans on its own words
                (WEIGHT_LONG).

The knobs were chosen on the tuning half of the judged set only
(`python -m benchmarks.relevance_hybrid`). The query's vector comes from the same model
as the documents', computed in process (about 5 ms for a short query) and kept for
repeated queries.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from search.local.searching.word_feedback import ranked_by_terms, telling_terms

if TYPE_CHECKING:
    from search.local.embedder import Embedder
    from search.local.searching.matching import Match
    from search.local.searching.snapshot import Snapshot
    from search.results import Matching

SEMANTIC_K = 200  # neighbours a semantic or hybrid search adds (before filters)
MIN_SIMILARITY = 0.3  # cosine below which a neighbour is not related (MiniLM: unrelated ~0.1)
RRF_K = 60  # reciprocal rank fusion's constant (Cormack et al.; OpenSearch's default)
# The semantic ranking's weight in the fusion (the keyword ranking's is 1). Tuning half:
# 0.797 nDCG@10 with everything 1, 0.866 with the values below.
WEIGHT_MATCHED = 1.5  # some document holds every word (1 -> 1.5: +0.002)
WEIGHT_UNMATCHED = 30.0  # none does: in effect the semantic order, keyword breaking ties
# Pasted text (LONG_WORDS words or more) weighted apart: no value from 0 to 1.5 moved the
# tuning half by 0.001, so it stays level with WEIGHT_MATCHED (off).
WEIGHT_LONG = 1.0
LONG_WORDS = 8
FEEDBACK = 1.0  # the best every-word match's vector added to the query's (0 -> 1: +0.015)
TIER_WORDS = 1  # queries of this many words or more: every-word matches rank first
FUSION_DEPTH = 200  # keyword ranks taken into the fusion; deeper ones rank after
# Word feedback: the best every-word match's most telling title and excerpt words, looked
# for in the other titles (search.local.searching.word_feedback), rank the candidates
# once more, and that ranking joins the fusion with this weight, for queries of
# WORD_FEEDBACK_WORDS words or more. It finds the story's other coverage that shares
# the article's words but not the query's (docs/RELEVANCE.md, "Hybrid search").
WORD_FEEDBACK = 2.0  # 0 -> 2: +0.009 on the tuning half (title_words 0.836 -> 0.859)
WORD_FEEDBACK_WORDS = 3
QUERY_CACHE = 1024  # query vectors kept
F32 = npt.NDArray[np.float32]
Numbers = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

_model: Embedder | None = None
_model_lock = threading.Lock()
_queries: OrderedDict[str, F32] = OrderedDict()


def _embedder() -> Embedder:
    global _model
    with _model_lock:
        if _model is None:
            from search.local.embedder import Embedder

            _model = Embedder.load()
        return _model


def query_vector(text: str) -> F32:
    """Return the normalised embedding of a query text (kept for repeated queries)."""
    found = _queries.get(text)
    if found is None:
        found = _embedder().embed([text])[0]
        with _model_lock:
            _queries[text] = found
            if len(_queries) > QUERY_CACHE:
                _queries.popitem(last=False)
    return found


def forget(text: str) -> None:
    """Drop the kept vector of a query text (benchmarks time an uncached embedding)."""
    with _model_lock:
        _queries.pop(text, None)


def neighbours(
    snapshot: Snapshot,
    text: str,
    like: int | None,
    within: Mask,
    shape: Shape | None = None,
) -> tuple[Numbers, F32]:
    """Return the SEMANTIC_K documents of `within` nearest to the text (or to document
    `like`'s own vector), best first, with their cosine similarities. With FEEDBACK on,
    the text's vector leans toward the best keyword match holding every word."""
    vectors = snapshot.vectors
    assert vectors is not None
    if like is not None:
        query = vectors.rows[like].astype(np.float32)
    else:
        query = query_vector(text)
        top = feedback_document(shape, within) if FEEDBACK and shape is not None else None
        if top is not None:
            query = query + FEEDBACK * vectors.rows[top].astype(np.float32)
            query = query / float(np.linalg.norm(query))
    numbers, similar = vectors.nearest(query, within, SEMANTIC_K)
    related = similar >= MIN_SIMILARITY
    return numbers[related], similar[related]


def feedback_document(shape: Shape, within: Mask) -> int | None:
    """Return the best-scored document of `within` holding every word, if any."""
    if shape.every is None or shape.scores is None:
        return None
    scores = np.where(shape.every & within, shape.scores, -1.0)
    best = int(np.argmax(scores))
    return best if scores[best] > 0 else None


@dataclass(frozen=True)
class Shape:
    """What the keyword side says about a query, for weighting the fusion."""

    words: int  # plain words (or synonym entries) scored; 1 for explicit syntax
    every: Mask | None  # documents holding every word (None: no keyword match)
    scores: F32 | None = None  # the keyword scores


def query_shape(match: Match | None, matching: Matching | None, words: int) -> Shape:
    """Return the shape of a query from its keyword match: how many words it has and
    which documents hold all of them (tiers of a relaxed match, else the match itself)."""
    if match is None:
        return Shape(words, None)
    every = match.mask if match.tiers is None else match.mask & (match.tiers > 0)
    return Shape(matching.words if matching is not None else max(1, words), every, match.scores)


def semantic_weight(shape: Shape, final: Mask) -> float:
    """Return the semantic ranking's weight in the fusion (the keyword ranking's is 1)."""
    if shape.every is None or not np.any(shape.every & final):
        return WEIGHT_UNMATCHED  # no document holds every word: other words, paraphrase
    if shape.words >= LONG_WORDS:
        return WEIGHT_LONG  # a pasted headline or sentence: its own words say the most
    return WEIGHT_MATCHED


def word_feedback(snapshot: Snapshot, shape: Shape, within: Mask, final: Mask) -> Numbers | None:
    """Return the first FUSION_DEPTH documents of `final` ranked by the most telling words
    of the best every-word match of `within` (search.local.searching.word_feedback), or
    None when WORD_FEEDBACK is off, the query has fewer than WORD_FEEDBACK_WORDS words,
    or no document holds every word."""
    if not WORD_FEEDBACK or shape.words < WORD_FEEDBACK_WORDS:
        return None
    anchor = feedback_document(shape, within)
    if anchor is None:
        return None
    terms = telling_terms(snapshot, anchor)
    return ranked_by_terms(snapshot, terms, final, FUSION_DEPTH) if terms else None


def fuse(
    keyword: Numbers,
    semantic: Numbers,
    final: Mask,
    shape: Shape,
    related: Numbers | None = None,
) -> tuple[Numbers, F32]:
    """Return the documents of `final` in any ranking, best first by weighted reciprocal
    rank fusion, with their fused scores: the keyword ranking (weight 1), the semantic one
    (semantic_weight) and `related`, word_feedback's (WORD_FEEDBACK). When the query has
    TIER_WORDS words or more, documents holding every word rank first (fused order among
    them). Documents of `final` in no ranking are left to the caller (it appends the
    keyword tail)."""
    weight = semantic_weight(shape, final)
    scores: dict[int, float] = {}
    lists = [(keyword[:FUSION_DEPTH], 1.0), (semantic, weight)]
    if related is not None:
        lists.append((related, WORD_FEEDBACK))
    for ranking, share in lists:
        rank = 0
        for number in ranking.tolist():
            if final[number]:
                rank += 1
                scores[number] = scores.get(number, 0.0) + share / (RRF_K + rank)
    numbers = np.fromiter(scores, dtype=np.int64, count=len(scores))
    fused = np.fromiter(scores.values(), dtype=np.float32, count=len(scores))
    key = fused.astype(np.float64)
    if TIER_WORDS and shape.every is not None and shape.words >= TIER_WORDS and len(numbers):
        key = key + shape.every[numbers] * (float(key.max()) + 1.0)  # above any fused score
    order = np.lexsort((numbers, -key))
    return numbers[order], fused[order]
