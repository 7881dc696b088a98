"""Exact disjunctive facet counts over the columns (DESIGN.md 4).

Each facet counts the documents that pass every active filter except its own, so a
reader sees how many results ticking another value would add. Counting is a popcount
per common value and one np.bincount for the rest (search.local.store.columns); the
facets that count the same documents share their numbers and bits (DocumentSet).
Only the values listed are made into FacetValues, and equal ones are made once.
"""

from __future__ import annotations

import contextlib
import functools
from collections import OrderedDict
from collections.abc import Callable, Collection
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from search.facets import LIST_LIMIT
from search.local.store.columns import Columns, month_label
from search.local.store.document_sets import DocumentSet
from search.local.store.keyword_columns import KeywordColumn
from search.results import FacetValue

Mask = npt.NDArray[np.bool_]
VALUE_CACHE = 65_536  # FacetValues kept for reuse: (value, count, selected) repeats a lot
LISTS_KEPT = 4_096  # facet lists kept by their counts: head queries count the same again
# Both go oldest first, one at a time: emptying 65,536 values at once stalled the search
# that filled them for ~7 ms (relaxed searches list new month counts all the time).
_values: OrderedDict[tuple[str, int, bool], FacetValue] = OrderedDict()
_date_lists: OrderedDict[tuple[object, ...], tuple[list[FacetValue], list[FacetValue]]] = (
    OrderedDict()
)


def facet_value(value: str, count: int, selected: bool) -> FacetValue:
    """Return FacetValue(value, count, selected), reusing an equal one made before: the
    dataclass is frozen, so sharing is safe, and making one costs a microsecond."""
    key = (value, count, selected)
    made = _values.get(key)
    if made is None:
        made = FacetValue(value, count, selected)
        _values[key] = made
        _bound(_values, VALUE_CACHE)  # counts are as many as result sets
    return made


def _bound(kept: OrderedDict[Any, Any], limit: int) -> None:
    """Drop the oldest entries of `kept` past `limit`."""
    while len(kept) > limit:
        with contextlib.suppress(KeyError):  # another thread may have just dropped it
            kept.popitem(last=False)


def remembered(
    kept: OrderedDict[tuple[object, ...], Any], key: tuple[object, ...], make: Callable[[], Any]
) -> Any:
    """Return make(), or what it returned before for `key` in `kept` (bounded by
    LISTS_KEPT): a pure function of counts that repeat, made once."""
    found = kept.get(key)
    if found is None:
        found = make()
        kept[key] = found
        _bound(kept, LISTS_KEPT)
    return found


def keyword_facet(
    column: KeywordColumn, counts: npt.NDArray[np.int64], selected: Collection[str]
) -> list[FacetValue]:
    """Return facet values ordered by count then name; selected values always appear,
    under their display name when the index knows them (so they can be unticked).

    Values are ordered by NumPy (with the column's kept name order) and only the
    listed ones are made; equal counts give the list made before (a copy)."""
    key = (counts.tobytes(), tuple(selected))
    listed: list[FacetValue] = remembered(
        column.lists, key, lambda: _keyword_values(column, counts, selected)
    )
    return list(listed)


def _keyword_values(
    column: KeywordColumn, counts: npt.NDArray[np.int64], selected: Collection[str]
) -> list[FacetValue]:
    names, index, rank = column.names, column.index, column.rank
    chosen = {s.casefold() for s in selected}
    nonzero = np.flatnonzero(counts)
    order = nonzero[np.lexsort((rank[nonzero], -counts[nonzero]))]
    listed_ids = order[:LIST_LIMIT].tolist()
    listed_counts = counts[listed_ids].tolist()
    if not chosen:
        return [
            facet_value(names[i], c, False) for i, c in zip(listed_ids, listed_counts, strict=True)
        ]
    extra = [i for i in order[LIST_LIMIT:].tolist() if names[i].casefold() in chosen]
    shown = [
        facet_value(names[i], int(counts[i]), names[i].casefold() in chosen)
        for i in listed_ids + extra
    ]
    listed = {v.value.casefold() for v in shown}
    for value in selected:
        known = index.get(value.casefold())
        name = names[known] if known is not None else value
        if name.casefold() not in listed:
            listed.add(name.casefold())
            shown.append(facet_value(name, int(counts[known]) if known is not None else 0, True))
    return shown


