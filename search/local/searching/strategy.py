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
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh import query as wq

from search.local.searching.matching import Evaluation, Match
from search.local.searching.phrases import common
from search.local.searching.plain_text import Plan
from search.local.searching.snapshot import Snapshot
from search.local.searching.text_matches import packed
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
    """Return the match of `text` under `strategy` (kept per generation: text_matches),
    adding the terms it matched and the expansions it capped to `info`."""
    if not text.strip():
        return TextMatch(None, None, [])
    kept = snapshot.matches.get(text, strategy)
    if kept is None:
        part = Evaluation(deadline=info.deadline, limit=info.limit)
        found = _text_match(snapshot, text, strategy, part)
        assert found.match is not None
        kept = packed(found.match, found.matching, found.words, part)
        snapshot.matches.put(text, strategy, kept)
        kept.add_to(info)
        return found
    kept.add_to(info)
    return TextMatch(kept.match(snapshot.columns.size), kept.matching, list(kept.words))


def _text_match(snapshot: Snapshot, text: str, strategy: str, info: Evaluation) -> TextMatch:
    """Return the match of non-empty `text` under `strategy`, evaluated."""
    planned = snapshot.plan(text)
    if planned is None:  # explicit syntax: the parser's strict reading
        return TextMatch(snapshot.evaluator.evaluate(snapshot.parse(text), info), None, [text])
    return _by_slots(snapshot, planned, strategy, info)


def _by_slots(snapshot: Snapshot, planned: Plan, strategy: str, info: Evaluation) -> TextMatch:
    words = len(planned.slots)
    said = [w for label in planned.labels for w in label.split()]
    evaluator = snapshot.evaluator
    parts = [evaluator.sparse(slot, info) for slot in planned.slots]
    if all(part is not None for part in parts):  # every word is rare: no dense pass
        return _by_few_slots(snapshot, planned, strategy, [p for p in parts if p], said)
    too_few = False  # known: fewer than RELAX_BELOW documents hold every word
    if strategy != "any" and words > 1 and any(part is not None for part in parts):
        within = _every_word_within(snapshot, planned, parts, info)
        if strategy == "all" or within.docs is None or len(within.docs) >= RELAX_BELOW:
            matching = Matching(strategy, words, words, planned.synonyms, planned.dropped)
            return TextMatch(within, matching, said)
        too_few = True  # the AND below would find these same documents: relax at once
    if strategy != "any" and not too_few:
        # The common case costs what an AND costs: every word required, and (for most)
        # enough documents hold them all that nothing relaxes.
        strict = evaluator.evaluate(planned.slots[0] if words == 1 else wq.And(planned.slots), info)
        if strategy == "all" or words == 1 or _enough(strict.mask):
            matching = Matching(strategy, words, words, planned.synonyms, planned.dropped)
            return TextMatch(strict, matching, said)
    held, scores = _held_and_scores(snapshot, planned.slots, parts, info)
    required = 1 if strategy == "any" else _relaxed(held, words)
    mask = held >= required
    scores[~mask] = 0
    tiers = (held == words).astype(np.int8) if required < words else None
    matching = Matching(strategy, words, required, planned.synonyms, planned.dropped)
    return TextMatch(Match(mask, scores, tiers), matching, said)


def _held_and_scores(
    snapshot: Snapshot,
    slots: list[Any],
    parts: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]] | None],
    info: Evaluation,
) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.float32]]:
    """Return how many slots each live document holds, and the slots' scores summed in
    slot order (as an AND of them would); `parts`: the live documents and scores of the
    slots kept as documents (None: evaluate the slot over every document)."""
    size = snapshot.columns.size
    held = np.zeros(size, np.int16)
    scores = np.zeros(size, np.float32)
    for slot, part in zip(slots, parts, strict=True):
        info.check()
        if part is not None:  # a rare word: added at its live documents only (what
            docs, found = part  # the dense sum adds at dead ones is zeroed: they hold none)
            held[docs] += 1
            scores[docs] += found
            continue
        match = snapshot.evaluator.evaluate(slot, info)
        held += match.mask
        scores += match.scores
    return held, scores


def _by_few_slots(
    snapshot: Snapshot,
    planned: Plan,
    strategy: str,
    parts: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]],
    said: list[str],
) -> TextMatch:
    """Return _by_slots' answer from each slot's live documents and scores (`parts`),
    working on the matching documents only: the same documents, scores (summed in slot
    order) and tiers."""
    words = len(parts)
    size = snapshot.columns.size
    scores = np.zeros(size, np.float32)
    for docs, found in parts:  # summed in slot order, as an AND of them would
        scores[docs] += found
    if words == 1:  # one word's live documents are sorted and distinct already
        union, held = parts[0][0], np.ones(len(parts[0][0]), np.int64)
    else:
        union, held = np.unique(np.concatenate([docs for docs, _ in parts]), return_counts=True)
    required = 1
    if strategy != "any":
        strict = int(np.count_nonzero(held == words))
        if strategy == "all" or words == 1 or strict >= RELAX_BELOW:
            required = words
        else:
            required = next(
                (k for k in range(words, 1, -1) if np.count_nonzero(held >= k) >= RELAX_BELOW), 1
            )
    chosen = union[held >= required]
    scores[union[held < required]] = 0
    mask = np.zeros(size, np.bool_)
    mask[chosen] = True
    tiers = None
    if required < words:
        tiers = np.zeros(size, np.int8)
        tiers[union[held == words]] = 1
    matching = Matching(strategy, words, required, planned.synonyms, planned.dropped)
    return TextMatch(Match(mask, scores, tiers, chosen), matching, said)


def _every_word_within(
    snapshot: Snapshot,
    planned: Plan,
    parts: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]] | None],
    info: Evaluation,
) -> Match:
    """Return the match of every slot (an AND of them) looked for among the documents
    of the rare slots (`parts`: their live documents and scores; None for the others):
    the common slots are read at those documents only, scores summed in slot order."""
    rare = sorted((p for p in parts if p is not None), key=lambda p: len(p[0]))
    docs = rare[0][0]
    for other, _ in rare[1:]:
        docs = common(docs, other)
    common_matches = {
        n: snapshot.evaluator.evaluate(slot, info)
        for n, (slot, part) in enumerate(zip(planned.slots, parts, strict=True))
        if part is None
    }
    for found in common_matches.values():
        docs = docs[found.mask[docs]]
    scores = np.zeros(snapshot.columns.size, np.float32)
    for n, part in enumerate(parts):  # summed in slot order, as an AND of them would
        if part is None:
            scores[docs] += common_matches[n].scores[docs]
        else:
            scores[docs] += part[1][np.searchsorted(part[0], docs)]
    mask = np.zeros(snapshot.columns.size, np.bool_)
    mask[docs] = True
    return Match(mask, scores, None, docs)


def _enough(mask: Mask) -> bool:
    """Return True when at least RELAX_BELOW documents hold every word."""
    return int(np.count_nonzero(mask)) >= RELAX_BELOW


def _relaxed(held: npt.NDArray[np.int16], words: int) -> int:
    """Return the most words a document must hold so that RELAX_BELOW live documents
    do, or 1 (`held`: words per document, live ones only: evaluate() leaves out the
    deleted)."""
    for required in range(words, 1, -1):
        # A count per word count: a histogram of every document costs more than several.
        if int(np.count_nonzero(held >= required)) >= RELAX_BELOW:
            return required
    return 1
