"""The search page in a real browser: search as you type, suggestions, facets, timeline,
history, no-JavaScript rendering, escaping, accessibility basics and error pages.

A real `search serve` over an index of the shared corpus, and Debian's Chromium driven
by Playwright (sync API). Every expectation is checked against /api/search of the same
server, so the page is compared with the engine rather than with copied numbers.
Screenshots of the main states go to artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    Pairs,
    Server,
    Tab,
    open_tab,
    running_server,
)
from playwright.sync_api import Browser, Page, Playwright, Route, expect, sync_playwright

from search.local.store.build import build_index

WAIT = 10_000  # ms an expectation may take: a loaded 2-core CI machine
SHOTS = ROOT / "artifacts" / "screenshots"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
OPENED: list[tuple[str, Tab]] = []  # (test, tab) of this module, for the last test

TabFactory = Callable[..., Tab]


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def server(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Serve an index of the shared corpus with `search serve` on a free port."""
    folder = tmp_path_factory.mktemp("page")
    build_index(corpus_dir, folder / "index", progress=False)
    with running_server(folder / "index", folder / "server.log") as running:
        yield running


class Chromium:
    """Debian's Chromium, launched at the first tab a test opens and shared by the module.

    Launching inside the test (not in a fixture's setup) makes a missing browser a test
    FAILURE with a clear message: CI installs it, so it must never be skipped."""

    def __init__(self) -> None:
        self.playwright: Playwright | None = None
        self.browser: Browser | None = None

    def get(self) -> Browser:
        if self.browser is None:
            if not CHROMIUM.is_file():
                pytest.fail(
                    f"Chromium is missing at {CHROMIUM}: install Debian's `chromium` package "
                    "(these tests drive it with Playwright; `playwright install` is not used)",
                    pytrace=False,
                )
            self.playwright = sync_playwright().start()
            self.browser = self.playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
        return self.browser

    def close(self) -> None:
        if self.browser is not None:
            self.browser.close()
        if self.playwright is not None:
            self.playwright.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    holder = Chromium()
    try:
        yield holder
    finally:
        holder.close()


@pytest.fixture
def tabs(
    chromium: Chromium, server: Server, request: pytest.FixtureRequest
) -> Iterator[TabFactory]:
    """Return a function opening fresh contexts (closed after the test)."""
    mine: list[Tab] = []

    def new(base: str | None = None, *, checked: bool = True, **options: Any) -> Tab:
        """Open a tab; `checked=False` keeps its errors out of the last test (a test that
        provokes a known bug checks its own)."""
        tab = open_tab(chromium.get(), base or server.base, **options)
        mine.append(tab)
        if checked:
            OPENED.append((request.node.name, tab))
        return tab

    yield new
    for tab in mine:
        tab.context.close()


def shot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Save a screenshot as artifacts/screenshots/NAME.png and return its path."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=full_page, animations="disabled", caret="hide")
    assert path.stat().st_size > 1_000, f"{path} looks empty"
    return path


# ---------------------------------------------------------------- reading the page


def pairs_of(url: str) -> Pairs:
    """Return the query-string pairs of a URL."""
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def url_of(*pairs: tuple[str, str]) -> str:
    """Return the page path for pairs, encoded the way the page encodes its links."""
    return "/?" + urlencode(list(pairs)) if pairs else "/"


def documents(body: dict[str, Any]) -> int:
    """Return the matching documents of an answer (a grouped one's `total` counts stories)."""
    count: int = body["group"]["documents"] if "group" in body else body["total"]
    return count


def api_titles(body: dict[str, Any]) -> list[str]:
    return [hit["title"] for hit in body["hits"]]


def hit_titles(page: Page) -> list[str]:
    return [" ".join(t.split()) for t in page.locator("ol.hits > li.hit h3").all_text_contents()]


def expect_titles(page: Page, titles: list[str]) -> None:
    """Wait until the result list shows exactly these titles, in this order."""
    if titles:
        expect(page.locator("ol.hits > li.hit h3")).to_have_text(titles, timeout=WAIT)
    else:
        expect(page.locator("ol.hits > li.hit")).to_have_count(0, timeout=WAIT)


def settled(page: Page) -> None:
    """Wait until no page swap is in flight (search.js marks one with body.loading)."""
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bloading\b"), timeout=WAIT)


def total(page: Page) -> int:
    return int(page.locator(".summary strong").inner_text().replace(",", ""))