_month_label = functools.lru_cache(maxsize=4096)(month_label)


@functools.lru_cache(maxsize=4096)
def _year_label(year: int) -> str:
    return f"{year:04d}"


def _last_day(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - date.resolution


def _chosen_periods(start: date | None, end: date | None) -> tuple[int | None, int | None]:
    """Return (the year, the month code) that from/to select exactly, None where none."""
    if start is None or end is None or start.day != 1:
        return None, None
    year = start.year if start.month == 1 and end == date(start.year, 12, 31) else None
    month = None
    if end == _last_day(start.year, start.month):
        month = (start.year - 1970) * 12 + start.month - 1
    return year, month


def date_facets(
    months: dict[int, int], start: date | None, end: date | None
) -> tuple[list[FacetValue], list[FacetValue]]:
    """Return the (year, month) facets of {month code: documents} in chronological
    order, flagging the selected period."""
    codes = sorted(months)
    return _period_values(
        np.array(codes, np.int64), np.array([months[c] for c in codes], np.int64), start, end
    )


def month_counts(columns: Columns, found: DocumentSet) -> npt.NDArray[np.int64]:
    """Return the documents of `found` per month slot of the columns (slot 0: undated;
    slot s: month code first_month + s - 1), every slot listed: the year and month
    facets and the timeline all count from it."""
    slots = len(columns.month_runs[1]) - 1
    return np.bincount(columns.month_slot[found.numbers], minlength=slots)


def counted_date_facets(
    columns: Columns,
    found: DocumentSet,
    start: date | None,
    end: date | None,
    per_slot: npt.NDArray[np.int64] | None = None,
) -> tuple[list[FacetValue], list[FacetValue]]:
    """Return date_facets of the dated documents of `found`, counted over the columns
    (or given: `per_slot`, its month_counts)."""
    dated = (month_counts(columns, found) if per_slot is None else per_slot)[1:]
    slots = np.flatnonzero(dated)
    return _period_values(slots + columns.first_month, dated[slots], start, end)


def _period_values(
    codes: npt.NDArray[np.int64],
    counts: npt.NDArray[np.int64],
    start: date | None,
    end: date | None,
) -> tuple[list[FacetValue], list[FacetValue]]:
    """Return the year and month FacetValues of month `codes` (ascending) with `counts`
    (equal ones give the lists made before, copied)."""
    if not len(codes):
        return [], []
    chosen = _chosen_periods(start, end)
    key = (codes.astype(np.int64).tobytes(), counts.astype(np.int64).tobytes(), chosen)
    years, months = remembered(_date_lists, key, lambda: _make_periods(codes, counts, *chosen))
    return list(years), list(months)


def _make_periods(
    codes: npt.NDArray[np.int64],
    counts: npt.NDArray[np.int64],
    chosen_year: int | None,
    chosen_month: int | None,
) -> tuple[list[FacetValue], list[FacetValue]]:
    years = codes // 12
    starts = np.flatnonzero(np.diff(years, prepend=years[0] - 1))  # each year's first month
    per_year = np.add.reduceat(counts, starts).tolist()
    year_values = [
        facet_value(_year_label(1970 + y), c, 1970 + y == chosen_year)
        for y, c in zip(years[starts].tolist(), per_year, strict=True)
    ]
    month_values = [
        facet_value(_month_label(code), c, code == chosen_month)
        for code, c in zip(codes.tolist(), counts.tolist(), strict=True)
    ]
    return year_values, month_values
