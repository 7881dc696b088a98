"""The search page in a real browser at a phone's width: one column, the facets behind a
"Filters" button (a plain <details>: it opens with or without JavaScript)."""

from __future__ import annotations

import re

import pytest
from browser_support import Server
from page_support import (
    WAIT,
    TabFactory,
    api_facet,
    api_titles,
    chips,
    expect_titles,
    facet,
    pairs_of,
    settled,
    shot,
    url_of,
)
from playwright.sync_api import ViewportSize, expect

PHONE: ViewportSize = {"width": 400, "height": 860}


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_filters_button_opens_the_facets(
    tabs: TabFactory, page_server: Server, javascript: bool
) -> None:
    tab = tabs(javascript=javascript, viewport=PHONE)
    page = tab.page
    path = url_of(("q", "facial rec"))
    tab.goto(path)
    expected = page_server.api(pairs_of(path))
    button = page.locator("details.filters > summary")
    facets = page.locator("aside.facets")
    expect(button).to_be_visible()
    expect(button).to_have_text("Filters")
    expect(facets).to_be_hidden()
    # closed, the button sits right above the results
    box, results = button.bounding_box(), page.locator("section.results").bounding_box()
    assert box is not None and results is not None
    assert box["y"] + box["height"] <= results["y"] < box["y"] + box["height"] + 40
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways at 400 px ({width} px wide)"
    shot(page, f"phone-closed-{'js' if javascript else 'nojs'}")

    button.focus()
    page.keyboard.press("Enter")  # a <details> summary is a button to the keyboard too
    expect(facets).to_be_visible()
    assert facet(page, "topic") == api_facet(expected, "topic")
    shot(page, f"phone-open-{'js' if javascript else 'nojs'}", full_page=True)

    page.locator("section.facet[data-facet=topic] a.option[data-value='Computer Vision']").click()
    wanted = url_of(("q", "facial rec"), ("topic", "Computer Vision"))
    expect(page).to_have_url(tab.base + wanted, timeout=WAIT)
    settled(page)
    expect_titles(page, api_titles(page_server.api(pairs_of(wanted))))
    assert chips(page) == ["topic: Computer Vision"]
    # the button counts the filters in force
    expect(button).to_have_text(re.compile(r"^Filters\s*1 active$"))
    if javascript:  # ticking one filter after another: the panel stays open
        expect(facets).to_be_visible()
    else:  # a new page: closed again, the results first
        expect(facets).to_be_hidden()
    assert tab.errors == []


def test_wide_windows_show_the_facets_without_a_button(tabs: TabFactory) -> None:
    tab = tabs(javascript=False)
    tab.goto(url_of(("q", "facial rec")))
    expect(tab.page.locator("details.filters > summary")).to_be_hidden()
    expect(tab.page.locator("aside.facets")).to_be_visible()
    assert tab.page.locator("details.filters").get_attribute("open") is None
    # narrowed to a phone's width, the same page folds them away
    tab.page.set_viewport_size(PHONE)
    expect(tab.page.locator("aside.facets")).to_be_hidden()
    expect(tab.page.locator("details.filters > summary")).to_be_visible()
    assert tab.errors == []
