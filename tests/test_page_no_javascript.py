"""The search page without JavaScript: the same page, a working form and links."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from browser_support import Server
from page_support import (
    TabFactory,
    api_facet,
    api_titles,
    bars,
    chips,
    expect_titles,
    facet,
    hit_titles,
    pairs_of,
    timeline,
    total,
    url_of,
)
from playwright.sync_api import expect


def test_without_javascript_the_page_is_the_same(tabs: TabFactory, page_server: Server) -> None:
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
    expected = page_server.api(pairs_of(path))
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
    expect_titles(page, api_titles(page_server.api(submitted)))
    assert chips(page) == ["topic: Computer Vision"]

    # Links work too: a timeline bar is a plain link to its period's dates.
    first = page_server.api(submitted)["timeline"]["buckets"][0]
    page.locator("figure.timeline .axis a").first.click()
    dated = re.escape(f"from={first['from']}&to={first['to']}")
    expect(page).to_have_url(re.compile(f"{dated}$"))
    assert bars(page) == timeline(page_server.api(pairs_of(page.url)))
    assert tab.errors == []