def facet(page: Page, name: str) -> list[tuple[str, int, bool]]:
    """Return (value, count, checked) of every option of a facet, shown or folded."""
    rows: list[list[str]] = page.locator(f"section.facet[data-facet={name}] a.option").evaluate_all(
        """options => options.map(o => [o.dataset.value,
            o.querySelector('.count').textContent, o.getAttribute('aria-checked')])"""
    )
    return [(value, int(count), checked == "true") for value, count, checked in rows]


def api_facet(body: dict[str, Any], name: str) -> list[tuple[str, int, bool]]:
    return [(v["value"], v["count"], v["selected"]) for v in body["facets"][name]]


def chips(page: Page) -> list[str]:
    return [t.replace("\u00d7", "").strip() for t in page.locator(".chips .chip").all_inner_texts()]


def bars(page: Page) -> list[str]:
    """Return the timeline's bar titles ("2019: 8", "March 2021: 69")."""
    return page.locator("figure.timeline svg a title").all_text_contents()


def options(page: Page) -> list[tuple[str, str]]:
    """Return (text, kind) of the suggestions shown."""
    rows: list[list[str]] = page.locator("#suggestions [role=option]").evaluate_all(
        "items => items.map(i => [i.children[0].textContent, i.children[1].textContent])"
    )
    return [(text, kind) for text, kind in rows]


def expect_options(page: Page, expected: list[tuple[str, str]]) -> None:
    """Wait until the suggestion list shows exactly these (text, kind), in this order
    (an answer for a shorter prefix may be shown on the way)."""
    items = page.locator("#suggestions [role=option]")
    expect(items.locator("span:first-child")).to_have_text([t for t, _ in expected], timeout=WAIT)
    expect(items.locator("span.kind")).to_have_text([k for _, k in expected])
    assert options(page) == expected


def selection(page: Page) -> list[str | None]:
    """Return aria-selected of each suggestion."""
    found: list[str | None] = page.locator("#suggestions [role=option]").evaluate_all(
        "items => items.map(i => i.getAttribute('aria-selected'))"
    )
    return found


def suggest(server: Server, prefix: str) -> list[tuple[str, str]]:
    response = httpx.get(f"{server.base}/api/suggest", params={"q": prefix, "limit": "8"})
    assert response.status_code == 200, response.text
    return [(s["text"], s["kind"]) for s in response.json()["suggestions"]]


def state(tab: Tab) -> tuple[str, list[str], list[str]]:
    """Return (path, hit titles, chips): what Back and reload must restore."""
    return tab.path, hit_titles(tab.page), chips(tab.page)


# ---------------------------------------------------------------- 1. search as you type


def test_typing_shows_results_without_enter(tabs: TabFactory, server: Server) -> None:
    tab = tabs()
    page = tab.page
    tab.goto("/")
    expect(page.locator("h1")).to_have_text("News search")
    shot(page, "01-initial")
    before = page.evaluate("history.length")
    expected = server.api([("q", "facial rec")])
    assert expected["total"] > 0

    q = page.locator("#q")
    # Slowly, a word at a time: the pause after each word outlasts the 200 ms debounce,
    # so results follow the typing. No Enter anywhere.
    q.press_sequentially("facial", delay=120)
    expect(page).to_have_url(tab.base + "/?q=facial", timeout=WAIT)
    expect_titles(page, api_titles(server.api([("q", "facial")])))
    settled(page)
    q.press_sequentially(" rec", delay=120)

    expect(page).to_have_url(tab.base + "/?q=facial+rec", timeout=WAIT)
    expect_titles(page, api_titles(expected))
    settled(page)
    assert total(page) == expected["total"]
    assert q.input_value() == "facial rec"  # no keystroke lost to a swap
    assert page.evaluate("document.activeElement.id") == "q"
    assert page.title() == "facial rec · News search"
    # typing refines one history step instead of adding one per keystroke
    assert page.evaluate("history.length") == before + 1
    assert tab.errors == []


# ---------------------------------------------------------------- 2. suggestions


