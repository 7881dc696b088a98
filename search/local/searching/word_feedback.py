"""Word feedback for hybrid search: rank the candidates by the found article's own words.

A pasted headline or a few title words find their article (the best document holding
every word), but the other outlets' coverage of that story often shares the article's
words rather than the query's: "AI tracks down leukemia" for "AI can help detect blood
cancer". Pseudo-relevance feedback (Rocchio; Lucene's and Elasticsearch's more_like_this
picks words the same way) takes that article's most telling title and excerpt words,
tf * idf much as search.local.searching.more_like_this does, and ranks the candidates by
BM25 of them; search.local.searching.semantic fuses that ranking with the keyword and
semantic ones. Cheaper than a "more like this" search: word counts from the vocabulary,
stems from the cached stemmer, and only the chosen words' postings are read.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from whoosh.analysis import STOP_WORDS

from search.local.store import schema

if TYPE_CHECKING:
    from search.local.searching.snapshot import Snapshot

TERMS = 8  # words taken from the article (more_like_this.LIKE_TERMS)
FIELDS = ("title",)  # where the words are looked for
_WORD = re.compile(r"[^\W\d_]{3,}")  # words of letters: numbers and short words say little
Numbers = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]


def telling_terms(snapshot: Snapshot, number: int) -> list[str]:
    """Return the stems of document `number`'s TERMS most telling words: title words
    count twice, excerpt words once, times log(1 + N / the word's count in the
    generation's vocabulary); a word counted once (only here) is left out, as is every
    word of a generation without a vocabulary. Ties: alphabetical."""
    stored = snapshot.stored(number)
    weights: Counter[str] = Counter()
    for field, weight in (("title", 2), ("excerpt", 1)):
        for word in _WORD.findall(str(stored.get(field) or "").lower()):
            if word not in STOP_WORDS:
                weights[word] += weight
    # The vocabulary's counts (occurrences in titles, excerpts, topics and providers)
    # stand in for document frequencies: close enough to order words by rarity, and a
    # dictionary look-up where the index's doc_frequency costs ~0.1 ms a word and field.
    counts = snapshot.vocabulary.counts
    total = max(snapshot.documents, 1)
    best: dict[str, float] = {}
    for word, weight in weights.items():
        count = counts.get(word, 0)
        if count > 1:
            stem = schema.stem_word(word)
            best[stem] = best.get(stem, 0.0) + weight * math.log(1 + total / count)
    return sorted(best, key=lambda stem: (-best[stem], stem))[:TERMS]


def ranked_by_terms(snapshot: Snapshot, terms: list[str], final: Mask, depth: int) -> Numbers:
    """Return the first `depth` documents of `final` holding any of `terms`, best first
    by their BM25 over FIELDS (weighted as schema.FIELD_WEIGHTS); ties by number."""
    scores = np.zeros(snapshot.columns.size, np.float32)
    for field in FIELDS:
        for term in terms:
            docs, contribution = snapshot.postings.get(field, term)
            scores[docs] += contribution * schema.FIELD_WEIGHTS[field]
    candidates = np.flatnonzero(final & (scores > 0))
    if len(candidates) > depth:  # keep the best `depth` and everything tied with the last
        found = scores[candidates]
        threshold = np.partition(found, len(found) - depth)[len(found) - depth]
        candidates = candidates[found >= threshold]
    order = np.lexsort((candidates, -scores[candidates]))[:depth]
    return candidates[order]
