"""The search page in a real browser: date presets (past 24 hours, week, month, year) as
links with relative `from` values, ISO date fields, and the timeline that adapts (days
within a month, months within a year), over articles dated relative to now (a server of
its own)."""

from __future__ import annotations

from collections.abc import Container, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from browser_support import Server, running_server
from page_support import (
    WAIT,
    TabFactory,
    api_titles,
    bars,
    chips,
    expect_titles,
    hit_titles,
    pairs_of,
    settled,
    shot,
    timeline,
    url_of,
)
from playwright.sync_api import expect

from search.local.store.build import build_index

AGES = {  # title -> how long ago it was published
    "Robot clears the runway": timedelta(hours=3),
    "Robot joins the night shift": timedelta(days=4),
    "Robot learns to fold laundry": timedelta(days=20),
    "Robot wins the science fair": timedelta(days=200),
    "Robot of the last decade": timedelta(days=3 * 365),
}
PRESETS = {  # the page's presets: label -> from value, and the titles each one finds
    "Past 24 hours": ("now-24h", 1),
    "Past week": ("now-7d", 2),
    "Past month": ("now-1M", 3),
    "Past year": ("now-1y", 4),
}


@pytest.fixture(scope="module")
def dated_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Serve five articles published 3 hours to 3 years before the module started."""
    folder = tmp_path_factory.mktemp("dated")
    seeds = folder / "seeds"
    seeds.mkdir()
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    for number, (title, age) in enumerate(AGES.items()):
        published = (now - age).strftime("%Y-%m-%dT%H:%M:%SZ")
        (seeds / f"robot-{number}.md").write_text(
            f'---\ntitle: "{title}"\nexcerpt: "A robot story."\n'
            f"publishedDateTime: {published}\n"
            f'webUrl: "https://example.com/robot-{number}"\n'
            f"provider:\n  name: Outlet {number}\n  domain: outlet{number}.example\n---\n",
            encoding="utf-8",
        )
    assert build_index(seeds, folder / "index", progress=False).documents == len(AGES)
    with running_server(folder / "index", folder / "server.log") as server:
        yield server


def _newest(count: int) -> list[str]:
    """Return the `count` most recent titles, newest first."""
    return sorted(AGES, key=lambda title: AGES[title])[:count]


def test_presets_narrow_to_the_past_hours_days_and_months(
    tabs: TabFactory, dated_server: Server
) -> None:
    tab = tabs(dated_server.base)
    page = tab.page
    tab.goto(url_of(("sort", "newest")))
    presets = page.locator("section.facet[data-facet=date] a.preset")
    expect(presets).to_have_text(["Any time", *PRESETS])
    expect(page.locator("a.preset[aria-current=true]")).to_have_text("Any time")
    expect_titles(page, _newest(5))
    for label, (value, count) in PRESETS.items():
        page.get_by_role("link", name=label, exact=True).click()
        wanted = url_of(("sort", "newest"), ("from", value))
        expect(page).to_have_url(tab.base + wanted, timeout=WAIT)
        settled(page)
        # checked against the articles' own dates: what each range holds
        expect_titles(page, _newest(count))
        assert hit_titles(page) == api_titles(dated_server.api(pairs_of(wanted)))
        expect(page.locator("a.preset[aria-current=true]")).to_have_text(label)
        assert chips(page) == [f"date: {label.lower()}"]
        assert page.locator("#from").input_value() == value  # the URL's own value
        assert page.locator("#search-form input[name=from]").input_value() == value
    page.get_by_role("link", name="Any time").click()
    expect(page).to_have_url(tab.base + url_of(("sort", "newest")), timeout=WAIT)
    settled(page)
    expect_titles(page, _newest(5))
    assert tab.errors == []


@pytest.mark.parametrize(
    ("value", "interval", "periods"),
    # the range runs from `from` to the newest article's day, published 3 hours ago (the day
    # before, in the small hours): one period more or less
    [("now-7d", "day", (7, 8)), ("now-1M", "day", range(28, 33)), ("now-1y", "month", (12, 13))],
    ids=["week-in-days", "month-in-days", "year-in-months"],
)
def test_the_timeline_adapts_to_the_range(
    tabs: TabFactory, dated_server: Server, value: str, interval: str, periods: Container[int]
) -> None:
    tab = tabs(dated_server.base, javascript=False)
    path = url_of(("from", value))
    tab.goto(path)
    body = dated_server.api(pairs_of(path))
    assert body["timeline"]["interval"] == interval
    assert len(body["timeline"]["buckets"]) in periods  # every day (month) of the range
    expect(tab.page.locator("figure.timeline")).to_have_attribute(
        "aria-label", f"Results per {interval}"
    )
    assert bars(tab.page) == timeline(body)
    first = body["timeline"]["buckets"][0]
    axis = tab.page.locator("figure.timeline .axis a")
    start = datetime.fromisoformat(first["from"])
    if interval == "day":  # the first day says its month; the others only their number
        expect(axis.first).to_have_text(f"{start.day} {start:%b}")
    else:
        expect(axis.first).to_have_text(f"{start:%b}")
    shot(tab.page, f"timeline-{interval}-{value}")
    assert tab.errors == []


def test_iso_date_fields_follow_the_url(tabs: TabFactory, dated_server: Server) -> None:
    tab = tabs(dated_server.base)
    page = tab.page
    tab.goto("/")
    start, end = page.locator("#from"), page.locator("#to")
    for field in (start, end):  # text fields: no locale's mm/dd/yyyy, the URL's own form
        assert field.get_attribute("type") == "text"
        assert field.get_attribute("placeholder") == "YYYY-MM-DD"
    year_ago = (datetime.now(UTC) - timedelta(days=365)).date().isoformat()
    start.fill(year_ago)
    start.press("Enter")
    wanted = url_of(("from", year_ago))
    expect(page).to_have_url(tab.base + wanted, timeout=WAIT)
    settled(page)
    expect_titles(page, api_titles(dated_server.api(pairs_of(wanted))))
    assert page.locator("#from").input_value() == year_ago
    assert chips(page) == [f"date: {year_ago} to …"]
    # A date the field cannot take is refused where it is typed: no request, no 400 page.
    page.locator("#to").fill("12/31/2025")
    page.get_by_role("button", name="Apply dates").click()
    assert page.locator("#to").evaluate("field => field.validity.patternMismatch") is True
    page.wait_for_timeout(300)
    assert tab.path == wanted
    assert tab.errors == []