def test_suggestions_work_with_the_keyboard(tabs: TabFactory, server: Server) -> None:
    tab = tabs()
    page, q, listbox = tab.page, tab.page.locator("#q"), tab.page.locator("#suggestions")
    tab.goto("/")
    expect(listbox).to_be_hidden()
    q.press_sequentially("comp", delay=60)

    expect(listbox).to_be_visible(timeout=WAIT)
    expected = suggest(server, "comp")
    assert len(expected) >= 3
    expect_options(page, expected)
    expect(q).to_have_attribute("aria-expanded", "true")
    rest = ["false"] * (len(expected) - 2)

    q.press("ArrowDown")
    assert selection(page) == ["true", "false", *rest]
    expect(q).to_have_attribute("aria-activedescendant", "suggestion-0")
    q.press("ArrowDown")
    assert selection(page) == ["false", "true", *rest]
    expect(q).to_have_attribute("aria-activedescendant", "suggestion-1")
    shot(page, "02-suggestions")
    q.press("ArrowUp")
    assert selection(page) == ["true", "false", *rest]

    q.press("Escape")
    expect(listbox).to_be_hidden()
    expect(page.locator("#suggestions [role=option]")).to_have_count(0)
    expect(q).to_have_attribute("aria-expanded", "false")
    assert q.get_attribute("aria-activedescendant") is None

    # Let the typed search settle first: choosing while it is pending is test_choosing_...
    expect(page).to_have_url(tab.base + "/?q=comp", timeout=WAIT)
    q.press("End")
    q.press_sequentially("u", delay=60)
    expect(page).to_have_url(tab.base + "/?q=compu", timeout=WAIT)
    expect(listbox).to_be_visible(timeout=WAIT)
    expect_options(page, suggest(server, "compu"))
    assert options(page)[0] == ("Computer Vision", "topic")
    q.press("ArrowDown")
    q.press("Enter")

    expect(page).to_have_url(tab.base + "/?topic=Computer+Vision", timeout=WAIT)
    expect(page.locator(".chips .chip")).to_have_count(1)
    assert chips(page) == ["topic: Computer Vision"]
    expect_titles(page, api_titles(server.api([("topic", "Computer Vision")])))
    assert q.input_value() == ""  # the partial word became the filter
    expect(listbox).to_be_hidden()
    assert tab.errors == []


def test_choosing_a_topic_right_after_typing_keeps_the_filter(tabs: TabFactory) -> None:
    tab = tabs(checked=False)
    page, q = tab.page, tab.page.locator("#q")
    tab.goto("/")
    q.press_sequentially("comp", delay=60)
    expect(page).to_have_url(tab.base + "/?q=comp", timeout=WAIT)
    expect(page.locator("#suggestions [role=option]").first).to_have_attribute(
        "data-text", "Computer Vision"
    )

    def slow(route: Route) -> None:  # a server or network slower than the 200 ms debounce
        time.sleep(1.5)
        route.continue_()

    page.route(re.compile(r"/\?topic="), slow)
    # A fast typist: one more letter, then Down and Enter on the list still open, well
    # within the 200 ms typing delay. Dispatched in one go, so that a loaded machine cannot
    # stretch the gaps between real key presses beyond it.
    page.evaluate(
        """() => {
            const q = document.getElementById('q');
            q.value += 'u';
            q.dispatchEvent(new Event('input', {bubbles: true}));
            for (const key of ['ArrowDown', 'Enter']) {
                const init = {key, bubbles: true, cancelable: true};
                q.dispatchEvent(new KeyboardEvent('keydown', init));
            }
        }"""
    )
    page.wait_for_timeout(400)  # the pending typed search has fired by now
    settled(page)
    assert tab.path == "/?topic=Computer+Vision"
    assert chips(page) == ["topic: Computer Vision"]


# ---------------------------------------------------------------- 3. facets


def test_ticking_a_topic_updates_results_counts_and_url(tabs: TabFactory, server: Server) -> None:
    tab = tabs()
    page = tab.page
    tab.goto(url_of(("q", "facial rec")))
    unfiltered = server.api([("q", "facial rec")])
    assert facet(page, "topic") == api_facet(unfiltered, "topic")

    page.locator("section.facet[data-facet=topic] a.option[data-value='Computer Vision']").click()

    wanted = url_of(("q", "facial rec"), ("topic", "Computer Vision"))
    expect(page).to_have_url(tab.base + wanted, timeout=WAIT)
    settled(page)
    expected = server.api(pairs_of(wanted))
    assert expected["total"] < unfiltered["total"]  # the filter does something here
    assert total(page) == expected["total"]
    assert facet(page, "topic") == api_facet(expected, "topic")
    assert ("Computer Vision", documents(expected), True) in facet(page, "topic")
    assert facet(page, "provider") == api_facet(expected, "provider")
    assert hit_titles(page) == api_titles(expected)
    assert chips(page) == ["topic: Computer Vision"]
    assert page.locator("#search-form input[type=hidden][name=topic]").evaluate_all(
        "inputs => inputs.map(i => i.value)"
    ) == ["Computer Vision"]
    shot(page, "03-filtered")
    assert tab.errors == []


# ---------------------------------------------------------------- 4. chips and clear all


