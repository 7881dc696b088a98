"""Links of the page, computed in Python so templates only loop: facet toggles, chips,
pages, sorts and timeline bars. Every state of the page is its URL."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
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
    """One bar of the timeline: a year or a month, its count, and the URL that selects it."""

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
        label = f"{start or '…'} to {end or '…'}"
        found.append(Chip(f"date: {label}", url(without(pairs, "from", "to", "page"))))
    return found


def _period(pairs: Pairs, start: date, end: date) -> str:
    return url(
        [
            *without(pairs, "from", "to", "page"),
            ("from", start.isoformat()),
            ("to", end.isoformat()),
        ]
    )


def timeline(pairs: Pairs, result: SearchResult) -> tuple[str, list[Bar]]:
    """Return the timeline's unit ("year" or "month") and bars.

    Months of one year when the date filter is exactly that year, years otherwise."""
    years = result.facets["year"]
    chosen = next((y for y in years if y.selected), None)
    if chosen is not None:
        year = int(chosen.value)
        counts = {m.value: m.count for m in result.facets["month"]}
        peak = max([1, *counts.values()])
        bars = []
        for month in range(1, 13):
            label = f"{year:04d}-{month:02d}"
            last = calendar.monthrange(year, month)[1]
            count = counts.get(label, 0)
            bars.append(
                Bar(
                    calendar.month_abbr[month],
                    f"{calendar.month_name[month]} {year}",
                    count,
                    count / peak,
                    False,
                    _period(pairs, date(year, month, 1), date(year, month, last)),
                )
            )
        return "month", bars
    if not years:
        return "year", []
    first, last = int(years[0].value), int(years[-1].value)
    by_year: dict[int, int] = {int(y.value): y.count for y in years}
    peak = max(by_year.values())
    bars = [
        Bar(
            f"{y}",
            f"{y}",
            by_year.get(y, 0),
            by_year.get(y, 0) / peak,
            False,
            _period(pairs, date(y, 1, 1), date(y, 12, 31)),
        )
        for y in range(first, last + 1)
    ]
    return "year", bars


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
