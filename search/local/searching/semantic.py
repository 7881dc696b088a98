"""Semantic and hybrid search: documents near the query in meaning, fused with BM25.

    semantic  the SEMANTIC_K documents nearest the query (sentence embeddings of title
              and excerpt, search.local.store.vectors), best first
    hybrid    the keyword match plus those neighbours, ordered by reciprocal rank fusion
              of the keyword ranking and the semantic one (as OpenSearch's hybrid query
              and Elasticsearch's RRF do): a document ranked well by either rises

The query's vector comes from the same model as the documents', computed in process
(about 5 ms for a short query) and kept for repeated queries.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from search.local.embedder import Embedder
    from search.local.searching.snapshot import Snapshot

SEMANTIC_K = 200  # neighbours a semantic or hybrid search adds (before filters)
MIN_SIMILARITY = 0.3  # cosine below which a neighbour is not related (MiniLM: unrelated ~0.1)
RRF_K = 60  # reciprocal rank fusion's constant (Cormack et al.; OpenSearch's default)
SEMANTIC_WEIGHT = 1.0  # the semantic ranking's weight in the fusion (keyword's is 1)
FUSION_DEPTH = 200  # keyword ranks taken into the fusion; deeper ones rank after
QUERY_CACHE = 1024  # query vectors kept
F32 = npt.NDArray[np.float32]
Numbers = npt.NDArray[np.int64]

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


def neighbours(
    snapshot: Snapshot, text: str, like: int | None, within: npt.NDArray[np.bool_]
) -> tuple[Numbers, F32]:
    """Return the SEMANTIC_K documents of `within` nearest to the text (or to document
    `like`'s own vector), best first, with their cosine similarities."""
    vectors = snapshot.vectors
    assert vectors is not None
    query = vectors.rows[like].astype(np.float32) if like is not None else query_vector(text)
    numbers, similar = vectors.nearest(query, within, SEMANTIC_K)
    related = similar >= MIN_SIMILARITY
    return numbers[related], similar[related]


def fuse(keyword: Numbers, semantic: Numbers, final: npt.NDArray[np.bool_]) -> tuple[Numbers, F32]:
    """Return the documents of `final` in both rankings, best first by reciprocal rank
    fusion, with their fused scores; documents of `final` in neither ranking follow in
    no particular order of their own (the caller appends the keyword tail)."""
    scores: dict[int, float] = {}
    for ranking, weight in ((keyword[:FUSION_DEPTH], 1.0), (semantic, SEMANTIC_WEIGHT)):
        rank = 0
        for number in ranking.tolist():
            if final[number]:
                rank += 1
                scores[number] = scores.get(number, 0.0) + weight / (RRF_K + rank)
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    numbers = np.array([n for n, _ in ordered], dtype=np.int64)
    return numbers, np.array([s for _, s in ordered], dtype=np.float32)
