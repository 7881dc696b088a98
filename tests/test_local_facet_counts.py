"""Facet counting over the columns against plain Python counts: each way a column is
arranged (common values as bitsets, rare ones gathered; single- and multi-valued) and
the date facets with their selected period."""

from __future__ import annotations

import functools
import random
from collections import Counter, OrderedDict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from search.local.searching import facet_counts
from search.local.searching.facet_counts import (
    counted_date_facets,
    date_facets,
    facet_value,
    keyword_facet,
    month_counts,
)
from search.local.searching.timeline import counted_timeline, month_timeline, timeline
from search.local.store.column_files import Row, write_columns
from search.local.store.columns import Columns
from search.local.store.document_sets import DocumentSet
from search.local.store.keyword_columns import HEAD_SHARE
from search.results import FacetValue

SIZE = 3 * HEAD_SHARE * 10  # enough documents for common (bitset) and rare values


def rows(seed: int) -> list[Row]:
    """Seeded documents: a few common and many rare providers and topics, one common
    type (no gather at all for it), dates over three years, some undated or deleted."""
    rng = random.Random(seed)
    out = []
    for number in range(SIZE):
        provider = f"P{rng.choice([0, 0, 0, 1, 1, *range(2, 80)])}"
        topics = tuple(
            rng.sample(["AI", "ai", "Chips", "Policy", *[f"t{i}" for i in range(60)]], 2)
        )
        published = None
        if rng.random() > 0.1:
            published = datetime(
                2019 + rng.randrange(3), rng.randrange(1, 13), rng.randrange(1, 28)
            )
        out.append(
            Row(
                {
                    "provider": (provider,),
                    "topic": topics,
                    "type": ("article",) if number % 3 else (),
                },
                published,
                deleted=rng.random() < 0.05,
            )
        )
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Columns, list[Row]]:
    folder: Path = tmp_path_factory.mktemp("columns")
    documents = rows(5)
    write_columns(folder, documents)
    return Columns.load(folder), documents


def naive(documents: list[Row], mask: np.ndarray, facet: str, names: list[str]) -> list[int]:
    counter = Counter(
        v.casefold()
        for number, row in enumerate(documents)
        if mask[number]
        for v in dict.fromkeys(x.casefold() for x in row.keywords.get(facet, ()))
    )
    return [counter[name.casefold()] for name in names]


@pytest.mark.parametrize("share", [0.0, 0.002, 0.05, 0.5, 1.0], ids=lambda s: f"share-{s}")
def test_counts_equal_plain_counts(built: tuple[Columns, list[Row]], share: float) -> None:
    columns, documents = built
    rng = np.random.default_rng(int(share * 1000))
    mask = (rng.random(SIZE) < share) & columns.alive
    shared = DocumentSet(mask)
    arranged = {name: column.sets for name, column in columns.keywords.items()}
    assert [len(arranged[n].head) > 0 for n in ("provider", "topic", "type")] == [True] * 3
    assert arranged["provider"].tail_code is not None  # rare providers are gathered
    assert arranged["type"].tail_code is None  # one common value: a popcount only
    for name, column in columns.keywords.items():
        want = naive(documents, mask, name, column.names)
        assert column.counts(mask).tolist() == want, name
        assert column.counts(shared).tolist() == want, name
        # a set given by its numbers (its mask made on demand) counts the same
        listed = DocumentSet.of_numbers(np.flatnonzero(mask), SIZE)
        assert column.counts(listed).tolist() == want, name
    # counted from the mask alone or from the numbers: the same size
    assert DocumentSet(mask).count() == listed.count() == int(mask.sum())


def test_date_facets_count_months_and_years_and_flag_the_selected_period(
    built: tuple[Columns, list[Row]],
) -> None:
    columns, documents = built
    mask = columns.alive.copy()
    mask[::7] = False
    dated = [r.published for n, r in enumerate(documents) if mask[n] and r.published]
    months = sorted(Counter(f"{p.year:04d}-{p.month:02d}" for p in dated).items())
    years = sorted(Counter(f"{p.year:04d}" for p in dated).items())
    periods = {
        "none": (None, None, None, None),
        "a year": (date(2020, 1, 1), date(2020, 12, 31), "2020", None),
        "a month": (date(2020, 2, 1), date(2020, 2, 29), None, "2020-02"),
        "not a whole month": (date(2020, 2, 2), date(2020, 2, 29), None, None),
        "open end": (date(2020, 1, 1), None, None, None),
    }
    for label, (start, end, year, month) in periods.items():
        got_years, got_months = counted_date_facets(columns, DocumentSet(mask), start, end)
        assert got_years == [FacetValue(v, c, v == year) for v, c in years], label
        assert got_months == [FacetValue(v, c, v == month) for v, c in months], label
    assert counted_date_facets(columns, DocumentSet(mask & False), None, None) == ([], [])
    # the OpenSearch backend's form: {month code: documents}, zero counts listed as given
    by_code = {(2020 - 1970) * 12 + 1: 4, (2021 - 1970) * 12: 0, (2021 - 1970) * 12 + 5: 2}
    assert date_facets(by_code, date(2021, 6, 1), date(2021, 6, 30)) == (
        [FacetValue("2020", 4, False), FacetValue("2021", 2, False)],
        [
            FacetValue("2020-02", 4, False),
            FacetValue("2021-01", 0, False),
            FacetValue("2021-06", 2, True),
        ],
    )
    assert date_facets({}, None, None) == ([], [])


