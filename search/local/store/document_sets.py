"""A set of documents as a mask or as their numbers, whichever a search has at hand."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
# A set known by its mask is narrowed through a filter's listed documents when they are
# under 1 / FEW_LISTED of all: a gather of theirs instead of a pass over every document
# (and another to list the result)
FEW_LISTED = 8


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
