"""The search page tests' shared parts (tests/test_page_*.py): Chromium, screenshots,
and reading the page and the API answers it is compared with.

A real `search serve` over an index of the shared corpus, and Debian's Chromium driven
by Playwright (sync API). Every expectation is checked against /api/search of the same
server, so the page is compared with the engine rather than with copied numbers.
Screenshots of the main states go to artifacts/screenshots/ (git-ignored).

The fixtures live in tests/conftest.py: `page_server` (one `search serve` over the
session's corpus index, for every page module), `chromium` (per module) and `tabs`
(per test).
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, ROOT, Pairs, Server, Tab
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

WAIT = 10_000  # ms an expectation may take: a loaded 2-core CI machine
SHOTS = ROOT / "artifacts" / "screenshots"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
OPENED: list[tuple[str, Tab]] = []  # (test, tab) of every page module, for test_page_tour.py

TabFactory = Callable[..., Tab]


class Chromium:
    """Debian's Chromium, launched at the first tab a test opens and shared by the module
    (tests/conftest.py `chromium`).

    Launching inside the test (not in a fixture's setup) makes a missing browser a test
    FAILURE with a clear message: CI installs it, so it must never be skipped."""

    def __init__(self) -> None:
        self.playwright: Playwright | None = None
        self.browser: Browser | None = None

    def get(self) -> Browser:
        if self.browser is None:
            if not CHROMIUM.is_file():
                pytest.fail(
                    f"Chromium is missing at {CHROMIUM}: install Debian's `chromium` package "
                    "(these tests drive it with Playwright; `playwright install` is not used)",
                    pytrace=False,
                )
            self.playwright = sync_playwright().start()
            self.browser = self.playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
        return self.browser

    def close(self) -> None:
        if self.browser is not None:
            self.browser.close()
        if self.playwright is not None:
            self.playwright.stop()


def shot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Save a screenshot as artifacts/screenshots/NAME.png and return its path."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=full_page, animations="disabled", caret="hide")
    assert path.stat().st_size > 1_000, f"{path} looks empty"
    return path


# ---------------------------------------------------------------- reading the page


def pairs_of(url: str) -> Pairs:
    """Return the query-string pairs of a URL."""
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def url_of(*pairs: tuple[str, str]) -> str:
    """Return the page path for pairs, encoded the way the page encodes its links."""
    return "/?" + urlencode(list(pairs)) if pairs else "/"


def documents(body: dict[str, Any]) -> int:
    """Return the matching documents of an answer (a grouped one's `total` counts stories)."""
    count: int = body["group"]["documents"] if "group" in body else body["total"]
    return count


def api_titles(body: dict[str, Any]) -> list[str]:
    return [hit["title"] for hit in body["hits"]]


def hit_titles(page: Page) -> list[str]:
    return [" ".join(t.split()) for t in page.locator("ol.hits > li.hit h3").all_text_contents()]


def expect_titles(page: Page, titles: list[str]) -> None:
    """Wait until the result list shows exactly these titles, in this order."""
    if titles:
        expect(page.locator("ol.hits > li.hit h3")).to_have_text(titles, timeout=WAIT)
    else:
        expect(page.locator("ol.hits > li.hit")).to_have_count(0, timeout=WAIT)


def settled(page: Page) -> None:
    """Wait until no page swap is in flight (search.js marks one with body.loading)."""
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bloading\b"), timeout=WAIT)


def total(page: Page) -> int:
    return int(page.locator(".summary strong").inner_text().replace(",", ""))


def facet(page: Page, name: str) -> list[tuple[str, int, bool]]:
    """Return (value, count, checked) of every option of a facet, shown or folded."""
    rows: list[list[str]] = page.locator(f"section.facet[data-facet={name}] a.option").evaluate_all(
        """options => options.map(o => [o.dataset.value,
            o.querySelector('.count').textContent, o.getAttribute('aria-checked')])"""
    )
    return [(value, int(count), checked == "true") for value, count, checked in rows]


def api_facet(body: dict[str, Any], name: str) -> list[tuple[str, int, bool]]:
    return [(v["value"], v["count"], v["selected"]) for v in body["facets"][name]]


def chips(page: Page) -> list[str]:
    return [t.replace("\u00d7", "").strip() for t in page.locator(".chips .chip").all_inner_texts()]


def bars(page: Page) -> list[str]:
    """Return the timeline's bar titles ("2019: 8", "Mar 2021: 69", "5 Mar 2021: 3")."""
    return page.locator("figure.timeline svg a title").all_text_contents()


def timeline(body: dict[str, Any]) -> list[str]:
    """Return the bar titles the page should show for an answer's timeline."""
    return [f"{b['label']}: {b['count']}" for b in body["timeline"]["buckets"]]


def options(page: Page) -> list[tuple[str, str]]:
    """Return (text, kind) of the suggestions shown."""
    rows: list[list[str]] = page.locator("#suggestions [role=option]").evaluate_all(
        "items => items.map(i => [i.children[0].textContent, i.children[1].textContent])"
    )
    return [(text, kind) for text, kind in rows]


def expect_options(page: Page, expected: list[tuple[str, str]]) -> None:
    """Wait until the suggestion list shows exactly these (text, kind), in this order
    (an answer for a shorter prefix may be shown on the way)."""
    items = page.locator("#suggestions [role=option]")
    expect(items.locator("span:first-child")).to_have_text([t for t, _ in expected], timeout=WAIT)
    expect(items.locator("span.kind")).to_have_text([k for _, k in expected])
    assert options(page) == expected


def selection(page: Page) -> list[str | None]:
    """Return aria-selected of each suggestion."""
    found: list[str | None] = page.locator("#suggestions [role=option]").evaluate_all(
        "items => items.map(i => i.getAttribute('aria-selected'))"
    )
    return found


def suggest(server: Server, prefix: str) -> list[tuple[str, str]]:
    response = httpx.get(f"{server.base}/api/suggest", params={"q": prefix, "limit": "8"})
    assert response.status_code == 200, response.text
    return [(s["text"], s["kind"]) for s in response.json()["suggestions"]]


def state(tab: Tab) -> tuple[str, list[str], list[str]]:
    """Return (path, hit titles, chips): what Back and reload must restore."""
    return tab.path, hit_titles(tab.page), chips(tab.page)


def pixels(png: bytes) -> list[list[tuple[int, ...]]]:
    """Return the pixels of an 8-bit RGB or RGBA PNG (what Chromium's screenshots are), row
    by row: enough of a decoder to compare two screenshots without an imaging library."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, data, width, channels = 8, b"", 0, 0
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind, body = png[position + 4 : position + 8], png[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, _, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            data += body
        position += 12 + length
    raw, stride = zlib.decompress(data), width * channels
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for start in range(0, len(raw), stride + 1):
        method, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if method == 1:
                line[i] = (line[i] + left) & 0xFF
            elif method == 2:
                line[i] = (line[i] + up) & 0xFF
            elif method == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif method == 4:
                guess = left + up - corner
                near = min((abs(guess - v), n) for n, v in enumerate((left, up, corner)))[1]
                line[i] = (line[i] + (left, up, corner)[near]) & 0xFF
        rows.append(line)
        previous = line
    return [[tuple(row[i : i + channels]) for i in range(0, stride, channels)] for row in rows]


def differing(first: bytes, second: bytes, tolerance: int = 40) -> int:
    """Return how many pixels of two same-sized screenshots differ by more than
    `tolerance` in some channel (antialiasing moves a few edge pixels a little)."""
    a, b = pixels(first), pixels(second)
    assert (len(a), len(a[0])) == (len(b), len(b[0])), "screenshots of different sizes"
    return sum(
        1
        for row_a, row_b in zip(a, b, strict=True)
        for p, q in zip(row_a, row_b, strict=True)
        if max(abs(x - y) for x, y in zip(p, q, strict=True)) > tolerance
    )
