"""Stories: coverage of the same news by different outlets, found once per generation.

Two documents from different providers belong to one story when an article lists the
other in its `related` coverage, or when their titles are near-duplicates published
within a few days of each other (the same salient words: Jaccard similarity of the
title word sets at least TITLE_SIMILARITY). A story is a connected component of those
links. The build saves one number per document (stories.npy, row i for document i):
the document number of the story's member with the smallest id, so a story's identity
does not depend on document numbering, and a document alone is its own story.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
from whoosh.analysis import STOP_WORDS

STORIES = "stories.npy"
TITLE_SIMILARITY = 0.6  # share of salient title words two near-duplicate titles have in common
MIN_TITLE_WORDS = 3  # shorter titles ("Weather", "Live updates") say too little to match
SAME_STORY_WITHIN = timedelta(days=3)  # dated near-duplicates further apart are new stories
BUCKET_LIMIT = 1_000  # a title word shared by more documents is too common to group by
_WORD = re.compile(r"[^\W_]+")
Labels = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class StoryRow:
    """What story finding needs from one document."""

    id: str
    title: str
    provider: str | None
    published: datetime | None
    related: Sequence[str] = ()  # ids of the coverage the document lists
    deleted: bool = False


class _Components:
    """Union-find over document numbers."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, number: int) -> int:
        root = number
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[number] != root:  # path compression keeps later finds short
            self.parent[number], number = root, self.parent[number]
        return root

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def title_words(title: str) -> frozenset[str]:
    """Return the salient words of a title: casefolded, without stop words or single letters."""
    return frozenset(
        w for w in _WORD.findall(title.casefold()) if len(w) > 1 and w not in STOP_WORDS
    )


def find_stories(rows: Sequence[StoryRow]) -> Labels:
    """Return each document's story label: the number of its story's member with the
    smallest id (deleted documents are alone)."""
    components = _Components(len(rows))
    number_of = {row.id: n for n, row in enumerate(rows) if not row.deleted}
    for number, row in enumerate(rows):
        if row.deleted:
            continue
        for other in row.related:
            found = number_of.get(other)
            if found is not None and not _same_outlet(row, rows[found]):
                components.join(number, found)
    _join_near_duplicates(rows, components)
    labels = np.arange(len(rows), dtype=np.int32)
    best: dict[int, int] = {}  # root -> member with the smallest id
    for number, row in enumerate(rows):
        if not row.deleted:
            root = components.find(number)
            if root not in best or row.id < rows[best[root]].id:
                best[root] = number
    for number, row in enumerate(rows):
        if not row.deleted:
            labels[number] = best[components.find(number)]
    return labels


def _join_near_duplicates(rows: Sequence[StoryRow], components: _Components) -> None:
    """Join documents whose titles are near-duplicates (prefix filtering: two word sets
    with Jaccard >= t share a word among each one's rarest len - ceil(t * len) + 1)."""
    # Tuples of shared word strings: a frozenset per title would be most of a build's
    # memory here (its hash table is several times the size of its words)
    known: dict[str, str] = {}
    words = [
        tuple(known.setdefault(w, w) for w in title_words(row.title)) if not row.deleted else ()
        for row in rows
    ]
    del known
    frequency = Counter(w for ws in words for w in ws)
    buckets: dict[str, list[int]] = {}
    for number, ws in enumerate(words):
        if len(ws) < MIN_TITLE_WORDS:
            continue
        rarest = sorted(ws, key=lambda w: (frequency[w], w))
        prefix = len(ws) - math.ceil(TITLE_SIMILARITY * len(ws)) + 1
        for word in rarest[:prefix]:
            buckets.setdefault(word, []).append(number)
    for members in buckets.values():
        if 2 <= len(members) <= BUCKET_LIMIT:
            for a, b in _candidate_pairs(members, rows):
                if components.find(a) != components.find(b) and _near_duplicates(
                    rows[a], rows[b], words[a], words[b]
                ):
                    components.join(a, b)


def _candidate_pairs(members: list[int], rows: Sequence[StoryRow]) -> Iterator[tuple[int, int]]:
    """Yield the pairs of a bucket that could be one story: dated ones only within
    SAME_STORY_WITHIN of each other (a sliding window over the bucket in date order), an
    undated one with every other member."""
    dated: list[tuple[datetime, int]] = []
    undated: list[int] = []
    for n in members:
        when = rows[n].published
        if when is None:
            undated.append(n)
        else:
            dated.append((when, n))
    dated.sort()
    for i, (when, a) in enumerate(dated):
        for later, b in dated[i + 1 :]:
            if later - when > SAME_STORY_WITHIN:
                break
            yield a, b
    for i, a in enumerate(undated):
        for b in [*undated[i + 1 :], *(n for _, n in dated)]:
            yield a, b


def _near_duplicates(a: StoryRow, b: StoryRow, wa: tuple[str, ...], wb: tuple[str, ...]) -> bool:
    if _same_outlet(a, b):
        return False
    if a.published and b.published and abs(a.published - b.published) > SAME_STORY_WITHIN:
        return False
    shared = len(set(wa).intersection(wb))
    return shared >= TITLE_SIMILARITY * (len(wa) + len(wb) - shared)


def _same_outlet(a: StoryRow, b: StoryRow) -> bool:
    # One outlet's follow-ups (or a blog's "more from us" links) are not coverage of a
    # story by other outlets.
    return bool(a.provider and b.provider and a.provider.casefold() == b.provider.casefold())


def write_stories(folder: Path, rows: Sequence[StoryRow]) -> None:
    """Find the stories of `rows` (in document-number order) and save them in `folder`."""
    np.save(folder / STORIES, find_stories(rows))


def load_labels(folder: Path, size: int) -> Labels:
    """Return the story labels saved in a generation folder; every document alone if the
    generation predates stories."""
    try:
        labels: Labels = np.load(folder / STORIES)
    except FileNotFoundError:
        labels = np.arange(size, dtype=np.int32)
    if labels.shape != (size,):
        labels = np.arange(size, dtype=np.int32)
    return labels


class Stories:
    """A generation's stories, for grouping hits: labels and each story's members."""

    def __init__(self, labels: Labels, alive: npt.NDArray[np.bool_]) -> None:
        self.labels = labels
        # Members of story s are _order[_starts[s]:_starts[s + 1]], in document order.
        self._order = np.argsort(labels, kind="stable").astype(np.int32)
        self._starts = np.searchsorted(labels[self._order], np.arange(len(labels) + 1))
        self.sizes = np.bincount(labels[alive], minlength=len(labels))  # live members
        for array in (self.labels, self._order, self._starts, self.sizes):
            array.setflags(write=False)

    @classmethod
    def load(cls, folder: Path, alive: npt.NDArray[np.bool_]) -> Stories:
        """Return the stories saved in a generation folder."""
        return cls(load_labels(folder, len(alive)), alive)

    def members(self, label: int) -> npt.NDArray[np.int32]:
        """Return the document numbers of story `label` (deleted ones included)."""
        return self._order[self._starts[label] : self._starts[label + 1]]