def test_removing_a_chip_and_clear_all(tabs: TabFactory, server: Server) -> None:
    tab = tabs()
    page = tab.page
    start = [
        ("q", "facial rec"),
        ("topic", "Computer Vision"),
        ("topic", "AI"),
        ("from", "2019-01-01"),
        ("to", "2019-12-31"),
    ]
    tab.goto(url_of(*start))
    assert chips(page) == ["topic: Computer Vision", "topic: AI", "date: 2019-01-01 to 2019-12-31"]
    expect_titles(page, api_titles(server.api(start)))

    page.get_by_role("link", name="Remove topic: AI").click()
    wanted = url_of(*[p for p in start if p != ("topic", "AI")])
    expect(page).to_have_url(tab.base + wanted, timeout=WAIT)
    settled(page)
    assert chips(page) == ["topic: Computer Vision", "date: 2019-01-01 to 2019-12-31"]
    expect_titles(page, api_titles(server.api(pairs_of(wanted))))
    assert total(page) == server.api(pairs_of(wanted))["total"]

    page.get_by_role("link", name="Clear all").click()
    expect(page).to_have_url(tab.base + url_of(("q", "facial rec")), timeout=WAIT)
    settled(page)
    unfiltered = server.api([("q", "facial rec")])
    expect_titles(page, api_titles(unfiltered))
    assert total(page) == unfiltered["total"]
    assert chips(page) == []
    expect(page.locator("section.active")).to_have_count(0)
    assert facet(page, "topic") == api_facet(unfiltered, "topic")
    # the form follows, so the next typed search is unfiltered too
    expect(page.locator("#search-form input[type=hidden]")).to_have_count(0)
    assert page.locator("#from").input_value() == ""
    assert page.locator("#to").input_value() == ""
    assert tab.errors == []


# ---------------------------------------------------------------- 5. timeline


def test_clicking_a_year_bar_narrows_to_that_year(tabs: TabFactory, server: Server) -> None:
    tab = tabs()
    page = tab.page
    tab.goto(url_of(("q", "facial rec")))
    body = server.api([("q", "facial rec")])
    years = {int(y["value"]): y["count"] for y in body["facets"]["year"]}
    span = range(min(years), max(years) + 1)
    assert bars(page) == [f"{y}: {years.get(y, 0)}" for y in span]
    year = max(years, key=lambda y: years[y])  # the tallest bar: easy to hit

    page.locator("figure.timeline svg a").nth(year - span.start).click()

    wanted = url_of(("q", "facial rec"), ("from", f"{year}-01-01"), ("to", f"{year}-12-31"))
    expect(page).to_have_url(tab.base + wanted, timeout=WAIT)
    settled(page)
    expect(page.locator("figure.timeline")).to_have_attribute("aria-label", "Results per month")
    expect(page.locator("figure.timeline svg a")).to_have_count(12)
    assert page.locator("figure.timeline .axis a").all_inner_texts() == MONTHS
    narrowed = server.api(pairs_of(wanted))
    months = {m["value"]: m["count"] for m in narrowed["facets"]["month"]}
    names = [
        "January", "February", "March", "April", "May", "June", "July",
        "August", "September", "October", "November", "December",
    ]  # fmt: skip
    assert bars(page) == [
        f"{name} {year}: {months.get(f'{year}-{i:02d}', 0)}" for i, name in enumerate(names, 1)
    ]
    assert total(page) == narrowed["total"]
    assert documents(narrowed) == years[year]
    dates = page.locator("ol.hits > li.hit time").evaluate_all(
        "times => times.map(t => t.getAttribute('datetime'))"
    )
    assert len(dates) == len(narrowed["hits"]) > 0
    assert all(d.startswith(f"{year}-") for d in dates), dates
    assert hit_titles(page) == api_titles(narrowed)
    assert chips(page) == [f"date: {year}-01-01 to {year}-12-31"]
    assert page.locator("#from").input_value() == f"{year}-01-01"
    assert page.locator("#to").input_value() == f"{year}-12-31"
    shot(page, "05-months")
    assert tab.errors == []


# ---------------------------------------------------------------- 6. history


