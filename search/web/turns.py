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
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from starlette.requests import Request

HOLD = 0.05  # seconds a search keeps its turn
THREADS = 40  # searches running at once at most (all past HOLD but one): anyio's default
T = TypeVar("T")


def searchers() -> ThreadPoolExecutor:
    """Return a thread pool for in_turn (a thread is started only when none is idle)."""
    return ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="search")


async def in_turn(request: Request, work: Callable[[], T]) -> T:
    """Return work() run in a worker thread (the app's `searchers`) when its turn comes
    (the app's `search_slots`). A client that goes away while it runs gets no answer;
    the thread runs on, unheard, and the turn passes on at once."""
    state = request.app.state
    slots: asyncio.Semaphore = state.search_slots
    await slots.acquire()
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
