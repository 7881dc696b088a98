"""One keyword facet's column (topic, provider, type): its values per document, arranged
for filter masks and for counting a facet over any set of documents."""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from search.facets import Facet
from search.local.store.document_sets import BoolArray, DocumentSet, packed_bits

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
    lists: OrderedDict[tuple[object, ...], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.index = {name.casefold(): n for n, name in enumerate(self.names)}
        self.lists = OrderedDict()
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


def keyword_column(
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
