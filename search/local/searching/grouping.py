"""Grouped search: one hit per story, the story's other matching coverage under it.

Like Elasticsearch's field collapsing or Typesense's group_by: the best-ranked matching
member of a story stands for it (in the search's own order), the story's other matching
members come with it, and `total` and paging count stories. Facets still count
documents. Most documents are a story of one, so the leaders are found by walking the
ranked list in growing windows rather than by ranking every match.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from search.local.searching.hits import make_hit
from search.local.searching.matching import Match
from search.local.searching.snapshot import Snapshot
from search.local.store.columns import date_key
from search.results import Hit, StoryGroup

MORE_SHOWN = 10  # other matching documents listed under a grouped hit
Numbers = npt.NDArray[np.int64]
Scores = npt.NDArray[np.float32]
Ranker = Callable[[int], tuple[Numbers, Scores]]  # wanted -> the first `wanted`, in order


@dataclass
class Leaders:
    """The page's story leaders and how many stories match."""

    numbers: Numbers
    scores: Scores
    stories: int


def page_leaders(
    snapshot: Snapshot, final: npt.NDArray[np.bool_], start: int, end: int, ranked: Ranker
) -> Leaders:
    """Return the leaders of stories start..end (0-based) in the ranked order of `final`."""
    labels = snapshot.stories.labels
    matching = labels[final]
    matched = len(matching)
    # Distinct labels: sorting a few is cheaper than a count array over every document.
    if len(matching) < len(labels) // 8:
        stories = len(np.unique(matching))
    else:
        stories = int(np.count_nonzero(np.bincount(matching)))
    wanted = 2 * end + 16
    while True:
        numbers, scores = ranked(min(wanted, matched))
        # The first occurrence of each label in ranked order is that story's best member.
        _, first = np.unique(labels[numbers], return_index=True)
        first.sort()
        if len(first) >= end or len(numbers) >= matched:
            break
        wanted *= 4
    chosen = first[start:end]
    return Leaders(numbers[chosen], scores[chosen], stories)


def story_group(
    snapshot: Snapshot,
    leader: int,
    final: npt.NDArray[np.bool_],
    match: Match | None,
    sort: str,
    terms: Collection[str],
) -> StoryGroup:
    """Return the story of `leader` with the story's other documents in `final`, ranked
    like the search (score, then newest, for relevance; date otherwise)."""
    stories = snapshot.stories
    label = int(stories.labels[leader])
    if stories.sizes[label] == 1:  # most documents are a story of one: nothing to gather
        return StoryGroup(id=str(snapshot.stored(leader)["id"]), size=1, more_count=0, more=[])
    members = stories.members(label).astype(np.int64)
    others = members[final[members] & (members != leader)]
    scores = match.scores[others] if match is not None else np.zeros(len(others), dtype=np.float32)
    published = snapshot.columns.published[others]
    if sort == "relevance" and match is not None:
        order = np.lexsort((others, -published, -scores))
    elif sort == "oldest":
        order = np.lexsort((others, date_key(published, oldest=True)))
    else:
        order = np.lexsort((others, date_key(published)))
    shown: list[Hit] = [
        make_hit(snapshot.stored(int(others[i])), float(scores[i]), terms)
        for i in order[:MORE_SHOWN]
    ]
    return StoryGroup(
        id=str(snapshot.stored(label)["id"]),
        size=int(stories.sizes[label]),
        more_count=len(others),
        more=shown,
    )