def test_back_and_reload_restore_the_state(tabs: TabFactory, server: Server) -> None:
    tab = tabs()
    page = tab.page
    tab.goto("/")
    start = state(tab)
    page.locator("#q").fill("recognition")  # one input event; 13 stories: a second page
    expect(page).to_have_url(tab.base + url_of(("q", "recognition")), timeout=WAIT)
    expect_titles(page, api_titles(server.api([("q", "recognition")])))
    typed = state(tab)

    page.locator("section.facet[data-facet=topic] a.option[data-value='Computer Vision']").click()
    ticked_url = url_of(("q", "recognition"), ("topic", "Computer Vision"))
    expect(page).to_have_url(tab.base + ticked_url, timeout=WAIT)
    settled(page)
    ticked = state(tab)

    page.locator("nav.sorts").get_by_role("link", name="Newest").click()
    newest_url = url_of(("q", "recognition"), ("topic", "Computer Vision"), ("sort", "newest"))
    expect(page).to_have_url(tab.base + newest_url, timeout=WAIT)
    settled(page)
    newest = state(tab)
    assert newest[1] == api_titles(server.api(pairs_of(newest_url)))
    assert newest[1] != ticked[1]  # the order changed, so Back has something to restore

    page.locator("nav.pager").get_by_role("link", name="Next \u203a").click()
    expect(page).to_have_url(tab.base + newest_url + "&page=2", timeout=WAIT)
    settled(page)
    second = state(tab)
    assert second[1] == api_titles(server.api([*pairs_of(newest_url), ("page", "2")]))

    for earlier in (newest, ticked, typed, start):
        page.go_back()
        expect(page).to_have_url(tab.base + earlier[0], timeout=WAIT)
        expect_titles(page, earlier[1])
        settled(page)
        assert state(tab) == earlier
    assert page.locator("#q").input_value() == ""

    page.go_forward()
    expect(page).to_have_url(tab.base + typed[0], timeout=WAIT)
    expect_titles(page, typed[1])
    page.go_forward()
    expect(page).to_have_url(tab.base + ticked[0], timeout=WAIT)
    expect_titles(page, ticked[1])
    settled(page)
    assert state(tab) == ticked
    assert page.locator("#q").input_value() == "recognition"

    page.reload()
    assert state(tab) == ticked
    assert facet(page, "topic") == api_facet(server.api(pairs_of(ticked_url)), "topic")
    assert tab.errors == []


def test_back_while_typing_restores_the_search_box(tabs: TabFactory, server: Server) -> None:
    tab = tabs(checked=False)
    page, q = tab.page, tab.page.locator("#q")
    tab.goto(url_of(("q", "privacy")))
    q.fill("")
    q.press_sequentially("facial rec", delay=40)
    expect(page).to_have_url(tab.base + url_of(("q", "facial rec")), timeout=WAIT)
    settled(page)

    page.go_back()  # the focus is still in the box, as after Alt+Left
    expect(page).to_have_url(tab.base + url_of(("q", "privacy")), timeout=WAIT)
    expect_titles(page, api_titles(server.api([("q", "privacy")])))
    settled(page)
    expect(q).to_have_value("privacy", timeout=2_000)


def test_a_superseded_swap_is_dropped_quietly(tabs: TabFactory) -> None:
    tab = tabs(checked=False)
    page = tab.page
    tab.goto(url_of(("q", "robot")))
    topics = page.locator("section.facet[data-facet=topic] a.option")
    second = topics.nth(1).get_attribute("href")
    assert second is not None
    # A slow network: headers come at once, a ~17 kB page takes about two seconds.
    cdp = tab.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": 8_000, "uploadThroughput": -1},
    )
    topics.nth(0).click()
    page.wait_for_timeout(600)  # its answer is arriving
    topics.nth(1).click()  # changed my mind: this one replaces it

    expect(page).to_have_url(tab.base + second, timeout=WAIT)
    settled(page)
    page.wait_for_timeout(200)
    assert tab.errors == []


# ---------------------------------------------------------------- stories


def test_story_coverage_expands_and_more_like_this(tabs: TabFactory, server: Server) -> None:
    tab = tabs()
    page = tab.page
    path = url_of(("q", "facial recognition"))
    tab.goto(path)
    expected = server.api(pairs_of(path))
    expect_titles(page, api_titles(expected))
    assert total(page) == expected["total"] < documents(expected)
    grouped = [hit for hit in expected["hits"] if hit["story"]["more_count"]]
    assert grouped, "facial recognition has stories covered by several outlets"
    first = grouped[0]
    item = page.locator(f"ol.hits > li.hit[data-id='{first['id']}']")
    summary = item.locator("details.coverage summary")
    expect(summary).to_have_text(f"{first['story']['more_count']} more from other outlets")
    others = item.locator("details.coverage li .title")
    expect(others.first).to_be_hidden()
    summary.click()  # a plain <details>: it opens with or without the script
    expect(others.first).to_be_visible()
    assert [" ".join(t.split()) for t in others.all_inner_texts()] == [
        other["title"] for other in first["story"]["more"]
    ]
    shot(page, "story-coverage")

    item.locator("a.like").click()
    like_url = url_of(("like", first["id"]))
    expect(page).to_have_url(tab.base + like_url, timeout=WAIT)
    settled(page)
    similar = server.api(pairs_of(like_url))
    expect_titles(page, api_titles(similar))
    assert similar["total"] > 0 and first["id"] not in [hit["id"] for hit in similar["hits"]]
    expect(page.locator(".summary")).to_contain_text(
        f"like the chosen article, for “{similar['query']}”"
    )

    page.locator(".summary a.grouping").click()  # "Show every article"
    every_url = url_of(("like", first["id"]), ("group", "none"))
    expect(page).to_have_url(tab.base + every_url, timeout=WAIT)
    settled(page)
    flat = server.api(pairs_of(every_url))
    expect_titles(page, api_titles(flat))
    assert total(page) == flat["total"] == documents(similar)
    expect(page.locator("details.coverage")).to_have_count(0)
    assert tab.errors == []


