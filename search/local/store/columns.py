"""Per-document columns of a generation, for exact filters, facets and date sorting.

Built once when a generation is written (columns.npz + columns.json beside the Whoosh
files) and loaded once per generation by the engine, so a search never walks stored
fields: a filter is a cached boolean mask, a facet is one np.bincount over the
matching documents, and date order is a precomputed permutation.
Row i describes Whoosh document number i.
"""

from __future__ import annotations

import array as stdarray
import functools
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from search.facets import KEYWORD_FACETS, Facet
from search.local.store.document_ids import IDS, id_values
from search.model import Article

ARRAYS = "columns.npz"
NAMES = "columns.json"
MASK_CACHE = 128  # filter masks kept (one byte per document each)
# A set known by its mask is narrowed through a filter's listed documents when they are
# under 1 / FEW_LISTED of all: a gather of theirs instead of a pass over every document
# (and another to list the result)
FEW_LISTED = 8
NO_DATE = np.iinfo(np.int64).min  # minutes since 1970 of a document without a date
NEVER = int(np.iinfo(np.int64).max)  # day_or_max of a document without a date
EPOCH = datetime(1970, 1, 1)
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Row:
    """What the columns need from one document: its keyword facets' values and date."""

    keywords: dict[str, tuple[str, ...]]  # facet name -> values (search.facets)
    published: datetime | None
    deleted: bool = False
    id: str | None = None  # the public id (document_ids)


def article_row(document: Article | Mapping[str, Any] | None) -> Row:
    """Return the Row of an Article or of a document's stored fields (None: deleted)."""
    if document is None:
        return Row({}, None, deleted=True)
    if isinstance(document, Mapping):
        published, doc_id = document.get("published"), document.get("id")
    else:
        published, doc_id = document.published, document.id
    return Row({f.name: f.values(document) for f in KEYWORD_FACETS}, published, id=doc_id)


def _display_names(counter: dict[str, Counter[str]]) -> tuple[list[str], dict[str, int]]:
    """Return (display names in id order, {casefolded name: id}); the commonest spelling wins."""
    keys = sorted(counter)
    names = [counter[key].most_common(1)[0][0] for key in keys]
    return names, {key: number for number, key in enumerate(keys)}


