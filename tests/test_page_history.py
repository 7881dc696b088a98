"""The search page in a real browser: Back, Forward and reload restore what was shown,
and a swap overtaken by a newer one is dropped quietly."""

from __future__ import annotations

from browser_support import Server
from page_support import (
    WAIT,
    TabFactory,
    api_facet,
    api_titles,
    expect_titles,
    facet,
    pairs_of,
    settled,
    state,
    url_of,
)
from playwright.sync_api import expect

# ---------------------------------------------------------------- 6. history


def test_back_and_reload_restore_the_state(tabs: TabFactory, page_server: Server) -> None:
    tab = tabs()
    page = tab.page
    tab.goto("/")
    start = state(tab)
    page.locator("#q").fill("recognition")  # one input event; 13 stories: a second page
    expect(page).to_have_url(tab.base + url_of(("q", "recognition")), timeout=WAIT)
    expect_titles(page, api_titles(page_server.api([("q", "recognition")])))
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
    assert newest[1] == api_titles(page_server.api(pairs_of(newest_url)))
    assert newest[1] != ticked[1]  # the order changed, so Back has something to restore

    page.locator("nav.pager").get_by_role("link", name="Next \u203a").click()
    expect(page).to_have_url(tab.base + newest_url + "&page=2", timeout=WAIT)
    settled(page)
    second = state(tab)
    assert second[1] == api_titles(page_server.api([*pairs_of(newest_url), ("page", "2")]))

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
    assert facet(page, "topic") == api_facet(page_server.api(pairs_of(ticked_url)), "topic")
    assert tab.errors == []


def test_back_while_typing_restores_the_search_box(tabs: TabFactory, page_server: Server) -> None:
    tab = tabs(checked=False)
    page, q = tab.page, tab.page.locator("#q")
    tab.goto(url_of(("q", "privacy")))
    q.fill("")
    q.press_sequentially("facial rec", delay=40)
    expect(page).to_have_url(tab.base + url_of(("q", "facial rec")), timeout=WAIT)
    settled(page)

    page.go_back()  # the focus is still in the box, as after Alt+Left
    expect(page).to_have_url(tab.base + url_of(("q", "privacy")), timeout=WAIT)
    expect_titles(page, api_titles(page_server.api([("q", "privacy")])))
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