# ---------------------------------------------------------------- 7. without JavaScript


def test_without_javascript_the_page_is_the_same(tabs: TabFactory, server: Server) -> None:
    path = url_of(("q", "recognition"), ("topic", "Computer Vision"))
    views = []
    for javascript in (True, False):
        tab = tabs(javascript=javascript)
        tab.goto(path)
        page = tab.page
        views.append(
            {
                "titles": hit_titles(page),
                "total": total(page),
                "topic": facet(page, "topic"),
                "provider": facet(page, "provider"),
                "timeline": bars(page),
                "chips": chips(page),
                "pager": page.locator("nav.pager a").all_inner_texts(),
            }
        )
    with_js, without_js = views
    expected = server.api(pairs_of(path))
    assert with_js == without_js
    assert without_js["titles"] == api_titles(expected)
    assert without_js["total"] == expected["total"]
    assert without_js["topic"] == api_facet(expected, "topic")
    assert without_js["timeline"] != []
    assert without_js["pager"] != []
    # and the script really did not run here (search.js makes #results focusable)
    assert page.locator("#results").get_attribute("tabindex") is None

    # The form works by itself: Enter submits it, the filters ride along as hidden fields.
    page.locator("#q").fill("privacy")
    with page.expect_navigation():
        page.locator("#q").press("Enter")
    assert urlsplit(page.url).path == "/"
    submitted = pairs_of(page.url)
    assert [p for p in submitted if p[1] != ""] == [
        ("q", "privacy"),
        ("topic", "Computer Vision"),
    ]
    expect_titles(page, api_titles(server.api(submitted)))
    assert chips(page) == ["topic: Computer Vision"]

    # Links work too: a timeline bar is a plain link to that year.
    page.locator("figure.timeline .axis a").first.click()
    expect(page).to_have_url(re.compile(r"from=\d{4}-01-01&to=\d{4}-12-31$"))
    expect(page.locator("figure.timeline svg a")).to_have_count(12)
    assert tab.errors == []


# ---------------------------------------------------------------- 9. escaping


EVIL_TITLE = "<script>alert(1)</script> Lab tests a <b>bold</b> robot"
EVIL = f"""title: '{EVIL_TITLE}'
excerpt: 'A robot <img src=x onerror="alert(2)"> escaped the lab & "quotes".'
publishedDateTime: 2024-05-01T10:00:00Z
webUrl: "https://example.com/evil"
provider:
  name: "<i>Evil</i> News"
  domain: evil.example
topics:
  - "<em>Robots</em>"
"""
PLAIN = """title: "An ordinary robot story"
excerpt: "Nothing to see here, only a robot."
publishedDateTime: 2023-03-01T10:00:00Z
webUrl: "https://example.com/plain"
topics:
  - Robots
"""


