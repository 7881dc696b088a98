"""The search page in a real browser: result cards (picture, outlet and time on one line,
title, excerpt), the placeholder of a missing or broken picture, with and without
JavaScript, and the screenshots of docs/screenshots (`make screenshots`)."""

from __future__ import annotations

import re
import struct
import zlib
from datetime import UTC, datetime
from typing import Any

import pytest
from browser_support import Server, is_external
from page_support import (
    WAIT,
    TabFactory,
    api_titles,
    differing,
    expect_titles,
    pairs_of,
    shot,
    url_of,
)
from playwright.sync_api import Page, Route, expect

from search.web.cards import EXCERPT_CHARS, when

CARD_FACTS = """cards => cards.map(card => {
    const box = e => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; };
    const thumb = card.querySelector('.thumb'), img = thumb.querySelector('img');
    const time = card.querySelector('.body > .meta time'), title = card.querySelector('h3 a');
    return {
        thumb: box(thumb), body: box(card.querySelector('.body')),
        source: box(card.querySelector('.meta .source')), time: time && box(time),
        datetime: time && time.getAttribute('datetime'), text: time && time.textContent,
        img: img && [img.getAttribute('src'), img.getAttribute('loading'), img.getAttribute('alt')],
        initial: thumb.querySelector('.initial').textContent,
        underline: title ? getComputedStyle(title).textDecorationLine : 'no link',
        excerpt: (card.querySelector('.excerpt') || {}).textContent || null,
    };
})"""


def _cards(page: Page) -> list[dict[str, Any]]:
    facts: list[dict[str, Any]] = page.locator("ol.hits > li.hit").evaluate_all(CARD_FACTS)
    return facts


def _check_cards(page: Page, hits: list[dict[str, Any]]) -> None:
    """Each card against its hit: picture frame, one meta line, times, excerpt."""
    now = datetime.now(UTC).replace(tzinfo=None)
    facts = _cards(page)
    assert len(facts) == len(hits) > 0
    for card, hit in zip(facts, hits, strict=True):
        x, _, width, height = card["thumb"]
        assert abs(width / height - 4 / 3) < 0.02, card  # a fixed frame, loaded or not
        assert card["body"][0] >= x + width  # the text beside the picture
        image = hit["image"] if (hit["image"] or "").startswith("https://") else None
        assert card["img"] == ([image, "lazy", ""] if image else None)
        source = hit["provider"]["name"] or hit["provider"]["domain"]
        assert card["initial"] == next(c.upper() for c in source if c.isalnum())
        assert card["underline"] == "none"
        if hit["published"]:
            shown = when(hit["published"], now)
            assert shown is not None
            assert card["datetime"] == hit["published"]
            assert card["text"] == f"{shown.text} · {shown.ago}"
            assert abs(card["time"][1] - card["source"][1]) < 2  # outlet and time: one line
        else:
            assert card["time"] is None
        excerpt = " ".join(hit["excerpt"].split())
        if card["excerpt"] is not None:
            text = " ".join(card["excerpt"].split())
            kept = text.removesuffix("…")
            assert len(kept) <= EXCERPT_CHARS
            assert excerpt.startswith(kept.rstrip(".").rstrip())  # the source's words, in order
            if text.endswith("…") and len(excerpt) > len(kept):
                assert not excerpt[len(kept)].isalnum(), (kept, excerpt)  # after a whole word


def test_result_cards_use_the_width(tabs: TabFactory, page_server: Server) -> None:
    tab = tabs()
    page = tab.page
    path = url_of(("q", "facial recognition"))
    tab.goto(path)
    expected = page_server.api(pairs_of(path))
    expect_titles(page, api_titles(expected))
    _check_cards(page, expected["hits"])
    aside = page.locator("aside.facets").bounding_box()
    results = page.locator("section.results").bounding_box()
    assert aside is not None and results is not None
    assert aside["x"] + aside["width"] < results["x"]  # filters beside the results
    assert results["width"] >= 900  # at 1280 px the results take the room there is
    assert results["x"] + results["width"] >= 1240
    expect(page.locator("details.filters > summary")).to_be_hidden()  # no button needed
    assert tab.errors == []


