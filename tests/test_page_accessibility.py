"""The search page in a real browser: accessibility basics (labels, headings, names,
landmarks, visible keyboard focus in a sensible order) and the one-column layout at
375 px."""

from __future__ import annotations

from page_support import TabFactory, shot, url_of
from playwright.sync_api import expect


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
    headings = page.locator("h2").all_text_contents()
    assert headings == ["Date", "Topics", "Providers", "Types", "Results"]
    landmarks = page.locator("header, main, aside, nav, form[role=search], [role=note]")
    assert landmarks.evaluate_all(
        """els => els.map(e => e.tagName.toLowerCase()
            + (e.getAttribute('aria-label') ? ':' + e.getAttribute('aria-label') : ''))"""
    ) == ["header", "form", "main", "aside:Filters", "nav:Sort"]
    nameless = page.locator("a, button").evaluate_all(
        """els => els.filter(e => !(e.textContent.trim() || e.getAttribute('aria-label')
            || e.querySelector('title'))).map(e => e.outerHTML)"""
    )
    assert nameless == []

    # Keyboard focus is visible where Tab lands, in reading order: the search, then the
    # filters (date presets, the ISO date fields), then the results.
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
    assert visited[:5] == ["a.skip", "a", "input#q", "button", "a.preset.selected"], visited
    assert visited[5:9] == ["a.preset", "input#from", "input#to", "button"], visited

    # At 375 px the layout is one column: a Filters button (tests/test_page_phone.py), then
    # the results, aligned with it.
    narrow = tabs(viewport={"width": 375, "height": 812})
    narrow.goto(url_of(("q", "facial rec")))
    button = narrow.page.locator("details.filters > summary").bounding_box()
    results = narrow.page.locator("section.results").bounding_box()
    assert button is not None
    assert results is not None
    assert button["y"] + button["height"] <= results["y"]
    assert abs(button["x"] - results["x"]) < 1
    width = narrow.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways at 375 px ({width} px wide)"
    shot(narrow.page, "10-mobile", full_page=True)
    assert tab.errors == []
    assert narrow.errors == []
