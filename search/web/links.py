"""Links of the page, computed in Python so templates only loop: facet toggles, chips,
pages, sorts and timeline bars. Every state of the page is its URL."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from urllib.parse import urlencode

from search.facets import FILTER_PARAMS
from search.results import FacetValue, SearchResult

Pairs = list[tuple[str, str]]


def url(pairs: Pairs) -> str:
    """Return the page URL for query-string pairs (empty values dropped)."""
    kept = [(k, v) for k, v in pairs if v != ""]
    return "/?" + urlencode(kept) if kept else "/"


def without(pairs: Pairs, *names: str) -> Pairs:
    """Return `pairs` without the named parameters."""
    return [(k, v) for k, v in pairs if k not in names]


def toggle(pairs: Pairs, name: str, value: str) -> str:
    """Return the URL that adds (name, value), or removes it if present; back to page 1."""
    base = without(pairs, "page")
    folded = value.casefold()
    if any(k == name and v.casefold() == folded for k, v in base):
        return url([(k, v) for k, v in base if not (k == name and v.casefold() == folded)])
    return url([*base, (name, value)])


@dataclass(frozen=True)
class FacetLink:
    """A facet value with the URL that ticks or unticks it."""

    value: str
    count: int
    selected: bool
    href: str


@dataclass(frozen=True)
class Chip:
    """An active filter, with the URL that removes it."""

    label: str
    href: str


@dataclass(frozen=True)
class Bar:
    """One bar of the timeline: a period, its count, and the URL that selects it."""

    label: str
    title: str
    count: int
    height: float  # 0..1 of the tallest bar
    selected: bool
    href: str


def facet_links(pairs: Pairs, name: str, values: list[FacetValue]) -> list[FacetLink]:
    """Return the facet values of `name` with their toggle URLs."""
    return [FacetLink(v.value, v.count, v.selected, toggle(pairs, name, v.value)) for v in values]


def chips(pairs: Pairs) -> list[Chip]:
    """Return one removable chip per active filter."""
    found: list[Chip] = []
    for name, value in without(pairs, "page"):
        if name in FILTER_PARAMS and value:
            found.append(Chip(f"{name}: {value}", toggle(pairs, name, value)))
    start = next((v for k, v in pairs if k == "from" and v), None)
    end = next((v for k, v in pairs if k == "to" and v), None)
    if start or end:
        preset = next((name for name, value in PRESETS if value == start and not end), None)
        label = preset.lower() if preset else f"{start or '…'} to {end or '…'}"
        found.append(Chip(f"date: {label}", url(without(pairs, "from", "to", "page"))))
    return found


PRESETS = [  # the relative `from` values of README "Dates" (h d w M y)
    ("Past 24 hours", "now-24h"),
    ("Past week", "now-7d"),
    ("Past month", "now-1M"),
    ("Past year", "now-1y"),
]


@dataclass(frozen=True)
class Preset:
    """A date range offered as one link: "Any time" or a relative `from`."""

    label: str
    href: str
    selected: bool


def date_presets(pairs: Pairs) -> list[Preset]:
    """Return "Any time" and the PRESETS, each with its URL; the one in force selected."""
    start = next((v for k, v in reversed(pairs) if k == "from"), "")
    end = next((v for k, v in reversed(pairs) if k == "to"), "")
    base = without(pairs, "from", "to", "page")
    found = [Preset("Any time", url(base), not start and not end)]
    for label, value in PRESETS:
        found.append(Preset(label, url([*base, ("from", value)]), start == value and not end))
    return found


def timeline(pairs: Pairs, result: SearchResult) -> tuple[str, list[Bar]]:
    """Return the timeline's interval ("day", "month" or "year") and its bars: the answer's
    buckets (search.results.Timeline), each linking to the dates that select it."""
    buckets = result.timeline.buckets
    peak = max([1, *(b.count for b in buckets)])
    base = without(pairs, "from", "to", "page")
    years = {b.key[:4] for b in buckets}
    return result.timeline.interval, [
        Bar(
            _axis_label(result.timeline.interval, b.key, first=n == 0, years=len(years)),
            b.label,
            b.count,
            b.count / peak,
            b.selected,
            url([*base, ("from", b.from_), ("to", b.to)]),
        )
        for n, b in enumerate(buckets)
    ]


def _axis_label(interval: str, key: str, first: bool, years: int) -> str:
    """Return a bucket's short label under its bar: 2021; Mar (2021 for a January when the
    bars span years); 5 (5 Mar on the first bar and the first of a month)."""
    if interval == "year":
        return key
    month = calendar.month_abbr[int(key[5:7])]
    if interval == "month":
        return key[:4] if key[5:7] == "01" and years > 1 else month
    day = int(key[8:10])
    return f"{day} {month}" if first or day == 1 else str(day)


def page_links(pairs: Pairs, result: SearchResult) -> list[tuple[str, str | None]]:
    """Return (label, URL or None for the current page) for the pager."""
    if result.pages <= 1:
        return []
    base = without(pairs, "page")
    last = min(result.pages, 10_000 // result.per_page)
    shown = sorted({1, last, *range(max(1, result.page - 2), min(last, result.page + 2) + 1)})
    links: list[tuple[str, str | None]] = []
    if result.page > 1:
        links.append(("\u2039 Previous", url([*base, ("page", str(result.page - 1))])))
    previous = 0
    for number in shown:
        if number - previous > 1:
            links.append(("…", None))
        links.append(
            (str(number), None if number == result.page else url([*base, ("page", str(number))]))
        )
        previous = number
    if result.page < last:
        links.append(("Next \u203a", url([*base, ("page", str(result.page + 1))])))
    return links


def sort_links(pairs: Pairs, current: str) -> list[tuple[str, str, bool]]:
    """Return (name, URL, is current) for each sort order."""
    base = without(pairs, "sort", "page")
    return [
        (name, url([*base, ("sort", name)]), name == current)
        for name in ("relevance", "newest", "oldest")
    ]


def grouping_link(pairs: Pairs, grouped: bool) -> tuple[str, str]:
    """Return (label, URL) of the link that switches story grouping off or back on."""
    base = without(pairs, "group", "page")
    if grouped:
        return "Show every article", url([*base, ("group", "none")])
    return "Group coverage by story", url(base)
