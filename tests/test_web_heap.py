"""search.web.heap: what is alive when a generation is first served is frozen out of
the collector's way, and collected after all once another generation is served."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from search.web.heap import Heap


class Table:
    """An object in a reference cycle: only the collector frees it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def heap() -> Iterator[Heap]:
    """Yield a Heap; the process's collector is unfrozen afterwards."""
    try:
        yield Heap()
    finally:
        gc.unfreeze()


def test_a_generations_objects_are_frozen_then_freed_after_the_next(heap: Heap) -> None:
    table = Table()
    alive = weakref.ref(table)
    assert heap.settle("g-1") is True
    assert gc.get_freeze_count() > 0
    del table
    gc.collect()
    held_while_served = alive() is not None  # frozen: the collector skips it
    repeated = heap.settle("g-1")  # the same generation: nothing done
    gc.collect()
    still_held = alive() is not None
    moved_on = heap.settle("g-2")
    assert (held_while_served, repeated, still_held, moved_on) == (True, False, True, True)
    assert alive() is None  # collected when the next generation was settled
    heap.release()
    assert gc.get_freeze_count() == 0


def test_nothing_is_frozen_without_a_generation(heap: Heap) -> None:
    gc.unfreeze()
    assert heap.settle(None) is False
    assert gc.get_freeze_count() == 0
