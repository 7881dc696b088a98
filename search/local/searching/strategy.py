"""Matching strategies for plain text: how many of its words a document must hold.

    all   every word (slot) is required: the classic AND.
    most  (the default) every word, unless fewer than RELAX_BELOW documents of the
          index hold them all: then one word fewer is required, and so on down to one,
          until RELAX_BELOW documents match. Documents holding every word rank first,
          the rest by score (tiers, below). The requirement is decided before the
          filters, so a facet's count is exactly what ticking it shows.
    any   one word is enough; documents holding every word still rank first.

`total`, paging and the facets count exactly the documents holding the required number
of words (and passing the filters; each facet ignores its own filter, as always).
Text with explicit syntax keeps its strict meaning and never relaxes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from search.local.searching.matching import Evaluation, Match
from search.local.searching.plain_text import Plan, plan
from search.local.searching.snapshot import Snapshot
from search.results import Matching

RELAX_BELOW = 10  # match=most relaxes while fewer documents than this (a page) match

Mask = npt.NDArray[np.bool_]


@dataclass
class TextMatch:
    """The match of a query text, how it was made, and the words re-ranking looks at."""

    match: Match | None  # None: an empty text (every document, unscored)
    matching: Matching | None  # set when plain text was matched slot by slot
    words: list[str]  # the text's words in order, for proximity re-ranking


def text_match(snapshot: Snapshot, text: str, strategy: str, info: Evaluation) -> TextMatch:
    """Return the match of `text` under `strategy`."""
    if not text.strip():
        return TextMatch(None, None, [])
    planned = plan(snapshot, text, snapshot.synonyms)
    if planned is None:  # explicit syntax: the parser's strict reading
        return TextMatch(snapshot.evaluator.evaluate(snapshot.parse(text), info), None, [text])
    return _by_slots(snapshot, planned, strategy, info)


def _by_slots(snapshot: Snapshot, planned: Plan, strategy: str, info: Evaluation) -> TextMatch:
    size = snapshot.columns.size
    held = np.zeros(size, np.int16)
    scores = np.zeros(size, np.float32)
    for slot in planned.slots:  # summed in slot order, as an AND of them would
        info.check()
        found = snapshot.evaluator.evaluate(slot, info)
        held += found.mask
        scores += found.scores
    words = len(planned.slots)
    alive = snapshot.columns.alive
    required = {"all": words, "any": 1}.get(strategy) or _relaxed(held, alive, words)
    mask = held >= required
    scores[~mask] = 0
    tiers = (held == words).astype(np.int8) if required < words else None
    matching = Matching(
        strategy, words, required, [(s, a) for s, a in planned.synonyms], planned.dropped
    )
    said = [w for label in planned.labels for w in label.split()]
    return TextMatch(Match(mask, scores, tiers), matching, said)


def _relaxed(held: npt.NDArray[np.int16], filtered: Mask, words: int) -> int:
    """Return the most words a document must hold so that RELAX_BELOW live documents
    do, or 1."""
    per_count = np.bincount(held[filtered], minlength=words + 1)
    at_least = np.cumsum(per_count[::-1])[::-1]  # at_least[k]: documents holding >= k words
    for required in range(words, 1, -1):
        if at_least[required] >= RELAX_BELOW:
            return required
    return 1
