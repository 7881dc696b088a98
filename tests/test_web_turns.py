"""search.web.turns: searches take turns in arrival order, one at a time per worker;
one running past HOLD lets the next start; a caller that goes away passes its turn on;
a search quick last time runs on the event loop in its turn."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request

from search.request import SearchRequest
from search.web.api import text_of
from search.web.turns import HOLD, QUICK, Timings, in_turn, searchers


def request_of_app() -> Request:
    """Return a request whose app holds one turn and a pool of search threads."""
    app = Starlette()
    app.state.search_slots = asyncio.Semaphore(1)
    app.state.searchers = searchers()
    app.state.timings = Timings()
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


def busy(name: str, seconds: float, log: list[tuple[str, str, float]]) -> Callable[[], str]:
    """Return work that logs its start and end around `seconds` of CPU time."""

    def work() -> str:
        log.append((name, "start", time.monotonic()))
        until = time.thread_time() + seconds
        while time.thread_time() < until:
            pass
        log.append((name, "end", time.monotonic()))
        return threading.current_thread().name

    return work


def test_a_search_quick_last_time_runs_on_the_event_loop() -> None:
    """The first run of a key is on a search thread; the next ones on the loop's own
    thread while they stay under QUICK; a key slow last time, and a new key (another
    generation), go to a thread."""
    log: list[tuple[str, str, float]] = []

    async def main() -> list[str]:
        request = request_of_app()
        return [
            await in_turn(request, busy("quick", 0.0, log), ("g1", "quick")),
            await in_turn(request, busy("quick", 0.0, log), ("g1", "quick")),
            await in_turn(request, busy("quick", 0.0, log), ("g1", "quick")),
            await in_turn(request, busy("slow", 2 * QUICK, log), ("g1", "slow")),
            await in_turn(request, busy("slow", 2 * QUICK, log), ("g1", "slow")),
            await in_turn(request, busy("quick", 0.0, log), ("g2", "quick")),
            await in_turn(request, busy("unkeyed", 0.0, log)),
            await in_turn(request, busy("unkeyed", 0.0, log)),
        ]

    threads = asyncio.run(main())
    loop_thread = threading.current_thread().name
    on_loop = [name == loop_thread for name in threads]
    assert on_loop == [False, True, True, False, False, False, False, False]
    elsewhere = [name for name, here in zip(threads, on_loop, strict=True) if not here]
    assert all(name.startswith("search") for name in elsewhere)


def test_a_quick_search_waits_its_turn_behind_one_on_a_thread() -> None:
    """A quick search arriving while another runs on a thread starts when that one ends
    or passes HOLD, not at once: the one on the thread is not kept from the GIL."""
    log: list[tuple[str, str, float]] = []

    async def main() -> None:
        request = request_of_app()
        key = ("g1", "quick")
        await in_turn(request, busy("first", 0.0, log), key)  # now known to be quick
        log.clear()
        await asyncio.gather(
            in_turn(request, timed("slow", 4 * HOLD, log)),
            in_turn(request, busy("quick", 0.0, log), key),
        )

    asyncio.run(main())
    times = {(name, event): at for name, event, at in log}
    assert times[("quick", "start")] - times[("slow", "start")] >= HOLD * 0.9
    assert times[("quick", "end")] < times[("slow", "end")]


def test_timings_keep_the_last_time_of_the_most_recent_keys() -> None:
    timings = Timings(size=2)
    timings.note("a", QUICK / 2)
    timings.note("b", QUICK * 2)
    timings.note("a", QUICK / 4)  # "a" is now the most recent
    timings.note("c", QUICK / 2)  # "b" goes
    assert [timings.quick(key) for key in "abcd"] == [True, False, True, False]
    assert list(timings._took) == ["a", "c"]


def test_the_api_times_a_search_by_its_text_not_its_filters_sorts_or_pages() -> None:
    """Browsing one query's facets and pages reuses its time; another text, match, mode
    or `like` is another key."""
    plain = SearchRequest(q="cloud security")
    browsed = SearchRequest(
        q="cloud security", filters={"topic": ("AI",)}, sort="newest", page=3, per_page=25
    )
    others = [
        SearchRequest(q="cloud"),
        SearchRequest(q="cloud security", match="all"),
        SearchRequest(q="cloud security", mode="keyword"),
        SearchRequest(q="cloud security", like="0123456789abcdef"),
    ]
    assert text_of(browsed) == text_of(plain)
    assert len({text_of(request) for request in [plain, *others]}) == 5
