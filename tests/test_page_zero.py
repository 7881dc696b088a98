"""The search page in a real browser: a search that finds nothing offers what would find
something (the spelling suggestion, a relaxed query, a filter removed), each with the
count it gives, and shows no empty facets."""

from __future__ import annotations

import re

import pytest
from browser_support import Server
from page_support import (
    WAIT,
    TabFactory,
    api_titles,
    documents,
    expect_titles,
    pairs_of,
    settled,
    url_of,
)
from playwright.sync_api import expect

START = [("q", "facial recognition zzyzx"), ("match", "all"), ("topic", "AI")]
CHANGES = [  # offers.candidates of START, in order: each offered when it finds something
    ("Match most of your words", [("q", "facial recognition zzyzx"), ("topic", "AI")]),
    ("Search without “facial”", [*START[1:], ("q", "recognition zzyzx")]),
    ("Search without “recognition”", [*START[1:], ("q", "facial zzyzx")]),
    ("Search without “zzyzx”", [*START[1:], ("q", "facial recognition")]),
    ("Remove topic: AI", START[:2]),
]


def _offers(server: Server) -> list[str]:
    """Return the offers' texts the page should show for START: the CHANGES that find
    something, with their counts (stories: the page groups by story)."""
    found = []
    for label, changed in CHANGES:
        total = server.api(changed)["total"]
        if total:
            found.append(f"{label} {total:,} {'story' if total == 1 else 'stories'}")
    return found


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_zero_hits_offer_a_relaxed_query_and_filters_removed(
    tabs: TabFactory, page_server: Server, javascript: bool
) -> None:
    tab = tabs(javascript=javascript)
    page = tab.page
    tab.goto(url_of(*START))
    body = page_server.api(START)
    assert body["total"] == 0 and body["suggestion"] is None
    expect(page.locator("section.zero h2")).to_have_text(
        "No results for “facial recognition zzyzx”"
    )
    offers = page.locator("ul.offers > li")
    expected = _offers(page_server)
    assert len(expected) >= 2, "this search can be relaxed two ways at least"
    expect(offers).to_have_text(expected)
    # nothing says "None", no facet is listed without values, no result count of 0
    text = page.locator("body").inner_text()
    assert "None" not in text
    assert page.locator("section.facet").evaluate_all(
        "sections => sections.map(s => s.dataset.facet)"
    ) == ["date", "topic"]  # the selected topic stays, to be unticked
    expect(page.locator(".summary")).to_have_count(0)
    expect(page.locator("section.zero a.follow")).to_have_text("Follow this search")

    page.get_by_role("link", name="Search without “zzyzx”").click()
    wanted = url_of(("match", "all"), ("topic", "AI"), ("q", "facial recognition"))
    expect(page).to_have_url(tab.base + wanted, timeout=WAIT)
    settled(page)
    found = page_server.api(pairs_of(wanted))
    expect_titles(page, api_titles(found))
    assert documents(found) > 0
    assert tab.errors == []


def test_a_misspelling_offers_the_correction(tabs: TabFactory, page_server: Server) -> None:
    tab = tabs()
    page = tab.page
    tab.goto(url_of(("q", "facal recogniton")))
    suggested = page_server.api([("q", "facal recogniton")])
    assert suggested["total"] == 0 and suggested["suggestion"] == "facial recognition"
    corrected = page_server.api([("q", "facial recognition")])
    offer = page.locator("ul.offers > li.spelling")
    expect(offer).to_have_text(
        re.compile(rf"^Did you mean facial recognition\s?\? {corrected['total']} stories$")
    )
    offer.locator("a").click()
    expect(page).to_have_url(tab.base + url_of(("q", "facial recognition")), timeout=WAIT)
    settled(page)
    expect_titles(page, api_titles(corrected))
    assert page.locator("#q").input_value() == "facial recognition"
    assert tab.errors == []