def test_keyword_facet_lists_selected_values_and_reuses_equal_values(
    built: tuple[Columns, list[Row]],
) -> None:
    columns, _ = built
    column = columns.keywords["topic"]
    counts = column.counts(columns.alive)
    listed = keyword_facet(column, counts, ["CHIPS", "nothing"])
    by_name = {v.value: v for v in listed}
    assert by_name["Chips"].selected and by_name["nothing"] == FacetValue("nothing", 0, True)
    assert [v.count for v in listed[:-1]] == sorted((v.count for v in listed[:-1]), reverse=True)
    assert facet_value("AI", 3, False) is facet_value("AI", 3, False)
    assert facet_value("AI", 3, False) == FacetValue("AI", 3, False)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (None, None),
        (date(2020, 3, 1), date(2020, 3, 10)),
        (date(2020, 1, 1), date(2021, 6, 30)),
        (date(2021, 11, 5), None),
        (None, date(2019, 1, 20)),
        (date(2020, 2, 1), date(2020, 2, 29)),
    ],
    ids=["archive", "days", "months", "open-end", "open-start", "a-month"],
)
def test_timeline_from_the_columns_equals_the_timeline_from_dates(
    built: tuple[Columns, list[Row]], start: date | None, end: date | None
) -> None:
    columns, _ = built
    numbers = np.flatnonzero(columns.alive & (np.arange(SIZE) % 3 > 0))
    want = timeline(columns.published[numbers], start, end)
    assert want.buckets
    assert counted_timeline(columns, numbers, start, end) == want
    assert counted_timeline(columns, numbers[:0], start, end) == timeline(
        columns.published[:0], start, end
    )


def test_lists_made_before_are_handed_out_as_copies(built: tuple[Columns, list[Row]]) -> None:
    columns, _ = built
    column = columns.keywords["provider"]
    counts = column.counts(columns.alive)
    first = keyword_facet(column, counts, ["P1"])
    first.append(FacetValue("spoiled", 1, False))
    again = keyword_facet(column, counts, ["P1"])
    assert again == first[:-1] and again is not first
    found = DocumentSet(columns.alive)
    years, months = counted_date_facets(columns, found, None, None)
    years.clear()
    months.clear()
    kept = counted_date_facets(columns, found, None, None)
    facet_counts._date_lists.clear()
    assert kept == counted_date_facets(columns, found, None, None) and kept[1]
    made = counted_timeline(columns, found.numbers, None, None)
    made.buckets.clear()
    assert counted_timeline(columns, found.numbers, None, None) == timeline(
        columns.published[found.numbers], None, None
    )


def test_the_timeline_and_date_facets_from_month_counts_equal_counting_the_documents(
    built: tuple[Columns, list[Row]],
) -> None:
    # month_timeline finds the first and last dated documents within their months and
    # counts months and years from the month counts: on many seeded sets (a handful of
    # documents to all of them) and ranges (days, months, years, open ends, a range
    # outside the documents), the same answer as counting every document.
    columns, _ = built
    rng = random.Random(17)
    ranges: list[tuple[date | None, date | None]] = [(None, None)]
    # open ends near the first (2019-01) and last (2021-12) dates: the exact first or
    # last day decides between days and months
    ranges += [(date(2021, 11, d), None) for d in (1, 10, 14, 20)]
    ranges += [(None, date(2019, 2, d)) for d in (1, 10, 14, 20)]
    for _ in range(40):
        low = date(2018, 6, 1) + timedelta(days=rng.randrange(5 * 365))
        high = low + timedelta(days=rng.choice([0, 9, 44, 45, 46, 300, 730, 731, 900]))
        ranges += [(low, high), (low, None), (None, high)]
    for trial in range(60):
        share = rng.choice([0.0005, 0.002, 0.01, 0.1, 0.6, 1.0])
        mask = (np.random.default_rng(trial).random(SIZE) < share) & columns.alive
        found = DocumentSet(mask)
        per_slot = month_counts(columns, found)
        for start, end in ranges[:9] + rng.sample(ranges[9:], 8):
            want = counted_timeline(columns, found.numbers, start, end)
            assert month_timeline(columns, found, per_slot, start, end) == want, (trial, start, end)
        assert counted_date_facets(columns, found, None, None, per_slot) == counted_date_facets(
            columns, DocumentSet(mask), None, None
        )


def test_kept_values_and_lists_go_oldest_first_one_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past their bounds, the kept FacetValues and facet lists lose their oldest entries
    only (emptying them all at once stalled a search), and what is made is unchanged."""
    monkeypatch.setattr(facet_counts, "VALUE_CACHE", 3)
    monkeypatch.setattr(facet_counts, "LISTS_KEPT", 2)
    monkeypatch.setattr(facet_counts, "_values", OrderedDict())
    made = [facet_counts.facet_value("AI", count, False) for count in range(5)]
    assert made == [FacetValue("AI", count, False) for count in range(5)]
    assert list(facet_counts._values) == [("AI", 2, False), ("AI", 3, False), ("AI", 4, False)]
    assert facet_counts.facet_value("AI", 4, False) is made[4]  # kept: the same object
    kept: OrderedDict[tuple[object, ...], Any] = OrderedDict()
    for key in ("a", "b", "c"):
        assert facet_counts.remembered(kept, (key,), functools.partial(list, key)) == [key]
    assert list(kept) == [("b",), ("c",)]
