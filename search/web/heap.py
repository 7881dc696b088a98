"""A serving worker's long-lived objects kept out of the garbage collector's way.

Once a generation is open and warm, a worker holds its tables for as long as it serves
it: Python lists and dicts of up to a hundred thousand entries. Each full collection
(generation 2, triggered by the allocations searches make) traverses every one of
them: 47 to 53 ms on the 100,000-file bench index, every two thousand searches or so,
a pause that every request in flight waits out. gc.freeze() moves what is alive into
a permanent generation that collections skip (12 to 17 ms then); objects made later
are collected as usual.

A frozen object is never collected, even once unreachable, unless freed by its
reference count. So when a new generation is served, the worker unfreezes, collects
(freeing the previous generation's cycles) and freezes again: one full collection per
generation published, as Python would have run anyway.
"""

from __future__ import annotations

import gc


class Heap:
    """Freezes what a worker holds, once per generation served."""

    def __init__(self) -> None:
        self.settled_for: str | None = None

    def settle(self, generation: str | None) -> bool:
        """Freeze what is alive now unless already done for `generation`; return
        whether it was done now."""
        if generation is None or generation == self.settled_for:
            return False
        self.settled_for = generation
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        return True

    def release(self) -> None:
        """Give frozen objects back to the collector (the app is closing)."""
        self.settled_for = None
        gc.unfreeze()