def test_titles_with_markup_show_as_text(
    tabs: TabFactory, seeds_dir: Path, write_seed: Callable[..., Path], tmp_path: Path
) -> None:
    write_seed("2024-05-01-evil.md", EVIL)
    write_seed("2023-03-01-plain.md", PLAIN)
    report = build_index(seeds_dir, tmp_path / "index", progress=False)
    assert report.documents == 2
    with running_server(tmp_path / "index", tmp_path / "server.log") as evil_server:
        tab = tabs(evil_server.base)
        page = tab.page
        # match=all: the one document holding every word (most would add the other)
        tab.goto(url_of(("q", "script alert robot"), ("match", "all")))
        title = page.locator("ol.hits > li.hit h3").first
        expect(title).to_have_text(EVIL_TITLE)
        # highlights are <mark> elements around escaped text, nothing else
        assert title.locator("mark").all_text_contents() == ["script", "alert", "script", "robot"]
        assert title.locator("a *:not(mark)").count() == 0
        markup = title.inner_html()
        escaped = "&lt;<mark>script</mark>&gt;<mark>alert</mark>(1)&lt;/<mark>script</mark>&gt;"
        assert escaped in markup
        assert "&lt;b&gt;bold&lt;/b&gt;" in markup
        excerpt = page.locator("ol.hits > li.hit .excerpt").first
        expect(excerpt).to_have_text(
            'A robot <img src=x onerror="alert(2)"> escaped the lab & "quotes".'
        )
        assert excerpt.locator("*:not(mark)").count() == 0
        assert (
            page.locator("#main script, #main img[onerror], #main b, #main i, #main em").count()
            == 0
        )
        text = page.locator("body").inner_text()
        assert "<script>alert(1)</script>" in text
        assert "<i>Evil</i> News" in text
        body = evil_server.api([("q", "script alert robot"), ("match", "all")])
        assert facet(page, "topic") == api_facet(body, "topic") == [("<em>Robots</em>", 1, False)]

        # the same through search.js: typed search and suggestions insert text, not HTML
        page.locator("#q").fill("")
        page.locator("#q").press_sequentially("scri", delay=60)
        expect(page.locator("#suggestions")).to_be_visible(timeout=WAIT)
        shown = suggest(evil_server, "scri")
        assert (EVIL_TITLE, "title") in shown
        expect_options(page, shown)
        # the form keeps match=all from the URL, as it keeps every other setting
        expect(page).to_have_url(tab.base + url_of(("q", "scri"), ("match", "all")), timeout=WAIT)
        expect(page.locator("ol.hits > li.hit h3").first).to_have_text(EVIL_TITLE, timeout=WAIT)
        assert page.locator("#main script, #main img[onerror], #main b").count() == 0
        assert page.locator("#suggestions b, #suggestions script").count() == 0
        page.wait_for_timeout(300)  # a dialog would be reported by now
        assert tab.dialogs == []
        assert tab.errors == []


# ---------------------------------------------------------------- 10. accessibility


def test_accessibility_basics(tabs: TabFactory) -> None:
    tab = tabs()
    page = tab.page
    tab.goto(url_of(("q", "facial rec")))
    unlabelled = page.locator("input:not([type=hidden]), select, textarea").evaluate_all(
        """fields => fields.filter(f => f.labels.length === 0
            && !f.getAttribute('aria-label') && !f.getAttribute('aria-labelledby'))
            .map(f => f.outerHTML)"""
    )
    assert unlabelled == []
    assert page.locator("input:not([type=hidden])").count() >= 3
    expect(page.locator("h1")).to_have_count(1)
    assert page.locator("h2").all_inner_texts()[:2] == ["Topics", "Providers"]
    nameless = page.locator("a, button").evaluate_all(
        """els => els.filter(e => !(e.textContent.trim() || e.getAttribute('aria-label')
            || e.querySelector('title'))).map(e => e.outerHTML)"""
    )
    assert nameless == []

    # Keyboard focus is visible where Tab lands. A date input takes several stops (month,
    # day, year, then its calendar button, which Chromium rings itself inside the control),
    # so each element is judged when focus arrives on it.
    arrivals: list[list[str]] = []
    for _ in range(16):
        page.keyboard.press("Tab")
        stop: list[str] = page.evaluate(
            """() => { const e = document.activeElement, s = getComputedStyle(e);
              return [e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                      + (e.className ? '.' + e.className.split(' ').join('.') : ''),
                      s.outlineStyle, s.outlineWidth, e.textContent.trim().slice(0, 30)]; }"""
        )
        if not arrivals or arrivals[-1][0] != stop[0]:
            arrivals.append(stop)
    invisible = [s for s in arrivals if s[1] == "none" or s[2] == "0px"]
    assert invisible == [], arrivals
    visited = [s[0] for s in arrivals]
    assert visited[:5] == ["a.skip", "a", "input#q", "input#from", "input#to"], visited
    assert "button" in visited

    # At 375 px the layout is one column: the filters come after the results.
    narrow = tabs(viewport={"width": 375, "height": 812})
    narrow.goto(url_of(("q", "facial rec")))
    aside = narrow.page.locator("aside.facets").bounding_box()
    results = narrow.page.locator("section.results").bounding_box()
    assert aside is not None
    assert results is not None
    assert aside["y"] > results["y"]
    assert aside["y"] >= results["y"] + results["height"]
    assert abs(aside["x"] - results["x"]) < 1
    width = narrow.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways at 375 px ({width} px wide)"
    shot(narrow.page, "10-mobile", full_page=True)
    assert tab.errors == []
    assert narrow.errors == []


