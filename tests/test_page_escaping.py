"""The search page in a real browser: markup in titles, excerpts, providers and topics
shows as text, from the server and through search.js (a server over two seeds of its own)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from browser_support import running_server
from page_support import WAIT, TabFactory, api_facet, expect_options, facet, suggest, url_of
from playwright.sync_api import expect

from search.local.store.build import build_index

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
