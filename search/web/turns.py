"""Searches take turns: one runs at a time per worker, the others wait in arrival order.

The GIL runs one search at a time anyway; when all run together, each takes as long
as all of them (a search needing 30 ms alone answers after 240 ms among eight), so a
queue answers most searches sooner and bounds the slowest. A search still running
after HOLD seconds (a wide wildcard, a cold word) lets the next one start rather than
hold up the whole queue.

Searches run on the app's own thread pool (`searchers`, made by the lifespan) through
the loop's run_in_executor, and the turn is handed on by a timer or by the answer,
whichever comes first: about a third of the event loop's CPU time per hop of
Starlette's run_in_threadpool (anyio's worker threads, cancel scopes and capacity
limiter) and the task and wait() a timeout took before (docs/BENCHMARKS.md).

A search known to be quick skips the hop and runs on the event loop itself, holding
its turn while it runs: one whose `key` took under QUICK seconds of CPU last time (the
API's key: the generation and the query text, search.web.api; the same text under
other filters, sorts and pages takes about as long, and a misjudged search is judged
again by its own time). Handing a search to a thread and its answer back, the two
threads taking the GIL in turns, cost about 0.2 ms of CPU a search, a sixth of an
uncached API search; and a search on a thread holds the GIL for up to the
interpreter's switch interval (5 ms) before the loop may run anyway, so one under
QUICK holds the loop no longer than a thread would. Turns stay in arrival order: a
search on a thread is not kept from the GIL by quick ones arriving after it (run at
once, they kept it waiting past the p99 target). A search not seen before, or slow
last time, takes its turn on a thread; so does every search of a backend that waits
on another server (`in_process` false: OpenSearch), whose time is not its own.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from starlette.requests import Request

HOLD = 0.05  # seconds a search keeps its turn
THREADS = 40  # searches running at once at most (all past HOLD but one): anyio's default
QUICK = 0.002  # CPU seconds: a search that took less last time runs on the event loop
KNOWN = 16_384  # searches whose last time is kept (by key), the least recent dropped
T = TypeVar("T")


def searchers() -> ThreadPoolExecutor:
    """Return a thread pool for in_turn (a thread is started only when none is idle)."""
    return ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="search")


class Timings:
    """How much CPU time the searches of the last KNOWN keys took, last time each ran."""

    def __init__(self, size: int = KNOWN) -> None:
        self.size = size
        self._took: OrderedDict[Hashable, float] = OrderedDict()
        self._lock = threading.Lock()  # noted from the search threads and the loop

    def quick(self, key: Hashable) -> bool:
        """Return True when the search of `key` took under QUICK seconds last time."""
        took = self._took.get(key)
        return took is not None and took < QUICK

    def timed(self, key: Hashable, work: Callable[[], T]) -> Callable[[], T]:
        """Return work, noting how long each run of it takes under `key`."""

        def run() -> T:
            # The CPU time of the thread running it: on a search thread, the wall time
            # also counts waiting for the GIL while other searches and the loop run.
            started = time.thread_time()
            try:
                return work()
            finally:
                self.note(key, time.thread_time() - started)

        return run

    def note(self, key: Hashable, seconds: float) -> None:
        """Remember that the search of `key` took `seconds`."""
        with self._lock:
            self._took[key] = seconds
            self._took.move_to_end(key)
            if len(self._took) > self.size:
                self._took.popitem(last=False)


async def in_turn(request: Request, work: Callable[[], T], key: Hashable | None = None) -> T:
    """Return work() run in a worker thread (the app's `searchers`) when its turn comes
    (the app's `search_slots`). A client that goes away while it runs gets no answer;
    the thread runs on, unheard, and the turn passes on at once.

    With a `key` (what the work's time depends on), the work's time is noted, and work
    that took under QUICK seconds last time runs on the event loop in its turn instead."""
    state = request.app.state
    quick = False
    if key is not None:
        timings: Timings = state.timings
        quick = timings.quick(key)
        work = timings.timed(key, work)
    slots: asyncio.Semaphore = state.search_slots
    await slots.acquire()
    if quick:
        try:
            return work()
        finally:
            slots.release()
    loop = asyncio.get_running_loop()
    held = True

    def release() -> None:
        nonlocal held
        if held:
            held = False
            slots.release()

    timer = loop.call_later(HOLD, release)
    try:
        return await loop.run_in_executor(state.searchers, work)
    finally:
        timer.cancel()
        release()
