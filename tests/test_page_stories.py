"""The search page in a real browser: a story's coverage from other outlets, and
"more like this"."""

from __future__ import annotations

from browser_support import Server
from page_support import (
    WAIT,
    TabFactory,
    api_titles,
    documents,
    expect_titles,
    pairs_of,
    settled,
    shot,
    total,
    url_of,
)
from playwright.sync_api import expect


def test_story_coverage_expands_and_more_like_this(tabs: TabFactory, page_server: Server) -> None:
    tab = tabs()
    page = tab.page
    path = url_of(("q", "facial recognition"))
    tab.goto(path)
    expected = page_server.api(pairs_of(path))
    expect_titles(page, api_titles(expected))
    assert total(page) == expected["total"] < documents(expected)
    grouped = [hit for hit in expected["hits"] if hit["story"]["more_count"]]
    assert grouped, "facial recognition has stories covered by several outlets"
    first = grouped[0]
    item = page.locator(f"ol.hits > li.hit[data-id='{first['id']}']")
    summary = item.locator("details.coverage summary")
    expect(summary.locator(".more")).to_have_text(
        f"{first['story']['more_count']} more from other outlets"
    )
    # the other outlets as one compact row: each named once, the hit's own left out
    outlets = list(
        dict.fromkeys(
            other["provider"]["name"]
            for other in first["story"]["more"]
            if other["provider"]["name"] != first["provider"]["name"]
        )
    )
    row = outlets[:4] + ([f"+{len(outlets) - 4}"] if len(outlets) > 4 else [])
    expect(summary.locator(".outlets .outlet")).to_have_text(row)
    assert len(row) > 1
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
    similar = page_server.api(pairs_of(like_url))
    expect_titles(page, api_titles(similar))
    assert similar["total"] > 0 and first["id"] not in [hit["id"] for hit in similar["hits"]]
    expect(page.locator(".summary")).to_contain_text(
        f"like the chosen article, for “{similar['query']}”"
    )

    page.locator(".summary a.grouping").click()  # "Show every article"
    every_url = url_of(("like", first["id"]), ("group", "none"))
    expect(page).to_have_url(tab.base + every_url, timeout=WAIT)
    settled(page)
    flat = page_server.api(pairs_of(every_url))
    expect_titles(page, api_titles(flat))
    assert total(page) == flat["total"] == documents(similar)
    expect(page.locator("details.coverage")).to_have_count(0)
    assert tab.errors == []