# ---------------------------------------------------------------- 11. errors


def test_errors_are_friendly_pages(tabs: TabFactory, tmp_path: Path) -> None:
    tab = tabs()
    page = tab.page
    response = page.goto(tab.base + "/?page=0")
    assert response is not None
    assert response.status == 400
    assert response.header_value("content-type") == "text/html; charset=utf-8"
    expect(page.get_by_role("alert")).to_contain_text("That search could not be run")
    expect(page.locator("h2")).to_have_text("That search could not be run")
    assert not page.locator("body").inner_text().lstrip().startswith("{")
    assert "page" in page.get_by_role("alert").inner_text()
    shot(page, "11-error-400")
    # Chromium reports a document answered with 4xx/5xx on the console; that one is expected.
    assert tab.errors == [
        "console: Failed to load resource: the server responded with a status of 400 "
        f"(Bad Request) ({tab.base}/?page=0)"
    ]
    tab.errors.clear()

    empty = tmp_path / "empty-index"
    empty.mkdir()
    with running_server(empty, tmp_path / "server.log") as unready:
        fresh = tabs(unready.base)
        response = fresh.page.goto(unready.base + "/?q=anything")
        assert response is not None
        assert response.status == 503
        assert response.header_value("content-type") == "text/html; charset=utf-8"
        expect(fresh.page.locator("h2")).to_have_text("The search index is not ready yet")
        expect(fresh.page.get_by_role("alert")).to_contain_text("search rebuild-index")
        assert fresh.page.locator("#q").input_value() == "anything"
        shot(fresh.page, "11-error-503")
        assert fresh.errors == [
            "console: Failed to load resource: the server responded with a status of 503 "
            f"(Service Unavailable) ({unready.base}/?q=anything)"
        ]
        fresh.errors.clear()


# ---------------------------------------------------------------- 8. no console errors


def test_no_console_or_page_errors(tabs: TabFactory, server: Server) -> None:
    """A tour of every enhanced feature, then: no console error, no page error, here or
    in any earlier test of this module (expected 4xx/5xx documents were checked there)."""
    tab = tabs()
    page, q = tab.page, tab.page.locator("#q")
    tab.goto("/")
    more = page.locator("section.facet[data-facet=provider] .show-more")
    more.click()
    expect(more).to_have_attribute("aria-expanded", "true")
    expect(page.locator("section.facet[data-facet=provider] li.more").first).to_be_visible()
    page.locator("details.coverage summary").first.click()
    expect(page.locator("details.coverage").first).to_have_attribute("open", "")

    q.press_sequentially("robot", delay=80)
    expect(page.locator("#suggestions")).to_be_visible(timeout=WAIT)
    q.press("ArrowDown")
    q.press("ArrowDown")
    q.press("Escape")
    expect(page).to_have_url(tab.base + "/?q=robot", timeout=WAIT)
    settled(page)
    page.locator("section.facet[data-facet=topic] a.option").first.click()
    expect(page).to_have_url(re.compile(r"topic="), timeout=WAIT)
    settled(page)
    page.locator("figure.timeline svg a").last.click()
    expect(page).to_have_url(re.compile(r"from="), timeout=WAIT)
    settled(page)
    page.locator("nav.sorts").get_by_role("link", name="Oldest").click()
    expect(page).to_have_url(re.compile(r"sort=oldest"), timeout=WAIT)
    settled(page)
    for step in (page.go_back, page.go_back, page.go_forward):
        # one at a time: quick repeats are test_a_superseded_swap_is_dropped_quietly
        before = page.url
        step()
        expect(page).not_to_have_url(before, timeout=WAIT)
        settled(page)
    q.fill("privacy")
    # Enter after the typed search settled: Enter within TYPE_DELAY of a keystroke lets
    # the pending typed search abort the submitted one (test_a_superseded_swap_...)
    expect(page).to_have_url(re.compile(r"q=privacy"), timeout=WAIT)
    settled(page)
    q.press("Enter")
    settled(page)
    expect_titles(page, api_titles(server.api(pairs_of(page.url))))  # filters kept
    page.wait_for_timeout(300)  # late errors (image loads, stray timers) arrive by now
    assert tab.errors == []
    assert tab.dialogs == []
    everywhere = [(test, error) for test, opened in OPENED for error in opened.errors]
    assert everywhere == []
