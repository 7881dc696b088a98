"""The search page in a real browser: ticking facets, the filter chips and Clear all,
and the timeline (a bar narrows the dates)."""

from __future__ import annotations

from browser_support import Server
from page_support import (
    MONTHS,
    WAIT,
    TabFactory,
    api_facet,
    api_titles,
    bars,
    chips,
    documents,
    expect_titles,
    facet,
    hit_titles,
    pairs_of,
    settled,
    shot,
    timeline,
    total,
    url_of,
)
from playwright.sync_api import expect

# ---------------------------------------------------------------- 3. facets


def test_ticking_a_topic_updates_results_counts_and_url(
    tabs: TabFactory, page_server: Server
) -> None:
    tab = tabs()
    page = tab.page
    tab.goto(url_of(("q", "facial rec")))
    unfiltered = page_server.api([("q", "facial rec")])
    assert facet(page, "topic") == api_facet(unfiltered, "topic")

    page.locator("section.facet[data-facet=topic] a.option[data-value='Computer Vision']").click()

    wanted = url_of(("q", "facial rec"), ("topic", "Computer Vision"))
    expect(page).to_have_url(tab.base + wanted, timeout=WAIT)
    settled(page)
    expected = page_server.api(pairs_of(wanted))
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


def test_removing_a_chip_and_clear_all(tabs: TabFactory, page_server: Server) -> None:
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
    expect_titles(page, api_titles(page_server.api(start)))

    page.get_by_role("link", name="Remove topic: AI").click()
    wanted = url_of(*[p for p in start if p != ("topic", "AI")])
    expect(page).to_have_url(tab.base + wanted, timeout=WAIT)
    settled(page)
    assert chips(page) == ["topic: Computer Vision", "date: 2019-01-01 to 2019-12-31"]
    expect_titles(page, api_titles(page_server.api(pairs_of(wanted))))
    assert total(page) == page_server.api(pairs_of(wanted))["total"]

    page.get_by_role("link", name="Clear all").click()
    expect(page).to_have_url(tab.base + url_of(("q", "facial rec")), timeout=WAIT)
    settled(page)
    unfiltered = page_server.api([("q", "facial rec")])
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


def test_clicking_a_year_bar_narrows_to_that_year(tabs: TabFactory, page_server: Server) -> None:
    tab = tabs()
    page = tab.page
    tab.goto(url_of(("q", "facial rec")))
    body = page_server.api([("q", "facial rec")])
    years = {int(y["value"]): y["count"] for y in body["facets"]["year"]}
    span = range(min(years), max(years) + 1)
    assert body["timeline"]["interval"] == "year"
    assert bars(page) == [f"{y}: {years.get(y, 0)}" for y in span]  # the year facet's counts
    assert bars(page) == timeline(body)
    year = max(years, key=lambda y: years[y])  # the tallest bar: easy to hit

    page.locator("figure.timeline svg a").nth(year - span.start).click()

    wanted = url_of(("q", "facial rec"), ("from", f"{year}-01-01"), ("to", f"{year}-12-31"))
    expect(page).to_have_url(tab.base + wanted, timeout=WAIT)
    settled(page)
    expect(page.locator("figure.timeline")).to_have_attribute("aria-label", "Results per month")
    expect(page.locator("figure.timeline svg a")).to_have_count(12)
    assert page.locator("figure.timeline .axis a").all_inner_texts() == MONTHS
    narrowed = page_server.api(pairs_of(wanted))
    months = {m["value"]: m["count"] for m in narrowed["facets"]["month"]}
    assert bars(page) == [
        f"{name} {year}: {months.get(f'{year}-{i:02d}', 0)}" for i, name in enumerate(MONTHS, 1)
    ]
    assert bars(page) == timeline(narrowed)
    assert total(page) == narrowed["total"]
    assert documents(narrowed) == years[year]
    dates = page.locator("ol.hits > li.hit .body > .meta time").evaluate_all(
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
