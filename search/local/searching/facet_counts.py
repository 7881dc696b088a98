"""Exact disjunctive facet counts over the columns (DESIGN.md 4).

Each facet counts the documents that pass every active filter except its own, so a
reader sees how many results ticking another value would add. Counting is one
np.bincount per facet over the matching documents.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from datetime import date

import numpy as np
import numpy.typing as npt

from search.facets import LIST_LIMIT
from search.local.store.columns import Columns, KeywordColumn, month_label
from search.results import FacetValue

Mask = npt.NDArray[np.bool_]


def month_counts(columns: Columns, mask: Mask) -> dict[int, int]:
    """Return {month code: documents} among the dated documents of `mask`."""
    months = columns.month[np.flatnonzero(mask)]
    months = months[months >= 0]
    if not len(months):
        return {}
    counts = np.bincount(months - months.min())
    base = int(months.min())
    return {base + int(i): int(c) for i, c in enumerate(counts) if c}


def keyword_facet(
    column: KeywordColumn, counts: npt.NDArray[np.int64], selected: Collection[str]
) -> list[FacetValue]:
    """Return facet values ordered by count then name; selected values always appear,
    under their display name when the index knows them (so they can be unticked).

    Values are ordered by NumPy (with the column's kept name order) and only the
    listed ones are made."""
    names, index, rank = column.names, column.index, column.rank
    chosen = {s.casefold() for s in selected}
    nonzero = np.flatnonzero(counts)
    order = nonzero[np.lexsort((rank[nonzero], -counts[nonzero]))]
    listed_ids = order[:LIST_LIMIT].tolist()
    if chosen:
        listed_ids += [i for i in order[LIST_LIMIT:].tolist() if names[i].casefold() in chosen]
    shown = [
        FacetValue(names[i], int(counts[i]), names[i].casefold() in chosen) for i in listed_ids
    ]
    listed = {v.value.casefold() for v in shown}
    for value in selected:
        known = index.get(value.casefold())
        name = names[known] if known is not None else value
        if name.casefold() not in listed:
            listed.add(name.casefold())
            shown.append(FacetValue(name, int(counts[known]) if known is not None else 0, True))
    return shown


@functools.lru_cache(maxsize=4096)
def _month(code: int) -> tuple[str, date, date]:
    """Return the label, first and last day of a month code."""
    year, month = 1970 + code // 12, code % 12 + 1
    last = date(year + month // 12, month % 12 + 1, 1) - date.resolution
    return month_label(code), date(year, month, 1), last


def date_facets(
    months: dict[int, int], start: date | None, end: date | None
) -> tuple[list[FacetValue], list[FacetValue]]:
    """Return the (year, month) facets in chronological order, flagging the selected period."""
    years: dict[int, int] = {}
    for code, count in months.items():
        years[code // 12] = years.get(code // 12, 0) + count
    year_values = []
    for offset in sorted(years):
        year = 1970 + offset
        chosen = start == date(year, 1, 1) and end == date(year, 12, 31)
        year_values.append(FacetValue(f"{year:04d}", years[offset], chosen))
    month_values = []
    for code in sorted(months):
        label, first, last = _month(code)
        month_values.append(FacetValue(label, months[code], start == first and end == last))
    return year_values, month_values
