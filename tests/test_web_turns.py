"""search.web.turns: searches take turns in arrival order, one at a time per worker;
one running past HOLD lets the next start; a caller that goes away passes its turn on."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request

from search.web.turns import HOLD, in_turn, searchers


def request_of_app() -> Request:
    """Return a request whose app holds one turn and a pool of search threads."""
    app = Starlette()
    app.state.search_slots = asyncio.Semaphore(1)
    app.state.searchers = searchers()
    return Request({"type": "http", "app": app, "headers": []})


def timed(name: str, seconds: float, log: list[tuple[str, str, float]]) -> Callable[[], str]:
    """Return work that logs its start and end (monotonic) around sleeping `seconds`."""

    def work() -> str:
        log.append((name, "start", time.monotonic()))
        time.sleep(seconds)
        log.append((name, "end", time.monotonic()))
        return f"{name} in {threading.current_thread().name}"

    return work


def test_quick_searches_run_one_after_another_in_arrival_order() -> None:
    log: list[tuple[str, str, float]] = []

    async def main() -> list[str]:
        request = request_of_app()
        works = [timed(name, 0.01, log) for name in "abc"]
        return await asyncio.gather(*(in_turn(request, work) for work in works))

    answers = asyncio.run(main())
    assert [answer.split(" in ")[0] for answer in answers] == ["a", "b", "c"]
    assert all(" in search" in answer for answer in answers)  # the app's own threads
    assert [(name, event) for name, event, _ in log] == [
        ("a", "start"), ("a", "end"), ("b", "start"), ("b", "end"), ("c", "start"), ("c", "end"),
    ]  # fmt: skip


def test_a_search_past_hold_lets_the_next_one_start() -> None:
    log: list[tuple[str, str, float]] = []

    async def main() -> None:
        request = request_of_app()
        await asyncio.gather(
            in_turn(request, timed("slow", 10 * HOLD, log)),
            in_turn(request, timed("quick", 0.0, log)),
        )

    asyncio.run(main())
    times = {(name, event): at for name, event, at in log}
    assert times[("quick", "end")] < times[("slow", "end")]
    assert times[("quick", "start")] - times[("slow", "start")] >= HOLD * 0.9


def test_a_caller_that_goes_away_passes_its_turn_on_at_once() -> None:
    log: list[tuple[str, str, float]] = []

    async def main() -> tuple[bool, bool, str]:
        request = request_of_app()
        slots: asyncio.Semaphore = request.app.state.search_slots
        gone = asyncio.ensure_future(in_turn(request, timed("gone", 4 * HOLD, log)))
        await asyncio.sleep(0)  # its turn taken, its search started
        held = slots.locked()
        gone.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await gone
        passed_on = not slots.locked()  # not HOLD later: the search still runs
        return held, passed_on, await in_turn(request, timed("next", 0.0, log))

    held, passed_on, answer = asyncio.run(main())
    assert (held, passed_on, answer.split(" in ")[0]) == (True, True, "next")
    assert [(name, event) for name, event, _ in log][:2] == [("gone", "start"), ("next", "start")]
