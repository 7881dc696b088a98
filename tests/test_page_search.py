"""The search page in a real browser: search as you type, and the suggestions."""

from __future__ import annotations

import re
import time

from browser_support import Server
from page_support import (
    WAIT,
    TabFactory,
    api_titles,
    chips,
    expect_options,
    expect_titles,
    options,
    selection,
    settled,
    shot,
    suggest,
    total,
)
from playwright.sync_api import Route, expect

# ---------------------------------------------------------------- 1. search as you type


def test_typing_shows_results_without_enter(tabs: TabFactory, page_server: Server) -> None:
    tab = tabs()
    page = tab.page
    tab.goto("/")
    expect(page.locator("h1")).to_have_text("News search")
    shot(page, "01-initial")
    before = page.evaluate("history.length")
    expected = page_server.api([("q", "facial rec")])
    assert expected["total"] > 0

    q = page.locator("#q")
    # Slowly, a word at a time: the pause after each word outlasts the 200 ms debounce,
    # so results follow the typing. No Enter anywhere.
    q.press_sequentially("facial", delay=120)
    expect(page).to_have_url(tab.base + "/?q=facial", timeout=WAIT)
    expect_titles(page, api_titles(page_server.api([("q", "facial")])))
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


def test_suggestions_work_with_the_keyboard(tabs: TabFactory, page_server: Server) -> None:
    tab = tabs()
    page, q, listbox = tab.page, tab.page.locator("#q"), tab.page.locator("#suggestions")
    tab.goto("/")
    expect(listbox).to_be_hidden()
    q.press_sequentially("comp", delay=60)

    expect(listbox).to_be_visible(timeout=WAIT)
    expected = suggest(page_server, "comp")
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
    expect_options(page, suggest(page_server, "compu"))
    assert options(page)[0] == ("Computer Vision", "topic")
    q.press("ArrowDown")
    q.press("Enter")

    expect(page).to_have_url(tab.base + "/?topic=Computer+Vision", timeout=WAIT)
    expect(page.locator(".chips .chip")).to_have_count(1)
    assert chips(page) == ["topic: Computer Vision"]
    expect_titles(page, api_titles(page_server.api([("topic", "Computer Vision")])))
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
