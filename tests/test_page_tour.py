"""The search page in a real browser: a tour of every enhanced feature with no console
or page error, here or in any page test before it.

This module's name sorts after every other tests/test_page_*.py, so that in a run of
them all it comes last and page_support.OPENED holds the tabs of all the others.
"""

from __future__ import annotations

import re

from browser_support import Server
from page_support import OPENED, WAIT, TabFactory, api_titles, expect_titles, pairs_of, settled
from playwright.sync_api import expect

# ---------------------------------------------------------------- 8. no console errors


def test_no_console_or_page_errors(tabs: TabFactory, page_server: Server) -> None:
    """A tour of every enhanced feature, then: no console error, no page error, here or
    in any earlier page test of the run (page_support.OPENED; expected 4xx/5xx documents
    were checked there)."""
    tab = tabs()
    page, q = tab.page, tab.page.locator("#q")
    tab.goto("/")
    more = page.locator("section.facet[data-facet=provider] details.more")
    more.locator("summary").click()
    expect(more).to_have_attribute("open", "")
    expect(more.locator("a.option").first).to_be_visible()
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
    expect_titles(page, api_titles(page_server.api(pairs_of(page.url))))  # filters kept
    page.wait_for_timeout(300)  # late errors (image loads, stray timers) arrive by now
    assert tab.errors == []
    assert tab.dialogs == []
    everywhere = [(test, error) for test, opened in OPENED for error in opened.errors]
    assert everywhere == []
