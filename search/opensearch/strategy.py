"""Matching strategies on OpenSearch, counted exactly as the local backend counts them
(search.local.searching.strategy): `all` requires every slot; `most` requires every
slot unless fewer than RELAX_BELOW documents of the index hold them all, then one slot
fewer, and so on (decided before the filters, with `_count` and one multi-search);
`any` requires one. When fewer than all are required, documents holding every slot rank
first (a constant TIER_BOOST added to their score, taken off again in the answer)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from search.local.searching.strategy import RELAX_BELOW
from search.opensearch.searching import TIER_BOOST
from search.opensearch.text_query import Planned, Query
from search.results import Matching

Call = Callable[[Callable[[], Any]], Any]  # the backend's error-translating caller


class Strategy:
    """Decides how many slots a document must match, against one index."""

    def __init__(self, client: Any, index: str, call: Call) -> None:
        self.client, self.index, self.call = client, index, call
        self.slots: list[Query] = []

    def _count(self, query: Query) -> int:
        return int(
            self.call(lambda: self.client.count(index=self.index, body={"query": query}))["count"]
        )

    def match(self, planned: Planned, strategy: str) -> tuple[Query, Matching]:
        """Return the text query of `planned` under `strategy`, and its Matching."""
        slots = self.slots = planned.slots
        words = len(slots)
        every: Query = slots[0] if words == 1 else {"bool": {"must": slots}}
        required = words
        if strategy == "any":
            required = 1
        elif strategy == "most" and words > 1 and self._count(every) < RELAX_BELOW:
            required = self._relaxed(slots)
        matching = Matching(strategy, words, required, planned.synonyms, planned.dropped)
        if required == words:
            return every, matching
        query = {
            "bool": {
                "must": [{"bool": {"should": slots, "minimum_should_match": required}}],
                "should": [{"constant_score": {"filter": every, "boost": TIER_BOOST}}],
            }
        }
        return query, matching

    def _relaxed(self, slots: list[Query]) -> int:
        """Return the most slots a document must hold so that RELAX_BELOW documents do, or 1."""
        wanted = list(range(len(slots) - 1, 1, -1))
        if not wanted:
            return 1
        bodies: list[dict[str, Any]] = []
        for required in wanted:
            query = {"bool": {"should": slots, "minimum_should_match": required}}
            bodies += [{"index": self.index}, {"size": 0, "query": query, "track_total_hits": True}]
        found = self.call(lambda: self.client.msearch(body=bodies))["responses"]
        for required, answer in zip(wanted, found, strict=True):
            if int(answer["hits"]["total"]["value"]) >= RELAX_BELOW:
                return required
        return 1

    def every_word(self, filters: dict[str, Query | None]) -> Query:
        """Return the aggregation counting the documents passing `filters` that hold
        every slot (did-you-mean looks at them when matching relaxed)."""
        chosen = [c for c in filters.values() if c is not None]
        return {"filter": {"bool": {"must": self.slots, "filter": chosen}}}
