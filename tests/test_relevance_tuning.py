"""The relevance tuning machinery: knobs are applied and restored, freshness halves every
half-life, and a recency bonus can lift a newer match."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks import relevance
from search.local import LocalBackend
from search.local.searching import postings
from search.local.searching import ranking as proximity
from search.local.store import schema
from search.local.store.build import build_index
from search.params import search_request


@pytest.fixture
def product_knobs() -> Iterator[dict[str, float]]:
    before = relevance.current_knobs()
    yield before
    assert relevance.current_knobs() == before


def test_knobs_are_applied_and_restored(product_knobs: dict[str, float]) -> None:
    changed = {
        "weight.title": 5.0,
        "k1": 0.9,
        "b.title": 0.25,
        "b.default": 0.5,
        "bonus.title": 1.0,
        "bonus.excerpt": 0.0,
        "recency.bonus": 0.3,
        "recency.half_life": 30.0,
    }
    with relevance.applied(changed):
        assert (proximity.RECENCY_BONUS, proximity.RECENCY_HALF_LIFE) == (0.3, 30.0)
        assert schema.FIELD_WEIGHTS["title"] == 5.0
        assert postings.K1 == 0.9 and postings.B["title"] == 0.25
        assert postings.B_DEFAULT == 0.5
        assert proximity.TITLE_BONUS == 1.0 and proximity.EXCERPT_BONUS == 0.0
        assert relevance.current_knobs() == {**product_knobs, **changed}
    with pytest.raises(ValueError, match="unknown knob"), relevance.applied({"nope": 1.0}):
        pass
    assert set(relevance.GRID) <= set(product_knobs)


def test_freshness_halves_every_half_life(product_knobs: dict[str, float]) -> None:
    day = 24 * 60
    published = np.array([1000 * day, 1000 * day - 365 * day, -1, 1000 * day - 730 * day])
    window = np.array([0, 1, 2, 3])
    assert proximity.freshness(published, window, -1) is None  # off in the product
    with relevance.applied({"recency.bonus": 0.2, "recency.half_life": 365.0}):
        fresh = proximity.freshness(published, window, -1)
    assert fresh is not None and fresh.tolist() == [1.0, 0.5, 0.0, 0.25]


def test_recency_bonus_can_lift_a_newer_match(
    write_seed: Any, seeds_dir: Path, tmp_path: Path, product_knobs: dict[str, float]
) -> None:
    write_seed("old.md", 'title: "Robot arm robot"\npublishedDateTime: 2015-01-01T00:00:00Z\n')
    write_seed("new.md", 'title: "Robot arm"\npublishedDateTime: 2025-01-01T00:00:00Z\n')
    build_index(seeds_dir, tmp_path / "index")
    orders = []
    for bonus in (0.0, 1.0):
        with relevance.applied({"recency.bonus": bonus}):
            engine = LocalBackend.open(tmp_path / "index")
            try:
                hits = engine.search(search_request("robot")).hits
            finally:
                engine.close()
        orders.append([hit.title for hit in hits])
    # BM25 prefers the older title (two robots); a full recency bonus outweighs that.
    assert orders == [["Robot arm robot", "Robot arm"], ["Robot arm", "Robot arm robot"]]
