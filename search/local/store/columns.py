"""Per-document columns of a generation, for exact filters, facets and date sorting.

Written once with the generation (column_files: columns.npz + columns.json beside the
Whoosh files) and loaded here once per generation by the engine, so a search never walks stored
fields: a filter is a cached boolean mask, a facet is one np.bincount over the
matching documents, and date order is a precomputed permutation.
Row i describes Whoosh document number i.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from search.facets import KEYWORD_FACETS
from search.local.store.column_files import ARRAYS, EPOCH, NAMES, NO_DATE
from search.local.store.document_ids import IDS
from search.local.store.document_sets import BoolArray, IntArray
from search.local.store.keyword_columns import KeywordColumn, keyword_column

MASK_CACHE = 128  # filter masks kept (one byte per document each)
NEVER = int(np.iinfo(np.int64).max)  # day_or_max of a document without a date


def _month_code(minutes: IntArray) -> npt.NDArray[np.int32]:
    """Return months since 1970-01 for each minute stamp (-1 for no date)."""
    dated = minutes != NO_DATE
    months = np.full(minutes.shape, -1, dtype=np.int32)
    as_months = minutes[dated].astype("datetime64[m]").astype("datetime64[M]").astype(np.int64)
    months[dated] = as_months.astype(np.int32)
    return months


def date_key(published: IntArray, oldest: bool = False) -> IntArray:
    """Return sort keys that put dated documents newest first (or oldest first) and
    undated ones last."""
    dated = published != NO_DATE
    return np.where(dated, published if oldest else -published, np.iinfo(np.int64).max)


def month_label(code: int) -> str:
    """Return 'YYYY-MM' for a month code."""
    return f"{1970 + code // 12:04d}-{code % 12 + 1:02d}"


def _minute(bound: date) -> int:
    """Return the minute stamp of a datetime, or of midnight UTC starting a date."""
    if isinstance(bound, datetime):
        return int((bound - EPOCH).total_seconds() // 60)
    return minutes_of(bound)


def minutes_of(day: date) -> int:
    """Return the minute stamp of midnight UTC at the start of `day`."""
    return int((datetime(day.year, day.month, day.day) - EPOCH).total_seconds() // 60)


@dataclass
class Columns:
    """The loaded columns of one generation, with cached filter masks."""

    keywords: dict[str, KeywordColumn]  # by facet name, in registry order
    published: IntArray
    alive: BoolArray
    ids: npt.NDArray[np.uint64] | None = None  # None: an older generation (document_ids)
    month: npt.NDArray[np.int32] = field(init=False)
    # Days since 1970-01-01 and months since 1970-01 for the timeline: NO_DATE (below every
    # period) for an undated document, NEVER (above every day) in day_or_max.
    day: IntArray = field(init=False)
    day_or_max: IntArray = field(init=False)
    month_or_min: IntArray = field(init=False)
    first_month: int = field(init=False)  # the earliest month code of a dated document
    # month code - first_month + 1 per document, 0 for an undated one: facet counting
    # is one gather and one np.bincount of these
    month_slot: npt.NDArray[np.intp] = field(init=False)
    newest_first: npt.NDArray[np.int64] = field(init=False)
    oldest_first: npt.NDArray[np.int64] = field(init=False)
    _masks: dict[tuple[str, tuple[int, ...]], BoolArray] = field(init=False)
    _listed: dict[int, tuple[BoolArray, IntArray]] = field(init=False)  # by id(mask)
    _lock: threading.Lock = field(init=False)

    def __post_init__(self) -> None:
        self.month = _month_code(self.published)
        has_date = self.published != NO_DATE
        self.day = np.where(has_date, self.published // (24 * 60), NO_DATE)
        self.day_or_max = np.where(has_date, self.day, NEVER)
        self.month_or_min = np.where(has_date, self.month.astype(np.int64), NO_DATE)
        dated = self.month >= 0
        self.first_month = int(self.month[dated].min()) if dated.any() else 0
        self.month_slot = np.where(dated, self.month - self.first_month + 1, 0).astype(np.intp)
        # Undated documents go last in both orders; ties keep document order.
        self.newest_first = np.argsort(date_key(self.published), kind="stable")
        self.oldest_first = np.argsort(date_key(self.published, oldest=True), kind="stable")
        self._masks = {}
        self._listed = {}
        self._lock = threading.Lock()
        arrays = (self.published, self.alive, self.month_slot, self.month, self.day)
        for array in (*arrays, self.day_or_max, self.month_or_min):
            array.setflags(write=False)

    @functools.cached_property
    def month_runs(self) -> tuple[IntArray, IntArray]:
        """Return (the dated documents oldest first, where each month slot's run of them
        starts in it, one entry past the last slot): a month's documents are one slice,
        so the first or last of a set within a month is found without a pass over it."""
        dated = self.oldest_first[: int(np.count_nonzero(self.month_slot))]  # undated last
        slots = int(self.month_slot.max(initial=0)) + 1
        starts = np.searchsorted(self.month_slot[dated], np.arange(slots + 1)).astype(np.int64)
        return dated, starts

    @classmethod
    def load(cls, folder: Path) -> Columns:
        """Return the columns saved in a generation folder."""
        names: dict[str, Any] = json.loads((folder / NAMES).read_text(encoding="utf-8"))
        with np.load(folder / ARRAYS) as saved:
            arrays = {name: saved[name] for name in saved.files}
        size = int(arrays["alive"].shape[0])
        keywords = {f.name: keyword_column(f, names, arrays, size) for f in KEYWORD_FACETS}
        return cls(
            keywords=keywords,
            published=arrays["published"],
            alive=arrays["alive"],
            ids=arrays.get(IDS),
        )

    @property
    def size(self) -> int:
        """Return the number of document numbers (deleted ones included)."""
        return int(self.alive.shape[0])

    def keyword_mask(self, facet: str, values: Sequence[str]) -> BoolArray:
        """Return the cached mask of documents having any of `values` of keyword `facet`."""
        column = self.keywords[facet]
        return self._cached_mask(facet, column.value_ids(values), column.build_mask)

    def _cached_mask(
        self, kind: str, ids: tuple[int, ...], build: Callable[[tuple[int, ...]], BoolArray]
    ) -> BoolArray:
        """Return the mask `build(ids)` of kind `kind`, built once (the cache is bounded)."""
        key = (kind, ids)
        mask = self._masks.get(key)
        if mask is None:
            mask = build(key[1])
            mask.setflags(write=False)
            with self._lock:
                if len(self._masks) > MASK_CACHE:  # bounded: filter combinations are user input
                    self._masks.clear()
                self._masks[key] = mask
        return mask

    def listed(self, mask: BoolArray) -> IntArray:
        """Return np.flatnonzero(mask), kept for a read-only mask (a cached filter's: the
        same filters come again); the entry holds the mask, so its id names only it."""
        kept = self._listed.get(id(mask))
        if kept is not None and kept[0] is mask:
            return kept[1]
        numbers = np.flatnonzero(mask)
        if not mask.flags.writeable:
            with self._lock:
                if len(self._listed) > MASK_CACHE:
                    self._listed.clear()
                self._listed[id(mask)] = (mask, numbers)
        return numbers

    def date_mask(self, start: date | None, end: date | None) -> BoolArray:
        """Return the (cached) mask of dated documents published on days start..end
        (inclusive); a datetime bound (a relative date, resolved) is that minute."""
        # The first minute in and the first one after, open ends at the extremes, name
        # the period for the cache.
        bounds = (
            NO_DATE if start is None else _minute(start),
            np.iinfo(np.int64).max
            if end is None
            else _minute(end) + (1 if isinstance(end, datetime) else 24 * 60),
        )

        def build(bounds: tuple[int, ...]) -> BoolArray:
            low, high = bounds
            mask: BoolArray = np.not_equal(self.published, NO_DATE)
            return mask & (self.published >= low) & (self.published < high)

        return self._cached_mask(" date", bounds, build)
