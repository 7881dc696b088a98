"""Searches take turns: one runs at a time per worker, the others wait in arrival order.

The GIL runs one search at a time anyway; when all run together, each takes as long
as all of them (a search needing 30 ms alone answers after 240 ms among eight), so a
queue answers most searches sooner and bounds the slowest. A search still running
after HOLD seconds (a wide wildcard, a cold word) lets the next one start rather than
hold up the whole queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

HOLD = 0.05  # seconds a search keeps its turn
T = TypeVar("T")


async def in_turn(request: Request, work: Callable[[], T]) -> T:
    """Return work() run in a worker thread when its turn comes (the app's search_slots)."""
    slots: asyncio.Semaphore = request.app.state.search_slots
    await slots.acquire()
    running = asyncio.ensure_future(run_in_threadpool(work))
    try:
        await asyncio.wait({running}, timeout=HOLD)
    except asyncio.CancelledError:  # the client went away: the thread runs on, unheard
        running.add_done_callback(lambda task: task.cancelled() or task.exception())
        raise
    finally:
        slots.release()
    return await running