def test_cards_of_every_article_and_the_placeholder_of_a_missing_picture(
    tabs: TabFactory, page_server: Server
) -> None:
    tab = tabs(javascript=False)
    path = url_of(("q", "facial recognition"), ("group", "none"), ("per_page", "30"))
    tab.goto(path)
    expected = page_server.api(pairs_of(path))
    _check_cards(tab.page, expected["hits"])
    missing = [hit["id"] for hit in expected["hits"] if not hit["image"]]
    assert missing, "some coverage of facial recognition has no picture"
    thumb = tab.page.locator(f"li.hit[data-id='{missing[0]}'] .thumb")
    expect(thumb.locator("img")).to_have_count(0)
    expect(thumb.locator(".initial")).to_be_visible()
    assert tab.errors == []


def _failing(route: Route) -> None:
    route.fulfill(status=404, content_type="text/plain", body="gone")


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_a_broken_picture_shows_the_placeholder(tabs: TabFactory, javascript: bool) -> None:
    tab = tabs(javascript=javascript, checked=False)  # the 404s are on the console
    page = tab.page
    page.route(is_external, _failing)
    tab.goto(url_of(("q", "facial recognition")))
    first = page.locator("ol.hits > li.hit").first
    thumb, image = first.locator(".thumb"), first.locator(".thumb img")
    expect(image).to_have_count(1)
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 0", arg=image.element_handle(), timeout=WAIT
    )
    if javascript:
        expect(thumb).to_have_class(re.compile(r"\bfailed\b"))
        expect(image).to_be_hidden()
    # The broken picture draws no icon: the frame looks as it does without the picture
    # (Chromium's broken-image icon alone changes ~700 pixels of it).
    broken = thumb.screenshot(animations="disabled")
    image.evaluate("img => img.remove()")
    assert differing(thumb.screenshot(animations="disabled"), broken) < 10
    expect(thumb.locator(".initial")).to_be_visible()
    assert [e for e in tab.errors if "404" not in e] == []


# ---------------------------------------------------------------- screenshots


PALETTE = [  # pairs of colours for stand-in pictures: photographs are rarely pastel
    ((38, 70, 83), (42, 157, 143)),
    ((233, 196, 106), (231, 111, 81)),
    ((29, 53, 87), (69, 123, 157)),
    ((106, 76, 147), (214, 122, 177)),
    ((52, 78, 65), (163, 177, 138)),
    ((120, 40, 31), (224, 159, 62)),
]


def _png(width: int, height: int, seed: int) -> bytes:
    """Return a PNG of a diagonal gradient: a stand-in picture (the tests are offline)."""
    start, end = PALETTE[seed % len(PALETTE)]

    def colour(x: int, y: int) -> bytes:
        share = (x + y) / (width + height)
        return bytes(round(a + (b - a) * share) for a, b in zip(start, end, strict=True))

    rows = b"".join(b"\x00" + b"".join(colour(x, y) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _pictures(route: Route) -> None:
    route.fulfill(
        status=200,
        content_type="image/png",
        body=_png(160, 120, zlib.crc32(route.request.url.encode())),
    )


SCREENSHOTS = {
    "results": url_of(("q", "facial recognition")),
    "zero": url_of(("q", "facial recognition zzyzx"), ("match", "all"), ("topic", "AI")),
}


@pytest.mark.parametrize("width", [1280, 400])
def test_screenshots(tabs: TabFactory, width: int) -> None:
    """The results and zero-hit pages at a desktop and a phone width, pictures standing
    in for the articles' own (saved as artifacts/screenshots/{results,zero}-WIDTH.png)."""
    for name, path in SCREENSHOTS.items():
        tab = tabs(viewport={"width": width, "height": 900 if width > 760 else 860})
        tab.page.route(is_external, _pictures)
        tab.goto(path)
        tab.page.wait_for_load_state("networkidle")
        scroll = tab.page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{name} scrolls sideways at {width} px ({scroll} px wide)"
        shot(tab.page, f"{name}-{width}")
        assert tab.errors == []
