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
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh.analysis import STOP_WORDS

from search.querying import plain_words
from search.schema import analyze, stem_word

RERANK_WINDOW = 100  # documents re-ranked: a first page or ten, never the long tail
TITLE_BONUS = 0.6  # of the window's best score, when the words stand together in the title
EXCERPT_BONUS = 0.4  # ... in the excerpt


def query_stems(text: str) -> list[str]:
    """Return the stems of the plain words of a query, in order (stop words left out)."""
    if any(mark in text for mark in ('"', ":", "*", "~", "(")):
        return []  # explicit syntax: the reader said what they meant
    words = [w.lower() for _, _, w in plain_words(text)]
    return [stem_word(w) for w in words if w not in STOP_WORDS]


def _adjacent_pairs(text: str, stems: list[str]) -> int:
    positions = analyze(text)
    found = 0
    for first, second in itertools.pairwise(stems):
        after = {p + 1 for p in positions.get(first, ())}
        if after & set(positions.get(second, ())):
            found += 1
    return found


def rerank(
    numbers: npt.NDArray[np.int64],
    scores: npt.NDArray[np.float32],
    stems: list[str],
    stored: Callable[[int], dict[str, Any]],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Return the window (numbers, scores) re-ordered with proximity bonuses added."""
    if len(stems) < 2 or len(numbers) < 2:
        return numbers, scores
    best = float(scores.max())
    boosted = scores.astype(np.float32).copy()
    pairs = len(stems) - 1
    for i, number in enumerate(numbers):
        fields = stored(int(number))
        title = _adjacent_pairs(fields.get("title") or "", stems) / pairs
        excerpt = _adjacent_pairs(fields.get("excerpt") or "", stems) / pairs
        boosted[i] += best * (TITLE_BONUS * title + EXCERPT_BONUS * excerpt)
    order = np.argsort(-boosted, kind="stable")  # stable: ties keep the BM25 order
    return numbers[order], boosted[order]