def write_columns(folder: Path, rows: Iterable[Row]) -> None:
    """Compute the columns of `rows` (in document-number order) and save them in `folder`.

    Per keyword facet NAME: a single-valued one is array NAME (value id per document,
    -1 for none); a multi-valued one is the pairs NAME_doc, NAME_id. Display names
    go to columns.json under NAME. The documents' ids are array "ids" (document_ids),
    when every live row has one. The rows are read once, as they come, and not kept."""
    published = stdarray.array("q")
    alive = stdarray.array("b")
    spellings: dict[str, dict[str, Counter[str]]] = {f.name: {} for f in KEYWORD_FACETS}
    shared: dict[str, str] = {}  # one string per casefolded value (of any facet)
    # per facet: (document, casefolded value) pairs, each value one shared string
    pairs: dict[str, tuple[stdarray.array[int], list[str]]] = {
        f.name: (stdarray.array("i"), []) for f in KEYWORD_FACETS
    }
    doc_ids: list[str | None] = []
    every_id = True
    for number, row in enumerate(rows):
        alive.append(not row.deleted)
        doc_ids.append(None if row.deleted else row.id)
        every_id = every_id and (row.deleted or row.id is not None)
        when = row.published
        published.append(NO_DATE if when is None else int((when - EPOCH).total_seconds() // 60))
        for facet in KEYWORD_FACETS:
            values = row.keywords.get(facet.name, ())
            if not values:
                continue
            counted = spellings[facet.name]
            keys = []
            for value in values:
                key = value.casefold()
                key = shared.setdefault(key, key)
                counted.setdefault(key, Counter())[value] += 1
                keys.append(key)
            docs, kept = pairs[facet.name]
            for key in dict.fromkeys(keys) if facet.multi else keys[:1]:
                docs.append(number)
                kept.append(key)
    count = len(published)
    arrays: dict[str, npt.NDArray[Any]] = {
        "published": np.frombuffer(published, np.int64).copy(),
        "alive": np.frombuffer(alive, np.int8).astype(np.bool_),
    }
    if every_id:
        arrays[IDS] = id_values(doc_ids)
    del doc_ids
    names: dict[str, list[str]] = {}
    for facet in KEYWORD_FACETS:
        names[facet.name], ids = _display_names(spellings[facet.name])
        docs, kept = pairs[facet.name]
        value_ids = np.array([ids[key] for key in kept], dtype=np.int32)
        if facet.multi:
            arrays[f"{facet.name}_doc"] = np.frombuffer(docs, np.int32).copy()
            arrays[f"{facet.name}_id"] = value_ids
        else:
            single = np.full(count, -1, dtype=np.int32)
            single[np.frombuffer(docs, np.int32)] = value_ids
            arrays[facet.name] = single
    np.savez(folder / ARRAYS, **arrays)  # type: ignore[arg-type]
    (folder / NAMES).write_text(json.dumps(names, ensure_ascii=False), encoding="utf-8")


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


HEAD_SHARE = 64  # a value in 1 / HEAD_SHARE of the documents or more is counted by bitset
# Fewer matches than 1 / FEW_SHARE of the documents: their values are looked up, not
# counted by popcount over every document's bits.
FEW_SHARE = 48  # measured: below ~2,600 of 125,691 documents, looking up is faster
OLD_NAMES = {"topic": "topics", "provider": "providers"}  # columns.json keys before schema 6


@dataclass(frozen=True)
class ValueSets:
    """A column arranged for counting: each common value as a bitset over the documents
    (counting one is an AND and a popcount of N / 64 words), the rare ones as (document,
    value) pairs for a multi-valued column (one lookup per pair), or as `tail_code` for a
    single-valued one (gathered at the matching documents)."""

    head: npt.NDArray[np.intp]  # value ids with a bitset
    bits: npt.NDArray[np.uint64]  # (len(head), words): packed bits, as np.packbits packs
    tail_doc: npt.NDArray[np.int32]
    tail_id: npt.NDArray[np.int32]
    # single-valued: value id + 1 per document for the rare values, 0 for a common value
    # or none; None when every value is common (the type facet: no gather at all)
    tail_code: npt.NDArray[np.intp] | None = None


class DocumentSet:
    """Documents as a mask or as their numbers, the other form and the packed bits made
    on first use, so the facets and the ranking of one search that need the same set
    compute each once."""

    def __init__(self, mask: BoolArray, numbers: IntArray | None = None) -> None:
        self._mask: BoolArray | None = mask
        self._numbers: IntArray | None = numbers  # when known: flatnonzero(mask)
        self._bits: npt.NDArray[np.uint64] | None = None
        self.size = len(mask)

    @classmethod
    def of_numbers(cls, numbers: IntArray, size: int) -> DocumentSet:
        """Return the set of document `numbers` (ascending, distinct) of `size` documents."""
        found = cls.__new__(cls)
        found._mask, found._numbers, found._bits, found.size = None, numbers, None, size
        return found

    @property
    def mask(self) -> BoolArray:
        """Return the set as a mask over every document."""
        if self._mask is None:
            assert self._numbers is not None
            self._mask = np.zeros(self.size, np.bool_)
            self._mask[self._numbers] = True
        return self._mask

    @property
    def numbers(self) -> IntArray:
        """Return the document numbers of the set, ascending."""
        if self._numbers is None:
            self._numbers = np.flatnonzero(self.mask)
        return self._numbers

    def count(self) -> int:
        """Return how many documents the set holds (counted, not listed, when only its
        mask is at hand: a tenth of listing their numbers)."""
        if self._numbers is not None:
            return len(self._numbers)
        return int(np.count_nonzero(self.mask))

    def narrowed(
        self,
        masks: Sequence[BoolArray],
        numbers_of: Callable[[BoolArray], IntArray] | None = None,
    ) -> DocumentSet:
        """Return the documents of this set that every mask of `masks` holds (the set
        itself when there is none): by their numbers when they are few, so no pass over
        every document is made, else mask by mask. `numbers_of(mask)` (Columns.listed)
        gives a mask's documents: the fewest, when few, are the ones looked at."""
        if not masks:
            return self
        if self._numbers is not None or self._mask is None:  # numbers at hand: use them
            return self._kept_of(self.numbers, masks, None)
        if numbers_of is not None:
            listed = [numbers_of(mask) for mask in masks]
            fewest = min(range(len(masks)), key=lambda i: len(listed[i]))
            if len(listed[fewest]) * FEW_LISTED < self.size:
                return self._kept_of(listed[fewest], masks, fewest, self._mask)
        combined = self._mask & masks[0]
        for mask in masks[1:]:
            combined &= mask
        return DocumentSet(combined)

    def _kept_of(
        self,
        numbers: IntArray,
        masks: Sequence[BoolArray],
        skip: int | None,
        own: BoolArray | None = None,
    ) -> DocumentSet:
        """Return the set of `numbers` that every mask but masks[skip] (and `own`) holds."""
        parts = [mask for i, mask in enumerate(masks) if i != skip]
        if own is not None:
            parts.insert(0, own)
        if not parts:
            return DocumentSet.of_numbers(numbers, self.size)
        keep = parts[0][numbers]
        for mask in parts[1:]:
            keep &= mask[numbers]
        # np.compress: the same numbers as numbers[keep], in about half the time
        return DocumentSet.of_numbers(np.compress(keep, numbers), self.size)

    @property
    def bits(self) -> npt.NDArray[np.uint64]:
        """Return packed_bits(mask)."""
        if self._bits is None:
            self._bits = packed_bits(self.mask)
        return self._bits


def packed_bits(mask: BoolArray) -> npt.NDArray[np.uint64]:
    """Return `mask` as bits in 64-bit words (zero bits past the end)."""
    packed = np.packbits(mask)
    padded = np.zeros((len(mask) + 63) // 64 * 8, np.uint8)
    padded[: len(packed)] = packed
    return padded.view(np.uint64)


def name_order(names: list[str]) -> npt.NDArray[np.intp]:
    """Return each name's place in the order facets list names by (casefolded, as is)."""
    rank = np.empty(len(names), np.intp)
    rank[sorted(range(len(names)), key=lambda i: (names[i].casefold(), names[i]))] = np.arange(
        len(names)
    )
    return rank


@dataclass
class KeywordColumn:
    """One keyword facet's column: display names by value id, and which documents have
    which value (`ids` for a single-valued facet, the pairs `doc`, `id` for a multi-valued
    one)."""

    name: str
    names: list[str]
    size: int  # document numbers
    ids: npt.NDArray[np.int32] | None = None  # single-valued: value id per document, -1 none
    doc: npt.NDArray[np.int32] | None = None  # multi-valued: (document, value id) pairs
    id: npt.NDArray[np.int32] | None = None
    index: dict[str, int] = field(init=False)  # casefolded name -> value id
    # facet lists made from this column, by counts and selection (facet_counts.keyword_facet)
    lists: dict[tuple[object, ...], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.index = {name.casefold(): n for n, name in enumerate(self.names)}
        self.lists = {}
        for array in (self.ids, self.doc, self.id):
            if array is not None:
                array.setflags(write=False)

    @functools.cached_property
    def rank(self) -> npt.NDArray[np.intp]:
        """Return name_order(names)."""
        return name_order(self.names)

    @functools.cached_property
    def sets(self) -> ValueSets:
        """Return the column arranged for counting (built on first use)."""
        words = (self.size + 63) // 64
        if self.ids is not None:
            known = self.ids[self.ids >= 0]
            per_value = np.bincount(known, minlength=len(self.names))
        else:
            assert self.doc is not None and self.id is not None
            per_value = np.bincount(self.id, minlength=len(self.names))
        head = np.flatnonzero(per_value * HEAD_SHARE >= max(self.size, 1))
        rows = []
        for value in head:
            mask = np.zeros(self.size, np.bool_)
            if self.ids is not None:
                mask[self.ids == value] = True
            else:
                assert self.doc is not None and self.id is not None
                mask[self.doc[self.id == value]] = True
            rows.append(packed_bits(mask))
        bits = np.stack(rows) if rows else np.zeros((0, words), np.uint64)
        if self.ids is not None:
            rare = (self.ids >= 0) & ~np.isin(self.ids, head)
            code = np.where(rare, self.ids.astype(np.intp) + 1, 0)
            empty = np.zeros(0, np.int32)
            return ValueSets(head, bits, empty, empty, code if rare.any() else None)
        assert self.doc is not None and self.id is not None
        tail = ~np.isin(self.id, head)
        return ValueSets(head, bits, self.doc[tail], self.id[tail])

    def value_ids(self, values: Sequence[str]) -> tuple[int, ...]:
        """Return the sorted ids of the known values among `values` (any case)."""
        return tuple(sorted({i for v in values if (i := self.index.get(v.casefold())) is not None}))

    def build_mask(self, chosen: tuple[int, ...]) -> BoolArray:
        """Return the mask of documents having any of the value ids `chosen`."""
        if self.ids is not None:
            return np.isin(self.ids, chosen)
        assert self.doc is not None and self.id is not None
        mask = np.zeros(self.size, dtype=np.bool_)
        mask[self.doc[np.isin(self.id, chosen)]] = True
        return mask

    @functools.cached_property
    def starts(self) -> npt.NDArray[np.int64]:
        """Return where each document's run of (doc, id) pairs starts, one entry past the
        last document (multi-valued columns: pairs are written in document order)."""
        assert self.doc is not None
        return np.searchsorted(self.doc, np.arange(self.size + 1)).astype(np.int64)

    def counts(self, found: BoolArray | DocumentSet) -> npt.NDArray[np.int64]:
        """Return documents per value id among `found` (a mask, or a DocumentSet whose
        numbers and bits other counts share)."""
        chosen = found if isinstance(found, DocumentSet) else DocumentSet(found)
        values = len(self.names)
        if chosen.count() * FEW_SHARE < self.size:  # few: look their values up one by one
            numbers = chosen.numbers
            if self.ids is not None:
                return np.bincount(self.ids[numbers] + 1, minlength=values + 1)[1:]
            assert self.id is not None
            first, last = self.starts[numbers], self.starts[numbers + 1]
            runs = last - first
            at = np.repeat(first - (np.cumsum(runs) - runs), runs) + np.arange(int(runs.sum()))
            return np.bincount(self.id[at], minlength=values)
        sets = self.sets
        if self.ids is None:
            counts = np.bincount(sets.tail_id[chosen.mask[sets.tail_doc]], minlength=values)
        elif sets.tail_code is not None:
            # Gathering by document numbers is several times faster than by a scattered mask.
            counts = np.bincount(sets.tail_code[chosen.numbers], minlength=values + 1)[1:]
        else:
            counts = np.zeros(values, np.int64)
        if len(sets.head):
            in_set = np.bitwise_count(sets.bits & chosen.bits).sum(axis=1, dtype=np.int64)
            counts[sets.head] += in_set
        return counts


def _keyword_column(
    facet: Facet, names: dict[str, Any], arrays: Mapping[str, npt.NDArray[Any]], size: int
) -> KeywordColumn:
    """Return a facet's column as saved; empty when the generation predates the facet."""
    listed = names.get(facet.name, names.get(OLD_NAMES.get(facet.name, ""), []))
    if facet.multi:
        if f"{facet.name}_doc" not in arrays:
            empty = np.zeros(0, np.int32)
            return KeywordColumn(facet.name, [], size, doc=empty, id=empty.copy())
        doc, ids = arrays[f"{facet.name}_doc"], arrays[f"{facet.name}_id"]
        return KeywordColumn(facet.name, list(listed), size, doc=doc, id=ids)
    if facet.name not in arrays:
        return KeywordColumn(facet.name, [], size, ids=np.full(size, -1, np.int32))
    return KeywordColumn(facet.name, list(listed), size, ids=arrays[facet.name])


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
        keywords = {f.name: _keyword_column(f, names, arrays, size) for f in KEYWORD_FACETS}
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
